/*
 * The router monitor: see api/monitor.h and docs/monitor.md.
 *
 * One round thread: every ROUTER_MONITOR_INTERVAL seconds it claims this
 * process's routers (hs_router_monitor_claim), hands them to the poll
 * threads one at a time and waits until every one was polled (or the
 * monitor stops).  The poll threads each take the next router, read its
 * statistics through the router's shared pool and report what they saw
 * (hs_router_monitor_report) on a connection of their own.  Database
 * connections log in as the worker role, which may only call the
 * monitor's SECURITY DEFINER functions.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "api/monitor.h"
#include "api/router_conn.h"
#include "common/db.h"
#include "common/log.h"

#define OWNER_MAX    200
#define DB_WAIT_MS   5000
#define REASON_MAX   300
#define VERSION_MAX  100
#define IDENTITY_MAX 128

/* The claim's columns, in the order hs_router_monitor_claim returns them. */
enum { C_ID, C_TENANT, C_TARGET /* host .. password_encrypted: 6 columns */ };

struct api_monitor {
	const hs_config *cfg;
	hs_db_pool *db;
	char owner[OWNER_MAX + 1];
	pthread_t round_thread;
	pthread_t *pollers;
	int npollers;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* a new round, or stop: for pollers */
	pthread_cond_t idle; /* a router polled, or stop: for the round thread */
	bool stopping;
	PGresult *round; /* the routers of the round under way; NULL between rounds */
	int next, total, done;
};

/* What one poll saw. */
typedef struct {
	const char *status; /* "online", "offline", "error"; NULL: report nothing */
	char reason[REASON_MAX];
	char version[VERSION_MAX];
	char identity[IDENTITY_MAX];
	char uptime[24];
} poll_result;

/* ---- one router ---------------------------------------------------------------- */

/*
 * The status a failure means: offline when the router did not answer,
 * error when it answered but refused (login, policy, TLS, protocol), NULL
 * when it says nothing about the router (our own rate limit, memory).
 */
static const char *status_of(ros_err err)
{
	switch (err) {
	case ROS_OK:
		return "online";
	case ROS_ERR_RESOLVE:
	case ROS_ERR_CONNECT_TIMEOUT:
	case ROS_ERR_REFUSED:
	case ROS_ERR_CONNECT:
	case ROS_ERR_TIMEOUT:
	case ROS_ERR_CLOSED:
	case ROS_ERR_IO:
		return "offline";
	case ROS_ERR_NOMEM:
	case ROS_ERR_RATE_LIMITED:
	case ROS_ERR_INTERRUPTED:
		return NULL;
	default:
		return "error";
	}
}

/* Polls the router of row into pr. */
static void poll_router(api_monitor *m, const PGresult *res, int row, poll_result *pr)
{
	api_router_target t;
	api_router *r = NULL;
	ros_prov_stats st;
	ros_msg msg = {{0}};
	time_t at;
	bool cached;
	const char *why;
	ros_err err;

	memset(&t, 0, sizeof t);
	memset(pr, 0, sizeof *pr);
	snprintf(t.router_id, sizeof t.router_id, "%s", PQgetvalue(res, row, C_ID));
	why = api_router_target_fill(&t, m->cfg, res, row, C_TARGET);
	if (why) {
		pr->status = "error";
		snprintf(pr->reason, sizeof pr->reason, "%s", why);
		goto out;
	}
	r = api_router_get(m->cfg, &t);
	if (!r)
		goto out;
	err = api_router_stats(r, 0, &st, pr->identity, sizeof pr->identity, &at, &cached, &msg);
	pr->status = status_of(err);
	if (err != ROS_OK) {
		snprintf(pr->reason, sizeof pr->reason, "%.*s", REASON_MAX - 1,
			 msg.text[0] ? msg.text : ros_err_str(err));
		goto out;
	}
	snprintf(pr->version, sizeof pr->version, "%s", st.version);
	snprintf(pr->uptime, sizeof pr->uptime, "%llu", (unsigned long long)st.uptime);
out:
	api_router_put(r);
	api_router_target_clear(&t);
}

/* Writes pr for the router of row; logs a change of status. */
static void report(api_monitor *m, const PGresult *res, int row, const poll_result *pr)
{
	const char *id = PQgetvalue(res, row, C_ID);
	const char *params[7] = {m->owner,
				 id,
				 pr->status,
				 pr->uptime[0] ? pr->uptime : NULL,
				 pr->version[0] ? pr->version : NULL,
				 pr->identity[0] ? pr->identity : NULL,
				 pr->reason[0] ? pr->reason : NULL};
	char err[256];
	PGconn *conn = hs_db_pool_get(m->db, DB_WAIT_MS, err, sizeof err);
	PGresult *r;
	hs_db_result dr;

	if (!conn) {
		hs_log(HS_LOG_WARN, "monitor: router %s: cannot report: %s", id, err);
		return;
	}
	r = PQexecParams(
		conn, "SELECT hs_router_monitor_report($1, $2::uuid, $3, $4::bigint, $5, $6, $7)",
		7, NULL, params, NULL, NULL, 0);
	dr = hs_db_classify(conn, r);
	if (dr != HS_DB_OK) {
		hs_db_errmsg(conn, r, err, sizeof err);
		hs_log(HS_LOG_WARN, "monitor: router %s: report: %s", id, err);
	} else if (PQgetisnull(r, 0, 0)) {
		hs_log(HS_LOG_INFO, "monitor: router %s: lease lost to another process", id);
	} else if (strcmp(PQgetvalue(r, 0, 0), pr->status) != 0) {
		hs_log(HS_LOG_INFO, "monitor: router %s: %s -> %s%s%s", id, PQgetvalue(r, 0, 0),
		       pr->status, pr->reason[0] ? ": " : "", pr->reason);
	} else {
		hs_log(HS_LOG_DEBUG, "monitor: router %s: %s", id, pr->status);
	}
	PQclear(r);
	hs_db_pool_put(m->db, conn, dr == HS_DB_RETRY);
}

/* ---- poll threads --------------------------------------------------------------- */

/* The next router of the round to poll: its row, or -1 when stopping. */
static int take(api_monitor *m, PGresult **res)
{
	int row = -1;

	pthread_mutex_lock(&m->lock);
	while (!m->stopping && (!m->round || m->next >= m->total))
		pthread_cond_wait(&m->wake, &m->lock);
	if (!m->stopping) {
		row = m->next++;
		*res = m->round;
	}
	pthread_mutex_unlock(&m->lock);
	return row;
}

static void polled(api_monitor *m)
{
	pthread_mutex_lock(&m->lock);
	m->done++;
	pthread_cond_signal(&m->idle);
	pthread_mutex_unlock(&m->lock);
}

static void *poller_main(void *arg)
{
	api_monitor *m = arg;
	PGresult *res = NULL;
	poll_result pr;
	int row;

	while ((row = take(m, &res)) >= 0) {
		poll_router(m, res, row, &pr);
		if (pr.status)
			report(m, res, row, &pr);
		polled(m);
	}
	return NULL;
}

/* ---- rounds ------------------------------------------------------------------------ */

/* This process's routers from hs_router_monitor_claim, or NULL (logged). */
static PGresult *claim(api_monitor *m)
{
	char lease[16], err[256];
	const char *params[2] = {m->owner, lease};
	PGconn *conn = hs_db_pool_get(m->db, DB_WAIT_MS, err, sizeof err);
	PGresult *res;
	hs_db_result dr;

	if (!conn) {
		hs_log(HS_LOG_WARN, "monitor: cannot claim routers: %s", err);
		return NULL;
	}
	snprintf(lease, sizeof lease, "%d", m->cfg->router_monitor_lease);
	res = PQexecParams(conn,
			   "SELECT router_id, tenant_id, ip_address, api_port, api_ssl,"
			   " api_tls_insecure, username, password_encrypted, status"
			   " FROM hs_router_monitor_claim($1, $2::int)",
			   2, NULL, params, NULL, NULL, 0);
	dr = hs_db_classify(conn, res);
	if (dr != HS_DB_OK) {
		hs_db_errmsg(conn, res, err, sizeof err);
		hs_log(HS_LOG_WARN, "monitor: cannot claim routers: %s", err);
		PQclear(res);
		res = NULL;
	}
	hs_db_pool_put(m->db, conn, dr == HS_DB_RETRY);
	return res;
}

/* Hands res's routers to the poll threads and waits until all are polled
 * or the monitor stops.  Takes res. */
static void run_round(api_monitor *m, PGresult *res)
{
	pthread_mutex_lock(&m->lock);
	m->round = res;
	m->next = 0;
	m->done = 0;
	m->total = PQntuples(res);
	pthread_cond_broadcast(&m->wake);
	while (!m->stopping && m->done < m->total)
		pthread_cond_wait(&m->idle, &m->lock);
	/* When stopping, pollers may still hold rows: wait for those too. */
	while (m->done < m->next)
		pthread_cond_wait(&m->idle, &m->lock);
	m->round = NULL;
	m->total = 0;
	pthread_mutex_unlock(&m->lock);
	PQclear(res);
}

/* Sleeps until deadline (CLOCK_MONOTONIC) or stop.  Whether to go on. */
static bool sleep_until(api_monitor *m, const struct timespec *deadline)
{
	bool go;

	pthread_mutex_lock(&m->lock);
	while (!m->stopping && pthread_cond_timedwait(&m->idle, &m->lock, deadline) != ETIMEDOUT)
		;
	go = !m->stopping;
	pthread_mutex_unlock(&m->lock);
	return go;
}

static void release(api_monitor *m)
{
	const char *params[1] = {m->owner};
	char err[256];
	PGconn *conn = hs_db_pool_get(m->db, DB_WAIT_MS, err, sizeof err);
	PGresult *res;

	if (!conn)
		return;
	res = PQexecParams(conn, "SELECT hs_router_monitor_release($1)", 1, NULL, params, NULL,
			   NULL, 0);
	if (hs_db_classify(conn, res) == HS_DB_OK)
		hs_log(HS_LOG_INFO, "monitor: %s router lease(s) given back",
		       PQgetvalue(res, 0, 0));
	PQclear(res);
	hs_db_pool_put(m->db, conn, false);
}

static void *round_main(void *arg)
{
	api_monitor *m = arg;
	struct timespec next;
	PGresult *res;

	clock_gettime(CLOCK_MONOTONIC, &next);
	do {
		next.tv_sec += m->cfg->router_monitor_interval;
		res = claim(m);
		if (res) {
			hs_log(HS_LOG_DEBUG, "monitor: polling %d router(s)", PQntuples(res));
			run_round(m, res);
		}
	} while (sleep_until(m, &next));
	release(m);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------ */

/* hostname:pid:random, unique among the processes sharing the database. */
static void make_owner(char *out, size_t len)
{
	char host[64] = "localhost";
	unsigned char rnd[4] = {0};

	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	snprintf(out, len, "%s:%ld:%02x%02x%02x%02x", host, (long)getpid(), rnd[0], rnd[1], rnd[2],
		 rnd[3]);
}

static void monitor_free(api_monitor *m)
{
	hs_db_pool_destroy(m->db);
	pthread_cond_destroy(&m->wake);
	pthread_cond_destroy(&m->idle);
	pthread_mutex_destroy(&m->lock);
	free(m->pollers);
	free(m);
}

/* Sets up the lock and conditions (idle on the monotonic clock).  0 or -1. */
static int monitor_sync_init(api_monitor *m)
{
	pthread_condattr_t ca;
	int rc = -1;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_mutex_init(&m->lock, NULL) == 0) {
		if (pthread_cond_init(&m->wake, NULL) == 0) {
			if (pthread_cond_init(&m->idle, &ca) == 0)
				rc = 0;
			else
				pthread_cond_destroy(&m->wake);
		}
		if (rc != 0)
			pthread_mutex_destroy(&m->lock);
	}
	pthread_condattr_destroy(&ca);
	return rc;
}

/* Stops and joins the threads started so far. */
static void monitor_join(api_monitor *m, bool round_started)
{
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_cond_broadcast(&m->wake);
	pthread_cond_broadcast(&m->idle);
	pthread_mutex_unlock(&m->lock);
	if (round_started)
		pthread_join(m->round_thread, NULL);
	for (int i = 0; i < m->npollers; i++)
		pthread_join(m->pollers[i], NULL);
}

int api_monitor_start(const hs_config *cfg, api_monitor **out)
{
	api_monitor *m;
	int n = cfg->router_monitor_workers;

	*out = NULL;
	if (cfg->router_monitor_interval <= 0) {
		hs_log(HS_LOG_INFO, "monitor: off (ROUTER_MONITOR_INTERVAL=0)");
		return 0;
	}
	if (!cfg->app_key[0]) {
		hs_log(HS_LOG_WARN, "monitor: off: APP_KEY is not set, so no router's API "
				    "password can be read");
		return 0;
	}
	m = calloc(1, sizeof *m);
	if (!m || monitor_sync_init(m) != 0) {
		free(m);
		hs_log(HS_LOG_ERROR, "monitor: out of memory");
		return -1;
	}
	m->cfg = cfg;
	make_owner(m->owner, sizeof m->owner);
	m->pollers = calloc((size_t)n, sizeof *m->pollers);
	/* One connection per poll thread, and one for the rounds. */
	m->db = hs_db_pool_create(cfg, HS_DB_ROLE_WORKER, n + 1);
	if (!m->pollers || !m->db)
		goto fail;
	for (; m->npollers < n; m->npollers++)
		if (pthread_create(&m->pollers[m->npollers], NULL, poller_main, m) != 0)
			goto fail;
	if (pthread_create(&m->round_thread, NULL, round_main, m) != 0)
		goto fail;
	hs_log(HS_LOG_INFO, "monitor: %s polls its routers every %d s with %d thread(s)", m->owner,
	       cfg->router_monitor_interval, n);
	*out = m;
	return 0;
fail:
	hs_log(HS_LOG_ERROR, "monitor: cannot start its threads");
	monitor_join(m, false);
	monitor_free(m);
	return -1;
}

void api_monitor_stop(api_monitor *m)
{
	if (!m)
		return;
	monitor_join(m, true);
	monitor_free(m);
}
