/*
 * The SMS messages of a tenant (docs/sms.md):
 *   GET  /api/v1/sms-messages             list (status filter, pages)
 *   POST /api/v1/sms-messages/:id/retry   re-queues a failed message
 *
 * Every query runs in the caller's tenant transaction (api_tx_begin), so
 * row-level security hides other tenants' messages: their ids are 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/auth.h"
#include "api/module.h"
#include "api/valid.h"
#include "common/db.h"
#include "common/log.h"

#define SMS_PAGE_MAX     100000
#define SMS_PER_PAGE_DEF 15
#define SMS_PER_PAGE_MAX 100

/* One message as the API shows it. */
#define SMS_JSON                                                                                   \
	"json_build_object('id', m.id, 'customer_id', m.customer_id, 'voucher_id', m.voucher_id,"  \
	" 'to_phone', m.to_phone, 'body', m.body, 'driver', m.driver, 'status', m.status,"         \
	" 'provider_ref', m.provider_ref, 'error', m.error, 'attempts', m.attempts,"               \
	" 'sent_at', m.sent_at, 'delivered_at', m.delivered_at, 'created_at', m.created_at,"       \
	" 'updated_at', m.updated_at)"

/* $1 the status ('' for any), $2 LIMIT, $3 OFFSET; newest first. */
static const char list_sql[] =
	"WITH f AS (SELECT m.* FROM sms_messages m WHERE ($1 = '' OR m.status = $1)),"
	" p AS (SELECT m.*, row_number() OVER (ORDER BY m.created_at DESC, m.id DESC) AS n"
	" FROM f m ORDER BY n LIMIT $2::int OFFSET $3::int)"
	" SELECT (SELECT count(*) FROM f),"
	" coalesce((SELECT json_agg((" SMS_JSON ")::json ORDER BY m.n) FROM p m), '[]')";

static const char get_sql[] = "SELECT (" SMS_JSON ")::text FROM sms_messages m WHERE m.id = $1";

static const char *const statuses[] = {"queued", "sending", "sent", "failed", "delivered"};

/* Answers a failed statement: 503 when the database may answer later, else 500. */
static void reply_db_failure(api_req *req, PGconn *conn, const PGresult *res)
{
	hs_db_result r = hs_db_classify(conn, res);
	char err[256];

	hs_db_errmsg(conn, res, err, sizeof err);
	hs_log(HS_LOG_ERROR, "sms: %s %s: %s", req->method, req->path, err);
	if (r == HS_DB_RETRY)
		api_reply_error(req, 503, "database unavailable");
	else
		api_reply_error(req, 500, "internal error");
}

typedef struct {
	const char *status; /* "" for any */
	long page, per_page;
} list_query;

static void status_arg(const api_req *req, list_query *q, json_t *errors)
{
	const char *s = api_req_query(req, "status");

	q->status = "";
	if (!s || *s == '\0')
		return;
	for (size_t i = 0; i < API_NELEM(statuses); i++) {
		if (strcmp(s, statuses[i]) == 0) {
			q->status = statuses[i];
			return;
		}
	}
	api_error_add(errors, "status", "must be queued, sending, sent, failed or delivered");
}

/* Reads the list's query arguments; false with a 422 answered. */
static bool list_args(api_req *req, list_query *q)
{
	json_t *errors = json_object();

	memset(q, 0, sizeof *q);
	if (!errors) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	status_arg(req, q, errors);
	q->page = api_query_int(req, "page", 1, SMS_PAGE_MAX, errors);
	q->per_page = api_query_int(req, "per_page", SMS_PER_PAGE_DEF, SMS_PER_PAGE_MAX, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

static void sms_list(api_req *req)
{
	char limit[24], offset[24];
	const char *params[3];
	PGresult *res = NULL;
	PGconn *conn = NULL;
	json_t *items;
	list_query q;

	if (!list_args(req, &q))
		return;
	snprintf(limit, sizeof limit, "%ld", q.per_page);
	snprintf(offset, sizeof offset, "%ld", (q.page - 1) * q.per_page);
	params[0] = q.status;
	params[1] = limit;
	params[2] = offset;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	res = PQexecParams(conn, list_sql, 3, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		reply_db_failure(req, conn, res);
		goto out;
	}
	items = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
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

/*
 * Re-queues the message through hs_sms_retry; on success the answer holds
 * the message as it now is.  404 when the tenant has no such message, 409
 * when it is not failed.
 */
static void sms_retry(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "SMS message");
	const char *params[3];
	PGresult *res = NULL, *row = NULL;
	PGconn *conn = NULL;
	char ip[64];
	json_t *data;

	if (!id)
		return;
	api_client_ip(req, ip, sizeof ip);
	params[0] = id;
	params[1] = req->who.admin_id;
	params[2] = ip;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	res = PQexecParams(conn, "SELECT hs_sms_retry($1::uuid, nullif($2, '')::uuid, $3)", 3, NULL,
			   params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		reply_db_failure(req, conn, res);
		goto out;
	}
	if (PQgetisnull(res, 0, 0)) {
		api_reply_error(req, 404, "SMS message not found");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "failed") != 0) {
		api_reply_error(req, 409, "only a failed message can be retried");
		goto out;
	}
	row = PQexecParams(conn, get_sql, 1, NULL, &id, NULL, NULL, 0);
	if (hs_db_classify(conn, row) != HS_DB_OK || PQntuples(row) != 1) {
		reply_db_failure(req, conn, row);
		goto out;
	}
	data = json_loads(PQgetvalue(row, 0, 0), 0, NULL);
	if (api_tx_end(req, conn, true) != HS_DB_OK) {
		conn = NULL;
		json_decref(data);
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	conn = NULL;
	api_reply(req, data ? 202 : 500, data ? "SMS queued again" : "internal error", data);
out:
	PQclear(res);
	PQclear(row);
	api_tx_end(req, conn, false);
}

static const api_route routes[] = {
	{"GET", "/api/v1/sms-messages", sms_list, "sms.read"},
	{"POST", "/api/v1/sms-messages/:id/retry", sms_retry, "sms.write"},
};

const api_module api_mod_sms = {
	.name = "sms",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
