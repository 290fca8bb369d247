/* common/text.c: the UTF-8 check every text stored in PostgreSQL passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "common/text.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * What the check takes and refuses (rlm_hotspot refuses a User-Name or
 * password that fails it; hotspotd every text field it stores).
 */
static void test_utf8(void **state)
{
	static struct {
		char const *s;
		bool ok;
	} const rows[] =
		{
			{"ABC-23456", true},         {"caf\xc3\xa9", true},
			{"\xe2\x82\xac 5", true},    {"\xf0\x9f\x98\x80", true},
			{"\x93\x12garbage", false}, /* a password decrypted with the wrong secret */
			{"\xc0\xaf", false},        /* overlong */
			{"\xed\xa0\x80", false},    /* surrogate */
			{"\xf4\x90\x80\x80", false}, {"\xe2\x82", false}, /* cut short */
		};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(rows); i++)
		assert_int_equal(hs_utf8_text(rows[i].s, strlen(rows[i].s)), rows[i].ok);
	assert_false(hs_utf8_text("a\0b", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
