/*
 * The job runtime's decisions that need no database: the kinds literal sent
 * to job_claim, the checks on a table of kinds, the tick and reconnect
 * intervals, and when a failure goes back to the queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/jobs_int.h"

static api_job_result noop(api_job_ctx *ctx, const api_job *job)
{
	(void)ctx;
	(void)job;
	return API_JOB_OK;
}

static int period_60(const hs_config *cfg)
{
	(void)cfg;
	return 60;
}

static int period_2(const hs_config *cfg)
{
	(void)cfg;
	return 2;
}

static int period_off(const hs_config *cfg)
{
	(void)cfg;
	return 0;
}

static int period_cfg(const hs_config *cfg)
{
	return cfg->prune_interval;
}

static void test_pg_array(void **state)
{
	static const api_job_kind two[] = {{"prune", noop, 0, NULL}, {"sms.send", noop, 0, NULL}};
	static const api_job_kind empty_name[] = {{"", noop, 0, NULL}};
	static const api_job_kind quote[] = {{"a\"b", noop, 0, NULL}};
	char buf[64], tiny[8];

	(void)state;
	assert_int_equal(api__jobs_pg_array(two, 2, buf, sizeof buf), 0);
	assert_string_equal(buf, "{\"prune\",\"sms.send\"}");
	assert_int_equal(api__jobs_pg_array(two, 1, buf, sizeof buf), 0);
	assert_string_equal(buf, "{\"prune\"}");
	assert_int_equal(api__jobs_pg_array(two, 0, buf, sizeof buf), 0);
	assert_string_equal(buf, "{}");
	assert_int_equal(api__jobs_pg_array(two, 2, tiny, sizeof tiny), -1);
	assert_string_equal(tiny, "");
	assert_int_equal(api__jobs_pg_array(empty_name, 1, buf, sizeof buf), -1);
	assert_int_equal(api__jobs_pg_array(quote, 1, buf, sizeof buf), -1);
}

static void test_check_kinds(void **state)
{
	static const struct {
		api_job_kind kinds[2];
		size_t n;
		int want;
		const char *why;
	} rows[] = {
		{{{"prune", noop, 3, NULL}, {"sms.send", noop, 0, NULL}}, 2, 0, ""},
		{{{"prune", noop, 0, NULL}}, 0, -1, "no job kinds"},
		{{{"", noop, 0, NULL}}, 1, -1, "name must be"},
		{{{"a,b", noop, 0, NULL}}, 1, -1, "name must be"},
		{{{"a b", noop, 0, NULL}}, 1, -1, "name must be"},
		{{{"prune", NULL, 0, NULL}}, 1, -1, "has no handler"},
		{{{"prune", noop, -1, NULL}}, 1, -1, "max_attempts"},
		{{{"prune", noop, 0, NULL}, {"prune", noop, 0, NULL}}, 2, -1, "listed twice"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		err[0] = '\0';
		assert_int_equal(api__jobs_check_kinds(rows[i].kinds, rows[i].n, err, sizeof err),
				 rows[i].want);
		assert_non_null(strstr(err, rows[i].why));
	}
}

static void test_find(void **state)
{
	static const api_job_kind kinds[] = {{"prune", noop, 0, NULL}, {"sms.send", noop, 0, NULL}};

	(void)state;
	assert_ptr_equal(api__jobs_find(kinds, 2, "sms.send"), &kinds[1]);
	assert_null(api__jobs_find(kinds, 2, "sms"));
	assert_null(api__jobs_find(kinds, 2, NULL));
}

static void test_tick_interval(void **state)
{
	static const struct {
		api_job_kind kinds[2];
		size_t n;
		int prune_interval;
		int want;
	} rows[] = {
		{{{"a", noop, 0, NULL}}, 1, 0, 0},                            /* nothing periodic */
		{{{"a", noop, 0, period_off}}, 1, 0, 0},                      /* period disabled */
		{{{"a", noop, 0, period_60}}, 1, 0, 15},                      /* a quarter */
		{{{"a", noop, 0, period_2}}, 1, 0, 1},                        /* at least 1 s */
		{{{"a", noop, 0, period_cfg}}, 1, 86400, API__JOBS_TICK_MAX}, /* at most */
		{{{"a", noop, 0, period_60}, {"b", noop, 0, period_cfg}}, 2, 20, 5}, /* shortest */
		{{{"a", noop, 0, period_cfg}, {"b", noop, 0, NULL}}, 2, -5, 0},
	};
	hs_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		memset(&cfg, 0, sizeof cfg);
		cfg.prune_interval = rows[i].prune_interval;
		assert_int_equal(api__jobs_tick_interval(&cfg, rows[i].kinds, rows[i].n),
				 rows[i].want);
	}
}

static void test_reconnect_delay(void **state)
{
	static const int want[][2] = {{0, 1},  {1, 1},  {2, 2},  {3, 4},    {4, 8},
				      {5, 16}, {6, 30}, {7, 30}, {1000, 30}};

	(void)state;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_int_equal(api__jobs_reconnect_delay(want[i][0]), want[i][1]);
	}
}

static void test_should_retry(void **state)
{
	static const struct {
		api_job_result r;
		int attempts, kind_max;
		bool want;
	} rows[] = {
		{API_JOB_RETRY, 1, 0, true}, /* the row's max_attempts decides */
		{API_JOB_RETRY, 50, 0, true},
		{API_JOB_RETRY, 2, 3, true},  /* under the kind's cap */
		{API_JOB_RETRY, 3, 3, false}, /* the kind's cap reached */
		{API_JOB_FAIL, 1, 0, false},  /* permanent */
		{API_JOB_OK, 1, 0, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(
			api__jobs_should_retry(rows[i].r, rows[i].attempts, rows[i].kind_max),
			rows[i].want);
	}
}

static void test_builtin_kinds(void **state)
{
	char err[256] = "";
	const api_job_kind *prune = api__jobs_find(api__jobs_builtin, api__jobs_nbuiltin, "prune");
	hs_config cfg;

	(void)state;
	assert_int_equal(
		api__jobs_check_kinds(api__jobs_builtin, api__jobs_nbuiltin, err, sizeof err), 0);
	assert_non_null(prune);
	assert_non_null(prune->period_s);
	memset(&cfg, 0, sizeof cfg);
	cfg.prune_interval = 3600;
	assert_int_equal(prune->period_s(&cfg), 3600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_array),
		cmocka_unit_test(test_check_kinds),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_tick_interval),
		cmocka_unit_test(test_reconnect_delay),
		cmocka_unit_test(test_should_retry),
		cmocka_unit_test(test_builtin_kinds),
	};

	return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
