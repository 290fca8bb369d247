/*
 * The list of hotspotd's modules and the tables joined from them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/module.h"

const api_module *const api_modules[] = {
	&api_mod_health,
	&api_mod_routers,
	&api_mod_login,    /* /api/v1/auth */
	&api_mod_audit,    /* /api/v1/audit-logs */
	&api_mod_accounts, /* tenant, admin, token and health commands */
	&api_mod_openapi,
	&api_mod_customers, /* customers and their history */
	&api_mod_dashboard, /* dashboard statistics */
	&api_mod_events,    /* the live event stream */
	&api_mod_profiles,
	&api_mod_vouchers,
	&api_mod_voucher_batch,
	&api_mod_voucher_print,
	&api_mod_router_ops,     /* test-connection, RADIUS set-up, profile sync */
	&api_mod_router_backups, /* backups, restores, the daily schedule */
	&api_mod_router_import,  /* routers from a CSV file */
	&api_mod_sms,            /* SMS messages and their retry */
	&api_mod_payments,       /* webhooks, the operators' payments */
	&api_mod_purchase,       /* the public purchase pages */
	&api_mod_mikrotik,
	&api_mod_rekey, /* router rekey: passwords under the current key */
	NULL,
};

static api_route *routes_all;
static size_t routes_n;
static pthread_once_t routes_once = PTHREAD_ONCE_INIT;

static void routes_join(void)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; api_modules[i]; i++)
		n += api_modules[i]->nroutes;
	routes_all = calloc(n ? n : 1, sizeof(*routes_all));
	if (!routes_all)
		return;
	for (size_t i = 0; api_modules[i]; i++) {
		/* A module of commands only has no table: memcpy from NULL is undefined. */
		if (api_modules[i]->nroutes == 0)
			continue;
		memcpy(routes_all + k, api_modules[i]->routes,
		       api_modules[i]->nroutes * sizeof(*routes_all));
		k += api_modules[i]->nroutes;
	}
	routes_n = n;
}

const api_route *api_routes_all(size_t *n)
{
	pthread_once(&routes_once, routes_join);
	*n = routes_n;
	return routes_all;
}

const api_command *api_command_find(int argc, char **argv, int *used)
{
	for (size_t i = 0; api_modules[i]; i++) {
		const api_module *m = api_modules[i];

		for (size_t j = 0; j < m->ncommands; j++) {
			const api_command *c = &m->commands[j];

			if (argc < 1 || strcmp(argv[0], c->word) != 0)
				continue;
			if (!c->sub) {
				*used = 1;
				return c;
			}
			if (argc >= 2 && strcmp(argv[1], c->sub) == 0) {
				*used = 2;
				return c;
			}
		}
	}
	*used = 0;
	return NULL;
}
