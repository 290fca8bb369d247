#include "common/crypto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common/config.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hs_crypto_key_text_ok(const char *text)
{
	return text && strlen(text) == HS_CRYPTO_KEY_B64_LEN &&
	       strspn(text, b64_alphabet) == HS_CRYPTO_KEY_B64_LEN - 1 &&
	       text[HS_CRYPTO_KEY_B64_LEN - 1] == '=';
}

int hs_crypto_key_parse(const char *text, hs_crypto_key *key)
{
	/* EVP_DecodeBlock counts the padding: 33 bytes for 44 characters. */
	unsigned char buf[HS_CRYPTO_KEY_LEN + 3];
	int rc = -1;

	memset(key, 0, sizeof *key);
	if (!hs_crypto_key_text_ok(text))
		goto out;
	if (EVP_DecodeBlock(buf, (const unsigned char *)text, HS_CRYPTO_KEY_B64_LEN) !=
	    HS_CRYPTO_KEY_LEN + 1)
		goto out;
	memcpy(key->k, buf, HS_CRYPTO_KEY_LEN);
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

int hs_crypto_key_generate(char out[HS_CRYPTO_KEY_B64_LEN + 1])
{
	unsigned char raw[HS_CRYPTO_KEY_LEN];
	int rc = -1;

	out[0] = '\0';
	if (RAND_bytes(raw, sizeof raw) != 1)
		goto out;
	if (EVP_EncodeBlock((unsigned char *)out, raw, sizeof raw) != HS_CRYPTO_KEY_B64_LEN) {
		out[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

void hs_crypto_key_wipe(hs_crypto_key *key)
{
	if (key)
		OPENSSL_cleanse(key->k, sizeof key->k);
}

void hs_crypto_free(unsigned char *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len + 1);
	free(p);
}

/*
 * Runs AES-256-GCM over in (len bytes) into out, with hdr (hdrlen bytes:
 * the value's version and key id, or nothing for version 1) then ad as
 * associated data: encrypting, the tag is written to tag; decrypting, it is
 * checked.  0, or -1 on any failure (a tag that does not check included).
 */
static int gcm_run(int encrypt, const hs_crypto_key *key, const unsigned char *nonce,
		   const unsigned char *hdr, size_t hdrlen, const char *ad, const unsigned char *in,
		   size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, rc = -1;

	if (!ctx || len > INT_MAX || strlen(ad) > INT_MAX || hdrlen > INT_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, HS_CRYPTO_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key->k, nonce, encrypt) != 1)
		goto out;
	if (hdrlen && EVP_CipherUpdate(ctx, NULL, &n, hdr, (int)hdrlen) != 1)
		goto out;
	if (EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)ad, (int)strlen(ad)) != 1)
		goto out;
	if (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, HS_CRYPTO_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1)
		goto out;
	if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, HS_CRYPTO_TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int hs_crypto_key_id(const hs_crypto_key *key, unsigned char id[HS_CRYPTO_KEY_ID_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = -1;

	memset(id, 0, HS_CRYPTO_KEY_ID_LEN);
	if (key && EVP_Digest(key->k, sizeof key->k, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    mdlen == 32) {
		memcpy(id, md, HS_CRYPTO_KEY_ID_LEN);
		rc = 0;
	}
	OPENSSL_cleanse(md, sizeof md);
	return rc;
}

/* The sealing itself, with the key's id already known. */
static int seal_with(const hs_crypto_key *key, const unsigned char id[HS_CRYPTO_KEY_ID_LEN],
		     const char *ad, const unsigned char *plain, size_t len, unsigned char **out,
		     size_t *outlen)
{
	unsigned char *buf = NULL, *nonce, *ct;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (!ad || (!plain && len) || len > HS_CRYPTO_PLAIN_MAX)
		goto out;
	/* One spare byte: GCM's final step writes nothing, but at out + len. */
	buf = malloc(len + HS_CRYPTO_OVERHEAD + 1);
	if (!buf)
		goto out;
	buf[0] = HS_CRYPTO_VERSION;
	memcpy(buf + 1, id, HS_CRYPTO_KEY_ID_LEN);
	nonce = buf + 1 + HS_CRYPTO_KEY_ID_LEN;
	ct = nonce + HS_CRYPTO_NONCE_LEN;
	if (RAND_bytes(nonce, HS_CRYPTO_NONCE_LEN) != 1 ||
	    gcm_run(1, key, nonce, buf, 1 + HS_CRYPTO_KEY_ID_LEN, ad, plain, len, ct, ct + len) !=
		    0)
		goto out;
	*out = buf;
	*outlen = len + HS_CRYPTO_OVERHEAD;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

int hs_crypto_seal(const hs_crypto_key *key, const char *ad, const unsigned char *plain, size_t len,
		   unsigned char **out, size_t *outlen)
{
	unsigned char id[HS_CRYPTO_KEY_ID_LEN];

	*out = NULL;
	*outlen = 0;
	if (!key || hs_crypto_key_id(key, id) != 0)
		return -1;
	return seal_with(key, id, ad, plain, len, out, outlen);
}

int hs_crypto_open(const hs_crypto_key *key, const char *ad, const unsigned char *sealed,
		   size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *plain = NULL, tag[HS_CRYPTO_TAG_LEN];
	size_t n = 0, hdrlen;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (!key || !ad || !sealed || len < 1)
		return -1;
	/* What precedes the nonce: covered by the tag in version 2 only. */
	if (sealed[0] == HS_CRYPTO_VERSION)
		hdrlen = 1 + HS_CRYPTO_KEY_ID_LEN;
	else if (sealed[0] == HS_CRYPTO_VERSION_V1)
		hdrlen = 1;
	else
		return -1;
	if (len < hdrlen + HS_CRYPTO_NONCE_LEN + HS_CRYPTO_TAG_LEN)
		return -1;
	n = len - hdrlen - HS_CRYPTO_NONCE_LEN - HS_CRYPTO_TAG_LEN;
	if (n > HS_CRYPTO_PLAIN_MAX)
		return -1;
	plain = calloc(1, n + 1);
	if (!plain)
		return -1;
	memcpy(tag, sealed + len - HS_CRYPTO_TAG_LEN, sizeof tag);
	if (gcm_run(0, key, sealed + hdrlen, sealed, hdrlen > 1 ? hdrlen : 0, ad,
		    sealed + hdrlen + HS_CRYPTO_NONCE_LEN, n, plain, tag) != 0)
		goto out;
	plain[n] = '\0';
	*out = plain;
	*outlen = n;
	plain = NULL;
	rc = 0;
out:
	hs_crypto_free(plain, n);
	return rc;
}

/* ---- key rings -------------------------------------------------------------- */

void hs_crypto_keyring_wipe(hs_crypto_keyring *kr)
{
	if (kr)
		OPENSSL_cleanse(kr, sizeof *kr);
}

/* Parses one key text into the next slot of kr; 0, or -1 (bad text, ring full). */
static int keyring_add(hs_crypto_keyring *kr, const char *text)
{
	if (kr->n >= HS_CRYPTO_KEYRING_MAX || hs_crypto_key_parse(text, &kr->keys[kr->n]) != 0 ||
	    hs_crypto_key_id(&kr->keys[kr->n], kr->ids[kr->n]) != 0)
		return -1;
	kr->n++;
	return 0;
}

int hs_crypto_keyring_init(hs_crypto_keyring *kr, const char *current, const char *previous)
{
	char item[HS_CRYPTO_KEY_B64_LEN + 2];
	const char *p = previous;
	int rc = -1;

	memset(kr, 0, sizeof *kr);
	if (keyring_add(kr, current) != 0)
		goto out;
	while (p && *(p += strspn(p, " \t"))) {
		size_t len = strcspn(p, ", \t");

		/* Longer than a key: refused by the parse of a cut copy. */
		memcpy(item, p, len < sizeof item ? len : sizeof item - 1);
		item[len < sizeof item ? len : sizeof item - 1] = '\0';
		if (keyring_add(kr, item) != 0)
			goto out;
		p += len;
		p += strspn(p, " \t");
		if (*p && *p != ',')
			goto out; /* two keys without a comma between them */
		/* After a comma another key must follow. */
		if (*p == ',' && !*(p + 1 + strspn(p + 1, " \t")))
			goto out;
		if (*p == ',')
			p++;
	}
	rc = 0;
out:
	OPENSSL_cleanse(item, sizeof item);
	if (rc != 0)
		hs_crypto_keyring_wipe(kr);
	return rc;
}

int hs_crypto_keyring_load(hs_crypto_keyring *kr, const hs_config *cfg)
{
	return hs_crypto_keyring_init(kr, cfg->app_key, cfg->app_key_previous);
}

int hs_crypto_keyring_seal(const hs_crypto_keyring *kr, const char *ad, const unsigned char *plain,
			   size_t len, unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (!kr || kr->n == 0)
		return -1;
	return seal_with(&kr->keys[0], kr->ids[0], ad, plain, len, out, outlen);
}

hs_crypto_result hs_crypto_keyring_open(const hs_crypto_keyring *kr, const char *ad,
					const unsigned char *sealed, size_t len,
					unsigned char **out, size_t *outlen, bool *current,
					char unknown_id[9])
{
	bool named = false;

	*out = NULL;
	*outlen = 0;
	if (current)
		*current = false;
	if (unknown_id)
		unknown_id[0] = '\0';
	if (!kr || !sealed || len < 1 + HS_CRYPTO_KEY_ID_LEN)
		return HS_CRYPTO_EINVAL;
	for (size_t i = 0; i < kr->n; i++) {
		/* Version 1 names no key: each is tried, the current one first. */
		if (sealed[0] == HS_CRYPTO_VERSION) {
			if (memcmp(sealed + 1, kr->ids[i], HS_CRYPTO_KEY_ID_LEN) != 0)
				continue;
			named = true;
		}
		if (hs_crypto_open(&kr->keys[i], ad, sealed, len, out, outlen) == 0) {
			if (current)
				*current = i == 0 && sealed[0] == HS_CRYPTO_VERSION;
			return HS_CRYPTO_OK;
		}
	}
	if (sealed[0] != HS_CRYPTO_VERSION || named)
		return HS_CRYPTO_EINVAL;
	if (unknown_id)
		snprintf(unknown_id, 9, "%02x%02x%02x%02x", sealed[1], sealed[2], sealed[3],
			 sealed[4]);
	return HS_CRYPTO_EUNKNOWN;
}

int hs_crypto_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0x0f];
	}
	out[64] = '\0';
	return 0;
}

/* ---- passwords ------------------------------------------------------------- */

/* Whether the scrypt cost is within what this program agrees to spend. */
static bool scrypt_cost_ok(int ln, int r, int p)
{
	if (ln < 1 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16)
		return false;
	return 128ULL * (unsigned long long)r * (1ULL << ln) <= HS_CRYPTO_PW_MAXMEM;
}

int hs_crypto_scrypt(const void *pw, size_t len, const unsigned char *salt, size_t saltlen, int ln,
		     int r, int p, unsigned char *out, size_t outlen)
{
	static const char empty[1] = "";
	uint64_t n = 1ULL << (ln > 0 && ln < 64 ? ln : 1), maxmem = HS_CRYPTO_PW_MAXMEM;
	uint32_t rr = (uint32_t)r, pp = (uint32_t)p;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[7];
	int rc = -1;

	if (!out || outlen == 0)
		return -1;
	memset(out, 0, outlen);
	if (!scrypt_cost_ok(ln, r, p) || (!pw && len) || (!salt && saltlen))
		return -1;
	kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!ctx)
		goto out;
	/* OpenSSL wants a pointer even for an empty octet string. */
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
						      (void *)(len ? pw : empty), len);
	params[1] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_SALT, (void *)(saltlen ? (const void *)salt : empty), saltlen);
	params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr);
	params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp);
	params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	params[6] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		OPENSSL_cleanse(out, outlen);
		goto out;
	}
	rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* Base64 (standard alphabet) of len bytes without padding; out must hold 4 * ceil(len / 3) + 1. */
static void b64_nopad(const unsigned char *in, size_t len, char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
}

/*
 * Decodes exactly want bytes from the unpadded base64 text (textlen
 * characters) into out.  0, or -1 when the text is not that.
 */
static int b64_nopad_decode(const char *text, size_t textlen, unsigned char *out, size_t want)
{
	unsigned char buf[HS_CRYPTO_PW_HASH_LEN], dec[HS_CRYPTO_PW_HASH_LEN];
	size_t padded = (textlen + 3) / 4 * 4, pad = padded - textlen;
	int rc = -1, n;

	if (textlen == 0 || padded >= sizeof buf || pad > 2 || textlen != (want * 4 + 2) / 3 ||
	    strspn(text, b64_alphabet) < textlen)
		return -1;
	memcpy(buf, text, textlen);
	memset(buf + textlen, '=', pad);
	n = EVP_DecodeBlock(dec, buf, (int)padded);
	if (n >= 0 && (size_t)n - pad == want) {
		memcpy(out, dec, want);
		rc = 0;
	}
	OPENSSL_cleanse(dec, sizeof dec);
	return rc;
}

int hs_crypto_pw_hash(const char *pw, size_t len, int ln, int r, int p, char *out, size_t outlen)
{
	unsigned char salt[HS_CRYPTO_PW_SALT], dk[HS_CRYPTO_PW_DK];
	char salt64[(HS_CRYPTO_PW_SALT + 2) / 3 * 4 + 1], dk64[(HS_CRYPTO_PW_DK + 2) / 3 * 4 + 1];
	int rc = -1, n;

	if (out && outlen)
		out[0] = '\0';
	if (!pw || len == 0 || len > HS_CRYPTO_PW_MAX || !out || outlen < HS_CRYPTO_PW_HASH_LEN)
		return -1;
	if (RAND_bytes(salt, sizeof salt) != 1)
		goto out;
	if (hs_crypto_scrypt(pw, len, salt, sizeof salt, ln, r, p, dk, sizeof dk) != 0)
		goto out;
	b64_nopad(salt, sizeof salt, salt64);
	b64_nopad(dk, sizeof dk, dk64);
	n = snprintf(out, outlen, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", ln, r, p, salt64, dk64);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(dk, sizeof dk);
	OPENSSL_cleanse(dk64, sizeof dk64);
	return rc;
}

/* A stored hash taken apart. */
typedef struct {
	int ln, r, p;
	unsigned char salt[HS_CRYPTO_PW_SALT], dk[HS_CRYPTO_PW_DK];
} pw_stored;

/* Reads a decimal 1..99 at *s, moving *s past it; -1 when there is none. */
static int small_int(const char **s)
{
	int v = 0, digits = 0;

	while (**s >= '0' && **s <= '9' && digits < 3) {
		v = v * 10 + (**s - '0');
		(*s)++;
		digits++;
	}
	return digits == 0 || digits > 2 || (digits == 2 && v < 10) ? -1 : v;
}

/* Parses the stored form; 0, or -1 when stored is anything else. */
static int pw_parse(const char *stored, pw_stored *ps)
{
	const char *s = stored, *salt, *dk;

	if (!s || strncmp(s, "$scrypt$ln=", 11) != 0)
		return -1;
	s += 11;
	ps->ln = small_int(&s);
	if (strncmp(s, ",r=", 3) != 0)
		return -1;
	s += 3;
	ps->r = small_int(&s);
	if (strncmp(s, ",p=", 3) != 0)
		return -1;
	s += 3;
	ps->p = small_int(&s);
	if (*s != '$' || !scrypt_cost_ok(ps->ln, ps->r, ps->p))
		return -1;
	salt = s + 1;
	dk = strchr(salt, '$');
	if (!dk || strchr(dk + 1, '$'))
		return -1;
	if (b64_nopad_decode(salt, (size_t)(dk - salt), ps->salt, sizeof ps->salt) != 0 ||
	    b64_nopad_decode(dk + 1, strlen(dk + 1), ps->dk, sizeof ps->dk) != 0)
		return -1;
	return 0;
}

int hs_crypto_pw_verify(const char *pw, size_t len, const char *stored)
{
	static const unsigned char dummy_salt[HS_CRYPTO_PW_SALT] = "hotspot-no-user";
	unsigned char dk[HS_CRYPTO_PW_DK];
	pw_stored ps;
	bool usable;
	int rc = -1;

	memset(&ps, 0, sizeof ps);
	if (!pw)
		len = 0;
	if (len > HS_CRYPTO_PW_MAX)
		len = HS_CRYPTO_PW_MAX + 1; /* never matches, still costs the same */
	usable = pw_parse(stored, &ps) == 0;
	if (!usable) {
		/* The same work as a real check, with a result that cannot match. */
		ps.ln = HS_CRYPTO_PW_LN;
		ps.r = HS_CRYPTO_PW_R;
		ps.p = HS_CRYPTO_PW_P;
		memcpy(ps.salt, dummy_salt, sizeof ps.salt);
	}
	if (hs_crypto_scrypt(pw, len > HS_CRYPTO_PW_MAX ? HS_CRYPTO_PW_MAX : len, ps.salt,
			     sizeof ps.salt, ps.ln, ps.r, ps.p, dk, sizeof dk) != 0)
		goto out;
	rc = usable && len <= HS_CRYPTO_PW_MAX && CRYPTO_memcmp(dk, ps.dk, sizeof dk) == 0;
out:
	OPENSSL_cleanse(dk, sizeof dk);
	OPENSSL_cleanse(&ps, sizeof ps);
	return rc;
}

int hs_crypto_random_b64url(size_t nbytes, char *out, size_t outlen)
{
	unsigned char raw[64];
	size_t n;
	int rc = -1;

	if (out && outlen)
		out[0] = '\0';
	if (!out || nbytes == 0 || nbytes > sizeof raw || outlen < (nbytes + 2) / 3 * 4 + 1)
		return -1;
	if (RAND_bytes(raw, (int)nbytes) != 1)
		goto out;
	b64_nopad(raw, nbytes, out);
	for (n = 0; out[n]; n++) {
		if (out[n] == '+')
			out[n] = '-';
		else if (out[n] == '/')
			out[n] = '_';
	}
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}
