/*
 * The plumbing the REST handlers share (api/crud.h): one place that turns
 * a failed statement into its answer, and one transaction runner behind
 * reading a row, writing a row and reading a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/crud.h"
#include "api/valid.h"
#include "common/log.h"

/* ---- failed statements ---------------------------------------------------- */

static bool rule_matches(const api_db_rule *rule, const char *state, const char *constraint,
			 hs_db_result r)
{
	if (!state || (rule->sqlstate && strncmp(state, rule->sqlstate, strlen(rule->sqlstate))))
		return false;
	return !rule->constraint ||
	       (r == HS_DB_CONSTRAINT && constraint && strcmp(constraint, rule->constraint) == 0);
}

/*
 * Answers 422 with the field of every matching 422 rule that has a field
 * and a message (its own or PostgreSQL's); false when none has.
 */
static bool reply_invalid(api_req *req, const api_db_map *map, const PGresult *res,
			  const char *state, const char *constraint, hs_db_result r)
{
	const char *column = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	json_t *errors = NULL;
	bool matched = false;

	for (size_t i = 0; i < map->nrules; i++) {
		const api_db_rule *rule = &map->rules[i];
		const char *field = rule->field ? rule->field : column;
		const char *message = rule->message ? rule->message : primary;

		if (rule->status != 422 || !field || !message ||
		    !rule_matches(rule, state, constraint, r))
			continue;
		matched = true;
		if (!errors)
			errors = json_object();
		if (errors)
			api_error_add(errors, field, message);
	}
	if (matched)
		api_reply_invalid(req, "validation failed", errors);
	return matched;
}

void api_db_fail(api_req *req, PGconn *conn, const PGresult *res, const api_db_map *map)
{
	static const api_db_map none = {"api", NULL, 0};
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	hs_db_result r = hs_db_classify(conn, res);
	char err[256];

	if (!map)
		map = &none;
	if (reply_invalid(req, map, res, state, constraint, r))
		return;
	for (size_t i = 0; i < map->nrules; i++) {
		const api_db_rule *rule = &map->rules[i];
		const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

		if (rule->status == 409 && rule_matches(rule, state, constraint, r)) {
			api_reply_error(req, 409,
					rule->message ? rule->message
						      : (primary ? primary : "conflict"));
			return;
		}
	}
	hs_db_errmsg(conn, res, err, sizeof err);
	hs_log(HS_LOG_ERROR, "%s: %s %s: %s", map->what, req->method, req->path, err);
	if (r == HS_DB_RETRY)
		api_reply_error(req, 503, "database unavailable");
	else
		api_reply_error(req, 500, "internal error");
}

/* ---- the transaction runner ----------------------------------------------- */

/* What a statement's rows must be. */
typedef enum {
	ROW_ONE,     /* one row; none is 404 */
	ROW_COUNTED, /* one row whose column 0 is "1"; another count is 404 */
	ROW_ALWAYS,  /* one row; anything else is a failure */
} row_rule;

typedef struct {
	const char *sql;
	int nparams;
	const char *const *params;
	const char *what; /* "<what> not found" */
	const api_db_map *map;
	row_rule rows;
	bool commit; /* false: rolled back */
	api_tx_step step;
	void *ctx;
} tx_spec;

static void reply_not_found(api_req *req, const char *what)
{
	char msg[96];

	snprintf(msg, sizeof msg, "%s not found", what);
	api_reply_error(req, 404, msg);
}

/*
 * Runs sp's statement in a transaction of the caller's tenant, checks its
 * rows, runs the step, and ends the transaction.  Returns the result
 * (caller PQclears it), or NULL with the answer given.
 */
static PGresult *tx_run(api_req *req, const tx_spec *sp)
{
	PGresult *res = NULL, *done = NULL;
	PGconn *conn = api_tx_begin(req);
	bool one;

	if (!conn)
		return NULL;
	res = PQexecParams(conn, sp->sql, sp->nparams, NULL, sp->params, NULL, NULL, 0);
	one = PQntuples(res) == 1;
	if (hs_db_classify(conn, res) != HS_DB_OK || (sp->rows != ROW_ONE && !one)) {
		api_db_fail(req, conn, res, sp->map);
		goto out;
	}
	if (!one || (sp->rows == ROW_COUNTED && strcmp(PQgetvalue(res, 0, 0), "1") != 0)) {
		reply_not_found(req, sp->what);
		goto out;
	}
	if (sp->step && !sp->step(req, conn, res, sp->ctx))
		goto out;
	if (sp->commit) {
		hs_db_result r = api_tx_end(req, conn, true);

		conn = NULL;
		if (r != HS_DB_OK) {
			api_reply_error(req, 500, "internal error");
			goto out;
		}
	}
	done = res;
	res = NULL;
out:
	PQclear(res);
	api_tx_end(req, conn, false);
	return done;
}

/* ---- one row -------------------------------------------------------------- */

void api_get_json(api_req *req, const char *sql, int nparams, const char *const *params, int col,
		  const char *what, const api_db_map *map)
{
	tx_spec sp = {sql,   nparams, params, what, map, what ? ROW_ONE : ROW_ALWAYS,
		      false, NULL,    NULL};
	PGresult *res = tx_run(req, &sp);
	json_t *data;

	if (!res)
		return;
	data = json_loads(PQgetvalue(res, 0, col), 0, NULL);
	api_reply(req, data ? 200 : 500, data ? "ok" : "internal error", data);
	PQclear(res);
}

json_t *api_write_json(api_req *req, const char *sql, int nparams, const char *const *params,
		       int col, const char *what, const api_db_map *map, api_tx_step step,
		       void *ctx)
{
	tx_spec sp = {sql, nparams, params, what, map, ROW_ONE, true, step, ctx};
	PGresult *res = tx_run(req, &sp);
	json_t *data;

	if (!res)
		return NULL;
	data = json_loads(PQgetvalue(res, 0, col), 0, NULL);
	PQclear(res);
	if (!data)
		api_reply_error(req, 500, "internal error");
	return data;
}

PGresult *api_write_counted(api_req *req, const char *sql, int nparams, const char *const *params,
			    const char *what, const api_db_map *map, api_tx_step step, void *ctx)
{
	tx_spec sp = {sql, nparams, params, what, map, ROW_COUNTED, true, step, ctx};

	return tx_run(req, &sp);
}

/* ---- lists ---------------------------------------------------------------- */

void api_page_args(const api_req *req, api_page *pg, json_t *errors)
{
	memset(pg, 0, sizeof *pg);
	pg->page = api_query_int(req, "page", 1, API_PAGE_MAX, errors);
	pg->per_page = api_query_int(req, "per_page", API_PER_PAGE_DEF, API_PER_PAGE_MAX, errors);
	if (pg->page < 1 || pg->per_page < 1)
		return;
	snprintf(pg->limit, sizeof pg->limit, "%ld", pg->per_page);
	snprintf(pg->offset, sizeof pg->offset, "%ld", (pg->page - 1) * pg->per_page);
}

const char *api_sort_arg(const api_req *req, const api_sort_key *keys, size_t n, const char *def,
			 const char *by_error, json_t *errors)
{
	const char *by = api_req_query(req, "sort_by"), *dir = api_req_query(req, "sort_order");
	bool desc = true;

	if (!by || *by == '\0')
		by = def;
	if (dir && *dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
		api_error_add(errors, "sort_order", "must be asc or desc");
	else if (dir && strcmp(dir, "asc") == 0)
		desc = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(by, keys[i].key) == 0)
			return desc ? keys[i].desc : keys[i].asc;
	api_error_add(errors, "sort_by", by_error);
	return NULL;
}

json_t *api_errors_new(api_req *req)
{
	json_t *errors = json_object();

	if (!errors)
		api_reply_error(req, 500, "internal error");
	return errors;
}

bool api_errors_none(api_req *req, json_t *errors)
{
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

void api_list_json(api_req *req, const char *sql, int nparams, const char *const *params,
		   const api_page *pg, const char *parent, const api_db_map *map)
{
	tx_spec sp = {sql, nparams, params, parent, map, ROW_ALWAYS, false, NULL, NULL};
	PGresult *res = tx_run(req, &sp);
	json_t *items;

	if (!res)
		return;
	if (parent && PQgetisnull(res, 0, 0)) {
		reply_not_found(req, parent);
		goto out;
	}
	items = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	if (!json_is_array(items)) {
		json_decref(items);
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	api_reply_list(req, items, pg->page, pg->per_page, atol(PQgetvalue(res, 0, 0)));
out:
	PQclear(res);
}
