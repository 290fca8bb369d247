/*
 * hotspotd's parts: each file of api/ that answers routes or adds admin
 * commands exports one api_module, and api/modules.c lists them.  The
 * server joins every module's routes into the one route table it matches
 * against; main joins their commands into the command line.
 */
#ifndef HS_API_MODULE_H
#define HS_API_MODULE_H

#include <stddef.h>

#include "api/http.h"
#include "common/config.h"

/*
 * One admin command: "hotspotd WORD SUBWORD ARGS...", or "hotspotd WORD
 * ARGS..." when sub is NULL.  run gets the loaded configuration and the
 * arguments after the command's words (argv[0] is the first of them) and
 * returns the exit status: 0, 1 failure at run time, 2 bad usage.  main
 * answers --help from usage, summary and help without calling run.
 */
typedef struct {
	const char *word;
	const char *sub;
	const char *usage;   /* "tenant create --name NAME [--slug SLUG]" */
	const char *summary; /* one line for hotspotd --help */
	const char *help;    /* the options, a line each, "\n" terminated; or NULL */
	int (*run)(const hs_config *cfg, int argc, char **argv);
} api_command;

typedef struct {
	const char *name;
	const api_route *routes;
	size_t nroutes;
	const api_command *commands;
	size_t ncommands;
} api_module;

/* Every module, in the order their routes are matched; NULL terminated. */
extern const api_module *const api_modules[];

/*
 * The joined route table, made on first use (thread-safe); *n receives its
 * length.  NULL when out of memory.
 */
const api_route *api_routes_all(size_t *n);

/* Finds the command for words argv[0] (and argv[1]); *used = words taken. */
const api_command *api_command_find(int argc, char **argv, int *used);

#define API_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The modules (each defined in the file of the same name). */
extern const api_module api_mod_health;
extern const api_module api_mod_routers;
extern const api_module api_mod_login;
extern const api_module api_mod_audit;
extern const api_module api_mod_accounts;
extern const api_module api_mod_openapi;
extern const api_module api_mod_customers;
extern const api_module api_mod_dashboard;
extern const api_module api_mod_events;
extern const api_module api_mod_profiles;
extern const api_module api_mod_vouchers;
extern const api_module api_mod_voucher_batch;
extern const api_module api_mod_voucher_print;
extern const api_module api_mod_router_ops;
extern const api_module api_mod_router_backups;
extern const api_module api_mod_router_import;
extern const api_module api_mod_mikrotik;
extern const api_module api_mod_sms;
extern const api_module api_mod_rekey;
extern const api_module api_mod_payments;
extern const api_module api_mod_purchase;

#endif
