/*
 * The routers as RADIUS clients (see hs_clients.h).
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>

#include "hs_cache.h"
#include "hs_clients.h"
#include "hs_logic.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct hs_client_entry {
	int af;
	uint8_t addr[16];
	hs_router router;
} hs_client_entry;

/* An immutable table, sorted by (af, addr); replaced whole on refresh. */
typedef struct hs_client_table {
	hs_client_entry *v;
	unsigned n;
} hs_client_table;

struct hs_clients {
	hs_db_config cfg;
	unsigned refresh_s;
	pthread_rwlock_t table_lock;
	hs_client_table table;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stop;
	bool started;
	pthread_t thread;
	PGconn *conn;           /* the refresh thread's own */
	bool loaded;            /* at least one load from the database succeeded */
	char const *cache_file; /* the durable copy (the caller's string) */
	bool cache_stale;       /* the file does not hold the table: write it */
};

static int hs_entry_cmp(void const *a, void const *b)
{
	hs_client_entry const *x = a, *y = b;

	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static void hs_table_free(hs_client_table *t)
{
	if (!t->v)
		return;
	/* The secrets leave memory with the table. */
	memset(t->v, 0, sizeof(*t->v) * t->n);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* Fills e from row i of res; returns 0, or -1 for a row that cannot be a client. */
static int hs_entry_from_row(PGresult const *res, int i, hs_client_entry *e)
{
	char const *id = PQgetvalue(res, i, 0), *host = PQgetvalue(res, i, 1);
	char const *family = PQgetvalue(res, i, 2), *secret = PQgetvalue(res, i, 3);

	memset(e, 0, sizeof(*e));
	e->af = strcmp(family, "6") == 0 ? AF_INET6 : AF_INET;
	if (inet_pton(e->af, host, e->addr) != 1 || strlen(secret) >= sizeof(e->router.secret) ||
	    !secret[0])
		return -1;
	hs_copy_str(e->router.id, sizeof(e->router.id), id, strlen(id));
	memcpy(e->router.secret, secret, strlen(secret) + 1);
	e->router.require_ma = strcmp(PQgetvalue(res, i, 4), "t") == 0;
	return 0;
}

/* Builds a table from the rows of hs_radius_clients(); returns 0 or -1 (no memory). */
static int hs_table_build(hs_clients *c, PGresult const *res, hs_client_table *t)
{
	int rows = PQntuples(res), i;

	t->n = 0;
	t->v = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*t->v));
	if (!t->v)
		return -1;
	for (i = 0; i < rows; i++) {
		if (hs_entry_from_row(res, i, &t->v[t->n]) == 0) {
			t->n++;
			continue;
		}
		WARN("rlm_hotspot (%s): router %s has an address or secret that cannot be used; "
		     "skipped",
		     c->cfg.name, PQgetvalue(res, i, 0));
	}
	qsort(t->v, t->n, sizeof(*t->v), hs_entry_cmp);
	return 0;
}

static bool hs_table_equal(hs_client_table const *a, hs_client_table const *b)
{
	/* Entries are zeroed before they are filled: padding compares equal. */
	return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, sizeof(*a->v) * a->n) == 0);
}

/* --- the durable copy (hs_cache.h) --------------------------------------------------- */

_Static_assert(sizeof(((hs_router *)0)->id) == sizeof(((hs_cache_rec *)0)->id) &&
		       sizeof(((hs_router *)0)->secret) == sizeof(((hs_cache_rec *)0)->secret),
	       "a router's id and secret fit the cache's records exactly");

/* Writes t to the cache file; returns 0, or -1 (logged). */
static int hs_cache_save(hs_clients *c, hs_client_table const *t)
{
	hs_cache_rec *v = calloc(t->n ? t->n : 1, sizeof(*v));
	char why[512];
	unsigned i;
	int rc = -1;

	if (!v) {
		ERROR("rlm_hotspot (%s): cannot write the routers cache %s: out of memory",
		      c->cfg.name, c->cache_file);
		return -1;
	}
	for (i = 0; i < t->n; i++) {
		hs_client_entry const *e = &t->v[i];

		v[i].af = e->af;
		memcpy(v[i].addr, e->addr, sizeof(v[i].addr));
		memcpy(v[i].id, e->router.id, sizeof(v[i].id));
		memcpy(v[i].secret, e->router.secret, sizeof(v[i].secret));
		v[i].secret_len = strlen(e->router.secret);
		v[i].require_ma = e->router.require_ma;
	}
	rc = hs_cache_write(c->cache_file, v, t->n, why, sizeof(why));
	if (rc < 0)
		ERROR("rlm_hotspot (%s): cannot write the routers cache: %s", c->cfg.name, why);
	hs_cache_wipe(v, sizeof(*v) * (t->n ? t->n : 1));
	return rc;
}

/*
 * Fills t from the cache records; a record this server cannot use (a
 * secret holding a NUL) is left out. Returns 0, or -1 (no memory).
 */
static int hs_table_from_cache(hs_cache_rec const *v, unsigned n, hs_client_table *t)
{
	unsigned i;

	t->n = 0;
	t->v = calloc(n ? n : 1, sizeof(*t->v));
	if (!t->v)
		return -1;
	for (i = 0; i < n; i++) {
		hs_client_entry *e = &t->v[t->n];

		if (memchr(v[i].secret, 0, v[i].secret_len))
			continue;
		e->af = v[i].af;
		memcpy(e->addr, v[i].addr, sizeof(e->addr));
		memcpy(e->router.id, v[i].id, sizeof(e->router.id));
		memcpy(e->router.secret, v[i].secret, v[i].secret_len + 1);
		e->router.require_ma = v[i].require_ma;
		t->n++;
	}
	qsort(t->v, t->n, sizeof(*t->v), hs_entry_cmp);
	return 0;
}

/*
 * Loads the cache file into the (empty) table, before the first load from
 * the database, which replaces it. A missing, unreadable or damaged file
 * leaves the table empty; a damaged one is never used in part.
 */
static void hs_cache_load(hs_clients *c)
{
	hs_cache_rec *v = NULL;
	unsigned n = 0;
	char why[512];

	switch (hs_cache_read(c->cache_file, &v, &n, why, sizeof(why))) {
	case HS_CACHE_LOADED:
		if (hs_table_from_cache(v, n, &c->table) == 0) {
			INFO("rlm_hotspot (%s): %u routers known as RADIUS clients from the "
			     "routers "
			     "cache %s, until the database answers",
			     c->cfg.name, c->table.n, c->cache_file);
			c->cache_stale = false;
		}
		break;
	case HS_CACHE_ABSENT:
		INFO("rlm_hotspot (%s): no routers cache %s yet", c->cfg.name, c->cache_file);
		break;
	default:
		WARN("rlm_hotspot (%s): ignoring the routers cache %s: %s", c->cfg.name,
		     c->cache_file, why);
		break;
	}
	hs_cache_wipe(v, sizeof(*v) * n);
}

/* One reload: the copy is replaced on success and kept on any failure. */
static void hs_clients_reload(hs_clients *c)
{
	hs_client_table fresh = {NULL, 0}, old;
	PGresult *res;
	hs_db_rc rc;

	if (!c->conn)
		c->conn = hs_db_connect(&c->cfg);
	if (!c->conn)
		return;
	res = PQexecPrepared(c->conn, HS_STMT_CLIENTS, 0, NULL, NULL, NULL, 0);
	rc = hs_db_classify(&c->cfg, c->conn, res, "loading the routers");
	if (rc == HS_DB_OK && hs_table_build(c, res, &fresh) == 0) {
		/* Only this thread replaces the table, so it reads it without the lock. */
		if (!hs_table_equal(&c->table, &fresh) || c->cache_stale)
			c->cache_stale = hs_cache_save(c, &fresh) < 0;
		pthread_rwlock_wrlock(&c->table_lock);
		old = c->table;
		c->table = fresh;
		pthread_rwlock_unlock(&c->table_lock);
		if (!c->loaded || old.n != fresh.n)
			INFO("rlm_hotspot (%s): %u routers known as RADIUS clients", c->cfg.name,
			     fresh.n);
		c->loaded = true;
		hs_table_free(&old);
	}
	PQclear(res);
	if (rc == HS_DB_DOWN) {
		PQfinish(c->conn);
		c->conn = NULL;
	}
}

static void *hs_clients_thread(void *arg)
{
	hs_clients *c = arg;
	struct timespec when;

	pthread_mutex_lock(&c->stop_lock);
	while (!c->stop) {
		clock_gettime(CLOCK_MONOTONIC, &when);
		when.tv_sec += c->refresh_s;
		while (!c->stop && pthread_cond_timedwait(&c->stop_cond, &c->stop_lock, &when) == 0)
			;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->stop_lock);
		hs_clients_reload(c);
		pthread_mutex_lock(&c->stop_lock);
	}
	pthread_mutex_unlock(&c->stop_lock);
	return NULL;
}

hs_clients *hs_clients_create(hs_db_config const *cfg, unsigned refresh_s, char const *cache_file)
{
	hs_clients *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->refresh_s = refresh_s ? refresh_s : 1;
	pthread_rwlock_init(&c->table_lock, NULL);
	pthread_mutex_init(&c->stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->stop_cond, &ca);
	pthread_condattr_destroy(&ca);

	c->cache_file = cache_file;
	c->cache_stale = true;
	hs_cache_load(c);
	hs_clients_reload(c);
	if (pthread_create(&c->thread, NULL, hs_clients_thread, c) != 0) {
		ERROR("rlm_hotspot (%s): cannot start the routers refresh thread", cfg->name);
		hs_clients_free(c);
		return NULL;
	}
	c->started = true;
	return c;
}

void hs_clients_free(hs_clients *c)
{
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->stop_lock);
		c->stop = true;
		pthread_cond_signal(&c->stop_cond);
		pthread_mutex_unlock(&c->stop_lock);
		pthread_join(c->thread, NULL);
	}
	PQfinish(c->conn);
	hs_table_free(&c->table);
	pthread_cond_destroy(&c->stop_cond);
	pthread_mutex_destroy(&c->stop_lock);
	pthread_rwlock_destroy(&c->table_lock);
	free(c);
}

bool hs_clients_find(hs_clients *c, int af, void const *addr, hs_router *out)
{
	hs_client_entry key;
	hs_client_entry const *e;
	bool found = false;

	memset(&key, 0, sizeof(key));
	key.af = af;
	memcpy(key.addr, addr, af == AF_INET6 ? 16 : 4);
	pthread_rwlock_rdlock(&c->table_lock);
	e = c->table.n ? bsearch(&key, c->table.v, c->table.n, sizeof(key), hs_entry_cmp) : NULL;
	if (e) {
		*out = e->router;
		found = true;
	}
	pthread_rwlock_unlock(&c->table_lock);
	return found;
}

unsigned hs_clients_count(hs_clients *c)
{
	unsigned n;

	pthread_rwlock_rdlock(&c->table_lock);
	n = c->table.n;
	pthread_rwlock_unlock(&c->table_lock);
	return n;
}
