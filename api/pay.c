/*
 * What the payment drivers share: the driver table, HTTPS calls through
 * libcurl (bounded in time and size), HMAC-SHA256 and constant-time
 * comparison through OpenSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/httpc.h"
#include "api/pay.h"
#include "common/db.h"

/* Most bytes of a gateway's answer kept. */
#define PAY_ANSWER_MAX (256 * 1024)

static const pay_driver *const drivers[] = {&pay_stripe, &pay_flutterwave};

const pay_driver *pay_driver_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof drivers / sizeof drivers[0]; i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

bool pay_configured(const hs_config *cfg, const pay_driver *d)
{
	if (d == &pay_stripe)
		return cfg->stripe_secret_key[0] != '\0';
	if (d == &pay_flutterwave)
		return cfg->flutterwave_secret_key[0] != '\0';
	return false;
}

static struct curl_slist *request_headers(const char *key, const char *ctype, const char *idem)
{
	char line[512];
	struct curl_slist *h = NULL, *t;

	snprintf(line, sizeof line, "Authorization: Bearer %s", key);
	t = curl_slist_append(h, line);
	explicit_bzero(line, sizeof line);
	if (!t)
		return NULL;
	h = t;
	if (ctype) {
		snprintf(line, sizeof line, "Content-Type: %s", ctype);
		if (!(t = curl_slist_append(h, line)))
			goto fail;
	}
	if (idem) {
		snprintf(line, sizeof line, "Idempotency-Key: %s", idem);
		if (!(t = curl_slist_append(h, line)))
			goto fail;
	}
	if (!(t = curl_slist_append(h, "Accept: application/json")))
		goto fail;
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

pay_result pay__http(const hs_config *cfg, const char *method, const char *url, const char *key,
		     const char *ctype, const char *body, const char *idem, pay_http_res *res,
		     char *err, size_t errlen)
{
	struct curl_slist *h = request_headers(key, ctype, idem);
	api_httpc_req req = {.method = method,
			     .url = url,
			     .body = body,
			     .headers = h,
			     .timeout_s = cfg->payment_http_timeout,
			     .answer_max = PAY_ANSWER_MAX};
	api_httpc_res a;
	char why[CURL_ERROR_SIZE];
	pay_result r = PAY_RETRY;

	memset(res, 0, sizeof *res);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return PAY_RETRY;
	}
	if (api_httpc_send(&req, &a, why, sizeof why) == 0)
		r = PAY_OK;
	else
		snprintf(err, errlen, "gateway unreachable: %s", why);
	res->status = a.status;
	res->body = a.body;
	res->len = a.len;
	curl_slist_free_all(h);
	return r;
}

pay_result pay__status_class(long status)
{
	if (status >= 200 && status < 300)
		return PAY_OK;
	if (status == 0 || status == 429 || status >= 500)
		return PAY_RETRY;
	return PAY_REFUSED;
}

int pay__hmac_hex(const char *key, const char *msg, size_t len, char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	hex[0] = '\0';
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, len, mac, &n) ||
	    n != 32)
		return -1;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

bool pay__equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n != strlen(b))
		return false;
	return CRYPTO_memcmp(a, b, n) == 0;
}

bool pay__copy(char *dst, size_t n, const char *s)
{
	dst[0] = '\0';
	if (!s || strlen(s) >= n)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

int pay_settle(PGconn *conn, const char *gateway, const pay_event *ev, const char *raw,
	       json_t **result, bool *retry, char *err, size_t errlen)
{
	char amount[24];
	const char *p[9];
	PGresult *res;
	hs_db_result r;
	int rc = -1;

	*result = NULL;
	*retry = false;
	snprintf(amount, sizeof amount, "%lld", ev->amount_minor);
	p[0] = gateway;
	p[1] = ev->event_id;
	p[2] = hs_db_uuid_valid(ev->payment_id) ? ev->payment_id : NULL;
	p[3] = ev->ref[0] ? ev->ref : NULL;
	p[4] = ev->txn[0] ? ev->txn : NULL;
	p[5] = ev->outcome;
	p[6] = ev->amount_minor >= 0 ? amount : NULL;
	p[7] = ev->currency[0] ? ev->currency : NULL;
	p[8] = raw;
	res = PQexecParams(conn,
			   "SELECT hs_payment_settle($1, $2, $3::uuid, $4, $5, $6, $7::bigint, $8,"
			   " $9::jsonb)::text",
			   9, NULL, p, NULL, NULL, 0);
	r = hs_db_classify(conn, res);
	if (r != HS_DB_OK || PQntuples(res) != 1) {
		hs_db_errmsg(conn, res, err, errlen);
		*retry = r == HS_DB_RETRY;
		goto out;
	}
	*result = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (!*result) {
		snprintf(err, errlen, "hs_payment_settle answered no JSON");
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}
