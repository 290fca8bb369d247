#include "common/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

/* A file larger than this is not a configuration file. */
#define CFG_FILE_MAX (1024 * 1024)
/* Longest string value accepted. */
#define CFG_STRING_MAX 4096
/* How much of a bad value an error message quotes. */
#define CFG_QUOTE_MAX 64

typedef enum {
	CFG_INT,
	CFG_STRING,
	CFG_BOOL,
	CFG_PORT,
	CFG_ENUM,
	CFG_ADDR,  /* an IPv4 or IPv6 literal, kept as a string */
	CFG_KEY,   /* base64 of a 32-byte key, kept as text; never quoted back */
	CFG_URL,   /* an http:// or https:// URL of printable ASCII */
	CFG_CIDRS, /* a list of networks (hs_cidrs_parse), kept as text */
	CFG_KEYS,  /* a comma-separated list of CFG_KEY texts; never quoted back */
} cfg_type;

enum {
	CFG_REQUIRED = 1 << 0, /* no default: start-up stops when it is unset */
	CFG_SECRET = 1 << 1,   /* never printed or logged */
};

typedef struct {
	const char *name;
	cfg_type type;
	size_t offset; /* of the field in hs_config */
	const char *def;
	long long min, max;        /* CFG_INT */
	const char *const *values; /* CFG_ENUM, NULL terminated */
	unsigned flags;
} cfg_key;

const char *const hs_cfg_sslmode_names[] = {"disable",   "allow",       "prefer", "require",
					    "verify-ca", "verify-full", NULL};

const char *const hs_cfg_sms_driver_names[] = {"log", "twilio", "africastalking", "http", NULL};

const char *const hs_cfg_sms_http_method_names[] = {"POST", "PUT", "GET", NULL};

static const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};

#define F(field) offsetof(hs_config, field)
#define INT(name, field, def, min, max)                                                            \
	{                                                                                          \
		name, CFG_INT, F(field), def, min, max, NULL, 0                                    \
	}
#define STR(name, field, def, flags)                                                               \
	{                                                                                          \
		name, CFG_STRING, F(field), def, 0, 0, NULL, flags                                 \
	}

/* Every key hotspotd reads.  README.md ("Configuration") documents the same rows. */
static const cfg_key cfg_keys[] = {
	STR("DB_HOST", db_host, "127.0.0.1", 0),
	{"DB_PORT", CFG_PORT, F(db_port), "5432", 1, 65535, NULL, 0},
	STR("DB_DATABASE", db_database, "hotspot", 0),
	STR("DB_USERNAME", db_username, "hs_api", 0),
	STR("DB_PASSWORD", db_password, NULL, CFG_REQUIRED | CFG_SECRET),
	STR("DB_WORKER_USERNAME", db_worker_username, "hs_worker", 0),
	STR("DB_WORKER_PASSWORD", db_worker_password, "", CFG_SECRET),
	STR("DB_OWNER_USERNAME", db_owner_username, "hs_owner", 0),
	STR("DB_OWNER_PASSWORD", db_owner_password, "", CFG_SECRET),
	{"DB_SSLMODE", CFG_ENUM, F(db_sslmode), "prefer", 0, 0, hs_cfg_sslmode_names, 0},
	INT("DB_CONNECT_TIMEOUT", db_connect_timeout, "5", 1, 300),
	INT("DB_POOL_SIZE", db_pool_size, "4", 1, 256),
	{"API_LISTEN", CFG_ADDR, F(api_listen), "127.0.0.1", 0, 0, NULL, 0},
	{"API_PORT", CFG_PORT, F(api_port), "8080", 1, 65535, NULL, 0},
	INT("API_MAX_BODY", api_max_body, "1048576", 1024, 64 * 1024 * 1024),
	INT("API_MAX_CONNECTIONS", api_max_connections, "256", 1, 10000),
	INT("API_CONNECTION_TIMEOUT", api_connection_timeout, "30", 1, 3600),
	INT("API_RATE_LIMIT", api_rate_limit, "600", 0, 1000000),
	INT("API_TOKEN_LIFETIME_HOURS", api_token_lifetime_hours, "720", 1, 87600),
	STR("CORS_ORIGIN", cors_origin, "", 0),
	INT("LOGIN_MAX_FAILURES", login_max_failures, "5", 1, 1000),
	INT("LOGIN_MAX_FAILURES_PER_ADDRESS", login_max_failures_address, "20", 1, 100000),
	INT("LOGIN_FAILURE_WINDOW", login_failure_window, "900", 10, 86400),
	INT("EVENTS_MAX_STREAMS", events_max_streams, "32", 1, 10000),
	INT("EVENTS_HEARTBEAT", events_heartbeat, "15", 1, 300),
	{"LOG_LEVEL", CFG_ENUM, F(log_level), "info", 0, 0, log_level_names, 0},
	{"LOG_REQUESTS", CFG_BOOL, F(log_requests), "true", 0, 0, NULL, 0},
	INT("WORKER_THREADS", worker_threads, "4", 1, 256),
	INT("JOB_POLL_INTERVAL", job_poll_interval, "5", 1, 3600),
	INT("JOB_LEASE", job_lease, "300", 10, 86400),
	INT("JOB_BACKOFF_BASE", job_backoff_base, "10", 1, 86400),
	INT("JOB_BACKOFF_CAP", job_backoff_cap, "3600", 1, 604800),
	INT("PRUNE_INTERVAL", prune_interval, "3600", 0, 604800),
	INT("SWEEP_INTERVAL", sweep_interval, "60", 0, 86400),
	INT("RADIUS_INTERIM_INTERVAL", radius_interim_interval, "300", 60, 86400),
	INT("AUTH_LOG_RETENTION_DAYS", auth_log_retention_days, "30", 1, 36500),
	INT("SESSION_RETENTION_DAYS", session_retention_days, "365", 1, 36500),
	INT("EVENT_RETENTION_DAYS", event_retention_days, "7", 1, 36500),
	INT("JOB_RETENTION_DAYS", job_retention_days, "14", 1, 36500),
	INT("COA_TIMEOUT", coa_timeout, "6", 1, 60),
	INT("COA_RETRIES", coa_retries, "2", 0, 10),
	STR("RADIUS_DICTIONARY_DIR", radius_dictionary_dir, "/usr/share/freeradius", 0),
	INT("ROUTER_API_TIMEOUT", router_api_timeout, "5", 1, 60),
	INT("ROUTER_MONITOR_INTERVAL", router_monitor_interval, "30", 0, 86400),
	INT("ROUTER_MONITOR_WORKERS", router_monitor_workers, "4", 1, 64),
	INT("ROUTER_MONITOR_LEASE", router_monitor_lease, "90", 2, 86400),
	INT("ROUTER_STATS_CACHE", router_stats_cache, "30", 0, 3600),
	{"APP_KEY", CFG_KEY, F(app_key), "", 0, 0, NULL, CFG_SECRET},
	STR("APP_KEY_FILE", app_key_file, "", 0),
	{"APP_KEY_PREVIOUS", CFG_KEYS, F(app_key_previous), "", 0, 0, NULL, CFG_SECRET},
	{"ROUTER_ALLOWED_NETWORKS", CFG_CIDRS, F(router_allowed_networks),
	 "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7,2001:db8::/32", 0, 0, NULL,
	 0},
	INT("ROUTER_OP_TIMEOUT", router_op_timeout, "30", 1, 600),
	{"ROUTER_RADIUS_ADDRESS", CFG_ADDR, F(router_radius_address), "", 0, 0, NULL, 0},
	{"ROUTER_RADIUS_AUTH_PORT", CFG_PORT, F(router_radius_auth_port), "1812", 1, 65535, NULL,
	 0},
	{"ROUTER_RADIUS_ACCT_PORT", CFG_PORT, F(router_radius_acct_port), "1813", 1, 65535, NULL,
	 0},
	INT("ROUTER_IMPORT_MAX_ROWS", router_import_max_rows, "500", 1, 10000),
	INT("ROUTER_BACKUP_CHECK_INTERVAL", router_backup_check_interval, "300", 0, 86400),
	STR("MIGRATIONS_DIR", migrations_dir, "sql/migrations", 0),
	{"HOTSPOT_LOGIN_URL", CFG_URL, F(hotspot_login_url), "http://login.wifi/login", 0, 0, NULL,
	 0},
	{"SMS_DRIVER", CFG_ENUM, F(sms_driver), "log", 0, 0, hs_cfg_sms_driver_names, 0},
	STR("SMS_FROM", sms_from, "", 0),
	INT("SMS_TIMEOUT", sms_timeout, "15", 1, 120),
	STR("SMS_VOUCHER_TEMPLATE", sms_voucher_template,
	    "{tenant} WiFi voucher. Code: {code}[ Password: {password}]. {terms}"
	    "[, until {expires}][ ({profile})]",
	    0),
	STR("TWILIO_SID", twilio_sid, "", 0),
	STR("TWILIO_TOKEN", twilio_token, "", CFG_SECRET),
	{"TWILIO_BASE_URL", CFG_URL, F(twilio_base_url), "https://api.twilio.com", 0, 0, NULL, 0},
	STR("AFRICASTALKING_USERNAME", africastalking_username, "", 0),
	STR("AFRICASTALKING_API_KEY", africastalking_api_key, "", CFG_SECRET),
	{"AFRICASTALKING_BASE_URL", CFG_URL, F(africastalking_base_url),
	 "https://api.africastalking.com", 0, 0, NULL, 0},
	STR("SMS_HTTP_URL", sms_http_url, "", 0),
	{"SMS_HTTP_METHOD", CFG_ENUM, F(sms_http_method), "POST", 0, 0,
	 hs_cfg_sms_http_method_names, 0},
	STR("SMS_HTTP_CONTENT_TYPE", sms_http_content_type, "application/json", 0),
	STR("SMS_HTTP_BODY", sms_http_body,
	    "{\"to\":\"{to}\",\"from\":\"{from}\",\"message\":\"{message}\"}", 0),
	STR("SMS_HTTP_AUTH_HEADER", sms_http_auth_header, "", CFG_SECRET),
	STR("SMS_HTTP_ID_FIELD", sms_http_id_field, "", 0),
	{"PUBLIC_BASE_URL", CFG_URL, F(public_base_url), "http://127.0.0.1:8080", 0, 0, NULL, 0},
	STR("STRIPE_SECRET_KEY", stripe_secret_key, "", CFG_SECRET),
	STR("STRIPE_WEBHOOK_SECRET", stripe_webhook_secret, "", CFG_SECRET),
	{"STRIPE_API_BASE", CFG_URL, F(stripe_api_base), "https://api.stripe.com", 0, 0, NULL, 0},
	STR("FLUTTERWAVE_SECRET_KEY", flutterwave_secret_key, "", CFG_SECRET),
	STR("FLUTTERWAVE_SECRET_HASH", flutterwave_secret_hash, "", CFG_SECRET),
	{"FLUTTERWAVE_API_BASE", CFG_URL, F(flutterwave_api_base), "https://api.flutterwave.com", 0,
	 0, NULL, 0},
	INT("PAYMENT_WEBHOOK_TOLERANCE", payment_webhook_tolerance, "300", 1, 86400),
	INT("PAYMENT_HTTP_TIMEOUT", payment_http_timeout, "15", 1, 120),
	INT("PAYMENT_CHECK_DELAY", payment_check_delay, "120", 1, 86400),
	INT("PAYMENT_CHECK_ATTEMPTS", payment_check_attempts, "6", 1, 50),
	INT("PURCHASE_RATE_LIMIT", purchase_rate_limit, "30", 0, 100000),
};

#undef F
#undef INT
#undef STR

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

/* Values found in the file, by key index. */
typedef struct {
	char *val[NKEYS];
	int line[NKEYS];
	const char *path;
} cfg_file;

/* ---- values ------------------------------------------------------------ */

/* Writes text quoted, non-printable bytes escaped, cut after CFG_QUOTE_MAX. */
static void cfg_quote(const char *text, char *buf, size_t len)
{
	size_t n = 0, i;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return;
	}
	buf[n++] = '"';
	for (i = 0; i < CFG_QUOTE_MAX && text[i] && n + 6 < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	if (text[i] && n + 4 < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '"';
	buf[n] = '\0';
}

/* Parses a decimal integer; 0, or -1 when text is not one, -2 out of long long. */
static int cfg_strtoll(const char *text, long long *out)
{
	char *end;

	if (!*text || !(text[0] == '-' || text[0] == '+' || (text[0] >= '0' && text[0] <= '9')))
		return -1;
	errno = 0;
	*out = strtoll(text, &end, 10);
	if (*end)
		return -1;
	if (errno == ERANGE)
		return -2;
	return 0;
}

/* Each parser stores text into field or returns -1 with the reason in why. */
typedef int (*cfg_parser)(const cfg_key *k, const char *text, void *field, char *why, size_t len);

static int cfg_parse_int(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	char q[CFG_QUOTE_MAX * 4 + 8];
	long long v;
	int rc = cfg_strtoll(text, &v);

	cfg_quote(text, q, sizeof(q));
	if (rc == -1) {
		snprintf(why, len, "%s is not an integer", q);
		return -1;
	}
	if (rc == -2 || v < k->min || v > k->max) {
		snprintf(why, len, "%s is out of range (%lld-%lld)", q, k->min, k->max);
		return -1;
	}
	*(int *)field = (int)v;
	return 0;
}

static int cfg_parse_port(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	char q[CFG_QUOTE_MAX * 4 + 8];
	long long v;

	(void)k;
	if (cfg_strtoll(text, &v) != 0 || v < 1 || v > 65535 || text[0] == '+') {
		cfg_quote(text, q, sizeof(q));
		snprintf(why, len, "%s is not a port number (1-65535)", q);
		return -1;
	}
	*(int *)field = (int)v;
	return 0;
}

static int cfg_set_string(const char *text, void *field, char *why, size_t len)
{
	char *copy;

	if (strlen(text) > CFG_STRING_MAX) {
		snprintf(why, len, "value is longer than %d bytes", CFG_STRING_MAX);
		return -1;
	}
	copy = strdup(text);
	if (!copy) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

static int cfg_parse_string(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	(void)k;
	return cfg_set_string(text, field, why, len);
}

static int cfg_parse_bool(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	char q[CFG_QUOTE_MAX * 4 + 8];

	(void)k;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*(bool *)field = false;
			return 0;
		}
	}
	cfg_quote(text, q, sizeof(q));
	snprintf(why, len, "%s is not a boolean (true/false, yes/no, on/off, 1/0)", q);
	return -1;
}

static int cfg_parse_enum(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	char q[CFG_QUOTE_MAX * 4 + 8];
	size_t n;
	int i;

	for (i = 0; k->values[i]; i++) {
		if (strcasecmp(text, k->values[i]) == 0) {
			*(int *)field = i;
			return 0;
		}
	}
	cfg_quote(text, q, sizeof(q));
	n = (size_t)snprintf(why, len, "%s is not one of ", q);
	for (i = 0; k->values[i] && n < len; i++)
		n += (size_t)snprintf(why + n, len - n, "%s%s", i ? ", " : "", k->values[i]);
	return -1;
}

static int cfg_parse_addr(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char q[CFG_QUOTE_MAX * 4 + 8];

	/* Empty only reaches here as the default of a key that may stay unset. */
	if (*text == '\0' && k->def && *k->def == '\0')
		return cfg_set_string(text, field, why, len);
	if (inet_pton(AF_INET, text, buf) != 1 && inet_pton(AF_INET6, text, buf) != 1) {
		cfg_quote(text, q, sizeof(q));
		snprintf(why, len, "%s is not an IPv4 or IPv6 address", q);
		return -1;
	}
	return cfg_set_string(text, field, why, len);
}

/*
 * The shape of common/crypto.h's key text: 44 base64 characters, the last a
 * single '=' (32 bytes).  Checked here without linking the crypto library
 * into every program that reads the configuration.
 */
static bool cfg_key_text_ok(const char *text)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	return strlen(text) == 44 && strspn(text, b64) == 43 && text[43] == '=';
}

/* A key is a secret: the message says what is wrong, never what was given. */
static int cfg_parse_key(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	(void)k;
	if (*text && !cfg_key_text_ok(text)) {
		snprintf(why, len,
			 "not the base64 text of a 32-byte key (hotspotd gen-key makes one)");
		return -1;
	}
	return cfg_set_string(text, field, why, len);
}

/*
 * Older keys, comma-separated (blanks around each allowed): each must be a
 * key, and at most 7 of them (common/crypto.h's key ring holds 8 keys with
 * the current one).  Never quoted back.
 */
static int cfg_parse_keys(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	const char *p = text;
	char item[48];
	int n = 0;

	(void)k;
	while (*(p += strspn(p, " \t"))) {
		size_t ilen = strcspn(p, ", \t");
		bool ok = ilen < sizeof item;

		if (ok) {
			memcpy(item, p, ilen);
			item[ilen] = '\0';
			ok = cfg_key_text_ok(item);
		}
		explicit_bzero(item, sizeof item);
		p += ilen;
		p += strspn(p, " \t");
		if (!ok || (*p && *p != ',') || (*p == ',' && !p[1 + strspn(p + 1, " \t")])) {
			snprintf(why, len,
				 "key %d is not the base64 text of a 32-byte key (keys are "
				 "separated by commas)",
				 n + 1);
			return -1;
		}
		if (++n > 7) {
			snprintf(why, len, "more than 7 keys");
			return -1;
		}
		if (*p == ',')
			p++;
	}
	return cfg_set_string(text, field, why, len);
}

/*
 * An http:// or https:// URL with a host, at most 512 printable ASCII
 * characters without blanks, quotes or angle brackets (it goes into HTML
 * and QR codes).
 */
static int cfg_parse_url(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	char q[CFG_QUOTE_MAX * 4 + 8];
	size_t n = strlen(text), scheme = strncmp(text, "https://", 8) == 0  ? 8
					  : strncmp(text, "http://", 7) == 0 ? 7
									     : 0;
	bool ok = scheme && n > scheme && n <= 512 && text[scheme] != '/';

	(void)k;
	for (size_t i = 0; ok && i < n; i++)
		ok = text[i] > 0x20 && text[i] < 0x7f && !strchr("\"'<>\\`", text[i]);
	if (!ok) {
		cfg_quote(text, q, sizeof(q));
		snprintf(why, len, "%s is not an http:// or https:// URL", q);
		return -1;
	}
	return cfg_set_string(text, field, why, len);
}

static int cfg_parse_cidrs(const cfg_key *k, const char *text, void *field, char *why, size_t len)
{
	hs_cidr list[HS_CIDRS_MAX];
	size_t n;

	(void)k;
	if (hs_cidrs_parse(text, list, HS_CIDRS_MAX, &n, why, len) != 0)
		return -1;
	return cfg_set_string(text, field, why, len);
}

static const cfg_parser cfg_parsers[] = {
	[CFG_INT] = cfg_parse_int,   [CFG_STRING] = cfg_parse_string, [CFG_BOOL] = cfg_parse_bool,
	[CFG_PORT] = cfg_parse_port, [CFG_ENUM] = cfg_parse_enum,     [CFG_ADDR] = cfg_parse_addr,
	[CFG_KEY] = cfg_parse_key,   [CFG_URL] = cfg_parse_url,       [CFG_CIDRS] = cfg_parse_cidrs,
	[CFG_KEYS] = cfg_parse_keys,
};

/* ---- the file ------------------------------------------------------------ */

static int cfg_key_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (strlen(cfg_keys[i].name) == len && memcmp(cfg_keys[i].name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

static int cfg_is_key_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int cfg_is_key_char(char c)
{
	return cfg_is_key_start(c) || (c >= '0' && c <= '9');
}

static char *cfg_skip_blank(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Unquotes the value starting at p (an opening quote) in place.  Double
 * quotes understand \" \\ and \n; single quotes take everything literally.
 * Returns 0, or -1 with the reason in why.
 */
static int cfg_unquote(char *p, char *why, size_t len)
{
	char quote = *p, *in = p + 1, *out = p;

	for (; *in && *in != quote; in++) {
		if (quote == '"' && *in == '\\' &&
		    (in[1] == '"' || in[1] == '\\' || in[1] == 'n')) {
			in++;
			*out++ = *in == 'n' ? '\n' : *in;
		} else {
			*out++ = *in;
		}
	}
	if (*in != quote) {
		snprintf(why, len, "unterminated quoted value");
		return -1;
	}
	*out = '\0';
	in = cfg_skip_blank(in + 1);
	if (*in && *in != '#') {
		snprintf(why, len, "unexpected text after the quoted value");
		return -1;
	}
	return 0;
}

/* An unquoted value ends at a '#' that follows a blank, and loses trailing blanks. */
static void cfg_trim_unquoted(char *p)
{
	char *end;

	for (end = p; *end; end++) {
		if (*end == '#' && end > p && (end[-1] == ' ' || end[-1] == '\t'))
			break;
	}
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
}

/*
 * Parses one line (NUL terminated, no newline) into f.  Returns 0 (also for
 * blank lines, comments and unknown keys), or -1 with the reason in why.
 */
static int cfg_file_line(cfg_file *f, char *line, int lineno, char *why, size_t len)
{
	char *p = cfg_skip_blank(line), *key, *value;
	size_t keylen;
	int idx;

	if (*p == '\0' || *p == '#')
		return 0;
	if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
		p = cfg_skip_blank(p + 6);
	key = p;
	if (!cfg_is_key_start(*p)) {
		snprintf(why, len, "expected KEY=VALUE");
		return -1;
	}
	while (cfg_is_key_char(*p))
		p++;
	keylen = (size_t)(p - key);
	p = cfg_skip_blank(p);
	if (*p != '=') {
		snprintf(why, len, "expected KEY=VALUE");
		return -1;
	}
	value = cfg_skip_blank(p + 1);
	if (*value == '"' || *value == '\'') {
		if (cfg_unquote(value, why, len) != 0)
			return -1;
	} else {
		cfg_trim_unquoted(value);
	}
	idx = cfg_key_index(key, keylen);
	if (idx < 0) {
		hs_log(HS_LOG_WARN, "config: %s:%d: unknown key %.*s (ignored)", f->path, lineno,
		       (int)keylen, key);
		return 0;
	}
	free(f->val[idx]);
	f->val[idx] = strdup(value);
	f->line[idx] = lineno;
	if (!f->val[idx]) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	return 0;
}

/* Reads the whole file (at most CFG_FILE_MAX bytes) into a NUL-terminated buffer. */
static char *cfg_slurp(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (!fp) {
		snprintf(err, errlen, "config: cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CFG_FILE_MAX + 1);
	if (!buf) {
		snprintf(err, errlen, "config: %s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, CFG_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "config: cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	if (n > CFG_FILE_MAX) {
		snprintf(err, errlen, "config: %s: larger than %d bytes", path, CFG_FILE_MAX);
		goto fail;
	}
	if (memchr(buf, '\0', n)) {
		snprintf(err, errlen, "config: %s: contains a NUL byte", path);
		goto fail;
	}
	buf[n] = '\0';
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	fclose(fp);
	return buf;
}

static int cfg_file_read(cfg_file *f, const char *path, char *err, size_t errlen)
{
	char why[256];
	char *buf, *line, *next;
	int lineno = 0, rc = -1;

	f->path = path;
	buf = cfg_slurp(path, err, errlen);
	if (!buf)
		return -1;
	for (line = buf; line; line = next) {
		size_t n;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (cfg_file_line(f, line, lineno, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "config: %s:%d: %s", path, lineno, why);
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static void cfg_file_free(cfg_file *f)
{
	for (size_t i = 0; i < NKEYS; i++)
		free(f->val[i]);
}

/* ---- loading ------------------------------------------------------------- */

static const char *cfg_getenv(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (; envp && *envp; envp++) {
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	}
	return NULL;
}

/* Sets key i from the environment, else the file, else its default. */
static int cfg_load_key(hs_config *cfg, size_t i, char *const *envp, const cfg_file *f, char *err,
			size_t errlen)
{
	const cfg_key *k = &cfg_keys[i];
	const char *text = cfg_getenv(envp, k->name);
	char why[512];
	int from_file = 0;

	/* An empty value means unset, as when a deployment passes KEY= */
	if (!text || !*text) {
		text = f->val[i];
		from_file = text && *text;
	}
	if (!text || !*text)
		text = k->def;
	if (!text) {
		snprintf(err, errlen, "config: %s: required but not set", k->name);
		return -1;
	}
	if (cfg_parsers[k->type](k, text, (char *)cfg + k->offset, why, sizeof(why)) == 0)
		return 0;
	if (from_file)
		snprintf(err, errlen, "config: %s:%d: %s: %s", f->path, f->line[i], k->name, why);
	else
		snprintf(err, errlen, "config: %s: %s", k->name, why);
	return -1;
}

/* Longest key file read: a key, its newline, some blanks. */
#define CFG_KEY_FILE_MAX 256

/*
 * Reads the key of APP_KEY_FILE (path) into cfg->app_key: one line, the
 * base64 text of a key, blanks and a newline around it allowed.  The file
 * must not be readable or writable by group or others.  0, or -1 with the
 * reason in err; the key's text is never quoted, and wiped from the buffer.
 */
static int cfg_read_key_file(hs_config *cfg, const char *path, char *err, size_t errlen)
{
	char buf[CFG_KEY_FILE_MAX + 1], why[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc = -1;
	struct stat st;
	ssize_t n = 0;
	char *key, *end;

	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "config: APP_KEY_FILE: cannot read %s: %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "config: APP_KEY_FILE: %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "config: APP_KEY_FILE: %s is open to group or others (mode %04o); "
			 "chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		snprintf(err, errlen, "config: APP_KEY_FILE: cannot read %s: %s", path,
			 strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	key = buf + strspn(buf, " \t");
	end = key + strcspn(key, " \t\r\n");
	if (n == (ssize_t)sizeof buf - 1 || end[strspn(end, " \t\r\n")] ||
	    memchr(buf, '\0', (size_t)n)) {
		snprintf(err, errlen,
			 "config: APP_KEY_FILE: %s must hold one line: the base64 text of a "
			 "32-byte key",
			 path);
		goto out;
	}
	*end = '\0';
	if (cfg_parse_key(NULL, key, &cfg->app_key, why, sizeof why) != 0 || !*key) {
		snprintf(err, errlen, "config: APP_KEY_FILE: %s: %s", path,
			 *key ? why : "empty; it must hold the base64 text of a 32-byte key");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(buf, sizeof buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* APP_KEY or APP_KEY_FILE: one of them at most, the file read into app_key. */
static int cfg_load_app_key(hs_config *cfg, char *err, size_t errlen)
{
	if (cfg->app_key_file[0] && cfg->app_key[0]) {
		snprintf(err, errlen,
			 "config: APP_KEY_FILE: set together with APP_KEY; set one of them");
		return -1;
	}
	if (cfg->app_key_file[0] && cfg_read_key_file(cfg, cfg->app_key_file, err, errlen) != 0)
		return -1;
	/* Older keys only open: without a current key nothing could be re-sealed. */
	if (cfg->app_key_previous[0] && !cfg->app_key[0]) {
		snprintf(err, errlen,
			 "config: APP_KEY_PREVIOUS: set without APP_KEY or APP_KEY_FILE");
		return -1;
	}
	return 0;
}

/* Rules that tie two keys together. */
static int cfg_check(const hs_config *cfg, char *err, size_t errlen)
{
	if (cfg->job_backoff_cap < cfg->job_backoff_base) {
		snprintf(err, errlen, "config: JOB_BACKOFF_CAP: %d is below JOB_BACKOFF_BASE (%d)",
			 cfg->job_backoff_cap, cfg->job_backoff_base);
		return -1;
	}
	/* A disconnect job must finish within its lease. */
	if (cfg->coa_timeout >= cfg->job_lease) {
		snprintf(err, errlen, "config: COA_TIMEOUT: %d is not below JOB_LEASE (%d)",
			 cfg->coa_timeout, cfg->job_lease);
		return -1;
	}
	/* So does a router.kick job's every step. */
	if (cfg->router_api_timeout >= cfg->job_lease) {
		snprintf(err, errlen, "config: ROUTER_API_TIMEOUT: %d is not below JOB_LEASE (%d)",
			 cfg->router_api_timeout, cfg->job_lease);
		return -1;
	}
	/* A claim on a router must outlast the wait until its next renewal. */
	if (cfg->router_monitor_interval > 0 &&
	    cfg->router_monitor_lease <= cfg->router_monitor_interval) {
		snprintf(err, errlen,
			 "config: ROUTER_MONITOR_LEASE: %d is not above ROUTER_MONITOR_INTERVAL "
			 "(%d)",
			 cfg->router_monitor_lease, cfg->router_monitor_interval);
		return -1;
	}
	return 0;
}

int hs_cfg_load(hs_config *cfg, char *const *envp, const char *env_file, char *err, size_t errlen)
{
	cfg_file f;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	memset(&f, 0, sizeof(f));
	if (!env_file) {
		env_file = cfg_getenv(envp, "HOTSPOT_ENV_FILE");
		if (env_file && !*env_file)
			env_file = NULL;
	}
	if (env_file && cfg_file_read(&f, env_file, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < NKEYS; i++) {
		if (cfg_load_key(cfg, i, envp, &f, err, errlen) != 0)
			goto out;
	}
	if (cfg_check(cfg, err, errlen) != 0 || cfg_load_app_key(cfg, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	cfg_file_free(&f);
	if (rc != 0)
		hs_cfg_free(cfg);
	return rc;
}

void hs_cfg_free(hs_config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		char **field = (char **)((char *)cfg + cfg_keys[i].offset);

		if (cfg_keys[i].type != CFG_STRING && cfg_keys[i].type != CFG_ADDR &&
		    cfg_keys[i].type != CFG_KEY && cfg_keys[i].type != CFG_URL &&
		    cfg_keys[i].type != CFG_CIDRS && cfg_keys[i].type != CFG_KEYS)
			continue;
		/* Secrets do not linger in freed memory. */
		if (*field && (cfg_keys[i].flags & CFG_SECRET))
			explicit_bzero(*field, strlen(*field));
		free(*field);
	}
	memset(cfg, 0, sizeof(*cfg));
}

void hs_cfg_print(const hs_config *cfg, FILE *fp)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const cfg_key *k = &cfg_keys[i];
		const void *field = (const char *)cfg + k->offset;

		fprintf(fp, "%s=", k->name);
		if (k->flags & CFG_SECRET)
			fputs(**(char *const *)field ? "(set)" : "(unset)", fp);
		else if (k->type == CFG_STRING || k->type == CFG_ADDR || k->type == CFG_URL ||
			 k->type == CFG_CIDRS)
			fputs(*(char *const *)field, fp);
		else if (k->type == CFG_BOOL)
			fputs(*(const bool *)field ? "true" : "false", fp);
		else if (k->type == CFG_ENUM)
			fputs(k->values[*(const int *)field], fp);
		else
			fprintf(fp, "%d", *(const int *)field);
		fputc('\n', fp);
	}
}

/* ---- lists of networks ------------------------------------------------------ */

/* Parses one item "ADDR[/LEN]" (NUL-terminated, no blanks) into c; 0 or -1. */
static int cidr_item(const char *item, hs_cidr *c)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(item, '/');
	size_t alen = slash ? (size_t)(slash - item) : strlen(item);
	int max;

	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, item, alen);
	addr[alen] = '\0';
	memset(c, 0, sizeof(*c));
	c->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, addr, c->addr) != 1)
		return -1;
	max = c->family == AF_INET ? 32 : 128;
	c->prefix = max;
	if (slash) {
		long long v;

		if (slash[1] < '0' || slash[1] > '9' || cfg_strtoll(slash + 1, &v) != 0 || v > max)
			return -1;
		c->prefix = (int)v;
	}
	return 0;
}

int hs_cidrs_parse(const char *text, hs_cidr *out, size_t max, size_t *n, char *why, size_t len)
{
	const char *p = text;
	char item[INET6_ADDRSTRLEN + 8], q[CFG_QUOTE_MAX * 4 + 8];

	*n = 0;
	while (*p) {
		size_t ilen;

		while (*p == ' ' || *p == '\t')
			p++;
		ilen = strcspn(p, ", \t");
		if (ilen >= sizeof(item))
			ilen = sizeof(item) - 1; /* too long for a network: refused below */
		memcpy(item, p, ilen);
		item[ilen] = '\0';
		if (*n == max) {
			snprintf(why, len, "more than %zu networks", max);
			return -1;
		}
		if (p[ilen] && !strchr(", \t", p[ilen])) {
			cfg_quote(p, q, sizeof(q));
			snprintf(why, len, "%s is not a network (ADDRESS/LENGTH)", q);
			return -1;
		}
		if (cidr_item(item, &out[*n]) != 0) {
			cfg_quote(item, q, sizeof(q));
			snprintf(why, len, "%s is not a network (ADDRESS/LENGTH)", q);
			return -1;
		}
		(*n)++;
		p += strcspn(p, ", \t");
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ',') {
			snprintf(why, len, "networks must be separated by commas");
			return -1;
		}
		if (*p == ',')
			p++;
	}
	if (*n == 0) {
		snprintf(why, len, "no network given");
		return -1;
	}
	return 0;
}

/* Whether the first bits of a and b agree. */
static bool cidr_prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

bool hs_cidrs_contain(const hs_cidr *list, size_t n, const char *addr)
{
	unsigned char buf[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, addr, buf) != 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (list[i].family == family && cidr_prefix_eq(buf, list[i].addr, list[i].prefix))
			return true;
	return false;
}
