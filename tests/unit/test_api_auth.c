/* API auth: the Authorization header's bearer token and the token's digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_bearer_length),
		cmocka_unit_test(test_token_hash),
	};

	return cmocka_run_group_tests_name("api_auth", tests, NULL, NULL);
}
