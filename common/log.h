/*
 * Logging to stderr, one line per message:
 *   2024-05-01T12:00:00.123Z info message
 * Thread-safe; each message is written with a single write(2).  Control
 * characters in the message (a newline from a request path, say) are
 * replaced by '?', so a line is always one record.
 */
#ifndef HS_COMMON_LOG_H
#define HS_COMMON_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
	HS_LOG_DEBUG = 0,
	HS_LOG_INFO,
	HS_LOG_WARN,
	HS_LOG_ERROR,
} hs_log_level;

/* Messages below level are dropped.  The default is HS_LOG_INFO. */
void hs_log_set_level(hs_log_level level);

/* Whether a message at level would be written. */
int hs_log_enabled(hs_log_level level);

/* "debug", "info", "warn" or "error". */
const char *hs_log_level_name(hs_log_level level);

void hs_log(hs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hs_logv(hs_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Formats one line (timestamp, level, message, newline) into buf of len
 * bytes, truncating the message to fit.  Returns the length written.  The
 * building block of hs_log, public for tests.
 */
size_t hs_log_format(char *buf, size_t len, hs_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#endif
