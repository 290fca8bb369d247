/*
 * The MD5 challenge of RouterOS before 6.43, through OpenSSL.
 */
#include "routeros/internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ros_err ros__challenge_response(const char *password, const char *challenge, size_t len,
				char out[35])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t chal[16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const uint8_t zero = 0;
	EVP_MD_CTX *ctx = NULL;
	ros_err err = ROS_ERR_PROTOCOL;
	size_t i;

	if (len != 32)
		goto out;
	for (i = 0; i < 16; i++) {
		int hi = hex_value(challenge[2 * i]), lo = hex_value(challenge[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto out;
		chal[i] = (uint8_t)(hi << 4 | lo);
	}
	err = ROS_ERR_NOMEM;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	if (!EVP_DigestInit_ex(ctx, EVP_md5(), NULL) || !EVP_DigestUpdate(ctx, &zero, 1) ||
	    !EVP_DigestUpdate(ctx, password, strlen(password)) ||
	    !EVP_DigestUpdate(ctx, chal, sizeof(chal)) || !EVP_DigestFinal_ex(ctx, md, &mdlen) ||
	    mdlen != 16)
		goto out;
	out[0] = '0';
	out[1] = '0';
	for (i = 0; i < 16; i++) {
		out[2 + 2 * i] = hex[md[i] >> 4];
		out[3 + 2 * i] = hex[md[i] & 0xF];
	}
	out[34] = '\0';
	err = ROS_OK;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
	return err;
}
