/*
 * rlm_hotspot's pure logic: 64-bit counters and their split into
 * Mikrotik-Total-Limit and -Gigawords, 32-bit timeouts, array literals,
 * UTC times, reject reasons, the spool's record format (round trip, torn
 * and damaged lines), and the per-device failure table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "radiusd-module/hs_logic.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_octets(void **state)
{
	static struct {
		uint64_t bytes;
		uint32_t low, giga;
	} const rows[] = {
		{0, 0, 0},
		{1, 1, 0},
		{4294967295u, 4294967295u, 0},
		{4294967296u, 0, 1},
		{5ull * 1073741824u, 1073741824u, 1},
		{6ull * 1073741824u + 1000, 2147484648u, 1},
		{UINT64_MAX, UINT32_MAX, UINT32_MAX},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(rows); i++) {
		uint32_t low, giga;

		hs_split_octets(rows[i].bytes, &low, &giga);
		assert_int_equal(low, rows[i].low);
		assert_int_equal(giga, rows[i].giga);
		assert_true(hs_octets64(low, giga) == rows[i].bytes);
	}
}

static void test_seconds32(void **state)
{
	(void)state;
	assert_int_equal(hs_seconds32(-5), 1);
	assert_int_equal(hs_seconds32(0), 1);
	assert_int_equal(hs_seconds32(3600), 3600);
	assert_int_equal(hs_seconds32(4294967295LL), UINT32_MAX);
	assert_int_equal(hs_seconds32(99999999999LL), UINT32_MAX);
}

static void test_pgarr(void **state)
{
	hs_buf b;

	(void)state;
	hs_buf_init(&b, 1024);
	hs_pgarr_open(&b);
	hs_pgarr_add(&b, "plain");
	hs_pgarr_add(&b, NULL);
	hs_pgarr_add(&b, "q\"uo\\te,{}");
	hs_pgarr_add(&b, "");
	hs_pgarr_close(&b);
	assert_false(b.failed);
	assert_string_equal(b.data, "{\"plain\",NULL,\"q\\\"uo\\\\te,{}\",\"\"}");
	hs_buf_free(&b);

	/* The cap holds: a failed buffer stays failed and empty. */
	hs_buf_init(&b, 8);
	hs_pgarr_open(&b);
	hs_pgarr_add(&b, "0123456789");
	hs_pgarr_close(&b);
	assert_true(b.failed);
	assert_null(b.data);
	assert_int_equal(hs_buf_puts(&b, "x"), -1);
	hs_buf_free(&b);
}

static void test_format_utc(void **state)
{
	char out[48];

	(void)state;
	assert_int_equal(hs_format_utc(out, sizeof(out), 0, 0), 29);
	assert_string_equal(out, "1970-01-01 00:00:00.000000+00");
	assert_true(hs_format_utc(out, sizeof(out), 1795540800, 123456) > 0);
	assert_string_equal(out, "2026-11-24 17:20:00.123456+00");
	assert_int_equal(hs_format_utc(out, sizeof(out), 0, 1000000), -1);
	assert_int_equal(hs_format_utc(out, 10, 0, 0), -1);
	assert_int_equal(hs_format_utc(out, 29, 0, 0), -1); /* no room for the NUL */
	assert_int_equal(hs_format_utc(out, 30, 4102444799, 999999), 29);
	assert_string_equal(out, "2099-12-31 23:59:59.999999+00");
	/* Years past 9999 still come out whole (five digits). */
	assert_int_equal(hs_format_utc(out, sizeof(out), 253402300800, 7), 30);
	assert_string_equal(out, "10000-01-01 00:00:00.000007+00");
}

static void test_u64_text(void **state)
{
	char out[24];

	(void)state;
	assert_int_equal(hs_u64_text(out, sizeof(out), 0), 1);
	assert_string_equal(out, "0");
	assert_int_equal(hs_u64_text(out, sizeof(out), 4818692101u), 10);
	assert_string_equal(out, "4818692101");
	assert_int_equal(hs_u64_text(out, sizeof(out), UINT64_MAX), 20);
	assert_string_equal(out, "18446744073709551615");
	assert_int_equal(hs_u64_text(out, 20, UINT64_MAX), -1); /* no room for the NUL */
}

/* Two hex digits, their letters in the case asked for. */
static void test_hex_byte(void **state)
{
	(void)state;
	assert_int_equal(hs_hex_byte("0A", true), 10);
	assert_int_equal(hs_hex_byte("ff", false), 255);
	assert_int_equal(hs_hex_byte("7F", true), 127);
	assert_int_equal(hs_hex_byte("0a", true), -1);
	assert_int_equal(hs_hex_byte("FF", false), -1);
	assert_int_equal(hs_hex_byte("g0", false), -1);
	assert_int_equal(hs_hex_byte("0G", true), -1);
	assert_int_equal(hs_hex_byte("1", false), -1);
	assert_int_equal(hs_hex_byte("", true), -1);
}

static void test_reasons(void **state)
{
	(void)state;
	assert_int_equal(hs_reason_value("no_voucher"), 2);
	assert_int_equal(hs_reason_value("expired"), 5);
	assert_int_equal(hs_reason_value("max_sessions"), 8);
	assert_int_equal(hs_reason_value("too_many_failures"), 15);
	assert_int_equal(hs_reason_value("something_else"), 0);
	assert_int_equal(hs_reason_value(NULL), 0);
	assert_true(hs_reason_is_guess("bad_password"));
	assert_true(hs_reason_is_guess("no_voucher"));
	assert_false(hs_reason_is_guess("expired"));
	assert_false(hs_reason_is_guess("max_sessions"));
}

static hs_acct_rec sample_rec(void)
{
	hs_acct_rec r;

	memset(&r, 0, sizeof(r));
	strcpy(r.nas, "10.0.0.1");
	r.status = 3;
	strcpy(r.uid, "0123abcd");
	strcpy(r.sid, "81a00001");
	strcpy(r.user, "CODE-with\ttab %and\nnewline-");
	strcpy(r.mac, "AA:BB:CC:DD:EE:FF");
	strcpy(r.cause, "User-Request");
	r.in_octets = 6ull * 1073741824u + 17;
	r.out_octets = 0;
	r.session_time = 3601;
	r.at_sec = 1795540800;
	r.at_usec = 42;
	r.present = HS_F_UID | HS_F_SID | HS_F_USER | HS_F_MAC | HS_F_CAUSE | HS_F_IN | HS_F_OUT |
		    HS_F_TIME;
	return r;
}

static void test_spool_roundtrip(void **state)
{
	hs_acct_rec r = sample_rec(), back;
	char line[HS_SPOOL_LINE_MAX];
	int n;

	(void)state;
	n = hs_spool_encode(&r, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	/* One record, one line: tabs and newlines of values are escaped. */
	assert_null(memchr(line, '\n', (size_t)n - 1));
	assert_int_equal(hs_spool_decode(line, (size_t)n - 1, &back), 0);
	assert_string_equal(back.nas, r.nas);
	assert_int_equal(back.status, r.status);
	assert_string_equal(back.uid, r.uid);
	assert_string_equal(back.user, r.user);
	assert_string_equal(back.mac, r.mac);
	assert_string_equal(back.cause, r.cause);
	assert_true(back.in_octets == r.in_octets);
	assert_true(back.session_time == r.session_time);
	assert_true(back.at_sec == r.at_sec);
	assert_int_equal(back.at_usec, r.at_usec);
	assert_int_equal(back.present, r.present);
	assert_false(back.present & HS_F_FRAMED);
}

static void test_spool_damage(void **state)
{
	hs_acct_rec r = sample_rec(), back;
	char line[HS_SPOOL_LINE_MAX];
	int n, cut;

	(void)state;
	n = hs_spool_encode(&r, line, sizeof(line));
	assert_true(n > 0);
	/* Every torn prefix is refused. */
	for (cut = 0; cut < n - 1; cut++)
		assert_int_equal(hs_spool_decode(line, (size_t)cut, &back), -1);
	/* So is any flipped byte. */
	line[10] ^= 0x01;
	assert_int_equal(hs_spool_decode(line, (size_t)n - 1, &back), -1);
	assert_int_equal(hs_spool_decode("H2\t1\t0.0", 8, &back), -1);
	/* A line too small for the buffer is not written. */
	assert_int_equal(hs_spool_encode(&r, line, 16), -1);
}

static void test_throttle(void **state)
{
	hs_throttle *t = hs_throttle_create(64, 5, 60, 60);
	int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 4; i++)
		assert_false(hs_throttle_fail(t, "AA", 1000));
	assert_int_equal(hs_throttle_blocked(t, "AA", 1000), 0);
	assert_true(hs_throttle_fail(t, "AA", 1000));
	assert_int_equal(hs_throttle_blocked(t, "AA", 1000), 60);
	assert_int_equal(hs_throttle_blocked(t, "AA", 1059), 1);
	assert_int_equal(hs_throttle_blocked(t, "AA", 1060), 0);
	/* Others are not affected; a device without an id is never blocked. */
	assert_int_equal(hs_throttle_blocked(t, "BB", 1000), 0);
	for (i = 0; i < 10; i++)
		assert_false(hs_throttle_fail(t, "", 1000));
	/* Failures spread out decay: 4 now and 4 two half-lives later stay below 5. */
	for (i = 0; i < 4; i++)
		assert_false(hs_throttle_fail(t, "CC", 2000));
	for (i = 0; i < 3; i++)
		assert_false(hs_throttle_fail(t, "CC", 2120));
	/* Five failures within a few seconds block, although the first decayed a little. */
	assert_false(hs_throttle_fail(t, "EE", 4000));
	for (i = 0; i < 3; i++)
		assert_false(hs_throttle_fail(t, "EE", 4001));
	assert_true(hs_throttle_fail(t, "EE", 4002));
	/* A success forgets the device. */
	for (i = 0; i < 4; i++)
		assert_false(hs_throttle_fail(t, "DD", 3000));
	hs_throttle_clear(t, "DD");
	assert_false(hs_throttle_fail(t, "DD", 3000));
	hs_throttle_free(t);
}

static void test_throttle_bounded(void **state)
{
	hs_throttle *t = hs_throttle_create(64, 2, 60, 60);
	char mac[32];
	int i;

	(void)state;
	assert_non_null(t);
	assert_null(hs_throttle_create(4, 2, 60, 60));
	/* Far more devices than slots: the table keeps working in fixed memory. */
	for (i = 0; i < 10000; i++) {
		snprintf(mac, sizeof(mac), "MAC-%d", i);
		(void)hs_throttle_fail(t, mac, 5000 + i / 100);
	}
	assert_true(hs_throttle_fail(t, "MAC-9999", 5099));
	assert_true(hs_throttle_blocked(t, "MAC-9999", 5099) > 0);
	hs_throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_octets),
		cmocka_unit_test(test_seconds32),
		cmocka_unit_test(test_pgarr),
		cmocka_unit_test(test_format_utc),
		cmocka_unit_test(test_u64_text),
		cmocka_unit_test(test_hex_byte),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_spool_roundtrip),
		cmocka_unit_test(test_spool_damage),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_throttle_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
