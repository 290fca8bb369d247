/*
 * Shared between the provisioner's files (pool.c, parse.c, provision.c,
 * prov_setup.c, prov_files.c); not part of the public interface.
 */
#ifndef HS_ROUTEROS_PROV_INTERNAL_H
#define HS_ROUTEROS_PROV_INTERNAL_H

#include "routeros/provision.h"

/* --- token bucket ---------------------------------------------------------- */

/* Tokens in units of 1/60000, so that a refill of N per minute is N units per ms. */
#define ROS__TOKEN 60000u

typedef struct ros__bucket {
	uint64_t units;    /* tokens held, in 1/ROS__TOKEN */
	uint64_t capacity; /* burst * ROS__TOKEN */
	uint64_t per_ms;   /* units added per millisecond: the rate per minute */
	int64_t last_ms;
} ros__bucket;

/* A full bucket of burst tokens refilled with per_minute tokens a minute (both > 0). */
void ros__bucket_init(ros__bucket *b, unsigned per_minute, unsigned burst, int64_t now_ms);

/*
 * Takes one token at time now_ms.  Returns 0 when taken, otherwise the
 * milliseconds until one will be available (nothing taken).
 */
int64_t ros__bucket_take(ros__bucket *b, int64_t now_ms);

int64_t ros__now_ms(void);

/* --- pool ------------------------------------------------------------------------ */

/* The pool's connection options, for a connection of its own (test-connection). */
const ros_options *ros__pool_options(const ros_pool *p);

/*
 * Takes a token of p's bucket, waiting up to rate_wait_ms in all.
 * ROS_ERR_RATE_LIMITED (msg says so) when none comes in time; no lock is
 * held while sleeping.
 */
ros_err ros__pool_token(ros_pool *p, ros_msg *msg);

/* --- messages and commands -------------------------------------------------------- */

void ros__msg(ros_msg *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A command being built: the first failure is kept and every later step skipped. */
typedef struct ros__cmd {
	ros_sentence *s;
	ros_err err;
} ros__cmd;

void ros__cmd_start(ros__cmd *c, const char *command);
void ros__cmd_word(ros__cmd *c, const char *word);
void ros__cmd_attr(ros__cmd *c, const char *key, const char *value);
void ros__cmd_attr_len(ros__cmd *c, const char *key, const char *value, size_t len);
void ros__cmd_query(ros__cmd *c, const char *key, const char *value);
void ros__cmd_free(ros__cmd *c);

/* Starts the print command (e.g. "/interface/print") with its .proplist. */
void ros__cmd_print(ros__cmd *c, const char *command, const char *proplist);

/*
 * Runs the command through the pool and frees it.  *out as ros_pool_call;
 * ROS_ERR_NOMEM when building it failed.
 */
ros_err ros__run(ros_pool *p, ros__cmd *c, bool write, ros_reply **out, ros_msg *msg);

/* Runs the command as ros__run does and drops its reply. */
ros_err ros__run_drop(ros_pool *p, ros__cmd *c, bool write, ros_msg *msg);

/* What the items of a print become: entries of size bytes, each filled in by read. */
typedef struct ros__list_kind {
	size_t size;
	void (*read)(const ros_sentence *item, void *entry);
} ros__list_kind;

/*
 * Runs the print c through the pool and reads its last `last` items (0: all),
 * in the router's order, into a new zeroed array of kind's entries: *v (caller
 * frees; NULL after a failure) and *count.  ROS_ERR_NOMEM (msg says so) when
 * the array cannot be had; otherwise the errors of ros__run.
 */
ros_err ros__print_list(ros_pool *p, ros__cmd *c, const ros__list_kind *kind, size_t last, void **v,
			size_t *count, ros_msg *msg);

/* Defines name_free for a list type of ROS_PROV_LIST: frees v and zeroes the list. */
#define ROS__LIST_FREE(name)                                                                       \
	void name##_free(name *l)                                                                  \
	{                                                                                          \
		free(l->v);                                                                        \
		l->v = NULL;                                                                       \
		l->count = 0;                                                                      \
	}

/* Copies attribute key of item (or "" when absent) into dst of size len. */
void ros__copy(char *dst, size_t len, const ros_sentence *item, const char *key);

/* Attribute key of item as a number / duration / bool, with def when absent or unreadable. */
uint64_t ros__num(const ros_sentence *item, const char *key, uint64_t def);
uint64_t ros__dur(const ros_sentence *item, const char *key, uint64_t def);
bool ros__flag(const ros_sentence *item, const char *key, bool def);

/*
 * The .id of the first item of path whose key equals value (e.g.
 * "/ip/hotspot/user", "name", "u1"), or the value itself when it already
 * is an .id ("*1F").  ROS_ERR_NOT_FOUND (msg names what) when none.
 */
ros_err ros__find_id(ros_pool *p, const char *path, const char *key, const char *value, char id[24],
		     ros_msg *msg);

/* Whether the trap messages of r mention text (e.g. "no such command"). */
bool ros__trap_has(const ros_reply *r, const char *text);

#endif
