/*
 * Router targets, the registry of router pools and their statistics
 * cache: see api/router_conn.h.
 *
 * One lock guards the list of entries and their counts; it is never held
 * while talking to a router (the pools have locks of their own).  An entry
 * is matched by router id and a digest of everything the pool was made
 * with, so new credentials mean a new pool; the old entry is retired and
 * freed when its last holder puts it back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/router_conn.h"
#include "common/crypto.h"

struct api_router {
	struct api_router *next;
	char router_id[37];
	char digest[65]; /* SHA-256 of the pool's settings, password included */
	ros_pool *pool;
	unsigned refs;
	bool retired; /* replaced by a newer entry: freed at the last put */
	time_t last_used;
	/* The statistics cache, guarded by the registry lock. */
	bool have_stats;
	ros_prov_stats stats;
	char identity[128];
	time_t stats_at;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static api_router *reg_head;

/* ---- targets ----------------------------------------------------------------- */

/* Copies column col of row into dst (size bytes); -1 when NULL or too long. */
static int column(const PGresult *res, int row, int col, char *dst, size_t size)
{
	int len = PQgetlength(res, row, col);

	if (PQgetisnull(res, row, col) || len < 0 || (size_t)len >= size)
		return -1;
	memcpy(dst, PQgetvalue(res, row, col), (size_t)len + 1);
	return 0;
}

const char *api_router_target_read(api_router_target *t, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col + 4) || PQgetisnull(res, row, col + 5))
		return "the router has no API credentials";
	if (column(res, row, col, t->address, sizeof t->address) < 0 ||
	    column(res, row, col + 4, t->username, sizeof t->username) < 0)
		return "the router's address or API user name is too long";
	t->port = atoi(PQgetvalue(res, row, col + 1));
	t->ssl = strcmp(PQgetvalue(res, row, col + 2), "t") == 0;
	t->tls_insecure = strcmp(PQgetvalue(res, row, col + 3), "t") == 0;
	return NULL;
}

const char *api_router_target_open(api_router_target *t, const hs_config *cfg,
				   const char *bytea_text)
{
	hs_crypto_keyring kr;
	unsigned char *sealed;
	size_t len;
	hs_crypto_result r = HS_CRYPTO_EINVAL;
	const char *why = "the router's API password does not decrypt with APP_KEY";

	t->password = NULL;
	t->password_len = 0;
	if (!cfg->app_key[0])
		return "APP_KEY is not set: the router's API password cannot be read";
	if (hs_crypto_keyring_load(&kr, cfg) != 0)
		return "APP_KEY is not a valid key";
	sealed = PQunescapeBytea((const unsigned char *)bytea_text, &len);
	if (sealed)
		r = hs_crypto_keyring_open(&kr, t->router_id, sealed, len, &t->password,
					   &t->password_len, NULL, NULL);
	if (r == HS_CRYPTO_OK)
		why = NULL;
	else if (r == HS_CRYPTO_EUNKNOWN)
		why = API_ROUTER_KEY_UNKNOWN;
	PQfreemem(sealed);
	hs_crypto_keyring_wipe(&kr);
	return why;
}

const char *api_router_target_fill(api_router_target *t, const hs_config *cfg, const PGresult *res,
				   int row, int col)
{
	const char *why = api_router_target_read(t, res, row, col);

	t->password = NULL;
	t->password_len = 0;
	return why ? why : api_router_target_open(t, cfg, PQgetvalue(res, row, col + 5));
}

int api_router_reason_status(const char *why)
{
	return strncmp(why, "APP_KEY", 7) == 0 ? 503 : 409;
}

void api_router_target_clear(api_router_target *t)
{
	hs_crypto_free(t->password, t->password_len);
	t->password = NULL;
	t->password_len = 0;
	explicit_bzero(t->radius_secret, sizeof t->radius_secret);
}

PGresult *api_router_target_query(PGconn *conn, const char *router_id)
{
	return PQexecParams(conn,
			    "SELECT " API_ROUTER_TARGET_COLS " FROM hs_router_api_target($1::uuid)",
			    1, NULL, &router_id, NULL, NULL, 0);
}

bool api_router_addr_allowed(const hs_config *cfg, const char *addr)
{
	hs_cidr list[HS_CIDRS_MAX];
	char why[160];
	size_t n;

	/* The configuration was checked at start-up; a failure here allows nothing. */
	if (hs_cidrs_parse(cfg->router_allowed_networks, list, HS_CIDRS_MAX, &n, why, sizeof why))
		return false;
	return hs_cidrs_contain(list, n, addr);
}

/* ---- the registry --------------------------------------------------------------- */

/* The digest of everything a pool for t is made with.  0, or -1. */
static int target_digest(const api_router_target *t, char out[65])
{
	char head[INET6_ADDRSTRLEN + API_ROUTER_USER_MAX + 64];
	unsigned char *buf;
	size_t n, len;
	int rc;

	n = (size_t)snprintf(head, sizeof head, "%s|%d|%d|%d|%s|", t->address, t->port, t->ssl,
			     t->tls_insecure, t->username);
	if (n >= sizeof head)
		return -1;
	len = n + t->password_len;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -1;
	memcpy(buf, head, n);
	if (t->password_len)
		memcpy(buf + n, t->password, t->password_len);
	rc = hs_crypto_sha256_hex(buf, len, out);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

static ros_pool *pool_make(const hs_config *cfg, const api_router_target *t)
{
	ros_pool_config pc;

	memset(&pc, 0, sizeof pc);
	pc.conn.host = t->address;
	pc.conn.port = (uint16_t)t->port;
	pc.conn.username = t->username;
	pc.conn.password = t->password ? (const char *)t->password : "";
	pc.conn.connect_timeout_ms = cfg->router_api_timeout * 1000;
	pc.conn.io_timeout_ms = cfg->router_api_timeout * 1000;
	pc.conn.tls = !t->ssl ? ROS_TLS_OFF : t->tls_insecure ? ROS_TLS_ANON : ROS_TLS_VERIFY;
	/* One retry, soon: enough to replace a connection the router closed
	 * while it sat idle.  Callers space their own attempts beyond that
	 * (the job queue's backoff, the monitor's next poll, a person's
	 * next request). */
	pc.retries = 1;
	pc.backoff_ms = 100;
	pc.rate_wait_ms = cfg->router_api_timeout * 1000;
	return ros_pool_create(&pc);
}

static void entry_free(api_router *r)
{
	ros_pool_destroy(r->pool);
	free(r);
}

/* Unlinks and returns the entries nobody holds that are retired or idle
 * too long; the caller frees them outside the lock.  Lock held. */
static api_router *reap_locked(time_t now)
{
	api_router **pp = &reg_head, *dead = NULL, *r;

	while ((r = *pp) != NULL) {
		if (r->refs == 0 && (r->retired || now - r->last_used > API__ROUTER_IDLE_S)) {
			*pp = r->next;
			r->next = dead;
			dead = r;
			continue;
		}
		pp = &r->next;
	}
	return dead;
}

/* The live entry of router_id, or NULL.  Lock held. */
static api_router *find_locked(const char *router_id)
{
	for (api_router *r = reg_head; r; r = r->next)
		if (!r->retired && strcmp(r->router_id, router_id) == 0)
			return r;
	return NULL;
}

/*
 * Adds fresh (made outside the lock) unless another thread added an equal
 * entry meanwhile; returns the entry held.  Lock held.
 */
static api_router *insert_locked(api_router *fresh, api_router **unused)
{
	api_router *r = find_locked(fresh->router_id);

	*unused = NULL;
	if (r && strcmp(r->digest, fresh->digest) == 0) {
		*unused = fresh;
		return r;
	}
	if (r)
		r->retired = true;
	fresh->next = reg_head;
	reg_head = fresh;
	return fresh;
}

/* A new entry with its pool for t, held by nobody yet; NULL when out of memory. */
static api_router *entry_new(const hs_config *cfg, const api_router_target *t)
{
	api_router *r = calloc(1, sizeof *r);

	if (r)
		r->pool = pool_make(cfg, t);
	if (!r || !r->pool) {
		free(r);
		return NULL;
	}
	snprintf(r->router_id, sizeof r->router_id, "%s", t->router_id);
	return r;
}

/*
 * An entry for a router that is not saved: never listed, so nobody else
 * finds it; retired from the start, so the put that ends its one hold
 * frees it.
 */
static api_router *private_entry(const hs_config *cfg, const api_router_target *t)
{
	api_router *r = entry_new(cfg, t);

	if (r) {
		r->retired = true;
		r->refs = 1;
		r->last_used = time(NULL);
	}
	return r;
}

api_router *api_router_get(const hs_config *cfg, const api_router_target *t)
{
	char digest[65];
	api_router *r, *fresh = NULL, *dead, *unused = NULL;
	time_t now = time(NULL);

	if (!t->router_id[0])
		return private_entry(cfg, t);
	if (target_digest(t, digest) != 0)
		return NULL;
	pthread_mutex_lock(&reg_lock);
	dead = reap_locked(now);
	r = find_locked(t->router_id);
	if (r && strcmp(r->digest, digest) == 0)
		goto hold;
	pthread_mutex_unlock(&reg_lock);
	/* Made without the lock: creating a pool opens nothing, but needs memory. */
	fresh = entry_new(cfg, t);
	if (!fresh) {
		r = NULL;
		goto out;
	}
	memcpy(fresh->digest, digest, sizeof digest);
	pthread_mutex_lock(&reg_lock);
	r = insert_locked(fresh, &unused);
hold:
	r->refs++;
	r->last_used = now;
	pthread_mutex_unlock(&reg_lock);
out:
	while (dead) {
		api_router *next = dead->next;

		entry_free(dead);
		dead = next;
	}
	if (unused)
		entry_free(unused);
	explicit_bzero(digest, sizeof digest);
	return r;
}

void api_router_put(api_router *r)
{
	bool drop;

	if (!r)
		return;
	pthread_mutex_lock(&reg_lock);
	r->refs--;
	r->last_used = time(NULL);
	drop = r->refs == 0 && r->retired;
	if (drop) {
		api_router **pp = &reg_head;

		while (*pp && *pp != r)
			pp = &(*pp)->next;
		if (*pp)
			*pp = r->next;
	}
	pthread_mutex_unlock(&reg_lock);
	if (drop)
		entry_free(r);
}

ros_pool *api_router_pool(api_router *r)
{
	return r->pool;
}

size_t api_router_registry_size(void)
{
	size_t n = 0;

	pthread_mutex_lock(&reg_lock);
	for (api_router *r = reg_head; r; r = r->next)
		n++;
	pthread_mutex_unlock(&reg_lock);
	return n;
}

/* ---- statistics ------------------------------------------------------------------ */

/* The cached statistics when younger than max_age.  Lock taken here. */
static bool cache_take(api_router *r, int max_age, ros_prov_stats *out, char *identity, size_t size,
		       time_t *fetched_at)
{
	bool hit;

	pthread_mutex_lock(&reg_lock);
	hit = max_age > 0 && r->have_stats && time(NULL) - r->stats_at < max_age;
	if (hit) {
		*out = r->stats;
		if (identity)
			snprintf(identity, size, "%s", r->identity);
		*fetched_at = r->stats_at;
	}
	pthread_mutex_unlock(&reg_lock);
	return hit;
}

static void cache_put(api_router *r, const ros_prov_stats *st, const char *identity, time_t at)
{
	pthread_mutex_lock(&reg_lock);
	r->stats = *st;
	snprintf(r->identity, sizeof r->identity, "%s", identity);
	r->stats_at = at;
	r->have_stats = true;
	pthread_mutex_unlock(&reg_lock);
}

/* /system/identity/print's name into out ("" when the router sends none). */
static ros_err read_identity(ros_pool *p, char *out, size_t size, ros_msg *msg)
{
	ros_sentence *cmd = ros_sentence_create();
	ros_reply *rep = NULL;
	const char *name;
	ros_err err = ROS_ERR_NOMEM;

	out[0] = '\0';
	if (!cmd || ros_sentence_add_str(cmd, "/system/identity/print") != ROS_OK)
		goto out;
	err = ros_pool_call(p, cmd, false, &rep, msg);
	if (err == ROS_OK && ros_reply_count(rep) > 0) {
		name = ros_sentence_attr(ros_reply_item(rep, 0), "name", NULL);
		snprintf(out, size, "%s", name ? name : "");
	}
out:
	ros_reply_destroy(rep);
	ros_sentence_destroy(cmd);
	return err;
}

ros_err api_router_stats(api_router *r, int max_age, ros_prov_stats *out, char *identity,
			 size_t size, time_t *fetched_at, bool *cached, ros_msg *msg)
{
	char name[128];
	ros_err err;

	*cached = cache_take(r, max_age, out, identity, size, fetched_at);
	if (*cached)
		return ROS_OK;
	err = ros_prov_get_stats(r->pool, out, msg);
	if (err == ROS_OK)
		err = read_identity(r->pool, name, sizeof name, msg);
	if (err != ROS_OK)
		return err;
	*fetched_at = time(NULL);
	if (identity)
		snprintf(identity, size, "%s", name);
	cache_put(r, out, name, *fetched_at);
	return ROS_OK;
}
