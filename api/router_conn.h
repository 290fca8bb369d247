/*
 * The one place hotspotd gets a connection to a router from: a
 * process-wide registry of RouterOS pools (routeros/provision.h), one per
 * router, shared by the MikroTik endpoints (api/mikrotik.c), the router
 * monitor (api/monitor.c) and the router.kick job (api/job_kick.c).  So a
 * router sees one set of logged-in connections and one token bucket of
 * requests per minute from this process, whoever asks.
 *
 * A router is named by its id; the registry keeps its pool for as long as
 * the router's address, port, TLS mode and credentials stay the same.  When
 * they change, the next caller gets a new pool and the old one is closed
 * once its last user is done.  A pool nobody used for API__ROUTER_IDLE_S
 * seconds is closed.
 *
 * The registry also keeps each router's last statistics, so that the
 * endpoints answer from what the monitor (or an earlier request) fetched
 * within ROUTER_STATS_CACHE seconds without asking the router again.
 *
 * The file is api/job_router_conn.c: it is part of the job runtime's
 * sources (api/jobs.mk), which router.kick needs.
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

/* Longest API user name kept (mikrotik_devices.username allows 100). */
#define API_ROUTER_USER_MAX 253

/*
 * Where and as whom to reach a router's RouterOS API.  password is the
 * plaintext (NUL-terminated), owned by the target: api_router_target_clear
 * wipes and frees it.
 */
typedef struct {
	char router_id[37];
	char address[INET6_ADDRSTRLEN];
	int port;
	bool ssl, tls_insecure;
	char username[API_ROUTER_USER_MAX + 1];
	unsigned char *password;
	size_t password_len;
} api_router_target;

/*
 * Fills t from one row of res holding, from column col on: host(ip_address),
 * api_port, api_ssl, api_tls_insecure, username, password_encrypted (the
 * bytea text), and opens the sealed password with APP_KEY (the router's id
 * as associated data).  Returns NULL, or the reason a person can act on
 * ("the router has no API credentials", "APP_KEY is not set...", ...); on
 * failure t holds no password.  t->router_id must be set first.
 */
const char *api_router_target_fill(api_router_target *t, const hs_config *cfg, const PGresult *res,
				   int row, int col);

/* Wipes and frees the password; t may be used again. */
void api_router_target_clear(api_router_target *t);

typedef struct api_router api_router;

/*
 * The registry's entry for t (created, or made anew when t's address or
 * credentials differ from the entry's), held until api_router_put.  NULL
 * when out of memory.  The pool's timeouts come from ROUTER_API_TIMEOUT.
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
