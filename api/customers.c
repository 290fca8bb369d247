/*
 * /api/v1/customers: the tenant's customers and their history.
 *
 *   GET    /api/v1/customers                        list (search, sort, pages)
 *   POST   /api/v1/customers                        create
 *   GET    /api/v1/customers/:id                    one customer
 *   PUT    /api/v1/customers/:id                    change the fields given
 *   DELETE /api/v1/customers/:id[?detach=true]      remove
 *   GET    /api/v1/customers/:id/communications     the SMS sent to them, newest first
 *   GET    /api/v1/customers/:id/vouchers           their vouchers, newest first
 *
 * Every query runs in the caller's tenant transaction (api_tx_begin), so
 * row-level security hides other tenants' customers: an id of theirs is
 * not found.  A phone number (E.164, stored as +digits) names at most one
 * customer of a tenant; another customer with it is a 409.
 *
 * Deleting a customer who holds vouchers is refused (409) unless the
 * request says detach=true: the vouchers then stay, without a customer.
 * Payments and SMS messages always stay, without a customer, so the
 * money and message records outlive the person's entry.  Each change
 * writes an audit_log row (who, which customer, the names of the members
 * given, never their values) in the change's own statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/crud.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"

#define CUSTOMER_NAME_MAX   200  /* characters */
#define CUSTOMER_NOTES_MAX  4000 /* characters */
#define CUSTOMER_EMAIL_MAX  254  /* bytes (RFC 5321 path limit) */
#define CUSTOMER_PHONE_IN   32   /* bytes of a phone number as typed, separators included */
#define CUSTOMER_SEARCH_MAX 100

#define CUSTOMER_JSON                                                                              \
	"json_build_object('id', c.id, 'name', c.name, 'phone', c.phone, 'email', c.email,"        \
	" 'notes', c.notes, 'vouchers_count', (SELECT count(*) FROM vouchers v"                    \
	" WHERE v.customer_id = c.id), 'created_at', c.created_at, 'updated_at', "                 \
	"c.updated_at)::text"

/* The columns a request may set, in the order of the statements' $2..$5. */
enum { F_NAME, F_PHONE, F_EMAIL, F_NOTES, F_COUNT };

static const char *const field_names[F_COUNT] = {"name", "phone", "email", "notes"};

/*
 * The audit row of a change ($8 admin, $9 details, $10 client address),
 * written in the change's own statement and transaction.
 */
#define CUSTOMER_AUDIT(action)                                                                     \
	" a AS (INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id,"       \
	" details, ip) SELECT c.tenant_id, $8::uuid, '" action "', 'customer', c.id::text,"        \
	" $9::jsonb, nullif($10, '')::inet FROM c)"

/* $6 and $7 say whether phone and email were given (a null clears them). */
static const char insert_sql[] =
	"WITH c AS (INSERT INTO customers (id, tenant_id, name, phone, email, notes)"
	" VALUES ($1::uuid, hs_current_tenant(), $2, CASE WHEN $6::boolean THEN $3 END,"
	" CASE WHEN $7::boolean THEN $4 END, coalesce($5, '')) RETURNING *), " CUSTOMER_AUDIT(
		"customer.create") " SELECT " CUSTOMER_JSON " FROM c";

static const char update_sql[] = "WITH c AS (UPDATE customers AS c SET name = coalesce($2, c.name),"
				 " phone = CASE WHEN $6::boolean THEN $3 ELSE c.phone END,"
				 " email = CASE WHEN $7::boolean THEN $4 ELSE c.email END,"
				 " notes = coalesce($5, c.notes)"
				 " WHERE c.id = $1::uuid RETURNING c.*), " CUSTOMER_AUDIT(
					 "customer.update") " SELECT " CUSTOMER_JSON " FROM c";

static const char select_sql[] = "SELECT " CUSTOMER_JSON " FROM customers c WHERE c.id = $1::uuid";

/*
 * $1 the id, $2 detach, $3 admin, $4 client address.  Answers whether the
 * customer exists, how many vouchers they hold, and whether it was deleted.
 */
static const char delete_sql[] =
	"WITH f AS (SELECT id, tenant_id FROM customers WHERE id = $1::uuid),"
	" n AS (SELECT count(*) AS vouchers FROM vouchers WHERE customer_id = $1::uuid),"
	" c AS (DELETE FROM customers WHERE id IN (SELECT id FROM f)"
	" AND ($2::boolean OR (SELECT vouchers FROM n) = 0) RETURNING id, tenant_id),"
	" a AS (INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id,"
	" details, ip) SELECT c.tenant_id, $3::uuid, 'customer.delete', 'customer', c.id::text,"
	" jsonb_build_object('detached_vouchers', (SELECT vouchers FROM n)),"
	" nullif($4, '')::inet FROM c)"
	" SELECT (SELECT count(*) FROM f), (SELECT vouchers FROM n), (SELECT count(*) FROM c)";

/*
 * The list: $1 the ILIKE pattern ('' for none), $2 LIMIT, $3 OFFSET.  The
 * %s is an ORDER BY clause from sort_keys[], never request text.
 */
static const char list_fmt[] =
	"WITH f AS (SELECT c.* FROM customers c"
	" WHERE ($1 = '' OR c.name ILIKE $1 OR c.phone ILIKE $1 OR c.email ILIKE $1)),"
	" p AS (SELECT c.*, row_number() OVER (ORDER BY %s) AS n FROM f c"
	" ORDER BY n LIMIT $2::int OFFSET $3::int)"
	" SELECT (SELECT count(*) FROM f),"
	" coalesce((SELECT json_agg((" CUSTOMER_JSON ")::json ORDER BY c.n) FROM p c), '[]')";

/*
 * A customer's SMS messages: $1 the customer, $2 LIMIT, $3 OFFSET.  The
 * first column is NULL when there is no such customer.
 */
static const char sms_sql[] =
	"WITH f AS (SELECT m.* FROM sms_messages m WHERE m.customer_id = $1::uuid),"
	" p AS (SELECT m.* FROM f m ORDER BY m.created_at DESC, m.id DESC"
	" LIMIT $2::int OFFSET $3::int)"
	" SELECT CASE WHEN EXISTS (SELECT 1 FROM customers WHERE id = $1::uuid)"
	" THEN (SELECT count(*) FROM f) END, coalesce((SELECT json_agg(json_build_object('id', "
	"m.id,"
	" 'channel', 'sms', 'voucher_id', m.voucher_id, 'to_phone', m.to_phone, 'body', m.body,"
	" 'driver', m.driver, 'status', m.status, 'error', m.error, 'attempts', m.attempts,"
	" 'sent_at', m.sent_at, 'delivered_at', m.delivered_at, 'created_at', m.created_at)"
	" ORDER BY m.created_at DESC, m.id DESC) FROM p m), '[]')";

/* A customer's vouchers (never their passwords), as sms_sql. */
static const char vouchers_sql[] =
	"WITH f AS (SELECT v.* FROM vouchers v WHERE v.customer_id = $1::uuid),"
	" p AS (SELECT v.* FROM f v ORDER BY v.created_at DESC, v.id DESC"
	" LIMIT $2::int OFFSET $3::int)"
	" SELECT CASE WHEN EXISTS (SELECT 1 FROM customers WHERE id = $1::uuid)"
	" THEN (SELECT count(*) FROM f) END, coalesce((SELECT json_agg(json_build_object('id', "
	"v.id,"
	" 'code', v.code, 'profile_id', v.profile_id, 'status', v.status,"
	" 'price_minor', v.price_minor, 'currency', v.currency,"
	" 'data_limit_bytes', v.data_limit_bytes, 'time_limit_seconds', v.time_limit_seconds,"
	" 'used_bytes', v.used_bytes, 'used_seconds', v.used_seconds,"
	" 'activated_at', v.activated_at, 'expires_at', v.expires_at, 'sold_at', v.sold_at,"
	" 'created_at', v.created_at) ORDER BY v.created_at DESC, v.id DESC) FROM p v), '[]')";

/* A request's values, as text parameters (NULL: not given, or cleared). */
typedef struct {
	char *vals[F_COUNT];
	bool given[F_COUNT]; /* the member was in the body, null included */
} customer_input;

static void input_free(customer_input *in)
{
	for (int i = 0; i < F_COUNT; i++)
		free(in->vals[i]);
	memset(in, 0, sizeof *in);
}

/* ---- validation ------------------------------------------------------------ */

static void input_set(customer_input *in, int f, const char *s, json_t *errors)
{
	free(in->vals[f]);
	in->vals[f] = strdup(s);
	if (!in->vals[f])
		api_error_add(errors, field_names[f], "out of memory");
}

static void check_name(const json_t *v, customer_input *in, json_t *errors)
{
	const char *s = api_text_field(v, "name", CUSTOMER_NAME_MAX, errors);

	if (s)
		input_set(in, F_NAME, s, errors);
}

/*
 * A phone number in E.164: "+", a country code not starting with 0, 7 to
 * 15 digits in all.  Spaces, dots, hyphens and parentheses between digits
 * are dropped, so "+256 (700) 123-456" is stored as "+256700123456".
 */
static void check_phone(const json_t *v, customer_input *in, json_t *errors)
{
	const char *s = json_string_value(v);
	char out[CUSTOMER_PHONE_IN + 1];
	size_t o = 0, digits = 0;
	bool ok = s && strlen(s) <= CUSTOMER_PHONE_IN && s[0] == '+';

	for (size_t i = 1; ok && s[i]; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			ok = !(digits == 0 && s[i] == '0');
			out[1 + o++] = s[i];
			digits++;
		} else {
			ok = strchr(" .-()", s[i]) != NULL;
		}
	}
	if (!ok || digits < 7 || digits > 15) {
		api_error_add(
			errors, "phone",
			"must be an E.164 number: + and 7 to 15 digits, such as +256700123456");
		return;
	}
	out[0] = '+';
	out[1 + o] = '\0';
	input_set(in, F_PHONE, out, errors);
}

/* An atom character of RFC 5322's local part. */
static bool email_local_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

/* local: dot-atoms of 1..64 characters, no leading, trailing or double dot. */
static bool email_local_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(email_local_char(s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return false;
	return true;
}

/* domain: at least two labels of letters, digits and inner hyphens, 1..63 each. */
static bool email_domain_ok(const char *s)
{
	size_t label = 0, labels = 1;

	for (size_t i = 0;; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			if (c == '\0')
				return labels >= 2;
			labels++;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)) ||
		    ++label > 63)
			return false;
	}
}

static void check_email(const json_t *v, customer_input *in, json_t *errors)
{
	const char *s = json_string_value(v), *at = s ? strchr(s, '@') : NULL;

	if (!s || strlen(s) > CUSTOMER_EMAIL_MAX || !at || strchr(at + 1, '@') ||
	    !email_local_ok(s, (size_t)(at - s)) || !email_domain_ok(at + 1)) {
		api_error_add(errors, "email", "must be an email address such as name@example.org");
		return;
	}
	input_set(in, F_EMAIL, s, errors);
}

/* Notes: 0..4000 characters; line breaks and tabs allowed, no other controls. */
static void check_notes(const json_t *v, customer_input *in, json_t *errors)
{
	const char *s = json_string_value(v);
	bool ok =
		s && strlen(s) == json_string_length(v) && api_utf8_chars(s) <= CUSTOMER_NOTES_MAX;

	for (size_t i = 0; ok && s[i]; i++)
		ok = !((unsigned char)s[i] < 0x20 && !strchr("\t\r\n", s[i])) && s[i] != 0x7f;
	if (!ok) {
		api_error_add(errors, "notes",
			      "must be text of at most 4000 characters without control characters");
		return;
	}
	input_set(in, F_NOTES, s, errors);
}

/*
 * Reads body into in.  An absent member is left alone; null clears phone,
 * email and notes; name is required on create and may not be null.
 * Returns the errors object (empty when valid; caller owns it), or NULL
 * when out of memory.
 */
static json_t *customer_validate(const json_t *body, customer_input *in, bool create)
{
	json_t *errors = json_object();
	const json_t *v;

	if (!errors)
		return NULL;
	v = json_object_get(body, "name");
	if (v)
		check_name(v, in, errors);
	else if (create)
		api_error_add(errors, "name", "is required");
	for (int f = F_PHONE; f < F_COUNT; f++) {
		v = json_object_get(body, field_names[f]);
		if (!v)
			continue;
		in->given[f] = true;
		if (json_is_null(v))
			continue;
		if (f == F_PHONE)
			check_phone(v, in, errors);
		else if (f == F_EMAIL)
			check_email(v, in, errors);
		else
			check_notes(v, in, errors);
	}
	in->given[F_NAME] = in->vals[F_NAME] != NULL;
	if (in->given[F_NOTES] && !in->vals[F_NOTES])
		input_set(in, F_NOTES, "", errors);
	return errors;
}

/* ---- helpers ------------------------------------------------------------- */

/* 409 for a phone number another customer has. */
static const api_db_rule db_rules[] = {
	{NULL, "customers_phone_unique", 409, NULL,
	 "a customer with this phone number already exists"},
};

static const api_db_map db_map = {"customers", db_rules, API_NELEM(db_rules)};

/* The audit details of a change: {"fields": [names of the members given]}. */
static char *audit_details(const customer_input *in)
{
	json_t *doc = json_object(), *fields = json_array();
	char *text = NULL;

	for (int i = 0; fields && i < F_COUNT; i++)
		if (in->given[i])
			json_array_append_new(fields, json_string(field_names[i]));
	if (doc && fields && json_object_set(doc, "fields", fields) == 0)
		text = json_dumps(doc, JSON_COMPACT);
	json_decref(fields);
	json_decref(doc);
	return text;
}

/*
 * Runs sql ($1 id, $2..$5 values, $6 $7 phone/email given, $8..$10 audit)
 * in the caller's tenant and answers with the customer it returns: status
 * ok, 404 when no row, else the failure.
 */
static void customer_write(api_req *req, const char *sql, const char *id, customer_input *in,
			   int ok, const char *message)
{
	const char *params[10];
	char ip[64], *details = audit_details(in);
	json_t *data;

	if (!details) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	api_client_ip(req, ip, sizeof ip);
	params[0] = id;
	for (int i = 0; i < F_COUNT; i++)
		params[1 + i] = in->vals[i];
	params[5] = in->given[F_PHONE] ? "true" : "false";
	params[6] = in->given[F_EMAIL] ? "true" : "false";
	params[7] = req->who.admin_id;
	params[8] = details;
	params[9] = ip;
	data = api_write_json(req, sql, 10, params, 0, "customer", &db_map, NULL, NULL);
	if (data)
		api_reply(req, ok, message, data);
	free(details);
}

/* Validates the body into in; false with the answer given. */
static bool customer_prepare(api_req *req, customer_input *in, bool create)
{
	json_t *body = api_body_object(req), *errors;

	if (!body)
		return false;
	errors = customer_validate(body, in, create);
	json_decref(body);
	if (!errors) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

/* ---- handlers -------------------------------------------------------------- */

static void customers_create(api_req *req)
{
	customer_input in;
	char id[API_UUID_LEN];

	memset(&in, 0, sizeof in);
	if (api_uuid_v4(id) != 0) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	if (customer_prepare(req, &in, true))
		customer_write(req, insert_sql, id, &in, 201, "Customer created successfully");
	input_free(&in);
}

static void customers_update(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "customer");
	customer_input in;

	if (!id)
		return;
	memset(&in, 0, sizeof in);
	if (customer_prepare(req, &in, false))
		customer_write(req, update_sql, id, &in, 200, "Customer updated successfully");
	input_free(&in);
}

static void customers_get(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "customer");

	if (id)
		api_get_json(req, select_sql, 1, &id, 0, "customer", &db_map);
}

/* The detach query argument: "true" or "false" (default); -1 with a 422 answered. */
static int detach_arg(api_req *req)
{
	const char *s = api_req_query(req, "detach");

	if (!s || *s == '\0' || strcmp(s, "false") == 0)
		return 0;
	if (strcmp(s, "true") == 0)
		return 1;
	api_reply_invalid(req, "validation failed",
			  json_pack("{s:[s]}", "detach", "must be true or false"));
	return -1;
}

/* Refuses (409) to delete a customer who holds vouchers without detach. */
static bool delete_check(api_req *req, PGconn *conn, const PGresult *res, void *ctx)
{
	char msg[128];

	(void)conn;
	(void)ctx;
	if (strcmp(PQgetvalue(res, 0, 2), "1") == 0)
		return true;
	snprintf(msg, sizeof msg,
		 "the customer holds %s voucher(s); delete with detach=true to keep them "
		 "without a customer",
		 PQgetvalue(res, 0, 1));
	api_reply(req, 409, msg,
		  json_pack("{s:I}", "vouchers_count", (json_int_t)atoll(PQgetvalue(res, 0, 1))));
	return false;
}

static void customers_delete(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "customer");
	const char *params[4];
	PGresult *res;
	char ip[64];
	int detach;

	if (!id || (detach = detach_arg(req)) < 0)
		return;
	api_client_ip(req, ip, sizeof ip);
	params[0] = id;
	params[1] = detach ? "true" : "false";
	params[2] = req->who.admin_id;
	params[3] = ip;
	res = api_write_counted(req, delete_sql, 4, params, "customer", &db_map, delete_check,
				NULL);
	if (!res)
		return;
	api_reply(
		req, 200, "Customer deleted successfully",
		json_pack("{s:I}", "detached_vouchers", (json_int_t)atoll(PQgetvalue(res, 0, 1))));
	PQclear(res);
}

/* ---- lists ---------------------------------------------------------------- */

/* ORDER BY clauses by sort_by and sort_order; the id breaks ties. */
static const api_sort_key sort_keys[] = {
	{"name", "c.name ASC, c.id ASC", "c.name DESC, c.id DESC"},
	{"phone", "c.phone ASC NULLS LAST, c.id ASC", "c.phone DESC NULLS LAST, c.id DESC"},
	{"created_at", "c.created_at ASC, c.id ASC", "c.created_at DESC, c.id DESC"},
};

static void customers_list(api_req *req)
{
	char sql[sizeof list_fmt + 128], pattern[4 * CUSTOMER_SEARCH_MAX * 2 + 3];
	json_t *errors = api_errors_new(req);
	const char *order;
	api_page pg;

	if (!errors)
		return;
	api_query_pattern(req, "search", CUSTOMER_SEARCH_MAX, pattern, errors);
	order = api_sort_arg(req, sort_keys, API_NELEM(sort_keys), "created_at",
			     "must be name, phone or created_at", errors);
	api_page_args(req, &pg, errors);
	if (!api_errors_none(req, errors))
		return;
	snprintf(sql, sizeof sql, list_fmt, order);
	api_list_json(req, sql, 3, (const char *[]){pattern, pg.limit, pg.offset}, &pg, NULL,
		      &db_map);
}

/* A list of the customer's rows by sql (sms_sql or vouchers_sql); 404 for no customer. */
static void customer_children(api_req *req, const char *sql)
{
	const char *id = api_param_uuid(req, 0, "customer");
	json_t *errors;
	api_page pg;

	if (!id || !(errors = api_errors_new(req)))
		return;
	api_page_args(req, &pg, errors);
	if (!api_errors_none(req, errors))
		return;
	api_list_json(req, sql, 3, (const char *[]){id, pg.limit, pg.offset}, &pg, "customer",
		      &db_map);
}

static void customers_communications(api_req *req)
{
	customer_children(req, sms_sql);
}

static void customers_vouchers(api_req *req)
{
	customer_children(req, vouchers_sql);
}

static const api_route routes[] = {
	{"GET", "/api/v1/customers", customers_list, "customers.read"},
	{"POST", "/api/v1/customers", customers_create, "customers.write"},
	{"GET", "/api/v1/customers/:id", customers_get, "customers.read"},
	{"PUT", "/api/v1/customers/:id", customers_update, "customers.write"},
	{"DELETE", "/api/v1/customers/:id", customers_delete, "customers.write"},
	{"GET", "/api/v1/customers/:id/communications", customers_communications, "customers.read"},
	{"GET", "/api/v1/customers/:id/vouchers", customers_vouchers, "customers.read"},
};

const api_module api_mod_customers = {
	.name = "customers",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
