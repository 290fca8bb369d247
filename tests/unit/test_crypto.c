/*
 * Secrets at rest (common/crypto.c): key text, seal and open round trips of
 * every size class, the layout of a sealed value, and every way a value
 * must refuse to open (a byte changed anywhere, a truncated value, another
 * version, another key, another router) without handing back a plaintext.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

/* A fixed key: 32 bytes 0x00..0x1f. */
#define KEY_A   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B   "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo="
#define ROUTER1 "20000000-0000-4000-8000-000000000001"
#define ROUTER2 "20000000-0000-4000-8000-000000000002"

static hs_crypto_key key_of(const char *text)
{
	hs_crypto_key k;

	assert_int_equal(hs_crypto_key_parse(text, &k), 0);
	return k;
}

/* Key text: what parses and what does not. */
static void test_key_parse(void **state)
{
	static const struct {
		const char *text;
		int want;
	} rows[] = {
		{KEY_A, 0},
		{KEY_B, 0},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", -1},   /* 43: no padding */
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==", -1}, /* 45 */
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh==", -1},  /* 31 bytes */
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd*h8=", -1},  /* not base64 */
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd h8=", -1},  /* a blank */
		{"", -1},
		{NULL, -1},
	};
	static const unsigned char zero[HS_CRYPTO_KEY_LEN];
	hs_crypto_key k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		memset(&k, 0xAA, sizeof k);
		assert_int_equal(hs_crypto_key_parse(rows[i].text, &k), rows[i].want);
		if (rows[i].want < 0)
			assert_memory_equal(k.k, zero, sizeof zero);
	}
	k = key_of(KEY_A);
	for (i = 0; i < HS_CRYPTO_KEY_LEN; i++)
		assert_int_equal(k.k[i], i);
	hs_crypto_key_wipe(&k);
	assert_memory_equal(k.k, zero, sizeof zero);
}

/* Generated keys parse, and differ. */
static void test_key_generate(void **state)
{
	char a[HS_CRYPTO_KEY_B64_LEN + 1], b[HS_CRYPTO_KEY_B64_LEN + 1];
	hs_crypto_key k;

	(void)state;
	assert_int_equal(hs_crypto_key_generate(a), 0);
	assert_int_equal(hs_crypto_key_generate(b), 0);
	assert_int_equal(strlen(a), HS_CRYPTO_KEY_B64_LEN);
	assert_true(hs_crypto_key_text_ok(a));
	assert_string_not_equal(a, b);
	assert_int_equal(hs_crypto_key_parse(a, &k), 0);
	hs_crypto_key_wipe(&k);
}

/* Seal then open, for every size class; the layout of the sealed value. */
static void test_round_trip(void **state)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 100, HS_CRYPTO_PLAIN_MAX};
	hs_crypto_key k = key_of(KEY_A);
	unsigned char plain[HS_CRYPTO_PLAIN_MAX], *sealed, *again, *opened;
	size_t i, j, slen, alen, olen;

	(void)state;
	for (i = 0; i < sizeof plain; i++)
		plain[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		assert_int_equal(hs_crypto_seal(&k, ROUTER1, plain, sizes[i], &sealed, &slen), 0);
		assert_int_equal(slen, sizes[i] + HS_CRYPTO_OVERHEAD);
		assert_int_equal(sealed[0], HS_CRYPTO_VERSION);
		/* The ciphertext is not the plaintext. */
		for (j = 0; sizes[i] >= 16 && j < 16; j++)
			if (sealed[1 + HS_CRYPTO_NONCE_LEN + j] != plain[j])
				break;
		assert_true(sizes[i] < 16 || j < 16);
		/* A fresh nonce each time: the same plaintext seals differently. */
		assert_int_equal(hs_crypto_seal(&k, ROUTER1, plain, sizes[i], &again, &alen), 0);
		assert_memory_not_equal(sealed + 1, again + 1, HS_CRYPTO_NONCE_LEN);
		assert_int_equal(hs_crypto_open(&k, ROUTER1, sealed, slen, &opened, &olen), 0);
		assert_int_equal(olen, sizes[i]);
		assert_int_equal(opened[olen], '\0');
		if (olen)
			assert_memory_equal(opened, plain, olen);
		hs_crypto_free(opened, olen);
		free(sealed);
		free(again);
	}
	hs_crypto_key_wipe(&k);
}

/* Every change to a sealed value, every wrong key or router: -1, *out NULL. */
static void test_refusals(void **state)
{
	static const char pw[] = "router-api-password";
	hs_crypto_key ka = key_of(KEY_A), kb = key_of(KEY_B);
	unsigned char *sealed, *copy, *out = (unsigned char *)"x";
	size_t slen, olen = 1, i;

	(void)state;
	assert_int_equal(
		hs_crypto_seal(&ka, ROUTER1, (const unsigned char *)pw, strlen(pw), &sealed, &slen),
		0);
	copy = malloc(slen);
	assert_non_null(copy);
	/* One bit flipped at each position: version, nonce, ciphertext, tag. */
	for (i = 0; i < slen; i++) {
		memcpy(copy, sealed, slen);
		copy[i] ^= 0x01;
		assert_int_equal(hs_crypto_open(&ka, ROUTER1, copy, slen, &out, &olen), -1);
		assert_null(out);
		assert_int_equal(olen, 0);
	}
	/* Truncated anywhere, down to nothing. */
	for (i = 0; i < slen; i++) {
		out = (unsigned char *)"x";
		assert_int_equal(hs_crypto_open(&ka, ROUTER1, sealed, i, &out, &olen), -1);
		assert_null(out);
	}
	/* Another key; another router; no router. */
	assert_int_equal(hs_crypto_open(&kb, ROUTER1, sealed, slen, &out, &olen), -1);
	assert_null(out);
	assert_int_equal(hs_crypto_open(&ka, ROUTER2, sealed, slen, &out, &olen), -1);
	assert_null(out);
	assert_int_equal(hs_crypto_open(&ka, "", sealed, slen, &out, &olen), -1);
	assert_int_equal(hs_crypto_open(&ka, NULL, sealed, slen, &out, &olen), -1);
	assert_int_equal(hs_crypto_open(&ka, ROUTER1, NULL, slen, &out, &olen), -1);
	/* And the right ones still open it. */
	assert_int_equal(hs_crypto_open(&ka, ROUTER1, sealed, slen, &out, &olen), 0);
	assert_string_equal((const char *)out, pw);
	hs_crypto_free(out, olen);
	free(copy);
	free(sealed);
	hs_crypto_key_wipe(&ka);
	hs_crypto_key_wipe(&kb);
}

/* Seal's own refusals: no key, no associated data, too long a plaintext. */
static void test_seal_bad_input(void **state)
{
	hs_crypto_key k = key_of(KEY_A);
	unsigned char big[HS_CRYPTO_PLAIN_MAX + 1] = {0}, *out = (unsigned char *)"x";
	size_t olen = 1;

	(void)state;
	assert_int_equal(hs_crypto_seal(NULL, ROUTER1, big, 1, &out, &olen), -1);
	assert_null(out);
	assert_int_equal(hs_crypto_seal(&k, NULL, big, 1, &out, &olen), -1);
	assert_int_equal(hs_crypto_seal(&k, ROUTER1, NULL, 1, &out, &olen), -1);
	assert_int_equal(hs_crypto_seal(&k, ROUTER1, big, sizeof big, &out, &olen), -1);
	assert_null(out);
	assert_int_equal(olen, 0);
	hs_crypto_free(NULL, 0);
	hs_crypto_key_wipe(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_parse),      cmocka_unit_test(test_key_generate),
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_seal_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
