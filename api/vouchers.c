/*
 * /api/v1/vouchers: the tenant's vouchers and what an admin does to one.
 *
 *   GET  /api/v1/vouchers                     list (filters, search, pages)
 *   GET  /api/v1/vouchers/:code               details, usage and sessions
 *   POST /api/v1/vouchers/:code/resend-sms    records an SMS, queues sms.send
 *   POST /api/v1/vouchers/:code/transfer      to another customer or router
 *   POST /api/v1/vouchers/:code/refund        status refunded, amount kept
 *   POST /api/v1/vouchers/:code/disable       status disabled
 *
 * A voucher is named by its code (unique per tenant), as in the seed.
 * Every statement runs in the caller's tenant transaction, so another
 * tenant's code is simply not found (404).  An action locks the voucher row
 * first, checks its status, changes it and writes its audit_log row in the
 * same transaction.  Disable and refund end the voucher's live sessions
 * through the RADIUS path's own disconnect (hs_voucher_cut_sessions: one
 * radius.disconnect job per open session).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/payments.h"
#include "api/valid.h"
#include "api/vouchers_int.h"
#include "common/log.h"

#define VOUCHER_CODE_MAX     64
#define VOUCHER_SEARCH_MAX   64
#define VOUCHER_PER_PAGE_MAX 100
#define VOUCHER_PER_PAGE_DEF 15
#define VOUCHER_PAGE_MAX     1000000
#define VOUCHER_REASON_MAX   500
#define CUSTOMER_NAME_MAX    200

/* ---- statements ---------------------------------------------------------------- */

/* A session as the details show it. */
#define SESSION_JSON                                                                               \
	"json_build_object('id', s.id, 'router_id', s.router_id, 'nas_ip', host(s.nas_ip),"        \
	" 'calling_station_id', s.calling_station_id, 'framed_ip', host(s.framed_ip),"             \
	" 'started_at', s.started_at, 'last_update_at', s.last_update_at,"                         \
	" 'stopped_at', s.stopped_at, 'input_octets', s.input_octets,"                             \
	" 'output_octets', s.output_octets, 'bytes', s.input_octets + s.output_octets,"            \
	" 'session_time', s.session_time, 'terminate_cause', s.terminate_cause,"                   \
	" 'open', s.stopped_at IS NULL, 'disconnect_reason', s.disconnect_reason,"                 \
	" 'disconnect_result', s.disconnect_result)"

/* $1 the code: the voucher, its usage, customer, router and latest sessions. */
static const char details_sql[] =
	"SELECT (" API__VOUCHER_JSON "::jsonb || jsonb_build_object("
	" 'customer', (SELECT json_build_object('id', c.id, 'name', c.name, 'phone', c.phone)"
	" FROM customers c WHERE c.id = v.customer_id),"
	" 'router', (SELECT json_build_object('id', d.id, 'name', d.name,"
	" 'ip_address', host(d.ip_address)) FROM mikrotik_devices d WHERE d.id = v.router_id),"
	" 'terms', hs_voucher_terms_text(v.data_limit_bytes, v.validity_seconds,"
	" v.time_limit_seconds),"
	" 'usage', json_build_object('bytes_used', v.used_bytes,"
	" 'bytes_left', CASE WHEN v.data_limit_bytes IS NOT NULL"
	" THEN greatest(v.data_limit_bytes - v.used_bytes, 0) END,"
	" 'seconds_used', v.used_seconds,"
	" 'seconds_left', CASE WHEN v.time_limit_seconds IS NOT NULL"
	" THEN greatest(v.time_limit_seconds - v.used_seconds, 0) END,"
	" 'expires_in_seconds', CASE WHEN v.expires_at IS NOT NULL THEN greatest(0,"
	" floor(extract(epoch FROM v.expires_at - now()))::bigint) END,"
	" 'sessions_open', (SELECT count(*) FROM radius_sessions s WHERE s.voucher_id = v.id"
	" AND s.stopped_at IS NULL),"
	" 'sessions_total', (SELECT count(*) FROM radius_sessions s WHERE s.voucher_id = v.id)),"
	" 'sessions', coalesce((SELECT json_agg(" SESSION_JSON " ORDER BY s.started_at DESC)"
	" FROM (SELECT * FROM radius_sessions s WHERE s.tenant_id = v.tenant_id"
	" AND s.voucher_id = v.id ORDER BY s.started_at DESC LIMIT 100) s), '[]')))::text"
	" FROM vouchers v LEFT JOIN profiles p ON p.id = v.profile_id WHERE v.code = $1";

/* $1 the id: the voucher after an action. */
static const char voucher_sql[] = "SELECT " API__VOUCHER_JSON "::text FROM vouchers v"
				  " LEFT JOIN profiles p ON p.id = v.profile_id WHERE v.id = $1";

/* $1 the code: the row an action works on, locked for the transaction. */
static const char lock_sql[] =
	"SELECT v.id, v.status, v.customer_id, v.router_id, (SELECT c.phone FROM customers c"
	" WHERE c.id = v.customer_id), (SELECT count(*) FROM radius_sessions s"
	" WHERE s.voucher_id = v.id AND s.stopped_at IS NULL)"
	" FROM vouchers v WHERE v.code = $1 FOR NO KEY UPDATE";

/*
 * The list.  $1 status, $2 profile_id, $3 router_id, $4 customer_id,
 * $5 batch_id, $6 from, $7 to (NULL when absent), $8 the code pattern ('' none),
 * $9 LIMIT, $10 OFFSET.  A from/to date (YYYY-MM-DD) is a day in the tenant's
 * time zone; to's day is included.  An ORDER BY clause from sort_keys[]
 * (never request text) goes after list_head and after list_middle.
 */
#define VOUCHER_FILTERS                                                                            \
	" WHERE ($1::text IS NULL OR v.status = $1)"                                               \
	" AND ($2::uuid IS NULL OR v.profile_id = $2::uuid)"                                       \
	" AND ($3::uuid IS NULL OR v.router_id = $3::uuid)"                                        \
	" AND ($4::uuid IS NULL OR v.customer_id = $4::uuid)"                                      \
	" AND ($5::uuid IS NULL OR v.batch_id = $5::uuid)"                                         \
	" AND ((SELECT lo FROM t) IS NULL OR v.created_at >= (SELECT lo FROM t))"                  \
	" AND ((SELECT hi_before FROM t) IS NULL OR v.created_at < (SELECT hi_before FROM t))"     \
	" AND ((SELECT hi_upto FROM t) IS NULL OR v.created_at <= (SELECT hi_upto FROM t))"        \
	" AND ($8 = '' OR v.code ILIKE $8)"

/*
 * The page is read with the ORDER BY and LIMIT in the scan (for the
 * default order, a walk of vouchers_page), not by numbering every matching
 * row: a tenant with 100,000 vouchers pays for a page, plus one count.  The
 * bounds of t are scalar subqueries, not a join, so that the scan keeps the
 * index's order.
 */
static const char list_head[] =
	"WITH t AS (SELECT CASE WHEN length($6) = 10"
	" THEN $6::date::timestamp AT TIME ZONE time_zone ELSE $6::timestamptz END AS lo,"
	" CASE WHEN length($7) = 10"
	" THEN ($7::date + 1)::timestamp AT TIME ZONE time_zone END AS hi_before,"
	" CASE WHEN length($7) <> 10 THEN $7::timestamptz END AS hi_upto"
	" FROM tenants WHERE id = hs_current_tenant()),"
	" pg AS (SELECT v.* FROM vouchers v" VOUCHER_FILTERS " ORDER BY ";

static const char list_middle[] = " LIMIT $9::int OFFSET $10::int)"
				  " SELECT (SELECT count(*) FROM vouchers v" VOUCHER_FILTERS "),"
				  " coalesce((SELECT json_agg(" API__VOUCHER_JSON " ORDER BY ";

static const char list_tail[] = ") FROM pg v LEFT JOIN profiles p ON p.id = v.profile_id), '[]')";

/* ---- helpers -------------------------------------------------------------------- */

/* Whether s is a voucher code as vouchers.code allows it. */
static bool code_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-");

	return n >= 1 && n <= VOUCHER_CODE_MAX && s[n] == '\0';
}

/* The route's code, or NULL with a 404 answered. */
static const char *param_code(api_req *req)
{
	if (req->nparams < 1 || !code_ok(req->params[0])) {
		api_reply_error(req, 404, "voucher not found");
		return NULL;
	}
	return req->params[0];
}

/* The voucher row an action locked. */
typedef struct {
	char id[API_UUID_LEN];
	char status[16];
	char customer_id[API_UUID_LEN]; /* "" when none */
	char router_id[API_UUID_LEN];
	char phone[32]; /* the customer's, "" when none */
	long open_sessions;
} voucher_row;

/*
 * Locks the voucher of the route's code in conn's transaction into row.
 * true, or false with the answer (404, 503, 500) given.
 */
static bool voucher_lock(api_req *req, PGconn *conn, voucher_row *row)
{
	const char *code = param_code(req);
	PGresult *res;
	bool ok = false;

	memset(row, 0, sizeof *row);
	if (!code)
		return false;
	res = PQexecParams(conn, lock_sql, 1, NULL, &code, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		api__reply_db_failure(req, conn, res, "vouchers", NULL);
		goto out;
	}
	if (PQntuples(res) != 1) {
		api_reply_error(req, 404, "voucher not found");
		goto out;
	}
	snprintf(row->id, sizeof row->id, "%s", PQgetvalue(res, 0, 0));
	snprintf(row->status, sizeof row->status, "%s", PQgetvalue(res, 0, 1));
	snprintf(row->customer_id, sizeof row->customer_id, "%s", PQgetvalue(res, 0, 2));
	snprintf(row->router_id, sizeof row->router_id, "%s", PQgetvalue(res, 0, 3));
	snprintf(row->phone, sizeof row->phone, "%s", PQgetvalue(res, 0, 4));
	row->open_sessions = atol(PQgetvalue(res, 0, 5));
	ok = true;
out:
	PQclear(res);
	return ok;
}

/*
 * Runs sql with params in conn and, when it returns a row, the text of its
 * first column into *out (malloc'd; NULL for SQL NULL).  true, or false
 * with the failure answered.
 */
static bool exec_text(api_req *req, PGconn *conn, const char *sql, int n, const char **params,
		      char **out)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	bool ok = hs_db_classify(conn, res) == HS_DB_OK;

	*out = NULL;
	if (!ok)
		api__reply_db_failure(req, conn, res, "vouchers", NULL);
	else if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
		*out = strdup(PQgetvalue(res, 0, 0));
		if (!*out) {
			api_reply_error(req, 500, "internal error");
			ok = false;
		}
	}
	PQclear(res);
	return ok;
}

/*
 * Finishes an action: audits it (details stolen), reads the voucher, commits
 * and answers status with {voucher, ...extra} (extra stolen; may be NULL).
 * conn is given back in every case.
 */
static void action_finish(api_req *req, PGconn *conn, const voucher_row *row, const char *action,
			  json_t *details, int status, const char *message, json_t *extra)
{
	const char *id = row->id;
	char *text = NULL;
	json_t *data = NULL;

	if (api__audit(conn, req, action, "voucher", row->id, details) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (!exec_text(req, conn, voucher_sql, 1, &id, &text))
		goto out;
	data = text ? json_loads(text, 0, NULL) : NULL;
	if (!data) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (extra)
		json_object_update(data, extra);
	if (api__commit(req, conn)) {
		api_reply(req, status, message, data);
		data = NULL;
	}
	conn = NULL;
out:
	json_decref(data);
	json_decref(extra);
	free(text);
	api_tx_end(req, conn, false);
}

/*
 * The body of an action as an object; an empty body counts as {}.  NULL
 * with a 422 answered when it is not an object.
 */
static json_t *action_body(api_req *req)
{
	if (req->body_len == 0)
		return json_object();
	return api_body_object(req);
}

/* An optional text member key (1..max characters) into *out; false on error. */
static bool optional_text(const json_t *body, const char *key, size_t max, const char **out,
			  json_t *errors)
{
	const json_t *v = json_object_get(body, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	*out = api_text_field(v, key, max, errors);
	return *out != NULL;
}

/* ---- actions -------------------------------------------------------------------- */

static void vouchers_disable(api_req *req)
{
	json_t *body = action_body(req), *errors = json_object();
	const char *reason = NULL, *params[2];
	PGconn *conn = NULL;
	voucher_row row;
	char *cut = NULL;

	if (!body || !errors)
		goto out;
	if (!optional_text(body, "reason", VOUCHER_REASON_MAX, &reason, errors)) {
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
		goto out;
	}
	conn = api_tx_begin(req);
	if (!conn || !voucher_lock(req, conn, &row))
		goto out;
	if (strcmp(row.status, "active") != 0) {
		char msg[96];

		snprintf(msg, sizeof msg, "only an active voucher can be disabled (this one is %s)",
			 row.status);
		api_reply_error(req, 409, msg);
		goto out;
	}
	params[0] = row.id;
	params[1] = "disabled";
	if (!exec_text(req, conn, "UPDATE vouchers SET status = 'disabled' WHERE id = $1", 1,
		       params, &cut) ||
	    !exec_text(req, conn, "SELECT hs_voucher_cut_sessions($1, $2)", 2, params, &cut))
		goto out;
	action_finish(req, conn, &row, "voucher.disable",
		      json_pack("{s:s?, s:i}", "reason", reason, "disconnects_queued",
				cut ? atoi(cut) : 0),
		      200, "Voucher disabled",
		      json_pack("{s:i}", "disconnects_queued", cut ? atoi(cut) : 0));
	conn = NULL;
out:
	free(cut);
	json_decref(errors);
	json_decref(body);
	api_tx_end(req, conn, false);
}

/* Reads refund's members: amount (major units) and reason. */
static bool refund_args(api_req *req, const json_t *body, char amount[API__MONEY_TEXT_MAX],
			const char **reason)
{
	json_t *errors = json_object();
	const json_t *v = json_object_get(body, "amount");

	amount[0] = '\0';
	if (v && !json_is_null(v))
		api__money_text(v, "amount", amount, errors);
	optional_text(body, "reason", VOUCHER_REASON_MAX, reason, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

/* $1 id, $2 amount ('' = the price), $3 reason: refund_minor, price_minor. */
static const char refund_sql[] =
	"UPDATE vouchers v SET status = 'refunded', refunded_at = now(),"
	" refund_minor = coalesce(hs_money_minor(nullif($2, '')::numeric, v.currency, 'amount'),"
	" v.price_minor), refund_reason = $3 WHERE v.id = $1"
	" RETURNING v.refund_minor <= v.price_minor";

static void vouchers_refund(api_req *req)
{
	json_t *body = action_body(req), *paid = NULL;
	char amount[API__MONEY_TEXT_MAX], *within = NULL, *cut = NULL;
	const char *reason = NULL, *params[3];
	PGconn *conn = NULL;
	voucher_row row;

	if (!body || !refund_args(req, body, amount, &reason))
		goto out;
	conn = api_tx_begin(req);
	if (!conn || !voucher_lock(req, conn, &row))
		goto out;
	if (strcmp(row.status, "refunded") == 0) {
		api_reply_error(req, 409, "the voucher is already refunded");
		goto out;
	}
	params[0] = row.id;
	params[1] = amount;
	params[2] = reason;
	if (!exec_text(req, conn, refund_sql, 3, params, &within))
		goto out;
	if (!within || strcmp(within, "t") != 0) {
		api_reply_invalid(req, "validation failed",
				  json_pack("{s:[s]}", "amount",
					    "must not exceed the price the voucher was sold at"));
		goto out;
	}
	/* Paid online: the gateway refunds first, or nothing changes. */
	if (!api_payments_refund_voucher(req, conn, row.id, &paid))
		goto out;
	params[1] = "refunded";
	if (!exec_text(req, conn, "SELECT hs_voucher_cut_sessions($1, $2)", 2, params, &cut))
		goto out;
	action_finish(req, conn, &row, "voucher.refund",
		      json_pack("{s:s?, s:s?, s:i, s:O?}", "amount", amount[0] ? amount : NULL,
				"reason", reason, "disconnects_queued", cut ? atoi(cut) : 0,
				"payment", paid),
		      200, "Voucher refunded",
		      json_pack("{s:i, s:O?}", "disconnects_queued", cut ? atoi(cut) : 0, "payment",
				paid));
	conn = NULL;
out:
	json_decref(paid);
	free(within);
	free(cut);
	json_decref(body);
	api_tx_end(req, conn, false);
}

/* What a transfer asks for. */
typedef struct {
	bool customer_given, router_given;
	const char *customer_id; /* NULL: detach (when given) */
	const char *router_id;   /* NULL: any router (when given) */
	const char *phone, *name;
} transfer_args;

/* A uuid-or-null member key into *out; *given says whether it was there. */
static void uuid_member(const json_t *body, const char *key, bool *given, const char **out,
			json_t *errors)
{
	const json_t *v = json_object_get(body, key);

	*given = v != NULL;
	*out = NULL;
	if (!v || json_is_null(v))
		return;
	if (!json_is_string(v) || !hs_db_uuid_valid(json_string_value(v)))
		api_error_add(errors, key, "must be a UUID or null");
	else
		*out = json_string_value(v);
}

static bool transfer_read(api_req *req, const json_t *body, transfer_args *a)
{
	json_t *errors = json_object();
	const json_t *v = json_object_get(body, "customer_phone");

	memset(a, 0, sizeof *a);
	uuid_member(body, "customer_id", &a->customer_given, &a->customer_id, errors);
	uuid_member(body, "router_id", &a->router_given, &a->router_id, errors);
	if (v && !api__phone_ok(json_string_value(v)))
		api_error_add(errors, "customer_phone",
			      "must be a phone number: + and 4-20 digits");
	else if (v)
		a->phone = json_string_value(v);
	if (v && a->customer_given)
		api_error_add(errors, "customer_phone",
			      "give customer_id or customer_phone, not both");
	optional_text(body, "customer_name", CUSTOMER_NAME_MAX, &a->name, errors);
	if (a->name && !a->phone)
		api_error_add(errors, "customer_name", "goes with customer_phone");
	if (!a->customer_given && !a->router_given && !v && !json_object_size(errors))
		api_error_add(errors, "body", "give customer_id, customer_phone or router_id");
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

/*
 * Checks that the customer and router named exist for the tenant (422
 * otherwise) and resolves a phone to a customer.  cust receives the id
 * (malloc'd) or NULL.  false with the answer given.
 */
static bool transfer_targets(api_req *req, PGconn *conn, transfer_args *a, char **cust)
{
	const char *params[2];
	char *found = NULL;

	*cust = NULL;
	if (a->phone) {
		params[0] = a->phone;
		params[1] = a->name;
		if (!exec_text(req, conn, API__CUSTOMER_SQL("1", "2"), 2, params, cust))
			return false;
		a->customer_id = *cust;
		a->customer_given = true;
	} else if (a->customer_id) {
		if (!exec_text(req, conn, "SELECT id FROM customers WHERE id = $1", 1,
			       &a->customer_id, &found))
			return false;
		if (!found) {
			api_reply_invalid(req, "validation failed",
					  json_pack("{s:[s]}", "customer_id", "no such customer"));
			return false;
		}
		free(found);
		found = NULL;
	}
	if (a->router_id) {
		if (!exec_text(req, conn, "SELECT id FROM mikrotik_devices WHERE id = $1", 1,
			       &a->router_id, &found))
			return false;
		if (!found) {
			api_reply_invalid(req, "validation failed",
					  json_pack("{s:[s]}", "router_id", "no such router"));
			return false;
		}
		free(found);
	}
	return true;
}

/* $1 id, $2 customer given, $3 customer, $4 router given, $5 router. */
static const char transfer_sql[] =
	"UPDATE vouchers SET customer_id = CASE WHEN $2::boolean THEN $3::uuid ELSE customer_id "
	"END,"
	" router_id = CASE WHEN $4::boolean THEN $5::uuid ELSE router_id END,"
	" sold_at = coalesce(sold_at, CASE WHEN $2::boolean AND $3 IS NOT NULL THEN now() END)"
	" WHERE id = $1";

/*
 * The transfer's rules: only an active voucher moves; its router changes
 * only while it has no live session (the session would go on where it
 * is).  false with a 409 answered otherwise.
 */
static bool transfer_allowed(api_req *req, const voucher_row *row, const transfer_args *a)
{
	const char *to = a->router_id ? a->router_id : "";

	if (strcmp(row->status, "active") != 0) {
		char msg[96];

		snprintf(msg, sizeof msg,
			 "only an active voucher can be transferred (this one is %s)", row->status);
		api_reply_error(req, 409, msg);
		return false;
	}
	if (a->router_given && strcmp(to, row->router_id) != 0 && row->open_sessions > 0) {
		api_reply_error(req, 409,
				"the voucher has a live session: disconnect it before moving the "
				"voucher to another router");
		return false;
	}
	return true;
}

static void vouchers_transfer(api_req *req)
{
	json_t *body = action_body(req), *details;
	const char *params[5];
	char *cust = NULL, *done = NULL;
	PGconn *conn = NULL;
	transfer_args a;
	voucher_row row;

	if (!body || !transfer_read(req, body, &a))
		goto out;
	conn = api_tx_begin(req);
	if (!conn || !voucher_lock(req, conn, &row) || !transfer_allowed(req, &row, &a) ||
	    !transfer_targets(req, conn, &a, &cust))
		goto out;
	params[0] = row.id;
	params[1] = a.customer_given ? "true" : "false";
	params[2] = a.customer_id;
	params[3] = a.router_given ? "true" : "false";
	params[4] = a.router_id;
	if (!exec_text(req, conn, transfer_sql, 5, params, &done))
		goto out;
	details = json_pack(
		"{s:{s:s?, s:s?}, s:{s:s?, s:s?}}", "from", "customer_id",
		row.customer_id[0] ? row.customer_id : NULL, "router_id",
		row.router_id[0] ? row.router_id : NULL, "to", "customer_id",
		a.customer_given ? a.customer_id : (row.customer_id[0] ? row.customer_id : NULL),
		"router_id",
		a.router_given ? a.router_id : (row.router_id[0] ? row.router_id : NULL));
	action_finish(req, conn, &row, "voucher.transfer", details, 200, "Voucher transferred",
		      NULL);
	conn = NULL;
out:
	free(cust);
	free(done);
	json_decref(body);
	api_tx_end(req, conn, false);
}

static void vouchers_resend_sms(api_req *req)
{
	json_t *body = action_body(req), *errors = json_object();
	const json_t *v = body ? json_object_get(body, "phone") : NULL;
	const char *phone = NULL, *params[3];
	PGconn *conn = NULL;
	char *sms = NULL;
	voucher_row row;

	if (!body || !errors)
		goto out;
	if (v && !json_is_null(v) && !api__phone_ok(json_string_value(v))) {
		api_error_add(errors, "phone", "must be a phone number: + and 4-20 digits");
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
		goto out;
	}
	phone = v ? json_string_value(v) : NULL;
	conn = api_tx_begin(req);
	if (!conn || !voucher_lock(req, conn, &row))
		goto out;
	if (strcmp(row.status, "disabled") == 0 || strcmp(row.status, "refunded") == 0) {
		api_reply_error(req, 409, "a disabled or refunded voucher is not sent");
		goto out;
	}
	if (!phone && !row.phone[0]) {
		api_error_add(errors, "phone", "is required: the voucher's customer has no phone");
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
		goto out;
	}
	params[0] = row.id;
	params[1] = phone ? phone : row.phone;
	params[2] = row.customer_id[0] ? row.customer_id : NULL;
	if (!exec_text(req, conn, "SELECT hs_voucher_sms_queue($1, $2, $3)", 3, params, &sms))
		goto out;
	action_finish(req, conn, &row, "voucher.resend_sms",
		      json_pack("{s:s?, s:s}", "sms_message_id", sms, "to_phone", params[1]), 202,
		      "SMS queued",
		      json_pack("{s:{s:s?, s:s, s:s}}", "sms", "id", sms, "to_phone", params[1],
				"status", "queued"));
	conn = NULL;
out:
	free(sms);
	json_decref(errors);
	json_decref(body);
	api_tx_end(req, conn, false);
}

/* ---- reading ---------------------------------------------------------------------- */

static void vouchers_get(api_req *req)
{
	const char *code = param_code(req);
	PGconn *conn;
	char *text = NULL;
	json_t *data;

	if (!code)
		return;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	if (!exec_text(req, conn, details_sql, 1, &code, &text))
		goto out;
	if (!text) {
		api_reply_error(req, 404, "voucher not found");
		goto out;
	}
	data = json_loads(text, 0, NULL);
	api_reply(req, data ? 200 : 500, data ? "ok" : "internal error", data);
out:
	free(text);
	api_tx_end(req, conn, false);
}

typedef struct {
	const char *filters[7]; /* status, profile, router, customer, batch, from, to */
	char pattern[4 * VOUCHER_SEARCH_MAX * 2 + 3];
	const char *order;
	long page, per_page;
} list_query;

/* The uuid filters, in the order of $2..$5. */
static const char *const uuid_filters[] = {"profile_id", "router_id", "customer_id", "batch_id"};

static const char *const statuses[] = {"active", "disabled", "expired", "used", "refunded"};

/* ORDER BY clauses by sort_by and sort_order; the id breaks ties. */
static const struct {
	const char *key, *asc, *desc;
} sort_keys[] = {
	{"created_at", "v.created_at ASC, v.id ASC", "v.created_at DESC, v.id DESC"},
	{"code", "v.code ASC", "v.code DESC"},
	{"status", "v.status ASC, v.created_at ASC, v.id ASC",
	 "v.status DESC, v.created_at DESC, v.id DESC"},
	{"expires_at", "v.expires_at ASC NULLS LAST, v.id ASC",
	 "v.expires_at DESC NULLS LAST, v.id DESC"},
};

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* A zone "Z" or "+HH:MM"/"-HH:MM" at s ending the text. */
static bool zone_ok(const char *s)
{
	if (s[0] == 'Z' || s[0] == 'z')
		return s[1] == '\0';
	return (s[0] == '+' || s[0] == '-') && digits(s + 1, 2) >= 0 && digits(s + 1, 2) <= 14 &&
	       s[3] == ':' && digits(s + 4, 2) >= 0 && digits(s + 4, 2) <= 59 && s[6] == '\0';
}

/*
 * A date YYYY-MM-DD, or an RFC 3339 time YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM),
 * that is a real calendar day and time.
 */
static bool time_arg_ok(const char *s)
{
	int y, mo, d;
	const char *p;

	if (strlen(s) < 10 || (y = digits(s, 4)) < 1 || s[4] != '-' ||
	    (mo = digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-' || (d = digits(s + 8, 2)) < 1 ||
	    d > days_in_month(y, mo))
		return false;
	if (s[10] == '\0')
		return true;
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2) < 0 ||
	    digits(s + 11, 2) > 23 || s[13] != ':' || digits(s + 14, 2) < 0 ||
	    digits(s + 14, 2) > 59 || s[16] != ':' || digits(s + 17, 2) < 0 ||
	    digits(s + 17, 2) > 59)
		return false;
	p = s + 19;
	if (*p == '.') {
		size_t n = strspn(++p, "0123456789");

		if (n < 1 || n > 6)
			return false;
		p += n;
	}
	return zone_ok(p);
}

static void filter_args(const api_req *req, list_query *q, json_t *errors)
{
	const char *s = api_req_query(req, "status");

	if (s && *s) {
		size_t i;

		for (i = 0; i < API_NELEM(statuses) && strcmp(s, statuses[i]); i++)
			;
		if (i == API_NELEM(statuses))
			api_error_add(errors, "status",
				      "must be active, disabled, expired, used or refunded");
		else
			q->filters[0] = s;
	}
	for (size_t i = 0; i < API_NELEM(uuid_filters); i++) {
		s = api_req_query(req, uuid_filters[i]);
		if (s && *s && !hs_db_uuid_valid(s))
			api_error_add(errors, uuid_filters[i], "must be a UUID");
		else if (s && *s)
			q->filters[1 + i] = s;
	}
	for (int i = 0; i < 2; i++) {
		const char *key = i ? "to" : "from";

		s = api_req_query(req, key);
		if (s && *s && !time_arg_ok(s))
			api_error_add(errors, key,
				      "must be a date YYYY-MM-DD or a time such as "
				      "2026-11-24T18:00:00Z");
		else if (s && *s)
			q->filters[5 + i] = s;
	}
	if (q->filters[5] && q->filters[6] && strlen(q->filters[5]) == 10 &&
	    strlen(q->filters[6]) == 10 && strcmp(q->filters[5], q->filters[6]) > 0)
		api_error_add(errors, "to", "must not be before from");
}

static void sort_args(const api_req *req, list_query *q, json_t *errors)
{
	const char *by = api_req_query(req, "sort_by"), *dir = api_req_query(req, "sort_order");
	bool desc = true;
	size_t i;

	if (!by || *by == '\0')
		by = "created_at";
	if (dir && *dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
		api_error_add(errors, "sort_order", "must be asc or desc");
	else if (dir && strcmp(dir, "asc") == 0)
		desc = false;
	for (i = 0; i < API_NELEM(sort_keys) && strcmp(by, sort_keys[i].key); i++)
		;
	if (i == API_NELEM(sort_keys)) {
		api_error_add(errors, "sort_by", "must be created_at, code, status or expires_at");
		return;
	}
	q->order = desc ? sort_keys[i].desc : sort_keys[i].asc;
}

/* Reads the list's query arguments; false with a 422 (or 500) answered. */
static bool list_args(api_req *req, list_query *q)
{
	json_t *errors = json_object();

	memset(q, 0, sizeof *q);
	if (!errors) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	filter_args(req, q, errors);
	api_query_pattern(req, "search", VOUCHER_SEARCH_MAX, q->pattern, errors);
	sort_args(req, q, errors);
	q->page = api_query_int(req, "page", 1, VOUCHER_PAGE_MAX, errors);
	q->per_page =
		api_query_int(req, "per_page", VOUCHER_PER_PAGE_DEF, VOUCHER_PER_PAGE_MAX, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

static void vouchers_list(api_req *req)
{
	char sql[sizeof list_head + sizeof list_middle + sizeof list_tail + 256], limit[24],
		offset[24];
	const char *params[10];
	PGresult *res = NULL;
	PGconn *conn = NULL;
	json_t *items;
	list_query q;

	if (!list_args(req, &q))
		return;
	snprintf(sql, sizeof sql, "%s%s%s%s%s", list_head, q.order, list_middle, q.order,
		 list_tail);
	snprintf(limit, sizeof limit, "%ld", q.per_page);
	snprintf(offset, sizeof offset, "%ld", (q.page - 1) * q.per_page);
	for (int i = 0; i < 7; i++)
		params[i] = q.filters[i];
	params[7] = q.pattern;
	params[8] = limit;
	params[9] = offset;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	res = PQexecParams(conn, sql, 10, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		api__reply_db_failure(req, conn, res, "vouchers", NULL);
		goto out;
	}
	items = api__row_json(res, 1);
	if (!json_is_array(items)) {
		json_decref(items);
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	api_reply_list(req, items, q.page, q.per_page, atol(PQgetvalue(res, 0, 0)));
out:
	PQclear(res);
	api_tx_end(req, conn, false);
}

static const api_route routes[] = {
	{"GET", "/api/v1/vouchers", vouchers_list, "vouchers.read"},
	{"GET", "/api/v1/vouchers/:code", vouchers_get, "vouchers.read"},
	{"POST", "/api/v1/vouchers/:code/resend-sms", vouchers_resend_sms, "vouchers.write"},
	{"POST", "/api/v1/vouchers/:code/transfer", vouchers_transfer, "vouchers.write"},
	{"POST", "/api/v1/vouchers/:code/refund", vouchers_refund, "vouchers.write"},
	{"POST", "/api/v1/vouchers/:code/disable", vouchers_disable, "vouchers.write"},
};

const api_module api_mod_vouchers = {
	.name = "vouchers",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
