/*
 * Accounting for rlm_hotspot (see hs_acct.h): the batching writer and the
 * spool.
 *
 * The writer is the one worker of a batching queue (hs_batch.h). Only it
 * touches the connection and the spool, so neither needs a lock. While the
 * spool holds records not yet replayed, new batches are appended to it too,
 * so the database receives every record in arrival order.
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>

#include "hs_acct.h"
#include "hs_batch.h"

#include "common/text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HS_ARRAY_MAX     (8u << 20) /* bytes per array literal */
#define HS_REPLAY_READ   (256u << 10)
#define HS_REPLAY_CHUNKS 8 /* batches replayed per turn, so new records are not held up */
/* How long a batch waits for a connection under way (a local one takes a few ms). */
#define HS_CONNECT_SLICE_MS 200

typedef struct hs_acct_item {
	hs_acct_rec const *rec;
	hs_acct_result result;
} hs_acct_item;

struct hs_acct {
	hs_acct_config cfg;
	hs_batch *q;

	/* The writer's own. */
	hs_acct_rec const **batch_recs; /* cfg.batch_max each */
	hs_acct_result *batch_out;
	char *replay_buf;         /* HS_REPLAY_READ bytes of the spool */
	hs_acct_rec *replay_recs; /* cfg.batch_max each */
	hs_acct_result *replay_out;
	PGconn *conn;
	hs_db_pending pending; /* a connection under way */
	long down_until_ms;    /* no connect attempt before this (hs_db_clock_ms) */
	int spool_fd;
	off_t spool_size; /* bytes in the spool */
	off_t replay_pos; /* bytes of it already in the database */
};

/* --- the spool ------------------------------------------------------------------ */

/* Makes the spool's directory entry durable (a new file is lost otherwise). */
static void hs_spool_sync_dir(char const *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

/*
 * Cuts a record torn by a crash off the end of the spool: everything after
 * the last newline, however far back (every acknowledged record ends with
 * one, so nothing after it was). Returns the new size, or -1.
 */
static off_t hs_spool_cut_torn(int fd, off_t size)
{
	char buf[HS_SPOOL_LINE_MAX];
	off_t end = size;

	while (end > 0) {
		off_t from = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
		ssize_t n = pread(fd, buf, (size_t)(end - from), from);

		if (n != end - from)
			return -1;
		while (n > 0 && buf[n - 1] != '\n')
			n--;
		end = from + n;
		if (n > 0)
			break;
	}
	if (end == size)
		return size;
	if (ftruncate(fd, end) != 0 || fdatasync(fd) != 0)
		return -1;
	return end;
}

/* Opens the spool; returns 0, or -1 after logging. */
static int hs_spool_open(hs_acct *a)
{
	struct stat st;
	int fd;

	fd = open(a->cfg.spool_file, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 || fstat(fd, &st) != 0) {
		ERROR("rlm_hotspot (%s): cannot open the accounting spool %s: %s", a->cfg.db.name,
		      a->cfg.spool_file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	hs_spool_sync_dir(a->cfg.spool_file);
	a->spool_fd = fd;
	a->spool_size = hs_spool_cut_torn(fd, st.st_size);
	if (a->spool_size < 0) {
		ERROR("rlm_hotspot (%s): cannot read the accounting spool %s: %s", a->cfg.db.name,
		      a->cfg.spool_file, strerror(errno));
		return -1;
	}
	if (a->spool_size > 0)
		INFO("rlm_hotspot (%s): the accounting spool holds %" PRId64
		     " bytes to replay into the database",
		     a->cfg.db.name, (int64_t)a->spool_size);
	return 0;
}

static bool hs_spool_pending(hs_acct const *a)
{
	return a->spool_size > a->replay_pos;
}

/* Writes all of buf at the end of the spool and syncs; returns 0 or -1. */
static int hs_spool_write(hs_acct *a, char const *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(a->spool_fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (fdatasync(a->spool_fd) != 0)
		goto fail;
	a->spool_size += (off_t)len;
	return 0;
fail:
	ERROR("rlm_hotspot (%s): cannot write the accounting spool %s: %s", a->cfg.db.name,
	      a->cfg.spool_file, strerror(errno));
	/* A partial record must not glue itself to the next one. */
	if (ftruncate(a->spool_fd, a->spool_size) != 0) {
		struct stat st;

		ERROR("rlm_hotspot (%s): cannot cut the accounting spool back", a->cfg.db.name);
		/* Then end it as a line of its own (skipped as damaged), and count it in. */
		if (write(a->spool_fd, "\n", 1) < 0 || fstat(a->spool_fd, &st) != 0)
			return -1;
		a->spool_size = st.st_size;
	}
	return -1;
}

/* Appends the batch to the spool; every item gets SPOOLED, or FAILED. */
static void hs_spool_append(hs_acct *a, hs_acct_item **items, unsigned n)
{
	hs_acct_result r = HS_ACCT_FAILED;
	char line[HS_SPOOL_LINE_MAX];
	hs_buf b;
	unsigned i;

	hs_buf_init(&b, (size_t)n * HS_SPOOL_LINE_MAX);
	for (i = 0; i < n; i++) {
		int len = hs_spool_encode(items[i]->rec, line, sizeof(line));

		if (len < 0 || hs_buf_append(&b, line, (size_t)len) < 0)
			break;
	}
	if (i == n && !b.failed && hs_spool_write(a, b.data, b.len) == 0)
		r = HS_ACCT_SPOOLED;
	for (i = 0; i < n; i++)
		items[i]->result = r;
	hs_buf_free(&b);
}

/* --- the database ------------------------------------------------------------- */

bool hs_acct_rec_storable(hs_acct_rec *r)
{
	char const *text[] = {r->nas, r->uid, r->sid, r->user, r->framed, r->cause};
	size_t i;

	/* A device name that is not text names no device: absent, as at login. */
	if (!hs_utf8_text(r->mac, strlen(r->mac))) {
		r->mac[0] = '\0';
		r->present &= ~(unsigned)HS_F_MAC;
	}
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (!hs_utf8_text(text[i], strlen(text[i])))
			return false;
	/* A status or a time no record can have: the spool's lines cannot hold them either. */
	return r->in_octets <= HS_OCTETS_STORABLE && r->out_octets <= HS_OCTETS_STORABLE &&
	       r->status >= 0 && r->status <= 255 && r->at_sec >= 0;
}

/* The twelve array literals of one call. */
typedef struct hs_acct_arrays {
	hs_buf col[HS_ACCOUNTING_NPARAMS];
} hs_acct_arrays;

/* Appends rec to the arrays; a field marked absent goes as NULL. */
static void hs_arrays_add(hs_acct_arrays *x, hs_acct_rec const *r)
{
	char num[3][24], status[16], at[48];
	unsigned p = r->present;

	/* Not snprintf: these run for every record, in the one writer thread. */
	if (r->status >= 0)
		(void)hs_u64_text(status, sizeof(status), (uint64_t)r->status);
	else
		snprintf(status, sizeof(status), "%d", r->status);
	(void)hs_u64_text(num[0], sizeof(num[0]), r->in_octets);
	(void)hs_u64_text(num[1], sizeof(num[1]), r->out_octets);
	(void)hs_u64_text(num[2], sizeof(num[2]), r->session_time);
	hs_pgarr_add(&x->col[0], r->nas);
	hs_pgarr_add(&x->col[1], status);
	hs_pgarr_add(&x->col[2], p & HS_F_UID ? r->uid : NULL);
	hs_pgarr_add(&x->col[3], p & HS_F_SID ? r->sid : NULL);
	hs_pgarr_add(&x->col[4], p & HS_F_USER ? r->user : NULL);
	hs_pgarr_add(&x->col[5], p & HS_F_MAC ? r->mac : NULL);
	hs_pgarr_add(&x->col[6], p & HS_F_FRAMED ? r->framed : NULL);
	hs_pgarr_add(&x->col[7], p & HS_F_IN ? num[0] : NULL);
	hs_pgarr_add(&x->col[8], p & HS_F_OUT ? num[1] : NULL);
	hs_pgarr_add(&x->col[9], p & HS_F_TIME ? num[2] : NULL);
	hs_pgarr_add(&x->col[10], p & HS_F_CAUSE ? r->cause : NULL);
	hs_pgarr_add(&x->col[11],
		     hs_format_utc(at, sizeof(at), r->at_sec, r->at_usec) > 0 ? at : NULL);
}

/* Maps the function's per-record results onto out (n entries, 1-based idx). */
static void hs_acct_results(hs_acct const *a, PGresult const *res, hs_acct_result *out, unsigned n)
{
	int rows = PQntuples(res), i;

	for (i = 0; i < rows; i++) {
		long idx = strtol(PQgetvalue(res, i, 0), NULL, 10);
		char const *r = PQgetvalue(res, i, 1);

		if (idx < 1 || (unsigned long)idx > n)
			continue;
		if (strcmp(r, "ok") == 0) {
			out[idx - 1] = HS_ACCT_STORED;
		} else if (strcmp(r, "invalid") == 0) {
			out[idx - 1] = HS_ACCT_INVALID;
		} else if (strcmp(r, "unknown_client") == 0) {
			out[idx - 1] = HS_ACCT_UNKNOWN;
		} else {
			ERROR("rlm_hotspot (%s): accounting result '%s' is not known; record not "
			      "acknowledged",
			      a->cfg.db.name, r);
		}
	}
}

/* One call of hs_radius_accounting on the writer's connection. */
static hs_db_rc hs_acct_call(hs_acct *a, hs_acct_arrays const *x, hs_acct_result *out, unsigned n)
{
	char const *values[HS_ACCOUNTING_NPARAMS];
	PGresult *res;
	hs_db_rc rc;
	unsigned i;

	for (i = 0; i < HS_ACCOUNTING_NPARAMS; i++)
		values[i] = x->col[i].data;
	res = PQexecPrepared(a->conn, HS_STMT_ACCOUNTING, HS_ACCOUNTING_NPARAMS, values, NULL, NULL,
			     0);
	rc = hs_db_classify(&a->cfg.db, a->conn, res, "storing accounting");
	if (rc == HS_DB_OK)
		hs_acct_results(a, res, out, n);
	PQclear(res);
	return rc;
}

/*
 * A connection for the writer, unless the database failed within the
 * second. It is made a slice at a time: while the database does not answer,
 * each batch waits HS_CONNECT_SLICE_MS at most and then goes to the spool,
 * instead of waiting out the connect timeout with its routers unanswered.
 */
static bool hs_acct_connect(hs_acct *a)
{
	if (a->conn)
		return true;
	if (!a->pending.conn && hs_db_clock_ms() < a->down_until_ms)
		return false;
	switch (hs_db_connect_step(&a->cfg.db, &a->pending, HS_CONNECT_SLICE_MS, &a->conn)) {
	case HS_DB_MADE:
		return true;
	case HS_DB_WAITING:
		return false;
	case HS_DB_FAILED:
		break;
	}
	a->down_until_ms = hs_db_clock_ms() + 1000;
	return false;
}

/*
 * Stores n records in one call and one commit. out[i] gets each record's
 * result (FAILED unless the call succeeded). A deadlock or serialization
 * failure is retried once: every record is idempotent.
 */
static hs_db_rc hs_acct_store(hs_acct *a, hs_acct_rec const *const *recs, hs_acct_result *out,
			      unsigned n)
{
	hs_acct_arrays x;
	hs_db_rc rc = HS_DB_DOWN;
	unsigned i;
	int attempt;

	for (i = 0; i < n; i++)
		out[i] = HS_ACCT_FAILED;
	if (!hs_acct_connect(a))
		return HS_DB_DOWN;
	for (i = 0; i < HS_ACCOUNTING_NPARAMS; i++) {
		hs_buf_init(&x.col[i], HS_ARRAY_MAX);
		hs_pgarr_open(&x.col[i]);
	}
	for (i = 0; i < n; i++)
		hs_arrays_add(&x, recs[i]);
	rc = HS_DB_ERROR;
	for (i = 0; i < HS_ACCOUNTING_NPARAMS; i++) {
		hs_pgarr_close(&x.col[i]);
		if (x.col[i].failed)
			goto out;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		rc = hs_acct_call(a, &x, out, n);
		if (rc != HS_DB_AGAIN)
			break;
	}
	if (rc == HS_DB_DOWN || rc == HS_DB_AGAIN) {
		PQfinish(a->conn);
		a->conn = NULL;
		a->down_until_ms = hs_db_clock_ms() + 1000;
	}
out:
	for (i = 0; i < HS_ACCOUNTING_NPARAMS; i++)
		hs_buf_free(&x.col[i]);
	return rc;
}

/*
 * Stores n records; when the database refuses the statement itself (one
 * record it cannot take fails the batch), stores them one at a time, so
 * that only such a record fails (FAILED in out). *done is the number of
 * records decided; returns HS_DB_OK once all are, else what stopped it.
 */
static hs_db_rc hs_acct_store_all(hs_acct *a, hs_acct_rec const *const *recs, hs_acct_result *out,
				  unsigned n, unsigned *done)
{
	hs_db_rc rc = hs_acct_store(a, recs, out, n);
	unsigned i, one;

	*done = rc == HS_DB_OK ? n : 0;
	if (rc != HS_DB_ERROR)
		return rc;
	if (n == 1) {
		ERROR("rlm_hotspot (%s): the database refused the accounting record of session %s "
		      "from %s (status %d)",
		      a->cfg.db.name, recs[0]->sid, recs[0]->nas, recs[0]->status);
		*done = 1;
		return HS_DB_OK;
	}
	ERROR("rlm_hotspot (%s): the database refused a batch of %u accounting records; storing "
	      "them one at a time",
	      a->cfg.db.name, n);
	for (i = 0; i < n; i++) {
		rc = hs_acct_store_all(a, &recs[i], &out[i], 1, &one);
		if (rc != HS_DB_OK)
			return rc;
		*done = i + 1;
	}
	return HS_DB_OK;
}

/* Stores a batch of queued items, or spools it; sets every item's result. */
static void hs_acct_process(void *ctx, unsigned worker, void **batch, unsigned n)
{
	hs_acct *a = ctx;
	hs_acct_item **items = (hs_acct_item **)batch;
	hs_acct_rec const **recs = a->batch_recs;
	hs_acct_result *out = a->batch_out;
	unsigned i, done;

	(void)worker;
	if (hs_spool_pending(a)) {
		hs_spool_append(a, items, n);
		return;
	}
	for (i = 0; i < n; i++)
		recs[i] = items[i]->rec;
	(void)hs_acct_store_all(a, recs, out, n, &done);
	for (i = 0; i < done; i++)
		items[i]->result = out[i];
	/* The database went away: the rest goes to the spool. */
	if (done < n)
		hs_spool_append(a, items + done, n - done);
}

/* --- replaying the spool -------------------------------------------------------- */

/*
 * Reads up to max records of the spool from replay_pos into recs; *used is
 * the bytes they took (damaged lines are skipped, logged, and counted in).
 * Returns the number of records, or -1 on a read error.
 */
static int hs_replay_read(hs_acct *a, char *buf, hs_acct_rec *recs, unsigned max, size_t *used)
{
	size_t want = HS_REPLAY_READ, off = 0;
	ssize_t got;
	unsigned n = 0;

	if ((off_t)want > a->spool_size - a->replay_pos)
		want = (size_t)(a->spool_size - a->replay_pos);
	got = pread(a->spool_fd, buf, want, a->replay_pos);
	if (got < 0)
		return -1;
	while (n < max && off < (size_t)got) {
		char *nl = memchr(buf + off, '\n', (size_t)got - off);

		if (!nl)
			break;
		if (hs_spool_decode(buf + off, (size_t)(nl - (buf + off)), &recs[n]) != 0)
			ERROR("rlm_hotspot (%s): damaged record in the accounting spool at byte "
			      "%" PRId64 "; skipped",
			      a->cfg.db.name, (int64_t)(a->replay_pos + (off_t)off));
		else if (!hs_acct_rec_storable(&recs[n]))
			WARN("rlm_hotspot (%s): malformed record in the accounting spool at byte "
			     "%" PRId64 "; dropped",
			     a->cfg.db.name, (int64_t)(a->replay_pos + (off_t)off));
		else
			n++;
		off = (size_t)(nl - buf) + 1;
	}
	/* Not one line end in what is left to read: damage, skipped whole. */
	if (off == 0 && got > 0) {
		ERROR("rlm_hotspot (%s): %zd damaged bytes in the accounting spool at byte %" PRId64
		      "; skipped",
		      a->cfg.db.name, got, (int64_t)a->replay_pos);
		off = (size_t)got;
	}
	*used = off;
	return (int)n;
}

/*
 * Appends a spooled record the database refused to the spool's ".rejected"
 * file, synced; returns 0, or -1 (logged) when it cannot be kept there.
 */
static int hs_replay_reject(hs_acct const *a, hs_acct_rec const *rec)
{
	char path[PATH_MAX + sizeof(".rejected")], line[HS_SPOOL_LINE_MAX];
	int len = hs_spool_encode(rec, line, sizeof(line)), fd = -1, rc = -1;

	if (len > 0 &&
	    snprintf(path, sizeof(path), "%s.rejected", a->cfg.spool_file) < (int)sizeof(path))
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, line, (size_t)len) == len && fdatasync(fd) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		ERROR("rlm_hotspot (%s): the database refused a spooled accounting record of "
		      "session %s from %s; kept in %s.rejected",
		      a->cfg.db.name, rec->sid, rec->nas, a->cfg.spool_file);
	else
		ERROR("rlm_hotspot (%s): cannot keep a refused accounting record in %s.rejected: "
		      "%s",
		      a->cfg.db.name, a->cfg.spool_file, strerror(errno));
	return rc;
}

/*
 * Logs what the database did not take of a replayed batch (it cannot be
 * resent), keeping a refused record aside; returns -1 when one could not be.
 */
static int hs_replay_log(hs_acct const *a, hs_acct_result const *out, hs_acct_rec const *recs,
			 unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (out[i] == HS_ACCT_STORED)
			continue;
		if (out[i] == HS_ACCT_FAILED) {
			if (hs_replay_reject(a, &recs[i]) < 0)
				return -1;
			continue;
		}
		WARN("rlm_hotspot (%s): spooled accounting record from %s (status %d) was %s; "
		     "dropped",
		     a->cfg.db.name, recs[i].nas, recs[i].status,
		     out[i] == HS_ACCT_INVALID ? "invalid" : "from an unknown router");
	}
	return 0;
}

/* Empties the spool once everything in it is in the database. */
static void hs_replay_finish(hs_acct *a)
{
	if (ftruncate(a->spool_fd, 0) != 0 || fdatasync(a->spool_fd) != 0) {
		ERROR("rlm_hotspot (%s): cannot empty the accounting spool: %s", a->cfg.db.name,
		      strerror(errno));
		return;
	}
	INFO("rlm_hotspot (%s): accounting spool replayed into the database", a->cfg.db.name);
	a->spool_size = a->replay_pos = 0;
}

/* Replays a bounded part of the spool; stops at the first failure. */
static void hs_acct_replay(hs_acct *a, char *buf, hs_acct_rec *recs, hs_acct_result *out)
{
	hs_acct_rec const *ptrs[a->cfg.batch_max];
	unsigned chunk, i, done;

	for (chunk = 0; chunk < HS_REPLAY_CHUNKS && hs_spool_pending(a); chunk++) {
		size_t used = 0;
		int n = hs_replay_read(a, buf, recs, a->cfg.batch_max, &used);

		if (n < 0 || used == 0) {
			ERROR("rlm_hotspot (%s): cannot read the accounting spool", a->cfg.db.name);
			a->down_until_ms = hs_db_clock_ms() + 10000;
			return;
		}
		for (i = 0; i < (unsigned)n; i++)
			ptrs[i] = &recs[i];
		/* Not stored whole: replayed again from its start (every record is idempotent). */
		if (n > 0 && (hs_acct_store_all(a, ptrs, out, (unsigned)n, &done) != HS_DB_OK ||
			      hs_replay_log(a, out, recs, (unsigned)n) < 0)) {
			if (a->conn)
				a->down_until_ms = hs_db_clock_ms() + 10000;
			return;
		}
		a->replay_pos += (off_t)used;
	}
	if (!hs_spool_pending(a))
		hs_replay_finish(a);
}

/* --- the writer ---------------------------------------------------------------- */

/*
 * Between batches: replays part of the spool unless the database failed
 * within the last moments. Returns whether the spool still holds records.
 */
static bool hs_acct_idle(void *ctx)
{
	hs_acct *a = ctx;

	if (!hs_spool_pending(a))
		return false;
	if (hs_db_clock_ms() >= a->down_until_ms)
		hs_acct_replay(a, a->replay_buf, a->replay_recs, a->replay_out);
	return hs_spool_pending(a);
}

static void hs_acct_abandon(void *ctx, void *item)
{
	(void)ctx;
	((hs_acct_item *)item)->result = HS_ACCT_FAILED;
}

static hs_batch_ops const hs_acct_ops = {
	.process = hs_acct_process,
	.idle = hs_acct_idle,
	.abandon = hs_acct_abandon,
};

hs_acct *hs_acct_create(hs_acct_config const *cfg)
{
	hs_acct *a = calloc(1, sizeof(*a));
	/* One writer: the spool and the database get the records in arrival order. */
	hs_batch_config bcfg = {
		.name = cfg->db.name,
		.workers = 1,
		.batch_max = cfg->batch_max,
		.wait_us = cfg->batch_wait_us,
		.queue_max = cfg->queue_max,
		/* Accounting has no early point to announce from: go by the arrival rate. */
		.by_rate = true,
	};

	if (!a)
		return NULL;
	a->cfg = *cfg;
	a->spool_fd = -1;
	a->replay_buf = malloc(HS_REPLAY_READ);
	a->replay_recs = calloc(cfg->batch_max, sizeof(*a->replay_recs));
	a->replay_out = calloc(cfg->batch_max, sizeof(*a->replay_out));
	a->batch_recs = calloc(cfg->batch_max, sizeof(*a->batch_recs));
	a->batch_out = calloc(cfg->batch_max, sizeof(*a->batch_out));
	if (!a->replay_buf || !a->replay_recs || !a->replay_out || !a->batch_recs ||
	    !a->batch_out) {
		ERROR("rlm_hotspot (%s): out of memory", cfg->db.name);
		goto fail;
	}
	if (hs_spool_open(a) < 0)
		goto fail;
	a->q = hs_batch_create(&bcfg, &hs_acct_ops, a);
	if (!a->q) {
		ERROR("rlm_hotspot (%s): cannot start the accounting writer", cfg->db.name);
		goto fail;
	}
	return a;
fail:
	hs_acct_free(a);
	return NULL;
}

void hs_acct_free(hs_acct *a)
{
	if (!a)
		return;
	/* Answers what is queued (not stored: the routers resend it). */
	hs_batch_free(a->q);
	hs_db_pending_drop(&a->pending);
	PQfinish(a->conn);
	if (a->spool_fd >= 0)
		close(a->spool_fd);
	free(a->replay_buf);
	free(a->replay_recs);
	free(a->replay_out);
	free(a->batch_recs);
	free(a->batch_out);
	free(a);
}

hs_acct_result hs_acct_submit(hs_acct *a, hs_acct_rec const *rec)
{
	hs_acct_item item = {rec, HS_ACCT_FAILED};

	/* The writer's every step is bounded (connect, statement and TCP timeouts). */
	if (!hs_batch_submit(a->q, &item))
		return HS_ACCT_FAILED;
	return item.result;
}
