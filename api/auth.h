/*
 * Bearer-token authentication of API requests, and the per-request
 * transaction that makes PostgreSQL's row-level security apply the caller's
 * tenant.
 *
 * A token travels as "Authorization: Bearer <token>"; only its SHA-256 (hex)
 * reaches the database, through hs_api_token_resolve(), which answers for
 * live tokens of active admins and tenants.  Tokens are never logged.
 */
#ifndef HS_API_AUTH_H
#define HS_API_AUTH_H

#include <stdbool.h>

#include "api/http.h"
#include "common/db.h"

/* Longest token accepted in the Authorization header. */
#define API_TOKEN_MAX 256

/*
 * The api_app authorizer.  Returns 0 with req->who filled when the token is
 * live and holds ability (or "*"); 401 when the header is missing or
 * malformed or the token unknown, expired or revoked; 403 when the token
 * lacks the ability; 503 (answered here) when the database cannot tell.
 */
int api_auth_authorize(api_req *req, const char *ability);

/*
 * The token of an "Authorization: Bearer <token>" header value (scheme in
 * any letter case, then 1..API_TOKEN_MAX characters of RFC 6750's b64token
 * and nothing after), or NULL when header is NULL or of another shape.
 * Points into header.
 */
const char *api_auth_bearer(const char *header);

/*
 * Writes the lower-case hex SHA-256 of token into hex.  0, or -1 when the
 * digest fails (hex then "").
 */
int api_auth_token_hash(const char *token, char hex[65]) __attribute__((warn_unused_result));

/*
 * Borrows a pooled connection and opens a transaction whose row-level
 * security tenant is req->who.tenant_id.  Returns the connection, or NULL
 * with a 503 answered.  The caller ends it with api_tx_end, always.
 */
PGconn *api_tx_begin(api_req *req) __attribute__((warn_unused_result));

/*
 * Ends the transaction of api_tx_begin: COMMIT when commit is true, else
 * ROLLBACK; gives the connection back to the pool.  Returns the outcome of
 * the COMMIT (HS_DB_OK after a rollback).  conn NULL is a no-op (HS_DB_OK).
 */
hs_db_result api_tx_end(api_req *req, PGconn *conn, bool commit);

#endif
