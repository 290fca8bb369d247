/* API auth: the Authorization header's bearer token and the token's digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api/auth.h"

typedef struct {
	const char *header;
	const char *token; /* NULL: refused */
} bearer_case;

static const bearer_case bearer_cases[] = {
	{"Bearer abc123", "abc123"},
	{"bearer abc123", "abc123"},
	{"BEARER  a-b.c_d~e+f/g=", "a-b.c_d~e+f/g="},
	{NULL, NULL},
	{"", NULL},
	{"Bearer", NULL},
	{"Bearer ", NULL},
	{"Basic YTpi", NULL},
	{"Bearerabc", NULL},
	{"Bearer abc def", NULL},
	{"Bearer abc ", NULL},
	{"Bearer abc\"", NULL},
	{"Bearer ab;c", NULL},
	{"Bearer \xc3\xa9t\xc3\xa9", NULL},
};

static void test_bearer(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bearer_cases / sizeof bearer_cases[0]; i++) {
		const bearer_case *c = &bearer_cases[i];
		const char *got = api_auth_bearer(c->header);

		if (c->token) {
			assert_non_null(got);
			assert_string_equal(got, c->token);
		} else {
			assert_null(got);
		}
	}
}

/* A token of API_TOKEN_MAX characters passes; one more does not. */
static void test_bearer_length(void **state)
{
	char header[7 + API_TOKEN_MAX + 2];

	(void)state;
	memcpy(header, "Bearer ", 7);
	memset(header + 7, 'a', API_TOKEN_MAX);
	header[7 + API_TOKEN_MAX] = '\0';
	assert_non_null(api_auth_bearer(header));
	header[7 + API_TOKEN_MAX] = 'a';
	header[7 + API_TOKEN_MAX + 1] = '\0';
	assert_null(api_auth_bearer(header));
}

typedef struct {
	const char *token, *hex;
} hash_case;

/* FIPS 180-2 vectors and the empty string. */
static const hash_case hash_cases[] = {
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void test_token_hash(void **state)
{
	char hex[65];

	(void)state;
	for (size_t i = 0; i < sizeof hash_cases / sizeof hash_cases[0]; i++) {
		assert_int_equal(api_auth_token_hash(hash_cases[i].token, hex), 0);
		assert_string_equal(hex, hash_cases[i].hex);
	}
}

/* The documented abilities are known; anything else is not. */
static void test_ability_known(void **state)
{
	static const struct {
		const char *name;
		bool known;
	} rows[] = {
		{"*", true},
		{"routers.read", true},
		{"routers.write", true},
		{"vouchers.read", true},
		{"vouchers.write", true},
		{"profiles.read", true},
		{"profiles.write", true},
		{"customers.read", true},
		{"customers.write", true},
		{"dashboard.read", true},
		{"events.read", true},
		{"audit.read", true},
		{"tokens.write", true},
		{"mikrotik.read", true},
		{"mikrotik.write", true},
		{"payments.read", true},
		{"payments.write", true},
		{"sms.write", true},
		{API_ABILITY_SELF, false},
		{"routers.*", false},
		{"Routers.read", false},
		{"routers.read ", false},
		{"", false},
		{NULL, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(api_ability_known(rows[i].name), rows[i].known);
}

/* Whether role has ability by default, row by row. */
static void test_role_abilities(void **state)
{
	static const struct {
		const char *role, *ability;
		bool has;
	} rows[] = {
		{"owner", "*", true},
		{"owner", "audit.read", true},
		{"admin", "routers.write", true},
		{"admin", "audit.read", true},
		{"admin", "*", false},
		{"operator", "vouchers.write", true},
		{"operator", "routers.read", true},
		{"operator", "routers.write", false},
		{"operator", "audit.read", false},
		{"operator", "tokens.write", true},
		{"viewer", "routers.read", true},
		{"viewer", "dashboard.read", true},
		{"viewer", "vouchers.write", false},
		{"viewer", "tokens.write", false},
		{"viewer", "audit.read", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		json_t *list = api_role_abilities(rows[i].role);

		assert_non_null(list);
		assert_int_equal(api_abilities_grant(list, rows[i].ability), rows[i].has);
		json_decref(list);
	}
	assert_null(api_role_abilities("king"));
	assert_null(api_role_abilities(NULL));
}

/* Every default ability of every role is a documented one. */
static void test_role_abilities_known(void **state)
{
	static const char *const roles[] = {"owner", "admin", "operator", "viewer"};

	(void)state;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		json_t *list = api_role_abilities(roles[i]);

		assert_true(json_array_size(list) > 0);
		for (size_t j = 0; j < json_array_size(list); j++)
			assert_true(api_ability_known(json_string_value(json_array_get(list, j))));
		json_decref(list);
	}
}

static void test_abilities_grant(void **state)
{
	json_t *some = json_pack("[s, s]", "routers.read", "audit.read");
	json_t *star = json_pack("[s]", "*"), *none = json_array();

	(void)state;
	assert_true(api_abilities_grant(some, "routers.read"));
	assert_false(api_abilities_grant(some, "routers.write"));
	assert_false(api_abilities_grant(some, "*"));
	assert_true(api_abilities_grant(star, "routers.write"));
	assert_true(api_abilities_grant(star, "*"));
	assert_false(api_abilities_grant(none, "routers.read"));
	assert_false(api_abilities_grant(NULL, "routers.read"));
	json_decref(some);
	json_decref(star);
	json_decref(none);
}

/* New tokens: the shape, the hash of exactly that text, never twice the same. */
static void test_token_new(void **state)
{
	char t1[API_TOKEN_NEW_LEN], t2[API_TOKEN_NEW_LEN], h1[65], h2[65], check[65];

	(void)state;
	assert_int_equal(api_auth_token_new(t1, h1), 0);
	assert_int_equal(api_auth_token_new(t2, h2), 0);
	assert_int_equal(strlen(t1), API_TOKEN_NEW_LEN - 1);
	assert_int_equal(strncmp(t1, "hs_", 3), 0);
	assert_string_not_equal(t1, t2);
	assert_string_not_equal(h1, h2);
	assert_int_equal(api_auth_token_hash(t1, check), 0);
	assert_string_equal(h1, check);
	assert_non_null(api_auth_bearer("Bearer hs_abc"));
	{
		char header[7 + API_TOKEN_NEW_LEN];

		snprintf(header, sizeof header, "Bearer %s", t1);
		assert_string_equal(api_auth_bearer(header), t1);
	}
}

/* The token bucket: a full minute's worth, then waits, refills, keys apart. */
static void test_rate_limit(void **state)
{
	(void)state;
	/* 60 per minute: one per second. */
	for (int i = 0; i < 60; i++)
		assert_int_equal(api_rate_take("key-a", 60, 1000.0), 0);
	assert_int_equal(api_rate_take("key-a", 60, 1000.0), 1);
	assert_int_equal(api_rate_take("key-b", 60, 1000.0), 0);
	assert_int_equal(api_rate_take("key-a", 60, 1000.5), 1);
	assert_int_equal(api_rate_take("key-a", 60, 1001.0), 0);
	assert_int_equal(api_rate_take("key-a", 60, 1001.0), 1);
	/* Refilled up to the cap only, however long the pause. */
	for (int i = 0; i < 60; i++)
		assert_int_equal(api_rate_take("key-a", 60, 5000.0), 0);
	assert_int_equal(api_rate_take("key-a", 60, 5000.0), 1);
	/* 5 per minute: the sixth waits 12 s. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(api_rate_take("key-c", 5, 0.0), 0);
	assert_int_equal(api_rate_take("key-c", 5, 0.0), 12);
	assert_int_equal(api_rate_take("key-c", 5, 6.0), 6);
	assert_int_equal(api_rate_take("key-c", 5, 12.0), 0);
	/* Off. */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(api_rate_take("key-d", 0, 0.0), 0);
}

/* Many keys: the table keeps working past its size (idle buckets dropped). */
static void test_rate_limit_many(void **state)
{
	char key[40];

	(void)state;
	for (int i = 0; i < 25000; i++) {
		snprintf(key, sizeof key, "many-%d", i);
		assert_int_equal(api_rate_take(key, 10, 100.0 + i), 0);
	}
	assert_int_equal(api_rate_take("many-24999", 10, 25099.0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),          cmocka_unit_test(test_bearer_length),
		cmocka_unit_test(test_token_hash),      cmocka_unit_test(test_ability_known),
		cmocka_unit_test(test_role_abilities),  cmocka_unit_test(test_role_abilities_known),
		cmocka_unit_test(test_abilities_grant), cmocka_unit_test(test_token_new),
		cmocka_unit_test(test_rate_limit),      cmocka_unit_test(test_rate_limit_many),
	};

	return cmocka_run_group_tests_name("api_auth", tests, NULL, NULL);
}
