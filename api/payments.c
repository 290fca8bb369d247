/*
 * Payments: the gateways' webhooks and the operators' view.
 *
 *   POST /api/v1/payments/webhooks/stripe        public, Stripe-Signature
 *   POST /api/v1/payments/webhooks/flutterwave   public, verif-hash, re-verified
 *   GET  /api/v1/payments                        list (status, gateway, pages)
 *   GET  /api/v1/payments/:id                    details with the events applied
 *
 * A webhook is verified by its driver (api/pay.h), then applied by
 * hs_payment_settle in one statement: the voucher is issued exactly once
 * per payment, and an event already applied changes nothing (200).  The
 * tenant comes from our payment row, never from the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/pay.h"
#include "api/payments.h"
#include "api/valid.h"
#include "common/log.h"

#define PAY_POOL_WAIT_MS 2000
#define PAY_RAW_MAX      65536
#define PAY_PER_PAGE_MAX 100
#define PAY_PER_PAGE_DEF 15
#define PAY_PAGE_MAX     1000000

/* ---- webhooks ---------------------------------------------------------------------- */

/*
 * Answers a failed verification.  An endpoint whose gateway is not
 * configured does not exist (404); a verification that disagrees is a 422
 * with errors {body: [why]}.
 */
static void reply_unverified(api_req *req, pay_wh_result r, const char *why)
{
	static const int status[] = {
		[PAY_WH_BAD_SIGNATURE] = 401, [PAY_WH_STALE] = 401, [PAY_WH_MALFORMED] = 400,
		[PAY_WH_MISMATCH] = 422,      [PAY_WH_RETRY] = 503, [PAY_WH_CONFIG] = 404,
	};
	char msg[320];

	snprintf(msg, sizeof msg, "webhook refused: %s", why);
	if (r == PAY_WH_MISMATCH)
		api_reply_invalid(req, msg, json_pack("{s:[s]}", "body", why));
	else
		api_reply_error(req, status[r], msg);
}

/* The HTTP status of hs_payment_settle's result. */
static int settle_status(const char *result)
{
	static const struct {
		const char *result;
		int status;
	} map[] = {
		{"issued", 200},   {"already", 200},  {"duplicate", 200},
		{"failed", 200},   {"refunded", 200}, {"ignored", 200},
		{"mismatch", 422}, {"refused", 409},  {"unknown", 404},
	};

	for (size_t i = 0; result && i < API_NELEM(map); i++)
		if (strcmp(map[i].result, result) == 0)
			return map[i].status;
	return 500;
}

static const char *settle_message(const char *result)
{
	if (!result)
		return "internal error";
	if (strcmp(result, "mismatch") == 0)
		return "amount or currency does not match the payment: nothing issued";
	if (strcmp(result, "refused") == 0)
		return "the payment cannot be fulfilled: nothing issued";
	if (strcmp(result, "unknown") == 0)
		return "no such payment";
	if (strcmp(result, "duplicate") == 0)
		return "event already applied";
	return "ok";
}

static void webhook(api_req *req, const pay_driver *d)
{
	const char *sig = api_req_header(req, d->sig_header);
	json_t *out = NULL;
	PGconn *conn = NULL;
	pay_wh_result v;
	pay_event ev;
	char err[300];
	bool retry = false;
	const char *result;

	v = d->webhook(req->app->cfg, sig, req->body, req->body_len, (long long)time(NULL), &ev,
		       err, sizeof err);
	if (v != PAY_WH_OK) {
		hs_log(HS_LOG_WARN, "payments: %s webhook refused: %s", d->name, err);
		reply_unverified(req, v, err);
		return;
	}
	if (!ev.outcome) {
		api_reply(req, 200, "event ignored", NULL);
		return;
	}
	conn = hs_db_pool_get(req->app->db, PAY_POOL_WAIT_MS, err, sizeof err);
	if (!conn) {
		api_reply_error(req, 503, "database unavailable");
		return;
	}
	if (pay_settle(conn, d->name, &ev, req->body_len <= PAY_RAW_MAX ? req->body : NULL, &out,
		       &retry, err, sizeof err) != 0) {
		hs_log(HS_LOG_WARN, "payments: %s event %s: %s", d->name, ev.event_id, err);
		api_reply_error(req, retry ? 503 : 500,
				retry ? "database unavailable" : "internal error");
		goto out;
	}
	result = json_string_value(json_object_get(out, "result"));
	hs_log(HS_LOG_INFO, "payments: %s event %s: %s", d->name, ev.event_id,
	       result ? result : "?");
	if (settle_status(result) == 422)
		api_reply_invalid(
			req, settle_message(result),
			json_pack("{s:[s]}", "amount",
				  json_string_value(json_object_get(out, "detail"))
					  ? json_string_value(json_object_get(out, "detail"))
					  : "does not match the payment"));
	else
		api_reply(req, settle_status(result), settle_message(result), json_incref(out));
out:
	json_decref(out);
	hs_db_pool_put(req->app->db, conn, retry);
}

static void webhook_stripe(api_req *req)
{
	webhook(req, &pay_stripe);
}

static void webhook_flutterwave(api_req *req)
{
	webhook(req, &pay_flutterwave);
}

/* ---- the operators' view ----------------------------------------------------------- */

/* SQL: a payment y as answers show it (never access_hash). */
#define PAYMENT_JSON                                                                               \
	"json_build_object('id', y.id, 'gateway', y.gateway, 'gateway_ref', y.gateway_ref,"        \
	" 'gateway_txn', y.gateway_txn, 'status', y.status,"                                       \
	" 'amount', hs_money_major(y.amount_minor, y.currency), 'amount_minor', y.amount_minor,"   \
	" 'currency', y.currency, 'payer_phone', y.payer_phone, 'customer_id', y.customer_id,"     \
	" 'profile_id', y.profile_id, 'profile', (SELECT p.name FROM profiles p"                   \
	" WHERE p.id = y.profile_id), 'voucher_id', y.voucher_id, 'voucher_code',"                 \
	" (SELECT v.code FROM vouchers v WHERE v.id = y.voucher_id), 'error', y.error,"            \
	" 'refund_ref', y.refund_ref, 'paid_at', y.paid_at, 'refunded_at', y.refunded_at,"         \
	" 'created_at', y.created_at, 'updated_at', y.updated_at)"

static const char list_sql[] =
	"WITH f AS (SELECT * FROM payments y WHERE ($1::text IS NULL OR y.status = $1)"
	" AND ($2::text IS NULL OR y.gateway = $2)),"
	" pg AS (SELECT * FROM f ORDER BY created_at DESC, id DESC LIMIT $3::int OFFSET $4::int)"
	" SELECT (SELECT count(*) FROM f), coalesce((SELECT json_agg(" PAYMENT_JSON
	" ORDER BY y.created_at DESC, y.id DESC) FROM pg y), '[]')::text";

static const char get_sql[] =
	"SELECT (" PAYMENT_JSON "::jsonb || jsonb_build_object('events', coalesce((SELECT"
	" json_agg(json_build_object('event_id', e.event_id, 'outcome', e.outcome, 'result',"
	" e.result, 'detail', e.detail, 'created_at', e.created_at) ORDER BY e.created_at)"
	" FROM payment_events e WHERE e.payment_id = y.id), '[]')))::text"
	" FROM payments y WHERE y.id = $1";

static const char *const statuses[] = {"pending", "succeeded", "failed", "refunded", "expired"};

/* The list's filters and page; false with a 422 answered. */
static bool list_args(api_req *req, const char *p[4], char limit[24], char offset[24], long *page,
		      long *per_page)
{
	json_t *errors = json_object();
	const char *s = api_req_query(req, "status"), *g = api_req_query(req, "gateway");
	size_t i;

	p[0] = p[1] = NULL;
	if (s && *s) {
		for (i = 0; i < API_NELEM(statuses) && strcmp(s, statuses[i]); i++)
			;
		if (i == API_NELEM(statuses))
			api_error_add(errors, "status",
				      "must be pending, succeeded, failed, refunded or expired");
		p[0] = s;
	}
	if (g && *g) {
		if (!pay_driver_find(g) && strcmp(g, "cash") != 0)
			api_error_add(errors, "gateway", "must be stripe, flutterwave or cash");
		p[1] = g;
	}
	*page = api_query_int(req, "page", 1, PAY_PAGE_MAX, errors);
	*per_page = api_query_int(req, "per_page", PAY_PER_PAGE_DEF, PAY_PER_PAGE_MAX, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	snprintf(limit, 24, "%ld", *per_page);
	snprintf(offset, 24, "%ld", (*page - 1) * *per_page);
	p[2] = limit;
	p[3] = offset;
	return true;
}

static void payments_list(api_req *req)
{
	const char *p[4];
	char limit[24], offset[24];
	long page, per_page;
	PGresult *res = NULL;
	PGconn *conn;
	json_t *items;

	if (!list_args(req, p, limit, offset, &page, &per_page))
		return;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	res = PQexecParams(conn, list_sql, 4, NULL, p, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	items = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	if (!json_is_array(items)) {
		json_decref(items);
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	api_reply_list(req, items, page, per_page, atol(PQgetvalue(res, 0, 0)));
out:
	PQclear(res);
	api_tx_end(req, conn, false);
}

static void payments_get(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "payment");
	PGresult *res = NULL;
	PGconn *conn;
	json_t *data;

	if (!id)
		return;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	res = PQexecParams(conn, get_sql, 1, NULL, &id, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (PQntuples(res) != 1) {
		api_reply_error(req, 404, "payment not found");
		goto out;
	}
	data = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	api_reply(req, data ? 200 : 500, data ? "ok" : "internal error", data);
out:
	PQclear(res);
	api_tx_end(req, conn, false);
}

static const api_route routes[] = {
	{"POST", "/api/v1/payments/webhooks/stripe", webhook_stripe, NULL},
	{"POST", "/api/v1/payments/webhooks/flutterwave", webhook_flutterwave, NULL},
	{"GET", "/api/v1/payments", payments_list, "payments.read"},
	{"GET", "/api/v1/payments/:id", payments_get, "payments.read"},
};

const api_module api_mod_payments = {
	.name = "payments",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};

/* ---- refunds of vouchers paid online (api/payments.h) ------------------------------- */

/* $1 the voucher: its succeeded online payment, locked, and the amount to refund. */
static const char refund_target_sql[] =
	"SELECT y.id, y.gateway, coalesce(y.gateway_txn, ''), v.refund_minor"
	" FROM payments y JOIN vouchers v ON v.id = y.voucher_id"
	" WHERE y.voucher_id = $1 AND y.status = 'succeeded'"
	" AND y.gateway IN ('stripe', 'flutterwave') FOR UPDATE OF y";

bool api_payments_refund_voucher(api_req *req, PGconn *conn, const char *voucher_id, json_t **info)
{
	char ref[PAY_REF_MAX], err[300], id[API_UUID_LEN];
	const pay_driver *d;
	const char *p[2];
	PGresult *res;
	pay_result r;
	bool ok = false;

	*info = NULL;
	res = PQexecParams(conn, refund_target_sql, 1, NULL, &voucher_id, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (PQntuples(res) == 0) {
		ok = true;
		goto out;
	}
	d = pay_driver_find(PQgetvalue(res, 0, 1));
	snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
	r = d ? d->refund(req->app->cfg, PQgetvalue(res, 0, 2), atoll(PQgetvalue(res, 0, 3)), ref,
			  err, sizeof err)
	      : PAY_CONFIG;
	if (r != PAY_OK) {
		char msg[400];

		hs_log(HS_LOG_WARN, "payments: refund of payment %s: %s", id,
		       d ? err : "no driver");
		snprintf(msg, sizeof msg, "the gateway did not refund the payment: %s",
			 d ? err : "unknown gateway");
		api_reply_error(req, r == PAY_CONFIG ? 503 : 502, msg);
		goto out;
	}
	PQclear(res);
	p[0] = id;
	p[1] = ref[0] ? ref : NULL;
	res = PQexecParams(conn,
			   "UPDATE payments SET status = 'refunded', refunded_at = now(),"
			   " refund_ref = $2 WHERE id = $1",
			   2, NULL, p, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	*info = json_pack("{s:s, s:s, s:s?}", "payment_id", id, "gateway", d->name, "refund_ref",
			  ref[0] ? ref : NULL);
	ok = true;
out:
	PQclear(res);
	return ok;
}
