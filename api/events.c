/*
 * GET /api/v1/events: the tenant's live events as Server-Sent Events.
 *
 * Each message is one row of the events outbox:
 *
 *   id: <events.id>
 *   event: <events.type>
 *   data: <events.payload, JSON on one line>
 *
 * A client that reconnects with Last-Event-ID (or ?last_event_id=, for
 * EventSource polyfills that cannot set headers) gets every event after that
 * id, in id order, once; without one the stream starts after the tenant's
 * newest event.  Comment lines ": ping" keep idle connections open through
 * proxies.  Docs: docs/events.md.
 *
 * How it reads.  The stream runs in the connection's own thread (libmicro-
 * httpd's thread per connection): its read callback waits on the client's
 * socket for at most EV_POLL_MS, then asks PostgreSQL, through the API
 * pool, in a transaction with the caller's tenant set, so row-level
 * security alone picks the tenant's rows.  Ids come from a sequence and
 * commit out of order, so the stream never reads past the horizon of
 * hs_events_horizon() (migration 0013): the highest id below which no
 * transaction can still add a row.  Reading "id > last sent" up to that
 * horizon neither skips an event committed late nor sends one twice.
 *
 * How it ends.  When the client goes away, or when hotspotd stops (the
 * server shuts the sockets down), the socket turns readable and the next
 * wait returns at once: the stream ends within EV_POLL_MS.  A client is
 * not expected to send anything on a stream; if it does, the stream ends
 * too.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api/auth.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"
#include "common/log.h"

#define EV_POLL_MS   500  /* between database polls */
#define EV_BATCH     100  /* events read per poll */
#define EV_POOL_WAIT 1000 /* ms to wait for a pooled connection */
#define EV_ID_DIGITS 18   /* an id of at most 18 digits fits in 63 bits */
#define EV_RETRY_MS  "3000"
#define EV_STR_(x)   #x
#define EV_STR(x)    EV_STR_(x)

/* Open streams across all tenants, against EVENTS_MAX_STREAMS. */
static atomic_int ev_open;

/* One stream; owned by the server once api_reply_stream took it. */
typedef struct {
	hs_db_pool *db;
	char tenant[API_UUID_LEN];
	char token_id[API_UUID_LEN];
	char token_hash[65];    /* the caller's token, re-checked while the stream runs */
	long long next_check;   /* CLOCK_MONOTONIC ms of the next check */
	int fd;                 /* the client's socket, to wait on */
	long long cursor;       /* the last id sent (or the start) */
	long long safe;         /* every id <= safe is final */
	long long pending_last; /* last_id of a horizon still waiting for its writers */
	char *pending_writers;  /* their virtual transaction ids, as a text[] literal */
	long heartbeat_ms;
	bool failing;                   /* the last poll failed: logged once, not twice a second */
	long long next_poll, next_ping; /* CLOCK_MONOTONIC ms */
	char *buf;                      /* bytes not yet handed to the server */
	size_t len, off, cap;
} ev_stream;

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Appends n bytes of s to the stream's buffer; -1 when out of memory. */
static int buf_add(ev_stream *st, const char *s, size_t n)
{
	if (st->len + n > st->cap) {
		size_t cap = st->cap ? st->cap : 4096;
		char *grown;

		while (cap < st->len + n)
			cap *= 2;
		grown = realloc(st->buf, cap);
		if (!grown)
			return -1;
		st->buf = grown;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, s, n);
	st->len += n;
	return 0;
}

static int buf_str(ev_stream *st, const char *s)
{
	return buf_add(st, s, strlen(s));
}

static void stream_free(ev_stream *st)
{
	if (!st)
		return;
	free(st->pending_writers);
	free(st->buf);
	explicit_bzero(st->token_hash, sizeof st->token_hash);
	free(st);
}

/* ---- the horizon ------------------------------------------------------------ */

/*
 * Moves st->safe forward from one call of hs_events_horizon (row 0 of res:
 * settled, last_id, writers).  An earlier horizon whose writers have all
 * finished becomes safe; a new one with no writers is safe at once;
 * otherwise it waits for the next poll.
 */
static void horizon_apply(ev_stream *st, const PGresult *res)
{
	bool settled = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	long long last = atoll(PQgetvalue(res, 0, 1));
	const char *writers = PQgetvalue(res, 0, 2);

	if (st->pending_writers && settled) {
		if (st->pending_last > st->safe)
			st->safe = st->pending_last;
		free(st->pending_writers);
		st->pending_writers = NULL;
	}
	if (strcmp(writers, "{}") == 0) {
		if (last > st->safe)
			st->safe = last;
		free(st->pending_writers);
		st->pending_writers = NULL;
	} else if (!st->pending_writers) {
		st->pending_writers = strdup(writers); /* NULL: tried again next poll */
		st->pending_last = last;
	}
}

/* Appends one SSE message per row of res (id, type, payload text). */
static int messages_add(ev_stream *st, const PGresult *res)
{
	char head[160];

	for (int i = 0; i < PQntuples(res); i++) {
		snprintf(head, sizeof head, "id: %s\nevent: %s\ndata: ", PQgetvalue(res, i, 0),
			 PQgetvalue(res, i, 1));
		if (buf_str(st, head) || buf_str(st, PQgetvalue(res, i, 2)) || buf_str(st, "\n\n"))
			return -1;
		st->cursor = atoll(PQgetvalue(res, i, 0));
	}
	return 0;
}

/*
 * Whether the stream's token still holds events.read (live, not revoked or
 * expired, its admin and tenant active): 1 yes, 0 no, -1 when the database
 * did not say.  Runs in the poll's transaction, which is rolled back.
 */
static int token_live(ev_stream *st, PGconn *conn)
{
	const char *params[2] = {st->token_hash, st->token_id};
	PGresult *res =
		PQexecParams(conn,
			     "SELECT count(*) FROM hs_api_token_resolve($1)"
			     " WHERE token_id = $2::uuid AND ('events.read' = ANY (abilities)"
			     " OR '*' = ANY (abilities))",
			     2, NULL, params, NULL, NULL, 0);
	int rc = -1;

	if (hs_db_classify(conn, res) == HS_DB_OK && PQntuples(res) == 1)
		rc = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	return rc;
}

/*
 * One poll: the horizon, then the tenant's events after the cursor up to
 * it; every heartbeat interval, the token first.  Returns the number of
 * events added, -1 when the database could not be asked (the stream goes
 * on; the next poll tries again), -2 when memory ran out, or -3 when the
 * token no longer holds events.read.
 */
static int stream_poll(ev_stream *st)
{
	char err[256] = "", cursor[24], safe[24];
	const char *params[2];
	PGresult *res = NULL;
	PGconn *conn;
	int n = -1;

	conn = hs_db_pool_get(st->db, EV_POOL_WAIT, err, sizeof err);
	if (!conn) {
		if (!st->failing)
			hs_log(HS_LOG_WARN, "events: database unreachable: %s", err);
		st->failing = true;
		return -1;
	}
	if (hs_db_tx_tenant(conn, st->tenant, err, sizeof err) != HS_DB_OK)
		goto out;
	if (now_ms() >= st->next_check) {
		int live = token_live(st, conn);

		if (live == 0) {
			n = -3;
			goto out;
		}
		if (live == 1)
			st->next_check = now_ms() + st->heartbeat_ms;
	}
	params[0] = st->pending_writers;
	res = PQexecParams(conn, "SELECT * FROM hs_events_horizon($1::text[])", 1, NULL, params,
			   NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK || PQntuples(res) != 1)
		goto fail;
	horizon_apply(st, res);
	PQclear(res);
	res = NULL;
	n = 0;
	if (st->safe <= st->cursor)
		goto out;
	snprintf(cursor, sizeof cursor, "%lld", st->cursor);
	snprintf(safe, sizeof safe, "%lld", st->safe);
	params[0] = cursor;
	params[1] = safe;
	res = PQexecParams(conn,
			   "SELECT id, type, payload::text FROM events WHERE id > $1::bigint"
			   " AND id <= $2::bigint ORDER BY id LIMIT " EV_STR(EV_BATCH),
			   2, NULL, params, NULL, NULL, 0);
	if (hs_db_classify(conn, res) != HS_DB_OK)
		goto fail;
	n = messages_add(st, res) == 0 ? PQntuples(res) : -2;
	goto out;
fail:
	hs_db_errmsg(conn, res, err, sizeof err);
	n = -1;
out:
	if (n == -1 && *err && !st->failing)
		hs_log(HS_LOG_WARN, "events: poll failed: %s", err);
	if (n != -1 && st->failing)
		hs_log(HS_LOG_INFO, "events: polling again");
	st->failing = n == -1;
	PQclear(res);
	PQclear(PQexec(conn, "ROLLBACK"));
	hs_db_pool_put(st->db, conn, PQstatus(conn) != CONNECTION_OK);
	return n;
}

/* ---- the stream ---------------------------------------------------------------- */

/*
 * Waits up to ms for the client's socket.  true when it turned readable or
 * broken: the client closed it, sent something, or the server shut it down
 * to stop.
 */
static bool client_gone(const ev_stream *st, long long ms)
{
	struct pollfd p = {.fd = st->fd, .events = POLLIN | POLLRDHUP};
	int rc;

	if (ms < 0)
		ms = 0;
	rc = poll(&p, 1, (int)ms);
	if (rc < 0)
		return errno != EINTR;
	return rc > 0;
}

/* Copies buffered bytes to out; their count. */
static long buf_take(ev_stream *st, char *out, size_t max)
{
	size_t n = st->len - st->off;

	if (n > max)
		n = max;
	memcpy(out, st->buf + st->off, n);
	st->off += n;
	if (st->off == st->len)
		st->off = st->len = 0;
	return (long)n;
}

/*
 * The api_stream_read callback: hands over buffered bytes; when there are
 * none, waits on the client, polls the database every EV_POLL_MS and
 * writes a ping when the stream was silent for the heartbeat interval.
 * Never returns 0; -1 ends the stream.
 */
static long stream_read(void *cls, char *out, size_t max)
{
	ev_stream *st = cls;

	while (st->len == st->off) {
		long long now = now_ms(),
			  due = st->next_poll < st->next_ping ? st->next_poll : st->next_ping;

		if (client_gone(st, due - now))
			return -1;
		now = now_ms();
		if (now >= st->next_poll) {
			int n = stream_poll(st);

			/* A full batch means more is waiting: poll again at once. */
			st->next_poll = n == EV_BATCH ? now : now + EV_POLL_MS;
			if (n == -2 || n == -3)
				return -1;
		}
		if (st->len == 0 && now >= st->next_ping && buf_str(st, ": ping\n\n") != 0)
			return -1;
		if (st->len > 0)
			st->next_ping = now + st->heartbeat_ms;
	}
	return buf_take(st, out, max);
}

static void stream_done(void *cls)
{
	stream_free(cls);
	atomic_fetch_sub(&ev_open, 1);
}

/* ---- the request ------------------------------------------------------------------ */

/*
 * The id to resume after: Last-Event-ID, else ?last_event_id=; 0 with
 * *given false when neither is there.  -1 with a 422 answered when it is
 * not a non-negative integer of at most 18 digits.
 */
static long long resume_arg(api_req *req, bool *given)
{
	const char *s = api_req_header(req, "Last-Event-ID");
	size_t n;

	if (!s || *s == '\0')
		s = api_req_query(req, "last_event_id");
	*given = s && *s;
	if (!*given)
		return 0;
	n = strspn(s, "0123456789");
	if (n == 0 || n > EV_ID_DIGITS || s[n] != '\0') {
		api_reply_invalid(req, "validation failed",
				  json_pack("{s:[s]}", "last_event_id",
					    "must be the id of an event: an integer of at most "
					    "18 digits"));
		return -1;
	}
	return atoll(s);
}

/*
 * The start of a stream without a resume id: the tenant's newest event.
 * 0 with *start set, or -1 with 503 answered.
 */
static int stream_start(api_req *req, long long *start)
{
	PGconn *conn = api_tx_begin(req);
	PGresult *res;
	int rc = -1;

	if (!conn)
		return -1;
	res = PQexecParams(conn, "SELECT coalesce(max(id), 0) FROM events", 0, NULL, NULL, NULL,
			   NULL, 0);
	if (hs_db_classify(conn, res) == HS_DB_OK && PQntuples(res) == 1) {
		*start = atoll(PQgetvalue(res, 0, 0));
		rc = 0;
	} else {
		api_reply_error(req, 503, "database unavailable");
	}
	PQclear(res);
	api_tx_end(req, conn, false);
	return rc;
}

/* A new stream for req after cursor; NULL when out of memory. */
static ev_stream *stream_new(const api_req *req, long long cursor, int fd)
{
	const char *token = api_auth_bearer(api_req_header(req, "Authorization"));
	const hs_config *cfg = req->app->cfg;
	ev_stream *st = calloc(1, sizeof *st);
	long beat = cfg->events_heartbeat;

	if (!st)
		return NULL;
	/* Below the idle timeout, or the server would close a quiet stream. */
	if (beat > cfg->api_connection_timeout / 2)
		beat = cfg->api_connection_timeout / 2 > 0 ? cfg->api_connection_timeout / 2 : 1;
	st->db = req->app->db;
	memcpy(st->tenant, req->who.tenant_id, sizeof st->tenant);
	memcpy(st->token_id, req->who.token_id, sizeof st->token_id);
	if (!token || api_auth_token_hash(token, st->token_hash) != 0) {
		stream_free(st);
		return NULL;
	}
	st->fd = fd;
	st->cursor = cursor;
	st->safe = cursor;
	st->heartbeat_ms = beat * 1000;
	st->next_poll = now_ms();
	st->next_ping = st->next_poll + st->heartbeat_ms;
	st->next_check = st->next_ping; /* the authorizer has just checked it */
	/* The first bytes make the server send the headers at once. */
	if (buf_str(st, "retry: " EV_RETRY_MS "\n: connected\n\n") != 0) {
		stream_free(st);
		return NULL;
	}
	return st;
}

/* The client's socket, or -1. */
static int client_fd(const api_req *req)
{
	const union MHD_ConnectionInfo *ci =
		req->conn ? MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD)
			  : NULL;

	return ci ? (int)ci->connect_fd : -1;
}

static void events_stream(api_req *req)
{
	long long cursor = 0;
	ev_stream *st = NULL;
	bool given;
	int fd = client_fd(req);

	cursor = resume_arg(req, &given);
	if (cursor < 0)
		return;
	if (fd < 0) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	if (atomic_fetch_add(&ev_open, 1) >= req->app->cfg->events_max_streams) {
		atomic_fetch_sub(&ev_open, 1);
		api_reply_header(req, "Retry-After", "5");
		api_reply_error(req, 503, "too many event streams; try again later");
		return;
	}
	if (!given && stream_start(req, &cursor) != 0)
		goto fail;
	st = stream_new(req, cursor, fd);
	if (!st) {
		api_reply_error(req, 500, "internal error");
		goto fail;
	}
	/* Proxies such as nginx would otherwise hold the messages back. */
	api_reply_header(req, "X-Accel-Buffering", "no");
	api_reply_stream(req, "text/event-stream; charset=utf-8", stream_read, stream_done, st);
	return;
fail:
	atomic_fetch_sub(&ev_open, 1);
}

static const api_route routes[] = {
	{"GET", "/api/v1/events", events_stream, "events.read"},
};

const api_module api_mod_events = {
	.name = "events",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
