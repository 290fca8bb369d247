/*
 * The routers cache: a durable copy of the routers list (hs_clients.c) in a
 * file next to the accounting spool, so that a server started while the
 * database is unreachable still knows its routers. Pure POSIX, no
 * FreeRADIUS and no libpq, so that the unit tests build it alone.
 *
 * The file (mode 0600: it holds the RADIUS secrets) is text:
 *
 *     hotspot-clients 1 N
 *     F ADDR MA ID SECRET      (N lines, one per router)
 *     sum CHECKSUM
 *
 * F is 4 or 6; ADDR the address's 4 or 16 bytes, ID and SECRET their bytes,
 * all in lowercase hex (a secret may hold any byte); MA is 1 when the
 * router must send Message-Authenticator, else 0; CHECKSUM is the FNV-1a
 * 64-bit hash of every byte before its line, in 16 hex digits. A file that
 * is not exactly this (another version, a torn or damaged byte, a field out
 * of bounds, anything after the sum) is refused whole.
 */
#ifndef HS_CACHE_H
#define HS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_CACHE_VERSION     1
#define HS_CACHE_ROUTERS_MAX 100000u /* routers a file may hold */
#define HS_CACHE_ID_MAX      39      /* bytes of a router id */
#define HS_CACHE_SECRET_MAX  128     /* bytes of a secret */

/* One router as the file holds it. */
typedef struct hs_cache_rec {
	int af;                               /* AF_INET or AF_INET6 */
	uint8_t addr[16];                     /* 4 bytes used for AF_INET */
	char id[HS_CACHE_ID_MAX + 1];         /* NUL-terminated, no NUL inside */
	char secret[HS_CACHE_SECRET_MAX + 1]; /* secret_len bytes, then a NUL */
	size_t secret_len;                    /* 1..HS_CACHE_SECRET_MAX */
	bool require_ma;                      /* Message-Authenticator required */
} hs_cache_rec;

/*
 * Encodes n records (n <= HS_CACHE_ROUTERS_MAX, each valid) as a file's
 * bytes. Returns 0 with *out (malloc'd, *len bytes; the caller frees it with
 * hs_cache_wipe) or -1 (no memory, or a record that cannot be written).
 */
int hs_cache_encode(hs_cache_rec const *v, unsigned n, char **out, size_t *len)
	__attribute__((nonnull(3, 4), warn_unused_result));

/*
 * Decodes a whole file. Returns 0 with *out (malloc'd array of *n records,
 * NULL when *n is 0; the caller frees it with hs_cache_wipe) or -1 with
 * *why set to a static description of the first problem found.
 */
int hs_cache_decode(char const *data, size_t len, hs_cache_rec **out, unsigned *n, char const **why)
	__attribute__((nonnull, warn_unused_result));

/* Zeroes size bytes at p (secrets leave memory with it), then frees p. */
void hs_cache_wipe(void *p, size_t size);

/*
 * Writes the file atomically: PATH.tmp (mode 0600) written and fsync'd,
 * renamed over path, and the directory fsync'd. Returns 0, or -1 with
 * why[] describing the failure (no secret in it); PATH.tmp is removed.
 */
int hs_cache_write(char const *path, hs_cache_rec const *v, unsigned n, char *why, size_t whysize)
	__attribute__((nonnull(1, 4), warn_unused_result));

enum { HS_CACHE_LOADED = 0, HS_CACHE_ABSENT = 1, HS_CACHE_BAD = -1 };

/*
 * Reads and decodes the file. Returns HS_CACHE_LOADED with *out and *n (as
 * hs_cache_decode), HS_CACHE_ABSENT when there is no file, or HS_CACHE_BAD
 * with why[] describing the problem: nothing of a bad file is returned.
 */
int hs_cache_read(char const *path, hs_cache_rec **out, unsigned *n, char *why, size_t whysize)
	__attribute__((nonnull, warn_unused_result));

#endif
