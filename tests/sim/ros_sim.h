/*
 * The RouterOS API simulator: what its files share.  ros_sim.c runs the
 * listener, the connections and the protocol (login, tags, /cancel,
 * streams, fault injection); ros_sim_menus.c keeps the router's state and
 * answers the menu commands.  Words are framed by the client library's own
 * codec (routeros/routeros.h).
 */
#ifndef HS_TESTS_ROS_SIM_H
#define HS_TESTS_ROS_SIM_H

#include "routeros/routeros.h"

#include <stdbool.h>
#include <stdint.h>

struct sim_config {
	const char *host;
	uint16_t port;
	int version; /* 6: challenge login, no !empty; 7: plaintext login, !empty */
	const char *user;
	const char *password;
	const char *identity;
	int slow_ms;          /* delay before every answer */
	long drop_after;      /* close a connection when command N+1 arrives; -1: never */
	bool fatal;           /* answer every command after login with !fatal */
	bool wrong_password;  /* refuse every login as if the password were wrong */
	bool no_api_policy;   /* the user's group lacks the api policy */
	bool read_only;       /* the user's group lacks the write policy */
	bool noise;           /* an unknown reply word before every answer */
	const char *tls_cert; /* API-SSL with this certificate (PEM) */
	const char *tls_key;
	bool tls_anon;         /* API-SSL with anonymous DH, no certificate */
	int file_contents_max; /* longest file contents shown or set over the API */
	bool trace;            /* print each command and its query words on stdout */
};

/* The answer to one command: sentences in order, tagged by the caller. */
struct sim_out {
	ros_sentence **v;
	size_t count;
	size_t cap;
};

/* Appends a new sentence of the given type ("!re", "!done", ...) and returns it. */
ros_sentence *sim_out_add(struct sim_out *out, const char *type);

/* Appends "=key=value" to s; the simulator gives up on out-of-memory. */
void sim_attr(ros_sentence *s, const char *key, const char *value);

/* Appends "!trap =message=msg" (and =category= when category >= 0). */
void sim_trap(struct sim_out *out, int category, const char *msg);

void sim_out_free(struct sim_out *out);

/* Aborts the simulator on an error it cannot go on from (out of memory). */
void sim_check(ros_err err);
void sim_oom(void) __attribute__((noreturn));

/* Sets up the router's state for cfg; call once before serving. */
void sim_state_init(const struct sim_config *cfg);

/* Adds a line to the router's log (/log/print). Thread-safe. */
void sim_log(const char *topics, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Answers one menu command (the connection is logged in) into out.
 * Thread-safe.  Returns false when the command is unknown (out untouched).
 */
bool sim_menu_command(const ros_sentence *cmd, struct sim_out *out);

/*
 * Traffic counters of interface name for /interface/monitor-traffic:
 * false when there is no such interface.
 */
bool sim_interface_rates(const char *name, uint64_t *rx_bps, uint64_t *tx_bps);

#endif
