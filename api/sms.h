/*
 * SMS gateways of the sms.send job kind (docs/sms.md): one call sends one
 * text through the driver SMS_DRIVER names (twilio, africastalking, http or
 * log), over libcurl, and says whether the gateway took it, refused it for
 * good, or may take it later.  Also the voucher text's template and the
 * masking of phone numbers for logs and stored errors.
 */
#ifndef HS_API_SMS_H
#define HS_API_SMS_H

#include <stddef.h>

#include "api/jobs.h"
#include "common/config.h"

/* The handler of job kind "sms.send" (api/job_sms.c), for api/job_kinds.c. */
api_job_result api__job_sms(api_job_ctx *ctx, const api_job *job);

/* How a send ended. */
typedef enum {
	SMS_SENT = 0,  /* the gateway accepted the message */
	SMS_TEMPORARY, /* try again later: timeout, no connection, HTTP 5xx or 429 */
	SMS_PERMANENT, /* refused: HTTP 4xx, a recipient the gateway rejects */
} sms_outcome;

/* Longest provider id kept (sms_messages.provider_ref allows 200). */
#define SMS_REF_MAX 200

typedef struct {
	sms_outcome outcome;
	char provider_ref[SMS_REF_MAX + 1]; /* the gateway's id when SENT, else "" */
	char error[512]; /* one line when not SENT; digits of phone numbers masked */
} sms_result;

/* The configured driver's name ("twilio"...), as sms_messages.driver stores it. */
const char *sms_driver_name(const hs_config *cfg);

/*
 * Sends body to the phone number to (E.164, "+" optional) through the
 * configured driver and fills out.  redact, when not NULL or "", is a
 * secret inside body (a voucher password) that the log driver writes as
 * "****".  Never logs keys, tokens or whole phone numbers.  Blocks for at
 * most SMS_TIMEOUT seconds.  Thread-safe.
 */
void sms_send(const hs_config *cfg, const char *to, const char *body, const char *redact,
	      sms_result *out);

/* One placeholder of a template: {name} becomes value. */
typedef struct {
	const char *name;
	const char *value;
} sms_var;

/*
 * Renders template tmpl into out (len bytes, NUL-terminated): {name} is
 * replaced by the value of the variable of that name (a name no variable
 * has stays as written).  When sections is set, text between [ and ] is
 * kept only if every placeholder inside it has a non-empty value, and the
 * brackets themselves are dropped.  Returns the length written, or -1 when
 * it does not fit (out then holds "").
 */
int sms_render(const char *tmpl, const sms_var *vars, size_t nvars, int sections, char *out,
	       size_t len);

/*
 * Writes phone with all but its first four and last three characters
 * replaced by '*' ("+256*****456") into out.  Short numbers are masked whole.
 */
void sms_mask_phone(const char *phone, char *out, size_t len);

/* Masks in place every run of six or more digits of text (as sms_mask_phone). */
void sms_scrub_digits(char *text);

#endif
