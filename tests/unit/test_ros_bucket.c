/*
 * The per-router token bucket on a clock the test drives: bursts, refill,
 * the wait it announces, the cap on saved tokens.  Each row is a call at a
 * time and what it must answer.
 */
#include "routeros/prov_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

struct take {
	int64_t at_ms;
	int64_t want; /* 0: a token; otherwise the wait announced */
};

struct bucket_case {
	const char *name;
	unsigned per_minute, burst;
	struct take takes[12];
	size_t n;
};

static const struct bucket_case cases[] = {
	{"a burst of 3, then the wait for the next token (60/min: 1 s)",
	 60,
	 3,
	 {{0, 0}, {0, 0}, {0, 0}, {0, 1000}, {400, 600}, {1000, 0}, {1000, 1000}},
	 7},
	{"100 a minute: one every 600 ms after the burst",
	 100,
	 1,
	 {{0, 0}, {0, 600}, {599, 1}, {600, 0}, {1200, 0}, {1201, 599}},
	 6},
	{"idle time refills up to the burst, not past it",
	 60,
	 2,
	 {{0, 0}, {0, 0}, {100000, 0}, {100000, 0}, {100000, 1000}},
	 5},
	{"a clock that goes back adds nothing", 60, 1, {{5000, 0}, {1000, 1000}, {6000, 0}}, 3},
	{"a high rate (6000/min: 10 ms each)", 6000, 1, {{0, 0}, {0, 10}, {5, 5}, {10, 0}}, 4},
	{"1 a minute", 1, 1, {{0, 0}, {1, 59999}, {60000, 0}}, 3},
};

static void test_rows(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bucket_case *c = &cases[i];
		ros__bucket b;

		ros__bucket_init(&b, c->per_minute, c->burst, c->takes[0].at_ms);
		for (j = 0; j < c->n; j++) {
			int64_t got = ros__bucket_take(&b, c->takes[j].at_ms);

			if (got != c->takes[j].want)
				fail_msg("%s: take %zu at %lld ms: %lld, want %lld", c->name, j,
					 (long long)c->takes[j].at_ms, (long long)got,
					 (long long)c->takes[j].want);
		}
	}
}

/* Over any minute, at most burst + rate tokens are handed out. */
static void test_minute_bound(void **state)
{
	ros__bucket b;
	int64_t t;
	unsigned taken = 0;

	(void)state;
	ros__bucket_init(&b, 100, 20, 0);
	for (t = 0; t < 60000; t++)
		while (ros__bucket_take(&b, t) == 0)
			taken++;
	assert_true(taken <= 120);
	assert_true(taken >= 119);
}

/* The pool answers RATE_LIMITED itself when asked not to wait; no router is needed. */
static void test_pool_refuses_without_waiting(void **state)
{
	ros_pool_config cfg = {.conn = {.host = "127.0.0.1"},
			       .rate_per_minute = 1,
			       .rate_burst = 2,
			       .rate_wait_ms = -1};
	ros_pool *p = ros_pool_create(&cfg);
	ros_pool_stats st;
	ros_msg msg = {{0}};

	(void)state;
	assert_non_null(p);
	assert_int_equal(ros__pool_token(p, &msg), ROS_OK);
	assert_int_equal(ros__pool_token(p, &msg), ROS_OK);
	assert_int_equal(ros__pool_token(p, &msg), ROS_ERR_RATE_LIMITED);
	assert_non_null(strstr(msg.text, "1 requests per minute"));
	assert_true(ros_err_temporary(ROS_ERR_RATE_LIMITED));
	ros_pool_get_stats(p, &st);
	assert_int_equal(st.limited, 1);
	assert_int_equal(st.open, 0);
	ros_pool_destroy(p);
}

/* A short wait is taken, a long one refused at once (no sleeping past the bound). */
static void test_pool_waits_within_bound(void **state)
{
	ros_pool_config cfg = {.conn = {.host = "127.0.0.1"},
			       .rate_per_minute = 600, /* one per 100 ms */
			       .rate_burst = 1,
			       .rate_wait_ms = 300};
	ros_pool *p = ros_pool_create(&cfg);
	ros_msg msg;
	int64_t t0;

	(void)state;
	assert_non_null(p);
	assert_int_equal(ros__pool_token(p, &msg), ROS_OK);
	t0 = ros__now_ms();
	assert_int_equal(ros__pool_token(p, &msg), ROS_OK);
	assert_true(ros__now_ms() - t0 >= 90);
	ros_pool_destroy(p);

	cfg.rate_per_minute = 1; /* next token in a minute, past the 300 ms bound */
	p = ros_pool_create(&cfg);
	assert_int_equal(ros__pool_token(p, &msg), ROS_OK);
	t0 = ros__now_ms();
	assert_int_equal(ros__pool_token(p, &msg), ROS_ERR_RATE_LIMITED);
	assert_true(ros__now_ms() - t0 < 100);
	ros_pool_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_minute_bound),
		cmocka_unit_test(test_pool_refuses_without_waiting),
		cmocka_unit_test(test_pool_waits_within_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
