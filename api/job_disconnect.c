/*
 * Job kind "radius.disconnect": ends a live session on its router with a
 * Disconnect-Request (RFC 5176), queued by the RADIUS path when a voucher
 * is spent, expires or is disabled.  The payload names the session
 * ({router_id, nas_ip, coa_port, user_name, acct_session_id, framed_ip,
 * session_id, reason}); the router's address, CoA port and secret come
 * from hs_router_coa_target at send time, so no job ever holds a secret.
 *
 * Outcomes, recorded with hs_radius_disconnect_result:
 *   ACK      'ack', job done.
 *   NAK      'nak', job done, and the fallback starts: a router.kick job
 *            (api/job_kick.c) removes the session over the RouterOS API
 *            when the router has API credentials; otherwise the session's
 *            disconnect_detail says no fallback is possible
 *            (hs_radius_disconnect_fallback, in one round trip).
 *   no answer, or the request could not be sent: RETRY with the queue's
 *            backoff; the last attempt records 'timeout' and starts the
 *            same fallback (or records 'error').
 * A bad payload, or a router that no longer exists, is a permanent
 * failure.  Neither the secret nor the User-Name (a voucher code) goes
 * into the log or the job's error.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/coa.h"
#include "api/jobs_int.h"
#include "common/db.h"
#include "common/log.h"

#define UUID_TEXT_LEN 36
#define REASON_MAX    32

/* The payload, validated. */
typedef struct {
	char router_id[UUID_TEXT_LEN + 1];
	char session_id[UUID_TEXT_LEN + 1];
	char user_name[API_COA_STRING_MAX + 1];
	char acct_session_id[API_COA_STRING_MAX + 1];
	char nas_ip[INET6_ADDRSTRLEN];
	char framed_ip[INET6_ADDRSTRLEN]; /* "" when the session has none */
	char reason[REASON_MAX + 1];
	int coa_port; /* at enqueue time; the router's current one is used */
} disconnect_payload;

/* Where to send, from hs_router_coa_target. */
typedef struct {
	char address[INET6_ADDRSTRLEN];
	int port;
	char secret[API_COA_SECRET_MAX + 1];
} disconnect_target;

/* ---- payload -------------------------------------------------------------- */

typedef enum {
	DP_UUID,       /* canonical UUID text */
	DP_TEXT,       /* 1-253 bytes, no NUL */
	DP_IP,         /* IPv4 or IPv6 literal */
	DP_IP_OR_NULL, /* the same, or null / absent */
	DP_REASON,     /* [a-z_]{1,32} */
} dp_type;

typedef struct {
	const char *name;
	dp_type type;
	size_t offset, size; /* of the buffer in disconnect_payload */
} dp_field;

#define DP(name, type)                                                                             \
	{                                                                                          \
#name, type, offsetof(disconnect_payload, name),                                   \
			sizeof(((disconnect_payload *)0)->name)                                    \
	}

static const dp_field dp_fields[] = {
	DP(router_id, DP_UUID),       DP(session_id, DP_UUID), DP(user_name, DP_TEXT),
	DP(acct_session_id, DP_TEXT), DP(nas_ip, DP_IP),       DP(framed_ip, DP_IP_OR_NULL),
	DP(reason, DP_REASON),
};

#undef DP

static const char *const dp_rule[] = {
	[DP_UUID] = "a UUID",
	[DP_TEXT] = "a string of 1-253 bytes",
	[DP_IP] = "an IP address",
	[DP_IP_OR_NULL] = "an IP address or null",
	[DP_REASON] = "1-32 of a-z and _",
};

static bool dp_ip_ok(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool dp_reason_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");

	return n >= 1 && n <= REASON_MAX && s[n] == '\0';
}

/* Whether text (len bytes, NUL-free) is a valid value of type. */
static bool dp_value_ok(dp_type type, const char *text, size_t len)
{
	switch (type) {
	case DP_UUID:
		return hs_db_uuid_valid(text);
	case DP_TEXT:
		return len >= 1 && len <= API_COA_STRING_MAX;
	case DP_IP:
	case DP_IP_OR_NULL:
		return len < INET6_ADDRSTRLEN && dp_ip_ok(text);
	case DP_REASON:
		return dp_reason_ok(text);
	}
	return false;
}

/* Copies one field of root into p.  0, or -1 with the rule it broke in err
 * (never the value: it may be a voucher code). */
static int dp_take(const json_t *root, const dp_field *f, disconnect_payload *p, char *err,
		   size_t errlen)
{
	json_t *v = json_object_get(root, f->name);
	char *dst = (char *)p + f->offset;
	const char *text;
	size_t len;

	dst[0] = '\0';
	if (f->type == DP_IP_OR_NULL && (!v || json_is_null(v)))
		return 0;
	text = json_is_string(v) ? json_string_value(v) : NULL;
	len = text ? json_string_length(v) : 0;
	if (!text || strlen(text) != len || len >= f->size || !dp_value_ok(f->type, text, len)) {
		snprintf(err, errlen, "payload: %s must be %s", f->name, dp_rule[f->type]);
		return -1;
	}
	memcpy(dst, text, len + 1);
	return 0;
}

/* Parses and validates the job's payload into p.  0, or -1 with the reason
 * in err. */
static int dp_parse(const char *payload, disconnect_payload *p, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(payload, JSON_REJECT_DUPLICATES, &jerr);
	json_t *port;
	size_t i;
	int rc = -1;

	memset(p, 0, sizeof *p);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "payload: not a JSON object");
		goto out;
	}
	for (i = 0; i < sizeof dp_fields / sizeof dp_fields[0]; i++)
		if (dp_take(root, &dp_fields[i], p, err, errlen) < 0)
			goto out;
	port = json_object_get(root, "coa_port");
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535) {
		snprintf(err, errlen, "payload: coa_port must be an integer 1-65535");
		goto out;
	}
	p->coa_port = (int)json_integer_value(port);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- database ------------------------------------------------------------- */

/*
 * Reads the router's CoA target.  OK with t filled; FAIL when the router
 * no longer exists (or its row is unusable); RETRY/FAIL from the database
 * otherwise.  The secret stays in t and in nothing else that outlives the
 * call.
 */
static api_job_result dj_target(api_job_ctx *ctx, const disconnect_payload *p, disconnect_target *t)
{
	const char *params[1] = {p->router_id};
	PGresult *res;
	api_job_result r = API_JOB_FAIL;

	res = PQexecParams(ctx->conn,
			   "SELECT host(ip_address), coa_port, radius_secret "
			   "FROM hs_router_coa_target($1::uuid)",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_router_coa_target", ctx->err,
				       ctx->errlen);
		goto out;
	}
	if (PQntuples(res) != 1) {
		snprintf(ctx->err, ctx->errlen, "router %s no longer exists", p->router_id);
		goto out;
	}
	if (PQgetlength(res, 0, 0) >= (int)sizeof t->address ||
	    PQgetlength(res, 0, 2) >= (int)sizeof t->secret) {
		snprintf(ctx->err, ctx->errlen, "router %s: address or secret too long",
			 p->router_id);
		goto out;
	}
	memcpy(t->address, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0) + 1);
	memcpy(t->secret, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2) + 1);
	t->port = atoi(PQgetvalue(res, 0, 1));
	r = API_JOB_OK;
out:
	PQclear(res);
	return r;
}

/* Records result ("ack", "nak", "timeout", "error") for the session.  OK
 * (a session that no longer exists is logged, not an error), or the
 * database's RETRY/FAIL with the reason in ctx->err. */
static api_job_result dj_record(api_job_ctx *ctx, const disconnect_payload *p, const char *result)
{
	const char *params[2] = {p->session_id, result};
	PGresult *res;
	api_job_result r = API_JOB_OK;

	res = PQexecParams(ctx->conn, "SELECT hs_radius_disconnect_result($1::uuid, $2)", 2, NULL,
			   params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_radius_disconnect_result", ctx->err,
				       ctx->errlen);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		hs_log(HS_LOG_WARN,
		       "radius.disconnect: session %s no longer exists; %s not recorded",
		       p->session_id, result);
out:
	PQclear(res);
	return r;
}

/* Records result ("nak" or "timeout") and starts the fallback for the
 * session: OK, or the database's RETRY/FAIL with the reason in ctx->err. */
static api_job_result dj_fallback(api_job_ctx *ctx, const disconnect_payload *p, const char *result)
{
	const char *params[2] = {p->session_id, result};
	PGresult *res;
	api_job_result r = API_JOB_OK;

	res = PQexecParams(ctx->conn, "SELECT hs_radius_disconnect_fallback($1::uuid, $2)", 2, NULL,
			   params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_radius_disconnect_fallback", ctx->err,
				       ctx->errlen);
		goto out;
	}
	hs_log(HS_LOG_INFO, "radius.disconnect: session %s: %s; fallback: %s", p->session_id,
	       result, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	return r;
}

/* ---- the job -------------------------------------------------------------- */

/*
 * A failed run (no answer, or nothing sent): RETRY with why in ctx->err;
 * the last attempt first records result, so the session shows how its
 * disconnect ended.
 */
static api_job_result dj_failed(api_job_ctx *ctx, const api_job *job, const disconnect_payload *p,
				const char *result, const char *why)
{
	api_job_result r;

	if (job->attempts >= job->max_attempts) {
		r = strcmp(result, "timeout") == 0 ? dj_fallback(ctx, p, result)
						   : dj_record(ctx, p, result);
		if (r != API_JOB_OK)
			return r;
	}
	snprintf(ctx->err, ctx->errlen, "%s", why);
	return API_JOB_RETRY;
}

/* Sends the request to t and settles the job by the router's answer. */
static api_job_result dj_send(api_job_ctx *ctx, const api_job *job, const disconnect_payload *p,
			      const disconnect_target *t)
{
	const hs_config *cfg = ctx->cfg;
	api_coa_target target = {.address = t->address,
				 .port = t->port,
				 .secret = t->secret,
				 .timeout_ms = cfg->coa_timeout * 1000,
				 .retries = cfg->coa_retries};
	api_coa_session s = {.user_name = p->user_name,
			     .acct_session_id = p->acct_session_id,
			     .framed_ip = p->framed_ip[0] ? p->framed_ip : NULL,
			     .nas_ip = p->nas_ip};
	api_coa_outcome oc;
	api_coa_result cr = api_coa_disconnect(&target, &s, &oc);
	char cause[32] = "";

	if (cr == API_COA_TIMEOUT || cr == API_COA_ERROR)
		return dj_failed(ctx, job, p, api_coa_result_name(cr), oc.err);
	if (oc.error_cause)
		snprintf(cause, sizeof cause, ", Error-Cause %d", oc.error_cause);
	hs_log(HS_LOG_INFO,
	       "radius.disconnect: session %s (%s) on %s port %d: %s after %d send(s)%s",
	       p->session_id, p->reason, t->address, t->port, api_coa_result_name(cr), oc.sends,
	       cause);
	if (cr == API_COA_NAK)
		return dj_fallback(ctx, p, "nak");
	return dj_record(ctx, p, api_coa_result_name(cr));
}

api_job_result api__job_disconnect(api_job_ctx *ctx, const api_job *job)
{
	disconnect_payload p;
	disconnect_target t;
	char why[256];
	api_job_result r;

	memset(&t, 0, sizeof t);
	if (dp_parse(job->payload, &p, ctx->err, ctx->errlen) < 0)
		return API_JOB_FAIL;
	if (api_coa_init(ctx->cfg->radius_dictionary_dir, why, sizeof why) < 0)
		return dj_failed(ctx, job, &p, "error", why);
	r = dj_target(ctx, &p, &t);
	if (r == API_JOB_OK) {
		r = dj_send(ctx, job, &p, &t);
	} else if (r == API_JOB_FAIL) {
		/* The router is gone: nothing will ever answer.  Say so on the
		 * session, keeping the reason as the job's error. */
		snprintf(why, sizeof why, "%s", ctx->err);
		if (dj_record(ctx, &p, "error") == API_JOB_OK)
			snprintf(ctx->err, ctx->errlen, "%s", why);
		r = API_JOB_FAIL;
	}
	explicit_bzero(t.secret, sizeof t.secret);
	return r;
}
