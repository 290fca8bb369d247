/*
 * rlm_hotspot: voucher authorization and accounting for MikroTik hotspots,
 * as a FreeRADIUS 3.2 module.
 *
 * This form of the module reads and checks its database settings and
 * answers without a database: every Access-Request is rejected with a
 * message a customer can read, and no Accounting-Request is acknowledged
 * (returning fail from the accounting section makes the server send no
 * Accounting-Response, so the NAS keeps the record and retransmits it;
 * acknowledging a record that was not stored would lose it).
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

#define HS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define HS_REPLY_STARTING "Voucher service is starting; please try again shortly"

typedef struct rlm_hotspot_t {
	char const *name; /* instance name, for messages */
	char const *server;
	uint32_t port;
	char const *database;
	char const *login;
	char const *password;
	uint32_t connect_timeout;  /* seconds */
	uint32_t interim_interval; /* seconds, sent as Acct-Interim-Interval */
} rlm_hotspot_t;

static CONF_PARSER const module_config[] = {
	{"server", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, server),
	 "127.0.0.1"},
	{"port", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, port), "5432"},
	{"database", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, database),
	 "hotspot"},
	{"login", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_hotspot_t, login),
	 "hs_radius"},
	{"password", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_SECRET, rlm_hotspot_t, password), ""},
	{"connect_timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, connect_timeout), "3"},
	{"interim_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_hotspot_t, interim_interval),
	 "300"},
	CONF_PARSER_TERMINATOR};

/* Ranges of the integer settings, checked once at instantiation. */
typedef struct hs_uint_range {
	char const *name;
	size_t offset;
	uint32_t min;
	uint32_t max;
} hs_uint_range;

static hs_uint_range const uint_ranges[] = {
	{"port", offsetof(rlm_hotspot_t, port), 1, 65535},
	{"connect_timeout", offsetof(rlm_hotspot_t, connect_timeout), 1, 60},
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
	{"server", offsetof(rlm_hotspot_t, server), 1024},
	{"database", offsetof(rlm_hotspot_t, database), 63},
	{"login", offsetof(rlm_hotspot_t, login), 63},
	{"password", offsetof(rlm_hotspot_t, password), 1024},
};

/*
 * Attributes the module answers with: a dictionary that lacks one is a
 * deployment error, reported at start-up rather than on the first login.
 */
static char const *const required_attrs[] = {
	"Reply-Message",
	"Session-Timeout",
	"Acct-Interim-Interval",
	"Mikrotik-Total-Limit",
	"Mikrotik-Total-Limit-Gigawords",
	"Mikrotik-Rate-Limit",
	"Hotspot-Voucher-Id",
	"Hotspot-Tenant-Id",
	"Hotspot-Reject-Reason",
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

/* Returns 0 when the loaded dictionaries define every attribute the module uses. */
static int hs_check_dictionary(CONF_SECTION *conf)
{
	size_t i;

	for (i = 0; i < HS_NELEM(required_attrs); i++) {
		if (dict_attrbyname(required_attrs[i]))
			continue;
		cf_log_err_cs(conf,
			      "attribute %s is not in the dictionary: the server's dictionary "
			      "must $INCLUDE dictionary.hotspot and the MikroTik vendor dictionary",
			      required_attrs[i]);
		return -1;
	}
	return 0;
}

/*
 * Checks the settings once, before the server takes traffic. Returns -1
 * (and the server refuses to start) with a message naming the setting.
 */
static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_hotspot_t *inst = instance;

	inst->name = cf_section_name2(conf);
	if (!inst->name)
		inst->name = cf_section_name1(conf);

	if (hs_check_ranges(conf, inst) < 0 || hs_check_strings(conf, inst) < 0 ||
	    hs_check_dictionary(conf) < 0)
		return -1;

	INFO("rlm_hotspot (%s): database %s@%s:%u/%s, connect timeout %us, interim interval %us",
	     inst->name, inst->login, inst->server, inst->port, inst->database,
	     inst->connect_timeout, inst->interim_interval);
	return 0;
}

/*
 * Access-Request: rejected with a Reply-Message (and the cause in
 * control:Hotspot-Reject-Reason), since no voucher can be checked yet.
 * Other packet types pass untouched (noop).
 */
static rlm_rcode_t __attribute__((nonnull))
mod_authorize(__attribute__((unused)) void *instance, REQUEST *request)
{
	if (request->packet->code != PW_CODE_ACCESS_REQUEST)
		return RLM_MODULE_NOOP;

	if (!pair_make_reply("Reply-Message", HS_REPLY_STARTING, T_OP_SET) ||
	    !pair_make_config("Hotspot-Reject-Reason", "Service-Unavailable", T_OP_SET)) {
		REDEBUG("cannot build the reject: %s", fr_strerror());
		return RLM_MODULE_FAIL;
	}
	/* The server prefixes request messages with the module instance's name. */
	RWARN("voucher store not connected; rejecting");
	return RLM_MODULE_REJECT;
}

/*
 * Accounting-Request: not stored, so not acknowledged (fail makes the
 * server send no Accounting-Response and the NAS retransmits).
 */
static rlm_rcode_t __attribute__((nonnull))
mod_accounting(__attribute__((unused)) void *instance, REQUEST *request)
{
	RWARN("accounting not stored yet; not acknowledged");
	return RLM_MODULE_FAIL;
}

extern module_t rlm_hotspot;
__attribute__((visibility("default"))) module_t rlm_hotspot = {
	.magic = RLM_MODULE_INIT,
	.name = "hotspot",
	.type = RLM_TYPE_THREAD_SAFE,
	.inst_size = sizeof(rlm_hotspot_t),
	.config = module_config,
	.instantiate = mod_instantiate,
	.methods =
		{
			[MOD_AUTHORIZE] = mod_authorize,
			[MOD_ACCOUNTING] = mod_accounting,
		},
};
