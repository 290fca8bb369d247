/*
 * The one router-access layer of hotspotd: how a router's RouterOS API is
 * reached, and the process-wide registry of RouterOS pools
 * (routeros/provision.h), one per router, that every part of a process
 * asks through: the MikroTik endpoints (api/mikrotik.c), the router monitor
 * (api/monitor.c), the router operations of the REST API (api/router_ops.c,
 * api/router_backups.c) and the router.kick and router.backup jobs
 * (api/job_kick.c, api/job_backup.c).  So a router sees one set of
 * logged-in connections and one token bucket of requests per minute from
 * this process, whoever asks.
 *
 * A target (where the router is, as whom to log in) is filled from a
 * mikrotik_devices row with API_ROUTER_TARGET_COLS, its sealed password
 * opened with APP_KEY (common/crypto.h).  The address restriction
 * (ROUTER_ALLOWED_NETWORKS, api_router_addr_allowed) is applied by the
 * router operations and the router.backup job, which act on a person's
 * request or schedule, not here.
 *
 * A router is named by its id; the registry keeps its pool for as long as
 * the router's address, port, TLS mode and credentials stay the same.  When
 * they change, the next caller gets a new pool and the old one is closed
 * once its last user is done.  A pool nobody used for API__ROUTER_IDLE_S
 * seconds is closed.  A target without an id (a router not saved yet) gets
 * a pool of its own, not in the registry, closed when it is put back.
 *
 * The registry also keeps each router's last statistics, so that the
 * endpoints answer from what the monitor (or an earlier request) fetched
 * within ROUTER_STATS_CACHE seconds without asking the router again.
 *
 * api/router_conn.c is part of the job runtime's sources (api/jobs.mk),
 * which the router jobs need without the REST API.
 */
#ifndef HS_API_ROUTER_CONN_H
#define HS_API_ROUTER_CONN_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/config.h"
#include "routeros/provision.h"

/* Seconds an unused pool is kept. */
#define API__ROUTER_IDLE_S 600

/* Longest API user name, in characters (mikrotik_devices.username). */
#define API_ROUTER_USER_MAX 100

/*
 * Where and as whom to reach a router's RouterOS API.  password is the
 * plaintext (NUL-terminated; NULL when none), owned by the target, as is
 * radius_secret: api_router_target_clear wipes both.
 */
typedef struct {
	char router_id[37]; /* "" for a router that is not saved */
	char address[INET6_ADDRSTRLEN];
	int port;
	bool ssl, tls_insecure;
	char username[API_ROUTER_USER_MAX * 4 + 1]; /* UTF-8: up to 4 bytes a character */
	unsigned char *password;
	size_t password_len;
	/* Read by the router operations (RADIUS set-up) only: */
	char radius_secret[129];
	int coa_port;
} api_router_target;

/* The columns api_router_target_read and _fill take, in their order. */
#define API_ROUTER_TARGET_COLS                                                                     \
	"host(ip_address), api_port, api_ssl, api_tls_insecure, username, password_encrypted"

/*
 * Reads the router's address, port, TLS mode and user name into t from one
 * row of res holding API_ROUTER_TARGET_COLS from column col on; the
 * password stays sealed.  NULL, or the reason a person can act on ("the
 * router has no API credentials", "...too long").
 */
const char *api_router_target_read(api_router_target *t, const PGresult *res, int row, int col);

/* The reason given for a password sealed under a key no setting holds. */
#define API_ROUTER_KEY_UNKNOWN                                                                     \
	"the router's API password is sealed under a key that is neither APP_KEY nor in "          \
	"APP_KEY_PREVIOUS"

/*
 * Opens the sealed password (the bytea text of password_encrypted) of
 * router t->router_id into t with the key ring of APP_KEY and
 * APP_KEY_PREVIOUS (hs_crypto_keyring_load), the router's id as associated
 * data.  NULL, or the reason ("APP_KEY is not set...", "APP_KEY is not a
 * valid key", API_ROUTER_KEY_UNKNOWN, "...does not decrypt with APP_KEY");
 * t then holds no password.
 */
const char *api_router_target_open(api_router_target *t, const hs_config *cfg,
				   const char *bytea_text);

/*
 * api_router_target_read, then api_router_target_open on the row's
 * password_encrypted.  t->router_id must be set first; on failure t holds
 * no password.
 */
const char *api_router_target_fill(api_router_target *t, const hs_config *cfg, const PGresult *res,
				   int row, int col);

/*
 * The HTTP status for a reason of the functions above: 503 when APP_KEY is
 * missing or invalid (the server's set-up), else 409 (the router's data).
 */
int api_router_reason_status(const char *why);

/* Wipes and frees the password and wipes the RADIUS secret; t may be used again. */
void api_router_target_clear(api_router_target *t);

/*
 * Reads the API target of router_id with hs_router_api_target (the job
 * runtime's role): API_ROUTER_TARGET_COLS, no row when the router is gone.
 * Caller clears the result.
 */
PGresult *api_router_target_query(PGconn *conn, const char *router_id);

/* Whether addr (an IPv4 or IPv6 literal) is inside ROUTER_ALLOWED_NETWORKS. */
bool api_router_addr_allowed(const hs_config *cfg, const char *addr);

/* The message for an address outside ROUTER_ALLOWED_NETWORKS. */
#define API_ROUTER_ADDR_REFUSED                                                                    \
	"is outside the networks routers may be in (ROUTER_ALLOWED_NETWORKS)"

typedef struct api_router api_router;

/*
 * The registry's entry for t (created, or made anew when t's address or
 * credentials differ from the entry's), held until api_router_put; for a
 * target without router_id, an entry of its own outside the registry.
 * NULL when out of memory.  The pool's timeouts come from
 * ROUTER_API_TIMEOUT; it retries a temporary failure once, soon.
 */
api_router *api_router_get(const hs_config *cfg, const api_router_target *t)
	__attribute__((warn_unused_result));

/* Gives the entry back.  NULL is a no-op. */
void api_router_put(api_router *r);

/* The router's pool, valid until api_router_put. */
ros_pool *api_router_pool(api_router *r);

/*
 * The router's statistics: the cached ones when fetched at most max_age
 * seconds ago (*cached true), else fresh from the router, which then fill
 * the cache (max_age 0: always fresh).  *fetched_at receives when they were
 * read.  A failure is not cached.  The router's identity name, read with
 * the statistics, goes into identity (may be NULL; size bytes).
 */
ros_err api_router_stats(api_router *r, int max_age, ros_prov_stats *out, char *identity,
			 size_t size, time_t *fetched_at, bool *cached, ros_msg *msg)
	__attribute__((warn_unused_result));

/* Pools in the registry now (for tests and logs). */
size_t api_router_registry_size(void);

#endif
