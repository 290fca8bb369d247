/*
 * What the RouterOS integration case runners (ros_client_test.c,
 * ros_prov_test.c) share: the CHECK of a case and small lookups.
 */
#ifndef HS_TESTS_ROS_TEST_UTIL_H
#define HS_TESTS_ROS_TEST_UTIL_H

#include "routeros/routeros.h"

#include <stdio.h>

/* Says which check failed (line, condition, the formatted why) and jumps to fail. */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "line %d: check failed: %s: ", __LINE__, #cond);           \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

/* The error named name ("AUTH"), or ROS_ERR__COUNT when none is (or name is NULL). */
ros_err rt_err_by_name(const char *name);

/* Attribute key of item i of r, or NULL when absent. */
const char *rt_item_attr(const ros_reply *r, size_t i, const char *key);

#endif
