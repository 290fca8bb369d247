/*
 * jobtool: runs the job runtime of hotspotd (api/jobs.c) with kinds of its
 * own, so the integration suites can watch the queue from outside without
 * hotspotd carrying test-only kinds.  Configured like hotspotd (DB_*,
 * WORKER_THREADS, JOB_*); runs until SIGTERM or SIGINT.
 *
 * Kinds: hotspotd's own (api__jobs_builtin, so "prune" runs as in
 * hotspotd serve), and
 *   test.record    records its run in jobtest.runs (through the SECURITY
 *                  DEFINER function jobtest.record the suite creates)
 *   test.fail      always a temporary failure: retried with backoff, then dead
 *   test.sleep     on its first attempt sleeps payload.sleep seconds first,
 *                  then records, like test.record
 *   test.periodic  records; periodic every JOBTOOL_PERIOD seconds when that
 *                  is set (else not registered)
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/jobs_int.h"
#include "common/config.h"
#include "common/log.h"

extern char **environ;

static int jobtool_period;

static api_job_result record_run(api_job_ctx *ctx, const api_job *job)
{
	char attempts[16];
	const char *params[4] = {job->id, job->kind, ctx->worker_id, attempts};
	PGresult *res;
	api_job_result r = API_JOB_OK;

	snprintf(attempts, sizeof attempts, "%d", job->attempts);
	res = PQexecParams(ctx->conn, "SELECT jobtest.record($1::uuid, $2, $3, $4::int)", 4, NULL,
			   params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = api__jobs_db_error(ctx->conn, res, "jobtest.record", ctx->err, ctx->errlen);
	}
	PQclear(res);
	return r;
}

static api_job_result test_fail(api_job_ctx *ctx, const api_job *job)
{
	snprintf(ctx->err, ctx->errlen, "deliberate failure of attempt %d", job->attempts);
	return API_JOB_RETRY;
}

/* Reads payload.sleep (seconds, 0-600); FAIL on a payload that is not that. */
static int sleep_seconds(const api_job *job, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(job->payload, 0, &jerr);
	json_t *v = root ? json_object_get(root, "sleep") : NULL;
	int secs = -1;

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 600) {
		snprintf(err, errlen, "payload.sleep must be an integer of seconds, 0-600");
		goto out;
	}
	secs = (int)json_integer_value(v);
out:
	json_decref(root);
	return secs;
}

static api_job_result test_sleep(api_job_ctx *ctx, const api_job *job)
{
	int secs = sleep_seconds(job, ctx->err, ctx->errlen);
	struct timespec ts;

	if (secs < 0)
		return API_JOB_FAIL;
	if (job->attempts == 1) {
		hs_log(HS_LOG_INFO, "jobtool: %s sleeping %d s", job->id, secs);
		ts.tv_sec = secs;
		ts.tv_nsec = 0;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			continue;
	}
	return record_run(ctx, job);
}

static int periodic_period(const hs_config *cfg)
{
	(void)cfg;
	return jobtool_period;
}

static const api_job_kind jobtool_kinds[] = {
	{.kind = "test.record", .handler = record_run},
	{.kind = "test.fail", .handler = test_fail},
	{.kind = "test.sleep", .handler = test_sleep},
	{.kind = "test.periodic", .handler = record_run, .period_s = periodic_period},
};

/* hotspotd's kinds followed by jobtool's; caller frees.  NULL when out of
 * memory. */
static api_job_kind *all_kinds(size_t *n)
{
	size_t ntest = sizeof jobtool_kinds / sizeof jobtool_kinds[0];
	api_job_kind *k = calloc(api__jobs_nbuiltin + ntest, sizeof *k);

	if (!k)
		return NULL;
	memcpy(k, api__jobs_builtin, api__jobs_nbuiltin * sizeof *k);
	memcpy(k + api__jobs_nbuiltin, jobtool_kinds, sizeof jobtool_kinds);
	*n = api__jobs_nbuiltin + ntest;
	return k;
}

/* Blocks the stop signals in every thread so that main alone takes them,
 * with sigwait. */
static int block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_BLOCK, set, NULL);
}

int main(void)
{
	hs_config cfg;
	char err[512];
	const char *period = getenv("JOBTOOL_PERIOD");
	sigset_t set;
	api_job_kind *kinds = NULL;
	size_t nkinds = 0;
	api_jobs_t *jobs = NULL;
	int sig = 0, rc = 1;

	memset(&cfg, 0, sizeof cfg);
	if (hs_cfg_load(&cfg, environ, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "jobtool: %s\n", err);
		return 2;
	}
	hs_log_set_level((hs_log_level)cfg.log_level);
	jobtool_period = period ? atoi(period) : 0;
	kinds = all_kinds(&nkinds);
	if (!kinds || block_stop_signals(&set) != 0)
		goto out;
	jobs = api_jobs_start_with(&cfg, kinds, nkinds);
	if (!jobs)
		goto out;
	sigwait(&set, &sig);
	hs_log(HS_LOG_INFO, "jobtool: signal %d, stopping", sig);
	api_jobs_stop(jobs);
	rc = 0;
out:
	free(kinds);
	hs_cfg_free(&cfg);
	return rc;
}
