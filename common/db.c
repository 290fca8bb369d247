#include "common/db.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* ---- connecting ---------------------------------------------------------- */

static void params_add(hs_db_params *p, size_t *n, const char *key, const char *val)
{
	if (*n >= HS_DB_PARAMS_MAX)
		return;
	p->keys[*n] = key;
	p->vals[*n] = val;
	(*n)++;
}

void hs_db_params_fill(hs_db_params *p, const hs_config *cfg, hs_db_role role)
{
	const char *user = cfg->db_username, *password = cfg->db_password;
	size_t n = 0;

	if (role == HS_DB_ROLE_WORKER) {
		user = cfg->db_worker_username;
		password = cfg->db_worker_password;
	} else if (role == HS_DB_ROLE_OWNER) {
		user = cfg->db_owner_username;
		password = cfg->db_owner_password;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->port, sizeof(p->port), "%d", cfg->db_port);
	snprintf(p->timeout, sizeof(p->timeout), "%d", cfg->db_connect_timeout);
	snprintf(p->user_timeout_ms, sizeof(p->user_timeout_ms), "%d",
		 cfg->db_connect_timeout * 1000);
	params_add(p, &n, "host", cfg->db_host);
	params_add(p, &n, "port", p->port);
	params_add(p, &n, "dbname", cfg->db_database);
	params_add(p, &n, "user", user);
	if (password && *password)
		params_add(p, &n, "password", password);
	params_add(p, &n, "sslmode", hs_cfg_sslmode_names[cfg->db_sslmode]);
	params_add(p, &n, "connect_timeout", p->timeout);
	params_add(p, &n, "keepalives", "1");
	params_add(p, &n, "keepalives_idle", "30");
	params_add(p, &n, "keepalives_interval", "10");
	params_add(p, &n, "keepalives_count", "3");
	params_add(p, &n, "tcp_user_timeout", p->user_timeout_ms);
	params_add(p, &n, "application_name", "hotspotd");
	p->keys[n] = NULL;
	p->vals[n] = NULL;
}

/* Copies libpq's message to err on one line. */
static void db_copy_line(const char *msg, char *err, size_t errlen)
{
	size_t n;

	if (!errlen)
		return;
	snprintf(err, errlen, "%s", msg && *msg ? msg : "unknown error");
	for (n = 0; err[n]; n++) {
		if (err[n] == '\n' || err[n] == '\r' || err[n] == '\t')
			err[n] = ' ';
	}
	while (n > 0 && err[n - 1] == ' ')
		err[--n] = '\0';
}

PGconn *hs_db_connect(const hs_config *cfg, hs_db_role role, char *err, size_t errlen)
{
	hs_db_params p;
	PGconn *conn;

	hs_db_params_fill(&p, cfg, role);
	/* expand_dbname = 0: DB_DATABASE is a name, never a conninfo string */
	conn = PQconnectdbParams(p.keys, p.vals, 0);
	if (!conn) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		db_copy_line(PQerrorMessage(conn), err, errlen);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* ---- errors ---------------------------------------------------------------- */

/*
 * SQLSTATEs (or classes, when two characters long) that pass: the same
 * call can succeed later.  Class 23 is a constraint; everything else is
 * given up.
 */
static const struct {
	const char *code;
	hs_db_result result;
} db_sqlstates[] = {
	{"08", HS_DB_RETRY},    /* connection exception */
	{"40001", HS_DB_RETRY}, /* serialization_failure */
	{"40P01", HS_DB_RETRY}, /* deadlock_detected */
	{"55P03", HS_DB_RETRY}, /* lock_not_available */
	{"57014", HS_DB_RETRY}, /* query_canceled (statement timeout) */
	{"57P01", HS_DB_RETRY}, /* admin_shutdown */
	{"57P02", HS_DB_RETRY}, /* crash_shutdown */
	{"57P03", HS_DB_RETRY}, /* cannot_connect_now */
	{"53", HS_DB_RETRY},    /* insufficient resources, too many connections */
	{"58000", HS_DB_RETRY}, /* system_error */
	{"58030", HS_DB_RETRY}, /* io_error */
	{"23", HS_DB_CONSTRAINT},
};

hs_db_result hs_db_classify_sqlstate(const char *sqlstate)
{
	if (!sqlstate || !*sqlstate)
		return HS_DB_RETRY;
	if (strlen(sqlstate) != 5)
		return HS_DB_ERROR;
	for (size_t i = 0; i < sizeof(db_sqlstates) / sizeof(db_sqlstates[0]); i++) {
		size_t n = strlen(db_sqlstates[i].code);
		if (strncmp(sqlstate, db_sqlstates[i].code, n) == 0)
			return db_sqlstates[i].result;
	}
	return HS_DB_ERROR;
}

hs_db_result hs_db_classify(const PGconn *conn, const PGresult *res)
{
	const char *state;

	if (res) {
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_COPY_IN:
		case PGRES_COPY_OUT:
		case PGRES_COPY_BOTH:
		case PGRES_SINGLE_TUPLE:
		case PGRES_EMPTY_QUERY:
			return HS_DB_OK;
		default:
			break;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && *state)
			return hs_db_classify_sqlstate(state);
	}
	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return HS_DB_RETRY;
	return HS_DB_ERROR;
}

const char *hs_db_result_name(hs_db_result r)
{
	static const char *const names[] = {"ok", "retry", "constraint", "error"};

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[r];
}

void hs_db_errmsg(const PGconn *conn, const PGresult *res, char *err, size_t errlen)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!msg || !*msg) {
		msg = conn ? PQerrorMessage(conn) : "no connection";
		if (strncmp(msg, "ERROR:  ", 8) == 0)
			msg += 8;
	}
	db_copy_line(msg, err, errlen);
}

/* ---- tenant transactions ----------------------------------------------- */

bool hs_db_uuid_valid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (!s)
		return false;
	for (i = 0; shape[i]; i++) {
		char c = s[i];
		if (shape[i] == '-') {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return s[i] == '\0';
}

hs_db_result hs_db_tx_tenant(PGconn *conn, const char *tenant_uuid, char *err, size_t errlen)
{
	const char *params[1] = {tenant_uuid};
	hs_db_result r;
	PGresult *res;

	if (!hs_db_uuid_valid(tenant_uuid)) {
		snprintf(err, errlen, "tenant id is not a UUID");
		return HS_DB_ERROR;
	}
	res = PQexec(conn, "BEGIN");
	r = hs_db_classify(conn, res);
	if (r != HS_DB_OK) {
		hs_db_errmsg(conn, res, err, errlen);
		PQclear(res);
		return r;
	}
	PQclear(res);
	res = PQexecParams(conn, "SELECT set_config('hotspot.tenant_id', $1, true)", 1, NULL,
			   params, NULL, NULL, 0);
	r = hs_db_classify(conn, res);
	if (r != HS_DB_OK) {
		hs_db_errmsg(conn, res, err, errlen);
		PQclear(PQexec(conn, "ROLLBACK"));
	}
	PQclear(res);
	return r;
}

/* ---- pool -------------------------------------------------------------------- */

struct hs_db_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	const hs_config *cfg;
	hs_db_role role;
	int size;
	PGconn **conns; /* slot i: NULL = not connected */
	bool *busy;
};

hs_db_pool *hs_db_pool_create(const hs_config *cfg, hs_db_role role, int size)
{
	hs_db_pool *pool;
	pthread_condattr_t attr;

	if (size < 1)
		size = 1;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->conns = calloc((size_t)size, sizeof(*pool->conns));
	pool->busy = calloc((size_t)size, sizeof(*pool->busy));
	if (!pool->conns || !pool->busy)
		goto fail;
	pool->cfg = cfg;
	pool->role = role;
	pool->size = size;
	pthread_mutex_init(&pool->lock, NULL);
	/* Waits are measured on the monotonic clock: a clock step must not
	 * turn a bounded wait into an unbounded one. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->freed, &attr);
	pthread_condattr_destroy(&attr);
	return pool;
fail:
	free(pool->conns);
	free(pool->busy);
	free(pool);
	return NULL;
}

/* Claims a free slot, waiting until deadline; -1 when none came free. */
static int pool_claim(hs_db_pool *pool, const struct timespec *deadline)
{
	int slot = -1;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		/* Prefer a slot that is already connected. */
		for (int i = 0; i < pool->size; i++) {
			if (!pool->busy[i] && (slot < 0 || pool->conns[i]))
				slot = i;
		}
		if (slot >= 0)
			break;
		if (pthread_cond_timedwait(&pool->freed, &pool->lock, deadline) == ETIMEDOUT)
			break;
	}
	if (slot >= 0)
		pool->busy[slot] = true;
	pthread_mutex_unlock(&pool->lock);
	return slot;
}

static void pool_release(hs_db_pool *pool, int slot, PGconn *conn)
{
	pthread_mutex_lock(&pool->lock);
	pool->conns[slot] = conn;
	pool->busy[slot] = false;
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

PGconn *hs_db_pool_get(hs_db_pool *pool, int wait_ms, char *err, size_t errlen)
{
	struct timespec deadline;
	PGconn *conn;
	int slot;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	slot = pool_claim(pool, &deadline);
	if (slot < 0) {
		snprintf(err, errlen, "no database connection free within %d ms", wait_ms);
		return NULL;
	}
	/* The slot is ours alone now: connect outside the lock. */
	conn = pool->conns[slot];
	if (conn && PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		conn = NULL;
	}
	if (!conn)
		conn = hs_db_connect(pool->cfg, pool->role, err, errlen);
	if (!conn) {
		pool_release(pool, slot, NULL);
		return NULL;
	}
	pthread_mutex_lock(&pool->lock);
	pool->conns[slot] = conn;
	pthread_mutex_unlock(&pool->lock);
	return conn;
}

void hs_db_pool_put(hs_db_pool *pool, PGconn *conn, bool broken)
{
	int slot = -1;

	if (!conn)
		return;
	pthread_mutex_lock(&pool->lock);
	for (int i = 0; i < pool->size; i++) {
		if (pool->conns[i] == conn && pool->busy[i])
			slot = i;
	}
	pthread_mutex_unlock(&pool->lock);
	if (slot < 0) {
		hs_log(HS_LOG_ERROR, "db: a connection not borrowed from the pool was returned");
		return;
	}
	if (!broken && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PGresult *res = PQexec(conn, "ROLLBACK");
		broken = hs_db_classify(conn, res) != HS_DB_OK;
		PQclear(res);
	}
	if (broken || PQstatus(conn) != CONNECTION_OK ||
	    PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PQfinish(conn);
		conn = NULL;
	}
	pool_release(pool, slot, conn);
}

void hs_db_pool_destroy(hs_db_pool *pool)
{
	if (!pool)
		return;
	for (int i = 0; i < pool->size; i++) {
		if (pool->busy[i])
			hs_log(HS_LOG_ERROR, "db: pool closed while a connection is borrowed");
		if (pool->conns[i])
			PQfinish(pool->conns[i]);
	}
	pthread_cond_destroy(&pool->freed);
	pthread_mutex_destroy(&pool->lock);
	free(pool->conns);
	free(pool->busy);
	free(pool);
}
