/*
 * Configuration backups of a router, kept in mikrotik_config_history:
 *
 *   POST /api/v1/router-management/:id/backups                      export now (201)
 *   POST /api/v1/router-management/:id/backup                       the same (the seed's path)
 *   GET  /api/v1/router-management/:id/backups                      newest first, pages
 *   GET  /api/v1/router-management/:id/backups/:backup_id/download  the .rsc script
 *   POST /api/v1/router-management/:id/backups/:backup_id/restore   import it on the router
 *   DELETE /api/v1/router-management/:id/backups/:backup_id         forget a backup
 *   GET  /api/v1/router-management/:id/backup-schedule              the daily backup
 *   PUT  /api/v1/router-management/:id/backup-schedule              {enabled, time_of_day}
 *
 * A backup is the router's /export (a RouterOS script, text) read back
 * over the API: a 'backup' row with changed_by the admin and the script in
 * content.  A restore imports that script through the provisioner (cut
 * into parts the API can upload) and adds a 'restore' row naming the
 * backup, whether it succeeded or not once the router was reached (a
 * failed restore may have applied some parts).  The router operations run
 * as in api/router_ops.c: inline, within ROUTER_OP_TIMEOUT, 502/504 when
 * the router fails.  Scheduled backups are made by the router.backup job
 * (api/job_backup.c) at time_of_day in the tenant's time zone, once a day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/router_ops.h"
#include "api/valid.h"
#include "common/log.h"

#define PER_PAGE_DEF 15
#define PER_PAGE_MAX 100
#define PAGE_MAX     1000000

/* A history row as answers show it (never its content). */
#define HISTORY_JSON                                                                               \
	"json_build_object('id', h.id, 'router_id', h.device_id, 'change_type', h.change_type,"    \
	" 'file_name', h.file_name, 'size_bytes', coalesce(octet_length(h.content), 0),"           \
	" 'source', coalesce(h.configuration_data->>'source', 'api'),"                             \
	" 'configuration_data', h.configuration_data, 'changed_by', h.changed_by,"                 \
	" 'changed_by_email', (SELECT a.email FROM admins a WHERE a.id = h.changed_by),"           \
	" 'created_at', h.created_at)"

/*
 * A history row and its audit row (router.backup, router.restore, or
 * router.configure for an update): $1 router, $2 change_type, $3 data,
 * $4 file name, $5 content, $6 admin, $7 client address.  No row when the
 * router is gone (the foreign key is checked by the SELECT's join).
 */
static const char insert_sql[] =
	"WITH h AS (INSERT INTO mikrotik_config_history (tenant_id, device_id, change_type,"
	" configuration_data, file_name, content, changed_by)"
	" SELECT d.tenant_id, d.id, $2, $3::jsonb, $4, $5, $6::uuid FROM mikrotik_devices d"
	" WHERE d.id = $1::uuid RETURNING *),"
	" a AS (INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id,"
	" details, ip) SELECT h.tenant_id, $6::uuid, CASE h.change_type WHEN 'update'"
	" THEN 'router.configure' ELSE 'router.' || h.change_type END, 'router',"
	" h.device_id::text, json_build_object('history_id', h.id)::jsonb, nullif($7, '')::inet"
	" FROM h)"
	" SELECT " HISTORY_JSON "::text FROM h";

/* ---- the history row ---------------------------------------------------------- */

int api_router_history_insert(api_req *req, const char *id, const char *type, const json_t *data,
			      const char *file_name, const char *content, json_t **row)
{
	char ip[INET6_ADDRSTRLEN], *data_text = json_dumps(data, JSON_COMPACT);
	const char *params[7] = {id, type, data_text, file_name, content, req->who.admin_id, ip};
	PGresult *res = NULL;
	PGconn *conn = NULL;
	int status = 500;

	*row = NULL;
	api_client_ip(req, ip, sizeof ip);
	if (!data_text)
		goto out;
	status = -1;
	conn = api_tx_begin(req);
	if (!conn)
		goto out;
	status = 503;
	res = PQexecParams(conn, insert_sql, 7, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK)
		goto out;
	status = 404;
	if (PQntuples(res) != 1)
		goto out;
	status = 503;
	if (api_tx_end(req, conn, true) != HS_DB_OK) {
		conn = NULL;
		goto out;
	}
	conn = NULL;
	*row = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	status = *row ? 0 : 500;
out:
	PQclear(res);
	api_tx_end(req, conn, false);
	free(data_text);
	return status;
}

/* Inserts a history row and answers status with it, or the failure. */
static void history_add(api_req *req, const char *id, const char *type, const json_t *data,
			const char *file_name, const char *content, int status, const char *message)
{
	json_t *row;
	int rc = api_router_history_insert(req, id, type, data, file_name, content, &row);

	if (rc == 0)
		api_reply(req, status, message, row);
	else if (rc > 0)
		api_reply_error(req, rc,
				rc == 404   ? "router not found"
				: rc == 503 ? "database unavailable"
					    : "internal error");
}

/* ---- create ----------------------------------------------------------------- */

typedef struct {
	char file_name[64];
	char *content;
	size_t len;
} export_data;

static void export_free(void *p)
{
	export_data *d = p;

	if (d)
		free(d->content);
	free(d);
}

static void export_fn(api_router_op *op)
{
	export_data *d = op->data;

	op->err = api_router_export(op->pool, d->file_name, &d->content, &d->len, &op->msg);
}

static void backup_create(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");
	api_router_target t;
	api_router_op *op;
	export_data *d;
	json_t *data;

	if (!id || !api_router_load(req, id, &t))
		return;
	op = api_router_op_new(&t, export_fn);
	if (!op || !(op->data = calloc(1, sizeof(export_data)))) {
		api_router_op_free(op);
		api_reply_error(req, 500, "internal error");
		return;
	}
	op->data_free = export_free;
	if (!api_router_op_run(req, op))
		return;
	d = op->data;
	if (op->err != ROS_OK) {
		api_router_reply_failure(req, op->err, &op->msg);
		goto out;
	}
	data = json_pack("{s:s, s:I, s:I}", "source", "api", "size", (json_int_t)d->len,
			 "duration_ms", (json_int_t)op->ms);
	history_add(req, id, "backup", data, d->file_name, d->content, 201,
		    "Backup created successfully");
	json_decref(data);
out:
	api_router_op_free(op);
}

/* ---- list ---------------------------------------------------------------------- */

/* $1 router, $2 the change types, $3 LIMIT, $4 OFFSET.  First column: whether the router exists. */
static const char list_sql[] =
	"WITH f AS (SELECT h.* FROM mikrotik_config_history h"
	" WHERE h.device_id = $1::uuid AND h.change_type = ANY ($2::text[])),"
	" p AS (SELECT h.* FROM f h ORDER BY h.created_at DESC, h.id DESC"
	" LIMIT $3::int OFFSET $4::int)"
	" SELECT EXISTS (SELECT 1 FROM mikrotik_devices WHERE id = $1::uuid), (SELECT count(*) "
	"FROM f),"
	" coalesce((SELECT json_agg(" HISTORY_JSON " ORDER BY h.created_at DESC, h.id DESC)"
	" FROM p h), '[]')";

/* The type argument as a text[] literal; NULL with an error added. */
static const char *type_arg(const api_req *req, json_t *errors)
{
	const char *s = api_req_query(req, "type");

	if (!s || !*s || strcmp(s, "backup") == 0)
		return "{backup}";
	if (strcmp(s, "restore") == 0)
		return "{restore}";
	if (strcmp(s, "all") == 0)
		return "{backup,restore,update}";
	api_error_add(errors, "type", "must be backup, restore or all");
	return NULL;
}

static void backup_list(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router"), *params[4];
	json_t *errors = json_object(), *items;
	char limit[24], offset[24];
	PGresult *res = NULL;
	PGconn *conn = NULL;
	long page, per_page;

	if (!id)
		goto out;
	params[1] = type_arg(req, errors);
	page = api_query_int(req, "page", 1, PAGE_MAX, errors);
	per_page = api_query_int(req, "per_page", PER_PAGE_DEF, PER_PAGE_MAX, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
		goto out;
	}
	snprintf(limit, sizeof limit, "%ld", per_page);
	snprintf(offset, sizeof offset, "%ld", (page - 1) * per_page);
	params[0] = id;
	params[2] = limit;
	params[3] = offset;
	conn = api_tx_begin(req);
	if (!conn)
		goto out;
	res = PQexecParams(conn, list_sql, 4, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		api_reply_error(req, 404, "router not found");
		goto out;
	}
	items = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
	if (!json_is_array(items)) {
		json_decref(items);
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	api_reply_list(req, items, page, per_page, atol(PQgetvalue(res, 0, 1)));
out:
	PQclear(res);
	api_tx_end(req, conn, false);
	json_decref(errors);
}

/* ---- one backup ------------------------------------------------------------------ */

static const char backup_sql[] =
	"SELECT h.file_name, h.content FROM mikrotik_config_history h"
	" WHERE h.id = $2::uuid AND h.device_id = $1::uuid AND h.change_type = 'backup'"
	" AND h.content IS NOT NULL";

/*
 * The content and file name of backup bid of router id, or false with the
 * answer given (404 "backup not found").  *content is malloc'd.
 */
static bool backup_fetch(api_req *req, const char *id, const char *bid, char **content, size_t *len,
			 char file_name[64])
{
	const char *params[2] = {id, bid};
	PGresult *res = NULL;
	PGconn *conn;
	bool ok = false;

	*content = NULL;
	conn = api_tx_begin(req);
	if (!conn)
		return false;
	res = PQexecParams(conn, backup_sql, 2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	if (PQntuples(res) != 1) {
		api_reply_error(req, 404, "backup not found");
		goto out;
	}
	*len = (size_t)PQgetlength(res, 0, 1);
	*content = malloc(*len + 1);
	if (!*content) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	memcpy(*content, PQgetvalue(res, 0, 1), *len + 1);
	/* Names are made by hotspotd; anything else becomes a plain name. */
	snprintf(file_name, 64, "%s", PQgetvalue(res, 0, 0));
	if (!file_name[0] ||
	    strspn(file_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789._-") != strlen(file_name))
		snprintf(file_name, 64, "backup.rsc");
	ok = true;
out:
	PQclear(res);
	api_tx_end(req, conn, false);
	return ok;
}

static void backup_download(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router"), *bid;
	char file_name[64], disposition[128], *content;
	size_t len;

	if (!id || !(bid = api_param_uuid(req, 1, "backup")))
		return;
	if (!backup_fetch(req, id, bid, &content, &len, file_name))
		return;
	snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", file_name);
	if (api_reply_header(req, "Content-Disposition", disposition) != 0) {
		free(content);
		api_reply_error(req, 500, "internal error");
		return;
	}
	api_reply_body(req, 200, "text/plain; charset=utf-8", content, len);
}

/* ---- restore ---------------------------------------------------------------------- */

typedef struct {
	char file_name[64];
	char upload[48]; /* the parts' name on the router, unique per restore */
	char *content;
	size_t len;
	ros_prov_import_result out;
} restore_data;

static void restore_free(void *p)
{
	restore_data *d = p;

	if (d)
		free(d->content);
	free(d);
}

static void restore_fn(api_router_op *op)
{
	restore_data *d = op->data;

	op->err = ros_prov_import(op->pool, d->upload, d->content, d->len, 0, &d->out, &op->msg);
}

/* Records the restore of backup bid and answers with it. */
static void restore_record(api_req *req, const char *id, const char *bid, const api_router_op *op)
{
	const restore_data *d = op->data;
	bool ok = op->err == ROS_OK;
	json_t *data =
		json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s?, s:I}", "source", "api", "backup_id",
			  bid, "result", ok ? "ok" : "failed", "parts", (json_int_t)d->out.parts,
			  "bytes", (json_int_t)d->out.bytes, "message", d->out.message, "error",
			  ok ? NULL : op->msg.text, "duration_ms", (json_int_t)op->ms);

	json_t *row = NULL;

	if (ok) {
		history_add(req, id, "restore", data, d->file_name, NULL, 200,
			    "Backup restored successfully");
	} else {
		/* The router's failure is the answer; the row says what reached it. */
		if (api_router_history_insert(req, id, "restore", data, d->file_name, NULL, &row) >
		    0)
			hs_log(HS_LOG_WARN, "router %s: a failed restore was not recorded", id);
		json_decref(row);
		api_router_reply_failure(req, op->err, &op->msg);
	}
	json_decref(data);
}

static void backup_restore(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router"), *bid;
	char uuid[API_UUID_LEN];
	api_router_target t;
	api_router_op *op;
	restore_data *d;

	if (!id || !(bid = api_param_uuid(req, 1, "backup")) || !api_router_load(req, id, &t))
		return;
	d = calloc(1, sizeof *d);
	if (!d) {
		api_router_target_clear(&t);
		api_reply_error(req, 500, "internal error");
		return;
	}
	if (!backup_fetch(req, id, bid, &d->content, &d->len, d->file_name)) {
		restore_free(d);
		api_router_target_clear(&t);
		return;
	}
	/* The history row's id would do, but it comes after; a random name keeps
	 * two restores of one router from sharing their parts. */
	if (api_uuid_v4(uuid) != 0) {
		restore_free(d);
		api_router_target_clear(&t);
		api_reply_error(req, 500, "internal error");
		return;
	}
	snprintf(d->upload, sizeof d->upload, "hotspot-aaa-restore-%.8s", uuid);
	op = api_router_op_new(&t, restore_fn);
	if (!op) {
		restore_free(d);
		api_reply_error(req, 500, "internal error");
		return;
	}
	op->data = d;
	op->data_free = restore_free;
	if (!api_router_op_run(req, op))
		return;
	restore_record(req, id, bid, op);
	api_router_op_free(op);
}

/* ---- delete ------------------------------------------------------------------------ */

/* $1 router, $2 backup, $3 admin, $4 client address: the count deleted (0 or 1). */
static const char delete_sql[] =
	"WITH h AS (DELETE FROM mikrotik_config_history WHERE id = $2::uuid"
	" AND device_id = $1::uuid AND change_type = 'backup' RETURNING id, tenant_id, device_id),"
	" a AS (INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id,"
	" details, ip) SELECT h.tenant_id, $3::uuid, 'router.backup_delete', 'router',"
	" h.device_id::text, json_build_object('history_id', h.id)::jsonb, nullif($4, '')::inet"
	" FROM h)"
	" SELECT count(*) FROM h";

static void backup_delete(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router"), *bid, *params[4];
	char ip[INET6_ADDRSTRLEN];
	PGresult *res = NULL;
	PGconn *conn;
	int status = 503;

	if (!id || !(bid = api_param_uuid(req, 1, "backup")) || !(conn = api_tx_begin(req)))
		return;
	api_client_ip(req, ip, sizeof ip);
	params[0] = id;
	params[1] = bid;
	params[2] = req->who.admin_id;
	params[3] = ip;
	res = PQexecParams(conn, delete_sql, 4, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) == HS_DB_OK && PQntuples(res) == 1)
		status = strcmp(PQgetvalue(res, 0, 0), "1") == 0 ? 200 : 404;
	PQclear(res);
	if (api_tx_end(req, conn, status == 200) != HS_DB_OK)
		status = 503;
	if (status == 200)
		api_reply(req, 200, "Backup deleted successfully", NULL);
	else
		api_reply_error(req, status,
				status == 404 ? "backup not found" : "database unavailable");
}

/* ---- the schedule ------------------------------------------------------------------- */

/* The schedule of router $1 (a row even without one: enabled false). */
static const char schedule_sql[] =
	"SELECT json_build_object('enabled', coalesce(s.enabled, false),"
	" 'time_of_day', to_char(s.time_of_day, 'HH24:MI'), 'time_zone', t.time_zone,"
	" 'next_run_at', CASE WHEN s.enabled THEN hs_router_backup_next(t.time_zone,"
	" s.time_of_day, greatest(s.last_run_at, s.set_at)) END,"
	" 'last_run_at', s.last_run_at, 'last_backup_at', s.last_backup_at,"
	" 'last_error', s.last_error, 'updated_at', s.updated_at)::text"
	" FROM mikrotik_devices d JOIN tenants t ON t.id = d.tenant_id"
	" LEFT JOIN router_backup_schedules s ON s.device_id = d.id WHERE d.id = $1::uuid";

/*
 * Sets the schedule: $1 router, $2 enabled, $3 time of day or NULL (kept;
 * 00:00 for a new disabled one).  set_at moves to now: the next run is the
 * first time_of_day from now on.
 */
static const char schedule_put_sql[] =
	"INSERT INTO router_backup_schedules AS s (device_id, tenant_id, enabled, time_of_day)"
	" SELECT d.id, d.tenant_id, $2::boolean, coalesce($3::time, '00:00') FROM mikrotik_devices "
	"d"
	" WHERE d.id = $1::uuid"
	" ON CONFLICT (device_id) DO UPDATE SET enabled = EXCLUDED.enabled,"
	" time_of_day = coalesce($3::time, s.time_of_day), set_at = now()"
	" RETURNING device_id";

/* The schedule of router id into *data.  0, or the status to answer (404, 503, 500). */
static int schedule_fetch(PGconn *conn, const char *id, json_t **data)
{
	PGresult *res = PQexecParams(conn, schedule_sql, 1, NULL, &id, NULL, NULL, 0);
	int status = 0;

	*data = NULL;
	if (hs_db_classify(conn, res) != HS_DB_OK)
		status = 503;
	else if (PQntuples(res) != 1)
		status = 404;
	else if (!(*data = json_loads(PQgetvalue(res, 0, 0), 0, NULL)))
		status = 500;
	PQclear(res);
	return status;
}

static const char *status_text(int status)
{
	return status == 404   ? "router not found"
	       : status == 503 ? "database unavailable"
			       : "internal error";
}

static void schedule_get(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");
	PGconn *conn;

	json_t *data;
	int status;

	if (!id || !(conn = api_tx_begin(req)))
		return;
	status = schedule_fetch(conn, id, &data);
	api_tx_end(req, conn, false);
	if (status)
		api_reply_error(req, status, status_text(status));
	else
		api_reply(req, 200, "ok", data);
}

/* "HH:MM", 00:00 to 23:59. */
static bool time_ok(const char *s)
{
	return s && strlen(s) == 5 && s[2] == ':' && strspn(s, "0123456789:") == 5 &&
	       ((s[0] == '2' && s[1] <= '3') || s[0] < '2') && s[3] <= '5' && s[0] != ':' &&
	       s[1] != ':' && s[3] != ':' && s[4] != ':';
}

/* The body into *enabled and tod (NULL: keep); false with a 422 answered. */
static bool schedule_body(api_req *req, const json_t *body, bool *enabled, const char **tod)
{
	const json_t *e = json_object_get(body, "enabled"),
		     *t = json_object_get(body, "time_of_day");
	json_t *errors = json_object();

	*tod = NULL;
	if (!json_is_boolean(e))
		api_error_add(errors, "enabled", "is required: true or false");
	*enabled = json_is_true(e);
	if (t && !json_is_null(t)) {
		*tod = json_string_value(t);
		if (!time_ok(*tod))
			api_error_add(
				errors, "time_of_day",
				"must be HH:MM, from 00:00 to 23:59, in the tenant's time zone");
	} else if (*enabled) {
		api_error_add(errors, "time_of_day", "is required to enable the schedule");
	}
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

static void schedule_put(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router"), *tod, *params[3];
	json_t *body = NULL, *data = NULL;
	PGresult *res = NULL;
	PGconn *conn = NULL;
	bool enabled;
	int status;

	if (!id || !(body = api_body_object(req)) || !schedule_body(req, body, &enabled, &tod))
		goto out;
	params[0] = id;
	params[1] = enabled ? "true" : "false";
	params[2] = tod;
	conn = api_tx_begin(req);
	if (!conn)
		goto out;
	res = PQexecParams(conn, schedule_put_sql, 3, NULL, params, NULL, NULL, 0);
	status = hs_db_classify(conn, res) != HS_DB_OK ? 503 : PQntuples(res) != 1 ? 404 : 0;
	if (!status)
		status = schedule_fetch(conn, id, &data);
	if (!status) {
		status = api_tx_end(req, conn, true) == HS_DB_OK ? 0 : 503;
		conn = NULL;
	}
	if (status) {
		json_decref(data);
		api_reply_error(req, status, status_text(status));
	} else {
		api_reply(req, 200, "Backup schedule saved", data);
	}
out:
	PQclear(res);
	api_tx_end(req, conn, false);
	json_decref(body);
}

static const api_route routes[] = {
	{"POST", "/api/v1/router-management/:id/backups", backup_create, "routers.write"},
	{"POST", "/api/v1/router-management/:id/backup", backup_create, "routers.write"},
	{"GET", "/api/v1/router-management/:id/backups", backup_list, "routers.read"},
	{"GET", "/api/v1/router-management/:id/backups/:backup_id/download", backup_download,
	 "routers.read"},
	{"POST", "/api/v1/router-management/:id/backups/:backup_id/restore", backup_restore,
	 "routers.write"},
	{"DELETE", "/api/v1/router-management/:id/backups/:backup_id", backup_delete,
	 "routers.write"},
	{"GET", "/api/v1/router-management/:id/backup-schedule", schedule_get, "routers.read"},
	{"PUT", "/api/v1/router-management/:id/backup-schedule", schedule_put, "routers.write"},
};

const api_module api_mod_router_backups = {
	.name = "router_backups",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
