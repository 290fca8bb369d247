/*
 * libFuzzer target: hotspotd's route lookup (api_route_find) and the input
 * checks of api/valid.c.
 *
 * The first input byte picks what the rest is:
 *   0  "METHOD\nPATH": looked up in the route table (hotspotd's own, read
 *      from the file HS_FUZZ_ROUTES names, as `hotspotd routes` prints it;
 *      else a table of the same shapes);
 *   1  "METHOD PATTERN\n"... then "METHOD\nPATH": a table made of the
 *      input's own patterns, then a lookup in it;
 *   2  a request body: api_body_object, then api_text_field on every member;
 *   3  a path segment: api_param_uuid;
 *   4  text: api_utf8_chars and api_has_control.
 * Every lookup is checked against a plain reference matcher written here
 * (segments split on '/', literal beats :name, the first of equals wins);
 * every check against what its contract promises.  A difference aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "common/log.h"

#define TABLE_MAX 256
/* Segments of a path: inputs are at most 4096 bytes (-max_len), each segment a '/'. */
#define SEGS_MAX 4097

static api_route table[TABLE_MAX];
static size_t table_n;
static char *table_text[2 * TABLE_MAX]; /* what table[] points into */

static void no_handler(api_req *req)
{
	(void)req;
	abort(); /* routes are only looked up here, never run */
}

/* http.c's server asks for the joined table; it is never started here. */
const api_route *api_routes_all(size_t *n)
{
	*n = table_n;
	return table;
}

/* The routes of the same shapes as hotspotd's, when no table file is given. */
static const char *const default_routes[] = {
	"GET /health",
	"GET /api/v1/openapi.json",
	"GET /api/v1/router-management",
	"POST /api/v1/router-management",
	"GET /api/v1/router-management/:id",
	"PUT /api/v1/router-management/:id",
	"DELETE /api/v1/router-management/:id",
	"GET /api/v1/vouchers/:id/qr",
	"POST /api/v1/vouchers/batch",
	"GET /api/v1/vouchers/:id",
};

/* Adds "METHOD PATTERN [ABILITY]" to table[]; false when malformed or full. */
static bool table_add(const char *line)
{
	char method[16], pattern[512];

	if (table_n == TABLE_MAX || sscanf(line, "%15s %511s", method, pattern) != 2)
		return false;
	table_text[2 * table_n] = strdup(method);
	table_text[2 * table_n + 1] = strdup(pattern);
	if (!table_text[2 * table_n] || !table_text[2 * table_n + 1])
		abort();
	table[table_n].method = table_text[2 * table_n];
	table[table_n].pattern = table_text[2 * table_n + 1];
	table[table_n].handler = no_handler;
	table_n++;
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *file = getenv("HS_FUZZ_ROUTES");
	char line[1024];
	FILE *fp;

	(void)argc;
	(void)argv;
	hs_log_set_level(HS_LOG_ERROR);
	fp = file ? fopen(file, "r") : NULL;
	if (file && !fp) {
		fprintf(stderr, "fuzz_api_route: cannot read HS_FUZZ_ROUTES %s\n", file);
		exit(1);
	}
	while (fp && fgets(line, sizeof line, fp))
		table_add(line);
	if (fp)
		fclose(fp);
	for (size_t i = 0; table_n == 0 && i < API_NELEM(default_routes); i++)
		table_add(default_routes[i]);
	if (file)
		fprintf(stderr, "fuzz_api_route: %zu routes from %s\n", table_n, file);
	return 0;
}

/* ---- the reference matcher -------------------------------------------------- */

/* Splits s ("/a/b") into its segments after each '/'; -1 when s is not such. */
static int split(const char *s, const char *seg[], size_t len[])
{
	int n = 0;

	if (*s == '\0')
		return 0;
	while (*s == '/') {
		const char *e = strchrnul(s + 1, '/');

		if (n == SEGS_MAX)
			return -1;
		seg[n] = s + 1;
		len[n++] = (size_t)(e - s - 1);
		s = e;
	}
	return *s == '\0' ? n : -1;
}

/* Whether path fits pattern; *np receives the number of :name segments. */
static bool ref_match(const char *pattern, const char *path, size_t *np)
{
	/* static: large, and the target runs one input at a time */
	static const char *ps[SEGS_MAX], *ss[SEGS_MAX];
	static size_t pl[SEGS_MAX], sl[SEGS_MAX];
	int n = split(pattern, ps, pl), m = split(path, ss, sl);

	*np = 0;
	if (n < 0 || m < 0 || n != m)
		return false;
	for (int i = 0; i < n; i++) {
		if (pl[i] > 0 && ps[i][0] == ':') {
			if (sl[i] == 0 || sl[i] >= API_PARAM_MAX || ++*np > API_ROUTE_PARAMS_MAX)
				return false;
		} else if (pl[i] != sl[i] || memcmp(ps[i], ss[i], pl[i]) != 0) {
			return false;
		}
	}
	return true;
}

/* The path's i-th segment, copied into out (API_PARAM_MAX bytes). */
static void segment(const char *path, int i, char *out)
{
	static const char *ss[SEGS_MAX];
	static size_t sl[SEGS_MAX];

	if (split(path, ss, sl) <= i || sl[i] >= API_PARAM_MAX)
		abort();
	memcpy(out, ss[i], sl[i]);
	out[sl[i]] = '\0';
}

/* Checks api_route_find(method, path) in routes[0..n) against the reference. */
static void check_lookup(const api_route *routes, size_t n, const char *method, const char *path)
{
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	char params[API_ROUTE_PARAMS_MAX][API_PARAM_MAX], allow[256], seg[API_PARAM_MAX];
	const api_route *route = NULL, *expect = NULL;
	size_t np = 0, best = 0, k;
	bool path_known = false;
	api_route_match m;

	for (size_t i = 0; i < n; i++) {
		if (!ref_match(routes[i].pattern, path, &k))
			continue;
		path_known = true;
		if (strcmp(routes[i].method, want) == 0 && (!expect || k < best)) {
			expect = &routes[i];
			best = k;
		}
	}
	m = api_route_find(routes, n, method, path, &route, params, &np, allow, sizeof allow);
	if (route != expect)
		abort();
	if (m != (expect ? API_ROUTE_FOUND : path_known ? API_ROUTE_NO_METHOD : API_ROUTE_NO_PATH))
		abort();
	if (m == API_ROUTE_NO_METHOD && allow[0] == '\0')
		abort();
	if (m != API_ROUTE_FOUND)
		return;
	if (np != best)
		abort();
	/* Each captured value is the path's segment where the pattern has :name. */
	{
		static const char *ps[SEGS_MAX];
		static size_t pl[SEGS_MAX];
		size_t c = 0;
		int segs = split(route->pattern, ps, pl);

		for (int i = 0; i < segs; i++) {
			if (pl[i] == 0 || ps[i][0] != ':')
				continue;
			segment(path, i, seg);
			if (c >= np || strcmp(params[c++], seg) != 0)
				abort();
		}
	}
}

/* ---- the inputs ----------------------------------------------------------------- */

/* The NUL-terminated copy of data[0..len) (cut at its first NUL). */
static char *text_of(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* "METHOD\nPATH" at s: looked up in routes. */
static void lookup_text(const api_route *routes, size_t n, char *s)
{
	char *nl = strchr(s, '\n');

	if (!nl)
		return;
	*nl = '\0';
	check_lookup(routes, n, s, nl + 1);
}

/* Mode 1: the input's own table, then a lookup. */
static void own_table(char *s)
{
	char method[8][16], pattern[8][256];
	api_route routes[8];
	size_t n = 0;
	char *line = s, *nl;

	while (n < 8 && (nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (sscanf(line, "%15s %255s", method[n], pattern[n]) != 2) {
			*nl = '\n';
			break;
		}
		routes[n] = (api_route){method[n], pattern[n], no_handler, NULL};
		n++;
		line = nl + 1;
	}
	lookup_text(routes, n, line);
}

/* Resets what api_reply_* left in req. */
static void req_clear(api_req *req)
{
	free(req->reply);
	req->reply = NULL;
	req->reply_len = 0;
	req->status = 0;
}

/* An error answer: the envelope, success false, status as given. */
static void check_error_reply(api_req *req, int status)
{
	json_t *doc = json_loadb(req->reply ? req->reply : "", req->reply_len, 0, NULL);

	if (req->status != status || !json_is_object(doc) ||
	    !json_is_false(json_object_get(doc, "success")) ||
	    !json_is_string(json_object_get(doc, "message")))
		abort();
	if (status == 422 &&
	    !json_is_array(json_object_get(json_object_get(doc, "errors"), "body")))
		abort();
	json_decref(doc);
	req_clear(req);
}

/* Mode 2: the body as a JSON object, and each member as bounded text. */
static void body_checks(const uint8_t *data, size_t len)
{
	api_req req = {0};
	char *copy = text_of(data, len);
	json_t *body, *errors = json_object();
	const char *key;
	json_t *v;

	req.body = copy;
	req.body_len = len;
	body = api_body_object(&req);
	if (!body) {
		check_error_reply(&req, 422);
		goto out;
	}
	if (req.reply)
		abort();
	json_object_foreach(body, key, v)
	{
		const char *s = api_text_field(v, key, 8, errors);

		if (s && (*s == '\0' || api_utf8_chars(s) > 8 || api_has_control(s) ||
			  strlen(s) != json_string_length(v)))
			abort();
		if (!s && !json_is_array(json_object_get(errors, key)))
			abort();
	}
out:
	json_decref(body);
	json_decref(errors);
	free(copy);
}

static bool is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof shape - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-'
				    : !strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return false;
	return true;
}

/* Mode 3: a :id segment. */
static void param_checks(const uint8_t *data, size_t len)
{
	char seg[API_PARAM_MAX];
	api_req req = {0};
	const char *id;

	if (len >= API_PARAM_MAX)
		len = API_PARAM_MAX - 1;
	memcpy(seg, data, len);
	seg[len] = '\0';
	req.params[0] = seg;
	req.nparams = 1;
	id = api_param_uuid(&req, 0, "thing");
	if (id) {
		if (id != seg || !is_uuid(id) || req.reply)
			abort();
	} else {
		check_error_reply(&req, 404);
	}
}

/* Mode 4: character counts and control characters. */
static void text_checks(const uint8_t *data, size_t len)
{
	char *s = text_of(data, len);
	size_t n = strlen(s), lead = 0;
	bool ctl = false;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		lead += (c & 0xc0) != 0x80;
		ctl = ctl || c < 0x20 || c == 0x7f;
	}
	if (api_utf8_chars(s) != lead || api_utf8_chars(s) > n || api_has_control(s) != ctl)
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		s = text_of(data + 1, size - 1);
		lookup_text(table, table_n, s);
		free(s);
		break;
	case 1:
		s = text_of(data + 1, size - 1);
		own_table(s);
		free(s);
		break;
	case 2:
		body_checks(data + 1, size - 1);
		break;
	case 3:
		param_checks(data + 1, size - 1);
		break;
	default:
		text_checks(data + 1, size - 1);
		break;
	}
	return 0;
}
