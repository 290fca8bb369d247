/*
 * /api/v1/auth: password login and the caller's own account and tokens.
 *
 *   POST   /api/v1/auth/login         e-mail and password -> a new token (public)
 *   POST   /api/v1/auth/logout        revokes the calling token
 *   GET    /api/v1/auth/me            the caller: admin, tenant, token, tenants
 *   GET    /api/v1/auth/tokens        the caller's tokens (never their hashes)
 *   POST   /api/v1/auth/tokens        a new token with a subset of the caller's abilities
 *   DELETE /api/v1/auth/tokens/:id    revokes one of the caller's tokens
 *
 * Login: failures are throttled per client address and per account in
 * PostgreSQL (hs_login_throttle, shared by every hotspotd process); an
 * unknown address, a disabled account, a '!' hash and a wrong password all
 * get the same 401 after the same scrypt work.  The KDF runs with no
 * database connection held.  A token is shown once, in the answer that
 * made it; only its SHA-256 is stored.  Login, logout and token changes are
 * written to the audit log in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "common/crypto.h"
#include "common/log.h"

#define LOGIN_EMAIL_MAX     254 /* characters */
#define LOGIN_PASSWORD_MAX  1024
#define LOGIN_DEVICE_MAX    200
#define LOGIN_TENANT_MAX    63
#define TOKEN_NAME_MAX      200
#define TOKEN_DAYS_MAX      3650
#define TOKEN_ABILITIES_MAX 64
#define LOGIN_POOL_WAIT_MS  2000

/* ---- SQL ------------------------------------------------------------------- */

static const char throttle_sql[] = "SELECT hs_login_throttle($1, $2, $3::int, $4::int, $5::int)";
static const char find_sql[] = "SELECT admin_id, tenant_id, password_hash, admin_role"
			       " FROM hs_admin_login_find(nullif($1, ''), $2)";
static const char failed_sql[] = "SELECT hs_login_failed($1, $2, $3::uuid, $4::int)";

/* The admin and its tenant as answers show them (in the tenant's transaction). */
#define WHO_JSON                                                                                   \
	"json_build_object('id', a.id, 'email', a.email, 'name', a.name, 'role', a.role),"         \
	" json_build_object('id', t.id, 'name', t.name, 'slug', t.slug)"

/*
 * A new token ($1 id, $2 admin, $3 name, $4 hash, $5 abilities as JSON
 * text, $6 lifetime in hours); its expiry comes back.
 */
static const char token_insert_sql[] =
	"INSERT INTO api_tokens (id, tenant_id, admin_id, name, token_hash, abilities, expires_at)"
	" SELECT $1::uuid, hs_current_tenant(), $2::uuid, $3, $4,"
	" ARRAY(SELECT json_array_elements_text($5::json)),"
	" now() + make_interval(hours => $6::int)"
	" RETURNING expires_at";

static const char login_done_sql[] =
	"WITH u AS (UPDATE admins SET last_login_at = now() WHERE id = $1::uuid RETURNING id),"
	" c AS (SELECT hs_login_succeeded($2))"
	" SELECT json_build_array(" WHO_JSON ")::text, (SELECT count(*) FROM c)"
	" FROM admins a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = $1::uuid";

/* ---- helpers --------------------------------------------------------------- */

/* Answers a statement that failed: 503 when it may work later, else 500. */
static void reply_db(api_req *req, PGconn *conn, const PGresult *res, const char *what)
{
	hs_db_result r = hs_db_classify(conn, res);
	char err[256];

	hs_db_errmsg(conn, res, err, sizeof err);
	hs_log(HS_LOG_ERROR, "auth: %s: %s", what, err);
	api_reply_error(req, r == HS_DB_RETRY ? 503 : 500,
			r == HS_DB_RETRY ? "database unavailable" : "internal error");
}

/* A pooled connection outside any tenant (for the SECURITY DEFINER calls), or NULL with 503. */
static PGconn *pool_get(api_req *req)
{
	char err[256];
	PGconn *conn = hs_db_pool_get(req->app->db, LOGIN_POOL_WAIT_MS, err, sizeof err);

	if (!conn) {
		hs_log(HS_LOG_WARN, "auth: database unreachable: %s", err);
		api_reply_error(req, 503, "database unavailable");
	}
	return conn;
}

/*
 * Runs one statement with params on a connection of its own (autocommit).
 * The result, or NULL with the failure answered.
 */
static PGresult *run_once(api_req *req, const char *sql, int n, const char *const *params,
			  const char *what)
{
	PGconn *conn = pool_get(req);
	PGresult *res;
	bool bad;

	if (!conn)
		return NULL;
	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	bad = hs_db_classify(conn, res) != HS_DB_OK;
	if (bad) {
		reply_db(req, conn, res, what);
		PQclear(res);
		res = NULL;
	}
	hs_db_pool_put(req->app->db, conn, bad);
	return res;
}

/*
 * Inserts a new token for req->who.admin_id in the open transaction conn.
 * On success token (shown once), id and *expires (caller frees) are set.
 * 0, or the HTTP status answered.
 */
static int token_insert(api_req *req, PGconn *conn, const char *name, const char *abilities,
			int hours, char token[API_TOKEN_NEW_LEN], char id[API_UUID_LEN],
			char **expires)
{
	char hex[65], hrs[16];
	const char *params[6];
	PGresult *res = NULL;
	int rc = 500;

	*expires = NULL;
	if (api_auth_token_new(token, hex) != 0 || api_uuid_v4(id) != 0) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	snprintf(hrs, sizeof hrs, "%d", hours);
	params[0] = id;
	params[1] = req->who.admin_id;
	params[2] = name;
	params[3] = hex;
	params[4] = abilities;
	params[5] = hrs;
	res = PQexecParams(conn, token_insert_sql, 6, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		reply_db(req, conn, res, "token insert");
		rc = hs_db_classify(conn, res) == HS_DB_RETRY ? 503 : 500;
		goto out;
	}
	*expires = strdup(PQgetvalue(res, 0, 0));
	if (!*expires) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(hex, sizeof hex);
	PQclear(res);
	return rc;
}

/* ---- login ------------------------------------------------------------------- */

typedef struct {
	const char *email, *password, *device, *tenant;
	size_t password_len;
	char ip[64];
} login_input;

/* A string member of 1..max characters; NULL with an error (required) or absent. */
static const char *opt_text(const json_t *body, const char *key, size_t max, bool required,
			    json_t *errors)
{
	const json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v)) {
		if (required)
			api_error_add(errors, key, "is required");
		return NULL;
	}
	return api_text_field(v, key, max, errors);
}

static void check_password(const json_t *body, login_input *in, json_t *errors)
{
	const json_t *v = json_object_get(body, "password");
	const char *s = json_string_value(v);

	if (!v || json_is_null(v)) {
		api_error_add(errors, "password", "is required");
		return;
	}
	/* Any bytes but NUL; the length bound keeps the KDF's input small. */
	if (!s || *s == '\0' || json_string_length(v) > LOGIN_PASSWORD_MAX ||
	    strlen(s) != json_string_length(v)) {
		api_error_add(errors, "password", "must be a string of 1 to 1024 bytes");
		return;
	}
	in->password = s;
	in->password_len = strlen(s);
}

/* Reads the login body; false with 422 answered. */
static bool login_validate(api_req *req, const json_t *body, login_input *in)
{
	json_t *errors = json_object();

	if (!errors) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	in->email = opt_text(body, "email", LOGIN_EMAIL_MAX, true, errors);
	if (in->email && !strchr(in->email, '@'))
		api_error_add(errors, "email", "must be an e-mail address");
	check_password(body, in, errors);
	in->device = opt_text(body, "device_name", LOGIN_DEVICE_MAX, false, errors);
	in->tenant = opt_text(body, "tenant", LOGIN_TENANT_MAX, false, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

/* 0 when a login may be tried now; else 429 (Retry-After) or 503 answered. */
static int login_throttle(api_req *req, const login_input *in)
{
	const hs_config *cfg = req->app->cfg;
	char max_ip[16], max_acct[16], window[24];
	const char *params[5];
	PGresult *res;
	long wait;

	snprintf(max_ip, sizeof max_ip, "%d", cfg->login_max_failures_address);
	snprintf(max_acct, sizeof max_acct, "%d", cfg->login_max_failures);
	snprintf(window, sizeof window, "%d", cfg->login_failure_window);
	params[0] = in->ip;
	params[1] = in->email;
	params[2] = max_ip;
	params[3] = max_acct;
	params[4] = window;
	res = run_once(req, throttle_sql, 5, params, "login throttle");
	if (!res)
		return 503;
	wait = PQntuples(res) == 1 ? atol(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	if (wait <= 0)
		return 0;
	snprintf(window, sizeof window, "%ld", wait);
	api_reply_header(req, "Retry-After", window);
	api_reply_error(req, 429, "too many failed logins, try again later");
	return 429;
}

/* The account found for the login, if any. */
typedef struct {
	bool found;
	char admin_id[API_UUID_LEN], tenant_id[API_UUID_LEN], role[16];
	char *hash; /* NULL: no account */
} login_account;

/* Looks the account up; 0 (found or not), or 503 answered. */
static int login_find(api_req *req, const login_input *in, login_account *acct)
{
	const char *params[2] = {in->tenant ? in->tenant : "", in->email};
	PGresult *res = run_once(req, find_sql, 2, params, "login lookup");

	if (!res)
		return 503;
	if (PQntuples(res) == 1) {
		snprintf(acct->admin_id, sizeof acct->admin_id, "%s", PQgetvalue(res, 0, 0));
		snprintf(acct->tenant_id, sizeof acct->tenant_id, "%s", PQgetvalue(res, 0, 1));
		snprintf(acct->role, sizeof acct->role, "%s", PQgetvalue(res, 0, 3));
		acct->hash = strdup(PQgetvalue(res, 0, 2));
		acct->found = acct->hash != NULL;
	}
	PQclear(res);
	return 0;
}

/* Records the failure and answers the one 401 every kind of failure gets. */
static void login_refuse(api_req *req, const login_input *in, const login_account *acct)
{
	char window[16];
	const char *params[4];
	PGresult *res;

	snprintf(window, sizeof window, "%d", req->app->cfg->login_failure_window);
	params[0] = in->ip;
	params[1] = in->email;
	params[2] = acct->found ? acct->admin_id : NULL;
	params[3] = window;
	res = run_once(req, failed_sql, 4, params, "login failure");
	if (!res)
		return;
	PQclear(res);
	api_reply_error(req, 401, "invalid credentials");
}

/* The answer of a login: token, its expiry and abilities, admin, tenant. */
static json_t *login_answer(const char *token, const char *expires, const char *abilities,
			    const char *who)
{
	json_t *pair = json_loads(who, 0, NULL);
	json_t *abil = json_loads(abilities, 0, NULL);
	json_t *data = NULL;

	if (json_is_array(pair) && json_array_size(pair) == 2 && abil)
		data = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "token", token, "token_type",
				 "Bearer", "expires_at", expires, "abilities", abil, "admin",
				 json_array_get(pair, 0), "tenant", json_array_get(pair, 1));
	json_decref(pair);
	json_decref(abil);
	return data;
}

/* Issues the token of a verified login, in the account's tenant. */
static void login_issue(api_req *req, const login_input *in, const login_account *acct)
{
	char token[API_TOKEN_NEW_LEN], id[API_UUID_LEN], *expires = NULL, *abilities = NULL;
	json_t *role = api_role_abilities(acct->role), *data = NULL;
	const char *params[2];
	PGresult *res = NULL;
	PGconn *conn = NULL;

	memset(token, 0, sizeof token);
	snprintf(req->who.admin_id, sizeof req->who.admin_id, "%s", acct->admin_id);
	snprintf(req->who.tenant_id, sizeof req->who.tenant_id, "%s", acct->tenant_id);
	snprintf(req->who.role, sizeof req->who.role, "%s", acct->role);
	abilities = role ? json_dumps(role, JSON_COMPACT) : NULL;
	if (!abilities) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	conn = api_tx_begin(req);
	if (!conn)
		goto out;
	if (token_insert(req, conn, in->device ? in->device : "login", abilities,
			 req->app->cfg->api_token_lifetime_hours, token, id, &expires) != 0)
		goto out;
	params[0] = acct->admin_id;
	params[1] = in->email;
	res = PQexecParams(conn, login_done_sql, 2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		reply_db(req, conn, res, "login");
		goto out;
	}
	if (api_audit(conn, req, NULL, "auth.login", "token", id, NULL) != HS_DB_OK ||
	    !(data = login_answer(token, expires, abilities, PQgetvalue(res, 0, 0)))) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (api_tx_end(req, conn, true) != HS_DB_OK) {
		conn = NULL;
		json_decref(data);
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	conn = NULL;
	api_reply(req, 200, "Login successful", data);
out:
	api_tx_end(req, conn, false);
	PQclear(res);
	explicit_bzero(token, sizeof token);
	json_decref(role);
	free(abilities);
	free(expires);
}

static void auth_login(api_req *req)
{
	json_t *body = api_body_object(req);
	login_account acct;
	login_input in;
	int ok;

	memset(&in, 0, sizeof in);
	memset(&acct, 0, sizeof acct);
	if (!body)
		return;
	if (!login_validate(req, body, &in))
		goto out;
	api_client_ip(req, in.ip, sizeof in.ip);
	if (login_throttle(req, &in) != 0 || login_find(req, &in, &acct) != 0)
		goto out;
	/* No connection is held while the KDF runs: it is the slow part. */
	ok = hs_crypto_pw_verify(in.password, in.password_len, acct.found ? acct.hash : NULL);
	if (ok < 0) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (ok == 1 && acct.found)
		login_issue(req, &in, &acct);
	else
		login_refuse(req, &in, &acct);
out:
	if (acct.hash) {
		explicit_bzero(acct.hash, strlen(acct.hash));
		free(acct.hash);
	}
	json_decref(body);
}

/* ---- the caller ------------------------------------------------------------------ */

static const char logout_sql[] =
	"UPDATE api_tokens SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL";

static void auth_logout(api_req *req)
{
	const char *id = req->who.token_id;
	PGconn *conn = api_tx_begin(req);
	PGresult *res;

	if (!conn)
		return;
	res = PQexecParams(conn, logout_sql, 1, NULL, &id, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		reply_db(req, conn, res, "logout");
		goto out;
	}
	if (api_audit(conn, req, NULL, "auth.logout", "token", id, NULL) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (api_tx_end(req, conn, true) != HS_DB_OK) {
		conn = NULL;
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	conn = NULL;
	api_reply(req, 200, "Logged out", NULL);
out:
	PQclear(res);
	api_tx_end(req, conn, false);
}

/* The token as lists show it: never its hash. */
#define TOKEN_JSON                                                                                 \
	"json_build_object('id', k.id, 'name', k.name, 'abilities', k.abilities,"                  \
	" 'expires_at', k.expires_at, 'last_used_at', k.last_used_at,"                             \
	" 'revoked_at', k.revoked_at, 'created_at', k.created_at, 'current', k.id = $1::uuid)"

static const char me_sql[] =
	"SELECT json_build_object('admin', w.admin, 'tenant', w.tenant,"
	" 'token', (SELECT " TOKEN_JSON " FROM api_tokens k WHERE k.id = $1::uuid),"
	" 'tenants', (SELECT coalesce(json_agg(json_build_object('id', m.tenant_id,"
	" 'name', m.name, 'slug', m.slug, 'role', m.role, 'home', m.home)), '[]')"
	" FROM hs_admin_tenants_of($2::uuid) m))::text"
	" FROM (SELECT json_build_object('id', a.id, 'email', a.email, 'name', a.name,"
	" 'role', a.role, 'last_login_at', a.last_login_at) AS admin,"
	" json_build_object('id', t.id, 'name', t.name, 'slug', t.slug, 'time_zone', t.time_zone,"
	" 'currency', t.currency) AS tenant"
	" FROM admins a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = $2::uuid) w";

/* Runs a read of the caller's own (params $1 token, $2 admin) and answers its JSON. */
static void self_read(api_req *req, const char *sql, const char *what)
{
	const char *params[2] = {req->who.token_id, req->who.admin_id};
	PGconn *conn = api_tx_begin(req);
	PGresult *res;
	json_t *data;

	if (!conn)
		return;
	res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		reply_db(req, conn, res, what);
		goto out;
	}
	data = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	api_reply(req, data ? 200 : 500, data ? "ok" : "internal error", data);
out:
	PQclear(res);
	api_tx_end(req, conn, false);
}

static void auth_me(api_req *req)
{
	self_read(req, me_sql, "me");
}

static const char tokens_sql[] =
	"SELECT coalesce(json_agg(" TOKEN_JSON " ORDER BY k.created_at DESC, k.id), '[]')::text"
	" FROM api_tokens k WHERE k.admin_id = $2::uuid";

static void tokens_list(api_req *req)
{
	self_read(req, tokens_sql, "token list");
}

/* ---- tokens ------------------------------------------------------------------ */

typedef struct {
	const char *name;
	json_t *abilities; /* the requested list, deduplicated */
	int hours;
} token_input;

/* Whether the JSON array of names list holds name itself. */
static bool has_name(const json_t *list, const char *name)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), name) == 0)
			return true;
	return false;
}

/* abilities: 1..64 known names, kept once each in the order given. */
static void check_abilities(const json_t *v, token_input *in, json_t *errors)
{
	size_t i;
	json_t *a;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > TOKEN_ABILITIES_MAX) {
		api_error_add(errors, "abilities", "must be a list of 1 to 64 abilities");
		return;
	}
	in->abilities = json_array();
	json_array_foreach(v, i, a)
	{
		const char *s = json_string_value(a);

		if (!api_ability_known(s)) {
			api_error_add(errors, "abilities", "holds an unknown ability");
			return;
		}
		if (!has_name(in->abilities, s))
			json_array_append_new(in->abilities, json_string(s));
	}
}

static bool token_validate(api_req *req, const json_t *body, token_input *in)
{
	json_t *errors = json_object();
	const json_t *v;

	if (!errors) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	in->name = opt_text(body, "name", TOKEN_NAME_MAX, true, errors);
	v = json_object_get(body, "abilities");
	if (!v || json_is_null(v))
		api_error_add(errors, "abilities", "is required");
	else
		check_abilities(v, in, errors);
	in->hours = req->app->cfg->api_token_lifetime_hours;
	v = json_object_get(body, "expires_in_days");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > TOKEN_DAYS_MAX)
			api_error_add(errors, "expires_in_days",
				      "must be an integer from 1 to 3650");
		else
			in->hours = (int)json_integer_value(v) * 24;
	}
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

static const char caller_abilities_sql[] =
	"SELECT array_to_json(abilities)::text FROM api_tokens WHERE id = $1::uuid";

/*
 * Whether every requested ability is one the caller has: its token's, and
 * its role's.  0, 403 or 5xx answered.
 */
static int token_within(api_req *req, PGconn *conn, const json_t *want)
{
	const char *id = req->who.token_id;
	PGresult *res = PQexecParams(conn, caller_abilities_sql, 1, NULL, &id, NULL, NULL, 0);
	json_t *have = NULL, *role = api_role_abilities(req->who.role), *a;
	int rc = 500;
	size_t i;

	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		reply_db(req, conn, res, "caller abilities");
		goto out;
	}
	have = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (!have || !role) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	rc = 0;
	/* "*" on a side grants every name; asking for "*" needs "*" on both. */
	json_array_foreach(want, i, a)
	{
		const char *s = json_string_value(a);

		if (!api_abilities_grant(have, s) || !api_abilities_grant(role, s)) {
			rc = 403;
			break;
		}
	}
	if (rc == 403)
		api_reply_error(req, 403, "a token cannot have abilities its maker lacks");
out:
	PQclear(res);
	json_decref(have);
	json_decref(role);
	return rc;
}

static void tokens_create(api_req *req)
{
	char token[API_TOKEN_NEW_LEN], id[API_UUID_LEN], *expires = NULL, *abilities = NULL;
	json_t *body = api_body_object(req), *data = NULL;
	token_input in = {0};
	PGconn *conn = NULL;

	memset(token, 0, sizeof token);
	if (!body)
		return;
	if (!token_validate(req, body, &in))
		goto out;
	abilities = json_dumps(in.abilities, JSON_COMPACT);
	if (!abilities) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	conn = api_tx_begin(req);
	if (!conn || token_within(req, conn, in.abilities) != 0)
		goto out;
	if (token_insert(req, conn, in.name, abilities, in.hours, token, id, &expires) != 0)
		goto out;
	if (api_audit(conn, req, NULL, "token.create", "token", id, NULL) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (api_tx_end(req, conn, true) != HS_DB_OK) {
		conn = NULL;
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	conn = NULL;
	data = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}", "id", id, "name", in.name, "token",
			 token, "token_type", "Bearer", "abilities", in.abilities, "expires_at",
			 expires);
	api_reply(req, data ? 201 : 500, data ? "Token created" : "internal error", data);
out:
	api_tx_end(req, conn, false);
	explicit_bzero(token, sizeof token);
	json_decref(in.abilities);
	json_decref(body);
	free(abilities);
	free(expires);
}

static const char revoke_sql[] = "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())"
				 " WHERE id = $1::uuid AND admin_id = $2::uuid RETURNING id";

static void tokens_revoke(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "token");
	const char *params[2];
	PGresult *res = NULL;
	PGconn *conn = NULL;

	if (!id)
		return;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	params[0] = id;
	params[1] = req->who.admin_id;
	res = PQexecParams(conn, revoke_sql, 2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		reply_db(req, conn, res, "token revoke");
		goto out;
	}
	if (PQntuples(res) != 1) {
		api_reply_error(req, 404, "token not found");
		goto out;
	}
	if (api_audit(conn, req, NULL, "token.revoke", "token", id, NULL) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (api_tx_end(req, conn, true) != HS_DB_OK) {
		conn = NULL;
		api_reply_error(req, 503, "database unavailable");
		goto out;
	}
	conn = NULL;
	api_reply(req, 200, "Token revoked", NULL);
out:
	PQclear(res);
	api_tx_end(req, conn, false);
}

static const api_route routes[] = {
	{"POST", "/api/v1/auth/login", auth_login, NULL},
	{"POST", "/api/v1/auth/logout", auth_logout, API_ABILITY_SELF},
	{"GET", "/api/v1/auth/me", auth_me, API_ABILITY_SELF},
	{"GET", "/api/v1/auth/tokens", tokens_list, API_ABILITY_SELF},
	{"POST", "/api/v1/auth/tokens", tokens_create, "tokens.write"},
	{"DELETE", "/api/v1/auth/tokens/:id", tokens_revoke, "tokens.write"},
};

const api_module api_mod_login = {
	.name = "login",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
