/*
 * Accounting for rlm_hotspot: a writer thread gathers the records that
 * arrive together into one call of hs_radius_accounting and one commit, and
 * the request threads wait until their record is durable. When the
 * database is unreachable, the batch goes to a local spool file instead
 * (mode 0600, fdatasync'd before anyone is answered), replayed in order
 * when the database is back and emptied once replayed. A record the
 * database refuses when sent alone is never acknowledged; one replayed from
 * the spool is moved to the spool's ".rejected" file (mode 0600), where the
 * operator finds it, so that it cannot hold up the records behind it.
 */
#ifndef HS_ACCT_H
#define HS_ACCT_H

#include "hs_db.h"
#include "hs_logic.h"

typedef struct hs_acct_config {
	hs_db_config db;
	char const *spool_file;
	unsigned batch_max;     /* records per call */
	unsigned batch_wait_us; /* how long a batch waits at most for company (by rate) */
	unsigned queue_max;     /* records waiting at most; more are not acknowledged */
} hs_acct_config;

/* What became of one record. */
typedef enum hs_acct_result {
	HS_ACCT_STORED = 0, /* committed: acknowledge */
	HS_ACCT_SPOOLED,    /* in the spool, on disk: acknowledge */
	HS_ACCT_INVALID,    /* malformed, nothing stored, resending cannot help: acknowledge */
	HS_ACCT_UNKNOWN,    /* no router has that address: do not answer */
	HS_ACCT_FAILED,     /* neither stored nor spooled: do not answer (the NAS resends) */
} hs_acct_result;

typedef struct hs_acct hs_acct;

/*
 * Opens (creating, mode 0600) the spool, cutting a record torn by a crash
 * off its end, and starts the writer thread. Connects lazily. Returns NULL
 * (logged) on failure. Caller frees with hs_acct_free.
 */
hs_acct *hs_acct_create(hs_acct_config const *cfg) __attribute__((warn_unused_result));

/* Answers what is queued, stops the writer and frees everything. */
void hs_acct_free(hs_acct *a);

/* The largest counter a record may carry (1 EiB): two of them and a voucher's use fit a bigint. */
#define HS_OCTETS_STORABLE (UINT64_C(1) << 60)

/*
 * Whether the database can take the record: every text field UTF-8 (as a
 * PostgreSQL text value must be), each counter at most HS_OCTETS_STORABLE,
 * a status of one octet and a receive time after 1970. One that is not
 * would fail the whole statement (or could not be spooled): it is refused
 * as malformed before it is queued. A Calling-Station-Id that is not UTF-8
 * is dropped first (it counts as absent, as at login).
 */
bool hs_acct_rec_storable(hs_acct_rec *rec) __attribute__((nonnull));

/* Stores one record; blocks until it is durable or has failed. */
hs_acct_result hs_acct_submit(hs_acct *a, hs_acct_rec const *rec) __attribute__((nonnull));

#endif
