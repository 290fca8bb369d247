/*
 * The Flutterwave driver (mobile money, Uganda): a charge
 * (POST /v3/charges?type=mobile_money_uganda, JSON, Bearer secret key,
 * tx_ref = our payment id) that the payer approves on the phone; webhooks
 * that carry the secret hash in the verif-hash header and are never trusted
 * alone: every one is re-verified with GET /v3/transactions/{id}/verify
 * (amount, currency and tx_ref must match); the status of a payment whose
 * webhook never came (GET /v3/transactions/verify_by_reference?tx_ref=);
 * refunds (POST /v3/transactions/{id}/refund).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/pay.h"

/* Whether obj's member key is the string want. */
static bool member_is(const json_t *obj, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && strcmp(s, want) == 0;
}

static void answer_error(const pay_http_res *a, char *err, size_t errlen)
{
	json_t *j = a->body ? json_loads(a->body, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "message"));

	snprintf(err, errlen, "flutterwave answered %ld%s%.200s", a->status, msg ? ": " : "",
		 msg ? msg : "");
	json_decref(j);
}

/*
 * One call whose answer is {"status":"success", "data":{...}}: *data gets
 * the parsed answer (caller frees) on OK.
 */
static pay_result call(const hs_config *cfg, const char *method, const char *url, const char *body,
		       const char *idem, json_t **data, char *err, size_t errlen)
{
	pay_http_res a = {0};
	pay_result r;
	json_t *j = NULL;

	*data = NULL;
	if (!cfg->flutterwave_secret_key[0]) {
		snprintf(err, errlen, "FLUTTERWAVE_SECRET_KEY is not set");
		return PAY_CONFIG;
	}
	r = pay__http(cfg, method, url, cfg->flutterwave_secret_key,
		      body ? "application/json" : NULL, body, idem, &a, err, errlen);
	if (r == PAY_OK && (r = pay__status_class(a.status)) != PAY_OK)
		answer_error(&a, err, errlen);
	if (r != PAY_OK)
		goto out;
	j = json_loads(a.body ? a.body : "", 0, NULL);
	if (!member_is(j, "status", "success") || !json_is_object(json_object_get(j, "data"))) {
		answer_error(&a, err, errlen);
		r = PAY_REFUSED;
		goto out;
	}
	*data = j;
	j = NULL;
out:
	json_decref(j);
	free(a.body);
	return r;
}

/* A JSON integer or integral number of j's member key as text into out. */
static bool id_text(const json_t *j, const char *key, char *out, size_t n)
{
	const json_t *v = json_object_get(j, key);

	out[0] = '\0';
	if (json_is_integer(v))
		return snprintf(out, n, "%lld", (long long)json_integer_value(v)) < (int)n;
	return pay__copy(out, n, json_string_value(v)) && out[0] &&
	       strspn(out, "0123456789") == strlen(out);
}

static pay_result flw_checkout(const hs_config *cfg, const pay_checkout_req *rq,
			       pay_checkout_res *res, char *err, size_t errlen)
{
	char url[600], email[80];
	json_t *body, *data = NULL;
	char *text = NULL;
	pay_result r = PAY_REFUSED;

	memset(res, 0, sizeof *res);
	snprintf(url, sizeof url, "%s/v3/charges?type=mobile_money_uganda",
		 cfg->flutterwave_api_base);
	/* The API requires an email; buyers on the hotspot give a phone only. */
	snprintf(email, sizeof email, "%s@%s", rq->phone[0] == '+' ? rq->phone + 1 : rq->phone,
		 "customers.invalid");
	body = json_pack("{s:s, s:I, s:s, s:s, s:s}", "tx_ref", rq->payment_id, "amount",
			 (json_int_t)rq->amount_minor, "currency", rq->currency, "phone_number",
			 rq->phone[0] == '+' ? rq->phone + 1 : rq->phone, "email", email);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = call(cfg, "POST", url, text, rq->payment_id, &data, err, errlen);
	if (r != PAY_OK)
		goto out;
	/* The charge is pending on the payer's phone; its ids may come later. */
	id_text(json_object_get(data, "data"), "id", res->txn, sizeof res->txn);
	pay__copy(res->ref, sizeof res->ref,
		  json_string_value(json_object_get(json_object_get(data, "data"), "flw_ref")));
out:
	free(text);
	json_decref(body);
	json_decref(data);
	return r;
}

/* A verified transaction (the data of a verify answer) into ev. */
static bool transaction_event(const json_t *d, pay_event *ev)
{
	const json_t *amt = json_object_get(d, "amount");
	const char *cur = json_string_value(json_object_get(d, "currency"));

	if (!id_text(d, "id", ev->txn, sizeof ev->txn) ||
	    !pay__copy(ev->payment_id, sizeof ev->payment_id,
		       json_string_value(json_object_get(d, "tx_ref"))) ||
	    !json_is_number(amt) || !cur || strlen(cur) != 3)
		return false;
	pay__copy(ev->currency, sizeof ev->currency, cur);
	pay__copy(ev->ref, sizeof ev->ref, json_string_value(json_object_get(d, "flw_ref")));
	/* Amounts come as numbers in major units; UGX has no minor unit. */
	ev->amount_minor = json_is_integer(amt) ? (long long)json_integer_value(amt)
						: (long long)json_real_value(amt);
	if (json_is_real(amt) && (double)ev->amount_minor != json_real_value(amt))
		ev->amount_minor = -1;
	if (member_is(d, "status", "successful"))
		ev->outcome = "succeeded";
	else if (member_is(d, "status", "failed"))
		ev->outcome = "failed";
	snprintf(ev->event_id, sizeof ev->event_id, "txn:%s:%s", ev->txn,
		 ev->outcome ? ev->outcome : "pending");
	return true;
}

/* GET /v3/transactions/{id}/verify into ev. */
static pay_result verify_id(const hs_config *cfg, const char *id, pay_event *ev, char *err,
			    size_t errlen)
{
	char url[700];
	json_t *data = NULL;
	pay_result r;

	snprintf(url, sizeof url, "%s/v3/transactions/%s/verify", cfg->flutterwave_api_base, id);
	r = call(cfg, "GET", url, NULL, NULL, &data, err, errlen);
	if (r == PAY_OK && !transaction_event(json_object_get(data, "data"), ev)) {
		snprintf(err, errlen,
			 "flutterwave's transaction lacks id, tx_ref, amount or currency");
		r = PAY_REFUSED;
	}
	json_decref(data);
	return r;
}

static pay_wh_result flw_webhook(const hs_config *cfg, const char *sig, const char *body,
				 size_t len, long long now, pay_event *ev, char *err, size_t errlen)
{
	json_t *j = NULL;
	const json_t *d;
	char id[PAY_REF_MAX], claimed[40];
	pay_wh_result r = PAY_WH_MALFORMED;
	pay_result v;

	(void)now;
	memset(ev, 0, sizeof *ev);
	ev->amount_minor = -1;
	if (!cfg->flutterwave_secret_hash[0] || !cfg->flutterwave_secret_key[0]) {
		snprintf(err, errlen,
			 "FLUTTERWAVE_SECRET_HASH or FLUTTERWAVE_SECRET_KEY is not set");
		return PAY_WH_CONFIG;
	}
	if (!sig || !pay__equal(sig, cfg->flutterwave_secret_hash)) {
		snprintf(err, errlen, "missing or wrong verif-hash header");
		return PAY_WH_BAD_SIGNATURE;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	d = json_object_get(j, "data");
	if (!json_is_object(d) || !id_text(d, "id", id, sizeof id) ||
	    !pay__copy(claimed, sizeof claimed, json_string_value(json_object_get(d, "tx_ref")))) {
		snprintf(err, errlen, "not a Flutterwave event (data.id, data.tx_ref)");
		goto out;
	}
	/* The webhook only says where to look: the verify answer decides. */
	v = verify_id(cfg, id, ev, err, errlen);
	if (v != PAY_OK) {
		r = v == PAY_REFUSED ? PAY_WH_MISMATCH : PAY_WH_RETRY;
		goto out;
	}
	if (strcmp(ev->txn, id) != 0 || strcmp(ev->payment_id, claimed) != 0) {
		snprintf(err, errlen, "the verified transaction does not match the webhook");
		r = PAY_WH_MISMATCH;
		goto out;
	}
	r = PAY_WH_OK;
out:
	json_decref(j);
	return r;
}

static pay_result flw_status(const hs_config *cfg, const char *payment_id, const char *ref,
			     const char *txn, pay_event *ev, char *err, size_t errlen)
{
	char url[700];
	json_t *data = NULL;
	pay_result r;

	(void)ref;
	memset(ev, 0, sizeof *ev);
	ev->amount_minor = -1;
	if (txn && txn[0] && strspn(txn, "0123456789") == strlen(txn))
		r = verify_id(cfg, txn, ev, err, errlen);
	else {
		snprintf(url, sizeof url, "%s/v3/transactions/verify_by_reference?tx_ref=%s",
			 cfg->flutterwave_api_base, payment_id);
		r = call(cfg, "GET", url, NULL, NULL, &data, err, errlen);
		if (r == PAY_OK && !transaction_event(json_object_get(data, "data"), ev)) {
			snprintf(err, errlen,
				 "flutterwave's transaction lacks id, tx_ref or amount");
			r = PAY_REFUSED;
		}
	}
	if (r == PAY_OK && strcmp(ev->payment_id, payment_id) != 0) {
		snprintf(err, errlen, "flutterwave's transaction is of another tx_ref");
		r = PAY_REFUSED;
	}
	json_decref(data);
	return r;
}

static pay_result flw_refund(const hs_config *cfg, const char *txn, long long amount_minor,
			     char refund_ref[PAY_REF_MAX], char *err, size_t errlen)
{
	char url[700], idem[PAY_REF_MAX + 8];
	json_t *body = NULL, *data = NULL;
	char *text = NULL;
	pay_result r = PAY_REFUSED;

	refund_ref[0] = '\0';
	if (!txn || !txn[0] || strspn(txn, "0123456789") != strlen(txn)) {
		snprintf(err, errlen, "the payment has no Flutterwave transaction id");
		return r;
	}
	snprintf(url, sizeof url, "%s/v3/transactions/%s/refund", cfg->flutterwave_api_base, txn);
	snprintf(idem, sizeof idem, "refund-%s", txn);
	body = json_pack("{s:I}", "amount", (json_int_t)amount_minor);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = call(cfg, "POST", url, text, idem, &data, err, errlen);
	if (r == PAY_OK)
		id_text(json_object_get(data, "data"), "id", refund_ref, PAY_REF_MAX);
out:
	free(text);
	json_decref(body);
	json_decref(data);
	return r;
}

const pay_driver pay_flutterwave = {
	.name = "flutterwave",
	.sig_header = "verif-hash",
	.checkout = flw_checkout,
	.webhook = flw_webhook,
	.status = flw_status,
	.refund = flw_refund,
};
