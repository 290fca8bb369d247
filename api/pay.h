/*
 * Payment gateways: one driver per gateway (Stripe Checkout, Flutterwave
 * mobile money) behind one interface: start a payment, verify a webhook,
 * ask a payment's status, refund.  Drivers talk HTTPS through libcurl with
 * the keys and base URLs of the configuration (STRIPE_*, FLUTTERWAVE_*);
 * they never touch the database: the callers record what they answer
 * (hs_payment_checkout, and pay_settle below).  Keys are never logged.
 */
#ifndef HS_API_PAY_H
#define HS_API_PAY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/config.h"

#define PAY_REF_MAX 201 /* gateway references and event ids, with the NUL */
#define PAY_URL_MAX 2001

/*
 * A call's outcome.  RETRY: the gateway did not answer, timed out or failed
 * on its side (5xx): the same call may succeed later.  REFUSED: it answered
 * no (4xx, or a body we cannot use).  CONFIG: the gateway is not
 * configured (no key).
 */
typedef enum {
	PAY_OK = 0,
	PAY_RETRY,
	PAY_REFUSED,
	PAY_CONFIG,
} pay_result;

/* What a new payment asks of the gateway. */
typedef struct {
	const char *payment_id; /* ours: Stripe metadata, Flutterwave tx_ref */
	long long amount_minor;
	const char *currency;    /* ISO 4217, upper case */
	const char *description; /* the profile's name */
	const char *phone;       /* the payer's, digits with an optional + */
	const char *success_url, *cancel_url;
} pay_checkout_req;

/* What the gateway answered: its references, and where the buyer pays. */
typedef struct {
	char ref[PAY_REF_MAX]; /* Stripe: Checkout Session id; Flutterwave: flw_ref */
	char txn[PAY_REF_MAX]; /* Flutterwave: transaction id (Stripe: "") */
	char url[PAY_URL_MAX]; /* Stripe: the Checkout page; "" for approval on a phone */
} pay_checkout_res;

/* A verified outcome of a payment, from a webhook or a status query. */
typedef struct {
	char event_id[256];     /* the exactly-once key */
	char payment_id[40];    /* ours, "" when the event names only the gateway's */
	char ref[PAY_REF_MAX];  /* "" when unknown */
	char txn[PAY_REF_MAX];  /* "" when unknown */
	const char *outcome;    /* "succeeded", "failed", "refunded"; NULL: nothing to apply */
	long long amount_minor; /* -1 when the event carries none */
	char currency[4];
} pay_event;

/*
 * What a webhook's verification found.  OK: event holds a verified outcome
 * (outcome may be NULL: an event we do not act on).  BAD_SIGNATURE (401),
 * STALE (401, signed too long ago), MALFORMED (400), MISMATCH (422: the
 * gateway's own record disagrees with the webhook), RETRY (503: the gateway
 * could not be asked; it will send the webhook again), CONFIG (503).
 */
typedef enum {
	PAY_WH_OK = 0,
	PAY_WH_BAD_SIGNATURE,
	PAY_WH_STALE,
	PAY_WH_MALFORMED,
	PAY_WH_MISMATCH,
	PAY_WH_RETRY,
	PAY_WH_CONFIG,
} pay_wh_result;

typedef struct {
	const char *name;       /* payments.gateway */
	const char *sig_header; /* the webhook's signature header */
	/* Starts a payment; res filled on OK; err says why otherwise. */
	pay_result (*checkout)(const hs_config *cfg, const pay_checkout_req *rq,
			       pay_checkout_res *res, char *err, size_t errlen);
	/*
	 * Verifies a webhook (signature header value sig, may be NULL; the raw
	 * body) at time now (Unix seconds) into ev.
	 */
	pay_wh_result (*webhook)(const hs_config *cfg, const char *sig, const char *body,
				 size_t len, long long now, pay_event *ev, char *err,
				 size_t errlen);
	/*
	 * Asks the gateway for the outcome of our payment payment_id (its
	 * reference ref and transaction txn, "" when unknown).  OK with
	 * ev->outcome NULL while it is still pending.
	 */
	pay_result (*status)(const hs_config *cfg, const char *payment_id, const char *ref,
			     const char *txn, pay_event *ev, char *err, size_t errlen);
	/* Refunds amount_minor of transaction txn; the refund's id into refund_ref. */
	pay_result (*refund)(const hs_config *cfg, const char *txn, long long amount_minor,
			     char refund_ref[PAY_REF_MAX], char *err, size_t errlen);
} pay_driver;

/* The driver of gateway name, or NULL. */
const pay_driver *pay_driver_find(const char *name);

/* Whether the configuration holds the keys driver d needs to start payments. */
bool pay_configured(const hs_config *cfg, const pay_driver *d);

/*
 * Applies the verified outcome ev of gateway to our payment (ev->payment_id,
 * else found by ev->ref / ev->txn) through hs_payment_settle, as one
 * statement (its own transaction) on conn; raw is the event's JSON text or
 * NULL.  *result receives the function's answer ({result, payment_id,
 * status, voucher_id, detail}; caller frees).  0, or -1 when the statement
 * failed (err says why; *retry tells whether the database may answer later).
 */
int pay_settle(PGconn *conn, const char *gateway, const pay_event *ev, const char *raw,
	       json_t **result, bool *retry, char *err, size_t errlen);

/* ---- what the drivers share (pay.c) ------------------------------------------------ */

/* A gateway's answer: HTTP status (0: no answer) and body (malloc'd, NUL terminated). */
typedef struct {
	long status;
	char *body;
	size_t len;
} pay_http_res;

/*
 * One HTTPS call: method to url with "Authorization: Bearer key", body of
 * content type ctype (NULL: none), an Idempotency-Key when idem is not
 * NULL, at most PAYMENT_HTTP_TIMEOUT seconds, at most 256 KiB of answer.
 * PAY_OK when an answer came (any status: res->status says), PAY_RETRY
 * when none did (err says why).  Free res->body always.
 */
pay_result pay__http(const hs_config *cfg, const char *method, const char *url, const char *key,
		     const char *ctype, const char *body, const char *idem, pay_http_res *res,
		     char *err, size_t errlen);

/* RETRY for no answer or 5xx / 429, REFUSED for another non-2xx, OK for 2xx. */
pay_result pay__status_class(long status);

/* Lower-case hex HMAC-SHA256 of msg under key into hex.  0, or -1. */
int pay__hmac_hex(const char *key, const char *msg, size_t len, char hex[65]);

/* Whether a and b are equal, in time independent of where they differ. */
bool pay__equal(const char *a, const char *b);

/* Copies s into dst (size n) when it fits; false (dst "") otherwise. */
bool pay__copy(char *dst, size_t n, const char *s);

extern const pay_driver pay_stripe;
extern const pay_driver pay_flutterwave;

#endif
