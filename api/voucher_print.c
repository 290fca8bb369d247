/*
 * GET /api/v1/vouchers/batches/:id/print: a batch as a printable HTML page,
 * A4, voucher cards in a grid.  Each card shows the tenant, the code, the
 * password (when it is not the code), the profile, the price, the terms
 * and a QR code (inline SVG, libqrencode) of the hotspot login URL with the
 * code and password filled in, so that a phone camera logs the customer in.
 *
 * The login URL is HOTSPOT_LOGIN_URL, or the request's login_url.  Every
 * text from the database is HTML-escaped; the URL's values are
 * percent-encoded before they join it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "api/vouchers_int.h"
#include "common/log.h"

#define PRINT_URL_MAX 512
#define QR_QUIET      2 /* modules of white around the symbol */

/* $1 the batch id: the page's title row. */
static const char head_sql[] =
	"SELECT t.name, b.name, p.name, b.created_at::date::text FROM voucher_batches b"
	" JOIN tenants t ON t.id = b.tenant_id JOIN profiles p ON p.id = b.profile_id"
	" WHERE b.id = $1::uuid";

/* $1 the batch id: a row per card. */
static const char cards_sql[] =
	"SELECT v.code, v.password, p.name, hs_money_major(v.price_minor, v.currency)::text,"
	" v.currency, hs_voucher_terms_text(v.data_limit_bytes, v.validity_seconds,"
	" v.time_limit_seconds), v.status FROM vouchers v"
	" LEFT JOIN profiles p ON p.id = v.profile_id WHERE v.batch_id = $1::uuid"
	" ORDER BY v.created_at, v.code";

static const char page_css[] =
	"@page{size:A4;margin:8mm}"
	"body{font-family:sans-serif;margin:0;color:#000}"
	"h1{font-size:12pt;margin:0 0 4mm}"
	".cards{display:grid;grid-template-columns:repeat(3,1fr);gap:3mm}"
	".card{border:1px dashed #555;padding:3mm;break-inside:avoid;page-break-inside:avoid;"
	"display:flex;gap:3mm;align-items:center;font-size:8.5pt}"
	".card svg{width:24mm;height:24mm;flex:none}"
	".code{font-family:monospace;font-size:12pt;font-weight:bold;letter-spacing:1px}"
	".muted{color:#444}";

/* Writes s HTML-escaped. */
static void html(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fputc(*s, fp);
		}
	}
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static void url_encode(FILE *fp, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			fputc(c, fp);
		else
			fprintf(fp, "%%%02X", c);
	}
}

/*
 * The login URL for code and password (malloc'd), or NULL when out of
 * memory.
 */
static char *login_url(const char *base, const char *code, const char *password)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (!fp)
		return NULL;
	fputs(base, fp);
	fputc(strchr(base, '?') ? '&' : '?', fp);
	fputs("username=", fp);
	url_encode(fp, code);
	fputs("&password=", fp);
	url_encode(fp, password);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Writes text as a QR code in inline SVG: one path of 1-module-high runs.
 * false when the encoder fails.
 */
static bool qr_svg(FILE *fp, const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int w, size;

	if (!qr)
		return false;
	w = qr->width;
	size = w + 2 * QR_QUIET;
	fprintf(fp,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		size, size, size, size);
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			int run = 0;

			while (x + run < w && (qr->data[y * w + x + run] & 1))
				run++;
			if (run)
				fprintf(fp, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run,
					run);
			x += run ? run : 1;
		}
	}
	fputs("\"/></svg>", fp);
	QRcode_free(qr);
	return true;
}

/* One card; false when the QR code cannot be made. */
static bool card(FILE *fp, const PGresult *res, int i, const char *tenant, const char *base)
{
	const char *code = PQgetvalue(res, i, 0), *pw = PQgetvalue(res, i, 1);
	char *url = login_url(base, code, pw);
	bool ok;

	if (!url)
		return false;
	fputs("<div class=\"card\">", fp);
	ok = qr_svg(fp, url);
	fputs("<div><div class=\"muted\">", fp);
	html(fp, tenant);
	fputs("</div><div class=\"code\">", fp);
	html(fp, code);
	fputs("</div>", fp);
	if (strcmp(pw, code) != 0) {
		fputs("<div>Password: <b class=\"code\">", fp);
		html(fp, pw);
		fputs("</b></div>", fp);
	}
	fputs("<div>", fp);
	html(fp, PQgetvalue(res, i, 2));
	fputs(" &middot; ", fp);
	html(fp, PQgetvalue(res, i, 3));
	fputc(' ', fp);
	html(fp, PQgetvalue(res, i, 4));
	fputs("</div><div class=\"muted\">", fp);
	html(fp, PQgetvalue(res, i, 5));
	if (strcmp(PQgetvalue(res, i, 6), "active") != 0) {
		fputs(" &middot; ", fp);
		html(fp, PQgetvalue(res, i, 6));
	}
	fputs("</div></div></div>\n", fp);
	free(url);
	return ok;
}

/* The page for head (tenant, batch name, profile, date) and the cards. */
static char *page(const PGresult *head, const PGresult *cards, const char *base, size_t *len)
{
	const char *tenant = PQgetvalue(head, 0, 0);
	char *buf = NULL;
	bool ok = true;
	FILE *fp = open_memstream(&buf, len);

	if (!fp)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vouchers ",
	      fp);
	html(fp, PQgetvalue(head, 0, 2));
	fprintf(fp, "</title><style>%s</style></head><body><h1>", page_css);
	html(fp, tenant);
	fputs(" &middot; ", fp);
	html(fp, *PQgetvalue(head, 0, 1) ? PQgetvalue(head, 0, 1) : PQgetvalue(head, 0, 2));
	fprintf(fp, " &middot; %d vouchers &middot; ", PQntuples(cards));
	html(fp, PQgetvalue(head, 0, 3));
	fputs("</h1><div class=\"cards\">\n", fp);
	for (int i = 0; ok && i < PQntuples(cards); i++)
		ok = card(fp, cards, i, tenant, base);
	fputs("</div></body></html>\n", fp);
	if (fclose(fp) != 0 || !ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The login URL base: login_url from the query (checked like
 * HOTSPOT_LOGIN_URL), else the setting.  NULL with a 422 answered.
 */
static const char *base_arg(api_req *req)
{
	const char *s = api_req_query(req, "login_url");
	size_t n, scheme;
	bool ok;

	if (!s || !*s)
		return req->app->cfg->hotspot_login_url;
	n = strlen(s);
	scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
	ok = scheme && n > scheme && n <= PRINT_URL_MAX && s[scheme] != '/';
	for (size_t i = 0; ok && i < n; i++)
		ok = s[i] > 0x20 && s[i] < 0x7f && !strchr("\"'<>\\`", s[i]);
	if (!ok) {
		api_reply_invalid(req, "validation failed",
				  json_pack("{s:[s]}", "login_url",
					    "must be an http:// or https:// URL of at most 512 "
					    "characters"));
		return NULL;
	}
	return s;
}

static void batch_print(api_req *req)
{
	const char *id = api_param_uuid(req, 0, "batch"), *base;
	PGresult *head = NULL, *cards = NULL;
	PGconn *conn = NULL;
	char *body;
	size_t len = 0;

	if (!id || !(base = base_arg(req)))
		return;
	conn = api_tx_begin(req);
	if (!conn)
		return;
	head = PQexecParams(conn, head_sql, 1, NULL, &id, NULL, NULL, 0);
	if (hs_db_classify(conn, head) != HS_DB_OK) {
		api__reply_db_failure(req, conn, head, "vouchers", NULL);
		goto out;
	}
	if (PQntuples(head) != 1) {
		api_reply_error(req, 404, "batch not found");
		goto out;
	}
	cards = PQexecParams(conn, cards_sql, 1, NULL, &id, NULL, NULL, 0);
	if (hs_db_classify(conn, cards) != HS_DB_OK) {
		api__reply_db_failure(req, conn, cards, "vouchers", NULL);
		goto out;
	}
	body = page(head, cards, base, &len);
	if (!body) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	api_reply_body(req, 200, "text/html; charset=utf-8", body, len);
out:
	PQclear(head);
	PQclear(cards);
	api_tx_end(req, conn, false);
}

static const api_route routes[] = {
	{"GET", "/api/v1/vouchers/batches/:id/print", batch_print, "vouchers.read"},
};

const api_module api_mod_voucher_print = {
	.name = "voucher_print",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
