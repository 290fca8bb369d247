/*
 * The RouterOS provisioner: what hotspotd does to a router, on top of the
 * client of routeros.h.
 *
 *   ros_pool   one per router: up to a few logged-in connections reused
 *              between calls (idle ones closed, broken ones dropped), a token
 *              bucket of requests per minute, retries with exponential
 *              backoff on temporary failures, timeouts from ros_pool_config.
 *              Each pool has its own lock: a router that hangs delays only
 *              the callers of that router.
 *   ros_prov_* the operations: test-connection in five steps, statistics,
 *              interfaces, hotspot users and active sessions, profile sync,
 *              RADIUS set-up, logs, export/backup/restore.
 *
 * Every operation fills a caller-owned result and returns a ros_err; when it
 * fails, msg (may be NULL) receives a sentence a person can act on, naming
 * the router.  Strings in results are NUL-terminated and bounded (longer
 * router values are cut); lists and file data are malloc'd and released
 * with the matching *_free function, which also accepts a zeroed result.
 * A pool may be used by several threads at once.
 */
#ifndef HS_ROUTEROS_PROVISION_H
#define HS_ROUTEROS_PROVISION_H

#include "routeros/routeros.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A message for people about the last failure of one call. */
typedef struct ros_msg {
	char text[512];
} ros_msg;

/*
 * Declares the list result name: v holds count entries of item (malloc'd),
 * and name_free, which frees them and also accepts a zeroed list.
 */
#define ROS_PROV_LIST(name, item)                                                                  \
	typedef struct name {                                                                      \
		item *v;                                                                           \
		size_t count;                                                                      \
	} name;                                                                                    \
	void name##_free(name *l)

/* --- RouterOS value formats ------------------------------------------------ */

/*
 * A RouterOS duration in seconds: "1w2d3h4m5s", "2d03:04:05", "00:10:00",
 * "45s", "1h30m", "90" (seconds), "500ms" (rounded down); "", "none" and
 * "0s" are 0.  False for anything else (*secs untouched).
 */
bool ros_parse_duration(const char *s, uint64_t *secs);

/*
 * A byte count: "134217728", "128.0MiB", "512KiB", "1GiB", "2048B".  False
 * for anything else (*bytes untouched).
 */
bool ros_parse_bytes(const char *s, uint64_t *bytes);

/* "yes"/"true" and "no"/"false". False for anything else. */
bool ros_parse_bool(const char *s, bool *value);

/* "7.18.2 (stable)" -> 7, 18, 2 (missing parts 0). False when no major number leads. */
bool ros_parse_version(const char *s, int *major, int *minor, int *patch);

/* secs as RouterOS writes it ("1d2h3m4s", "0s") into out; returns out. */
char *ros_format_duration(uint64_t secs, char *out, size_t len);

/* --- the per-router pool --------------------------------------------------- */

#define ROS_POOL_MAX_CONNS 8

typedef struct ros_pool_config {
	ros_options conn;         /* the router: address, credentials, TLS, timeouts */
	unsigned max_conns;       /* 0: 3; at most ROS_POOL_MAX_CONNS */
	int idle_timeout_ms;      /* an unused connection is closed after this; 0: 60000 */
	int acquire_timeout_ms;   /* longest wait for a free connection; 0: io timeout */
	unsigned rate_per_minute; /* token bucket refill; 0: 100 */
	unsigned rate_burst;      /* bucket size; 0: 20 */
	int rate_wait_ms;         /* longest wait for a token, then RATE_LIMITED; 0: 5000,
				     negative: fail at once */
	int retries;              /* extra attempts on temporary failures; 0: 2, negative: none */
	int backoff_ms;           /* first backoff; doubles per attempt; 0: 200 */
	int backoff_max_ms;       /* cap on one backoff; 0: 5000 */
} ros_pool_config;

typedef struct ros_pool ros_pool;

/*
 * A pool for one router with a copy of cfg (strings included).  No
 * connection is opened until the first call.  NULL when out of memory or
 * cfg->conn.host is missing.  Caller owns the pool.
 */
ros_pool *ros_pool_create(const ros_pool_config *cfg);

/* Closes every connection and frees p.  No call may be running on p.  NULL is allowed. */
void ros_pool_destroy(ros_pool *p);

/* The router's address, as configured. */
const char *ros_pool_host(const ros_pool *p);

typedef struct ros_pool_stats {
	unsigned open;         /* connections open now */
	unsigned busy;         /* of which in use */
	unsigned long opened;  /* logins since the pool was created */
	unsigned long dropped; /* connections closed because they broke */
	unsigned long limited; /* calls that waited for or were refused a token */
	unsigned long retried; /* attempts repeated after a temporary failure */
} ros_pool_stats;

void ros_pool_get_stats(ros_pool *p, ros_pool_stats *out);

/*
 * Runs one command through the pool: a token, a connection (opened and
 * logged in when none is idle), the command, the connection back.  write
 * says whether the command changes the router: a write is retried only
 * when it failed before reaching the router, a read on any temporary
 * failure.  *out receives the reply whenever the router finished the
 * command (ROS_OK, ROS_ERR_TRAP, ...; caller owns it, see ros_wait).  On
 * failure msg says what to check.
 */
ros_err ros_pool_call(ros_pool *p, const ros_sentence *cmd, bool write, ros_reply **out,
		      ros_msg *msg) ROS_WUR;

/* --- test-connection -------------------------------------------------------- */

typedef enum {
	ROS_STEP_TCP = 0,    /* TCP connect (and the TLS handshake for API-SSL) */
	ROS_STEP_API,        /* the router answers in the API protocol */
	ROS_STEP_AUTH,       /* user name and password accepted */
	ROS_STEP_PERMISSION, /* api, read and write policies */
	ROS_STEP_IDENTITY,   /* identity name, RouterOS version and board */
	ROS_STEP__COUNT
} ros_step;

typedef enum {
	ROS_STEP_SKIPPED = 0,
	ROS_STEP_OK,
	ROS_STEP_FAILED,
} ros_step_status;

typedef struct ros_step_result {
	ros_step_status status;
	ros_err err;
	int ms;
	char message[320];
} ros_step_result;

typedef struct ros_prov_check {
	ros_step_result steps[ROS_STEP__COUNT];
	ros_login_style login;
	char identity[128];
	char version[64];
	char board[96];
	int major, minor, patch;
} ros_prov_check;

/* "TCP connection", "API handshake", ... */
const char *ros_step_name(ros_step step);

/*
 * Walks the five steps on a fresh connection (not one of the pool's, so
 * that connect and login are really tried), stopping at the first failure;
 * later steps stay SKIPPED.  The permission step reads /system/resource and
 * /system/identity (read policy) and sets the identity to its current name,
 * which changes nothing but needs the write policy.  Returns the error of
 * the failed step (msg: its message) or ROS_OK.
 */
ros_err ros_prov_test_connection(ros_pool *p, ros_prov_check *out, ros_msg *msg) ROS_WUR;

/* --- statistics -------------------------------------------------------------- */

typedef struct ros_prov_stats {
	int cpu_load; /* percent */
	int cpu_count;
	uint64_t free_memory;  /* bytes */
	uint64_t total_memory; /* bytes */
	uint64_t uptime;       /* seconds */
	char version[64];      /* "7.18.2 (stable)" */
	int major, minor, patch;
	char board[96];
	char architecture[32];
} ros_prov_stats;

/* /system/resource/print.  ROS_ERR_PROTOCOL when a value cannot be read. */
ros_err ros_prov_get_stats(ros_pool *p, ros_prov_stats *out, ros_msg *msg) ROS_WUR;

/* --- interfaces ------------------------------------------------------------- */

typedef struct ros_prov_iface {
	char id[24];
	char name[64];
	char type[32];
	char mac[24];
	bool running;
	bool disabled;
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_packets, tx_packets;
} ros_prov_iface;

ROS_PROV_LIST(ros_prov_ifaces, ros_prov_iface);

/* /interface/print with traffic counters.  Caller frees with ros_prov_ifaces_free. */
ros_err ros_prov_interfaces(ros_pool *p, ros_prov_ifaces *out, ros_msg *msg) ROS_WUR;

/* Enables or disables the interface named ref ("ether2") or with that .id ("*3").
 * ROS_ERR_NOT_FOUND. */
ros_err ros_prov_interface_set_enabled(ros_pool *p, const char *ref, bool enabled,
				       ros_msg *msg) ROS_WUR;

/* --- hotspot users and active sessions ---------------------------------------- */

typedef struct ros_prov_user {
	char id[24];
	char name[128];
	char profile[64];
	char server[64];
	char comment[128];
	uint64_t limit_bytes_total; /* 0: none */
	uint64_t limit_uptime;      /* seconds, 0: none */
	bool disabled;
} ros_prov_user;

ROS_PROV_LIST(ros_prov_users, ros_prov_user);

/* /ip/hotspot/user/print.  Caller frees with ros_prov_users_free. */
ros_err ros_prov_users_list(ros_pool *p, ros_prov_users *out, ros_msg *msg) ROS_WUR;

typedef struct ros_prov_user_spec {
	const char *name; /* required */
	const char *password;
	const char *profile;        /* NULL: the router's default */
	uint64_t limit_bytes_total; /* 0: none */
	uint64_t limit_uptime;      /* seconds, 0: none */
	const char *comment;
} ros_prov_user_spec;

/* /ip/hotspot/user/add.  id (may be NULL) receives the new .id. ROS_ERR_TRAP when the name exists.
 */
ros_err ros_prov_user_create(ros_pool *p, const ros_prov_user_spec *spec, char id[24],
			     ros_msg *msg) ROS_WUR;

/* Removes the user named ref or with that .id.  ROS_ERR_NOT_FOUND. */
ros_err ros_prov_user_remove(ros_pool *p, const char *ref, ros_msg *msg) ROS_WUR;

typedef struct ros_prov_session {
	char id[24];
	char user[128];
	char address[48];
	char mac[24];
	char server[64];
	uint64_t uptime; /* seconds */
	uint64_t bytes_in, bytes_out;
} ros_prov_session;

ROS_PROV_LIST(ros_prov_sessions, ros_prov_session);

/* /ip/hotspot/active/print.  Caller frees with ros_prov_sessions_free. */
ros_err ros_prov_sessions_list(ros_pool *p, ros_prov_sessions *out, ros_msg *msg) ROS_WUR;

/* Ends the session with this .id.  ROS_ERR_NOT_FOUND when it is gone. */
ros_err ros_prov_session_kick(ros_pool *p, const char *id, ros_msg *msg) ROS_WUR;

/* Ends every session of user; *kicked (may be NULL) counts them.  ROS_ERR_NOT_FOUND when none. */
ros_err ros_prov_session_kick_user(ros_pool *p, const char *user, size_t *kicked,
				   ros_msg *msg) ROS_WUR;

/* --- profile sync -------------------------------------------------------------- */

typedef struct ros_prov_profile {
	const char *name;         /* required */
	const char *rate_limit;   /* "2M/4M"; NULL or "": none */
	uint32_t session_timeout; /* seconds, 0: none */
	uint32_t shared_users;    /* 0: unlimited */
} ros_prov_profile;

typedef enum {
	ROS_SYNC_UNCHANGED = 0,
	ROS_SYNC_CREATED,
	ROS_SYNC_UPDATED,
	ROS_SYNC_FAILED,
} ros_sync_action;

typedef struct ros_prov_sync {
	ros_sync_action action;
	ros_err err;
	char message[512];
} ros_prov_sync;

/* "unchanged", "created", "updated", "failed". */
const char *ros_sync_action_name(ros_sync_action a);

/*
 * Makes /ip/hotspot/user/profile match our n profiles: a missing one is
 * added, one that differs in rate-limit, session-timeout or shared-users is
 * set; others are left alone.  out has n entries, one per profile.  Goes on
 * after a failing profile; returns the first error (ROS_OK when every
 * profile is in place).  Running it twice changes nothing the second time.
 */
ros_err ros_prov_sync_profiles(ros_pool *p, const ros_prov_profile *profiles, size_t n,
			       ros_prov_sync *out, ros_msg *msg) ROS_WUR;

/* --- RADIUS set-up --------------------------------------------------------------- */

typedef struct ros_prov_radius_spec {
	const char *address;                 /* our RADIUS server, required */
	const char *secret;                  /* required */
	uint16_t auth_port;                  /* 0: 1812 */
	uint16_t acct_port;                  /* 0: 1813 */
	uint16_t incoming_port;              /* CoA/Disconnect port; 0: 3799 */
	const char *const *hotspot_profiles; /* server profiles to switch; NULL: every one */
	size_t n_hotspot_profiles;
	const char *const *walled_garden; /* host names reachable before login */
	size_t n_walled_garden;
	const char *comment; /* on what we add; NULL: "hotspot-aaa" */
} ros_prov_radius_spec;

typedef struct ros_prov_radius_result {
	ros_sync_action radius;   /* the /radius entry for our address */
	ros_sync_action incoming; /* /radius/incoming accept=yes port= */
	size_t profiles_updated;  /* hotspot server profiles switched to RADIUS */
	size_t profiles_unchanged;
	size_t walled_added; /* walled-garden entries added */
	size_t walled_present;
} ros_prov_radius_result;

/*
 * Points the router at our RADIUS server: /radius (service=hotspot, address,
 * secret, ports; the entry for that address is updated when present),
 * /radius/incoming accept=yes, use-radius=yes with
 * radius-interim-update=received on the hotspot server profiles, and
 * walled-garden allow entries.  Idempotent.  ROS_ERR_NOT_FOUND when a named
 * hotspot profile does not exist.
 */
ros_err ros_prov_setup_radius(ros_pool *p, const ros_prov_radius_spec *spec,
			      ros_prov_radius_result *out, ros_msg *msg) ROS_WUR;

/* --- logs ---------------------------------------------------------------------- */

typedef struct ros_prov_log_entry {
	char id[24];
	char time[32];
	char topics[96];
	char message[512];
} ros_prov_log_entry;

ROS_PROV_LIST(ros_prov_log, ros_prov_log_entry);

/* The last n entries of /log/print (0: all), oldest first.  Caller frees with ros_prov_log_free. */
ros_err ros_prov_logs(ros_pool *p, size_t n, ros_prov_log *out, ros_msg *msg) ROS_WUR;

/* --- files, export, backup, restore ---------------------------------------------- */

/* The API's longest file contents (RouterOS shows and sets at most this many bytes). */
#define ROS_FILE_CONTENTS_MAX 4095

typedef struct ros_prov_file {
	char name[128];
	char type[32];
	char created[32];
	uint64_t size;
	char *data; /* contents (NUL-terminated, len bytes), NULL when not read */
	size_t len;
	bool chunked; /* read with /file/read */
} ros_prov_file;

void ros_prov_file_free(ros_prov_file *f);

/* A list of files: their metadata only (data NULL). */
ROS_PROV_LIST(ros_prov_files, ros_prov_file);

/* /file/print without contents.  Caller frees with ros_prov_files_free. */
ros_err ros_prov_files_list(ros_pool *p, ros_prov_files *out, ros_msg *msg) ROS_WUR;

typedef struct ros_prov_read_opts {
	size_t max_bytes;    /* refuse larger files; 0: 16 MiB */
	uint32_t chunk_size; /* /file/read chunk; 0: 32768 */
	bool chunked;        /* read with /file/read even when /file/print shows contents */
} ros_prov_read_opts;

/*
 * Reads file name: the contents /file/print shows when the file is small
 * enough, otherwise (or when opts->chunked) /file/read chunk by chunk
 * (RouterOS 7.13 and later).  Bytes come back exactly as stored, newlines
 * included.  ROS_ERR_NOT_FOUND; ROS_ERR_UNSUPPORTED for a binary backup, or
 * for a file past the API's contents limit on a router without /file/read
 * (the message names the limit); ROS_ERR_TOO_LARGE past max_bytes.
 * opts may be NULL.  Caller frees *out with ros_prov_file_free.
 */
ros_err ros_prov_file_read(ros_pool *p, const char *name, const ros_prov_read_opts *opts,
			   ros_prov_file *out, ros_msg *msg) ROS_WUR;

/*
 * Writes len bytes as the contents of file name (added, or set when it
 * exists).  ROS_ERR_TOO_LARGE past max_contents (0: ROS_FILE_CONTENTS_MAX),
 * the most the API accepts in one file.
 */
ros_err ros_prov_file_write(ros_pool *p, const char *name, const char *data, size_t len,
			    size_t max_contents, ros_msg *msg) ROS_WUR;

/* Removes file name.  ROS_ERR_NOT_FOUND. */
ros_err ros_prov_file_remove(ros_pool *p, const char *name, ros_msg *msg) ROS_WUR;

/*
 * /export file=name, then reads name.rsc back as ros_prov_file_read does.
 * The configuration history (who, when) is the caller's to record.
 */
ros_err ros_prov_export(ros_pool *p, const char *name, const ros_prov_read_opts *opts,
			ros_prov_file *out, ros_msg *msg) ROS_WUR;

/*
 * /system/backup/save name=name, then the metadata of name.backup in *out
 * (data stays NULL: a binary backup cannot be read over the API; fetch it
 * with FTP or SFTP).
 */
ros_err ros_prov_backup_save(ros_pool *p, const char *name, ros_prov_file *out,
			     ros_msg *msg) ROS_WUR;

typedef struct ros_prov_import_result {
	size_t parts;      /* script files uploaded and imported */
	size_t bytes;      /* script bytes uploaded */
	char message[200]; /* the router's word on the last import */
} ros_prov_import_result;

/*
 * Restores an export: the script (len bytes) is cut at line ends into parts
 * of at most max_contents bytes (0: ROS_FILE_CONTENTS_MAX), each repeating
 * the menu line ("/ip hotspot user") it continues, uploaded as
 * name-N.rsc and run with /import file-name=; the parts are removed
 * afterwards.  Stops at the first part the router refuses (the message
 * names it).  ROS_ERR_TOO_LARGE when one line is past the limit.
 */
ros_err ros_prov_import(ros_pool *p, const char *name, const char *script, size_t len,
			size_t max_contents, ros_prov_import_result *out, ros_msg *msg) ROS_WUR;

#endif
