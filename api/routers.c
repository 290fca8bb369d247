/*
 * /api/v1/router-management: the tenant's MikroTik routers.
 *
 *   GET    /api/v1/router-management        list (search, status, sort, pages)
 *   POST   /api/v1/router-management        create
 *   GET    /api/v1/router-management/:id    one router
 *   PUT    /api/v1/router-management/:id    change the fields given
 *   DELETE /api/v1/router-management/:id    remove
 *
 * Every query runs in the caller's tenant transaction (api_tx_begin), so
 * row-level security alone hides other tenants' routers: an id of theirs is
 * simply not found.  The RouterOS API password is sealed with APP_KEY (the
 * router's id as associated data) before it reaches the database; neither it
 * nor the RADIUS secret is ever part of an answer, except the RADIUS secret
 * once, in the answer to its creation.  Each change writes an audit_log row
 * (who, which router, the names of the members given, never their values)
 * in its own transaction.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "api/auth.h"
#include "api/crud.h"
#include "api/http.h"
#include "api/module.h"
#include "api/router_ops.h"
#include "api/valid.h"
#include "common/crypto.h"

#define ROUTER_NAME_MAX     200 /* characters */
#define ROUTER_USER_MAX     100
#define ROUTER_PASSWORD_MAX 256 /* bytes */
#define ROUTER_SECRET_MIN   8
#define ROUTER_SECRET_MAX   128
#define ROUTER_SECRET_GEN   32
#define ROUTER_LOCATION_MAX 200 /* characters of each location text */
#define ROUTER_SEARCH_MAX   100

/* A router as answers show it: no password, no RADIUS secret. */
#define ROUTER_JSON                                                                                \
	"json_build_object('id', d.id, 'name', d.name, 'ip_address', host(d.ip_address),"          \
	" 'api_port', d.api_port, 'api_ssl', d.api_ssl, 'username', d.username,"                   \
	" 'has_password', d.password_encrypted IS NOT NULL, 'location', d.location,"               \
	" 'coa_port', d.coa_port, 'status', d.status, 'last_seen', d.last_seen,"                   \
	" 'uptime_seconds', d.uptime_seconds, 'router_os_version', d.router_os_version,"           \
	" 'identity', d.identity, 'created_at', d.created_at, 'updated_at', d.updated_at)::text"

/* The columns a request may set, in the order of the statements' $2..$10. */
enum {
	F_NAME,
	F_IP,
	F_API_PORT,
	F_API_SSL,
	F_USERNAME,
	F_PASSWORD, /* sealed, as bytea hex text */
	F_LOCATION, /* JSON text */
	F_SECRET,
	F_COA_PORT,
	F_COUNT
};

/*
 * The audit row of a change ($11 admin, $12 details, $13 client address;
 * see audit_params), written in the change's own statement and transaction.
 */
#define ROUTER_AUDIT(action)                                                                       \
	" a AS (INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id,"       \
	" details, ip) SELECT d.tenant_id, $11::uuid, '" action "', 'router', d.id::text,"         \
	" $12::jsonb, nullif($13, '')::inet FROM d)"

static const char insert_sql[] =
	"WITH d AS (INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, api_port,"
	" api_ssl, username, password_encrypted, location, radius_secret, coa_port)"
	" VALUES ($1::uuid, hs_current_tenant(), $2, $3::inet, coalesce($4::int, 8728),"
	" coalesce($5::boolean, false), $6, $7::bytea, coalesce($8::jsonb, '{}'), $9,"
	" coalesce($10::int, 3799)) RETURNING *)," ROUTER_AUDIT(
		"router.create") " SELECT " ROUTER_JSON " FROM d";

static const char update_sql[] =
	"WITH d AS (UPDATE mikrotik_devices AS d SET name = coalesce($2, d.name),"
	" ip_address = coalesce($3::inet, d.ip_address), api_port = coalesce($4::int, d.api_port),"
	" api_ssl = coalesce($5::boolean, d.api_ssl), username = coalesce($6, d.username),"
	" password_encrypted = coalesce($7::bytea, d.password_encrypted),"
	" location = coalesce($8::jsonb, d.location),"
	" radius_secret = coalesce($9, d.radius_secret), coa_port = coalesce($10::int, d.coa_port)"
	" WHERE d.id = $1::uuid RETURNING d.*)," ROUTER_AUDIT(
		"router.update") " SELECT " ROUTER_JSON " FROM d";

static const char select_sql[] =
	"SELECT " ROUTER_JSON " FROM mikrotik_devices d WHERE d.id = $1::uuid";

/* $1 the id; $2, $3 and $4 as $11, $12 and $13 of the writes. */
static const char delete_sql[] =
	"WITH d AS (DELETE FROM mikrotik_devices WHERE id = $1::uuid RETURNING id, tenant_id),"
	" a AS (INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id,"
	" details, ip) SELECT d.tenant_id, $2::uuid, 'router.delete', 'router', d.id::text,"
	" $3::jsonb, nullif($4, '')::inet FROM d)"
	" SELECT count(*) FROM d";

/*
 * The list: $1 the ILIKE pattern ('' for none), $2 the status ('' for any),
 * $3 LIMIT, $4 OFFSET.  Both %s are the ORDER BY clause from sort_keys[], never
 * request text.
 */
#define ROUTER_FILTERS                                                                             \
	" WHERE ($1 = '' OR d.name ILIKE $1 OR host(d.ip_address) ILIKE $1"                        \
	" OR concat_ws(' ', d.location->>'name', d.location->>'region',"                           \
	" d.location->>'district', d.location->>'address') ILIKE $1)"                              \
	" AND ($2 = '' OR d.status = $2)"

/*
 * The page comes straight from an ordered scan with its LIMIT (for the
 * default order, a walk of mikrotik_devices_page), not from numbering every
 * router of the tenant first; the count is a query of its own.
 */
static const char list_fmt[] =
	"WITH p AS (SELECT d.* FROM mikrotik_devices d" ROUTER_FILTERS
	" ORDER BY %s LIMIT $3::int OFFSET $4::int)"
	" SELECT (SELECT count(*) FROM mikrotik_devices d" ROUTER_FILTERS "),"
	" coalesce((SELECT json_agg((" ROUTER_JSON ")::json ORDER BY %s) FROM p d), '[]')";

/* The request members behind each parameter, for the audit log. */
static const char *const field_names[F_COUNT] = {
	"name",     "ip_address", "api_port",      "api_ssl",  "username",
	"password", "location",   "radius_secret", "coa_port",
};

/* A request's values, as text parameters (NULL: not given). */
typedef struct {
	char *vals[F_COUNT];
	bool secret_generated;
} router_input;

static void input_free(router_input *in)
{
	for (int i = 0; i < F_COUNT; i++) {
		if (in->vals[i]) {
			explicit_bzero(in->vals[i], strlen(in->vals[i]));
			free(in->vals[i]);
		}
	}
	memset(in, 0, sizeof *in);
}

/* ---- validation ------------------------------------------------------------ */

static bool input_set(router_input *in, int f, const char *s)
{
	free(in->vals[f]);
	in->vals[f] = strdup(s);
	return in->vals[f] != NULL;
}

static void check_name(const json_t *v, router_input *in, json_t *errors)
{
	const char *s = api_text_field(v, "name", ROUTER_NAME_MAX, errors);

	if (s && !input_set(in, F_NAME, s))
		api_error_add(errors, "name", "out of memory");
}

/* A host address, IPv4 or IPv6, without a mask; stored canonical. */
static void check_ip(const json_t *v, router_input *in, json_t *errors)
{
	const char *s = json_string_value(v);
	unsigned char buf[sizeof(struct in6_addr)];
	char canon[INET6_ADDRSTRLEN];
	int af = AF_INET;

	if (s && strchr(s, ':'))
		af = AF_INET6;
	if (!s || strlen(s) >= INET6_ADDRSTRLEN || inet_pton(af, s, buf) != 1 ||
	    !inet_ntop(af, buf, canon, sizeof canon)) {
		api_error_add(errors, "ip_address", "must be an IPv4 or IPv6 address");
		return;
	}
	if (!input_set(in, F_IP, canon))
		api_error_add(errors, "ip_address", "out of memory");
}

/* An integer port 1..65535 into parameter f. */
static void check_port(const json_t *v, router_input *in, int f, const char *field, json_t *errors)
{
	char num[8];

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
		api_error_add(errors, field, "must be an integer from 1 to 65535");
		return;
	}
	snprintf(num, sizeof num, "%d", (int)json_integer_value(v));
	if (!input_set(in, f, num))
		api_error_add(errors, field, "out of memory");
}

static void check_ssl(const json_t *v, router_input *in, json_t *errors)
{
	if (!json_is_boolean(v)) {
		api_error_add(errors, "api_ssl", "must be true or false");
		return;
	}
	if (!input_set(in, F_API_SSL, json_is_true(v) ? "true" : "false"))
		api_error_add(errors, "api_ssl", "out of memory");
}

static void check_username(const json_t *v, router_input *in, json_t *errors)
{
	const char *s = api_text_field(v, "username", ROUTER_USER_MAX, errors);

	if (s && !input_set(in, F_USERNAME, s))
		api_error_add(errors, "username", "out of memory");
}

/* The password stays clear text in the input until router_seal replaces it. */
static void check_password(const json_t *v, router_input *in, json_t *errors)
{
	const char *s = json_string_value(v);

	if (!s || *s == '\0' || json_string_length(v) > ROUTER_PASSWORD_MAX ||
	    strlen(s) != json_string_length(v)) {
		api_error_add(errors, "password", "must be a string of 1 to 256 bytes");
		return;
	}
	if (!input_set(in, F_PASSWORD, s))
		api_error_add(errors, "password", "out of memory");
}

/* Printable ASCII without spaces, ROUTER_SECRET_MIN..MAX long. */
static void check_secret(const json_t *v, router_input *in, json_t *errors)
{
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 0;
	bool ok = s && n >= ROUTER_SECRET_MIN && n <= ROUTER_SECRET_MAX;

	for (size_t i = 0; ok && i < n; i++)
		ok = s[i] > 0x20 && s[i] < 0x7f;
	if (!ok) {
		api_error_add(errors, "radius_secret",
			      "must be 8 to 128 printable ASCII characters without spaces");
		return;
	}
	if (!input_set(in, F_SECRET, s))
		api_error_add(errors, "radius_secret", "out of memory");
}

/* A number in [lo, hi] copied to out[key]; false with an error otherwise. */
static bool coordinate(const json_t *c, const char *key, double lo, double hi, json_t *out,
		       json_t *errors)
{
	const json_t *v = json_object_get(c, key);
	char field[32];
	double d;

	snprintf(field, sizeof field, "location.coordinates.%s", key);
	d = json_number_value(v);
	if (!json_is_number(v) || !isfinite(d) || d < lo || d > hi) {
		api_error_add(errors, field,
			      lo < -90 ? "must be a number from -180 to 180"
				       : "must be a number from -90 to 90");
		return false;
	}
	json_object_set_new(out, key, json_real(d));
	return true;
}

/* location.coordinates {lat, lng} into loc. */
static void check_coordinates(const json_t *c, json_t *loc, json_t *errors)
{
	json_t *out = json_object();
	bool ok;

	if (!json_is_object(c)) {
		api_error_add(errors, "location.coordinates", "must be an object {lat, lng}");
		json_decref(out);
		return;
	}
	ok = coordinate(c, "lat", -90, 90, out, errors);
	ok = coordinate(c, "lng", -180, 180, out, errors) && ok;
	if (ok)
		json_object_set(loc, "coordinates", out);
	json_decref(out);
}

/* The location texts kept; other members are dropped. */
static const char *const location_texts[] = {"name", "region", "district", "address"};

/* location {region, district, name, address, coordinates}: JSON text for jsonb. */
static void check_location(const json_t *v, router_input *in, json_t *errors)
{
	json_t *loc = json_object();
	char field[32], *text = NULL;

	if (!json_is_object(v)) {
		api_error_add(errors, "location", "must be an object");
		goto out;
	}
	for (size_t i = 0; i < sizeof location_texts / sizeof location_texts[0]; i++) {
		const json_t *t = json_object_get(v, location_texts[i]);
		const char *s;

		if (!t || json_is_null(t))
			continue;
		snprintf(field, sizeof field, "location.%s", location_texts[i]);
		s = api_text_field(t, field, ROUTER_LOCATION_MAX, errors);
		if (s)
			json_object_set_new(loc, location_texts[i], json_string(s));
	}
	if (json_object_get(v, "coordinates") && !json_is_null(json_object_get(v, "coordinates")))
		check_coordinates(json_object_get(v, "coordinates"), loc, errors);
	text = json_dumps(loc, JSON_COMPACT);
	if (!text || !input_set(in, F_LOCATION, text))
		api_error_add(errors, "location", "out of memory");
out:
	free(text);
	json_decref(loc);
}

/*
 * Reads body into in.  Members absent or null are left NULL; on create,
 * name and ip_address are required.  Returns the errors object (empty when
 * valid; caller owns it), or NULL when out of memory.
 */
static json_t *router_validate(const json_t *body, router_input *in, bool create)
{
	json_t *errors = json_object();
	const json_t *v;

	if (!errors)
		return NULL;
#define MEMBER(key) ((v = json_object_get(body, key)) != NULL && !json_is_null(v))
	if (MEMBER("name"))
		check_name(v, in, errors);
	else if (create)
		api_error_add(errors, "name", "is required");
	if (MEMBER("ip_address"))
		check_ip(v, in, errors);
	else if (create)
		api_error_add(errors, "ip_address", "is required");
	if (MEMBER("api_port"))
		check_port(v, in, F_API_PORT, "api_port", errors);
	if (MEMBER("coa_port"))
		check_port(v, in, F_COA_PORT, "coa_port", errors);
	if (MEMBER("api_ssl"))
		check_ssl(v, in, errors);
	if (MEMBER("username"))
		check_username(v, in, errors);
	if (MEMBER("password"))
		check_password(v, in, errors);
	if (MEMBER("radius_secret"))
		check_secret(v, in, errors);
	if (MEMBER("location"))
		check_location(v, in, errors);
#undef MEMBER
	if (create && in->vals[F_PASSWORD] && !in->vals[F_USERNAME])
		api_error_add(errors, "username", "is required with a password");
	return errors;
}

/* ---- helpers ------------------------------------------------------------- */

/*
 * Sets a new RADIUS secret from the CSPRNG (letters and digits without
 * look-alikes).  0, or -1 when the generator or memory fails.
 */
static int secret_generate(router_input *in)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
	unsigned char r[ROUTER_SECRET_GEN];
	char s[ROUTER_SECRET_GEN + 1];
	int rc = -1;

	if (RAND_bytes(r, sizeof r) != 1)
		goto out;
	/* Bytes from 224 (4 * 56) up are drawn again: every symbol is equally likely. */
	for (size_t i = 0; i < sizeof r; i++) {
		while (r[i] >= 224)
			if (RAND_bytes(&r[i], 1) != 1)
				goto out;
		s[i] = alphabet[r[i] % (sizeof alphabet - 1)];
	}
	s[ROUTER_SECRET_GEN] = '\0';
	in->secret_generated = true;
	if (input_set(in, F_SECRET, s))
		rc = 0;
out:
	explicit_bzero(r, sizeof r);
	explicit_bzero(s, sizeof s);
	return rc;
}

/*
 * Replaces the clear password of in by its sealed form (bytea hex text),
 * for router id.  0, 503 when APP_KEY is not configured, 500 on failure.
 */
static int router_seal(const api_req *req, router_input *in, const char *id)
{
	const char *pw = in->vals[F_PASSWORD];
	unsigned char *sealed = NULL;
	hs_crypto_keyring kr;
	size_t len = 0;
	char *hex = NULL;
	int rc = 503;

	if (!pw)
		return 0;
	if (hs_crypto_keyring_load(&kr, req->app->cfg) != 0)
		goto out;
	rc = 500;
	if (hs_crypto_keyring_seal(&kr, id, (const unsigned char *)pw, strlen(pw), &sealed, &len) !=
	    0)
		goto out;
	hex = malloc(2 * len + 3);
	if (!hex)
		goto out;
	memcpy(hex, "\\x", 2);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 + 2 * i, 3, "%02x", sealed[i]);
	explicit_bzero(in->vals[F_PASSWORD], strlen(pw));
	free(in->vals[F_PASSWORD]);
	in->vals[F_PASSWORD] = hex;
	rc = 0;
out:
	hs_crypto_keyring_wipe(&kr);
	free(sealed);
	return rc;
}

/* 409 for a taken address, 422 for the credentials rule. */
static const api_db_rule db_rules[] = {
	{NULL, "mikrotik_devices_ip_address_key", 409, NULL,
	 "a router with this IP address already exists"},
	{NULL, "mikrotik_devices_check", 422, "username", "is required with a password"},
};

static const api_db_map db_map = {"routers", db_rules, API_NELEM(db_rules)};

/* The audit parameters of a change: who, what, and from where. */
typedef struct {
	char *details; /* JSON text: {"fields": [names of the members given]} */
	char ip[INET6_ADDRSTRLEN];
} audit_params;

/*
 * Fills a for a change of the members set in in (NULL: a delete).  false
 * when out of memory; audit_free releases it either way.
 */
static bool audit_fill(const api_req *req, const router_input *in, audit_params *a)
{
	json_t *doc = json_object(), *fields = json_array();

	for (int i = 0; in && fields && i < F_COUNT; i++)
		if (in->vals[i] && !(i == F_SECRET && in->secret_generated))
			json_array_append_new(fields, json_string(field_names[i]));
	if (doc && fields && json_object_set(doc, "fields", fields) == 0)
		a->details = json_dumps(doc, JSON_COMPACT);
	json_decref(fields);
	json_decref(doc);
	api_client_ip(req, a->ip, sizeof a->ip);
	return a->details != NULL;
}

static void audit_free(audit_params *a)
{
	free(a->details);
	a->details = NULL;
}

/*
 * Runs sql ($1 = id, then in's values, then the audit's) in the caller's
 * tenant and answers with the router it returns: status ok, 404 when no
 * row, else the failure.  secret, when not NULL, is added to the answer as
 * radius_secret.
 */
static void router_write(api_req *req, const char *sql, const char *id, router_input *in, int ok,
			 const char *message, const char *secret)
{
	const char *params[1 + F_COUNT + 3];
	audit_params audit = {0};
	json_t *data;

	if (!audit_fill(req, in, &audit)) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	params[0] = id;
	for (int i = 0; i < F_COUNT; i++)
		params[1 + i] = in->vals[i];
	params[1 + F_COUNT] = req->who.admin_id;
	params[2 + F_COUNT] = audit.details;
	params[3 + F_COUNT] = audit.ip;
	data = api_write_json(req, sql, 4 + F_COUNT, params, 0, "router", &db_map, NULL, NULL);
	if (!data)
		goto out;
	if (secret)
		json_object_set_new(data, "radius_secret", json_string(secret));
	api_reply(req, ok, message, data);
out:
	audit_free(&audit);
}

/*
 * Validates the body into in and seals the password for id.  true when the
 * write may go ahead; false with the answer given.
 */
static bool router_prepare(api_req *req, router_input *in, const char *id, bool create)
{
	json_t *body = api_body_object(req), *errors = NULL;
	bool ok = false;
	int rc;

	if (!body)
		return false;
	errors = router_validate(body, in, create);
	if (!errors) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	/* The API talks to routers only in ROUTER_ALLOWED_NETWORKS. */
	if (in->vals[F_IP] && !api_router_addr_allowed(req->app->cfg, in->vals[F_IP]))
		api_error_add(errors, "ip_address", API_ROUTER_ADDR_REFUSED);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		errors = NULL;
		goto out;
	}
	rc = router_seal(req, in, id);
	if (rc != 0) {
		api_reply_error(req, rc,
				rc == 503 ? "APP_KEY is not configured" : "internal error");
		goto out;
	}
	ok = true;
out:
	json_decref(errors);
	json_decref(body);
	return ok;
}

/* ---- handlers -------------------------------------------------------------- */

static void routers_create(api_req *req)
{
	router_input in;
	char id[API_UUID_LEN];

	memset(&in, 0, sizeof in);
	if (api_uuid_v4(id) != 0) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	if (!router_prepare(req, &in, id, true))
		goto out;
	if (!in.vals[F_SECRET] && secret_generate(&in) != 0) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	router_write(req, insert_sql, id, &in, 201, "Router created successfully",
		     in.secret_generated ? in.vals[F_SECRET] : NULL);
out:
	input_free(&in);
}

static void routers_update(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");
	router_input in;

	if (!id)
		return;
	memset(&in, 0, sizeof in);
	if (router_prepare(req, &in, id, false))
		router_write(req, update_sql, id, &in, 200, "Router updated successfully", NULL);
	input_free(&in);
}

static void routers_get(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");

	if (id)
		api_get_json(req, select_sql, 1, &id, 0, "router", &db_map);
}

static void routers_delete(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "router");
	audit_params audit = {0};
	const char *params[4];
	PGresult *res;

	if (!id)
		return;
	if (!audit_fill(req, NULL, &audit)) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	params[0] = id;
	params[1] = req->who.admin_id;
	params[2] = audit.details;
	params[3] = audit.ip;
	res = api_write_counted(req, delete_sql, 4, params, "router", &db_map, NULL, NULL);
	if (res)
		api_reply(req, 200, "Router deleted successfully", NULL);
	PQclear(res);
out:
	audit_free(&audit);
}

/* ---- the list ---------------------------------------------------------------- */

typedef struct {
	char pattern[4 * ROUTER_SEARCH_MAX * 2 + 3]; /* ILIKE pattern, or "" */
	const char *status;                          /* "" for any */
	const char *order;                           /* an ORDER BY clause */
	api_page pg;
} list_query;

/* ORDER BY clauses by sort_by and sort_order; the id breaks ties. */
static const api_sort_key sort_keys[] = {
	{"name", "d.name ASC, d.id ASC", "d.name DESC, d.id DESC"},
	{"ip_address", "d.ip_address ASC, d.id ASC", "d.ip_address DESC, d.id DESC"},
	{"status", "d.status ASC, d.name ASC, d.id ASC", "d.status DESC, d.name DESC, d.id DESC"},
	{"created_at", "d.created_at ASC, d.id ASC", "d.created_at DESC, d.id DESC"},
};

static void status_arg(const api_req *req, list_query *q, json_t *errors)
{
	const char *s = api_req_query(req, "status");

	q->status = "";
	if (!s || *s == '\0')
		return;
	if (strcmp(s, "online") && strcmp(s, "offline") && strcmp(s, "error")) {
		api_error_add(errors, "status", "must be online, offline or error");
		return;
	}
	q->status = s;
}

/* Reads the list's query arguments; false with the answer given. */
static bool list_args(api_req *req, list_query *q)
{
	json_t *errors = api_errors_new(req);

	memset(q, 0, sizeof *q);
	if (!errors)
		return false;
	api_query_pattern(req, "search", ROUTER_SEARCH_MAX, q->pattern, errors);
	status_arg(req, q, errors);
	q->order = api_sort_arg(req, sort_keys, API_NELEM(sort_keys), "created_at",
				"must be name, ip_address, status or created_at", errors);
	api_page_args(req, &q->pg, errors);
	return api_errors_none(req, errors);
}

static void routers_list(api_req *req)
{
	char sql[sizeof list_fmt + 256];
	list_query q;

	if (!list_args(req, &q))
		return;
	snprintf(sql, sizeof sql, list_fmt, q.order, q.order);
	api_list_json(req, sql, 4, (const char *[]){q.pattern, q.status, q.pg.limit, q.pg.offset},
		      &q.pg, NULL, &db_map);
}

static const api_route routes[] = {
	{"GET", "/api/v1/router-management", routers_list, "routers.read"},
	{"POST", "/api/v1/router-management", routers_create, "routers.write"},
	{"GET", "/api/v1/router-management/:id", routers_get, "routers.read"},
	{"PUT", "/api/v1/router-management/:id", routers_update, "routers.write"},
	{"DELETE", "/api/v1/router-management/:id", routers_delete, "routers.write"},
};

const api_module api_mod_routers = {
	.name = "routers",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
