/*
 * The Disconnect-Request client (api/coa.c) against plain UDP sockets of
 * the test's own, which read what it sends byte by byte (no RADIUS library
 * on this side): input rules, the request's layout, retransmissions that
 * repeat the same packet within the time budget, answers that fail
 * verification, and many exchanges at once.  Signatures are checked by the
 * disconnect suite's NAS stand-in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/coa.h"

#define DICT_DIR "/usr/share/freeradius"
#define SECRET   "test-secret"
#define CAUGHT   8

/* A UDP socket that records what arrives for a while and, when asked,
 * answers each datagram with an ACK that cannot verify. */
typedef struct {
	int fd, port, family;
	bool answer_garbage;
	int wait_ms;
	int n;
	uint8_t pkt[CAUGHT][4096];
	size_t len[CAUGHT];
	pthread_t th;
} catcher;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void catcher_answer(catcher *c, const uint8_t *req, struct sockaddr *peer, socklen_t plen)
{
	uint8_t ack[20] = {41, req[1], 0, 20};
	uint8_t runt[3] = {41, req[1], 0};

	memset(ack + 4, 0xab, 16);
	sendto(c->fd, runt, sizeof runt, 0, peer, plen);
	sendto(c->fd, ack, sizeof ack, 0, peer, plen);
}

static void *catcher_run(void *arg)
{
	catcher *c = arg;
	int64_t end = now_ms() + c->wait_ms;
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;

	while (c->n < CAUGHT && now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		plen = sizeof peer;
		n = recvfrom(c->fd, c->pkt[c->n], sizeof c->pkt[0], 0, (struct sockaddr *)&peer,
			     &plen);
		if (n <= 0)
			continue;
		c->len[c->n] = (size_t)n;
		if (c->answer_garbage)
			catcher_answer(c, c->pkt[c->n], (struct sockaddr *)&peer, plen);
		c->n++;
	}
	return NULL;
}

/* Binds a catcher on the loopback of family; false when that family has no
 * loopback here. */
static bool catcher_start(catcher *c, int family, bool garbage, int wait_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(c, 0, sizeof *c);
	memset(&ss, 0, sizeof ss);
	c->family = family;
	c->answer_garbage = garbage;
	c->wait_ms = wait_ms;
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		len = sizeof(struct sockaddr_in6);
	}
	c->fd = socket(family, SOCK_DGRAM, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&ss, &len) < 0) {
		if (c->fd >= 0)
			close(c->fd);
		return false;
	}
	c->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	assert_int_equal(pthread_create(&c->th, NULL, catcher_run, c), 0);
	return true;
}

static void catcher_join(catcher *c)
{
	pthread_join(c->th, NULL);
	close(c->fd);
}

static api_coa_target target_of(const catcher *c, int timeout_ms, int retries)
{
	return (api_coa_target){.address = c->family == AF_INET ? "127.0.0.1" : "::1",
				.port = c->port,
				.secret = SECRET,
				.timeout_ms = timeout_ms,
				.retries = retries};
}

static const api_coa_session session = {.user_name = "ABCDE12345",
					.acct_session_id = "81a00001",
					.framed_ip = "10.5.50.7",
					.nas_ip = "192.0.2.1"};

/* The value of attribute type in pkt, or NULL; *vlen gets its length. */
static const uint8_t *attr(const uint8_t *pkt, size_t len, uint8_t type, size_t *vlen)
{
	size_t off = 20;

	while (off + 2 <= len && pkt[off + 1] >= 2) {
		if (pkt[off] == type) {
			*vlen = (size_t)pkt[off + 1] - 2;
			return pkt + off + 2;
		}
		off += pkt[off + 1];
	}
	return NULL;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_init(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(api_coa_init("/nonexistent/dictionary-dir", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/dictionary-dir"));
	assert_int_equal(api_coa_init(DICT_DIR, err, sizeof err), 0);
	assert_int_equal(api_coa_init("/ignored/once/loaded", err, sizeof err), 0);
}

static void test_result_names(void **state)
{
	static const struct {
		api_coa_result r;
		const char *name;
	} rows[] = {{API_COA_ACK, "ack"},
		    {API_COA_NAK, "nak"},
		    {API_COA_TIMEOUT, "timeout"},
		    {API_COA_ERROR, "error"}};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_string_equal(api_coa_result_name(rows[i].r), rows[i].name);
}

static void test_bad_input(void **state)
{
	char long_secret[API_COA_SECRET_MAX + 2], long_name[API_COA_STRING_MAX + 2];
	const api_coa_target ok = {"127.0.0.1", 3799, SECRET, 100, 0};
	const struct {
		api_coa_target t;
		api_coa_session s;
		const char *want;
	} rows[] = {
		{{"router.example", 3799, SECRET, 100, 0}, session, "address"},
		{{"127.0.0.1", 0, SECRET, 100, 0}, session, "CoA port"},
		{{"127.0.0.1", 65536, SECRET, 100, 0}, session, "CoA port"},
		{{"127.0.0.1", 3799, "", 100, 0}, session, "secret"},
		{{"127.0.0.1", 3799, long_secret, 100, 0}, session, "secret"},
		{{"127.0.0.1", 3799, SECRET, 0, 0}, session, "timeout"},
		{{"127.0.0.1", 3799, SECRET, 100, 21}, session, "retries"},
		{ok, {"", "81a0", NULL, NULL}, "User-Name"},
		{ok, {long_name, "81a0", NULL, NULL}, "User-Name"},
		{ok, {"ABC", NULL, NULL, NULL}, "Acct-Session-Id"},
		{ok, {"ABC", "81a0", "host.example", NULL}, "IP literals"},
		{ok, {"ABC", "81a0", NULL, "10.0.0.300"}, "IP literals"},
	};
	api_coa_outcome out;
	size_t i;

	(void)state;
	memset(long_secret, 's', sizeof long_secret - 1);
	long_secret[sizeof long_secret - 1] = '\0';
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(api_coa_disconnect(&rows[i].t, &rows[i].s, &out), API_COA_ERROR);
		assert_int_equal(out.sends, 0);
		if (!strstr(out.err, rows[i].want))
			fail_msg("row %zu: \"%s\" lacks \"%s\"", i, out.err, rows[i].want);
		assert_null(strstr(out.err, SECRET));
	}
}

/* No answer: 1 + retries identical packets within the budget, then TIMEOUT. */
static void test_timeout_retransmits(void **state)
{
	catcher c;
	api_coa_target t;
	api_coa_outcome out;
	int64_t start, took;
	size_t vlen = 0;
	const uint8_t *v;
	int i;

	(void)state;
	assert_true(catcher_start(&c, AF_INET, false, 1500));
	t = target_of(&c, 600, 2);
	start = now_ms();
	assert_int_equal(api_coa_disconnect(&t, &session, &out), API_COA_TIMEOUT);
	took = now_ms() - start;
	catcher_join(&c);
	assert_true(took >= 590 && took < 1500);
	assert_int_equal(out.sends, 3);
	assert_int_equal(c.n, 3);
	assert_non_null(strstr(out.err, "after 3 sends in 600 ms"));
	for (i = 1; i < c.n; i++) {
		assert_int_equal(c.len[i], c.len[0]);
		assert_memory_equal(c.pkt[i], c.pkt[0], c.len[0]);
	}
	assert_int_equal(c.pkt[0][0], 40); /* Disconnect-Request */
	assert_int_equal(((size_t)c.pkt[0][2] << 8) | c.pkt[0][3], c.len[0]);
	v = attr(c.pkt[0], c.len[0], 1, &vlen);
	assert_true(v && vlen == 10 && memcmp(v, "ABCDE12345", 10) == 0);
	v = attr(c.pkt[0], c.len[0], 44, &vlen);
	assert_true(v && vlen == 8 && memcmp(v, "81a00001", 8) == 0);
	v = attr(c.pkt[0], c.len[0], 8, &vlen);
	assert_true(v && vlen == 4 && memcmp(v, "\x0a\x05\x32\x07", 4) == 0);
	v = attr(c.pkt[0], c.len[0], 4, &vlen);
	assert_true(v && vlen == 4 && memcmp(v, "\xc0\x00\x02\x01", 4) == 0);
	assert_non_null(attr(c.pkt[0], c.len[0], 55, &vlen));
	assert_int_equal(vlen, 4);
	assert_non_null(attr(c.pkt[0], c.len[0], 80, &vlen));
	assert_int_equal(vlen, 16);
}

/* Answers that are malformed or fail verification are dropped. */
static void test_unverifiable_answers(void **state)
{
	catcher c;
	api_coa_target t;
	api_coa_outcome out;

	(void)state;
	assert_true(catcher_start(&c, AF_INET, true, 1000));
	t = target_of(&c, 400, 1);
	assert_int_equal(api_coa_disconnect(&t, &session, &out), API_COA_TIMEOUT);
	catcher_join(&c);
	assert_int_equal(out.sends, 2);
	assert_true(out.rejected >= 1);
	assert_non_null(strstr(out.err, "failed verification"));
}

/* IPv6: the router's address, and Framed-IPv6-Address / NAS-IPv6-Address. */
static void test_ipv6(void **state)
{
	const api_coa_session s6 = {"ABC", "81a0", "2001:db8::7", "2001:db8::1"};
	catcher c;
	api_coa_target t;
	api_coa_outcome out;
	size_t vlen = 0;

	(void)state;
	if (!catcher_start(&c, AF_INET6, false, 1000))
		skip();
	t = target_of(&c, 200, 0);
	assert_int_equal(api_coa_disconnect(&t, &s6, &out), API_COA_TIMEOUT);
	catcher_join(&c);
	assert_int_equal(c.n, 1);
	assert_non_null(attr(c.pkt[0], c.len[0], 168, &vlen));
	assert_int_equal(vlen, 16);
	assert_non_null(attr(c.pkt[0], c.len[0], 95, &vlen));
	assert_int_equal(vlen, 16);
	assert_null(attr(c.pkt[0], c.len[0], 8, &vlen));
}

#define PARALLEL 8

typedef struct {
	catcher c;
	api_coa_result r;
	api_coa_outcome out;
} exchange;

static void *exchange_run(void *arg)
{
	exchange *x = arg;
	api_coa_target t = target_of(&x->c, 300, 1);

	x->r = api_coa_disconnect(&t, &session, &x->out);
	return NULL;
}

/* Workers send at once: each exchange keeps its own socket and packet. */
static void test_parallel(void **state)
{
	static exchange xs[PARALLEL];
	pthread_t th[PARALLEL];
	int i;

	(void)state;
	for (i = 0; i < PARALLEL; i++) {
		assert_true(catcher_start(&xs[i].c, AF_INET, i % 2 == 1, 1000));
		assert_int_equal(pthread_create(&th[i], NULL, exchange_run, &xs[i]), 0);
	}
	for (i = 0; i < PARALLEL; i++) {
		pthread_join(th[i], NULL);
		catcher_join(&xs[i].c);
		assert_int_equal(xs[i].r, API_COA_TIMEOUT);
		assert_int_equal(xs[i].out.sends, 2);
		assert_int_equal(xs[i].c.n, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_timeout_retransmits),
		cmocka_unit_test(test_unverifiable_answers),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_parallel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
