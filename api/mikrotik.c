/*
 * /api/v1/mikrotik/:id/...: a router's live state, read and changed over
 * its RouterOS API.
 *
 *   GET  /api/v1/mikrotik/:id/statistics                  CPU, memory, uptime, version
 *   GET  /api/v1/router-management/:id/statistics         the same
 *   GET  /api/v1/mikrotik/:id/interfaces                  interfaces and counters
 *   POST /api/v1/mikrotik/:id/interfaces/:name/enable     enable an interface
 *   POST /api/v1/mikrotik/:id/interfaces/:name/disable    disable it
 *   GET  /api/v1/mikrotik/:id/users                       hotspot users
 *   POST /api/v1/mikrotik/:id/users                       create a hotspot user
 *   GET  /api/v1/mikrotik/:id/active                      active hotspot sessions
 *   POST /api/v1/mikrotik/:id/active/:session_id/kick     end a session
 *
 * The router is looked up in the caller's tenant transaction (row-level
 * security: another tenant's router is 404), its sealed API password opened
 * with APP_KEY, and the transaction ended before the router is asked: no
 * database connection waits on a router.  Every call goes through the
 * router's shared pool (api/router_conn.h), the same connections and token
 * bucket the monitor and the router.kick job use.  Statistics are answered
 * from the shared cache when younger than ROUTER_STATS_CACHE seconds.
 *
 * A router that refuses or fails is 502 with the pool's message, which
 * names the router and what to check; one that does not answer in
 * ROUTER_API_TIMEOUT is 504; our own per-router request budget spent is
 * 429.  Changes are written to the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/router_conn.h"
#include "api/valid.h"
#include "common/log.h"

#define MK_NAME_MAX       64 /* characters of a user, profile or interface name */
#define MK_PASSWORD_MAX   64
#define MK_COMMENT_MAX    128
#define MK_PER_PAGE_DEF   100
#define MK_PER_PAGE_MAX   1000
#define MK_PAGE_MAX       1000000
#define MK_UPTIME_MAX     (10LL * 365 * 86400)
#define MK_BYTES_MAX      (1LL << 50) /* a PiB */
#define MK_SESSION_ID_MAX 9           /* "*" and up to 8 hex digits */

/* A router ready to be asked: its entry in the registry, held. */
typedef struct {
	const char *id;
	api_router_target target;
	api_router *router;
} mk_router;

static void mk_close(mk_router *r)
{
	api_router_put(r->router);
	r->router = NULL;
	api_router_target_clear(&r->target);
}

/* ---- the router ----------------------------------------------------------- */

/* Reads the router's API target in the caller's tenant.  1 found, 0 not
 * found, -1 with a 503 or 500 answered. */
static int mk_lookup(api_req *req, const char *id, PGresult **out)
{
	PGconn *conn = api_tx_begin(req);
	PGresult *res;
	int rc = -1;

	*out = NULL;
	if (!conn)
		return -1;
	res = PQexecParams(
		conn, "SELECT " API_ROUTER_TARGET_COLS " FROM mikrotik_devices WHERE id = $1::uuid",
		1, NULL, &id, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		char err[256];

		hs_db_errmsg(conn, res, err, sizeof err);
		hs_log(HS_LOG_ERROR, "mikrotik: %s %s: %s", req->method, req->path, err);
		api_reply_error(req, 503, "database unavailable");
		PQclear(res);
	} else {
		rc = PQntuples(res) == 1;
		*out = res;
	}
	api_tx_end(req, conn, false);
	return rc;
}

/*
 * Opens the router named by the route's first :id for the caller.  true
 * with r ready; false with the answer given (404 unknown or another
 * tenant's, 409 no usable credentials, 503 no APP_KEY).
 */
static bool mk_open(api_req *req, mk_router *r)
{
	PGresult *res = NULL;
	const char *why;
	bool ok = false;
	int found;

	memset(r, 0, sizeof *r);
	r->id = api_param_uuid(req, 0, "router");
	if (!r->id)
		return false;
	found = mk_lookup(req, r->id, &res);
	if (found <= 0) {
		if (found == 0)
			api_reply_error(req, 404, "router not found");
		goto out;
	}
	snprintf(r->target.router_id, sizeof r->target.router_id, "%s", r->id);
	why = api_router_target_fill(&r->target, req->app->cfg, res, 0, 0);
	if (why) {
		api_reply_error(req, api_router_reason_status(why), why);
		goto out;
	}
	r->router = api_router_get(req->app->cfg, &r->target);
	if (!r->router) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	ok = true;
out:
	PQclear(res);
	if (!ok)
		mk_close(r);
	return ok;
}

/*
 * Answers a failed router call: 504 when the router did not answer in
 * time, 404 (missing) for ROS_ERR_NOT_FOUND, 429 when our budget for the
 * router is spent, 502 for anything else the router did or failed to do.
 */
static void mk_fail(api_req *req, const mk_router *r, ros_err err, const ros_msg *msg,
		    const char *missing)
{
	const char *text = msg->text[0] ? msg->text : ros_err_str(err);
	int status = 502;

	switch (err) {
	case ROS_ERR_CONNECT_TIMEOUT:
	case ROS_ERR_TIMEOUT:
		status = 504;
		break;
	case ROS_ERR_NOT_FOUND:
		api_reply_error(req, 404, missing);
		return;
	case ROS_ERR_RATE_LIMITED:
		status = 429;
		api_reply_header(req, "Retry-After", "1");
		break;
	default:
		break;
	}
	hs_log(HS_LOG_INFO, "mikrotik: router %s: %s: %s", r->id, ros_err_name(err), text);
	api_reply_error(req, status, text);
}

/* Records a change made on the router in the audit log, in a tenant
 * transaction of its own (taken straight from the pool, so that a failure
 * here answers nothing: the change is done either way, and is logged). */
static void mk_audit(api_req *req, const mk_router *r, const char *action, json_t *details)
{
	char ip[64], err[256], *text = json_dumps(details, JSON_COMPACT);
	const char *params[5] = {req->who.admin_id, action, r->id, text, ip};
	PGconn *conn = NULL;
	PGresult *res = NULL;
	bool ok = false;

	api_client_ip(req, ip, sizeof ip);
	if (!text)
		goto out;
	conn = hs_db_pool_get(req->app->db, 5000, err, sizeof err);
	if (!conn || hs_db_tx_tenant(conn, req->who.tenant_id, err, sizeof err) != HS_DB_OK)
		goto out;
	res = PQexecParams(conn,
			   "INSERT INTO audit_log (tenant_id, admin_id, action, object_type,"
			   " object_id, details, ip) VALUES (hs_current_tenant(), $1::uuid, $2,"
			   " 'router', $3, $4::jsonb, nullif($5, '')::inet)",
			   5, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) == HS_DB_OK) {
		PQclear(res);
		res = PQexec(conn, "COMMIT");
		ok = hs_db_classify(conn, res) == HS_DB_OK;
	}
out:
	if (!ok)
		hs_log(HS_LOG_WARN, "mikrotik: router %s: %s not written to the audit log", r->id,
		       action);
	PQclear(res);
	if (conn)
		hs_db_pool_put(req->app->db, conn, !ok);
	free(text);
	json_decref(details);
}

/* ---- lists ---------------------------------------------------------------------- */

/* Answers items (stolen) as one page of page/per_page. */
static void mk_reply_page(api_req *req, json_t *items)
{
	json_t *errors = json_object(), *page_items = NULL;
	long page, per_page;
	size_t total = json_array_size(items);

	if (!errors || !items) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	page = api_query_int(req, "page", 1, MK_PAGE_MAX, errors);
	per_page = api_query_int(req, "per_page", MK_PER_PAGE_DEF, MK_PER_PAGE_MAX, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
		goto out;
	}
	page_items = json_array();
	for (size_t i = (size_t)((page - 1) * per_page);
	     page_items && i < total && i < (size_t)(page * per_page); i++)
		json_array_append(page_items, json_array_get(items, i));
	if (!page_items) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	api_reply_list(req, page_items, page, per_page, (long)total);
out:
	json_decref(errors);
	json_decref(items);
}

static json_t *jbytes(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* ---- statistics --------------------------------------------------------------------- */

static json_t *stats_json(const mk_router *r, const ros_prov_stats *st, const char *identity,
			  time_t at, bool cached)
{
	char when[32], up[48];
	struct tm tm;
	json_t *o;

	gmtime_r(&at, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i}", "router_id", r->id, "identity",
		      identity, "version", st->version, "board", st->board, "architecture",
		      st->architecture, "cpu_load", st->cpu_load, "cpu_count", st->cpu_count,
		      "version_major", st->major);
	if (!o)
		return NULL;
	json_object_set_new(o, "free_memory", jbytes(st->free_memory));
	json_object_set_new(o, "total_memory", jbytes(st->total_memory));
	json_object_set_new(
		o, "memory_used_percent",
		json_integer(st->total_memory ? (json_int_t)((st->total_memory - st->free_memory) *
							     100 / st->total_memory)
					      : 0));
	json_object_set_new(o, "uptime_seconds", jbytes(st->uptime));
	json_object_set_new(o, "uptime",
			    json_string(ros_format_duration(st->uptime, up, sizeof up)));
	json_object_set_new(o, "fetched_at", json_string(when));
	json_object_set_new(o, "cached", json_boolean(cached));
	return o;
}

static void mk_statistics(api_req *req)
{
	mk_router r;
	ros_prov_stats st;
	ros_msg msg = {{0}};
	char identity[128];
	time_t at = 0;
	bool cached = false;
	json_t *data;
	ros_err err;

	if (!mk_open(req, &r))
		return;
	err = api_router_stats(r.router, req->app->cfg->router_stats_cache, &st, identity,
			       sizeof identity, &at, &cached, &msg);
	if (err != ROS_OK) {
		mk_fail(req, &r, err, &msg, "router not found");
		goto out;
	}
	data = stats_json(&r, &st, identity, at, cached);
	api_reply(req, data ? 200 : 500, data ? "ok" : "internal error", data);
out:
	mk_close(&r);
}

/* ---- interfaces ------------------------------------------------------------------------ */

static json_t *iface_json(const ros_prov_iface *f)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "id", f->id, "name", f->name,
			      "type", f->type, "mac_address", f->mac, "running", f->running,
			      "disabled", f->disabled);

	if (o) {
		json_object_set_new(o, "rx_bytes", jbytes(f->rx_bytes));
		json_object_set_new(o, "tx_bytes", jbytes(f->tx_bytes));
		json_object_set_new(o, "rx_packets", jbytes(f->rx_packets));
		json_object_set_new(o, "tx_packets", jbytes(f->tx_packets));
	}
	return o;
}

static void mk_interfaces(api_req *req)
{
	mk_router r;
	ros_prov_ifaces l = {0};
	ros_msg msg = {{0}};
	json_t *items;
	ros_err err;

	if (!mk_open(req, &r))
		return;
	err = ros_prov_interfaces(api_router_pool(r.router), &l, &msg);
	if (err != ROS_OK) {
		mk_fail(req, &r, err, &msg, "router not found");
		goto out;
	}
	items = json_array();
	for (size_t i = 0; items && i < l.count; i++)
		json_array_append_new(items, iface_json(&l.v[i]));
	mk_reply_page(req, items);
out:
	ros_prov_ifaces_free(&l);
	mk_close(&r);
}

/* An interface (or hotspot) name from the path: 1..MK_NAME_MAX characters,
 * no control characters.  NULL with a 404 answered. */
static const char *mk_name_param(api_req *req, size_t n, const char *what)
{
	const char *s = req->nparams > n ? req->params[n] : NULL;
	char msg[64];

	if (!s || !*s || api_utf8_chars(s) > MK_NAME_MAX || api_has_control(s)) {
		snprintf(msg, sizeof msg, "%s not found", what);
		api_reply_error(req, 404, msg);
		return NULL;
	}
	return s;
}

static void mk_interface_set(api_req *req, bool enable)
{
	const char *name;
	mk_router r;
	ros_msg msg = {{0}};
	ros_err err;

	if (!mk_open(req, &r))
		return;
	name = mk_name_param(req, 1, "interface");
	if (!name)
		goto out;
	err = ros_prov_interface_set_enabled(api_router_pool(r.router), name, enable, &msg);
	if (err != ROS_OK) {
		mk_fail(req, &r, err, &msg, "interface not found");
		goto out;
	}
	mk_audit(req, &r, enable ? "mikrotik.interface.enable" : "mikrotik.interface.disable",
		 json_pack("{s:s}", "interface", name));
	api_reply(req, 200, enable ? "Interface enabled" : "Interface disabled",
		  json_pack("{s:s, s:b}", "name", name, "disabled", !enable));
out:
	mk_close(&r);
}

static void mk_interface_enable(api_req *req)
{
	mk_interface_set(req, true);
}

static void mk_interface_disable(api_req *req)
{
	mk_interface_set(req, false);
}

/* ---- hotspot users ---------------------------------------------------------------------- */

static json_t *user_json(const ros_prov_user *u)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", u->id, "name", u->name,
			      "profile", u->profile, "server", u->server, "comment", u->comment,
			      "disabled", u->disabled);

	if (o) {
		json_object_set_new(o, "limit_bytes_total", jbytes(u->limit_bytes_total));
		json_object_set_new(o, "limit_uptime", jbytes(u->limit_uptime));
	}
	return o;
}

static void mk_users(api_req *req)
{
	mk_router r;
	ros_prov_users l = {0};
	ros_msg msg = {{0}};
	json_t *items;
	ros_err err;

	if (!mk_open(req, &r))
		return;
	err = ros_prov_users_list(api_router_pool(r.router), &l, &msg);
	if (err != ROS_OK) {
		mk_fail(req, &r, err, &msg, "router not found");
		goto out;
	}
	items = json_array();
	for (size_t i = 0; items && i < l.count; i++)
		json_array_append_new(items, user_json(&l.v[i]));
	mk_reply_page(req, items);
out:
	ros_prov_users_free(&l);
	mk_close(&r);
}

/* A whole number in [0, max] into *out; an error under field otherwise. */
static void user_number(const json_t *v, const char *field, long long max, uint64_t *out,
			json_t *errors)
{
	char msg[80];

	if (!v || json_is_null(v))
		return;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		snprintf(msg, sizeof msg, "must be an integer from 0 to %lld", max);
		api_error_add(errors, field, msg);
		return;
	}
	*out = (uint64_t)json_integer_value(v);
}

/* Text member key (optional unless required) of 1..max characters. */
static const char *user_text(const json_t *body, const char *key, size_t max, bool required,
			     json_t *errors)
{
	const json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v)) {
		if (required)
			api_error_add(errors, key, "is required");
		return NULL;
	}
	return api_text_field(v, key, max, errors);
}

/* Checks the body of a new hotspot user into spec (pointing into body). */
static void user_validate(const json_t *body, ros_prov_user_spec *spec, json_t *errors)
{
	memset(spec, 0, sizeof *spec);
	spec->name = user_text(body, "name", MK_NAME_MAX, true, errors);
	if (spec->name && (spec->name[0] == ' ' || spec->name[strlen(spec->name) - 1] == ' '))
		api_error_add(errors, "name", "must not start or end with a space");
	spec->password = user_text(body, "password", MK_PASSWORD_MAX, true, errors);
	spec->profile = user_text(body, "profile", MK_NAME_MAX, false, errors);
	spec->comment = user_text(body, "comment", MK_COMMENT_MAX, false, errors);
	user_number(json_object_get(body, "limit_bytes_total"), "limit_bytes_total", MK_BYTES_MAX,
		    &spec->limit_bytes_total, errors);
	user_number(json_object_get(body, "limit_uptime"), "limit_uptime", MK_UPTIME_MAX,
		    &spec->limit_uptime, errors);
}

static void mk_user_create(api_req *req)
{
	json_t *body = NULL, *errors = NULL;
	ros_prov_user_spec spec;
	char rid[24] = "";
	ros_msg msg = {{0}};
	mk_router r;
	ros_err err;

	if (!mk_open(req, &r))
		return;
	body = api_body_object(req);
	errors = json_object();
	if (!body || !errors) {
		if (body)
			api_reply_error(req, 500, "internal error");
		goto out;
	}
	user_validate(body, &spec, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
		goto out;
	}
	err = ros_prov_user_create(api_router_pool(r.router), &spec, rid, &msg);
	if (err == ROS_ERR_TRAP) {
		/* RouterOS refuses a name it has, or a profile it has not. */
		api_reply_error(req, 409, msg.text[0] ? msg.text : "the router refused the user");
		goto out;
	}
	if (err != ROS_OK) {
		mk_fail(req, &r, err, &msg, "router not found");
		goto out;
	}
	mk_audit(req, &r, "mikrotik.user.create", json_pack("{s:s}", "name", spec.name));
	api_reply(req, 201, "Hotspot user created",
		  json_pack("{s:s, s:s, s:s}", "id", rid, "name", spec.name, "profile",
			    spec.profile ? spec.profile : "default"));
out:
	json_decref(errors);
	json_decref(body);
	mk_close(&r);
}

/* ---- active sessions --------------------------------------------------------------------- */

static json_t *session_json(const ros_prov_session *s)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", s->id, "user", s->user, "address",
			      s->address, "mac_address", s->mac, "server", s->server);

	if (o) {
		json_object_set_new(o, "uptime_seconds", jbytes(s->uptime));
		json_object_set_new(o, "bytes_in", jbytes(s->bytes_in));
		json_object_set_new(o, "bytes_out", jbytes(s->bytes_out));
	}
	return o;
}

static void mk_active(api_req *req)
{
	mk_router r;
	ros_prov_sessions l = {0};
	ros_msg msg = {{0}};
	json_t *items;
	ros_err err;

	if (!mk_open(req, &r))
		return;
	err = ros_prov_sessions_list(api_router_pool(r.router), &l, &msg);
	if (err != ROS_OK) {
		mk_fail(req, &r, err, &msg, "router not found");
		goto out;
	}
	items = json_array();
	for (size_t i = 0; items && i < l.count; i++)
		json_array_append_new(items, session_json(&l.v[i]));
	mk_reply_page(req, items);
out:
	ros_prov_sessions_free(&l);
	mk_close(&r);
}

/* A RouterOS item id: "*" and 1 to 8 hex digits. */
static bool session_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 2 || n > MK_SESSION_ID_MAX || s[0] != '*')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

static void mk_kick(api_req *req)
{
	const char *sid = req->nparams > 1 ? req->params[1] : NULL;
	ros_msg msg = {{0}};
	mk_router r;
	ros_err err;

	if (!mk_open(req, &r))
		return;
	if (!session_id_ok(sid)) {
		api_reply_error(req, 404, "session not found");
		goto out;
	}
	err = ros_prov_session_kick(api_router_pool(r.router), sid, &msg);
	if (err != ROS_OK) {
		mk_fail(req, &r, err, &msg, "session not found");
		goto out;
	}
	mk_audit(req, &r, "mikrotik.session.kick", json_pack("{s:s}", "session", sid));
	api_reply(req, 200, "Session removed", json_pack("{s:s}", "id", sid));
out:
	mk_close(&r);
}

static const api_route routes[] = {
	{"GET", "/api/v1/mikrotik/:id/statistics", mk_statistics, "mikrotik.read"},
	{"GET", "/api/v1/router-management/:id/statistics", mk_statistics, "routers.read"},
	{"GET", "/api/v1/mikrotik/:id/interfaces", mk_interfaces, "mikrotik.read"},
	{"POST", "/api/v1/mikrotik/:id/interfaces/:name/enable", mk_interface_enable,
	 "mikrotik.write"},
	{"POST", "/api/v1/mikrotik/:id/interfaces/:name/disable", mk_interface_disable,
	 "mikrotik.write"},
	{"GET", "/api/v1/mikrotik/:id/users", mk_users, "mikrotik.read"},
	{"POST", "/api/v1/mikrotik/:id/users", mk_user_create, "mikrotik.write"},
	{"GET", "/api/v1/mikrotik/:id/active", mk_active, "mikrotik.read"},
	{"POST", "/api/v1/mikrotik/:id/active/:session_id/kick", mk_kick, "mikrotik.write"},
};

const api_module api_mod_mikrotik = {
	.name = "mikrotik",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
