/*
 * hotspotd: the daemon and its admin commands.
 *
 *   hotspotd [--env-file FILE] serve | migrate [--status] | config
 *   hotspotd --version | --help
 *
 * Exit status: 0 success, 1 failure at run time, 2 bad usage or a bad
 * configuration value.
 */
#include <signal.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "api/jobs.h"
#include "api/migrate.h"
#include "common/config.h"
#include "common/db.h"
#include "common/log.h"

extern char **environ;

#define EXIT_USAGE 2

typedef struct {
	const char *env_file;
	const char *command;
	bool status;
	bool help;
	bool version;
} main_args;

static void usage(FILE *fp)
{
	fputs("usage: hotspotd [--env-file FILE] COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  serve               run the REST API and the job workers until SIGINT or\n"
	      "                      SIGTERM\n"
	      "  migrate             apply the pending database migrations from MIGRATIONS_DIR,\n"
	      "                      as DB_OWNER_USERNAME, each in its own transaction\n"
	      "  migrate --status    list applied and pending migrations; apply nothing\n"
	      "  config              print the effective configuration (secrets masked)\n"
	      "\n"
	      "Options:\n"
	      "  --env-file FILE     read KEY=VALUE settings from FILE (default: the file\n"
	      "                      named by HOTSPOT_ENV_FILE, if set); the environment\n"
	      "                      wins over the file\n"
	      "  --version           print the version and exit\n"
	      "  --help              print this help and exit\n"
	      "\n"
	      "Every setting and its default: README.md, Configuration.\n"
	      "Exit status: 0 success, 1 failure, 2 bad usage or configuration.\n",
	      fp);
}

/* Parses argv; -1 (reported) on bad usage. */
static int parse_args(int argc, char **argv, main_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			a->help = true;
		} else if (strcmp(arg, "--version") == 0) {
			a->version = true;
		} else if (strcmp(arg, "--env-file") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "hotspotd: --env-file needs a file name\n");
				return -1;
			}
			a->env_file = argv[i];
		} else if (strncmp(arg, "--env-file=", 11) == 0) {
			a->env_file = arg + 11;
		} else if (strcmp(arg, "--status") == 0 && a->command &&
			   strcmp(a->command, "migrate") == 0) {
			a->status = true;
		} else if (arg[0] != '-' && !a->command) {
			a->command = arg;
		} else {
			fprintf(stderr, "hotspotd: unexpected argument %s (see hotspotd --help)\n",
				arg);
			return -1;
		}
	}
	return 0;
}

/*
 * Runs until SIGINT or SIGTERM: HTTP server first, then the job runtime;
 * stops them in the reverse order.  The signals are blocked in every thread
 * and taken here with sigwait, so no handler runs in the middle of a libpq
 * or libmicrohttpd call.
 */
static int serve(const hs_config *cfg)
{
	api_app app = {.cfg = cfg};
	api_server *srv = NULL;
	api_jobs_t *jobs = NULL;
	sigset_t set;
	int sig = 0, rc = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	app.db = hs_db_pool_create(cfg, HS_DB_ROLE_API, cfg->db_pool_size);
	if (!app.db) {
		hs_log(HS_LOG_ERROR, "serve: out of memory");
		goto out;
	}
	srv = api_server_start(&app);
	if (!srv)
		goto out;
	jobs = api_jobs_start(cfg);
	if (!jobs)
		goto out;
	hs_log(HS_LOG_INFO, "hotspotd %s listening on %s port %d", HS_VERSION, cfg->api_listen,
	       cfg->api_port);
	if (sigwait(&set, &sig) != 0)
		goto out;
	hs_log(HS_LOG_INFO, "stopping (%s)", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
	api_server_stop(srv);
	api_jobs_stop(jobs);
	hs_db_pool_destroy(app.db);
	if (rc == 0)
		hs_log(HS_LOG_INFO, "stopped");
	return rc;
}

int main(int argc, char **argv)
{
	main_args a;
	hs_config cfg;
	char err[1024];
	int rc;

	if (parse_args(argc, argv, &a) != 0)
		return EXIT_USAGE;
	if (a.help) {
		usage(stdout);
		return 0;
	}
	if (a.version) {
		printf("hotspotd %s\n", HS_VERSION);
		return 0;
	}
	if (!a.command) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(a.command, "serve") != 0 && strcmp(a.command, "migrate") != 0 &&
	    strcmp(a.command, "config") != 0) {
		fprintf(stderr, "hotspotd: unknown command %s (see hotspotd --help)\n", a.command);
		return EXIT_USAGE;
	}
	if (hs_cfg_load(&cfg, environ, a.env_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "hotspotd: %s\n", err);
		return EXIT_USAGE;
	}
	hs_log_set_level((hs_log_level)cfg.log_level);
	if (strcmp(a.command, "serve") == 0)
		rc = serve(&cfg);
	else if (strcmp(a.command, "migrate") == 0)
		rc = api_migrate(&cfg, a.status);
	else {
		hs_cfg_print(&cfg, stdout);
		rc = 0;
	}
	hs_cfg_free(&cfg);
	return rc;
}
