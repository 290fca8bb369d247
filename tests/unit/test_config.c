/*
 * Configuration: each row is an environment (and optionally a file) in,
 * and either the accepted value (as `hotspotd config` prints it) or the
 * exact error naming the key out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"

#define PW "DB_PASSWORD=x"
/* A key (32 bytes 0x00..0x1f). */
#define KEY_TEXT "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

typedef struct {
	const char *name;
	const char *env[6];
	const char *file;  /* contents of an env file, or NULL */
	const char *want;  /* a line of the printed configuration, or NULL */
	const char *error; /* the exact error; @FILE@ stands for the file's path */
	int via_env_var;   /* name the file with HOTSPOT_ENV_FILE, not the argument */
} cfg_case;

static const cfg_case cases[] = {
	/* int */
	{"int accepted", {PW, "WORKER_THREADS=8"}, NULL, "WORKER_THREADS=8", NULL, 0},
	{"int with plus sign", {PW, "WORKER_THREADS=+8"}, NULL, "WORKER_THREADS=8", NULL, 0},
	{"int at minimum", {PW, "WORKER_THREADS=1"}, NULL, "WORKER_THREADS=1", NULL, 0},
	{"int at maximum", {PW, "WORKER_THREADS=256"}, NULL, "WORKER_THREADS=256", NULL, 0},
	{"int below minimum",
	 {PW, "WORKER_THREADS=0"},
	 NULL,
	 NULL,
	 "config: WORKER_THREADS: \"0\" is out of range (1-256)",
	 0},
	{"int above maximum",
	 {PW, "WORKER_THREADS=257"},
	 NULL,
	 NULL,
	 "config: WORKER_THREADS: \"257\" is out of range (1-256)",
	 0},
	{"int negative",
	 {PW, "JOB_LEASE=-5"},
	 NULL,
	 NULL,
	 "config: JOB_LEASE: \"-5\" is out of range (10-86400)",
	 0},
	{"int overflowing",
	 {PW, "JOB_LEASE=99999999999999999999"},
	 NULL,
	 NULL,
	 "config: JOB_LEASE: \"99999999999999999999\" is out of range (10-86400)",
	 0},
	{"int not a number",
	 {PW, "WORKER_THREADS=abc"},
	 NULL,
	 NULL,
	 "config: WORKER_THREADS: \"abc\" is not an integer",
	 0},
	{"int with trailing text",
	 {PW, "DB_POOL_SIZE=4x"},
	 NULL,
	 NULL,
	 "config: DB_POOL_SIZE: \"4x\" is not an integer",
	 0},
	{"int with leading blank",
	 {PW, "DB_POOL_SIZE= 4"},
	 NULL,
	 NULL,
	 "config: DB_POOL_SIZE: \" 4\" is not an integer",
	 0},
	{"zero allowed where it disables",
	 {PW, "PRUNE_INTERVAL=0"},
	 NULL,
	 "PRUNE_INTERVAL=0",
	 NULL,
	 0},
	{"body cap in bytes", {PW, "API_MAX_BODY=2048"}, NULL, "API_MAX_BODY=2048", NULL, 0},
	{"body cap too small",
	 {PW, "API_MAX_BODY=10"},
	 NULL,
	 NULL,
	 "config: API_MAX_BODY: \"10\" is out of range (1024-67108864)",
	 0},
	/* port */
	{"port accepted", {PW, "API_PORT=9090"}, NULL, "API_PORT=9090", NULL, 0},
	{"port highest", {PW, "DB_PORT=65535"}, NULL, "DB_PORT=65535", NULL, 0},
	{"port with letters",
	 {PW, "API_PORT=80x"},
	 NULL,
	 NULL,
	 "config: API_PORT: \"80x\" is not a port number (1-65535)",
	 0},
	{"port word",
	 {PW, "API_PORT=abc"},
	 NULL,
	 NULL,
	 "config: API_PORT: \"abc\" is not a port number (1-65535)",
	 0},
	{"port zero",
	 {PW, "API_PORT=0"},
	 NULL,
	 NULL,
	 "config: API_PORT: \"0\" is not a port number (1-65535)",
	 0},
	{"port too high",
	 {PW, "DB_PORT=65536"},
	 NULL,
	 NULL,
	 "config: DB_PORT: \"65536\" is not a port number (1-65535)",
	 0},
	{"port control character quoted",
	 {PW, "API_PORT=8\n0"},
	 NULL,
	 NULL,
	 "config: API_PORT: \"8\\x0a0\" is not a port number (1-65535)",
	 0},
	/* bool */
	{"bool no", {PW, "LOG_REQUESTS=no"}, NULL, "LOG_REQUESTS=false", NULL, 0},
	{"bool OFF", {PW, "LOG_REQUESTS=OFF"}, NULL, "LOG_REQUESTS=false", NULL, 0},
	{"bool 0", {PW, "LOG_REQUESTS=0"}, NULL, "LOG_REQUESTS=false", NULL, 0},
	{"bool Yes", {PW, "LOG_REQUESTS=Yes"}, NULL, "LOG_REQUESTS=true", NULL, 0},
	{"bool junk",
	 {PW, "LOG_REQUESTS=maybe"},
	 NULL,
	 NULL,
	 "config: LOG_REQUESTS: \"maybe\" is not a boolean (true/false, yes/no, on/off, 1/0)",
	 0},
	/* enum */
	{"enum accepted", {PW, "LOG_LEVEL=debug"}, NULL, "LOG_LEVEL=debug", NULL, 0},
	{"enum any case", {PW, "LOG_LEVEL=WARN"}, NULL, "LOG_LEVEL=warn", NULL, 0},
	{"enum unknown",
	 {PW, "LOG_LEVEL=loud"},
	 NULL,
	 NULL,
	 "config: LOG_LEVEL: \"loud\" is not one of debug, info, warn, error",
	 0},
	{"sslmode accepted",
	 {PW, "DB_SSLMODE=verify-full"},
	 NULL,
	 "DB_SSLMODE=verify-full",
	 NULL,
	 0},
	{"sslmode unknown",
	 {PW, "DB_SSLMODE=always"},
	 NULL,
	 NULL,
	 "config: DB_SSLMODE: \"always\" is not one of disable, allow, prefer, require, "
	 "verify-ca, verify-full",
	 0},
	/* address */
	{"listen IPv6", {PW, "API_LISTEN=::1"}, NULL, "API_LISTEN=::1", NULL, 0},
	{"listen any", {PW, "API_LISTEN=0.0.0.0"}, NULL, "API_LISTEN=0.0.0.0", NULL, 0},
	{"listen host name",
	 {PW, "API_LISTEN=localhost"},
	 NULL,
	 NULL,
	 "config: API_LISTEN: \"localhost\" is not an IPv4 or IPv6 address",
	 0},
	{"listen bad octet",
	 {PW, "API_LISTEN=256.1.1.1"},
	 NULL,
	 NULL,
	 "config: API_LISTEN: \"256.1.1.1\" is not an IPv4 or IPv6 address",
	 0},
	/* string, required, secret, empty */
	{"string accepted",
	 {PW, "DB_HOST=db.example.net"},
	 NULL,
	 "DB_HOST=db.example.net",
	 NULL,
	 0},
	{"required missing",
	 {"API_PORT=9090"},
	 NULL,
	 NULL,
	 "config: DB_PASSWORD: required but not set",
	 0},
	{"required empty",
	 {"DB_PASSWORD="},
	 NULL,
	 NULL,
	 "config: DB_PASSWORD: required but not set",
	 0},
	{"secret masked", {"DB_PASSWORD=hunter2"}, NULL, "DB_PASSWORD=(set)", NULL, 0},
	{"optional secret unset", {PW}, NULL, "DB_OWNER_PASSWORD=(unset)", NULL, 0},
	{"empty value is the default", {PW, "API_PORT="}, NULL, "API_PORT=8080", NULL, 0},
	{"backoff cap below base",
	 {PW, "JOB_BACKOFF_BASE=60", "JOB_BACKOFF_CAP=30"},
	 NULL,
	 NULL,
	 "config: JOB_BACKOFF_CAP: 30 is below JOB_BACKOFF_BASE (60)",
	 0},
	{"router API timeout not below the lease",
	 {PW, "JOB_LEASE=10", "ROUTER_API_TIMEOUT=10"},
	 NULL,
	 NULL,
	 "config: ROUTER_API_TIMEOUT: 10 is not below JOB_LEASE (10)",
	 0},
	{"monitor lease not above the interval",
	 {PW, "ROUTER_MONITOR_INTERVAL=60", "ROUTER_MONITOR_LEASE=60"},
	 NULL,
	 NULL,
	 "config: ROUTER_MONITOR_LEASE: 60 is not above ROUTER_MONITOR_INTERVAL (60)",
	 0},
	{"monitor off: any lease",
	 {PW, "ROUTER_MONITOR_INTERVAL=0", "ROUTER_MONITOR_LEASE=2"},
	 NULL,
	 "ROUTER_MONITOR_LEASE=2",
	 NULL,
	 0},
	/* the application key: a secret, never quoted back */
	{"key accepted, masked",
	 {PW, "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
	 NULL,
	 "APP_KEY=(set)",
	 NULL,
	 0},
	{"key too short",
	 {PW, "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"},
	 NULL,
	 NULL,
	 "config: APP_KEY: not the base64 text of a 32-byte key (hotspotd gen-key makes one)",
	 0},
	{"key not base64",
	 {PW, "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd*h8="},
	 NULL,
	 NULL,
	 "config: APP_KEY: not the base64 text of a 32-byte key (hotspotd gen-key makes one)",
	 0},
	{"key in the file, its line named",
	 {PW},
	 "\nAPP_KEY=secret-key-text\n",
	 NULL,
	 "config: @FILE@:2: APP_KEY: not the base64 text of a 32-byte key (hotspotd gen-key "
	 "makes one)",
	 0},
	/* older keys: opening only, a secret, never quoted back */
	{"previous keys accepted, masked",
	 {PW, "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	  "APP_KEY_PREVIOUS=GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=, "
	  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
	 NULL,
	 "APP_KEY_PREVIOUS=(set)",
	 NULL,
	 0},
	{"previous key malformed",
	 {PW, "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	  "APP_KEY_PREVIOUS=GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"},
	 NULL,
	 NULL,
	 "config: APP_KEY_PREVIOUS: key 2 is not the base64 text of a 32-byte key (keys are "
	 "separated by commas)",
	 0},
	{"previous keys with a trailing comma",
	 {PW, "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	  "APP_KEY_PREVIOUS=GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"},
	 NULL,
	 NULL,
	 "config: APP_KEY_PREVIOUS: key 1 is not the base64 text of a 32-byte key (keys are "
	 "separated by commas)",
	 0},
	{"previous keys, too many",
	 {PW, "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	  "APP_KEY_PREVIOUS=GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=,"
	  "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo="},
	 NULL,
	 NULL,
	 "config: APP_KEY_PREVIOUS: more than 7 keys",
	 0},
	{"previous keys without a current key",
	 {PW, "APP_KEY_PREVIOUS=GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo="},
	 NULL,
	 NULL,
	 "config: APP_KEY_PREVIOUS: set without APP_KEY or APP_KEY_FILE",
	 0},
	{"key and key file both set",
	 {PW,
	  "APP_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "APP_KEY_FILE=/nonexistent/key"},
	 NULL,
	 NULL,
	 "config: APP_KEY_FILE: set together with APP_KEY; set one of them",
	 0},
	{"key file missing",
	 {PW, "APP_KEY_FILE=/nonexistent/key"},
	 NULL,
	 NULL,
	 "config: APP_KEY_FILE: cannot read /nonexistent/key: No such file or directory",
	 0},
	/* the hotspot login URL of printed vouchers */
	{"login URL accepted",
	 {PW, "HOTSPOT_LOGIN_URL=https://hotspot.example.net/login?dst=x"},
	 NULL,
	 "HOTSPOT_LOGIN_URL=https://hotspot.example.net/login?dst=x",
	 NULL,
	 0},
	{"login URL of another scheme",
	 {PW, "HOTSPOT_LOGIN_URL=ftp://hotspot/login"},
	 NULL,
	 NULL,
	 "config: HOTSPOT_LOGIN_URL: \"ftp://hotspot/login\" is not an http:// or https:// URL",
	 0},
	{"login URL without a host",
	 {PW, "HOTSPOT_LOGIN_URL=http:///login"},
	 NULL,
	 NULL,
	 "config: HOTSPOT_LOGIN_URL: \"http:///login\" is not an http:// or https:// URL",
	 0},
	{"login URL with a quote",
	 {PW, "HOTSPOT_LOGIN_URL=http://a/\"x"},
	 NULL,
	 NULL,
	 "config: HOTSPOT_LOGIN_URL: \"http://a/\\x22x\" is not an http:// or https:// URL",
	 0},
	/* the file */
	{"file value", {PW}, "API_PORT=9090\n", "API_PORT=9090", NULL, 0},
	{"file export prefix", {PW}, "export API_PORT=9091\n", "API_PORT=9091", NULL, 0},
	{"file double quotes", {PW}, "API_PORT=\"9092\"\n", "API_PORT=9092", NULL, 0},
	{"file single quotes", {PW}, "DB_HOST='a \"b\" #c'\n", "DB_HOST=a \"b\" #c", NULL, 0},
	{"file escapes in double quotes",
	 {PW},
	 "DB_HOST=\"a\\\"b\\\\c\"\n",
	 "DB_HOST=a\"b\\c",
	 NULL,
	 0},
	{"file blanks around =",
	 {PW},
	 "  API_PORT = 9093   # the port\n",
	 "API_PORT=9093",
	 NULL,
	 0},
	{"file hash inside a value", {PW}, "DB_HOST=a#b\n", "DB_HOST=a#b", NULL, 0},
	{"file comment after a value", {PW}, "DB_HOST=a #b\n", "DB_HOST=a", NULL, 0},
	{"file comments and blank lines",
	 {PW},
	 "# settings\n\n   \n\t# more\nAPI_PORT=9094\n",
	 "API_PORT=9094",
	 NULL,
	 0},
	{"file CRLF lines",
	 {PW},
	 "API_PORT=9095\r\nWORKER_THREADS=2\r\n",
	 "WORKER_THREADS=2",
	 NULL,
	 0},
	{"file without final newline", {PW}, "API_PORT=9096", "API_PORT=9096", NULL, 0},
	{"file later line wins", {PW}, "API_PORT=1\nAPI_PORT=2\n", "API_PORT=2", NULL, 0},
	{"file unknown key tolerated",
	 {PW},
	 "NOT_A_KEY=1\nAPI_PORT=9097\n",
	 "API_PORT=9097",
	 NULL,
	 0},
	{"file gives the required key",
	 {NULL},
	 "DB_PASSWORD=fromfile\n",
	 "DB_PASSWORD=(set)",
	 NULL,
	 0},
	{"file junk line",
	 {PW},
	 "# c\n\nthis is junk\n",
	 NULL,
	 "config: @FILE@:3: expected KEY=VALUE",
	 0},
	{"file key without =", {PW}, "API_PORT\n", NULL, "config: @FILE@:1: expected KEY=VALUE", 0},
	{"file unterminated quote",
	 {PW},
	 "DB_HOST=\"abc\n",
	 NULL,
	 "config: @FILE@:1: unterminated quoted value",
	 0},
	{"file text after quotes",
	 {PW},
	 "DB_HOST=\"a\" b\n",
	 NULL,
	 "config: @FILE@:1: unexpected text after the quoted value",
	 0},
	{"file bad value names file, line and key",
	 {PW},
	 "# x\nAPI_PORT=abc\n",
	 NULL,
	 "config: @FILE@:2: API_PORT: \"abc\" is not a port number (1-65535)",
	 0},
	{"environment wins over file",
	 {PW, "API_PORT=7000"},
	 "API_PORT=9090\n",
	 "API_PORT=7000",
	 NULL,
	 0},
	{"bad environment value wins over good file",
	 {PW, "API_PORT=x"},
	 "API_PORT=9090\n",
	 NULL,
	 "config: API_PORT: \"x\" is not a port number (1-65535)",
	 0},
	{"good environment hides bad file value",
	 {PW, "API_PORT=7001"},
	 "API_PORT=x\n",
	 "API_PORT=7001",
	 NULL,
	 0},
	{"empty environment value falls back to file",
	 {PW, "API_PORT="},
	 "API_PORT=9098\n",
	 "API_PORT=9098",
	 NULL,
	 0},
	{"HOTSPOT_ENV_FILE names the file", {PW}, "API_PORT=9099\n", "API_PORT=9099", NULL, 1},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Replaces @FILE@ in pattern with path. */
static void expand(const char *pattern, const char *path, char *out, size_t len)
{
	const char *at = strstr(pattern, "@FILE@");

	if (!at) {
		snprintf(out, len, "%s", pattern);
		return;
	}
	snprintf(out, len, "%.*s%s%s", (int)(at - pattern), pattern, path, at + 6);
}

static char *printed(const hs_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	hs_cfg_print(cfg, fp);
	fclose(fp);
	return buf;
}

static void run_case(void **state)
{
	const cfg_case *c = *state;
	char path[] = "/tmp/hs_test_config_XXXXXX";
	char envvar[64], want_err[512], err[512] = "";
	char *envp[9] = {NULL};
	size_t n = 0;
	hs_config cfg;
	int rc;

	for (size_t i = 0; i < 6 && c->env[i]; i++)
		envp[n++] = (char *)c->env[i];
	if (c->file) {
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, c->file, strlen(c->file)), (ssize_t)strlen(c->file));
		close(fd);
		if (c->via_env_var) {
			snprintf(envvar, sizeof(envvar), "HOTSPOT_ENV_FILE=%s", path);
			envp[n++] = envvar;
		}
	}
	rc = hs_cfg_load(&cfg, envp, c->file && !c->via_env_var ? path : NULL, err, sizeof(err));
	if (c->file)
		unlink(path);
	if (c->error) {
		expand(c->error, path, want_err, sizeof(want_err));
		assert_int_equal(rc, -1);
		assert_string_equal(err, want_err);
		return;
	}
	if (rc != 0)
		fail_msg("unexpected error: %s", err);
	{
		char *out = printed(&cfg);
		char line[256];

		snprintf(line, sizeof(line), "\n%s\n", c->want);
		if (!strstr(out, line) && strncmp(out, line + 1, strlen(line + 1)) != 0)
			fail_msg("%s not in:\n%s", c->want, out);
		assert_null(strstr(out, "hunter2"));
		free(out);
	}
	hs_cfg_free(&cfg);
}

static void test_defaults(void **state)
{
	static const char want[] = "DB_HOST=127.0.0.1\n"
				   "DB_PORT=5432\n"
				   "DB_DATABASE=hotspot\n"
				   "DB_USERNAME=hs_api\n"
				   "DB_PASSWORD=(set)\n"
				   "DB_WORKER_USERNAME=hs_worker\n"
				   "DB_WORKER_PASSWORD=(unset)\n"
				   "DB_OWNER_USERNAME=hs_owner\n"
				   "DB_OWNER_PASSWORD=(unset)\n"
				   "DB_SSLMODE=prefer\n"
				   "DB_CONNECT_TIMEOUT=5\n"
				   "DB_POOL_SIZE=4\n"
				   "API_LISTEN=127.0.0.1\n"
				   "API_PORT=8080\n"
				   "API_MAX_BODY=1048576\n"
				   "API_MAX_CONNECTIONS=256\n"
				   "API_CONNECTION_TIMEOUT=30\n"
				   "API_RATE_LIMIT=600\n"
				   "API_TOKEN_LIFETIME_HOURS=720\n"
				   "CORS_ORIGIN=\n"
				   "LOGIN_MAX_FAILURES=5\n"
				   "LOGIN_MAX_FAILURES_PER_ADDRESS=20\n"
				   "LOGIN_FAILURE_WINDOW=900\n"
				   "EVENTS_MAX_STREAMS=32\n"
				   "EVENTS_HEARTBEAT=15\n"
				   "LOG_LEVEL=info\n"
				   "LOG_REQUESTS=true\n"
				   "WORKER_THREADS=4\n"
				   "JOB_POLL_INTERVAL=5\n"
				   "JOB_LEASE=300\n"
				   "JOB_BACKOFF_BASE=10\n"
				   "JOB_BACKOFF_CAP=3600\n"
				   "PRUNE_INTERVAL=3600\n"
				   "SWEEP_INTERVAL=60\n"
				   "RADIUS_INTERIM_INTERVAL=300\n"
				   "AUTH_LOG_RETENTION_DAYS=30\n"
				   "SESSION_RETENTION_DAYS=365\n"
				   "EVENT_RETENTION_DAYS=7\n"
				   "JOB_RETENTION_DAYS=14\n"
				   "COA_TIMEOUT=6\n"
				   "COA_RETRIES=2\n"
				   "RADIUS_DICTIONARY_DIR=/usr/share/freeradius\n"
				   "ROUTER_API_TIMEOUT=5\n"
				   "ROUTER_MONITOR_INTERVAL=30\n"
				   "ROUTER_MONITOR_WORKERS=4\n"
				   "ROUTER_MONITOR_LEASE=90\n"
				   "ROUTER_STATS_CACHE=30\n"
				   "APP_KEY=(unset)\n"
				   "APP_KEY_FILE=\n"
				   "APP_KEY_PREVIOUS=(unset)\n"
				   "ROUTER_ALLOWED_NETWORKS=10.0.0.0/8,"
				   "172.16.0.0/12,192.168.0.0/16,"
				   "100.64.0.0/10,fc00::/7,2001:db8::/32\n"
				   "ROUTER_OP_TIMEOUT=30\n"
				   "ROUTER_RADIUS_ADDRESS=\n"
				   "ROUTER_RADIUS_AUTH_PORT=1812\n"
				   "ROUTER_RADIUS_ACCT_PORT=1813\n"
				   "ROUTER_IMPORT_MAX_ROWS=500\n"
				   "ROUTER_BACKUP_CHECK_INTERVAL=300\n"
				   "MIGRATIONS_DIR=sql/migrations\n"
				   "HOTSPOT_LOGIN_URL=http://login.wifi/login\n"
				   "SMS_DRIVER=log\n"
				   "SMS_FROM=\n"
				   "SMS_TIMEOUT=15\n"
				   "SMS_VOUCHER_TEMPLATE={tenant} WiFi voucher. Code: {code}[ "
				   "Password: {password}]. {terms}[, until {expires}][ "
				   "({profile})]\n"
				   "TWILIO_SID=\n"
				   "TWILIO_TOKEN=(unset)\n"
				   "TWILIO_BASE_URL=https://api.twilio.com\n"
				   "AFRICASTALKING_USERNAME=\n"
				   "AFRICASTALKING_API_KEY=(unset)\n"
				   "AFRICASTALKING_BASE_URL=https://api.africastalking.com\n"
				   "SMS_HTTP_URL=\n"
				   "SMS_HTTP_METHOD=POST\n"
				   "SMS_HTTP_CONTENT_TYPE=application/json\n"
				   "SMS_HTTP_BODY={\"to\":\"{to}\",\"from\":\"{from}\","
				   "\"message\":\"{message}\"}\n"
				   "SMS_HTTP_AUTH_HEADER=(unset)\n"
				   "SMS_HTTP_ID_FIELD=\n"
				   "PUBLIC_BASE_URL=http://127.0.0.1:8080\n"
				   "STRIPE_SECRET_KEY=(unset)\n"
				   "STRIPE_WEBHOOK_SECRET=(unset)\n"
				   "STRIPE_API_BASE=https://api.stripe.com\n"
				   "FLUTTERWAVE_SECRET_KEY=(unset)\n"
				   "FLUTTERWAVE_SECRET_HASH=(unset)\n"
				   "FLUTTERWAVE_API_BASE=https://api.flutterwave.com\n"
				   "PAYMENT_WEBHOOK_TOLERANCE=300\n"
				   "PAYMENT_HTTP_TIMEOUT=15\n"
				   "PAYMENT_CHECK_DELAY=120\n"
				   "PAYMENT_CHECK_ATTEMPTS=6\n"
				   "PURCHASE_RATE_LIMIT=30\n";
	char *envp[] = {"DB_PASSWORD=x", "UNRELATED=1", NULL};
	char err[256];
	hs_config cfg;
	char *out;

	(void)state;
	assert_int_equal(hs_cfg_load(&cfg, envp, NULL, err, sizeof(err)), 0);
	out = printed(&cfg);
	assert_string_equal(out, want);
	assert_int_equal(cfg.db_port, 5432);
	assert_int_equal(cfg.worker_threads, 4);
	assert_true(cfg.log_requests);
	free(out);
	hs_cfg_free(&cfg);
}

/* Writes text into a new temporary file of mode mode; its path goes to path. */
static void key_file(char *path, const char *text, mode_t mode)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* APP_KEY_FILE: read into APP_KEY when private and well formed; refused otherwise. */
static void test_key_file(void **state)
{
	static const struct {
		const char *text;
		mode_t mode;
		const char *error; /* after "config: APP_KEY_FILE: <path>" */
	} rows[] = {
		{KEY_TEXT "\n", 0600, NULL},
		{"  " KEY_TEXT " \r\n\n", 0400, NULL},
		{KEY_TEXT, 0600, NULL},
		{KEY_TEXT "\n", 0644, " is open to group or others (mode 0644); chmod 600 it"},
		{KEY_TEXT "\n", 0640, " is open to group or others (mode 0640); chmod 600 it"},
		{KEY_TEXT "\n", 0602, " is open to group or others (mode 0602); chmod 600 it"},
		{KEY_TEXT "\n" KEY_TEXT "\n", 0600,
		 " must hold one line: the base64 text of a 32-byte key"},
		{"\n", 0600, ": empty; it must hold the base64 text of a 32-byte key"},
		{"hunter2\n", 0600,
		 ": not the base64 text of a 32-byte key (hotspotd gen-key makes one)"},
	};
	char path[] = "/tmp/hs_test_key_XXXXXX", env[64], err[512], want[512];
	char *envp[] = {"DB_PASSWORD=x", env, NULL};
	hs_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		strcpy(path, "/tmp/hs_test_key_XXXXXX");
		key_file(path, rows[i].text, rows[i].mode);
		snprintf(env, sizeof env, "APP_KEY_FILE=%s", path);
		err[0] = '\0';
		if (!rows[i].error) {
			assert_int_equal(hs_cfg_load(&cfg, envp, NULL, err, sizeof err), 0);
			assert_string_equal(cfg.app_key, KEY_TEXT);
			assert_string_equal(cfg.app_key_file, path);
			hs_cfg_free(&cfg);
		} else {
			assert_int_equal(hs_cfg_load(&cfg, envp, NULL, err, sizeof err), -1);
			snprintf(want, sizeof want, "config: APP_KEY_FILE: %s%s", path,
				 rows[i].error);
			assert_string_equal(err, want);
			assert_null(strstr(err, "hunter2"));
			assert_null(strstr(err, KEY_TEXT));
		}
		unlink(path);
	}
	/* Not a regular file. */
	strcpy(env, "APP_KEY_FILE=/tmp");
	assert_int_equal(hs_cfg_load(&cfg, envp, NULL, err, sizeof err), -1);
	assert_string_equal(err, "config: APP_KEY_FILE: /tmp is not a regular file");
}

static void test_long_string(void **state)
{
	size_t len = 5000;
	char *env = malloc(len + 16);
	char *envp[] = {"DB_PASSWORD=x", env, NULL};
	char err[256];
	hs_config cfg;

	(void)state;
	strcpy(env, "DB_HOST=");
	memset(env + 8, 'a', len);
	env[8 + len] = '\0';
	assert_int_equal(hs_cfg_load(&cfg, envp, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "config: DB_HOST: value is longer than 4096 bytes");
	free(env);
}

static void test_missing_file(void **state)
{
	char *envp[] = {"DB_PASSWORD=x", NULL};
	char err[256];
	hs_config cfg;

	(void)state;
	assert_int_equal(hs_cfg_load(&cfg, envp, "/nonexistent/hotspot.env", err, sizeof(err)), -1);
	assert_string_equal(
		err, "config: cannot read /nonexistent/hotspot.env: No such file or directory");
}

/* A secret never shows, not even in an error about another key. */
static void test_secret_never_in_errors(void **state)
{
	char *envp[] = {"DB_PASSWORD=hunter2", "DB_OWNER_PASSWORD=hunter2", "API_PORT=no", NULL};
	char err[256];
	hs_config cfg;

	(void)state;
	assert_int_equal(hs_cfg_load(&cfg, envp, NULL, err, sizeof(err)), -1);
	assert_null(strstr(err, "hunter2"));
}

/* Lists of networks: the text, whether it parses, and addresses inside and outside. */
static const struct {
	const char *text;
	const char *why; /* NULL: parses */
	const char *in, *out;
} cidr_cases[] = {
	{"10.0.0.0/8", NULL, "10.255.1.2", "11.0.0.1"},
	{" 192.168.0.0/16 , 127.0.0.1", NULL, "127.0.0.1", "127.0.0.2"},
	{"172.16.0.0/12", NULL, "172.31.255.255", "172.32.0.0"},
	{"100.64.0.0/10", NULL, "100.127.0.1", "100.128.0.1"},
	{"10.1.2.3/32", NULL, "10.1.2.3", "10.1.2.4"},
	{"0.0.0.0/0", NULL, "8.8.8.8", "::1"},
	{"fc00::/7", NULL, "fd12:3456::1", "fe80::1"},
	{"2001:db8::/32,10.0.0.0/8", NULL, "2001:db8:ffff::1", "2001:db9::1"},
	{"10.0.0.0/8", NULL, "10.0.0.1", "not-an-address"},
	{"", "no network given", NULL, NULL},
	{"10.0.0.0/33", "\"10.0.0.0/33\" is not a network (ADDRESS/LENGTH)", NULL, NULL},
	{"fc00::/129", "\"fc00::/129\" is not a network (ADDRESS/LENGTH)", NULL, NULL},
	{"10.0.0.0/", "\"10.0.0.0/\" is not a network (ADDRESS/LENGTH)", NULL, NULL},
	{"10.0.0.0/-1", "\"10.0.0.0/-1\" is not a network (ADDRESS/LENGTH)", NULL, NULL},
	{"10.0.0.0/8,,10.1.0.0/16", "\"\" is not a network (ADDRESS/LENGTH)", NULL, NULL},
	{"10.0.0.0/8 10.1.0.0/16", "networks must be separated by commas", NULL, NULL},
	{"10.0.0.0/8;x", "\"10.0.0.0/8;x\" is not a network (ADDRESS/LENGTH)", NULL, NULL},
	{"router.example/24", "\"router.example/24\" is not a network (ADDRESS/LENGTH)", NULL,
	 NULL},
};

static void test_cidrs(void **state)
{
	hs_cidr list[HS_CIDRS_MAX];
	char why[160];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof cidr_cases / sizeof cidr_cases[0]; i++) {
		int rc =
			hs_cidrs_parse(cidr_cases[i].text, list, HS_CIDRS_MAX, &n, why, sizeof why);

		if (cidr_cases[i].why) {
			assert_int_equal(rc, -1);
			assert_string_equal(why, cidr_cases[i].why);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(hs_cidrs_contain(list, n, cidr_cases[i].in));
		assert_false(hs_cidrs_contain(list, n, cidr_cases[i].out));
	}
}

static void test_cidrs_max(void **state)
{
	hs_cidr list[2];
	char why[160];
	size_t n;

	(void)state;
	assert_int_equal(hs_cidrs_parse("10.0.0.0/8,11.0.0.0/8", list, 2, &n, why, sizeof why), 0);
	assert_int_equal(n, 2);
	assert_int_equal(
		hs_cidrs_parse("10.0.0.0/8,11.0.0.0/8,12.0.0.0/8", list, 2, &n, why, sizeof why),
		-1);
	assert_string_equal(why, "more than 2 networks");
}

int main(void)
{
	struct CMUnitTest tests[NCASES + 7];
	size_t n = 0;

	for (size_t i = 0; i < NCASES; i++) {
		tests[n] =
			(struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_defaults);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_string);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_missing_file);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_secret_never_in_errors);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cidrs);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cidrs_max);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_key_file);
	return _cmocka_run_group_tests("config", tests, n, NULL, NULL);
}
