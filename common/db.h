/*
 * PostgreSQL access shared by hotspotd's parts: connections made from the
 * configuration (never from a pasted conninfo string), a small pool, the
 * classification of errors into "retry" and "give up", and the
 * per-transaction tenant of row-level security.  Queries take parameters.
 */
#ifndef HS_COMMON_DB_H
#define HS_COMMON_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "common/config.h"

/* Which of the configured roles a connection logs in as. */
typedef enum {
	HS_DB_ROLE_API = 0, /* DB_USERNAME: subject to row-level security */
	HS_DB_ROLE_WORKER,  /* DB_WORKER_USERNAME: SECURITY DEFINER functions */
	HS_DB_ROLE_OWNER,   /* DB_OWNER_USERNAME: migrations */
} hs_db_role;

/*
 * The outcome of a database call.  RETRY: the same call may succeed later
 * (connection lost or refused, serialization failure, deadlock, lock
 * timeout, server shutting down or out of resources).  CONSTRAINT: the data
 * broke an integrity rule (SQLSTATE class 23) — a conflict to report, not
 * to retry.  ERROR: the query itself is wrong or not allowed (syntax,
 * permission, data exception, anything else) — give up.
 */
typedef enum {
	HS_DB_OK = 0,
	HS_DB_RETRY,
	HS_DB_CONSTRAINT,
	HS_DB_ERROR,
} hs_db_result;

/* Largest number of keyword/value pairs hs_db_params_fill writes. */
#define HS_DB_PARAMS_MAX 16

/*
 * Keyword/value arrays for PQconnectdbParams (with expand_dbname = 0), NULL
 * terminated.  The values point into cfg and into this struct: keep both
 * alive while connecting.
 */
typedef struct {
	const char *keys[HS_DB_PARAMS_MAX + 1];
	const char *vals[HS_DB_PARAMS_MAX + 1];
	char port[8];
	char timeout[16];
	char user_timeout_ms[24];
} hs_db_params;

/*
 * Fills p for role from cfg: host, port, dbname, user, password (omitted
 * when empty, so that libpq's password file applies), sslmode,
 * connect_timeout, TCP keepalives and tcp_user_timeout (so a dead server is
 * noticed within DB_CONNECT_TIMEOUT, not after minutes), application_name.
 */
void hs_db_params_fill(hs_db_params *p, const hs_config *cfg, hs_db_role role);

/*
 * Connects as role.  Returns an open connection (caller owns it: PQfinish),
 * or NULL with libpq's reason in err (it never contains the password).
 * Waits at most about DB_CONNECT_TIMEOUT seconds.
 */
PGconn *hs_db_connect(const hs_config *cfg, hs_db_role role, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The result for a SQLSTATE; NULL or "" (no answer from a server) is RETRY. */
hs_db_result hs_db_classify_sqlstate(const char *sqlstate);

/*
 * The result of a finished call: OK for PGRES_COMMAND_OK / TUPLES_OK /
 * COPY_*, else by SQLSTATE; a NULL res or a result without SQLSTATE is RETRY
 * when conn is broken, ERROR otherwise.
 */
hs_db_result hs_db_classify(const PGconn *conn, const PGresult *res);

/* "ok", "retry", "constraint" or "error". */
const char *hs_db_result_name(hs_db_result r);

/*
 * Writes the server's message for a failed call into err, on one line
 * ("ERROR:  " prefix and trailing newline removed).
 */
void hs_db_errmsg(const PGconn *conn, const PGresult *res, char *err, size_t errlen);

/*
 * Opens a transaction whose row-level-security tenant is tenant_uuid
 * (BEGIN, then set_config('hotspot.tenant_id', $1, true), which lasts until
 * the transaction ends).  tenant_uuid must be a canonical UUID text, else
 * ERROR without touching the connection.  On a failure after BEGIN the
 * transaction is rolled back; err receives the reason.
 */
hs_db_result hs_db_tx_tenant(PGconn *conn, const char *tenant_uuid, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Whether s is a UUID in canonical text form (8-4-4-4-12 hex digits). */
bool hs_db_uuid_valid(const char *s);

/* ---- pool -------------------------------------------------------------- */

typedef struct hs_db_pool hs_db_pool;

/*
 * Creates a pool of at most size connections as role (connected lazily, on
 * first use).  Returns NULL when out of memory.  cfg must outlive the pool.
 */
hs_db_pool *hs_db_pool_create(const hs_config *cfg, hs_db_role role, int size);

/*
 * Borrows a connection, idle and open, waiting at most wait_ms for a free
 * one and reconnecting one that broke.  Returns NULL with a reason in err
 * when none is free in time or the server cannot be reached.  Give it back
 * with hs_db_pool_put, always.
 */
PGconn *hs_db_pool_get(hs_db_pool *pool, int wait_ms, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Returns a borrowed connection.  A connection that is broken (or that
 * broken says is suspect) is closed and reopened on next use; one left in
 * a transaction is rolled back first.
 */
void hs_db_pool_put(hs_db_pool *pool, PGconn *conn, bool broken);

/* Closes every connection; none may be borrowed.  NULL is a no-op. */
void hs_db_pool_destroy(hs_db_pool *pool);

#endif
