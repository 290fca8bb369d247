/*
 * What every handler checks its input with: per-field errors for the 422
 * answer, bounded text, the JSON body, query-string integers, ids.
 */
#ifndef HS_API_VALID_H
#define HS_API_VALID_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "api/http.h"

/* Adds message to errors[field] (an array of messages per field). */
void api_error_add(json_t *errors, const char *field, const char *message);

/* Characters (code points) of the valid UTF-8 s. */
size_t api_utf8_chars(const char *s);

/*
 * The length in bytes of the longest prefix of the valid UTF-8 s that has
 * at most max bytes and ends between two characters.
 */
size_t api_utf8_prefix(const char *s, size_t max);

/* Whether s holds an ASCII control character. */
bool api_has_control(const char *s);

/*
 * The text of a string member v that must have 1..max characters and no
 * control characters, or NULL with an error added under field.  Jansson
 * holds only valid UTF-8, so a member that parsed is valid UTF-8.
 */
const char *api_text_field(const json_t *v, const char *field, size_t max, json_t *errors);

/*
 * The request body as a JSON object (caller owns it; duplicate keys and
 * broken UTF-8 refused), or NULL with a 422 answered.
 */
json_t *api_body_object(api_req *req);

/*
 * A query argument that must be an integer in [1, max]: def when absent;
 * -1 with an error added under key.
 */
long api_query_int(const api_req *req, const char *key, long def, long max, json_t *errors);

/*
 * Turns the query argument key (valid UTF-8, at most max characters, no
 * control characters) into an ILIKE pattern "%...%" with \ % _ escaped.
 * out must hold 2 * 4 * max + 3 bytes; "" when absent or empty.  false with
 * an error added when the value is refused.
 */
bool api_query_pattern(const api_req *req, const char *key, size_t max, char *out, json_t *errors);

/* Writes a random version 4 UUID; -1 when the random generator fails. */
int api_uuid_v4(char out[API_UUID_LEN]);

/*
 * The route's n-th :param when it is a UUID; else NULL with a 404 answered
 * as "<what> not found".
 */
const char *api_param_uuid(api_req *req, size_t n, const char *what);

#endif
