/*
 * ros-sim: a RouterOS API simulator on loopback, for tests and for trying
 * the system without a router.  See routeros/README.md for its options.
 *
 * One thread per connection; the router's state is shared between them.
 * Sentences are framed with the client library's codec, so the simulator
 * and the client agree on the wire by construction, and the unit tests of
 * the codec pin that wire to the protocol.
 */
#include "tests/sim/ros_sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_STREAMS     8
#define STREAM_EVERY_MS 200

static struct sim_config cfg = {
	.host = "127.0.0.1",
	.port = 18728,
	.version = 7,
	.user = "admin",
	.password = "admin",
	.identity = "MikroTik",
	.drop_after = -1,
	.file_contents_max = 4095,
};
static SSL_CTX *tls_ctx;
static volatile sig_atomic_t stopping;

struct stream {
	char *tag;
	char *iface;
	int64_t next_ms;
};

struct session {
	int fd;
	SSL *ssl;
	char peer[64];
	ros_parser *parser;
	bool logged_in;
	char challenge[33];
	long commands;
	struct stream streams[MAX_STREAMS];
	bool closing;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- sending ----------------------------------------------------------- */

static bool send_bytes(struct session *s, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (s->ssl) {
			int rc = SSL_write(s->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);

			n = rc > 0 ? rc : -1;
		} else {
			n = send(s->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
		}
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Sends each sentence of out, with ".tag=" when the command had one. */
static bool send_out(struct session *s, struct sim_out *out, const char *tag)
{
	size_t i;
	bool ok = true;

	for (i = 0; ok && i < out->count; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (tag) {
			char word[80];

			snprintf(word, sizeof(word), ".tag=%s", tag);
			sim_check(ros_sentence_add_str(out->v[i], word));
		}
		sim_check(ros_sentence_encode(out->v[i], &buf, &len));
		ok = send_bytes(s, buf, len);
		free(buf);
	}
	return ok;
}

static void send_fatal(struct session *s, const char *reason)
{
	struct sim_out out = {0};
	ros_sentence *f = sim_out_add(&out, "!fatal");

	sim_check(ros_sentence_add_str(f, reason));
	send_out(s, &out, NULL);
	sim_out_free(&out);
	s->closing = true;
}

/* --- login ------------------------------------------------------------- */

static void md5_hex(const char *password, const char *challenge, char out[35])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t chal[16], md[EVP_MAX_MD_SIZE], zero = 0;
	unsigned mdlen = 0, i, v;

	for (i = 0; i < 16; i++) {
		sscanf(challenge + 2 * i, "%2x", &v);
		chal[i] = (uint8_t)v;
	}
	{
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (!ctx)
			sim_oom();
		EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
		EVP_DigestUpdate(ctx, &zero, 1);
		EVP_DigestUpdate(ctx, password, strlen(password));
		EVP_DigestUpdate(ctx, chal, sizeof(chal));
		EVP_DigestFinal_ex(ctx, md, &mdlen);
		EVP_MD_CTX_free(ctx);
	}
	out[0] = out[1] = '0';
	for (i = 0; i < 16; i++) {
		out[2 + 2 * i] = hex[md[i] >> 4];
		out[3 + 2 * i] = hex[md[i] & 0xF];
	}
	out[34] = '\0';
}

static void login_refuse(struct session *s, struct sim_out *out, const char *name, const char *msg)
{
	sim_trap(out, -1, msg);
	sim_out_add(out, "!done");
	sim_log("system,error,critical", "login failure for user %s from %s via api", name,
		s->peer);
}

static void login_accept(struct session *s, struct sim_out *out, const char *name)
{
	s->logged_in = true;
	sim_out_add(out, "!done");
	sim_log("system,info,account", "user %s logged in from %s via api", name, s->peer);
}

/* RouterOS 6 before 6.43: a challenge first, then the MD5 response. */
static void login_v6(struct session *s, const ros_sentence *cmd, struct sim_out *out)
{
	const char *name = ros_sentence_attr(cmd, "name", NULL);
	const char *resp = ros_sentence_attr(cmd, "response", NULL);
	char want[35];
	uint8_t raw[16];
	size_t i;

	if (!resp || !s->challenge[0]) {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			sim_oom();
		for (i = 0; i < 16; i++)
			snprintf(s->challenge + 2 * i, 3, "%02x", raw[i]);
		sim_attr(sim_out_add(out, "!done"), "ret", s->challenge);
		return;
	}
	md5_hex(cfg.password, s->challenge, want);
	s->challenge[0] = '\0';
	if (!name || strcmp(name, cfg.user) != 0 || strcmp(resp, want) != 0 || cfg.wrong_password)
		login_refuse(s, out, name ? name : "", "cannot log in");
	else if (cfg.no_api_policy)
		login_refuse(s, out, name, "not enough permissions (9)");
	else
		login_accept(s, out, name);
}

static void login_v7(struct session *s, const ros_sentence *cmd, struct sim_out *out)
{
	const char *name = ros_sentence_attr(cmd, "name", NULL);
	const char *pass = ros_sentence_attr(cmd, "password", NULL);

	if (!name || !pass || strcmp(name, cfg.user) != 0 || strcmp(pass, cfg.password) != 0 ||
	    cfg.wrong_password)
		login_refuse(s, out, name ? name : "", "invalid user name or password (6)");
	else if (cfg.no_api_policy)
		login_refuse(s, out, name, "not enough permissions (9)");
	else
		login_accept(s, out, name);
}

/* --- streams (/interface/monitor-traffic) and /cancel ----------------------- */

static void stream_report(struct session *s, struct stream *st)
{
	struct sim_out out = {0};
	ros_sentence *re = sim_out_add(&out, "!re");
	uint64_t rx = 0, tx = 0;
	char buf[32];

	sim_interface_rates(st->iface, &rx, &tx);
	sim_attr(re, "name", st->iface);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rx);
	sim_attr(re, "rx-bits-per-second", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)tx);
	sim_attr(re, "tx-bits-per-second", buf);
	if (!send_out(s, &out, st->tag))
		s->closing = true;
	sim_out_free(&out);
}

static void stream_end(struct session *s, struct stream *st)
{
	struct sim_out out = {0};

	sim_trap(&out, 2, "interrupted");
	sim_out_add(&out, "!done");
	if (!send_out(s, &out, st->tag))
		s->closing = true;
	sim_out_free(&out);
	free(st->tag);
	free(st->iface);
	memset(st, 0, sizeof(*st));
}

static void cmd_monitor(struct session *s, const ros_sentence *cmd, const char *tag,
			struct sim_out *out)
{
	const char *iface = ros_sentence_attr(cmd, "interface", NULL);
	uint64_t rx, tx;
	size_t i;

	if (!iface || !sim_interface_rates(iface, &rx, &tx)) {
		sim_trap(out, 1, "no such interface");
		sim_out_add(out, "!done");
		return;
	}
	if (ros_sentence_attr(cmd, "once", NULL)) {
		struct stream once = {.tag = (char *)tag, .iface = (char *)iface};

		stream_report(s, &once);
		sim_out_add(out, "!done");
		return;
	}
	for (i = 0; i < MAX_STREAMS && s->streams[i].iface; i++)
		;
	if (i == MAX_STREAMS || !tag) {
		sim_trap(out, 1, tag ? "too many commands running" : "give a .tag to follow");
		sim_out_add(out, "!done");
		return;
	}
	s->streams[i].tag = strdup(tag);
	s->streams[i].iface = strdup(iface);
	if (!s->streams[i].tag || !s->streams[i].iface)
		sim_oom();
	s->streams[i].next_ms = now_ms();
}

static void cmd_cancel(struct session *s, const ros_sentence *cmd, struct sim_out *out)
{
	const char *which = ros_sentence_attr(cmd, "tag", NULL);
	size_t i;

	for (i = 0; i < MAX_STREAMS; i++)
		if (s->streams[i].iface && (!which || strcmp(which, s->streams[i].tag) == 0))
			stream_end(s, &s->streams[i]);
	sim_out_add(out, "!done");
}

static void run_streams(struct session *s)
{
	int64_t now = now_ms();
	size_t i;

	for (i = 0; i < MAX_STREAMS && !s->closing; i++) {
		if (!s->streams[i].iface || s->streams[i].next_ms > now)
			continue;
		stream_report(s, &s->streams[i]);
		s->streams[i].next_ms = now + STREAM_EVERY_MS;
	}
}

static int stream_wait_ms(const struct session *s)
{
	int64_t next = -1, now = now_ms();
	size_t i;

	for (i = 0; i < MAX_STREAMS; i++)
		if (s->streams[i].iface && (next < 0 || s->streams[i].next_ms < next))
			next = s->streams[i].next_ms;
	if (next < 0)
		return 1000;
	return next <= now ? 0 : (int)(next - now);
}

/* --- commands ---------------------------------------------------------- */

static const char *command_tag(const ros_sentence *cmd)
{
	size_t i, len;

	for (i = 1; i < ros_sentence_count(cmd); i++) {
		const char *w = ros_sentence_word(cmd, i, &len);

		if (len >= 5 && memcmp(w, ".tag=", 5) == 0)
			return w + 5;
	}
	return NULL;
}

/*
 * With --trace: one line per command after login, "cmd WORD ?key=value...",
 * so that tests can count what reached the router and see its query words.
 * Attribute words (=key=value) are left out: they may carry passwords.
 */
static void trace(const ros_sentence *cmd)
{
	char line[1024];
	size_t i, len, n;

	n = (size_t)snprintf(line, sizeof(line), "cmd %s", ros_sentence_command(cmd));
	for (i = 1; i < ros_sentence_count(cmd) && n < sizeof(line); i++) {
		const char *w = ros_sentence_word(cmd, i, &len);

		if (len > 0 && w[0] == '?')
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %.*s", (int)len, w);
	}
	printf("%s\n", line);
	fflush(stdout);
}

static void handle(struct session *s, const ros_sentence *cmd)
{
	const char *word = ros_sentence_command(cmd), *tag = command_tag(cmd);
	struct sim_out out = {0};

	if (cfg.drop_after >= 0 && s->commands >= cfg.drop_after) {
		s->closing = true;
		return;
	}
	s->commands++;
	if (cfg.slow_ms > 0)
		usleep((useconds_t)cfg.slow_ms * 1000);
	if (cfg.noise) {
		/* Reply words a client does not know yet, which it must skip. */
		ros_sentence *n = sim_out_add(&out, "!future-reply");

		sim_attr(n, "note", "clients ignore reply words they do not know");
	}
	if (cfg.trace && s->logged_in)
		trace(cmd);
	if (strcmp(word, "/login") == 0) {
		if (cfg.version >= 7)
			login_v7(s, cmd, &out);
		else
			login_v6(s, cmd, &out);
	} else if (!s->logged_in) {
		send_fatal(s, "not logged in");
		return;
	} else if (cfg.fatal || strcmp(word, "/quit") == 0) {
		send_fatal(s, "session terminated on request");
		return;
	} else if (strcmp(word, "/cancel") == 0) {
		cmd_cancel(s, cmd, &out);
	} else if (strcmp(word, "/interface/monitor-traffic") == 0) {
		cmd_monitor(s, cmd, tag, &out);
	} else if (!sim_menu_command(cmd, &out)) {
		sim_trap(&out, -1, "no such command or directory");
		sim_out_add(&out, "!done");
	}
	if (!send_out(s, &out, tag))
		s->closing = true;
	sim_out_free(&out);
}

/* --- connections -------------------------------------------------------- */

static bool read_chunk(struct session *s, uint8_t *buf, size_t cap, size_t *got)
{
	ssize_t n;

	if (s->ssl) {
		int rc = SSL_read(s->ssl, buf, (int)cap);

		n = rc > 0 ? rc : 0;
	} else {
		do
			n = recv(s->fd, buf, cap, 0);
		while (n < 0 && errno == EINTR);
	}
	if (n <= 0)
		return false;
	*got = (size_t)n;
	return true;
}

static void serve_bytes(struct session *s, const uint8_t *buf, size_t len)
{
	while (len > 0 && !s->closing) {
		ros_sentence *cmd = NULL;
		size_t used = 0;

		if (ros_parser_feed(s->parser, buf, len, &used, &cmd) != ROS_OK) {
			fprintf(stderr, "ros-sim: %s: %s\n", s->peer, ros_parser_errmsg(s->parser));
			s->closing = true;
			return;
		}
		buf += used;
		len -= used;
		if (cmd)
			handle(s, cmd);
		ros_sentence_destroy(cmd);
	}
}

static void session_free(struct session *s)
{
	size_t i;

	for (i = 0; i < MAX_STREAMS; i++) {
		free(s->streams[i].tag);
		free(s->streams[i].iface);
	}
	if (s->ssl) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	close(s->fd);
	ros_parser_destroy(s->parser);
	free(s);
}

static void *session_run(void *arg)
{
	struct session *s = arg;
	uint8_t buf[16384];

	s->parser = ros_parser_create(NULL);
	if (!s->parser)
		goto out;
	if (s->ssl && SSL_accept(s->ssl) != 1) {
		fprintf(stderr, "ros-sim: %s: TLS handshake failed: %s\n", s->peer,
			ERR_reason_error_string(ERR_peek_last_error()));
		goto out;
	}
	while (!s->closing && !stopping) {
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		size_t got = 0;
		int rc = 1;

		if (!s->ssl || SSL_pending(s->ssl) == 0)
			rc = poll(&pfd, 1, stream_wait_ms(s));
		if (rc < 0 && errno != EINTR)
			break;
		if (rc > 0) {
			if (!read_chunk(s, buf, sizeof(buf), &got))
				break;
			serve_bytes(s, buf, got);
		}
		run_streams(s);
	}
out:
	session_free(s);
	return NULL;
}

static void accept_one(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct session *s;
	pthread_t th;
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return;
	}
	s->fd = fd;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, s->peer,
			  sizeof(s->peer));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, s->peer,
			  sizeof(s->peer));
	if (tls_ctx) {
		s->ssl = SSL_new(tls_ctx);
		if (!s->ssl || !SSL_set_fd(s->ssl, fd)) {
			session_free(s);
			return;
		}
	}
	if (pthread_create(&th, NULL, session_run, s) != 0) {
		session_free(s);
		return;
	}
	pthread_detach(th);
}

/* --- set-up ------------------------------------------------------------ */

static int listen_on(void)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int fd, one = 1;

	if (strchr(cfg.host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(cfg.port);
		if (inet_pton(AF_INET6, cfg.host, &a->sin6_addr) != 1)
			return -1;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(cfg.port);
		if (inet_pton(AF_INET, cfg.host, &a->sin_addr) != 1)
			return -1;
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool tls_setup(void)
{
	if (!cfg.tls_cert && !cfg.tls_anon)
		return true;
	tls_ctx = SSL_CTX_new(TLS_server_method());
	if (!tls_ctx)
		return false;
	if (cfg.tls_anon) {
		/* What RouterOS offers on api-ssl without a certificate. */
		SSL_CTX_set_max_proto_version(tls_ctx, TLS1_2_VERSION);
		SSL_CTX_set_dh_auto(tls_ctx, 1);
		return SSL_CTX_set_cipher_list(tls_ctx, "ADH:@SECLEVEL=0") == 1;
	}
	return SSL_CTX_use_certificate_chain_file(tls_ctx, cfg.tls_cert) == 1 &&
	       SSL_CTX_use_PrivateKey_file(tls_ctx, cfg.tls_key ? cfg.tls_key : cfg.tls_cert,
					   SSL_FILETYPE_PEM) == 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ros-sim [options]\n"
		   "  --host ADDR          listen address (loopback only; default 127.0.0.1)\n"
		   "  --port N             listen port (default 18728)\n"
		   "  --user NAME          API user (default admin)\n"
		   "  --password PASS      its password (default admin)\n"
		   "  --identity NAME      /system/identity name (default MikroTik)\n"
		   "  --ros6               act as RouterOS 6.42: challenge login, no !empty\n"
		   "  --tls-cert FILE      API-SSL with this certificate (PEM)\n"
		   "  --tls-key FILE       its private key (default: in the certificate file)\n"
		   "  --tls-anon           API-SSL with anonymous DH (no certificate)\n"
		   "  --slow MS            wait MS before every answer\n"
		   "  --drop-after N       close each connection when command N+1 arrives\n"
		   "  --fatal              answer every command after login with !fatal\n"
		   "  --wrong-password     refuse every login\n"
		   "  --no-api-policy      the user lacks the api policy (login refused)\n"
		   "  --read-only          the user lacks the write policy\n"
		   "  --noise              send an unknown reply word before every answer\n"
		   "  --file-contents-max N  longest file contents over the API (default 4095)\n"
		   "  --trace              print each command and its query words on stdout\n");
}

static bool is_loopback(const char *host)
{
	struct in_addr a4;

	if (strcmp(host, "::1") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{"host", required_argument, NULL, 'H'},
		{"port", required_argument, NULL, 'p'},
		{"user", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'w'},
		{"identity", required_argument, NULL, 'i'},
		{"ros6", no_argument, NULL, '6'},
		{"tls-cert", required_argument, NULL, 'c'},
		{"tls-key", required_argument, NULL, 'k'},
		{"tls-anon", no_argument, NULL, 'a'},
		{"slow", required_argument, NULL, 's'},
		{"drop-after", required_argument, NULL, 'd'},
		{"fatal", no_argument, NULL, 'f'},
		{"wrong-password", no_argument, NULL, 'W'},
		{"no-api-policy", no_argument, NULL, 'P'},
		{"read-only", no_argument, NULL, 'R'},
		{"noise", no_argument, NULL, 'N'},
		{"file-contents-max", required_argument, NULL, 'm'},
		{"trace", no_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			cfg.host = optarg;
			break;
		case 'p':
			cfg.port = (uint16_t)atoi(optarg);
			break;
		case 'u':
			cfg.user = optarg;
			break;
		case 'w':
			cfg.password = optarg;
			break;
		case 'i':
			cfg.identity = optarg;
			break;
		case '6':
			cfg.version = 6;
			break;
		case 'c':
			cfg.tls_cert = optarg;
			break;
		case 'k':
			cfg.tls_key = optarg;
			break;
		case 'a':
			cfg.tls_anon = true;
			break;
		case 's':
			cfg.slow_ms = atoi(optarg);
			break;
		case 'd':
			cfg.drop_after = atol(optarg);
			break;
		case 'f':
			cfg.fatal = true;
			break;
		case 'W':
			cfg.wrong_password = true;
			break;
		case 'P':
			cfg.no_api_policy = true;
			break;
		case 'R':
			cfg.read_only = true;
			break;
		case 'N':
			cfg.noise = true;
			break;
		case 'm':
			cfg.file_contents_max = atoi(optarg);
			break;
		case 'T':
			cfg.trace = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || cfg.port == 0 || !is_loopback(cfg.host)) {
		fprintf(stderr, "ros-sim: give a loopback --host and a --port from 1 to 65535\n");
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int lfd;

	if (parse_args(argc, argv) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!tls_setup()) {
		fprintf(stderr, "ros-sim: TLS set-up failed: %s\n",
			ERR_reason_error_string(ERR_peek_last_error()));
		return 1;
	}
	lfd = listen_on();
	if (lfd < 0) {
		fprintf(stderr, "ros-sim: cannot listen on %s port %u: %s\n", cfg.host,
			(unsigned)cfg.port, strerror(errno));
		return 1;
	}
	sim_state_init(&cfg);
	printf("ros-sim: RouterOS %d API%s on %s port %u, user %s\n", cfg.version,
	       tls_ctx ? "-SSL" : "", cfg.host, (unsigned)cfg.port, cfg.user);
	fflush(stdout);
	while (!stopping) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};

		if (poll(&pfd, 1, 500) > 0)
			accept_one(lfd);
	}
	close(lfd);
	return 0;
}
