/*
 * The routers cache file (see hs_cache.h).
 */
#include "hs_cache.h"
#include "hs_logic.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define HS_CACHE_MAGIC    "hotspot-clients "
#define HS_CACHE_HEAD_MAX 64u  /* the first line, at most */
#define HS_CACHE_LINE_MAX 400u /* one router's line, at most */
#define HS_CACHE_SUM_LEN  21u  /* "sum " + 16 hex digits + "\n" */
#define HS_CACHE_FILE_MAX                                                                          \
	(HS_CACHE_HEAD_MAX + (size_t)HS_CACHE_ROUTERS_MAX * HS_CACHE_LINE_MAX + HS_CACHE_SUM_LEN)

static uint64_t hs_fnv1a64(char const *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

void hs_cache_wipe(void *p, size_t size)
{
	if (!p)
		return;
	memset(p, 0, size);
	/* Keeps the compiler from dropping the memset before free. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
	free(p);
}

/* --- encoding ---------------------------------------------------------------------- */

/* Appends n bytes of src as lowercase hex, and the byte term; returns the new end. */
static char *hs_put_hex(char *p, void const *src, size_t n, char term)
{
	static char const hex[] = "0123456789abcdef";
	unsigned char const *s = src;
	size_t i;

	for (i = 0; i < n; i++) {
		*p++ = hex[s[i] >> 4];
		*p++ = hex[s[i] & 15];
	}
	*p++ = term;
	return p;
}

/* Whether r can be written as it is (the decoder would take it back). */
static bool hs_rec_valid(hs_cache_rec const *r)
{
	size_t id_len = strnlen(r->id, sizeof(r->id));

	return (r->af == AF_INET || r->af == AF_INET6) && id_len > 0 && id_len < sizeof(r->id) &&
	       r->secret_len > 0 && r->secret_len <= HS_CACHE_SECRET_MAX;
}

/* Writes r's line at p (at most HS_CACHE_LINE_MAX bytes); returns the new end. */
static char *hs_put_rec(char *p, hs_cache_rec const *r)
{
	*p++ = r->af == AF_INET6 ? '6' : '4';
	*p++ = ' ';
	p = hs_put_hex(p, r->addr, r->af == AF_INET6 ? 16 : 4, ' ');
	*p++ = r->require_ma ? '1' : '0';
	*p++ = ' ';
	p = hs_put_hex(p, r->id, strlen(r->id), ' ');
	return hs_put_hex(p, r->secret, r->secret_len, '\n');
}

int hs_cache_encode(hs_cache_rec const *v, unsigned n, char **out, size_t *len)
{
	size_t cap = HS_CACHE_HEAD_MAX + (size_t)n * HS_CACHE_LINE_MAX + HS_CACHE_SUM_LEN + 1;
	char *buf, *p;
	unsigned i;

	*out = NULL;
	*len = 0;
	if (n > HS_CACHE_ROUTERS_MAX || (n && !v))
		return -1;
	for (i = 0; i < n; i++) {
		if (!hs_rec_valid(&v[i]))
			return -1;
	}
	buf = malloc(cap);
	if (!buf)
		return -1;
	p = buf + snprintf(buf, HS_CACHE_HEAD_MAX, HS_CACHE_MAGIC "%d %u\n", HS_CACHE_VERSION, n);
	for (i = 0; i < n; i++)
		p = hs_put_rec(p, &v[i]);
	p += snprintf(p, HS_CACHE_SUM_LEN + 1, "sum %016" PRIx64 "\n",
		      hs_fnv1a64(buf, (size_t)(p - buf)));
	*out = buf;
	*len = (size_t)(p - buf);
	return 0;
}

/* --- decoding ---------------------------------------------------------------------- */

typedef struct hs_cursor {
	char const *p;
	char const *end;
} hs_cursor;

/*
 * Takes the next field, which must end in term (' ' or '\n', never the
 * other); returns its length, or -1.
 */
static long hs_field(hs_cursor *c, char term, char const **start)
{
	char const *q = c->p;

	while (q < c->end && *q != ' ' && *q != '\n')
		q++;
	if (q == c->end || *q != term)
		return -1;
	*start = c->p;
	c->p = q + 1;
	return (long)(q - *start);
}

/* Decodes a hex field of 2..2*max digits into dst; returns the bytes, or -1. */
static long hs_unhex(char const *s, long n, void *dst, size_t max)
{
	unsigned char *d = dst;
	long i;

	if (n < 2 || n % 2 || (size_t)n / 2 > max)
		return -1;
	for (i = 0; i < n; i += 2) {
		int byte = hs_hex_byte(s + i, false);

		if (byte < 0)
			return -1;
		d[i / 2] = (unsigned char)byte;
	}
	return n / 2;
}

/* Parses one router's line into r; returns 0, or -1. */
static int hs_get_rec(hs_cursor *c, hs_cache_rec *r)
{
	char const *s;
	long n;

	memset(r, 0, sizeof(*r));
	n = hs_field(c, ' ', &s);
	if (n != 1 || (*s != '4' && *s != '6'))
		return -1;
	r->af = *s == '6' ? AF_INET6 : AF_INET;
	n = hs_field(c, ' ', &s);
	if (n != (r->af == AF_INET6 ? 32 : 8) || hs_unhex(s, n, r->addr, sizeof(r->addr)) < 0)
		return -1;
	n = hs_field(c, ' ', &s);
	if (n != 1 || (*s != '0' && *s != '1'))
		return -1;
	r->require_ma = *s == '1';
	n = hs_field(c, ' ', &s);
	n = n < 0 ? -1 : hs_unhex(s, n, r->id, HS_CACHE_ID_MAX);
	if (n < 0 || memchr(r->id, 0, (size_t)n))
		return -1;
	n = hs_field(c, '\n', &s);
	n = n < 0 ? -1 : hs_unhex(s, n, r->secret, HS_CACHE_SECRET_MAX);
	if (n < 0)
		return -1;
	r->secret_len = (size_t)n;
	return 0;
}

/* Parses the first line; returns the number of routers it announces, or -1. */
static long hs_get_head(hs_cursor *c, char const **why)
{
	char const *s, *magic = HS_CACHE_MAGIC;
	char *endp;
	long n;
	unsigned long version, count;

	*why = "not a routers cache file";
	if ((size_t)(c->end - c->p) < strlen(magic) || memcmp(c->p, magic, strlen(magic)) != 0)
		return -1;
	c->p += strlen(magic);
	n = hs_field(c, ' ', &s);
	if (n < 1 || n > 9 || s[0] < '1' || s[0] > '9')
		return -1;
	version = strtoul(s, &endp, 10);
	if (endp != s + n)
		return -1;
	*why = "a version this server cannot read";
	if (version != HS_CACHE_VERSION)
		return -1;
	*why = "a bad router count";
	n = hs_field(c, '\n', &s);
	if (n < 1 || n > 6 || s[0] < '0' || s[0] > '9' || (s[0] == '0' && n > 1))
		return -1;
	count = strtoul(s, &endp, 10);
	if (endp != s + n || count > HS_CACHE_ROUTERS_MAX)
		return -1;
	return (long)count;
}

/* Checks the last line against the bytes before it; returns 0, or -1. */
static int hs_check_sum(char const *data, size_t len)
{
	char want[HS_CACHE_SUM_LEN + 1];
	size_t body;

	if (len < HS_CACHE_SUM_LEN + 1)
		return -1;
	body = len - HS_CACHE_SUM_LEN;
	if (data[body - 1] != '\n')
		return -1;
	snprintf(want, sizeof(want), "sum %016" PRIx64 "\n", hs_fnv1a64(data, body));
	return memcmp(data + body, want, HS_CACHE_SUM_LEN) == 0 ? 0 : -1;
}

int hs_cache_decode(char const *data, size_t len, hs_cache_rec **out, unsigned *n, char const **why)
{
	hs_cursor c = {data, data + len};
	hs_cache_rec *v = NULL;
	long count, i;

	*out = NULL;
	*n = 0;
	*why = "larger than any routers cache";
	if (len > HS_CACHE_FILE_MAX)
		return -1;
	*why = "its checksum does not match (a torn or damaged file)";
	if (hs_check_sum(data, len) < 0)
		return -1;
	c.end -= HS_CACHE_SUM_LEN;
	count = hs_get_head(&c, why);
	if (count < 0)
		return -1;
	*why = "out of memory";
	v = calloc(count > 0 ? (size_t)count : 1, sizeof(*v));
	if (!v)
		return -1;
	*why = "a malformed router line";
	for (i = 0; i < count; i++) {
		if (hs_get_rec(&c, &v[i]) < 0)
			goto fail;
	}
	*why = "more lines than it announces";
	if (c.p != c.end)
		goto fail;
	*why = NULL;
	*out = count > 0 ? v : NULL;
	*n = (unsigned)count;
	if (count == 0)
		free(v);
	return 0;
fail:
	hs_cache_wipe(v, (size_t)count * sizeof(*v));
	return -1;
}

/* --- the file ---------------------------------------------------------------------- */

/* Writes all of buf to fd; returns 0, or -1 (errno set). */
static int hs_write_all(int fd, char const *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* Makes a rename in path's directory durable; returns 0, or -1 (errno set). */
static int hs_sync_dir(char const *path)
{
	char *copy = strdup(path);
	int fd = -1, rc = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fsync(fd) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int hs_cache_write(char const *path, hs_cache_rec const *v, unsigned n, char *why, size_t whysize)
{
	char *buf = NULL, *tmp = NULL;
	size_t len = 0;
	char const *step = "no memory";
	int fd = -1, rc = -1, err = ENOMEM;

	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		tmp = NULL;
		goto out;
	}
	step = "cannot encode the routers for";
	err = EINVAL;
	if (hs_cache_encode(v, n, &buf, &len) < 0)
		goto out;
	step = "cannot create";
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0)
		goto fail;
	step = "cannot write";
	if (hs_write_all(fd, buf, len) < 0 || fsync(fd) != 0)
		goto fail;
	step = "cannot close";
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		goto fail;
	step = "cannot rename";
	rc = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	step = "cannot sync the directory of";
	if (hs_sync_dir(path) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
out:
	if (rc != 0)
		snprintf(why, whysize, "%s %s: %s", step, tmp ? tmp : path, strerror(err));
	free(tmp);
	hs_cache_wipe(buf, len);
	return rc;
}

/* Reads all of fd's size bytes; returns them (malloc'd) or NULL (errno set). */
static char *hs_read_all(int fd, size_t size)
{
	char *buf = malloc(size ? size : 1);
	size_t done = 0;

	while (buf && done < size) {
		ssize_t r = read(fd, buf + done, size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO; /* shrank while read */
			hs_cache_wipe(buf, size);
			return NULL;
		}
		done += (size_t)r;
	}
	return buf;
}

int hs_cache_read(char const *path, hs_cache_rec **out, unsigned *n, char *why, size_t whysize)
{
	struct stat st;
	char *buf = NULL;
	char const *problem;
	size_t size = 0;
	int fd, rc = HS_CACHE_BAD;

	*out = NULL;
	*n = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return HS_CACHE_ABSENT;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, whysize, "cannot read it: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size > HS_CACHE_FILE_MAX) {
		snprintf(why, whysize, "not a regular file of a routers cache's size");
		goto out;
	}
	size = (size_t)st.st_size;
	buf = hs_read_all(fd, size);
	if (!buf) {
		snprintf(why, whysize, "cannot read it: %s", strerror(errno));
		goto out;
	}
	if (hs_cache_decode(buf, size, out, n, &problem) < 0) {
		snprintf(why, whysize, "%s", problem);
		goto out;
	}
	rc = HS_CACHE_LOADED;
out:
	if (fd >= 0)
		close(fd);
	hs_cache_wipe(buf, size);
	return rc;
}
