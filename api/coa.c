/*
 * Disconnect-Request client (RFC 5176) on libfreeradius-radius, used
 * outside the server: dict_init once, then per exchange rad_alloc,
 * fr_pair_make / fr_pair_afrom_num, rad_send (which encodes and signs),
 * rad_recv, rad_verify and rad_decode.
 *
 * The library keeps a global random pool (stirred by every rad_alloc,
 * rad_recv included) and a global dictionary, neither locked: every call
 * into it is made under coa_lock.  Those calls are short; the lock is never
 * held across poll().
 */
#include "api/coa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <freeradius/build.h>
#include <freeradius/libradius.h>

/* FreeRADIUS's main dictionary file, in the configured directory. */
#define COA_DICTIONARY "dictionary"

/* Code, Identifier, Length and Authenticator. */
#define COA_HDR_LEN 20

/* Retransmissions accepted in a target: more would only flood a router. */
#define COA_RETRIES_MAX 20

static pthread_mutex_t coa_lock = PTHREAD_MUTEX_INITIALIZER;
static bool coa_ready; /* under coa_lock */

/* One exchange: its memory, socket and request. */
typedef struct {
	TALLOC_CTX *ctx;
	RADIUS_PACKET *req;
	int fd;
	const api_coa_target *t;
	api_coa_outcome *out;
} coa_exchange;

const char *api_coa_result_name(api_coa_result r)
{
	switch (r) {
	case API_COA_ACK:
		return "ack";
	case API_COA_NAK:
		return "nak";
	case API_COA_TIMEOUT:
		return "timeout";
	case API_COA_ERROR:
		break;
	}
	return "error";
}

int api_coa_init(const char *dict_dir, char *err, size_t errlen)
{
	int rc = -1;

	pthread_mutex_lock(&coa_lock);
	if (coa_ready) {
		rc = 0;
		goto out;
	}
	if (fr_check_lib_magic(RADIUSD_MAGIC_NUMBER) < 0) {
		snprintf(err, errlen, "libfreeradius-radius is not the version built against: %s",
			 fr_strerror());
		goto out;
	}
	if (dict_init(dict_dir, COA_DICTIONARY) < 0) {
		snprintf(err, errlen, "RADIUS dictionary in %s: %s", dict_dir, fr_strerror());
		goto out;
	}
	coa_ready = true;
	rc = 0;
out:
	pthread_mutex_unlock(&coa_lock);
	return rc;
}

/* ---- input ---------------------------------------------------------------- */

/* Whether text is an IPv4 or IPv6 literal (never a name: nothing is resolved). */
static bool coa_ip_literal(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

static bool coa_string_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= API_COA_STRING_MAX;
}

/* 0 when t and s can be sent, else -1 with the reason (never the secret). */
static int coa_check_input(const api_coa_target *t, const api_coa_session *s, char *err,
			   size_t errlen)
{
	size_t slen = t->secret ? strlen(t->secret) : 0;

	if (!t->address || !coa_ip_literal(t->address) || t->port < 1 || t->port > 65535)
		snprintf(err, errlen, "the router's address or CoA port is not usable");
	else if (slen < 1 || slen > API_COA_SECRET_MAX)
		snprintf(err, errlen, "the router's RADIUS secret is empty or longer than %d bytes",
			 API_COA_SECRET_MAX);
	else if (t->timeout_ms < 1 || t->retries < 0 || t->retries > COA_RETRIES_MAX)
		snprintf(err, errlen, "timeout or retries out of range");
	else if (!coa_string_ok(s->user_name) || !coa_string_ok(s->acct_session_id))
		snprintf(err, errlen, "User-Name and Acct-Session-Id must be 1-%d bytes",
			 API_COA_STRING_MAX);
	else if ((s->framed_ip && !coa_ip_literal(s->framed_ip)) ||
		 (s->nas_ip && !coa_ip_literal(s->nas_ip)))
		snprintf(err, errlen, "Framed-IP-Address and NAS-IP-Address must be IP literals");
	else
		return 0;
	return -1;
}

/* ---- the request --------------------------------------------------------- */

static int coa_add_string(RADIUS_PACKET *p, unsigned int attr, const char *value)
{
	size_t len = strlen(value);
	VALUE_PAIR *vp = fr_pair_afrom_num(p, attr, 0);

	if (!vp)
		return -1;
	/* Raw bytes: fr_pair_make would unescape backslashes in the value. */
	fr_pair_value_bstrncpy(vp, value, len);
	if (!vp->vp_strvalue || vp->vp_length != len) {
		talloc_free(vp);
		return -1;
	}
	fr_pair_add(&p->vps, vp);
	return 0;
}

/* Adds ip (a checked literal) as the IPv4 or the IPv6 attribute. */
static int coa_add_ip(RADIUS_PACKET *p, const char *v4name, const char *v6name, const char *ip)
{
	const char *name = strchr(ip, ':') ? v6name : v4name;

	return fr_pair_make(p, &p->vps, name, ip, T_OP_EQ) ? 0 : -1;
}

static int coa_add_now(RADIUS_PACKET *p)
{
	VALUE_PAIR *vp = fr_pair_afrom_num(p, PW_EVENT_TIMESTAMP, 0);

	if (!vp)
		return -1;
	vp->vp_date = (uint32_t)time(NULL);
	vp->type = VT_DATA;
	fr_pair_add(&p->vps, vp);
	return 0;
}

/* The attributes of the request.  Under coa_lock. */
static int coa_add_attributes(RADIUS_PACKET *p, const api_coa_session *s)
{
	if (coa_add_string(p, PW_USER_NAME, s->user_name) < 0 ||
	    coa_add_string(p, PW_ACCT_SESSION_ID, s->acct_session_id) < 0)
		return -1;
	if (s->framed_ip &&
	    coa_add_ip(p, "Framed-IP-Address", "Framed-IPv6-Address", s->framed_ip) < 0)
		return -1;
	if (s->nas_ip && coa_add_ip(p, "NAS-IP-Address", "NAS-IPv6-Address", s->nas_ip) < 0)
		return -1;
	if (coa_add_now(p) < 0)
		return -1;
	/* Any value: rad_encode zeroes it and rad_sign computes the HMAC. */
	if (!fr_pair_make(p, &p->vps, "Message-Authenticator", "0x00", T_OP_EQ))
		return -1;
	return 0;
}

/* Builds x->req for s, addressed to x->t, with a random Identifier.  0, or
 * -1 with the reason in x->out->err. */
static int coa_build(coa_exchange *x, const api_coa_session *s)
{
	uint8_t id;
	int rc = -1;

	if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id) {
		snprintf(x->out->err, sizeof x->out->err, "getrandom: %s", strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&coa_lock);
	x->req = rad_alloc(x->ctx, false);
	if (!x->req)
		goto out;
	x->req->code = PW_CODE_DISCONNECT_REQUEST;
	x->req->id = id;
	x->req->sockfd = x->fd;
	x->req->dst_port = (uint16_t)x->t->port;
	if (fr_pton(&x->req->dst_ipaddr, x->t->address, -1, AF_UNSPEC, false) < 0 ||
	    coa_add_attributes(x->req, s) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		snprintf(x->out->err, sizeof x->out->err, "building the request: %s",
			 fr_strerror());
	pthread_mutex_unlock(&coa_lock);
	return rc;
}

/* A UDP socket of the target's address family, unbound (the kernel picks
 * the source port at the first send). */
static int coa_open(coa_exchange *x)
{
	int af = strchr(x->t->address, ':') ? AF_INET6 : AF_INET;

	x->fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		snprintf(x->out->err, sizeof x->out->err, "socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Sends (the first time: encodes and signs) the request. */
static int coa_send(coa_exchange *x)
{
	int n;

	pthread_mutex_lock(&coa_lock);
	n = rad_send(x->req, NULL, x->t->secret);
	if (n < 0)
		snprintf(x->out->err, sizeof x->out->err, "sending to %s port %d: %s",
			 x->t->address, x->t->port, fr_strerror());
	pthread_mutex_unlock(&coa_lock);
	if (n < 0)
		return -1;
	x->out->sends++;
	return 0;
}

/* ---- the answer ---------------------------------------------------------- */

static int64_t coa_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether reply can be the answer to the request: an ACK or NAK with its
 * Identifier, from the address and port it was sent to. */
static bool coa_answer_matches(const coa_exchange *x, const RADIUS_PACKET *reply)
{
	return (reply->code == PW_CODE_DISCONNECT_ACK || reply->code == PW_CODE_DISCONNECT_NAK) &&
	       reply->id == x->req->id && reply->src_port == x->req->dst_port &&
	       fr_ipaddr_cmp(&reply->src_ipaddr, &x->req->dst_ipaddr) == 0;
}

/* Drops a waiting datagram shorter than a RADIUS header (counted in
 * out->rejected): rad_recv would read its length field past what arrived.
 * true when one was dropped. */
static bool coa_drop_runt(coa_exchange *x)
{
	uint8_t hdr[COA_HDR_LEN];
	ssize_t n = recv(x->fd, hdr, sizeof hdr, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 || n >= COA_HDR_LEN)
		return false;
	(void)!recv(x->fd, hdr, sizeof hdr, MSG_DONTWAIT);
	x->out->rejected++;
	return true;
}

/*
 * Reads one datagram.  true with *r set when it is a verified answer;
 * false when there was nothing to read, or it was malformed, not ours or
 * failed verification (counted in out->rejected: RFC 5176 says drop it
 * silently and keep waiting).
 */
static bool coa_take_answer(coa_exchange *x, api_coa_result *r)
{
	RADIUS_PACKET *reply;
	VALUE_PAIR *vp;
	bool ok = false;

	if (coa_drop_runt(x))
		return false;
	pthread_mutex_lock(&coa_lock);
	reply = rad_recv(x->ctx, x->fd, 0);
	if (!reply)
		goto out;
	if (!coa_answer_matches(x, reply) || rad_verify(reply, x->req, x->t->secret) < 0 ||
	    rad_decode(reply, x->req, x->t->secret) < 0) {
		x->out->rejected++;
		goto out;
	}
	*r = reply->code == PW_CODE_DISCONNECT_ACK ? API_COA_ACK : API_COA_NAK;
	vp = fr_pair_find_by_num(reply->vps, PW_ERROR_CAUSE, 0, TAG_ANY);
	if (vp)
		x->out->error_cause = (int)vp->vp_integer;
	ok = true;
out:
	pthread_mutex_unlock(&coa_lock);
	rad_free(&reply);
	return ok;
}

/* Waits until deadline (monotonic ms) for a verified answer: 1 with *r set,
 * 0 at the deadline, -1 when the socket fails. */
static int coa_wait(coa_exchange *x, int64_t deadline, api_coa_result *r)
{
	struct pollfd pfd = {.fd = x->fd, .events = POLLIN};
	int64_t left;
	int n, soerr;
	socklen_t len;

	while ((left = deadline - coa_now_ms()) > 0) {
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR) {
			snprintf(x->out->err, sizeof x->out->err, "poll: %s", strerror(errno));
			return -1;
		}
		if (n <= 0)
			continue;
		if (pfd.revents & POLLERR) {
			/* An ICMP error: reading SO_ERROR clears it; keep waiting. */
			len = sizeof soerr;
			getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
			continue;
		}
		if (coa_take_answer(x, r))
			return 1;
	}
	return 0;
}

/* Sends and resends, each send followed by its share of the time budget. */
static api_coa_result coa_exchange_run(coa_exchange *x)
{
	const api_coa_target *t = x->t;
	int sends = 1 + t->retries, i, w;
	int64_t start = coa_now_ms();
	api_coa_result r = API_COA_ERROR;

	for (i = 0; i < sends; i++) {
		if (coa_send(x) < 0)
			return API_COA_ERROR;
		w = coa_wait(x, start + (int64_t)t->timeout_ms * (i + 1) / sends, &r);
		if (w < 0)
			return API_COA_ERROR;
		if (w > 0)
			return r;
	}
	snprintf(x->out->err, sizeof x->out->err,
		 "no answer from %s port %d after %d sends in %d ms%s", t->address, t->port,
		 x->out->sends, t->timeout_ms,
		 x->out->rejected ? " (answers failed verification: is the secret right?)" : "");
	return API_COA_TIMEOUT;
}

api_coa_result api_coa_disconnect(const api_coa_target *t, const api_coa_session *s,
				  api_coa_outcome *out)
{
	coa_exchange x = {.fd = -1, .t = t, .out = out};
	api_coa_result r = API_COA_ERROR;

	memset(out, 0, sizeof *out);
	if (coa_check_input(t, s, out->err, sizeof out->err) < 0)
		goto out;
	x.ctx = talloc_new(NULL);
	if (!x.ctx) {
		snprintf(out->err, sizeof out->err, "out of memory");
		goto out;
	}
	if (coa_open(&x) < 0 || coa_build(&x, s) < 0)
		goto out;
	r = coa_exchange_run(&x);
	if (r == API_COA_ACK || r == API_COA_NAK)
		out->err[0] = '\0';
out:
	if (x.fd >= 0)
		close(x.fd);
	talloc_free(x.ctx);
	return r;
}
