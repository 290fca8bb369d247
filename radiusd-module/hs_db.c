/*
 * PostgreSQL access for rlm_hotspot (see hs_db.h).
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>

#include "hs_db.h"
#include "hs_logic.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The statements, as the SQL functions of the RADIUS path define them. */
static struct {
	char const *name;
	char const *sql;
} const statements[] = {
	{HS_STMT_AUTHORIZE,
	 "SELECT result, reason, reply_message, voucher_id, session_timeout, data_left, "
	 "rate_limit, idle_timeout "
	 "FROM hs_radius_authorize($1::inet, $2::text, $3::text, $4::int, $5::bytea, $6::bytea, "
	 "$7::text, $8::int)"},
	{HS_STMT_ACCOUNTING,
	 "SELECT idx, result FROM hs_radius_accounting($1::inet[], $2::int[], $3::text[], "
	 "$4::text[], $5::text[], $6::text[], $7::inet[], $8::bigint[], $9::bigint[], "
	 "$10::bigint[], $11::text[], $12::timestamptz[])"},
	{HS_STMT_CLIENTS, "SELECT router_id, host(ip_address), family(ip_address), radius_secret, "
			  "require_message_authenticator FROM hs_radius_clients()"},
};

/*
 * SQLSTATEs (or their classes, two characters) and what they mean here.
 * Anything else is a failed statement.
 */
static struct {
	char const *code;
	hs_db_rc rc;
} const sqlstates[] = {
	{"08", HS_DB_DOWN},     /* connection exception */
	{"53", HS_DB_DOWN},     /* insufficient resources (too many connections, disk full) */
	{"57P01", HS_DB_DOWN},  /* admin shutdown */
	{"57P02", HS_DB_DOWN},  /* crash shutdown */
	{"57P03", HS_DB_DOWN},  /* cannot connect now (starting up, recovering) */
	{"57014", HS_DB_DOWN},  /* statement timeout: the server is too slow to use */
	{"58", HS_DB_DOWN},     /* system error (I/O) */
	{"40001", HS_DB_AGAIN}, /* serialization failure */
	{"40P01", HS_DB_AGAIN}, /* deadlock detected */
	{"55P03", HS_DB_AGAIN}, /* lock not available */
};

/* Logs libpq's message on one line (its newlines become blanks). */
static void hs_db_log_error(hs_db_config const *cfg, char const *what, char const *msg)
{
	char line[512];
	size_t n = 0;

	for (; msg && *msg && n < sizeof(line) - 1; msg++)
		line[n++] = (*msg == '\n' || *msg == '\t') ? ' ' : *msg;
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	ERROR("rlm_hotspot (%s): %s: %s", cfg->name, what, line);
}

/*
 * Logs a failed connect at most once every 10 seconds: during an outage
 * every thread that needs the database would repeat it.
 */
static void hs_db_log_connect(hs_db_config const *cfg, char const *msg)
{
	static time_t last;
	time_t now = time(NULL);
	time_t prev = __atomic_load_n(&last, __ATOMIC_RELAXED);

	if (now - prev < 10 || !__atomic_compare_exchange_n(&last, &prev, now, false,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	hs_db_log_error(cfg, "cannot connect to the database", msg);
}

/* Prepares every statement; returns 0, or -1 after logging. */
static int hs_db_prepare(hs_db_config const *cfg, PGconn *conn)
{
	size_t i;

	for (i = 0; i < HS_NELEM(statements); i++) {
		PGresult *res = PQprepare(conn, statements[i].name, statements[i].sql, 0, NULL);
		bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;

		if (!ok)
			hs_db_log_error(cfg, "preparing the RADIUS statements",
					res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
		PQclear(res);
		if (!ok)
			return -1;
	}
	return 0;
}

PGconn *hs_db_connect(hs_db_config const *cfg)
{
	char port[16], timeout[16], options[64], user_timeout[32];
	char const *keys[] = {"host",
			      "port",
			      "dbname",
			      "user",
			      "password",
			      "connect_timeout",
			      "application_name",
			      "options",
			      "client_encoding",
			      "keepalives",
			      "keepalives_idle",
			      "keepalives_interval",
			      "keepalives_count",
			      "tcp_user_timeout",
			      NULL};
	char const *vals[HS_NELEM(keys)];
	PGconn *conn;

	snprintf(port, sizeof(port), "%u", cfg->port);
	snprintf(timeout, sizeof(timeout), "%u", cfg->connect_timeout);
	snprintf(options, sizeof(options), "-c statement_timeout=%u", cfg->query_timeout * 1000);
	snprintf(user_timeout, sizeof(user_timeout), "%u", cfg->query_timeout * 1000);
	vals[0] = cfg->server;
	vals[1] = port;
	vals[2] = cfg->database;
	vals[3] = cfg->login;
	vals[4] = cfg->password;
	vals[5] = timeout;
	vals[6] = "rlm_hotspot";
	vals[7] = options;
	vals[8] = "UTF8";
	vals[9] = "1";
	vals[10] = "10";
	vals[11] = "5";
	vals[12] = "3";
	vals[13] = user_timeout;
	vals[14] = NULL;

	conn = PQconnectdbParams(keys, vals, 0);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		hs_db_log_connect(cfg, conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	if (hs_db_prepare(cfg, conn) < 0) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

hs_db_rc hs_db_classify(hs_db_config const *cfg, PGconn *conn, PGresult const *res,
			char const *what)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	char const *code;
	hs_db_rc rc = HS_DB_ERROR;
	size_t i;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return HS_DB_OK;
	code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (!conn || PQstatus(conn) != CONNECTION_OK || !code) {
		rc = HS_DB_DOWN;
	} else {
		for (i = 0; i < HS_NELEM(sqlstates); i++) {
			if (strncmp(code, sqlstates[i].code, strlen(sqlstates[i].code)) == 0) {
				rc = sqlstates[i].rc;
				break;
			}
		}
	}
	hs_db_log_error(cfg, what,
			res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
							    : PQerrorMessage(conn));
	return rc;
}

/* --- the pool ----------------------------------------------------------------- */

struct hs_db_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed; /* a connection was returned or a slot freed */
	hs_db_config cfg;
	PGconn **idle;
	unsigned nidle;
	unsigned total; /* connections open or being opened */
	unsigned max;
	unsigned wait_ms;
	time_t down_until; /* no connect attempt before this, after a failure */
};

hs_db_pool *hs_db_pool_create(hs_db_config const *cfg, unsigned size, unsigned wait_ms)
{
	hs_db_pool *pool = calloc(1, sizeof(*pool));
	pthread_condattr_t ca;

	if (!pool)
		return NULL;
	pool->idle = calloc(size ? size : 1, sizeof(*pool->idle));
	if (!pool->idle) {
		free(pool);
		return NULL;
	}
	pool->cfg = *cfg;
	pool->max = size ? size : 1;
	pool->wait_ms = wait_ms;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->freed, &ca);
	pthread_condattr_destroy(&ca);
	return pool;
}

/* Closes the idle connections. Lock held. */
static void hs_db_pool_drain(hs_db_pool *pool)
{
	while (pool->nidle > 0) {
		PQfinish(pool->idle[--pool->nidle]);
		pool->total--;
	}
	pthread_cond_broadcast(&pool->freed);
}

void hs_db_pool_free(hs_db_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	hs_db_pool_drain(pool);
	pthread_mutex_unlock(&pool->lock);
	pthread_cond_destroy(&pool->freed);
	pthread_mutex_destroy(&pool->lock);
	free(pool->idle);
	free(pool);
}

/* A new connection for a slot already counted in total; NULL frees the slot. */
static PGconn *hs_db_pool_open(hs_db_pool *pool)
{
	PGconn *conn = hs_db_connect(&pool->cfg);

	if (conn)
		return conn;
	pthread_mutex_lock(&pool->lock);
	pool->total--;
	pool->down_until = time(NULL) + 1;
	pthread_cond_broadcast(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/*
 * A connection: an idle one, a new one while under the limit, or one freed
 * within wait_ms. Returns NULL when none can be had; *fresh tells whether
 * it was just made.
 */
static PGconn *hs_db_pool_get(hs_db_pool *pool, bool *fresh)
{
	struct timespec deadline;
	PGconn *conn = NULL;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += pool->wait_ms / 1000;
	deadline.tv_nsec += (long)(pool->wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	*fresh = false;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		if (pool->nidle > 0) {
			conn = pool->idle[--pool->nidle];
			break;
		}
		if (pool->total < pool->max) {
			if (time(NULL) < pool->down_until)
				break;
			pool->total++;
			pthread_mutex_unlock(&pool->lock);
			*fresh = true;
			return hs_db_pool_open(pool);
		}
		if (pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline) != 0)
			break;
	}
	pthread_mutex_unlock(&pool->lock);
	return conn;
}

/* Returns conn to the pool, or closes it after a connection failure. */
static void hs_db_pool_put(hs_db_pool *pool, PGconn *conn, hs_db_rc rc)
{
	pthread_mutex_lock(&pool->lock);
	if (rc == HS_DB_DOWN || PQstatus(conn) != CONNECTION_OK ||
	    PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PQfinish(conn);
		pool->total--;
		/* Its idle siblings talked to the same server: assume them dead too. */
		if (rc == HS_DB_DOWN)
			hs_db_pool_drain(pool);
	} else {
		pool->idle[pool->nidle++] = conn;
	}
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

hs_db_rc hs_db_pool_exec(hs_db_pool *pool, char const *stmt, int nparams, char const *const *values,
			 int const *lengths, int const *formats, PGresult **res)
{
	hs_db_rc rc = HS_DB_DOWN;
	int attempt;

	*res = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		bool fresh;
		PGconn *conn = hs_db_pool_get(pool, &fresh);
		PGresult *r;

		if (!conn)
			return HS_DB_DOWN;
		r = PQexecPrepared(conn, stmt, nparams, values, lengths, formats, 0);
		rc = hs_db_classify(&pool->cfg, conn, r, stmt);
		hs_db_pool_put(pool, conn, rc);
		if (rc == HS_DB_OK) {
			*res = r;
			return rc;
		}
		PQclear(r);
		/* A fresh connection that fails says the server is down: no retry. */
		if (rc == HS_DB_ERROR || (rc == HS_DB_DOWN && fresh))
			break;
	}
	return rc;
}
