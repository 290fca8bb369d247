/*
 * The RouterOS client against the simulator (or a plain socket), one case
 * per run, for tests/integration/ros_sim.sh:
 *
 *   ros-client-test CASE PORT [key=value ...]
 *
 * keys: tls=verify|anon, ca=FILE, name=CERTNAME, user=, pass=, style=plain|challenge,
 * v=6|7 (the simulator's version), io=MS, connect=MS, expect=ERRNAME,
 * max_reply=BYTES, max_word=BYTES.  Exits 0 when the case holds; says why
 * on stderr otherwise.
 */
#include "routeros/routeros.h"
#include "tests/integration/ros_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct args {
	ros_options opt;
	const char *style;
	const char *expect;
	int version;
};

#define CHECK_ERR(got, want, c)                                                                    \
	CHECK((got) == (want), "got %s, want %s (%s)", ros_err_name(got), ros_err_name(want),      \
	      ros_conn_errmsg(c))

static ros_conn *open_conn(const struct args *a)
{
	ros_conn *c = ros_conn_create(&a->opt);
	ros_err err;

	if (!c)
		return NULL;
	err = ros_conn_open(c);
	if (err != ROS_OK) {
		fprintf(stderr, "open: %s: %s\n", ros_err_name(err), ros_conn_errmsg(c));
		ros_conn_destroy(c);
		return NULL;
	}
	return c;
}

/* --- cases ------------------------------------------------------------- */

static int case_login(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_reply *r = NULL;
	ros_login_style want = strcmp(a->style ? a->style : "plain", "challenge") == 0
				       ? ROS_LOGIN_CHALLENGE
				       : ROS_LOGIN_PLAIN;
	int rc = 1;

	CHECK(c, "cannot open");
	CHECK(ros_conn_login_style(c) == want, "login style %d", ros_conn_login_style(c));
	CHECK_ERR(ROS_CALL(c, &r, "/system/identity/print"), ROS_OK, c);
	CHECK(ros_reply_count(r) == 1 && rt_item_attr(r, 0, "name"), "identity");
	rc = 0;
fail:
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

static int case_resource(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_reply *r = NULL;
	const char *v;
	int rc = 1;

	CHECK(c, "cannot open");
	CHECK_ERR(ROS_CALL(c, &r, "/system/resource/print"), ROS_OK, c);
	CHECK(ros_reply_count(r) == 1, "%zu items", ros_reply_count(r));
	v = rt_item_attr(r, 0, "version");
	CHECK(v && v[0] == (a->version == 6 ? '6' : '7'), "version %s", v ? v : "(none)");
	CHECK(rt_item_attr(r, 0, "uptime") && rt_item_attr(r, 0, "board-name"), "uptime, board");
	rc = 0;
fail:
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

/* A print with no match: !empty on RouterOS 7, nothing on 6; never an item. */
static int case_empty(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_reply *r = NULL;
	int rc = 1;

	CHECK(c, "cannot open");
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/print", "?name=nobody"), ROS_OK, c);
	CHECK(ros_reply_count(r) == 0, "%zu items", ros_reply_count(r));
	CHECK(ros_reply_empty(r) == (a->version != 6), "empty flag %d", ros_reply_empty(r));
	rc = 0;
fail:
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

/* add answers !done =ret=*ID; the item prints; remove deletes it. */
static int case_users(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_reply *r = NULL;
	char id[32], ref[40];
	int rc = 1;

	CHECK(c, "cannot open");
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/add", "=name=V-1001", "=password=p w\"x",
			   "=limit-bytes-total=1073741824"),
		  ROS_OK, c);
	CHECK(ros_reply_ret(r, NULL) && ros_reply_ret(r, NULL)[0] == '*', "ret");
	snprintf(id, sizeof(id), "%s", ros_reply_ret(r, NULL));
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/print", "?name=V-1001"), ROS_OK, c);
	CHECK(ros_reply_count(r) == 1, "%zu items", ros_reply_count(r));
	CHECK(strcmp(rt_item_attr(r, 0, ".id"), id) == 0, "id");
	CHECK(strcmp(rt_item_attr(r, 0, "password"), "p w\"x") == 0, "password kept byte for byte");
	ros_reply_destroy(r);
	r = NULL;
	snprintf(ref, sizeof(ref), "=.id=%s", id);
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/remove", ref), ROS_OK, c);
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/print", "?name=V-1001"), ROS_OK, c);
	CHECK(ros_reply_count(r) == 0, "removed");
	rc = 0;
fail:
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

/* Several !trap before one !done; the connection stays usable. */
static int case_traps(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_reply *r = NULL;
	int rc = 1;

	CHECK(c, "cannot open");
	CHECK_ERR(ROS_CALL(c, &r, "/radius/remove", "=numbers=*FFF0,*FFF1"), ROS_ERR_TRAP, c);
	CHECK(ros_reply_trap_count(r) == 2, "%zu traps", ros_reply_trap_count(r));
	CHECK(strstr(ros_reply_trap_message(r, 1), "*FFF1"), "%s", ros_reply_trap_message(r, 1));
	CHECK(strstr(ros_conn_errmsg(c), "no such item"), "%s", ros_conn_errmsg(c));
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/no/such/menu/print"), ROS_ERR_TRAP, c);
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/radius/add", "=service=hotspot", "=address=127.0.0.1",
			   "=secret=s3cret", "=bogus=1"),
		  ROS_ERR_TRAP, c);
	CHECK(strstr(ros_reply_trap_message(r, 0), "unknown parameter bogus"), "%s",
	      ros_reply_trap_message(r, 0));
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/system/identity/print"), ROS_OK, c);
	rc = 0;
fail:
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

/* Three commands in flight, collected in another order than sent. */
static int case_tags(const struct args *a)
{
	static const char *const words[] = {"/system/resource/print", "/interface/print",
					    "/system/identity/print"};
	ros_conn *c = open_conn(a);
	ros_sentence *cmd[3] = {0};
	ros_reply *r[3] = {0}, *again = NULL;
	uint32_t tag[3];
	int i, rc = 1;

	CHECK(c, "cannot open");
	for (i = 0; i < 3; i++) {
		cmd[i] = ros_sentence_create();
		CHECK(cmd[i] && ros_sentence_add_str(cmd[i], words[i]) == ROS_OK, "build");
		CHECK_ERR(ros_send(c, cmd[i], &tag[i]), ROS_OK, c);
	}
	CHECK(tag[0] != tag[1] && tag[1] != tag[2] && tag[0] != tag[2], "distinct tags");
	for (i = 2; i >= 0; i--)
		CHECK_ERR(ros_wait(c, tag[i], &r[i]), ROS_OK, c);
	CHECK(rt_item_attr(r[0], 0, "version"), "resource answer");
	CHECK(ros_reply_count(r[1]) == 5 && rt_item_attr(r[1], 0, "rx-byte"), "interfaces");
	CHECK(rt_item_attr(r[2], 0, "name"), "identity answer");
	/* A tag already collected is no longer in flight. */
	CHECK_ERR(ros_wait(c, tag[0], &again), ROS_ERR_INVALID, c);
	CHECK(again == NULL, "no reply for an unknown tag");
	rc = 0;
fail:
	for (i = 0; i < 3; i++) {
		ros_sentence_destroy(cmd[i]);
		ros_reply_destroy(r[i]);
	}
	ros_conn_destroy(c);
	return rc;
}

/* A streaming command, cancelled: it ends with the interrupted trap. */
static int case_cancel(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_sentence *cmd = ros_sentence_create();
	ros_reply *r = NULL, *other = NULL;
	uint32_t tag;
	int rc = 1;

	CHECK(c && cmd, "cannot open");
	CHECK(ros_sentence_add_str(cmd, "/interface/monitor-traffic") == ROS_OK &&
		      ros_sentence_add_attr_str(cmd, "interface", "ether1") == ROS_OK,
	      "build");
	CHECK_ERR(ros_send(c, cmd, &tag), ROS_OK, c);
	/* Another command meanwhile: the stream's items go to their own reply. */
	CHECK_ERR(ROS_CALL(c, &other, "/system/identity/print"), ROS_OK, c);
	usleep(500 * 1000);
	CHECK_ERR(ros_cancel(c, tag), ROS_OK, c);
	CHECK_ERR(ros_wait(c, tag, &r), ROS_ERR_INTERRUPTED, c);
	CHECK(ros_reply_count(r) >= 1, "%zu items before cancel", ros_reply_count(r));
	CHECK(rt_item_attr(r, 0, "rx-bits-per-second"), "traffic item");
	CHECK(ros_reply_trap_category(r, 0) == 2, "category %d", ros_reply_trap_category(r, 0));
	rc = 0;
fail:
	ros_sentence_destroy(cmd);
	ros_reply_destroy(r);
	ros_reply_destroy(other);
	ros_conn_destroy(c);
	return rc;
}

static char *text_of(size_t len, int lines)
{
	char *t = malloc(len + 1);
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < len; i++)
		t[i] = (char)(lines && i % 60 == 59 ? '\n' : 'a' + (int)(i % 26));
	t[len] = '\0';
	return t;
}

/* Multi-line file contents round trip; past RouterOS's limit they are refused. */
static int case_files(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_sentence *cmd = ros_sentence_create();
	ros_reply *r = NULL;
	char *text = text_of(4000, 1), *big = text_of(5000, 0);
	const char *got;
	size_t len = 0;
	int rc = 1;

	CHECK(c && cmd && text && big, "set-up");
	CHECK(ros_sentence_add_str(cmd, "/file/add") == ROS_OK &&
		      ros_sentence_add_attr_str(cmd, "name", "notes.txt") == ROS_OK &&
		      ros_sentence_add_attr_str(cmd, "contents", text) == ROS_OK,
	      "build");
	CHECK_ERR(ros_call(c, cmd, &r), ROS_OK, c);
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/file/print", "?name=notes.txt"), ROS_OK, c);
	got = ros_sentence_attr(ros_reply_item(r, 0), "contents", &len);
	CHECK(got && len == 4000 && memcmp(got, text, len) == 0, "contents differ");
	ros_reply_destroy(r);
	r = NULL;
	ros_sentence_destroy(cmd);
	cmd = ros_sentence_create();
	CHECK(cmd && ros_sentence_add_str(cmd, "/file/add") == ROS_OK &&
		      ros_sentence_add_attr_str(cmd, "name", "big.txt") == ROS_OK &&
		      ros_sentence_add_attr_str(cmd, "contents", big) == ROS_OK,
	      "build");
	CHECK_ERR(ros_call(c, cmd, &r), ROS_ERR_TRAP, c);
	CHECK(strstr(ros_reply_trap_message(r, 0), "too long"), "%s", ros_reply_trap_message(r, 0));
	rc = 0;
fail:
	free(text);
	free(big);
	ros_sentence_destroy(cmd);
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

/* /export file= then /import restores what was removed. */
static int case_export_import(const struct args *a)
{
	ros_conn *c = open_conn(a);
	ros_reply *r = NULL;
	const char *txt;
	int rc = 1;

	CHECK(c, "cannot open");
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/profile/add", "=name=1GB-DAILY",
			   "=rate-limit=2M/4M", "=session-timeout=1d", "=shared-users=2"),
		  ROS_OK, c);
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/export", "=file=cfg"), ROS_OK, c);
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/file/print", "?name=cfg.rsc"), ROS_OK, c);
	txt = rt_item_attr(r, 0, "contents");
	CHECK(txt && strstr(txt, "\n/ip hotspot user profile\n") &&
		      strstr(txt, "add name=1GB-DAILY rate-limit=2M/4M"),
	      "export text: %s", txt ? txt : "(none)");
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/profile/remove", "=numbers=1GB-DAILY"), ROS_OK,
		  c);
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/import", "=file-name=cfg.rsc"), ROS_OK, c);
	ros_reply_destroy(r);
	r = NULL;
	CHECK_ERR(ROS_CALL(c, &r, "/ip/hotspot/user/profile/print", "?name=1GB-DAILY"), ROS_OK, c);
	CHECK(ros_reply_count(r) == 1 && strcmp(rt_item_attr(r, 0, "shared-users"), "2") == 0,
	      "profile restored");
	rc = 0;
fail:
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

/* Opens (or, with op=add, opens and writes) and expects the error named by expect=. */
static int case_expect(const struct args *a, bool write)
{
	ros_conn *c = ros_conn_create(&a->opt);
	ros_reply *r = NULL;
	ros_err want = rt_err_by_name(a->expect), err;
	int rc = 1;

	CHECK(c && want != ROS_ERR__COUNT, "give expect=ERRNAME");
	err = ros_conn_open(c);
	if (err == ROS_OK)
		err = write ? ROS_CALL(c, &r, "/ip/hotspot/user/add", "=name=x")
			    : ROS_CALL(c, &r, "/log/print");
	fprintf(stderr, "%s: %s\n", ros_err_name(err), ros_conn_errmsg(c));
	CHECK_ERR(err, want, c);
	CHECK(*ros_conn_errmsg(c), "a message for people");
	if (err == ROS_ERR_TOO_LARGE && ros_conn_is_open(c)) {
		/* The reply was drained: the connection serves the next command. */
		ros_reply_destroy(r);
		r = NULL;
		CHECK_ERR(ROS_CALL(c, &r, "/system/identity/print"), ROS_OK, c);
	}
	if (err == ROS_ERR_FATAL || err == ROS_ERR_CLOSED)
		CHECK(!ros_conn_is_open(c), "closed after %s", ros_err_name(err));
	rc = 0;
fail:
	ros_reply_destroy(r);
	ros_conn_destroy(c);
	return rc;
}

static int case_open_expect(const struct args *a)
{
	return case_expect(a, false);
}

static int case_write_expect(const struct args *a)
{
	return case_expect(a, true);
}

/*
 * A listener that never accepts, its queue filled: further SYNs are
 * dropped, so the connect times out, on loopback.
 */
static int case_connect_timeout(const struct args *a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[8], i, rc = 1;
	struct args b = *a;
	ros_conn *c = NULL;
	char port[8];

	for (i = 0; i < 8; i++)
		fill[i] = -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		      listen(lfd, 0) == 0 && getsockname(lfd, (struct sockaddr *)&sin, &sl) == 0,
	      "listener");
	for (i = 0; i < 8; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(100 * 1000);
	b.opt.port = ntohs(sin.sin_port);
	b.opt.connect_timeout_ms = 400;
	snprintf(port, sizeof(port), "%u", (unsigned)b.opt.port);
	c = ros_conn_create(&b.opt);
	CHECK(c, "create");
	CHECK_ERR(ros_conn_connect(c), ROS_ERR_CONNECT_TIMEOUT, c);
	fprintf(stderr, "%s\n", ros_conn_errmsg(c));
	CHECK(strstr(ros_conn_errmsg(c), "400 ms"), "message names the timeout");
	rc = 0;
fail:
	for (i = 0; i < 8; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	if (lfd >= 0)
		close(lfd);
	ros_conn_destroy(c);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(const struct args *);
} cases[] = {
	{"login", case_login},
	{"resource", case_resource},
	{"empty", case_empty},
	{"users", case_users},
	{"traps", case_traps},
	{"tags", case_tags},
	{"cancel", case_cancel},
	{"files", case_files},
	{"export-import", case_export_import},
	{"open-expect", case_open_expect},
	{"write-expect", case_write_expect},
	{"connect-timeout", case_connect_timeout},
};

static int parse(int argc, char **argv, struct args *a)
{
	int i;

	a->opt.host = "127.0.0.1";
	a->opt.username = "admin";
	a->opt.password = "admin";
	a->opt.io_timeout_ms = 5000;
	a->opt.connect_timeout_ms = 3000;
	a->version = 7;
	a->opt.port = (uint16_t)atoi(argv[2]);
	for (i = 3; i < argc; i++) {
		char *k = argv[i], *v = strchr(k, '=');

		if (!v)
			return -1;
		*v++ = '\0';
		if (strcmp(k, "tls") == 0)
			a->opt.tls = strcmp(v, "anon") == 0 ? ROS_TLS_ANON : ROS_TLS_VERIFY;
		else if (strcmp(k, "ca") == 0)
			a->opt.tls_ca_file = v;
		else if (strcmp(k, "name") == 0)
			a->opt.tls_name = v;
		else if (strcmp(k, "user") == 0)
			a->opt.username = v;
		else if (strcmp(k, "pass") == 0)
			a->opt.password = v;
		else if (strcmp(k, "style") == 0)
			a->style = v;
		else if (strcmp(k, "v") == 0)
			a->version = atoi(v);
		else if (strcmp(k, "io") == 0)
			a->opt.io_timeout_ms = atoi(v);
		else if (strcmp(k, "connect") == 0)
			a->opt.connect_timeout_ms = atoi(v);
		else if (strcmp(k, "expect") == 0)
			a->expect = v;
		else if (strcmp(k, "max_reply") == 0)
			a->opt.limits.max_reply = (size_t)atol(v);
		else if (strcmp(k, "max_word") == 0)
			a->opt.limits.max_word = (uint32_t)atol(v);
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	size_t i;

	if (argc < 3 || parse(argc, argv, &a) < 0) {
		fprintf(stderr, "usage: ros-client-test CASE PORT [key=value ...]\n");
		return 2;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(argv[1], cases[i].name) == 0)
			return cases[i].fn(&a);
	fprintf(stderr, "no case named %s\n", argv[1]);
	return 2;
}
