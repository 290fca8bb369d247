#!/usr/bin/env bash
# hotspotd serve: POST /api/v1/vouchers/batch-generate, GET
# /api/v1/vouchers/batches/{id} and its printable page, and the command
# hotspotd vouchers generate. 10,000 vouchers in one request (count,
# uniqueness, prefix, alphabet without look-alikes), the seed's bodies,
# terms copied and overridden, SMS queued, unique codes drawn again when
# the code space is small, 422 per field, the print page (codes, QR codes
# as SVG, HTML escaping), the command with and without a terminal, tenant
# isolation.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_vbatch
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
G=$base/api/v1/vouchers/batch-generate
BT=$base/api/v1/vouchers/batches

b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
TIDA=$(owner "SELECT id FROM tenants WHERE slug = 'ten-a'")

t_is "$(as "$TA" POST "$base/api/v1/profiles" -d '{"name":"1GB-DAILY","data_limit_mb":1024,"validity_hours":24,"price":5000,"rate_limit":"2M/2M","shared_users":2,"mac_lock":true,"time_limit_hours":3}')" \
	201 "fixture: A's profile 1GB-DAILY"
PA=$(j .data.id)
t_is "$(as "$TA" POST "$base/api/v1/profiles" -d '{"name":"CODE-ONLY","validity_days":7,"price":25000,"code_only":true}')" \
	201 "fixture: a code-only profile"
PC=$(j .data.id)
t_is "$(as "$TB" POST "$base/api/v1/profiles" -d '{"name":"B-PROFILE","price":1}')" 201 "fixture: B's profile"
PB=$(j .data.id)
t_is "$(as "$TA" POST "$base/api/v1/router-management" -d '{"name":"A router","ip_address":"10.20.0.1"}')" 201 "fixture: A's router"
RA=$(j .data.id)
t_is "$(as "$TB" POST "$base/api/v1/router-management" -d '{"name":"B router","ip_address":"10.20.0.2"}')" 201 "fixture: B's router"
RB=$(j .data.id)

ALPHA='23456789ABCDEFGHJKMNPQRSTUVWXYZ'

# --- 10,000 in one request -------------------------------------------------------
t0=$(date +%s.%N)
t_is "$(as "$TA" POST "$G" --max-time 120 -d "{\"quantity\":10000,\"profile\":\"$PA\",\"code_prefix\":\"BIL\"}")" 201 \
	"10,000 vouchers in one request (201)"
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
echo "# 10,000 vouchers in ${secs}s"
t_ok "  within 30 seconds on this machine (${secs}s)" test "$(echo "$secs < 30" | bc)" = 1
BIG=$(j .data.batch.id)
t_is "$(j '[.data.batch.quantity, .data.batch.counts.active, .data.batch.profile, (.data.vouchers == null), .data.sms_queued] | @tsv')" \
	"$(printf '10000\t10000\t1GB-DAILY\ttrue\t0')" "the answer is the batch and its counts, without the list"
t_is "$(j '.data.batch.links | [.vouchers, .print] | @tsv')" \
	"$(printf '/api/v1/vouchers?batch_id=%s\t/api/v1/vouchers/batches/%s/print' "$BIG" "$BIG")" "with links to the list and the print page"
t_is "$(owner "SELECT count(*), count(DISTINCT code) FROM vouchers WHERE batch_id = '$BIG'")" "10000|10000" \
	"10,000 rows, 10,000 distinct codes"
t_is "$(owner "SELECT count(*) FROM vouchers WHERE batch_id = '$BIG' AND code ~ '^BIL[$ALPHA]{10}\$'")" 10000 \
	"every code is BIL + 10 symbols of the alphabet without look-alikes"
t_is "$(owner "SELECT count(*) FROM vouchers WHERE batch_id = '$BIG' AND substr(code, 4) ~ '[01OIL]'")" 0 \
	"no 0, 1, O, I or L after the prefix"
t_is "$(owner "SELECT count(*) FROM vouchers WHERE batch_id = '$BIG' AND password ~ '^[2-9]{6}\$'")" 10000 \
	"passwords are 6 digits 2-9"
t_is "$(owner "SELECT count(DISTINCT substr(code, 4, 1)) FROM vouchers WHERE batch_id = '$BIG'")" 31 \
	"the first symbol takes all 31 values"
t_is "$(owner "SELECT DISTINCT data_limit_bytes || '|' || validity_seconds || '|' || time_limit_seconds || '|' || rate_limit || '|' || shared_users || '|' || mac_lock || '|' || price_minor || '|' || currency || '|' || status || '|' || auto_activate || '|' || (expires_at IS NULL) FROM vouchers WHERE batch_id = '$BIG'")" \
	"1073741824|86400|10800|2M/2M|2|true|5000|UGX|active|false|true" "each voucher copies the profile's terms; validity starts at first login"

# --- the seed's bodies --------------------------------------------------------------------
t_is "$(as "$TA" POST "$G" -d '{"quantity":100,"profile":"1GB-DAILY","validity_hours":24,"price":5000,"data_limit_mb":1024}')" \
	201 "the seed's bulk body (profile by name)"
t_is "$(j '[(.data.vouchers | length), .data.vouchers[0].profile, .data.vouchers[0].validity_hours, .data.vouchers[0].data_limit_mb, .data.vouchers[0].price, .data.vouchers[0].currency, .data.vouchers[0].status] | @tsv')" \
	"$(printf '100\t1GB-DAILY\t24\t1024\t5000\tUGX\tactive')" "lists its 100 vouchers in the seed's shape"
t_is "$(j '[.data.vouchers[0] | has("code"), has("password"), has("customer_id"), has("mikrotik_device_id"), has("activated_at"), has("expires_at")] | all')" \
	true "code, password, customer_id, mikrotik_device_id, activated_at, expires_at are there"
t_like "$(j .data.vouchers[0].code)" "^[$ALPHA]{10}\$" "without a prefix: the tenant's (none)"

t_is "$(as "$TA" POST "$G" -d "{\"profile\":\"$PA\",\"quantity\":3,\"validity_hours\":48,\"price\":10000,\"data_limit_mb\":2048,\"currency\":\"UGX\",\"code_prefix\":\"BIL\",\"auto_activate\":true,\"send_sms\":true,\"customer_name\":\"John Doe\",\"customer_phone\":\"+256700123456\",\"router_id\":\"$RA\",\"name\":\"Counter sale\"}")" \
	201 "the seed's advanced body (SMS, customer, router, auto-activation)"
SALE=$(j .data.batch.id)
t_is "$(j '[.data.sms_queued, .data.batch.name, (.data.vouchers | length)] | @tsv')" "$(printf '3\tCounter sale\t3')" "3 SMS queued"
t_is "$(j '[.data.vouchers[] | .validity_hours, .data_limit_mb, .price, .router_id == "'"$RA"'", .auto_activate, (.expires_at != null), (.sold_at != null), (.customer_id != null)] | unique | map(tostring) | join(",")')" \
	"true,48,2048,10000" "48 h, 2048 MB, 10000 UGX, the router, sold and running now"
CUST=$(j .data.vouchers[0].customer_id)
t_is "$(owner "SELECT name || '|' || phone FROM customers WHERE id = '$CUST'")" "John Doe|+256700123456" "the customer is recorded"
t_is "$(owner "SELECT count(*) FROM vouchers WHERE batch_id = '$SALE' AND expires_at BETWEEN now() + interval '47 hours 59 minutes' AND now() + interval '48 hours 1 minute'")" \
	3 "auto_activate: validity runs from the sale"
t_is "$(owner "SELECT count(*) FROM sms_messages WHERE voucher_id IN (SELECT id FROM vouchers WHERE batch_id = '$SALE') AND to_phone = '+256700123456' AND status IN ('queued', 'sending', 'sent') AND customer_id = '$CUST'")" \
	3 "an sms_messages row per voucher"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'sms.send' AND tenant_id = '$TIDA' AND (payload->>'sms_message_id')::uuid IN (SELECT id FROM sms_messages)")" \
	3 "and an sms.send job per message"
t_is "$(as "$TA" POST "$G" -d '{"profile":"1GB-DAILY","quantity":1,"customer_phone":"+256700123456"}')" 201 "the same phone again"
t_is "$(j .data.vouchers[0].customer_id)" "$CUST" "finds the same customer"

t_is "$(as "$TA" POST "$G" -d '{"profile":"CODE-ONLY","quantity":5}')" 201 "a code-only profile"
t_is "$(j '[.data.vouchers[] | .password == .code] | all')" true "the password is the code"
t_is "$(as "$TA" POST "$G" -d '{"profile":"1GB-DAILY","quantity":1,"price":12.5,"currency":"USD"}')" 201 \
	"a price in another currency"
t_is "$(j '[.data.vouchers[0].price_minor, .data.vouchers[0].currency] | @tsv')" "$(printf '1250\tUSD')" "stored in its minor units"

# --- validation: 422 per field -----------------------------------------------------------------
bad() { # bad BODY FIELD NAME
	t_is "$(as "$TA" POST "$G" -d "$1")" 422 "$3 is 422"
	t_is "$(j ".errors | has(\"$2\")")" true "  with errors.$2"
}
bad '{"profile":"1GB-DAILY"}' quantity "a missing quantity"
bad '{"profile":"1GB-DAILY","quantity":0}' quantity "quantity 0"
bad '{"profile":"1GB-DAILY","quantity":10001}' quantity "quantity 10001"
bad '{"profile":"1GB-DAILY","quantity":"5"}' quantity "quantity as text"
bad '{"profile":"1GB-DAILY","quantity":1.5}' quantity "a fractional quantity"
bad '{"quantity":1}' profile "a missing profile"
bad '{"quantity":1,"profile":""}' profile "an empty profile"
bad '{"quantity":1,"profile":7}' profile "a numeric profile"
bad '{"quantity":1,"profile":"NO-SUCH"}' profile "an unknown profile name"
bad "{\"quantity\":1,\"profile\":\"$PB\"}" profile "another tenant's profile id"
bad '{"quantity":1,"profile":"B-PROFILE"}' profile "another tenant's profile name"
bad '{"quantity":1,"profile":"1GB-DAILY","validity_hours":0}' validity_hours "validity_hours 0"
bad '{"quantity":1,"profile":"1GB-DAILY","validity_hours":2.5}' validity_hours "fractional validity_hours"
bad '{"quantity":1,"profile":"1GB-DAILY","validity_hours":87601}' validity_hours "validity over 10 years"
bad '{"quantity":1,"profile":"1GB-DAILY","data_limit_mb":0}' data_limit_mb "data_limit_mb 0"
bad '{"quantity":1,"profile":"1GB-DAILY","data_limit_mb":"big"}' data_limit_mb "data_limit_mb as text"
bad '{"quantity":1,"profile":"1GB-DAILY","price":-5}' price "a negative price"
bad '{"quantity":1,"profile":"1GB-DAILY","price":50.5}' price "cents of UGX"
bad '{"quantity":1,"profile":"1GB-DAILY","currency":"USD"}' price "another currency without a price"
bad '{"quantity":1,"profile":"1GB-DAILY","currency":"dollars"}' currency "a bad currency"
bad '{"quantity":1,"profile":"1GB-DAILY","code_prefix":"B L"}' code_prefix "a prefix with a blank"
bad '{"quantity":1,"profile":"1GB-DAILY","code_prefix":"ABCDEFGHIJKLMNOPQ"}' code_prefix "a prefix of 17"
bad '{"quantity":1,"profile":"1GB-DAILY","code_prefix":"X'"'"';--"}' code_prefix "a prefix with SQL"
bad '{"quantity":1,"profile":"1GB-DAILY","code_prefix":""}' code_prefix "an empty prefix"
bad '{"quantity":1,"profile":"1GB-DAILY","auto_activate":"yes"}' auto_activate "auto_activate as text"
bad '{"quantity":1,"profile":"1GB-DAILY","send_sms":1}' send_sms "send_sms as a number"
bad '{"quantity":1,"profile":"1GB-DAILY","send_sms":true}' customer_phone "send_sms without a phone"
bad '{"quantity":101,"profile":"1GB-DAILY","send_sms":true,"customer_phone":"+256700000001"}' send_sms "SMS for 101 vouchers"
bad '{"quantity":1,"profile":"1GB-DAILY","customer_phone":"call me"}' customer_phone "a phone in words"
bad "{\"quantity\":1,\"profile\":\"1GB-DAILY\",\"customer_name\":\"$(printf 'n%.0s' $(seq 1 201))\"}" customer_name "a customer name of 201"
bad '{"quantity":1,"profile":"1GB-DAILY","router_id":"router-1"}' router_id "a router id that is not a UUID"
bad '{"quantity":1,"profile":"1GB-DAILY","router_id":"00000000-0000-4000-8000-000000000000"}' router_id "an unknown router"
bad "{\"quantity\":1,\"profile\":\"1GB-DAILY\",\"router_id\":\"$RB\"}" router_id "another tenant's router"
bad "{\"quantity\":1,\"profile\":\"1GB-DAILY\",\"name\":\"$(printf 'n%.0s' $(seq 1 201))\"}" name "a batch name of 201"
owner "UPDATE profiles SET is_active = false WHERE name = 'CODE-ONLY'" >/dev/null
bad '{"quantity":1,"profile":"CODE-ONLY"}' profile "an inactive profile"
t_is "$(j '.errors.profile[0]')" "the profile is not active" "  saying so"
owner "UPDATE profiles SET is_active = true WHERE name = 'CODE-ONLY'" >/dev/null
t_is "$(as "$TA" POST "$G" -d 'quantity=5')" 422 "a body that is not JSON is 422"
t_is "$(owner "SELECT count(*) FROM voucher_batches") $(owner "SELECT count(*) FROM vouchers")" "6 10110" \
	"no refused request stored a batch or a voucher"

# --- small code space: codes drawn again, then refused ---------------------------------------------
owner "UPDATE tenants SET voucher_code_alphabet = 'ABCD', voucher_code_length = 4 WHERE slug = 'ten-a'" >/dev/null
# (64 of 256: some of the first draws collide, and ten rounds all but
# surely fill the batch; with 120 of 256, one run in fifty needed more.)
t_is "$(as "$TA" POST "$G" -d '{"profile":"1GB-DAILY","quantity":64,"code_prefix":"S"}')" 201 \
	"64 codes out of 256: collisions are drawn again"
t_is "$(owner "SELECT count(DISTINCT code) FROM vouchers WHERE code ~ '^S[ABCD]{4}\$'")" 64 "64 distinct codes"
t_is "$(as "$TA" POST "$G" -d '{"profile":"1GB-DAILY","quantity":300,"code_prefix":"S"}')" 409 \
	"more codes than the space holds is 409"
t_like "$(j .message)" "unique voucher codes" "  saying so"
t_is "$(owner "SELECT count(*) FROM vouchers WHERE code ~ '^S[ABCD]{4}\$'")" 64 "  and stores nothing"
owner "UPDATE tenants SET voucher_code_alphabet = DEFAULT, voucher_code_length = DEFAULT, voucher_code_prefix = 'TP-' WHERE slug = 'ten-a'" >/dev/null
t_is "$(as "$TA" POST "$G" -d '{"profile":"1GB-DAILY","quantity":2}')" 201 "the tenant's own prefix"
t_like "$(j .data.vouchers[0].code)" "^TP-[$ALPHA]{10}\$" "  is used when the request gives none"

# --- the batch -------------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$BT/$SALE")" 200 "a batch by id"
t_is "$(j '[.data.quantity, .data.counts.active, .data.profile_id] | @tsv')" "$(printf '3\t3\t%s' "$PA")" "its quantity and counts"
t_is "$(as "$TA" GET "$BT/00000000-0000-4000-8000-000000000000")" 404 "an unknown batch is 404"
t_is "$(as "$TA" GET "$BT/nope")" 404 "a malformed batch id is 404"

# --- print -----------------------------------------------------------------------------------------
owner "UPDATE tenants SET name = '<b>A&B</b>' WHERE slug = 'ten-a'" >/dev/null
page=$HS_SUITE_DIR/page.html
t_is "$(b=$page as "$TA" GET "$BT/$SALE/print")" 200 "the print page"
t_is "$(curl -s -o /dev/null -w '%{content_type}' -H "Authorization: Bearer $TA" "$BT/$SALE/print")" \
	"text/html; charset=utf-8" "is HTML"
codes=$(owner "SELECT string_agg(code || ':' || password, ' ') FROM vouchers WHERE batch_id = '$SALE'")
n=0
for cp in $codes; do grep -q ">${cp%%:*}<" "$page" && grep -q ">${cp#*:}<" "$page" && n=$((n + 1)); done
t_is "$n" 3 "it shows each code and password"
t_is "$(grep -o '<svg' "$page" | wc -l)" 3 "a QR code as inline SVG per voucher"
t_is "$(grep -o '<path fill="#000" d="M[0-9]' "$page" | wc -l)" 3 "each with its modules drawn"
t_ok "A4 page" grep -q '@page{size:A4' "$page"
t_ok "the tenant's name is escaped" grep -q '&lt;b&gt;A&amp;B&lt;/b&gt;' "$page"
t_fail "  and never raw" grep -q '<b>A&B' "$page"
t_ok "price and terms" grep -q '10000 UGX' "$page"
# qr_ok PAGE CODE URL: the QR code on CODE's card holds exactly URL (the
# card's modules against those qrencode draws for URL, level M).
qr_ok() {
	python3 - "$1" "$2" "$3" <<'PY'
import re, subprocess, sys
page, code, url = sys.argv[1:]
card = next(l for l in open(page, encoding="utf-8") if ">%s<" % code in l)
d = re.search(r'<path fill="#000" d="([^"]*)"', card).group(1)
dark = set()
for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", d):
    dark.update((int(x) - 2 + i, int(y) - 2) for i in range(int(n)))
rows = subprocess.run(["qrencode", "-l", "M", "-m", "0", "-t", "ASCII", url],
                      capture_output=True, text=True, check=True).stdout.splitlines()
want = {(x // 2, y) for y, r in enumerate(rows) for x in range(0, len(r), 2) if r[x] == "#"}
sys.exit(0 if want and dark == want else 1)
PY
}
c1=${codes%% *}
t_ok "the QR code holds the login URL with the code and password" \
	qr_ok "$page" "${c1%%:*}" "http://login.wifi/login?username=${c1%%:*}&password=${c1#*:}"
t_fail "  and not another voucher's" \
	qr_ok "$page" "${c1%%:*}" "http://login.wifi/login?username=${c1%%:*}&password=999999"
sizes=$(grep -o 'viewBox="0 0 [0-9]*' "$page" | sort -u)
b=$page as "$TA" GET "$BT/$SALE/print?login_url=https://hotspot.example.net/login%3Fdst%3Dhttp%253A%252F%252Fexample.org%252Fwelcome" >/dev/null
t_isnt() { [ "$1" != "$2" ]; }
t_ok "a longer login_url makes larger QR codes" t_isnt "$(grep -o 'viewBox="0 0 [0-9]*' "$page" | sort -u)" "$sizes"
t_ok "  holding that URL, the code and password appended with &" \
	qr_ok "$page" "${c1%%:*}" "https://hotspot.example.net/login?dst=http%3A%2F%2Fexample.org%2Fwelcome&username=${c1%%:*}&password=${c1#*:}"
for u in "ftp%3A%2F%2Fx" "http%3A%2F%2F" "http%3A%2F%2Fa%22b" "javascript%3Aalert(1)"; do
	t_is "$(as "$TA" GET "$BT/$SALE/print?login_url=$u")" 422 "login_url $u is 422"
done
t_is "$(b=$page as "$TA" GET "$BT/$BIG/print" --max-time 120)" 200 "the 10,000-voucher batch prints"
t_is "$(grep -o '<svg' "$page" | wc -l)" 10000 "  with 10,000 QR codes"

# --- tenant isolation -----------------------------------------------------------------------------------
t_is "$(as "$TB" GET "$BT/$SALE")" 404 "B cannot read A's batch"
t_is "$(as "$TB" GET "$BT/$SALE/print")" 404 "B cannot print A's batch"
t_is "$(as "$TB" GET "$base/api/v1/vouchers?batch_id=$SALE")" 200 "B's list filtered by A's batch"
t_is "$(j .meta.total)" 0 "  is empty"
t_is "$(as "$TB" POST "$G" -d "{\"profile\":\"$PA\",\"quantity\":1}")" 422 "B cannot make vouchers of A's profile"

# --- hotspotd vouchers generate ---------------------------------------------------------------------------
out=$HS_SUITE_DIR/cli.out err=$HS_SUITE_DIR/cli.err
t_ok "vouchers generate --help" "$H" vouchers generate --help
t_like "$("$H" vouchers generate --help)" "--quantity N" "  shows the options"
t_like "$("$H" --help)" "vouchers generate" "hotspotd --help lists the command"
"$H" vouchers generate --tenant ten-a --profile 1GB-DAILY >"$out" 2>"$err"
t_is "$?" 2 "a missing --quantity is a usage error (2)"
"$H" vouchers generate --tenant ten-a --profile 1GB-DAILY --quantity 0 >"$out" 2>"$err"
t_is "$?" 2 "--quantity 0 is a usage error"
"$H" vouchers generate --tenant ten-a --profile 1GB-DAILY --quantity 5 --prefix 'a b' >"$out" 2>"$err"
t_is "$?" 2 "a bad --prefix is a usage error"
"$H" vouchers generate --tenant ten-a --profile 1GB-DAILY --quantity 5 --price 1,5 >"$out" 2>"$err"
t_is "$?" 2 "a bad --price is a usage error"
"$H" vouchers generate --tenant no-such --profile 1GB-DAILY --quantity 5 >"$out" 2>"$err"
t_is "$?" 1 "an unknown tenant fails (1)"
t_like "$(cat "$err")" "no active tenant" "  saying so"
"$H" vouchers generate --tenant ten-b --profile 1GB-DAILY --quantity 5 >"$out" 2>"$err"
t_is "$?" 1 "a profile of another tenant is not found (1)"
"$H" vouchers generate --tenant ten-a --profile 1GB-DAILY --quantity 5 --currency USD >"$out" 2>"$err"
t_is "$?" 1 "another currency without a price fails"
before=$(owner "SELECT count(*) FROM vouchers")
"$H" vouchers generate --tenant ten-a --profile 1GB-DAILY --quantity 1234 --prefix CLI --price 7000 >"$out" 2>"$err"
t_is "$?" 0 "1234 vouchers from the command line"
t_is "$(wc -l <"$out")" 1234 "  prints 1234 lines"
t_is "$(grep -cE "^CLI[$ALPHA]{10}	[2-9]{6}\$" "$out")" 1234 "  each CODE<TAB>PASSWORD with the prefix"
t_fail "  no progress bar without a terminal" grep -q '\] 1234/1234' "$err"
t_like "$(cat "$err")" "^batch [0-9a-f-]{36}: 1234 vouchers of profile 1GB-DAILY for tenant ten-a" "  a summary on stderr"
t_is "$(owner "SELECT count(*) || '|' || count(DISTINCT batch_id) || '|' || min(price_minor) || '|' || max(price_minor) FROM vouchers WHERE code LIKE 'CLI%' AND tenant_id = '$TIDA'")" \
	"1234|1|7000|7000" "  one batch of A's, at the price given"
t_is "$(owner "SELECT quantity FROM voucher_batches WHERE id = (SELECT batch_id FROM vouchers WHERE code LIKE 'CLI%' LIMIT 1)")" 1234 \
	"  whose quantity is the total"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'voucher.batch_generate' AND details->>'via' = 'cli'")" 1 "  audited"
script -qec "$H vouchers generate --tenant ten-a --profile $PA --quantity 700 --quiet" /dev/null >"$out" 2>&1
t_is "$?" 0 "on a terminal (script), --quiet"
t_ok "  draws a progress bar" grep -q '\] 700/700' "$out"
t_ok "  with an intermediate step" grep -q '\] 500/700' "$out"
t_is "$(owner "SELECT count(*) FROM vouchers") " "$((before + 1234 + 700)) " "every voucher of the command is stored"

t_ok "hotspotd is still running" hs_running serve
t_done
