/*
 * Job queue runtime: worker threads, the NOTIFY listener and the periodic
 * ticker.  The queue's rules (who may claim what, backoff, dead, one
 * periodic job per period) live in the SQL functions; this file only calls
 * them, runs handlers and keeps its connections alive.
 *
 * Threads:
 *   workers      one connection each; claim one job, run it, report, repeat;
 *                when nothing is due, sleep until woken or JOB_POLL_INTERVAL.
 *   coordinator  one connection: LISTEN hs_jobs and wake the workers on a
 *                notification; register the periodic kinds and call
 *                job_periodic_tick() every tick.
 * A lost notification costs at most one poll interval; a lost connection
 * costs a reconnect with backoff, never a crash or a busy loop.
 */
#include "api/jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/jobs_int.h"
#include "common/db.h"
#include "common/log.h"

#define JOBS_CHANNEL       "hs_jobs"
#define JOBS_WORKER_ID_MAX 320
#define JOBS_ERR_MAX       1024
/* While no kind is periodic the coordinator still wakes this often, so a
 * stop or a half-open connection is noticed. */
#define JOBS_IDLE_WAKE_S 30

struct api_jobs;

typedef struct {
	struct api_jobs *jobs;
	pthread_t thread;
	bool started;
	char id[JOBS_WORKER_ID_MAX];
	PGconn *conn;
	bool claim_failing; /* logs a failing claim once, not every poll */
} jobs_worker;

struct api_jobs {
	const hs_config *cfg;
	api_job_kind *kinds;
	size_t nkinds;
	char *kinds_array; /* text[] literal passed to job_claim */
	int tick_s;        /* 0 = no periodic kind */

	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	bool stopping;
	unsigned long wake_seq; /* bumped on every wake-up; guarded by mu */
	int stop_pipe[2];       /* wakes the coordinator out of poll() */

	jobs_worker *workers;
	size_t nworkers;
	pthread_t coordinator;
	bool coordinator_started;
};

/* --- pure helpers (unit-tested) ---------------------------------------- */

int api__jobs_pg_array(const api_job_kind *kinds, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	int w;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	w = snprintf(buf, len, "{");
	used = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		const char *name = kinds[i].kind;
		/* Quoted elements; the names are checked to hold no quote or
		 * backslash, so no escaping is needed. */
		if (!name || !*name || strlen(name) > API__JOBS_KIND_MAX || strpbrk(name, "\"\\")) {
			goto fail;
		}
		w = snprintf(buf + used, len - used, "%s\"%s\"", i ? "," : "", name);
		if (w < 0 || (size_t)w >= len - used)
			goto fail;
		used += (size_t)w;
	}
	if (used + 2 > len)
		goto fail;
	buf[used++] = '}';
	buf[used] = '\0';
	return 0;
fail:
	buf[0] = '\0';
	return -1;
}

const api_job_kind *api__jobs_find(const api_job_kind *kinds, size_t n, const char *kind)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	}
	return NULL;
}

int api__jobs_check_kinds(const api_job_kind *kinds, size_t n, char *err, size_t errlen)
{
	if (n == 0) {
		snprintf(err, errlen, "no job kinds to run");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = kinds[i].kind;
		if (!name || !*name || strlen(name) > API__JOBS_KIND_MAX ||
		    strpbrk(name, "\"\\,{} \t\r\n")) {
			snprintf(err, errlen,
				 "job kind #%zu: name must be 1-%d characters "
				 "without quotes, commas, braces or spaces",
				 i, API__JOBS_KIND_MAX);
			return -1;
		}
		if (!kinds[i].handler) {
			snprintf(err, errlen, "job kind %s has no handler", name);
			return -1;
		}
		if (kinds[i].max_attempts < 0) {
			snprintf(err, errlen, "job kind %s: max_attempts must be >= 0", name);
			return -1;
		}
		if (api__jobs_find(kinds, i, name)) {
			snprintf(err, errlen, "job kind %s is listed twice", name);
			return -1;
		}
	}
	return 0;
}

int api__jobs_tick_interval(const hs_config *cfg, const api_job_kind *kinds, size_t n)
{
	int shortest = 0;

	for (size_t i = 0; i < n; i++) {
		int p = kinds[i].period_s ? kinds[i].period_s(cfg) : 0;
		if (p > 0 && (shortest == 0 || p < shortest))
			shortest = p;
	}
	if (shortest == 0)
		return 0;
	/* A quarter period keeps a job's start within 25% of its slot. */
	shortest /= 4;
	if (shortest < 1)
		return 1;
	if (shortest > API__JOBS_TICK_MAX)
		return API__JOBS_TICK_MAX;
	return shortest;
}

int api__jobs_reconnect_delay(int failures)
{
	int d = 1;

	for (int i = 1; i < failures && d < API__JOBS_RECONNECT_MAX; i++)
		d *= 2;
	return d > API__JOBS_RECONNECT_MAX ? API__JOBS_RECONNECT_MAX : d;
}

bool api__jobs_should_retry(api_job_result r, int attempts, int kind_max_attempts)
{
	if (r != API_JOB_RETRY)
		return false;
	return kind_max_attempts == 0 || attempts < kind_max_attempts;
}

api_job_result api__jobs_db_error(PGconn *conn, const PGresult *res, const char *what, char *err,
				  size_t errlen)
{
	char msg[JOBS_ERR_MAX];

	hs_db_errmsg(conn, res, msg, sizeof msg);
	snprintf(err, errlen, "%s: %s", what, msg[0] ? msg : "no error message");
	return hs_db_classify(conn, res) == HS_DB_RETRY ? API_JOB_RETRY : API_JOB_FAIL;
}

/* --- waiting and waking ------------------------------------------------- */

static bool jobs_stopping(api_jobs_t *j)
{
	bool s;

	pthread_mutex_lock(&j->mu);
	s = j->stopping;
	pthread_mutex_unlock(&j->mu);
	return s;
}

static unsigned long jobs_wake_seq(api_jobs_t *j)
{
	unsigned long s;

	pthread_mutex_lock(&j->mu);
	s = j->wake_seq;
	pthread_mutex_unlock(&j->mu);
	return s;
}

/* Wakes every idle worker: something may be due. */
static void jobs_wake(api_jobs_t *j)
{
	pthread_mutex_lock(&j->mu);
	j->wake_seq++;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

static struct timespec jobs_deadline(int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += seconds;
	return ts;
}

/*
 * Sleeps up to seconds; returns early on stop, and also on a wake-up when
 * seen is given and the wake counter moved past *seen.  Returns false once
 * the runtime is stopping.
 */
static bool jobs_wait(api_jobs_t *j, const unsigned long *seen, int seconds)
{
	struct timespec until = jobs_deadline(seconds);
	bool running;

	pthread_mutex_lock(&j->mu);
	while (!j->stopping && !(seen && j->wake_seq != *seen)) {
		if (pthread_cond_timedwait(&j->cv, &j->mu, &until) == ETIMEDOUT)
			break;
	}
	running = !j->stopping;
	pthread_mutex_unlock(&j->mu);
	return running;
}

/* --- connections ---------------------------------------------------------- */

/* Server notices and libpq's own messages go to the log, one line each,
 * instead of straight to stderr. */
static void jobs_notice(void *arg, const char *message)
{
	size_t n = strlen(message);

	while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
		n--;
	hs_log(HS_LOG_WARN, "jobs: %s: %.*s", (const char *)arg, (int)n, message);
}

/*
 * Connects as the worker role.  Logs the first failure of a streak and the
 * recovery only, so an outage of hours writes two lines per thread, not
 * thousands.  Returns NULL on failure.
 */
static PGconn *jobs_connect(api_jobs_t *j, const char *who, int *failures)
{
	char err[JOBS_ERR_MAX] = "";
	PGconn *conn = hs_db_connect(j->cfg, HS_DB_ROLE_WORKER, err, sizeof err);

	if (!conn) {
		if (*failures == 0)
			hs_log(HS_LOG_WARN, "jobs: %s cannot connect: %s", who, err);
		(*failures)++;
		return NULL;
	}
	PQsetNoticeProcessor(conn, jobs_notice, (void *)who);
	if (*failures > 0)
		hs_log(HS_LOG_INFO, "jobs: %s connected again", who);
	*failures = 0;
	return conn;
}

static bool jobs_conn_ok(PGconn *conn)
{
	return conn && PQstatus(conn) == CONNECTION_OK;
}

/* --- workers -------------------------------------------------------------- */

static const char *jobs_value(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

/*
 * Leaves the connection idle after a handler that did not (a bug in the
 * handler): rolls its transaction back so the next job does not run inside
 * it.  Returns true when it had to, since the handler's work is then undone.
 */
static bool jobs_reset_tx(jobs_worker *w)
{
	PGTransactionStatusType tx = PQtransactionStatus(w->conn);
	PGresult *res;

	if (tx != PQTRANS_INTRANS && tx != PQTRANS_INERROR)
		return false;
	res = PQexec(w->conn, "ROLLBACK");
	PQclear(res);
	return true;
}

static api_job_result jobs_run_handler(jobs_worker *w, const api_job_kind *k, const api_job *job,
				       char *err, size_t errlen)
{
	api_job_ctx ctx = {
		.conn = w->conn,
		.cfg = w->jobs->cfg,
		.worker_id = w->id,
		.err = err,
		.errlen = errlen,
	};
	api_job_result r;

	if (!k) {
		/* Only reachable when job_claim hands back a kind we did not ask
		 * for; such a job cannot run anywhere this binary runs. */
		snprintf(err, errlen, "no handler for job kind '%s'", job->kind);
		return API_JOB_FAIL;
	}
	r = k->handler(&ctx, job);
	if (jobs_reset_tx(w)) {
		/* Whatever it did is rolled back; running it again would only
		 * repeat the bug. */
		snprintf(err, errlen, "handler of %s left a transaction open (rolled back)",
			 job->kind);
		hs_log(HS_LOG_ERROR, "jobs: %s", err);
		return API_JOB_FAIL;
	}
	if (r != API_JOB_OK && !err[0])
		snprintf(err, errlen, "handler of %s gave up without a reason", job->kind);
	return r;
}

static void jobs_complete(jobs_worker *w, const api_job *job)
{
	const char *params[2] = {job->id, w->id};
	PGresult *res = PQexecParams(w->conn, "SELECT job_complete($1::uuid, $2)", 2, NULL, params,
				     NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		/* The lease will expire and the job run again: handlers are
		 * written to be idempotent for this reason. */
		hs_log(HS_LOG_WARN, "jobs: cannot complete %s %s: %s", job->kind, job->id,
		       PQerrorMessage(w->conn));
	} else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		hs_log(HS_LOG_WARN, "jobs: %s %s finished after its lease was taken over",
		       job->kind, job->id);
	}
	PQclear(res);
}

static void jobs_fail(jobs_worker *w, const api_job *job, const char *error, bool retry)
{
	char base[16], cap[16];
	const char *params[6] = {job->id, w->id, error, retry ? "true" : "false", base, cap};
	PGresult *res;

	snprintf(base, sizeof base, "%d", w->jobs->cfg->job_backoff_base);
	snprintf(cap, sizeof cap, "%d", w->jobs->cfg->job_backoff_cap);
	res = PQexecParams(w->conn,
			   "SELECT job_fail($1::uuid, $2, $3, $4::boolean, $5::int, $6::int)", 6,
			   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		hs_log(HS_LOG_WARN, "jobs: cannot record failure of %s %s: %s", job->kind, job->id,
		       PQerrorMessage(w->conn));
	} else if (PQgetisnull(res, 0, 0)) {
		hs_log(HS_LOG_WARN, "jobs: %s %s failed after its lease was taken over: %s",
		       job->kind, job->id, error);
	} else {
		const char *st = PQgetvalue(res, 0, 0);
		hs_log(strcmp(st, "dead") == 0 ? HS_LOG_ERROR : HS_LOG_WARN,
		       "jobs: %s %s attempt %d failed (%s): %s", job->kind, job->id, job->attempts,
		       st, error);
	}
	PQclear(res);
}

/* Runs the claimed job in row 0 of res and reports its outcome. */
static void jobs_run(jobs_worker *w, const PGresult *res)
{
	char err[JOBS_ERR_MAX] = "";
	const char *payload = jobs_value(res, 2);
	api_job job = {
		.id = PQgetvalue(res, 0, 0),
		.kind = PQgetvalue(res, 0, 1),
		.payload = payload ? payload : "{}",
		.tenant_id = jobs_value(res, 5),
		.attempts = atoi(PQgetvalue(res, 0, 3)),
		.max_attempts = atoi(PQgetvalue(res, 0, 4)),
	};
	const api_job_kind *k = api__jobs_find(w->jobs->kinds, w->jobs->nkinds, job.kind);
	api_job_result r = jobs_run_handler(w, k, &job, err, sizeof err);

	if (!jobs_conn_ok(w->conn)) {
		hs_log(HS_LOG_WARN,
		       "jobs: connection lost while running %s %s; "
		       "it runs again when its lease expires",
		       job.kind, job.id);
		return;
	}
	if (r == API_JOB_OK) {
		jobs_complete(w, &job);
		return;
	}
	jobs_fail(w, &job, err, api__jobs_should_retry(r, job.attempts, k ? k->max_attempts : 0));
}

/*
 * Claims at most one job and runs it.  Returns 1 when a job ran, 0 when
 * nothing was due, -1 when the claim failed (logged).
 */
static int jobs_claim_one(jobs_worker *w)
{
	char lease[16];
	const char *params[3] = {w->id, w->jobs->kinds_array, lease};
	PGresult *res;
	int rc = -1;

	snprintf(lease, sizeof lease, "%d", w->jobs->cfg->job_lease);
	res = PQexecParams(w->conn,
			   "SELECT id::text, kind, payload::text, attempts, max_attempts, "
			   "tenant_id::text FROM job_claim($1, $2::text[], 1, $3::int)",
			   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (!w->claim_failing)
			hs_log(HS_LOG_WARN, "jobs: %s cannot claim: %s", w->id,
			       PQerrorMessage(w->conn));
		w->claim_failing = true;
		goto out;
	}
	if (w->claim_failing)
		hs_log(HS_LOG_INFO, "jobs: %s claims again", w->id);
	w->claim_failing = false;
	rc = 0;
	if (PQntuples(res) == 0)
		goto out;
	jobs_run(w, res);
	rc = 1;
out:
	PQclear(res);
	return rc;
}

static void *jobs_worker_main(void *arg)
{
	jobs_worker *w = arg;
	api_jobs_t *j = w->jobs;
	int failures = 0;

	while (!jobs_stopping(j)) {
		unsigned long seen;
		int ran;

		if (!jobs_conn_ok(w->conn)) {
			PQfinish(w->conn);
			w->conn = jobs_connect(j, w->id, &failures);
			if (!w->conn) {
				jobs_wait(j, NULL, api__jobs_reconnect_delay(failures));
				continue;
			}
		}
		/* Read the counter before claiming: a NOTIFY that lands while
		 * the claim runs then cuts the next sleep short. */
		seen = jobs_wake_seq(j);
		ran = jobs_claim_one(w);
		if (ran > 0)
			continue;
		jobs_wait(j, &seen, j->cfg->job_poll_interval);
	}
	PQfinish(w->conn);
	w->conn = NULL;
	return NULL;
}

/* --- coordinator: LISTEN and periodic ticks ------------------------------ */

static bool jobs_exec_ok(PGconn *conn, const char *sql, int n, const char *const *params,
			 const char *what)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		hs_log(HS_LOG_ERROR, "jobs: %s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* Registers (or re-registers with the current period) each periodic kind.
 * Idempotent, so it runs on every (re)connect. */
static void jobs_register_periodic(api_jobs_t *j, PGconn *conn)
{
	for (size_t i = 0; i < j->nkinds; i++) {
		const api_job_kind *k = &j->kinds[i];
		int period = k->period_s ? k->period_s(j->cfg) : 0;
		char ps[16];
		const char *params[2] = {k->kind, ps};

		if (period <= 0)
			continue;
		snprintf(ps, sizeof ps, "%d", period);
		jobs_exec_ok(conn, "SELECT job_periodic_register($1, $2::int, '{}'::jsonb)", 2,
			     params, "cannot register periodic job");
	}
}

static PGconn *jobs_coordinator_connect(api_jobs_t *j, int *failures)
{
	PGconn *conn = jobs_connect(j, "listener", failures);

	if (!conn)
		return NULL;
	if (!jobs_exec_ok(conn, "LISTEN " JOBS_CHANNEL, 0, NULL, "cannot listen")) {
		PQfinish(conn);
		(*failures)++;
		return NULL;
	}
	jobs_register_periodic(j, conn);
	return conn;
}

static void jobs_tick(api_jobs_t *j, PGconn *conn)
{
	PGresult *res = PQexec(conn, "SELECT job_periodic_tick()");

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		hs_log(HS_LOG_WARN, "jobs: periodic tick failed: %s", PQerrorMessage(conn));
	} else if (!PQgetisnull(res, 0, 0) && atoi(PQgetvalue(res, 0, 0)) > 0) {
		jobs_wake(j);
	}
	PQclear(res);
}

/* Reads what arrived on the socket; wakes the workers on any notification.
 * Returns false when the connection is gone. */
static bool jobs_drain_notifies(api_jobs_t *j, PGconn *conn)
{
	PGnotify *n;
	bool any = false;

	if (!PQconsumeInput(conn)) {
		hs_log(HS_LOG_WARN, "jobs: listener connection lost: %s", PQerrorMessage(conn));
		return false;
	}
	while ((n = PQnotifies(conn)) != NULL) {
		any = true;
		PQfreemem(n);
	}
	if (any)
		jobs_wake(j);
	return true;
}

static double jobs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for a notification, a stop or the next tick; returns false when the
 * connection is gone. */
static bool jobs_listen_once(api_jobs_t *j, PGconn *conn, double next_tick)
{
	struct pollfd fds[2] = {
		{.fd = PQsocket(conn), .events = POLLIN},
		{.fd = j->stop_pipe[0], .events = POLLIN},
	};
	double wait_s = j->tick_s ? next_tick - jobs_now() : JOBS_IDLE_WAKE_S;
	int timeout_ms = wait_s <= 0 ? 0 : (int)(wait_s * 1000.0) + 1;

	if (fds[0].fd < 0)
		return false;
	if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
		/* Out of memory or the like: pause rather than spin on it. */
		hs_log(HS_LOG_ERROR, "jobs: poll: %s", strerror(errno));
		jobs_wait(j, NULL, 1);
		return true;
	}
	if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
		return jobs_drain_notifies(j, conn);
	return true;
}

static void *jobs_coordinator_main(void *arg)
{
	api_jobs_t *j = arg;
	PGconn *conn = NULL;
	int failures = 0;
	double next_tick = 0;

	while (!jobs_stopping(j)) {
		if (!jobs_conn_ok(conn)) {
			PQfinish(conn);
			conn = jobs_coordinator_connect(j, &failures);
			if (!conn) {
				jobs_wait(j, NULL, api__jobs_reconnect_delay(failures));
				continue;
			}
			/* Notifications sent while we were away are lost. */
			jobs_wake(j);
			next_tick = jobs_now();
		}
		if (j->tick_s && jobs_now() >= next_tick) {
			jobs_tick(j, conn);
			next_tick = jobs_now() + j->tick_s;
		}
		if (!jobs_listen_once(j, conn, next_tick)) {
			PQfinish(conn);
			conn = NULL;
		}
	}
	PQfinish(conn);
	return NULL;
}

/* --- start and stop --------------------------------------------------------- */

static void jobs_free(api_jobs_t *j)
{
	if (!j)
		return;
	if (j->stop_pipe[0] >= 0)
		close(j->stop_pipe[0]);
	if (j->stop_pipe[1] >= 0)
		close(j->stop_pipe[1]);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j->workers);
	free(j->kinds_array);
	free(j->kinds);
	free(j);
}

static int jobs_init_sync(api_jobs_t *j)
{
	pthread_condattr_t attr;
	int rc = -1;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0)
		goto out;
	if (pthread_cond_init(&j->cv, &attr) != 0)
		goto out;
	if (pthread_mutex_init(&j->mu, NULL) != 0) {
		pthread_cond_destroy(&j->cv);
		goto out;
	}
	if (pipe2(j->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cv);
		goto out;
	}
	rc = 0;
out:
	pthread_condattr_destroy(&attr);
	return rc;
}

/* Allocates the runtime and everything but the threads; NULL on failure
 * (logged). */
static api_jobs_t *jobs_new(const hs_config *cfg, const api_job_kind *kinds, size_t nkinds)
{
	char err[256];
	size_t arrlen = 3 + nkinds * (API__JOBS_KIND_MAX + 3);
	size_t nworkers = cfg->worker_threads > 0 ? (size_t)cfg->worker_threads : 1;
	api_jobs_t *j;

	if (api__jobs_check_kinds(kinds, nkinds, err, sizeof err) != 0) {
		hs_log(HS_LOG_ERROR, "jobs: %s", err);
		return NULL;
	}
	j = calloc(1, sizeof *j);
	if (!j)
		goto oom;
	j->stop_pipe[0] = j->stop_pipe[1] = -1;
	if (jobs_init_sync(j) != 0) {
		hs_log(HS_LOG_ERROR, "jobs: cannot set up thread synchronisation");
		free(j);
		return NULL;
	}
	j->cfg = cfg;
	j->nkinds = nkinds;
	j->nworkers = nworkers;
	j->kinds = calloc(nkinds, sizeof *j->kinds);
	j->kinds_array = malloc(arrlen);
	j->workers = calloc(nworkers, sizeof *j->workers);
	if (!j->kinds || !j->kinds_array || !j->workers)
		goto oom;
	memcpy(j->kinds, kinds, nkinds * sizeof *kinds);
	if (api__jobs_pg_array(kinds, nkinds, j->kinds_array, arrlen) != 0)
		goto oom;
	j->tick_s = api__jobs_tick_interval(cfg, kinds, nkinds);
	return j;
oom:
	hs_log(HS_LOG_ERROR, "jobs: out of memory");
	jobs_free(j);
	return NULL;
}

static void jobs_worker_ids(api_jobs_t *j)
{
	char host[256] = "localhost";

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	for (size_t i = 0; i < j->nworkers; i++) {
		jobs_worker *w = &j->workers[i];
		w->jobs = j;
		snprintf(w->id, sizeof w->id, "%s:%ld:%zu", host, (long)getpid(), i);
	}
}

static int jobs_spawn(api_jobs_t *j)
{
	int rc;

	rc = pthread_create(&j->coordinator, NULL, jobs_coordinator_main, j);
	if (rc != 0) {
		hs_log(HS_LOG_ERROR, "jobs: cannot start listener thread: %s", strerror(rc));
		return -1;
	}
	j->coordinator_started = true;
	for (size_t i = 0; i < j->nworkers; i++) {
		rc = pthread_create(&j->workers[i].thread, NULL, jobs_worker_main, &j->workers[i]);
		if (rc != 0) {
			hs_log(HS_LOG_ERROR, "jobs: cannot start worker thread: %s", strerror(rc));
			return -1;
		}
		j->workers[i].started = true;
	}
	return 0;
}

api_jobs_t *api_jobs_start_with(const hs_config *cfg, const api_job_kind *kinds, size_t nkinds)
{
	api_jobs_t *j = jobs_new(cfg, kinds, nkinds);

	if (!j)
		return NULL;
	jobs_worker_ids(j);
	if (jobs_spawn(j) != 0) {
		api_jobs_stop(j);
		return NULL;
	}
	hs_log(HS_LOG_INFO, "jobs: %zu workers for kinds %s, poll %d s, lease %d s, tick %d s",
	       j->nworkers, j->kinds_array, cfg->job_poll_interval, cfg->job_lease, j->tick_s);
	return j;
}

api_jobs_t *api_jobs_start(const hs_config *cfg)
{
	return api_jobs_start_with(cfg, api__jobs_builtin, api__jobs_nbuiltin);
}

/* Joins one thread before the deadline; false when it is still running. */
static bool jobs_join(pthread_t t, const struct timespec *deadline)
{
	return pthread_timedjoin_np(t, NULL, deadline) == 0;
}

void api_jobs_stop(api_jobs_t *jobs)
{
	struct timespec deadline;
	bool all = true;
	ssize_t wr;

	if (!jobs)
		return;
	pthread_mutex_lock(&jobs->mu);
	jobs->stopping = true;
	pthread_cond_broadcast(&jobs->cv);
	pthread_mutex_unlock(&jobs->mu);
	wr = write(jobs->stop_pipe[1], "x", 1);
	(void)wr; /* a full pipe already wakes the listener */

	/* pthread_timedjoin_np measures against CLOCK_REALTIME. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += jobs->cfg->job_lease > 0 ? jobs->cfg->job_lease : 1;
	if (jobs->coordinator_started)
		all = jobs_join(jobs->coordinator, &deadline) && all;
	for (size_t i = 0; i < jobs->nworkers; i++) {
		if (jobs->workers[i].started)
			all = jobs_join(jobs->workers[i].thread, &deadline) && all;
	}
	if (!all) {
		/* A thread still inside a handler keeps using this state: leak it
		 * rather than free it under the thread.  Its job comes back when
		 * the lease expires. */
		hs_log(HS_LOG_WARN, "jobs: stopped with a handler still running after %d s",
		       jobs->cfg->job_lease);
		return;
	}
	jobs_free(jobs);
	hs_log(HS_LOG_INFO, "jobs: stopped");
}
