/*
 * Access-Request decisions for rlm_hotspot: the authorize threads hand
 * their requests to a few batcher threads (hs_batch.h) that decide the
 * requests arriving together in one call of hs_radius_authorize_batch, on
 * connections of their own, and wake each request with its answer.
 */
#ifndef HS_AUTH_H
#define HS_AUTH_H

#include "hs_db.h"
#include "hs_logic.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct hs_auth_config {
	hs_db_config db;
	char const *interim_text; /* Acct-Interim-Interval as text, for stale sessions */
	unsigned workers;         /* batcher threads, each with its connection */
	unsigned batch_max;       /* requests per call */
	unsigned batch_wait_us;   /* how long a call waits at most for announced requests */
	unsigned queue_max;       /* requests waiting at most; more get no answer */
} hs_auth_config;

/* One Access-Request: what the module read, and what the database decided. */
typedef struct hs_auth_req {
	/* In. */
	char nas[48];
	char user[HS_STR_MAX + 1];
	char password[HS_STR_MAX + 1];
	bool pap;
	char chap_ident[4];
	uint8_t challenge[HS_STR_MAX];
	size_t challenge_len;
	uint8_t response[16];
	bool chap;
	char mac[HS_STR_MAX + 1];
	/* Out: rc HS_DB_OK when the fields below hold the decision. */
	hs_db_rc rc;
	char result[16]; /* accept, reject, unknown_client */
	char reason[32];
	char message[HS_STR_MAX + 1]; /* "" when none */
	char voucher[40];             /* "" when none */
	bool has_timeout, has_data_left, has_idle;
	int64_t session_timeout;
	int64_t data_left;
	int64_t idle_timeout;
	char rate_limit[HS_STR_MAX + 1]; /* "" when none */
} hs_auth_req;

typedef struct hs_auth hs_auth;

/* Starts the batchers (connecting lazily). NULL (logged) on failure. */
hs_auth *hs_auth_create(hs_auth_config const *cfg) __attribute__((warn_unused_result));

/* Stops the batchers; requests still waiting get rc HS_DB_DOWN. NULL is a no-op. */
void hs_auth_free(hs_auth *a);

/* Tells the batchers a request is on its way (see hs_batch_announce). */
void hs_auth_announce(hs_auth *a) __attribute__((nonnull));

/* Takes back an announce: this request will not be decided after all. */
void hs_auth_withdraw(hs_auth *a) __attribute__((nonnull));

/*
 * Decides req (its In part); blocks until decided. Sets req->rc: HS_DB_OK
 * with the Out part filled, or the failure (nothing decided: the request
 * must not be answered). Ends an hs_auth_announce.
 */
void hs_auth_decide(hs_auth *a, hs_auth_req *req) __attribute__((nonnull));

#endif
