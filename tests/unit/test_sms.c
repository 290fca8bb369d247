/*
 * api/sms.c without a network: the template renderer (placeholders,
 * optional sections, overflow), the masking of phone numbers and digit
 * runs, and the outcomes sms_send decides before any request (the log
 * driver; a driver whose keys are missing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/sms.h"

static const sms_var vars[] = {
	{"code", "K7MPQ2XR9T"},   {"password", "483926"}, {"empty", ""},
	{"profile", "1GB-DAILY"}, {"null", NULL},
};

static const struct {
	const char *tmpl;
	int sections;
	const char *want; /* NULL: does not fit */
	size_t len;       /* of the output buffer */
} render_cases[] = {
	{"Code: {code}", 1, "Code: K7MPQ2XR9T", 64},
	{"{code}{password}", 1, "K7MPQ2XR9T483926", 64},
	{"[ Password: {password}].", 1, " Password: 483926.", 64},
	{"Code[ Password: {empty}].", 1, "Code.", 64},
	{"Code[ Password: {null}].", 1, "Code.", 64},
	{"[{profile}: ][{empty}]end", 1, "1GB-DAILY: end", 64},
	{"[{code} {empty}] and [{code}]", 1, " and K7MPQ2XR9T", 64},
	{"{unknown} {code", 1, "{unknown} {code", 64},
	{"[ unclosed {code}", 1, " unclosed K7MPQ2XR9T", 64},
	{"a ] b", 1, "a ] b", 64},
	{"[{code}]", 0, "[K7MPQ2XR9T]", 64},
	{"{\"to\":[\"{code}\"]}", 0, "{\"to\":[\"K7MPQ2XR9T\"]}", 64},
	{"", 1, "", 64},
	{"{code}", 1, "K7MPQ2XR9T", 11},
	{"{code}", 1, NULL, 10},
	{"0123456789", 1, NULL, 10},
};

static void test_render(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof render_cases / sizeof render_cases[0]; i++) {
		char out[64];
		int n = sms_render(render_cases[i].tmpl, vars, sizeof vars / sizeof vars[0],
				   render_cases[i].sections, out, render_cases[i].len);

		if (render_cases[i].want) {
			assert_int_equal(n, (int)strlen(render_cases[i].want));
			assert_string_equal(out, render_cases[i].want);
		} else {
			assert_int_equal(n, -1);
			assert_string_equal(out, "");
		}
	}
}

static const struct {
	const char *in, *want;
} mask_cases[] = {
	{"+256700123456", "+256******456"},
	{"256700123456", "2567*****456"},
	{"+15005550006", "+150*****006"},
	{"12345678", "********"},
	{"", ""},
};

static void test_mask_phone(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof mask_cases / sizeof mask_cases[0]; i++) {
		char out[64];

		sms_mask_phone(mask_cases[i].in, out, sizeof out);
		assert_string_equal(out, mask_cases[i].want);
	}
	{
		char small[6];

		sms_mask_phone("+256700123456", small, sizeof small);
		assert_string_equal(small, "+256*");
	}
}

static const struct {
	const char *in, *want;
} scrub_cases[] = {
	{"The 'To' number +256700111222 is invalid", "The 'To' number +256******222 is invalid"},
	{"code 21211, status 400", "code 21211, status 400"},
	{"123456", "123456"},
	{"1234567", "123*567"},
	{"a 0700111222 b 0700333444", "a 070****222 b 070****444"},
	{"", ""},
};

static void test_scrub(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof scrub_cases / sizeof scrub_cases[0]; i++) {
		char buf[128];

		strcpy(buf, scrub_cases[i].in);
		sms_scrub_digits(buf);
		assert_string_equal(buf, scrub_cases[i].want);
	}
}

/* A configuration with every string set, as hs_cfg_load leaves it. */
static hs_config base_cfg(int driver)
{
	hs_config c;

	memset(&c, 0, sizeof c);
	c.sms_driver = driver;
	c.sms_timeout = 1;
	c.sms_from = "";
	c.twilio_sid = "";
	c.twilio_token = "";
	c.twilio_base_url = "http://127.0.0.1:9";
	c.africastalking_username = "";
	c.africastalking_api_key = "";
	c.africastalking_base_url = "http://127.0.0.1:9";
	c.sms_http_url = "";
	c.sms_http_content_type = "application/json";
	c.sms_http_body = "{}";
	c.sms_http_auth_header = "";
	c.sms_http_id_field = "";
	return c;
}

static void test_send_log(void **state)
{
	hs_config c = base_cfg(HS_SMS_LOG);
	sms_result r;

	(void)state;
	sms_send(&c, "+256700123456", "Code: X Password: 483926.", "483926", &r);
	assert_int_equal(r.outcome, SMS_SENT);
	assert_string_equal(r.provider_ref, "log");
	assert_string_equal(r.error, "");
	assert_string_equal(sms_driver_name(&c), "log");
}

/* A driver whose keys are missing sends nothing and says so: temporary. */
static void test_send_missing_keys(void **state)
{
	static const struct {
		int driver;
		const char *name, *error;
	} cases[] = {
		{HS_SMS_TWILIO, "twilio",
		 "SMS_DRIVER=twilio needs TWILIO_SID, TWILIO_TOKEN and SMS_FROM"},
		{HS_SMS_AFRICASTALKING, "africastalking",
		 "SMS_DRIVER=africastalking needs AFRICASTALKING_USERNAME and "
		 "AFRICASTALKING_API_KEY"},
		{HS_SMS_HTTP, "http",
		 "SMS_DRIVER=http needs SMS_HTTP_URL (an http:// or https:// URL)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		hs_config c = base_cfg(cases[i].driver);
		sms_result r;

		sms_send(&c, "+256700123456", "text", NULL, &r);
		assert_int_equal(r.outcome, SMS_TEMPORARY);
		assert_string_equal(r.error, cases[i].error);
		assert_string_equal(r.provider_ref, "");
		assert_string_equal(sms_driver_name(&c), cases[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_mask_phone),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_send_log),
		cmocka_unit_test(test_send_missing_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
