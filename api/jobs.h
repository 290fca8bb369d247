/*
 * Job queue runtime of hotspotd serve.
 *
 * Jobs live in PostgreSQL (table jobs); the SQL functions job_claim,
 * job_complete, job_fail and job_periodic_* decide who runs what, so any
 * number of hotspotd processes can share one queue.  This runtime runs
 * WORKER_THREADS workers, each with its own connection as the worker role,
 * wakes them on NOTIFY hs_jobs (with a polling fallback every
 * JOB_POLL_INTERVAL seconds), and keeps periodic kinds ticking.
 *
 * A kind of job is one row of a handler table: adding a kind means writing
 * its handler (api/job_<kind>.c) and adding the row to api__jobs_builtin.
 */
#ifndef HS_API_JOBS_H
#define HS_API_JOBS_H

#include <stddef.h>

#include <libpq-fe.h>

#include "common/config.h"

typedef struct api_jobs api_jobs_t;

/*
 * What a handler tells the runtime.  RETRY is a temporary failure (the
 * database or a gateway is away): the job goes back to the queue with
 * exponential backoff until it has used its attempts.  FAIL is permanent
 * (bad payload, the thing it acts on is gone): the job is dead at once.
 */
typedef enum {
	API_JOB_OK = 0,
	API_JOB_RETRY,
	API_JOB_FAIL,
} api_job_result;

/* One claimed job.  Strings are owned by the runtime and valid only during
 * the handler call. */
typedef struct {
	const char *id; /* uuid */
	const char *kind;
	const char *payload;   /* JSON text, "{}" when the row had none */
	const char *tenant_id; /* uuid, or NULL for jobs of no tenant */
	int attempts;          /* this run included: 1 on the first run */
	int max_attempts;
} api_job;

/*
 * What a handler may use.  conn is the worker's own connection as the
 * worker role, idle (no transaction open) on entry; the handler must leave
 * it idle.  On RETRY or FAIL the handler writes a one-line reason into err
 * (it becomes jobs.last_error).
 *
 * A handler finishes well within JOB_LEASE (its own network calls carry
 * timeouts): past the lease another worker may claim the job again.  And
 * handlers are idempotent: a job runs again when its worker dies, or loses
 * its connection, after doing the work but before recording it.
 */
typedef struct {
	PGconn *conn;
	const hs_config *cfg;
	const char *worker_id; /* hostname:pid:thread# */
	char *err;
	size_t errlen;
} api_job_ctx;

typedef api_job_result (*api_job_handler)(api_job_ctx *ctx, const api_job *job);

/*
 * One kind of job.  max_attempts caps the retries of this kind whatever the
 * row says (0 = the row decides).  period_s, when set, makes the kind
 * periodic: it returns the period in seconds from the configuration, and the
 * runtime registers it and keeps it ticking; NULL = enqueued by others only.
 */
typedef struct {
	const char *kind;
	api_job_handler handler;
	int max_attempts;
	int (*period_s)(const hs_config *cfg);
} api_job_kind;

/*
 * Starts the workers, the NOTIFY listener and the periodic ticker for the
 * built-in kinds.  Returns NULL on failure (logged), with nothing left
 * running.  Threads that cannot reach the database keep retrying with
 * bounded backoff: an unreachable database is not a failure to start.
 * cfg must outlive the runtime.
 */
api_jobs_t *api_jobs_start(const hs_config *cfg);

/*
 * The same with a caller's table of kinds (copied; the strings and
 * functions it points to must outlive the runtime).  Kind names must be
 * unique and non-empty.
 */
api_jobs_t *api_jobs_start_with(const hs_config *cfg, const api_job_kind *kinds, size_t nkinds);

/*
 * Stops claiming, lets running handlers finish and joins the threads,
 * waiting at most JOB_LEASE seconds: past that, the handlers still running
 * are abandoned (their jobs come back when the lease expires) and their
 * state is deliberately leaked rather than freed under them.  NULL is a
 * no-op.
 */
void api_jobs_stop(api_jobs_t *jobs);

#endif
