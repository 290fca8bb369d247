/*
 * Text checks shared by hotspotd's parts.
 */
#ifndef HS_COMMON_TEXT_H
#define HS_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether text (len bytes) is UTF-8 as a PostgreSQL text value holds it:
 * no NUL, no overlong forms, no surrogates, nothing past U+10FFFF.
 */
bool hs_utf8_text(const char *text, size_t len);

#endif
