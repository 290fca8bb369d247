/*
 * The RouterOS wire format: word lengths in every prefix class, sentences
 * as raw bytes, the incremental parser under any chunking, and its caps.
 */
#include "routeros/routeros.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* --- word lengths ----------------------------------------------------- */

static const struct {
	uint32_t len;
	size_t n;
	uint8_t bytes[ROS_LEN_PREFIX_MAX];
} len_table[] = {
	{0x00, 1, {0x00}},
	{0x01, 1, {0x01}},
	{0x7F, 1, {0x7F}},
	{0x80, 2, {0x80, 0x80}},
	{0x3FFF, 2, {0xBF, 0xFF}},
	{0x4000, 3, {0xC0, 0x40, 0x00}},
	{0x1FFFFF, 3, {0xDF, 0xFF, 0xFF}},
	{0x200000, 4, {0xE0, 0x20, 0x00, 0x00}},
	{0xFFFFFFF, 4, {0xEF, 0xFF, 0xFF, 0xFF}},
	{0x10000000, 5, {0xF0, 0x10, 0x00, 0x00, 0x00}},
	{0xFFFFFFFF, 5, {0xF0, 0xFF, 0xFF, 0xFF, 0xFF}},
	{0x12345, 3, {0xC1, 0x23, 0x45}},
};
#define LEN_ROWS (sizeof(len_table) / sizeof(len_table[0]))

static void test_len_encode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN_ROWS; i++) {
		uint8_t out[ROS_LEN_PREFIX_MAX] = {0};
		size_t n = ros_word_len_encode(len_table[i].len, out);

		assert_int_equal(n, len_table[i].n);
		assert_memory_equal(out, len_table[i].bytes, n);
	}
}

static void test_len_decode(void **state)
{
	size_t i, cut;

	(void)state;
	for (i = 0; i < LEN_ROWS; i++) {
		uint32_t len = 0xDEADBEEF;

		assert_int_equal(ros_word_len_decode(len_table[i].bytes, len_table[i].n, &len),
				 (int)len_table[i].n);
		assert_int_equal(len, len_table[i].len);
		/* Any shorter prefix asks for more and consumes nothing. */
		for (cut = 0; cut < len_table[i].n; cut++)
			assert_int_equal(ros_word_len_decode(len_table[i].bytes, cut, &len), 0);
	}
}

static void test_len_reserved(void **state)
{
	uint8_t b[ROS_LEN_PREFIX_MAX] = {0};
	uint32_t len;
	unsigned v;

	(void)state;
	for (v = 0xF1; v <= 0xFF; v++) {
		b[0] = (uint8_t)v;
		assert_int_equal(ros_word_len_decode(b, sizeof(b), &len), -1);
	}
	b[0] = 0xF0;
	assert_int_equal(ros_word_len_decode(b, sizeof(b), &len), 5);
}

static void test_len_non_minimal(void **state)
{
	/* Longer prefixes than needed are still valid lengths. */
	static const uint8_t two[] = {0x80, 0x05}, five[] = {0xF0, 0x00, 0x00, 0x00, 0x7F};
	uint32_t len;

	(void)state;
	assert_int_equal(ros_word_len_decode(two, sizeof(two), &len), 2);
	assert_int_equal(len, 5);
	assert_int_equal(ros_word_len_decode(five, sizeof(five), &len), 5);
	assert_int_equal(len, 0x7F);
}

/* --- sentences -------------------------------------------------------- */

/* A word of len bytes whose content depends on seed, NULs and newlines included. */
static char *pattern(size_t len, unsigned seed)
{
	char *p = malloc(len ? len : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (char)((i * 31 + seed) % 256);
	return p;
}

/* Word lengths around every class boundary that fits in memory comfortably. */
static const size_t word_lens[] = {1, 0x7F, 0x80, 0x3FFF, 0x4000, 0xFFFF, 0x1FFFFF, 0x200000, 5};
#define WORD_ROWS (sizeof(word_lens) / sizeof(word_lens[0]))

static ros_limits big_limits(void)
{
	ros_limits l = {.max_word = 0x300000, .max_sentence = 0x1000000, .max_words = 64};

	return l;
}

static ros_sentence *boundary_sentence(void)
{
	ros_sentence *s = ros_sentence_create();
	size_t i;

	assert_non_null(s);
	assert_int_equal(ros_sentence_add_str(s, "!re"), ROS_OK);
	for (i = 0; i < WORD_ROWS; i++) {
		char *w = pattern(word_lens[i], (unsigned)i);

		assert_int_equal(ros_sentence_add(s, w, word_lens[i]), ROS_OK);
		free(w);
	}
	assert_int_equal(ros_sentence_add(s, "a\0b\nc", 5), ROS_OK);
	return s;
}

static void assert_same_sentence(const ros_sentence *a, const ros_sentence *b)
{
	size_t i, la, lb;

	assert_int_equal(ros_sentence_count(a), ros_sentence_count(b));
	for (i = 0; i < ros_sentence_count(a); i++) {
		const char *wa = ros_sentence_word(a, i, &la), *wb = ros_sentence_word(b, i, &lb);

		assert_int_equal(la, lb);
		assert_memory_equal(wa, wb, la);
		assert_int_equal(wb[lb], '\0');
	}
}

/*
 * Feeds buf in chunks of the sizes in steps (cycled) and collects the
 * sentences, at most max.  Returns how many completed.
 */
static size_t feed_chunked(ros_parser *p, const uint8_t *buf, size_t len, const size_t *steps,
			   size_t nsteps, ros_sentence **got, size_t max)
{
	size_t off = 0, k = 0, n = 0;

	while (off < len) {
		size_t chunk = steps[k++ % nsteps], used;

		if (chunk > len - off)
			chunk = len - off;
		while (chunk > 0) {
			ros_sentence *s = NULL;

			assert_int_equal(ros_parser_feed(p, buf + off, chunk, &used, &s), ROS_OK);
			assert_true(used <= chunk);
			off += used;
			chunk -= used;
			if (s) {
				assert_true(n < max);
				got[n++] = s;
			} else {
				assert_int_equal(chunk, 0);
			}
		}
	}
	return n;
}

/* Feeds in to p in one call, which must succeed and take every byte; the sentence it completed. */
static ros_sentence *feed_whole(ros_parser *p, const uint8_t *in, size_t len)
{
	ros_sentence *s = NULL;
	size_t used;

	assert_int_equal(ros_parser_feed(p, in, len, &used, &s), ROS_OK);
	assert_int_equal(used, len);
	return s;
}

static void round_trip(const size_t *steps, size_t nsteps)
{
	ros_limits lim = big_limits();
	ros_sentence *s = boundary_sentence(), *t = ros_sentence_create(), *got[4] = {0};
	ros_parser *p = ros_parser_create(&lim);
	uint8_t *a = NULL, *b = NULL, *both;
	size_t alen, blen, n, i;

	assert_non_null(t);
	assert_non_null(p);
	assert_int_equal(ros_sentence_add_str(t, "!done"), ROS_OK);
	assert_int_equal(ros_sentence_add_attr_str(t, "ret", "x=y"), ROS_OK);
	assert_int_equal(ros_sentence_encode(s, &a, &alen), ROS_OK);
	assert_int_equal(ros_sentence_encode(t, &b, &blen), ROS_OK);
	/* Two sentences back to back, as they arrive from a router. */
	both = malloc(alen + blen);
	assert_non_null(both);
	memcpy(both, a, alen);
	memcpy(both + alen, b, blen);
	n = feed_chunked(p, both, alen + blen, steps, nsteps, got, 4);
	assert_int_equal(n, 2);
	assert_same_sentence(s, got[0]);
	assert_same_sentence(t, got[1]);
	assert_false(ros_parser_partial(p));
	for (i = 0; i < n; i++)
		ros_sentence_destroy(got[i]);
	free(both);
	free(a);
	free(b);
	ros_parser_destroy(p);
	ros_sentence_destroy(s);
	ros_sentence_destroy(t);
}

static void test_round_trip_whole(void **state)
{
	static const size_t steps[] = {SIZE_MAX};

	(void)state;
	round_trip(steps, 1);
}

static void test_round_trip_byte_by_byte(void **state)
{
	static const size_t steps[] = {1};

	(void)state;
	round_trip(steps, 1);
}

static void test_round_trip_odd_chunks(void **state)
{
	static const size_t steps[] = {2, 3, 1, 7, 4096, 5, 13, 65537, 1, 11};

	(void)state;
	round_trip(steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_encode_layout(void **state)
{
	static const uint8_t want[] = {3, '!', 'r', 'e', 7, '=', 'a', '=', 'x', '\0', 'y', '\n', 0};
	ros_sentence *s = ros_sentence_create();
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ros_sentence_add_str(s, "!re"), ROS_OK);
	assert_int_equal(ros_sentence_add_attr(s, "a", "x\0y\n", 4), ROS_OK);
	assert_int_equal(ros_sentence_encode(s, &buf, &len), ROS_OK);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, len);
	free(buf);
	ros_sentence_destroy(s);
}

static void test_empty_sentences_skipped(void **state)
{
	static const uint8_t in[] = {0, 0, 5, '!', 'd', 'o', 'n', 'e', 0};
	ros_parser *p = ros_parser_create(NULL);
	ros_sentence *s;

	(void)state;
	s = feed_whole(p, in, sizeof(in));
	assert_non_null(s);
	assert_string_equal(ros_sentence_command(s), "!done");
	ros_sentence_destroy(s);
	ros_parser_destroy(p);
}

/* --- attributes and tags ---------------------------------------------- */

static const struct {
	const char *word;
	const char *key;
	const char *value; /* NULL: not found */
} attr_table[] = {
	{"=ret=abc", "ret", "abc"}, {"=message=a=b=c", "message", "a=b=c"},
	{"=name=", "name", ""},     {"=retx=abc", "ret", NULL},
	{"=re=abc", "ret", NULL},   {"ret=abc", "ret", NULL},
	{"=.id=*1A", ".id", "*1A"},
};

static void test_attr_lookup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(attr_table) / sizeof(attr_table[0]); i++) {
		ros_sentence *s = ros_sentence_create();
		const char *v;
		size_t len = 99;

		assert_int_equal(ros_sentence_add_str(s, "!re"), ROS_OK);
		assert_int_equal(ros_sentence_add_str(s, attr_table[i].word), ROS_OK);
		v = ros_sentence_attr(s, attr_table[i].key, &len);
		if (attr_table[i].value) {
			assert_non_null(v);
			assert_string_equal(v, attr_table[i].value);
			assert_int_equal(len, strlen(attr_table[i].value));
		} else {
			assert_null(v);
		}
		ros_sentence_destroy(s);
	}
}

static const struct {
	const char *word;
	bool ok;
	uint32_t tag;
} tag_table[] = {
	{".tag=7", true, 7},           {".tag=4294967295", true, 4294967295u},
	{".tag=4294967296", false, 0}, {".tag=", false, 0},
	{".tag=1x", false, 0},         {"=tag=5", false, 0},
};

static void test_tags(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tag_table) / sizeof(tag_table[0]); i++) {
		ros_sentence *s = ros_sentence_create();
		uint32_t tag = 0;

		assert_int_equal(ros_sentence_add_str(s, "!done"), ROS_OK);
		assert_int_equal(ros_sentence_add_str(s, tag_table[i].word), ROS_OK);
		assert_int_equal(ros_sentence_tag(s, &tag), tag_table[i].ok);
		if (tag_table[i].ok)
			assert_int_equal(tag, tag_table[i].tag);
		ros_sentence_destroy(s);
	}
}

/* --- caps and bad input ----------------------------------------------- */

static const struct {
	const char *name;
	ros_limits limits;
	uint8_t in[16];
	size_t len;
	ros_err err;
	size_t used; /* bytes consumed when the error is reported */
	const char *msg;
} bad_table[] = {
	/* 0x10000000 bytes announced: refused on the prefix, before any allocation. */
	{"word past the default cap",
	 {0},
	 {0xF0, 0x10, 0x00, 0x00, 0x00},
	 5,
	 ROS_ERR_TOO_LARGE,
	 5,
	 "word of 268435456 bytes"},
	{"word past a small cap",
	 {.max_word = 0x7F},
	 {0x80, 0x80},
	 2,
	 ROS_ERR_TOO_LARGE,
	 2,
	 "cap of 127 bytes"},
	{"sentence past its cap",
	 {.max_sentence = 6},
	 {3, '!', 'r', 'e', 4, '=', 'a', '='},
	 8,
	 ROS_ERR_TOO_LARGE,
	 5,
	 "sentence"},
	{"too many words", {.max_words = 2}, {1, 'a', 1, 'b', 1}, 5, ROS_ERR_TOO_LARGE, 5, "words"},
	{"reserved byte 0xF8", {0}, {0xF8}, 1, ROS_ERR_PROTOCOL, 1, "0xF8"},
	{"reserved byte 0xFF", {0}, {3, '!', 'r', 'e', 0xFF}, 5, ROS_ERR_PROTOCOL, 5, "0xFF"},
	{"reserved byte 0xF1", {0}, {0xF1, 0, 0, 0, 0}, 5, ROS_ERR_PROTOCOL, 1, "0xF1"},
};

static void test_bad_input(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_table) / sizeof(bad_table[0]); i++) {
		ros_parser *p = ros_parser_create(&bad_table[i].limits);
		ros_sentence *s = NULL;
		size_t used = 0;
		static const uint8_t more[] = {1, 'x', 0};

		print_message("# %s\n", bad_table[i].name);
		assert_int_equal(ros_parser_feed(p, bad_table[i].in, bad_table[i].len, &used, &s),
				 bad_table[i].err);
		assert_null(s);
		assert_int_equal(used, bad_table[i].used);
		assert_non_null(strstr(ros_parser_errmsg(p), bad_table[i].msg));
		/* The framing is lost: the parser stays failed. */
		assert_int_equal(ros_parser_feed(p, more, sizeof(more), &used, &s),
				 ROS_ERR_PROTOCOL);
		assert_null(s);
		ros_parser_destroy(p);
	}
}

static void test_partial_then_destroy(void **state)
{
	/* A parser destroyed mid-word frees what it held (ASan checks the leak). */
	static const uint8_t in[] = {3, '!', 'r', 'e', 0x80, 0x90, 'a', 'b'};
	ros_parser *p = ros_parser_create(NULL);

	(void)state;
	assert_null(feed_whole(p, in, sizeof(in)));
	assert_true(ros_parser_partial(p));
	ros_parser_destroy(p);
}

static void test_add_rejects(void **state)
{
	ros_sentence *s = ros_sentence_create();

	(void)state;
	assert_int_equal(ros_sentence_add(s, NULL, 3), ROS_ERR_INVALID);
	assert_int_equal(ros_sentence_add(s, "", 0), ROS_ERR_INVALID);
	assert_int_equal(ros_sentence_add_str(s, ""), ROS_ERR_INVALID);
	assert_int_equal(ros_sentence_add(s, "x", (size_t)UINT32_MAX + 1), ROS_ERR_TOO_LARGE);
	assert_int_equal(ros_sentence_count(s), 0);
	assert_string_equal(ros_sentence_command(s), "");
	ros_sentence_destroy(s);
}

static void test_err_names(void **state)
{
	(void)state;
	assert_string_equal(ros_err_name(ROS_ERR_AUTH), "AUTH");
	assert_string_equal(ros_err_str(ROS_ERR_REFUSED), "connection refused");
	assert_true(ros_err_temporary(ROS_ERR_TIMEOUT));
	assert_false(ros_err_temporary(ROS_ERR_DENIED));
	assert_string_equal(ros_err_name((ros_err)999), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_len_encode),
		cmocka_unit_test(test_len_decode),
		cmocka_unit_test(test_len_reserved),
		cmocka_unit_test(test_len_non_minimal),
		cmocka_unit_test(test_round_trip_whole),
		cmocka_unit_test(test_round_trip_byte_by_byte),
		cmocka_unit_test(test_round_trip_odd_chunks),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_empty_sentences_skipped),
		cmocka_unit_test(test_attr_lookup),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_partial_then_destroy),
		cmocka_unit_test(test_add_rejects),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests_name("routeros wire", tests, NULL, NULL);
}
