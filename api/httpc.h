/*
 * hotspotd's outgoing HTTP, on libcurl: the SMS gateways, the payment
 * gateways and `hotspotd health --url` all send their requests here.
 */
#ifndef HS_API_HTTPC_H
#define HS_API_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

typedef struct {
	const char *method;               /* "GET", "POST", "PUT", ... */
	const char *url;                  /* http:// or https:// only */
	const char *body;                 /* NULL: none (a POST or PUT then sends an empty one) */
	const struct curl_slist *headers; /* NULL: none */
	const char *user, *password;      /* HTTP Basic, or NULL */
	const char *user_agent;           /* NULL: "hotspotd" */
	long timeout_s;                   /* connect and whole request */
	size_t answer_max;                /* bytes of the answer kept at most */
	bool truncate; /* past answer_max: keep the first bytes (true) or fail (false) */
} api_httpc_req;

/* An answer: HTTP status and body (malloc'd, NUL terminated, or NULL when empty). */
typedef struct {
	long status;
	char *body;
	size_t len;
} api_httpc_res;

/*
 * Sends req.  0 when an answer came (any status: res->status), with the
 * body in res; -1 when none did (no connection, timeout, an answer over
 * answer_max without truncate, out of memory), res->status 0 and the reason
 * in err (libcurl's words; never the URL).  Either way the caller frees
 * res->body.  Thread-safe.
 */
int api_httpc_send(const api_httpc_req *req, api_httpc_res *res, char *err, size_t errlen);

#endif
