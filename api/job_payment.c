/*
 * Job kind "payment.check" {payment_id}: asks the gateway for the outcome
 * of a payment whose webhook has not come (queued by hs_payment_open to run
 * PAYMENT_CHECK_DELAY seconds after the purchase).  A verified outcome is
 * applied by hs_payment_settle, like a webhook: the voucher is issued once
 * whichever comes first.  While the gateway says pending, or cannot be
 * reached, the job retries with the queue's backoff; on its last attempt
 * the payment expires.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/jobs_int.h"
#include "api/pay.h"
#include "common/db.h"
#include "common/log.h"

typedef struct {
	char gateway[40], status[16], ref[PAY_REF_MAX], txn[PAY_REF_MAX];
} check_target;

/* Reads payment id's target; 1 found, 0 gone, -1 failed (r set). */
static int target_read(api_job_ctx *ctx, const char *id, check_target *t, api_job_result *r)
{
	PGresult *res = PQexecParams(ctx->conn, "SELECT * FROM hs_payment_check_target($1::uuid)",
				     1, NULL, &id, NULL, NULL, 0);
	int found = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		*r = api__jobs_db_error(ctx->conn, res, "hs_payment_check_target", ctx->err,
					ctx->errlen);
		goto out;
	}
	found = PQntuples(res) == 1;
	if (found) {
		pay__copy(t->gateway, sizeof t->gateway, PQgetvalue(res, 0, 0));
		pay__copy(t->status, sizeof t->status, PQgetvalue(res, 0, 1));
		pay__copy(t->ref, sizeof t->ref, PQgetvalue(res, 0, 2));
		pay__copy(t->txn, sizeof t->txn, PQgetvalue(res, 0, 3));
	}
out:
	PQclear(res);
	return found;
}

/* The last attempt: the payment expires (when still pending). */
static api_job_result expire(api_job_ctx *ctx, const char *id, const char *why)
{
	const char *p[2] = {id, why};
	PGresult *res = PQexecParams(ctx->conn, "SELECT hs_payment_expire($1::uuid, $2)", 2, NULL,
				     p, NULL, NULL, 0);
	api_job_result r = API_JOB_OK;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = api__jobs_db_error(ctx->conn, res, "hs_payment_expire", ctx->err, ctx->errlen);
	else
		hs_log(HS_LOG_INFO, "payment.check: payment %s expired: %s", id, why);
	PQclear(res);
	return r;
}

/* Not settled yet: retry, or expire on the last attempt. */
static api_job_result not_yet(api_job_ctx *ctx, const api_job *job, const char *id, const char *why)
{
	if (job->attempts >= job->max_attempts)
		return expire(ctx, id, why);
	snprintf(ctx->err, ctx->errlen, "%s", why);
	return API_JOB_RETRY;
}

api_job_result api__job_payment_check(api_job_ctx *ctx, const api_job *job)
{
	json_t *payload = json_loads(job->payload, 0, NULL), *out = NULL;
	const char *id = json_string_value(json_object_get(payload, "payment_id"));
	api_job_result r = API_JOB_FAIL;
	const pay_driver *d;
	check_target t = {0};
	pay_event ev;
	char err[300];
	bool retry;
	pay_result pr;
	int found;

	if (!id || !hs_db_uuid_valid(id)) {
		snprintf(ctx->err, ctx->errlen, "payload has no payment_id");
		goto out;
	}
	found = target_read(ctx, id, &t, &r);
	if (found <= 0) {
		r = found == 0 ? API_JOB_OK : r;
		goto out;
	}
	r = API_JOB_OK;
	if (strcmp(t.status, "pending") != 0 || !(d = pay_driver_find(t.gateway)))
		goto out;
	pr = d->status(ctx->cfg, id, t.ref, t.txn, &ev, err, sizeof err);
	if (pr != PAY_OK || !ev.outcome) {
		r = not_yet(ctx, job, id, pr != PAY_OK ? err : "the gateway says pending");
		goto out;
	}
	if (pay_settle(ctx->conn, d->name, &ev, NULL, &out, &retry, err, sizeof err) != 0) {
		snprintf(ctx->err, ctx->errlen, "hs_payment_settle: %s", err);
		r = retry ? API_JOB_RETRY : API_JOB_FAIL;
		goto out;
	}
	hs_log(HS_LOG_INFO, "payment.check: payment %s: %s", id,
	       json_string_value(json_object_get(out, "result")));
out:
	json_decref(out);
	json_decref(payload);
	return r;
}
