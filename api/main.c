/*
 * hotspotd: the daemon and its admin commands.
 *
 *   hotspotd [--env-file FILE] serve | migrate [--status] | config
 *   hotspotd gen-key
 *   hotspotd [--env-file FILE] encrypt-router-password ROUTER_ID  < password
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

#include "api/auth.h"
#include "api/http.h"
#include "api/jobs.h"
#include "api/migrate.h"
#include "api/module.h"
#include "api/monitor.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"

extern char **environ;

#define EXIT_USAGE 2

typedef struct {
	const char *env_file;
	const char *command;
	const char *operand; /* encrypt-router-password's ROUTER_ID */
	bool status;
	bool help;
	bool version;
	const api_command *module_cmd; /* a module's command, and its arguments */
	int mod_argc;
	char **mod_argv;
} main_args;

/* The modules' commands, a line each (and more when the usage is long). */
static void usage_commands(FILE *fp)
{
	for (size_t i = 0; api_modules[i]; i++)
		for (size_t j = 0; j < api_modules[i]->ncommands; j++) {
			const api_command *c = &api_modules[i]->commands[j];
			char words[64];

			snprintf(words, sizeof words, "%s%s%s", c->word, c->sub ? " " : "",
				 c->sub ? c->sub : "");
			if (strlen(words) < 18)
				fprintf(fp, "  %-18s  %s\n", words, c->summary);
			else
				fprintf(fp, "  %s\n                      %s\n", words, c->summary);
		}
}

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
	      "  gen-key             print a new APP_KEY (base64 of 32 random bytes)\n"
	      "  encrypt-router-password ROUTER_ID\n"
	      "                      read a router's RouterOS API password on stdin and\n"
	      "                      print it sealed with APP_KEY for that router, as a\n"
	      "                      bytea literal for mikrotik_devices.password_encrypted\n",
	      fp);
	usage_commands(fp);
	fputs("\n"
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
			int used;

			a->command = arg;
			a->module_cmd = api_command_find(argc - i, argv + i, &used);
			if (a->module_cmd) {
				a->mod_argc = argc - i - used;
				a->mod_argv = argv + i + used;
				return 0;
			}
		} else if (arg[0] != '-' && !a->operand &&
			   strcmp(a->command, "encrypt-router-password") == 0) {
			a->operand = arg;
		} else {
			fprintf(stderr, "hotspotd: unexpected argument %s (see hotspotd --help)\n",
				arg);
			return -1;
		}
	}
	return 0;
}

/* Prints a new key for APP_KEY.  0, or 1 when the random generator fails. */
static int gen_key(void)
{
	char key[HS_CRYPTO_KEY_B64_LEN + 1];

	if (hs_crypto_key_generate(key) != 0) {
		fprintf(stderr, "hotspotd: gen-key: no random bytes from the system\n");
		return 1;
	}
	printf("%s\n", key);
	explicit_bzero(key, sizeof key);
	return 0;
}

/* Reads one line (the password) from stdin into buf without its line end.
 * Its length, or -1 when empty or longer than the buffer. */
static long read_password(char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, stdin))
		return -1;
	n = strcspn(buf, "\r\n");
	if (n == 0 || (n == len - 1 && buf[n] == '\0'))
		return -1;
	buf[n] = '\0';
	return (long)n;
}

/* Prints sealed as a bytea literal (\x and hex). */
static void print_bytea(const unsigned char *sealed, size_t len)
{
	fputs("\\x", stdout);
	for (size_t i = 0; i < len; i++)
		printf("%02x", sealed[i]);
	fputc('\n', stdout);
}

/*
 * Seals the password on stdin for router_id with APP_KEY and prints it.
 * 0, 1 on failure, EXIT_USAGE on a bad router id or a missing APP_KEY.
 * The password and the key are wiped before returning.
 */
static int encrypt_router_password(const hs_config *cfg, const char *router_id)
{
	char password[1024];
	hs_crypto_keyring kr;
	unsigned char *sealed = NULL;
	size_t len = 0;
	long n;
	int rc = EXIT_USAGE;

	memset(&kr, 0, sizeof kr);
	if (!router_id || !hs_db_uuid_valid(router_id)) {
		fprintf(stderr,
			"hotspotd: encrypt-router-password needs the router's id (a UUID)\n");
		goto out;
	}
	if (hs_crypto_keyring_load(&kr, cfg) != 0) {
		fprintf(stderr, "hotspotd: encrypt-router-password: APP_KEY is not set "
				"(hotspotd gen-key makes one)\n");
		goto out;
	}
	n = read_password(password, sizeof password);
	rc = 1;
	if (n < 0) {
		fprintf(stderr, "hotspotd: encrypt-router-password: give the password on stdin, "
				"one line of 1-1022 bytes\n");
		goto out;
	}
	if (hs_crypto_keyring_seal(&kr, router_id, (const unsigned char *)password, (size_t)n,
				   &sealed, &len) != 0) {
		fprintf(stderr, "hotspotd: encrypt-router-password: encryption failed\n");
		goto out;
	}
	print_bytea(sealed, len);
	rc = 0;
out:
	explicit_bzero(password, sizeof password);
	hs_crypto_keyring_wipe(&kr);
	free(sealed);
	return rc;
}

/*
 * Runs until SIGINT or SIGTERM: HTTP server first, then the job runtime,
 * then the router monitor; stops the server, the monitor, then the jobs.
 * The signals are blocked in every thread and taken here with sigwait, so
 * no handler runs in the middle of a libpq or libmicrohttpd call.
 */
static int serve(const hs_config *cfg)
{
	api_app app = {.cfg = cfg, .authorize = api_auth_authorize};
	api_server *srv = NULL;
	api_jobs_t *jobs = NULL;
	api_monitor *monitor = NULL;
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
	if (api_monitor_start(cfg, &monitor) != 0)
		goto out;
	hs_log(HS_LOG_INFO, "hotspotd %s listening on %s port %d", HS_VERSION, cfg->api_listen,
	       cfg->api_port);
	if (sigwait(&set, &sig) != 0)
		goto out;
	hs_log(HS_LOG_INFO, "stopping (%s)", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
	api_server_stop(srv);
	api_monitor_stop(monitor);
	api_jobs_stop(jobs);
	hs_db_pool_destroy(app.db);
	if (rc == 0)
		hs_log(HS_LOG_INFO, "stopped");
	return rc;
}

/* Whether --help or -h is among the arguments. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Runs a module's command with the configuration loaded; its exit status. */
static int run_module_command(const main_args *a)
{
	const api_command *c = a->module_cmd;
	hs_config cfg;
	char err[1024];
	int rc;

	if (wants_help(a->mod_argc, a->mod_argv)) {
		printf("usage: hotspotd [--env-file FILE] %s\n\n%s\n%s%s", c->usage, c->summary,
		       c->help ? "\n" : "", c->help ? c->help : "");
		return 0;
	}
	if (hs_cfg_load(&cfg, environ, a->env_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "hotspotd: %s\n", err);
		return EXIT_USAGE;
	}
	hs_log_set_level((hs_log_level)cfg.log_level);
	rc = c->run(&cfg, a->mod_argc, a->mod_argv);
	hs_cfg_free(&cfg);
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
	if (strcmp(a.command, "gen-key") == 0)
		return gen_key();
	if (a.module_cmd)
		return run_module_command(&a);
	if (strcmp(a.command, "serve") != 0 && strcmp(a.command, "migrate") != 0 &&
	    strcmp(a.command, "config") != 0 && strcmp(a.command, "encrypt-router-password") != 0) {
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
	else if (strcmp(a.command, "encrypt-router-password") == 0)
		rc = encrypt_router_password(&cfg, a.operand);
	else {
		hs_cfg_print(&cfg, stdout);
		rc = 0;
	}
	hs_cfg_free(&cfg);
	return rc;
}
