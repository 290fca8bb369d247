/*
 * The provisioner's read-mostly operations: test-connection, statistics,
 * interfaces, hotspot users, active sessions and logs.
 */
#include "routeros/prov_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- test-connection ------------------------------------------------------------ */

struct check {
	ros_pool *pool;
	ros_conn *conn;
	ros_prov_check *out;
	const ros_options *opt;
	ros_err carried; /* an error one step saw that a later step reports */
	char identity[128];
};

static const char *const step_names[ROS_STEP__COUNT] = {
	"TCP connection",   "API handshake",        "authentication",
	"permission check", "identity and version",
};

const char *ros_step_name(ros_step step)
{
	return (unsigned)step < ROS_STEP__COUNT ? step_names[step] : "unknown step";
}

static unsigned opt_port(const ros_options *o)
{
	return o->port ? o->port : (o->tls == ROS_TLS_OFF ? 8728u : 8729u);
}

static void say(struct check *k, ros_step step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct check *k, ros_step step, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->out->steps[step].message, sizeof(k->out->steps[step].message), fmt, ap);
	va_end(ap);
}

/* The client's own message for a failed step. */
static ros_err fail_conn(struct check *k, ros_step step, ros_err err)
{
	say(k, step, "%s", ros_conn_errmsg(k->conn));
	return err;
}

static ros_err step_tcp(struct check *k)
{
	ros_err err = ros_conn_connect(k->conn);

	/* TLS is part of the client's connect; its failure is the handshake step's. */
	if (err == ROS_ERR_TLS || err == ROS_ERR_CERT) {
		k->carried = err;
		say(k, ROS_STEP_TCP, "%s accepted the connection on port %u", k->opt->host,
		    opt_port(k->opt));
		return ROS_OK;
	}
	if (err != ROS_OK)
		return fail_conn(k, ROS_STEP_TCP, err);
	say(k, ROS_STEP_TCP, "connected to %s port %u%s", k->opt->host, opt_port(k->opt),
	    k->opt->tls == ROS_TLS_VERIFY ? " (API-SSL, certificate verified)"
	    : k->opt->tls == ROS_TLS_ANON ? " (API-SSL, anonymous)"
					  : "");
	return ROS_OK;
}

static ros_err step_api(struct check *k)
{
	ros_err err = k->carried;

	if (err != ROS_OK)
		return fail_conn(k, ROS_STEP_API, err);
	err = ros__pool_token(k->pool, NULL);
	if (err != ROS_OK) {
		say(k, ROS_STEP_API, "%s: rate limit reached before the login", k->opt->host);
		return err;
	}
	err = ros_conn_login(k->conn);
	if (err == ROS_ERR_AUTH || err == ROS_ERR_DENIED || err == ROS_OK) {
		/* The router answered /login in the protocol, whatever it said. */
		k->carried = err;
		say(k, ROS_STEP_API, "%s answers in the RouterOS API protocol", k->opt->host);
		return ROS_OK;
	}
	say(k, ROS_STEP_API,
	    "%s; port %u accepts connections but gave no API answer to the login: check that "
	    "it is the router's api (8728) or api-ssl (8729) service",
	    ros_conn_errmsg(k->conn), opt_port(k->opt));
	return err;
}

static ros_err step_auth(struct check *k)
{
	if (k->carried == ROS_ERR_AUTH)
		return fail_conn(k, ROS_STEP_AUTH, ROS_ERR_AUTH);
	if (k->carried == ROS_ERR_DENIED) {
		say(k, ROS_STEP_AUTH, "user \"%s\" and its password were accepted",
		    k->opt->username ? k->opt->username : "");
		return ROS_OK;
	}
	k->out->login = ros_conn_login_style(k->conn);
	say(k, ROS_STEP_AUTH, "logged in as \"%s\" (%s login)",
	    k->opt->username ? k->opt->username : "",
	    k->out->login == ROS_LOGIN_CHALLENGE ? "MD5 challenge" : "plaintext");
	return ROS_OK;
}

/* One command of the permission step on the test's own connection. */
static ros_err check_call(struct check *k, const char *const *words, ros_reply **r)
{
	ros_err err = ros__pool_token(k->pool, NULL);

	if (err != ROS_OK) {
		say(k, ROS_STEP_PERMISSION, "%s: rate limit reached during the test", k->opt->host);
		return err;
	}
	return ros_call_words(k->conn, words, r);
}

static ros_err check_reads(struct check *k)
{
	static const char *const res[] = {"/system/resource/print", NULL};
	static const char *const ident[] = {"/system/identity/print", NULL};
	ros_reply *r = NULL;
	ros_err err = check_call(k, res, &r);

	if (err == ROS_OK && ros_reply_count(r) == 1) {
		ros__copy(k->out->version, sizeof(k->out->version), ros_reply_item(r, 0),
			  "version");
		ros__copy(k->out->board, sizeof(k->out->board), ros_reply_item(r, 0), "board-name");
	}
	ros_reply_destroy(r);
	r = NULL;
	if (err == ROS_OK)
		err = check_call(k, ident, &r);
	if (err == ROS_OK && ros_reply_count(r) == 1)
		ros__copy(k->identity, sizeof(k->identity), ros_reply_item(r, 0), "name");
	ros_reply_destroy(r);
	return err;
}

static ros_err step_permission(struct check *k)
{
	ros_reply *r = NULL;
	ros_err err;
	char word[160];

	if (k->carried == ROS_ERR_DENIED)
		return fail_conn(k, ROS_STEP_PERMISSION, ROS_ERR_DENIED);
	err = check_reads(k);
	if (err == ROS_ERR_DENIED) {
		say(k, ROS_STEP_PERMISSION,
		    "%s; the user may log in but not read: give its group the read policy",
		    ros_conn_errmsg(k->conn));
		return err;
	}
	if (err != ROS_OK)
		return err == ROS_ERR_RATE_LIMITED ? err : fail_conn(k, ROS_STEP_PERMISSION, err);
	/* Setting the identity to its own name changes nothing but needs the write policy. */
	snprintf(word, sizeof(word), "=name=%s", k->identity);
	{
		const char *const set[] = {"/system/identity/set", word, NULL};

		err = check_call(k, set, &r);
	}
	ros_reply_destroy(r);
	if (err == ROS_ERR_DENIED) {
		say(k, ROS_STEP_PERMISSION,
		    "%s; the user may read but not change the router: give its group the write "
		    "policy",
		    ros_conn_errmsg(k->conn));
		return err;
	}
	if (err != ROS_OK)
		return err == ROS_ERR_RATE_LIMITED ? err : fail_conn(k, ROS_STEP_PERMISSION, err);
	say(k, ROS_STEP_PERMISSION, "the user has the api, read and write policies");
	return ROS_OK;
}

static ros_err step_identity(struct check *k)
{
	ros_prov_check *o = k->out;

	snprintf(o->identity, sizeof(o->identity), "%s", k->identity);
	if (!ros_parse_version(o->version, &o->major, &o->minor, &o->patch)) {
		say(k, ROS_STEP_IDENTITY,
		    "%s reports no RouterOS version this system can read (\"%s\")", k->opt->host,
		    o->version);
		return ROS_ERR_PROTOCOL;
	}
	if (o->major < 6) {
		say(k, ROS_STEP_IDENTITY, "%s runs RouterOS %s: RouterOS 6 or later is needed",
		    k->opt->host, o->version);
		return ROS_ERR_UNSUPPORTED;
	}
	say(k, ROS_STEP_IDENTITY, "%s: RouterOS %s on %s", o->identity, o->version,
	    o->board[0] ? o->board : "an unknown board");
	return ROS_OK;
}

static ros_err (*const steps[ROS_STEP__COUNT])(struct check *) = {
	step_tcp, step_api, step_auth, step_permission, step_identity,
};

ros_err ros_prov_test_connection(ros_pool *p, ros_prov_check *out, ros_msg *msg)
{
	struct check k = {.pool = p, .out = out, .carried = ROS_OK};
	ros_err err = ROS_ERR_NOMEM;
	size_t i;

	memset(out, 0, sizeof(*out));
	k.opt = ros__pool_options(p);
	k.conn = ros_conn_create(k.opt);
	if (!k.conn) {
		ros__msg(msg, "%s: out of memory", ros_pool_host(p));
		return err;
	}
	for (i = 0; i < ROS_STEP__COUNT; i++) {
		int64_t t0 = ros__now_ms();

		err = steps[i](&k);
		out->steps[i].ms = (int)(ros__now_ms() - t0);
		out->steps[i].err = err;
		out->steps[i].status = err == ROS_OK ? ROS_STEP_OK : ROS_STEP_FAILED;
		if (err != ROS_OK) {
			ros__msg(msg, "%s failed: %s", step_names[i], out->steps[i].message);
			break;
		}
	}
	ros_conn_destroy(k.conn);
	return err;
}

/* --- statistics ------------------------------------------------------------------ */

static bool parse_stats(const ros_sentence *it, ros_prov_stats *o)
{
	const char *load = ros_sentence_attr(it, "cpu-load", NULL);
	const char *up = ros_sentence_attr(it, "uptime", NULL);
	char *end = NULL;
	long l = load ? strtol(load, &end, 10) : -1;

	ros__copy(o->version, sizeof(o->version), it, "version");
	ros__copy(o->board, sizeof(o->board), it, "board-name");
	ros__copy(o->architecture, sizeof(o->architecture), it, "architecture-name");
	o->free_memory = ros__num(it, "free-memory", 0);
	o->total_memory = ros__num(it, "total-memory", 0);
	o->cpu_count = (int)ros__num(it, "cpu-count", 1);
	if (!load || end == load || (*end && strcmp(end, "%") != 0) || l < 0 || l > 100)
		return false;
	o->cpu_load = (int)l;
	return up && ros_parse_duration(up, &o->uptime) &&
	       ros_parse_version(o->version, &o->major, &o->minor, &o->patch);
}

ros_err ros_prov_get_stats(ros_pool *p, ros_prov_stats *out, ros_msg *msg)
{
	ros_reply *r = NULL;
	ros__cmd c;
	ros_err err;

	memset(out, 0, sizeof(*out));
	ros__cmd_start(&c, "/system/resource/print");
	err = ros__run(p, &c, false, &r, msg);
	if (err == ROS_OK && (ros_reply_count(r) != 1 || !parse_stats(ros_reply_item(r, 0), out))) {
		ros__msg(msg, "%s sent /system/resource values this system cannot read",
			 ros_pool_host(p));
		err = ROS_ERR_PROTOCOL;
	}
	ros_reply_destroy(r);
	return err;
}

/* --- interfaces ------------------------------------------------------------------ */

static void read_iface(const ros_sentence *it, void *entry)
{
	ros_prov_iface *f = entry;

	ros__copy(f->id, sizeof(f->id), it, ".id");
	ros__copy(f->name, sizeof(f->name), it, "name");
	ros__copy(f->type, sizeof(f->type), it, "type");
	ros__copy(f->mac, sizeof(f->mac), it, "mac-address");
	f->running = ros__flag(it, "running", false);
	f->disabled = ros__flag(it, "disabled", false);
	f->rx_bytes = ros__num(it, "rx-byte", 0);
	f->tx_bytes = ros__num(it, "tx-byte", 0);
	f->rx_packets = ros__num(it, "rx-packet", 0);
	f->tx_packets = ros__num(it, "tx-packet", 0);
}

ros_err ros_prov_interfaces(ros_pool *p, ros_prov_ifaces *out, ros_msg *msg)
{
	static const ros__list_kind kind = {sizeof(ros_prov_iface), read_iface};
	ros__cmd c;

	ros__cmd_print(&c, "/interface/print",
		       ".id,name,type,mac-address,running,disabled,rx-byte,tx-byte,rx-packet,"
		       "tx-packet");
	return ros__print_list(p, &c, &kind, 0, (void **)&out->v, &out->count, msg);
}

ROS__LIST_FREE(ros_prov_ifaces)

/* Runs "<path>/<verb> =.id=id", a change to one item; a missing item is ROS_ERR_NOT_FOUND. */
static ros_err item_verb(ros_pool *p, const char *path, const char *verb, const char *id,
			 ros_msg *msg)
{
	char word[96];
	ros_reply *r = NULL;
	ros__cmd c;
	ros_err err;

	snprintf(word, sizeof(word), "%s/%s", path, verb);
	ros__cmd_start(&c, word);
	ros__cmd_attr(&c, ".id", id);
	err = ros__run(p, &c, true, &r, msg);
	if (err == ROS_ERR_TRAP && ros__trap_has(r, "no such item")) {
		ros__msg(msg, "%s has no %s item %s (already removed?)", ros_pool_host(p), path,
			 id);
		err = ROS_ERR_NOT_FOUND;
	}
	ros_reply_destroy(r);
	return err;
}

ros_err ros_prov_interface_set_enabled(ros_pool *p, const char *ref, bool enabled, ros_msg *msg)
{
	char id[24];
	ros_err err = ros__find_id(p, "/interface", "name", ref, id, msg);

	if (err == ROS_OK)
		err = item_verb(p, "/interface", enabled ? "enable" : "disable", id, msg);
	return err;
}

/* --- hotspot users ------------------------------------------------------------------ */

static void read_user(const ros_sentence *it, void *entry)
{
	ros_prov_user *u = entry;

	ros__copy(u->id, sizeof(u->id), it, ".id");
	ros__copy(u->name, sizeof(u->name), it, "name");
	ros__copy(u->profile, sizeof(u->profile), it, "profile");
	ros__copy(u->server, sizeof(u->server), it, "server");
	ros__copy(u->comment, sizeof(u->comment), it, "comment");
	u->limit_bytes_total = ros__num(it, "limit-bytes-total", 0);
	u->limit_uptime = ros__dur(it, "limit-uptime", 0);
	u->disabled = ros__flag(it, "disabled", false);
}

ros_err ros_prov_users_list(ros_pool *p, ros_prov_users *out, ros_msg *msg)
{
	static const ros__list_kind kind = {sizeof(ros_prov_user), read_user};
	ros__cmd c;

	ros__cmd_print(&c, "/ip/hotspot/user/print",
		       ".id,name,profile,server,comment,limit-bytes-total,limit-uptime,disabled");
	return ros__print_list(p, &c, &kind, 0, (void **)&out->v, &out->count, msg);
}

ROS__LIST_FREE(ros_prov_users)

ros_err ros_prov_user_create(ros_pool *p, const ros_prov_user_spec *spec, char id[24], ros_msg *msg)
{
	char num[32];
	ros_reply *r = NULL;
	ros__cmd c;
	ros_err err;

	if (!spec || !spec->name || !*spec->name) {
		ros__msg(msg, "a hotspot user needs a name");
		return ROS_ERR_INVALID;
	}
	ros__cmd_start(&c, "/ip/hotspot/user/add");
	ros__cmd_attr(&c, "name", spec->name);
	if (spec->password)
		ros__cmd_attr(&c, "password", spec->password);
	if (spec->profile && *spec->profile)
		ros__cmd_attr(&c, "profile", spec->profile);
	if (spec->limit_bytes_total) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)spec->limit_bytes_total);
		ros__cmd_attr(&c, "limit-bytes-total", num);
	}
	if (spec->limit_uptime)
		ros__cmd_attr(&c, "limit-uptime",
			      ros_format_duration(spec->limit_uptime, num, sizeof(num)));
	if (spec->comment)
		ros__cmd_attr(&c, "comment", spec->comment);
	err = ros__run(p, &c, true, &r, msg);
	if (err == ROS_OK && id) {
		const char *ret = ros_reply_ret(r, NULL);

		snprintf(id, 24, "%s", ret ? ret : "");
	}
	ros_reply_destroy(r);
	return err;
}

ros_err ros_prov_user_remove(ros_pool *p, const char *ref, ros_msg *msg)
{
	char id[24];
	ros_err err = ros__find_id(p, "/ip/hotspot/user", "name", ref, id, msg);

	if (err == ROS_OK)
		err = item_verb(p, "/ip/hotspot/user", "remove", id, msg);
	return err;
}

/* --- active sessions ----------------------------------------------------------------- */

static void read_session(const ros_sentence *it, void *entry)
{
	ros_prov_session *s = entry;

	ros__copy(s->id, sizeof(s->id), it, ".id");
	ros__copy(s->user, sizeof(s->user), it, "user");
	ros__copy(s->address, sizeof(s->address), it, "address");
	ros__copy(s->mac, sizeof(s->mac), it, "mac-address");
	ros__copy(s->server, sizeof(s->server), it, "server");
	s->uptime = ros__dur(it, "uptime", 0);
	s->bytes_in = ros__num(it, "bytes-in", 0);
	s->bytes_out = ros__num(it, "bytes-out", 0);
}

static ros_err sessions_print(ros_pool *p, const char *user, ros_prov_sessions *out, ros_msg *msg)
{
	static const ros__list_kind kind = {sizeof(ros_prov_session), read_session};
	ros__cmd c;

	ros__cmd_print(&c, "/ip/hotspot/active/print",
		       ".id,user,address,mac-address,server,uptime,bytes-in,bytes-out");
	if (user)
		ros__cmd_query(&c, "user", user);
	return ros__print_list(p, &c, &kind, 0, (void **)&out->v, &out->count, msg);
}

ros_err ros_prov_sessions_list(ros_pool *p, ros_prov_sessions *out, ros_msg *msg)
{
	return sessions_print(p, NULL, out, msg);
}

ROS__LIST_FREE(ros_prov_sessions)

ros_err ros_prov_session_kick(ros_pool *p, const char *id, ros_msg *msg)
{
	if (!id || id[0] != '*') {
		ros__msg(msg, "%s: a session is named by its .id (\"*1A\"), not \"%s\"",
			 ros_pool_host(p), id ? id : "");
		return ROS_ERR_INVALID;
	}
	return item_verb(p, "/ip/hotspot/active", "remove", id, msg);
}

ros_err ros_prov_session_kick_user(ros_pool *p, const char *user, size_t *kicked, ros_msg *msg)
{
	ros_prov_sessions s = {0};
	ros_err err;
	size_t i, n = 0;

	if (!user || !*user) {
		ros__msg(msg, "%s: no user given to kick", ros_pool_host(p));
		return ROS_ERR_INVALID;
	}
	err = sessions_print(p, user, &s, msg);
	if (err == ROS_OK && s.count == 0) {
		ros__msg(msg, "%s has no active session of user \"%s\"", ros_pool_host(p), user);
		err = ROS_ERR_NOT_FOUND;
	}
	for (i = 0; err == ROS_OK && i < s.count; i++) {
		err = item_verb(p, "/ip/hotspot/active", "remove", s.v[i].id, msg);
		/* A session that ended between print and remove is as good as kicked. */
		if (err == ROS_ERR_NOT_FOUND)
			err = ROS_OK;
		n += err == ROS_OK;
	}
	ros_prov_sessions_free(&s);
	if (kicked)
		*kicked = n;
	return err;
}

/* --- logs ------------------------------------------------------------------------------ */

static void read_log(const ros_sentence *it, void *entry)
{
	ros_prov_log_entry *e = entry;

	ros__copy(e->id, sizeof(e->id), it, ".id");
	ros__copy(e->time, sizeof(e->time), it, "time");
	ros__copy(e->topics, sizeof(e->topics), it, "topics");
	ros__copy(e->message, sizeof(e->message), it, "message");
}

ros_err ros_prov_logs(ros_pool *p, size_t n, ros_prov_log *out, ros_msg *msg)
{
	static const ros__list_kind kind = {sizeof(ros_prov_log_entry), read_log};
	ros__cmd c;

	ros__cmd_print(&c, "/log/print", ".id,time,topics,message");
	return ros__print_list(p, &c, &kind, n, (void **)&out->v, &out->count, msg);
}

ROS__LIST_FREE(ros_prov_log)
