/*
 * The payment drivers' checks that need no network (api/pay*.c): Stripe's
 * webhook signature (a known HMAC-SHA256 vector computed outside this code,
 * several v1 values, tolerance on both sides, malformed headers), the
 * parsing of Stripe events into outcomes, Flutterwave's verif-hash, and the
 * constant-time comparison.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/pay.h"

#define NOW 1700000000LL
#define BODY                                                                                       \
	"{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{\"id\":"  \
	"\"cs_1\",\"amount_total\":5000,\"currency\":\"ugx\",\"payment_status\":\"paid\","         \
	"\"payment_intent\":\"pi_1\",\"metadata\":{\"payment_id\":\"10000000-0000-4000-8000-"      \
	"000000000001\"}}}}"
/* HMAC-SHA256("1700000000." BODY) under whsec_test (openssl dgst -sha256 -hmac). */
#define SIG "2d3d82137255221909f1b21e1f0bcf09239ea6ec001d7d5ace53725ae50c468b"

static hs_config cfg_of(void)
{
	hs_config c;

	memset(&c, 0, sizeof c);
	c.stripe_webhook_secret = "whsec_test";
	c.stripe_secret_key = "sk_test";
	c.flutterwave_secret_hash = "flw-hash";
	c.flutterwave_secret_key = "";
	c.payment_webhook_tolerance = 300;
	return c;
}

/* The signature header: every row against the same body at NOW. */
static void test_stripe_signature(void **state)
{
	static const struct {
		const char *header;
		long long now;
		pay_wh_result want;
	} rows[] = {
		{"t=1700000000,v1=" SIG, NOW, PAY_WH_OK},
		{"t=1700000000, v1=" SIG, NOW, PAY_WH_OK},
		{"t=1700000000,v1=00,v1=" SIG, NOW, PAY_WH_OK},      /* one of several */
		{"v1=" SIG ",t=1700000000", NOW, PAY_WH_OK},         /* any order */
		{"t=1700000000,v0=" SIG, NOW, PAY_WH_BAD_SIGNATURE}, /* another scheme */
		{"t=1700000000,v1=" SIG, NOW + 300, PAY_WH_OK},      /* at the tolerance */
		{"t=1700000000,v1=" SIG, NOW + 301, PAY_WH_STALE},
		{"t=1700000000,v1=" SIG, NOW - 301, PAY_WH_STALE},   /* from the future */
		{"t=1700000001,v1=" SIG, NOW, PAY_WH_BAD_SIGNATURE}, /* t is signed */
		{"t=1700000000,v1=" SIG "0", NOW, PAY_WH_BAD_SIGNATURE},
		{"t=1700000000,v1=2D3D82137255221909F1B21E1F0BCF09239EA6EC001D7D5ACE53725AE50C468B",
		 NOW, PAY_WH_BAD_SIGNATURE},
		{"t=abc,v1=" SIG, NOW, PAY_WH_BAD_SIGNATURE},
		{"v1=" SIG, NOW, PAY_WH_BAD_SIGNATURE},
		{"", NOW, PAY_WH_BAD_SIGNATURE},
		{NULL, NOW, PAY_WH_BAD_SIGNATURE},
	};
	hs_config c = cfg_of();
	pay_event ev;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		pay_wh_result r = pay_stripe.webhook(&c, rows[i].header, BODY, strlen(BODY),
						     rows[i].now, &ev, err, sizeof err);

		if (r != rows[i].want)
			fail_msg("row %zu (%s): got %d, want %d (%s)", i,
				 rows[i].header ? rows[i].header : "NULL", r, rows[i].want, err);
	}
	/* A body changed by one byte no longer matches. */
	assert_int_equal(pay_stripe.webhook(&c, "t=1700000000,v1=" SIG, BODY " ", strlen(BODY) + 1,
					    NOW, &ev, err, sizeof err),
			 PAY_WH_BAD_SIGNATURE);
	c.stripe_webhook_secret = "";
	assert_int_equal(pay_stripe.webhook(&c, "t=1700000000,v1=" SIG, BODY, strlen(BODY), NOW,
					    &ev, err, sizeof err),
			 PAY_WH_CONFIG);
}

/* The verified event's fields. */
static void test_stripe_event(void **state)
{
	hs_config c = cfg_of();
	pay_event ev;
	char err[256];

	(void)state;
	assert_int_equal(pay_stripe.webhook(&c, "t=1700000000,v1=" SIG, BODY, strlen(BODY), NOW,
					    &ev, err, sizeof err),
			 PAY_WH_OK);
	assert_string_equal(ev.event_id, "evt_1");
	assert_string_equal(ev.payment_id, "10000000-0000-4000-8000-000000000001");
	assert_string_equal(ev.ref, "cs_1");
	assert_string_equal(ev.txn, "pi_1");
	assert_string_equal(ev.outcome, "succeeded");
	assert_int_equal(ev.amount_minor, 5000);
	assert_string_equal(ev.currency, "UGX");
}

/* Signs body at NOW with whsec_test and runs the webhook; the result. */
static pay_wh_result signed_run(const char *body, pay_event *ev)
{
	hs_config c = cfg_of();
	char msg[2048], hex[65], header[128], err[256];
	int n = snprintf(msg, sizeof msg, "%lld.%s", NOW, body);

	assert_int_equal(pay__hmac_hex("whsec_test", msg, (size_t)n, hex), 0);
	snprintf(header, sizeof header, "t=%lld,v1=%s", NOW, hex);
	return pay_stripe.webhook(&c, header, body, strlen(body), NOW, ev, err, sizeof err);
}

/* Event shapes: what is acted on, what is ignored, what is malformed. */
static void test_stripe_event_shapes(void **state)
{
	static const struct {
		const char *body;
		pay_wh_result want;
		const char *outcome;
	} rows[] = {
		{"{\"id\":\"e\",\"type\":\"payment_intent.payment_failed\",\"data\":{\"object\":"
		 "{\"id\":\"pi_2\",\"metadata\":{\"payment_id\":\"x\"}}}}",
		 PAY_WH_OK, "failed"},
		{"{\"id\":\"e\",\"type\":\"charge.refunded\",\"data\":{\"object\":{\"id\":\"ch\","
		 "\"payment_intent\":\"pi_2\"}}}",
		 PAY_WH_OK, "refunded"},
		{"{\"id\":\"e\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{"
		 "\"id\":"
		 "\"cs\",\"amount_total\":5,\"currency\":\"usd\",\"payment_status\":\"unpaid\"}}}",
		 PAY_WH_OK, NULL},
		{"{\"id\":\"e\",\"type\":\"customer.created\",\"data\":{\"object\":{}}}", PAY_WH_OK,
		 NULL},
		{"{\"id\":\"e\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{"
		 "\"id\":"
		 "\"cs\",\"amount_total\":\"5\",\"currency\":\"usd\"}}}",
		 PAY_WH_MALFORMED, NULL},
		{"{\"id\":\"e\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":{"
		 "\"id\":"
		 "\"cs\",\"amount_total\":5,\"currency\":\"us\"}}}",
		 PAY_WH_MALFORMED, NULL},
		{"{\"id\":\"e\",\"type\":\"charge.refunded\",\"data\":{\"object\":{\"id\":\"ch\"}}"
		 "}",
		 PAY_WH_MALFORMED, NULL},
		{"{\"id\":\"e\",\"id\":\"f\",\"type\":\"x\",\"data\":{\"object\":{}}}",
		 PAY_WH_MALFORMED, NULL},
		{"{\"type\":\"x\",\"data\":{\"object\":{}}}", PAY_WH_MALFORMED, NULL},
		{"[1,2]", PAY_WH_MALFORMED, NULL},
		{"", PAY_WH_MALFORMED, NULL},
	};
	pay_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		pay_wh_result r = signed_run(rows[i].body, &ev);

		if (r != rows[i].want)
			fail_msg("row %zu: got %d, want %d", i, r, rows[i].want);
		if (r == PAY_WH_OK &&
		    (rows[i].outcome ? !ev.outcome || strcmp(ev.outcome, rows[i].outcome)
				     : ev.outcome != NULL))
			fail_msg("row %zu: outcome %s", i, ev.outcome ? ev.outcome : "NULL");
	}
}

/* Flutterwave's verif-hash is checked before anything else is read. */
static void test_flutterwave_hash(void **state)
{
	hs_config c = cfg_of();
	pay_event ev;
	char err[256];
	const char *body = "{\"data\":{\"id\":1,\"tx_ref\":\"x\"}}";

	(void)state;
	c.flutterwave_secret_key = "FLWSECK";
	assert_int_equal(
		pay_flutterwave.webhook(&c, "wrong", body, strlen(body), NOW, &ev, err, sizeof err),
		PAY_WH_BAD_SIGNATURE);
	assert_int_equal(
		pay_flutterwave.webhook(&c, NULL, body, strlen(body), NOW, &ev, err, sizeof err),
		PAY_WH_BAD_SIGNATURE);
	assert_int_equal(pay_flutterwave.webhook(&c, "flw-has", body, strlen(body), NOW, &ev, err,
						 sizeof err),
			 PAY_WH_BAD_SIGNATURE);
	assert_int_equal(
		pay_flutterwave.webhook(&c, "flw-hash", "{}", 2, NOW, &ev, err, sizeof err),
		PAY_WH_MALFORMED);
	c.flutterwave_secret_hash = "";
	assert_int_equal(
		pay_flutterwave.webhook(&c, "", body, strlen(body), NOW, &ev, err, sizeof err),
		PAY_WH_CONFIG);
}

static void test_equal(void **state)
{
	(void)state;
	assert_true(pay__equal("abc", "abc"));
	assert_true(pay__equal("", ""));
	assert_false(pay__equal("abc", "abd"));
	assert_false(pay__equal("abc", "ab"));
	assert_false(pay__equal("ab", "abc"));
	assert_null(pay_driver_find("paypal"));
	assert_ptr_equal(pay_driver_find("stripe"), &pay_stripe);
	assert_ptr_equal(pay_driver_find("flutterwave"), &pay_flutterwave);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stripe_signature),
		cmocka_unit_test(test_stripe_event),
		cmocka_unit_test(test_stripe_event_shapes),
		cmocka_unit_test(test_flutterwave_hash),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
