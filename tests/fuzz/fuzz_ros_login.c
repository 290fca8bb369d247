/*
 * libFuzzer target: the login exchange (plaintext and MD5 challenge) and
 * the provisioner's readers after it, against arbitrary router bytes.
 *
 * A "router" thread listens on loopback; every connection it accepts gets
 * the fuzz input (after its first byte) as the router's side of the
 * conversation, then end of stream.  Each input is played twice: to
 * test-connection (connect, /login with its challenge fallback, the
 * permission reads and write probe, version parsing) and to a pool running
 * the statistics request (login again, then /system/resource parsing).
 * The client's tags are predictable (1, 2, ...), so seeds can answer them.
 * The first input byte picks small reply caps (bit 0).
 */
#include "routeros/provision.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_INPUT 65536

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t input[MAX_INPUT];
static size_t input_len;
static uint16_t port;

static void send_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Plays the current input to each connection, then reads until the client hangs up. */
static void *router(void *arg)
{
	int lfd = *(int *)arg;
	uint8_t sink[4096], *copy = malloc(MAX_INPUT);

	if (!copy)
		abort();
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		size_t len;

		if (fd < 0)
			continue;
		pthread_mutex_lock(&lock);
		len = input_len;
		memcpy(copy, input, len);
		pthread_mutex_unlock(&lock);
		send_all(fd, copy, len);
		shutdown(fd, SHUT_WR);
		while (recv(fd, sink, sizeof(sink), 0) > 0)
			;
		close(fd);
	}
	return NULL;
}

static void start_router(void)
{
	static int lfd;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	pthread_t th;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
		abort();
	port = ntohs(a.sin_port);
	if (pthread_create(&th, NULL, router, &lfd) != 0)
		abort();
	pthread_detach(th);
}

static ros_pool_config config(bool small)
{
	ros_pool_config cfg = {
		.conn = {.host = "127.0.0.1",
			 .port = port,
			 .username = "admin",
			 .password = "secret",
			 .connect_timeout_ms = 2000,
			 .io_timeout_ms = 500},
		.max_conns = 1,
		.rate_per_minute = 6000000,
		.rate_burst = 1000,
		.retries = -1,
	};

	if (small) {
		cfg.conn.limits.max_word = 64;
		cfg.conn.limits.max_sentence = 256;
		cfg.conn.limits.max_words = 8;
		cfg.conn.limits.max_reply = 1024;
	}
	return cfg;
}

static void check_strings(const ros_prov_check *ck)
{
	size_t i;

	for (i = 0; i < ROS_STEP__COUNT; i++)
		if (strlen(ck->steps[i].message) >= sizeof(ck->steps[i].message))
			abort();
	if (strlen(ck->identity) >= sizeof(ck->identity) ||
	    strlen(ck->version) >= sizeof(ck->version))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ros_pool_config cfg;
	ros_prov_check ck;
	ros_prov_stats st;
	ros_pool *p;
	ros_msg msg = {{0}};
	ros_err err;

	if (size < 1 || size - 1 > MAX_INPUT)
		return 0;
	if (port == 0)
		start_router();
	pthread_mutex_lock(&lock);
	memcpy(input, data + 1, size - 1);
	input_len = size - 1;
	pthread_mutex_unlock(&lock);
	cfg = config(data[0] & 1);

	p = ros_pool_create(&cfg);
	if (!p)
		abort();
	err = ros_prov_test_connection(p, &ck, &msg);
	check_strings(&ck);
	if (err == ROS_OK && ck.major < 6)
		abort();
	err = ros_prov_get_stats(p, &st, &msg);
	if (err == ROS_OK && (st.cpu_load < 0 || st.cpu_load > 100))
		abort();
	if (strlen(msg.text) >= sizeof(msg.text))
		abort();
	ros_pool_destroy(p);
	return 0;
}
