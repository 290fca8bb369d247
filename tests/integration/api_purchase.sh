#!/usr/bin/env bash
# hotspotd serve: the public purchase pages over real HTTP, against the
# loopback gateway stand-in (tests/sim/pay_standin.py). The offer (only
# active profiles with a price, text HTML-escaped, no external assets),
# form validation, the redirect to Stripe Checkout, "approve on your phone"
# for mobile money, the status page that shows the voucher only with the
# buyer's token, another tenant's slug, and the per-address rate limit.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

DB=hs_api_purchase
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

SP=$(hs_free_port) || { echo "Bail out! no port"; exit 1; }
hs_spawn standin python3 "$HS_ROOT/tests/sim/pay_standin.py" "$SP" sk_test_key FLWSECK_TEST-key
t_ok "the gateway stand-in listens" hs_wait_tcp "$SP"
SB=http://127.0.0.1:$SP
WHSEC=whsec_purchase
export STRIPE_SECRET_KEY=sk_test_key STRIPE_WEBHOOK_SECRET=$WHSEC STRIPE_API_BASE=$SB
export FLUTTERWAVE_SECRET_KEY=FLWSECK_TEST-key FLUTTERWAVE_SECRET_HASH=flw-hash
export FLUTTERWAVE_API_BASE=$SB PAYMENT_HTTP_TIMEOUT=2 PAYMENT_CHECK_DELAY=3600
export PUBLIC_BASE_URL=https://wifi.example.net PURCHASE_RATE_LIMIT=60

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
b=$HS_SUITE_DIR/body.json
page=$HS_SUITE_DIR/page.html
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
ctl() { curl -s -o /dev/null -X POST "$SB/_ctl/$1" -d "${2:-{\}}"; }
# get URL: the status; the page in $page, headers in $page.h.
get() { curl -s -o "$page" -D "$page.h" -w '%{http_code}' --max-time 10 "$@"; }
# post SLUG PROFILE GATEWAY PHONE: the form's status; the page in $page.
post() {
	curl -s -o "$page" -D "$page.h" -w '%{http_code}' --max-time 10 --data-urlencode "profile_id=$2" \
		--data-urlencode "gateway=$3" --data-urlencode "phone=$4" "$base/buy/$1"
}

as "$TA" POST "$base/api/v1/profiles" -d '{"name":"1GB <b>DAY</b> & \"more\"","data_limit_mb":1024,"validity_hours":24,"price":5000}' >/dev/null
PA=$(j .data.id)
as "$TA" POST "$base/api/v1/profiles" -d '{"name":"WEEK","validity_days":7,"price":20000}' >/dev/null
PW=$(j .data.id)
as "$TA" POST "$base/api/v1/profiles" -d '{"name":"FREE-TRIAL","validity_hours":1}' >/dev/null
as "$TA" POST "$base/api/v1/profiles" -d '{"name":"RETIRED","validity_hours":1,"price":100}' >/dev/null
PR=$(j .data.id)
owner "UPDATE profiles SET is_active = false WHERE id = '$PR'" >/dev/null
as "$TB" POST "$base/api/v1/profiles" -d '{"name":"B-ONLY","validity_hours":24,"price":3000}' >/dev/null
PB=$(j .data.id)

# --- the offer -------------------------------------------------------------------------------
t_is "$(get "$base/buy/ten-a")" 200 "the shop page"
t_like "$(grep -i '^content-type' "$page.h")" "text/html; charset=utf-8" "  HTML"
t_like "$(grep -i '^cache-control' "$page.h")" "no-store" "  not cached"
P=$(cat "$page")
t_like "$P" "Tenant A WiFi" "  the tenant's name"
t_like "$P" "1GB &lt;b&gt;DAY&lt;/b&gt; &amp; &quot;more&quot;" "  a profile name HTML-escaped"
t_fail "  no raw markup from the name" grep -q '<b>DAY' "$page"
t_like "$P" "WEEK</b> &ndash; 20000 UGX" "  the price and currency"
t_like "$P" "1 GB, 24 hours" "  the terms in words"
t_fail "  no free profile" grep -q FREE-TRIAL "$page"
t_fail "  no inactive profile" grep -q RETIRED "$page"
t_fail "  no other tenant's profile" grep -q B-ONLY "$page"
t_fail "  no external assets or scripts" grep -Eq '<script|src=|<link|https?://' "$page"
t_like "$P" 'name="viewport"' "  mobile-friendly viewport"
t_like "$P" 'name="activate_now" value="1"' "  the buyer may start the voucher at once"
t_like "$P" 'value="flutterwave"' "  mobile money offered"
t_like "$P" 'value="stripe"' "  card offered"
t_is "$(get "$base/buy/no-such-shop")" 404 "an unknown shop: 404"
t_is "$(get "$base/buy/Bad_Slug")" 404 "a malformed slug: 404"

# --- the form ----------------------------------------------------------------------------------
t_is "$(post ten-a "$PA" stripe 'call me')" 422 "a bad phone: 422"
t_like "$(cat "$page")" "Give a phone number" "  the page says why"
t_is "$(post ten-a 'x' stripe +256700000001)" 422 "no package chosen: 422"
t_is "$(post ten-a "$PA" paypal +256700000001)" 422 "an unknown gateway: 422"
t_is "$(post ten-a "$PB" stripe +256700000001)" 422 "another tenant's profile: 422"
t_like "$(cat "$page")" "not on sale" "  not on sale here"
t_is "$(post ten-a "$PR" stripe +256700000001)" 422 "an inactive profile: 422"
t_is "$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "profile_id=$PA" -d gateway=stripe -d phone=0772000001 -d activate_now=yes "$base/buy/ten-a")" \
	422 "activate_now other than 1: 422"
t_is "$(curl -s -o /dev/null -w '%{http_code}' --data-binary 'profile_id=%zz' "$base/buy/ten-a")" 422 "a broken form encoding: 422"
t_is "$(owner "SELECT count(*) FROM payments")" 0 "refused forms record no payment"

t_is "$(post ten-a "$PA" stripe +256700000001)" 303 "a card purchase: 303"
LOC=$(grep -i '^location' "$page.h" | tr -d '\r' | cut -d' ' -f2)
t_like "$LOC" '^https://checkout\.stripe\.test/c/pay/cs_[0-9]+$' "  to the Checkout Session's url"
PAY=$(owner "SELECT id FROM payments ORDER BY created_at DESC LIMIT 1")
t_is "$(owner "SELECT status || ' ' || amount_minor || ' ' || currency || ' ' || payer_phone || ' ' || (profile_id = '$PA') FROM payments WHERE id = '$PAY'")" \
	"pending 5000 UGX +256700000001 true" "a pending payment at the profile's price"
SUCCESS=$(curl -s "$SB/_ctl/log" | jq -r '[.[] | select(.path == "/v1/checkout/sessions")] | last | .body' |
	tr '&' '\n' | sed -n 's/^success_url=//p' | python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read().strip()))')
t_like "$SUCCESS" "^https://wifi\.example\.net/buy/ten-a/payments/$PAY\?token=[A-Za-z0-9_-]{43}$" \
	"Stripe returns the buyer to the status page with a secret token"
TOKEN=${SUCCESS##*token=}
t_like "$(owner "SELECT access_hash FROM payments WHERE id = '$PAY'")" '^[0-9a-f]{64}$' "only the token's hash is stored"
t_is "$(owner "SELECT count(*) FROM payments WHERE position('$TOKEN' IN row_to_json(payments)::text) > 0")" 0 "  the token itself is not stored"

# --- the status page --------------------------------------------------------------------------
ST=$base/buy/ten-a/payments/$PAY
t_is "$(get "$ST?token=$TOKEN")" 200 "the status page with the token"
t_like "$(cat "$page")" "Waiting for the payment" "  waits"
t_like "$(cat "$page")" 'http-equiv="refresh"' "  refreshes by itself"
t_like "$(grep -i '^referrer-policy' "$page.h")" "no-referrer" "  leaks no token in Referer"
t_is "$(get "$ST")" 404 "without the token: 404"
t_is "$(get "$ST?token=wrong")" 404 "with a wrong token: 404"
t_is "$(get "$base/buy/ten-b/payments/$PAY?token=$TOKEN")" 404 "under another tenant's slug: 404"
t_is "$(get "$base/buy/ten-a/payments/not-a-uuid?token=$TOKEN")" 404 "a malformed id: 404"

CS=$(owner "SELECT gateway_ref FROM payments WHERE id = '$PAY'")
ctl "stripe/$CS" '{"paid":true}'
EV=$(printf '{"id":"evt_p1","type":"checkout.session.completed","data":{"object":{"id":"%s","amount_total":5000,"currency":"ugx","payment_status":"paid","payment_intent":"pi_1","metadata":{"payment_id":"%s"}}}}' "$CS" "$PAY")
TS=$(date +%s)
SIG=$(printf '%s.%s' "$TS" "$EV" | openssl dgst -sha256 -hmac "$WHSEC" | awk '{print $NF}')
t_is "$(curl -s -o "$b" -w '%{http_code}' -X POST -H "Stripe-Signature: t=$TS,v1=$SIG" --data-binary "$EV" "$base/api/v1/payments/webhooks/stripe")" \
	200 "the payment succeeds"
CODE=$(owner "SELECT v.code FROM vouchers v JOIN payments y ON y.voucher_id = v.id WHERE y.id = '$PAY'")
PASS=$(owner "SELECT v.password FROM vouchers v JOIN payments y ON y.voucher_id = v.id WHERE y.id = '$PAY'")
t_is "$(get "$ST?token=$TOKEN")" 200 "the status page once paid"
t_like "$(cat "$page")" "class=\"code\">$CODE<" "  shows the voucher's code"
t_like "$(cat "$page")" "$PASS" "  and its password"
t_fail "  no longer refreshes" grep -q 'http-equiv="refresh"' "$page"
t_is "$(get "$ST?token=wrong")" 404 "still nothing without the token"

# --- mobile money ---------------------------------------------------------------------------------
t_is "$(post ten-a "$PW" flutterwave 0772000001)" 200 "a mobile money purchase: 200"
t_like "$(cat "$page")" "Approve on your phone" "  approve on your phone"
t_like "$(cat "$page")" "20000 UGX" "  the amount"
t_like "$(cat "$page")" "https://wifi.example.net/buy/ten-a/payments/[0-9a-f-]{36}\?token=" "  a link to the status page"
F=$(owner "SELECT id FROM payments WHERE gateway = 'flutterwave'")
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'payment.check' AND dedup_key = 'payment.check:$F' AND run_at > now() + interval '59 minutes'")" \
	1 "a status check queued PAYMENT_CHECK_DELAY later"
ctl mode '{"status":500,"prefix":"/v3/charges"}'
t_is "$(post ten-a "$PW" flutterwave 0772000001)" 502 "the gateway refuses the charge: 502"
t_like "$(cat "$page")" "nothing was charged" "  says nothing was charged"
ctl mode '{}'

# --- rate limit ------------------------------------------------------------------------------------
for i in $(seq 1 70); do curl -s -o /dev/null -w '%{http_code}\n' "$base/buy/ten-a"; done >"$HS_SUITE_DIR/rate.txt"
t_like "$(sort -u "$HS_SUITE_DIR/rate.txt" | tr '\n' ' ')" "^200 429 $" "past PURCHASE_RATE_LIMIT per address: 429"
t_is "$(get "$base/buy/ten-a")" 429 "still limited"
t_like "$(grep -i '^retry-after' "$page.h")" "Retry-After: [0-9]+" "  with Retry-After"
t_done
