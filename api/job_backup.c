/*
 * Job kind "router.backup": the daily configuration backups, and the
 * configuration export the REST API's backups share with it (see
 * api/router_ops.h; it lives here because the job runtime is linked on its
 * own, without the REST API).  The router is reached through its shared
 * pool (api/router_conn.h), with the request budget every other caller in
 * the process spends.
 *
 * One kind, two payloads:
 *   {}                       the periodic scan (every
 *                            ROUTER_BACKUP_CHECK_INTERVAL seconds):
 *                            hs_router_backup_enqueue_due() queues one job
 *                            per router whose time of day has come, once
 *                            per day;
 *   {router_id, scheduled_for} one router: its configuration exported over
 *                            the RouterOS API and stored with
 *                            hs_router_backup_record() as a
 *                            mikrotik_config_history row (change_type
 *                            'backup', changed_by NULL, configuration_data
 *                            {source: "schedule", ...}).
 *
 * A temporary router failure (refused, timed out) is retried with the
 * queue's backoff (3 attempts); the last failure, or one a person must fix
 * (credentials, policy, APP_KEY, an address outside
 * ROUTER_ALLOWED_NETWORKS), is recorded with hs_router_backup_error() and
 * ends the job.  No password or key goes into the log or the job's error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "api/jobs_int.h"
#include "api/router_ops.h"
#include "common/db.h"
#include "common/text.h"
#include "common/log.h"

/* ---- the export ------------------------------------------------------------------ */

ros_err api_router_export(ros_pool *pool, char file_name[64], char **content, size_t *len,
			  ros_msg *msg)
{
	ros_prov_read_opts opts = {.max_bytes = API_ROUTER_BACKUP_MAX};
	ros_prov_file f;
	char stamp[24], base[48];
	unsigned char rnd[2];
	time_t now = time(NULL);
	struct tm tm;
	ros_err err;

	memset(&f, 0, sizeof f);
	*content = NULL;
	*len = 0;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	/* A random tail keeps two exports of one router in the same second
	 * (a scheduled one and one asked for) from sharing the router's file. */
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		snprintf(msg->text, sizeof msg->text, "no random bytes for the export's name");
		return ROS_ERR_NOMEM;
	}
	snprintf(base, sizeof base, "hotspot-aaa-%s-%02x%02x", stamp, rnd[0], rnd[1]);
	snprintf(file_name, 64, "%s.rsc", base);
	err = ros_prov_export(pool, base, &opts, &f, msg);
	if (err != ROS_OK)
		goto out;
	if (!f.data || !hs_utf8_text(f.data, f.len)) {
		snprintf(msg->text, sizeof msg->text,
			 "router %s: the configuration export is not UTF-8 text",
			 ros_pool_host(pool));
		err = ROS_ERR_PROTOCOL;
		goto out;
	}
	*content = f.data;
	*len = f.len;
	f.data = NULL;
	/* The copy on the router's flash is ours to clean up; a failure to
	 * remove it does not spoil the backup. */
	if (ros_prov_file_remove(pool, file_name, NULL) != ROS_OK)
		hs_log(HS_LOG_WARN, "router %s: could not remove %s after the export",
		       ros_pool_host(pool), file_name);
out:
	ros_prov_file_free(&f);
	return err;
}

/* ---- the job ------------------------------------------------------------------ */

/* Queues the backups that are due.  OK, or the database's RETRY/FAIL. */
static api_job_result backup_scan(api_job_ctx *ctx)
{
	PGresult *res = PQexec(ctx->conn, "SELECT hs_router_backup_enqueue_due()");
	api_job_result r = API_JOB_OK;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = api__jobs_db_error(ctx->conn, res, "hs_router_backup_enqueue_due", ctx->err,
				       ctx->errlen);
	else if (atoi(PQgetvalue(res, 0, 0)) > 0)
		hs_log(HS_LOG_INFO, "router.backup: %s scheduled backup(s) queued",
		       PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

/* Records why for the router's schedule and ends the job with FAIL. */
static api_job_result backup_give_up(api_job_ctx *ctx, const char *router_id, const char *why)
{
	const char *params[2] = {router_id, why};
	PGresult *res = PQexecParams(ctx->conn, "SELECT hs_router_backup_error($1::uuid, $2)", 2,
				     NULL, params, NULL, NULL, 0);
	api_job_result r = API_JOB_FAIL;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = api__jobs_db_error(ctx->conn, res, "hs_router_backup_error", ctx->err,
				       ctx->errlen);
	else
		snprintf(ctx->err, ctx->errlen, "%s", why);
	PQclear(res);
	hs_log(HS_LOG_WARN, "router.backup: router %s: %s", router_id, why);
	return r;
}

/*
 * Reads the router's API into t.  OK; FAIL with *why when a backup cannot
 * be made (*why NULL: the router is gone, nothing to do); or the
 * database's RETRY/FAIL with ctx->err set.
 */
static api_job_result backup_target(api_job_ctx *ctx, api_router_target *t, const char **why)
{
	api_job_result r = API_JOB_FAIL;
	PGresult *res = api_router_target_query(ctx->conn, t->router_id);

	*why = NULL;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_router_api_target", ctx->err,
				       ctx->errlen);
		goto out;
	}
	if (PQntuples(res) != 1)
		goto out;
	*why = api_router_target_read(t, res, 0, 0);
	if (*why)
		goto out;
	if (!api_router_addr_allowed(ctx->cfg, t->address)) {
		*why = "the router's address is outside ROUTER_ALLOWED_NETWORKS";
		goto out;
	}
	*why = api_router_target_open(t, ctx->cfg, PQgetvalue(res, 0, 5));
	if (!*why)
		r = API_JOB_OK;
out:
	PQclear(res);
	return r;
}

/* Stores the export as the router's backup.  OK, or the database's RETRY/FAIL. */
static api_job_result backup_store(api_job_ctx *ctx, const api_router_target *t,
				   const char *file_name, const char *content, size_t len,
				   const char *scheduled_for)
{
	json_t *data = json_pack("{s:s, s:I, s:s?}", "source", "schedule", "size", (json_int_t)len,
				 "scheduled_for", scheduled_for);
	char *data_text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	const char *params[4] = {t->router_id, file_name, content, data_text};
	api_job_result r = API_JOB_OK;
	PGresult *res = NULL;

	json_decref(data);
	if (!data_text) {
		snprintf(ctx->err, ctx->errlen, "out of memory");
		return API_JOB_RETRY;
	}
	res = PQexecParams(
		ctx->conn,
		"SELECT hs_router_backup_record($1::uuid, $2, $3, $4::jsonb) IS NOT NULL", 4, NULL,
		params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = api__jobs_db_error(ctx->conn, res, "hs_router_backup_record", ctx->err,
				       ctx->errlen);
	else
		hs_log(HS_LOG_INFO, "router.backup: router %s: %s (%zu bytes)%s", t->router_id,
		       file_name, len,
		       strcmp(PQgetvalue(res, 0, 0), "t") ? ": the router no longer exists" : "");
	PQclear(res);
	free(data_text);
	return r;
}

/* Backs up one router. */
static api_job_result backup_one(api_job_ctx *ctx, const api_job *job, api_router_target *t,
				 const char *scheduled_for)
{
	char file_name[64], why[512];
	ros_msg msg = {{0}};
	const char *reason = NULL;
	char *content = NULL;
	api_router *router = NULL;
	api_job_result r;
	size_t len = 0;
	ros_err err;

	r = backup_target(ctx, t, &reason);
	if (r != API_JOB_OK) {
		if (reason)
			r = backup_give_up(ctx, t->router_id, reason);
		else if (r == API_JOB_FAIL && !ctx->err[0])
			r = API_JOB_OK; /* the router is gone: nothing left to back up */
		goto out;
	}
	router = api_router_get(ctx->cfg, t);
	if (!router) {
		snprintf(ctx->err, ctx->errlen, "out of memory");
		r = API_JOB_RETRY;
		goto out;
	}
	err = api_router_export(api_router_pool(router), file_name, &content, &len, &msg);
	if (err == ROS_OK) {
		r = backup_store(ctx, t, file_name, content, len, scheduled_for);
		goto out;
	}
	snprintf(why, sizeof why, "%s", msg.text[0] ? msg.text : ros_err_str(err));
	if (ros_err_temporary(err) && job->attempts < job->max_attempts) {
		snprintf(ctx->err, ctx->errlen, "%s", why);
		r = API_JOB_RETRY;
		goto out;
	}
	r = backup_give_up(ctx, t->router_id, why);
out:
	api_router_put(router);
	free(content);
	return r;
}

int api__job_backup_period(const hs_config *cfg)
{
	return cfg->router_backup_check_interval;
}

api_job_result api__job_backup(api_job_ctx *ctx, const api_job *job)
{
	json_t *root = json_loads(job->payload, JSON_REJECT_DUPLICATES, NULL);
	const char *id = json_string_value(json_object_get(root, "router_id"));
	api_router_target t;
	api_job_result r;

	memset(&t, 0, sizeof t);
	ctx->err[0] = '\0';
	if (!json_is_object(root)) {
		snprintf(ctx->err, ctx->errlen, "payload: not a JSON object");
		r = API_JOB_FAIL;
	} else if (!json_object_get(root, "router_id")) {
		r = backup_scan(ctx);
	} else if (!id || !hs_db_uuid_valid(id)) {
		snprintf(ctx->err, ctx->errlen, "payload: router_id must be a UUID");
		r = API_JOB_FAIL;
	} else {
		snprintf(t.router_id, sizeof t.router_id, "%s", id);
		r = backup_one(ctx, job, &t,
			       json_string_value(json_object_get(root, "scheduled_for")));
	}
	api_router_target_clear(&t);
	json_decref(root);
	return r;
}
