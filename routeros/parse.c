/*
 * The value formats RouterOS prints: durations ("1w2d3h4m5s", "2d03:04:05"),
 * byte counts ("128.0MiB"), booleans and versions; and a duration written
 * the way RouterOS reads it.
 */
#include "routeros/prov_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Longest run of digits read as one number: keeps every sum below 2^64. */
#define MAX_DIGITS 12

/* Reads 1 to MAX_DIGITS decimal digits at *p.  False when there are none or too many. */
static bool read_digits(const char **p, uint64_t *v, size_t *ndigits)
{
	const char *s = *p;
	uint64_t n = 0;
	size_t i = 0;

	while (isdigit((unsigned char)s[i])) {
		if (i == MAX_DIGITS)
			return false;
		n = n * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i == 0)
		return false;
	*p = s + i;
	*v = n;
	if (ndigits)
		*ndigits = i;
	return true;
}

static const struct unit {
	const char *suffix;
	uint64_t secs; /* 0 for milliseconds */
} units[] = {
	{"w", 604800}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}, {"ms", 0},
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

/* "hh:mm:ss" with an optional fraction, at the end of a duration. */
static bool read_clock(const char *s, uint64_t hours, uint64_t *secs)
{
	uint64_t mm, ss, frac;
	size_t nd;

	if (*s++ != ':' || !read_digits(&s, &mm, &nd) || nd != 2 || mm > 59)
		return false;
	if (*s++ != ':' || !read_digits(&s, &ss, &nd) || nd != 2 || ss > 59)
		return false;
	if (*s == '.') {
		s++;
		if (!read_digits(&s, &frac, NULL))
			return false;
	}
	if (*s)
		return false;
	*secs = hours * 3600 + mm * 60 + ss;
	return true;
}

/*
 * The unit whose suffix starts at s, at or after index from; the longest
 * suffix wins ("ms" over "m").  -1 when none.
 */
static int match_unit(const char *s, size_t from, size_t *len)
{
	size_t i, best_len = 0;
	int best = -1;

	for (i = from; i < NUNITS; i++) {
		size_t n = strlen(units[i].suffix);

		if (n > best_len && strncmp(s, units[i].suffix, n) == 0) {
			best = (int)i;
			best_len = n;
		}
	}
	*len = best_len;
	return best;
}

bool ros_parse_duration(const char *s, uint64_t *secs)
{
	uint64_t total = 0, v;
	size_t next_unit = 0, ulen = 0;
	bool any = false;

	if (!s || !secs)
		return false;
	if (*s == '\0' || strcmp(s, "none") == 0) {
		*secs = 0;
		return true;
	}
	while (*s) {
		int u;

		if (!read_digits(&s, &v, NULL))
			return false;
		if (*s == '\0' && !any) {
			*secs = v; /* a bare number is seconds */
			return true;
		}
		if (*s == ':')
			return read_clock(s, v, &v) ? (*secs = total + v, true) : false;
		/* Units appear once each, largest first. */
		u = match_unit(s, next_unit, &ulen);
		if (u < 0)
			return false;
		total += units[u].secs ? v * units[u].secs : v / 1000;
		next_unit = (size_t)u + 1;
		s += ulen;
		any = true;
	}
	*secs = total;
	return true;
}

bool ros_parse_bytes(const char *s, uint64_t *bytes)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} sfx[] = {{"", 1},
		   {"B", 1},
		   {"KiB", 1ull << 10},
		   {"MiB", 1ull << 20},
		   {"GiB", 1ull << 30},
		   {"TiB", 1ull << 40}};
	uint64_t whole, frac = 0, scale = 1;
	size_t i, nd = 0;

	if (!s || !bytes || !read_digits(&s, &whole, NULL))
		return false;
	if (*s == '.') {
		s++;
		if (!read_digits(&s, &frac, &nd) || nd > 6)
			return false;
		for (i = 0; i < nd; i++)
			scale *= 10;
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (strcmp(s, sfx[i].suffix) != 0)
			continue;
		if (whole > UINT64_MAX / sfx[i].mult / 2)
			return false;
		*bytes = whole * sfx[i].mult + frac * sfx[i].mult / scale;
		return true;
	}
	return false;
}

bool ros_parse_bool(const char *s, bool *value)
{
	if (!s || !value)
		return false;
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0) {
		*value = true;
		return true;
	}
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0) {
		*value = false;
		return true;
	}
	return false;
}

bool ros_parse_version(const char *s, int *major, int *minor, int *patch)
{
	uint64_t v[3] = {0, 0, 0};
	size_t i;

	if (!s || !read_digits(&s, &v[0], NULL) || v[0] > 1000)
		return false;
	for (i = 1; i < 3 && *s == '.'; i++) {
		s++;
		if (!read_digits(&s, &v[i], NULL) || v[i] > 100000)
			return false;
	}
	/* What may follow: a space and the channel "(stable)", or a tag such as "rc1", "beta2". */
	if (*s && *s != ' ' && !isalpha((unsigned char)*s))
		return false;
	*major = (int)v[0];
	*minor = (int)v[1];
	*patch = (int)v[2];
	return true;
}

char *ros_format_duration(uint64_t secs, char *out, size_t len)
{
	static const struct unit *const order[] = {&units[0], &units[1], &units[2], &units[3],
						   &units[4]};
	size_t i, used = 0;

	if (!out || len == 0)
		return out;
	out[0] = '\0';
	if (secs == 0) {
		snprintf(out, len, "0s");
		return out;
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]) && used < len; i++) {
		uint64_t n = secs / order[i]->secs;
		int w;

		if (n == 0)
			continue;
		secs -= n * order[i]->secs;
		w = snprintf(out + used, len - used, "%" PRIu64 "%s", n, order[i]->suffix);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return out;
}
