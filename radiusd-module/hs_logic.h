/*
 * The pure logic of rlm_hotspot: no FreeRADIUS and no libpq, so that the
 * unit tests build it alone. 64-bit counters, the reply's limits, bounded
 * text buffers, PostgreSQL array literals, the accounting spool's record
 * format, the reject reasons, and the per-device failure table.
 */
#ifndef HS_LOGIC_H
#define HS_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HS_WARN_UNUSED __attribute__((warn_unused_result))
/* Elements of an array. */
#define HS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* --- counters and limits ----------------------------------------------------- */

/* Octets counted by a NAS: Gigawords << 32 + Octets. */
uint64_t hs_octets64(uint32_t octets, uint32_t gigawords);

/*
 * Splits a byte count into Mikrotik-Total-Limit (*low, the low 32 bits) and
 * Mikrotik-Total-Limit-Gigawords (*giga, the rest). Counts past what the two
 * attributes can carry (2^64 - 1) are not representable anyway, so *giga
 * is capped at UINT32_MAX.
 */
void hs_split_octets(uint64_t bytes, uint32_t *low, uint32_t *giga) __attribute__((nonnull));

/* Seconds for a 32-bit RADIUS attribute: below 1 becomes 1, above 2^32 - 1 is capped. */
uint32_t hs_seconds32(int64_t seconds);

/* --- bounded buffers --------------------------------------------------------- */

/*
 * A growable text buffer that never grows past max bytes. A failing append
 * frees what the buffer held and marks it failed; later appends do nothing,
 * so a caller checks once at the end. Always NUL-terminated when not failed.
 */
typedef struct hs_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	bool failed;
} hs_buf;

void hs_buf_init(hs_buf *b, size_t max) __attribute__((nonnull));
/* Returns 0, or -1 (the buffer is failed and empty) on overflow or no memory. */
int hs_buf_append(hs_buf *b, char const *s, size_t n) __attribute__((nonnull(1)));
int hs_buf_puts(hs_buf *b, char const *s) __attribute__((nonnull));
void hs_buf_free(hs_buf *b) __attribute__((nonnull));

/*
 * PostgreSQL array literals in text format: hs_pgarr_add appends one
 * element (NULL for SQL NULL) between hs_pgarr_open and hs_pgarr_close.
 * Every non-NULL element is double-quoted with '"' and '\' escaped, so any
 * text value round-trips. Errors latch in the buffer (see hs_buf).
 */
void hs_pgarr_open(hs_buf *b) __attribute__((nonnull));
void hs_pgarr_add(hs_buf *b, char const *value) __attribute__((nonnull(1)));
void hs_pgarr_close(hs_buf *b) __attribute__((nonnull));

/*
 * Writes "YYYY-MM-DD HH:MM:SS.uuuuuu+00" for a UTC time. Returns the length,
 * or -1 when out does not hold it or the time cannot be represented.
 */
int hs_format_utc(char *out, size_t size, int64_t sec, long usec) __attribute__((nonnull));

/* Writes v in decimal. Returns the length, or -1 when out does not hold it. */
int hs_u64_text(char *out, size_t size, uint64_t v) __attribute__((nonnull));

/* The byte two hex digits at s spell, their letters uppercase or lowercase (upper), or -1. */
int hs_hex_byte(char const *s, bool upper) __attribute__((nonnull));

/* --- reject reasons ------------------------------------------------------------ */

/*
 * The Hotspot-Reject-Reason value (dictionary.hotspot) for a reason of
 * hs_radius_authorize; 0 for a reason the table does not know.
 */
int hs_reason_value(char const *reason);
/* True for the reasons a voucher guesser produces (unknown code, wrong password). */
bool hs_reason_is_guess(char const *reason);

/* --- accounting records and the spool ------------------------------------------ */

#define HS_STR_MAX 253 /* a RADIUS attribute's value, at most */

/* One Accounting-Request, as the batch and the spool carry it. */
typedef struct hs_acct_rec {
	char nas[48];              /* source address of the packet */
	int status;                /* Acct-Status-Type */
	char uid[HS_STR_MAX + 1];  /* session key per router */
	char sid[HS_STR_MAX + 1];  /* Acct-Session-Id */
	char user[HS_STR_MAX + 1]; /* User-Name */
	char mac[HS_STR_MAX + 1];  /* Calling-Station-Id */
	char framed[48];           /* Framed-IP-Address */
	char cause[65];            /* Acct-Terminate-Cause, as text */
	uint64_t in_octets;        /* 64-bit, Gigawords included */
	uint64_t out_octets;
	uint64_t session_time;
	int64_t at_sec; /* receive time minus Acct-Delay-Time (UTC) */
	long at_usec;
	/* Which of the fields above are present (a bit per HS_F_*). */
	unsigned present;
} hs_acct_rec;

enum {
	HS_F_UID = 1u << 0,
	HS_F_SID = 1u << 1,
	HS_F_USER = 1u << 2,
	HS_F_MAC = 1u << 3,
	HS_F_FRAMED = 1u << 4,
	HS_F_CAUSE = 1u << 5,
	HS_F_IN = 1u << 6,
	HS_F_OUT = 1u << 7,
	HS_F_TIME = 1u << 8,
};

/* Copies at most HS_STR_MAX bytes of s (up to a NUL) into dst, NUL-terminated. */
void hs_copy_str(char *dst, size_t size, char const *s, size_t len) __attribute__((nonnull(1)));

/* The longest line hs_spool_encode writes, newline included. */
#define HS_SPOOL_LINE_MAX 4096

/*
 * One spool line for rec, ending in '\n', with a checksum so that a line
 * torn by a crash is recognised. Returns its length, or -1 when line is too
 * small.
 */
int hs_spool_encode(hs_acct_rec const *rec, char *line, size_t size) __attribute__((nonnull));

/*
 * Parses one spool line (without its '\n'). Returns 0 and fills *rec, or -1
 * for a line that is torn, corrupt, or of another format.
 */
int hs_spool_decode(char const *line, size_t len, hs_acct_rec *rec) __attribute__((nonnull));

/* --- repeated failed logins per device ------------------------------------------ */

/*
 * A bounded table of recent failed logins per Calling-Station-Id. Each
 * failure adds one to the device's score, which halves every decay_s
 * seconds; reaching threshold (rounded to whole failures) blocks the
 * device for block_s seconds. When
 * the table is full, the entry least recently touched among a few probed
 * slots is replaced, so memory stays fixed whatever the traffic.
 * Thread-safe.
 */
typedef struct hs_throttle hs_throttle;

/* Returns the table (caller frees with hs_throttle_free), or NULL without memory. */
hs_throttle *hs_throttle_create(size_t slots, unsigned threshold, unsigned block_s,
				unsigned decay_s) HS_WARN_UNUSED;
void hs_throttle_free(hs_throttle *t);
/* Seconds the device is still blocked at now (0: not blocked). */
unsigned hs_throttle_blocked(hs_throttle *t, char const *mac, time_t now) __attribute__((nonnull));
/* Records a failed login; returns true when it made the device blocked. */
bool hs_throttle_fail(hs_throttle *t, char const *mac, time_t now) __attribute__((nonnull));
/* Forgets the device (after a successful login). */
void hs_throttle_clear(hs_throttle *t, char const *mac) __attribute__((nonnull));

#endif
