/*
 * The router monitor of hotspotd serve (docs/monitor.md).
 *
 * Every ROUTER_MONITOR_INTERVAL seconds the process claims its share of
 * the routers with API credentials (leases in the database,
 * hs_router_monitor_claim: with several hotspotd processes each router is
 * polled by exactly one of them), polls each one over the RouterOS API on
 * ROUTER_MONITOR_WORKERS threads through the shared router pools
 * (api/router_conn.h), and reports status (online, offline, error),
 * last_seen, uptime, version and identity with hs_router_monitor_report,
 * which writes a router.status event when the status changes.  Statistics
 * read by a poll fill the cache the MikroTik endpoints answer from.
 */
#ifndef HS_API_MONITOR_H
#define HS_API_MONITOR_H

#include "common/config.h"

typedef struct api_monitor api_monitor;

/*
 * Starts the monitor's threads.  0 with *out set (NULL when the monitor
 * is off: ROUTER_MONITOR_INTERVAL is 0, or APP_KEY is not set, which is
 * logged), or -1 when the threads cannot start (logged; nothing left
 * running).  An unreachable database is not a failure: the monitor tries
 * again every round.  cfg must outlive the monitor.
 */
int api_monitor_start(const hs_config *cfg, api_monitor **out) __attribute__((warn_unused_result));

/*
 * Stops the monitor: no new poll starts, polls under way finish (each is
 * bounded by ROUTER_API_TIMEOUT), the threads are joined and the leases
 * given back so that another process takes the routers over at once.
 * NULL is a no-op.
 */
void api_monitor_stop(api_monitor *m);

#endif
