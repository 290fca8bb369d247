/*
 * Text checks shared by hotspotd's parts (see common/text.h).
 */
#include "common/text.h"

/* The continuation bytes of a UTF-8 sequence led by c, or -1 when c leads none. */
static int utf8_tail(unsigned char c)
{
	if (c < 0x80)
		return 0;
	if (c >= 0xc2 && c <= 0xdf)
		return 1;
	if (c >= 0xe0 && c <= 0xef)
		return 2;
	if (c >= 0xf0 && c <= 0xf4)
		return 3;
	return -1;
}

bool hs_utf8_text(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; i < len;) {
		int n = utf8_tail(s[i]);

		if (s[i] == 0 || n < 0 || (size_t)n >= len - i)
			return false;
		if ((s[i] == 0xe0 && s[i + 1] < 0xa0) || (s[i] == 0xed && s[i + 1] >= 0xa0) ||
		    (s[i] == 0xf0 && s[i + 1] < 0x90) || (s[i] == 0xf4 && s[i + 1] >= 0x90))
			return false;
		for (int k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += (size_t)n + 1;
	}
	return true;
}
