/*
 * RouterOS API client.
 *
 * Three layers, each usable on its own:
 *
 *   wire      words and sentences as RouterOS frames them (a length prefix of
 *             1 to 5 bytes, then the bytes; a zero-length word ends a
 *             sentence), and an incremental parser that accepts the bytes in
 *             any chunking.  Words are raw bytes: they may hold NUL and
 *             newlines.
 *   ros_conn  one connection to one router: TCP or API-SSL, login (plaintext
 *             with a fallback to the MD5 challenge of RouterOS before 6.43),
 *             tagged commands with several in flight, /cancel, timeouts.
 *   ros_reply what a command answered: its !re items, the =ret= of its
 *             !done, its !trap messages, whether the router said !empty.
 *
 * A ros_conn is used by one thread at a time; distinct connections are
 * independent.  Every function that can fail returns a ros_err; a connection
 * also keeps a message for people (ros_conn_errmsg) that names what to check.
 */
#ifndef HS_ROUTEROS_H
#define HS_ROUTEROS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROS_WUR __attribute__((warn_unused_result))

/*
 * The error list: name, whether a retry later may succeed, description.
 * "Temporary" errors are worth a retry with backoff; the others need a person
 * to change something (address, credentials, policy, certificate) first.
 */
#define ROS_ERR_MAP(XX)                                                                            \
	XX(OK, 0, "success")                                                                       \
	XX(NOMEM, 1, "out of memory")                                                              \
	XX(INVALID, 0, "invalid argument")                                                         \
	XX(RESOLVE, 1, "router address could not be resolved")                                     \
	XX(CONNECT_TIMEOUT, 1, "connection timed out")                                             \
	XX(REFUSED, 1, "connection refused")                                                       \
	XX(CONNECT, 1, "connection failed")                                                        \
	XX(TLS, 0, "TLS handshake failed")                                                         \
	XX(CERT, 0, "router certificate not trusted")                                              \
	XX(AUTH, 0, "authentication failed")                                                       \
	XX(DENIED, 0, "access denied (missing policy)")                                            \
	XX(TIMEOUT, 1, "router did not answer in time")                                            \
	XX(CLOSED, 1, "connection closed by router")                                               \
	XX(FATAL, 1, "router ended the session")                                                   \
	XX(IO, 1, "network error")                                                                 \
	XX(PROTOCOL, 0, "protocol error")                                                          \
	XX(TOO_LARGE, 0, "reply too large")                                                        \
	XX(TRAP, 0, "command failed")                                                              \
	XX(INTERRUPTED, 0, "command cancelled")                                                    \
	XX(STATE, 0, "connection not open")                                                        \
	XX(RATE_LIMITED, 1, "too many requests to this router")                                    \
	XX(NOT_FOUND, 0, "no such item on the router")                                             \
	XX(UNSUPPORTED, 0, "not supported by this router")

typedef enum {
#define ROS__ERR_ENUM(name, temp, desc) ROS_ERR_##name,
	ROS_ERR_MAP(ROS__ERR_ENUM)
#undef ROS__ERR_ENUM
		ROS_ERR__COUNT
} ros_err;

#define ROS_OK ROS_ERR_OK

/* "AUTH", "TIMEOUT", ...; "UNKNOWN" for a value outside the list. */
const char *ros_err_name(ros_err err);

/* One line describing err, e.g. "connection refused". Never NULL. */
const char *ros_err_str(ros_err err);

/* Whether the same request may succeed later without anyone changing anything. */
bool ros_err_temporary(ros_err err);

/* --- limits ------------------------------------------------------------- */

/*
 * Caps on what a peer may make us allocate.  Zero fields take the defaults
 * below.  A length prefix is checked against them before any allocation.
 */
typedef struct ros_limits {
	uint32_t max_word;     /* bytes in one word */
	uint32_t max_sentence; /* bytes in one sentence, all its words together */
	uint32_t max_words;    /* words in one sentence */
	size_t max_reply;      /* bytes one collected reply (all its sentences) may hold */
} ros_limits;

#define ROS_DEFAULT_MAX_WORD     (1u << 20)
#define ROS_DEFAULT_MAX_SENTENCE (4u << 20)
#define ROS_DEFAULT_MAX_WORDS    4096u
#define ROS_DEFAULT_MAX_REPLY    ((size_t)16 << 20)

/* --- wire: word lengths ------------------------------------------------- */

/* The longest length prefix: 0xF0 followed by four bytes. */
#define ROS_LEN_PREFIX_MAX 5

/*
 * Writes the length prefix for a word of len bytes into out.  Returns the
 * number of bytes written, 1 to 5.
 */
size_t ros_word_len_encode(uint32_t len, uint8_t out[ROS_LEN_PREFIX_MAX]);

/*
 * Reads a length prefix from the avail bytes at buf.  Returns the number of
 * prefix bytes consumed (1 to 5) and sets *len; 0 when avail is too short to
 * hold the whole prefix (nothing is consumed); -1 when the first byte is a
 * reserved control byte (0xF1 to 0xFF), which RouterOS never sends.
 */
int ros_word_len_decode(const uint8_t *buf, size_t avail, uint32_t *len);

/* --- wire: sentences ---------------------------------------------------- */

typedef struct ros_sentence ros_sentence;

/* An empty sentence, or NULL when out of memory.  Caller owns it. */
ros_sentence *ros_sentence_create(void);

/* Frees s and its words.  NULL is allowed. */
void ros_sentence_destroy(ros_sentence *s);

/*
 * Appends a copy of the len bytes at word (any bytes, NUL included).
 * ROS_ERR_INVALID for an empty word, which the wire reserves for the end of
 * a sentence; ROS_ERR_TOO_LARGE when len exceeds what a length prefix can express
 * (0xFFFFFFFF); ROS_ERR_NOMEM.  On failure s is unchanged.
 */
ros_err ros_sentence_add(ros_sentence *s, const void *word, size_t len) ROS_WUR;

/* Appends the NUL-terminated word, e.g. "/ip/hotspot/user/print" or "?name=x". */
ros_err ros_sentence_add_str(ros_sentence *s, const char *word) ROS_WUR;

/* Appends the attribute word "=key=value" with len raw bytes of value. */
ros_err ros_sentence_add_attr(ros_sentence *s, const char *key, const void *value,
			      size_t len) ROS_WUR;

/* Appends "=key=value" for a NUL-terminated value. */
ros_err ros_sentence_add_attr_str(ros_sentence *s, const char *key, const char *value) ROS_WUR;

/* Number of words. */
size_t ros_sentence_count(const ros_sentence *s);

/*
 * Word i (from 0) and its length in *len.  The bytes are followed by a NUL
 * that is not part of the word, so text words read as C strings; a word
 * holding NUL needs *len.  NULL when i is out of range.  Owned by s.
 */
const char *ros_sentence_word(const ros_sentence *s, size_t i, size_t *len);

/* The first word ("!re", "!done", "/login", ...), or "" for an empty sentence. */
const char *ros_sentence_command(const ros_sentence *s);

/*
 * The value of the attribute word "=key=value" (the first one if several),
 * with its length in *len (len may be NULL).  NULL when absent.  Owned by s.
 */
const char *ros_sentence_attr(const ros_sentence *s, const char *key, size_t *len);

/*
 * The value of the API attribute ".tag=N" as a number.  Returns false when
 * the sentence has no tag or the tag is not a decimal number below 2^32.
 */
bool ros_sentence_tag(const ros_sentence *s, uint32_t *tag);

/*
 * Encodes s (each word with its prefix, then the zero-length terminator).
 * On success *out is a malloc'd buffer the caller frees and *outlen its
 * length.  ROS_ERR_NOMEM; *out is NULL after failure.
 */
ros_err ros_sentence_encode(const ros_sentence *s, uint8_t **out, size_t *outlen) ROS_WUR;

/* --- wire: incremental parser ------------------------------------------- */

typedef struct ros_parser ros_parser;

/* A parser with the given caps (NULL or zero fields: defaults); NULL when out of memory. */
ros_parser *ros_parser_create(const ros_limits *limits);

void ros_parser_destroy(ros_parser *p);

/*
 * Feeds len bytes.  Consumes bytes up to the end of the first sentence
 * that completes, and sets *used to the number consumed; the caller feeds
 * the rest again.  When a sentence completed, *out receives it (caller
 * owns); otherwise *out is NULL and all bytes were consumed.  Sentences with
 * no word are skipped, as RouterOS does.
 *
 * ROS_ERR_TOO_LARGE when a word or the sentence would pass a cap (checked
 * on the length prefix, before allocating); ROS_ERR_PROTOCOL on a reserved
 * control byte; ROS_ERR_NOMEM.  After an error the parser stays failed (the
 * framing is lost: the connection must be dropped) and
 * ros_parser_errmsg says why.
 */
ros_err ros_parser_feed(ros_parser *p, const uint8_t *data, size_t len, size_t *used,
			ros_sentence **out) ROS_WUR;

/* Why the parser failed, or "" when it has not. */
const char *ros_parser_errmsg(const ros_parser *p);

/* Whether the parser holds part of a sentence (bytes received since the last one ended). */
bool ros_parser_partial(const ros_parser *p);

/* --- connection --------------------------------------------------------- */

typedef enum {
	ROS_TLS_OFF = 0, /* plain API, port 8728 */
	ROS_TLS_VERIFY,  /* API-SSL, the router's certificate checked (chain and name) */
	ROS_TLS_ANON,    /* API-SSL with anonymous DH, TLS 1.2 at most: only when the
			    operator allows it for a router without a certificate */
} ros_tls_mode;

typedef struct ros_options {
	const char *host; /* address or name; required */
	uint16_t port;    /* 0: 8728, or 8729 with TLS */
	const char *username;
	const char *password;
	int connect_timeout_ms; /* TCP connect and TLS handshake; 0: 5000 */
	int io_timeout_ms;      /* longest wait for the router to send or accept bytes; 0: 10000 */
	ros_tls_mode tls;
	const char *tls_ca_file; /* PEM file of trusted CAs; NULL: the system's store */
	const char *tls_name;    /* name or address the certificate must carry; NULL: host */
	ros_limits limits;
} ros_options;

typedef enum {
	ROS_LOGIN_NONE = 0,
	ROS_LOGIN_PLAIN,     /* RouterOS 6.43 and later */
	ROS_LOGIN_CHALLENGE, /* MD5 challenge, RouterOS before 6.43 */
} ros_login_style;

typedef struct ros_conn ros_conn;

/*
 * A closed connection with a copy of opt (strings included; the password is
 * wiped on destroy).  NULL when out of memory or opt->host is missing.
 */
ros_conn *ros_conn_create(const ros_options *opt);

/* Closes the connection if open and frees c.  NULL is allowed. */
void ros_conn_destroy(ros_conn *c);

/*
 * Opens TCP (and TLS when configured) within the connect timeout.
 * ROS_ERR_RESOLVE, ROS_ERR_CONNECT_TIMEOUT, ROS_ERR_REFUSED, ROS_ERR_CONNECT,
 * ROS_ERR_TLS, ROS_ERR_CERT, ROS_ERR_NOMEM; ROS_ERR_STATE when already open.
 * On failure the connection is closed and ros_conn_errmsg says what to check.
 */
ros_err ros_conn_connect(ros_conn *c) ROS_WUR;

/*
 * Logs in with the configured credentials: plaintext first, the MD5
 * challenge when the router answers with =ret=.  ROS_ERR_AUTH (wrong name
 * or password), ROS_ERR_DENIED (the user's group lacks the api policy), or
 * any error of ros_wait.  On failure the connection is closed.
 */
ros_err ros_conn_login(ros_conn *c) ROS_WUR;

/* ros_conn_connect then ros_conn_login. */
ros_err ros_conn_open(ros_conn *c) ROS_WUR;

/*
 * Closes the socket.  Commands still in flight are forgotten.  The
 * connection can be opened again.
 */
void ros_conn_close(ros_conn *c);

/* Whether the connection is open (connected, not failed). */
bool ros_conn_is_open(const ros_conn *c);

/* How the last successful login went. */
ros_login_style ros_conn_login_style(const ros_conn *c);

/*
 * The last error as a sentence a person can act on, naming the router and
 * what to check; "" when no error occurred.  Owned by c, valid until the
 * next call on c.
 */
const char *ros_conn_errmsg(const ros_conn *c);

/* --- commands ----------------------------------------------------------- */

typedef struct ros_reply ros_reply;

/*
 * Sends cmd with a fresh .tag (cmd must not carry one) and returns the tag
 * in *tag.  Several commands may be in flight; collect each with ros_wait.
 * Errors: ROS_ERR_STATE, ROS_ERR_INVALID, ROS_ERR_TIMEOUT, ROS_ERR_IO,
 * ROS_ERR_NOMEM.  An I/O failure closes the connection.
 */
ros_err ros_send(ros_conn *c, const ros_sentence *cmd, uint32_t *tag) ROS_WUR;

/*
 * Reads until the command with this tag is done, routing sentences of other
 * commands in flight to their own replies.  *out receives the reply (caller
 * owns) whenever the router finished the command:
 *   ROS_OK                 !done without !trap
 *   ROS_ERR_TRAP           one or more !trap, then !done
 *   ROS_ERR_DENIED         a !trap saying the user lacks a policy
 *   ROS_ERR_INTERRUPTED    cancelled by /cancel
 *   ROS_ERR_TOO_LARGE      the reply passed limits.max_reply; its items were
 *                          dropped but the connection stays usable
 * Otherwise *out is NULL: ROS_ERR_TIMEOUT (nothing arrived for the I/O
 * timeout; the command stays in flight and may be waited for again),
 * ROS_ERR_FATAL, ROS_ERR_CLOSED, ROS_ERR_IO, ROS_ERR_PROTOCOL (these close
 * the connection), ROS_ERR_INVALID (no command in flight has this tag).
 */
ros_err ros_wait(ros_conn *c, uint32_t tag, ros_reply **out) ROS_WUR;

/* ros_send then ros_wait. */
ros_err ros_call(ros_conn *c, const ros_sentence *cmd, ros_reply **out) ROS_WUR;

/*
 * Builds a command from words (NUL-terminated strings, the array ends with
 * NULL) and calls it.  ROS_CALL(c, &r, "/interface/print", "?name=ether1")
 * writes the array in place.
 */
ros_err ros_call_words(ros_conn *c, const char *const *words, ros_reply **out) ROS_WUR;

#define ROS_CALL(c, out, ...) ros_call_words((c), (const char *const[]){__VA_ARGS__, NULL}, (out))

/*
 * Sends /cancel for the command with this tag and waits for the router to
 * acknowledge it.  The cancelled command's reply (ROS_ERR_INTERRUPTED, or
 * ROS_OK if it finished first) is still collected with ros_wait.
 */
ros_err ros_cancel(ros_conn *c, uint32_t tag) ROS_WUR;

/* --- replies ------------------------------------------------------------ */

void ros_reply_destroy(ros_reply *r);

/* Number of !re items, and item i (owned by r; NULL when out of range). */
size_t ros_reply_count(const ros_reply *r);
const ros_sentence *ros_reply_item(const ros_reply *r, size_t i);

/* The =ret= value of !done with its length in *len (may be NULL); NULL when absent. */
const char *ros_reply_ret(const ros_reply *r, size_t *len);

/* Whether the router answered !empty (RouterOS 7.18 and later, for a print with no item). */
bool ros_reply_empty(const ros_reply *r);

/* Number of !trap sentences; the =message= of trap i ("" when it had none). */
size_t ros_reply_trap_count(const ros_reply *r);
const char *ros_reply_trap_message(const ros_reply *r, size_t i);

/* The =category= of trap i, or -1 when absent or out of range. */
int ros_reply_trap_category(const ros_reply *r, size_t i);

#endif
