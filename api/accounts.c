/*
 * Admin commands for tenants, admins and tokens, and a health probe:
 *
 *   hotspotd tenant create --name N --slug S [--timezone TZ] [--currency CUR]
 *   hotspotd admin create --tenant SLUG --email E [--name N] [--role ROLE]
 *   hotspotd admin add-tenant --email E [--home SLUG] --tenant SLUG [--role ROLE]
 *   hotspotd token create --email E [--tenant SLUG] --name N [--abilities a,b] [--days D]
 *   hotspotd token revoke ID
 *   hotspotd health [--url URL]
 *
 * They connect as the owner role (DB_OWNER_USERNAME, as migrate does): they
 * are the operator's tools for the first tenant, admin and token, before
 * any API call can be made.  Passwords are read from stdin (without echo
 * when it is a terminal) and never from the command line, where other users
 * could read them.  A token is printed once.  Each change is audited in
 * its tenant with no admin as the actor and details {"via": "cli"}.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/httpc.h"
#include "api/module.h"
#include "common/crypto.h"
#include "common/db.h"

#define EXIT_USAGE       2
#define CLI_PASSWORD_MIN 10
#define CLI_PASSWORD_MAX 1024
#define CLI_OPTS_MAX     8
#define HEALTH_TIMEOUT_S 5

/* ---- options ------------------------------------------------------------------ */

/* One "--name VALUE" option a command takes; value is set when given. */
typedef struct {
	const char *name;
	bool required;
	const char *value;
} cli_opt;

/*
 * Reads "--name VALUE" and "--name=VALUE" from argv into opts (n of them);
 * positional arguments go to *pos (at most npos).  0, or EXIT_USAGE with a
 * message on an unknown option, a missing value or a missing required one.
 */
static int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, size_t n,
		     const char **pos, size_t npos)
{
	size_t got = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t j;

		if (strncmp(a, "--", 2) != 0) {
			if (got >= npos) {
				fprintf(stderr, "hotspotd %s: unexpected argument %s\n", cmd, a);
				return EXIT_USAGE;
			}
			pos[got++] = a;
			continue;
		}
		eq = strchr(a, '=');
		for (j = 0; j < n; j++)
			if (eq ? (strlen(opts[j].name) == (size_t)(eq - a - 2) &&
				  strncmp(a + 2, opts[j].name, (size_t)(eq - a - 2)) == 0)
			       : strcmp(a + 2, opts[j].name) == 0)
				break;
		if (j == n) {
			fprintf(stderr, "hotspotd %s: unknown option %s\n", cmd, a);
			return EXIT_USAGE;
		}
		if (!eq && i + 1 >= argc) {
			fprintf(stderr, "hotspotd %s: --%s needs a value\n", cmd, opts[j].name);
			return EXIT_USAGE;
		}
		opts[j].value = eq ? eq + 1 : argv[++i];
	}
	for (size_t j = 0; j < n; j++)
		if (opts[j].required && (!opts[j].value || !*opts[j].value)) {
			fprintf(stderr, "hotspotd %s: --%s is required (see --help)\n", cmd,
				opts[j].name);
			return EXIT_USAGE;
		}
	if (got < npos) {
		fprintf(stderr, "hotspotd %s: missing argument (see --help)\n", cmd);
		return EXIT_USAGE;
	}
	return 0;
}

/* The owner's connection, or NULL (reported). */
static PGconn *owner_connect(const hs_config *cfg, const char *cmd)
{
	char err[512];
	PGconn *conn = hs_db_connect(cfg, HS_DB_ROLE_OWNER, err, sizeof err);

	if (!conn)
		fprintf(stderr, "hotspotd %s: cannot connect to %s as %s: %s\n", cmd,
			cfg->db_database, cfg->db_owner_username, err);
	return conn;
}

/*
 * Runs sql with params; the result when it succeeded, else NULL with the
 * server's message reported.
 */
static PGresult *run(PGconn *conn, const char *cmd, const char *sql, int n,
		     const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	char err[512];

	if (hs_db_classify(conn, res) == HS_DB_OK)
		return res;
	hs_db_errmsg(conn, res, err, sizeof err);
	fprintf(stderr, "hotspotd %s: %s\n", cmd, err);
	PQclear(res);
	return NULL;
}

/* ---- tenant create --------------------------------------------------------------- */

static const char tenant_sql[] =
	"WITH t AS (INSERT INTO tenants (name, slug, time_zone, currency)"
	" VALUES ($1, $2, $3, $4) RETURNING id),"
	" a AS (INSERT INTO audit_log (tenant_id, action, object_type, object_id, details)"
	" SELECT id, 'tenant.create', 'tenant', id::text, '{\"via\":\"cli\"}' FROM t)"
	" SELECT id FROM t";

static int tenant_create(const hs_config *cfg, int argc, char **argv)
{
	cli_opt o[] = {{"name", true, NULL},
		       {"slug", true, NULL},
		       {"timezone", false, "UTC"},
		       {"currency", false, "UGX"}};
	const char *params[4];
	PGconn *conn = NULL;
	PGresult *res = NULL;
	int rc = cli_parse("tenant create", argc, argv, o, API_NELEM(o), NULL, 0);

	if (rc)
		return rc;
	for (int i = 0; i < 4; i++)
		params[i] = o[i].value;
	rc = 1;
	conn = owner_connect(cfg, "tenant create");
	if (!conn)
		goto out;
	res = run(conn, "tenant create", tenant_sql, 4, params);
	if (!res)
		goto out;
	printf("%s\n", PQgetvalue(res, 0, 0));
	rc = 0;
out:
	PQclear(res);
	if (conn)
		PQfinish(conn);
	return rc;
}

/* ---- admin create ------------------------------------------------------------------- */

/* Reads one line from fp into buf without its end; its length, or -1. */
static long read_line(FILE *fp, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, fp))
		return -1;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1)
		return -1; /* longer than the buffer */
	buf[n] = '\0';
	return (long)n;
}

/* Prompts on the terminal with echo off and reads a line; its length, or -1. */
static long read_tty(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	long n = -1;

	if (!tty)
		return -1;
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
		n = read_line(tty, buf, len);
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty);
	}
	fclose(tty);
	return n;
}

/*
 * Why password is too weak, or NULL: at least CLI_PASSWORD_MIN bytes, five
 * different characters, no control characters, not the e-mail address.
 */
static const char *password_weakness(const char *pw, const char *email)
{
	bool seen[256] = {false};
	size_t n = strlen(pw), distinct = 0;

	if (n == 0)
		return "the password is empty";
	if (n < CLI_PASSWORD_MIN)
		return "the password must have at least 10 characters";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c < 0x20 || c == 0x7f)
			return "the password has control characters";
		if (!seen[c]) {
			seen[c] = true;
			distinct++;
		}
	}
	if (distinct < 5)
		return "the password must have at least 5 different characters";
	if (strcasecmp(pw, email) == 0 ||
	    (strlen(pw) == strcspn(email, "@") && strncasecmp(pw, email, strlen(pw)) == 0))
		return "the password must not be the e-mail address";
	return NULL;
}

/* Reads the new password: prompted twice on a terminal, else a line of stdin. */
static int read_new_password(char *pw, size_t len)
{
	char again[CLI_PASSWORD_MAX + 2];
	int rc = -1;

	if (!isatty(STDIN_FILENO)) {
		rc = read_line(stdin, pw, len) < 0 ? -1 : 0;
		goto out;
	}
	if (read_tty("Password: ", pw, len) < 0 || read_tty("Again: ", again, sizeof again) < 0)
		goto out;
	if (strcmp(pw, again) != 0) {
		fprintf(stderr, "hotspotd admin create: the passwords differ\n");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(again, sizeof again);
	return rc;
}

static const char admin_sql[] =
	"WITH a AS (INSERT INTO admins (tenant_id, email, name, password_hash, role)"
	" SELECT t.id, lower($2), $3, $4, $5 FROM tenants t WHERE t.slug = $1 RETURNING id, "
	"tenant_id),"
	" l AS (INSERT INTO audit_log (tenant_id, action, object_type, object_id, details)"
	" SELECT tenant_id, 'admin.create', 'admin', id::text, '{\"via\":\"cli\"}' FROM a)"
	" SELECT id FROM a";

/* Checks the options of admin create; 0 or EXIT_USAGE (reported). */
static int admin_check(const cli_opt *o)
{
	const char *email = o[1].value, *role = o[3].value;

	if (!strchr(email, '@') || strlen(email) > 254 || strpbrk(email, " \t\r\n")) {
		fprintf(stderr, "hotspotd admin create: --email must be an e-mail address\n");
		return EXIT_USAGE;
	}
	if (!api_role_known(role)) {
		fprintf(stderr,
			"hotspotd admin create: --role must be owner, admin, operator or viewer\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int admin_create(const hs_config *cfg, int argc, char **argv)
{
	cli_opt o[] = {{"tenant", true, NULL},
		       {"email", true, NULL},
		       {"name", false, ""},
		       {"role", false, "admin"}};
	char pw[CLI_PASSWORD_MAX + 2], hash[HS_CRYPTO_PW_HASH_LEN];
	const char *params[5], *weak;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	int rc = cli_parse("admin create", argc, argv, o, API_NELEM(o), NULL, 0);

	memset(pw, 0, sizeof pw);
	memset(hash, 0, sizeof hash);
	if (rc || (rc = admin_check(o)) != 0)
		return rc;
	rc = 1;
	if (read_new_password(pw, sizeof pw) != 0) {
		fprintf(stderr, "hotspotd admin create: give the password on stdin (one line)\n");
		goto out;
	}
	weak = password_weakness(pw, o[1].value);
	if (weak) {
		fprintf(stderr, "hotspotd admin create: %s\n", weak);
		goto out;
	}
	if (hs_crypto_pw_hash(pw, strlen(pw), HS_CRYPTO_PW_LN, HS_CRYPTO_PW_R, HS_CRYPTO_PW_P, hash,
			      sizeof hash) != 0) {
		fprintf(stderr, "hotspotd admin create: cannot hash the password\n");
		goto out;
	}
	conn = owner_connect(cfg, "admin create");
	if (!conn)
		goto out;
	params[0] = o[0].value;
	params[1] = o[1].value;
	params[2] = o[2].value;
	params[3] = hash;
	params[4] = o[3].value;
	res = run(conn, "admin create", admin_sql, 5, params);
	if (!res)
		goto out;
	if (PQntuples(res) != 1) {
		fprintf(stderr, "hotspotd admin create: no tenant %s\n", o[0].value);
		goto out;
	}
	printf("%s\n", PQgetvalue(res, 0, 0));
	rc = 0;
out:
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(hash, sizeof hash);
	PQclear(res);
	if (conn)
		PQfinish(conn);
	return rc;
}

/* ---- admin add-tenant ---------------------------------------------------------------- */

/*
 * $1 email, $2 the admin's own tenant ('' when the address is in one
 * tenant only), $3 the tenant to add, $4 the role there.  Returns whether
 * the admin and the tenant were found, and whether the membership is new.
 */
static const char member_sql[] =
	"WITH a AS (SELECT admin_id, tenant_id AS home FROM hs_admin_login_find(nullif($2, ''), "
	"$1)),"
	" t AS (SELECT id FROM tenants WHERE slug = $3),"
	" m AS (INSERT INTO admin_tenants (admin_id, tenant_id, role)"
	" SELECT a.admin_id, t.id, $4 FROM a, t WHERE t.id <> a.home"
	" ON CONFLICT (admin_id, tenant_id) DO UPDATE SET role = EXCLUDED.role"
	" RETURNING admin_id, tenant_id),"
	" l AS (INSERT INTO audit_log (tenant_id, action, object_type, object_id, details)"
	" SELECT tenant_id, 'admin.member', 'admin', admin_id::text,"
	" json_build_object('via', 'cli', 'role', $4::text)::jsonb FROM m)"
	" SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM t), (SELECT count(*) FROM m)";

static int admin_add_tenant(const hs_config *cfg, int argc, char **argv)
{
	cli_opt o[] = {{"email", true, NULL},
		       {"home", false, ""},
		       {"tenant", true, NULL},
		       {"role", false, "viewer"}};
	const char *params[4];
	PGconn *conn = NULL;
	PGresult *res = NULL;
	int rc = cli_parse("admin add-tenant", argc, argv, o, API_NELEM(o), NULL, 0);

	if (rc)
		return rc;
	if (!api_role_known(o[3].value)) {
		fprintf(stderr, "hotspotd admin add-tenant: --role must be owner, admin, operator "
				"or viewer\n");
		return EXIT_USAGE;
	}
	rc = 1;
	conn = owner_connect(cfg, "admin add-tenant");
	if (!conn)
		goto out;
	for (int i = 0; i < 4; i++)
		params[i] = o[i].value;
	res = run(conn, "admin add-tenant", member_sql, 4, params);
	if (!res)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 0), "1") != 0)
		fprintf(stderr, "hotspotd admin add-tenant: no active admin %s\n", o[0].value);
	else if (strcmp(PQgetvalue(res, 0, 1), "1") != 0)
		fprintf(stderr, "hotspotd admin add-tenant: no tenant %s\n", o[2].value);
	else if (strcmp(PQgetvalue(res, 0, 2), "1") != 0)
		fprintf(stderr, "hotspotd admin add-tenant: %s is the admin's own tenant\n",
			o[2].value);
	else
		rc = 0;
	if (rc == 0)
		printf("%s may act in %s as %s\n", o[0].value, o[2].value, o[3].value);
out:
	PQclear(res);
	if (conn)
		PQfinish(conn);
	return rc;
}

/* ---- token create / revoke ------------------------------------------------------------ */

/*
 * The abilities of --abilities ("a,b"; NULL: the role's defaults) as a
 * JSON array, each known and within role; NULL (reported) otherwise.
 */
static json_t *cli_abilities(const char *text, const char *role)
{
	json_t *cap = api_role_abilities(role), *list = NULL;
	char *copy = NULL, *save = NULL, *a;

	if (!cap)
		goto fail;
	if (!text) {
		list = json_deep_copy(cap);
		json_decref(cap);
		return list;
	}
	copy = strdup(text);
	list = json_array();
	if (!copy || !list)
		goto fail;
	for (a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (!api_ability_known(a)) {
			fprintf(stderr, "hotspotd token create: unknown ability %s\n", a);
			goto fail;
		}
		if (!api_abilities_grant(cap, a)) {
			fprintf(stderr, "hotspotd token create: a %s may not have %s\n", role, a);
			goto fail;
		}
		json_array_append_new(list, json_string(a));
	}
	if (json_array_size(list) == 0) {
		fprintf(stderr, "hotspotd token create: --abilities is empty\n");
		goto fail;
	}
	free(copy);
	json_decref(cap);
	return list;
fail:
	free(copy);
	json_decref(list);
	json_decref(cap);
	return NULL;
}

static const char token_admin_sql[] = "SELECT admin_id, tenant_id, admin_role"
				      " FROM hs_admin_login_find(nullif($1, ''), $2)";

static const char token_sql[] =
	"WITH k AS (INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities,"
	" expires_at) VALUES ($1::uuid, $2::uuid, $3, $4,"
	" ARRAY(SELECT json_array_elements_text($5::json)), now() + make_interval(hours => "
	"$6::int))"
	" RETURNING id, tenant_id, expires_at),"
	" l AS (INSERT INTO audit_log (tenant_id, action, object_type, object_id, details)"
	" SELECT tenant_id, 'token.create', 'token', id::text, '{\"via\":\"cli\"}' FROM k)"
	" SELECT id, expires_at FROM k";

/* The hours of --days (1..3650), or of API_TOKEN_LIFETIME_HOURS; -1 reported. */
static int token_hours(const hs_config *cfg, const char *days)
{
	char *end;
	long d;

	if (!days)
		return cfg->api_token_lifetime_hours;
	errno = 0;
	d = strtol(days, &end, 10);
	if (errno || *end || d < 1 || d > 3650) {
		fprintf(stderr, "hotspotd token create: --days must be 1 to 3650\n");
		return -1;
	}
	return (int)d * 24;
}

/* Inserts the token for the admin of row 0 of found; 0 or 1 (reported). */
static int token_store(PGconn *conn, const PGresult *found, const char *name, const char *abilities,
		       int hours)
{
	char token[API_TOKEN_NEW_LEN], hex[65], hrs[16];
	const char *params[6];
	PGresult *res = NULL;
	int rc = 1;

	if (api_auth_token_new(token, hex) != 0) {
		fprintf(stderr, "hotspotd token create: no random bytes from the system\n");
		return 1;
	}
	snprintf(hrs, sizeof hrs, "%d", hours);
	params[0] = PQgetvalue(found, 0, 1);
	params[1] = PQgetvalue(found, 0, 0);
	params[2] = name;
	params[3] = hex;
	params[4] = abilities;
	params[5] = hrs;
	res = run(conn, "token create", token_sql, 6, params);
	if (!res)
		goto out;
	printf("%s\n", token);
	fprintf(stderr, "token %s, expires %s; it is shown only this once\n", PQgetvalue(res, 0, 0),
		PQgetvalue(res, 0, 1));
	rc = 0;
out:
	explicit_bzero(token, sizeof token);
	explicit_bzero(hex, sizeof hex);
	PQclear(res);
	return rc;
}

static int token_create(const hs_config *cfg, int argc, char **argv)
{
	cli_opt o[] = {{"email", true, NULL},
		       {"tenant", false, ""},
		       {"name", true, NULL},
		       {"abilities", false, NULL},
		       {"days", false, NULL}};
	const char *params[2];
	json_t *abilities = NULL;
	char *text = NULL;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	int hours, rc = cli_parse("token create", argc, argv, o, API_NELEM(o), NULL, 0);

	if (rc)
		return rc;
	hours = token_hours(cfg, o[4].value);
	if (hours < 0 || strlen(o[2].value) > 200)
		return EXIT_USAGE;
	rc = 1;
	conn = owner_connect(cfg, "token create");
	if (!conn)
		goto out;
	params[0] = o[1].value;
	params[1] = o[0].value;
	res = run(conn, "token create", token_admin_sql, 2, params);
	if (!res)
		goto out;
	if (PQntuples(res) != 1) {
		fprintf(stderr, "hotspotd token create: no active admin %s%s%s\n", o[0].value,
			*o[1].value ? " in tenant " : "", o[1].value);
		goto out;
	}
	abilities = cli_abilities(o[3].value, PQgetvalue(res, 0, 2));
	text = abilities ? json_dumps(abilities, JSON_COMPACT) : NULL;
	if (!text) {
		rc = o[3].value ? EXIT_USAGE : 1;
		goto out;
	}
	rc = token_store(conn, res, o[2].value, text, hours);
out:
	free(text);
	json_decref(abilities);
	PQclear(res);
	if (conn)
		PQfinish(conn);
	return rc;
}

static const char revoke_sql[] =
	"WITH k AS (UPDATE api_tokens SET revoked_at = now()"
	" WHERE id = $1::uuid AND revoked_at IS NULL RETURNING id, tenant_id),"
	" l AS (INSERT INTO audit_log (tenant_id, action, object_type, object_id, details)"
	" SELECT tenant_id, 'token.revoke', 'token', id::text, '{\"via\":\"cli\"}' FROM k)"
	" SELECT id FROM k";

static int token_revoke(const hs_config *cfg, int argc, char **argv)
{
	const char *id = NULL;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	int rc = cli_parse("token revoke", argc, argv, NULL, 0, &id, 1);

	if (rc)
		return rc;
	if (!hs_db_uuid_valid(id)) {
		fprintf(stderr, "hotspotd token revoke: %s is not a token id (a UUID)\n", id);
		return EXIT_USAGE;
	}
	rc = 1;
	conn = owner_connect(cfg, "token revoke");
	if (!conn)
		goto out;
	res = run(conn, "token revoke", revoke_sql, 1, &id);
	if (!res)
		goto out;
	if (PQntuples(res) != 1) {
		fprintf(stderr, "hotspotd token revoke: no live token %s\n", id);
		goto out;
	}
	printf("revoked %s\n", id);
	rc = 0;
out:
	PQclear(res);
	if (conn)
		PQfinish(conn);
	return rc;
}

/* ---- health ---------------------------------------------------------------------------- */

/* An http:// URL taken apart. */
typedef struct {
	char host[256], port[8], path[512];
} http_url;

/* Parses http://HOST[:PORT][/PATH] (IPv6 in brackets); an empty path is /health. */
static int url_parse(const char *url, http_url *u)
{
	const char *p = url, *h, *he, *slash;

	if (strncmp(p, "http://", 7) != 0)
		return -1;
	p += 7;
	slash = strchrnul(p, '/');
	if (*p == '[') {
		h = p + 1;
		he = memchr(h, ']', (size_t)(slash - h));
		if (!he)
			return -1;
		p = he + 1;
	} else {
		h = p;
		he = memchr(h, ':', (size_t)(slash - h));
		if (!he)
			he = slash;
		p = he;
	}
	if (he == h || (size_t)(he - h) >= sizeof u->host)
		return -1;
	memcpy(u->host, h, (size_t)(he - h));
	u->host[he - h] = '\0';
	if (*p == ':') {
		size_t n = (size_t)(slash - p - 1);

		if (n == 0 || n >= sizeof u->port || strspn(p + 1, "0123456789") < n)
			return -1;
		memcpy(u->port, p + 1, n);
		u->port[n] = '\0';
	} else if (p != slash) {
		return -1;
	} else {
		snprintf(u->port, sizeof u->port, "80");
	}
	if (strlen(slash) >= sizeof u->path || strpbrk(slash, " \r\n"))
		return -1;
	snprintf(u->path, sizeof u->path, "%s", *slash ? slash : "/health");
	return 0;
}

/* GETs u; the status code, or -1 when there is no answer. */
static int http_status(const http_url *u)
{
	char url[sizeof u->host + sizeof u->port + sizeof u->path + 16], why[CURL_ERROR_SIZE];
	bool v6 = strchr(u->host, ':') != NULL;
	api_httpc_req req = {.method = "GET",
			     .url = url,
			     .user_agent = "hotspotd-health",
			     .timeout_s = HEALTH_TIMEOUT_S,
			     .answer_max = 4096,
			     .truncate = true};
	api_httpc_res res;
	int status;

	snprintf(url, sizeof url, "http://%s%s%s:%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "",
		 u->port, u->path);
	status = api_httpc_send(&req, &res, why, sizeof why) == 0 ? (int)res.status : -1;
	free(res.body);
	return status;
}

/* Whether the database answers as the API's role. */
static int db_healthy(const hs_config *cfg)
{
	char err[512];
	PGconn *conn = hs_db_connect(cfg, HS_DB_ROLE_API, err, sizeof err);
	PGresult *res;
	int rc = 1;

	if (!conn) {
		printf("unhealthy: database: %s\n", err);
		return 1;
	}
	res = PQexecParams(conn, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
	if (hs_db_classify(conn, res) == HS_DB_OK) {
		printf("healthy: database %s answers as %s\n", cfg->db_database, cfg->db_username);
		rc = 0;
	} else {
		hs_db_errmsg(conn, res, err, sizeof err);
		printf("unhealthy: database: %s\n", err);
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

static int health(const hs_config *cfg, int argc, char **argv)
{
	cli_opt o[] = {{"url", false, NULL}};
	http_url u;
	int rc = cli_parse("health", argc, argv, o, API_NELEM(o), NULL, 0), status;

	if (rc)
		return rc;
	if (!o[0].value)
		return db_healthy(cfg);
	if (url_parse(o[0].value, &u) != 0) {
		fprintf(stderr, "hotspotd health: --url must be http://HOST[:PORT][/PATH]\n");
		return EXIT_USAGE;
	}
	status = http_status(&u);
	if (status == 200) {
		printf("healthy: %s answered 200\n", o[0].value);
		return 0;
	}
	if (status < 0)
		printf("unhealthy: no answer from %s\n", o[0].value);
	else
		printf("unhealthy: %s answered %d\n", o[0].value, status);
	return 1;
}

static const api_command commands[] = {
	{"tenant", "create",
	 "tenant create --name NAME --slug SLUG [--timezone TZ] [--currency CUR]",
	 "create a tenant (an operator); prints its id",
	 "  --name NAME       the tenant's name (1-200 characters)\n"
	 "  --slug SLUG       its short name: a-z, 0-9 and -, 1-63 characters\n"
	 "  --timezone TZ     an IANA time zone (default UTC), e.g. Africa/Kampala\n"
	 "  --currency CUR    an ISO 4217 code (default UGX)\n",
	 tenant_create},
	{"admin", "create", "admin create --tenant SLUG --email EMAIL [--name NAME] [--role ROLE]",
	 "create an admin; the password is read from stdin (prompted without echo on a terminal)",
	 "  --tenant SLUG     the admin's tenant\n"
	 "  --email EMAIL     the login address\n"
	 "  --name NAME       the admin's name\n"
	 "  --role ROLE       owner, admin (default), operator or viewer\n"
	 "The password needs at least 10 characters, 5 of them different.\n",
	 admin_create},
	{"admin", "add-tenant",
	 "admin add-tenant --email EMAIL [--home SLUG] --tenant SLUG [--role ROLE]",
	 "let an admin act in another tenant too (with X-Tenant), with a role there",
	 "  --email EMAIL     the admin\n"
	 "  --home SLUG       the admin's own tenant (needed when the address is in several)\n"
	 "  --tenant SLUG     the other tenant\n"
	 "  --role ROLE       its role there: owner, admin, operator or viewer (default)\n"
	 "Run it again to change the role.\n",
	 admin_add_tenant},
	{"token", "create",
	 "token create --email EMAIL [--tenant SLUG] --name NAME [--abilities A,B] [--days D]",
	 "create an API token for an admin and print it (shown only once)",
	 "  --email EMAIL     the admin\n"
	 "  --tenant SLUG     the admin's tenant (needed when the address is in several)\n"
	 "  --name NAME       what the token is for\n"
	 "  --abilities A,B   abilities (docs/auth.md; default: the role's)\n"
	 "  --days D          lifetime in days, 1-3650 (default API_TOKEN_LIFETIME_HOURS)\n",
	 token_create},
	{"token", "revoke", "token revoke TOKEN_ID", "revoke an API token by its id", NULL,
	 token_revoke},
	{"health", NULL, "health [--url URL]",
	 "exit 0 when healthy: GET URL answers 200, or without --url the database answers",
	 "  --url URL         http://HOST[:PORT][/PATH] of a running hotspotd (path default\n"
	 "                    /health)\n",
	 health},
};

const api_module api_mod_accounts = {
	.name = "accounts",
	.commands = commands,
	.ncommands = API_NELEM(commands),
};
