/*
 * PostgreSQL access for rlm_hotspot (see hs_db.h).
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>

#include "hs_db.h"
#include "hs_logic.h"

#include <errno.h>
#include <poll.h>
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
	{HS_STMT_AUTHORIZE_BATCH,
	 "SELECT n, result, reason, reply_message, voucher_id, session_timeout, data_left, "
	 "rate_limit, idle_timeout "
	 "FROM hs_radius_authorize_batch($1::inet[], $2::text[], $3::text[], $4::int[], "
	 "$5::bytea[], $6::bytea[], $7::text[], $8::int)"},
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

long hs_db_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts a connection without waiting for it; NULL after logging. */
static PGconn *hs_db_start(hs_db_config const *cfg)
{
	char port[16], options[64], user_timeout[32];
	char const *keys[] = {"host",
			      "port",
			      "dbname",
			      "user",
			      "password",
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
	snprintf(options, sizeof(options), "-c statement_timeout=%u", cfg->query_timeout * 1000);
	snprintf(user_timeout, sizeof(user_timeout), "%u", cfg->query_timeout * 1000);
	vals[0] = cfg->server;
	vals[1] = port;
	vals[2] = cfg->database;
	vals[3] = cfg->login;
	vals[4] = cfg->password;
	vals[5] = "rlm_hotspot";
	vals[6] = options;
	vals[7] = "UTF8";
	vals[8] = "1";
	vals[9] = "10";
	vals[10] = "5";
	vals[11] = "3";
	vals[12] = user_timeout;
	vals[13] = NULL;

	conn = PQconnectStartParams(keys, vals, 0);
	if (!conn || PQstatus(conn) == CONNECTION_BAD) {
		hs_db_log_connect(cfg, conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

void hs_db_pending_drop(hs_db_pending *p)
{
	PQfinish(p->conn);
	memset(p, 0, sizeof(*p));
}

/* Waits until the socket is ready for what libpq wants, until_ms at most. */
static bool hs_db_wait(hs_db_pending const *p, long until_ms)
{
	struct pollfd pfd = {.fd = PQsocket(p->conn),
			     .events = p->wants == PGRES_POLLING_READING ? POLLIN : POLLOUT};
	long left = until_ms - hs_db_clock_ms();
	int n;

	if (pfd.fd < 0)
		return true; /* libpq decides at its next step */
	do {
		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
	} while (n < 0 && errno == EINTR);
	return n != 0;
}

hs_db_progress hs_db_connect_step(hs_db_config const *cfg, hs_db_pending *p, int wait_ms,
				  PGconn **out)
{
	long now = hs_db_clock_ms(), until;

	if (!p->conn) {
		p->conn = hs_db_start(cfg);
		if (!p->conn)
			return HS_DB_FAILED;
		/* As libpq documents: the first step acts as if it wanted to write. */
		p->wants = PGRES_POLLING_WRITING;
		p->deadline_ms = now + (long)cfg->connect_timeout * 1000;
	}
	until = now + wait_ms < p->deadline_ms ? now + wait_ms : p->deadline_ms;
	while (p->wants == PGRES_POLLING_READING || p->wants == PGRES_POLLING_WRITING) {
		if (!hs_db_wait(p, until)) {
			if (hs_db_clock_ms() < p->deadline_ms)
				return HS_DB_WAITING;
			hs_db_log_connect(cfg, "timeout expired");
			hs_db_pending_drop(p);
			return HS_DB_FAILED;
		}
		p->wants = PQconnectPoll(p->conn);
	}
	if (p->wants != PGRES_POLLING_OK) {
		hs_db_log_connect(cfg, PQerrorMessage(p->conn));
		hs_db_pending_drop(p);
		return HS_DB_FAILED;
	}
	if (hs_db_prepare(cfg, p->conn) < 0) {
		hs_db_pending_drop(p);
		return HS_DB_FAILED;
	}
	*out = p->conn;
	memset(p, 0, sizeof(*p));
	return HS_DB_MADE;
}

PGconn *hs_db_connect(hs_db_config const *cfg)
{
	hs_db_pending p = {0};
	PGconn *conn = NULL;

	/* The deadline bounds it: connect_timeout, as libpq's own connect would. */
	while (hs_db_connect_step(cfg, &p, (int)cfg->connect_timeout * 1000, &conn) ==
	       HS_DB_WAITING)
		;
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
