/* Logging: the line format, sanitizing, truncation and level filtering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <string.h>

#include "common/log.h"

__attribute__((format(printf, 4, 5))) static size_t fmt(char *buf, size_t len, hs_log_level level,
							const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = hs_log_format(buf, len, level, f, ap);
	va_end(ap);
	return n;
}

static void assert_matches(const char *text, const char *ere)
{
	regex_t re;
	int rc;

	assert_int_equal(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("\"%s\" does not match %s", text, ere);
}

static void test_line_format(void **state)
{
	char buf[256];
	size_t n;

	(void)state;
	n = fmt(buf, sizeof(buf), HS_LOG_WARN, "pool %d of %s", 3, "api");
	assert_int_equal(n, strlen(buf));
	assert_matches(buf, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
			    "warn pool 3 of api\n$");
}

static void test_levels_named(void **state)
{
	static const struct {
		hs_log_level level;
		const char *name;
	} rows[] = {{HS_LOG_DEBUG, "debug"},
		    {HS_LOG_INFO, "info"},
		    {HS_LOG_WARN, "warn"},
		    {HS_LOG_ERROR, "error"},
		    {(hs_log_level)42, "?"}};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_string_equal(hs_log_level_name(rows[i].level), rows[i].name);
}

/* A newline from outside (a request path) must not start a forged line. */
static void test_control_characters_replaced(void **state)
{
	char buf[256];

	(void)state;
	fmt(buf, sizeof(buf), HS_LOG_INFO, "GET %s", "/a\n2024-01-01T00:00:00.000Z error x\x1b");
	assert_non_null(strstr(buf, "GET /a?2024-01-01T00:00:00.000Z error x?\n"));
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

static void test_truncated_line_still_ends(void **state)
{
	char buf[40];
	size_t n;

	(void)state;
	n = fmt(buf, sizeof(buf), HS_LOG_INFO, "%s", "a message far longer than the buffer is");
	assert_int_equal(n, sizeof(buf) - 1);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(buf[n], '\0');
}

static void test_buffer_too_small(void **state)
{
	char buf[8];
	size_t n;

	(void)state;
	/* no room for the timestamp: what fits is still one whole line */
	n = fmt(buf, sizeof(buf), HS_LOG_INFO, "x");
	assert_true(n > 0 && n < sizeof(buf));
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(fmt(buf, 4, HS_LOG_INFO, "x"), 0);
	assert_int_equal(fmt(buf, 1, HS_LOG_INFO, "x"), 0);
}

static void test_level_filter(void **state)
{
	(void)state;
	hs_log_set_level(HS_LOG_WARN);
	assert_false(hs_log_enabled(HS_LOG_DEBUG));
	assert_false(hs_log_enabled(HS_LOG_INFO));
	assert_true(hs_log_enabled(HS_LOG_WARN));
	assert_true(hs_log_enabled(HS_LOG_ERROR));
	hs_log_set_level(HS_LOG_INFO);
	assert_true(hs_log_enabled(HS_LOG_INFO));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_levels_named),
		cmocka_unit_test(test_control_characters_replaced),
		cmocka_unit_test(test_truncated_line_still_ends),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_level_filter),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
