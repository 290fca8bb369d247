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

#include "common/log.h"

/*
 * The routes of the API.  Order does not matter: patterns never overlap.
 * The last member is the ability a token needs ("*" in a token grants all);
 * NULL makes a route public.
 */
static const api_route api_routes[] = {
	{"GET", "/health", api_health_get, NULL},
	{"GET", "/api/v1/router-management", api_routers_list, "routers.read"},
	{"POST", "/api/v1/router-management", api_routers_create, "routers.write"},
	{"GET", "/api/v1/router-management/:id", api_routers_get, "routers.read"},
	{"PUT", "/api/v1/router-management/:id", api_routers_update, "routers.write"},
	{"DELETE", "/api/v1/router-management/:id", api_routers_delete, "routers.write"},
};

#define API_NROUTES (sizeof(api_routes) / sizeof(api_routes[0]))

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
	bool path_known = false;
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;

	if (allowlen)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!route_match(routes[i].pattern, path, params, nparams))
			continue;
		if (strcmp(routes[i].method, want) == 0) {
			*route = &routes[i];
			return API_ROUTE_FOUND;
		}
		path_known = true;
		if (allowlen) {
			allow_add(allow, allowlen, routes[i].method);
			if (strcmp(routes[i].method, "GET") == 0)
				allow_add(allow, allowlen, "HEAD");
		}
	}
	*nparams = 0;
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
	if (req->reply) {
		hs_log(HS_LOG_ERROR, "http: %s %s answered twice", req->method, req->path);
		free(text);
		return;
	}
	req->status = text ? status : 500;
	req->reply = text;
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

/* ---- libmicrohttpd glue -------------------------------------------------- */

static enum MHD_Result send_reply(struct MHD_Connection *c, req_state *st, const char *allow)
{
	static const char fallback[] = "{\"success\":false,\"message\":\"internal error\","
				       "\"data\":null}";
	const char *text = st->req.reply ? st->req.reply : fallback;
	int status = st->req.reply ? st->req.status : 500;
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow && *allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	st->answered = true;
	st->status = status;
	return rc;
}

/* Runs the route of a fully read request and sends its answer. */
static enum MHD_Result dispatch(struct MHD_Connection *c, req_state *st)
{
	const api_route *route = NULL;
	char allow[128];
	size_t np = 0;
	api_route_match m;

	if (st->too_large) {
		api_reply_error(&st->req, 413, "request body too large");
		return send_reply(c, st, NULL);
	}
	m = api_route_find(api_routes, API_NROUTES, st->req.method, st->req.path, &route,
			   st->params, &np, allow, sizeof(allow));
	if (m == API_ROUTE_NO_PATH) {
		api_reply_error(&st->req, 404, "not found");
		return send_reply(c, st, NULL);
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
	if (!st->req.reply)
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
	srv->daemon =
		MHD_start_daemon(flags, (uint16_t)cfg->api_port, NULL, NULL, on_request, srv,
				 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
				 (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
				 srv, MHD_OPTION_CONNECTION_LIMIT,
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
