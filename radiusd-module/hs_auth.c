/*
 * Access-Request batchers of rlm_hotspot (see hs_auth.h).
 *
 * Each batcher thread owns one connection; nothing else touches it. Two
 * requests for the same voucher code never share a call (the SQL function
 * decides a call's requests against one read), so the later one waits for
 * the next call; requests of one code in two concurrent calls are ordered
 * by the code's advisory lock in the database.
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>

#include "hs_auth.h"
#include "hs_batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HS_AUTH_ARRAY_MAX (1u << 20) /* bytes per array literal */

/* The parameters of hs_radius_authorize_batch, in order. */
enum {
	HS_P_NAS,
	HS_P_USER,
	HS_P_PASSWORD,
	HS_P_CHAP_IDENT,
	HS_P_CHALLENGE,
	HS_P_RESPONSE,
	HS_P_MAC,
	HS_P_ARRAYS, /* the arrays above; then the interim interval */
};

/* Its columns. */
enum {
	HS_C_N,
	HS_C_RESULT,
	HS_C_REASON,
	HS_C_MESSAGE,
	HS_C_VOUCHER,
	HS_C_TIMEOUT,
	HS_C_DATA_LEFT,
	HS_C_RATE_LIMIT,
	HS_C_IDLE_TIMEOUT,
	HS_C_COLUMNS = HS_AUTHORIZE_BATCH_COLUMNS
};

typedef struct hs_auth_conn {
	PGconn *conn;
	long down_until_ms; /* no connect attempt before this (hs_db_clock_ms) */
} hs_auth_conn;

struct hs_auth {
	hs_auth_config cfg;
	hs_batch *q;
	hs_auth_conn *conns; /* one per worker */
};

/* "\x" and the hex of len bytes: a bytea in text form. */
static void hs_hex(char *out, uint8_t const *in, size_t len)
{
	static char const digits[] = "0123456789abcdef";
	size_t i;

	out[0] = '\\';
	out[1] = 'x';
	for (i = 0; i < len; i++) {
		out[2 + 2 * i] = digits[in[i] >> 4];
		out[3 + 2 * i] = digits[in[i] & 15];
	}
	out[2 + 2 * len] = '\0';
}

/* Appends one request to the arrays. */
static void hs_auth_add(hs_buf *col, hs_auth_req const *r)
{
	char hex[2 * HS_STR_MAX + 3];

	hs_pgarr_add(&col[HS_P_NAS], r->nas);
	hs_pgarr_add(&col[HS_P_USER], r->user);
	hs_pgarr_add(&col[HS_P_PASSWORD], r->pap ? r->password : NULL);
	hs_pgarr_add(&col[HS_P_CHAP_IDENT], r->chap ? r->chap_ident : NULL);
	if (r->chap) {
		hs_hex(hex, r->challenge, r->challenge_len);
		hs_pgarr_add(&col[HS_P_CHALLENGE], hex);
		hs_hex(hex, r->response, sizeof(r->response));
		hs_pgarr_add(&col[HS_P_RESPONSE], hex);
	} else {
		hs_pgarr_add(&col[HS_P_CHALLENGE], NULL);
		hs_pgarr_add(&col[HS_P_RESPONSE], NULL);
	}
	hs_pgarr_add(&col[HS_P_MAC], r->mac[0] ? r->mac : NULL);
}

/* Copies a text column (or "" for NULL) of row i. */
static void hs_auth_text(PGresult const *res, int i, int col, char *dst, size_t size)
{
	char const *v = PQgetisnull(res, i, col) ? "" : PQgetvalue(res, i, col);

	hs_copy_str(dst, size, v, strlen(v));
}

/* Reads a bigint column of row i into *out; false for NULL. */
static bool hs_auth_int(PGresult const *res, int i, int col, int64_t *out)
{
	if (PQgetisnull(res, i, col))
		return false;
	*out = strtoll(PQgetvalue(res, i, col), NULL, 10);
	return true;
}

/* Fills each request from its row (column n, 1-based). */
static void hs_auth_results(hs_auth const *a, PGresult const *res, hs_auth_req **reqs, unsigned n)
{
	int rows = PQntuples(res), i;

	for (i = 0; i < rows; i++) {
		long idx = strtol(PQgetvalue(res, i, HS_C_N), NULL, 10);
		hs_auth_req *r;

		if (idx < 1 || (unsigned long)idx > n) {
			ERROR("rlm_hotspot (%s): authorize row %ld is out of range", a->cfg.db.name,
			      idx);
			continue;
		}
		r = reqs[idx - 1];
		hs_auth_text(res, i, HS_C_RESULT, r->result, sizeof(r->result));
		hs_auth_text(res, i, HS_C_REASON, r->reason, sizeof(r->reason));
		hs_auth_text(res, i, HS_C_MESSAGE, r->message, sizeof(r->message));
		hs_auth_text(res, i, HS_C_VOUCHER, r->voucher, sizeof(r->voucher));
		hs_auth_text(res, i, HS_C_RATE_LIMIT, r->rate_limit, sizeof(r->rate_limit));
		r->has_timeout = hs_auth_int(res, i, HS_C_TIMEOUT, &r->session_timeout);
		r->has_data_left = hs_auth_int(res, i, HS_C_DATA_LEFT, &r->data_left);
		r->has_idle = hs_auth_int(res, i, HS_C_IDLE_TIMEOUT, &r->idle_timeout);
		r->rc = HS_DB_OK;
	}
}

/* A connection for worker w, unless the database failed within the second. */
static PGconn *hs_auth_conn_get(hs_auth *a, unsigned w)
{
	hs_auth_conn *c = &a->conns[w];

	if (c->conn)
		return c->conn;
	if (hs_db_clock_ms() < c->down_until_ms)
		return NULL;
	c->conn = hs_db_connect(&a->cfg.db);
	if (!c->conn)
		c->down_until_ms = hs_db_clock_ms() + 1000;
	return c->conn;
}

static void hs_auth_conn_drop(hs_auth *a, unsigned w)
{
	PQfinish(a->conns[w].conn);
	a->conns[w].conn = NULL;
}

/* One call; the requests that got a row have rc HS_DB_OK. */
static hs_db_rc hs_auth_call(hs_auth *a, PGconn *conn, char const *const *values,
			     hs_auth_req **reqs, unsigned n)
{
	PGresult *res = PQexecPrepared(conn, HS_STMT_AUTHORIZE_BATCH, HS_AUTHORIZE_BATCH_NPARAMS,
				       values, NULL, NULL, 0);
	hs_db_rc rc = hs_db_classify(&a->cfg.db, conn, res, "deciding Access-Requests");

	if (rc == HS_DB_OK && PQnfields(res) != HS_C_COLUMNS) {
		ERROR("rlm_hotspot (%s): hs_radius_authorize_batch returned %d columns",
		      a->cfg.db.name, PQnfields(res));
		rc = HS_DB_ERROR;
	}
	if (rc == HS_DB_OK)
		hs_auth_results(a, res, reqs, n);
	PQclear(res);
	return rc;
}

/*
 * Sends the call; a connection found dead is replaced and the call made
 * once more (the requests changed nothing), as is a transient failure.
 * Returns the last call's outcome.
 */
static hs_db_rc hs_auth_send(hs_auth *a, unsigned w, char const *const *values, hs_auth_req **reqs,
			     unsigned n)
{
	hs_db_rc rc = HS_DB_DOWN;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		bool had_conn = a->conns[w].conn != NULL;
		PGconn *conn = hs_auth_conn_get(a, w);

		if (!conn)
			return HS_DB_DOWN;
		rc = hs_auth_call(a, conn, values, reqs, n);
		if (rc == HS_DB_OK || rc == HS_DB_ERROR)
			return rc;
		if (rc == HS_DB_DOWN) {
			hs_auth_conn_drop(a, w);
			if (!had_conn) {
				a->conns[w].down_until_ms = hs_db_clock_ms() + 1000;
				return rc;
			}
		}
	}
	return rc;
}

/* Decides n requests in one call; returns its outcome. */
static hs_db_rc hs_auth_run(hs_auth *a, unsigned worker, hs_auth_req **reqs, unsigned n)
{
	hs_buf col[HS_P_ARRAYS];
	char const *values[HS_AUTHORIZE_BATCH_NPARAMS];
	hs_db_rc rc = HS_DB_ERROR;
	unsigned i;

	/* Each request's rc is HS_DB_DOWN (hs_auth_decide) until its row is read. */
	for (i = 0; i < HS_P_ARRAYS; i++) {
		hs_buf_init(&col[i], HS_AUTH_ARRAY_MAX);
		hs_pgarr_open(&col[i]);
	}
	for (i = 0; i < n; i++)
		hs_auth_add(col, reqs[i]);
	for (i = 0; i < HS_P_ARRAYS; i++) {
		hs_pgarr_close(&col[i]);
		if (col[i].failed) {
			ERROR("rlm_hotspot (%s): out of memory for Access-Requests",
			      a->cfg.db.name);
			goto out;
		}
		values[i] = col[i].data;
	}
	values[HS_P_ARRAYS] = a->cfg.interim_text;
	rc = hs_auth_send(a, worker, values, reqs, n);
out:
	for (i = 0; i < HS_P_ARRAYS; i++) {
		if (col[i].data)
			memset(col[i].data, 0, col[i].len); /* passwords */
		hs_buf_free(&col[i]);
	}
	return rc;
}

/*
 * When the database refuses the call itself, one request it cannot take
 * would leave the whole batch unanswered: each is then decided alone.
 */
static void hs_auth_process(void *ctx, unsigned worker, void **items, unsigned n)
{
	hs_auth *a = ctx;
	hs_auth_req **reqs = (hs_auth_req **)items;
	unsigned i;

	if (hs_auth_run(a, worker, reqs, n) != HS_DB_ERROR || n == 1)
		return;
	ERROR("rlm_hotspot (%s): the database refused a batch of %u Access-Requests; deciding "
	      "them one at a time",
	      a->cfg.db.name, n);
	for (i = 0; i < n; i++)
		(void)hs_auth_run(a, worker, &reqs[i], 1);
}

static bool hs_auth_conflict(void const *x, void const *y)
{
	return strcmp(((hs_auth_req const *)x)->user, ((hs_auth_req const *)y)->user) == 0;
}

static hs_batch_ops const hs_auth_ops = {
	.process = hs_auth_process, .conflict = hs_auth_conflict,
	/* No abandon: a request not processed keeps the rc it was submitted with. */
};

hs_auth *hs_auth_create(hs_auth_config const *cfg)
{
	hs_auth *a = calloc(1, sizeof(*a));
	hs_batch_config bcfg = {
		.name = cfg->db.name,
		.workers = cfg->workers,
		.batch_max = cfg->batch_max,
		.wait_us = cfg->batch_wait_us,
		.queue_max = cfg->queue_max,
	};

	if (!a)
		return NULL;
	a->cfg = *cfg;
	a->conns = calloc(cfg->workers, sizeof(*a->conns));
	if (a->conns)
		a->q = hs_batch_create(&bcfg, &hs_auth_ops, a);
	if (!a->q) {
		ERROR("rlm_hotspot (%s): cannot start the Access-Request batchers", cfg->db.name);
		free(a->conns);
		free(a);
		return NULL;
	}
	return a;
}

void hs_auth_free(hs_auth *a)
{
	unsigned i;

	if (!a)
		return;
	hs_batch_free(a->q);
	for (i = 0; i < a->cfg.workers; i++)
		PQfinish(a->conns[i].conn);
	free(a->conns);
	free(a);
}

void hs_auth_announce(hs_auth *a)
{
	hs_batch_announce(a->q);
}

void hs_auth_withdraw(hs_auth *a)
{
	hs_batch_withdraw(a->q);
}

void hs_auth_decide(hs_auth *a, hs_auth_req *req)
{
	/* Stays so unless the decision is read: refused, abandoned or failed alike. */
	req->rc = HS_DB_DOWN;
	(void)hs_batch_submit(a->q, req);
}
