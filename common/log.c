#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Longest line written; longer messages are cut. */
#define LOG_LINE_MAX 4096

static atomic_int log_min_level = HS_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void hs_log_set_level(hs_log_level level)
{
	atomic_store(&log_min_level, (int)level);
}

int hs_log_enabled(hs_log_level level)
{
	return (int)level >= atomic_load(&log_min_level);
}

const char *hs_log_level_name(hs_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 characters) into buf; 0 on failure. */
static size_t log_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
		return 0;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || n + 6 > len)
		return 0;
	n += (size_t)snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000L);
	return n;
}

size_t hs_log_format(char *buf, size_t len, hs_log_level level, const char *fmt, va_list ap)
{
	size_t n, start;
	int m;

	if (len < 2)
		return 0;
	n = log_timestamp(buf, len);
	m = snprintf(buf + n, len - n, " %s ", hs_log_level_name(level));
	if (m < 0 || (size_t)m + 2 > len - n)
		return 0;
	n += (size_t)m;
	start = n;
	m = vsnprintf(buf + n, len - n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += (size_t)m < len - n - 1 ? (size_t)m : len - n - 2;
	for (size_t i = start; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c < 0x20 || c == 0x7f)
			buf[i] = '?';
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

void hs_logv(hs_log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n, off = 0;
	int saved = errno;

	if (!hs_log_enabled(level))
		return;
	n = hs_log_format(line, sizeof(line), level, fmt, ap);
	/* The lock keeps lines whole even when stderr is a pipe and a write
	 * is split. */
	pthread_mutex_lock(&log_lock);
	while (off < n) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}

void hs_log(hs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hs_logv(level, fmt, ap);
	va_end(ap);
}
