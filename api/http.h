/*
 * hotspotd's HTTP server: libmicrohttpd underneath, one static route table
 * {method, path pattern, handler, ability}, and the JSON envelope
 * {success, message, data} every answer uses.
 *
 * A handler answers by calling one api_reply_* function once; a handler
 * that returns without answering produces a 500.  Bodies are read whole
 * (at most API_MAX_BODY bytes, else 413) before the handler runs.
 */
#ifndef HS_API_HTTP_H
#define HS_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/config.h"
#include "common/db.h"

/* Most :name segments a pattern may have, and the longest value of one. */
#define API_ROUTE_PARAMS_MAX 4
#define API_PARAM_MAX        128

struct api_req;

/* Canonical UUID text plus its NUL. */
#define API_UUID_LEN 37

/*
 * Who is calling, set by the authorizer before an authenticated route runs
 * (all empty on a public route).  Handlers take the tenant from here, never
 * from the request.
 */
typedef struct {
	char token_id[API_UUID_LEN];
	char admin_id[API_UUID_LEN];
	char tenant_id[API_UUID_LEN];
	char role[16];
} api_identity;

/*
 * What handlers share: the configuration, the API role's pool, and the
 * authorizer of routes that need an ability.  authorize returns 0 when the
 * request may proceed, else the HTTP status to answer (401 or 403, or
 * another one it has answered itself, such as 503); when it is NULL, every
 * route with an ability answers 401.
 */
typedef struct {
	const hs_config *cfg;
	hs_db_pool *db;
	int (*authorize)(struct api_req *req, const char *ability);
} api_app;

/* One request as a handler sees it; owned by the server. */
typedef struct api_req {
	const api_app *app;
	const char *method;
	const char *path;
	const char *body; /* NUL terminated; "" when there was none */
	size_t body_len;
	/* Values of the pattern's :name segments, in order. */
	const char *params[API_ROUTE_PARAMS_MAX];
	size_t nparams;
	api_identity who;
	/* Set by api_reply_*; the server sends it after the handler returns. */
	int status;
	char *reply;                /* the body: JSON text unless content_type says otherwise */
	size_t reply_len;           /* its length in bytes */
	const char *content_type;   /* NULL: application/json; static text */
	struct api_header *headers; /* extra response headers, in order */
	struct api_stream *stream;  /* a streamed answer instead of reply */
	void *conn;                 /* struct MHD_Connection */
} api_req;

typedef void (*api_handler)(api_req *req);

/*
 * One route.  pattern is a path whose segments are literal or ":name"
 * (one non-empty segment, captured into req->params).  ability NULL means
 * public; otherwise the request must be authorized for that ability.
 */
typedef struct {
	const char *method;
	const char *pattern;
	api_handler handler;
	const char *ability;
} api_route;

/* How a path and method matched the table. */
typedef enum {
	API_ROUTE_FOUND = 0,
	API_ROUTE_NO_PATH,   /* 404 */
	API_ROUTE_NO_METHOD, /* 405: the path exists with other methods */
} api_route_match;

/*
 * Looks up method and path in routes[0..n).  On FOUND, *route is set and
 * the :name values are copied into params (NUL terminated; a longer
 * segment does not match) with their count in *nparams.  On NO_METHOD, allow
 * receives the allowed methods ("GET, POST").  HEAD matches GET routes.
 */
api_route_match api_route_find(const api_route *routes, size_t n, const char *method,
			       const char *path, const api_route **route,
			       char params[][API_PARAM_MAX], size_t *nparams, char *allow,
			       size_t allowlen);

/* The envelope {success, message, data}; steals data (may be NULL: null). */
json_t *api_envelope(bool success, const char *message, json_t *data);

/* Answers status with the envelope; steals data.  success = status < 400. */
void api_reply(api_req *req, int status, const char *message, json_t *data);

/* Answers an error status with the envelope and data null. */
void api_reply_error(api_req *req, int status, const char *message);

/* 422 with errors {field: [messages]}; steals errors. */
void api_reply_invalid(api_req *req, const char *message, json_t *errors);

/* 200 with a list in data and meta {current_page, per_page, total, last_page}. */
void api_reply_list(api_req *req, json_t *items, long page, long per_page, long total);

/*
 * Answers status with body (stolen, malloc'd, len bytes) as content_type
 * (a static string such as "text/html; charset=utf-8").  On allocation
 * failure the request answers 500.
 */
void api_reply_body(api_req *req, int status, const char *content_type, char *body, size_t len);

/*
 * Adds a response header to whatever the handler answers (Retry-After,
 * Content-Disposition, ...); name and value are copied.  0, or -1 when out
 * of memory (the header is then missing).
 */
int api_reply_header(api_req *req, const char *name, const char *value);

/*
 * A streamed answer (Server-Sent Events and the like).  read is called from
 * the connection's thread whenever the client can take more: it writes at
 * most max bytes into buf and returns their count, 0 to be called again
 * later (it should block a little, not spin), or -1 to end the stream.
 * done is called once when the connection ends, whatever the reason, and
 * owns cls.
 */
typedef long (*api_stream_read)(void *cls, char *buf, size_t max);
typedef void (*api_stream_done)(void *cls);

/* Answers 200 with a stream of content_type; cls is handed to read/done. */
void api_reply_stream(api_req *req, const char *content_type, api_stream_read read,
		      api_stream_done done, void *cls);

/* A request header's value, or NULL. */
const char *api_req_header(const api_req *req, const char *name);

/* A query string argument's value, or NULL. */
const char *api_req_query(const api_req *req, const char *name);

/*
 * Writes the client's address (text of an IPv4 or IPv6 address) into buf;
 * "" when it is not known.
 */
void api_client_ip(const api_req *req, char *buf, size_t len);

/* ---- server ------------------------------------------------------------ */

typedef struct api_server api_server;

/*
 * Starts listening on API_LISTEN:API_PORT with the built-in route table.
 * Returns NULL on failure (logged).  app must outlive the server.
 */
api_server *api_server_start(const api_app *app);

/* Stops accepting, finishes running requests, frees the server.  NULL is a no-op. */
void api_server_stop(api_server *srv);

#endif
