/*
 * hotspotd's configuration: environment variables, optionally read from a
 * .env-style file (KEY=VALUE).  Every key is one row of a table (config.c)
 * with its type, default, range and flags; README.md ("Configuration") documents them.
 * The environment wins over the file.  Values are checked once, at
 * start-up: a bad one stops the program with a message naming the key.
 */
#ifndef HS_COMMON_CONFIG_H
#define HS_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Values of DB_SSLMODE, in the order of hs_cfg_sslmode_names. */
typedef enum {
	HS_SSL_DISABLE = 0,
	HS_SSL_ALLOW,
	HS_SSL_PREFER,
	HS_SSL_REQUIRE,
	HS_SSL_VERIFY_CA,
	HS_SSL_VERIFY_FULL,
} hs_sslmode;

/* libpq's spelling of each hs_sslmode. */
extern const char *const hs_cfg_sslmode_names[];

/* Values of SMS_DRIVER, in the order of hs_cfg_sms_driver_names. */
typedef enum {
	HS_SMS_LOG = 0,
	HS_SMS_TWILIO,
	HS_SMS_AFRICASTALKING,
	HS_SMS_HTTP,
} hs_sms_driver;

extern const char *const hs_cfg_sms_driver_names[];

/* Values of SMS_HTTP_METHOD, in the order of hs_cfg_sms_http_method_names. */
typedef enum {
	HS_SMS_HTTP_POST = 0,
	HS_SMS_HTTP_PUT,
	HS_SMS_HTTP_GET,
} hs_sms_http_method;

extern const char *const hs_cfg_sms_http_method_names[];

/*
 * The loaded configuration.  Read-only for the rest of the program: it is
 * filled by hs_cfg_load and released by hs_cfg_free.  Strings are never
 * NULL (an unset string key is ""); durations are in seconds.
 */
typedef struct hs_config {
	/* PostgreSQL */
	char *db_host;
	int db_port;
	char *db_database;
	char *db_username; /* the API's role, under row-level security */
	char *db_password;
	char *db_worker_username; /* the job workers' role */
	char *db_worker_password;
	char *db_owner_username; /* owns the schema; used by migrate only */
	char *db_owner_password;
	int db_sslmode; /* an hs_sslmode */
	int db_connect_timeout;
	int db_pool_size;

	/* HTTP API */
	char *api_listen; /* an IPv4 or IPv6 literal */
	int api_port;
	int api_max_body; /* bytes */
	int api_max_connections;
	int api_connection_timeout;
	int api_rate_limit;           /* requests per minute per token, 0 = off */
	int api_token_lifetime_hours; /* tokens made without an expiry */
	char *cors_origin;            /* origins allowed by CORS ("*", a list, "" = off) */

	/* Password login */
	int login_max_failures;         /* per account within login_failure_window */
	int login_max_failures_address; /* per client address within the window */
	int login_failure_window;       /* seconds */
	int events_max_streams;         /* concurrent /api/v1/events streams */
	int events_heartbeat;           /* seconds between ": ping" lines of a stream */

	/* Logging */
	int log_level; /* an hs_log_level */
	bool log_requests;

	/* Jobs */
	int worker_threads;
	int job_poll_interval;
	int job_lease;
	int job_backoff_base;
	int job_backoff_cap;
	int prune_interval;
	int sweep_interval;          /* stale-session sweeper period, 0 = off */
	int radius_interim_interval; /* Acct-Interim-Interval the routers follow */
	int auth_log_retention_days;
	int session_retention_days;
	int event_retention_days;
	int job_retention_days;

	/* Disconnect-Request (RFC 5176) */
	int coa_timeout; /* seconds waited for a router's answer, per job run */
	int coa_retries; /* retransmissions within coa_timeout */
	char *radius_dictionary_dir;

	/* RouterOS API (the disconnect fallback) */
	int router_api_timeout; /* seconds per connect, and per wait for an answer */
	char *app_key;          /* base64 of 32 bytes, or "": seals router passwords */
	char *app_key_file;     /* a file holding app_key (read into it at load), or "" */
	char *app_key_previous; /* comma-separated older keys, opening only, or "" */

	/* Router operations of the REST API */
	char *router_allowed_networks; /* comma-separated CIDRs (hs_cidrs_parse) */
	int router_op_timeout;         /* seconds an inline router operation may take */
	char *router_radius_address;   /* our RADIUS server as routers reach it, or "" */
	int router_radius_auth_port;
	int router_radius_acct_port;
	int router_import_max_rows;
	int router_backup_check_interval; /* period of the router.backup scan, 0 = off */
	/* Router monitor and the MikroTik endpoints */
	int router_monitor_interval; /* seconds between polls of each router, 0 = off */
	int router_monitor_workers;  /* routers polled at once by one process */
	int router_monitor_lease;    /* seconds a process's claim on a router lasts */
	int router_stats_cache;      /* seconds router statistics are reused, 0 = never */

	/* Migrations */
	char *migrations_dir;

	/* Printed vouchers: the hotspot's login page their QR codes open */
	char *hotspot_login_url;

	/* SMS delivery (docs/sms.md) */
	int sms_driver;             /* an hs_sms_driver */
	char *sms_from;             /* sender number or id, "" = the gateway's default */
	int sms_timeout;            /* seconds per gateway request */
	char *sms_voucher_template; /* text of a voucher SMS, with {placeholders} */
	char *twilio_sid;
	char *twilio_token;
	char *twilio_base_url;
	char *africastalking_username;
	char *africastalking_api_key;
	char *africastalking_base_url;
	char *sms_http_url;
	int sms_http_method; /* an hs_sms_http_method */
	char *sms_http_content_type;
	char *sms_http_body;
	char *sms_http_auth_header; /* a whole "Name: value" header line, or "" */
	char *sms_http_id_field;    /* JSON member (dotted path) of the gateway's id, or "" */
	/* Online payments (docs/payments.md) */
	char *public_base_url; /* where buyers reach the purchase pages */
	char *stripe_secret_key;
	char *stripe_webhook_secret;
	char *stripe_api_base;
	char *flutterwave_secret_key;
	char *flutterwave_secret_hash;
	char *flutterwave_api_base;
	int payment_webhook_tolerance; /* seconds a Stripe signature stays valid */
	int payment_http_timeout;      /* seconds per call to a gateway */
	int payment_check_delay;       /* seconds before payment.check asks the gateway */
	int payment_check_attempts;    /* status checks before a payment expires */
	int purchase_rate_limit;       /* purchase-page requests per minute per address */
} hs_config;

/* One network of a list of CIDRs. */
typedef struct {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network address (4 bytes used for IPv4) */
	int prefix;             /* mask length */
} hs_cidr;

/* Most networks a list may hold. */
#define HS_CIDRS_MAX 64

/*
 * Parses a comma-separated list of networks ("10.0.0.0/8, fc00::/7"; an
 * address without a mask is a host) into out (max entries), *n their
 * count.  Blanks around items are allowed; an empty list is refused.
 * Returns 0, or -1 with the reason (quoting the bad item) in why.
 */
int hs_cidrs_parse(const char *text, hs_cidr *out, size_t max, size_t *n, char *why, size_t len);

/* Whether the address text addr (IPv4 or IPv6 literal) lies in one of the n networks. */
bool hs_cidrs_contain(const hs_cidr *list, size_t n, const char *addr);

/*
 * Loads the configuration from envp (a NULL-terminated array of KEY=VALUE
 * strings, as environ) and, when env_file is not NULL, from that file; when
 * env_file is NULL, the file named by HOTSPOT_ENV_FILE in envp is read, if
 * any.  Returns 0 with cfg filled (release it with hs_cfg_free), or -1 with
 * a message naming the key (and file and line) in err, leaving cfg empty.
 * Unknown keys in the file are logged as warnings.
 */
int hs_cfg_load(hs_config *cfg, char *const *envp, const char *env_file, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Releases the strings of cfg and zeroes it.  Safe on a zeroed struct. */
void hs_cfg_free(hs_config *cfg);

/*
 * Writes the effective configuration, one KEY=VALUE per line in table
 * order, to fp; secrets are shown as "(set)" or
 * "(unset)", never their value.
 */
void hs_cfg_print(const hs_config *cfg, FILE *fp);

#endif
