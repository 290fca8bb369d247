/*
 * Secrets at rest: AES-256-GCM (OpenSSL EVP) under the application key
 * (setting APP_KEY, base64 of 32 bytes).  A sealed value is
 *
 *   version (1 byte, HS_CRYPTO_VERSION) || nonce (12 bytes, random)
 *   || ciphertext (as long as the plaintext) || tag (16 bytes)
 *
 * with associated data chosen by the caller (for a router's API password:
 * the router's id), so a value moved to another row no longer opens.
 * Nothing here logs; failures are reported by return value only, and every
 * buffer that held a key or a plaintext is wiped before it is freed.
 */
#ifndef HS_COMMON_CRYPTO_H
#define HS_COMMON_CRYPTO_H

#include <stddef.h>

#define HS_CRYPTO_VERSION   1
#define HS_CRYPTO_KEY_LEN   32
#define HS_CRYPTO_NONCE_LEN 12
#define HS_CRYPTO_TAG_LEN   16
/* Bytes a sealed value adds to its plaintext. */
#define HS_CRYPTO_OVERHEAD (1 + HS_CRYPTO_NONCE_LEN + HS_CRYPTO_TAG_LEN)
/* Length of the base64 text of a key, without its NUL. */
#define HS_CRYPTO_KEY_B64_LEN 44
/* Longest plaintext sealed or opened (a password, not a file). */
#define HS_CRYPTO_PLAIN_MAX 4096

typedef struct {
	unsigned char k[HS_CRYPTO_KEY_LEN];
} hs_crypto_key;

/*
 * Whether text has the shape of a key: 44 base64 characters, the last one
 * a single '='.  Does not decode; hs_crypto_key_parse does.
 */
int hs_crypto_key_text_ok(const char *text);

/*
 * Decodes a key from its base64 text.  0 with key filled, or -1 (text NULL,
 * not base64, or not 32 bytes) with key zeroed.  The caller wipes key with
 * hs_crypto_key_wipe when done.
 */
int hs_crypto_key_parse(const char *text, hs_crypto_key *key) __attribute__((warn_unused_result));

/*
 * Writes the base64 text of a new random key into out (NUL-terminated).
 * 0, or -1 when the system's random generator fails (out then "").
 */
int hs_crypto_key_generate(char out[HS_CRYPTO_KEY_B64_LEN + 1]) __attribute__((warn_unused_result));

/* Zeroes key so that no copy of it outlives its use. */
void hs_crypto_key_wipe(hs_crypto_key *key);

/*
 * Seals plain (len bytes, at most HS_CRYPTO_PLAIN_MAX) under key with the
 * NUL-terminated associated data ad.  0 with *out (len +
 * HS_CRYPTO_OVERHEAD bytes, caller frees) and *outlen set; -1 on a bad
 * argument, out of memory or an OpenSSL failure, *out then NULL.
 */
int hs_crypto_seal(const hs_crypto_key *key, const char *ad, const unsigned char *plain, size_t len,
		   unsigned char **out, size_t *outlen) __attribute__((warn_unused_result));

/*
 * Opens what hs_crypto_seal made with the same key and ad.  0 with *out
 * (the plaintext plus a NUL byte not counted in *outlen; caller releases
 * it with hs_crypto_free) ; -1 when the value is too short, of another
 * version, tampered with, or sealed under another key or ad, *out then NULL
 * and nothing of the plaintext left in memory.
 */
int hs_crypto_open(const hs_crypto_key *key, const char *ad, const unsigned char *sealed,
		   size_t len, unsigned char **out, size_t *outlen)
	__attribute__((warn_unused_result));

/* Wipes len bytes (plus the NUL hs_crypto_open adds) of p and frees it.  NULL is a no-op. */
void hs_crypto_free(unsigned char *p, size_t len);

/*
 * SHA-256 of len bytes at data, as 64 lowercase hex digits and a NUL in
 * out.  0, or -1 (OpenSSL failed; out is then the empty string).
 */
int hs_crypto_sha256_hex(const void *data, size_t len, char out[65]);

#endif
