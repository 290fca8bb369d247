#include "api/auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "common/crypto.h"
#include "common/log.h"

/* How long a request waits for a free pooled connection. */
#define AUTH_POOL_WAIT_MS 2000

/* The token's identity, and whether it holds the ability ($2) or "*". */
static const char resolve_sql[] = "SELECT token_id, admin_id, tenant_id, admin_role,"
				  " $2 = ANY (abilities) OR '*' = ANY (abilities)"
				  " FROM hs_api_token_resolve($1)";

int api_auth_token_hash(const char *token, char hex[65])
{
	return hs_crypto_sha256_hex(token, strlen(token), hex);
}

/* Whether c may appear in a token (RFC 6750 b64token). */
static bool token_char(unsigned char c)
{
	return isalnum(c) || strchr("-._~+/=", c) != NULL;
}

const char *api_auth_bearer(const char *header)
{
	const char *t;
	size_t n = 0;

	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	t = header + 7;
	while (*t == ' ')
		t++;
	while (t[n] && token_char((unsigned char)t[n]))
		n++;
	if (n == 0 || n > API_TOKEN_MAX || t[n] != '\0')
		return NULL;
	return t;
}

/* Copies a resolved column into dst (size len); false when it does not fit. */
static bool copy_col(const PGresult *res, int col, char *dst, size_t len)
{
	const char *v = PQgetvalue(res, 0, col);

	if (strlen(v) >= len)
		return false;
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

/* Fills req->who from a resolved row; 0, 403 or 500 (answered). */
static int identity_from(api_req *req, const PGresult *res)
{
	api_identity *who = &req->who;

	if (!copy_col(res, 0, who->token_id, sizeof who->token_id) ||
	    !copy_col(res, 1, who->admin_id, sizeof who->admin_id) ||
	    !copy_col(res, 2, who->tenant_id, sizeof who->tenant_id) ||
	    !copy_col(res, 3, who->role, sizeof who->role)) {
		memset(who, 0, sizeof *who);
		api_reply_error(req, 500, "internal error");
		return 500;
	}
	if (strcmp(PQgetvalue(res, 0, 4), "t") != 0) {
		memset(who, 0, sizeof *who);
		return 403;
	}
	return 0;
}

int api_auth_authorize(api_req *req, const char *ability)
{
	const char *token = api_auth_bearer(MHD_lookup_connection_value(
		req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
	const char *params[2];
	char hex[65], err[256];
	PGresult *res = NULL;
	PGconn *conn = NULL;
	bool broken = false;
	int rc = 401;

	if (!token)
		goto out;
	if (api_auth_token_hash(token, hex) != 0) {
		rc = 500;
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	rc = 503;
	conn = hs_db_pool_get(req->app->db, AUTH_POOL_WAIT_MS, err, sizeof err);
	if (!conn) {
		hs_log(HS_LOG_WARN, "auth: database unreachable: %s", err);
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	params[0] = hex;
	params[1] = ability;
	res = PQexecParams(conn, resolve_sql, 2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		hs_db_errmsg(conn, res, err, sizeof err);
		hs_log(HS_LOG_WARN, "auth: token lookup failed: %s", err);
		api_reply_error(req, 503, "database unavailable");
		broken = true;
		goto out;
	}
	rc = PQntuples(res) == 1 ? identity_from(req, res) : 401;
out:
	PQclear(res);
	if (conn)
		hs_db_pool_put(req->app->db, conn, broken);
	explicit_bzero(hex, sizeof hex);
	return rc;
}

PGconn *api_tx_begin(api_req *req)
{
	char err[256];
	PGconn *conn = hs_db_pool_get(req->app->db, AUTH_POOL_WAIT_MS, err, sizeof err);

	if (!conn) {
		hs_log(HS_LOG_WARN, "api: database unreachable: %s", err);
		api_reply_error(req, 503, "database unavailable");
		return NULL;
	}
	if (hs_db_tx_tenant(conn, req->who.tenant_id, err, sizeof err) != HS_DB_OK) {
		hs_log(HS_LOG_WARN, "api: cannot open a transaction: %s", err);
		hs_db_pool_put(req->app->db, conn, true);
		api_reply_error(req, 503, "database unavailable");
		return NULL;
	}
	return conn;
}

hs_db_result api_tx_end(api_req *req, PGconn *conn, bool commit)
{
	hs_db_result r = HS_DB_OK;
	PGresult *res;
	char err[256];

	if (!conn)
		return HS_DB_OK;
	res = PQexecParams(conn, commit ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0);
	r = hs_db_classify(conn, res);
	if (r != HS_DB_OK) {
		hs_db_errmsg(conn, res, err, sizeof err);
		hs_log(HS_LOG_WARN, "api: %s failed: %s", commit ? "COMMIT" : "ROLLBACK", err);
	}
	PQclear(res);
	hs_db_pool_put(req->app->db, conn, r != HS_DB_OK);
	return commit ? r : HS_DB_OK;
}
