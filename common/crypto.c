#include "common/crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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
 * Runs AES-256-GCM over in (len bytes) into out, with ad as associated
 * data: encrypting, the tag is written to tag; decrypting, it is checked.
 * 0, or -1 on any failure (a tag that does not check included).
 */
static int gcm_run(int encrypt, const hs_crypto_key *key, const unsigned char *nonce,
		   const char *ad, const unsigned char *in, size_t len, unsigned char *out,
		   unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, rc = -1;

	if (!ctx || len > INT_MAX || strlen(ad) > INT_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, HS_CRYPTO_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key->k, nonce, encrypt) != 1)
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

int hs_crypto_seal(const hs_crypto_key *key, const char *ad, const unsigned char *plain, size_t len,
		   unsigned char **out, size_t *outlen)
{
	unsigned char *buf = NULL, *nonce, *ct;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (!key || !ad || (!plain && len) || len > HS_CRYPTO_PLAIN_MAX)
		goto out;
	/* One spare byte: GCM's final step writes nothing, but at out + len. */
	buf = malloc(len + HS_CRYPTO_OVERHEAD + 1);
	if (!buf)
		goto out;
	buf[0] = HS_CRYPTO_VERSION;
	nonce = buf + 1;
	ct = nonce + HS_CRYPTO_NONCE_LEN;
	if (RAND_bytes(nonce, HS_CRYPTO_NONCE_LEN) != 1 ||
	    gcm_run(1, key, nonce, ad, plain, len, ct, ct + len) != 0)
		goto out;
	*out = buf;
	*outlen = len + HS_CRYPTO_OVERHEAD;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

int hs_crypto_open(const hs_crypto_key *key, const char *ad, const unsigned char *sealed,
		   size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *plain = NULL, tag[HS_CRYPTO_TAG_LEN];
	size_t n;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (!key || !ad || !sealed || len < HS_CRYPTO_OVERHEAD ||
	    len - HS_CRYPTO_OVERHEAD > HS_CRYPTO_PLAIN_MAX || sealed[0] != HS_CRYPTO_VERSION)
		return -1;
	n = len - HS_CRYPTO_OVERHEAD;
	plain = calloc(1, n + 1);
	if (!plain)
		return -1;
	memcpy(tag, sealed + len - HS_CRYPTO_TAG_LEN, sizeof tag);
	if (gcm_run(0, key, sealed + 1, ad, sealed + 1 + HS_CRYPTO_NONCE_LEN, n, plain, tag) != 0)
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
