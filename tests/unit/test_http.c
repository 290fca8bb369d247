/* HTTP: route lookup (404 apart from 405, :name captures) and the envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "api/http.h"

static void h_any(api_req *req)
{
	(void)req;
}

static const api_route routes[] = {
	{"GET", "/health", h_any, NULL},
	{"POST", "/routers", h_any, "routers.write"},
	{"GET", "/routers/:id", h_any, "routers.read"},
	{"DELETE", "/routers/:id", h_any, "routers.write"},
	{"GET", "/routers/:id/vouchers/:code", h_any, "vouchers.read"},
	{"GET", "/", h_any, NULL},
};

typedef struct {
	const char *method, *path;
	api_route_match want;
	int route;             /* index in routes when FOUND */
	const char *params[2]; /* captured values when FOUND */
	const char *allow;     /* when NO_METHOD */
} route_case;

static const route_case route_cases[] = {
	{"GET", "/health", API_ROUTE_FOUND, 0, {NULL}, NULL},
	{"HEAD", "/health", API_ROUTE_FOUND, 0, {NULL}, NULL},
	{"POST", "/health", API_ROUTE_NO_METHOD, 0, {NULL}, "GET, HEAD"},
	{"GET", "/nope", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "/health/", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "/healthz", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "/Health", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "/", API_ROUTE_FOUND, 5, {NULL}, NULL},
	{"POST", "/routers", API_ROUTE_FOUND, 1, {NULL}, NULL},
	{"GET", "/routers", API_ROUTE_NO_METHOD, 0, {NULL}, "POST"},
	{"GET", "/routers/r1", API_ROUTE_FOUND, 2, {"r1"}, NULL},
	{"DELETE", "/routers/r1", API_ROUTE_FOUND, 3, {"r1"}, NULL},
	{"PUT", "/routers/r1", API_ROUTE_NO_METHOD, 0, {NULL}, "GET, HEAD, DELETE"},
	{"GET", "/routers/", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "/routers//vouchers/x", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "/routers/r1/vouchers/ABC", API_ROUTE_FOUND, 4, {"r1", "ABC"}, NULL},
	{"GET", "/routers/r1/vouchers", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
	{"GET", "/routers/r1/vouchers/ABC/x", API_ROUTE_NO_PATH, 0, {NULL}, NULL},
};

static void test_route_case(void **state)
{
	const route_case *c = *state;
	const api_route *route = NULL;
	char params[API_ROUTE_PARAMS_MAX][API_PARAM_MAX];
	char allow[64];
	size_t np = 99;
	api_route_match m;

	m = api_route_find(routes, sizeof(routes) / sizeof(routes[0]), c->method, c->path, &route,
			   params, &np, allow, sizeof(allow));
	assert_int_equal(m, c->want);
	if (m == API_ROUTE_FOUND) {
		size_t want_np = 0;

		assert_ptr_equal(route, &routes[c->route]);
		while (want_np < 2 && c->params[want_np])
			want_np++;
		assert_int_equal(np, want_np);
		for (size_t i = 0; i < want_np; i++)
			assert_string_equal(params[i], c->params[i]);
	} else {
		assert_int_equal(np, 0);
	}
	if (m == API_ROUTE_NO_METHOD)
		assert_string_equal(allow, c->allow);
}

/* A segment longer than a parameter can hold does not match. */
static void test_route_long_segment(void **state)
{
	char path[512] = "/routers/";
	char params[API_ROUTE_PARAMS_MAX][API_PARAM_MAX];
	const api_route *route = NULL;
	size_t np;

	(void)state;
	memset(path + 9, 'a', 300);
	path[309] = '\0';
	assert_int_equal(api_route_find(routes, sizeof(routes) / sizeof(routes[0]), "GET", path,
					&route, params, &np, NULL, 0),
			 API_ROUTE_NO_PATH);
}

static void test_envelope(void **state)
{
	json_t *env;
	char *text;

	(void)state;
	env = api_envelope(true, "ok", json_pack("{s:i}", "n", 1));
	text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"data\":{\"n\":1},\"message\":\"ok\",\"success\":true}");
	free(text);
	json_decref(env);
	env = api_envelope(false, NULL, NULL);
	text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"data\":null,\"message\":\"\",\"success\":false}");
	free(text);
	json_decref(env);
}

static json_t *reply_of(api_req *req)
{
	json_t *doc = json_loads(req->reply, 0, NULL);

	assert_non_null(doc);
	return doc;
}

static void test_reply_status_and_success(void **state)
{
	static const struct {
		int status;
		bool success;
	} rows[] = {{200, true},  {201, true},  {399, true},
		    {400, false}, {404, false}, {503, false}};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		api_req req = {0};
		json_t *doc;

		api_reply(&req, rows[i].status, "m", NULL);
		assert_int_equal(req.status, rows[i].status);
		doc = reply_of(&req);
		assert_int_equal(json_is_true(json_object_get(doc, "success")), rows[i].success);
		json_decref(doc);
		free(req.reply);
	}
}

static void test_reply_invalid(void **state)
{
	api_req req = {0};
	json_t *doc;

	(void)state;
	api_reply_invalid(&req, "invalid", json_pack("{s:[s]}", "code", "is taken"));
	assert_int_equal(req.status, 422);
	doc = reply_of(&req);
	assert_true(json_is_false(json_object_get(doc, "success")));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(doc, "errors"), "code"), 0)),
			    "is taken");
	json_decref(doc);
	free(req.reply);
}

static void test_reply_list_meta(void **state)
{
	static const struct {
		long page, per_page, total, last;
	} rows[] = {{1, 15, 0, 1}, {1, 15, 15, 1}, {2, 15, 16, 2}, {3, 10, 95, 10}, {1, 0, 5, 1}};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		api_req req = {0};
		json_t *doc, *meta;

		api_reply_list(&req, json_array(), rows[i].page, rows[i].per_page, rows[i].total);
		assert_int_equal(req.status, 200);
		doc = reply_of(&req);
		meta = json_object_get(doc, "meta");
		assert_int_equal(json_integer_value(json_object_get(meta, "current_page")),
				 rows[i].page);
		assert_int_equal(json_integer_value(json_object_get(meta, "per_page")),
				 rows[i].per_page);
		assert_int_equal(json_integer_value(json_object_get(meta, "total")), rows[i].total);
		assert_int_equal(json_integer_value(json_object_get(meta, "last_page")),
				 rows[i].last);
		assert_true(json_is_array(json_object_get(doc, "data")));
		json_decref(doc);
		free(req.reply);
	}
}

/* The first answer stands; a second is dropped (and logged). */
static void test_reply_once(void **state)
{
	api_req req = {.method = "GET", .path = "/x"};

	(void)state;
	api_reply_error(&req, 404, "not found");
	api_reply(&req, 200, "ok", json_object());
	assert_int_equal(req.status, 404);
	assert_non_null(strstr(req.reply, "not found"));
	free(req.reply);
}

int main(void)
{
	size_t nr = sizeof(route_cases) / sizeof(route_cases[0]);
	struct CMUnitTest tests[sizeof(route_cases) / sizeof(route_cases[0]) + 6];
	static char names[sizeof(route_cases) / sizeof(route_cases[0])][96];
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		snprintf(names[i], sizeof(names[i]), "route %s %s", route_cases[i].method,
			 route_cases[i].path);
		tests[n++] = (struct CMUnitTest){names[i], test_route_case, NULL, NULL,
						 (void *)&route_cases[i]};
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_route_long_segment);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_envelope);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reply_status_and_success);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reply_invalid);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reply_list_meta);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reply_once);
	return _cmocka_run_group_tests("http", tests, n, NULL, NULL);
}
