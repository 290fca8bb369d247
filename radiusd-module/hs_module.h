/*
 * The module instance of rlm_hotspot and the request handlers that
 * rlm_hotspot.c dispatches to. Internal to radiusd-module/: include after
 * <freeradius/radiusd.h>.
 */
#ifndef HS_MODULE_H
#define HS_MODULE_H

#include "hs_acct.h"
#include "hs_auth.h"
#include "hs_clients.h"
#include "hs_db.h"
#include "hs_logic.h"

#include <stdint.h>

/*
 * The attributes the module writes (an Access-Request's answer, a dynamic
 * client's secret), looked up once when the module starts: their pairs are
 * built from them, without a name lookup per attribute, and a string value
 * is taken as it is rather than parsed as a quoted one (a router's secret
 * may hold a backslash).
 */
typedef struct hs_reply_attrs {
	DICT_ATTR const *session_timeout;
	DICT_ATTR const *idle_timeout;
	DICT_ATTR const *interim_interval;
	DICT_ATTR const *total_limit;
	DICT_ATTR const *total_limit_giga;
	DICT_ATTR const *rate_limit;
	DICT_ATTR const *voucher_id;
	DICT_ATTR const *auth_type;
	DICT_ATTR const *reply_message;
	DICT_ATTR const *reject_reason;
	DICT_ATTR const *client_secret;
} hs_reply_attrs;

typedef struct rlm_hotspot_t {
	char const *name; /* instance name, for messages */

	/* Settings (mods-available/hotspot); db.name is set at start. */
	hs_db_config db;           /* server, port, database, login, password, the timeouts */
	uint32_t auth_workers;     /* Access-Request batchers, a connection each */
	uint32_t auth_batch_size;  /* requests per call */
	uint32_t auth_batch_wait;  /* microseconds a call waits for announced requests */
	uint32_t auth_queue_size;  /* requests waiting at most */
	uint32_t interim_interval; /* seconds, sent as Acct-Interim-Interval */
	char interim_text[16];     /* the same, as the text authorize passes */
	uint32_t clients_refresh;  /* seconds between reloads of the routers */
	char const *spool_file;
	char const *clients_cache_file; /* durable copy of the routers (hs_cache.h) */
	uint32_t acct_batch_size;
	uint32_t acct_batch_wait; /* microseconds */
	uint32_t acct_queue_size;
	uint32_t fail_threshold; /* failed logins per device before it is blocked */
	uint32_t fail_block;     /* seconds a device stays blocked */
	uint32_t fail_decay;     /* seconds for a device's failure score to halve */
	uint32_t fail_table_size;

	/* Runtime (none of it in a configuration check, freeradius -C). */
	hs_auth *auth;
	hs_clients *clients;
	hs_acct *acct;
	hs_throttle *throttle;
	hs_reply_attrs attrs;
} rlm_hotspot_t;

/* Access-Request: the voucher decision (authorize section). */
rlm_rcode_t hs_authorize(rlm_hotspot_t *inst, REQUEST *request) __attribute__((nonnull));

/*
 * The dynamic_clients virtual server: fills control:FreeRADIUS-Client-*
 * from the in-memory routers. Returns ok, or notfound for an unknown
 * address (the packet is then dropped).
 */
rlm_rcode_t hs_dynamic_client(rlm_hotspot_t *inst, REQUEST *request) __attribute__((nonnull));

/* Accounting-Request: stored or spooled before it is acknowledged. */
rlm_rcode_t hs_accounting(rlm_hotspot_t *inst, REQUEST *request) __attribute__((nonnull));

/* Marks the request to get no answer at all; returns handled. */
rlm_rcode_t hs_no_answer(REQUEST *request) __attribute__((nonnull));

#endif
