/*
 * The pure logic of rlm_hotspot (see hs_logic.h).
 */
#include "hs_logic.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- counters and limits ----------------------------------------------------- */

uint64_t hs_octets64(uint32_t octets, uint32_t gigawords)
{
	return ((uint64_t)gigawords << 32) | octets;
}

void hs_split_octets(uint64_t bytes, uint32_t *low, uint32_t *giga)
{
	*low = (uint32_t)(bytes & 0xffffffffu);
	*giga = (uint32_t)(bytes >> 32);
}

uint32_t hs_seconds32(int64_t seconds)
{
	if (seconds < 1)
		return 1;
	if (seconds > (int64_t)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)seconds;
}

/* --- bounded buffers --------------------------------------------------------- */

void hs_buf_init(hs_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void hs_buf_free(hs_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Marks the buffer failed and frees what it held; returns -1. */
static int hs_buf_fail(hs_buf *b)
{
	hs_buf_free(b);
	b->failed = true;
	return -1;
}

int hs_buf_append(hs_buf *b, char const *s, size_t n)
{
	if (b->failed)
		return -1;
	if (n > b->max || b->len > b->max - n)
		return hs_buf_fail(b);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		p = realloc(b->data, cap);
		if (!p)
			return hs_buf_fail(b);
		b->data = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int hs_buf_puts(hs_buf *b, char const *s)
{
	return hs_buf_append(b, s, strlen(s));
}

void hs_pgarr_open(hs_buf *b)
{
	(void)hs_buf_puts(b, "{");
}

void hs_pgarr_add(hs_buf *b, char const *value)
{
	char const *p, *run;

	if (b->len > 0 && b->data && b->data[b->len - 1] != '{')
		(void)hs_buf_puts(b, ",");
	if (!value) {
		(void)hs_buf_puts(b, "NULL");
		return;
	}
	(void)hs_buf_puts(b, "\"");
	for (p = run = value; *p; p++) {
		if (*p != '"' && *p != '\\')
			continue;
		(void)hs_buf_append(b, run, (size_t)(p - run));
		(void)hs_buf_puts(b, "\\");
		run = p;
	}
	(void)hs_buf_append(b, run, (size_t)(p - run));
	(void)hs_buf_puts(b, "\"");
}

void hs_pgarr_close(hs_buf *b)
{
	(void)hs_buf_puts(b, "}");
}

/* Writes v as exactly width decimal digits (zero-padded) at p; returns the end. */
static char *hs_put_digits(char *p, unsigned v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

int hs_format_utc(char *out, size_t size, int64_t sec, long usec)
{
	static size_t const len = sizeof("YYYY-MM-DD HH:MM:SS.uuuuuu+00") - 1;
	struct tm tm;
	time_t t = (time_t)sec;
	char *p = out;
	int n;

	if ((int64_t)t != sec || usec < 0 || usec > 999999 || !gmtime_r(&t, &tm))
		return -1;
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		n = snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
		return n < 0 || (size_t)n >= size ? -1 : n;
	}
	/* The common case by hand: one per accounting record, snprintf costs several times more. */
	if (size <= len)
		return -1;
	p = hs_put_digits(p, (unsigned)(tm.tm_year + 1900), 4);
	*p++ = '-';
	p = hs_put_digits(p, (unsigned)(tm.tm_mon + 1), 2);
	*p++ = '-';
	p = hs_put_digits(p, (unsigned)tm.tm_mday, 2);
	*p++ = ' ';
	p = hs_put_digits(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = hs_put_digits(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = hs_put_digits(p, (unsigned)tm.tm_sec, 2);
	*p++ = '.';
	p = hs_put_digits(p, (unsigned)usec, 6);
	memcpy(p, "+00", 4);
	return (int)len;
}

int hs_u64_text(char *out, size_t size, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (size <= n)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return (int)n;
}

/* --- reject reasons ------------------------------------------------------------ */

static struct {
	char const *reason;
	int value;
	bool guess;
} const reasons[] = {
	{"no_voucher", 2, true},       {"bad_password", 3, true},
	{"disabled", 4, false},        {"expired", 5, false},
	{"data_used", 6, false},       {"time_used", 7, false},
	{"max_sessions", 8, false},    {"mac_locked", 9, false},
	{"unknown_client", 10, false}, {"tenant_disabled", 11, false},
	{"wrong_router", 12, false},   {"refunded", 13, false},
	{"used", 14, false},           {"too_many_failures", 15, false},
};

int hs_reason_value(char const *reason)
{
	size_t i;

	for (i = 0; reason && i < HS_NELEM(reasons); i++) {
		if (strcmp(reasons[i].reason, reason) == 0)
			return reasons[i].value;
	}
	return 0;
}

bool hs_reason_is_guess(char const *reason)
{
	size_t i;

	for (i = 0; reason && i < HS_NELEM(reasons); i++) {
		if (strcmp(reasons[i].reason, reason) == 0)
			return reasons[i].guess;
	}
	return false;
}

/* --- accounting records and the spool ------------------------------------------ */

void hs_copy_str(char *dst, size_t size, char const *s, size_t len)
{
	size_t n = 0;

	if (size == 0)
		return;
	while (s && n < len && n + 1 < size && n < HS_STR_MAX && s[n])
		n++;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

/* FNV-1a, 32 bits: enough to recognise a torn or damaged line. */
static uint32_t hs_fnv1a(char const *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Spool fields are separated by tabs; these bytes are written as %XX. */
static bool hs_spool_escapes(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '%' || c == '-';
}

/* Appends a string field: "-" for an absent one, else the escaped text. */
static void hs_spool_put_str(hs_buf *b, char const *s, bool present)
{
	static char const hex[] = "0123456789ABCDEF";
	char esc[3] = {'%', 0, 0};
	char const *p;

	(void)hs_buf_puts(b, "\t");
	if (!present) {
		(void)hs_buf_puts(b, "-");
		return;
	}
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (!hs_spool_escapes(c)) {
			(void)hs_buf_append(b, p, 1);
			continue;
		}
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		(void)hs_buf_append(b, esc, 3);
	}
}

static void hs_spool_put_u64(hs_buf *b, uint64_t v, bool present)
{
	char num[32];

	if (!present) {
		(void)hs_buf_puts(b, "\t-");
		return;
	}
	snprintf(num, sizeof(num), "\t%" PRIu64, v);
	(void)hs_buf_puts(b, num);
}

int hs_spool_encode(hs_acct_rec const *rec, char *line, size_t size)
{
	hs_buf b;
	char head[96], tail[16];
	int rc = -1;

	hs_buf_init(&b, HS_SPOOL_LINE_MAX);
	snprintf(head, sizeof(head), "H1\t%d\t%" PRId64 ".%06ld", rec->status, rec->at_sec,
		 rec->at_usec);
	(void)hs_buf_puts(&b, head);
	hs_spool_put_str(&b, rec->nas, true);
	hs_spool_put_str(&b, rec->uid, rec->present & HS_F_UID);
	hs_spool_put_str(&b, rec->sid, rec->present & HS_F_SID);
	hs_spool_put_str(&b, rec->user, rec->present & HS_F_USER);
	hs_spool_put_str(&b, rec->mac, rec->present & HS_F_MAC);
	hs_spool_put_str(&b, rec->framed, rec->present & HS_F_FRAMED);
	hs_spool_put_str(&b, rec->cause, rec->present & HS_F_CAUSE);
	hs_spool_put_u64(&b, rec->in_octets, rec->present & HS_F_IN);
	hs_spool_put_u64(&b, rec->out_octets, rec->present & HS_F_OUT);
	hs_spool_put_u64(&b, rec->session_time, rec->present & HS_F_TIME);
	if (b.failed)
		goto out;
	snprintf(tail, sizeof(tail), "\t%08" PRIx32 "\n", hs_fnv1a(b.data, b.len));
	(void)hs_buf_puts(&b, tail);
	if (b.failed || b.len + 1 > size)
		goto out;
	memcpy(line, b.data, b.len + 1);
	rc = (int)b.len;
out:
	hs_buf_free(&b);
	return rc;
}

/* The value of hex digit c, whose letters are from 'A' or 'a' (letter), or -1. */
static int hs_hexval(char c, char letter)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= letter && c <= letter + 5)
		return c - letter + 10;
	return -1;
}

int hs_hex_byte(char const *s, bool upper)
{
	char letter = upper ? 'A' : 'a';
	int hi = hs_hexval(s[0], letter), lo = hi < 0 ? -1 : hs_hexval(s[1], letter);

	return lo < 0 ? -1 : hi << 4 | lo;
}

/* Unescapes field f (length n) into dst; returns 0, 1 for "-" (absent), -1 if bad. */
static int hs_spool_get_str(char const *f, size_t n, char *dst, size_t size)
{
	size_t i, o = 0;

	if (n == 1 && f[0] == '-') {
		dst[0] = '\0';
		return 1;
	}
	for (i = 0; i < n; i++) {
		char c = f[i];

		if (c == '%') {
			int byte = i + 2 < n ? hs_hex_byte(f + i + 1, true) : -1;

			if (byte < 0)
				return -1;
			c = (char)byte;
			i += 2;
		}
		if (c == '\0' || o + 1 >= size)
			return -1;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

/* Parses an unsigned decimal field; returns 0, 1 for "-" (absent), -1 if bad. */
static int hs_spool_get_u64(char const *f, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 1 && f[0] == '-')
		return 1;
	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (f[i] < '0' || f[i] > '9')
			return -1;
		d = (unsigned)(f[i] - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

/* The header fields: "H1", the status type, and the receive time. */
static int hs_spool_get_head(char const *const *f, size_t const *n, hs_acct_rec *rec)
{
	uint64_t status, sec, usec;
	char const *dot;

	if (n[0] != 2 || memcmp(f[0], "H1", 2) != 0)
		return -1;
	if (hs_spool_get_u64(f[1], n[1], &status) != 0 || status > 255)
		return -1;
	dot = memchr(f[2], '.', n[2]);
	if (!dot || hs_spool_get_u64(f[2], (size_t)(dot - f[2]), &sec) != 0 ||
	    hs_spool_get_u64(dot + 1, n[2] - (size_t)(dot - f[2]) - 1, &usec) != 0 ||
	    sec > INT64_MAX || usec > 999999)
		return -1;
	rec->status = (int)status;
	rec->at_sec = (int64_t)sec;
	rec->at_usec = (long)usec;
	return 0;
}

#define HS_SPOOL_FIELDS 14

int hs_spool_decode(char const *line, size_t len, hs_acct_rec *rec)
{
	char const *f[HS_SPOOL_FIELDS];
	size_t n[HS_SPOOL_FIELDS];
	char const *p = line, *end = line + len;
	size_t k = 0;
	unsigned long sum;
	char *endp;
	char sumtext[9];
	int r[10];
	size_t i;

	while (k < HS_SPOOL_FIELDS) {
		char const *tab = memchr(p, '\t', (size_t)(end - p));

		f[k] = p;
		n[k] = tab ? (size_t)(tab - p) : (size_t)(end - p);
		k++;
		if (!tab)
			break;
		p = tab + 1;
	}
	if (k != HS_SPOOL_FIELDS || n[13] != 8 || (size_t)(f[13] - line) < 1)
		return -1;
	memcpy(sumtext, f[13], 8);
	sumtext[8] = '\0';
	sum = strtoul(sumtext, &endp, 16);
	if (*endp || sum != hs_fnv1a(line, (size_t)(f[13] - line) - 1))
		return -1;

	memset(rec, 0, sizeof(*rec));
	if (hs_spool_get_head(f, n, rec) != 0)
		return -1;
	if (hs_spool_get_str(f[3], n[3], rec->nas, sizeof(rec->nas)) != 0)
		return -1;
	r[0] = hs_spool_get_str(f[4], n[4], rec->uid, sizeof(rec->uid));
	r[1] = hs_spool_get_str(f[5], n[5], rec->sid, sizeof(rec->sid));
	r[2] = hs_spool_get_str(f[6], n[6], rec->user, sizeof(rec->user));
	r[3] = hs_spool_get_str(f[7], n[7], rec->mac, sizeof(rec->mac));
	r[4] = hs_spool_get_str(f[8], n[8], rec->framed, sizeof(rec->framed));
	r[5] = hs_spool_get_str(f[9], n[9], rec->cause, sizeof(rec->cause));
	r[6] = hs_spool_get_u64(f[10], n[10], &rec->in_octets);
	r[7] = hs_spool_get_u64(f[11], n[11], &rec->out_octets);
	r[8] = hs_spool_get_u64(f[12], n[12], &rec->session_time);
	for (i = 0; i < 9; i++) {
		if (r[i] < 0)
			return -1;
		if (r[i] == 0)
			rec->present |= 1u << i;
	}
	return 0;
}

/* --- repeated failed logins per device ------------------------------------------ */

#define HS_MAC_KEY 64 /* longer Calling-Station-Ids are cut: still one device per key */
#define HS_PROBES  8

typedef struct hs_throttle_slot {
	char mac[HS_MAC_KEY];
	double score;
	time_t touched;
	time_t blocked_until;
} hs_throttle_slot;

struct hs_throttle {
	pthread_mutex_t lock;
	hs_throttle_slot *slots;
	size_t nslots;
	unsigned threshold;
	unsigned block_s;
	unsigned decay_s;
};

hs_throttle *hs_throttle_create(size_t slots, unsigned threshold, unsigned block_s,
				unsigned decay_s)
{
	hs_throttle *t;

	if (slots < HS_PROBES || threshold < 1 || decay_s < 1)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->slots = calloc(slots, sizeof(*t->slots));
	if (!t->slots || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->slots);
		free(t);
		return NULL;
	}
	t->nslots = slots;
	t->threshold = threshold;
	t->block_s = block_s;
	t->decay_s = decay_s;
	return t;
}

void hs_throttle_free(hs_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->slots);
	free(t);
}

/* The slot of mac, or NULL when it has none (and create is false). Lock held. */
static hs_throttle_slot *hs_throttle_find(hs_throttle *t, char const *mac, bool create)
{
	size_t start = hs_fnv1a(mac, strnlen(mac, HS_MAC_KEY - 1)) % t->nslots;
	hs_throttle_slot *victim = NULL;
	size_t i;

	for (i = 0; i < HS_PROBES; i++) {
		hs_throttle_slot *s = &t->slots[(start + i) % t->nslots];

		if (s->mac[0] && strncmp(s->mac, mac, HS_MAC_KEY - 1) == 0)
			return s;
		if (!victim || !s->mac[0] || (victim->mac[0] && s->touched < victim->touched))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	hs_copy_str(victim->mac, sizeof(victim->mac), mac, HS_MAC_KEY - 1);
	return victim;
}

/* The score, halved once per decay_s seconds since it was last touched. */
static void hs_throttle_decay(hs_throttle const *t, hs_throttle_slot *s, time_t now)
{
	if (now > s->touched)
		s->score *= pow(0.5, (double)(now - s->touched) / t->decay_s);
	s->touched = now;
}

unsigned hs_throttle_blocked(hs_throttle *t, char const *mac, time_t now)
{
	hs_throttle_slot *s;
	unsigned left = 0;

	if (!mac[0])
		return 0;
	pthread_mutex_lock(&t->lock);
	s = hs_throttle_find(t, mac, false);
	if (s && s->blocked_until > now)
		left = (unsigned)(s->blocked_until - now);
	pthread_mutex_unlock(&t->lock);
	return left;
}

bool hs_throttle_fail(hs_throttle *t, char const *mac, time_t now)
{
	hs_throttle_slot *s;
	bool blocked = false;

	if (!mac[0])
		return false;
	pthread_mutex_lock(&t->lock);
	s = hs_throttle_find(t, mac, true);
	hs_throttle_decay(t, s, now);
	s->score += 1.0;
	/*
	 * Rounded to whole failures: threshold failures within a few seconds
	 * block the device although the first ones have already decayed a
	 * little.
	 */
	if (s->score + 0.5 >= t->threshold) {
		s->blocked_until = now + (time_t)t->block_s;
		s->score = 0;
		blocked = true;
	}
	pthread_mutex_unlock(&t->lock);
	return blocked;
}

void hs_throttle_clear(hs_throttle *t, char const *mac)
{
	hs_throttle_slot *s;

	if (!mac[0])
		return;
	pthread_mutex_lock(&t->lock);
	s = hs_throttle_find(t, mac, false);
	if (s)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&t->lock);
}
