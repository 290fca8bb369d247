/*
 * The error list of routeros.h turned into names, descriptions and the
 * retry classification.
 */
#include "routeros/routeros.h"

static const struct {
	const char *name;
	const char *desc;
	bool temporary;
} errors[] = {
#define ROS__ERR_ROW(name, temp, desc) {#name, desc, temp},
	ROS_ERR_MAP(ROS__ERR_ROW)
#undef ROS__ERR_ROW
};

const char *ros_err_name(ros_err err)
{
	if ((unsigned)err >= ROS_ERR__COUNT)
		return "UNKNOWN";
	return errors[err].name;
}

const char *ros_err_str(ros_err err)
{
	if ((unsigned)err >= ROS_ERR__COUNT)
		return "unknown error";
	return errors[err].desc;
}

bool ros_err_temporary(ros_err err)
{
	if ((unsigned)err >= ROS_ERR__COUNT)
		return false;
	return errors[err].temporary;
}
