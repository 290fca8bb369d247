/*
 * A Dynamic Authorization client (RFC 5176) on libfreeradius-radius: sends
 * a Disconnect-Request to a router's CoA port, signed with its RADIUS
 * secret (Request Authenticator and Message-Authenticator), retransmits it
 * within a time budget, and checks the router's Disconnect-ACK or
 * Disconnect-NAK (Response Authenticator, Message-Authenticator when
 * present, Identifier, source address) before believing it.
 *
 * Thread-safe: any number of workers may send at once.  Each exchange has
 * its own socket and its own talloc context; the few calls into the
 * library that touch its global state (dictionary, random pool) are
 * serialised inside this module, never while waiting for an answer.
 */
#ifndef HS_API_COA_H
#define HS_API_COA_H

#include <stddef.h>

/* What became of one Disconnect-Request. */
typedef enum {
	API_COA_ACK = 0, /* Disconnect-ACK: the router ended the session */
	API_COA_NAK,     /* Disconnect-NAK: the router refused (see error_cause) */
	API_COA_TIMEOUT, /* no valid answer within the time budget */
	API_COA_ERROR,   /* could not send at all (dictionary, socket, bad address) */
} api_coa_result;

/* Longest User-Name and Acct-Session-Id sent (an attribute holds 253 bytes). */
#define API_COA_STRING_MAX 253

/* Longest RADIUS secret accepted (the routers table allows 128). */
#define API_COA_SECRET_MAX 128

/* Where to send: the router's address (an IPv4 or IPv6 literal), CoA port
 * and secret, and how long to try. */
typedef struct {
	const char *address;
	int port;
	const char *secret;
	int timeout_ms; /* total time waited for an answer, all sends included */
	int retries;    /* retransmissions after the first send, within timeout_ms */
} api_coa_target;

/* Which session to end.  framed_ip and nas_ip are IP literals or NULL
 * (the attribute is then left out). */
typedef struct {
	const char *user_name;
	const char *acct_session_id;
	const char *framed_ip;
	const char *nas_ip;
} api_coa_session;

/* Details of an exchange, for logs and job errors.  err never holds the
 * secret. */
typedef struct {
	int error_cause; /* Error-Cause of a NAK (RFC 5176 3.6), 0 when absent */
	int sends;       /* transmissions made (1 + retransmissions) */
	int rejected;    /* answers dropped: unverifiable, wrong Identifier or source */
	char err[256];   /* why, for TIMEOUT and ERROR; "" otherwise */
} api_coa_outcome;

/*
 * Loads the RADIUS dictionary from dict_dir (FreeRADIUS's "dictionary"
 * file and what it includes) and checks that libfreeradius-radius is the
 * version this program was built against.  Done once per process: later
 * calls return the first success at once, whatever dict_dir; a failure is
 * not remembered, so a later call tries again.  Returns 0, or -1 with the
 * reason in err.
 */
int api_coa_init(const char *dict_dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Sends a Disconnect-Request for s to t and waits for the answer: the
 * request goes out 1 + t->retries times, evenly spread over t->timeout_ms
 * (a retransmission is the same packet: same Identifier, same
 * authenticator), and the first verified ACK or NAK ends the wait.
 * Attributes: User-Name, Acct-Session-Id, Framed-IP-Address (or
 * Framed-IPv6-Address), NAS-IP-Address (or NAS-IPv6-Address),
 * Event-Timestamp and Message-Authenticator.  api_coa_init must have
 * succeeded.  Blocks at most about t->timeout_ms.  out is always filled.
 * Nothing is kept after the call; the caller owns t, s and out.
 */
api_coa_result api_coa_disconnect(const api_coa_target *t, const api_coa_session *s,
				  api_coa_outcome *out) __attribute__((nonnull));

/* "ack", "nak", "timeout" or "error": the names hs_radius_disconnect_result
 * records. */
const char *api_coa_result_name(api_coa_result r);

#endif
