/*
 * GET /health: whether hotspotd can reach PostgreSQL as the API's role, and
 * which migration the database is at when it can tell.  The round trip is
 * the test; the migration comes from hs_db_health() only where that
 * function exists and may be called, so health never fails for want of it.
 */
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "api/module.h"
#include "common/log.h"

/* How long /health waits for a free pooled connection. */
#define HEALTH_POOL_WAIT_MS 2000

/* Answers the reachability question in the same round trip. */
static const char health_probe_sql[] =
	"SELECT p IS NOT NULL AND has_function_privilege(p::oid, 'EXECUTE')"
	" FROM to_regprocedure('hs_db_health()') AS p";

/*
 * The "migration" member of hs_db_health(), or NULL (a JSON null) when the
 * function answers without one or fails.
 */
static json_t *health_migration(PGconn *conn)
{
	PGresult *res =
		PQexecParams(conn, "SELECT hs_db_health()::text", 0, NULL, NULL, NULL, NULL, 0);
	json_t *doc = NULL, *mig = NULL;
	char err[256];

	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		hs_db_errmsg(conn, res, err, sizeof(err));
		hs_log(HS_LOG_WARN, "health: hs_db_health(): %s", err);
		goto out;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	mig = json_object_get(doc, "migration");
	if (mig)
		json_incref(mig);
out:
	json_decref(doc);
	PQclear(res);
	return mig ? mig : json_null();
}

static void health_get(api_req *req)
{
	json_t *data = json_pack("{s:s}", "version", HS_VERSION);
	json_t *migration = NULL;
	PGresult *res = NULL;
	PGconn *conn;
	char err[256];
	bool up = false, broken = false;

	conn = hs_db_pool_get(req->app->db, HEALTH_POOL_WAIT_MS, err, sizeof(err));
	if (!conn) {
		hs_log(HS_LOG_WARN, "health: database unreachable: %s", err);
		goto out;
	}
	res = PQexecParams(conn, health_probe_sql, 0, NULL, NULL, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		hs_db_errmsg(conn, res, err, sizeof(err));
		hs_log(HS_LOG_WARN, "health: database query failed: %s", err);
		broken = true;
		goto out;
	}
	up = true;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		migration = health_migration(conn);
out:
	PQclear(res);
	if (conn)
		hs_db_pool_put(req->app->db, conn, broken);
	json_object_set_new(data, "database", json_string(up ? "up" : "down"));
	json_object_set_new(data, "migration", migration ? migration : json_null());
	if (up)
		api_reply(req, 200, "ok", data);
	else
		api_reply(req, 503, "database unavailable", data);
}

static const api_route routes[] = {
	{"GET", "/health", health_get, NULL},
};

const api_module api_mod_health = {
	.name = "health",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
