/*
 * Operations on routers through their RouterOS API:
 *
 *   POST /api/v1/router-management/test-connection        a router not saved yet
 *   POST /api/v1/router-management/:id/test-connection    a saved router
 *   POST /api/v1/router-management/:id/radius-setup       point it at our RADIUS server
 *   POST /api/v1/router-management/:id/sync-profiles      our profiles onto the router
 *
 *   hotspotd router test --ip A --user U [--port P] [--ssl]   (password on stdin)
 *
 * The work is the provisioner's (routeros/provision.h).  A request runs
 * its operation inline, on a thread of its own, and waits at most
 * ROUTER_OP_TIMEOUT seconds (504 past that; the operation then finishes
 * alone); each connect and each answer is bounded by ROUTER_API_TIMEOUT.
 * No database connection is held while the router is talked to.  A router
 * that fails answers 502 (504 for a timeout) with a message that names it
 * and what to check.
 *
 * The API only talks to addresses inside ROUTER_ALLOWED_NETWORKS (422 on
 * ip_address otherwise), so it cannot be used to probe arbitrary hosts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/router_ops.h"
#include "api/valid.h"
#include "common/log.h"

#define PASSWORD_MAX  256 /* bytes */
#define LIST_MAX      32  /* names in hotspot_profiles and walled_garden */
#define LIST_NAME_MAX 100 /* characters of one of them */
#define PROFILES_MAX  1000

/* ---- one operation, within a deadline ----------------------------------------- */

api_router_op *api_router_op_new(api_router_target *t, void (*fn)(api_router_op *op))
{
	api_router_op *op = calloc(1, sizeof *op);

	if (op) {
		op->t = *t;
		op->fn = fn;
	} else {
		api_router_target_clear(t);
	}
	memset(t, 0, sizeof *t);
	return op;
}

void api_router_op_free(api_router_op *op)
{
	if (!op)
		return;
	api_router_put(op->router);
	api_router_target_clear(&op->t);
	if (op->data_free)
		op->data_free(op->data);
	explicit_bzero(&op->msg, sizeof op->msg);
	free(op);
}

/* Shared by a request and the thread running its operation. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, abandoned;
	api_router_op *op;
} op_runner;

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void runner_free(op_runner *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static void *op_thread(void *arg)
{
	op_runner *r = arg;
	struct timespec t0, t1;
	bool abandoned;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->op->fn(r->op);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->op->ms = ms_between(&t0, &t1);
	pthread_mutex_lock(&r->mu);
	r->done = true;
	abandoned = r->abandoned;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	/* The request gave up waiting: the thread is detached and the last owner. */
	if (abandoned) {
		api_router_op_free(r->op);
		runner_free(r);
	}
	return NULL;
}

/* A runner for op with a monotonic clock for its wait; NULL when out of resources. */
static op_runner *runner_new(api_router_op *op)
{
	op_runner *r = calloc(1, sizeof *r);
	pthread_condattr_t ca;

	if (!r)
		return NULL;
	r->op = op;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	return r;
}

/* Waits for r until deadline; true when the operation finished. */
static bool runner_wait(op_runner *r, const struct timespec *deadline)
{
	bool done;

	pthread_mutex_lock(&r->mu);
	while (!r->done)
		if (pthread_cond_timedwait(&r->cv, &r->mu, deadline) == ETIMEDOUT)
			break;
	done = r->done;
	if (!done)
		r->abandoned = true;
	pthread_mutex_unlock(&r->mu);
	return done;
}

/* Answers 504 for an operation on address:port still running after the deadline. */
static void reply_op_timeout(api_req *req, const char *address, int port)
{
	int secs = req->app->cfg->router_op_timeout;
	char msg[256];

	hs_log(HS_LOG_WARN, "router %s port %d: %s %s still running after %d s", address, port,
	       req->method, req->path, secs);
	snprintf(msg, sizeof msg,
		 "router %s port %d did not finish within %d seconds (ROUTER_OP_TIMEOUT)", address,
		 port, secs);
	api_reply(req, 504, msg, json_pack("{s:s}", "error", "TIMEOUT"));
}

bool api_router_op_run(api_req *req, api_router_op *op)
{
	const hs_config *cfg = req->app->cfg;
	char address[INET6_ADDRSTRLEN];
	struct timespec deadline;
	op_runner *r = NULL;
	int port = op->t.port;
	pthread_t th;

	/* Once the wait gives up, op belongs to the thread: keep what the answer names. */
	snprintf(address, sizeof address, "%s", op->t.address);
	/* The router's shared pool: the same connections and request budget as
	 * the MikroTik endpoints, the monitor and the router jobs. */
	op->router = api_router_get(cfg, &op->t);
	if (op->router)
		op->pool = api_router_pool(op->router);
	if (!op->router || !(r = runner_new(op)) || pthread_create(&th, NULL, op_thread, r) != 0) {
		if (r)
			runner_free(r);
		api_router_op_free(op);
		api_reply_error(req, 500, "internal error");
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += cfg->router_op_timeout;
	if (runner_wait(r, &deadline)) {
		pthread_join(th, NULL);
		runner_free(r);
		return true;
	}
	pthread_detach(th);
	reply_op_timeout(req, address, port);
	return false;
}

/* ---- answers -------------------------------------------------------------------- */

int api_router_failure_status(ros_err err)
{
	return err == ROS_ERR_TIMEOUT || err == ROS_ERR_CONNECT_TIMEOUT ? 504 : 502;
}

void api_router_reply_failure(api_req *req, ros_err err, const ros_msg *msg)
{
	api_reply(req, api_router_failure_status(err),
		  msg && msg->text[0] ? msg->text : ros_err_str(err),
		  json_pack("{s:s}", "error", ros_err_name(err)));
}

/* ---- a saved router ---------------------------------------------------------------- */

static const char load_sql[] = "SELECT " API_ROUTER_TARGET_COLS ", radius_secret, coa_port"
			       " FROM mikrotik_devices WHERE id = $1::uuid";

/* 422 with one message on field. */
static void reply_field(api_req *req, const char *field, const char *message)
{
	json_t *errors = json_object();

	api_error_add(errors, field, message);
	api_reply_invalid(req, "validation failed", errors);
}

/* Fills t from the row of load_sql; false with the answer given. */
static bool load_row(api_req *req, const PGresult *res, api_router_target *t)
{
	const char *why;
	int n = PQgetlength(res, 0, 6);

	if (PQgetisnull(res, 0, 4) || PQgetisnull(res, 0, 5)) {
		api_reply_error(req, 409,
				"the router has no RouterOS API credentials: set username and "
				"password first");
		return false;
	}
	if (api_router_target_read(t, res, 0, 0) || n < 0 || (size_t)n >= sizeof t->radius_secret) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	memcpy(t->radius_secret, PQgetvalue(res, 0, 6), (size_t)n + 1);
	if (!api_router_addr_allowed(req->app->cfg, t->address)) {
		reply_field(req, "ip_address", API_ROUTER_ADDR_REFUSED);
		return false;
	}
	t->coa_port = atoi(PQgetvalue(res, 0, 7));
	why = api_router_target_open(t, req->app->cfg, PQgetvalue(res, 0, 5));
	if (why) {
		api_reply_error(req, api_router_reason_status(why), why);
		return false;
	}
	return true;
}

bool api_router_load(api_req *req, const char *id, api_router_target *t)
{
	PGresult *res = NULL;
	PGconn *conn;
	bool ok = false;

	memset(t, 0, sizeof *t);
	snprintf(t->router_id, sizeof t->router_id, "%s", id);
	conn = api_tx_begin(req);
	if (!conn)
		return false;
	res = PQexecParams(conn, load_sql, 1, NULL, &id, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	if (PQntuples(res) != 1) {
		api_reply_error(req, 404, "router not found");
		goto out;
	}
	ok = load_row(req, res, t);
out:
	if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 6))
		explicit_bzero(PQgetvalue(res, 0, 6), (size_t)PQgetlength(res, 0, 6));
	PQclear(res);
	api_tx_end(req, conn, false);
	if (!ok)
		api_router_target_clear(t);
	return ok;
}

/* ---- test-connection ------------------------------------------------------------------ */

/* The seed's names of the five steps ("Connection Test Details"), by ros_step. */
static const struct {
	const char *key, *name;
} step_names[ROS_STEP__COUNT] = {
	[ROS_STEP_TCP] = {"network", "Network Connectivity"},
	[ROS_STEP_API] = {"handshake", "API Handshake"},
	[ROS_STEP_AUTH] = {"authentication", "Authentication"},
	[ROS_STEP_PERMISSION] = {"permissions", "Permission Check"},
	[ROS_STEP_IDENTITY] = {"system", "System Information"},
};

static const char *step_status_name(ros_step_status s)
{
	return s == ROS_STEP_OK ? "ok" : s == ROS_STEP_FAILED ? "failed" : "skipped";
}

static const char *login_name(ros_login_style s)
{
	return s == ROS_LOGIN_PLAIN ? "plain" : s == ROS_LOGIN_CHALLENGE ? "challenge" : NULL;
}

/* The answer's data: {connected, router, steps[], system, duration_ms}. */
static json_t *check_json(const api_router_target *t, const ros_prov_check *c, ros_err err, long ms)
{
	json_t *steps = json_array();

	for (int i = 0; i < ROS_STEP__COUNT; i++) {
		const ros_step_result *s = &c->steps[i];

		json_array_append_new(
			steps,
			json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:s?}", "step", i + 1, "key",
				  step_names[i].key, "name", step_names[i].name, "status",
				  step_status_name(s->status), "message", s->message, "duration_ms",
				  s->ms, "error",
				  s->status == ROS_STEP_FAILED ? ros_err_name(s->err) : NULL));
	}
	return json_pack("{s:b, s:{s:s, s:i, s:b}, s:o, s:o, s:I}", "connected", err == ROS_OK,
			 "router", "ip_address", t->address, "api_port", t->port, "api_ssl", t->ssl,
			 "steps", steps, "system",
			 err == ROS_OK ? json_pack("{s:s, s:s, s:s, s:s?}", "identity", c->identity,
						   "version", c->version, "board", c->board,
						   "login", login_name(c->login))
				       : json_null(),
			 "duration_ms", (json_int_t)ms);
}

static void check_free(void *p)
{
	free(p);
}

static void test_fn(api_router_op *op)
{
	op->err = ros_prov_test_connection(op->pool, op->data, &op->msg);
}

/*
 * Runs the five steps on t (moved into the op) and answers: 200 when every
 * step passed, else 502 (504 when the failed step timed out) with the
 * same data.  op_out, when not NULL, keeps the finished op for the caller
 * (who frees it); NULL there when the answer was a timeout or a failure.
 */
static void test_run(api_req *req, api_router_target *t, api_router_op **op_out)
{
	api_router_op *op = api_router_op_new(t, test_fn);
	json_t *data;

	if (op_out)
		*op_out = NULL;
	if (!op || !(op->data = calloc(1, sizeof(ros_prov_check)))) {
		api_router_op_free(op);
		api_reply_error(req, 500, "internal error");
		return;
	}
	op->data_free = check_free;
	if (!api_router_op_run(req, op))
		return;
	data = check_json(&op->t, op->data, op->err, op->ms);
	if (op->err == ROS_OK)
		api_reply(req, 200, "Connection successful", data);
	else
		api_reply(req, api_router_failure_status(op->err), op->msg.text, data);
	if (op_out)
		*op_out = op;
	else
		api_router_op_free(op);
}

/* An optional boolean member into *out; false with an error added. */
static void opt_bool(const json_t *body, const char *key, bool *out, json_t *errors)
{
	const json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v))
		return;
	if (!json_is_boolean(v))
		api_error_add(errors, key, "must be true or false");
	else
		*out = json_is_true(v);
}

/* ip_address: an allowed IPv4 or IPv6 address into t->address. */
static void body_address(const hs_config *cfg, const json_t *body, api_router_target *t,
			 json_t *errors)
{
	const char *s = json_string_value(json_object_get(body, "ip_address"));
	unsigned char buf[16];
	int af = s && strchr(s, ':') ? AF_INET6 : AF_INET;

	if (!json_object_get(body, "ip_address") ||
	    json_is_null(json_object_get(body, "ip_address")))
		api_error_add(errors, "ip_address", "is required");
	else if (!s || strlen(s) >= sizeof t->address || inet_pton(af, s, buf) != 1 ||
		 !inet_ntop(af, buf, t->address, sizeof t->address))
		api_error_add(errors, "ip_address", "must be an IPv4 or IPv6 address");
	else if (!api_router_addr_allowed(cfg, t->address))
		api_error_add(errors, "ip_address", API_ROUTER_ADDR_REFUSED);
}

/* api_port: 1..65535, default 8728 (8729 with api_ssl). */
static void body_port(const json_t *body, api_router_target *t, json_t *errors)
{
	const json_t *v = json_object_get(body, "api_port");

	t->port = t->ssl ? 8729 : 8728;
	if (!v || json_is_null(v))
		return;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
		api_error_add(errors, "api_port", "must be an integer from 1 to 65535");
	else
		t->port = (int)json_integer_value(v);
}

/* username and password, both required. */
static void body_credentials(const json_t *body, api_router_target *t, json_t *errors)
{
	const json_t *v = json_object_get(body, "password");
	const char *user = NULL;

	if (!json_object_get(body, "username") || json_is_null(json_object_get(body, "username")))
		api_error_add(errors, "username", "is required");
	else
		user = api_text_field(json_object_get(body, "username"), "username",
				      API_ROUTER_USER_MAX, errors);
	if (user)
		snprintf(t->username, sizeof t->username, "%s", user);
	if (!v || json_is_null(v)) {
		api_error_add(errors, "password", "is required");
		return;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > PASSWORD_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		api_error_add(errors, "password", "must be a string of 1 to 256 bytes");
		return;
	}
	t->password_len = json_string_length(v);
	t->password = (unsigned char *)strdup(json_string_value(v));
	if (!t->password)
		api_error_add(errors, "password", "out of memory");
}

/* The unsaved router of the body into t; false with a 422 answered. */
static bool test_body(api_req *req, api_router_target *t)
{
	json_t *body = api_body_object(req), *errors;
	bool ok = false;

	if (!body)
		return false;
	errors = json_object();
	opt_bool(body, "api_ssl", &t->ssl, errors);
	opt_bool(body, "api_tls_insecure", &t->tls_insecure, errors);
	body_address(req->app->cfg, body, t, errors);
	body_port(body, t, errors);
	body_credentials(body, t, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
	} else {
		ok = true;
	}
	json_decref(errors);
	json_decref(body);
	return ok;
}

static void test_unsaved(api_req *req)
{
	api_router_target t;

	memset(&t, 0, sizeof t);
	if (test_body(req, &t))
		test_run(req, &t, NULL);
	api_router_target_clear(&t);
}

/*
 * What a test of a saved router teaches about it: online with identity and
 * version when it passed, else offline with the reason.  $1 id, $2 ok,
 * $3 identity, $4 version, $5 error.
 */
static const char status_sql[] = "UPDATE mikrotik_devices SET status = CASE WHEN $2::boolean THEN "
				 "'online' ELSE 'offline' END,"
				 " last_seen = CASE WHEN $2::boolean THEN now() ELSE last_seen END,"
				 " identity = coalesce(left($3, 200), identity),"
				 " router_os_version = coalesce(left($4, 100), router_os_version),"
				 " last_error = left($5, 2000) WHERE id = $1::uuid";

/* Records the test's outcome on the router; a failure here is only logged. */
static void test_record(api_req *req, const api_router_op *op)
{
	const ros_prov_check *c = op->data;
	bool ok = op->err == ROS_OK;
	const char *params[5] = {op->t.router_id, ok ? "true" : "false", ok ? c->identity : NULL,
				 ok ? c->version : NULL, ok ? NULL : op->msg.text};
	PGconn *conn = api_tx_begin(req);
	PGresult *res;
	bool done;

	/* The answer is given already: a 503 from api_tx_begin must not replace it. */
	if (!conn)
		return;
	res = PQexecParams(conn, status_sql, 5, NULL, params, NULL, NULL, 0);
	done = hs_db_classify(conn, res) == HS_DB_OK;
	PQclear(res);
	if (api_tx_end(req, conn, done) != HS_DB_OK || !done)
		hs_log(HS_LOG_WARN, "router %s: the test's outcome was not recorded",
		       op->t.router_id);
}

static void test_saved(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");
	api_router_target t;
	api_router_op *op = NULL;

	if (!id || !api_router_load(req, id, &t))
		return;
	test_run(req, &t, &op);
	if (op)
		test_record(req, op);
	api_router_op_free(op);
}

/* ---- configuration changes ----------------------------------------------------- */

/*
 * Adds an 'update' history row for operation with result (stolen) as its
 * configuration_data's result.  A failure is logged: the change is made
 * and answered all the same.
 */
static void history_update(api_req *req, const char *id, const char *operation, json_t *result)
{
	json_t *data = json_pack("{s:s, s:s, s:o?}", "source", "api", "operation", operation,
				 "result", result);
	json_t *row = NULL;

	if (!data || api_router_history_insert(req, id, "update", data, NULL, NULL, &row) != 0)
		hs_log(HS_LOG_WARN, "router %s: the %s was not recorded in its history", id,
		       operation);
	json_decref(row);
	json_decref(data);
}

/* ---- RADIUS set-up --------------------------------------------------------------- */

typedef struct {
	char address[INET6_ADDRSTRLEN];
	char *profiles[LIST_MAX], *walled[LIST_MAX];
	size_t nprofiles, nwalled;
	ros_prov_radius_spec spec;
	ros_prov_radius_result out;
} radius_data;

static void radius_free(void *p)
{
	radius_data *d = p;

	if (!d)
		return;
	for (size_t i = 0; i < d->nprofiles; i++)
		free(d->profiles[i]);
	for (size_t i = 0; i < d->nwalled; i++)
		free(d->walled[i]);
	free(d);
}

/* An optional array of names into v (*n of them); errors under key. */
static void name_list(const json_t *body, const char *key, char **v, size_t *n, json_t *errors)
{
	const json_t *a = json_object_get(body, key), *item;
	char field[48];
	size_t i;

	if (!a || json_is_null(a))
		return;
	if (!json_is_array(a) || json_array_size(a) > LIST_MAX) {
		api_error_add(errors, key, "must be an array of at most 32 names");
		return;
	}
	json_array_foreach(a, i, item)
	{
		const char *s;

		snprintf(field, sizeof field, "%s.%zu", key, i);
		s = api_text_field(item, field, LIST_NAME_MAX, errors);
		if (s && strpbrk(s, " \"\\$;")) {
			api_error_add(errors, field, "must not hold blanks, quotes, \\, $ or ;");
			continue;
		}
		if (s && (v[*n] = strdup(s)) != NULL)
			(*n)++;
	}
}

/* The body's optional lists into d; false with a 422 answered. */
static bool radius_body(api_req *req, radius_data *d)
{
	json_t *body = NULL, *errors;
	bool ok = false;

	/* An empty body is allowed: every hotspot profile, no walled garden. */
	if (req->body_len == 0)
		return true;
	body = api_body_object(req);
	if (!body)
		return false;
	errors = json_object();
	name_list(body, "hotspot_profiles", d->profiles, &d->nprofiles, errors);
	name_list(body, "walled_garden", d->walled, &d->nwalled, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
	} else {
		ok = true;
	}
	json_decref(errors);
	json_decref(body);
	return ok;
}

static void radius_fn(api_router_op *op)
{
	radius_data *d = op->data;

	d->spec.secret = op->t.radius_secret;
	op->err = ros_prov_setup_radius(op->pool, &d->spec, &d->out, &op->msg);
}

static json_t *radius_json(const hs_config *cfg, const radius_data *d)
{
	return json_pack("{s:{s:s, s:i, s:i}, s:i, s:s, s:s, s:I, s:I, s:I, s:I}", "server",
			 "address", d->address, "auth_port", cfg->router_radius_auth_port,
			 "acct_port", cfg->router_radius_acct_port, "incoming_port",
			 (int)d->spec.incoming_port, "radius", ros_sync_action_name(d->out.radius),
			 "incoming", ros_sync_action_name(d->out.incoming),
			 "hotspot_profiles_updated", (json_int_t)d->out.profiles_updated,
			 "hotspot_profiles_unchanged", (json_int_t)d->out.profiles_unchanged,
			 "walled_garden_added", (json_int_t)d->out.walled_added,
			 "walled_garden_present", (json_int_t)d->out.walled_present);
}

/*
 * Records what the set-up changed on the router as an 'update' history row
 * ({source, operation: "radius_setup", result}); nothing when it changed
 * nothing.  Steals result.  A failure to record is logged, not answered.
 */
static void radius_record(api_req *req, const char *id, const radius_data *d, json_t *result)
{
	const ros_prov_radius_result *o = &d->out;

	if (o->radius != ROS_SYNC_UNCHANGED || o->incoming != ROS_SYNC_UNCHANGED ||
	    o->profiles_updated || o->walled_added)
		history_update(req, id, "radius_setup", result);
	else
		json_decref(result);
}

static void radius_setup(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");
	const hs_config *cfg = req->app->cfg;
	radius_data *d = calloc(1, sizeof *d);
	api_router_target t;
	api_router_op *op = NULL;

	memset(&t, 0, sizeof t);
	if (!d) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	if (!id || !radius_body(req, d))
		goto out;
	if (!cfg->router_radius_address[0]) {
		api_reply_error(req, 503, "ROUTER_RADIUS_ADDRESS is not configured");
		goto out;
	}
	if (!api_router_load(req, id, &t))
		goto out;
	snprintf(d->address, sizeof d->address, "%s", cfg->router_radius_address);
	d->spec = (ros_prov_radius_spec){
		.address = d->address,
		.auth_port = (uint16_t)cfg->router_radius_auth_port,
		.acct_port = (uint16_t)cfg->router_radius_acct_port,
		.incoming_port = (uint16_t)t.coa_port,
		.hotspot_profiles = d->nprofiles ? (const char *const *)d->profiles : NULL,
		.n_hotspot_profiles = d->nprofiles,
		.walled_garden = (const char *const *)d->walled,
		.n_walled_garden = d->nwalled,
	};
	op = api_router_op_new(&t, radius_fn);
	if (!op) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	op->data = d;
	op->data_free = radius_free;
	d = NULL;
	if (!api_router_op_run(req, op))
		return;
	if (op->err == ROS_OK) {
		/* Answered first: a database that fails the record cannot turn a
		 * change made on the router into an error. */
		api_reply(req, 200, "RADIUS set up", radius_json(cfg, op->data));
		radius_record(req, id, op->data, radius_json(cfg, op->data));
	} else
		api_router_reply_failure(req, op->err, &op->msg);
	api_router_op_free(op);
out:
	radius_free(d);
	api_router_target_clear(&t);
}

/* ---- profile sync --------------------------------------------------------------------- */

typedef struct {
	PGresult *rows; /* name, rate_limit, session timeout, shared_users */
	ros_prov_profile *profiles;
	ros_prov_sync *out;
	size_t n;
} sync_data;

static void sync_free(void *p)
{
	sync_data *d = p;

	if (!d)
		return;
	PQclear(d->rows);
	free(d->profiles);
	free(d->out);
	free(d);
}

/* The tenant's active profiles, as the router's user profiles take them. */
static const char profiles_sql[] =
	"SELECT name, rate_limit, least(coalesce(time_limit_seconds, validity_seconds, 0),"
	" 4294967295), shared_users FROM profiles WHERE is_active ORDER BY name LIMIT $1::int";

/* Reads the tenant's profiles into d; false with the answer given. */
static bool sync_load(api_req *req, sync_data *d)
{
	char limit[16];
	const char *params[1] = {limit};
	PGconn *conn = api_tx_begin(req);
	bool ok = false;

	if (!conn)
		return false;
	snprintf(limit, sizeof limit, "%d", PROFILES_MAX);
	d->rows = PQexecParams(conn, profiles_sql, 1, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, d->rows) != HS_DB_OK) {
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	d->n = (size_t)PQntuples(d->rows);
	d->profiles = calloc(d->n ? d->n : 1, sizeof *d->profiles);
	d->out = calloc(d->n ? d->n : 1, sizeof *d->out);
	if (!d->profiles || !d->out) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	for (size_t i = 0; i < d->n; i++) {
		d->profiles[i].name = PQgetvalue(d->rows, (int)i, 0);
		d->profiles[i].rate_limit = PQgetvalue(d->rows, (int)i, 1);
		d->profiles[i].session_timeout =
			(uint32_t)strtoul(PQgetvalue(d->rows, (int)i, 2), NULL, 10);
		d->profiles[i].shared_users = (uint32_t)atoi(PQgetvalue(d->rows, (int)i, 3));
	}
	ok = true;
out:
	api_tx_end(req, conn, false);
	return ok;
}

static void sync_fn(api_router_op *op)
{
	sync_data *d = op->data;

	op->err = ros_prov_sync_profiles(op->pool, d->profiles, d->n, d->out, &op->msg);
}

/* {profiles: [{name, action, message?}], created, updated, unchanged, failed}. */
static json_t *sync_json(const sync_data *d)
{
	json_t *list = json_array();
	json_int_t count[4] = {0};

	for (size_t i = 0; i < d->n; i++) {
		const ros_prov_sync *s = &d->out[i];

		count[s->action]++;
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s?}", "name", d->profiles[i].name, "action",
					ros_sync_action_name(s->action), "message",
					s->action == ROS_SYNC_FAILED ? s->message : NULL));
	}
	return json_pack("{s:o, s:I, s:I, s:I, s:I}", "profiles", list, "created",
			 count[ROS_SYNC_CREATED], "updated", count[ROS_SYNC_UPDATED], "unchanged",
			 count[ROS_SYNC_UNCHANGED], "failed", count[ROS_SYNC_FAILED]);
}

/* Whether the sync created or updated a profile on the router (a failed
 * sync may have too, but its answer already says which). */
static bool sync_changed(const sync_data *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->out[i].action == ROS_SYNC_CREATED || d->out[i].action == ROS_SYNC_UPDATED)
			return true;
	return false;
}

static void sync_profiles(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");
	sync_data *d = calloc(1, sizeof *d);
	api_router_target t;
	api_router_op *op;

	memset(&t, 0, sizeof t);
	if (!d) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	if (!id || !api_router_load(req, id, &t) || !sync_load(req, d)) {
		sync_free(d);
		api_router_target_clear(&t);
		return;
	}
	op = api_router_op_new(&t, sync_fn);
	if (!op) {
		sync_free(d);
		api_reply_error(req, 500, "internal error");
		return;
	}
	op->data = d;
	op->data_free = sync_free;
	if (!api_router_op_run(req, op))
		return;
	if (op->err == ROS_OK)
		api_reply(req, 200, "Profiles synchronised", sync_json(op->data));
	else
		api_reply(req, api_router_failure_status(op->err), op->msg.text,
			  sync_json(op->data));
	if (op->err == ROS_OK && sync_changed(op->data))
		history_update(req, id, "sync_profiles", sync_json(op->data));
	api_router_op_free(op);
}

/* ---- hotspotd router test -------------------------------------------------------------- */

/* Reads one line (the password) from stdin into t; false when there is none. */
static bool cli_password(api_router_target *t)
{
	char buf[PASSWORD_MAX + 2];
	size_t n;

	if (!fgets(buf, sizeof buf, stdin))
		return false;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0 || n > PASSWORD_MAX) {
		explicit_bzero(buf, sizeof buf);
		return false;
	}
	t->password = (unsigned char *)strdup(buf);
	t->password_len = n;
	explicit_bzero(buf, sizeof buf);
	return t->password != NULL;
}

/* Parses the options into t; 0, or 2 (bad usage, told on stderr). */
static int cli_args(int argc, char **argv, api_router_target *t)
{
	unsigned char buf[16];
	int port = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--ssl") == 0) {
			t->ssl = true;
		} else if (strcmp(a, "--tls-insecure") == 0) {
			t->ssl = t->tls_insecure = true;
		} else if (v && strcmp(a, "--ip") == 0 && strlen(v) < sizeof t->address) {
			snprintf(t->address, sizeof t->address, "%s", v);
			i++;
		} else if (v && strcmp(a, "--user") == 0 && strlen(v) <= API_ROUTER_USER_MAX) {
			snprintf(t->username, sizeof t->username, "%s", v);
			i++;
		} else if (v && strcmp(a, "--port") == 0) {
			char *end;
			long p = strtol(v, &end, 10);

			port = *end || p < 1 || p > 65535 ? -1 : (int)p;
			i++;
		} else {
			fprintf(stderr, "hotspotd: router test: unexpected argument %s\n", a);
			return 2;
		}
	}
	if (!t->address[0] || (inet_pton(AF_INET, t->address, buf) != 1 &&
			       inet_pton(AF_INET6, t->address, buf) != 1)) {
		fprintf(stderr, "hotspotd: router test: --ip needs an IPv4 or IPv6 address\n");
		return 2;
	}
	if (!t->username[0] || port < 0) {
		fprintf(stderr, "hotspotd: router test: %s\n",
			port < 0 ? "--port needs a number from 1 to 65535" : "--user is required");
		return 2;
	}
	t->port = port ? port : t->ssl ? 8729 : 8728;
	return 0;
}

static void cli_print(const api_router_target *t, const ros_prov_check *c, ros_err err)
{
	printf("router %s port %d%s\n", t->address, t->port,
	       t->ssl ? (t->tls_insecure ? " (API-SSL, anonymous)" : " (API-SSL)") : "");
	for (int i = 0; i < ROS_STEP__COUNT; i++)
		printf("%d. %-22s %-7s %5d ms  %s\n", i + 1, step_names[i].name,
		       step_status_name(c->steps[i].status), c->steps[i].ms, c->steps[i].message);
	if (err == ROS_OK)
		printf("identity %s, RouterOS %s, board %s\n", c->identity, c->version, c->board);
	else
		printf("failed: %s\n", ros_err_str(err));
}

static int cmd_router_test(const hs_config *cfg, int argc, char **argv)
{
	api_router_target t;
	ros_prov_check check;
	ros_msg msg = {{0}};
	api_router *router = NULL;
	ros_err err;
	int rc;

	memset(&t, 0, sizeof t);
	memset(&check, 0, sizeof check);
	rc = cli_args(argc, argv, &t);
	if (rc)
		goto out;
	rc = 2;
	if (!cli_password(&t)) {
		fprintf(stderr, "hotspotd: router test: give the password on stdin, one line\n");
		goto out;
	}
	rc = 1;
	router = api_router_get(cfg, &t);
	if (!router) {
		fprintf(stderr, "hotspotd: router test: out of memory\n");
		goto out;
	}
	err = ros_prov_test_connection(api_router_pool(router), &check, &msg);
	cli_print(&t, &check, err);
	rc = err == ROS_OK ? 0 : 1;
out:
	api_router_put(router);
	api_router_target_clear(&t);
	return rc;
}

static const api_command commands[] = {
	{"router", "test",
	 "router test --ip ADDRESS --user NAME [--port N] [--ssl | --tls-insecure]",
	 "test a router's RouterOS API in five steps",
	 "  --ip ADDRESS      the router's IPv4 or IPv6 address\n"
	 "  --user NAME       the RouterOS API user\n"
	 "  --port N          the API port (default 8728, 8729 with --ssl)\n"
	 "  --ssl             API-SSL, the router's certificate checked\n"
	 "  --tls-insecure    API-SSL with anonymous DH, for a router without a certificate\n"
	 "The password is read from stdin (one line).  Exit status 0 when every step\n"
	 "passed, 1 when one failed, 2 on bad usage.\n",
	 cmd_router_test},
};

static const api_route routes[] = {
	{"POST", "/api/v1/router-management/test-connection", test_unsaved, "routers.write"},
	{"POST", "/api/v1/router-management/:id/test-connection", test_saved, "routers.write"},
	{"POST", "/api/v1/router-management/:id/radius-setup", radius_setup, "routers.write"},
	{"POST", "/api/v1/router-management/:id/sync-profiles", sync_profiles, "routers.write"},
};

const api_module api_mod_router_ops = {
	.name = "router_ops",
	.routes = routes,
	.nroutes = API_NELEM(routes),
	.commands = commands,
	.ncommands = API_NELEM(commands),
};
