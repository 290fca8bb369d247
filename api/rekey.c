/*
 * hotspotd router rekey [--dry-run]: re-seals the routers' RouterOS API
 * passwords under the current key (APP_KEY or APP_KEY_FILE) after a key
 * rotation (docs/keys.md).
 *
 * Every stored password that is not already version 2 under the current key
 * is opened with whichever configured key fits (APP_KEY, then the
 * APP_KEY_PREVIOUS keys; common/crypto.h) and sealed again with the current
 * key.  Routers are read in batches of REKEY_BATCH by id; each batch's
 * updates are one transaction, and each update only replaces the value it
 * read, so a password the API changed meanwhile is left as the API wrote
 * it.  Like the other admin commands it connects as the owner role, which
 * sees every tenant's routers.  It prints counts, and the id of each router
 * whose password did not open (never a password or a key); the exit status
 * is 1 when any failed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "api/module.h"
#include "api/router_conn.h"
#include "common/crypto.h"
#include "common/db.h"

#define EXIT_USAGE  2
#define REKEY_BATCH "200"

typedef struct {
	long resealed, current, failed, changed;
} rekey_counts;

/* Runs a statement without parameters (BEGIN, COMMIT, ROLLBACK); false on failure, reported. */
static bool rekey_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "hotspotd router rekey: %s failed: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* One batch of routers with a password, after id after (in the primary key's order). */
static PGresult *rekey_batch(PGconn *conn, const char *after)
{
	const char *params[1] = {after};

	/* Binary results: password_encrypted as its raw bytes. */
	return PQexecParams(conn,
			    "SELECT id::text, password_encrypted FROM mikrotik_devices "
			    "WHERE password_encrypted IS NOT NULL AND id > $1::uuid "
			    "ORDER BY id LIMIT " REKEY_BATCH,
			    1, NULL, params, NULL, NULL, 1);
}

/*
 * Replaces the sealed value old (oldlen bytes) of router id by new, only if
 * it is still old.  1 when replaced, 0 when it changed meanwhile, -1 on a
 * database error (reported).
 */
static int rekey_store(PGconn *conn, const char *id, const unsigned char *old, size_t oldlen,
		       const unsigned char *new, size_t newlen)
{
	const char *params[3] = {id, (const char *)new, (const char *)old};
	const int lens[3] = {0, (int)newlen, (int)oldlen}, fmts[3] = {0, 1, 1};
	PGresult *res = PQexecParams(conn,
				     "UPDATE mikrotik_devices SET password_encrypted = $2 "
				     "WHERE id = $1::uuid AND password_encrypted = $3",
				     3, NULL, params, lens, fmts, 0);
	int rc = -1;

	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		rc = strcmp(PQcmdTuples(res), "1") == 0;
	else
		fprintf(stderr, "hotspotd router rekey: update of router %s failed: %s", id,
			PQerrorMessage(conn));
	PQclear(res);
	return rc;
}

/*
 * Re-seals the password of row i of res when it is not under the current
 * key, counting the outcome in c.  0, or -1 on a database error.
 */
static int rekey_row(PGconn *conn, const hs_crypto_keyring *kr, const PGresult *res, int i,
		     bool dry_run, rekey_counts *c)
{
	const char *id = PQgetvalue(res, i, 0);
	const unsigned char *old = (const unsigned char *)PQgetvalue(res, i, 1);
	size_t oldlen = (size_t)PQgetlength(res, i, 1), plen = 0, newlen = 0;
	unsigned char *plain = NULL, *sealed = NULL;
	hs_crypto_result r;
	bool current = false;
	int rc = 0, stored;

	r = hs_crypto_keyring_open(kr, id, old, oldlen, &plain, &plen, &current, NULL);
	if (r != HS_CRYPTO_OK) {
		c->failed++;
		fprintf(stderr, "hotspotd router rekey: router %s: %s\n", id,
			r == HS_CRYPTO_EUNKNOWN ? API_ROUTER_KEY_UNKNOWN
						: "the router's API password does not open with "
						  "any configured key");
		goto out;
	}
	if (current) {
		c->current++;
		goto out;
	}
	if (dry_run) {
		c->resealed++;
		goto out;
	}
	if (hs_crypto_keyring_seal(kr, id, plain, plen, &sealed, &newlen) != 0) {
		c->failed++;
		fprintf(stderr, "hotspotd router rekey: router %s: sealing failed\n", id);
		goto out;
	}
	stored = rekey_store(conn, id, old, oldlen, sealed, newlen);
	if (stored < 0)
		rc = -1;
	else if (stored)
		c->resealed++;
	else
		c->changed++;
out:
	hs_crypto_free(plain, plen);
	free(sealed);
	return rc;
}

/* Runs one batch in a transaction; its last id goes to after.  Rows read, or -1. */
static int rekey_one_batch(PGconn *conn, const hs_crypto_keyring *kr, char after[64], bool dry_run,
			   rekey_counts *c)
{
	PGresult *res = NULL;
	int n = -1;

	if (!rekey_exec(conn, "BEGIN"))
		goto out;
	res = rekey_batch(conn, after);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "hotspotd router rekey: reading the routers failed: %s",
			PQerrorMessage(conn));
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++)
		if (rekey_row(conn, kr, res, i, dry_run, c) != 0)
			goto out;
	if (PQntuples(res) > 0)
		snprintf(after, 64, "%s", PQgetvalue(res, PQntuples(res) - 1, 0));
	if (!rekey_exec(conn, "COMMIT"))
		goto out;
	n = PQntuples(res);
out:
	if (n < 0)
		(void)rekey_exec(conn, "ROLLBACK");
	PQclear(res);
	return n;
}

static int rekey(const hs_config *cfg, int argc, char **argv)
{
	hs_crypto_keyring kr;
	rekey_counts c = {0, 0, 0, 0};
	char err[512], after[64] = "00000000-0000-0000-0000-000000000000";
	bool dry_run = false;
	PGconn *conn = NULL;
	int rc = EXIT_USAGE, n;

	memset(&kr, 0, sizeof kr);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") != 0) {
			fprintf(stderr, "hotspotd router rekey: unknown argument %s\n", argv[i]);
			goto out;
		}
		dry_run = true;
	}
	if (hs_crypto_keyring_load(&kr, cfg) != 0) {
		fprintf(stderr,
			"hotspotd router rekey: APP_KEY is not set (the key to seal with)\n");
		goto out;
	}
	rc = 1;
	conn = hs_db_connect(cfg, HS_DB_ROLE_OWNER, err, sizeof err);
	if (!conn) {
		fprintf(stderr, "hotspotd router rekey: cannot connect to %s as %s: %s\n",
			cfg->db_database, cfg->db_owner_username, err);
		goto out;
	}
	do
		n = rekey_one_batch(conn, &kr, after, dry_run, &c);
	while (n > 0);
	if (n < 0)
		goto out;
	printf("%s %ld, already current %ld, failed %ld\n", dry_run ? "to re-seal" : "re-sealed",
	       c.resealed, c.current, c.failed);
	if (c.changed)
		printf("changed meanwhile (left as written) %ld\n", c.changed);
	rc = c.failed ? 1 : 0;
out:
	if (conn)
		PQfinish(conn);
	hs_crypto_keyring_wipe(&kr);
	return rc;
}

static const api_command commands[] = {
	{"router", "rekey", "router rekey [--dry-run]",
	 "re-seal every router's API password under the current APP_KEY (docs/keys.md)",
	 "  --dry-run         only count what would be re-sealed; change nothing\n"
	 "Passwords open with APP_KEY or a key of APP_KEY_PREVIOUS. Prints the counts\n"
	 "and the id of each router whose password opens with no configured key;\n"
	 "exits 1 when there is any.\n",
	 rekey},
};

const api_module api_mod_rekey = {
	.name = "rekey",
	.commands = commands,
	.ncommands = API_NELEM(commands),
};
