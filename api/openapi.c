/*
 * The API's description, and the route table as hotspotd knows it.
 *
 *   GET /api/v1/openapi.json    the OpenAPI 3.0 document (public)
 *   hotspotd routes             prints "METHOD PATTERN ABILITY", a line per route
 *
 * The document is merged at build time from api/openapi/base.json and every
 * module's fragment api/openapi/<module>.json (api/openapi.mk), and compiled
 * into this file as bytes: the answer is the build's document, whatever
 * files the running machine has.  tests/integration/api_openapi.sh checks
 * that it and `hotspotd routes` list the same routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "api/module.h"

/* build/gen/openapi.json.inc: the merged document as "0x7b, 0x22, ...". */
static const unsigned char openapi_doc[] = {
#include "openapi.json.inc"
};

/* Answers the document; a copy, since the server frees what it sends. */
static void openapi_get(api_req *req)
{
	char *body = malloc(sizeof openapi_doc);

	if (!body) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	memcpy(body, openapi_doc, sizeof openapi_doc);
	api_reply_body(req, 200, "application/json", body, sizeof openapi_doc);
}

/*
 * hotspotd routes: the joined route table in match order, "-" for the
 * ability of a public route.  0, 1 when out of memory or stdout fails,
 * 2 when given arguments.
 */
static int routes_print(const hs_config *cfg, int argc, char **argv)
{
	const api_route *routes;
	size_t n;

	(void)cfg;
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "hotspotd: routes takes no arguments\n");
		return 2;
	}
	routes = api_routes_all(&n);
	if (!routes) {
		fprintf(stderr, "hotspotd: routes: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s %s %s\n", routes[i].method, routes[i].pattern,
		       routes[i].ability ? routes[i].ability : "-");
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

static const api_route routes[] = {
	{"GET", "/api/v1/openapi.json", openapi_get, NULL},
};

static const api_command commands[] = {
	{"routes", NULL, "routes", "print the route table: METHOD PATTERN ABILITY, a line each",
	 "  (no options; ABILITY is - for a public route)\n", routes_print},
};

const api_module api_mod_openapi = {
	.name = "openapi",
	.routes = routes,
	.nroutes = API_NELEM(routes),
	.commands = commands,
	.ncommands = API_NELEM(commands),
};
