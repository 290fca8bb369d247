/*
 * libFuzzer target: the RouterOS sentence parser and reply assembly.
 *
 * The first input byte picks the chunk sizes and the caps, the rest is the
 * byte stream from a "router".  Every sentence parsed is re-encoded and
 * parsed again (it must come back identical), then handed to a reply as a
 * command's answer, and the reply's accessors are read.
 */
#include "routeros/internal.h"

#include <stdlib.h>
#include <string.h>

static void check_round_trip(const ros_sentence *s)
{
	ros_parser *p = ros_parser_create(NULL);
	ros_sentence *back = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, used = 0, i, la, lb;

	if (!p || ros_sentence_encode(s, &buf, &len) != ROS_OK)
		abort();
	if (ros_parser_feed(p, buf, len, &used, &back) != ROS_OK || !back || used != len)
		abort();
	if (ros_sentence_count(back) != ros_sentence_count(s))
		abort();
	for (i = 0; i < ros_sentence_count(s); i++) {
		const char *a = ros_sentence_word(s, i, &la), *b = ros_sentence_word(back, i, &lb);

		if (la != lb || memcmp(a, b, la) != 0)
			abort();
	}
	ros_sentence_destroy(back);
	ros_parser_destroy(p);
	free(buf);
}

static void read_reply(const ros_reply *r)
{
	size_t i, len;
	uint32_t tag;

	for (i = 0; i < ros_reply_count(r); i++)
		(void)ros_sentence_tag(ros_reply_item(r, i), &tag);
	for (i = 0; i < ros_reply_trap_count(r); i++) {
		(void)strlen(ros_reply_trap_message(r, i));
		(void)ros_reply_trap_category(r, i);
	}
	(void)ros_reply_ret(r, &len);
	(void)ros__reply_result(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ros_limits lim = {0};
	ros_parser *p;
	ros_reply *r;
	size_t off = 1, chunk;

	if (size < 1)
		return 0;
	/* Small caps half of the time, so that the cap paths are reached. */
	if (data[0] & 0x80) {
		lim.max_word = 64;
		lim.max_sentence = 256;
		lim.max_words = 8;
		lim.max_reply = 1024;
	}
	chunk = (size_t)(data[0] & 0x0F) + 1;
	p = ros_parser_create(&lim);
	r = ros__reply_create();
	if (!p || !r)
		abort();
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk, used = 0;
		ros_sentence *s = NULL;
		ros_err err = ros_parser_feed(p, data + off, n, &used, &s);

		if (used > n)
			abort();
		off += used;
		if (err != ROS_OK) {
			if (s || !*ros_parser_errmsg(p))
				abort();
			break;
		}
		if (s) {
			check_round_trip(s);
			(void)ros_sentence_attr(s, "message", NULL);
			if (ros__reply_take(r, s, ros__limits_resolve(&lim).max_reply)) {
				read_reply(r);
				ros_reply_destroy(r);
				r = ros__reply_create();
				if (!r)
					abort();
			}
		} else if (used != n) {
			abort();
		}
	}
	read_reply(r);
	ros_reply_destroy(r);
	ros_parser_destroy(p);
	return 0;
}
