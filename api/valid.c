/*
 * Input checks shared by the handlers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "api/valid.h"
#include "common/db.h"
#include "common/text.h"

void api_error_add(json_t *errors, const char *field, const char *message)
{
	json_t *list = json_object_get(errors, field);

	if (!list) {
		list = json_array();
		json_object_set_new(errors, field, list);
	}
	json_array_append_new(list, json_string(message));
}

size_t api_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

size_t api_utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return n;
	n = max;
	/* Back off continuation bytes: the cut then falls before a lead byte. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

bool api_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

const char *api_text_field(const json_t *v, const char *field, size_t max, json_t *errors)
{
	const char *s = json_string_value(v);
	char msg[96];

	if (!s) {
		api_error_add(errors, field, "must be a string");
		return NULL;
	}
	if (*s == '\0' || api_utf8_chars(s) > max || api_has_control(s) ||
	    strlen(s) != json_string_length(v)) {
		snprintf(msg, sizeof msg, "must be 1 to %zu characters without control characters",
			 max);
		api_error_add(errors, field, msg);
		return NULL;
	}
	return s;
}

json_t *api_body_object(api_req *req)
{
	json_error_t jerr;
	json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);

	if (!json_is_object(body)) {
		json_decref(body);
		api_reply_invalid(req, "the body must be a JSON object (UTF-8)",
				  json_pack("{s:[s]}", "body", "must be a JSON object"));
		return NULL;
	}
	return body;
}

long api_query_int(const api_req *req, const char *key, long def, long max, json_t *errors)
{
	const char *s = api_req_query(req, key);
	char *end, msg[64];
	long v;

	if (!s)
		return def;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || v < 1 || v > max) {
		snprintf(msg, sizeof msg, "must be an integer from 1 to %ld", max);
		api_error_add(errors, key, msg);
		return -1;
	}
	return v;
}

bool api_query_pattern(const api_req *req, const char *key, size_t max, char *out, json_t *errors)
{
	const char *s = api_req_query(req, key);
	char msg[96];
	size_t o = 0;

	out[0] = '\0';
	if (!s || *s == '\0')
		return true;
	if (!hs_utf8_text(s, strlen(s)) || api_utf8_chars(s) > max || api_has_control(s)) {
		snprintf(msg, sizeof msg, "must be UTF-8 text of at most %zu characters", max);
		api_error_add(errors, key, msg);
		return false;
	}
	out[o++] = '%';
	for (; *s; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '%';
	out[o] = '\0';
	return true;
}

int api_uuid_v4(char out[API_UUID_LEN])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, API_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return 0;
}

const char *api_param_uuid(api_req *req, size_t n, const char *what)
{
	char msg[96];

	if (req->nparams <= n || !hs_db_uuid_valid(req->params[n])) {
		snprintf(msg, sizeof msg, "%s not found", what);
		api_reply_error(req, 404, msg);
		return NULL;
	}
	return req->params[n];
}
