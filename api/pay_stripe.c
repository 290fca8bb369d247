/*
 * The Stripe driver: Checkout Sessions (POST /v1/checkout/sessions,
 * form-encoded, Bearer secret key), webhooks signed in the Stripe-Signature
 * header (t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload" under the
 * endpoint's secret>, several v1 allowed), the session's status
 * (GET /v1/checkout/sessions/{id}) and refunds (POST /v1/refunds).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "api/pay.h"

#define FORM_MAX 8192
#define SIG_MAX  2048

/* Appends "&key=<escaped value>" to form (size FORM_MAX); false when it does not fit. */
static bool form_add(char *form, const char *key, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	size_t n = strlen(form);
	int w;

	if (!esc)
		return false;
	w = snprintf(form + n, FORM_MAX - n, "%s%s=%s", n ? "&" : "", key, esc);
	curl_free(esc);
	return w > 0 && (size_t)w < FORM_MAX - n;
}

static void lower3(char out[4], const char *cur)
{
	for (int i = 0; i < 3; i++)
		out[i] = (char)tolower((unsigned char)cur[i]);
	out[3] = '\0';
}

/* The message of a Stripe error answer, or the status. */
static void answer_error(const pay_http_res *a, char *err, size_t errlen)
{
	json_t *j = a->body ? json_loads(a->body, 0, NULL) : NULL;
	const char *msg =
		json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	snprintf(err, errlen, "stripe answered %ld%s%.200s", a->status, msg ? ": " : "",
		 msg ? msg : "");
	json_decref(j);
}

static bool checkout_form(const pay_checkout_req *rq, char *form)
{
	char cur[4], amount[24];

	lower3(cur, rq->currency);
	snprintf(amount, sizeof amount, "%lld", rq->amount_minor);
	form[0] = '\0';
	return form_add(form, "mode", "payment") &&
	       form_add(form, "line_items[0][quantity]", "1") &&
	       form_add(form, "line_items[0][price_data][currency]", cur) &&
	       form_add(form, "line_items[0][price_data][unit_amount]", amount) &&
	       form_add(form, "line_items[0][price_data][product_data][name]", rq->description) &&
	       form_add(form, "client_reference_id", rq->payment_id) &&
	       form_add(form, "metadata[payment_id]", rq->payment_id) &&
	       form_add(form, "payment_intent_data[metadata][payment_id]", rq->payment_id) &&
	       form_add(form, "success_url", rq->success_url) &&
	       form_add(form, "cancel_url", rq->cancel_url);
}

static pay_result stripe_checkout(const hs_config *cfg, const pay_checkout_req *rq,
				  pay_checkout_res *res, char *err, size_t errlen)
{
	char url[600], *form = malloc(FORM_MAX);
	pay_http_res a = {0};
	pay_result r = PAY_REFUSED;
	json_t *j = NULL;

	memset(res, 0, sizeof *res);
	if (!cfg->stripe_secret_key[0]) {
		snprintf(err, errlen, "STRIPE_SECRET_KEY is not set");
		r = PAY_CONFIG;
		goto out;
	}
	if (!form || !checkout_form(rq, form)) {
		snprintf(err, errlen, "the checkout request does not fit");
		goto out;
	}
	snprintf(url, sizeof url, "%s/v1/checkout/sessions", cfg->stripe_api_base);
	r = pay__http(cfg, "POST", url, cfg->stripe_secret_key, "application/x-www-form-urlencoded",
		      form, rq->payment_id, &a, err, errlen);
	if (r != PAY_OK)
		goto out;
	if ((r = pay__status_class(a.status)) != PAY_OK) {
		answer_error(&a, err, errlen);
		goto out;
	}
	j = json_loads(a.body ? a.body : "", 0, NULL);
	if (!pay__copy(res->ref, sizeof res->ref, json_string_value(json_object_get(j, "id"))) ||
	    !pay__copy(res->url, sizeof res->url, json_string_value(json_object_get(j, "url"))) ||
	    strncmp(res->url, "https://", 8) != 0) {
		snprintf(err, errlen, "stripe's answer has no session id or https url");
		r = PAY_REFUSED;
	}
out:
	json_decref(j);
	free(a.body);
	free(form);
	return r;
}

/*
 * Checks sig (the Stripe-Signature value) against body: a t= element
 * within tolerance of now and one v1= element equal to the HMAC.
 */
static pay_wh_result signature_check(const hs_config *cfg, const char *sig, const char *body,
				     size_t len, long long now, char *err, size_t errlen)
{
	char copy[SIG_MAX], want[65], *save = NULL, *msg = NULL;
	const char *t = NULL;
	bool match = false, any = false;
	pay_wh_result r = PAY_WH_BAD_SIGNATURE;
	long long ts;
	size_t tn;

	if (!sig || strlen(sig) >= sizeof copy) {
		snprintf(err, errlen, "missing or oversized Stripe-Signature header");
		return r;
	}
	memcpy(copy, sig, strlen(sig) + 1);
	for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		while (*e == ' ')
			e++;
		if (strncmp(e, "t=", 2) == 0)
			t = e + 2;
	}
	if (!t || strspn(t, "0123456789") != strlen(t) || strlen(t) < 1 || strlen(t) > 12) {
		snprintf(err, errlen, "no timestamp in Stripe-Signature");
		return r;
	}
	ts = atoll(t);
	if (ts < now - cfg->payment_webhook_tolerance ||
	    ts > now + cfg->payment_webhook_tolerance) {
		snprintf(err, errlen, "the signature's timestamp is outside the tolerance");
		return PAY_WH_STALE;
	}
	tn = strlen(t);
	msg = malloc(tn + 1 + len + 1);
	if (!msg) {
		snprintf(err, errlen, "out of memory");
		return PAY_WH_RETRY;
	}
	memcpy(msg, t, tn);
	msg[tn] = '.';
	memcpy(msg + tn + 1, body, len);
	if (pay__hmac_hex(cfg->stripe_webhook_secret, msg, tn + 1 + len, want) != 0) {
		free(msg);
		snprintf(err, errlen, "cannot compute the signature");
		return PAY_WH_RETRY;
	}
	free(msg);
	memcpy(copy, sig, strlen(sig) + 1);
	for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		while (*e == ' ')
			e++;
		if (strncmp(e, "v1=", 3) == 0) {
			any = true;
			match |= pay__equal(e + 3, want);
		}
	}
	explicit_bzero(want, sizeof want);
	if (match)
		return PAY_WH_OK;
	snprintf(err, errlen, any ? "no v1 signature matches" : "no v1 signature in the header");
	return r;
}

/* Upper-cases a 3-letter currency into out; false when it is not one. */
static bool currency_of(const json_t *v, char out[4])
{
	const char *s = json_string_value(v);

	out[0] = '\0';
	if (!s || strlen(s) != 3)
		return false;
	for (int i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)s[i]))
			return false;
		out[i] = (char)toupper((unsigned char)s[i]);
	}
	out[3] = '\0';
	return true;
}

/* Whether obj's member key is the string want. */
static bool member_is(const json_t *obj, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && strcmp(s, want) == 0;
}

/* Our payment id from an object's metadata, "" when it has none. */
static void payment_id_of(const json_t *obj, pay_event *ev)
{
	pay__copy(
		ev->payment_id, sizeof ev->payment_id,
		json_string_value(json_object_get(json_object_get(obj, "metadata"), "payment_id")));
}

/* A Checkout Session object into ev; outcome succeeded once it is paid. */
static bool session_event(const json_t *obj, pay_event *ev)
{
	const json_t *amt = json_object_get(obj, "amount_total");

	payment_id_of(obj, ev);
	if (!pay__copy(ev->ref, sizeof ev->ref, json_string_value(json_object_get(obj, "id"))) ||
	    !json_is_integer(amt) || !currency_of(json_object_get(obj, "currency"), ev->currency))
		return false;
	pay__copy(ev->txn, sizeof ev->txn,
		  json_string_value(json_object_get(obj, "payment_intent")));
	ev->amount_minor = json_integer_value(amt);
	if (member_is(obj, "payment_status", "paid"))
		ev->outcome = "succeeded";
	return true;
}

static pay_wh_result event_parse(const char *body, size_t len, pay_event *ev, char *err,
				 size_t errlen)
{
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *obj = json_object_get(json_object_get(j, "data"), "object");
	const char *type = json_string_value(json_object_get(j, "type"));
	pay_wh_result r = PAY_WH_MALFORMED;

	if (!json_is_object(obj) || !type ||
	    !pay__copy(ev->event_id, sizeof ev->event_id,
		       json_string_value(json_object_get(j, "id")))) {
		snprintf(err, errlen, "not a Stripe event (id, type, data.object)");
		goto out;
	}
	if (strcmp(type, "checkout.session.completed") == 0 ||
	    strcmp(type, "checkout.session.async_payment_succeeded") == 0) {
		if (!session_event(obj, ev)) {
			snprintf(err, errlen, "the session lacks id, amount_total or currency");
			goto out;
		}
	} else if (strcmp(type, "payment_intent.payment_failed") == 0) {
		payment_id_of(obj, ev);
		pay__copy(ev->txn, sizeof ev->txn, json_string_value(json_object_get(obj, "id")));
		if (!ev->txn[0]) {
			snprintf(err, errlen, "the payment intent has no id");
			goto out;
		}
		ev->outcome = "failed";
	} else if (strcmp(type, "charge.refunded") == 0) {
		payment_id_of(obj, ev);
		pay__copy(ev->txn, sizeof ev->txn,
			  json_string_value(json_object_get(obj, "payment_intent")));
		if (!ev->txn[0] && !ev->payment_id[0]) {
			snprintf(err, errlen, "the charge names no payment intent");
			goto out;
		}
		ev->outcome = "refunded";
	}
	r = PAY_WH_OK;
out:
	json_decref(j);
	return r;
}

static pay_wh_result stripe_webhook(const hs_config *cfg, const char *sig, const char *body,
				    size_t len, long long now, pay_event *ev, char *err,
				    size_t errlen)
{
	pay_wh_result r;

	memset(ev, 0, sizeof *ev);
	ev->amount_minor = -1;
	if (!cfg->stripe_webhook_secret[0]) {
		snprintf(err, errlen, "STRIPE_WEBHOOK_SECRET is not set");
		return PAY_WH_CONFIG;
	}
	r = signature_check(cfg, sig, body, len, now, err, errlen);
	if (r != PAY_WH_OK)
		return r;
	return event_parse(body, len, ev, err, errlen);
}

static pay_result stripe_status(const hs_config *cfg, const char *payment_id, const char *ref,
				const char *txn, pay_event *ev, char *err, size_t errlen)
{
	char url[700];
	pay_http_res a = {0};
	pay_result r;
	json_t *j = NULL;

	(void)txn;
	memset(ev, 0, sizeof *ev);
	ev->amount_minor = -1;
	if (!ref || !ref[0] ||
	    strspn(ref, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789_") != strlen(ref)) {
		snprintf(err, errlen, "the payment has no checkout session");
		return PAY_REFUSED;
	}
	snprintf(url, sizeof url, "%s/v1/checkout/sessions/%s", cfg->stripe_api_base, ref);
	r = pay__http(cfg, "GET", url, cfg->stripe_secret_key, NULL, NULL, NULL, &a, err, errlen);
	if (r == PAY_OK && (r = pay__status_class(a.status)) != PAY_OK)
		answer_error(&a, err, errlen);
	if (r != PAY_OK)
		goto out;
	j = json_loads(a.body ? a.body : "", 0, NULL);
	if (!session_event(j, ev) || strcmp(ev->payment_id, payment_id) != 0) {
		snprintf(err, errlen, "stripe's session does not match the payment");
		r = PAY_REFUSED;
		goto out;
	}
	snprintf(ev->event_id, sizeof ev->event_id, "check:%s", ev->ref);
	if (member_is(j, "status", "expired"))
		ev->outcome = "failed";
out:
	json_decref(j);
	free(a.body);
	return r;
}

static pay_result stripe_refund(const hs_config *cfg, const char *txn, long long amount_minor,
				char refund_ref[PAY_REF_MAX], char *err, size_t errlen)
{
	char url[600], form[FORM_MAX] = "", amount[24], idem[PAY_REF_MAX + 8];
	pay_http_res a = {0};
	pay_result r = PAY_REFUSED;
	json_t *j = NULL;

	refund_ref[0] = '\0';
	snprintf(amount, sizeof amount, "%lld", amount_minor);
	if (!txn || !txn[0] || !form_add(form, "payment_intent", txn) ||
	    !form_add(form, "amount", amount)) {
		snprintf(err, errlen, "the payment has no Stripe payment intent");
		return r;
	}
	snprintf(url, sizeof url, "%s/v1/refunds", cfg->stripe_api_base);
	snprintf(idem, sizeof idem, "refund-%s", txn);
	r = pay__http(cfg, "POST", url, cfg->stripe_secret_key, "application/x-www-form-urlencoded",
		      form, idem, &a, err, errlen);
	if (r == PAY_OK && (r = pay__status_class(a.status)) != PAY_OK)
		answer_error(&a, err, errlen);
	if (r != PAY_OK)
		goto out;
	j = json_loads(a.body ? a.body : "", 0, NULL);
	if (!pay__copy(refund_ref, PAY_REF_MAX, json_string_value(json_object_get(j, "id")))) {
		snprintf(err, errlen, "stripe's refund answer has no id");
		r = PAY_REFUSED;
	}
out:
	json_decref(j);
	free(a.body);
	return r;
}

const pay_driver pay_stripe = {
	.name = "stripe",
	.sig_header = "Stripe-Signature",
	.checkout = stripe_checkout,
	.webhook = stripe_webhook,
	.status = stripe_status,
	.refund = stripe_refund,
};
