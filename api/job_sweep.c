/*
 * Job kind "radius.sweep": closes RADIUS sessions that sent no accounting for
 * three interim intervals (the router rebooted or lost its link without a
 * Stop), so they no longer hold a voucher's shared slots, and queues the
 * disconnect of live sessions whose voucher has expired, been disabled,
 * refunded or used up. The RADIUS path does the same for the vouchers it
 * sees; this catches the ones nobody logs in with.
 */
#include <stdio.h>
#include <string.h>

#include "api/jobs_int.h"
#include "common/log.h"

api_job_result api__job_sweep(api_job_ctx *ctx, const api_job *job)
{
	char interim[16];
	const char *params[1] = {interim};
	PGresult *res;
	api_job_result r = API_JOB_OK;

	(void)job;
	snprintf(interim, sizeof interim, "%d", ctx->cfg->radius_interim_interval);
	res = PQexecParams(ctx->conn, "SELECT hs_radius_sweep($1::int)", 1, NULL, params, NULL,
			   NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_radius_sweep", ctx->err, ctx->errlen);
		goto out;
	}
	if (!PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		hs_log(HS_LOG_INFO, "radius.sweep: closed %s stale sessions",
		       PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	return r;
}
