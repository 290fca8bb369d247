/*
 * The routers as RADIUS clients: an in-memory copy of hs_radius_clients(),
 * refreshed by a thread of its own and kept while the database is
 * unreachable (across a restart too, through the cache file of
 * hs_cache.h), so that FreeRADIUS's dynamic-client lookups (made in the
 * server's receiving thread) never wait on the database.
 */
#ifndef HS_CLIENTS_H
#define HS_CLIENTS_H

#include "hs_db.h"

#include <stdbool.h>
#include <stdint.h>

/* One router, as a lookup returns it. */
typedef struct hs_router {
	char id[40];      /* its database id */
	char secret[129]; /* RADIUS shared secret */
	bool require_ma;  /* Message-Authenticator required */
} hs_router;

typedef struct hs_clients hs_clients;

/*
 * Loads the routers from the cache file (hs_cache.h) when it holds a valid
 * copy, then once from the database (waiting at most the connect timeout;
 * an unreachable database leaves the cached copy, or none), and starts the
 * thread that reloads them every refresh_s seconds. A load from the
 * database that changes the list rewrites the cache file. cache_file is
 * borrowed: it must outlive the copy. Returns NULL (logged) when the thread
 * cannot start. Caller frees with hs_clients_free.
 */
hs_clients *hs_clients_create(hs_db_config const *cfg, unsigned refresh_s, char const *cache_file)
	__attribute__((warn_unused_result, nonnull));

/* Stops the thread (within the time a query may take) and frees everything. */
void hs_clients_free(hs_clients *c);

/*
 * Finds the router with address addr (af AF_INET: 4 bytes, AF_INET6: 16).
 * Returns true and fills *out, or false for an unknown address.
 */
bool hs_clients_find(hs_clients *c, int af, void const *addr, hs_router *out)
	__attribute__((nonnull));

/* The number of routers in the copy. */
unsigned hs_clients_count(hs_clients *c) __attribute__((nonnull));

#endif
