#include "api/auth.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include "common/crypto.h"
#include "common/log.h"

/* How long a request waits for a free pooled connection. */
#define AUTH_POOL_WAIT_MS 2000

/*
 * The token's identity and abilities; with X-Tenant ($2 not NULL), the
 * tenant it names and the admin's role there (NULLs: not a member).
 */
static const char resolve_sql[] =
	"SELECT r.token_id, r.admin_id, r.tenant_id, r.admin_role,"
	" array_to_json(r.abilities)::text, m.tenant_id, m.role"
	" FROM hs_api_token_resolve($1) r"
	" LEFT JOIN LATERAL hs_admin_tenant_role(r.admin_id, $2) m ON true";

/* Longest X-Tenant value: a slug (63) or a UUID (36). */
#define AUTH_TENANT_REF_MAX 63

/* ---- abilities ------------------------------------------------------------- */

enum { R_OWNER = 1, R_ADMIN = 2, R_OPERATOR = 4, R_VIEWER = 8 };

/* Every ability and the roles that have it by default (docs/auth.md). */
static const struct {
	const char *name;
	unsigned roles;
} abilities[] = {
	{"routers.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"routers.write", R_OWNER | R_ADMIN},
	{"vouchers.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"vouchers.write", R_OWNER | R_ADMIN | R_OPERATOR},
	{"profiles.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"profiles.write", R_OWNER | R_ADMIN},
	{"customers.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"customers.write", R_OWNER | R_ADMIN | R_OPERATOR},
	{"dashboard.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"events.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"audit.read", R_OWNER | R_ADMIN},
	{"tokens.write", R_OWNER | R_ADMIN | R_OPERATOR},
	{"mikrotik.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"mikrotik.write", R_OWNER | R_ADMIN},
	{"payments.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"payments.write", R_OWNER | R_ADMIN | R_OPERATOR},
	{"sms.read", R_OWNER | R_ADMIN | R_OPERATOR | R_VIEWER},
	{"sms.write", R_OWNER | R_ADMIN | R_OPERATOR},
};

static const struct {
	const char *name;
	unsigned bit;
} roles[] = {
	{"owner", R_OWNER},
	{"admin", R_ADMIN},
	{"operator", R_OPERATOR},
	{"viewer", R_VIEWER},
};

bool api_ability_known(const char *name)
{
	if (!name)
		return false;
	if (strcmp(name, "*") == 0)
		return true;
	for (size_t i = 0; i < sizeof abilities / sizeof abilities[0]; i++)
		if (strcmp(name, abilities[i].name) == 0)
			return true;
	return false;
}

bool api_role_known(const char *role)
{
	for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(role, roles[i].name) == 0)
			return true;
	return false;
}

json_t *api_role_abilities(const char *role)
{
	unsigned bit = 0;
	json_t *list;

	for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(role, roles[i].name) == 0)
			bit = roles[i].bit;
	if (!bit)
		return NULL;
	if (bit == R_OWNER)
		return json_pack("[s]", "*");
	list = json_array();
	for (size_t i = 0; list && i < sizeof abilities / sizeof abilities[0]; i++)
		if ((abilities[i].roles & bit) &&
		    json_array_append_new(list, json_string(abilities[i].name)) != 0) {
			json_decref(list);
			return NULL;
		}
	return list;
}

bool api_abilities_grant(const json_t *list, const char *ability)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		const char *s = json_string_value(v);

		if (s && (strcmp(s, "*") == 0 || strcmp(s, ability) == 0))
			return true;
	}
	return false;
}

int api_auth_token_new(char token[API_TOKEN_NEW_LEN], char hex[65])
{
	char body[48];

	memcpy(token, "hs_", 4);
	if (hs_crypto_random_b64url(32, body, sizeof body) != 0 || strlen(body) != 43)
		goto fail;
	memcpy(token + 3, body, 44);
	explicit_bzero(body, sizeof body);
	if (api_auth_token_hash(token, hex) != 0)
		goto fail;
	return 0;
fail:
	explicit_bzero(body, sizeof body);
	explicit_bzero(token, API_TOKEN_NEW_LEN);
	explicit_bzero(hex, 65);
	return -1;
}

/* ---- the rate limiter -------------------------------------------------------- */

/* Buckets kept before idle ones are dropped, and the hash table's width. */
#define RATE_KEEP    10000
#define RATE_BUCKETS 1024

typedef struct rate_entry {
	struct rate_entry *next;
	char key[API_UUID_LEN];
	double tokens, last;
} rate_entry;

static rate_entry *rate_table[RATE_BUCKETS];
static size_t rate_count;
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t rate_slot(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % RATE_BUCKETS;
}

/* Drops buckets that have refilled completely: they hold no state. */
static void rate_sweep(int per_minute, double now)
{
	for (size_t i = 0; i < RATE_BUCKETS; i++) {
		rate_entry **pp = &rate_table[i];

		while (*pp) {
			rate_entry *e = *pp;

			if (e->tokens + (now - e->last) * per_minute / 60.0 >= per_minute) {
				*pp = e->next;
				free(e);
				rate_count--;
			} else {
				pp = &e->next;
			}
		}
	}
}

/* The bucket of key, made full when new; NULL when out of memory. */
static rate_entry *rate_find(const char *key, int per_minute, double now)
{
	size_t slot = rate_slot(key);
	rate_entry *e;

	for (e = rate_table[slot]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (rate_count >= RATE_KEEP)
		rate_sweep(per_minute, now);
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	snprintf(e->key, sizeof e->key, "%s", key);
	e->tokens = per_minute;
	e->last = now;
	e->next = rate_table[slot];
	rate_table[slot] = e;
	rate_count++;
	return e;
}

long api_rate_take(const char *key, int per_minute, double now)
{
	double rate = per_minute / 60.0;
	rate_entry *e;
	long wait = 0;

	if (per_minute <= 0)
		return 0;
	pthread_mutex_lock(&rate_lock);
	e = rate_find(key, per_minute, now);
	if (!e)
		goto out; /* out of memory: let the request through rather than refuse all */
	if (now > e->last) {
		e->tokens += (now - e->last) * rate;
		if (e->tokens > per_minute)
			e->tokens = per_minute;
		e->last = now;
	}
	if (e->tokens >= 1.0) {
		e->tokens -= 1.0;
		goto out;
	}
	wait = (long)((1.0 - e->tokens) / rate);
	if ((double)wait < (1.0 - e->tokens) / rate || wait < 1)
		wait++;
	if (wait < 1)
		wait = 1;
out:
	pthread_mutex_unlock(&rate_lock);
	return wait;
}

/* Seconds on the monotonic clock. */
static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 0, or 429 answered with Retry-After when the token is over its rate. */
static int rate_check(api_req *req)
{
	long wait = api_rate_take(req->who.token_id, req->app->cfg->api_rate_limit, mono_now());
	char num[24];

	if (wait == 0)
		return 0;
	snprintf(num, sizeof num, "%ld", wait);
	api_reply_header(req, "Retry-After", num);
	api_reply_error(req, 429, "too many requests");
	return 429;
}

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

/* Whether the X-Tenant value may name a tenant at all (slug or UUID shape). */
static bool tenant_ref_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AUTH_TENANT_REF_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/*
 * Fills req->who from a resolved row and decides: 0, 403 (not allowed),
 * 429 or 500 (answered).  xt: whether X-Tenant was given.
 */
static int identity_from(api_req *req, const PGresult *res, const char *ability, bool xt)
{
	api_identity *who = &req->who;
	json_t *have = json_loads(PQgetvalue(res, 0, 4), 0, NULL), *cap = NULL;
	bool other = false;
	int rc = 500;

	if (!json_is_array(have) || !copy_col(res, 0, who->token_id, sizeof who->token_id) ||
	    !copy_col(res, 1, who->admin_id, sizeof who->admin_id) ||
	    !copy_col(res, 2, who->tenant_id, sizeof who->tenant_id) ||
	    !copy_col(res, 3, who->role, sizeof who->role)) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	rc = rate_check(req);
	if (rc)
		goto out;
	rc = 403;
	if (xt && PQgetisnull(res, 0, 5)) {
		api_reply_error(req, 403, "not a member of this tenant");
		goto out;
	}
	if (xt) {
		other = strcmp(PQgetvalue(res, 0, 5), who->tenant_id) != 0;
		if (!copy_col(res, 5, who->tenant_id, sizeof who->tenant_id) ||
		    !copy_col(res, 6, who->role, sizeof who->role))
			goto out;
	}
	if (strcmp(ability, API_ABILITY_SELF) == 0) {
		rc = 0;
		goto out;
	}
	/* In another tenant, the role held there caps what the token may do. */
	cap = other ? api_role_abilities(who->role) : NULL;
	if (api_abilities_grant(have, ability) && (!other || api_abilities_grant(cap, ability)))
		rc = 0;
out:
	if (rc)
		memset(who, 0, sizeof *who);
	json_decref(have);
	json_decref(cap);
	return rc;
}

/* The X-Tenant of the request, or NULL when absent or the route ignores it. */
static const char *tenant_header(const api_req *req, const char *ability)
{
	const char *xt = api_req_header(req, "X-Tenant");

	if (!xt || *xt == '\0' || strcmp(ability, API_ABILITY_SELF) == 0 ||
	    strcmp(ability, "tokens.write") == 0)
		return NULL;
	return xt;
}

int api_auth_authorize(api_req *req, const char *ability)
{
	const char *token = api_auth_bearer(MHD_lookup_connection_value(
		req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
	const char *xt = tenant_header(req, ability);
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
	/* A value no tenant can have is looked up as one that matches none. */
	params[1] = xt ? (tenant_ref_ok(xt) ? xt : "-") : NULL;
	res = PQexecParams(conn, resolve_sql, 2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		hs_db_errmsg(conn, res, err, sizeof err);
		hs_log(HS_LOG_WARN, "auth: token lookup failed: %s", err);
		api_reply_error(req, 503, "database unavailable");
		broken = true;
		goto out;
	}
	rc = PQntuples(res) == 1 ? identity_from(req, res, ability, xt != NULL) : 401;
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
