/*
 * Outgoing HTTP (see api/httpc.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/httpc.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready = -1;

/* curl_global_init is not thread-safe: once for the process. */
static void curl_start(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

typedef struct {
	api_httpc_res *res;
	size_t max;
	bool truncate;
} answer_sink;

/* Appends to the answer; past the cap drops the rest or stops the transfer. */
static size_t answer_append(char *data, size_t size, size_t n, void *cls)
{
	answer_sink *s = cls;
	api_httpc_res *res = s->res;
	size_t got = size * n, add = got, room = s->max - res->len;
	char *grown;

	if (add > room) {
		if (!s->truncate)
			return 0;
		add = room;
	}
	if (add == 0)
		return got;
	grown = realloc(res->body, res->len + add + 1);
	if (!grown)
		return 0;
	memcpy(grown + res->len, data, add);
	res->body = grown;
	res->len += add;
	res->body[res->len] = '\0';
	return got;
}

int api_httpc_send(const api_httpc_req *req, api_httpc_res *res, char *err, size_t errlen)
{
	answer_sink sink = {.res = res, .max = req->answer_max, .truncate = req->truncate};
	CURLcode rc;
	CURL *c;

	memset(res, 0, sizeof *res);
	pthread_once(&curl_once, curl_start);
	c = curl_ready == 0 ? curl_easy_init() : NULL;
	if (!c) {
		snprintf(err, errlen, "libcurl could not start");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, req->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req->timeout_s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, req->user_agent ? req->user_agent : "hotspotd");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, answer_append);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	if (req->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, req->password);
	}
	if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
				 (long)(req->body ? strlen(req->body) : 0));
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	else
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}
