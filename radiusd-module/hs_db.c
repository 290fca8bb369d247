/*
 * PostgreSQL access for rlm_hotspot (see hs_db.h).
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>

#include "hs_db.h"
#include "hs_logic.h"

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

long hs_db_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
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
