/*
 * PostgreSQL access for rlm_hotspot: connections as the RADIUS role, made
 * lazily with a bounded connect timeout, with the module's statements
 * prepared; one classification of
 * libpq failures.
 */
#ifndef HS_DB_H
#define HS_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#define HS_DB_WARN_UNUSED __attribute__((warn_unused_result))

/* Connection settings; the strings belong to the module instance. */
typedef struct hs_db_config {
	char const *name; /* module instance, for messages */
	char const *server;
	uint32_t port;
	char const *database;
	char const *login;
	char const *password;
	uint32_t connect_timeout; /* seconds */
	uint32_t query_timeout;   /* seconds: statement_timeout and TCP user timeout */
} hs_db_config;

/* What a failure means for the caller. */
typedef enum hs_db_rc {
	HS_DB_OK = 0,
	HS_DB_DOWN,  /* no connection or lost: reconnect later; nothing is known to be stored */
	HS_DB_AGAIN, /* transient (deadlock, serialization): the same call may succeed now */
	HS_DB_ERROR, /* the statement failed: repeating it cannot help */
} hs_db_rc;

/*
 * Milliseconds on a clock that only moves forward, for retry back-offs: a
 * wall clock set back would hold reconnection off for as long.
 */
long hs_db_clock_ms(void);

/* The module's prepared statements, prepared on every connection. */
#define HS_STMT_AUTHORIZE_BATCH "hs_authorize_batch"
#define HS_STMT_ACCOUNTING      "hs_accounting"
#define HS_STMT_CLIENTS         "hs_clients"

/* Accounting takes 12 parallel arrays; authorize 7 and the interim interval. */
#define HS_AUTHORIZE_BATCH_NPARAMS 8
#define HS_AUTHORIZE_BATCH_COLUMNS 9
#define HS_ACCOUNTING_NPARAMS      12

/*
 * Connects and prepares the statements, waiting at most connect_timeout.
 * Returns the connection (caller closes it with PQfinish), or NULL after
 * logging why (never the password).
 */
PGconn *hs_db_connect(hs_db_config const *cfg) HS_DB_WARN_UNUSED;

/*
 * A connection made a slice at a time, for a thread that has other work
 * while the database does not answer (a server that accepts and then
 * stays silent would hold a plain connect for the whole connect_timeout).
 * Zeroed: none under way.
 */
typedef struct hs_db_pending {
	PGconn *conn;
	PostgresPollingStatusType wants; /* what libpq waits for before its next step */
	long deadline_ms;                /* hs_db_clock_ms(): connect_timeout from the start */
} hs_db_pending;

typedef enum hs_db_progress {
	HS_DB_MADE,    /* *out holds the connection, statements prepared */
	HS_DB_WAITING, /* still under way: call again */
	HS_DB_FAILED,  /* logged; nothing under way any more */
} hs_db_progress;

/*
 * Starts a connection when none is under way, then advances it for at most
 * wait_ms; once made, prepares the statements and moves it to *out.
 */
hs_db_progress hs_db_connect_step(hs_db_config const *cfg, hs_db_pending *p, int wait_ms,
				  PGconn **out) __attribute__((nonnull));

/* Abandons a connection under way. */
void hs_db_pending_drop(hs_db_pending *p) __attribute__((nonnull));

/*
 * Classifies the outcome of a statement: res may be NULL (libpq returns
 * none when the connection broke or memory ran out). Logs failures,
 * prefixed with what.
 */
hs_db_rc hs_db_classify(hs_db_config const *cfg, PGconn *conn, PGresult const *res,
			char const *what);

#endif
