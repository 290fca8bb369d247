/*
 * POST /api/v1/router-management/import: routers from a CSV file.
 *
 * The body is the CSV itself (Content-Type: text/csv) or JSON {"csv":
 * "..."}.  The first record is the header, naming the columns in any order
 * (the seed's file: name,ip_address,api_port,username,password,region,
 * district,lat,lng; also api_ssl, coa_port, radius_secret, address).
 * Fields follow RFC 4180: separated by commas, records by CRLF or LF, a
 * field in double quotes may hold commas, line breaks and "" for a quote.
 * Blank lines are skipped; a UTF-8 byte order mark is allowed.
 *
 * A file that cannot be read as such (broken quoting, no header, an
 * unknown or repeated column, more data rows than ROUTER_IMPORT_MAX_ROWS)
 * is refused whole with 422 on "csv".  Otherwise each row is created on
 * its own, through the same handler (and so the same checks, sealing,
 * address restriction and audit) as POST /api/v1/router-management, in its
 * own transaction: a failing row does not stop the others.  The answer
 * lists every row: created (with its id, and the RADIUS secret generated
 * for it, shown this once) or error (with the message and the per-field
 * errors).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "common/log.h"
#include "common/text.h"

#define CSV_FIELD_MAX   1024 /* bytes of one field */
#define CSV_COLUMNS_MAX 32

/* One record: its fields (malloc'd) and the line it starts on. */
typedef struct {
	char **f;
	size_t n;
	long line;
} csv_row;

typedef struct {
	csv_row *rows;
	size_t n, cap;
} csv_rows;

static void rows_free(csv_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->rows[i].n; k++)
			free(r->rows[i].f[k]);
		free(r->rows[i].f);
	}
	free(r->rows);
	memset(r, 0, sizeof *r);
}

/* ---- RFC 4180 ---------------------------------------------------------------- */

/* The reader's position and the field being read. */
typedef struct {
	const char *s;
	size_t len, pos;
	long line;
	char field[CSV_FIELD_MAX + 1];
	size_t flen;
	char *err;
	size_t errlen;
} csv_reader;

static bool at_eol(const csv_reader *r)
{
	return r->pos >= r->len || r->s[r->pos] == '\n' ||
	       (r->s[r->pos] == '\r' && r->pos + 1 < r->len && r->s[r->pos + 1] == '\n');
}

static void skip_eol(csv_reader *r)
{
	if (r->pos < r->len && r->s[r->pos] == '\r')
		r->pos++;
	if (r->pos < r->len && r->s[r->pos] == '\n')
		r->pos++;
	r->line++;
}

/* Appends c to the field; false with an error when it is full. */
static bool field_add(csv_reader *r, char c)
{
	if (r->flen == CSV_FIELD_MAX) {
		snprintf(r->err, r->errlen, "line %ld: a field is longer than %d bytes", r->line,
			 CSV_FIELD_MAX);
		return false;
	}
	r->field[r->flen++] = c;
	return true;
}

/* Reads a quoted field (at its opening quote); false with an error. */
static bool read_quoted(csv_reader *r)
{
	long start = r->line;

	for (r->pos++; r->pos < r->len; r->pos++) {
		char c = r->s[r->pos];

		if (c == '"' && r->pos + 1 < r->len && r->s[r->pos + 1] == '"') {
			r->pos++;
		} else if (c == '"') {
			r->pos++;
			if (r->pos < r->len && r->s[r->pos] != ',' && !at_eol(r)) {
				snprintf(r->err, r->errlen,
					 "line %ld: text after the closing quote of a field",
					 r->line);
				return false;
			}
			return true;
		} else if (c == '\n') {
			r->line++;
		}
		if (!field_add(r, c))
			return false;
	}
	snprintf(r->err, r->errlen, "line %ld: a quoted field is never closed", start);
	return false;
}

/* Reads an unquoted field; false with an error. */
static bool read_plain(csv_reader *r)
{
	for (; r->pos < r->len && r->s[r->pos] != ',' && !at_eol(r); r->pos++) {
		if (r->s[r->pos] == '"') {
			snprintf(r->err, r->errlen,
				 "line %ld: a quote inside a field that does not start with one",
				 r->line);
			return false;
		}
		if (!field_add(r, r->s[r->pos]))
			return false;
	}
	return true;
}

/* Appends the field read to row; false when out of memory or too many. */
static bool row_add(csv_reader *r, csv_row *row)
{
	char **f;

	if (row->n == CSV_COLUMNS_MAX) {
		snprintf(r->err, r->errlen, "line %ld: more than %d fields", r->line,
			 CSV_COLUMNS_MAX);
		return false;
	}
	f = realloc(row->f, (row->n + 1) * sizeof *f);
	if (!f || !(f[row->n] = strndup(r->field, r->flen))) {
		if (f)
			row->f = f;
		snprintf(r->err, r->errlen, "out of memory");
		return false;
	}
	row->f = f;
	row->n++;
	return true;
}

/* Reads one record into row; false with an error. */
static bool read_record(csv_reader *r, csv_row *row)
{
	row->line = r->line;
	for (;;) {
		r->flen = 0;
		if (r->pos < r->len && r->s[r->pos] == '"' ? !read_quoted(r) : !read_plain(r))
			return false;
		if (!row_add(r, row))
			return false;
		if (r->pos < r->len && r->s[r->pos] == ',') {
			r->pos++;
			continue;
		}
		skip_eol(r);
		return true;
	}
}

/* Appends row to rows (taking its fields); false when out of memory. */
static bool rows_push(csv_rows *rows, csv_row *row)
{
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? 2 * rows->cap : 16;
		csv_row *v = realloc(rows->rows, cap * sizeof *v);

		if (!v)
			return false;
		rows->rows = v;
		rows->cap = cap;
	}
	rows->rows[rows->n++] = *row;
	memset(row, 0, sizeof *row);
	return true;
}

/*
 * Parses the CSV text s (len bytes) into rows, the header first; blank
 * lines are skipped.  At most max_rows + 1 records are kept: more makes it
 * fail.  0, or -1 with the reason in err.
 */
static int csv_parse(const char *s, size_t len, size_t max_rows, csv_rows *rows, char *err,
		     size_t errlen)
{
	csv_reader r = {.s = s, .len = len, .line = 1, .err = err, .errlen = errlen};
	csv_row row = {0};
	int rc = -1;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		r.pos = 3;
	while (r.pos < r.len) {
		if (at_eol(&r)) {
			skip_eol(&r);
			continue;
		}
		if (!read_record(&r, &row))
			goto out;
		if (rows->n == max_rows + 1) {
			snprintf(err, errlen, "more than %zu rows (ROUTER_IMPORT_MAX_ROWS)",
				 max_rows);
			goto out;
		}
		if (!rows_push(rows, &row)) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t k = 0; k < row.n; k++)
		free(row.f[k]);
	free(row.f);
	return rc;
}

/* ---- columns ------------------------------------------------------------------ */

typedef enum {
	C_NAME,
	C_IP,
	C_PORT,
	C_SSL,
	C_USER,
	C_PASSWORD,
	C_SECRET,
	C_COA,
	C_REGION,
	C_DISTRICT,
	C_ADDRESS,
	C_LAT,
	C_LNG,
	C__COUNT
} column;

static const char *const column_names[C__COUNT] = {
	"name",     "ip_address", "api_port", "api_ssl", "username", "password", "radius_secret",
	"coa_port", "region",     "district", "address", "lat",      "lng",
};

/* Maps the header's fields to columns (index of each column, -1 absent); false with err. */
static bool header_map(const csv_row *h, int map[C__COUNT], char *err, size_t errlen)
{
	for (int c = 0; c < C__COUNT; c++)
		map[c] = -1;
	for (size_t i = 0; i < h->n; i++) {
		int c;

		for (c = 0; c < C__COUNT; c++)
			if (strcasecmp(h->f[i], column_names[c]) == 0)
				break;
		if (c == C__COUNT || map[c] >= 0) {
			/* At most 64 bytes of the name, cut between characters. */
			snprintf(err, errlen, "header: %s column \"%.*s\"",
				 c == C__COUNT ? "unknown" : "repeated",
				 (int)api_utf8_prefix(h->f[i], 64), h->f[i]);
			return false;
		}
		map[c] = (int)i;
	}
	if (map[C_NAME] < 0 || map[C_IP] < 0) {
		snprintf(err, errlen, "header: the columns name and ip_address are required");
		return false;
	}
	return true;
}

/* ---- one row --------------------------------------------------------------------- */

/* The row's field of column c, or NULL when absent or empty. */
static const char *cell(const csv_row *row, const int map[C__COUNT], column c)
{
	const char *s = map[c] >= 0 ? row->f[map[c]] : NULL;

	return s && *s ? s : NULL;
}

/* An integer field as a JSON integer, anything else as the string (refused later). */
static json_t *int_value(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return *end || end == s ? json_string(s) : json_integer(v);
}

static json_t *num_value(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	return *end || end == s ? json_string(s) : json_real(v);
}

static json_t *bool_value(const char *s)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"))
		return json_true();
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0"))
		return json_false();
	return json_string(s);
}

/* location {region, district, address, coordinates {lat, lng}} of the row, or NULL. */
static json_t *row_location(const csv_row *row, const int map[C__COUNT])
{
	json_t *loc = json_object(), *coords = NULL;
	const char *lat = cell(row, map, C_LAT), *lng = cell(row, map, C_LNG);

	if (cell(row, map, C_REGION))
		json_object_set_new(loc, "region", json_string(cell(row, map, C_REGION)));
	if (cell(row, map, C_DISTRICT))
		json_object_set_new(loc, "district", json_string(cell(row, map, C_DISTRICT)));
	if (cell(row, map, C_ADDRESS))
		json_object_set_new(loc, "address", json_string(cell(row, map, C_ADDRESS)));
	if (lat || lng) {
		coords = json_object();
		json_object_set_new(coords, "lat", lat ? num_value(lat) : json_null());
		json_object_set_new(coords, "lng", lng ? num_value(lng) : json_null());
		json_object_set_new(loc, "coordinates", coords);
	}
	if (json_object_size(loc) == 0) {
		json_decref(loc);
		return NULL;
	}
	return loc;
}

/* The create body of a row, as POST /api/v1/router-management takes it. */
static json_t *row_body(const csv_row *row, const int map[C__COUNT])
{
	static const column texts[] = {C_NAME, C_IP, C_USER, C_PASSWORD, C_SECRET};
	json_t *body = json_object(), *loc = row_location(row, map);

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (cell(row, map, texts[i]))
			json_object_set_new(body, column_names[texts[i]],
					    json_string(cell(row, map, texts[i])));
	if (cell(row, map, C_PORT))
		json_object_set_new(body, "api_port", int_value(cell(row, map, C_PORT)));
	if (cell(row, map, C_COA))
		json_object_set_new(body, "coa_port", int_value(cell(row, map, C_COA)));
	if (cell(row, map, C_SSL))
		json_object_set_new(body, "api_ssl", bool_value(cell(row, map, C_SSL)));
	if (loc)
		json_object_set_new(body, "location", loc);
	return body;
}

/* The create route of the routers module. */
static api_handler create_handler(void)
{
	for (size_t i = 0; i < api_mod_routers.nroutes; i++) {
		const api_route *r = &api_mod_routers.routes[i];

		if (strcmp(r->method, "POST") == 0 &&
		    strcmp(r->pattern, "/api/v1/router-management") == 0)
			return r->handler;
	}
	return NULL;
}

/* The result entry of a create answer (status, reply) for data row n. */
static json_t *row_result(size_t n, const csv_row *row, int status, const char *reply)
{
	json_t *env = reply ? json_loads(reply, 0, NULL) : NULL,
	       *data = json_object_get(env, "data");
	const char *message = json_string_value(json_object_get(env, "message"));
	json_t *out;

	if (status == 201)
		out = json_pack("{s:I, s:I, s:s, s:O?, s:O?, s:O?}", "row", (json_int_t)n, "line",
				(json_int_t)row->line, "status", "created", "id",
				json_object_get(data, "id"), "name", json_object_get(data, "name"),
				"radius_secret", json_object_get(data, "radius_secret"));
	else
		out = json_pack("{s:I, s:I, s:s, s:s, s:O?}", "row", (json_int_t)n, "line",
				(json_int_t)row->line, "status", "error", "message",
				message ? message : "internal error", "errors",
				json_object_get(env, "errors"));
	json_decref(env);
	return out;
}

/* Creates the router of row n through the create handler; its result entry. */
static json_t *row_create(api_req *req, api_handler create, size_t n, const csv_row *row,
			  const int map[C__COUNT], size_t ncolumns)
{
	json_t *body, *out;
	api_req sub;
	char *text;

	if (row->n != ncolumns) {
		char msg[96];

		snprintf(msg, sizeof msg, "the row has %zu fields, the header %zu", row->n,
			 ncolumns);
		return json_pack("{s:I, s:I, s:s, s:s}", "row", (json_int_t)n, "line",
				 (json_int_t)row->line, "status", "error", "message", msg);
	}
	body = row_body(row, map);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return row_result(n, row, 500, NULL);
	memset(&sub, 0, sizeof sub);
	sub.app = req->app;
	sub.method = "POST";
	sub.path = "/api/v1/router-management";
	sub.body = text;
	sub.body_len = strlen(text);
	sub.who = req->who;
	sub.conn = req->conn;
	create(&sub);
	out = row_result(n, row, sub.reply ? sub.status : 500, sub.reply);
	/* The create handler answers with JSON and no extra headers. */
	free(sub.reply);
	explicit_bzero(text, sub.body_len);
	free(text);
	return out;
}

/* ---- the request -------------------------------------------------------------------- */

/* Whether the request says its body is CSV. */
static bool body_is_csv(const api_req *req)
{
	const char *ct = api_req_header(req, "Content-Type");

	return ct && strncasecmp(ct, "text/csv", 8) == 0;
}

/*
 * The CSV text of the request into *s and *len (pointing into req or *owned,
 * which the caller frees); false with a 422 answered.
 */
static bool csv_text(api_req *req, const char **s, size_t *len, json_t **owned)
{
	json_t *v;

	*owned = NULL;
	if (body_is_csv(req)) {
		*s = req->body;
		*len = req->body_len;
		return true;
	}
	*owned = api_body_object(req);
	if (!*owned)
		return false;
	v = json_object_get(*owned, "csv");
	if (!json_is_string(v)) {
		api_reply_invalid(req, "validation failed",
				  json_pack("{s:[s]}", "csv", "is required: the CSV file as text"));
		return false;
	}
	*s = json_string_value(v);
	*len = json_string_length(v);
	return true;
}

/* Creates every data row and answers with the results. */
static void import_rows(api_req *req, const csv_rows *rows, const int map[C__COUNT])
{
	api_handler create = create_handler();
	json_t *results = json_array();
	size_t created = 0;
	char msg[96];

	for (size_t i = 1; create && i < rows->n; i++) {
		json_t *r = row_create(req, create, i, &rows->rows[i], map, rows->rows[0].n);

		if (strcmp(json_string_value(json_object_get(r, "status")), "created") == 0)
			created++;
		json_array_append_new(results, r);
	}
	if (!create) {
		json_decref(results);
		api_reply_error(req, 500, "internal error");
		return;
	}
	snprintf(msg, sizeof msg, "Import finished: %zu created, %zu failed", created,
		 rows->n - 1 - created);
	api_reply(req, 200, msg,
		  json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)(rows->n - 1), "created",
			    (json_int_t)created, "failed", (json_int_t)(rows->n - 1 - created),
			    "rows", results));
}

static void routers_import(api_req *req)
{
	const char *s = NULL;
	json_t *owned = NULL;
	csv_rows rows = {0};
	int map[C__COUNT];
	char err[160];
	size_t len = 0;

	if (!csv_text(req, &s, &len, &owned))
		goto out;
	if (strlen(s) != len) {
		snprintf(err, sizeof err, "holds a NUL byte");
		goto invalid;
	}
	if (!hs_utf8_text(s, len)) {
		snprintf(err, sizeof err, "is not UTF-8 text");
		goto invalid;
	}
	if (csv_parse(s, len, (size_t)req->app->cfg->router_import_max_rows, &rows, err,
		      sizeof err) != 0)
		goto invalid;
	if (rows.n == 0) {
		snprintf(err, sizeof err, "is empty: a header and at least one row are needed");
		goto invalid;
	}
	if (!header_map(&rows.rows[0], map, err, sizeof err))
		goto invalid;
	if (rows.n == 1) {
		snprintf(err, sizeof err, "has a header but no rows");
		goto invalid;
	}
	import_rows(req, &rows, map);
	goto out;
invalid:
	api_reply_invalid(req, "validation failed", json_pack("{s:[s]}", "csv", err));
out:
	rows_free(&rows);
	json_decref(owned);
}

static const api_route routes[] = {
	{"POST", "/api/v1/router-management/import", routers_import, "routers.write"},
};

const api_module api_mod_router_import = {
	.name = "router_import",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
