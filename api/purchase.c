/*
 * The public purchase pages: a customer on the hotspot's walled garden buys
 * a voucher online.
 *
 *   GET  /buy/:slug                     the profiles on sale, with prices
 *   POST /buy/:slug                     profile_id, phone, gateway (a form):
 *                                       303 to Stripe Checkout, or "approve
 *                                       on your phone" for mobile money
 *   GET  /buy/:slug/payments/:id        the payment's status, and the voucher
 *                                       once paid; only with ?token= (the
 *                                       buyer's secret, kept hashed)
 *
 * Small HTML pages without external assets; every text from the database
 * or the request is HTML-escaped.  Each client address gets
 * PURCHASE_RATE_LIMIT requests per minute.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/pay.h"
#include "api/valid.h"
#include "api/vouchers_int.h"
#include "common/crypto.h"
#include "common/log.h"

#define BUY_POOL_WAIT_MS 2000
#define BUY_FIELD_MAX    64
#define BUY_PAGE_MAX     (256 * 1024)
#define BUY_TOKEN_BYTES  32

/* ---- HTML ------------------------------------------------------------------------- */

/* A page being written: grows up to BUY_PAGE_MAX; failed stays set once a write fails. */
typedef struct {
	char *buf;
	size_t len, cap;
	bool failed;
} page;

static void put(page *p, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (p->failed)
		return;
	if (p->len + n + 1 > p->cap) {
		cap = (p->len + n + 1) * 2;
		if (cap > BUY_PAGE_MAX || !(grown = realloc(p->buf, cap))) {
			p->failed = true;
			return;
		}
		p->buf = grown;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

/* Appends literal HTML. */
static void html(page *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Appends text, escaped for HTML content and quoted attributes. */
static void text(page *p, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			html(p, "&amp;");
			break;
		case '<':
			html(p, "&lt;");
			break;
		case '>':
			html(p, "&gt;");
			break;
		case '"':
			html(p, "&quot;");
			break;
		case '\'':
			html(p, "&#39;");
			break;
		default:
			put(p, s, 1);
		}
	}
}

static void head(page *p, const char *title, int refresh)
{
	char meta[64] = "";

	if (refresh > 0)
		snprintf(meta, sizeof meta, "<meta http-equiv=\"refresh\" content=\"%d\">",
			 refresh);
	html(p, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
	html(p, meta);
	html(p, "<title>");
	text(p, title);
	html(p, "</title><style>body{font-family:sans-serif;max-width:32em;margin:1em auto;"
		"padding:0 1em;line-height:1.4}label.o{display:block;border:1px solid #ccc;"
		"border-radius:6px;padding:.6em;margin:.5em 0}input,select,button{font-size:1em;"
		"padding:.4em;width:100%;box-sizing:border-box;margin:.3em 0}"
		"label.o input{width:auto}.code{font-size:1.6em;font-family:monospace;"
		"letter-spacing:.1em}.err{color:#a00}</style></head><body>");
}

/* Sends the page with status; a page that failed to grow answers 500. */
static void page_send(api_req *req, page *p, int status)
{
	html(p, "</body></html>");
	api_reply_header(req, "Cache-Control", "no-store");
	api_reply_header(req, "Referrer-Policy", "no-referrer");
	api_reply_header(
		req, "Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https:");
	if (p->failed) {
		free(p->buf);
		api_reply_error(req, 500, "internal error");
		return;
	}
	api_reply_body(req, status, "text/html; charset=utf-8", p->buf, p->len);
}

/* A page of one heading and one message. */
static void reply_message(api_req *req, int status, const char *title, const char *msg)
{
	page p = {0};

	head(&p, title, 0);
	html(&p, "<h1>");
	text(&p, title);
	html(&p, "</h1><p>");
	text(&p, msg);
	html(&p, "</p>");
	page_send(req, &p, status);
}

/* ---- request helpers ----------------------------------------------------------------- */

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* true, or false with 429 answered when the client's address is over its rate. */
static bool rate_ok(api_req *req)
{
	char ip[64], key[80], num[24];
	long wait;

	api_client_ip(req, ip, sizeof ip);
	snprintf(key, sizeof key, "buy:%s", ip);
	wait = api_rate_take(key, req->app->cfg->purchase_rate_limit, mono_now());
	if (wait == 0)
		return true;
	snprintf(num, sizeof num, "%ld", wait);
	api_reply_header(req, "Retry-After", num);
	reply_message(req, 429, "Too many requests", "Please wait a moment and try again.");
	return false;
}

/* The route's tenant slug, or NULL with a 404 page. */
static const char *param_slug(api_req *req)
{
	const char *s = req->nparams ? req->params[0] : "";
	size_t n = strlen(s);

	if (n < 1 || n > 63 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != n) {
		reply_message(req, 404, "Not found", "There is no shop at this address.");
		return NULL;
	}
	return s;
}

static int hexval(char c)
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
 * The value of key in the application/x-www-form-urlencoded body, decoded
 * into out (at most n - 1 bytes).  0 found, 1 absent, -1 malformed or too long.
 */
static int form_value(const char *body, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key), o = 0;
	const char *s = body;

	while (s && *s) {
		const char *end = strchr(s, '&');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (len > kl && strncmp(s, key, kl) == 0 && s[kl] == '=') {
			for (size_t i = kl + 1; i < len; i++) {
				int c = (unsigned char)s[i];

				if (c == '+')
					c = ' ';
				else if (c == '%') {
					if (i + 2 >= len || hexval(s[i + 1]) < 0 ||
					    hexval(s[i + 2]) < 0)
						return -1;
					c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
					i += 2;
				}
				if (c < 0x20 || o + 1 >= n)
					return -1;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return 0;
		}
		s = end ? end + 1 : NULL;
	}
	out[0] = '\0';
	return 1;
}

/* ---- GET /buy/:slug ----------------------------------------------------------------- */

static void gateway_choices(page *p, const hs_config *cfg)
{
	static const struct {
		const pay_driver *d;
		const char *label;
	} g[] = {{&pay_flutterwave, "Mobile money (MTN, Airtel)"}, {&pay_stripe, "Card"}};
	bool first = true;

	html(p, "<label for=\"g\">Pay with</label><select id=\"g\" name=\"gateway\">");
	for (size_t i = 0; i < API_NELEM(g); i++) {
		if (!pay_configured(cfg, g[i].d))
			continue;
		html(p, first ? "<option selected value=\"" : "<option value=\"");
		text(p, g[i].d->name);
		html(p, "\">");
		text(p, g[i].label);
		html(p, "</option>");
		first = false;
	}
	html(p, "</select>");
}

static void offer_page(api_req *req, const char *slug, const PGresult *res, const char *error)
{
	page p = {0};

	head(&p, PQgetvalue(res, 0, 0), 0);
	html(&p, "<h1>");
	text(&p, PQgetvalue(res, 0, 0));
	html(&p, " WiFi</h1>");
	if (error) {
		html(&p, "<p class=\"err\">");
		text(&p, error);
		html(&p, "</p>");
	}
	html(&p, "<form method=\"post\" action=\"/buy/");
	text(&p, slug);
	html(&p, "\">");
	for (int i = 0; i < PQntuples(res); i++) {
		html(&p, "<label class=\"o\"><input type=\"radio\" name=\"profile_id\" value=\"");
		text(&p, PQgetvalue(res, i, 1));
		html(&p, i == 0 ? "\" checked> <b>" : "\"> <b>");
		text(&p, PQgetvalue(res, i, 2));
		html(&p, "</b> &ndash; ");
		text(&p, PQgetvalue(res, i, 6));
		html(&p, " ");
		text(&p, PQgetvalue(res, i, 5));
		html(&p, "<br><small>");
		text(&p, PQgetvalue(res, i, 7));
		html(&p, "</small></label>");
	}
	html(&p, "<label for=\"ph\">Phone number (the voucher is sent by SMS)</label>"
		 "<input id=\"ph\" name=\"phone\" type=\"tel\" required "
		 "pattern=\"\\+?[0-9]{4,20}\" placeholder=\"+256700000000\">");
	html(&p, "<label class=\"o\"><input type=\"checkbox\" name=\"activate_now\" value=\"1\"> "
		 "Start the voucher's time now (otherwise at the first login)</label>");
	gateway_choices(&p, req->app->cfg);
	html(&p, "<button type=\"submit\">Buy</button></form>");
	page_send(req, &p, error ? 422 : 200);
}

/* The offer of slug into *res; false with the page answered (404, 503). */
static bool offer_load(api_req *req, PGconn *conn, const char *slug, PGresult **res)
{
	*res = PQexecParams(conn, "SELECT * FROM hs_purchase_offer($1)", 1, NULL, &slug, NULL, NULL,
			    0);
	if (hs_db_classify(conn, *res) != HS_DB_OK) {
		reply_message(req, 503, "Try again later", "The shop is not available right now.");
		return false;
	}
	if (PQntuples(*res) < 1) {
		reply_message(req, 404, "Not found", "There is nothing on sale at this address.");
		return false;
	}
	return true;
}

static PGconn *conn_get(api_req *req)
{
	char err[256];
	PGconn *c = hs_db_pool_get(req->app->db, BUY_POOL_WAIT_MS, err, sizeof err);

	if (!c) {
		hs_log(HS_LOG_WARN, "purchase: database unreachable: %s", err);
		reply_message(req, 503, "Try again later", "The shop is not available right now.");
	}
	return c;
}

static void buy_get(api_req *req)
{
	const char *slug;
	PGresult *res = NULL;
	PGconn *conn;

	if (!rate_ok(req) || !(slug = param_slug(req)) || !(conn = conn_get(req)))
		return;
	if (offer_load(req, conn, slug, &res))
		offer_page(req, slug, res, NULL);
	PQclear(res);
	hs_db_pool_put(req->app->db, conn, false);
}

/* ---- POST /buy/:slug ---------------------------------------------------------------- */

typedef struct {
	char profile_id[BUY_FIELD_MAX], phone[BUY_FIELD_MAX], gateway[BUY_FIELD_MAX];
	char activate[BUY_FIELD_MAX]; /* "1": the validity starts at the sale */
	const pay_driver *d;
} buy_form;

/* Reads and checks the form; NULL, or the message for the buyer. */
static const char *form_read(api_req *req, buy_form *f)
{
	memset(f, 0, sizeof *f);
	if (form_value(req->body, "profile_id", f->profile_id, sizeof f->profile_id) != 0 ||
	    !hs_db_uuid_valid(f->profile_id))
		return "Choose a package.";
	if (form_value(req->body, "phone", f->phone, sizeof f->phone) != 0 ||
	    !api__phone_ok(f->phone))
		return "Give a phone number: digits only, with an optional + in front.";
	if (form_value(req->body, "gateway", f->gateway, sizeof f->gateway) != 0 ||
	    !(f->d = pay_driver_find(f->gateway)) || !pay_configured(req->app->cfg, f->d))
		return "Choose a way to pay.";
	if (form_value(req->body, "activate_now", f->activate, sizeof f->activate) < 0 ||
	    (f->activate[0] && strcmp(f->activate, "1") != 0))
		return "Say whether the voucher starts now.";
	return NULL;
}

/* What hs_payment_open made. */
typedef struct {
	char id[API_UUID_LEN], token[64], hash[65], amount[24], currency[4];
	char profile[128];
	long long amount_minor;
} opened;

/* Opens the payment; false with the answer given (422 page for a profile not on sale). */
static bool payment_open(api_req *req, PGconn *conn, const char *slug, const buy_form *f,
			 const PGresult *offer, opened *o)
{
	char delay[16], attempts[16];
	const char *p[8];
	PGresult *res;
	bool ok = false;

	memset(o, 0, sizeof *o);
	if (hs_crypto_random_b64url(BUY_TOKEN_BYTES, o->token, sizeof o->token) != 0 ||
	    api_auth_token_hash(o->token, o->hash) != 0) {
		reply_message(req, 500, "Error", "Something went wrong; nothing was charged.");
		return false;
	}
	snprintf(delay, sizeof delay, "%d", req->app->cfg->payment_check_delay);
	snprintf(attempts, sizeof attempts, "%d", req->app->cfg->payment_check_attempts);
	p[0] = slug;
	p[1] = f->profile_id;
	p[2] = f->phone;
	p[3] = f->d->name;
	p[4] = o->hash;
	p[5] = delay;
	p[6] = attempts;
	p[7] = f->activate[0] ? "true" : "false";
	res = PQexecParams(conn,
			   "SELECT * FROM hs_payment_open($1, $2::uuid, $3, $4, $5, $6::int,"
			   " $7::int, $8::boolean)",
			   8, NULL, p, NULL, NULL, 0);
	if (hs_db_classify(conn, res) == HS_DB_OK && PQntuples(res) == 1) {
		snprintf(o->id, sizeof o->id, "%s", PQgetvalue(res, 0, 0));
		snprintf(o->profile, sizeof o->profile, "%s", PQgetvalue(res, 0, 2));
		o->amount_minor = atoll(PQgetvalue(res, 0, 3));
		snprintf(o->currency, sizeof o->currency, "%s", PQgetvalue(res, 0, 4));
		snprintf(o->amount, sizeof o->amount, "%s", PQgetvalue(res, 0, 5));
		ok = true;
	} else if (hs_db_classify(conn, res) == HS_DB_ERROR)
		offer_page(req, slug, offer, "That package is not on sale any more.");
	else
		reply_message(req, 503, "Try again later", "The shop is not available right now.");
	PQclear(res);
	return ok;
}

/*
 * Records the gateway's answer (or error) on the payment, on a connection
 * of its own: none is held while the gateway is asked.  A failure is
 * logged; payment.check then settles the payment.
 */
static void payment_record(api_req *req, const opened *o, const pay_checkout_res *r,
			   const char *error)
{
	const char *p[5] = {o->id, r->ref[0] ? r->ref : NULL, r->txn[0] ? r->txn : NULL,
			    r->url[0] ? r->url : NULL, error};
	char err[256];
	PGconn *conn = hs_db_pool_get(req->app->db, BUY_POOL_WAIT_MS, err, sizeof err);
	PGresult *res;
	bool bad;

	if (!conn) {
		hs_log(HS_LOG_WARN, "purchase: cannot record payment %s's checkout: %s", o->id,
		       err);
		return;
	}
	res = PQexecParams(conn, "SELECT hs_payment_checkout($1::uuid, $2, $3, $4, $5)", 5, NULL, p,
			   NULL, NULL, 0);
	bad = hs_db_classify(conn, res) != HS_DB_OK;
	if (bad)
		hs_log(HS_LOG_WARN, "purchase: cannot record payment %s's checkout", o->id);
	PQclear(res);
	hs_db_pool_put(req->app->db, conn, bad);
}

/* The status page's URL (PUBLIC_BASE_URL/buy/slug/payments/id?token=...). */
static void status_url(const api_req *req, const char *slug, const opened *o, char *out, size_t n)
{
	snprintf(out, n, "%s/buy/%s/payments/%s?token=%s", req->app->cfg->public_base_url, slug,
		 o->id, o->token);
}

static void phone_page(api_req *req, const char *url, const opened *o)
{
	page p = {0};

	head(&p, "Approve on your phone", 0);
	html(&p, "<h1>Approve on your phone</h1><p>A payment request of ");
	text(&p, o->amount);
	html(&p, " ");
	text(&p, o->currency);
	html(&p, " for <b>");
	text(&p, o->profile);
	html(&p, "</b> was sent to your phone. Enter your mobile money PIN to approve it. "
		 "Your voucher comes by SMS and on <a href=\"");
	text(&p, url);
	html(&p, "\">this page</a>.</p>");
	page_send(req, &p, 200);
}

static void checkout(api_req *req, const char *slug, const buy_form *f, const opened *o)
{
	char url[1024], err[300];
	pay_checkout_req rq = {.payment_id = o->id,
			       .amount_minor = o->amount_minor,
			       .currency = o->currency,
			       .description = o->profile,
			       .phone = f->phone,
			       .success_url = url,
			       .cancel_url = url};
	pay_checkout_res r;
	pay_result pr;

	status_url(req, slug, o, url, sizeof url);
	pr = f->d->checkout(req->app->cfg, &rq, &r, err, sizeof err);
	if (pr != PAY_OK) {
		hs_log(HS_LOG_WARN, "purchase: %s checkout of payment %s: %s", f->d->name, o->id,
		       err);
		memset(&r, 0, sizeof r);
		payment_record(req, o, &r, err);
		reply_message(req, pr == PAY_CONFIG ? 503 : 502, "Payment not started",
			      "The payment service did not accept the request; nothing was "
			      "charged. Please try again.");
		return;
	}
	payment_record(req, o, &r, NULL);
	if (r.url[0]) {
		api_reply_header(req, "Location", r.url);
		reply_message(req, 303, "Redirecting", "Continue to the payment page.");
		return;
	}
	phone_page(req, url, o);
}

static void buy_post(api_req *req)
{
	const char *slug, *why;
	PGresult *offer = NULL;
	PGconn *conn;
	buy_form f;
	opened o;

	if (!rate_ok(req) || !(slug = param_slug(req)) || !(conn = conn_get(req)))
		return;
	if (!offer_load(req, conn, slug, &offer))
		goto out;
	if ((why = form_read(req, &f)) != NULL) {
		offer_page(req, slug, offer, why);
		goto out;
	}
	if (strcmp(f.d->name, "flutterwave") == 0) {
		/* Mobile money here is Uganda's, in UGX, which has no minor unit. */
		bool ugx = false;

		for (int i = 0; i < PQntuples(offer); i++)
			ugx |= strcmp(PQgetvalue(offer, i, 1), f.profile_id) == 0 &&
			       strcmp(PQgetvalue(offer, i, 5), "UGX") == 0;
		if (!ugx) {
			offer_page(req, slug, offer, "Mobile money takes UGX prices only.");
			goto out;
		}
	}
	if (payment_open(req, conn, slug, &f, offer, &o)) {
		/* The gateway may take PAYMENT_HTTP_TIMEOUT: give the connection back. */
		hs_db_pool_put(req->app->db, conn, false);
		conn = NULL;
		checkout(req, slug, &f, &o);
	}
	explicit_bzero(&o, sizeof o);
out:
	PQclear(offer);
	if (conn)
		hs_db_pool_put(req->app->db, conn, false);
}

/* ---- GET /buy/:slug/payments/:id ----------------------------------------------------- */

static void status_page(api_req *req, const PGresult *res)
{
	const char *st = PQgetvalue(res, 0, 0);
	bool pending = strcmp(st, "pending") == 0;
	page p = {0};

	head(&p, "Your voucher", pending ? 5 : 0);
	html(&p, "<h1>");
	text(&p, PQgetvalue(res, 0, 5));
	html(&p, " WiFi</h1><p>");
	text(&p, PQgetvalue(res, 0, 4));
	html(&p, " &ndash; ");
	text(&p, PQgetvalue(res, 0, 2));
	html(&p, " ");
	text(&p, PQgetvalue(res, 0, 3));
	html(&p, "</p>");
	if (strcmp(st, "succeeded") == 0 && !PQgetisnull(res, 0, 6)) {
		html(&p, "<p>Paid. Your voucher:</p><p class=\"code\">");
		text(&p, PQgetvalue(res, 0, 6));
		html(&p, "</p>");
		if (strcmp(PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7)) != 0) {
			html(&p, "<p>Password: <span class=\"code\">");
			text(&p, PQgetvalue(res, 0, 7));
			html(&p, "</span></p>");
		}
		html(&p, "<p>");
		text(&p, PQgetvalue(res, 0, 8));
		html(&p, ". It was also sent by SMS.</p>");
	} else if (pending)
		html(&p, "<p>Waiting for the payment&hellip; This page refreshes by itself.</p>");
	else if (strcmp(st, "refunded") == 0)
		html(&p, "<p>This payment was refunded.</p>");
	else
		html(&p, "<p class=\"err\">The payment did not go through; nothing was "
			 "issued.</p>");
	page_send(req, &p, 200);
}

static void buy_status(api_req *req)
{
	const char *slug, *token = api_req_query(req, "token"), *p[3];
	char hash[65];
	PGresult *res = NULL;
	PGconn *conn;

	if (!rate_ok(req) || !(slug = param_slug(req)))
		return;
	if (req->nparams < 2 || !hs_db_uuid_valid(req->params[1]) || !token || !*token ||
	    strlen(token) > 128 || api_auth_token_hash(token, hash) != 0) {
		reply_message(req, 404, "Not found", "There is no such payment.");
		return;
	}
	if (!(conn = conn_get(req)))
		return;
	p[0] = slug;
	p[1] = req->params[1];
	p[2] = hash;
	res = PQexecParams(conn, "SELECT * FROM hs_payment_public($1, $2::uuid, $3)", 3, NULL, p,
			   NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK)
		reply_message(req, 503, "Try again later", "The shop is not available right now.");
	else if (PQntuples(res) != 1)
		reply_message(req, 404, "Not found", "There is no such payment.");
	else
		status_page(req, res);
	PQclear(res);
	hs_db_pool_put(req->app->db, conn, false);
}

static const api_route routes[] = {
	{"GET", "/buy/:slug", buy_get, NULL},
	{"POST", "/buy/:slug", buy_post, NULL},
	{"GET", "/buy/:slug/payments/:id", buy_status, NULL},
};

const api_module api_mod_purchase = {
	.name = "purchase",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
