/*
 * The audit log: rows written by the other modules through api_audit (in
 * their own transaction, so a change and its record commit together), and
 *
 *   GET /api/v1/audit-logs    the tenant's records, newest first
 *                             (action, object_type, admin_id, from, to; pages)
 *
 * Row-level security keeps every tenant to its own records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/crud.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "common/log.h"
#include "common/text.h"

#define AUDIT_TEXT_MAX 100 /* characters of action and object_type */
#define AUDIT_TIME_MAX 40  /* bytes of from and to */

static const char insert_sql[] =
	"INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id, details, ip)"
	" VALUES (hs_current_tenant(), $1::uuid, $2, nullif($3, ''), nullif($4, ''),"
	" coalesce($5::jsonb, '{}'), nullif($6, '')::inet)";

hs_db_result api_audit(PGconn *conn, const api_req *req, const char *admin_id, const char *action,
		       const char *object_type, const char *object_id, const char *details)
{
	char ip[64], err[256];
	const char *params[6];
	PGresult *res;
	hs_db_result r;

	api_client_ip(req, ip, sizeof ip);
	params[0] = admin_id ? admin_id : (req->who.admin_id[0] ? req->who.admin_id : NULL);
	params[1] = action;
	params[2] = object_type;
	params[3] = object_id;
	params[4] = details;
	params[5] = ip;
	res = PQexecParams(conn, insert_sql, 6, NULL, params, NULL, NULL, 0);
	r = hs_db_classify(conn, res);
	if (r != HS_DB_OK) {
		hs_db_errmsg(conn, res, err, sizeof err);
		hs_log(HS_LOG_ERROR, "audit: %s: %s", action, err);
	}
	PQclear(res);
	return r;
}

/*
 * The list: $1 action, $2 object_type, $3 admin_id, $4 from, $5 to (each ''
 * for no filter), $6 LIMIT, $7 OFFSET.
 */
static const char list_sql[] =
	"WITH f AS (SELECT l.* FROM audit_log l"
	" WHERE ($1 = '' OR l.action = $1) AND ($2 = '' OR l.object_type = $2)"
	" AND ($3 = '' OR l.admin_id = nullif($3, '')::uuid)"
	" AND ($4 = '' OR l.created_at >= nullif($4, '')::timestamptz)"
	" AND ($5 = '' OR l.created_at < nullif($5, '')::timestamptz)),"
	" p AS (SELECT l.* FROM f l ORDER BY l.created_at DESC, l.id DESC"
	" LIMIT $6::int OFFSET $7::int)"
	" SELECT (SELECT count(*) FROM f), coalesce((SELECT json_agg(json_build_object("
	" 'id', l.id, 'admin_id', l.admin_id, 'action', l.action,"
	" 'object_type', l.object_type, 'object_id', l.object_id, 'details', l.details,"
	" 'ip', host(l.ip), 'created_at', l.created_at)"
	" ORDER BY l.created_at DESC, l.id DESC) FROM p l), '[]')::text";

typedef struct {
	const char *action, *object_type, *admin_id, *from, *to;
	api_page pg;
} audit_query;

/*
 * A query argument of text; "" when absent, or "" with an error when
 * refused.  Broken UTF-8 is refused here: PostgreSQL would refuse it with a
 * data error, which the list answers as a mistake in from or to.
 */
static const char *text_arg(const api_req *req, const char *key, json_t *errors)
{
	const char *s = api_req_query(req, key);

	if (!s)
		return "";
	if (!hs_utf8_text(s, strlen(s)) || api_utf8_chars(s) > AUDIT_TEXT_MAX ||
	    api_has_control(s)) {
		api_error_add(errors, key, "must be UTF-8 text of at most 100 characters");
		return "";
	}
	return s;
}

/*
 * A time argument: ISO 8601 as PostgreSQL reads it, "YYYY-MM-DD" with an
 * optional "THH:MM[:SS[.fff]]" and zone ("Z" or "+HH:MM").  The shape is
 * checked here; PostgreSQL refuses a date that does not exist (422 too).
 */
static const char *time_arg(const api_req *req, const char *key, json_t *errors)
{
	const char *s = api_req_query(req, key);
	size_t n;

	if (!s || *s == '\0')
		return "";
	n = strlen(s);
	if (n < 10 || n > AUDIT_TIME_MAX || strspn(s, "0123456789-:.TZ+ ") != n || s[4] != '-' ||
	    s[7] != '-') {
		api_error_add(errors, key, "must be an ISO 8601 date or date and time");
		return "";
	}
	return s;
}

static bool list_args(api_req *req, audit_query *q)
{
	json_t *errors = api_errors_new(req);
	const char *id;

	memset(q, 0, sizeof *q);
	if (!errors)
		return false;
	q->action = text_arg(req, "action", errors);
	q->object_type = text_arg(req, "object_type", errors);
	id = api_req_query(req, "admin_id");
	q->admin_id = id ? id : "";
	if (id && *id && !hs_db_uuid_valid(id))
		api_error_add(errors, "admin_id", "must be a UUID");
	q->from = time_arg(req, "from", errors);
	q->to = time_arg(req, "to", errors);
	api_page_args(req, &q->pg, errors);
	return api_errors_none(req, errors);
}

static void audit_list(api_req *req)
{
	api_db_rule rules[2];
	api_db_map map = {"audit", rules, 0};
	audit_query q;

	if (!list_args(req, &q))
		return;
	/* PostgreSQL refuses a time it cannot read without saying which: the
	 * times given are named. */
	if (*q.from)
		rules[map.nrules++] =
			(api_db_rule){"22", NULL, 422, "from", "must be a valid date and time"};
	if (*q.to)
		rules[map.nrules++] =
			(api_db_rule){"22", NULL, 422, "to", "must be a valid date and time"};
	api_list_json(req, list_sql, 7,
		      (const char *[]){q.action, q.object_type, q.admin_id, q.from, q.to,
				       q.pg.limit, q.pg.offset},
		      &q.pg, NULL, &map);
}

static const api_route routes[] = {
	{"GET", "/api/v1/audit-logs", audit_list, "audit.read"},
};

const api_module api_mod_audit = {
	.name = "audit",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
