/*
 * The per-router pool: a few logged-in connections reused between calls, a
 * token bucket of requests per minute, retries with exponential backoff on
 * temporary failures.  Each pool has its own lock and condition; nothing is
 * shared between pools, so a router that hangs holds up only its own
 * callers.  The lock is never held while talking to the router.
 */
#include "routeros/internal.h"
#include "routeros/prov_internal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_MAX_CONNS    3
#define DEFAULT_IDLE_MS      60000
#define DEFAULT_RATE         100
#define DEFAULT_BURST        20
#define DEFAULT_RATE_WAIT_MS 5000
#define DEFAULT_RETRIES      2
#define DEFAULT_BACKOFF_MS   200
#define DEFAULT_BACKOFF_MAX  5000
#define DEFAULT_IO_MS        10000
#define MAX_TOKEN_WAITS      64 /* bounds the token loop whatever the clock does */

struct slot {
	ros_conn *conn;
	bool busy;
	int64_t used_ms;
};

struct ros_pool {
	ros_pool_config cfg; /* strings point into the copies below */
	char *host, *username, *password, *ca_file, *tls_name;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct slot slots[ROS_POOL_MAX_CONNS];
	ros__bucket bucket;
	ros_pool_stats stats;
};

/* --- clock, bucket, messages --------------------------------------------------- */

int64_t ros__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void ros__bucket_init(ros__bucket *b, unsigned per_minute, unsigned burst, int64_t now_ms)
{
	b->per_ms = per_minute;
	b->capacity = (uint64_t)burst * ROS__TOKEN;
	b->units = b->capacity;
	b->last_ms = now_ms;
}

int64_t ros__bucket_take(ros__bucket *b, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		uint64_t add = (uint64_t)(now_ms - b->last_ms) * b->per_ms;

		b->units = add >= b->capacity - b->units ? b->capacity : b->units + add;
		b->last_ms = now_ms;
	}
	if (b->units >= ROS__TOKEN) {
		b->units -= ROS__TOKEN;
		return 0;
	}
	/* Rounded up: after this wait a whole token is there. */
	return (int64_t)((ROS__TOKEN - b->units + b->per_ms - 1) / b->per_ms);
}

void ros__msg(ros_msg *msg, const char *fmt, ...)
{
	va_list ap;

	if (!msg)
		return;
	va_start(ap, fmt);
	vsnprintf(msg->text, sizeof(msg->text), fmt, ap);
	va_end(ap);
}

/* --- create and destroy ---------------------------------------------------------- */

static void apply_defaults(ros_pool_config *c)
{
	if (c->max_conns == 0)
		c->max_conns = DEFAULT_MAX_CONNS;
	if (c->max_conns > ROS_POOL_MAX_CONNS)
		c->max_conns = ROS_POOL_MAX_CONNS;
	if (c->idle_timeout_ms <= 0)
		c->idle_timeout_ms = DEFAULT_IDLE_MS;
	if (c->acquire_timeout_ms <= 0)
		c->acquire_timeout_ms =
			c->conn.io_timeout_ms > 0 ? c->conn.io_timeout_ms : DEFAULT_IO_MS;
	if (c->rate_per_minute == 0)
		c->rate_per_minute = DEFAULT_RATE;
	if (c->rate_burst == 0)
		c->rate_burst = DEFAULT_BURST;
	if (c->rate_wait_ms == 0)
		c->rate_wait_ms = DEFAULT_RATE_WAIT_MS;
	if (c->retries == 0)
		c->retries = DEFAULT_RETRIES;
	if (c->retries < 0)
		c->retries = 0;
	if (c->backoff_ms <= 0)
		c->backoff_ms = DEFAULT_BACKOFF_MS;
	if (c->backoff_max_ms <= 0)
		c->backoff_max_ms = DEFAULT_BACKOFF_MAX;
}

static bool init_sync(ros_pool *p)
{
	pthread_condattr_t ca;
	bool ok;

	if (pthread_condattr_init(&ca) != 0)
		return false;
	ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(&p->freed, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (ok && pthread_mutex_init(&p->lock, NULL) != 0) {
		pthread_cond_destroy(&p->freed);
		ok = false;
	}
	return ok;
}

/* Frees p with its copies of the connection options, the password wiped first. */
static void free_copies(ros_pool *p)
{
	if (p->password) {
		OPENSSL_cleanse(p->password, strlen(p->password));
		free(p->password);
	}
	free(p->host);
	free(p->username);
	free(p->ca_file);
	free(p->tls_name);
	free(p);
}

ros_pool *ros_pool_create(const ros_pool_config *cfg)
{
	ros_pool *p;
	bool ok = true;

	if (!cfg || !cfg->conn.host || !*cfg->conn.host)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	apply_defaults(&p->cfg);
	p->cfg.conn.host = p->host = ros__strdup_opt(cfg->conn.host, &ok);
	p->cfg.conn.username = p->username = ros__strdup_opt(cfg->conn.username, &ok);
	p->cfg.conn.password = p->password = ros__strdup_opt(cfg->conn.password, &ok);
	p->cfg.conn.tls_ca_file = p->ca_file = ros__strdup_opt(cfg->conn.tls_ca_file, &ok);
	p->cfg.conn.tls_name = p->tls_name = ros__strdup_opt(cfg->conn.tls_name, &ok);
	ros__bucket_init(&p->bucket, p->cfg.rate_per_minute, p->cfg.rate_burst, ros__now_ms());
	if (!ok || !init_sync(p)) {
		free_copies(p);
		return NULL;
	}
	return p;
}

void ros_pool_destroy(ros_pool *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < ROS_POOL_MAX_CONNS; i++)
		ros_conn_destroy(p->slots[i].conn);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free_copies(p);
}

const char *ros_pool_host(const ros_pool *p)
{
	return p ? p->host : "";
}

void ros_pool_get_stats(ros_pool *p, ros_pool_stats *out)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	*out = p->stats;
	out->open = out->busy = 0;
	for (i = 0; i < p->cfg.max_conns; i++) {
		out->open += ros_conn_is_open(p->slots[i].conn);
		out->busy += p->slots[i].busy;
	}
	pthread_mutex_unlock(&p->lock);
}

const ros_options *ros__pool_options(const ros_pool *p)
{
	return &p->cfg.conn;
}

/* --- tokens ------------------------------------------------------------------- */

ros_err ros__pool_token(ros_pool *p, ros_msg *msg)
{
	int64_t waited = 0, wait = 0;
	int i;

	for (i = 0; i < MAX_TOKEN_WAITS; i++) {
		pthread_mutex_lock(&p->lock);
		wait = ros__bucket_take(&p->bucket, ros__now_ms());
		if (wait > 0 && i == 0)
			p->stats.limited++;
		pthread_mutex_unlock(&p->lock);
		if (wait == 0)
			return ROS_OK;
		if (p->cfg.rate_wait_ms < 0 || waited + wait > p->cfg.rate_wait_ms)
			break;
		sleep_ms(wait);
		waited += wait;
	}
	ros__msg(msg,
		 "%s: more than %u requests per minute (burst %u); waited %lld ms, the next "
		 "request may go in %lld ms: spread the work or raise the router's rate limit",
		 p->host, p->cfg.rate_per_minute, p->cfg.rate_burst, (long long)waited,
		 (long long)wait);
	return ROS_ERR_RATE_LIMITED;
}

/* --- connections ----------------------------------------------------------------- */

/* Closes idle connections unused for idle_timeout_ms.  Lock held. */
static void reap_idle(ros_pool *p, int64_t now)
{
	size_t i;

	for (i = 0; i < p->cfg.max_conns; i++) {
		struct slot *s = &p->slots[i];

		if (!s->busy && ros_conn_is_open(s->conn) &&
		    now - s->used_ms >= p->cfg.idle_timeout_ms)
			ros_conn_close(s->conn);
	}
}

/* A free slot: an open one first, else one to open; -1 when every slot is busy. Lock held. */
static int pick_slot(ros_pool *p)
{
	int i, closed = -1;

	for (i = 0; i < (int)p->cfg.max_conns; i++) {
		if (p->slots[i].busy)
			continue;
		if (ros_conn_is_open(p->slots[i].conn))
			return i;
		if (closed < 0)
			closed = i;
	}
	return closed;
}

static int wait_freed(ros_pool *p, int64_t deadline)
{
	struct timespec ts = {.tv_sec = deadline / 1000,
			      .tv_nsec = (long)(deadline % 1000) * 1000000};

	return pthread_cond_timedwait(&p->freed, &p->lock, &ts);
}

/* Opens the connection of slot i (busy, lock not held).  msg gets the client's message. */
static ros_err open_slot(ros_pool *p, int i, ros_msg *msg)
{
	struct slot *s = &p->slots[i];
	ros_err err;

	if (!s->conn)
		s->conn = ros_conn_create(&p->cfg.conn);
	if (!s->conn) {
		ros__msg(msg, "%s: out of memory", p->host);
		return ROS_ERR_NOMEM;
	}
	err = ros_conn_open(s->conn);
	if (err != ROS_OK)
		ros__msg(msg, "%s", ros_conn_errmsg(s->conn));
	return err;
}

/* Marks slot i free again; a broken connection is closed first. */
static void release_slot(ros_pool *p, int i, bool broken)
{
	pthread_mutex_lock(&p->lock);
	if (broken && ros_conn_is_open(p->slots[i].conn))
		ros_conn_close(p->slots[i].conn);
	if (broken)
		p->stats.dropped++;
	p->slots[i].busy = false;
	p->slots[i].used_ms = ros__now_ms();
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/*
 * A logged-in connection for the caller alone, in *slot.  Waits up to
 * acquire_timeout_ms for one to be free; opens one when needed (outside the
 * lock).  Errors of ros_conn_open, or ROS_ERR_TIMEOUT when all are busy.
 */
static ros_err acquire(ros_pool *p, int *slot, ros_msg *msg)
{
	int64_t deadline = ros__now_ms() + p->cfg.acquire_timeout_ms;
	bool was_open = false;
	ros_err err;
	int i = -1;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		reap_idle(p, ros__now_ms());
		i = pick_slot(p);
		if (i >= 0 || wait_freed(p, deadline) == ETIMEDOUT)
			break;
	}
	if (i >= 0) {
		p->slots[i].busy = true;
		was_open = ros_conn_is_open(p->slots[i].conn);
	}
	pthread_mutex_unlock(&p->lock);
	if (i < 0) {
		ros__msg(msg,
			 "%s: all %u connections are busy after %d ms: the router answers "
			 "slowly; raise its connection count or timeouts",
			 p->host, p->cfg.max_conns, p->cfg.acquire_timeout_ms);
		return ROS_ERR_TIMEOUT;
	}
	err = was_open ? ROS_OK : open_slot(p, i, msg);
	if (err != ROS_OK) {
		release_slot(p, i, false);
		return err;
	}
	if (!was_open) {
		pthread_mutex_lock(&p->lock);
		p->stats.opened++;
		pthread_mutex_unlock(&p->lock);
	}
	*slot = i;
	return ROS_OK;
}

/* --- calls ------------------------------------------------------------------------ */

/*
 * One attempt: a connection, the command, the connection back.  *sent says
 * whether the command reached the router.
 */
static ros_err attempt(ros_pool *p, const ros_sentence *cmd, ros_reply **out, bool *sent,
		       ros_msg *msg)
{
	ros_conn *c;
	uint32_t tag = 0;
	ros_err err;
	int i = -1;

	*sent = false;
	err = acquire(p, &i, msg);
	if (err != ROS_OK)
		return err;
	c = p->slots[i].conn;
	err = ros_send(c, cmd, &tag);
	if (err == ROS_OK) {
		*sent = true;
		err = ros_wait(c, tag, out);
	}
	if (err != ROS_OK)
		ros__msg(msg, "%s", ros_conn_errmsg(c));
	/* After a timeout the command is still in flight: its late answer would
	 * confuse the next caller, so that connection goes too. */
	release_slot(p, i, err == ROS_ERR_TIMEOUT || !ros_conn_is_open(c));
	return err;
}

static int64_t backoff(const ros_pool *p, int n)
{
	int64_t ms = p->cfg.backoff_ms;

	while (n-- > 0 && ms < p->cfg.backoff_max_ms)
		ms *= 2;
	return ms > p->cfg.backoff_max_ms ? p->cfg.backoff_max_ms : ms;
}

ros_err ros_pool_call(ros_pool *p, const ros_sentence *cmd, bool write, ros_reply **out,
		      ros_msg *msg)
{
	ros_err err = ROS_ERR_INVALID;
	bool sent = false;
	int n;

	if (out)
		*out = NULL;
	if (!p || !cmd || !out)
		return err;
	for (n = 0;; n++) {
		err = ros__pool_token(p, msg);
		if (err != ROS_OK)
			return err;
		err = attempt(p, cmd, out, &sent, msg);
		if (err == ROS_OK || !ros_err_temporary(err) || n >= p->cfg.retries)
			break;
		/* A change that reached the router may have been applied: not repeated. */
		if (write && sent)
			break;
		ros_reply_destroy(*out);
		*out = NULL;
		pthread_mutex_lock(&p->lock);
		p->stats.retried++;
		pthread_mutex_unlock(&p->lock);
		sleep_ms(backoff(p, n));
	}
	if (err != ROS_OK && write && sent && ros_err_temporary(err) && msg) {
		size_t used = strlen(msg->text);

		snprintf(msg->text + used, sizeof(msg->text) - used,
			 " (the change may have been applied: check before repeating it)");
	}
	return err;
}
