/*
 * The plumbing the REST handlers share: how a failed statement answers,
 * reading one row or a page of rows as JSON, writing one row in a
 * transaction of its own, and the list arguments (page, per_page, sort_by,
 * sort_order).
 *
 * Every statement runs in the caller's tenant transaction (api_tx_begin),
 * so row-level security hides other tenants' rows: an id of theirs is not
 * found.  Each function here answers the request itself on every path
 * where it says so; the caller then just returns.
 */
#ifndef HS_API_CRUD_H
#define HS_API_CRUD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "api/http.h"

/* ---- failed statements ---------------------------------------------------- */

/*
 * A failure a module answers as the caller's mistake.  A rule matches when
 * the SQLSTATE starts with sqlstate (a code such as "23505", or a class
 * such as "22"; NULL: any) and, when constraint is given, the statement
 * broke that constraint (class 23).
 */
typedef struct {
	const char *sqlstate;
	const char *constraint;
	int status;          /* 409 or 422 */
	const char *field;   /* 422: the member named; NULL: the column PostgreSQL names */
	const char *message; /* NULL: PostgreSQL's primary message ("conflict" without one) */
} api_db_rule;

/* A module's rules, and its name for the log ("routers"). */
typedef struct {
	const char *what;
	const api_db_rule *rules;
	size_t nrules;
} api_db_map;

/*
 * Answers the failed statement res of conn (or one that did not return
 * the row it should; res may be NULL): 422 "validation failed" naming the
 * field of every 422 rule that matches, else 409 with the message of the
 * first 409 rule that matches, else 503 "database unavailable" when the
 * database may answer later, or 500 "internal error" (both logged with
 * the request's method and path).  map NULL: no rules.
 */
void api_db_fail(api_req *req, PGconn *conn, const PGresult *res, const api_db_map *map);

/* ---- one row -------------------------------------------------------------- */

/*
 * Runs sql with params in a transaction of the caller's tenant (rolled
 * back) and answers 200 "ok" with the JSON text of column col of its one
 * row (500 when it is not JSON); 404 "<what> not found" when there is no
 * row, or, when what is NULL (a row that always exists), a failure; a
 * failure by map.
 */
void api_get_json(api_req *req, const char *sql, int nparams, const char *const *params, int col,
		  const char *what, const api_db_map *map);

/*
 * A step of a write, run in its transaction after the statement and before
 * the commit: true to commit; false after answering (the write is rolled
 * back).
 */
typedef bool (*api_tx_step)(api_req *req, PGconn *conn, const PGresult *res, void *ctx);

/*
 * Runs the write sql with params in a transaction of the caller's tenant,
 * then step (when not NULL, with ctx), and commits.  Returns the JSON of
 * column col of the one row the statement returned (caller owns it); NULL
 * with the answer given: 404 "<what> not found" when no row came back, a
 * failure by map, 500 when the commit fails or the column is not JSON.
 */
json_t *api_write_json(api_req *req, const char *sql, int nparams, const char *const *params,
		       int col, const char *what, const api_db_map *map, api_tx_step step,
		       void *ctx) __attribute__((warn_unused_result));

/*
 * As api_write_json for a statement whose one row starts with the count (0
 * or 1) of the rows it acted on, such as a DELETE: 404 "<what> not found"
 * when the count is not 1.  Returns the statement's result after the
 * commit (caller PQclears it), or NULL with the answer given.
 */
PGresult *api_write_counted(api_req *req, const char *sql, int nparams, const char *const *params,
			    const char *what, const api_db_map *map, api_tx_step step, void *ctx)
	__attribute__((warn_unused_result));

/* ---- lists ---------------------------------------------------------------- */

#define API_PAGE_MAX     1000000
#define API_PER_PAGE_DEF 15
#define API_PER_PAGE_MAX 100

/* A page of a list: the query's page and per_page, as LIMIT and OFFSET text too. */
typedef struct {
	long page, per_page;
	char limit[24], offset[24];
} api_page;

/*
 * Reads page (1..API_PAGE_MAX, default 1) and per_page
 * (1..API_PER_PAGE_MAX, default API_PER_PAGE_DEF) into pg; errors added
 * under their names otherwise.
 */
void api_page_args(const api_req *req, api_page *pg, json_t *errors);

/* An ORDER BY clause for each direction of a sort_by key. */
typedef struct {
	const char *key, *asc, *desc;
} api_sort_key;

/*
 * The ORDER BY clause of the query's sort_by (one of keys[0..n), def when
 * absent or empty) and sort_order (asc, or desc: the default).  A refused
 * sort_order adds "must be asc or desc"; a refused sort_by adds by_error
 * and returns NULL.
 */
const char *api_sort_arg(const api_req *req, const api_sort_key *keys, size_t n, const char *def,
			 const char *by_error, json_t *errors);

/* A new errors object for a handler's checks, or NULL with a 500 answered. */
json_t *api_errors_new(api_req *req);

/*
 * Ends a handler's checks: true when errors is empty (and frees it); false
 * with a 422 "validation failed" answered (errors stolen).
 */
bool api_errors_none(api_req *req, json_t *errors);

/*
 * Runs sql with params in a transaction of the caller's tenant (rolled
 * back); its one row is (total, JSON array text).  Answers the array as
 * page pg of total; 404 "<parent> not found" when total is NULL and parent
 * is given (a list of a parent's rows); 500 when the array is not one; a
 * failure by map.
 */
void api_list_json(api_req *req, const char *sql, int nparams, const char *const *params,
		   const api_page *pg, const char *parent, const api_db_map *map);

#endif
