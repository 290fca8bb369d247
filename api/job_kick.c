/*
 * Job kind "router.kick": the disconnect fallback.  When a router NAKs a
 * Disconnect-Request, or never answers it, hs_radius_disconnect_fallback
 * queues this job; it logs in to the router's RouterOS API, finds the
 * session in /ip/hotspot/active (by user and address, or by user alone when
 * the session had no Framed-IP-Address) and removes it.  The router does the
 * finding: the print carries ?user= and ?address= query words, so only the
 * session asked for comes back, not the whole list.  The connection comes
 * from the router's shared pool (api/router_conn.h), whose token bucket the
 * monitor, the MikroTik endpoints, the router operations and the
 * router.backup job draw on too.  The payload names
 * the session ({router_id, session_id, user_name, framed_ip?,
 * acct_session_id?}); the router's address and credentials come from
 * hs_router_api_target at run time, the password sealed with APP_KEY
 * (common/crypto.h, the router's id as associated data; opened by
 * api_router_target_fill), so no job holds a secret.
 *
 * Outcomes, recorded with hs_radius_kick_result:
 *   'kicked'                       the router removed the session; job done.
 *   'kick_failed' + "no active session for that user": the session is gone
 *                                  all the same; job done.
 *   a temporary failure (refused, timed out, connection lost): RETRY with
 *                                  the queue's backoff; the last attempt
 *                                  records 'kick_failed' with the reason.
 *   a failure a person must fix (authentication failed, missing policy,
 *                                  no credentials, no APP_KEY, a password
 *                                  that does not decrypt): 'kick_failed'
 *                                  with the reason; the job is dead.
 * Neither the password, the key nor the User-Name (a voucher code) goes
 * into the log or the job's error.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jobs_int.h"
#include "api/router_conn.h"
#include "common/db.h"
#include "common/log.h"
#include "routeros/provision.h"

#define UUID_TEXT_LEN 36
#define TEXT_MAX      253
#define DETAIL_MAX    200

/* The payload, validated. */
typedef struct {
	char router_id[UUID_TEXT_LEN + 1];
	char session_id[UUID_TEXT_LEN + 1];
	char user_name[TEXT_MAX + 1];
	char framed_ip[INET6_ADDRSTRLEN]; /* "" when the session has none */
} kick_payload;

/* ---- payload -------------------------------------------------------------- */

/* Copies the string member name of root into dst (size bytes): 0, 1 when it
 * is null or absent and optional, -1 when missing or too long. */
static int kp_string(const json_t *root, const char *name, bool optional, char *dst, size_t size)
{
	json_t *v = json_object_get(root, name);
	size_t len;

	dst[0] = '\0';
	if (optional && (!v || json_is_null(v)))
		return 1;
	if (!json_is_string(v))
		return -1;
	len = json_string_length(v);
	if (len == 0 || len >= size || strlen(json_string_value(v)) != len)
		return -1;
	memcpy(dst, json_string_value(v), len + 1);
	return 0;
}

static bool kp_ip_ok(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Checks every field of the payload into p; the rule broken, or NULL.
 * acct_session_id is checked but unused: RouterOS's /ip/hotspot/active
 * names sessions by user and address. */
static const char *kp_check(const json_t *root, kick_payload *p)
{
	char sid[TEXT_MAX + 1];
	int ip;

	if (kp_string(root, "router_id", false, p->router_id, sizeof p->router_id) < 0 ||
	    !hs_db_uuid_valid(p->router_id))
		return "router_id must be a UUID";
	if (kp_string(root, "session_id", false, p->session_id, sizeof p->session_id) < 0 ||
	    !hs_db_uuid_valid(p->session_id))
		return "session_id must be a UUID";
	if (kp_string(root, "user_name", false, p->user_name, sizeof p->user_name) < 0)
		return "user_name must be a string of 1-253 bytes";
	ip = kp_string(root, "framed_ip", true, p->framed_ip, sizeof p->framed_ip);
	if (ip < 0 || (ip == 0 && !kp_ip_ok(p->framed_ip)))
		return "framed_ip must be an IP address or null";
	if (kp_string(root, "acct_session_id", true, sid, sizeof sid) < 0)
		return "acct_session_id must be a string of 1-253 bytes or null";
	return NULL;
}

/* Parses and validates the payload into p.  0, or -1 with the rule it broke
 * in err (never a value: the user name is a voucher code). */
static int kp_parse(const char *payload, kick_payload *p, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(payload, JSON_REJECT_DUPLICATES, &jerr);
	const char *why;
	int rc = -1;

	memset(p, 0, sizeof *p);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "payload: not a JSON object");
		goto out;
	}
	why = kp_check(root, p);
	if (why) {
		snprintf(err, errlen, "payload: %s", why);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- database ------------------------------------------------------------- */

/* Records result ("kicked" or "kick_failed") with detail for the session.
 * OK (a session that no longer exists is logged), or the database's
 * RETRY/FAIL with the reason in ctx->err. */
static api_job_result kj_record(api_job_ctx *ctx, const kick_payload *p, const char *result,
				const char *detail)
{
	const char *params[3] = {p->session_id, result, detail};
	PGresult *res;
	api_job_result r = API_JOB_OK;

	res = PQexecParams(ctx->conn, "SELECT hs_radius_kick_result($1::uuid, $2, $3)", 3, NULL,
			   params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_radius_kick_result", ctx->err,
				       ctx->errlen);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		hs_log(HS_LOG_WARN, "router.kick: session %s no longer exists; %s not recorded",
		       p->session_id, result);
out:
	PQclear(res);
	return r;
}

/* Records 'kick_failed' with why and ends the job with r (FAIL or OK); the
 * job's error is why as well. */
static api_job_result kj_give_up(api_job_ctx *ctx, const kick_payload *p, api_job_result r,
				 const char *why)
{
	api_job_result rec = kj_record(ctx, p, "kick_failed", why);

	if (rec != API_JOB_OK)
		return rec;
	hs_log(HS_LOG_INFO, "router.kick: session %s on router %s: kick_failed: %s", p->session_id,
	       p->router_id, why);
	snprintf(ctx->err, ctx->errlen, "%s", why);
	return r;
}

/*
 * Reads the router's API target into t.  OK with t filled (the password
 * open); FAIL with the reason in why when the kick cannot be done (router
 * gone, no credentials, no key); RETRY/FAIL from the database with
 * ctx->err set and why NULL.
 */
static api_job_result kj_target(api_job_ctx *ctx, const kick_payload *p, api_router_target *t,
				const char **why)
{
	PGresult *res = api_router_target_query(ctx->conn, p->router_id);
	api_job_result r = API_JOB_FAIL;

	*why = NULL;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_router_api_target", ctx->err,
				       ctx->errlen);
		goto out;
	}
	if (PQntuples(res) != 1) {
		*why = "the router no longer exists";
		goto out;
	}
	snprintf(t->router_id, sizeof t->router_id, "%s", p->router_id);
	*why = api_router_target_fill(t, ctx->cfg, res, 0, 0);
	if (!*why)
		r = API_JOB_OK;
out:
	PQclear(res);
	return r;
}

/* ---- the router ----------------------------------------------------------- */
/* ---- the router ----------------------------------------------------------- */

/* Appends "?key=value", a query word; false when out of memory or too long. */
static bool kj_query_word(ros_sentence *cmd, const char *key, const char *value)
{
	char word[TEXT_MAX + 16];
	int n = snprintf(word, sizeof word, "?%s=%s", key, value);

	return n > 0 && (size_t)n < sizeof word && ros_sentence_add_str(cmd, word) == ROS_OK;
}

/*
 * The query for p's session: /ip/hotspot/active/print filtered by the
 * router itself on ?user= (and ?address= when p has one), so that only the
 * matching entries cross the wire, not the whole list.  NULL when out of
 * memory.  Caller destroys it.
 */
static ros_sentence *kj_query(const kick_payload *p)
{
	ros_sentence *cmd = ros_sentence_create();
	bool ok = cmd && ros_sentence_add_str(cmd, "/ip/hotspot/active/print") == ROS_OK &&
		  ros_sentence_add_str(cmd, "=.proplist=.id,user,address") == ROS_OK &&
		  kj_query_word(cmd, "user", p->user_name);

	if (ok && p->framed_ip[0])
		ok = kj_query_word(cmd, "address", p->framed_ip);
	if (!ok) {
		ros_sentence_destroy(cmd);
		return NULL;
	}
	return cmd;
}

/* The .id of p's session among the router's active sessions into id (24
 * bytes).  ROS_OK, ROS_ERR_NOT_FOUND, or the query's error.  The entries
 * are checked again here: a router that ignored the query words must not
 * make us kick someone else. */
static ros_err kj_find(ros_pool *pool, const kick_payload *p, char id[24], ros_msg *msg)
{
	ros_sentence *cmd = kj_query(p);
	ros_reply *rep = NULL;
	ros_err err = ROS_ERR_NOMEM;

	if (!cmd)
		goto out;
	err = ros_pool_call(pool, cmd, false, &rep, msg);
	if (err != ROS_OK)
		goto out;
	err = ROS_ERR_NOT_FOUND;
	for (size_t i = 0; err == ROS_ERR_NOT_FOUND && i < ros_reply_count(rep); i++) {
		const ros_sentence *it = ros_reply_item(rep, i);
		const char *user = ros_sentence_attr(it, "user", NULL);
		const char *addr = ros_sentence_attr(it, "address", NULL);
		const char *rid = ros_sentence_attr(it, ".id", NULL);

		if (!user || !rid || strcmp(user, p->user_name) != 0 || strlen(rid) >= 24 ||
		    (p->framed_ip[0] && (!addr || strcmp(addr, p->framed_ip) != 0)))
			continue;
		snprintf(id, 24, "%s", rid);
		err = ROS_OK;
	}
out:
	ros_reply_destroy(rep);
	ros_sentence_destroy(cmd);
	return err;
}

/* Finds and removes the session.  A session that ended between the print
 * and the remove is as good as removed. */
static ros_err kj_remove(ros_pool *pool, const kick_payload *p, ros_msg *msg)
{
	char id[24] = "";
	ros_err err = kj_find(pool, p, id, msg);

	if (err != ROS_OK)
		return err;
	err = ros_prov_session_kick(pool, id, msg);
	return err == ROS_ERR_NOT_FOUND ? ROS_OK : err;
}

/* Settles the job by what the router said. */
static api_job_result kj_settle(api_job_ctx *ctx, const api_job *job, const kick_payload *p,
				const api_router_target *t, ros_err err)
{
	char why[DETAIL_MAX + 1];

	if (err == ROS_OK) {
		hs_log(HS_LOG_INFO, "router.kick: session %s on %s port %d: kicked", p->session_id,
		       t->address, t->port);
		return kj_record(ctx, p, "kicked", "removed through the RouterOS API");
	}
	if (err == ROS_ERR_NOT_FOUND)
		return kj_give_up(ctx, p, API_JOB_OK, "no active session for that user");
	snprintf(why, sizeof why, "%s port %d: %s", t->address, t->port, ros_err_str(err));
	if (!ros_err_temporary(err) || job->attempts >= job->max_attempts)
		return kj_give_up(ctx, p, API_JOB_FAIL, why);
	snprintf(ctx->err, ctx->errlen, "%s", why);
	return API_JOB_RETRY;
}

api_job_result api__job_kick(api_job_ctx *ctx, const api_job *job)
{
	kick_payload p;
	api_router_target t;
	api_router *router = NULL;
	ros_msg msg = {{0}};
	const char *why = NULL;
	api_job_result r;

	memset(&t, 0, sizeof t);
	if (kp_parse(job->payload, &p, ctx->err, ctx->errlen) < 0)
		return API_JOB_FAIL;
	r = kj_target(ctx, &p, &t, &why);
	if (r != API_JOB_OK) {
		if (why)
			r = kj_give_up(ctx, &p, API_JOB_FAIL, why);
		goto out;
	}
	/* The router's shared pool: the same connections and request budget
	 * as the monitor and the MikroTik endpoints. */
	router = api_router_get(ctx->cfg, &t);
	if (!router) {
		snprintf(ctx->err, ctx->errlen, "out of memory");
		r = API_JOB_RETRY;
		goto out;
	}
	r = kj_settle(ctx, job, &p, &t, kj_remove(api_router_pool(router), &p, &msg));
out:
	api_router_put(router);
	api_router_target_clear(&t);
	explicit_bzero(&msg, sizeof msg);
	return r;
}
