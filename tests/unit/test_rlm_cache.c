/*
 * rlm_hotspot's routers cache file: round trip (IPv4 and IPv6, secrets
 * holding NUL, newline, quote and high bytes), an empty list, the file's
 * mode and atomic replacement, and refusal of a truncated file, of every
 * single damaged byte, of other versions and of records out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "radiusd-module/hs_cache.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Three routers; the secrets hold the bytes a text format could trip on. */
static void sample(hs_cache_rec v[3])
{
	static char const s0[] = "se\0cr\"et\n'\\ \t\xff";
	unsigned i;

	memset(v, 0, 3 * sizeof(*v));
	v[0].af = AF_INET;
	memcpy(v[0].addr, "\x7f\x00\x00\x02", 4);
	strcpy(v[0].id, "aaaaaaaa-0000-4000-8000-0000000000a2");
	memcpy(v[0].secret, s0, sizeof(s0) - 1);
	v[0].secret_len = sizeof(s0) - 1;
	v[0].require_ma = true;

	v[1].af = AF_INET6;
	for (i = 0; i < 16; i++)
		v[1].addr[i] = (uint8_t)(0xf0 + i);
	strcpy(v[1].id, "r 2\n");
	memset(v[1].secret, 'x', HS_CACHE_SECRET_MAX);
	v[1].secret_len = HS_CACHE_SECRET_MAX;

	v[2].af = AF_INET;
	memcpy(v[2].addr, "\x0a\x00\x00\x01", 4);
	strcpy(v[2].id, "3");
	v[2].secret[0] = '\n';
	v[2].secret_len = 1;
}

static void assert_rec_equal(hs_cache_rec const *a, hs_cache_rec const *b)
{
	assert_int_equal(a->af, b->af);
	assert_memory_equal(a->addr, b->addr, sizeof(a->addr));
	assert_string_equal(a->id, b->id);
	assert_int_equal(a->secret_len, b->secret_len);
	assert_memory_equal(a->secret, b->secret, a->secret_len);
	assert_int_equal(a->require_ma, b->require_ma);
}

static void test_roundtrip(void **state)
{
	hs_cache_rec v[3], *out = NULL;
	char *data = NULL;
	char const *why = NULL;
	size_t len = 0;
	unsigned n = 0, i;

	(void)state;
	sample(v);
	assert_int_equal(hs_cache_encode(v, 3, &data, &len), 0);
	assert_memory_equal(data, "hotspot-clients 1 3\n", 20);
	assert_null(memchr(data, 0, len));
	assert_int_equal(hs_cache_decode(data, len, &out, &n, &why), 0);
	assert_null(why);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++)
		assert_rec_equal(&out[i], &v[i]);
	hs_cache_wipe(out, sizeof(*out) * n);
	hs_cache_wipe(data, len);
}

static void test_empty(void **state)
{
	hs_cache_rec *out = NULL;
	char *data = NULL;
	char const *why = NULL;
	size_t len = 0;
	unsigned n = 1;

	(void)state;
	assert_int_equal(hs_cache_encode(NULL, 0, &data, &len), 0);
	assert_int_equal(hs_cache_decode(data, len, &out, &n, &why), 0);
	assert_int_equal(n, 0);
	assert_null(out);
	hs_cache_wipe(data, len);
}

/* Records the encoder refuses: the decoder could not take them back. */
static void test_encode_refuses(void **state)
{
	hs_cache_rec v[3];
	char *data = NULL;
	size_t len = 0;

	(void)state;
	sample(v);
	v[1].secret_len = 0;
	assert_int_equal(hs_cache_encode(v, 3, &data, &len), -1);
	assert_null(data);
	sample(v);
	v[2].id[0] = '\0';
	assert_int_equal(hs_cache_encode(v, 3, &data, &len), -1);
	sample(v);
	v[0].af = 99;
	assert_int_equal(hs_cache_encode(v, 3, &data, &len), -1);
	assert_int_equal(hs_cache_encode(v, HS_CACHE_ROUTERS_MAX + 1, &data, &len), -1);
}

static void test_truncated(void **state)
{
	hs_cache_rec v[3], *out = NULL;
	char *data = NULL;
	char const *why = NULL;
	size_t len = 0, cut;
	unsigned n = 0;

	(void)state;
	sample(v);
	assert_int_equal(hs_cache_encode(v, 3, &data, &len), 0);
	for (cut = 0; cut < len; cut++) {
		assert_int_equal(hs_cache_decode(data, cut, &out, &n, &why), -1);
		assert_null(out);
		assert_int_equal(n, 0);
		assert_non_null(why);
	}
	hs_cache_wipe(data, len);
}

static void test_damaged(void **state)
{
	hs_cache_rec v[3], *out = NULL;
	char *data = NULL, *longer;
	char const *why = NULL;
	size_t len = 0, i;
	unsigned n = 0, bit;

	(void)state;
	sample(v);
	assert_int_equal(hs_cache_encode(v, 3, &data, &len), 0);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			data[i] ^= (char)(1u << bit);
			assert_int_equal(hs_cache_decode(data, len, &out, &n, &why), -1);
			assert_null(out);
			data[i] ^= (char)(1u << bit);
		}
	}
	/* Bytes after the checksum line are refused too. */
	longer = calloc(1, len + 1);
	assert_non_null(longer);
	memcpy(longer, data, len);
	longer[len] = '\n';
	assert_int_equal(hs_cache_decode(longer, len + 1, &out, &n, &why), -1);
	hs_cache_wipe(longer, len + 1);
	hs_cache_wipe(data, len);
}

/* Appends the checksum line to body, as the encoder would. */
static size_t with_sum(char *buf, size_t size, char const *body)
{
	uint64_t h = 14695981039346656037ull;
	size_t i, len = strlen(body);

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)body[i];
		h *= 1099511628211ull;
	}
	return (size_t)snprintf(buf, size, "%ssum %016llx\n", body, (unsigned long long)h);
}

/* Well-checksummed files that are still not valid caches. */
static void test_malformed(void **state)
{
	static char const *const bodies[] = {
		"hotspot-clients 2 0\n",
		"hotspot-clients 1 1\n",
		"hotspot-clients 1 0\n4 7f000002 0 61 62\n",
		"hotspot-clients 1 01\n4 7f000002 0 61 62\n",
		"hotspot-clients 1 100001\n",
		"hotspot-clients 1 1\n4 7f00002 0 61 62\n",
		"hotspot-clients 1 1\n5 7f000002 0 61 62\n",
		"hotspot-clients 1 1\n6 7f000002 0 61 62\n",
		"hotspot-clients 1 1\n4 7f000002 2 61 62\n",
		"hotspot-clients 1 1\n4 7f000002 0 61 6\n",
		"hotspot-clients 1 1\n4 7f000002 0 61 6G\n",
		"hotspot-clients 1 1\n4 7f000002 0 61 6A\n",
		"hotspot-clients 1 1\n4 7f000002 0 6100 62\n",
		"hotspot-clients 1 1\n4 7f000002 0  62\n",
		"hotspot-clients 1 1\n4 7f000002 0 61 \n",
		"hotspot-clients 1 1\n4 7f000002 0 61 62 63\n",
		"hotspot-clients 1 1\n4  7f000002 0 61 62\n",
		"HOTSPOT-clients 1 0\n",
	};
	char buf[1024];
	hs_cache_rec *out = NULL;
	char const *why = NULL;
	unsigned n = 0;
	size_t i, len;

	(void)state;
	len = with_sum(buf, sizeof(buf), "hotspot-clients 1 1\n4 7f000002 1 61 62\n");
	assert_int_equal(hs_cache_decode(buf, len, &out, &n, &why), 0);
	assert_int_equal(n, 1);
	assert_true(out[0].require_ma);
	assert_int_equal(out[0].secret_len, 1);
	hs_cache_wipe(out, sizeof(*out) * n);
	for (i = 0; i < NELEM(bodies); i++) {
		len = with_sum(buf, sizeof(buf), bodies[i]);
		if (hs_cache_decode(buf, len, &out, &n, &why) != -1)
			fail_msg("accepted: %s", bodies[i]);
		assert_null(out);
		assert_non_null(why);
	}
}

/* The file: mode 0600, replaced whole, absent, truncated, damaged. */
static void test_file(void **state)
{
	char dir[] = "/tmp/test_rlm_cache.XXXXXX", path[64], why[512];
	hs_cache_rec v[3], *out = NULL;
	unsigned n = 0;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/clients.cache", dir);
	assert_int_equal(hs_cache_read(path, &out, &n, why, sizeof(why)), HS_CACHE_ABSENT);
	sample(v);
	assert_int_equal(hs_cache_write(path, v, 3, why, sizeof(why)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(hs_cache_read(path, &out, &n, why, sizeof(why)), HS_CACHE_LOADED);
	assert_int_equal(n, 3);
	assert_rec_equal(&out[0], &v[0]);
	hs_cache_wipe(out, sizeof(*out) * n);

	assert_int_equal(hs_cache_write(path, v, 1, why, sizeof(why)), 0);
	assert_int_equal(hs_cache_read(path, &out, &n, why, sizeof(why)), HS_CACHE_LOADED);
	assert_int_equal(n, 1);
	hs_cache_wipe(out, sizeof(*out) * n);
	snprintf(why, sizeof(why), "%s/clients.cache.tmp", dir);
	assert_int_equal(access(why, F_OK), -1);

	assert_int_equal(truncate(path, st.st_size - 5), 0);
	assert_int_equal(hs_cache_read(path, &out, &n, why, sizeof(why)), HS_CACHE_BAD);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_non_null(strstr(why, "checksum"));

	assert_int_equal(hs_cache_write(path, v, 3, why, sizeof(why)), 0);
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(fseek(f, 30, SEEK_SET), 0);
	assert_int_not_equal(fputc('0', f), EOF);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(hs_cache_read(path, &out, &n, why, sizeof(why)), HS_CACHE_BAD);
	assert_null(out);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	struct CMUnitTest const tests[] = {
		cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_empty),
		cmocka_unit_test(test_encode_refuses), cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_damaged),        cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
