/*
 * Job kind "sms.send": delivers one sms_messages row, queued by the
 * vouchers API (hs_voucher_sms_queue) or by a retry (hs_sms_retry), with
 * payload {sms_message_id, voucher_id}.
 *
 * Steps, each one SQL call of 0017_sms_delivery.sql:
 *   hs_sms_load   the message and, for a voucher's message, the voucher's
 *                 code, password, profile and terms.  A message already
 *                 sent, delivered or failed is left alone: a job run twice
 *                 never sends twice once the first run recorded its send.
 *   hs_sms_begin  queued -> sending (this job holds it), with the text
 *                 composed now from SMS_VOUCHER_TEMPLATE (docs/sms.md).
 *   sms_send      the configured gateway (api/sms.c).
 *   hs_sms_sent   sending -> sent with the gateway's id; or
 *   hs_sms_fail   a temporary failure puts it back to queued and the job
 *                 RETRYs with the queue's backoff (the last attempt marks it
 *                 failed); a permanent one marks it failed at once (FAIL).
 *
 * At-least-once edge: if the process dies (or the database goes away)
 * after the gateway accepted the text and before hs_sms_sent committed, the
 * row stays 'sending' under this job, and the job's next run sends it
 * again.  Gateways offer no idempotency key for this, so the customer may
 * then get the text twice; nothing else sends twice.
 *
 * Neither the voucher's password, the gateway's keys nor a whole phone
 * number goes into the log or the job's error.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jobs_int.h"
#include "api/sms.h"
#include "common/db.h"
#include "common/log.h"

/* Longest text composed (sms_messages.body allows 1600). */
#define SMS_TEXT_MAX 1600

/* Columns of hs_sms_load, in order. */
enum {
	L_STATUS = 0,
	L_TO,
	L_BODY,
	L_SEND_JOB,
	L_VOUCHER,
	L_TENANT,
	L_CODE,
	L_PASSWORD,
	L_PROFILE,
	L_DATA,
	L_VALIDITY,
	L_TIME,
	L_TERMS,
	L_EXPIRES,
	L_NCOLS,
};

static const char load_sql[] =
	"SELECT status, to_phone, body, send_job, voucher_id, tenant_name, code, password,"
	" profile_name, data_text, validity_text, time_text, terms_text, expires_text"
	" FROM hs_sms_load($1::uuid, $2::uuid)";

/* The message id of the payload, or NULL (err written). Caller frees. */
static char *payload_id(const api_job *job, char *err, size_t errlen)
{
	json_t *p = json_loads(job->payload, 0, NULL);
	const char *id = json_string_value(json_object_get(p, "sms_message_id"));
	char *copy = id && strlen(id) == 36 ? strdup(id) : NULL;

	if (!copy)
		snprintf(err, errlen, "sms.send: payload has no sms_message_id");
	json_decref(p);
	return copy;
}

static const char *col(const PGresult *res, int c)
{
	return PQgetisnull(res, 0, c) ? "" : PQgetvalue(res, 0, c);
}

/*
 * The text of a voucher's message from SMS_VOUCHER_TEMPLATE into out; the
 * password placeholder is empty when the password is the code.  false when
 * the template's text is empty or too long (the row's own body is then used).
 */
static bool voucher_text(const hs_config *cfg, const PGresult *res, char *out, size_t len)
{
	const char *code = col(res, L_CODE), *pw = col(res, L_PASSWORD);
	sms_var vars[] = {
		{"tenant", col(res, L_TENANT)},
		{"code", code},
		{"password", strcmp(pw, code) ? pw : ""},
		{"profile", col(res, L_PROFILE)},
		{"data", col(res, L_DATA)},
		{"validity", col(res, L_VALIDITY)},
		{"time", col(res, L_TIME)},
		{"terms", col(res, L_TERMS)},
		{"expires", col(res, L_EXPIRES)},
	};

	return sms_render(cfg->sms_voucher_template, vars, sizeof vars / sizeof vars[0], 1, out,
			  len) > 0;
}

/* Runs a one-row boolean function; 1 true, 0 false, -1 failed (err written). */
static int call_bool(api_job_ctx *ctx, const char *sql, int n, const char *const *params,
		     const char *what, api_job_result *r)
{
	PGresult *res = PQexecParams(ctx->conn, sql, n, NULL, params, NULL, NULL, 0);
	int v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	else
		*r = api__jobs_db_error(ctx->conn, res, what, ctx->err, ctx->errlen);
	PQclear(res);
	return v;
}

/* Records the outcome of a send; returns the job's result. */
static api_job_result record(api_job_ctx *ctx, const api_job *job, const char *id,
			     const sms_result *sr)
{
	bool final = sr->outcome == SMS_PERMANENT || job->attempts >= job->max_attempts;
	const char *params[4] = {id, job->id, NULL, NULL};
	api_job_result r = API_JOB_OK;
	int v;

	if (sr->outcome == SMS_SENT) {
		params[2] = sr->provider_ref[0] ? sr->provider_ref : NULL;
		v = call_bool(ctx, "SELECT hs_sms_sent($1::uuid, $2::uuid, $3)", 3, params,
			      "hs_sms_sent", &r);
		if (v < 0) /* the row stays 'sending': the next run sends again */
			return r == API_JOB_FAIL ? API_JOB_RETRY : r;
		return API_JOB_OK;
	}
	params[2] = sr->error;
	params[3] = final ? "true" : "false";
	v = call_bool(ctx, "SELECT hs_sms_fail($1::uuid, $2::uuid, $3, $4::boolean)", 4, params,
		      "hs_sms_fail", &r);
	if (v < 0)
		return API_JOB_RETRY;
	snprintf(ctx->err, ctx->errlen, "%s", sr->error);
	return sr->outcome == SMS_PERMANENT ? API_JOB_FAIL : API_JOB_RETRY;
}

/* Takes the message for this job with its text; 1 held, 0 not ours to send, -1 failed. */
static int begin(api_job_ctx *ctx, const api_job *job, const char *id, const char *body,
		 api_job_result *r)
{
	char stale[16];
	const char *params[5] = {id, job->id, sms_driver_name(ctx->cfg), body, stale};

	snprintf(stale, sizeof stale, "%d", ctx->cfg->job_lease);
	return call_bool(ctx, "SELECT hs_sms_begin($1::uuid, $2::uuid, $3, $4, $5::int)", 5, params,
			 "hs_sms_begin", r);
}

/* Whether a message in this state is still to be sent by some job. */
static bool sendable(const char *status)
{
	return strcmp(status, "queued") == 0 || strcmp(status, "sending") == 0;
}

api_job_result api__job_sms(api_job_ctx *ctx, const api_job *job)
{
	const char *params[2] = {NULL, job->tenant_id};
	char text[SMS_TEXT_MAX + 1], masked[64];
	api_job_result r = API_JOB_OK;
	const char *body = NULL, *redact = NULL;
	PGresult *res = NULL;
	sms_result sr;
	char *id;
	int held;

	id = payload_id(job, ctx->err, ctx->errlen);
	if (!id)
		return API_JOB_FAIL;
	params[0] = id;
	res = PQexecParams(ctx->conn, load_sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != L_NCOLS) {
		r = api__jobs_db_error(ctx->conn, res, "hs_sms_load", ctx->err, ctx->errlen);
		goto out;
	}
	if (PQntuples(res) != 1) {
		snprintf(ctx->err, ctx->errlen, "sms.send: message %s not found", id);
		r = API_JOB_FAIL;
		goto out;
	}
	if (!sendable(col(res, L_STATUS))) {
		hs_log(HS_LOG_INFO, "sms.send: message %s is %s: not sent again", id,
		       col(res, L_STATUS));
		goto out;
	}
	if (!PQgetisnull(res, 0, L_VOUCHER) && voucher_text(ctx->cfg, res, text, sizeof text)) {
		body = text;
		redact = col(res, L_PASSWORD);
	}
	held = begin(ctx, job, id, body, &r);
	if (held <= 0) {
		if (held == 0)
			hs_log(HS_LOG_INFO, "sms.send: message %s is held by another job", id);
		goto out;
	}
	if (!body)
		body = col(res, L_BODY);
	sms_send(ctx->cfg, col(res, L_TO), body, redact, &sr);
	sms_mask_phone(col(res, L_TO), masked, sizeof masked);
	if (sr.outcome == SMS_SENT)
		hs_log(HS_LOG_INFO, "sms.send: message %s to %s sent by %s (ref %s)", id, masked,
		       sms_driver_name(ctx->cfg), sr.provider_ref[0] ? sr.provider_ref : "none");
	else
		hs_log(HS_LOG_WARN, "sms.send: message %s to %s not sent (attempt %d of %d): %s",
		       id, masked, job->attempts, job->max_attempts, sr.error);
	r = record(ctx, job, id, &sr);
out:
	PQclear(res);
	free(id);
	return r;
}
