/*
 * One connection to one router: TCP or API-SSL, the byte loops with their
 * timeouts, tagged commands in flight, /cancel and login.
 */
#include "routeros/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PORT            8728
#define DEFAULT_TLS_PORT        8729
#define DEFAULT_CONNECT_TIMEOUT 5000
#define DEFAULT_IO_TIMEOUT      10000
#define READ_CHUNK              16384

struct pending {
	uint32_t tag;
	bool done;
	ros_reply *reply;
};

struct ros_conn {
	char *host;
	char *username;
	char *password;
	char *ca_file;
	char *tls_name;
	uint16_t port;
	int connect_timeout_ms;
	int io_timeout_ms;
	ros_tls_mode tls;
	ros_limits limits;

	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	ros_parser *parser;
	uint8_t rbuf[READ_CHUNK];
	size_t rpos;
	size_t rlen;

	struct pending *pending;
	size_t npending;
	size_t cappending;
	uint32_t next_tag;

	ros_login_style login;
	char errmsg[512];
};

/* --- errors ----------------------------------------------------------- */

static ros_err conn_error(ros_conn *c, ros_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records a message for people and returns err, so callers can "return conn_error(...)". */
static ros_err conn_error(ros_conn *c, ros_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* --- handle ----------------------------------------------------------- */

char *ros__strdup_opt(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

ros_conn *ros_conn_create(const ros_options *opt)
{
	ros_conn *c;
	bool ok = true;

	if (!opt || !opt->host || !*opt->host)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = -1;
	c->host = ros__strdup_opt(opt->host, &ok);
	c->username = ros__strdup_opt(opt->username ? opt->username : "", &ok);
	c->password = ros__strdup_opt(opt->password ? opt->password : "", &ok);
	c->ca_file = ros__strdup_opt(opt->tls_ca_file, &ok);
	c->tls_name = ros__strdup_opt(opt->tls_name, &ok);
	c->tls = opt->tls;
	c->port =
		opt->port ? opt->port : (opt->tls == ROS_TLS_OFF ? DEFAULT_PORT : DEFAULT_TLS_PORT);
	c->connect_timeout_ms =
		opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT;
	c->io_timeout_ms = opt->io_timeout_ms > 0 ? opt->io_timeout_ms : DEFAULT_IO_TIMEOUT;
	c->limits = ros__limits_resolve(&opt->limits);
	c->next_tag = 1;
	if (!ok) {
		ros_conn_destroy(c);
		return NULL;
	}
	return c;
}

static void pending_clear(ros_conn *c)
{
	size_t i;

	for (i = 0; i < c->npending; i++)
		ros_reply_destroy(c->pending[i].reply);
	c->npending = 0;
}

void ros_conn_close(ros_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		/* A courtesy close_notify; the socket is closed right after either way. */
		if (c->fd >= 0)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	SSL_CTX_free(c->ctx);
	c->ctx = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ros_parser_destroy(c->parser);
	c->parser = NULL;
	c->rpos = c->rlen = 0;
	pending_clear(c);
}

void ros_conn_destroy(ros_conn *c)
{
	if (!c)
		return;
	ros_conn_close(c);
	free(c->pending);
	free(c->host);
	free(c->username);
	if (c->password) {
		OPENSSL_cleanse(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->ca_file);
	free(c->tls_name);
	free(c);
}

bool ros_conn_is_open(const ros_conn *c)
{
	return c && c->fd >= 0;
}

ros_login_style ros_conn_login_style(const ros_conn *c)
{
	return c ? c->login : ROS_LOGIN_NONE;
}

const char *ros_conn_errmsg(const ros_conn *c)
{
	return c ? c->errmsg : "";
}

/* --- time and waiting ------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until fd is ready for events or the deadline passes.  Returns 1
 * when ready, 0 on timeout, -1 on a poll error (errno set).
 */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* --- TCP -------------------------------------------------------------- */

/* Tries one address.  Returns the connected socket, or -1 with *why set (errno or ETIMEDOUT). */
static int tcp_try(const struct addrinfo *ai, int64_t deadline, int *why)
{
	int fd, rc, soerr = 0;
	socklen_t slen = sizeof(soerr);
	int one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*why = errno;
		return -1;
	}
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc < 0 && errno != EINPROGRESS) {
		*why = errno;
		goto fail;
	}
	if (rc < 0) {
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc <= 0) {
			*why = rc == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
			soerr = errno;
		if (soerr) {
			*why = soerr;
			goto fail;
		}
	}
	/* Commands are small and answered one by one: do not wait to fill segments. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return -1;
}

static ros_err tcp_connect(ros_conn *c, int64_t deadline)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	char port[8];
	int rc, why = ECONNREFUSED;

	snprintf(port, sizeof(port), "%u", (unsigned)c->port);
	rc = getaddrinfo(c->host, port, &hints, &res);
	if (rc != 0)
		return conn_error(
			c, ROS_ERR_RESOLVE,
			"cannot resolve the router address \"%s\" (%s): check the address "
			"in the router's settings",
			c->host, gai_strerror(rc));
	for (ai = res; ai && c->fd < 0; ai = ai->ai_next)
		c->fd = tcp_try(ai, deadline, &why);
	freeaddrinfo(res);
	if (c->fd >= 0)
		return ROS_OK;
	if (why == ETIMEDOUT)
		return conn_error(
			c, ROS_ERR_CONNECT_TIMEOUT,
			"no answer from %s port %u within %d ms: check the address, that the "
			"router is up and that no firewall drops the API port",
			c->host, (unsigned)c->port, c->connect_timeout_ms);
	if (why == ECONNREFUSED)
		return conn_error(
			c, ROS_ERR_REFUSED,
			"%s refused the connection on port %u: enable the API service on the "
			"router (/ip service: api for 8728, api-ssl for 8729) and check the "
			"port",
			c->host, (unsigned)c->port);
	return conn_error(
		c, ROS_ERR_CONNECT,
		"cannot connect to %s port %u (%s): check the address and the route to it", c->host,
		(unsigned)c->port, strerror(why));
}

/* --- TLS -------------------------------------------------------------- */

static const char *tls_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "no detail";
}

static ros_err tls_setup(ros_conn *c)
{
	const char *name = c->tls_name ? c->tls_name : c->host;
	unsigned char addr[16];
	bool is_ip;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return conn_error(c, ROS_ERR_NOMEM, "cannot set up TLS: %s", tls_reason());
	/* A router that drops the TCP connection without close_notify is just closed. */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (c->tls == ROS_TLS_ANON) {
		/* RouterOS without a certificate offers only anonymous DH suites, which
		 * exist up to TLS 1.2 and need security level 0. */
		SSL_CTX_set_max_proto_version(c->ctx, TLS1_2_VERSION);
		if (!SSL_CTX_set_cipher_list(c->ctx, "ADH:@SECLEVEL=0"))
			return conn_error(c, ROS_ERR_TLS, "cannot enable anonymous TLS: %s",
					  tls_reason());
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (c->ca_file ? !SSL_CTX_load_verify_locations(c->ctx, c->ca_file, NULL)
			       : !SSL_CTX_set_default_verify_paths(c->ctx))
			return conn_error(
				c, ROS_ERR_CERT, "cannot load the trusted CAs from %s: %s",
				c->ca_file ? c->ca_file : "the system store", tls_reason());
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		return conn_error(c, ROS_ERR_NOMEM, "cannot set up TLS: %s", tls_reason());
	if (c->tls == ROS_TLS_VERIFY) {
		is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
		if (is_ip ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name)
			  : !SSL_set1_host(c->ssl, name) || !SSL_set_tlsext_host_name(c->ssl, name))
			return conn_error(c, ROS_ERR_TLS,
					  "cannot check the certificate name %s: %s", name,
					  tls_reason());
	}
	return ROS_OK;
}

static ros_err tls_handshake_error(ros_conn *c)
{
	long vr = SSL_get_verify_result(c->ssl);

	if (c->tls == ROS_TLS_VERIFY && vr != X509_V_OK)
		return conn_error(c, ROS_ERR_CERT,
				  "the certificate of %s port %u is not trusted (%s): give the CA "
				  "that signed the router's api-ssl certificate, and check that it "
				  "names %s",
				  c->host, (unsigned)c->port, X509_verify_cert_error_string(vr),
				  c->tls_name ? c->tls_name : c->host);
	if (c->tls == ROS_TLS_VERIFY)
		return conn_error(
			c, ROS_ERR_TLS,
			"TLS handshake with %s port %u failed (%s): if the router's api-ssl "
			"service has no certificate, set one, or allow anonymous TLS for "
			"this router",
			c->host, (unsigned)c->port, tls_reason());
	return conn_error(c, ROS_ERR_TLS,
			  "anonymous TLS handshake with %s port %u failed (%s): the router's "
			  "api-ssl service probably has a certificate; turn anonymous TLS off for "
			  "this router",
			  c->host, (unsigned)c->port, tls_reason());
}

static ros_err tls_connect(ros_conn *c, int64_t deadline)
{
	ros_err err;

	ERR_clear_error();
	err = tls_setup(c);
	if (err != ROS_OK)
		return err;
	for (;;) {
		int rc = SSL_connect(c->ssl), w;

		if (rc == 1)
			return ROS_OK;
		switch (SSL_get_error(c->ssl, rc)) {
		case SSL_ERROR_WANT_READ:
			w = wait_fd(c->fd, POLLIN, deadline);
			break;
		case SSL_ERROR_WANT_WRITE:
			w = wait_fd(c->fd, POLLOUT, deadline);
			break;
		default:
			return tls_handshake_error(c);
		}
		if (w == 0)
			return conn_error(
				c, ROS_ERR_CONNECT_TIMEOUT,
				"TLS handshake with %s port %u did not finish within %d ms: "
				"check that the port is the router's api-ssl service",
				c->host, (unsigned)c->port, c->connect_timeout_ms);
		if (w < 0)
			return conn_error(c, ROS_ERR_IO, "TLS handshake with %s failed: %s",
					  c->host, strerror(errno));
	}
}

ros_err ros_conn_connect(ros_conn *c)
{
	int64_t deadline;
	ros_err err = ROS_ERR_STATE;

	if (!c)
		return ROS_ERR_INVALID;
	if (c->fd >= 0)
		return conn_error(c, err, "the connection to %s is already open", c->host);
	c->errmsg[0] = '\0';
	c->login = ROS_LOGIN_NONE;
	deadline = now_ms() + c->connect_timeout_ms;
	err = tcp_connect(c, deadline);
	if (err != ROS_OK)
		goto out;
	if (c->tls != ROS_TLS_OFF && (err = tls_connect(c, deadline)) != ROS_OK)
		goto out;
	c->parser = ros_parser_create(&c->limits);
	if (!c->parser)
		err = conn_error(c, ROS_ERR_NOMEM, "out of memory");
out:
	if (err != ROS_OK)
		ros_conn_close(c);
	return err;
}

/* --- bytes ------------------------------------------------------------ */

/* Drops the connection after an I/O or framing failure: its framing is lost. */
static ros_err conn_drop(ros_conn *c, ros_err err)
{
	ros_conn_close(c);
	return err;
}

static ros_err io_timeout(ros_conn *c, const char *what)
{
	return conn_error(c, ROS_ERR_TIMEOUT,
			  "%s %u sent nothing for %d ms while %s: the router is overloaded or the "
			  "link drops packets; raise the timeout or check the router",
			  c->host, (unsigned)c->port, c->io_timeout_ms, what);
}

static ros_err peer_closed(ros_conn *c)
{
	conn_error(c, ROS_ERR_CLOSED,
		   "%s port %u closed the connection: the router restarted, its API service was "
		   "disabled, or it dropped the session",
		   c->host, (unsigned)c->port);
	return conn_drop(c, ROS_ERR_CLOSED);
}

/*
 * SSL_write reaches write(2), which raises SIGPIPE on a closed socket; the
 * signal is blocked around it and a pending one consumed, as libpq does, so
 * that the program's own handling is left alone.
 */
static int ssl_write_nosigpipe(SSL *ssl, const void *buf, int len)
{
	sigset_t block, old, pend;
	bool was_pending;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	sigpending(&pend);
	was_pending = sigismember(&pend, SIGPIPE);
	rc = SSL_write(ssl, buf, len);
	if (rc <= 0 && !was_pending) {
		struct timespec zero = {0, 0};

		sigpending(&pend);
		if (sigismember(&pend, SIGPIPE))
			sigtimedwait(&block, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Writes all len bytes, waiting up to the I/O timeout each time the socket is full. */
static ros_err write_all(ros_conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		short ev = POLLOUT;
		size_t chunk = len - off > INT32_MAX ? INT32_MAX : len - off;
		int w;

		if (c->ssl) {
			int rc = ssl_write_nosigpipe(c->ssl, buf + off, (int)chunk);

			if (rc > 0) {
				off += (size_t)rc;
				continue;
			}
			switch (SSL_get_error(c->ssl, rc)) {
			case SSL_ERROR_WANT_READ:
				ev = POLLIN;
				break;
			case SSL_ERROR_WANT_WRITE:
				break;
			default:
				conn_error(c, ROS_ERR_IO, "sending to %s failed: %s", c->host,
					   tls_reason());
				return conn_drop(c, ROS_ERR_IO);
			}
		} else {
			ssize_t n = send(c->fd, buf + off, chunk, MSG_NOSIGNAL);

			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_error(c, ROS_ERR_IO, "sending to %s failed: %s", c->host,
					   strerror(errno));
				return conn_drop(c, ROS_ERR_IO);
			}
		}
		w = wait_fd(c->fd, ev, now_ms() + c->io_timeout_ms);
		if (w == 0)
			return conn_drop(c, io_timeout(c, "accepting a command"));
		if (w < 0) {
			conn_error(c, ROS_ERR_IO, "waiting on %s failed: %s", c->host,
				   strerror(errno));
			return conn_drop(c, ROS_ERR_IO);
		}
	}
	return ROS_OK;
}

/* Reads what is available into rbuf (which must be empty), waiting up to the I/O timeout. */
static ros_err read_some(ros_conn *c)
{
	int64_t deadline = now_ms() + c->io_timeout_ms;

	for (;;) {
		short ev = POLLIN;
		int w;

		if (c->ssl) {
			int rc = SSL_read(c->ssl, c->rbuf, sizeof(c->rbuf));

			if (rc > 0) {
				c->rpos = 0;
				c->rlen = (size_t)rc;
				return ROS_OK;
			}
			switch (SSL_get_error(c->ssl, rc)) {
			case SSL_ERROR_WANT_READ:
				break;
			case SSL_ERROR_WANT_WRITE:
				ev = POLLOUT;
				break;
			case SSL_ERROR_ZERO_RETURN:
				return peer_closed(c);
			default:
				conn_error(c, ROS_ERR_IO, "reading from %s failed: %s", c->host,
					   tls_reason());
				return conn_drop(c, ROS_ERR_IO);
			}
		} else {
			ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);

			if (n > 0) {
				c->rpos = 0;
				c->rlen = (size_t)n;
				return ROS_OK;
			}
			if (n == 0)
				return peer_closed(c);
			if (errno == ECONNRESET)
				return peer_closed(c);
			if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_error(c, ROS_ERR_IO, "reading from %s failed: %s", c->host,
					   strerror(errno));
				return conn_drop(c, ROS_ERR_IO);
			}
			if (errno == EINTR)
				continue;
		}
		w = wait_fd(c->fd, ev, deadline);
		if (w == 0)
			return io_timeout(c, "a reply was awaited");
		if (w < 0) {
			conn_error(c, ROS_ERR_IO, "waiting on %s failed: %s", c->host,
				   strerror(errno));
			return conn_drop(c, ROS_ERR_IO);
		}
	}
}

/* The next sentence from the router.  Caller owns *out. */
static ros_err read_sentence(ros_conn *c, ros_sentence **out)
{
	*out = NULL;
	for (;;) {
		ros_err err;
		size_t used = 0;

		if (c->rpos < c->rlen) {
			err = ros_parser_feed(c->parser, c->rbuf + c->rpos, c->rlen - c->rpos,
					      &used, out);
			c->rpos += used;
			if (err != ROS_OK) {
				conn_error(
					c, err, "%s port %u sent a reply this client refuses: %s",
					c->host, (unsigned)c->port, ros_parser_errmsg(c->parser));
				return conn_drop(c, err);
			}
			if (*out)
				return ROS_OK;
		}
		err = read_some(c);
		if (err != ROS_OK)
			return err;
	}
}

/* --- commands --------------------------------------------------------- */

static struct pending *pending_find(ros_conn *c, uint32_t tag)
{
	size_t i;

	for (i = 0; i < c->npending; i++)
		if (c->pending[i].tag == tag)
			return &c->pending[i];
	return NULL;
}

static void pending_remove(ros_conn *c, struct pending *p)
{
	*p = c->pending[--c->npending];
}

/* A tag no command in flight uses; tags are never 0 so that a missing tag stands out. */
static uint32_t tag_next(ros_conn *c)
{
	uint32_t t;

	do {
		t = c->next_tag++;
		if (c->next_tag == 0)
			c->next_tag = 1;
	} while (t == 0 || pending_find(c, t));
	return t;
}

static ros_err pending_add(ros_conn *c, uint32_t tag)
{
	struct pending *p;

	if (c->npending == c->cappending) {
		struct pending *np = ros__grow(c->pending, &c->cappending, 4, sizeof(*np));

		if (!np)
			return ROS_ERR_NOMEM;
		c->pending = np;
	}
	p = &c->pending[c->npending];
	p->reply = ros__reply_create();
	if (!p->reply)
		return ROS_ERR_NOMEM;
	p->tag = tag;
	p->done = false;
	c->npending++;
	return ROS_OK;
}

/* The encoded command with ".tag=N" appended before its terminator.  Caller frees *out. */
static ros_err encode_tagged(const ros_sentence *cmd, uint32_t tag, uint8_t **out, size_t *len)
{
	char word[16];
	uint8_t *buf = NULL, *nb;
	size_t blen = 0, wlen, plen;
	ros_err err;

	wlen = (size_t)snprintf(word, sizeof(word), ".tag=%u", tag);
	err = ros_sentence_encode(cmd, &buf, &blen);
	if (err != ROS_OK)
		return err;
	nb = realloc(buf, blen + 1 + wlen);
	if (!nb) {
		free(buf);
		return ROS_ERR_NOMEM;
	}
	/* The terminator's byte becomes the tag word's prefix (its length is < 0x80). */
	plen = blen - 1;
	nb[plen++] = (uint8_t)wlen;
	memcpy(nb + plen, word, wlen);
	plen += wlen;
	nb[plen++] = 0;
	*out = nb;
	*len = plen;
	return ROS_OK;
}

ros_err ros_send(ros_conn *c, const ros_sentence *cmd, uint32_t *tag)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t t, dummy;
	ros_err err;

	if (!c || !cmd || !tag || ros_sentence_count(cmd) == 0 || ros_sentence_tag(cmd, &dummy))
		return ROS_ERR_INVALID;
	if (c->fd < 0)
		return conn_error(c, ROS_ERR_STATE, "the connection to %s is not open", c->host);
	t = tag_next(c);
	err = encode_tagged(cmd, t, &buf, &len);
	if (err == ROS_OK)
		err = pending_add(c, t);
	if (err != ROS_OK) {
		free(buf);
		return conn_error(c, err, "out of memory");
	}
	err = write_all(c, buf, len);
	free(buf);
	if (err != ROS_OK)
		return err; /* write_all closed the connection and cleared the table */
	*tag = t;
	return ROS_OK;
}

/* Ends the session on !fatal: its word after the type is the reason, bare. */
static ros_err handle_fatal(ros_conn *c, const ros_sentence *s)
{
	const char *reason = ros_sentence_word(s, 1, NULL);
	const char *msg = ros_sentence_attr(s, "message", NULL);

	if (msg)
		reason = msg;
	conn_error(c, ROS_ERR_FATAL, "%s port %u ended the session: %s", c->host, (unsigned)c->port,
		   reason ? reason : "no reason given");
	return conn_drop(c, ROS_ERR_FATAL);
}

/* Routes one sentence from the router to the command it belongs to. */
static ros_err dispatch(ros_conn *c, ros_sentence *s)
{
	struct pending *p;
	uint32_t tag;

	if (strcmp(ros_sentence_command(s), "!fatal") == 0) {
		ros_err err = handle_fatal(c, s);

		ros_sentence_destroy(s);
		return err;
	}
	/* Every command is sent tagged: an untagged or unknown tag belongs to none
	 * in flight (a late answer to one already given up on), so it is dropped. */
	if (!ros_sentence_tag(s, &tag) || !(p = pending_find(c, tag)) || p->done) {
		ros_sentence_destroy(s);
		return ROS_OK;
	}
	if (ros__reply_take(p->reply, s, c->limits.max_reply))
		p->done = true;
	return ROS_OK;
}

static void note_reply_error(ros_conn *c, ros_err err, const ros_reply *r)
{
	if (err == ROS_ERR_TOO_LARGE)
		conn_error(c, err,
			   "a reply from %s passed the cap of %zu bytes: narrow the request "
			   "(.proplist, a query) or raise the cap",
			   c->host, c->limits.max_reply);
	else if (err == ROS_ERR_DENIED)
		conn_error(c, err,
			   "user \"%s\" on %s lacks a policy (%s): give its group the api policy, "
			   "and read and write for changes",
			   c->username, c->host, ros_reply_trap_message(r, 0));
	else if (err != ROS_OK)
		conn_error(c, err, "%s answered: %s", c->host, ros_reply_trap_message(r, 0));
}

ros_err ros_wait(ros_conn *c, uint32_t tag, ros_reply **out)
{
	struct pending *p;
	ros_err err;

	if (!out)
		return ROS_ERR_INVALID;
	*out = NULL;
	if (!c)
		return ROS_ERR_INVALID;
	if (!pending_find(c, tag))
		return conn_error(c, ROS_ERR_INVALID, "no command with tag %u is in flight", tag);
	while (!(p = pending_find(c, tag))->done) {
		ros_sentence *s;

		err = read_sentence(c, &s);
		if (err == ROS_OK)
			err = dispatch(c, s);
		if (err != ROS_OK)
			return err;
	}
	*out = p->reply;
	pending_remove(c, p);
	err = ros__reply_result(*out);
	note_reply_error(c, err, *out);
	return err;
}

ros_err ros_call(ros_conn *c, const ros_sentence *cmd, ros_reply **out)
{
	uint32_t tag;
	ros_err err;

	if (!out)
		return ROS_ERR_INVALID;
	*out = NULL;
	err = ros_send(c, cmd, &tag);
	if (err != ROS_OK)
		return err;
	return ros_wait(c, tag, out);
}

ros_err ros_call_words(ros_conn *c, const char *const *words, ros_reply **out)
{
	ros_sentence *cmd = ros_sentence_create();
	ros_err err = ROS_ERR_NOMEM;

	if (out)
		*out = NULL;
	if (!cmd)
		return err;
	for (err = ROS_OK; words && *words && err == ROS_OK; words++)
		err = ros_sentence_add_str(cmd, *words);
	if (err == ROS_OK)
		err = ros_call(c, cmd, out);
	ros_sentence_destroy(cmd);
	return err;
}

ros_err ros_cancel(ros_conn *c, uint32_t tag)
{
	ros_sentence *cmd = NULL;
	ros_reply *r = NULL;
	char num[12];
	ros_err err = ROS_ERR_INVALID;

	if (!c || !pending_find(c, tag))
		goto out;
	err = ROS_ERR_NOMEM;
	cmd = ros_sentence_create();
	snprintf(num, sizeof(num), "%u", tag);
	if (!cmd || ros_sentence_add_str(cmd, "/cancel") != ROS_OK ||
	    ros_sentence_add_attr_str(cmd, "tag", num) != ROS_OK)
		goto out;
	err = ros_call(c, cmd, &r);
out:
	ros_reply_destroy(r);
	ros_sentence_destroy(cmd);
	return err;
}

/* --- login ------------------------------------------------------------ */

static ros_err login_send(ros_conn *c, const char *key, const char *secret, ros_reply **r)
{
	ros_sentence *cmd = ros_sentence_create();
	ros_err err = ROS_ERR_NOMEM;

	if (cmd && ros_sentence_add_str(cmd, "/login") == ROS_OK &&
	    ros_sentence_add_attr_str(cmd, "name", c->username) == ROS_OK &&
	    ros_sentence_add_attr_str(cmd, key, secret) == ROS_OK)
		err = ros_call(c, cmd, r);
	else
		conn_error(c, err, "out of memory");
	if (cmd) {
		/* The password was copied into the sentence: wipe it before freeing. */
		size_t i, len;

		for (i = 0; i < ros_sentence_count(cmd); i++) {
			char *w = (char *)ros_sentence_word(cmd, i, &len);

			OPENSSL_cleanse(w, len);
		}
	}
	ros_sentence_destroy(cmd);
	return err;
}

static ros_err login_refused(ros_conn *c, ros_err err, const ros_reply *r)
{
	const char *msg = ros_reply_trap_message(r, 0);

	if (err == ROS_ERR_DENIED)
		return conn_error(
			c, err,
			"user \"%s\" may not use the API on %s (%s): add the api policy to "
			"the user's group",
			c->username, c->host, msg);
	return conn_error(c, ROS_ERR_AUTH,
			  "%s refused the login of user \"%s\" (%s): check the user name and "
			  "password stored for this router",
			  c->host, c->username, *msg ? msg : "no reason given");
}

ros_err ros_conn_login(ros_conn *c)
{
	ros_reply *r = NULL;
	const char *ret;
	size_t retlen = 0;
	char response[35];
	ros_err err;

	if (!c)
		return ROS_ERR_INVALID;
	err = login_send(c, "password", c->password, &r);
	if (err == ROS_OK && (ret = ros_reply_ret(r, &retlen)) != NULL) {
		/* Before 6.43 the router ignores the password and sends a challenge. */
		err = ros__challenge_response(c->password, ret, retlen, response);
		ros_reply_destroy(r);
		r = NULL;
		if (err != ROS_OK) {
			conn_error(c, err, "%s sent a login challenge that is not 16 hex bytes",
				   c->host);
			goto out;
		}
		err = login_send(c, "response", response, &r);
		OPENSSL_cleanse(response, sizeof(response));
		if (err == ROS_OK)
			c->login = ROS_LOGIN_CHALLENGE;
	} else if (err == ROS_OK) {
		c->login = ROS_LOGIN_PLAIN;
	}
	if (err == ROS_ERR_TRAP || err == ROS_ERR_DENIED)
		err = login_refused(c, err, r);
out:
	ros_reply_destroy(r);
	if (err != ROS_OK) {
		c->login = ROS_LOGIN_NONE;
		ros_conn_close(c);
	}
	return err;
}

ros_err ros_conn_open(ros_conn *c)
{
	ros_err err = ros_conn_connect(c);

	if (err == ROS_OK)
		err = ros_conn_login(c);
	return err;
}
