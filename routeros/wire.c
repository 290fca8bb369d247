/*
 * The RouterOS API wire format: length-prefixed words, sentences ended by a
 * zero-length word, and an incremental parser for them.
 */
#include "routeros/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ros_word {
	char *data; /* len bytes, then a NUL that is not part of the word */
	size_t len;
};

struct ros_sentence {
	struct ros_word *words;
	size_t count;
	size_t cap;
	size_t bytes; /* sum of the word lengths */
};

/* Per-word bookkeeping counted against reply budgets besides the bytes. */
#define WORD_OVERHEAD (sizeof(struct ros_word) + 1)

struct ros_parser {
	ros_limits limits;
	uint8_t prefix[ROS_LEN_PREFIX_MAX];
	size_t prefix_len;
	bool in_word; /* prefix read; word bytes still arriving */
	char *word;   /* the word being filled, word_len + 1 bytes */
	uint32_t word_len;
	uint32_t word_got;
	ros_sentence *cur; /* words of the sentence so far; NULL before its first */
	bool failed;
	char errmsg[160];
};

ros_limits ros__limits_resolve(const ros_limits *limits)
{
	ros_limits l = {0};

	if (limits)
		l = *limits;
	if (l.max_word == 0)
		l.max_word = ROS_DEFAULT_MAX_WORD;
	if (l.max_sentence == 0)
		l.max_sentence = ROS_DEFAULT_MAX_SENTENCE;
	if (l.max_words == 0)
		l.max_words = ROS_DEFAULT_MAX_WORDS;
	if (l.max_reply == 0)
		l.max_reply = ROS_DEFAULT_MAX_REPLY;
	return l;
}

/* --- word lengths ----------------------------------------------------- */

size_t ros_word_len_encode(uint32_t len, uint8_t out[ROS_LEN_PREFIX_MAX])
{
	if (len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	if (len < 0x4000) {
		out[0] = (uint8_t)((len >> 8) | 0x80);
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x200000) {
		out[0] = (uint8_t)((len >> 16) | 0xC0);
		out[1] = (uint8_t)(len >> 8);
		out[2] = (uint8_t)len;
		return 3;
	}
	if (len < 0x10000000) {
		out[0] = (uint8_t)((len >> 24) | 0xE0);
		out[1] = (uint8_t)(len >> 16);
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[0] = 0xF0;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	return 5;
}

/* Bytes of the prefix that starts with b, or 0 for a reserved control byte. */
static size_t prefix_size(uint8_t b)
{
	if (b < 0x80)
		return 1;
	if ((b & 0xC0) == 0x80)
		return 2;
	if ((b & 0xE0) == 0xC0)
		return 3;
	if ((b & 0xF0) == 0xE0)
		return 4;
	if (b == 0xF0)
		return 5;
	return 0;
}

int ros_word_len_decode(const uint8_t *buf, size_t avail, uint32_t *len)
{
	size_t n, i;
	uint32_t v;

	if (avail == 0)
		return 0;
	n = prefix_size(buf[0]);
	if (n == 0)
		return -1;
	if (avail < n)
		return 0;
	/* The class bits of the first byte are masked off; 0xF0 carries none. */
	switch (n) {
	case 1:
		v = buf[0];
		break;
	case 2:
		v = buf[0] & 0x3Fu;
		break;
	case 3:
		v = buf[0] & 0x1Fu;
		break;
	case 4:
		v = buf[0] & 0x0Fu;
		break;
	default:
		v = 0;
		break;
	}
	for (i = 1; i < n; i++)
		v = (v << 8) | buf[i];
	*len = v;
	return (int)n;
}

/* --- sentences -------------------------------------------------------- */

void *ros__grow(void *v, size_t *cap, size_t first, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : first;
	void *nv = realloc(v, ncap * size);

	if (nv)
		*cap = ncap;
	return nv;
}

ros_sentence *ros_sentence_create(void)
{
	return calloc(1, sizeof(ros_sentence));
}

void ros_sentence_destroy(ros_sentence *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->count; i++)
		free(s->words[i].data);
	free(s->words);
	free(s);
}

/* Appends a word whose buffer (len + 1 bytes, NUL-terminated) s takes over. */
static ros_err sentence_push(ros_sentence *s, char *data, size_t len)
{
	if (s->count == s->cap) {
		struct ros_word *nw = ros__grow(s->words, &s->cap, 8, sizeof(*nw));

		if (!nw)
			return ROS_ERR_NOMEM;
		s->words = nw;
	}
	s->words[s->count].data = data;
	s->words[s->count].len = len;
	s->count++;
	s->bytes += len;
	return ROS_OK;
}

/* Appends the concatenation of two byte ranges as one word. */
static ros_err sentence_add2(ros_sentence *s, const void *a, size_t alen, const void *b,
			     size_t blen)
{
	char *buf;
	ros_err err;

	if (alen > UINT32_MAX || blen > UINT32_MAX - alen)
		return ROS_ERR_TOO_LARGE;
	buf = malloc(alen + blen + 1);
	if (!buf)
		return ROS_ERR_NOMEM;
	if (alen)
		memcpy(buf, a, alen);
	if (blen)
		memcpy(buf + alen, b, blen);
	buf[alen + blen] = '\0';
	err = sentence_push(s, buf, alen + blen);
	if (err != ROS_OK)
		free(buf);
	return err;
}

ros_err ros_sentence_add(ros_sentence *s, const void *word, size_t len)
{
	/* A zero-length word ends a sentence on the wire: it cannot be inside one. */
	if (!s || !word || len == 0)
		return ROS_ERR_INVALID;
	return sentence_add2(s, word, len, NULL, 0);
}

ros_err ros_sentence_add_str(ros_sentence *s, const char *word)
{
	if (!word)
		return ROS_ERR_INVALID;
	return ros_sentence_add(s, word, strlen(word));
}

ros_err ros_sentence_add_attr(ros_sentence *s, const char *key, const void *value, size_t len)
{
	char *head;
	size_t klen;
	ros_err err;

	if (!s || !key || (!value && len))
		return ROS_ERR_INVALID;
	klen = strlen(key);
	head = malloc(klen + 3);
	if (!head)
		return ROS_ERR_NOMEM;
	head[0] = '=';
	memcpy(head + 1, key, klen);
	head[klen + 1] = '=';
	head[klen + 2] = '\0';
	err = sentence_add2(s, head, klen + 2, value, len);
	free(head);
	return err;
}

ros_err ros_sentence_add_attr_str(ros_sentence *s, const char *key, const char *value)
{
	if (!value)
		return ROS_ERR_INVALID;
	return ros_sentence_add_attr(s, key, value, strlen(value));
}

size_t ros_sentence_count(const ros_sentence *s)
{
	return s ? s->count : 0;
}

const char *ros_sentence_word(const ros_sentence *s, size_t i, size_t *len)
{
	if (!s || i >= s->count)
		return NULL;
	if (len)
		*len = s->words[i].len;
	return s->words[i].data;
}

const char *ros_sentence_command(const ros_sentence *s)
{
	if (!s || s->count == 0)
		return "";
	return s->words[0].data;
}

const char *ros_sentence_attr(const ros_sentence *s, const char *key, size_t *len)
{
	size_t i, klen;

	if (!s || !key)
		return NULL;
	klen = strlen(key);
	for (i = 1; i < s->count; i++) {
		const struct ros_word *w = &s->words[i];

		if (w->len >= klen + 2 && w->data[0] == '=' &&
		    memcmp(w->data + 1, key, klen) == 0 && w->data[klen + 1] == '=') {
			if (len)
				*len = w->len - klen - 2;
			return w->data + klen + 2;
		}
	}
	return NULL;
}

bool ros_sentence_tag(const ros_sentence *s, uint32_t *tag)
{
	static const char pfx[] = ".tag=";
	size_t i, j;

	if (!s)
		return false;
	for (i = 1; i < s->count; i++) {
		const struct ros_word *w = &s->words[i];
		uint64_t v = 0;

		if (w->len <= sizeof(pfx) - 1 || memcmp(w->data, pfx, sizeof(pfx) - 1) != 0)
			continue;
		for (j = sizeof(pfx) - 1; j < w->len; j++) {
			if (w->data[j] < '0' || w->data[j] > '9')
				return false;
			v = v * 10 + (uint64_t)(w->data[j] - '0');
			if (v > UINT32_MAX)
				return false;
		}
		*tag = (uint32_t)v;
		return true;
	}
	return false;
}

size_t ros__sentence_size(const ros_sentence *s)
{
	return sizeof(*s) + s->bytes + s->count * WORD_OVERHEAD;
}

ros_err ros_sentence_encode(const ros_sentence *s, uint8_t **out, size_t *outlen)
{
	uint8_t pfx[ROS_LEN_PREFIX_MAX];
	size_t total = 1, i, pos = 0;
	uint8_t *buf;

	*out = NULL;
	if (!s)
		return ROS_ERR_INVALID;
	for (i = 0; i < s->count; i++)
		total += ros_word_len_encode((uint32_t)s->words[i].len, pfx) + s->words[i].len;
	buf = malloc(total);
	if (!buf)
		return ROS_ERR_NOMEM;
	for (i = 0; i < s->count; i++) {
		const struct ros_word *w = &s->words[i];
		size_t n = ros_word_len_encode((uint32_t)w->len, buf + pos);

		pos += n;
		memcpy(buf + pos, w->data, w->len);
		pos += w->len;
	}
	buf[pos++] = 0;
	*out = buf;
	*outlen = pos;
	return ROS_OK;
}

/* --- parser ----------------------------------------------------------- */

ros_parser *ros_parser_create(const ros_limits *limits)
{
	ros_parser *p = calloc(1, sizeof(*p));

	if (p)
		p->limits = ros__limits_resolve(limits);
	return p;
}

static void parser_reset_sentence(ros_parser *p)
{
	free(p->word);
	p->word = NULL;
	p->in_word = false;
	p->prefix_len = 0;
	ros_sentence_destroy(p->cur);
	p->cur = NULL;
}

void ros_parser_destroy(ros_parser *p)
{
	if (!p)
		return;
	parser_reset_sentence(p);
	free(p);
}

const char *ros_parser_errmsg(const ros_parser *p)
{
	return p->failed ? p->errmsg : "";
}

bool ros_parser_partial(const ros_parser *p)
{
	return p->prefix_len > 0 || p->in_word || p->cur != NULL;
}

static ros_err parser_fail(ros_parser *p, ros_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Marks the parser failed for good, with a message; drops the partial sentence. */
static ros_err parser_fail(ros_parser *p, ros_err err, const char *fmt, ...)
{
	va_list ap;

	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
	parser_reset_sentence(p);
	return err;
}

/* Checks a new word of len bytes against the caps, then allocates it. */
static ros_err parser_begin_word(ros_parser *p, uint32_t len)
{
	size_t have = p->cur ? p->cur->bytes : 0;
	size_t words = p->cur ? p->cur->count : 0;

	if (len > p->limits.max_word)
		return parser_fail(p, ROS_ERR_TOO_LARGE,
				   "word of %u bytes is larger than the cap of %u bytes", len,
				   p->limits.max_word);
	if (len > p->limits.max_sentence - have || have > p->limits.max_sentence)
		return parser_fail(
			p, ROS_ERR_TOO_LARGE,
			"sentence of more than %zu bytes is larger than the cap of %u bytes",
			have + len, p->limits.max_sentence);
	if (words >= p->limits.max_words)
		return parser_fail(p, ROS_ERR_TOO_LARGE,
				   "sentence of more than %zu words passes the cap of %u words",
				   words, p->limits.max_words);
	if (!p->cur) {
		p->cur = ros_sentence_create();
		if (!p->cur)
			return parser_fail(p, ROS_ERR_NOMEM, "out of memory");
	}
	p->word = malloc((size_t)len + 1);
	if (!p->word)
		return parser_fail(p, ROS_ERR_NOMEM, "out of memory for a word of %u bytes", len);
	p->word_len = len;
	p->word_got = 0;
	p->in_word = true;
	return ROS_OK;
}

static ros_err parser_end_word(ros_parser *p)
{
	ros_err err;

	p->word[p->word_len] = '\0';
	err = sentence_push(p->cur, p->word, p->word_len);
	if (err != ROS_OK)
		return parser_fail(p, err, "out of memory");
	p->word = NULL;
	p->in_word = false;
	return ROS_OK;
}

ros_err ros_parser_feed(ros_parser *p, const uint8_t *data, size_t len, size_t *used,
			ros_sentence **out)
{
	size_t i = 0;
	ros_err err = ROS_OK;

	*out = NULL;
	*used = 0;
	if (p->failed)
		return ROS_ERR_PROTOCOL;
	while (i < len) {
		uint32_t wlen;
		int n;

		if (p->in_word) {
			size_t take = p->word_len - p->word_got;

			if (take > len - i)
				take = len - i;
			memcpy(p->word + p->word_got, data + i, take);
			p->word_got += (uint32_t)take;
			i += take;
			if (p->word_got == p->word_len && (err = parser_end_word(p)) != ROS_OK)
				break;
			continue;
		}
		p->prefix[p->prefix_len++] = data[i++];
		n = ros_word_len_decode(p->prefix, p->prefix_len, &wlen);
		if (n < 0) {
			err = parser_fail(
				p, ROS_ERR_PROTOCOL,
				"reserved control byte 0x%02X where a word length was expected",
				p->prefix[0]);
			break;
		}
		if (n == 0)
			continue;
		p->prefix_len = 0;
		if (wlen == 0) {
			if (p->cur) {
				*out = p->cur;
				p->cur = NULL;
				break;
			}
			continue;
		}
		if ((err = parser_begin_word(p, wlen)) != ROS_OK)
			break;
	}
	*used = i;
	return err;
}
