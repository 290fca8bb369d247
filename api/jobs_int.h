/*
 * Shared between the files of the job runtime (api/jobs.c, api/job_*.c)
 * and its unit tests; nothing outside the runtime includes this.
 */
#ifndef HS_API_JOBS_INT_H
#define HS_API_JOBS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "api/jobs.h"

/* The kinds hotspotd serve runs: one row per kind (api/job_kinds.c). */
extern const api_job_kind api__jobs_builtin[];
extern const size_t api__jobs_nbuiltin;

/* Handlers of the built-in kinds. */
api_job_result api__job_prune(api_job_ctx *ctx, const api_job *job);
api_job_result api__job_sweep(api_job_ctx *ctx, const api_job *job);
api_job_result api__job_disconnect(api_job_ctx *ctx, const api_job *job);
api_job_result api__job_kick(api_job_ctx *ctx, const api_job *job);
/* payment.check (api/job_payment.c) */
api_job_result api__job_payment_check(api_job_ctx *ctx, const api_job *job);

/* Longest kind name accepted in a table of kinds. */
#define API__JOBS_KIND_MAX 64

/* Seconds between periodic ticks and between reconnect attempts at most. */
#define API__JOBS_TICK_MAX      30
#define API__JOBS_RECONNECT_MAX 30

/*
 * Writes the kinds of the table as a PostgreSQL text[] literal
 * ({"a","b"}) into buf.  Returns 0, or -1 when it does not fit or a name is
 * empty or too long (buf then holds an empty string).
 */
int api__jobs_pg_array(const api_job_kind *kinds, size_t n, char *buf, size_t len);

/* The kind named kind in the table, or NULL. */
const api_job_kind *api__jobs_find(const api_job_kind *kinds, size_t n, const char *kind);

/*
 * 0 when the table is usable (names non-empty, short enough and unique,
 * every kind has a handler, max_attempts >= 0), else -1 with a reason in err.
 */
int api__jobs_check_kinds(const api_job_kind *kinds, size_t n, char *err, size_t errlen);

/*
 * Seconds between periodic ticks: a quarter of the shortest enabled period,
 * kept within [1, API__JOBS_TICK_MAX]; 0 when no kind is periodic (or every
 * period is disabled, i.e. <= 0).
 */
int api__jobs_tick_interval(const hs_config *cfg, const api_job_kind *kinds, size_t n);

/* Seconds to wait after the given number of failed connects in a row
 * (1 = first failure): 1, 2, 4 ... capped at API__JOBS_RECONNECT_MAX. */
int api__jobs_reconnect_delay(int failures);

/*
 * Whether a non-OK result goes back to the queue: only RETRY, and only while
 * the kind's own cap (0 = none) leaves another attempt.  The row's
 * max_attempts is enforced by job_fail itself.
 */
bool api__jobs_should_retry(api_job_result r, int attempts, int kind_max_attempts);

/*
 * Turns a failed query into a handler result: RETRY when common/db.h says
 * the same call may succeed later (connection lost, serialization failure,
 * deadlock, shutdown...), FAIL otherwise.  Writes "<what>: <server
 * message>" into err, on one line.  res may be NULL.
 */
api_job_result api__jobs_db_error(PGconn *conn, const PGresult *res, const char *what, char *err,
				  size_t errlen);

#endif
