#!/usr/bin/env bash
# hotspotd serve: /api/v1/vouchers over real HTTP. The list's filters
# (status, profile, router, customer, batch, from/to in the tenant's time
# zone, search by code), sort and pages, 422 per query argument; the
# details with usage and sessions; resend-sms (sms_messages row and
# sms.send job), transfer (rules), refund (amount, once), disable (one
# radius.disconnect job per open session, through the RADIUS path's SQL);
# every action audited; tenant isolation; injection attempts that do nothing.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

DB=hs_api_vouchers
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 COA_TIMEOUT=1 COA_RETRIES=0
# Router R1 is this machine, outside the default ROUTER_ALLOWED_NETWORKS.
export ROUTER_ALLOWED_NETWORKS=127.0.0.0/8,10.0.0.0/8

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
V=$base/api/v1/vouchers

b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
TIDA=$(owner "SELECT id FROM tenants WHERE slug = 'ten-a'")
TIDB=$(owner "SELECT id FROM tenants WHERE slug = 'ten-b'")
ADMA=$(owner "SELECT id FROM admins WHERE email = 'ten-a@example.org'")

# --- fixtures ------------------------------------------------------------------------------
as "$TA" POST "$base/api/v1/profiles" -d '{"name":"1GB-DAILY","data_limit_mb":1024,"validity_hours":24,"time_limit_hours":3,"price":5000}' >/dev/null
PA=$(j .data.id)
as "$TA" POST "$base/api/v1/profiles" -d '{"name":"WEEK","validity_days":7,"price":20000}' >/dev/null
PW=$(j .data.id)
as "$TA" POST "$base/api/v1/router-management" -d '{"name":"R1","ip_address":"127.0.0.1","coa_port":9}' >/dev/null
RA1=$(j .data.id)
as "$TA" POST "$base/api/v1/router-management" -d '{"name":"R2","ip_address":"10.30.0.2"}' >/dev/null
RA2=$(j .data.id)
as "$TB" POST "$base/api/v1/router-management" -d '{"name":"RB","ip_address":"10.30.0.3"}' >/dev/null
RB=$(j .data.id)
CA1=$(owner "INSERT INTO customers (tenant_id, name, phone) VALUES ('$TIDA', 'Alice', '+256700000001') RETURNING id")
CA2=$(owner "INSERT INTO customers (tenant_id, name) VALUES ('$TIDA', 'No Phone') RETURNING id")
CB=$(owner "INSERT INTO customers (tenant_id, name, phone) VALUES ('$TIDB', 'Bob', '+256700000009') RETURNING id")
t_is "$(as "$TA" POST "$V/batch-generate" -d "{\"profile\":\"$PA\",\"quantity\":6}")" 201 "fixture: 6 vouchers of 1GB-DAILY"
BX=$(j .data.batch.id)
mapfile -t X < <(j '.data.vouchers[].code')
t_is "$(as "$TA" POST "$V/batch-generate" -d "{\"profile\":\"$PW\",\"quantity\":3,\"router_id\":\"$RA1\",\"customer_phone\":\"+256700000001\"}")" \
	201 "fixture: 3 WEEK vouchers for Alice on R1"
BY=$(j .data.batch.id)
mapfile -t Y < <(j '.data.vouchers[].code')
t_is "$(as "$TB" POST "$base/api/v1/profiles" -d '{"name":"BP"}')" 201 "fixture: B's profile"
t_is "$(as "$TB" POST "$V/batch-generate" -d '{"profile":"BP","quantity":2}')" 201 "fixture: B's vouchers"
BCODE=$(j .data.vouchers[0].code)
vid() { owner "SELECT id FROM vouchers WHERE code = '$1'"; }
# session CODE UID OPEN: a RADIUS session of the voucher on R1 (1 GB in, 0.5 GB out, 1 h).
session() {
	owner "INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
		acct_session_id, nas_ip, calling_station_id, framed_ip, started_at, last_update_at,
		stopped_at, input_octets, output_octets, session_time, terminate_cause)
		SELECT tenant_id, id, '$RA1', code, '$2', 'sid-$2', '127.0.0.1', 'AA:BB:CC:00:00:0$3',
		'10.5.0.$3', now() - interval '2 hours', now() - interval '1 minute',
		CASE WHEN $3 = 1 THEN NULL ELSE now() - interval '90 minutes' END,
		300000000, 200000000, 3600, CASE WHEN $3 = 1 THEN NULL ELSE 'User-Request' END
		FROM vouchers WHERE code = '$1' RETURNING id"
}
S_OPEN=$(session "${X[0]}" u1 1)
S_DONE=$(session "${X[0]}" u2 2)
S_OPEN2=$(session "${X[0]}" u3 1)
owner "UPDATE vouchers SET used_bytes = 1000000000, used_seconds = 7200, activated_at = now() - interval '2 hours',
	expires_at = now() + interval '22 hours' WHERE code = '${X[0]}'" >/dev/null

# --- list ----------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$V")" 200 "the list"
t_is "$(j '[.meta.total, .meta.per_page, .meta.current_page, .meta.last_page, (.data | length)] | @tsv')" \
	"$(printf '9\t15\t1\t1\t9')" "A's 9 vouchers with meta"
t_is "$(j '[.data[0] | has("code"), has("password"), has("profile"), has("validity_hours"), has("data_limit_mb"), has("price"), has("currency"), has("status"), has("customer_id"), has("mikrotik_device_id"), has("activated_at"), has("expires_at")] | all')" \
	true "each in the seed's shape"
t_is "$(as "$TA" GET "$V?per_page=4&page=3")" 200 "page 3 of 4"
t_is "$(j '[.meta.last_page, (.data | length)] | @tsv')" "$(printf '3\t1')" "the last page holds one"
t_is "$(as "$TA" GET "$V?per_page=100&sort_by=code&sort_order=asc")" 200 "sorted by code"
t_is "$(j '[.data[].code] | . == sort')" true "in code order"
t_is "$(as "$TA" GET "$V?batch_id=$BY")" 200 "filter by batch"
t_is "$(j '[.meta.total, ([.data[].code] | sort | join(","))] | @tsv')" "$(printf '3\t%s' "$(printf '%s\n' "${Y[@]}" | sort | paste -sd,)")" "only that batch's"
t_is "$(as "$TA" GET "$V?profile_id=$PW")" 200 "filter by profile"
t_is "$(j .meta.total)" 3 "  3 WEEK vouchers"
t_is "$(as "$TA" GET "$V?router_id=$RA1")" 200 "filter by router"
t_is "$(j .meta.total)" 3 "  3 on R1"
t_is "$(as "$TA" GET "$V?customer_id=$CA1")" 200 "filter by customer"
t_is "$(j '[.meta.total, .data[0].customer_id] | @tsv')" "$(printf '3\t%s' "$CA1")" "  Alice's 3"
owner "UPDATE vouchers SET status = 'expired' WHERE code = '${X[5]}'" >/dev/null
t_is "$(as "$TA" GET "$V?status=expired")" 200 "filter by status"
t_is "$(j '[.meta.total, .data[0].code] | @tsv')" "$(printf '1\t%s' "${X[5]}")" "  the expired one"
part=${X[1]:2:5}
t_is "$(as "$TA" GET "$V?search=$(echo "$part" | tr 'A-Z' 'a-z')")" 200 "search by part of a code, lower case"
t_is "$(j '[.data[].code] | index("'"${X[1]}"'") != null')" true "  finds it"
# created_at: 2026-01-15 22:30 UTC is 2026-01-16 01:30 in Kampala.
owner "UPDATE tenants SET time_zone = 'Africa/Kampala' WHERE id = '$TIDA'" >/dev/null
owner "UPDATE vouchers SET created_at = '2026-01-15 22:30:00+00' WHERE code = '${X[2]}'" >/dev/null
owner "UPDATE vouchers SET created_at = '2026-01-10 12:00:00+00' WHERE code = '${X[3]}'" >/dev/null
t_is "$(as "$TA" GET "$V?from=2026-01-16&to=2026-01-16")" 200 "from/to as days"
t_is "$(j '[.meta.total, .data[0].code] | @tsv')" "$(printf '1\t%s' "${X[2]}")" "  days in the tenant's time zone"
t_is "$(as "$TA" GET "$V?from=2026-01-15&to=2026-01-15")" 200 "the day before"
t_is "$(j .meta.total)" 0 "  is empty there"
t_is "$(as "$TA" GET "$V?to=2026-01-16")" 200 "to alone"
t_is "$(j .meta.total)" 2 "  includes that day and before"
t_is "$(as "$TA" GET "$V?from=2026-01-15T22:00:00Z&to=2026-01-15T23:00:00%2B00:00")" 200 "from/to as RFC 3339 times"
t_is "$(j '[.meta.total, .data[0].code] | @tsv')" "$(printf '1\t%s' "${X[2]}")" "  the one in that hour"
t_is "$(as "$TA" GET "$V?from=2026-01-11")" 200 "from alone"
t_is "$(j .meta.total)" 8 "  leaves out the older one"
t_is "$(as "$TA" GET "$V?status=active&profile_id=$PA&from=2026-01-01&per_page=1")" 200 "filters together"
t_is "$(j '[.meta.total, .meta.last_page] | @tsv')" "$(printf '5\t5')" "  combine"

badq() { # badq QUERY FIELD
	t_is "$(as "$TA" GET "$V?$1")" 422 "list with $1 is 422"
	t_is "$(j ".errors | has(\"$2\")")" true "  with errors.$2"
}
badq "status=bogus" status
badq "status=active%27%20OR%20%271%27%3D%271" status
badq "profile_id=x" profile_id
badq "profile_id=$PA%27--" profile_id
badq "router_id=1" router_id
badq "customer_id=abc" customer_id
badq "batch_id=00000000-0000-4000-8000" batch_id
badq "from=2026-02-30" from
badq "from=2026-13-01" from
badq "to=yesterday" to
badq "to=2026-01-15T25:00:00Z" to
badq "from=2026-01-15T10:00:00" from
badq "from=2026-01-16&to=2026-01-15" to
badq "per_page=0" per_page
badq "per_page=101" per_page
badq "page=0" page
badq "page=-1" page
badq "sort_by=password" sort_by
badq "sort_order=up" sort_order
badq "search=$(printf 'z%.0s' $(seq 1 65))" search
t_is "$(as "$TA" GET "$V?search=%27%20OR%201%3D1%20--")" 200 "an injection attempt in search"
t_is "$(j .meta.total)" 0 "  finds nothing"
t_is "$(as "$TA" GET "$V?search=%25")" 200 "search for %"
t_is "$(j .meta.total)" 0 "  % is a plain character"
t_is "$(owner "SELECT count(*) FROM vouchers")" 11 "the table is intact"

# --- details ----------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$V/${X[0]}")" 200 "a voucher's details by code"
t_is "$(j '[.data.code, .data.profile, .data.status, .data.batch_id] | @tsv')" "$(printf '%s\t1GB-DAILY\tactive\t%s' "${X[0]}" "$BX")" "code, profile, status, batch"
t_is "$(j '.data.usage | [.bytes_used, .bytes_left, .seconds_used, .seconds_left, .sessions_open, .sessions_total] | @tsv')" \
	"$(printf '1000000000\t73741824\t7200\t3600\t2\t3')" "usage: bytes and seconds used and left, sessions"
t_like "$(j .data.usage.expires_in_seconds)" '^(79[0-9]{3})$' "  seconds to expiry (~22 h)"
t_is "$(j '.data.sessions | length')" 3 "its sessions"
t_is "$(j "[.data.sessions[] | select(.id == \"$S_DONE\") | .bytes, .session_time, .open, .terminate_cause, .calling_station_id, .framed_ip] | @tsv")" \
	"$(printf '500000000\t3600\tfalse\tUser-Request\tAA:BB:CC:00:00:02\t10.5.0.2')" "  with counters and state"
t_is "$(j "[.data.sessions[] | select(.id == \"$S_OPEN\") | .open, .router_id] | @tsv")" "$(printf 'true\t%s' "$RA1")" "  an open one"
t_is "$(as "$TA" GET "$V/${Y[0]}")" 200 "details of a voucher with a customer and router"
t_is "$(j '[.data.customer.name, .data.customer.phone, .data.router.name, .data.usage.bytes_left, .data.usage.seconds_left, (.data.sessions | length)] | @tsv')" \
	"$(printf 'Alice\t+256700000001\tR1\t\t\t0')" "  the customer, router; no limit, nothing left to count (null)"
t_is "$(as "$TA" GET "$V/NOSUCHCODE")" 404 "an unknown code is 404"
t_is "$(as "$TA" GET "$V/a%3Cb%3E")" 404 "a code with odd characters is 404"
t_is "$(as "$TA" GET "$V/$BCODE")" 404 "another tenant's code is 404"
t_is "$(as "$TB" GET "$V/${X[0]}")" 404 "B cannot read A's voucher"
t_is "$(as "$TB" GET "$V?per_page=100")" 200 "B lists vouchers"
t_is "$(j '[.meta.total, ([.data[].code] | index("'"$BCODE"'") != null)] | @tsv')" "$(printf '2\ttrue')" "  only its own two"
t_is "$(as "$TB" GET "$V?search=${X[0]}")" 200 "B searches for A's code"
t_is "$(j .meta.total)" 0 "  and finds nothing"

# --- disable -----------------------------------------------------------------------------------
t_is "$(as "$TB" POST "$V/${X[0]}/disable")" 404 "B cannot disable A's voucher"
t_is "$(owner "SELECT status FROM vouchers WHERE code = '${X[0]}'")" active "  it stays active"
t_is "$(as "$TA" POST "$V/${X[0]}/disable" -d '{"reason":"stolen"}')" 200 "disable"
t_is "$(j '[.data.status, .data.disconnects_queued, .message] | @tsv')" "$(printf 'disabled\t2\tVoucher disabled')" \
	"status disabled; a disconnect per open session"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'radius.disconnect' AND tenant_id = '$TIDA' AND payload->>'session_id' IN ('$S_OPEN', '$S_OPEN2') AND payload->>'reason' = 'disabled' AND dedup_key = 'radius.disconnect:' || (payload->>'session_id')")" \
	2 "a radius.disconnect job for each open session (the RADIUS path's payload and key)"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'radius.disconnect' AND payload->>'session_id' = '$S_DONE'")" 0 \
	"  none for the stopped one"
t_is "$(owner "SELECT string_agg(coalesce(disconnect_reason, '-'), ',' ORDER BY acct_unique_id) FROM radius_sessions WHERE voucher_id = '$(vid "${X[0]}")'")" \
	"disabled,-,disabled" "the open sessions are marked"
t_is "$(as "$TA" POST "$V/${X[0]}/disable")" 409 "disabling it again is 409"
t_is "$(as "$TA" POST "$V/${X[5]}/disable")" 409 "disabling an expired voucher is 409"
t_is "$(as "$TA" POST "$V/NOSUCH/disable")" 404 "disabling an unknown code is 404"
t_is "$(as "$TA" POST "$V/${X[1]}/disable" -d '{"reason":5}')" 422 "a numeric reason is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/disable" -d '[]')" 422 "a body that is not an object is 422"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'radius.disconnect'")" 2 "no other disconnect was queued"

# --- refund --------------------------------------------------------------------------------------
S_R=$(session "${X[4]}" u4 1)
t_is "$(as "$TA" POST "$V/${X[4]}/refund" -d '{"amount":3000,"reason":"customer asked"}')" 200 "refund part of the price"
t_is "$(j '[.data.status, .data.refund_amount, (.data.refunded_at != null), .data.disconnects_queued] | @tsv')" \
	"$(printf 'refunded\t3000\ttrue\t1')" "status refunded, amount recorded, its session cut"
t_is "$(owner "SELECT refund_minor || '|' || refund_reason FROM vouchers WHERE code = '${X[4]}'")" "3000|customer asked" "stored"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'radius.disconnect' AND payload->>'session_id' = '$S_R' AND payload->>'reason' = 'refunded'")" \
	1 "a radius.disconnect job for its open session"
t_is "$(as "$TA" POST "$V/${X[4]}/refund")" 409 "refunding it again is 409"
t_is "$(as "$TA" POST "$V/${X[0]}/refund")" 200 "a disabled voucher can be refunded, by default its whole price"
t_is "$(j '[.data.status, .data.refund_amount, .data.disconnects_queued] | @tsv')" "$(printf 'refunded\t5000\t0')" \
	"  sessions already being cut are not queued twice"
t_is "$(as "$TA" POST "$V/${X[1]}/refund" -d '{"amount":5001}')" 422 "more than the price is 422"
t_is "$(j '.errors | has("amount")')" true "  with errors.amount"
t_is "$(as "$TA" POST "$V/${X[1]}/refund" -d '{"amount":10.5}')" 422 "cents of UGX is 422"
t_is "$(j '.errors | has("amount")')" true "  with errors.amount"
t_is "$(as "$TA" POST "$V/${X[1]}/refund" -d '{"amount":-1}')" 422 "a negative amount is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/refund" -d '{"amount":"all"}')" 422 "an amount in words is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/refund" -d "{\"reason\":\"$(printf 'r%.0s' $(seq 1 501))\"}")" 422 "a reason of 501 characters is 422"
t_is "$(owner "SELECT status FROM vouchers WHERE code = '${X[1]}'")" active "refused refunds changed nothing"
t_is "$(as "$TB" POST "$V/${X[1]}/refund")" 404 "B cannot refund A's voucher"
t_is "$(as "$TA" POST "$V/NOSUCH/refund")" 404 "refunding an unknown code is 404"

# --- transfer -------------------------------------------------------------------------------------
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d "{\"customer_id\":\"$CA2\"}")" 200 "transfer to another customer"
t_is "$(j '[.data.customer_id, (.data.sold_at != null)] | @tsv')" "$(printf '%s\ttrue' "$CA2")" "  the customer is set, the voucher sold"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d "{\"router_id\":\"$RA2\"}")" 200 "transfer to a router"
t_is "$(j '[.data.router_id, .data.customer_id] | @tsv')" "$(printf '%s\t%s' "$RA2" "$CA2")" "  the router changes, the customer stays"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d '{"customer_phone":"+256700000077","customer_name":"Carol"}')" 200 "transfer to a new customer by phone"
NEWC=$(j .data.customer_id)
t_is "$(owner "SELECT name || '|' || phone FROM customers WHERE id = '$NEWC'")" "Carol|+256700000077" "  the customer is made"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d '{"customer_id":null,"router_id":null}')" 200 "null detaches both"
t_is "$(j '[.data.customer_id, .data.router_id] | @tsv')" "$(printf '\t')" "  no customer, any router"
S_T=$(session "${X[2]}" u5 1)
t_is "$(as "$TA" POST "$V/${X[2]}/transfer" -d "{\"router_id\":\"$RA2\"}")" 409 "moving a voucher with a live session to another router is 409"
t_is "$(as "$TA" POST "$V/${X[2]}/transfer" -d "{\"customer_id\":\"$CA1\"}")" 200 "  its customer may change"
t_is "$(as "$TA" POST "$V/${X[0]}/transfer" -d "{\"customer_id\":\"$CA1\"}")" 409 "a refunded voucher is not transferred"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d "{\"customer_id\":\"$CB\"}")" 422 "another tenant's customer is 422"
t_is "$(j '.errors | has("customer_id")')" true "  with errors.customer_id"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d "{\"router_id\":\"$RB\"}")" 422 "another tenant's router is 422"
t_is "$(j '.errors | has("router_id")')" true "  with errors.router_id"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d '{"customer_id":"00000000-0000-4000-8000-000000000000"}')" 422 "an unknown customer is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d '{"customer_id":"nope"}')" 422 "a customer id that is not a UUID is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d '{"router_id":7}')" 422 "a numeric router id is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d "{\"customer_id\":\"$CA1\",\"customer_phone\":\"+256700000001\"}")" 422 "customer_id with customer_phone is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d '{"customer_phone":"12"}')" 422 "a short phone is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer" -d '{"customer_name":"Dan"}')" 422 "a name without a phone is 422"
t_is "$(as "$TA" POST "$V/${X[1]}/transfer")" 422 "an empty transfer is 422"
t_is "$(j '.errors | has("body")')" true "  with errors.body"
t_is "$(as "$TB" POST "$V/${X[1]}/transfer" -d "{\"customer_id\":\"$CB\"}")" 404 "B cannot transfer A's voucher"
t_is "$(as "$TA" POST "$V/NOSUCH/transfer" -d "{\"customer_id\":\"$CA1\"}")" 404 "transferring an unknown code is 404"
t_is "$(owner "SELECT coalesce(customer_id::text, '-') || '|' || coalesce(router_id::text, '-') FROM vouchers WHERE code = '${X[1]}'")" "-|-" \
	"refused transfers changed nothing"

# --- resend-sms ---------------------------------------------------------------------------------------
t_is "$(as "$TA" POST "$V/${Y[0]}/resend-sms")" 202 "resend to the customer's phone (202)"
SMS=$(j .data.sms.id)
t_is "$(j '[.data.sms.to_phone, .data.sms.status, .message] | @tsv')" "$(printf '+256700000001\tqueued\tSMS queued')" "queued to Alice"
# The SMS worker may already be sending it (docs/sms.md): any state on the way counts.
t_is "$(owner "SELECT to_phone || '|' || (status IN ('queued', 'sending', 'sent')) || '|' || driver || '|' || (voucher_id = '$(vid "${Y[0]}")') || '|' || (customer_id = '$CA1') FROM sms_messages WHERE id = '$SMS'")" \
	"+256700000001|true|default|true|true" "an sms_messages row"
t_like "$(owner "SELECT body FROM sms_messages WHERE id = '$SMS'")" "Code: ${Y[0]} Password: [2-9]{6}\. Unlimited data, 7 days" "  whose text has the code, password and terms"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'sms.send' AND tenant_id = '$TIDA' AND payload->>'sms_message_id' = '$SMS'")" 1 \
	"an sms.send job for the SMS worker"
t_is "$(as "$TA" POST "$V/${Y[1]}/resend-sms" -d '{"phone":"+256777123456"}')" 202 "resend to another phone"
t_is "$(owner "SELECT to_phone FROM sms_messages WHERE id = '$(j .data.sms.id)'")" "+256777123456" "  recorded with that phone"
t_is "$(as "$TA" POST "$V/${X[3]}/resend-sms")" 422 "no customer and no phone is 422"
t_is "$(j '.errors | has("phone")')" true "  with errors.phone"
t_is "$(as "$TA" POST "$V/${X[3]}/resend-sms" -d '{"phone":"0800-SMS"}')" 422 "a bad phone is 422"
t_is "$(as "$TA" POST "$V/${X[0]}/resend-sms" -d '{"phone":"+256777123456"}')" 409 "a refunded voucher is not sent"
t_is "$(as "$TA" POST "$V/NOSUCH/resend-sms")" 404 "an unknown code is 404"
t_is "$(as "$TB" POST "$V/${Y[0]}/resend-sms" -d '{"phone":"+256777123456"}')" 404 "B cannot send A's voucher"
t_is "$(owner "SELECT count(*) FROM sms_messages")" 2 "refused requests recorded no SMS"

# --- abilities ---------------------------------------------------------------------------------------------
RO=$(api_tok)
owner "INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
	VALUES ('$TIDA', '$ADMA', 'ro', '$(api_sha "$RO")', ARRAY['vouchers.read'])" >/dev/null
t_is "$(as "$RO" GET "$V/${X[1]}")" 200 "vouchers.read reads"
for a in disable refund transfer resend-sms; do
	t_is "$(as "$RO" POST "$V/${X[1]}/$a" -d '{}')" 403 "vouchers.read cannot $a"
done
t_is "$(as "$RO" POST "$V/batch-generate" -d '{}')" 403 "nor generate"

# --- audit -------------------------------------------------------------------------------------------------
t_is "$(owner "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE object_type = 'voucher' AND object_id = '$(vid "${X[0]}")'")" \
	"voucher.disable,voucher.refund" "disable and refund are audited"
t_is "$(owner "SELECT details->>'reason' || '|' || (details->>'disconnects_queued') || '|' || (admin_id = '$ADMA') || '|' || host(ip) FROM audit_log WHERE action = 'voucher.disable'")" \
	"stolen|2|true|127.0.0.1" "  with the reason, the jobs, the admin and the address"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'voucher.transfer' AND object_id = '$(vid "${X[1]}")'")" 4 "each transfer is audited"
t_is "$(owner "SELECT details->'to'->>'router_id' FROM audit_log WHERE action = 'voucher.transfer' ORDER BY id OFFSET 1 LIMIT 1")" "$RA2" "  from and to"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'voucher.resend_sms'")" 2 "each SMS is audited"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE tenant_id = '$TIDB' AND action LIKE 'voucher.%' AND action <> 'voucher.batch_generate'")" 0 \
	"B's refused attempts left no audit row"

t_ok "hotspotd is still running" hs_running serve
t_done
