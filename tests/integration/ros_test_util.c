/* Helpers of the RouterOS integration case runners; see ros_test_util.h. */
#include "tests/integration/ros_test_util.h"

#include <string.h>

ros_err rt_err_by_name(const char *name)
{
	int e;

	for (e = 0; name && e < ROS_ERR__COUNT; e++)
		if (strcmp(ros_err_name((ros_err)e), name) == 0)
			return (ros_err)e;
	return ROS_ERR__COUNT;
}

const char *rt_item_attr(const ros_reply *r, size_t i, const char *key)
{
	return ros_sentence_attr(ros_reply_item(r, i), key, NULL);
}
