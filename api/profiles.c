/*
 * /api/v1/profiles: what a tenant sells (data limit, validity, time
 * allowance, speed limit, shared users, MAC lock, price).
 *
 *   GET    /api/v1/profiles            list (search, is_active, pages)
 *   POST   /api/v1/profiles            create
 *   POST   /api/v1/profiles/standard   add the standard set (idempotent)
 *   GET    /api/v1/profiles/:id        one profile
 *   PUT    /api/v1/profiles/:id        change the members given
 *   DELETE /api/v1/profiles/:id        remove; 409 while vouchers use it
 *
 * Every statement runs in the caller's tenant transaction, so row-level
 * security hides other tenants' profiles (404).  A request's members are
 * validated here and turned into one JSON object of column values, which
 * the statement reads with ->> (never pasted into SQL): data in bytes,
 * durations in seconds, the price as decimal text that SQL turns into
 * minor units of the currency (hs_money_minor).  Vouchers copy a profile's
 * terms when they are made, so a change here alters no voucher sold.
 *
 * Also the helpers vouchers_int.h declares.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/crud.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "api/vouchers_int.h"

#define PROFILE_NAME_MAX   100
#define PROFILE_DESC_MAX   2000
#define PROFILE_RATE_MAX   120 /* characters of a rate limit */
#define PROFILE_SEARCH_MAX 100
#define PROFILE_IDLE_MAX   86400 /* seconds */
#define PROFILE_SHARED_MAX 10000
#define MIB                1048576LL
#define GIB                1073741824LL
#define DAY                86400LL

/* ---- shared helpers (vouchers_int.h) --------------------------------------- */

bool api__money_text(const json_t *v, const char *field, char out[API__MONEY_TEXT_MAX],
		     json_t *errors)
{
	double d = json_number_value(v), scaled, off;

	if (!json_is_number(v) || !isfinite(d) || d < 0 || d > API__MONEY_MAX) {
		api_error_add(errors, field, "must be a number from 0 to 10000000000000");
		return false;
	}
	if (json_is_integer(v)) {
		snprintf(out, API__MONEY_TEXT_MAX, "%lld", (long long)json_integer_value(v));
		return true;
	}
	/* A double has ~15 significant digits: 4 decimals is what it holds
	 * faithfully at this range; hs_money_minor refuses what the currency
	 * cannot represent. */
	scaled = d * 1e4;
	off = scaled - (double)(long long)(scaled + 0.5);
	if (off < 0)
		off = -off;
	if (off > 1e-3 * (d > 1.0 ? d : 1.0)) {
		api_error_add(errors, field, "has too many decimals");
		return false;
	}
	snprintf(out, API__MONEY_TEXT_MAX, "%.4f", d);
	return true;
}

hs_db_result api__audit(PGconn *conn, const api_req *req, const char *action, const char *type,
			const char *id, json_t *details)
{
	static const char sql[] =
		"INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id,"
		" details, ip) VALUES (hs_current_tenant(), nullif($1, '')::uuid, $2, $3, $4,"
		" coalesce($5::jsonb, '{}'), nullif($6, '')::inet)";
	char ip[64], *text = details ? json_dumps(details, JSON_COMPACT) : NULL;
	const char *params[6] = {req->who.admin_id, action, type, id, text, ip};
	PGresult *res;
	hs_db_result r;

	api_client_ip(req, ip, sizeof ip);
	res = PQexecParams(conn, sql, 6, NULL, params, NULL, NULL, 0);
	r = hs_db_classify(conn, res);
	PQclear(res);
	free(text);
	json_decref(details);
	return r;
}

/*
 * The failures of the profiles and vouchers files, in rules (room for 3):
 * invalid_parameter_value raised with a COLUMN is 422 under it; a unique
 * or foreign-key conflict is 409 with conflict (NULL: PostgreSQL's message).
 */
static api_db_map db_map_make(api_db_rule rules[3], const char *what, const char *conflict)
{
	rules[0] = (api_db_rule){"22023", NULL, 422, NULL, NULL};
	rules[1] = (api_db_rule){"23505", NULL, 409, NULL, conflict};
	rules[2] = (api_db_rule){"23503", NULL, 409, NULL, conflict};
	return (api_db_map){what, rules, 3};
}

void api__reply_db_failure(api_req *req, PGconn *conn, const PGresult *res, const char *what,
			   const char *conflict)
{
	api_db_rule rules[3];
	api_db_map map = db_map_make(rules, what, conflict);

	api_db_fail(req, conn, res, &map);
}

bool api__phone_ok(const char *s)
{
	size_t n;

	if (!s)
		return false;
	if (*s == '+')
		s++;
	n = strspn(s, "0123456789");
	return n >= 4 && n <= 20 && s[n] == '\0';
}

json_t *api__member_names(const json_t *body)
{
	json_t *names = json_array();

	for (void *it = json_object_iter((json_t *)body); it;
	     it = json_object_iter_next((json_t *)body, it))
		json_array_append_new(names, json_string(json_object_iter_key(it)));
	return names;
}

json_t *api__row_json(const PGresult *res, int col)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, col))
		return NULL;
	return json_loads(PQgetvalue(res, 0, col), 0, NULL);
}

bool api__commit(api_req *req, PGconn *conn)
{
	if (api_tx_end(req, conn, true) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	return true;
}

/* ---- statements -------------------------------------------------------------- */

/* A profile as answers show it. */
#define PROFILE_JSON                                                                               \
	"json_build_object('id', p.id, 'name', p.name, 'description', p.description,"              \
	" 'data_limit_bytes', p.data_limit_bytes,"                                                 \
	" 'data_limit_mb', " API__SQL_UNITS(                                                       \
		"p.data_limit_bytes",                                                              \
		"1048576") ","                                                                     \
			   " 'validity_seconds', p.validity_seconds,"                              \
			   " 'validity_hours', " API__SQL_UNITS(                                   \
				   "p.validity_seconds",                                           \
				   "3600") ","                                                     \
					   " 'time_limit_seconds', p.time_limit_seconds, "         \
					   "'rate_limit', p.rate_limit,"                           \
					   " 'idle_timeout_seconds', p.idle_timeout_s, "           \
					   "'shared_users', p.shared_users,"                       \
					   " 'mac_lock', p.mac_lock, 'code_only', p.code_only,"    \
					   " 'price', hs_money_major(p.price_minor, p.currency), " \
					   "'price_minor', p.price_minor,"                         \
					   " 'currency', p.currency, 'is_active', p.is_active,"    \
					   " 'terms', hs_voucher_terms_text(p.data_limit_bytes, "  \
					   "p.validity_seconds,"                                   \
					   " p.time_limit_seconds), 'created_at', p.created_at, "  \
					   "'updated_at', p.updated_at)"

/* $1: the request as column values (see profile_input). */
static const char insert_sql[] =
	"WITH i AS (SELECT $1::jsonb AS j),"
	" p AS (INSERT INTO profiles (tenant_id, name, description, data_limit_bytes,"
	" validity_seconds, time_limit_seconds, rate_limit, idle_timeout_s, shared_users,"
	" mac_lock, code_only, price_minor, currency, is_active)"
	" SELECT t.id, j->>'name', coalesce(j->>'description', ''),"
	" (j->>'data_limit_bytes')::bigint, (j->>'validity_seconds')::bigint,"
	" (j->>'time_limit_seconds')::bigint, j->>'rate_limit', (j->>'idle_timeout_s')::int,"
	" coalesce((j->>'shared_users')::int, 1), coalesce((j->>'mac_lock')::boolean, false),"
	" coalesce((j->>'code_only')::boolean, false),"
	" coalesce(hs_money_minor((j->>'price')::numeric, coalesce(j->>'currency', t.currency)), "
	"0),"
	" coalesce(j->>'currency', t.currency), coalesce((j->>'is_active')::boolean, true)"
	" FROM i, tenants t WHERE t.id = hs_current_tenant() RETURNING *)"
	" SELECT p.id, " PROFILE_JSON "::text FROM p";

/*
 * $1 the id, $2 the request as column values.  A member given (even as
 * null) replaces its column; the others stay.
 */
static const char update_sql[] =
	"WITH i AS (SELECT $2::jsonb AS j), p AS (UPDATE profiles p SET"
	" name = CASE WHEN j ? 'name' THEN (j->>'name') ELSE p.name END,"
	" description = CASE WHEN j ? 'description' THEN (j->>'description') ELSE p.description "
	"END,"
	" data_limit_bytes = CASE WHEN j ? 'data_limit_bytes' THEN "
	"(j->>'data_limit_bytes')::bigint ELSE p.data_limit_bytes END,"
	" validity_seconds = CASE WHEN j ? 'validity_seconds' THEN "
	"(j->>'validity_seconds')::bigint ELSE p.validity_seconds END,"
	" time_limit_seconds = CASE WHEN j ? 'time_limit_seconds' THEN "
	"(j->>'time_limit_seconds')::bigint ELSE p.time_limit_seconds END,"
	" rate_limit = CASE WHEN j ? 'rate_limit' THEN (j->>'rate_limit') ELSE p.rate_limit END,"
	" idle_timeout_s = CASE WHEN j ? 'idle_timeout_s' THEN (j->>'idle_timeout_s')::int ELSE "
	"p.idle_timeout_s END,"
	" shared_users = CASE WHEN j ? 'shared_users' THEN (j->>'shared_users')::int ELSE "
	"p.shared_users END,"
	" mac_lock = CASE WHEN j ? 'mac_lock' THEN (j->>'mac_lock')::boolean ELSE p.mac_lock END,"
	" code_only = CASE WHEN j ? 'code_only' THEN (j->>'code_only')::boolean ELSE p.code_only "
	"END,"
	" is_active = CASE WHEN j ? 'is_active' THEN (j->>'is_active')::boolean ELSE p.is_active "
	"END,"
	" price_minor = CASE WHEN j ? 'price' THEN hs_money_minor((j->>'price')::numeric,"
	" coalesce(j->>'currency', p.currency)) ELSE p.price_minor END,"
	" currency = coalesce(j->>'currency', p.currency)"
	" FROM i WHERE p.id = $1::uuid RETURNING p.*)"
	" SELECT p.id, " PROFILE_JSON "::text FROM p";

static const char select_sql[] = "SELECT p.id, " PROFILE_JSON "::text FROM profiles p"
				 " WHERE p.id = $1::uuid";

/* 'used' counts the vouchers and batches that keep the profile. */
static const char delete_sql[] =
	"WITH u AS (SELECT (SELECT count(*) FROM vouchers WHERE profile_id = $1::uuid)"
	" + (SELECT count(*) FROM voucher_batches WHERE profile_id = $1::uuid) AS n),"
	" d AS (DELETE FROM profiles WHERE id = $1::uuid AND (SELECT n FROM u) = 0 RETURNING id)"
	" SELECT (SELECT count(*) FROM profiles WHERE id = $1::uuid),"
	" (SELECT count(*) FROM d), (SELECT n FROM u)";

/* $1 pattern ('' none), $2 is_active ('' any), $3 LIMIT, $4 OFFSET. */
static const char list_sql[] =
	"WITH f AS (SELECT p.* FROM profiles p WHERE ($1 = '' OR p.name ILIKE $1"
	" OR p.description ILIKE $1) AND ($2 = '' OR p.is_active = ($2 = 'true'))),"
	" pg AS (SELECT p.* FROM f p ORDER BY p.name, p.id LIMIT $3::int OFFSET $4::int)"
	" SELECT (SELECT count(*) FROM f),"
	" coalesce((SELECT json_agg(" PROFILE_JSON " ORDER BY p.name, p.id) FROM pg p), '[]')";

/*
 * The seed's standard profiles, in the tenant's currency at price 0 (the
 * operator sets prices); names that exist are left alone.
 */
static const char standard_sql[] =
	"WITH s (name, description, data_limit_bytes, validity_seconds) AS (VALUES"
	" ('1GB-DAILY', '1 GB for 24 hours', 1073741824::bigint, 86400::bigint),"
	" ('5GB-WEEKLY', '5 GB for 7 days', 5368709120, 604800),"
	" ('20GB-MONTHLY', '20 GB for 30 days', 21474836480, 2592000),"
	" ('UNLIMITED-DAILY', 'Unlimited data for 24 hours', NULL, 86400),"
	" ('UNLIMITED-WEEKLY', 'Unlimited data for 7 days', NULL, 604800),"
	" ('UNLIMITED-MONTHLY', 'Unlimited data for 30 days', NULL, 2592000)),"
	" ins AS (INSERT INTO profiles (tenant_id, name, description, data_limit_bytes,"
	" validity_seconds, currency) SELECT t.id, s.name, s.description, s.data_limit_bytes,"
	" s.validity_seconds, t.currency FROM s, tenants t WHERE t.id = hs_current_tenant()"
	" ON CONFLICT (tenant_id, name) DO NOTHING RETURNING name)"
	" SELECT coalesce((SELECT json_agg(name ORDER BY name) FROM ins), '[]')::text";

/* The standard set as it is after standard_sql (a statement of its own:
 * one statement does not see the rows its own CTE inserted). */
static const char standard_list_sql[] =
	"SELECT coalesce(json_agg(" PROFILE_JSON " ORDER BY p.name), '[]')::text FROM profiles p"
	" WHERE p.name IN ('1GB-DAILY', '5GB-WEEKLY', '20GB-MONTHLY', 'UNLIMITED-DAILY',"
	" 'UNLIMITED-WEEKLY', 'UNLIMITED-MONTHLY')";

/* ---- validation ---------------------------------------------------------------- */

/*
 * One quantity a request may give in several units ("data_limit_mb": 1024
 * or "data_limit_gb": 1): at most one member of a group, stored as column
 * in the base unit.  null means unlimited.
 */
typedef struct {
	const char *member;
	long long mult;
	bool fraction; /* whether a non-integer number is accepted */
} unit_member;

typedef struct {
	const char *column;
	long long max;     /* in the base unit */
	const char *range; /* the error message */
	unit_member m[4];
} unit_group;

static const unit_group unit_groups[] = {
	{"data_limit_bytes",
	 1LL << 50,
	 "must be a positive number of at most 1 PiB, or null for unlimited",
	 {{"data_limit_bytes", 1, false},
	  {"data_limit_mb", MIB, true},
	  {"data_limit_gb", GIB, true}}},
	{"validity_seconds",
	 3650 * DAY,
	 "must be a positive integer of at most 3650 days, or null for no expiry",
	 {{"validity_seconds", 1, false},
	  {"validity_minutes", 60, false},
	  {"validity_hours", 3600, false},
	  {"validity_days", DAY, false}}},
	{"time_limit_seconds",
	 3650 * DAY,
	 "must be a positive integer of at most 3650 days, or null for no time allowance",
	 {{"time_limit_seconds", 1, false},
	  {"time_limit_minutes", 60, false},
	  {"time_limit_hours", 3600, false}}},
};

/* The value of unit member u in the base unit, or -1 when out of range. */
static long long unit_value(const json_t *v, const unit_member *u, long long max)
{
	double d;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < 1 || n > max / u->mult)
			return -1;
		return (long long)n * u->mult;
	}
	d = json_number_value(v);
	if (!u->fraction || !json_is_real(v) || !isfinite(d) || d <= 0 || d * u->mult > (double)max)
		return -1;
	/* Positive here: rounding is adding one half and truncating. */
	return (long long)(d * (double)u->mult + 0.5) < 1 ? -1
							  : (long long)(d * (double)u->mult + 0.5);
}

/* Reads the members of group g from body into out[column]. */
static void check_unit_group(const json_t *body, const unit_group *g, json_t *out, json_t *errors)
{
	const char *given = NULL;

	for (size_t i = 0; i < API_NELEM(g->m) && g->m[i].member; i++) {
		const json_t *v = json_object_get(body, g->m[i].member);
		long long n;

		if (!v)
			continue;
		if (given) {
			char msg[128];

			snprintf(msg, sizeof msg, "give only one of %s and %s", given,
				 g->m[i].member);
			api_error_add(errors, g->m[i].member, msg);
			continue;
		}
		given = g->m[i].member;
		if (json_is_null(v)) {
			json_object_set_new(out, g->column, json_null());
			continue;
		}
		n = unit_value(v, &g->m[i], g->max);
		if (n < 0) {
			api_error_add(errors, g->m[i].member, g->range);
			continue;
		}
		json_object_set_new(out, g->column, json_integer(n));
	}
}

/*
 * A rate's "N[kKmMgG]" (and "/N[kKmMgG]" when pair): advances *s past it.
 * Digits are capped so that the value fits MikroTik's 32-bit counters.
 */
static bool rate_value(const char **s, bool suffix_ok)
{
	size_t n = strspn(*s, "0123456789");

	if (n == 0 || n > 10)
		return false;
	*s += n;
	if (suffix_ok && **s && strchr("kKmMgG", **s))
		(*s)++;
	return true;
}

/*
 * MikroTik's rate-limit: rx[/tx] [burst-rx[/tx] [threshold-rx[/tx]
 * [burst-time-rx[/tx] [priority [min-rx[/tx]]]]]], each rate a number with an
 * optional k, M or G; burst times in seconds; priority 1..8.
 */
static bool rate_limit_ok(const char *s)
{
	int field = 0;

	if (!s || !*s || strlen(s) > PROFILE_RATE_MAX)
		return false;
	for (;; field++) {
		bool plain = field == 3 || field == 4;

		if (field > 5)
			return false;
		if (field == 4) {
			if (*s < '1' || *s > '8' || (s[1] && s[1] != ' '))
				return false;
			s++;
		} else {
			if (!rate_value(&s, !plain))
				return false;
			if (*s == '/') {
				s++;
				if (!rate_value(&s, !plain))
					return false;
			}
		}
		if (*s == '\0')
			return true;
		if (*s++ != ' ')
			return false;
	}
}

/* Text members: name (required on create) and description (may be ""). */
static void check_texts(const json_t *body, json_t *out, bool create, json_t *errors)
{
	const json_t *v = json_object_get(body, "name");
	const char *s;

	if (v && !json_is_null(v)) {
		s = api_text_field(v, "name", PROFILE_NAME_MAX, errors);
		if (s)
			json_object_set_new(out, "name", json_string(s));
	} else if (create || v) {
		api_error_add(errors, "name", "is required");
	}
	v = json_object_get(body, "description");
	if (v && json_is_string(v) && json_string_length(v) == 0) {
		json_object_set_new(out, "description", json_string(""));
	} else if (v && !json_is_null(v)) {
		s = api_text_field(v, "description", PROFILE_DESC_MAX, errors);
		if (s)
			json_object_set_new(out, "description", json_string(s));
	}
}

/* rate_limit (text or null) and idle_timeout_seconds (integer or null). */
static void check_limits(const json_t *body, json_t *out, json_t *errors)
{
	const json_t *v = json_object_get(body, "rate_limit");

	if (v && json_is_null(v))
		json_object_set_new(out, "rate_limit", json_null());
	else if (v && !rate_limit_ok(json_string_value(v)))
		api_error_add(errors, "rate_limit",
			      "must be a MikroTik rate limit such as \"2M/2M\" or "
			      "\"512k/1M 1M/2M 384k/768k 16/16 8 128k/256k\", or null");
	else if (v)
		json_object_set_new(out, "rate_limit", json_string(json_string_value(v)));
	v = json_object_get(body, "idle_timeout_seconds");
	if (v && json_is_null(v))
		json_object_set_new(out, "idle_timeout_s", json_null());
	else if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		       json_integer_value(v) > PROFILE_IDLE_MAX))
		api_error_add(errors, "idle_timeout_seconds",
			      "must be an integer from 1 to 86400, or null");
	else if (v)
		json_object_set_new(out, "idle_timeout_s", json_integer(json_integer_value(v)));
	v = json_object_get(body, "shared_users");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > PROFILE_SHARED_MAX))
		api_error_add(errors, "shared_users", "must be an integer from 1 to 10000");
	else if (v)
		json_object_set_new(out, "shared_users", json_integer(json_integer_value(v)));
}

static const char *const bool_members[] = {"mac_lock", "code_only", "is_active"};

/* Booleans, price and currency. */
static void check_flags_money(const json_t *body, json_t *out, bool create, json_t *errors)
{
	char money[API__MONEY_TEXT_MAX];
	const json_t *v;
	const char *cur;

	for (size_t i = 0; i < API_NELEM(bool_members); i++) {
		v = json_object_get(body, bool_members[i]);
		if (v && !json_is_boolean(v))
			api_error_add(errors, bool_members[i], "must be true or false");
		else if (v)
			json_object_set(out, bool_members[i], (json_t *)v);
	}
	v = json_object_get(body, "price");
	if (v && api__money_text(v, "price", money, errors))
		json_object_set_new(out, "price", json_string(money));
	v = json_object_get(body, "currency");
	cur = json_string_value(v);
	if (v && (!cur || strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		api_error_add(errors, "currency", "must be an ISO 4217 code such as UGX");
	else if (v && !create && !json_object_get(body, "price"))
		api_error_add(errors, "price", "is required when the currency changes");
	else if (v)
		json_object_set_new(out, "currency", json_string(cur));
}

/*
 * The body as column values ({"name": ..., "data_limit_bytes": ...}; a
 * member given as null clears a limit).  Returns it (caller owns), or
 * NULL with the answer (422 or 500) given.
 */
static json_t *profile_input(api_req *req, const json_t *body, bool create)
{
	json_t *out = json_object(), *errors = json_object();

	if (!out || !errors) {
		json_decref(out);
		json_decref(errors);
		api_reply_error(req, 500, "internal error");
		return NULL;
	}
	check_texts(body, out, create, errors);
	for (size_t i = 0; i < API_NELEM(unit_groups); i++)
		check_unit_group(body, &unit_groups[i], out, errors);
	check_limits(body, out, errors);
	check_flags_money(body, out, create, errors);
	if (json_object_size(errors)) {
		json_decref(out);
		api_reply_invalid(req, "validation failed", errors);
		return NULL;
	}
	json_decref(errors);
	return out;
}

/* ---- handlers ------------------------------------------------------------------ */

/* The audit of a write: its action and the body whose member names it records. */
typedef struct {
	const char *action;
	const json_t *body;
} profile_audit;

/* Audits a write of the profile res returns (id, JSON); false with a 500 answered. */
static bool audit_step(api_req *req, PGconn *conn, const PGresult *res, void *ctx)
{
	const profile_audit *a = ctx;

	if (api__audit(conn, req, a->action, "profile", PQgetvalue(res, 0, 0),
		       json_pack("{s:o}", "fields", api__member_names(a->body))) == HS_DB_OK)
		return true;
	api_reply_error(req, 500, "internal error");
	return false;
}

/*
 * Reads the body as column values and writes them with sql ($1 the values
 * on create, when id is NULL; else $1 id, $2 the values; the statement
 * returns id, profile JSON), audits it as action with the member names of
 * the body, commits and answers status ok with the profile; 404 when no
 * row came back.
 */
static void profile_save(api_req *req, const char *id, const char *sql, const char *action, int ok,
			 const char *message)
{
	json_t *body = api_body_object(req), *in = NULL, *data;
	const char *params[2] = {id, NULL};
	profile_audit a = {action, body};
	api_db_rule rules[3];
	api_db_map map = db_map_make(rules, "profiles", "a profile with this name already exists");
	char *text = NULL;

	if (!body)
		return;
	in = profile_input(req, body, id == NULL);
	if (!in)
		goto out;
	text = json_dumps(in, JSON_COMPACT);
	if (!text) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	params[id ? 1 : 0] = text;
	data = api_write_json(req, sql, id ? 2 : 1, params, 1, "profile", &map, audit_step, &a);
	if (data)
		api_reply(req, ok, message, data);
out:
	free(text);
	json_decref(in);
	json_decref(body);
}

static void profiles_create(api_req *req)
{
	profile_save(req, NULL, insert_sql, "profile.create", 201, "Profile created successfully");
}

static void profiles_update(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "profile");

	if (id)
		profile_save(req, id, update_sql, "profile.update", 200,
			     "Profile updated successfully");
}

static void profiles_get(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "profile");

	api_db_rule rules[3];
	api_db_map map = db_map_make(rules, "profiles", NULL);

	if (id)
		api_get_json(req, select_sql, 1, &id, 1, "profile", &map);
}

/* Refuses (409) to delete a profile in use, else audits the delete. */
static bool delete_step(api_req *req, PGconn *conn, const PGresult *res, void *ctx)
{
	char msg[128];

	if (strcmp(PQgetvalue(res, 0, 1), "1") != 0) {
		snprintf(msg, sizeof msg,
			 "the profile is used by %s vouchers or batches; disable it instead "
			 "(is_active false)",
			 PQgetvalue(res, 0, 2));
		api_reply_error(req, 409, msg);
		return false;
	}
	if (api__audit(conn, req, "profile.delete", "profile", (const char *)ctx, NULL) !=
	    HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	return true;
}

static void profiles_delete(api_req *req)
{
	api_db_rule rules[3];
	api_db_map map = db_map_make(rules, "profiles", "the profile is in use");
	const char *id = api_param_uuid(req, 0, "profile");
	PGresult *res;

	if (!id)
		return;
	res = api_write_counted(req, delete_sql, 1, &id, "profile", &map, delete_step, (void *)id);
	if (res)
		api_reply(req, 200, "Profile deleted successfully", NULL);
	PQclear(res);
}

/* Reads is_active ("true"/"false"/absent) into *out ("" for any). */
static void is_active_arg(const api_req *req, const char **out, json_t *errors)
{
	const char *s = api_req_query(req, "is_active");

	*out = "";
	if (!s || !*s)
		return;
	if (strcmp(s, "true") && strcmp(s, "false"))
		api_error_add(errors, "is_active", "must be true or false");
	else
		*out = s;
}

static void profiles_list(api_req *req)
{
	char pattern[4 * PROFILE_SEARCH_MAX * 2 + 3];
	json_t *errors = api_errors_new(req);
	const char *active;
	api_db_rule rules[3];
	api_db_map map = db_map_make(rules, "profiles", NULL);
	api_page pg;

	if (!errors)
		return;
	api_query_pattern(req, "search", PROFILE_SEARCH_MAX, pattern, errors);
	is_active_arg(req, &active, errors);
	api_page_args(req, &pg, errors);
	if (!api_errors_none(req, errors))
		return;
	api_list_json(req, list_sql, 4, (const char *[]){pattern, active, pg.limit, pg.offset}, &pg,
		      NULL, &map);
}

/* Adds the standard set; 201 when it made any, 200 when all were there. */
static void profiles_standard(api_req *req)
{
	PGresult *res = NULL;
	PGconn *conn = api_tx_begin(req);
	json_t *created = NULL, *data = NULL;
	size_t n;

	if (!conn)
		return;
	res = PQexecParams(conn, standard_sql, 0, NULL, NULL, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		api__reply_db_failure(req, conn, res, "profiles", NULL);
		goto out;
	}
	created = api__row_json(res, 0);
	n = json_array_size(created);
	PQclear(res);
	res = PQexecParams(conn, standard_list_sql, 0, NULL, NULL, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1) {
		api__reply_db_failure(req, conn, res, "profiles", NULL);
		goto out;
	}
	data = json_pack("{s:O, s:o}", "created", created ? created : json_null(), "profiles",
			 api__row_json(res, 0));
	if (!data || (n && api__audit(conn, req, "profile.standard", "profile", NULL,
				      json_pack("{s:O}", "created", created)) != HS_DB_OK)) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (api__commit(req, conn)) {
		api_reply(req, n ? 201 : 200,
			  n ? "Standard profiles created" : "Standard profiles already exist",
			  data);
		data = NULL;
	}
	conn = NULL;
out:
	json_decref(created);
	json_decref(data);
	PQclear(res);
	api_tx_end(req, conn, false);
}

static const api_route routes[] = {
	{"GET", "/api/v1/profiles", profiles_list, "profiles.read"},
	{"POST", "/api/v1/profiles", profiles_create, "profiles.write"},
	{"POST", "/api/v1/profiles/standard", profiles_standard, "profiles.write"},
	{"GET", "/api/v1/profiles/:id", profiles_get, "profiles.read"},
	{"PUT", "/api/v1/profiles/:id", profiles_update, "profiles.write"},
	{"DELETE", "/api/v1/profiles/:id", profiles_delete, "profiles.write"},
};

const api_module api_mod_profiles = {
	.name = "profiles",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
