/*
 * Secrets at rest: AES-256-GCM (OpenSSL EVP) under the application key
 * (setting APP_KEY or APP_KEY_FILE, base64 of 32 bytes).  A sealed value is
 *
 *   version (1 byte, HS_CRYPTO_VERSION = 2) || key id (4 bytes)
 *   || nonce (12 bytes, random) || ciphertext (as long as the plaintext)
 *   || tag (16 bytes)
 *
 * where the key id is the first 4 bytes of the SHA-256 of the raw key, so
 * that a value names the key that opens it without any registry of keys.
 * The associated data is version || key id followed by what the caller
 * chooses (for a router's API password: the router's id): a value moved to
 * another row, or given another version or key id, no longer opens.
 *
 * Version 1 values (version || nonce || ciphertext || tag, the caller's
 * associated data alone) are still opened, never written: a key ring
 * (APP_KEY and the APP_KEY_PREVIOUS keys) tries each of its keys on them.
 * Nothing here logs; failures are reported by return value only, and every
 * buffer that held a key or a plaintext is wiped before it is freed.
 */
#ifndef HS_COMMON_CRYPTO_H
#define HS_COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define HS_CRYPTO_VERSION    2
#define HS_CRYPTO_VERSION_V1 1
#define HS_CRYPTO_KEY_LEN    32
#define HS_CRYPTO_KEY_ID_LEN 4
#define HS_CRYPTO_NONCE_LEN  12
#define HS_CRYPTO_TAG_LEN    16
/* Bytes a sealed value adds to its plaintext. */
#define HS_CRYPTO_OVERHEAD (1 + HS_CRYPTO_KEY_ID_LEN + HS_CRYPTO_NONCE_LEN + HS_CRYPTO_TAG_LEN)
/* The same for a version 1 value (no key id). */
#define HS_CRYPTO_OVERHEAD_V1 (1 + HS_CRYPTO_NONCE_LEN + HS_CRYPTO_TAG_LEN)
/* Most keys a key ring holds: the current one and the previous ones. */
#define HS_CRYPTO_KEYRING_MAX 8
/* Length of the base64 text of a key, without its NUL. */
#define HS_CRYPTO_KEY_B64_LEN 44
/* Longest plaintext sealed or opened (a password, not a file). */
#define HS_CRYPTO_PLAIN_MAX 4096

typedef struct {
	unsigned char k[HS_CRYPTO_KEY_LEN];
} hs_crypto_key;

/* Why a sealed value did not open (hs_crypto_open, hs_crypto_keyring_open). */
typedef enum {
	HS_CRYPTO_OK = 0,
	HS_CRYPTO_EINVAL = -1,   /* malformed, tampered with, another ad, or no key fits */
	HS_CRYPTO_EUNKNOWN = -2, /* version 2 under a key id no configured key has */
} hs_crypto_result;

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
 * Writes the key id of key (the first HS_CRYPTO_KEY_ID_LEN bytes of the
 * SHA-256 of its raw bytes) into id.  0, or -1 (OpenSSL failed; id zeroed).
 */
int hs_crypto_key_id(const hs_crypto_key *key, unsigned char id[HS_CRYPTO_KEY_ID_LEN])
	__attribute__((warn_unused_result));

/*
 * Seals plain (len bytes, at most HS_CRYPTO_PLAIN_MAX) under key with the
 * NUL-terminated associated data ad, in version 2.  0 with *out (len +
 * HS_CRYPTO_OVERHEAD bytes, caller frees) and *outlen set; -1 on a bad
 * argument, out of memory or an OpenSSL failure, *out then NULL.
 */
int hs_crypto_seal(const hs_crypto_key *key, const char *ad, const unsigned char *plain, size_t len,
		   unsigned char **out, size_t *outlen) __attribute__((warn_unused_result));

/*
 * Opens what hs_crypto_seal made (version 2, or a version 1 value) with the
 * same key and ad.  0 with *out (the plaintext plus a NUL byte not counted
 * in *outlen; caller releases it with hs_crypto_free) ; -1 when the value
 * is too short, of an unknown version, tampered with, or sealed under
 * another key or ad, *out then NULL and nothing of the plaintext left in
 * memory.
 */
int hs_crypto_open(const hs_crypto_key *key, const char *ad, const unsigned char *sealed,
		   size_t len, unsigned char **out, size_t *outlen)
	__attribute__((warn_unused_result));

/* Wipes len bytes (plus the NUL hs_crypto_open adds) of p and frees it.  NULL is a no-op. */
void hs_crypto_free(unsigned char *p, size_t len);

/* ---- key rings: the current key and the previous ones ---------------------- */

/*
 * The keys a program seals and opens with: keys[0] is the current key
 * (APP_KEY), which seals; keys[1..n-1] the previous ones (APP_KEY_PREVIOUS),
 * which only open.  ids[i] is the key id of keys[i].  Wipe it with
 * hs_crypto_keyring_wipe.
 */
typedef struct {
	hs_crypto_key keys[HS_CRYPTO_KEYRING_MAX];
	unsigned char ids[HS_CRYPTO_KEYRING_MAX][HS_CRYPTO_KEY_ID_LEN];
	size_t n;
} hs_crypto_keyring;

/*
 * Fills kr from the base64 text of the current key and previous, a
 * comma-separated list of key texts (blanks around items allowed; NULL or
 * "" for none).  0 with kr filled; -1 when current is not a key (NULL or
 * "" included), an item of previous is not one, or there are more than
 * HS_CRYPTO_KEYRING_MAX keys in all; kr is then empty (n = 0, wiped).
 */
int hs_crypto_keyring_init(hs_crypto_keyring *kr, const char *current, const char *previous)
	__attribute__((warn_unused_result));

struct hs_config;

/*
 * hs_crypto_keyring_init from the configuration: APP_KEY (or the key of
 * APP_KEY_FILE, which common/config.c reads into it) and APP_KEY_PREVIOUS.
 * 0, or -1 when APP_KEY is not set or a key does not parse (kr empty).
 * Every part of the program that seals or opens a router's password goes
 * through this, so that all of them use the same keys.
 */
int hs_crypto_keyring_load(hs_crypto_keyring *kr, const struct hs_config *cfg)
	__attribute__((warn_unused_result));

/* Zeroes every key of kr and its count. */
void hs_crypto_keyring_wipe(hs_crypto_keyring *kr);

/* hs_crypto_seal with the current key of kr (-1 as well when kr is empty). */
int hs_crypto_keyring_seal(const hs_crypto_keyring *kr, const char *ad, const unsigned char *plain,
			   size_t len, unsigned char **out, size_t *outlen)
	__attribute__((warn_unused_result));

/*
 * Opens sealed (len bytes) with ad using the key of kr that fits: for
 * version 2 the key whose id the value names, for version 1 the current key
 * and then each previous one.  HS_CRYPTO_OK with *out and *outlen as
 * hs_crypto_open sets them, and *current (when not NULL) true when the value
 * is version 2 under the current key, i.e. needs no re-sealing;
 * HS_CRYPTO_EUNKNOWN when no key of kr has the value's key id (the id, as 8
 * hex digits and a NUL, is then written to unknown_id when not NULL);
 * HS_CRYPTO_EINVAL for anything else that does not open.  On failure *out
 * is NULL and *current false.
 */
hs_crypto_result hs_crypto_keyring_open(const hs_crypto_keyring *kr, const char *ad,
					const unsigned char *sealed, size_t len,
					unsigned char **out, size_t *outlen, bool *current,
					char unknown_id[9]) __attribute__((warn_unused_result));

/*
 * SHA-256 of len bytes at data, as 64 lowercase hex digits and a NUL in
 * out.  0, or -1 (OpenSSL failed; out is then the empty string).
 */
int hs_crypto_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- passwords: scrypt (RFC 7914) through OpenSSL 3's EVP_KDF ------------ */

/*
 * A stored password hash is
 *
 *   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>
 *
 * with salt (16 bytes) and hash (32 bytes) in base64 without padding
 * (standard alphabet), so the cost travels with the hash and can be raised
 * later without breaking older hashes.  ln=15, r=8, p=1 costs 32 MiB and
 * some tens of milliseconds per check.
 */
#define HS_CRYPTO_PW_LN     15
#define HS_CRYPTO_PW_R      8
#define HS_CRYPTO_PW_P      1
#define HS_CRYPTO_PW_SALT   16
#define HS_CRYPTO_PW_DK     32
#define HS_CRYPTO_PW_MAXMEM (1024UL * 1024 * 1024) /* bytes scrypt may use, at most */
#define HS_CRYPTO_PW_MAX    4096                   /* longest password hashed, in bytes */
/* Room for any hash this module writes, with its NUL. */
#define HS_CRYPTO_PW_HASH_LEN 128

/*
 * Raw scrypt: derives outlen bytes from pw (len bytes; may be empty) and
 * salt with N = 2^ln, r and p.  0, or -1 when a parameter is out of range
 * (ln 1..20, r 1..32, p 1..16, 128 * r * N at most HS_CRYPTO_PW_MAXMEM) or
 * OpenSSL fails; out is then zeroed.
 */
int hs_crypto_scrypt(const void *pw, size_t len, const unsigned char *salt, size_t saltlen, int ln,
		     int r, int p, unsigned char *out, size_t outlen)
	__attribute__((warn_unused_result));

/*
 * Hashes pw (len bytes, 1..HS_CRYPTO_PW_MAX) with a new random salt and the
 * cost ln, r, p into out (outlen bytes, at least HS_CRYPTO_PW_HASH_LEN) in
 * the stored form above.  0, or -1 (bad argument, no random bytes, KDF
 * failure) with out "".
 */
int hs_crypto_pw_hash(const char *pw, size_t len, int ln, int r, int p, char *out, size_t outlen)
	__attribute__((warn_unused_result));

/*
 * Checks pw against stored.  1 when it matches (compared in constant
 * time); 0 when it does not, and also when stored is not a usable scrypt
 * hash ("!" disables password login, NULL stands for an unknown account):
 * those cases still run the KDF at the default cost, so that an answer
 * takes about as long whatever the account.  -1 when the KDF itself fails.
 */
int hs_crypto_pw_verify(const char *pw, size_t len, const char *stored)
	__attribute__((warn_unused_result));

/*
 * Writes nbytes (1..64) of the system's CSPRNG as base64url without
 * padding, NUL-terminated, into out (outlen bytes, at least
 * 4 * ceil(nbytes / 3) + 1).  0, or -1 with out "" (too small a buffer, or
 * no random bytes).
 */
int hs_crypto_random_b64url(size_t nbytes, char *out, size_t outlen)
	__attribute__((warn_unused_result));

#endif
