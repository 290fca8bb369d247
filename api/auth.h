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

#include <jansson.h>

#include "api/http.h"
#include "common/db.h"

/* Longest token accepted in the Authorization header. */
#define API_TOKEN_MAX 256

/*
 * The pseudo-ability of the routes about the caller's own account (who am
 * I, log out, my tokens): every live token may call them, and they act in
 * the token's own tenant whatever X-Tenant says.
 */
#define API_ABILITY_SELF "self"

/* The tokens made here: "hs_" and 43 base64url characters (32 random bytes). */
#define API_TOKEN_NEW_LEN (3 + 43 + 1)

/*
 * The api_app authorizer.  Returns 0 with req->who filled when the token is
 * live and holds ability (or "*"); 401 when the header is missing or
 * malformed or the token unknown, expired or revoked; 403 when the token
 * lacks the ability, or X-Tenant names a tenant its admin may not act in;
 * 429 (answered here, with Retry-After) when the token used up its
 * requests per minute (API_RATE_LIMIT); 503 (answered here) when the
 * database cannot tell.
 *
 * X-Tenant (a tenant's slug or id) picks the tenant of the request's
 * transaction: the admin's own, or one it is a member of (admin_tenants),
 * where the role of the membership also caps the token's abilities.
 */
int api_auth_authorize(api_req *req, const char *ability);

/* Whether name is one of the documented abilities, or "*". */
bool api_ability_known(const char *name);

/* Whether role is owner, admin, operator or viewer. */
bool api_role_known(const char *role);

/*
 * The default abilities of role (owner, admin, operator, viewer) as a new
 * JSON array of names (["*"] for owner); NULL for another role or when out
 * of memory.
 */
json_t *api_role_abilities(const char *role);

/* Whether the JSON array of names list grants ability ("*" grants all). */
bool api_abilities_grant(const json_t *list, const char *ability);

/*
 * A new token from the CSPRNG (API_TOKEN_NEW_LEN with its NUL) and its
 * hex SHA-256 as api_tokens stores it.  0, or -1 with both wiped.
 */
int api_auth_token_new(char token[API_TOKEN_NEW_LEN], char hex[65])
	__attribute__((warn_unused_result));

/*
 * The per-token rate limiter: a token bucket of per_minute requests,
 * refilled continuously, for each key (a token id), in this process only.
 * now is a monotonic time in seconds.  Takes one request and returns 0, or
 * returns the whole seconds (at least 1) until one may be taken.
 * per_minute <= 0 turns the limit off.
 */
long api_rate_take(const char *key, int per_minute, double now);

/*
 * Adds a row to audit_log in conn's transaction (the tenant of the
 * transaction, req->who.admin_id as the actor unless admin_id is given, the
 * client's address).  details is JSON text or NULL ({}).  The outcome of the
 * INSERT.
 */
hs_db_result api_audit(PGconn *conn, const api_req *req, const char *admin_id, const char *action,
		       const char *object_type, const char *object_id, const char *details);

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
