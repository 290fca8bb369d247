/*
 * How the sentences of one command become a reply and a result: !re, !done
 * with =ret=, several !trap before !done, !empty, unknown reply words, the
 * reply budget; and the MD5 challenge response of RouterOS before 6.43.
 */
#include "routeros/internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* One row: the sentences a router sends for a command, and what comes of them. */
struct reply_case {
	const char *name;
	const char *sentences[6][4]; /* words, NULL-terminated; a NULL row ends */
	ros_err result;
	size_t items;
	size_t traps;
	const char *ret;
	bool empty;
	const char *first_trap;
};

static const struct reply_case cases[] = {
	{"items then done",
	 {{"!re", "=name=a"}, {"!re", "=name=b"}, {"!done"}},
	 ROS_OK,
	 2,
	 0,
	 NULL,
	 false,
	 ""},
	{"done with ret", {{"!done", "=ret=*1F"}}, ROS_OK, 0, 0, "*1F", false, ""},
	{"empty then done", {{"!empty"}, {"!done"}}, ROS_OK, 0, 0, NULL, true, ""},
	{"two traps before done",
	 {{"!trap", "=message=no such item"}, {"!trap", "=message=no such item (2)"}, {"!done"}},
	 ROS_ERR_TRAP,
	 0,
	 2,
	 NULL,
	 false,
	 "no such item"},
	{"missing policy",
	 {{"!trap", "=message=not enough permissions (9)"}, {"!done"}},
	 ROS_ERR_DENIED,
	 0,
	 1,
	 NULL,
	 false,
	 "not enough permissions (9)"},
	{"cancelled",
	 {{"!re", "=rx=1"}, {"!trap", "=category=2", "=message=interrupted"}, {"!done"}},
	 ROS_ERR_INTERRUPTED,
	 1,
	 1,
	 NULL,
	 false,
	 "interrupted"},
	{"unknown reply word ignored",
	 {{"!re", "=a=1"}, {"!future", "=x=y"}, {"!done"}},
	 ROS_OK,
	 1,
	 0,
	 NULL,
	 false,
	 ""},
};

static void run_case(const struct reply_case *c)
{
	ros_reply *r = ros__reply_create();
	bool done = false;
	size_t i, j;

	print_message("# %s\n", c->name);
	assert_non_null(r);
	for (i = 0; i < 6 && c->sentences[i][0]; i++) {
		ros_sentence *s = ros_sentence_create();

		for (j = 0; j < 4 && c->sentences[i][j]; j++)
			assert_int_equal(ros_sentence_add_str(s, c->sentences[i][j]), ROS_OK);
		assert_false(done);
		done = ros__reply_take(r, s, ROS_DEFAULT_MAX_REPLY);
	}
	assert_true(done);
	assert_int_equal(ros__reply_result(r), c->result);
	assert_int_equal(ros_reply_count(r), c->items);
	assert_int_equal(ros_reply_trap_count(r), c->traps);
	if (c->ret)
		assert_string_equal(ros_reply_ret(r, NULL), c->ret);
	else
		assert_null(ros_reply_ret(r, NULL));
	assert_int_equal(ros_reply_empty(r), c->empty);
	assert_string_equal(ros_reply_trap_message(r, 0), c->first_trap);
	ros_reply_destroy(r);
}

static void test_reply_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void test_trap_category(void **state)
{
	ros_reply *r = ros__reply_create();
	ros_sentence *s = ros_sentence_create();

	(void)state;
	assert_int_equal(ros_sentence_add_str(s, "!trap"), ROS_OK);
	assert_int_equal(ros_sentence_add_str(s, "=category=1"), ROS_OK);
	assert_false(ros__reply_take(r, s, ROS_DEFAULT_MAX_REPLY));
	assert_int_equal(ros_reply_trap_category(r, 0), 1);
	assert_int_equal(ros_reply_trap_category(r, 1), -1);
	assert_string_equal(ros_reply_trap_message(r, 0), "");
	ros_reply_destroy(r);
}

static void test_reply_budget(void **state)
{
	ros_reply *r = ros__reply_create();
	ros_sentence *s;
	size_t i;

	(void)state;
	/* A budget of about two items: the rest are dropped, the reply marked. */
	for (i = 0; i < 10; i++) {
		s = ros_sentence_create();
		assert_int_equal(ros_sentence_add_str(s, "!re"), ROS_OK);
		assert_int_equal(ros_sentence_add_attr_str(s, "x", "0123456789"), ROS_OK);
		assert_false(ros__reply_take(r, s, 2 * ros__sentence_size(s) + 1));
	}
	s = ros_sentence_create();
	assert_int_equal(ros_sentence_add_str(s, "!done"), ROS_OK);
	assert_true(ros__reply_take(r, s, 1));
	assert_int_equal(ros_reply_count(r), 2);
	assert_true(ros__reply_overflowed(r));
	assert_int_equal(ros__reply_result(r), ROS_ERR_TOO_LARGE);
	ros_reply_destroy(r);
}

static const struct {
	const char *password;
	const char *challenge;
	ros_err err;
	const char *response;
} challenge_table[] = {
	{"secret", "ebddd18775b4ec6d8e8ab2f4d93d4ae9", ROS_OK,
	 "00416c5c99cc62eeacba10c9ecf951d30e"},
	{"", "ebddd18775b4ec6d8e8ab2f4d93d4ae9", ROS_OK, "004c856d0ccbf7c1e8ce8f9963c215dbe8"},
	{"secret", "EBDDD18775B4EC6D8E8AB2F4D93D4AE9", ROS_OK,
	 "00416c5c99cc62eeacba10c9ecf951d30e"},
	{"secret", "ebddd18775b4ec6d8e8ab2f4d93d4ae", ROS_ERR_PROTOCOL, NULL},
	{"secret", "zbddd18775b4ec6d8e8ab2f4d93d4ae9", ROS_ERR_PROTOCOL, NULL},
};

static void test_challenge(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(challenge_table) / sizeof(challenge_table[0]); i++) {
		char out[35] = "";
		const char *ch = challenge_table[i].challenge;

		assert_int_equal(
			ros__challenge_response(challenge_table[i].password, ch, strlen(ch), out),
			challenge_table[i].err);
		if (challenge_table[i].response)
			assert_string_equal(out, challenge_table[i].response);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_cases),
		cmocka_unit_test(test_trap_category),
		cmocka_unit_test(test_reply_budget),
		cmocka_unit_test(test_challenge),
	};

	return cmocka_run_group_tests_name("routeros replies", tests, NULL, NULL);
}
