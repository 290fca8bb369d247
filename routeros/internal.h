/*
 * Shared between the files of routeros/; not part of the public interface.
 */
#ifndef HS_ROUTEROS_INTERNAL_H
#define HS_ROUTEROS_INTERNAL_H

#include "routeros/routeros.h"

/*
 * A copy of s (caller frees), or NULL for NULL.  When the copy cannot be
 * had, *ok becomes false and NULL is returned; *ok is untouched otherwise,
 * so that several copies can be checked once.
 */
char *ros__strdup_opt(const char *s, bool *ok);

/*
 * The array v (of *cap entries of size bytes) reallocated to twice the
 * entries, or first entries when *cap is 0; *cap updated.  NULL when out of
 * memory, v and *cap then untouched.
 */
void *ros__grow(void *v, size_t *cap, size_t first, size_t size);

/* limits with zero fields replaced by the defaults. */
ros_limits ros__limits_resolve(const ros_limits *limits);

/* Bytes a sentence holds (words and per-word overhead), for reply budgets. */
size_t ros__sentence_size(const ros_sentence *s);

/* The reply being collected for one command in flight. */
ros_reply *ros__reply_create(void);

/*
 * Adds one sentence of the command to r; takes ownership of s in every
 * case.  Sentences past the budget are dropped and mark r overflowed.
 * Returns true when s was !done (the reply is complete).
 */
bool ros__reply_take(ros_reply *r, ros_sentence *s, size_t budget);

/* Whether the reply passed its budget. */
bool ros__reply_overflowed(const ros_reply *r);

/* The result ros_wait gives for a completed reply (see routeros.h). */
ros_err ros__reply_result(const ros_reply *r);

/*
 * The MD5 challenge response for RouterOS before 6.43: "00" followed by the
 * hex MD5 of a NUL byte, the password and the challenge decoded from hex.
 * out receives 35 bytes (NUL included).  ROS_ERR_PROTOCOL when the
 * challenge is not 32 hex digits.
 */
ros_err ros__challenge_response(const char *password, const char *challenge, size_t len,
				char out[35]);

#endif
