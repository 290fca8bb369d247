/*
 * The RouterOS value formats the provisioner reads: durations, byte
 * counts, booleans, versions; and durations written back.  One table per
 * format, one row per rule.
 */
#include "routeros/provision.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;
	bool ok;
	uint64_t secs;
} durations[] = {
	{"1w2d3h4m5s", true, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5},
	{"45s", true, 45},
	{"1h30m", true, 5400},
	{"2d03:04:05", true, 2 * 86400 + 3 * 3600 + 4 * 60 + 5},
	{"0w0d00:00:07", true, 7}, /* what RouterOS 6 prints for uptime */
	{"00:10:00", true, 600},
	{"100:00:00", true, 360000}, /* hours past a day in clock form */
	{"00:00:05.250", true, 5},   /* fractions dropped */
	{"1500ms", true, 1},
	{"1s500ms", true, 1},
	{"90", true, 90}, /* a bare number is seconds */
	{"0s", true, 0},
	{"", true, 0},
	{"none", true, 0},
	{"3w", true, 3 * 604800},
	{"1d", true, 86400},
	{"5m", true, 300},
	{"x", false, 0},
	{"1x", false, 0},
	{"1h1h", false, 0},  /* a unit twice */
	{"1s1h", false, 0},  /* units out of order */
	{"h", false, 0},     /* no number */
	{"1h 2m", false, 0}, /* no spaces */
	{"00:60:00", false, 0},
	{"00:00:60", false, 0},
	{"1:2:3", false, 0}, /* minutes and seconds take two digits */
	{"00:00", false, 0},
	{"00:00:00x", false, 0},
	{"1d00:00:00s", false, 0},
	{"-5s", false, 0},
	{"9999999999999s", false, 0}, /* more digits than a sum can take */
	{"1w2d3h4m5s6", false, 0},
};

static void test_durations(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(durations); i++) {
		uint64_t secs = 12345;
		bool ok = ros_parse_duration(durations[i].in, &secs);

		if (ok != durations[i].ok)
			fail_msg("row %zu \"%s\": ok %d, want %d", i, durations[i].in, ok,
				 durations[i].ok);
		if (ok && secs != durations[i].secs)
			fail_msg("row %zu \"%s\": %llu, want %llu", i, durations[i].in,
				 (unsigned long long)secs, (unsigned long long)durations[i].secs);
		if (!ok && secs != 12345)
			fail_msg("row %zu \"%s\": output touched on failure", i, durations[i].in);
	}
}

static const struct {
	const char *in;
	bool ok;
	uint64_t bytes;
} byte_counts[] = {
	{"134217728", true, 134217728},
	{"0", true, 0},
	{"2048B", true, 2048},
	{"512KiB", true, 512 * 1024},
	{"128.0MiB", true, 128ull << 20},
	{"1.5GiB", true, 3ull << 29},
	{"1TiB", true, 1ull << 40},
	{"", false, 0},
	{"MiB", false, 0},
	{"12 MiB", false, 0},
	{"12MB", false, 0},
	{"1.MiB", false, 0},
	{"-1", false, 0},
	{"1.1234567KiB", false, 0}, /* past six decimals */
};

static void test_bytes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(byte_counts); i++) {
		uint64_t b = 7;
		bool ok = ros_parse_bytes(byte_counts[i].in, &b);

		if (ok != byte_counts[i].ok || (ok && b != byte_counts[i].bytes))
			fail_msg("row %zu \"%s\": ok %d value %llu", i, byte_counts[i].in, ok,
				 (unsigned long long)b);
	}
}

static const struct {
	const char *in;
	bool ok, value;
} bools[] = {
	{"yes", true, true}, {"true", true, true},  {"no", true, false}, {"false", true, false},
	{"", false, false},  {"Yes", false, false}, {"1", false, false},
};

static void test_bools(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(bools); i++) {
		bool v = !bools[i].value, ok = ros_parse_bool(bools[i].in, &v);

		if (ok != bools[i].ok || (ok && v != bools[i].value))
			fail_msg("row %zu \"%s\"", i, bools[i].in);
	}
	assert_false(ros_parse_bool(NULL, &(bool){false}));
}

static const struct {
	const char *in;
	bool ok;
	int major, minor, patch;
} versions[] = {
	{"7.18.2 (stable)", true, 7, 18, 2},
	{"6.42.12 (long-term)", true, 6, 42, 12},
	{"7.19rc1 (testing)", true, 7, 19, 0},
	{"7.15", true, 7, 15, 0},
	{"7", true, 7, 0, 0},
	{"", false, 0, 0, 0},
	{"v7.1", false, 0, 0, 0},
	{"7.", false, 0, 0, 0},
	{"7.1-x", false, 0, 0, 0},
};

static void test_versions(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(versions); i++) {
		int a = -1, b = -1, c = -1;
		bool ok = ros_parse_version(versions[i].in, &a, &b, &c);

		if (ok != versions[i].ok)
			fail_msg("row %zu \"%s\": ok %d", i, versions[i].in, ok);
		if (ok &&
		    (a != versions[i].major || b != versions[i].minor || c != versions[i].patch))
			fail_msg("row %zu \"%s\": %d.%d.%d", i, versions[i].in, a, b, c);
	}
}

static const struct {
	uint64_t secs;
	const char *out;
} formats[] = {
	{0, "0s"},       {59, "59s"},   {60, "1m"},     {3600, "1h"},
	{5400, "1h30m"}, {86400, "1d"}, {604800, "1w"}, {694861, "1w1d1h1m1s"},
};

static void test_format(void **state)
{
	char buf[48], tiny[4];
	size_t i;

	(void)state;
	for (i = 0; i < N(formats); i++) {
		uint64_t back = 0;

		assert_string_equal(ros_format_duration(formats[i].secs, buf, sizeof(buf)),
				    formats[i].out);
		/* What we write, we read back. */
		assert_true(ros_parse_duration(buf, &back));
		assert_int_equal(back, formats[i].secs);
	}
	/* A short buffer is cut, never overrun. */
	ros_format_duration(694861, tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations), cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bools),     cmocka_unit_test(test_versions),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
