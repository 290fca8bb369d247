#include "api/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"

/* A migration larger than this is a mistake, not a schema change. */
#define MIG_FILE_MAX (16 * 1024 * 1024)
#define MIG_NAME_MAX 128

/* pg_advisory_lock key of migrate: "hsmigrat" in ASCII. */
#define MIG_LOCK_KEY "7526479701740773748"

typedef struct {
	char name[MIG_NAME_MAX];
	char version[5];
	char sha256[65];
	char *sql;
} mig_file;

typedef struct {
	char version[5];
	char name[MIG_NAME_MAX];
	char checksum[65];
	char applied_at[40];
} mig_applied;

typedef struct {
	const char *dir;
	mig_file *files;
	size_t nfiles;
	mig_applied *applied;
	size_t napplied;
} mig_state;

/* ---- files ------------------------------------------------------------------ */

bool api_migrate_name_valid(const char *name)
{
	size_t n = strlen(name), i;

	/* NNNN_ + at least one character + .sql */
	if (n < 10 || n >= MIG_NAME_MAX || strcmp(name + n - 4, ".sql") != 0)
		return false;
	for (i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
	}
	if (name[4] != '_')
		return false;
	for (i = 5; i < n - 4; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

int api_migrate_line_of(const char *text, long pos)
{
	long chars = 0;
	int line = 1;

	if (pos < 1)
		return 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p & 0xC0) == 0x80)
			continue; /* a UTF-8 continuation byte is not a character */
		if (++chars == pos)
			return line;
		if (*p == '\n')
			line++;
	}
	return 0;
}

/* Reads dir/f->name into f->sql and checksums it.  0, or -1 (reported). */
static int mig_read(const char *dir, mig_file *f)
{
	char path[4096];
	FILE *fp;
	struct stat st;
	size_t n;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, f->name);
	fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "migrate: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MIG_FILE_MAX) {
		fprintf(stderr, "migrate: %s: not a regular file of at most %d bytes\n", path,
			MIG_FILE_MAX);
		goto out;
	}
	f->sql = malloc((size_t)st.st_size + 1);
	if (!f->sql) {
		fprintf(stderr, "migrate: %s: out of memory\n", path);
		goto out;
	}
	n = fread(f->sql, 1, (size_t)st.st_size, fp);
	if (n != (size_t)st.st_size || ferror(fp)) {
		fprintf(stderr, "migrate: cannot read %s\n", path);
		goto out;
	}
	f->sql[n] = '\0';
	if (memchr(f->sql, '\0', n)) {
		fprintf(stderr, "migrate: %s contains a NUL byte\n", path);
		goto out;
	}
	if (hs_crypto_sha256_hex(f->sql, n, f->sha256) != 0) {
		fprintf(stderr, "migrate: %s: cannot compute its sha256\n", path);
		goto out;
	}
	memcpy(f->version, f->name, 4);
	f->version[4] = '\0';
	rc = 0;
out:
	fclose(fp);
	return rc;
}

static int mig_cmp(const void *a, const void *b)
{
	return strcmp(((const mig_file *)a)->name, ((const mig_file *)b)->name);
}

/* Collects the names in the directory; -1 (reported) on any name not a migration's. */
static int mig_list(mig_state *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	size_t cap = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "migrate: cannot open MIGRATIONS_DIR %s: %s\n", s->dir,
			strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (!api_migrate_name_valid(e->d_name)) {
			fprintf(stderr,
				"migrate: %s/%s: not a migration file name (NNNN_name.sql, name in "
				"a-z 0-9 _)\n",
				s->dir, e->d_name);
			rc = -1;
			continue;
		}
		if (s->nfiles == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			mig_file *grown = realloc(s->files, ncap * sizeof(*grown));
			if (!grown) {
				fprintf(stderr, "migrate: out of memory\n");
				rc = -1;
				break;
			}
			s->files = grown;
			cap = ncap;
		}
		memset(&s->files[s->nfiles], 0, sizeof(s->files[0]));
		/* api_migrate_name_valid bounds the length to MIG_NAME_MAX - 1 */
		memcpy(s->files[s->nfiles].name, e->d_name, strlen(e->d_name) + 1);
		s->nfiles++;
	}
	closedir(d);
	if (s->nfiles)
		qsort(s->files, s->nfiles, sizeof(*s->files), mig_cmp);
	return rc;
}

/* Lists, reads and checks the files: names valid, versions unique. */
static int mig_load_files(mig_state *s)
{
	int rc = mig_list(s);

	for (size_t i = 0; rc == 0 && i < s->nfiles; i++) {
		if (mig_read(s->dir, &s->files[i]) != 0)
			rc = -1;
		else if (i > 0 && strcmp(s->files[i].version, s->files[i - 1].version) == 0) {
			fprintf(stderr, "migrate: %s and %s share the version %s\n",
				s->files[i - 1].name, s->files[i].name, s->files[i].version);
			rc = -1;
		}
	}
	return rc;
}

static void mig_state_free(mig_state *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].sql);
	free(s->files);
	free(s->applied);
}

/* ---- database ------------------------------------------------------------- */

/* Runs sql with params; prints the failure (prefixed with what) and returns NULL. */
static PGresult *mig_query(PGconn *conn, const char *what, const char *sql, int n,
			   const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	char err[512];

	if (hs_db_classify(conn, res) == HS_DB_OK)
		return res;
	hs_db_errmsg(conn, res, err, sizeof(err));
	fprintf(stderr, "migrate: %s: %s\n", what, err);
	PQclear(res);
	return NULL;
}

static bool mig_exec(PGconn *conn, const char *what, const char *sql)
{
	PGresult *res = mig_query(conn, what, sql, 0, NULL);

	PQclear(res);
	return res != NULL;
}

/* Notices (e.g. "already exists, skipping") are chatter; warnings are not. */
static void mig_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	(void)arg;
	hs_log(sev && strcmp(sev, "WARNING") == 0 ? HS_LOG_WARN : HS_LOG_DEBUG, "migrate: %s: %s",
	       sev ? sev : "NOTICE", msg ? msg : "");
}

/* Reads schema_migrations (which may not exist when status_only). */
static int mig_load_applied(PGconn *conn, mig_state *s)
{
	PGresult *res = mig_query(conn, "reading schema_migrations",
				  "SELECT version, name, checksum,"
				  " to_char(applied_at AT TIME ZONE 'UTC',"
				  " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
				  " FROM schema_migrations ORDER BY version",
				  0, NULL);
	int n;

	if (!res)
		return -1;
	n = PQntuples(res);
	s->applied = calloc((size_t)n + 1, sizeof(*s->applied));
	if (!s->applied) {
		PQclear(res);
		fprintf(stderr, "migrate: out of memory\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		mig_applied *a = &s->applied[i];
		snprintf(a->version, sizeof(a->version), "%s", PQgetvalue(res, i, 0));
		snprintf(a->name, sizeof(a->name), "%s", PQgetvalue(res, i, 1));
		snprintf(a->checksum, sizeof(a->checksum), "%s", PQgetvalue(res, i, 2));
		snprintf(a->applied_at, sizeof(a->applied_at), "%s", PQgetvalue(res, i, 3));
	}
	s->napplied = (size_t)n;
	PQclear(res);
	return 0;
}

static const mig_applied *mig_find_applied(const mig_state *s, const char *version)
{
	for (size_t i = 0; i < s->napplied; i++) {
		if (strcmp(s->applied[i].version, version) == 0)
			return &s->applied[i];
	}
	return NULL;
}

static const mig_file *mig_find_file(const mig_state *s, const char *version)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		if (strcmp(s->files[i].version, version) == 0)
			return &s->files[i];
	}
	return NULL;
}

/*
 * Compares what was applied with the files: every applied migration must
 * still be there, unchanged, under the same name, and no pending file may
 * sort before the latest applied one.  Returns the number of problems
 * (each reported).
 */
static int mig_verify(const mig_state *s)
{
	const char *latest = s->napplied ? s->applied[s->napplied - 1].name : NULL;
	int problems = 0;

	for (size_t i = 0; i < s->napplied; i++) {
		const mig_applied *a = &s->applied[i];
		const mig_file *f = mig_find_file(s, a->version);

		if (!f) {
			fprintf(stderr, "migrate: %s was applied but is missing from %s\n", a->name,
				s->dir);
			problems++;
		} else if (strcmp(f->name, a->name) != 0) {
			fprintf(stderr, "migrate: %s was applied as %s; the file was renamed\n",
				f->name, a->name);
			problems++;
		} else if (strcmp(f->sha256, a->checksum) != 0) {
			fprintf(stderr,
				"migrate: %s changed after it was applied (sha256 was %.12s..., is "
				"%.12s...)\n",
				f->name, a->checksum, f->sha256);
			problems++;
		}
	}
	for (size_t i = 0; latest && i < s->nfiles; i++) {
		const mig_file *f = &s->files[i];
		if (!mig_find_applied(s, f->version) && strcmp(f->name, latest) < 0) {
			fprintf(stderr,
				"migrate: %s is pending but older than the latest applied "
				"migration %s\n",
				f->name, latest);
			problems++;
		}
	}
	return problems;
}

/* Reports a failed migration with the server's message and the file's line. */
static void mig_report_failure(PGconn *conn, const PGresult *res, const mig_file *f)
{
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char err[1024];
	int line = pos ? api_migrate_line_of(f->sql, strtol(pos, NULL, 10)) : 0;

	hs_db_errmsg(conn, res, err, sizeof(err));
	if (line > 0)
		fprintf(stderr, "migrate: %s line %d: %s", f->name, line, err);
	else
		fprintf(stderr, "migrate: %s: %s", f->name, err);
	if (state)
		fprintf(stderr, " (SQLSTATE %s)", state);
	fputc('\n', stderr);
	if (detail)
		fprintf(stderr, "migrate: %s: detail: %s\n", f->name, detail);
}

/* Applies one file and records it, in one transaction.  0, or -1 (reported). */
static int mig_apply(PGconn *conn, const mig_file *f)
{
	const char *params[3] = {f->version, f->name, f->sha256};
	PGresult *res;

	if (!mig_exec(conn, "BEGIN", "BEGIN"))
		return -1;
	/* The one place a whole file is sent as SQL text: it is the schema. */
	res = PQexec(conn, f->sql);
	if (hs_db_classify(conn, res) != HS_DB_OK) {
		mig_report_failure(conn, res, f);
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		fprintf(stderr,
			"migrate: %s ends the transaction itself (COMMIT or ROLLBACK); it was not "
			"recorded and its statements after that point may have been committed\n",
			f->name);
		return -1;
	}
	res = mig_query(conn, f->name,
			"INSERT INTO schema_migrations (version, name, checksum)"
			" VALUES ($1, $2, $3)",
			3, params);
	if (!res) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	return mig_exec(conn, f->name, "COMMIT") ? 0 : -1;
}

static int mig_lock(PGconn *conn)
{
	const char *params[1] = {MIG_LOCK_KEY};
	PGresult *res = mig_query(conn, "advisory lock", "SELECT pg_try_advisory_lock($1::bigint)",
				  1, params);
	bool got;

	if (!res)
		return -1;
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got)
		return 0;
	printf("migrate: another migrate is running; waiting for it\n");
	fflush(stdout);
	res = mig_query(conn, "advisory lock", "SELECT pg_advisory_lock($1::bigint)", 1, params);
	PQclear(res);
	return res ? 0 : -1;
}

static const char mig_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				    " version text PRIMARY KEY,"
				    " name text NOT NULL,"
				    " checksum text NOT NULL,"
				    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Whether schema_migrations exists: 1, 0, or -1 (reported). */
static int mig_table_exists(PGconn *conn)
{
	PGresult *res = mig_query(conn, "looking for schema_migrations",
				  "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL);
	int exists;

	if (!res)
		return -1;
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return exists;
}

static int mig_status(const mig_state *s)
{
	size_t pending = 0;

	for (size_t i = 0; i < s->napplied; i++)
		printf("applied  %s  %s\n", s->applied[i].name, s->applied[i].applied_at);
	for (size_t i = 0; i < s->nfiles; i++) {
		if (!mig_find_applied(s, s->files[i].version)) {
			printf("pending  %s\n", s->files[i].name);
			pending++;
		}
	}
	printf("migrate: %zu applied, %zu pending\n", s->napplied, pending);
	return mig_verify(s) ? 1 : 0;
}

static int mig_run(PGconn *conn, mig_state *s)
{
	size_t done = 0;

	if (mig_verify(s)) {
		fprintf(stderr, "migrate: refusing to run; nothing applied\n");
		return 1;
	}
	for (size_t i = 0; i < s->nfiles; i++) {
		const mig_file *f = &s->files[i];
		if (mig_find_applied(s, f->version))
			continue;
		if (mig_apply(conn, f) != 0) {
			fprintf(stderr,
				"migrate: stopped at %s (rolled back); %zu applied before it\n",
				f->name, done);
			return 1;
		}
		printf("applied %s\n", f->name);
		fflush(stdout);
		done++;
	}
	if (done == 0)
		printf("migrate: nothing to apply (at %s)\n",
		       s->napplied ? s->applied[s->napplied - 1].version : "no migrations");
	else
		printf("migrate: %zu applied (at %s)\n", done, s->files[s->nfiles - 1].version);
	return 0;
}

int api_migrate(const hs_config *cfg, bool status_only)
{
	mig_state s;
	PGconn *conn = NULL;
	char err[512];
	int rc = 1, exists;

	memset(&s, 0, sizeof(s));
	s.dir = cfg->migrations_dir;
	if (mig_load_files(&s) != 0)
		goto out;
	conn = hs_db_connect(cfg, HS_DB_ROLE_OWNER, err, sizeof(err));
	if (!conn) {
		fprintf(stderr, "migrate: cannot connect to %s as %s: %s\n", cfg->db_database,
			cfg->db_owner_username, err);
		goto out;
	}
	PQsetNoticeReceiver(conn, mig_notice, NULL);
	if (status_only) {
		exists = mig_table_exists(conn);
		if (exists < 0 || (exists && mig_load_applied(conn, &s) != 0))
			goto out;
		rc = mig_status(&s);
		goto out;
	}
	if (mig_lock(conn) != 0 || !mig_exec(conn, "creating schema_migrations", mig_table_sql) ||
	    mig_load_applied(conn, &s) != 0)
		goto out;
	rc = mig_run(conn, &s);
out:
	if (conn)
		PQfinish(conn); /* also releases the advisory lock */
	mig_state_free(&s);
	return rc;
}
