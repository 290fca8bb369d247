/*
 * rlm_hotspot: voucher authorization and accounting for MikroTik hotspots,
 * as a FreeRADIUS 3.2 module.
 *
 * This file holds the module's configuration, its start and stop, and the
 * dispatch of requests to hs_request.c. The database work is in hs_db.c,
 * the routers copy for dynamic clients in hs_clients.c, the batching
 * accounting writer and its spool in hs_acct.c, and the pure logic in
 * hs_logic.c.
 *
 * The server loads the module by the name of its one exported symbol,
 * rlm_hotspot; everything else here is static or hidden.
 */

/* build.h sets up the compiler macros the other FreeRADIUS headers use. */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A module built against other headers than the server's is refused at load
 * time (the magic number embeds the version); the build stops here instead.
 * module.mk sets HS_FR_SERVER_VERSION to the installed server's version in
 * the MMmmpp notation of RADIUSD_VERSION.
 */
#ifndef HS_FR_SERVER_VERSION
#define HS_FR_SERVER_VERSION 0
#endif
_Static_assert(HS_FR_SERVER_VERSION == RADIUSD_VERSION,
	       "the FreeRADIUS headers differ in version from the installed server (or the build "
	       "did not go through radiusd-module/module.mk): run make clean, then make");

#include "hs_module.h"

static CONF_PARSER const module_config[] = {
	{"server", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, db.server),
	 "127.0.0.1"},
	{"port", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, db.port), "5432"},
	{"database", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, db.database),
	 "hotspot"},
	{"login", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, db.login),
	 "hs_radius"},
	{"password", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_SECRET, rlm_hotspot_t, db.password),
	 ""},
	{"connect_timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, db.connect_timeout),
	 "3"},
	{"query_timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, db.query_timeout), "5"},
	{"auth_workers", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, auth_workers), "2"},
	{"auth_batch_size", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, auth_batch_size), "64"},
	{"auth_batch_wait", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, auth_batch_wait),
	 "1000"},
	{"auth_queue_size", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, auth_queue_size),
	 "4096"},
	{"interim_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, interim_interval),
	 "300"},
	{"clients_refresh", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, clients_refresh), "10"},
	{"spool_file",
	 FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, spool_file),
	 "${radacctdir}/hotspot-accounting.spool"},
	{"clients_cache_file",
	 FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, clients_cache_file),
	 "${radacctdir}/hotspot-clients.cache"},
	{"acct_batch_size", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, acct_batch_size), "200"},
	{"acct_batch_wait", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, acct_batch_wait),
	 "2000"},
	{"acct_queue_size", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, acct_queue_size),
	 "4096"},
	{"fail_threshold", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, fail_threshold), "5"},
	{"fail_block", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, fail_block), "60"},
	{"fail_decay", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, fail_decay), "60"},
	{"fail_table_size", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, fail_table_size),
	 "4096"},
	CONF_PARSER_TERMINATOR};

/* Ranges of the integer settings, checked once at instantiation. */
typedef struct hs_uint_range {
	char const *name;
	size_t offset;
	uint32_t min;
	uint32_t max;
} hs_uint_range;

static hs_uint_range const uint_ranges[] = {
	{"port", offsetof(rlm_hotspot_t, db.port), 1, 65535},
	{"connect_timeout", offsetof(rlm_hotspot_t, db.connect_timeout), 1, 60},
	{"query_timeout", offsetof(rlm_hotspot_t, db.query_timeout), 1, 60},
	{"auth_workers", offsetof(rlm_hotspot_t, auth_workers), 1, 64},
	{"auth_batch_size", offsetof(rlm_hotspot_t, auth_batch_size), 1, 1000},
	{"auth_batch_wait", offsetof(rlm_hotspot_t, auth_batch_wait), 0, 100000},
	{"auth_queue_size", offsetof(rlm_hotspot_t, auth_queue_size), 1, 1000000},
	{"clients_refresh", offsetof(rlm_hotspot_t, clients_refresh), 1, 3600},
	{"acct_batch_size", offsetof(rlm_hotspot_t, acct_batch_size), 1, 1000},
	{"acct_batch_wait", offsetof(rlm_hotspot_t, acct_batch_wait), 0, 100000},
	{"acct_queue_size", offsetof(rlm_hotspot_t, acct_queue_size), 1, 1000000},
	{"fail_threshold", offsetof(rlm_hotspot_t, fail_threshold), 1, 1000},
	{"fail_block", offsetof(rlm_hotspot_t, fail_block), 1, 86400},
	{"fail_decay", offsetof(rlm_hotspot_t, fail_decay), 1, 86400},
	{"fail_table_size", offsetof(rlm_hotspot_t, fail_table_size), 64, 16777216},
	/* RouterOS accepts shorter intervals, but each one is a database write. */
	{"interim_interval", offsetof(rlm_hotspot_t, interim_interval), 60, 86400},
};

/*
 * Lengths of the string settings: PostgreSQL truncates identifiers to 63
 * bytes, and a host name is at most 253 (a socket directory may be longer).
 */
typedef struct hs_str_limit {
	char const *name;
	size_t offset;
	size_t max;
} hs_str_limit;

static hs_str_limit const str_limits[] = {
	{"server", offsetof(rlm_hotspot_t, db.server), 1024},
	{"database", offsetof(rlm_hotspot_t, db.database), 63},
	{"login", offsetof(rlm_hotspot_t, db.login), 63},
	{"password", offsetof(rlm_hotspot_t, db.password), 1024},
	{"spool_file", offsetof(rlm_hotspot_t, spool_file), 4096},
	{"clients_cache_file", offsetof(rlm_hotspot_t, clients_cache_file), 4096},
};

/*
 * Attributes the module answers with: a dictionary that lacks one is a
 * deployment error, reported at start-up rather than on the first login.
 * Those of the Access-Accept are kept (slot: where in hs_reply_attrs).
 */
#define HS_NO_SLOT SIZE_MAX
static struct {
	char const *name;
	size_t slot;
} const required_attrs[] = {
	{"Reply-Message", offsetof(hs_reply_attrs, reply_message)},
	{"Session-Timeout", offsetof(hs_reply_attrs, session_timeout)},
	{"Acct-Interim-Interval", offsetof(hs_reply_attrs, interim_interval)},
	{"Mikrotik-Total-Limit", offsetof(hs_reply_attrs, total_limit)},
	{"Mikrotik-Total-Limit-Gigawords", offsetof(hs_reply_attrs, total_limit_giga)},
	{"Mikrotik-Rate-Limit", offsetof(hs_reply_attrs, rate_limit)},
	{"Hotspot-Voucher-Id", offsetof(hs_reply_attrs, voucher_id)},
	{"Hotspot-Tenant-Id", HS_NO_SLOT},
	{"Hotspot-Reject-Reason", offsetof(hs_reply_attrs, reject_reason)},
	{"Idle-Timeout", offsetof(hs_reply_attrs, idle_timeout)},
	{"Auth-Type", offsetof(hs_reply_attrs, auth_type)},
	{"Response-Packet-Type", HS_NO_SLOT},
	{"FreeRADIUS-Client-IP-Address", HS_NO_SLOT},
	{"FreeRADIUS-Client-IPv6-Address", HS_NO_SLOT},
	{"FreeRADIUS-Client-Secret", offsetof(hs_reply_attrs, client_secret)},
	{"FreeRADIUS-Client-Shortname", HS_NO_SLOT},
	{"FreeRADIUS-Client-NAS-Type", HS_NO_SLOT},
	{"FreeRADIUS-Client-Require-MA", HS_NO_SLOT},
};

/* Reports a bad setting at its own line when it was set, else at the section. */
static void hs_setting_error(CONF_SECTION *conf, char const *name, char const *problem)
{
	CONF_PAIR *cp = cf_pair_find(conf, name);

	if (cp) {
		cf_log_err(cf_pair_to_item(cp), "%s: %s", name, problem);
	} else {
		cf_log_err_cs(conf, "%s: %s", name, problem);
	}
}

/* Returns 0 when every integer setting is within its range, -1 otherwise. */
static int hs_check_ranges(CONF_SECTION *conf, rlm_hotspot_t const *inst)
{
	char problem[128];
	size_t i;

	for (i = 0; i < HS_NELEM(uint_ranges); i++) {
		hs_uint_range const *r = &uint_ranges[i];
		uint32_t v;

		memcpy(&v, (char const *)inst + r->offset, sizeof(v));
		if (v >= r->min && v <= r->max)
			continue;
		snprintf(problem, sizeof(problem), "%u is out of range (%u to %u)", v, r->min,
			 r->max);
		hs_setting_error(conf, r->name, problem);
		return -1;
	}
	return 0;
}

/* Returns 0 when every string setting is short enough and printable, -1 otherwise. */
static int hs_check_strings(CONF_SECTION *conf, rlm_hotspot_t const *inst)
{
	char problem[128];
	size_t i;

	for (i = 0; i < HS_NELEM(str_limits); i++) {
		hs_str_limit const *l = &str_limits[i];
		char const *s;
		size_t len, j;

		memcpy(&s, (char const *)inst + l->offset, sizeof(s));
		len = s ? strlen(s) : 0;
		if (len > l->max) {
			snprintf(problem, sizeof(problem), "longer than %zu bytes", l->max);
			hs_setting_error(conf, l->name, problem);
			return -1;
		}
		for (j = 0; j < len; j++) {
			if ((unsigned char)s[j] < 0x20 || s[j] == 0x7f) {
				hs_setting_error(conf, l->name, "contains a control character");
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Returns 0 when the loaded dictionaries define every attribute the module
 * uses, and keeps those of the Access-Accept in inst->attrs.
 */
static int hs_check_dictionary(CONF_SECTION *conf, rlm_hotspot_t *inst)
{
	size_t i;

	for (i = 0; i < HS_NELEM(required_attrs); i++) {
		DICT_ATTR const *da = dict_attrbyname(required_attrs[i].name);

		if (!da) {
			cf_log_err_cs(
				conf,
				"attribute %s is not in the dictionary: the server's dictionary "
				"must $INCLUDE dictionary.hotspot and the MikroTik vendor "
				"dictionary",
				required_attrs[i].name);
			return -1;
		}
		if (required_attrs[i].slot != HS_NO_SLOT)
			*(DICT_ATTR const **)((char *)&inst->attrs + required_attrs[i].slot) = da;
	}
	return 0;
}

/* Stops what mod_start started and frees it; safe on a partial start. */
static int mod_detach(void *instance)
{
	rlm_hotspot_t *inst = instance;

	hs_acct_free(inst->acct);
	inst->acct = NULL;
	hs_clients_free(inst->clients);
	inst->clients = NULL;
	hs_auth_free(inst->auth);
	inst->auth = NULL;
	hs_throttle_free(inst->throttle);
	inst->throttle = NULL;
	return 0;
}

/*
 * Starts the runtime: the Access-Request batchers (no connection yet), the routers copy (from
 * its cache file first) and its refresh thread, the accounting writer and
 * its spool, the failure table. An unreachable database does not stop the
 * start. Returns 0, or
 * -1 (logged) with everything started so far stopped again.
 */
static int mod_start(rlm_hotspot_t *inst)
{
	hs_acct_config acfg;
	hs_auth_config aucfg;

	inst->db.name = inst->name;
	acfg = (hs_acct_config){
		.db = inst->db,
		.spool_file = inst->spool_file,
		.batch_max = inst->acct_batch_size,
		.batch_wait_us = inst->acct_batch_wait,
		.queue_max = inst->acct_queue_size,
	};
	aucfg = (hs_auth_config){
		.db = inst->db,
		.interim_text = inst->interim_text,
		.workers = inst->auth_workers,
		.batch_max = inst->auth_batch_size,
		.batch_wait_us = inst->auth_batch_wait,
		.queue_max = inst->auth_queue_size,
	};
	inst->throttle = hs_throttle_create(inst->fail_table_size, inst->fail_threshold,
					    inst->fail_block, inst->fail_decay);
	if (!inst->throttle) {
		ERROR("rlm_hotspot (%s): out of memory", inst->name);
		goto fail;
	}
	inst->auth = hs_auth_create(&aucfg);
	if (!inst->auth)
		goto fail;
	inst->clients =
		hs_clients_create(&inst->db, inst->clients_refresh, inst->clients_cache_file);
	if (!inst->clients)
		goto fail;
	inst->acct = hs_acct_create(&acfg);
	if (!inst->acct)
		goto fail;
	return 0;
fail:
	mod_detach(inst);
	return -1;
}

/*
 * Checks the settings once, before the server takes traffic, then starts
 * the runtime (not in a configuration check, freeradius -C). Returns -1
 * (and the server refuses to start) with a message naming the setting.
 */
static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_hotspot_t *inst = instance;

	inst->name = cf_section_name2(conf);
	if (!inst->name)
		inst->name = cf_section_name1(conf);

	if (hs_check_ranges(conf, inst) < 0 || hs_check_strings(conf, inst) < 0 ||
	    hs_check_dictionary(conf, inst) < 0)
		return -1;
	snprintf(inst->interim_text, sizeof(inst->interim_text), "%u", inst->interim_interval);

	INFO("rlm_hotspot (%s): database %s@%s:%u/%s, connect timeout %us, interim interval %us",
	     inst->name, inst->db.login, inst->db.server, inst->db.port, inst->db.database,
	     inst->db.connect_timeout, inst->interim_interval);
	if (check_config)
		return 0;
	return mod_start(inst);
}

/*
 * The dynamic-client lookup runs the authorize section of the
 * dynamic_clients server with the enclosing network as the request's
 * client: that client names the server that defines clients.
 */
static bool hs_is_client_lookup(REQUEST const *request)
{
	return request->client && request->client->client_server;
}

/*
 * authorize: a dynamic-client lookup, or an Access-Request decided here
 * (Auth-Type Accept on success). Other packets pass untouched (noop).
 */
static rlm_rcode_t __attribute__((nonnull)) mod_authorize(void *instance, REQUEST *request)
{
	rlm_hotspot_t *inst = instance;

	if (hs_is_client_lookup(request))
		return hs_dynamic_client(inst, request);
	if (request->packet->code != PW_CODE_ACCESS_REQUEST)
		return RLM_MODULE_NOOP;
	return hs_authorize(inst, request);
}

/* accounting: acknowledged (ok) only once the record is durable. */
static rlm_rcode_t __attribute__((nonnull)) mod_accounting(void *instance, REQUEST *request)
{
	rlm_hotspot_t *inst = instance;

	if (request->packet->code != PW_CODE_ACCOUNTING_REQUEST)
		return RLM_MODULE_NOOP;
	return hs_accounting(inst, request);
}

extern module_t rlm_hotspot;
__attribute__((visibility("default"))) module_t rlm_hotspot = {
	.magic = RLM_MODULE_INIT,
	.name = "hotspot",
	.type = RLM_TYPE_THREAD_SAFE,
	.inst_size = sizeof(rlm_hotspot_t),
	.config = module_config,
	.instantiate = mod_instantiate,
	.detach = mod_detach,
	.methods =
		{
			[MOD_AUTHORIZE] = mod_authorize,
			[MOD_ACCOUNTING] = mod_accounting,
		},
};
