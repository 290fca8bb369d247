#include "api/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "api/module.h"
#include "common/log.h"

struct api_server {
	struct MHD_Daemon *daemon;
	const api_app *app;
};

/* Per-request state, in *req_cls from the first call to the completed callback. */
typedef struct {
	api_req req;
	char params[API_ROUTE_PARAMS_MAX][API_PARAM_MAX];
	char *body;
	size_t body_len;
	bool too_large;
	bool answered; /* a response is queued */
	int status;    /* the status sent, for the request log */
	struct timespec start;
} req_state;

/* ---- routes ---------------------------------------------------------------- */

/* Whether path fits pattern; the :name segments go to params. */
static bool route_match(const char *pattern, const char *path, char params[][API_PARAM_MAX],
			size_t *np)
{
	*np = 0;
	while (*pattern && *path) {
		const char *pe, *se;
		size_t pl, sl;

		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		pe = strchrnul(pattern, '/');
		se = strchrnul(path, '/');
		pl = (size_t)(pe - pattern);
		sl = (size_t)(se - path);
		if (*pattern == ':') {
			if (sl == 0 || sl >= API_PARAM_MAX || *np >= API_ROUTE_PARAMS_MAX)
				return false;
			memcpy(params[*np], path, sl);
			params[*np][sl] = '\0';
			(*np)++;
		} else if (pl != sl || memcmp(pattern, path, pl) != 0) {
			return false;
		}
		pattern = pe;
		path = se;
	}
	return *pattern == '\0' && *path == '\0';
}

/* Appends method to the comma-separated list allow unless it is there. */
static void allow_add(char *allow, size_t len, const char *method)
{
	size_t n = strlen(allow), m = strlen(method);
	const char *p = allow;

	while ((p = strstr(p, method)) != NULL) {
		if ((p == allow || p[-1] == ' ') && (p[m] == ',' || p[m] == '\0'))
			return;
		p += m;
	}
	snprintf(allow + n, len - n, "%s%s", n ? ", " : "", method);
}

api_route_match api_route_find(const api_route *routes, size_t n, const char *method,
			       const char *path, const api_route **route,
			       char params[][API_PARAM_MAX], size_t *nparams, char *allow,
			       size_t allowlen)
{
	char tmp[API_ROUTE_PARAMS_MAX][API_PARAM_MAX];
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	bool path_known = false;
	size_t np, best_np = 0;

	*route = NULL;
	if (allowlen)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!route_match(routes[i].pattern, path, tmp, &np))
			continue;
		path_known = true;
		if (allowlen) {
			allow_add(allow, allowlen, routes[i].method);
			if (strcmp(routes[i].method, "GET") == 0)
				allow_add(allow, allowlen, "HEAD");
		}
		/* A literal segment beats a :name one: the fewest captures win. */
		if (strcmp(routes[i].method, want) != 0 || (*route && np >= best_np))
			continue;
		*route = &routes[i];
		best_np = np;
		memcpy(params, tmp, np * sizeof(tmp[0]));
	}
	*nparams = *route ? best_np : 0;
	if (*route)
		return API_ROUTE_FOUND;
	return path_known ? API_ROUTE_NO_METHOD : API_ROUTE_NO_PATH;
}

/* ---- the envelope ---------------------------------------------------------- */

json_t *api_envelope(bool success, const char *message, json_t *data)
{
	json_t *env = json_object();

	if (!env) {
		json_decref(data);
		return NULL;
	}
	json_object_set_new(env, "success", json_boolean(success));
	json_object_set_new(env, "message", json_string(message ? message : ""));
	json_object_set_new(env, "data", data ? data : json_null());
	return env;
}

/* Serializes env (stolen) as the answer of req. */
static void reply_json(api_req *req, int status, json_t *env)
{
	char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;

	json_decref(env);
	if (req->reply || req->stream) {
		hs_log(HS_LOG_ERROR, "http: %s %s answered twice", req->method, req->path);
		free(text);
		return;
	}
	req->status = text ? status : 500;
	req->reply = text;
	req->reply_len = text ? strlen(text) : 0;
}

void api_reply(api_req *req, int status, const char *message, json_t *data)
{
	reply_json(req, status, api_envelope(status < 400, message, data));
}

void api_reply_error(api_req *req, int status, const char *message)
{
	api_reply(req, status, message, NULL);
}

void api_reply_invalid(api_req *req, const char *message, json_t *errors)
{
	json_t *env = api_envelope(false, message, NULL);

	if (env)
		json_object_set_new(env, "errors", errors ? errors : json_object());
	else
		json_decref(errors);
	reply_json(req, 422, env);
}

void api_reply_list(api_req *req, json_t *items, long page, long per_page, long total)
{
	json_t *env = api_envelope(true, "ok", items), *meta;
	long last = per_page > 0 ? (total + per_page - 1) / per_page : 1;

	if (!env) {
		reply_json(req, 500, NULL);
		return;
	}
	meta = json_pack("{s:I, s:I, s:I, s:I}", "current_page", (json_int_t)page, "per_page",
			 (json_int_t)per_page, "total", (json_int_t)total, "last_page",
			 (json_int_t)(last < 1 ? 1 : last));
	json_object_set_new(env, "meta", meta ? meta : json_null());
	reply_json(req, 200, env);
}

void api_client_ip(const api_req *req, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		req->conn ? MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
			  : NULL;
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const void *addr = NULL;

	if (len)
		buf[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa && sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!addr || !inet_ntop(sa->sa_family, addr, buf, (socklen_t)len)) {
		if (len)
			buf[0] = '\0';
	}
}

/* ---- other answers ------------------------------------------------------- */

struct api_header {
	struct api_header *next;
	char *name, *value;
};

struct api_stream {
	api_stream_read read;
	api_stream_done done;
	void *cls;
};

/* Bytes a stream is asked for at most per call. */
#define API_STREAM_BLOCK 8192

void api_reply_body(api_req *req, int status, const char *content_type, char *body, size_t len)
{
	if (req->reply || req->stream) {
		hs_log(HS_LOG_ERROR, "http: %s %s answered twice", req->method, req->path);
		free(body);
		return;
	}
	if (!body) {
		reply_json(req, 500, NULL);
		return;
	}
	req->status = status;
	req->reply = body;
	req->reply_len = len;
	req->content_type = content_type;
}

int api_reply_header(api_req *req, const char *name, const char *value)
{
	struct api_header *h = calloc(1, sizeof(*h)), **tail = &req->headers;

	if (!h || !(h->name = strdup(name)) || !(h->value = strdup(value))) {
		if (h)
			free(h->name);
		free(h);
		return -1;
	}
	while (*tail)
		tail = &(*tail)->next;
	*tail = h;
	return 0;
}

static void headers_free(api_req *req)
{
	while (req->headers) {
		struct api_header *h = req->headers;

		req->headers = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_stream *sm = cls;
	long n;

	(void)pos;
	n = sm->read(sm->cls, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct api_stream *sm = cls;

	if (sm->done)
		sm->done(sm->cls);
	free(sm);
}

void api_reply_stream(api_req *req, const char *content_type, api_stream_read read,
		      api_stream_done done, void *cls)
{
	struct api_stream *sm = NULL;

	if (!req->reply && !req->stream)
		sm = calloc(1, sizeof(*sm));
	if (!sm) {
		if (done)
			done(cls);
		if (!req->reply && !req->stream)
			reply_json(req, 500, NULL);
		return;
	}
	sm->read = read;
	sm->done = done;
	sm->cls = cls;
	req->stream = sm;
	req->status = 200;
	req->content_type = content_type;
}

const char *api_req_header(const api_req *req, const char *name)
{
	return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

const char *api_req_query(const api_req *req, const char *name)
{
	return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name)
			 : NULL;
}

/* ---- libmicrohttpd glue -------------------------------------------------- */

/* The MHD response of what the handler answered, without headers. */
static struct MHD_Response *response_make(api_req *req)
{
	static const char fallback[] = "{\"success\":false,\"message\":\"internal error\","
				       "\"data\":null}";
	struct api_stream *sm = req->stream;

	if (sm) {
		struct MHD_Response *resp = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, API_STREAM_BLOCK, stream_read, sm, stream_free);

		/* MHD owns the stream once the response exists; else it is freed here. */
		if (resp)
			req->stream = NULL;
		return resp;
	}
	if (!req->reply) {
		req->status = 500;
		req->content_type = NULL;
		return MHD_create_response_from_buffer(strlen(fallback), (void *)fallback,
						       MHD_RESPMEM_PERSISTENT);
	}
	return MHD_create_response_from_buffer(req->reply_len, req->reply, MHD_RESPMEM_MUST_COPY);
}

/* ---- CORS ------------------------------------------------------------------ */

/*
 * Whether origin is allowed by CORS_ORIGIN: "*", or one of its
 * comma-separated origins exactly ("" turns CORS off).
 */
static bool cors_allowed(const char *list, const char *origin)
{
	const char *p = list;

	if (!origin || !*origin || !list || !*list)
		return false;
	if (strcmp(list, "*") == 0)
		return true;
	while (*p) {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ", ");
		if (n && n == strlen(origin) && strncmp(p, origin, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* The CORS headers of an answer to an allowed origin; preflight adds the request side. */
static void cors_headers(struct MHD_Response *resp, const api_req *req, const char *allow)
{
	const char *origin = api_req_header(req, "Origin");

	if (!cors_allowed(req->app->cfg->cors_origin, origin))
		return;
	MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
	MHD_add_response_header(resp, "Vary", "Origin");
	if (!allow) {
		MHD_add_response_header(resp, "Access-Control-Expose-Headers",
					"Retry-After, Content-Disposition");
		return;
	}
	MHD_add_response_header(resp, "Access-Control-Allow-Methods", allow);
	MHD_add_response_header(resp, "Access-Control-Allow-Headers",
				"Authorization, Content-Type, X-Tenant, Last-Event-ID");
	MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
}

static enum MHD_Result send_reply(struct MHD_Connection *c, req_state *st, const char *allow)
{
	api_req *req = &st->req;
	struct MHD_Response *resp = response_make(req);
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				req->content_type ? req->content_type
						  : "application/json; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow && *allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	for (const struct api_header *h = req->headers; h; h = h->next)
		MHD_add_response_header(resp, h->name, h->value);
	cors_headers(resp, req,
		     req->status == 204 && strcmp(req->method, "OPTIONS") == 0 ? allow : NULL);
	rc = MHD_queue_response(c, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	st->answered = true;
	st->status = req->status;
	return rc;
}

/* Runs the route of a fully read request and sends its answer. */
static enum MHD_Result dispatch(struct MHD_Connection *c, req_state *st)
{
	const api_route *route = NULL, *routes;
	char allow[128];
	size_t np = 0, nroutes;
	api_route_match m;

	if (st->too_large) {
		api_reply_error(&st->req, 413, "request body too large");
		return send_reply(c, st, NULL);
	}
	routes = api_routes_all(&nroutes);
	m = api_route_find(routes, nroutes, st->req.method, st->req.path, &route, st->params, &np,
			   allow, sizeof(allow));
	if (m == API_ROUTE_NO_PATH) {
		api_reply_error(&st->req, 404, "not found");
		return send_reply(c, st, NULL);
	}
	/* A CORS preflight (or any OPTIONS) of a known path: no authentication. */
	if (m == API_ROUTE_NO_METHOD && strcmp(st->req.method, "OPTIONS") == 0) {
		allow_add(allow, sizeof allow, "OPTIONS");
		api_reply_body(&st->req, 204, "text/plain", strdup(""), 0);
		return send_reply(c, st, allow);
	}
	if (m == API_ROUTE_NO_METHOD) {
		api_reply_error(&st->req, 405, "method not allowed");
		return send_reply(c, st, allow);
	}
	for (size_t i = 0; i < np; i++)
		st->req.params[i] = st->params[i];
	st->req.nparams = np;
	st->req.body = st->body ? st->body : "";
	st->req.body_len = st->body_len;
	if (route->ability) {
		int denied = st->req.app->authorize
				     ? st->req.app->authorize(&st->req, route->ability)
				     : 401;
		if (denied) {
			if (!st->req.reply)
				api_reply_error(&st->req, denied,
						denied == 403 ? "forbidden"
							      : "authentication required");
			return send_reply(c, st, NULL);
		}
	}
	route->handler(&st->req);
	if (!st->req.reply && !st->req.stream)
		hs_log(HS_LOG_ERROR, "http: %s %s: handler gave no answer", st->req.method,
		       st->req.path);
	return send_reply(c, st, NULL);
}

/* Appends a chunk of the body, or marks the request too large. */
static void body_append(req_state *st, const char *data, size_t len, size_t max)
{
	char *grown;

	if (st->too_large)
		return;
	if (len > max - st->body_len) {
		st->too_large = true;
		return;
	}
	grown = realloc(st->body, st->body_len + len + 1);
	if (!grown) {
		/* Out of memory: answering 413 beats answering nothing. */
		st->too_large = true;
		return;
	}
	memcpy(grown + st->body_len, data, len);
	st->body = grown;
	st->body_len += len;
	st->body[st->body_len] = '\0';
}

static req_state *state_new(const api_server *srv, struct MHD_Connection *c, const char *url,
			    const char *method)
{
	req_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &st->start);
	st->req.app = srv->app;
	st->req.method = method;
	st->req.path = url;
	st->req.conn = c;
	return st;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	const api_server *srv = cls;
	req_state *st = *req_cls;
	size_t max = (size_t)srv->app->cfg->api_max_body;

	(void)version;
	if (!st) {
		const char *clen;

		st = state_new(srv, c, url, method);
		if (!st)
			return MHD_NO;
		*req_cls = st;
		/* A declared length over the cap is refused before reading it. */
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						   MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && strtoull(clen, NULL, 10) > max) {
			st->too_large = true;
			return dispatch(c, st);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->answered)
			body_append(st, upload_data, *upload_data_size, max);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->answered)
		return MHD_YES;
	return dispatch(c, st);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	const api_server *srv = cls;
	req_state *st = *req_cls;

	(void)c;
	if (!st)
		return;
	if (srv->app->cfg->log_requests) {
		if (st->answered)
			hs_log(HS_LOG_INFO, "%s %s %d %.1f ms", st->req.method, st->req.path,
			       st->status, ms_since(&st->start));
		else
			hs_log(HS_LOG_INFO, "%s %s aborted (%d) %.1f ms", st->req.method,
			       st->req.path, (int)toe, ms_since(&st->start));
	}
	free(st->req.reply);
	headers_free(&st->req);
	if (st->req.stream)
		stream_free(st->req.stream);
	free(st->body);
	free(st);
	*req_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	hs_log(HS_LOG_WARN, "http: %s", msg);
}

/* The value of a hex digit, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes %HH in a path or query value in place, except %00: a NUL inside
 * would cut the text short wherever it is read as a C string (a path
 * "/routers/<id>%00x" would reach the route of <id>), so it stays as the
 * three characters and matches nothing.  Returns the new length.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *out = s;
	const char *in = s;

	(void)cls;
	(void)c;
	while (*in) {
		int hi = in[0] == '%' ? hex_value(in[1]) : -1;
		int lo = hi >= 0 ? hex_value(in[2]) : -1;

		if (lo >= 0 && (hi | lo) != 0) {
			*out++ = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/* ---- server ------------------------------------------------------------------ */

api_server *api_server_start(const api_app *app)
{
	const hs_config *cfg = app->cfg;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	api_server *srv;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, cfg->api_listen, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)cfg->api_port);
	} else if (inet_pton(AF_INET6, cfg->api_listen, &((struct sockaddr_in6 *)&ss)->sin6_addr) ==
		   1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)cfg->api_port);
		flags |= MHD_USE_IPv6;
	} else {
		hs_log(HS_LOG_ERROR, "http: API_LISTEN %s is not an address", cfg->api_listen);
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->app = app;
	/* The logger comes first so that option errors go through it too. */
	srv->daemon = MHD_start_daemon(
		flags, (uint16_t)cfg->api_port, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_UNESCAPE_CALLBACK,
		unescape, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)cfg->api_max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)cfg->api_connection_timeout, MHD_OPTION_END);
	if (!srv->daemon) {
		hs_log(HS_LOG_ERROR, "http: cannot listen on %s port %d (in use, or not allowed)",
		       cfg->api_listen, cfg->api_port);
		free(srv);
		return NULL;
	}
	return srv;
}

void api_server_stop(api_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
