/*
 * Job kind "prune": deletes rows past their retention (auth log, closed
 * sessions, events, finished jobs) through hs_prune, which reports how many
 * rows of each it removed.
 */
#include <stdio.h>

#include "api/jobs_int.h"
#include "common/log.h"

api_job_result api__job_prune(api_job_ctx *ctx, const api_job *job)
{
	const hs_config *cfg = ctx->cfg;
	char days[4][16];
	const char *params[4] = {days[0], days[1], days[2], days[3]};
	PGresult *res;
	api_job_result r = API_JOB_OK;

	(void)job;
	snprintf(days[0], sizeof days[0], "%d", cfg->auth_log_retention_days);
	snprintf(days[1], sizeof days[1], "%d", cfg->session_retention_days);
	snprintf(days[2], sizeof days[2], "%d", cfg->event_retention_days);
	snprintf(days[3], sizeof days[3], "%d", cfg->job_retention_days);
	res = PQexecParams(ctx->conn, "SELECT hs_prune($1::int, $2::int, $3::int, $4::int)::text",
			   4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "hs_prune", ctx->err, ctx->errlen);
		goto out;
	}
	hs_log(HS_LOG_INFO, "prune: removed %s",
	       PQgetisnull(res, 0, 0) ? "{}" : PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	return r;
}
