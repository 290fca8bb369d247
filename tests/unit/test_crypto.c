/*
 * Secrets at rest (common/crypto.c): key text, seal and open round trips of
 * every size class, the layout of a sealed value, and every way a value
 * must refuse to open (a byte changed anywhere, a truncated value, another
 * version, another key, another router) without handing back a plaintext;
 * key ids, key rings (current and previous keys) and version 1 values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/crypto.h"

/* A fixed key: 32 bytes 0x00..0x1f. */
#define KEY_A   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B   "GxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo="
#define ROUTER1 "20000000-0000-4000-8000-000000000001"
#define ROUTER2 "20000000-0000-4000-8000-000000000002"
/* The hash part of a known scrypt hash (see test_pw_known_hash). */
#define KNOWN_DK "aemvk+lOOlI3yGiKQySN/kJuCFcaX/m/HLQp1vRwTIc"

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
			if (sealed[1 + HS_CRYPTO_KEY_ID_LEN + HS_CRYPTO_NONCE_LEN + j] != plain[j])
				break;
		assert_true(sizes[i] < 16 || j < 16);
		/* A fresh nonce each time: the same plaintext seals differently. */
		assert_int_equal(hs_crypto_seal(&k, ROUTER1, plain, sizes[i], &again, &alen), 0);
		assert_memory_equal(sealed + 1, again + 1, HS_CRYPTO_KEY_ID_LEN);
		assert_memory_not_equal(sealed + 1 + HS_CRYPTO_KEY_ID_LEN,
					again + 1 + HS_CRYPTO_KEY_ID_LEN, HS_CRYPTO_NONCE_LEN);
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
	/* One bit flipped at each position: version, key id, nonce, ciphertext, tag. */
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

/* SHA-256 of KEY_A's raw bytes (0x00..0x1f) begins 630dcd29; of KEY_B's, see below. */
static const unsigned char ID_A[HS_CRYPTO_KEY_ID_LEN] = {0x63, 0x0d, 0xcd, 0x29};

/*
 * Seals plain in version 1 (version || nonce || ct || tag, ad alone), as the
 * program did before key ids: the compatibility test's fixture, made here
 * with OpenSSL directly so that it does not depend on the code under test.
 */
static size_t seal_v1(const hs_crypto_key *k, const char *ad, const char *plain, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t len = strlen(plain);
	int n;

	assert_non_null(ctx);
	out[0] = HS_CRYPTO_VERSION_V1;
	memset(out + 1, 0x5a, HS_CRYPTO_NONCE_LEN);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL), 1);
	assert_int_equal(
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, HS_CRYPTO_NONCE_LEN, NULL), 1);
	assert_int_equal(EVP_EncryptInit_ex(ctx, NULL, NULL, k->k, out + 1), 1);
	assert_int_equal(
		EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)ad, (int)strlen(ad)), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out + 1 + HS_CRYPTO_NONCE_LEN, &n,
					   (const unsigned char *)plain, (int)len),
			 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, out + 1 + HS_CRYPTO_NONCE_LEN + len, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, HS_CRYPTO_TAG_LEN,
					     out + 1 + HS_CRYPTO_NONCE_LEN + len),
			 1);
	EVP_CIPHER_CTX_free(ctx);
	return len + HS_CRYPTO_OVERHEAD_V1;
}

/* Key ids: the first 4 bytes of SHA-256 of the raw key, written into each value. */
static void test_key_id(void **state)
{
	hs_crypto_key ka = key_of(KEY_A), kb = key_of(KEY_B);
	unsigned char ida[HS_CRYPTO_KEY_ID_LEN], idb[HS_CRYPTO_KEY_ID_LEN], *sealed;
	size_t slen;

	(void)state;
	assert_int_equal(hs_crypto_key_id(&ka, ida), 0);
	assert_memory_equal(ida, ID_A, sizeof ida);
	assert_int_equal(hs_crypto_key_id(&kb, idb), 0);
	assert_memory_not_equal(ida, idb, sizeof ida);
	assert_int_equal(hs_crypto_key_id(NULL, idb), -1);
	assert_int_equal(
		hs_crypto_seal(&kb, ROUTER1, (const unsigned char *)"pw", 2, &sealed, &slen), 0);
	assert_int_equal(sealed[0], 2);
	assert_int_equal(hs_crypto_key_id(&kb, ida), 0);
	assert_memory_equal(sealed + 1, ida, HS_CRYPTO_KEY_ID_LEN);
	free(sealed);
	hs_crypto_key_wipe(&ka);
	hs_crypto_key_wipe(&kb);
}

/* Key ring text: what parses (current plus previous) and what does not. */
static void test_keyring_init(void **state)
{
	static const struct {
		const char *current, *previous;
		int want;
		size_t n;
	} rows[] = {
		{KEY_A, NULL, 0, 1},
		{KEY_A, "", 0, 1},
		{KEY_A, KEY_B, 0, 2},
		{KEY_A, " " KEY_B " , " KEY_A " ", 0, 3},
		{KEY_A, KEY_B "," KEY_B "," KEY_B "," KEY_B "," KEY_B "," KEY_B "," KEY_B, 0, 8},
		{KEY_A, KEY_B "," KEY_B "," KEY_B "," KEY_B "," KEY_B "," KEY_B "," KEY_B "," KEY_B,
		 -1, 0},
		{KEY_A, KEY_B ",", -1, 0},
		{KEY_A, "," KEY_B, -1, 0},
		{KEY_A, KEY_B " " KEY_B, -1, 0},
		{KEY_A, KEY_B "x", -1, 0},
		{KEY_A, "not-a-key", -1, 0},
		{"", KEY_B, -1, 0},
		{NULL, NULL, -1, 0},
	};
	hs_crypto_keyring kr;

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(hs_crypto_keyring_init(&kr, rows[i].current, rows[i].previous),
				 rows[i].want);
		assert_int_equal(kr.n, rows[i].n);
		hs_crypto_keyring_wipe(&kr);
	}
	assert_int_equal(hs_crypto_keyring_init(&kr, KEY_A, KEY_B), 0);
	assert_memory_equal(kr.ids[0], ID_A, HS_CRYPTO_KEY_ID_LEN);
	hs_crypto_keyring_wipe(&kr);
	assert_int_equal(kr.n, 0);
	assert_int_equal(kr.keys[0].k[1], 0);
}

/* The ring seals with the current key and opens its own values: current. */
static void test_keyring_round_trip(void **state)
{
	static const char pw[] = "router-api-password";
	hs_crypto_keyring kr;
	unsigned char *sealed, *out;
	size_t slen, olen;
	bool current = false;

	(void)state;
	assert_int_equal(hs_crypto_keyring_init(&kr, KEY_A, KEY_B), 0);
	assert_int_equal(hs_crypto_keyring_seal(&kr, ROUTER1, (const unsigned char *)pw, strlen(pw),
						&sealed, &slen),
			 0);
	assert_int_equal(slen, strlen(pw) + HS_CRYPTO_OVERHEAD);
	assert_int_equal(sealed[0], HS_CRYPTO_VERSION);
	assert_memory_equal(sealed + 1, ID_A, HS_CRYPTO_KEY_ID_LEN);
	assert_int_equal(
		hs_crypto_keyring_open(&kr, ROUTER1, sealed, slen, &out, &olen, &current, NULL),
		HS_CRYPTO_OK);
	assert_true(current);
	assert_string_equal((const char *)out, pw);
	hs_crypto_free(out, olen);
	/* Another router's value does not open here, whatever the key. */
	assert_int_equal(
		hs_crypto_keyring_open(&kr, ROUTER2, sealed, slen, &out, &olen, &current, NULL),
		HS_CRYPTO_EINVAL);
	assert_null(out);
	assert_false(current);
	free(sealed);
	hs_crypto_keyring_wipe(&kr);
	/* An empty ring neither seals nor opens. */
	assert_int_equal(
		hs_crypto_keyring_seal(&kr, ROUTER1, (const unsigned char *)pw, 2, &sealed, &slen),
		-1);
	assert_null(sealed);
}

/* A value sealed under a previous key opens, as not current; under no known key: EUNKNOWN. */
static void test_keyring_previous_and_unknown(void **state)
{
	static const char pw[] = "router-api-password";
	hs_crypto_keyring old, now, alone;
	unsigned char *sealed, *out;
	char id[9];
	size_t slen, olen;
	bool current = true;

	(void)state;
	assert_int_equal(hs_crypto_keyring_init(&old, KEY_A, NULL), 0);
	assert_int_equal(hs_crypto_keyring_init(&now, KEY_B, KEY_A), 0);
	assert_int_equal(hs_crypto_keyring_init(&alone, KEY_B, NULL), 0);
	assert_int_equal(hs_crypto_keyring_seal(&old, ROUTER1, (const unsigned char *)pw,
						strlen(pw), &sealed, &slen),
			 0);
	assert_int_equal(
		hs_crypto_keyring_open(&now, ROUTER1, sealed, slen, &out, &olen, &current, id),
		HS_CRYPTO_OK);
	assert_false(current);
	assert_string_equal(id, "");
	assert_string_equal((const char *)out, pw);
	hs_crypto_free(out, olen);
	/* Without key A, the value names a key no one has. */
	assert_int_equal(
		hs_crypto_keyring_open(&alone, ROUTER1, sealed, slen, &out, &olen, &current, id),
		HS_CRYPTO_EUNKNOWN);
	assert_string_equal(id, "630dcd29");
	assert_null(out);
	assert_int_equal(olen, 0);
	assert_int_equal(
		hs_crypto_keyring_open(&alone, ROUTER1, sealed, slen, &out, &olen, NULL, NULL),
		HS_CRYPTO_EUNKNOWN);
	free(sealed);
	hs_crypto_keyring_wipe(&old);
	hs_crypto_keyring_wipe(&now);
	hs_crypto_keyring_wipe(&alone);
}

/* Changing the version or the key id of a value: it never opens, under any key. */
static void test_keyring_header_tamper(void **state)
{
	static const char pw[] = "router-api-password";
	hs_crypto_keyring kr, both;
	unsigned char *sealed, *copy, *out;
	unsigned char idb[HS_CRYPTO_KEY_ID_LEN];
	size_t slen, olen;
	bool current;

	(void)state;
	assert_int_equal(hs_crypto_keyring_init(&kr, KEY_A, NULL), 0);
	assert_int_equal(hs_crypto_keyring_init(&both, KEY_B, KEY_A), 0);
	assert_int_equal(hs_crypto_keyring_seal(&kr, ROUTER1, (const unsigned char *)pw, strlen(pw),
						&sealed, &slen),
			 0);
	copy = malloc(slen);
	assert_non_null(copy);
	/* The key id swapped for another configured key's: that key does not open it. */
	memcpy(copy, sealed, slen);
	memcpy(idb, both.ids[0], sizeof idb);
	memcpy(copy + 1, idb, sizeof idb);
	assert_int_equal(
		hs_crypto_keyring_open(&both, ROUTER1, copy, slen, &out, &olen, &current, NULL),
		HS_CRYPTO_EINVAL);
	assert_null(out);
	/* Nor does the right key, the id no longer being the one it sealed. */
	assert_int_equal(hs_crypto_open(&both.keys[1], ROUTER1, copy, slen, &out, &olen), -1);
	/* A key id of no configured key. */
	copy[1] ^= 0x80;
	assert_int_equal(
		hs_crypto_keyring_open(&both, ROUTER1, copy, slen, &out, &olen, &current, NULL),
		HS_CRYPTO_EUNKNOWN);
	/* Version 2 relabelled as 1 (or as an unknown version): refused by every key. */
	memcpy(copy, sealed, slen);
	copy[0] = HS_CRYPTO_VERSION_V1;
	assert_int_equal(
		hs_crypto_keyring_open(&both, ROUTER1, copy, slen, &out, &olen, &current, NULL),
		HS_CRYPTO_EINVAL);
	copy[0] = 3;
	assert_int_equal(
		hs_crypto_keyring_open(&both, ROUTER1, copy, slen, &out, &olen, &current, NULL),
		HS_CRYPTO_EINVAL);
	assert_null(out);
	/* Too short to hold a key id. */
	assert_int_equal(hs_crypto_keyring_open(&both, ROUTER1, sealed, HS_CRYPTO_KEY_ID_LEN, &out,
						&olen, &current, NULL),
			 HS_CRYPTO_EINVAL);
	/* Untouched, it opens with the previous key. */
	assert_int_equal(
		hs_crypto_keyring_open(&both, ROUTER1, sealed, slen, &out, &olen, &current, NULL),
		HS_CRYPTO_OK);
	assert_false(current);
	hs_crypto_free(out, olen);
	free(copy);
	free(sealed);
	hs_crypto_keyring_wipe(&kr);
	hs_crypto_keyring_wipe(&both);
}

/* Version 1 values still open: with the current key, or a previous one; never "current". */
static void test_v1_compat(void **state)
{
	static const char pw[] = "an older password";
	hs_crypto_key ka = key_of(KEY_A);
	hs_crypto_keyring cur, prev, other;
	unsigned char v1[64], *out;
	size_t len, olen;
	bool current = true;

	(void)state;
	len = seal_v1(&ka, ROUTER1, pw, v1);
	assert_int_equal(hs_crypto_open(&ka, ROUTER1, v1, len, &out, &olen), 0);
	assert_string_equal((const char *)out, pw);
	hs_crypto_free(out, olen);
	assert_int_equal(hs_crypto_keyring_init(&cur, KEY_A, KEY_B), 0);
	assert_int_equal(hs_crypto_keyring_init(&prev, KEY_B, KEY_A), 0);
	assert_int_equal(hs_crypto_keyring_init(&other, KEY_B, NULL), 0);
	assert_int_equal(
		hs_crypto_keyring_open(&cur, ROUTER1, v1, len, &out, &olen, &current, NULL),
		HS_CRYPTO_OK);
	assert_false(current); /* version 1 is re-sealed even under the current key */
	hs_crypto_free(out, olen);
	assert_int_equal(
		hs_crypto_keyring_open(&prev, ROUTER1, v1, len, &out, &olen, &current, NULL),
		HS_CRYPTO_OK);
	assert_string_equal((const char *)out, pw);
	hs_crypto_free(out, olen);
	/* No key fits: version 1 names none, so this is not EUNKNOWN. */
	assert_int_equal(
		hs_crypto_keyring_open(&other, ROUTER1, v1, len, &out, &olen, &current, NULL),
		HS_CRYPTO_EINVAL);
	assert_int_equal(
		hs_crypto_keyring_open(&cur, ROUTER2, v1, len, &out, &olen, &current, NULL),
		HS_CRYPTO_EINVAL);
	/* A changed byte of a version 1 value. */
	v1[len - 1] ^= 1;
	assert_int_equal(
		hs_crypto_keyring_open(&cur, ROUTER1, v1, len, &out, &olen, &current, NULL),
		HS_CRYPTO_EINVAL);
	assert_null(out);
	hs_crypto_key_wipe(&ka);
	hs_crypto_keyring_wipe(&cur);
	hs_crypto_keyring_wipe(&prev);
	hs_crypto_keyring_wipe(&other);
}

/* RFC 7914, section 12: the scrypt test vectors that fit a unit test. */
static void test_scrypt_vectors(void **state)
{
	static const unsigned char v1[64] = {
		0x77, 0xd6, 0x57, 0x62, 0x38, 0x65, 0x7b, 0x20, 0x3b, 0x19, 0xca, 0x42, 0xc1,
		0x8a, 0x04, 0x97, 0xf1, 0x6b, 0x48, 0x44, 0xe3, 0x07, 0x4a, 0xe8, 0xdf, 0xdf,
		0xfa, 0x3f, 0xed, 0xe2, 0x14, 0x42, 0xfc, 0xd0, 0x06, 0x9d, 0xed, 0x09, 0x48,
		0xf8, 0x32, 0x6a, 0x75, 0x3a, 0x0f, 0xc8, 0x1f, 0x17, 0xe8, 0xd3, 0xe0, 0xfb,
		0x2e, 0x0d, 0x36, 0x28, 0xcf, 0x35, 0xe2, 0x0c, 0x38, 0xd1, 0x89, 0x06};
	static const unsigned char v2[64] = {
		0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00, 0x78, 0x56, 0xe7, 0x19, 0x0d,
		0x01, 0xe9, 0xfe, 0x7c, 0x6a, 0xd7, 0xcb, 0xc8, 0x23, 0x78, 0x30, 0xe7, 0x73,
		0x76, 0x63, 0x4b, 0x37, 0x31, 0x62, 0x2e, 0xaf, 0x30, 0xd9, 0x2e, 0x22, 0xa3,
		0x88, 0x6f, 0xf1, 0x09, 0x27, 0x9d, 0x98, 0x30, 0xda, 0xc7, 0x27, 0xaf, 0xb9,
		0x4a, 0x83, 0xee, 0x6d, 0x83, 0x60, 0xcb, 0xdf, 0xa2, 0xcc, 0x06, 0x40};
	unsigned char out[64];

	(void)state;
	assert_int_equal(
		hs_crypto_scrypt("", 0, (const unsigned char *)"", 0, 4, 1, 1, out, sizeof out), 0);
	assert_memory_equal(out, v1, sizeof v1);
	assert_int_equal(hs_crypto_scrypt("password", 8, (const unsigned char *)"NaCl", 4, 10, 8,
					  16, out, sizeof out),
			 0);
	assert_memory_equal(out, v2, sizeof v2);
}

/* Costs out of range are refused before any work, with out zeroed. */
static void test_scrypt_bounds(void **state)
{
	static const struct {
		int ln, r, p;
	} rows[] = {{0, 8, 1},  {21, 8, 1},  {15, 0, 1},  {15, 33, 1},
		    {15, 8, 0}, {15, 8, 17}, {20, 16, 1}, {-1, 8, 1}};
	static const unsigned char zero[32];
	unsigned char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		memset(out, 0xAA, sizeof out);
		assert_int_equal(hs_crypto_scrypt("pw", 2, (const unsigned char *)"salt", 4,
						  rows[i].ln, rows[i].r, rows[i].p, out,
						  sizeof out),
				 -1);
		assert_memory_equal(out, zero, sizeof zero);
	}
	assert_int_equal(
		hs_crypto_scrypt(NULL, 2, (const unsigned char *)"s", 1, 4, 1, 1, out, sizeof out),
		-1);
}

/* A hash verifies its password and no other; two hashes of one password differ. */
static void test_pw_round_trip(void **state)
{
	char h1[HS_CRYPTO_PW_HASH_LEN], h2[HS_CRYPTO_PW_HASH_LEN];
	const char *pw = "correct horse battery staple";

	(void)state;
	assert_int_equal(hs_crypto_pw_hash(pw, strlen(pw), 10, 8, 1, h1, sizeof h1), 0);
	assert_int_equal(hs_crypto_pw_hash(pw, strlen(pw), 10, 8, 1, h2, sizeof h2), 0);
	assert_int_equal(strncmp(h1, "$scrypt$ln=10,r=8,p=1$", 22), 0);
	/* 22 characters of salt, '$', 43 of hash. */
	assert_int_equal(strlen(h1), 22 + 22 + 1 + 43);
	assert_string_not_equal(h1, h2);
	assert_int_equal(hs_crypto_pw_verify(pw, strlen(pw), h1), 1);
	assert_int_equal(hs_crypto_pw_verify(pw, strlen(pw), h2), 1);
	assert_int_equal(hs_crypto_pw_verify("correct horse battery stapl", 27, h1), 0);
	assert_int_equal(hs_crypto_pw_verify("Correct horse battery staple", 28, h1), 0);
	assert_int_equal(hs_crypto_pw_verify("", 0, h1), 0);
}

/* A hash made elsewhere (Python's hashlib.scrypt) verifies here. */
static void test_pw_known_hash(void **state)
{
	/* hashlib.scrypt(b"hotspot", salt=bytes(range(16)), n=1024, r=8, p=1, dklen=32) */
	static const char known[] = "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$" KNOWN_DK;

	(void)state;
	assert_int_equal(hs_crypto_pw_verify("hotspot", 7, known), 1);
	assert_int_equal(hs_crypto_pw_verify("hotspoT", 7, known), 0);
}

/* Stored values that are not usable hashes never match (and do not crash). */
static void test_pw_unusable(void **state)
{
	char good[HS_CRYPTO_PW_HASH_LEN], bad[HS_CRYPTO_PW_HASH_LEN + 8];
	static const char *const rows[] = {
		"!",
		"",
		"$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"$scrypt$ln=15,r=8,p=1$",
		"$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$",
		"$scrypt$ln=99,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$" KNOWN_DK,
		"$scrypt$ln=010,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$" KNOWN_DK,
		"$scrypt$ln=10,r=8$AAECAwQFBgcICQoLDA0ODw$" KNOWN_DK,
		"$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0O$" KNOWN_DK,
		"$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$" KNOWN_DK "$",
		"$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0OD*$" KNOWN_DK,
		"$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$" KNOWN_DK "A",
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(hs_crypto_pw_verify("hotspot", 7, rows[i]), 0);
	assert_int_equal(hs_crypto_pw_verify("hotspot", 7, NULL), 0);
	assert_int_equal(hs_crypto_pw_verify(NULL, 0, NULL), 0);
	/* Refusals of the hasher: empty, too long, too small a buffer. */
	assert_int_equal(hs_crypto_pw_hash("", 0, 10, 8, 1, good, sizeof good), -1);
	assert_int_equal(hs_crypto_pw_hash("x", HS_CRYPTO_PW_MAX + 1, 10, 8, 1, good, sizeof good),
			 -1);
	assert_int_equal(hs_crypto_pw_hash("x", 1, 10, 8, 1, good, 64), -1);
	assert_string_equal(good, "");
	assert_int_equal(hs_crypto_pw_hash("x", 1, 99, 8, 1, bad, sizeof bad), -1);
}

/* Random tokens: the length asked for, the base64url alphabet, all different. */
static void test_random_b64url(void **state)
{
	char a[64], b[64];

	(void)state;
	assert_int_equal(hs_crypto_random_b64url(32, a, sizeof a), 0);
	assert_int_equal(hs_crypto_random_b64url(32, b, sizeof b), 0);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789-_"),
			 43);
	assert_string_not_equal(a, b);
	assert_int_equal(hs_crypto_random_b64url(32, a, 45), 0);
	assert_int_equal(hs_crypto_random_b64url(32, a, 44), -1);
	assert_string_equal(a, "");
	assert_int_equal(hs_crypto_random_b64url(0, a, sizeof a), -1);
	assert_int_equal(hs_crypto_random_b64url(65, a, sizeof a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_generate),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_seal_bad_input),
		cmocka_unit_test(test_scrypt_vectors),
		cmocka_unit_test(test_scrypt_bounds),
		cmocka_unit_test(test_pw_round_trip),
		cmocka_unit_test(test_pw_known_hash),
		cmocka_unit_test(test_pw_unusable),
		cmocka_unit_test(test_random_b64url),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_keyring_init),
		cmocka_unit_test(test_keyring_round_trip),
		cmocka_unit_test(test_keyring_previous_and_unknown),
		cmocka_unit_test(test_keyring_header_tamper),
		cmocka_unit_test(test_v1_compat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
