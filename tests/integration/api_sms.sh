#!/usr/bin/env bash
# SMS delivery (docs/sms.md): the sms.send job kind through each driver
# (log, Twilio, Africa's Talking, generic HTTP as JSON and as a form)
# against a loopback stand-in that checks every request exactly
# (tests/sim/sms_standin.py); accepted, refused (4xx: failed, not retried),
# 5xx / 429 / no answer (retried with the queue's backoff, then sent); the
# provider's id on the row; no second send of a sent message; the voucher
# resend-sms path end to end with the voucher text; GET /api/v1/sms-messages
# and POST /api/v1/sms-messages/{id}/retry with tenant isolation; keys and
# whole phone numbers never in the log.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

DB=hs_api_sms
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=2 JOB_POLL_INTERVAL=1 JOB_BACKOFF_BASE=1 JOB_BACKOFF_CAP=2 SMS_TIMEOUT=2

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
TIDA=$(owner "SELECT id FROM tenants WHERE slug = 'ten-a'")
TIDB=$(owner "SELECT id FROM tenants WHERE slug = 'ten-b'")

# --- the stand-in -------------------------------------------------------------------
SID=AC$(openssl rand -hex 16)
TW_TOKEN=tw-secret-$(openssl rand -hex 6)
AT_KEY=at-secret-$(openssl rand -hex 6)
GW_AUTH="Bearer gw-secret-$(openssl rand -hex 6)"
FROM=+15005550006
LOG=$HS_SUITE_DIR/standin.jsonl
: >"$LOG"
hs_spawn standin python3 "$HS_ROOT/tests/sim/sms_standin.py" --port-file "$HS_SUITE_DIR/standin.port" \
	--log "$LOG" --sid "$SID" --token "$TW_TOKEN" --at-user sandbox --at-key "$AT_KEY" \
	--http-auth "$GW_AUTH" --sender "$FROM" --put --delay 4
for i in $(seq 1 50); do [ -s "$HS_SUITE_DIR/standin.port" ] && break; sleep 0.1; done
SP=$(cat "$HS_SUITE_DIR/standin.port" 2>/dev/null)
t_like "$SP" '^[0-9]+$' "the stand-in listens"
GW=http://127.0.0.1:$SP

# msg TENANT PHONE TEXT: a queued message (no voucher) and its sms.send job, as
# the API queues them; prints the message's id.
msg() {
	owner "WITH m AS (INSERT INTO sms_messages (tenant_id, to_phone, body, driver)
		VALUES ('$1', '$2', \$q\$$3\$q\$, 'default') RETURNING id, tenant_id)
		SELECT m.id FROM m, LATERAL job_enqueue('sms.send', jsonb_build_object('sms_message_id', m.id),
		now(), m.tenant_id, 5, NULL)"
}
# until_status ID STATUS: waits (up to 20 s) for the message to reach STATUS.
until_status() { hs_wait_sql $DB "SELECT status = '$2' FROM sms_messages WHERE id = '$1'" 20; }
# row ID COLUMNS: the message's columns joined by |.
row() { owner "SELECT concat_ws('|', $2) FROM sms_messages WHERE id = '$1'"; }
# seen TEXT: requests the stand-in got whose text is TEXT.
seen() {
	jq -s --arg t "$1" '[.[] | select((.fields.Body // .fields.message // .fields.text) == $t)] | length' "$LOG"
}
# last TEXT FILTER: FILTER over the stand-in's last request with text TEXT.
last() {
	jq -rs --arg t "$1" "[.[] | select((.fields.Body // .fields.message // .fields.text) == \$t)] | last | $2" "$LOG"
}
# phase NAME: hotspotd serve as NAME with the driver settings exported before.
phase() {
	hs_kill "$SERVE" 2>/dev/null
	SERVE=$1
	t_ok "serve answers HTTP ($1)" serve_on "$1"
	base=http://127.0.0.1:$SERVE_PORT
}
SERVE=

# --- fixtures: a profile and vouchers of tenant A -----------------------------------
phase serve-log
as "$TA" POST "$base/api/v1/profiles" -d '{"name":"1GB-DAILY","data_limit_mb":1024,"validity_hours":24,"price":5000}' >/dev/null
t_is "$(as "$TA" POST "$base/api/v1/vouchers/batch-generate" -d '{"profile":"1GB-DAILY","quantity":3}')" 201 "fixture: 3 vouchers of A"
mapfile -t X < <(j '.data.vouchers[].code')
pw() { owner "SELECT password FROM vouchers WHERE code = '$1'"; }

# --- log driver (the default) and the voucher template ------------------------------------
L1=$(msg "$TIDA" +256700123456 "log driver text")
t_ok "log: the message is sent" until_status "$L1" sent
t_is "$(row "$L1" "status, provider_ref, driver, attempts, coalesce(error, '-')")" "sent|log|log|1|-" \
	"log: provider_ref log, driver recorded, one attempt, no error"
t_like "$(cat "$HS_SUITE_DIR/serve-log.log")" 'sms\(log\): to \+256\*{6}456: log driver text' \
	"log: the text is in the log with the number masked"
t_is "$(as "$TA" POST "$base/api/v1/vouchers/${X[0]}/resend-sms" -d '{"phone":"+256700555444"}')" 202 "log: resend-sms of a voucher (202)"
L2=$(j .data.sms.id)
t_ok "log: the voucher's message is sent" until_status "$L2" sent
P0=$(pw "${X[0]}")
t_is "$(row "$L2" body)" "Tenant A WiFi voucher. Code: ${X[0]} Password: $P0. 1 GB, 24 hours (1GB-DAILY)" \
	"log: the default template: code, password, terms and profile"
t_ok "log: the voucher text fits one SMS (160)" test "$(row "$L2" 'length(body)')" -le 160
t_is "$(grep -c -- "$P0" "$HS_SUITE_DIR/serve-log.log")" 0 "log: the voucher's password is not in the log"
t_like "$(cat "$HS_SUITE_DIR/serve-log.log")" "Code: ${X[0]} Password: \*\*\*\*\." "log: it is written as ****"

export SMS_VOUCHER_TEMPLATE='{code}[ pw {password}][ exp {expires}] {data}/{validity}[/{time}] {profile}'
phase serve-template
t_is "$(as "$TA" POST "$base/api/v1/vouchers/${X[1]}/resend-sms" -d '{"phone":"+256700555444"}')" 202 "template: resend-sms"
L3=$(j .data.sms.id)
t_ok "template: sent" until_status "$L3" sent
t_is "$(row "$L3" body)" "${X[1]} pw $(pw "${X[1]}") 1 GB/24 hours 1GB-DAILY" \
	"template: placeholders filled, sections with an empty placeholder dropped"
unset SMS_VOUCHER_TEMPLATE

# --- Twilio --------------------------------------------------------------------------------
export SMS_DRIVER=twilio TWILIO_SID=$SID TWILIO_TOKEN=$TW_TOKEN TWILIO_BASE_URL=$GW SMS_FROM=$FROM
phase serve-twilio
T1=$(msg "$TIDA" +256700123456 "twilio ok")
t_ok "twilio: accepted message is sent" until_status "$T1" sent
REF=$(last "twilio ok" .ref)
t_like "$REF" '^SM[0-9a-f]{32}$' "twilio: the stand-in answered with a sid"
t_is "$(row "$T1" "provider_ref, driver, attempts")" "$REF|twilio|1" "twilio: the sid is the row's provider_ref"
t_is "$(last "twilio ok" '[.valid, .method, .fields.To, .fields.From, .fields.Body] | @tsv')" \
	"$(printf 'true\tPOST\t+256700123456\t%s\ttwilio ok' "$FROM")" \
	"twilio: POST Messages.json, Basic auth, form To/From/Body (checked by the stand-in)"

T2=$(msg "$TIDA" +256700111222 "twilio case:perm")
t_ok "twilio: a 400 makes the message failed" until_status "$T2" failed
t_like "$(row "$T2" error)" '^twilio: HTTP 400: 21211 The .To. number \+256\*+222 is not a valid phone number\.$' \
	"twilio: the error has the code and message, the number masked"
t_ok "twilio: its job is dead at once" hs_wait_sql $DB "SELECT status = 'dead' AND attempts = 1 FROM jobs WHERE payload->>'sms_message_id' = '$T2'" 10
t_is "$(seen "twilio case:perm")" 1 "twilio: a permanent failure is not retried"

T3=$(msg "$TIDA" +256700123456 "twilio case:5xx")
T4=$(msg "$TIDA" +256700123456 "twilio case:timeout")
T5=$(msg "$TIDA" +256700123456 "twilio case:429")
t_ok "twilio: 503 then sent" until_status "$T3" sent
t_is "$(seen "twilio case:5xx")|$(row "$T3" "attempts, coalesce(error, '-')")" "2|2|-" "twilio: 503 retried once, error cleared"
t_ok "twilio: no answer then sent" until_status "$T4" sent
t_is "$(seen "twilio case:timeout")|$(row "$T4" attempts)" "2|2" "twilio: a timeout is retried"
t_ok "twilio: 429 then sent" until_status "$T5" sent
t_is "$(seen "twilio case:429")" 2 "twilio: 429 retried once"
t_is "$(row "$T3" provider_ref)" "$(last "twilio case:5xx" .ref)" "twilio: the accepted attempt's sid is kept"

# A second job for a sent message sends nothing.
J=$(owner "SELECT job_enqueue('sms.send', jsonb_build_object('sms_message_id', '$T1'::uuid), now(), '$TIDA', 5, NULL)")
t_ok "dup: the second job runs" hs_wait_sql $DB "SELECT status = 'done' FROM jobs WHERE id = '$J'" 10
t_is "$(seen "twilio ok")|$(row "$T1" "status, provider_ref")" "1|sent|$REF" "dup: no second send, the row unchanged"

# The voucher path end to end.
t_is "$(as "$TA" POST "$base/api/v1/vouchers/${X[2]}/resend-sms" -d '{"phone":"+256700999888"}')" 202 "voucher: resend-sms (202)"
V1=$(j .data.sms.id)
t_ok "voucher: the job sends it" until_status "$V1" sent
VB=$(jq -rs '[.[] | select(.fields.To == "+256700999888")] | last | .fields.Body' "$LOG")
t_is "$VB" "Tenant A WiFi voucher. Code: ${X[2]} Password: $(pw "${X[2]}"). 1 GB, 24 hours (1GB-DAILY)" \
	"voucher: the stand-in got the text with the code and password"

# --- the API: list and retry ---------------------------------------------------------------
T6=$(msg "$TIDA" +256700123456 "twilio case:permonce")
t_ok "retry: a refused message is failed" until_status "$T6" failed
t_is "$(as "$TB" POST "$base/api/v1/sms-messages/$T6/retry")" 404 "retry: B cannot retry A's message (404)"
t_is "$(row "$T6" status)" failed "  and it stays failed"
t_is "$(as "$TA" POST "$base/api/v1/sms-messages/$T6/retry")" 202 "retry: A re-queues it (202)"
t_is "$(j '[.data.id, .data.status] | @tsv')" "$(printf '%s\tqueued' "$T6")" "  the answer shows it queued"
t_ok "retry: then it is sent" until_status "$T6" sent
t_is "$(seen "twilio case:permonce")" 2 "retry: sent once more"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'sms.retry' AND object_id = '$T6' AND tenant_id = '$TIDA'")" 1 "retry: audited"
t_is "$(as "$TA" POST "$base/api/v1/sms-messages/$T6/retry")" 409 "retry: a sent message is 409"
t_is "$(seen "twilio case:permonce")" 2 "  and nothing is sent again"
t_is "$(as "$TA" POST "$base/api/v1/sms-messages/$(owner 'SELECT gen_random_uuid()')/retry")" 404 "retry: an unknown id is 404"
t_is "$(as "$TA" POST "$base/api/v1/sms-messages/not-a-uuid/retry")" 404 "retry: a malformed id is 404"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/sms-messages/$T6/retry")" 401 "retry: no token is 401"

NA=$(owner "SELECT count(*) FROM sms_messages WHERE tenant_id = '$TIDA'")
B1=$(msg "$TIDB" +256700123456 "tenant b text")
t_ok "B's message is sent too" until_status "$B1" sent
t_is "$(as "$TA" GET "$base/api/v1/sms-messages?per_page=100")" 200 "list: A's messages (200)"
t_is "$(j '[.meta.total, (.data | length), ([.data[].id] | index("'"$B1"'"))] | @tsv')" "$(printf '%s\t%s\t' "$NA" "$NA")" \
	"list: all of A's, none of B's"
t_is "$(as "$TA" GET "$base/api/v1/sms-messages?status=failed")" 200 "list: status=failed"
t_is "$(j '[.data[].id] | join(",")')" "$T2" "  only the failed one"
t_is "$(j '.data[0] | [.status, .driver, .to_phone, (.error | test("21211"))] | @tsv')" "$(printf 'failed\ttwilio\t+256700111222\ttrue')" "  with its error"
t_is "$(as "$TA" GET "$base/api/v1/sms-messages?per_page=2&page=2")" 200 "list: page 2 of 2 per page"
t_is "$(j '[.meta.current_page, .meta.per_page, .meta.total, .meta.last_page, (.data | length)] | @tsv')" \
	"$(printf '2\t2\t%s\t%s\t2' "$NA" $(((NA + 1) / 2)))" "  meta and items"
t_is "$(as "$TB" GET "$base/api/v1/sms-messages")" 200 "list: B's messages"
t_is "$(j '[.meta.total, .data[0].id] | @tsv')" "$(printf '1\t%s' "$B1")" "  only B's"
t_is "$(as "$TA" GET "$base/api/v1/sms-messages?status=lost")" 422 "list: an unknown status is 422"
t_is "$(j '.errors | has("status")')" true "  with errors.status"
t_is "$(as "$TA" GET "$base/api/v1/sms-messages?per_page=0")" 422 "list: per_page 0 is 422"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/sms-messages")" 401 "list: no token is 401"
RO=$(api_tok)
owner "INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
	SELECT tenant_id, id, 'ro', '$(api_sha "$RO")', ARRAY['vouchers.read'] FROM admins WHERE tenant_id = '$TIDA'" >/dev/null
t_is "$(as "$RO" GET "$base/api/v1/sms-messages")" 403 "list: a token without sms.read is 403"
RD=$(api_tok)
owner "INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
	SELECT tenant_id, id, 'rd', '$(api_sha "$RD")', ARRAY['sms.read'] FROM admins WHERE tenant_id = '$TIDA'" >/dev/null
t_is "$(as "$RD" GET "$base/api/v1/sms-messages")" 200 "list: sms.read is enough"
t_is "$(as "$RD" POST "$base/api/v1/sms-messages/$T2/retry")" 403 "retry: sms.read is not"
t_is "$(as "$RO" POST "$base/api/v1/sms-messages/$T2/retry")" 403 "retry: a token without sms.write is 403"

t_is "$(grep -c -e "$TW_TOKEN" -e '700123456' -e '700111222' -e '700999888' "$HS_SUITE_DIR/serve-twilio.log")" 0 \
	"twilio: neither the token nor a whole number in the log"

# --- Africa's Talking ------------------------------------------------------------------------
export SMS_DRIVER=africastalking AFRICASTALKING_USERNAME=sandbox AFRICASTALKING_API_KEY=$AT_KEY \
	AFRICASTALKING_BASE_URL=$GW
phase serve-at
A1=$(msg "$TIDA" +256700123456 "at ok")
A2=$(msg "$TIDA" +256700123456 "at case:atreject")
A3=$(msg "$TIDA" +256700123456 "at case:perm")
A4=$(msg "$TIDA" +256700123456 "at case:5xx")
t_ok "at: accepted message is sent" until_status "$A1" sent
t_like "$(row "$A1" provider_ref)" '^ATXid_[0-9a-f]{32}$' "at: the messageId is the provider_ref"
t_is "$(row "$A1" provider_ref)" "$(last "at ok" .ref)" "  the one the stand-in gave"
t_is "$(last "at ok" '[.valid, .fields.username, .fields.to, .fields.from, .fields.message] | @tsv')" \
	"$(printf 'true\tsandbox\t+256700123456\t%s\tat ok' "$FROM")" \
	"at: apiKey and Accept headers, form username/to/message/from (checked by the stand-in)"
t_ok "at: a rejected recipient makes it failed" until_status "$A2" failed
t_like "$(row "$A2" error)" 'InvalidPhoneNumber \(statusCode 403\)' "  with the recipient's status"
t_is "$(seen "at case:atreject")" 1 "  not retried"
t_ok "at: HTTP 401 makes it failed" until_status "$A3" failed
t_like "$(row "$A3" error)" '^africastalking: HTTP 401: The supplied authentication is invalid$' "  with the gateway's words"
t_ok "at: 503 then sent" until_status "$A4" sent
t_is "$(seen "at case:5xx")" 2 "  retried once"
t_is "$(grep -c -e "$AT_KEY" -e '700123456' "$HS_SUITE_DIR/serve-at.log")" 0 "at: neither the key nor a whole number in the log"
unset AFRICASTALKING_USERNAME AFRICASTALKING_API_KEY AFRICASTALKING_BASE_URL

# --- generic HTTP, JSON ----------------------------------------------------------------------
export SMS_DRIVER=http SMS_HTTP_URL=$GW/generic/json SMS_HTTP_AUTH_HEADER="Authorization: $GW_AUTH" \
	SMS_HTTP_ID_FIELD=data.id
phase serve-http
HTXT='http "quoted" \ back & ünï'
H1=$(msg "$TIDA" +256700123456 "$HTXT")
H2=$(msg "$TIDA" +256700123456 "http case:perm")
H3=$(msg "$TIDA" +256700123456 "http case:5xx")
H4=$(msg "$TIDA" +256700123456 "http case:timeout")
t_ok "http: accepted message is sent" until_status "$H1" sent
t_is "$(last "$HTXT" '[.valid, .fields.to, .fields.from] | @tsv')" "$(printf 'true\t+256700123456\t%s' "$FROM")" \
	"http: JSON body with the Authorization header; the text JSON-escaped intact"
t_is "$(row "$H1" provider_ref)" "$(last "$HTXT" .ref)" "http: SMS_HTTP_ID_FIELD data.id is the provider_ref"
t_ok "http: 400 makes it failed" until_status "$H2" failed
t_is "$(seen "http case:perm")|$(row "$H2" error)" '1|http: HTTP 400: {"error": "rejected"}' "  once, with the answer"
t_ok "http: 503 then sent" until_status "$H3" sent
t_is "$(seen "http case:5xx")" 2 "  retried once"
t_ok "http: no answer then sent" until_status "$H4" sent
t_is "$(seen "http case:timeout")" 2 "  retried once"
t_is "$(grep -c -e "gw-secret" "$HS_SUITE_DIR/serve-http.log")" 0 "http: the auth header is not in the log"

# --- generic HTTP, a form by PUT -----------------------------------------------------------
export SMS_HTTP_URL=$GW/generic/form SMS_HTTP_METHOD=PUT \
	SMS_HTTP_CONTENT_TYPE=application/x-www-form-urlencoded SMS_HTTP_BODY='to={to}&from={from}&text={message}'
unset SMS_HTTP_ID_FIELD
phase serve-form
FTXT='form a=b&c d+e %41'
F1=$(msg "$TIDA" +256700123456 "$FTXT")
t_ok "form: accepted message is sent" until_status "$F1" sent
t_is "$(last "$FTXT" '[.valid, .method, .fields.to, .fields.text] | @tsv')" "$(printf 'true\tPUT\t+256700123456\t%s' "$FTXT")" \
	"form: PUT, the fields form-encoded intact"
t_is "$(row "$F1" "coalesce(provider_ref, '-')")" - "form: no id field, no provider_ref"
unset SMS_HTTP_URL SMS_HTTP_METHOD SMS_HTTP_CONTENT_TYPE SMS_HTTP_BODY SMS_HTTP_AUTH_HEADER

# --- a stand-in that refuses a wrong key -----------------------------------------------------
export SMS_DRIVER=twilio TWILIO_TOKEN=wrong-token
phase serve-badkey
W1=$(msg "$TIDA" +256700123456 "twilio wrong key")
t_ok "bad key: failed" until_status "$W1" failed
t_is "$(last "twilio wrong key" '[.valid, .problem] | @tsv')" "$(printf 'false\tauthorization')" \
	"bad key: the stand-in saw the wrong authorization"

# --- misconfiguration: retried, never sent ----------------------------------------------------
export TWILIO_SID=
phase serve-nosid
M1=$(msg "$TIDA" +256700123456 "twilio no sid")
t_ok "no sid: the attempt is recorded" hs_wait_sql $DB "SELECT error LIKE 'SMS_DRIVER=twilio needs TWILIO_SID%' FROM sms_messages WHERE id = '$M1'" 10
t_ok "no sid: the last of 5 attempts makes it failed" until_status "$M1" failed
t_is "$(row "$M1" attempts)|$(owner "SELECT status || '|' || attempts FROM jobs WHERE payload->>'sms_message_id' = '$M1'")" \
	"5|dead|5" "  after 5 attempts, its job dead"
t_is "$(seen "twilio no sid")" 0 "no sid: nothing reached the gateway"
hs_kill "$SERVE"

t_is "$(jq -s '[.[] | select(.valid == false)] | length' "$LOG")" 1 "the stand-in found no other bad request"
t_done
