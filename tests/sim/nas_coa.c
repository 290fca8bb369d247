/*
 * nas-coa: a NAS stand-in for Disconnect-Request (RFC 5176), as a MikroTik
 * router's /radius incoming listener behaves.  It checks each request the
 * way a router does, written here with OpenSSL alone so that the client's
 * library never checks itself:
 *   Request Authenticator = MD5(Code | Identifier | Length | 16 zero octets
 *                               | Attributes | secret)
 *   Message-Authenticator = HMAC-MD5(secret, the packet with the
 *                           authenticator field and its own value zeroed)
 * A request that fails either check, or carries no Message-Authenticator,
 * is dropped silently (RFC 3579 3.2); a good one is logged, one line with
 * its attributes, and answered according to --mode:
 *   ack     Disconnect-ACK
 *   nak     Disconnect-NAK with Error-Cause 503 (Session-Context-Not-Found)
 *   silent  no answer
 *   forge   a Disconnect-ACK signed with a wrong secret (the client must
 *           drop it)
 * Answers carry a Message-Authenticator and the Response Authenticator
 * MD5(Code | Identifier | Length | Request Authenticator | Attributes |
 * secret).
 *
 *   nas-coa --port N --secret S [--mode ack|nak|silent|forge] [--listen 127.0.0.1]
 *
 * Log lines (stdout, one per datagram):
 *   request from=IP:PORT id=N auth=HEX User-Name="..." ... Message-Authenticator=valid
 *   drop from=IP:PORT id=N: <why>
 *   reply id=N code=41|42 (or "silent id=N")
 * Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HDR_LEN       20
#define AUTH_LEN      16
#define PKT_MAX       4096
#define MA_ATTR       80
#define CODE_DISC_REQ 40
#define CODE_DISC_ACK 41
#define CODE_DISC_NAK 42

typedef enum { MODE_ACK, MODE_NAK, MODE_SILENT, MODE_FORGE } nas_mode;

typedef struct {
	const char *listen;
	int port;
	const char *secret;
	nas_mode mode;
} nas_opts;

static volatile sig_atomic_t nas_stop;

static void nas_on_signal(int sig)
{
	(void)sig;
	nas_stop = 1;
}

/* ---- crypto ---------------------------------------------------------------- */

/* MD5(a | b): 0, or -1 when OpenSSL fails. */
static int md5_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) && EVP_DigestUpdate(c, a, alen) &&
		 EVP_DigestUpdate(c, b, blen) && EVP_DigestFinal_ex(c, out, NULL);

	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static int hmac_md5(const char *secret, const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int outlen = 0;

	return HMAC(EVP_md5(), secret, (int)strlen(secret), data, len, out, &outlen) &&
			       outlen == AUTH_LEN
		       ? 0
		       : -1;
}

/* ---- parsing --------------------------------------------------------------- */

/* Offset of the Message-Authenticator attribute in pkt (len bytes, header
 * included); 0 when absent, -1 when the attributes are malformed or there
 * are several or it is not 18 bytes long. */
static int find_ma(const uint8_t *pkt, size_t len)
{
	size_t off = HDR_LEN;
	int found = 0;

	while (off < len) {
		if (off + 2 > len || pkt[off + 1] < 2 || off + pkt[off + 1] > len)
			return -1;
		if (pkt[off] == MA_ATTR) {
			if (found || pkt[off + 1] != 2 + AUTH_LEN)
				return -1;
			found = (int)off;
		}
		off += pkt[off + 1];
	}
	return found;
}

/* Whether the Request Authenticator of pkt is right for secret. */
static bool request_auth_ok(const uint8_t *pkt, size_t len, const char *secret)
{
	uint8_t copy[PKT_MAX], digest[AUTH_LEN];

	memcpy(copy, pkt, len);
	memset(copy + 4, 0, AUTH_LEN);
	return md5_two(copy, len, (const uint8_t *)secret, strlen(secret), digest) == 0 &&
	       memcmp(digest, pkt + 4, AUTH_LEN) == 0;
}

/* Whether the Message-Authenticator at offset ma of a request is right. */
static bool request_ma_ok(const uint8_t *pkt, size_t len, int ma, const char *secret)
{
	uint8_t copy[PKT_MAX], mac[AUTH_LEN];

	memcpy(copy, pkt, len);
	memset(copy + 4, 0, AUTH_LEN);
	memset(copy + ma + 2, 0, AUTH_LEN);
	return hmac_md5(secret, copy, len, mac) == 0 && memcmp(mac, pkt + ma + 2, AUTH_LEN) == 0;
}

/* ---- logging --------------------------------------------------------------- */

static void log_string(const uint8_t *v, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		if (v[i] < 0x20 || v[i] >= 0x7f || v[i] == '"' || v[i] == '\\')
			printf("\\x%02x", v[i]);
		else
			putchar(v[i]);
	}
	putchar('"');
}

static void log_ip(int af, const uint8_t *v)
{
	char buf[INET6_ADDRSTRLEN];

	fputs(inet_ntop(af, v, buf, sizeof buf) ? buf : "?", stdout);
}

/* One attribute as name=value. */
static void log_attr(uint8_t type, const uint8_t *v, size_t n)
{
	switch (type) {
	case 1:
		fputs(" User-Name=", stdout);
		log_string(v, n);
		return;
	case 44:
		fputs(" Acct-Session-Id=", stdout);
		log_string(v, n);
		return;
	case 4:
	case 8:
		fputs(type == 4 ? " NAS-IP-Address=" : " Framed-IP-Address=", stdout);
		if (n == 4)
			log_ip(AF_INET, v);
		return;
	case 95:
	case 168:
		fputs(type == 95 ? " NAS-IPv6-Address=" : " Framed-IPv6-Address=", stdout);
		if (n == 16)
			log_ip(AF_INET6, v);
		return;
	case 55:
		if (n == 4)
			printf(" Event-Timestamp=%u", (unsigned)v[0] << 24 | (unsigned)v[1] << 16 |
							      (unsigned)v[2] << 8 | v[3]);
		return;
	case MA_ATTR:
		fputs(" Message-Authenticator=valid", stdout);
		return;
	default:
		printf(" Attr-%u=(%zu bytes)", type, n);
	}
}

static void log_request(const char *from, const uint8_t *pkt, size_t len)
{
	size_t off, i;

	printf("request from=%s id=%u auth=", from, pkt[1]);
	for (i = 0; i < AUTH_LEN; i++)
		printf("%02x", pkt[4 + i]);
	for (off = HDR_LEN; off < len; off += pkt[off + 1])
		log_attr(pkt[off], pkt + off + 2, (size_t)pkt[off + 1] - 2);
	putchar('\n');
}

/* ---- answers --------------------------------------------------------------- */

/*
 * Builds the answer to req in out (Message-Authenticator, and Error-Cause
 * 503 for a NAK), signed with secret.  Returns its length, or 0 when
 * OpenSSL fails.
 */
static size_t build_reply(const uint8_t *req, uint8_t code, const char *secret, uint8_t *out)
{
	size_t len = HDR_LEN, ma;
	uint8_t digest[AUTH_LEN];

	out[0] = code;
	out[1] = req[1];
	memcpy(out + 4, req + 4, AUTH_LEN); /* the Request Authenticator, while signing */
	if (code == CODE_DISC_NAK) {
		const uint8_t cause[] = {101, 6, 0, 0, 0x01, 0xf7}; /* Error-Cause = 503 */
		memcpy(out + len, cause, sizeof cause);
		len += sizeof cause;
	}
	ma = len;
	out[len] = MA_ATTR;
	out[len + 1] = 2 + AUTH_LEN;
	memset(out + len + 2, 0, AUTH_LEN);
	len += 2 + AUTH_LEN;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (hmac_md5(secret, out, len, out + ma + 2) < 0 ||
	    md5_two(out, len, (const uint8_t *)secret, strlen(secret), digest) < 0)
		return 0;
	memcpy(out + 4, digest, AUTH_LEN);
	return len;
}

static void answer(int fd, const nas_opts *o, const uint8_t *req, const struct sockaddr *peer,
		   socklen_t peerlen)
{
	uint8_t out[PKT_MAX];
	size_t len;
	char wrong[256];

	if (o->mode == MODE_SILENT) {
		printf("silent id=%u\n", req[1]);
		return;
	}
	snprintf(wrong, sizeof wrong, "%s-wrong", o->secret);
	len = build_reply(req, o->mode == MODE_NAK ? CODE_DISC_NAK : CODE_DISC_ACK,
			  o->mode == MODE_FORGE ? wrong : o->secret, out);
	if (len == 0 || sendto(fd, out, len, 0, peer, peerlen) != (ssize_t)len) {
		printf("reply id=%u failed\n", req[1]);
		return;
	}
	printf("reply id=%u code=%u%s\n", req[1], out[0], o->mode == MODE_FORGE ? " forged" : "");
}

/* ---- the loop ------------------------------------------------------------- */

/* Checks one datagram; NULL when it is a good request, else why it is dropped. */
static const char *check_request(const uint8_t *pkt, size_t n, const char *secret, size_t *len)
{
	int ma;

	if (n < HDR_LEN)
		return "shorter than a RADIUS header";
	*len = (size_t)pkt[2] << 8 | pkt[3];
	if (*len < HDR_LEN || *len > n)
		return "bad Length";
	if (pkt[0] != CODE_DISC_REQ)
		return "not a Disconnect-Request";
	ma = find_ma(pkt, *len);
	if (ma < 0)
		return "malformed attributes";
	if (!request_auth_ok(pkt, *len, secret))
		return "bad Request Authenticator";
	if (ma == 0)
		return "no Message-Authenticator";
	if (!request_ma_ok(pkt, *len, ma, secret))
		return "bad Message-Authenticator";
	return NULL;
}

static void serve_one(int fd, const nas_opts *o)
{
	uint8_t pkt[PKT_MAX];
	struct sockaddr_storage peer;
	socklen_t peerlen = sizeof peer;
	char host[INET6_ADDRSTRLEN], from[INET6_ADDRSTRLEN + 8];
	ssize_t n = recvfrom(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&peer, &peerlen);
	const char *why;
	size_t len = 0;

	if (n < 0)
		return;
	inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, host, sizeof host);
	snprintf(from, sizeof from, "%s:%u", host, ntohs(((struct sockaddr_in *)&peer)->sin_port));
	why = check_request(pkt, (size_t)n, o->secret, &len);
	if (why) {
		printf("drop from=%s id=%u: %s\n", from, n > 1 ? (unsigned)pkt[1] : 0U, why);
		return;
	}
	log_request(from, pkt, len);
	answer(fd, o, pkt, (struct sockaddr *)&peer, peerlen);
}

static int parse_args(int argc, char **argv, nas_opts *o)
{
	static const char *const modes[] = {"ack", "nak", "silent", "forge"};
	int i, m;

	*o = (nas_opts){.listen = "127.0.0.1", .mode = MODE_ACK};
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--listen") == 0) {
			o->listen = argv[i + 1];
		} else if (strcmp(argv[i], "--port") == 0) {
			o->port = atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "--secret") == 0) {
			o->secret = argv[i + 1];
		} else if (strcmp(argv[i], "--mode") == 0) {
			for (m = 0; m < 4 && strcmp(argv[i + 1], modes[m]) != 0; m++)
				continue;
			if (m == 4)
				return -1;
			o->mode = (nas_mode)m;
		} else {
			return -1;
		}
	}
	return i == argc && o->port > 0 && o->port < 65536 && o->secret && *o->secret &&
			       strlen(o->secret) < 200
		       ? 0
		       : -1;
}

static int open_socket(const nas_opts *o)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
	int fd;

	if (inet_pton(AF_INET, o->listen, &sa.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = nas_on_signal};
	nas_opts o;
	int fd;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: nas-coa --port N --secret S [--mode ack|nak|silent|forge] "
				"[--listen IPv4]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: recvfrom returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	fd = open_socket(&o);
	if (fd < 0) {
		fprintf(stderr, "nas-coa: cannot listen on %s port %d: %s\n", o.listen, o.port,
			strerror(errno));
		return 1;
	}
	printf("listening on %s port %d\n", o.listen, o.port);
	while (!nas_stop)
		serve_one(fd, &o);
	close(fd);
	return 0;
}
