/*
 * Database helpers that need no server: SQLSTATE classification, UUID
 * checks, connection parameters per role, and failing fast when nothing
 * listens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "common/db.h"

static void test_sqlstate_classes(void **state)
{
	static const struct {
		const char *state;
		hs_db_result want;
	} rows[] = {
		{"08000", HS_DB_RETRY},      {"08006", HS_DB_RETRY},
		{"08001", HS_DB_RETRY},      {"40001", HS_DB_RETRY},
		{"40P01", HS_DB_RETRY},      {"55P03", HS_DB_RETRY},
		{"57P01", HS_DB_RETRY},      {"57P02", HS_DB_RETRY},
		{"57P03", HS_DB_RETRY},      {"53300", HS_DB_RETRY},
		{"53200", HS_DB_RETRY},      {"57014", HS_DB_RETRY},
		{NULL, HS_DB_RETRY},         {"", HS_DB_RETRY},
		{"23505", HS_DB_CONSTRAINT}, {"23503", HS_DB_CONSTRAINT},
		{"23514", HS_DB_CONSTRAINT}, {"23P01", HS_DB_CONSTRAINT},
		{"42601", HS_DB_ERROR},      {"42501", HS_DB_ERROR},
		{"42P01", HS_DB_ERROR},      {"22P02", HS_DB_ERROR},
		{"40002", HS_DB_ERROR},      {"XX000", HS_DB_ERROR},
		{"P0001", HS_DB_ERROR},      {"0800", HS_DB_ERROR},
		{"080000", HS_DB_ERROR},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		hs_db_result got = hs_db_classify_sqlstate(rows[i].state);
		if (got != rows[i].want)
			fail_msg("%s: got %s, want %s", rows[i].state ? rows[i].state : "NULL",
				 hs_db_result_name(got), hs_db_result_name(rows[i].want));
	}
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(hs_db_result_name(HS_DB_OK), "ok");
	assert_string_equal(hs_db_result_name(HS_DB_RETRY), "retry");
	assert_string_equal(hs_db_result_name(HS_DB_CONSTRAINT), "constraint");
	assert_string_equal(hs_db_result_name(HS_DB_ERROR), "error");
}

static void test_uuid(void **state)
{
	static const struct {
		const char *s;
		bool valid;
	} rows[] = {
		{"123e4567-e89b-12d3-a456-426614174000", true},
		{"123E4567-E89B-12D3-A456-426614174000", true},
		{"123e4567e89b12d3a456426614174000", false},
		{"123e4567-e89b-12d3-a456-42661417400", false},
		{"123e4567-e89b-12d3-a456-4266141740000", false},
		{"123e4567-e89b-12d3-a456-42661417400g", false},
		{"'; DROP TABLE vouchers; --", false},
		{"", false},
		{NULL, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (hs_db_uuid_valid(rows[i].s) != rows[i].valid)
			fail_msg("%s: want %d", rows[i].s ? rows[i].s : "NULL", rows[i].valid);
	}
}

static hs_config test_cfg(void)
{
	hs_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.db_host = "127.0.0.1";
	cfg.db_port = 1;
	cfg.db_database = "postgres://evil@elsewhere/db";
	cfg.db_username = "hs_api";
	cfg.db_password = "api-pw";
	cfg.db_worker_username = "hs_worker";
	cfg.db_worker_password = "";
	cfg.db_owner_username = "hs_owner";
	cfg.db_owner_password = "owner-pw";
	cfg.db_sslmode = HS_SSL_DISABLE;
	cfg.db_connect_timeout = 3;
	return cfg;
}

static const char *param(const hs_db_params *p, const char *key)
{
	for (size_t i = 0; p->keys[i]; i++) {
		if (strcmp(p->keys[i], key) == 0)
			return p->vals[i];
	}
	return NULL;
}

static void test_params_per_role(void **state)
{
	static const struct {
		hs_db_role role;
		const char *user, *password;
	} rows[] = {
		{HS_DB_ROLE_API, "hs_api", "api-pw"},
		{HS_DB_ROLE_WORKER, "hs_worker", NULL}, /* empty: left to libpq's password file */
		{HS_DB_ROLE_OWNER, "hs_owner", "owner-pw"},
	};
	hs_config cfg = test_cfg();
	hs_db_params p;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		hs_db_params_fill(&p, &cfg, rows[i].role);
		assert_string_equal(param(&p, "user"), rows[i].user);
		if (rows[i].password)
			assert_string_equal(param(&p, "password"), rows[i].password);
		else
			assert_null(param(&p, "password"));
		assert_string_equal(param(&p, "host"), "127.0.0.1");
		assert_string_equal(param(&p, "port"), "1");
		assert_string_equal(param(&p, "dbname"), "postgres://evil@elsewhere/db");
		assert_string_equal(param(&p, "connect_timeout"), "3");
		assert_string_equal(param(&p, "tcp_user_timeout"), "3000");
		assert_string_equal(param(&p, "sslmode"), "disable");
		assert_string_equal(param(&p, "application_name"), "hotspotd");
	}
}

/* Nothing listens on port 1: the failure is quick and names no password. */
static void test_connect_refused_fast(void **state)
{
	hs_config cfg = test_cfg();
	struct timespec t0, t1;
	char err[256] = "";
	PGconn *conn;

	(void)state;
	cfg.db_database = "hotspot";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	conn = hs_db_connect(&cfg, HS_DB_ROLE_API, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_null(conn);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	assert_null(strstr(err, "api-pw"));
	assert_true(t1.tv_sec - t0.tv_sec < 3);
}

static void test_pool_unreachable(void **state)
{
	hs_config cfg = test_cfg();
	hs_db_pool *pool;
	char err[256] = "";

	(void)state;
	cfg.db_database = "hotspot";
	pool = hs_db_pool_create(&cfg, HS_DB_ROLE_API, 2);
	assert_non_null(pool);
	for (int i = 0; i < 3; i++) {
		/* each failure gives its slot back: the third call still tries */
		PGconn *conn = hs_db_pool_get(pool, 100, err, sizeof(err));
		assert_null(conn);
		assert_null(strstr(err, "no database connection free"));
	}
	hs_db_pool_destroy(pool);
	hs_db_pool_destroy(NULL);
}

static void test_tenant_rejects_non_uuid(void **state)
{
	char err[128] = "";

	(void)state;
	/* refused before the connection is touched, so NULL is fine here */
	assert_int_equal(hs_db_tx_tenant(NULL, "1; DROP TABLE x", err, sizeof(err)), HS_DB_ERROR);
	assert_string_equal(err, "tenant id is not a UUID");
}

static void test_classify_without_server(void **state)
{
	(void)state;
	assert_int_equal(hs_db_classify(NULL, NULL), HS_DB_RETRY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlstate_classes),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_params_per_role),
		cmocka_unit_test(test_connect_refused_fast),
		cmocka_unit_test(test_pool_unreachable),
		cmocka_unit_test(test_tenant_rejects_non_uuid),
		cmocka_unit_test(test_classify_without_server),
	};
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
