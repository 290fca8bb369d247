/*
 * The provisioner against the router simulator over TCP on loopback, one
 * case per run, for tests/integration/ros_prov.sh:
 *
 *   ros-prov-test CASE PORT [key=value ...]
 *
 * keys: v=6|7 (the simulator's version), user=, pass=, io=MS, expect=ERRNAME,
 * step=N (the test-connection step that must fail), retries=N, rate=N,
 * burst=N, wait=MS, idle=MS, port2=PORT (a second simulator), max=BYTES (the
 * simulator's file contents limit).  Exits 0 when the case holds; says why
 * on stderr otherwise.
 */
#include "routeros/provision.h"
#include "tests/integration/ros_test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct args {
	ros_pool_config cfg;
	const char *expect;
	int version;
	int step;
	uint16_t port2;
	size_t max;
};

#define CHECK_ERR(got, want)                                                                       \
	CHECK((got) == (want), "got %s, want %s (%s)", ros_err_name(got), ros_err_name(want),      \
	      msg.text)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ros_pool *pool_on(const struct args *a, uint16_t port)
{
	ros_pool_config cfg = a->cfg;

	cfg.conn.port = port;
	return ros_pool_create(&cfg);
}

/* A command through the pool, for checks of the router's state. */
static ros_reply *print(ros_pool *p, const char *cmd, const char *query)
{
	ros_sentence *s = ros_sentence_create();
	ros_reply *r = NULL;
	ros_msg msg;

	if (s && ros_sentence_add_str(s, cmd) == ROS_OK &&
	    (!query || ros_sentence_add_str(s, query) == ROS_OK) &&
	    ros_pool_call(p, s, false, &r, &msg) != ROS_OK) {
		fprintf(stderr, "%s: %s\n", cmd, msg.text);
		ros_reply_destroy(r);
		r = NULL;
	}
	ros_sentence_destroy(s);
	return r;
}

/* --- test-connection ------------------------------------------------------------- */

/* The steps of a test-connection, one line each, for the log of the case. */
static void print_steps(const ros_prov_check *ck)
{
	int i;

	for (i = 0; i < ROS_STEP__COUNT; i++)
		fprintf(stderr, "  %-22s %d %-10s %4d ms  %s\n", ros_step_name((ros_step)i),
			ck->steps[i].status, ros_err_name(ck->steps[i].err), ck->steps[i].ms,
			ck->steps[i].message);
}

static int case_check(ros_pool *p, const struct args *a)
{
	ros_prov_check ck;
	ros_msg msg = {{0}};
	ros_err err = ros_prov_test_connection(p, &ck, &msg);
	int i, rc = 1;

	print_steps(&ck);
	CHECK_ERR(err, ROS_OK);
	for (i = 0; i < ROS_STEP__COUNT; i++)
		CHECK(ck.steps[i].status == ROS_STEP_OK && ck.steps[i].message[0], "step %d", i);
	CHECK(ck.major == a->version, "version %s", ck.version);
	CHECK(strcmp(ck.identity, "MikroTik") == 0, "identity %s", ck.identity);
	CHECK(strstr(ck.board, "hAP"), "board %s", ck.board);
	CHECK(ck.login == (a->version == 6 ? ROS_LOGIN_CHALLENGE : ROS_LOGIN_PLAIN), "login %d",
	      ck.login);
	rc = 0;
fail:
	return rc;
}

/* The step given by step= fails with expect=, the ones before pass, the rest are skipped. */
static int case_check_fail(ros_pool *p, const struct args *a)
{
	ros_prov_check ck;
	ros_msg msg = {{0}};
	ros_err want = rt_err_by_name(a->expect), err;
	int i, rc = 1;

	err = ros_prov_test_connection(p, &ck, &msg);
	print_steps(&ck);
	CHECK_ERR(err, want);
	for (i = 0; i < ROS_STEP__COUNT; i++) {
		ros_step_status st = i < a->step    ? ROS_STEP_OK
				     : i == a->step ? ROS_STEP_FAILED
						    : ROS_STEP_SKIPPED;

		CHECK(ck.steps[i].status == st, "step %d status %d, want %d", i, ck.steps[i].status,
		      st);
	}
	CHECK(ck.steps[a->step].err == want && ck.steps[a->step].message[0], "failed step");
	CHECK(strstr(msg.text, ros_step_name((ros_step)a->step)), "message names the step: %s",
	      msg.text);
	rc = 0;
fail:
	return rc;
}

/* A pool call fails with expect= (faults through the pool: retries included). */
static int case_expect(ros_pool *p, const struct args *a)
{
	ros_prov_stats st;
	ros_msg msg = {{0}};
	ros_err want = rt_err_by_name(a->expect), err;
	int rc = 1;

	err = ros_prov_get_stats(p, &st, &msg);
	fprintf(stderr, "%s: %s\n", ros_err_name(err), msg.text);
	CHECK_ERR(err, want);
	CHECK(msg.text[0] && strstr(msg.text, "127.0.0.1"), "message names the router");
	rc = 0;
fail:
	return rc;
}

/* --- statistics, interfaces, logs --------------------------------------------------- */

static int case_stats(ros_pool *p, const struct args *a)
{
	ros_prov_stats st;
	ros_msg msg = {{0}};
	int rc = 1;

	CHECK_ERR(ros_prov_get_stats(p, &st, &msg), ROS_OK);
	CHECK(st.major == a->version, "version %s", st.version);
	CHECK(st.total_memory == 134217728 && st.free_memory > 0 &&
		      st.free_memory < st.total_memory,
	      "memory %llu/%llu", (unsigned long long)st.free_memory,
	      (unsigned long long)st.total_memory);
	CHECK(st.cpu_load >= 0 && st.cpu_load <= 100 && st.cpu_count == 4, "cpu %d", st.cpu_load);
	CHECK(strstr(st.board, "hAP") && strcmp(st.architecture, "arm") == 0, "board %s", st.board);
	CHECK(st.uptime < 3600, "uptime %llu", (unsigned long long)st.uptime);
	rc = 0;
fail:
	return rc;
}

static const ros_prov_iface *iface(const ros_prov_ifaces *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static int case_interfaces(ros_pool *p, const struct args *a)
{
	ros_prov_ifaces l = {0}, l2 = {0};
	const ros_prov_iface *e;
	ros_msg msg = {{0}};
	uint64_t rx1;
	int rc = 1;

	(void)a;
	CHECK_ERR(ros_prov_interfaces(p, &l, &msg), ROS_OK);
	CHECK(l.count == 5, "%zu interfaces", l.count);
	e = iface(&l, "ether1");
	CHECK(e && e->running && !e->disabled && e->rx_bytes > 0 && e->tx_bytes > 0 &&
		      e->id[0] == '*' && strcmp(e->type, "ether") == 0,
	      "ether1");
	rx1 = e->rx_bytes;
	CHECK_ERR(ros_prov_interface_set_enabled(p, "ether2", false, &msg), ROS_OK);
	sleep(1); /* the simulator's counters move once a second */
	CHECK_ERR(ros_prov_interfaces(p, &l2, &msg), ROS_OK);
	e = iface(&l2, "ether2");
	CHECK(e && e->disabled && !e->running, "ether2 disabled");
	CHECK(iface(&l2, "ether1")->rx_bytes > rx1, "traffic grows");
	CHECK_ERR(ros_prov_interface_set_enabled(p, e->id, true, &msg), ROS_OK);
	ros_prov_ifaces_free(&l2);
	CHECK_ERR(ros_prov_interfaces(p, &l2, &msg), ROS_OK);
	e = iface(&l2, "ether2");
	CHECK(e && !e->disabled && e->running, "ether2 enabled by .id");
	CHECK_ERR(ros_prov_interface_set_enabled(p, "ether9", true, &msg), ROS_ERR_NOT_FOUND);
	CHECK(strstr(msg.text, "ether9"), "message names it: %s", msg.text);
	CHECK_ERR(ros_prov_interface_set_enabled(p, "*FFFF", true, &msg), ROS_ERR_NOT_FOUND);
	rc = 0;
fail:
	ros_prov_ifaces_free(&l);
	ros_prov_ifaces_free(&l2);
	return rc;
}

static int case_logs(ros_pool *p, const struct args *a)
{
	ros_prov_log all = {0}, last = {0};
	ros_msg msg = {{0}};
	int rc = 1;

	(void)a;
	CHECK_ERR(ros_prov_logs(p, 0, &all, &msg), ROS_OK);
	CHECK(all.count >= 2, "%zu entries", all.count);
	CHECK(strstr(all.v[0].message, "simulator started"), "first: %s", all.v[0].message);
	CHECK(all.v[0].time[0] && all.v[0].topics[0] && all.v[0].id[0] == '*', "fields");
	CHECK_ERR(ros_prov_logs(p, 1, &last, &msg), ROS_OK);
	CHECK(last.count == 1, "%zu entries", last.count);
	/* The newest entry: our own login. */
	CHECK(strstr(last.v[0].message, "logged in"), "last: %s", last.v[0].message);
	CHECK(strstr(last.v[0].topics, "account"), "topics %s", last.v[0].topics);
	rc = 0;
fail:
	ros_prov_log_free(&all);
	ros_prov_log_free(&last);
	return rc;
}

/* --- users and sessions -------------------------------------------------------------------- */

static const ros_prov_user *user_named(const ros_prov_users *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static int case_users(ros_pool *p, const struct args *a)
{
	ros_prov_user_spec spec = {.name = "V-7Q2K",
				   .password = "pin 42",
				   .profile = "default",
				   .limit_bytes_total = 1073741824,
				   .limit_uptime = 5400,
				   .comment = "batch 3"};
	ros_prov_users l = {0};
	const ros_prov_user *u;
	ros_msg msg = {{0}};
	char id[24] = "";
	int rc = 1;

	(void)a;
	CHECK_ERR(ros_prov_user_create(p, &spec, id, &msg), ROS_OK);
	CHECK(id[0] == '*', "id %s", id);
	CHECK_ERR(ros_prov_user_create(p, &spec, NULL, &msg), ROS_ERR_TRAP);
	CHECK(strstr(msg.text, "already"), "duplicate: %s", msg.text);
	spec.name = "V-8R3L";
	spec.limit_bytes_total = 0;
	spec.limit_uptime = 0;
	CHECK_ERR(ros_prov_user_create(p, &spec, NULL, &msg), ROS_OK);
	CHECK_ERR(ros_prov_users_list(p, &l, &msg), ROS_OK);
	u = user_named(&l, "V-7Q2K");
	CHECK(u && strcmp(u->id, id) == 0 && u->limit_bytes_total == 1073741824 &&
		      u->limit_uptime == 5400 && strcmp(u->comment, "batch 3") == 0 &&
		      strcmp(u->profile, "default") == 0 && !u->disabled,
	      "user as created");
	u = user_named(&l, "V-8R3L");
	CHECK(u && u->limit_bytes_total == 0 && u->limit_uptime == 0, "no limits");
	CHECK_ERR(ros_prov_user_remove(p, "V-7Q2K", &msg), ROS_OK);
	CHECK_ERR(ros_prov_user_remove(p, "V-7Q2K", &msg), ROS_ERR_NOT_FOUND);
	CHECK_ERR(ros_prov_user_remove(p, id, &msg), ROS_ERR_NOT_FOUND);
	ros_prov_users_free(&l);
	CHECK_ERR(ros_prov_users_list(p, &l, &msg), ROS_OK);
	CHECK(!user_named(&l, "V-7Q2K") && user_named(&l, "V-8R3L"), "removed");
	spec.name = "";
	CHECK_ERR(ros_prov_user_create(p, &spec, NULL, &msg), ROS_ERR_INVALID);
	rc = 0;
fail:
	ros_prov_users_free(&l);
	return rc;
}

static int case_sessions(ros_pool *p, const struct args *a)
{
	ros_prov_sessions l = {0};
	ros_msg msg = {{0}};
	char id[24];
	size_t n = 0;
	int rc = 1;

	(void)a;
	CHECK_ERR(ros_prov_sessions_list(p, &l, &msg), ROS_OK);
	CHECK(l.count == 2, "%zu sessions", l.count);
	CHECK(strcmp(l.v[0].user, "voucher-a1") == 0 && strcmp(l.v[0].address, "10.5.50.10") == 0 &&
		      strcmp(l.v[0].mac, "02:00:00:00:00:10") == 0 && l.v[0].bytes_out > 0 &&
		      l.v[0].uptime > 0,
	      "first session");
	snprintf(id, sizeof(id), "%s", l.v[0].id);
	CHECK_ERR(ros_prov_session_kick(p, id, &msg), ROS_OK);
	CHECK_ERR(ros_prov_session_kick(p, id, &msg), ROS_ERR_NOT_FOUND);
	CHECK_ERR(ros_prov_session_kick(p, "voucher-b2", &msg), ROS_ERR_INVALID);
	CHECK_ERR(ros_prov_session_kick_user(p, "voucher-b2", &n, &msg), ROS_OK);
	CHECK(n == 1, "kicked %zu", n);
	CHECK_ERR(ros_prov_session_kick_user(p, "voucher-b2", &n, &msg), ROS_ERR_NOT_FOUND);
	CHECK(strstr(msg.text, "voucher-b2"), "message: %s", msg.text);
	ros_prov_sessions_free(&l);
	CHECK_ERR(ros_prov_sessions_list(p, &l, &msg), ROS_OK);
	CHECK(l.count == 0, "%zu left", l.count);
	rc = 0;
fail:
	ros_prov_sessions_free(&l);
	return rc;
}

/* --- profile sync and RADIUS ------------------------------------------------------------------ */

static int sync_expect(ros_pool *p, ros_prov_profile *v, size_t n, const ros_sync_action *want)
{
	ros_prov_sync res[4];
	ros_msg msg = {{0}};
	ros_err err = ros_prov_sync_profiles(p, v, n, res, &msg);
	size_t i;
	int rc = 1;

	for (i = 0; i < n; i++) {
		CHECK(res[i].action == want[i], "profile %zu: %s, want %s (%s)", i,
		      ros_sync_action_name(res[i].action), ros_sync_action_name(want[i]),
		      res[i].message);
		if (want[i] == ROS_SYNC_FAILED)
			CHECK(err != ROS_OK && res[i].err != ROS_OK, "failure reported");
	}
	rc = 0;
fail:
	return rc;
}

static int case_profiles(ros_pool *p, const struct args *a)
{
	ros_prov_profile v[3] = {
		{"default", "1M/2M", 0, 1},
		{"1-hour", "2M/4M", 3600, 1},
		{"day-pass", NULL, 86400, 0},
	};
	static const ros_sync_action first[] = {ROS_SYNC_UPDATED, ROS_SYNC_CREATED,
						ROS_SYNC_CREATED},
				     again[] = {ROS_SYNC_UNCHANGED, ROS_SYNC_UNCHANGED,
						ROS_SYNC_UNCHANGED},
				     one[] = {ROS_SYNC_UNCHANGED, ROS_SYNC_UPDATED,
					      ROS_SYNC_UNCHANGED},
				     bad[] = {ROS_SYNC_FAILED, ROS_SYNC_UNCHANGED};
	ros_prov_profile nameless[2] = {{NULL, NULL, 0, 1}, {"default", "1M/2M", 0, 1}};
	ros_reply *r = NULL;
	int rc = 1;

	(void)a;
	CHECK(sync_expect(p, v, 3, first) == 0, "first sync");
	CHECK(sync_expect(p, v, 3, again) == 0, "second sync changes nothing");
	v[1].shared_users = 3;
	CHECK(sync_expect(p, v, 3, one) == 0, "only the changed profile");
	CHECK(sync_expect(p, nameless, 2, bad) == 0, "a nameless profile fails alone");
	r = print(p, "/ip/hotspot/user/profile/print", "?name=1-hour");
	CHECK(r && ros_reply_count(r) == 1, "1-hour on the router");
	CHECK(strcmp(rt_item_attr(r, 0, "rate-limit"), "2M/4M") == 0 &&
		      strcmp(rt_item_attr(r, 0, "session-timeout"), "1h") == 0 &&
		      strcmp(rt_item_attr(r, 0, "shared-users"), "3") == 0,
	      "values on the router");
	ros_reply_destroy(r);
	r = print(p, "/ip/hotspot/user/profile/print", "?name=day-pass");
	CHECK(r && ros_reply_count(r) == 1 &&
		      strcmp(rt_item_attr(r, 0, "shared-users"), "unlimited") == 0,
	      "day-pass: unlimited users");
	rc = 0;
fail:
	ros_reply_destroy(r);
	return rc;
}

static int radius_expect(ros_pool *p, const ros_prov_radius_spec *s, ros_sync_action radius,
			 ros_sync_action incoming, size_t updated, size_t added)
{
	ros_prov_radius_result res;
	ros_msg msg = {{0}};
	int rc = 1;

	CHECK_ERR(ros_prov_setup_radius(p, s, &res, &msg), ROS_OK);
	CHECK(res.radius == radius && res.incoming == incoming && res.profiles_updated == updated &&
		      res.walled_added == added,
	      "radius %s incoming %s profiles %zu/%zu walled %zu/%zu",
	      ros_sync_action_name(res.radius), ros_sync_action_name(res.incoming),
	      res.profiles_updated, res.profiles_unchanged, res.walled_added, res.walled_present);
	rc = 0;
fail:
	return rc;
}

static int case_radius(ros_pool *p, const struct args *a)
{
	static const char *const garden[] = {"pay.example.net", "cdn.example.net"};
	static const char *const missing[] = {"nosuch"};
	ros_prov_radius_spec s = {.address = "192.0.2.10",
				  .secret = "s3cret",
				  .walled_garden = garden,
				  .n_walled_garden = 2};
	ros_prov_radius_result res;
	const ros_sentence *it;
	ros_reply *r = NULL;
	ros_msg msg = {{0}};
	int rc = 1;

	(void)a;
	CHECK(radius_expect(p, &s, ROS_SYNC_CREATED, ROS_SYNC_UPDATED, 1, 2) == 0, "first");
	CHECK(radius_expect(p, &s, ROS_SYNC_UNCHANGED, ROS_SYNC_UNCHANGED, 0, 0) == 0, "again");
	s.secret = "n3w-secret";
	CHECK(radius_expect(p, &s, ROS_SYNC_UPDATED, ROS_SYNC_UNCHANGED, 0, 0) == 0, "new secret");
	r = print(p, "/radius/print", NULL);
	CHECK(r && ros_reply_count(r) == 1, "one /radius entry");
	it = ros_reply_item(r, 0);
	CHECK(strcmp(ros_sentence_attr(it, "service", NULL), "hotspot") == 0 &&
		      strcmp(ros_sentence_attr(it, "secret", NULL), "n3w-secret") == 0,
	      "entry");
	ros_reply_destroy(r);
	r = print(p, "/radius/incoming/print", NULL);
	CHECK(r && strcmp(rt_item_attr(r, 0, "accept"), "yes") == 0, "incoming accept");
	ros_reply_destroy(r);
	r = print(p, "/ip/hotspot/profile/print", "?name=hsprof1");
	CHECK(r && strcmp(rt_item_attr(r, 0, "use-radius"), "yes") == 0,
	      "hotspot profile uses RADIUS");
	s.hotspot_profiles = missing;
	s.n_hotspot_profiles = 1;
	CHECK_ERR(ros_prov_setup_radius(p, &s, &res, &msg), ROS_ERR_NOT_FOUND);
	CHECK(strstr(msg.text, "nosuch"), "names the profile: %s", msg.text);
	s.secret = NULL;
	CHECK_ERR(ros_prov_setup_radius(p, &s, &res, &msg), ROS_ERR_INVALID);
	rc = 0;
fail:
	ros_reply_destroy(r);
	return rc;
}

/* --- files, export, backup, restore --------------------------------------------------------- */

/* Text with what breaks naive clients: CRLF, tabs, quotes, backslashes, UTF-8. */
static char *multiline(size_t len)
{
	static const char line[] =
		"/ip hotspot user add name=\"a b\" comment=\"caf\xc3\xa9\\t\"\r\n"
		"\t# second line with a \\ and ; and $x\n";
	char *s = malloc(len + 1);
	size_t i;

	for (i = 0; s && i < len; i++)
		s[i] = line[i % (sizeof(line) - 1)];
	if (s)
		s[len] = '\0';
	return s;
}

static int read_back(ros_pool *p, const char *name, const char *want, size_t len, bool chunked,
		     uint32_t chunk)
{
	ros_prov_read_opts o = {.chunked = chunked, .chunk_size = chunk};
	ros_prov_file f = {0};
	ros_msg msg = {{0}};
	int rc = 1;

	CHECK_ERR(ros_prov_file_read(p, name, &o, &f, &msg), ROS_OK);
	CHECK(f.len == len && f.size == len && memcmp(f.data, want, len) == 0 &&
		      f.data[len] == '\0',
	      "%zu bytes back, want %zu, byte-exact", f.len, len);
	CHECK(f.chunked == chunked, "chunked %d", f.chunked);
	rc = 0;
fail:
	ros_prov_file_free(&f);
	return rc;
}

static int case_files(ros_pool *p, const struct args *a)
{
	size_t small = 3000, big = 20000;
	char *s = multiline(big);
	ros_prov_files l = {0};
	ros_prov_file f = {0};
	ros_msg msg = {{0}};
	int rc = 1;

	CHECK(s, "memory");
	CHECK_ERR(ros_prov_file_write(p, "notes.txt", s, small, 0, &msg), ROS_OK);
	CHECK(read_back(p, "notes.txt", s, small, false, 0) == 0, "small file via print");
	/* Written again: set, not a second file. */
	CHECK_ERR(ros_prov_file_write(p, "notes.txt", s + 1, small - 1, 0, &msg), ROS_OK);
	CHECK(read_back(p, "notes.txt", s + 1, small - 1, false, 0) == 0, "rewritten");
	CHECK_ERR(ros_prov_file_write(p, "big.txt", s, big, 0, &msg), ROS_ERR_TOO_LARGE);
	CHECK(strstr(msg.text, "4095"), "names the limit: %s", msg.text);
	if (a->max >= big) {
		/* The simulator takes big contents: read them in small chunks. */
		CHECK_ERR(ros_prov_file_write(p, "big.txt", s, big, a->max, &msg), ROS_OK);
		CHECK(read_back(p, "big.txt", s, big, false, 0) == 0, "big via print");
		if (a->version >= 7)
			CHECK(read_back(p, "big.txt", s, big, true, 1000) == 0, "big in chunks");
	}
	CHECK_ERR(ros_prov_file_read(p, "nosuch.txt", NULL, &f, &msg), ROS_ERR_NOT_FOUND);
	CHECK_ERR(ros_prov_files_list(p, &l, &msg), ROS_OK);
	CHECK(l.count >= 1 && strcmp(l.v[0].name, "notes.txt") == 0 && l.v[0].size == small - 1,
	      "listed");
	CHECK_ERR(ros_prov_file_remove(p, "notes.txt", &msg), ROS_OK);
	CHECK_ERR(ros_prov_file_remove(p, "notes.txt", &msg), ROS_ERR_NOT_FOUND);
	rc = 0;
fail:
	ros_prov_files_free(&l);
	free(s);
	return rc;
}

/* n users named bulk-<i>, enough to make an export past the contents limit. */
static int add_users(ros_pool *p, int n)
{
	ros_msg msg = {{0}};
	char name[32], comment[64];
	int i;

	for (i = 0; i < n; i++) {
		ros_prov_user_spec u = {.name = name, .password = "pw", .comment = comment};

		snprintf(name, sizeof(name), "bulk-%03d", i);
		snprintf(comment, sizeof(comment), "voucher batch \"%d\"\nsecond line", i / 10);
		if (ros_prov_user_create(p, &u, NULL, &msg) != ROS_OK) {
			fprintf(stderr, "%s: %s\n", name, msg.text);
			return -1;
		}
	}
	return 0;
}

static int case_export(ros_pool *p, const struct args *a)
{
	ros_prov_file f = {0}, g = {0};
	ros_msg msg = {{0}};
	ros_err err;
	int rc = 1;

	CHECK_ERR(ros_prov_export(p, "small", NULL, &f, &msg), ROS_OK);
	CHECK(!f.chunked && f.len == f.size && f.len > 0 && strstr(f.data, "/ip hotspot"),
	      "small export via print (%zu bytes)", f.len);
	CHECK(strcmp(f.name, "small.rsc") == 0, "name %s", f.name);
	CHECK(add_users(p, 120) == 0, "users added");
	err = ros_prov_export(p, "big.rsc", NULL, &g, &msg);
	if (a->version >= 7) {
		CHECK_ERR(err, ROS_OK);
		CHECK(g.chunked && g.len == g.size && g.len > ROS_FILE_CONTENTS_MAX,
		      "big export in chunks: %zu of %llu bytes", g.len, (unsigned long long)g.size);
		CHECK(strstr(g.data, "add name=bulk-119") &&
			      strstr(g.data, "comment=\"voucher batch \\\"11\\\"\\nsecond line\""),
		      "content");
		CHECK(strlen(g.data) == g.len, "no NUL inside");
	} else {
		CHECK_ERR(err, ROS_ERR_UNSUPPORTED);
		CHECK(strstr(msg.text, "4095") && strstr(msg.text, "/file/read"),
		      "names the limit and what is missing: %s", msg.text);
	}
	rc = 0;
fail:
	ros_prov_file_free(&f);
	ros_prov_file_free(&g);
	return rc;
}

static int case_backup(ros_pool *p, const struct args *a)
{
	ros_prov_file f = {0}, g = {0};
	ros_prov_files l = {0};
	ros_msg msg = {{0}};
	size_t i;
	bool listed = false;
	int rc = 1;

	(void)a;
	CHECK_ERR(ros_prov_backup_save(p, "nightly", &f, &msg), ROS_OK);
	CHECK(strcmp(f.name, "nightly.backup") == 0 && strcmp(f.type, "backup") == 0 &&
		      f.size > 0 && !f.data,
	      "backup metadata %s %s %llu", f.name, f.type, (unsigned long long)f.size);
	CHECK_ERR(ros_prov_files_list(p, &l, &msg), ROS_OK);
	for (i = 0; i < l.count; i++)
		listed |= strcmp(l.v[i].name, "nightly.backup") == 0;
	CHECK(listed, "backup listed");
	CHECK_ERR(ros_prov_file_read(p, "nightly.backup", NULL, &g, &msg), ROS_ERR_UNSUPPORTED);
	CHECK(strstr(msg.text, "binary backup") && strstr(msg.text, "FTP"), "says so: %s",
	      msg.text);
	rc = 0;
fail:
	ros_prov_file_free(&f);
	ros_prov_file_free(&g);
	ros_prov_files_free(&l);
	return rc;
}

/* Export from the router on PORT, restore onto the fresh one on port2, in parts. */
static int case_restore(ros_pool *p, const struct args *a)
{
	ros_pool *q = pool_on(a, a->port2);
	static const char broken[] = "/ip hotspot user\nfrobnicate x=1\n";
	ros_prov_import_result res;
	ros_prov_users l = {0};
	ros_prov_file f = {0};
	ros_msg msg = {{0}};
	char *bad = NULL;
	int rc = 1;

	CHECK(q, "second pool");
	CHECK(add_users(p, 30) == 0, "users added");
	CHECK_ERR(ros_prov_export(p, "before-restore", NULL, &f, &msg), ROS_OK);
	CHECK_ERR(ros_prov_import(q, "restore", f.data, f.len, 700, &res, &msg), ROS_OK);
	CHECK(res.parts > 1 && res.bytes >= f.len, "%zu parts, %zu bytes", res.parts, res.bytes);
	CHECK(strstr(res.message, "successfully"), "router said: %s", res.message);
	CHECK_ERR(ros_prov_users_list(q, &l, &msg), ROS_OK);
	CHECK(l.count == 30 && strcmp(l.v[29].name, "bulk-029") == 0, "%zu users restored",
	      l.count);
	/* The parts were removed again. */
	{
		ros_prov_files fl = {0};

		CHECK_ERR(ros_prov_files_list(q, &fl, &msg), ROS_OK);
		CHECK(fl.count == 0, "%zu files left", fl.count);
		ros_prov_files_free(&fl);
	}
	/* One line past the limit: refused before anything is sent. */
	bad = multiline(900);
	CHECK(bad, "memory");
	memset(bad, 'x', 800);
	CHECK_ERR(ros_prov_import(q, "bad", bad, 900, 700, &res, &msg), ROS_ERR_TOO_LARGE);
	CHECK(strstr(msg.text, "line 1") && strstr(msg.text, "700"), "message: %s", msg.text);
	/* A script the router refuses: the part is named. */
	CHECK_ERR(ros_prov_import(q, "broken", broken, strlen(broken), 0, &res, &msg),
		  ROS_ERR_TRAP);
	CHECK(strstr(msg.text, "part 1"), "message: %s", msg.text);
	rc = 0;
fail:
	free(bad);
	ros_prov_users_free(&l);
	ros_prov_file_free(&f);
	ros_pool_destroy(q);
	return rc;
}

/* --- pool discipline ----------------------------------------------------------------------- */

static int case_reuse(ros_pool *p, const struct args *a)
{
	ros_pool_stats st;
	ros_prov_stats s;
	ros_msg msg = {{0}};
	int i, rc = 1;

	(void)a;
	for (i = 0; i < 10; i++)
		CHECK_ERR(ros_prov_get_stats(p, &s, &msg), ROS_OK);
	ros_pool_get_stats(p, &st);
	CHECK(st.opened == 1 && st.open == 1 && st.busy == 0, "opened %lu open %u", st.opened,
	      st.open);
	rc = 0;
fail:
	return rc;
}

static int case_idle(ros_pool *p, const struct args *a)
{
	ros_pool_stats st;
	ros_prov_stats s;
	ros_msg msg = {{0}};
	int rc = 1;

	(void)a;
	CHECK_ERR(ros_prov_get_stats(p, &s, &msg), ROS_OK);
	usleep((useconds_t)(a->cfg.idle_timeout_ms + 200) * 1000);
	CHECK_ERR(ros_prov_get_stats(p, &s, &msg), ROS_OK);
	ros_pool_get_stats(p, &st);
	CHECK(st.opened == 2 && st.open == 1, "opened %lu", st.opened);
	rc = 0;
fail:
	return rc;
}

struct worker {
	ros_pool *pool;
	int calls;
	int failures;
	int64_t worst_ms;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	ros_prov_stats s;
	ros_msg msg;
	int i;

	for (i = 0; i < w->calls; i++) {
		int64_t t0 = now_ms();

		if (ros_prov_get_stats(w->pool, &s, &msg) != ROS_OK) {
			fprintf(stderr, "worker: %s\n", msg.text);
			w->failures++;
		}
		if (now_ms() - t0 > w->worst_ms)
			w->worst_ms = now_ms() - t0;
	}
	return NULL;
}

/* Six threads share a pool of three connections: never more than three are opened. */
static int case_concurrent(ros_pool *p, const struct args *a)
{
	struct worker w[6];
	pthread_t th[6];
	ros_pool_stats st;
	int i, n = 0, rc = 1;

	(void)a;
	for (i = 0; i < 6; i++) {
		w[i] = (struct worker){.pool = p, .calls = 8};
		if (pthread_create(&th[i], NULL, work, &w[i]) == 0)
			n++;
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	CHECK(n == 6, "threads");
	for (i = 0; i < 6; i++)
		CHECK(w[i].failures == 0, "worker %d failed", i);
	ros_pool_get_stats(p, &st);
	CHECK(st.opened >= 1 && st.opened <= 3 && st.open <= 3, "opened %lu", st.opened);
	rc = 0;
fail:
	return rc;
}

/*
 * PORT is a simulator that answers slowly, port2 a normal one: while a
 * thread waits on the slow router, calls to the normal one are not delayed.
 */
static int case_isolation(ros_pool *slow, const struct args *a)
{
	ros_pool *fast = pool_on(a, a->port2);
	struct worker ws = {.pool = slow, .calls = 1}, wf = {.pool = fast, .calls = 5};
	pthread_t th;
	int64_t t0, fast_ms;
	bool started = false;
	int rc = 1;

	CHECK(fast, "pool");
	t0 = now_ms();
	started = pthread_create(&th, NULL, work, &ws) == 0;
	CHECK(started, "thread");
	usleep(100 * 1000); /* the slow call is under way */
	work(&wf);
	fast_ms = now_ms() - t0 - 100;
	pthread_join(th, NULL);
	started = false;
	fprintf(stderr, "slow call %lld ms; 5 fast calls %lld ms (worst %lld)\n",
		(long long)ws.worst_ms, (long long)fast_ms, (long long)wf.worst_ms);
	CHECK(ws.failures == 0 && wf.failures == 0, "failures");
	CHECK(ws.worst_ms >= 1000, "the slow router was slow (%lld ms)", (long long)ws.worst_ms);
	CHECK(wf.worst_ms < 500 && fast_ms < 1000, "fast calls delayed");
	rc = 0;
fail:
	if (started)
		pthread_join(th, NULL);
	ros_pool_destroy(fast);
	return rc;
}

/* With a small bucket the call past the burst waits for a token, or is refused. */
static int case_rate(ros_pool *p, const struct args *a)
{
	ros_pool_stats st;
	ros_prov_stats s;
	ros_msg msg = {{0}};
	ros_err want = rt_err_by_name(a->expect ? a->expect : "OK");
	unsigned i;
	int64_t t0;
	int rc = 1;

	for (i = 0; i < a->cfg.rate_burst; i++)
		CHECK_ERR(ros_prov_get_stats(p, &s, &msg), ROS_OK);
	t0 = now_ms();
	CHECK_ERR(ros_prov_get_stats(p, &s, &msg), want);
	if (want == ROS_OK)
		CHECK(now_ms() - t0 >= 500, "waited %lld ms", (long long)(now_ms() - t0));
	else
		CHECK(now_ms() - t0 < 200 && strstr(msg.text, "requests per minute"),
		      "refused at once: %s", msg.text);
	ros_pool_get_stats(p, &st);
	CHECK(st.limited == 1, "limited %lu", st.limited);
	rc = 0;
fail:
	return rc;
}

/* The simulator drops each connection after two commands: reads are retried on a new one. */
static int case_drop(ros_pool *p, const struct args *a)
{
	ros_prov_user_spec u = {.name = "after-drop"};
	ros_pool_stats st;
	ros_prov_stats s;
	ros_msg msg = {{0}};
	ros_err err;
	int i, rc = 1;

	(void)a;
	for (i = 0; i < 4; i++)
		CHECK_ERR(ros_prov_get_stats(p, &s, &msg), ROS_OK);
	ros_pool_get_stats(p, &st);
	CHECK(st.dropped >= 3 && st.retried >= 3 && st.opened >= 4, "dropped %lu retried %lu",
	      st.dropped, st.retried);
	/* A write that reached the router is not repeated; the message says it may have happened.
	 */
	err = ros_prov_user_create(p, &u, NULL, &msg);
	CHECK_ERR(err, ROS_ERR_CLOSED);
	CHECK(strstr(msg.text, "may have been applied"), "message: %s", msg.text);
	rc = 0;
fail:
	return rc;
}

/* --- main ---------------------------------------------------------------------------------------
 */

static const struct {
	const char *name;
	int (*fn)(ros_pool *, const struct args *);
} cases[] = {
	{"check", case_check},
	{"check-fail", case_check_fail},
	{"expect", case_expect},
	{"stats", case_stats},
	{"interfaces", case_interfaces},
	{"logs", case_logs},
	{"users", case_users},
	{"sessions", case_sessions},
	{"profiles", case_profiles},
	{"radius", case_radius},
	{"files", case_files},
	{"export", case_export},
	{"backup", case_backup},
	{"restore", case_restore},
	{"reuse", case_reuse},
	{"idle", case_idle},
	{"concurrent", case_concurrent},
	{"isolation", case_isolation},
	{"rate", case_rate},
	{"drop", case_drop},
};

static void parse_kv(struct args *a, const char *kv)
{
	const char *v = strchr(kv, '=');
	size_t k = v ? (size_t)(v - kv) : strlen(kv);

	v = v ? v + 1 : "";
#define KEY(name) (k == strlen(name) && strncmp(kv, name, k) == 0)
	if (KEY("v"))
		a->version = atoi(v);
	else if (KEY("user"))
		a->cfg.conn.username = v;
	else if (KEY("pass"))
		a->cfg.conn.password = v;
	else if (KEY("io"))
		a->cfg.conn.io_timeout_ms = atoi(v);
	else if (KEY("expect"))
		a->expect = v;
	else if (KEY("step"))
		a->step = atoi(v);
	else if (KEY("retries"))
		a->cfg.retries = atoi(v);
	else if (KEY("rate"))
		a->cfg.rate_per_minute = (unsigned)atoi(v);
	else if (KEY("burst"))
		a->cfg.rate_burst = (unsigned)atoi(v);
	else if (KEY("wait"))
		a->cfg.rate_wait_ms = atoi(v);
	else if (KEY("idle"))
		a->cfg.idle_timeout_ms = atoi(v);
	else if (KEY("port2"))
		a->port2 = (uint16_t)atoi(v);
	else if (KEY("max"))
		a->max = (size_t)atol(v);
	else
		fprintf(stderr, "unknown key %s\n", kv);
#undef KEY
}

int main(int argc, char **argv)
{
	struct args a = {
		.cfg = {.conn = {.host = "127.0.0.1",
				 .username = "admin",
				 .password = "admin",
				 .connect_timeout_ms = 2000,
				 .io_timeout_ms = 5000},
			/* Fast tests: a generous bucket and short backoffs, unless a case says. */
			.rate_per_minute = 100000,
			.rate_burst = 1000,
			.backoff_ms = 20},
		.version = 7,
		.max = ROS_FILE_CONTENTS_MAX,
	};
	ros_pool *p;
	size_t i;
	int rc = 2, k;

	if (argc < 3) {
		fprintf(stderr, "usage: ros-prov-test CASE PORT [key=value ...]\n");
		return 2;
	}
	for (k = 3; k < argc; k++)
		parse_kv(&a, argv[k]);
	a.cfg.conn.port = (uint16_t)atoi(argv[2]);
	p = ros_pool_create(&a.cfg);
	if (!p)
		return 2;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(argv[1], cases[i].name) == 0)
			rc = cases[i].fn(p, &a);
	if (rc == 2)
		fprintf(stderr, "unknown case %s\n", argv[1]);
	ros_pool_destroy(p);
	return rc;
}
