/*
 * Voucher batches: many vouchers of one profile made at once.
 *
 *   POST /api/v1/vouchers/batch-generate   make a batch (1..10000 vouchers)
 *   GET  /api/v1/vouchers/batches/:id      the batch and its counts by status
 *
 *   hotspotd vouchers generate --tenant SLUG --profile NAME|ID --quantity N
 *            [--prefix P] [--price X] [--currency C]
 *
 * The vouchers are made by SQL (hs_voucher_batch_generate: INSERT ...
 * SELECT over generate_series, codes from the CSPRNG in SQL, a code the
 * tenant already has drawn again), in the caller's tenant transaction.
 * The answer lists the vouchers when the batch has at most
 * BATCH_LIST_MAX of them; larger batches answer with the batch and links
 * (the filtered voucher list and the printable page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "api/vouchers_int.h"
#include "common/db.h"
#include "common/log.h"

#define BATCH_QUANTITY_MAX     10000
#define BATCH_CLI_QUANTITY_MAX 100000
#define BATCH_LIST_MAX         100 /* vouchers listed in the create's answer */
#define BATCH_SMS_MAX          100 /* vouchers a batch may send by SMS */
#define BATCH_NAME_MAX         200
#define BATCH_VALIDITY_H_MAX   87600        /* 10 years */
#define BATCH_DATA_MB_MAX      1073741824.0 /* 1 PiB */
#define BATCH_PREFIX_MAX       16
#define BATCH_CLI_CHUNK        500
#define PROFILE_NAME_MAX       100
#define CUSTOMER_NAME_MAX      200

/* ---- statements ------------------------------------------------------------------ */

/* $1 the batch id: the batch as answers show it. */
#define BATCH_JSON                                                                                 \
	"json_build_object('id', b.id, 'name', b.name, 'profile_id', b.profile_id,"                \
	" 'profile', p.name, 'quantity', b.quantity, 'created_by', b.created_by,"                  \
	" 'created_at', b.created_at, 'counts', (SELECT coalesce(json_object_agg(c.status, c.n),"  \
	" '{}') FROM (SELECT status, count(*) AS n FROM vouchers WHERE batch_id = b.id"            \
	" GROUP BY status) c), 'links', json_build_object('vouchers',"                             \
	" '/api/v1/vouchers?batch_id=' || b.id, 'print', '/api/v1/vouchers/batches/' || b.id"      \
	" || '/print'))"

static const char batch_sql[] = "SELECT " BATCH_JSON "::text FROM voucher_batches b"
				" JOIN profiles p ON p.id = b.profile_id WHERE b.id = $1::uuid";

/* $1 the batch id: its vouchers, when few. */
static const char batch_vouchers_sql[] =
	"SELECT coalesce(json_agg(" API__VOUCHER_JSON " ORDER BY v.code), '[]')::text"
	" FROM vouchers v LEFT JOIN profiles p ON p.id = v.profile_id WHERE v.batch_id = $1::uuid";

/* $1 an id (or NULL), $2 a name: the tenant's profile. */
static const char profile_sql[] =
	"SELECT id FROM profiles WHERE ($1::uuid IS NOT NULL AND id = $1::uuid) OR name = $2"
	" ORDER BY (id = $1::uuid) DESC NULLS LAST LIMIT 1";

static const char generate_sql[] =
	"SELECT hs_voucher_batch_generate($1, $2, $3::int, $4, nullif($5, '')::uuid, $6,"
	" $7::bigint, $8::bigint, $9::numeric, $10, $11::boolean, $12::uuid, $13::uuid)";

/* $1 batch, $2 phone, $3 customer: one SMS per voucher. */
static const char batch_sms_sql[] =
	"SELECT count(hs_voucher_sms_queue(v.id, $2, $3::uuid)) FROM vouchers v"
	" WHERE v.batch_id = $1::uuid";

/* ---- the request ------------------------------------------------------------------- */

/* The members of a batch request, as text parameters (NULL: not given). */
typedef struct {
	char quantity[24];
	const char *profile_id, *profile_name; /* one of them */
	char validity_s[24], data_bytes[24];
	char price[API__MONEY_TEXT_MAX];
	const char *currency, *prefix, *name;
	bool auto_activate, send_sms;
	const char *customer_name, *customer_phone, *router_id;
	long n;
} batch_args;

/* Whether s is a code prefix: 1..16 ASCII letters, digits or '-'. */
static bool prefix_ok(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");
	return n >= 1 && n <= BATCH_PREFIX_MAX && s[n] == '\0';
}

static bool currency_ok(const char *s)
{
	return s && strlen(s) == 3 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

/* profile (an id or a name) or profile_id. */
static void read_profile(const json_t *body, batch_args *a, json_t *errors)
{
	const json_t *v = json_object_get(body, "profile");
	const char *key = "profile";

	if (!v || json_is_null(v)) {
		v = json_object_get(body, "profile_id");
		key = "profile_id";
	}
	if (!v || json_is_null(v)) {
		api_error_add(errors, "profile", "is required (a profile's id or name)");
		return;
	}
	if (!api_text_field(v, key, PROFILE_NAME_MAX, errors))
		return;
	if (hs_db_uuid_valid(json_string_value(v)))
		a->profile_id = json_string_value(v);
	a->profile_name = json_string_value(v);
}

/* quantity, validity_hours and data_limit_mb. */
static void read_numbers(const json_t *body, batch_args *a, json_t *errors)
{
	const json_t *v = json_object_get(body, "quantity");
	double d;

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > BATCH_QUANTITY_MAX)
		api_error_add(errors, "quantity", "must be an integer from 1 to 10000");
	else
		a->n = (long)json_integer_value(v);
	snprintf(a->quantity, sizeof a->quantity, "%ld", a->n);
	v = json_object_get(body, "validity_hours");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > BATCH_VALIDITY_H_MAX)
			api_error_add(errors, "validity_hours",
				      "must be an integer from 1 to 87600");
		else
			snprintf(a->validity_s, sizeof a->validity_s, "%lld",
				 (long long)json_integer_value(v) * 3600);
	}
	v = json_object_get(body, "data_limit_mb");
	d = json_number_value(v);
	if (v && !json_is_null(v)) {
		if (!json_is_number(v) || !(d > 0) || d > BATCH_DATA_MB_MAX || d * 1048576 < 1)
			api_error_add(errors, "data_limit_mb",
				      "must be a positive number of at most 1073741824");
		else
			snprintf(a->data_bytes, sizeof a->data_bytes, "%lld",
				 (long long)(d * 1048576 + 0.5));
	}
}

/* price, currency, code_prefix, name. */
static void read_texts(const json_t *body, batch_args *a, json_t *errors)
{
	const json_t *v = json_object_get(body, "price");

	if (v && !json_is_null(v))
		api__money_text(v, "price", a->price, errors);
	v = json_object_get(body, "currency");
	if (v && !json_is_null(v) && !currency_ok(json_string_value(v)))
		api_error_add(errors, "currency", "must be an ISO 4217 code such as UGX");
	else if (v && !json_is_null(v))
		a->currency = json_string_value(v);
	v = json_object_get(body, "code_prefix");
	if (v && !json_is_null(v) && !prefix_ok(json_string_value(v)))
		api_error_add(errors, "code_prefix", "must be 1 to 16 letters, digits or -");
	else if (v && !json_is_null(v))
		a->prefix = json_string_value(v);
	v = json_object_get(body, "name");
	if (v && !json_is_null(v))
		a->name = api_text_field(v, "name", BATCH_NAME_MAX, errors);
}

/* auto_activate, send_sms, the customer and the router. */
static void read_sale(const json_t *body, batch_args *a, json_t *errors)
{
	static const char *const flags[] = {"auto_activate", "send_sms"};
	const json_t *v;

	for (size_t i = 0; i < API_NELEM(flags); i++) {
		v = json_object_get(body, flags[i]);
		if (v && !json_is_null(v) && !json_is_boolean(v))
			api_error_add(errors, flags[i], "must be true or false");
		else if (v && json_is_true(v))
			*(i ? &a->send_sms : &a->auto_activate) = true;
	}
	v = json_object_get(body, "customer_name");
	if (v && !json_is_null(v))
		a->customer_name = api_text_field(v, "customer_name", CUSTOMER_NAME_MAX, errors);
	v = json_object_get(body, "customer_phone");
	if (v && !json_is_null(v) && !api__phone_ok(json_string_value(v)))
		api_error_add(errors, "customer_phone",
			      "must be a phone number: + and 4-20 digits");
	else if (v && !json_is_null(v))
		a->customer_phone = json_string_value(v);
	v = json_object_get(body, "router_id");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) || !hs_db_uuid_valid(json_string_value(v))))
		api_error_add(errors, "router_id", "must be a UUID");
	else if (v && !json_is_null(v))
		a->router_id = json_string_value(v);
	if (a->send_sms && !a->customer_phone)
		api_error_add(errors, "customer_phone", "is required with send_sms");
	if (a->send_sms && a->n > BATCH_SMS_MAX)
		api_error_add(errors, "send_sms", "a batch sent by SMS has at most 100 vouchers");
}

/* Reads body into a (pointers into body); false with a 422 answered. */
static bool batch_read(api_req *req, const json_t *body, batch_args *a)
{
	json_t *errors = json_object();

	memset(a, 0, sizeof *a);
	if (!errors) {
		api_reply_error(req, 500, "internal error");
		return false;
	}
	read_numbers(body, a, errors);
	read_profile(body, a, errors);
	read_texts(body, a, errors);
	read_sale(body, a, errors);
	if (json_object_size(errors)) {
		api_reply_invalid(req, "validation failed", errors);
		return false;
	}
	json_decref(errors);
	return true;
}

/* ---- the work ------------------------------------------------------------------------ */

/*
 * Runs sql and returns the first column of its first row (malloc'd) in
 * *out, NULL when no row.  Returns the statement's outcome; res_out, when
 * not NULL, receives the failed result for the caller to report.
 */
static hs_db_result query_text(PGconn *conn, const char *sql, int n, const char **params,
			       char **out, PGresult **res_out)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	hs_db_result r = hs_db_classify(conn, res);

	*out = NULL;
	if (r == HS_DB_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		*out = strdup(PQgetvalue(res, 0, 0));
		if (!*out)
			r = HS_DB_ERROR;
	}
	if (r != HS_DB_OK && res_out)
		*res_out = res;
	else
		PQclear(res);
	return r;
}

/* Runs a query and answers its failure; true when it went well. */
static bool run(api_req *req, PGconn *conn, const char *sql, int n, const char **params, char **out)
{
	PGresult *res = NULL;

	if (query_text(conn, sql, n, params, out, &res) == HS_DB_OK)
		return true;
	if (res)
		api__reply_db_failure(req, conn, res, "vouchers", NULL);
	else
		api_reply_error(req, 500, "internal error");
	PQclear(res);
	return false;
}

/* Resolves the profile, router and customer; false with the answer given. */
static bool batch_refs(api_req *req, PGconn *conn, batch_args *a, char **profile, char **customer)
{
	const char *params[2] = {a->profile_id, a->profile_name};
	char *found = NULL;

	if (!run(req, conn, profile_sql, 2, params, profile))
		return false;
	if (!*profile) {
		api_reply_invalid(req, "validation failed",
				  json_pack("{s:[s]}", "profile", "no such profile"));
		return false;
	}
	if (a->router_id) {
		if (!run(req, conn, "SELECT id FROM mikrotik_devices WHERE id = $1", 1,
			 &a->router_id, &found))
			return false;
		if (!found) {
			api_reply_invalid(req, "validation failed",
					  json_pack("{s:[s]}", "router_id", "no such router"));
			return false;
		}
		free(found);
	}
	params[0] = a->customer_phone;
	params[1] = a->customer_name;
	if (a->customer_phone)
		return run(req, conn, API__CUSTOMER_SQL("1", "2"), 2, params, customer);
	if (a->customer_name)
		return run(
			req, conn,
			"INSERT INTO customers (tenant_id, name) VALUES (hs_current_tenant(), $2)"
			" RETURNING id, $1::text",
			2, params, customer);
	return true;
}

/* The generate_sql parameters for a (the ids and count given apart). */
static void generate_params(const char **p, const char *batch, const char *profile,
			    const char *quantity, const char *admin, const batch_args *a,
			    const char *customer)
{
	p[0] = batch;
	p[1] = profile;
	p[2] = quantity;
	p[3] = a->name;
	p[4] = admin;
	p[5] = a->prefix;
	p[6] = a->validity_s[0] ? a->validity_s : NULL;
	p[7] = a->data_bytes[0] ? a->data_bytes : NULL;
	p[8] = a->price[0] ? a->price : NULL;
	p[9] = a->currency;
	p[10] = a->auto_activate ? "true" : "false";
	p[11] = customer;
	p[12] = a->router_id;
}

/* The create's answer: the batch, and its vouchers when few. */
static json_t *batch_answer(api_req *req, PGconn *conn, const char *batch, long n, long sms)
{
	char *text = NULL, *list = NULL;
	json_t *data = NULL;

	if (!run(req, conn, batch_sql, 1, &batch, &text))
		return NULL;
	if (n <= BATCH_LIST_MAX && !run(req, conn, batch_vouchers_sql, 1, &batch, &list))
		goto out;
	data = json_pack("{s:o, s:o*, s:I}", "batch", json_loads(text ? text : "", 0, NULL),
			 "vouchers", list ? json_loads(list, 0, NULL) : NULL, "sms_queued",
			 (json_int_t)sms);
	if (!data)
		api_reply_error(req, 500, "internal error");
out:
	free(text);
	free(list);
	return data;
}

/* Makes the batch in conn's transaction; the answer's data, or NULL answered. */
static json_t *batch_make(api_req *req, PGconn *conn, batch_args *a, const json_t *body)
{
	char batch[API_UUID_LEN], *profile = NULL, *customer = NULL, *made = NULL, *sms = NULL;
	const char *params[13];
	json_t *data = NULL;

	if (api_uuid_v4(batch) != 0) {
		api_reply_error(req, 500, "internal error");
		return NULL;
	}
	if (!batch_refs(req, conn, a, &profile, &customer))
		goto out;
	generate_params(params, batch, profile, a->quantity, req->who.admin_id, a, customer);
	if (!run(req, conn, generate_sql, 13, params, &made))
		goto out;
	params[0] = batch;
	params[1] = a->customer_phone;
	params[2] = customer;
	if (a->send_sms && !run(req, conn, batch_sms_sql, 3, params, &sms))
		goto out;
	if (api__audit(conn, req, "voucher.batch_generate", "voucher_batch", batch,
		       json_pack("{s:I, s:s, s:o}", "quantity", (json_int_t)a->n, "profile_id",
				 profile, "fields", api__member_names(body))) != HS_DB_OK) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	data = batch_answer(req, conn, batch, a->n, sms ? atol(sms) : 0);
out:
	free(profile);
	free(customer);
	free(made);
	free(sms);
	return data;
}

static void batch_generate(api_req *req)
{
	json_t *body = api_body_object(req), *data = NULL;
	PGconn *conn = NULL;
	batch_args a;

	if (!body || !batch_read(req, body, &a))
		goto out;
	conn = api_tx_begin(req);
	if (!conn)
		goto out;
	data = batch_make(req, conn, &a, body);
	if (!data)
		goto out;
	if (api__commit(req, conn)) {
		api_reply(req, 201, "Vouchers generated successfully", data);
		data = NULL;
	}
	conn = NULL;
out:
	json_decref(data);
	json_decref(body);
	api_tx_end(req, conn, false);
}

static void batch_get(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "batch");
	PGconn *conn;
	char *text = NULL;
	json_t *data;

	if (!id)
		return;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	if (!run(req, conn, batch_sql, 1, &id, &text))
		goto out;
	if (!text) {
		api_reply_error(req, 404, "batch not found");
		goto out;
	}
	data = json_loads(text, 0, NULL);
	api_reply(req, data ? 200 : 500, data ? "ok" : "internal error", data);
out:
	free(text);
	api_tx_end(req, conn, false);
}

/* ---- hotspotd vouchers generate ------------------------------------------------------------ */

typedef struct {
	const char *tenant, *profile, *prefix, *price, *currency;
	long quantity;
	bool quiet;
} cli_args;

static int cli_usage(const char *msg)
{
	fprintf(stderr, "hotspotd: vouchers generate: %s (see hotspotd vouchers generate --help)\n",
		msg);
	return 2;
}

/* Whether s is a decimal amount: digits, optionally '.' and 1-4 digits. */
static bool amount_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n < 1 || n > 13)
		return false;
	if (s[n] == '\0')
		return true;
	return s[n] == '.' && strspn(s + n + 1, "0123456789") >= 1 &&
	       strspn(s + n + 1, "0123456789") <= 4 &&
	       s[n + 1 + strspn(s + n + 1, "0123456789")] == '\0';
}

/* Parses the command's options into a; 0, or 2 (reported) on bad usage. */
static int cli_parse(int argc, char **argv, cli_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--quiet") == 0) {
			a->quiet = true;
			continue;
		}
		if (!v)
			return cli_usage("an option needs a value");
		i++;
		if (strcmp(o, "--tenant") == 0)
			a->tenant = v;
		else if (strcmp(o, "--profile") == 0)
			a->profile = v;
		else if (strcmp(o, "--prefix") == 0)
			a->prefix = v;
		else if (strcmp(o, "--price") == 0)
			a->price = v;
		else if (strcmp(o, "--currency") == 0)
			a->currency = v;
		else if (strcmp(o, "--quantity") == 0) {
			char *end;

			a->quantity = strtol(v, &end, 10);
			if (*v < '0' || *v > '9' || *end || a->quantity < 1 ||
			    a->quantity > BATCH_CLI_QUANTITY_MAX)
				return cli_usage("--quantity must be an integer from 1 to 100000");
		} else
			return cli_usage("unknown option");
	}
	if (!a->tenant || !a->profile || !a->quantity)
		return cli_usage("--tenant, --profile and --quantity are required");
	if (a->prefix && !prefix_ok(a->prefix))
		return cli_usage("--prefix must be 1 to 16 letters, digits or -");
	if (a->price && !amount_ok(a->price))
		return cli_usage("--price must be an amount such as 5000 or 10.50");
	if (a->currency && !currency_ok(a->currency))
		return cli_usage("--currency must be an ISO 4217 code such as UGX");
	if (strlen(a->profile) > PROFILE_NAME_MAX || strlen(a->tenant) > 63)
		return cli_usage("--tenant or --profile is too long");
	return 0;
}

/* Draws the progress bar on stderr: done of total. */
static void cli_progress(long done, long total)
{
	int width = 40, fill = (int)(done * width / total);

	fprintf(stderr, "\r[%.*s%*s] %ld/%ld", fill, "########################################",
		width - fill, "", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Prints the batch's codes and passwords, a line each (code TAB password). */
static int cli_print_codes(PGconn *conn, const char *batch)
{
	PGresult *res = PQexecParams(conn,
				     "SELECT code, password FROM vouchers WHERE batch_id = $1::uuid"
				     " ORDER BY code",
				     1, NULL, &batch, NULL, NULL, 0);
	int rc = hs_db_classify(conn, res) == HS_DB_OK ? 0 : 1;

	for (int i = 0; rc == 0 && i < PQntuples(res); i++)
		printf("%s\t%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	PQclear(res);
	return rc;
}

/* A failed statement, on stderr; returns 1. */
static int cli_fail(PGconn *conn, PGresult *res, const char *what)
{
	char err[512];

	hs_db_errmsg(conn, res, err, sizeof err);
	fprintf(stderr, "\nhotspotd: vouchers generate: %s: %s\n", what, err);
	PQclear(res);
	return 1;
}

/* Finds the tenant and profile and opens the tenant's transaction. */
static int cli_begin(PGconn *conn, const cli_args *a, char **profile)
{
	const char *params[2] = {a->tenant, NULL};
	PGresult *res = NULL;
	char *tenant = NULL, err[512];
	int rc = 1;

	if (query_text(conn, "SELECT hs_tenant_by_slug($1)", 1, params, &tenant, &res) != HS_DB_OK)
		return cli_fail(conn, res, "tenant");
	if (!tenant) {
		fprintf(stderr, "hotspotd: vouchers generate: no active tenant %s\n", a->tenant);
		return 1;
	}
	if (hs_db_tx_tenant(conn, tenant, err, sizeof err) != HS_DB_OK) {
		fprintf(stderr, "hotspotd: vouchers generate: %s\n", err);
		goto out;
	}
	params[0] = hs_db_uuid_valid(a->profile) ? a->profile : NULL;
	params[1] = a->profile;
	if (query_text(conn, profile_sql, 2, params, profile, &res) != HS_DB_OK) {
		rc = cli_fail(conn, res, "profile");
		goto out;
	}
	if (!*profile) {
		fprintf(stderr, "hotspotd: vouchers generate: tenant %s has no profile %s\n",
			a->tenant, a->profile);
		goto out;
	}
	rc = 0;
out:
	free(tenant);
	return rc;
}

/* Adds the vouchers in chunks (one transaction), drawing progress. */
static int cli_generate(PGconn *conn, const cli_args *a, const char *profile, const char *batch)
{
	bool tty = isatty(STDERR_FILENO);
	batch_args b = {.prefix = a->prefix, .currency = a->currency};
	const char *params[13];
	PGresult *res = NULL;
	char n[24], *made = NULL;

	if (a->price)
		snprintf(b.price, sizeof b.price, "%s", a->price);
	for (long done = 0; done < a->quantity;) {
		long k =
			a->quantity - done < BATCH_CLI_CHUNK ? a->quantity - done : BATCH_CLI_CHUNK;

		snprintf(n, sizeof n, "%ld", k);
		generate_params(params, batch, profile, n, "", &b, NULL);
		if (query_text(conn, generate_sql, 13, params, &made, &res) != HS_DB_OK)
			return cli_fail(conn, res, "generate");
		free(made);
		done += k;
		if (tty)
			cli_progress(done, a->quantity);
	}
	return 0;
}

static int cli_run(const hs_config *cfg, int argc, char **argv)
{
	char err[512], batch[API_UUID_LEN], *profile = NULL;
	const char *params[2];
	PGconn *conn = NULL;
	PGresult *res;
	cli_args a;
	int rc = cli_parse(argc, argv, &a);

	if (rc != 0)
		return rc;
	rc = 1;
	if (api_uuid_v4(batch) != 0)
		return 1;
	conn = hs_db_connect(cfg, HS_DB_ROLE_API, err, sizeof err);
	if (!conn) {
		fprintf(stderr, "hotspotd: vouchers generate: %s\n", err);
		return 1;
	}
	if (cli_begin(conn, &a, &profile) != 0 || cli_generate(conn, &a, profile, batch) != 0)
		goto out;
	params[0] = batch;
	params[1] = "{\"via\": \"cli\"}";
	res = PQexecParams(
		conn,
		"INSERT INTO audit_log (tenant_id, action, object_type, object_id, details)"
		" SELECT hs_current_tenant(), 'voucher.batch_generate', 'voucher_batch',"
		" $1, $2::jsonb",
		2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		cli_fail(conn, res, "audit");
		goto out;
	}
	PQclear(res);
	if (!a.quiet && cli_print_codes(conn, batch) != 0)
		goto out;
	res = PQexec(conn, "COMMIT");
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		cli_fail(conn, res, "commit");
		goto out;
	}
	PQclear(res);
	fflush(stdout);
	fprintf(stderr, "batch %s: %ld vouchers of profile %s for tenant %s\n", batch, a.quantity,
		a.profile, a.tenant);
	rc = 0;
out:
	free(profile);
	PQfinish(conn);
	return rc;
}

static const api_route routes[] = {
	{"POST", "/api/v1/vouchers/batch-generate", batch_generate, "vouchers.write"},
	{"GET", "/api/v1/vouchers/batches/:id", batch_get, "vouchers.read"},
};

static const api_command commands[] = {
	{"vouchers", "generate",
	 "vouchers generate --tenant SLUG --profile NAME|ID --quantity N [--prefix P] "
	 "[--price X] [--currency C] [--quiet]",
	 "make a batch of vouchers for a tenant; prints code TAB password per line",
	 "  --tenant SLUG      the tenant's slug\n"
	 "  --profile NAME|ID  the profile whose terms the vouchers copy\n"
	 "  --quantity N       how many (1-100000)\n"
	 "  --prefix P         code prefix (1-16 letters, digits or -; default the tenant's)\n"
	 "  --price X          price in major units (5000, 10.50; default the profile's)\n"
	 "  --currency C       ISO 4217 currency (default the profile's; needs --price)\n"
	 "  --quiet            print no codes, only the summary\n"
	 "Codes go to stdout, one \"CODE<TAB>PASSWORD\" line each; a progress bar (on a\n"
	 "terminal) and the summary line go to stderr.  Runs as DB_USERNAME in the\n"
	 "tenant's row-level security, in one transaction: all or nothing.\n",
	 cli_run},
};

const api_module api_mod_voucher_batch = {
	.name = "voucher_batch",
	.routes = routes,
	.nroutes = API_NELEM(routes),
	.commands = commands,
	.ncommands = API_NELEM(commands),
};
