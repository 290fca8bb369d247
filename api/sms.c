/*
 * The SMS gateways (api/sms.h): Twilio's Messages resource, Africa's
 * Talking's messaging endpoint, a generic HTTP gateway described by
 * configuration, and the log.  Each driver builds one request, libcurl sends
 * it with SMS_TIMEOUT, and the answer is classified: 2xx accepted, 429 and
 * 5xx (and no answer at all) temporary, any other status permanent.
 */
#include "api/httpc.h"
#include "api/sms.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/log.h"

/* Most of a gateway's answer kept; the rest is read and dropped. */
#define SMS_ANSWER_MAX (64 * 1024)
/* Longest URL and request body built. */
#define SMS_URL_MAX  2048
#define SMS_BODY_MAX 8192

/* ---- masking ------------------------------------------------------------------ */

void sms_mask_phone(const char *phone, char *out, size_t len)
{
	size_t n = strlen(phone), i;

	if (len == 0)
		return;
	for (i = 0; i < n && i + 1 < len; i++)
		out[i] = (n <= 8 || (i >= 4 && i + 3 < n)) ? '*' : phone[i];
	out[i] = '\0';
}

void sms_scrub_digits(char *text)
{
	size_t i = 0;

	while (text[i]) {
		size_t j = i;

		while (isdigit((unsigned char)text[j]))
			j++;
		if (j - i >= 6) {
			for (size_t k = i + 3; k + 3 < j; k++)
				text[k] = '*';
		}
		i = j > i ? j : i + 1;
	}
}

/* ---- templates ------------------------------------------------------------------ */

static const char *var_find(const sms_var *vars, size_t n, const char *name, size_t namelen)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == namelen && memcmp(vars[i].name, name, namelen) == 0)
			return vars[i].value ? vars[i].value : "";
	return NULL;
}

/* Appends n bytes of s at out[*o]; false when it does not fit. */
static bool put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + n >= len)
		return false;
	memcpy(out + *o, s, n);
	*o += n;
	return true;
}

int sms_render(const char *tmpl, const sms_var *vars, size_t nvars, int sections, char *out,
	       size_t len)
{
	size_t o = 0, sec_start = 0;
	bool in_sec = false, sec_empty = false, ok = true;
	const char *p = tmpl;

	if (len == 0)
		return -1;
	while (*p && ok) {
		const char *close = *p == '{' ? strchr(p + 1, '}') : NULL;
		const char *val =
			close ? var_find(vars, nvars, p + 1, (size_t)(close - p - 1)) : NULL;

		if (sections && *p == '[' && !in_sec) {
			in_sec = true;
			sec_empty = false;
			sec_start = o;
			p++;
		} else if (sections && *p == ']' && in_sec) {
			if (sec_empty)
				o = sec_start;
			in_sec = false;
			p++;
		} else if (val) {
			if (*val == '\0')
				sec_empty = true;
			ok = put(out, len, &o, val, strlen(val));
			p = close + 1;
		} else {
			ok = put(out, len, &o, p, 1);
			p++;
		}
	}
	if (!ok) {
		out[0] = '\0';
		return -1;
	}
	out[o] = '\0';
	return (int)o;
}

/* ---- HTTP ---------------------------------------------------------------------- */

/* The gateway's answer (api/httpc.h), the first SMS_ANSWER_MAX bytes of it. */
typedef api_httpc_res answer_buf;

/* One request to a gateway; http_send fills in the timeout and the cap. */
typedef api_httpc_req http_req;

/*
 * Sends req.  Returns the HTTP status with the answer in *ans (caller frees
 * ans->body), or 0 when no answer came (the reason, without the URL's
 * secrets, in out->error as a temporary failure).
 */
static long http_send(const hs_config *cfg, const http_req *req, answer_buf *ans, sms_result *out)
{
	http_req r = *req;
	char why[CURL_ERROR_SIZE];

	r.timeout_s = cfg->sms_timeout;
	r.answer_max = SMS_ANSWER_MAX;
	r.truncate = true; /* the excess is dropped, not an error */
	if (api_httpc_send(&r, ans, why, sizeof why) != 0) {
		snprintf(out->error, sizeof out->error, "no answer from the gateway: %s", why);
		return 0;
	}
	return ans->status;
}

/* The outcome an HTTP status stands for. */
static sms_outcome status_outcome(long status)
{
	if (status >= 200 && status < 300)
		return SMS_SENT;
	if (status == 429 || status == 408 || status >= 500 || status == 0)
		return SMS_TEMPORARY;
	return SMS_PERMANENT;
}

/* Copies a string or number JSON value into out->provider_ref. */
static void set_ref(sms_result *out, const json_t *v)
{
	if (json_is_string(v))
		snprintf(out->provider_ref, sizeof out->provider_ref, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out->provider_ref, sizeof out->provider_ref, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
}

/* The first line of text, at most 200 characters, for an error message. */
static void snippet(const char *text, char *buf, size_t len)
{
	size_t n = 0;

	while (text && text[n] && text[n] != '\n' && text[n] != '\r' && n < 200 && n + 1 < len)
		n++;
	if (len)
		snprintf(buf, len, "%.*s", (int)n, text ? text : "");
}

/* An error for a refused request: status and the gateway's words. */
static void set_http_error(sms_result *out, long status, const char *gateway, const char *words)
{
	out->outcome = status_outcome(status);
	snprintf(out->error, sizeof out->error, "%s: HTTP %ld%s%s", gateway, status,
		 words && *words ? ": " : "", words ? words : "");
}

/* ---- form and JSON encoding ----------------------------------------------------- */

/* Appends "name=value" (value form-encoded, "&" before all but the first). */
static bool form_add(char *buf, size_t len, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	size_t o = strlen(buf);
	int n;

	if (!esc)
		return false;
	n = snprintf(buf + o, len - o, "%s%s=%s", o ? "&" : "", name, esc);
	curl_free(esc);
	return n >= 0 && (size_t)n < len - o;
}

/* value as the inside of a JSON string (no quotes); caller frees. */
static char *json_inner(const char *value)
{
	json_t *s = json_string(value);
	char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	size_t n;

	json_decref(s);
	if (!q)
		return NULL;
	n = strlen(q);
	memmove(q, q + 1, n - 2);
	q[n - 2] = '\0';
	return q;
}

/* ---- Twilio ---------------------------------------------------------------------- */

static void twilio_answer(long status, const char *text, sms_result *out)
{
	json_t *j = json_loads(text ? text : "", 0, NULL);
	char words[256] = "";

	if (status >= 200 && status < 300) {
		out->outcome = SMS_SENT;
		set_ref(out, json_object_get(j, "sid"));
	} else {
		const json_t *msg = json_object_get(j, "message");
		const json_t *code = json_object_get(j, "code");

		if (json_is_string(msg))
			snprintf(words, sizeof words, "%" JSON_INTEGER_FORMAT " %s",
				 json_is_integer(code) ? json_integer_value(code) : 0,
				 json_string_value(msg));
		else
			snippet(text, words, sizeof words);
		set_http_error(out, status, "twilio", words);
	}
	json_decref(j);
}

static void send_twilio(const hs_config *cfg, const char *to, const char *body, sms_result *out)
{
	char url[SMS_URL_MAX], form[SMS_BODY_MAX] = "";
	struct curl_slist *h = NULL;
	answer_buf ans = {0};
	char *sid = NULL;
	long status;
	bool ok;

	if (!*cfg->twilio_sid || !*cfg->twilio_token || !*cfg->sms_from) {
		snprintf(out->error, sizeof out->error,
			 "SMS_DRIVER=twilio needs TWILIO_SID, TWILIO_TOKEN and SMS_FROM");
		return;
	}
	sid = curl_easy_escape(NULL, cfg->twilio_sid, 0);
	ok = sid && snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/Messages.json",
			     cfg->twilio_base_url, sid) < (int)sizeof url;
	/* A sender starting with MG is a Messaging Service, which picks the number. */
	ok = ok && form_add(form, sizeof form, "To", to) &&
	     form_add(form, sizeof form,
		      strncmp(cfg->sms_from, "MG", 2) == 0 ? "MessagingServiceSid" : "From",
		      cfg->sms_from) &&
	     form_add(form, sizeof form, "Body", body);
	h = ok ? curl_slist_append(NULL, "Accept: application/json") : NULL;
	if (!h) {
		out->outcome = SMS_PERMANENT;
		snprintf(out->error, sizeof out->error, "twilio: request too large");
		goto out;
	}
	status = http_send(cfg,
			   &(http_req){.method = "POST",
				       .url = url,
				       .body = form,
				       .headers = h,
				       .user = cfg->twilio_sid,
				       .password = cfg->twilio_token},
			   &ans, out);
	if (status)
		twilio_answer(status, ans.body, out);
out:
	curl_free(sid);
	curl_slist_free_all(h);
	free(ans.body);
}

/* ---- Africa's Talking ----------------------------------------------------------- */

/*
 * A 2xx answer: {"SMSMessageData": {"Message": ..., "Recipients": [{"status":
 * "Success", "statusCode": 101, "messageId": ...}]}}.  Status codes 100-102
 * are accepted, 500 and up (the gateway's own trouble) temporary, the rest
 * (invalid number, no balance, blacklisted...) permanent.
 */
static void at_recipient(const json_t *data, sms_result *out)
{
	const json_t *r = json_array_get(json_object_get(data, "Recipients"), 0);
	const json_t *st = json_object_get(r, "status");
	json_int_t code = json_integer_value(json_object_get(r, "statusCode"));
	const char *what = json_string_value(st);

	if (!r) {
		what = json_string_value(json_object_get(data, "Message"));
		out->outcome = SMS_PERMANENT;
		snprintf(out->error, sizeof out->error,
			 "africastalking: no recipient accepted: %.200s",
			 what ? what : "no answer data");
		return;
	}
	if ((what && strcmp(what, "Success") == 0) || (code >= 100 && code <= 102)) {
		out->outcome = SMS_SENT;
		set_ref(out, json_object_get(r, "messageId"));
		return;
	}
	out->outcome = code >= 500 ? SMS_TEMPORARY : SMS_PERMANENT;
	snprintf(out->error, sizeof out->error,
		 "africastalking: %.100s (statusCode %" JSON_INTEGER_FORMAT ")",
		 what ? what : "refused", code);
}

static void at_answer(long status, const char *text, sms_result *out)
{
	json_t *j = json_loads(text ? text : "", 0, NULL);
	char words[256];

	if (status >= 200 && status < 300 && json_is_object(json_object_get(j, "SMSMessageData"))) {
		at_recipient(json_object_get(j, "SMSMessageData"), out);
	} else if (status >= 200 && status < 300) {
		/* Accepted, but not in the shape we know: it may have been sent, so
		 * it counts as sent (never twice) without an id. */
		out->outcome = SMS_SENT;
	} else {
		snippet(text, words, sizeof words);
		set_http_error(out, status, "africastalking", words);
	}
	json_decref(j);
}

static void send_africastalking(const hs_config *cfg, const char *to, const char *body,
				sms_result *out)
{
	char url[SMS_URL_MAX], form[SMS_BODY_MAX] = "", key[1024];
	struct curl_slist *h = NULL, *t;
	answer_buf ans = {0};
	long status;
	bool ok;

	if (!*cfg->africastalking_username || !*cfg->africastalking_api_key) {
		snprintf(out->error, sizeof out->error,
			 "SMS_DRIVER=africastalking needs AFRICASTALKING_USERNAME and "
			 "AFRICASTALKING_API_KEY");
		return;
	}
	ok = snprintf(url, sizeof url, "%s/version1/messaging", cfg->africastalking_base_url) <
		     (int)sizeof url &&
	     snprintf(key, sizeof key, "apiKey: %s", cfg->africastalking_api_key) < (int)sizeof key;
	ok = ok && form_add(form, sizeof form, "username", cfg->africastalking_username) &&
	     form_add(form, sizeof form, "to", to) &&
	     form_add(form, sizeof form, "message", body) &&
	     (!*cfg->sms_from || form_add(form, sizeof form, "from", cfg->sms_from));
	h = ok ? curl_slist_append(NULL, key) : NULL;
	t = h ? curl_slist_append(h, "Accept: application/json") : NULL;
	if (!t) {
		out->outcome = SMS_PERMANENT;
		snprintf(out->error, sizeof out->error, "africastalking: request too large");
		goto out;
	}
	status = http_send(cfg,
			   &(http_req){.method = "POST", .url = url, .body = form, .headers = h},
			   &ans, out);
	if (status)
		at_answer(status, ans.body, out);
out:
	explicit_bzero(key, sizeof key);
	curl_slist_free_all(h);
	free(ans.body);
}

/* ---- generic HTTP --------------------------------------------------------------- */

typedef enum { ENC_RAW, ENC_JSON, ENC_FORM, ENC_URL } enc_kind;

/* s encoded for its place; caller frees with free(). */
static char *encode(const char *s, enc_kind k)
{
	char *e, *copy;

	if (k == ENC_JSON)
		return json_inner(s);
	if (k == ENC_RAW)
		return strdup(s);
	e = curl_easy_escape(NULL, s, 0);
	copy = e ? strdup(e) : NULL;
	curl_free(e);
	return copy;
}

/* Renders tmpl with {to}, {from} and {message} encoded as k. */
static bool render_encoded(const char *tmpl, const char *to, const char *from, const char *body,
			   enc_kind k, char *out, size_t len)
{
	char *v[3] = {encode(to, k), encode(from, k), encode(body, k)};
	bool ok = v[0] && v[1] && v[2];

	if (ok) {
		sms_var vars[] = {{"to", v[0]}, {"from", v[1]}, {"message", v[2]}};

		ok = sms_render(tmpl, vars, 3, 0, out, len) >= 0;
	}
	for (int i = 0; i < 3; i++)
		free(v[i]);
	return ok;
}

/* The member at dotted path of j ("data.id"), or NULL. */
static const json_t *json_path(const json_t *j, const char *path)
{
	char name[128];

	while (j && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof name)
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		j = json_object_get(j, name);
		path += n + (path[n] == '.');
	}
	return j;
}

static void http_answer(const hs_config *cfg, long status, const char *text, sms_result *out)
{
	char words[256];

	if (status >= 200 && status < 300) {
		out->outcome = SMS_SENT;
		if (*cfg->sms_http_id_field) {
			json_t *j = json_loads(text ? text : "", 0, NULL);

			set_ref(out, json_path(j, cfg->sms_http_id_field));
			json_decref(j);
		}
		return;
	}
	snippet(text, words, sizeof words);
	set_http_error(out, status, "http", words);
}

static void send_http(const hs_config *cfg, const char *to, const char *body, sms_result *out)
{
	const char *ct = cfg->sms_http_content_type;
	enc_kind k = strstr(ct, "json")                    ? ENC_JSON
		     : strstr(ct, "x-www-form-urlencoded") ? ENC_FORM
							   : ENC_RAW;
	const char *method = hs_cfg_sms_http_method_names[cfg->sms_http_method];
	char url[SMS_URL_MAX], *req_body = NULL, ctype[300];
	struct curl_slist *h = NULL, *t = NULL;
	answer_buf ans = {0};
	long status;
	bool ok;

	if (strncmp(cfg->sms_http_url, "http://", 7) != 0 &&
	    strncmp(cfg->sms_http_url, "https://", 8) != 0) {
		snprintf(out->error, sizeof out->error,
			 "SMS_DRIVER=http needs SMS_HTTP_URL (an http:// or https:// URL)");
		return;
	}
	req_body = malloc(SMS_BODY_MAX);
	ok = req_body &&
	     render_encoded(cfg->sms_http_url, to, cfg->sms_from, body, ENC_URL, url, sizeof url) &&
	     render_encoded(cfg->sms_http_body, to, cfg->sms_from, body, k, req_body,
			    SMS_BODY_MAX) &&
	     snprintf(ctype, sizeof ctype, "Content-Type: %s", ct) < (int)sizeof ctype;
	h = ok ? curl_slist_append(NULL, ctype) : NULL;
	t = h && *cfg->sms_http_auth_header ? curl_slist_append(h, cfg->sms_http_auth_header) : h;
	if (!t) {
		out->outcome = SMS_PERMANENT;
		snprintf(out->error, sizeof out->error, "http: request too large");
		goto out;
	}
	status = http_send(cfg,
			   &(http_req){.method = method,
				       .url = url,
				       .body = strcmp(method, "GET") ? req_body : NULL,
				       .headers = h},
			   &ans, out);
	if (status)
		http_answer(cfg, status, ans.body, out);
out:
	curl_slist_free_all(h);
	free(req_body);
	free(ans.body);
}

/* ---- log ----------------------------------------------------------------------- */

/* Writes the text to the log, with the secret replaced by "****". */
static void send_log(const char *masked_to, const char *body, const char *redact, sms_result *out)
{
	size_t n = strlen(body), rl = redact ? strlen(redact) : 0, o = 0;
	char *text = malloc(n * 4 + 1);

	if (!text) {
		snprintf(out->error, sizeof out->error, "log: out of memory");
		return;
	}
	for (size_t i = 0; i < n;) {
		if (rl && strncmp(body + i, redact, rl) == 0) {
			memcpy(text + o, "****", 4);
			o += 4;
			i += rl;
		} else {
			text[o++] = body[i] == '\n' || body[i] == '\r' ? ' ' : body[i];
			i++;
		}
	}
	text[o] = '\0';
	hs_log(HS_LOG_INFO, "sms(log): to %s: %s", masked_to, text);
	free(text);
	out->outcome = SMS_SENT;
	snprintf(out->provider_ref, sizeof out->provider_ref, "log");
}

/* ---- dispatch ------------------------------------------------------------------- */

const char *sms_driver_name(const hs_config *cfg)
{
	return hs_cfg_sms_driver_names[cfg->sms_driver];
}

void sms_send(const hs_config *cfg, const char *to, const char *body, const char *redact,
	      sms_result *out)
{
	char masked[64];

	memset(out, 0, sizeof *out);
	/* Until a driver says otherwise: try again later (configuration can be
	 * fixed, a connection come back). */
	out->outcome = SMS_TEMPORARY;
	sms_mask_phone(to, masked, sizeof masked);
	switch (cfg->sms_driver) {
	case HS_SMS_TWILIO:
		send_twilio(cfg, to, body, out);
		break;
	case HS_SMS_AFRICASTALKING:
		send_africastalking(cfg, to, body, out);
		break;
	case HS_SMS_HTTP:
		send_http(cfg, to, body, out);
		break;
	default:
		send_log(masked, body, redact, out);
		break;
	}
	if (out->outcome != SMS_SENT) {
		out->provider_ref[0] = '\0';
		sms_scrub_digits(out->error);
	}
}
