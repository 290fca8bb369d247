#!/usr/bin/env bash
# hotspotd serve: payments against loopback stand-ins of Stripe and
# Flutterwave (tests/sim/pay_standin.py, which checks the requests). Stripe
# webhooks (signature, stale timestamp, malformed body, wrong amount and
# currency, replay, duplicate and out-of-order events, 20 concurrent
# duplicates, two hotspotd processes), Flutterwave webhooks (verif-hash,
# re-verification, mismatch, gateway failure), the payment.check job (a
# missing callback, expiry), kill -9 of hotspotd between capture and issue,
# refunds at the gateway through the voucher refund, the operators' list
# and details with tenant isolation. Exactly one voucher per paid payment.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

DB=hs_api_payments
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

SP=$(hs_free_port) || { echo "Bail out! no port"; exit 1; }
hs_spawn standin python3 "$HS_ROOT/tests/sim/pay_standin.py" "$SP" sk_test_key FLWSECK_TEST-key
t_ok "the gateway stand-in listens" hs_wait_tcp "$SP"
SB=http://127.0.0.1:$SP
WHSEC=whsec_test_secret
export STRIPE_SECRET_KEY=sk_test_key STRIPE_WEBHOOK_SECRET=$WHSEC STRIPE_API_BASE=$SB
export FLUTTERWAVE_SECRET_KEY=FLWSECK_TEST-key FLUTTERWAVE_SECRET_HASH=flw-hash-secret
export FLUTTERWAVE_API_BASE=$SB PAYMENT_HTTP_TIMEOUT=2 PAYMENT_CHECK_DELAY=3600
export PAYMENT_CHECK_ATTEMPTS=2 WORKER_THREADS=2 JOB_POLL_INTERVAL=1 JOB_BACKOFF_BASE=1
export JOB_BACKOFF_CAP=1 PURCHASE_RATE_LIMIT=0

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
export PUBLIC_BASE_URL=$base
b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
ctl() { curl -s -o /dev/null -X POST "$SB/_ctl/$1" -d "${2:-{\}}"; }

as "$TA" POST "$base/api/v1/profiles" -d '{"name":"1GB-DAILY","data_limit_mb":1024,"validity_hours":24,"price":5000}' >/dev/null
PA=$(j .data.id)
as "$TB" POST "$base/api/v1/profiles" -d '{"name":"B-DAY","validity_hours":24,"price":3000}' >/dev/null
PB=$(j .data.id)

# buy SLUG PROFILE GATEWAY [PHONE]: a purchase through the public form; the
# HTTP status in ST, the new payment's id in PAY (the latest of the tenant).
buy() {
	ST=$(curl -s -o "$HS_SUITE_DIR/buy.html" -w '%{http_code}' --max-time 10 \
		--data-urlencode "profile_id=$2" --data-urlencode "gateway=$3" \
		--data-urlencode "phone=${4:-+256700000001}" ${5:+--data-urlencode "$5"} "$base/buy/$1")
	PAY=$(owner "SELECT y.id FROM payments y JOIN tenants t ON t.id = y.tenant_id
		WHERE t.slug = '$1' ORDER BY y.created_at DESC LIMIT 1")
}
cs_of() { owner "SELECT gateway_ref FROM payments WHERE id = '$1'"; }
txn_of() { owner "SELECT gateway_txn FROM payments WHERE id = '$1'"; }
vouchers_of() { owner "SELECT count(*) FROM vouchers v JOIN payments y ON y.voucher_id = v.id WHERE y.id = '$1'"; }
online_vouchers() { owner "SELECT count(*) FROM vouchers WHERE batch_id IN (SELECT id FROM voucher_batches WHERE name = 'Online payment $1')"; }
status_of() { owner "SELECT status FROM payments WHERE id = '$1'"; }

# A Stripe event: evt ID, TYPE, object JSON.
evt() { printf '{"id":"%s","object":"event","type":"%s","data":{"object":%s}}' "$1" "$2" "$3"; }
# session PAYMENT AMOUNT CURRENCY: a paid Checkout Session object of PAYMENT.
session() {
	printf '{"id":"%s","object":"checkout.session","amount_total":%s,"currency":"%s","payment_status":"paid","payment_intent":"pi_%s","metadata":{"payment_id":"%s"}}' \
		"$(cs_of "$1")" "$2" "$3" "$(cs_of "$1" | cut -c4-)" "$1"
}
# stripe BODY [TIMESTAMP] [SECRET] [URL]: POSTs BODY signed as Stripe does; the status.
stripe() {
	local t=${2:-$(date +%s)} sec=${3:-$WHSEC} sig
	sig=$(printf '%s.%s' "$t" "$1" | openssl dgst -sha256 -hmac "$sec" | awk '{print $NF}')
	curl -s -o "$b" -w '%{http_code}' --max-time 10 -X POST -H "Stripe-Signature: t=$t,v1=$sig" \
		-H 'Content-Type: application/json' --data-binary "$1" "${4:-$base}/api/v1/payments/webhooks/stripe"
}
# flw BODY [HASH] [URL]: a Flutterwave webhook.
flw() {
	curl -s -o "$b" -w '%{http_code}' --max-time 15 -X POST -H "verif-hash: ${2-flw-hash-secret}" \
		-H 'Content-Type: application/json' --data-binary "$1" "${3:-$base}/api/v1/payments/webhooks/flutterwave"
}
flw_evt() { printf '{"event":"charge.completed","data":{"id":%s,"tx_ref":"%s","amount":5000,"currency":"UGX","status":"successful"}}' "$1" "$2"; }

# --- Stripe: starting a payment ------------------------------------------------------------
buy ten-a "$PA" stripe; t_is "$ST" 303 "a card purchase redirects (303)"
P1=$PAY
t_like "$(cs_of "$P1")" '^cs_[0-9]+$' "the Checkout Session's id is recorded"
REQ=$(curl -s "$SB/_ctl/log" | jq -c '[.[] | select(.path == "/v1/checkout/sessions")] | last')
t_is "$(jq -r .auth <<<"$REQ")" "Bearer sk_test_key" "Bearer secret key sent"
t_like "$(jq -r .body <<<"$REQ")" "unit_amount\]=5000" "the amount in minor units"
t_like "$(jq -r .body <<<"$REQ")" "metadata\[payment_id\]=$P1&" "our payment id in the metadata"
t_like "$(jq -r .body <<<"$REQ")" "currency\]=ugx&" "the currency, lower case"
t_is "$(jq -r .idempotency_key <<<"$REQ")" "$P1" "idempotent per payment"
t_is "$(status_of "$P1")" pending "the payment waits"

# --- Stripe webhooks refused -----------------------------------------------------------------
GOOD=$(evt evt_good_1 checkout.session.completed "$(session "$P1" 5000 ugx)")
t_is "$(stripe "$GOOD" "" wrong_secret)" 401 "a bad signature: 401"
t_like "$(j .message)" "signature" "  says why"
t_is "$(stripe "$GOOD" $(($(date +%s) - 400)))" 401 "a stale timestamp (400 s > 300 s): 401"
t_like "$(j .message)" "tolerance" "  says why"
t_is "$(curl -s -o "$b" -w '%{http_code}' -X POST --data-binary "$GOOD" "$base/api/v1/payments/webhooks/stripe")" \
	401 "no Stripe-Signature header: 401"
t_is "$(stripe 'not json at all')" 400 "a signed but malformed body: 400"
t_is "$(stripe '{"id":"evt_x","type":"checkout.session.completed","data":{"object":{"id":"cs_1"}}}')" 400 \
	"a session without amount or currency: 400"
t_is "$(stripe "$(evt evt_amount checkout.session.completed "$(session "$P1" 4000 ugx)")")" 422 "a wrong amount: 422"
t_like "$(owner "SELECT error FROM payments WHERE id = '$P1'")" "paid 4000 UGX, expected 5000 UGX" "  recorded on the payment"
t_is "$(stripe "$(evt evt_currency checkout.session.completed "$(session "$P1" 5000 usd)")")" 422 "a wrong currency: 422"
t_is "$(vouchers_of "$P1")/$(online_vouchers "$P1")/$(status_of "$P1")" "0/0/pending" "refused webhooks issue nothing"
t_is "$(stripe "$(evt evt_other customer.created '{"id":"cus_1"}')")" 200 "an event we do not act on: 200"
t_is "$(j .message)" "event ignored" "  ignored"
t_is "$(stripe "$(evt evt_unknown checkout.session.completed '{"id":"cs_999999","amount_total":5000,"currency":"ugx","payment_status":"paid","metadata":{"payment_id":"00000000-0000-4000-8000-000000000000"}}')")" \
	404 "a session of no payment of ours: 404"

# --- Stripe: exactly once -------------------------------------------------------------------
ctl "stripe/$(cs_of "$P1")" '{"paid":true}'
t_is "$(stripe "$GOOD")" 200 "the paid session's webhook: 200"
t_is "$(j .data.result)" issued "  issued"
t_is "$(vouchers_of "$P1")/$(online_vouchers "$P1")/$(status_of "$P1")" "1/1/succeeded" "one voucher, payment succeeded"
V1=$(owner "SELECT voucher_id FROM payments WHERE id = '$P1'")
t_is "$(owner "SELECT v.price_minor || ' ' || v.currency || ' ' || v.status || ' ' || (v.profile_id = '$PA') || ' ' || c.phone FROM vouchers v JOIN customers c ON c.id = v.customer_id WHERE v.id = '$V1'")" \
	"5000 UGX active true +256700000001" "of the profile, at the price paid, for the buyer's customer"
t_is "$(owner "SELECT v.auto_activate || ' ' || (v.expires_at IS NULL) FROM vouchers v WHERE v.id = '$V1'")" \
	"false true" "  its validity starts at the first login"
t_is "$(owner "SELECT count(*) FROM sms_messages WHERE voucher_id = '$V1' AND to_phone = '+256700000001'")/$(owner "SELECT count(*) FROM jobs WHERE kind = 'sms.send' AND payload->>'voucher_id' = '$V1'")" \
	"1/1" "its SMS recorded and an sms.send job queued"
t_is "$(owner "SELECT gateway_txn || ' ' || (paid_at IS NOT NULL) || ' ' || (error IS NULL) FROM payments WHERE id = '$P1'")" \
	"pi_$(cs_of "$P1" | cut -c4-) true true" "payment intent and paid_at recorded, error cleared"
t_is "$(stripe "$GOOD")" 200 "the same event replayed: 200"
t_is "$(j .data.result)" duplicate "  a duplicate"
t_is "$(stripe "$(evt evt_good_2 checkout.session.completed "$(session "$P1" 5000 ugx)")")" 200 "another event for the paid session: 200"
t_is "$(j .data.result)" already "  already issued"
t_is "$(stripe "$(evt evt_fail_late payment_intent.payment_failed "{\"id\":\"pi_x\",\"metadata\":{\"payment_id\":\"$P1\"}}")")" 200 \
	"a failure arriving after the success: 200"
t_is "$(online_vouchers "$P1")/$(status_of "$P1")/$(owner "SELECT count(*) FROM customers WHERE phone = '+256700000001'")" \
	"1/succeeded/1" "still one voucher, still succeeded, one customer"

# 20 identical webhooks at once.
buy ten-a "$PA" stripe +256700000002; t_is "$ST" 303 "a second purchase"
P2=$PAY
ctl "stripe/$(cs_of "$P2")" '{"paid":true}'
E2=$(evt evt_conc_2 checkout.session.completed "$(session "$P2" 5000 ugx)")
pids=()
for i in $(seq 1 20); do
	(b=$HS_SUITE_DIR/c$i.json stripe "$E2" >"$HS_SUITE_DIR/c$i.st") &
	pids+=($!)
done
wait "${pids[@]}"
t_is "$(awk 1 "$HS_SUITE_DIR"/c*.st | sort -u | tr '\n' ' ')" "200 " "20 concurrent duplicates all answer 200"
t_is "$(cat "$HS_SUITE_DIR"/c[0-9]*.json | jq -r .data.result | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" \
	"19duplicate 1issued " "one issued, 19 duplicates"
t_is "$(online_vouchers "$P2")/$(owner "SELECT count(*) FROM payment_events WHERE payment_id = '$P2'")" "1/1" "one voucher, one event row"

# Out of order: a failure first, then the success of a retried card.
buy ten-a "$PA" stripe +256700000003; t_is "$ST" 303 "a third purchase"
P3=$PAY
t_is "$(stripe "$(evt evt_fail_3 payment_intent.payment_failed "{\"id\":\"pi_f3\",\"metadata\":{\"payment_id\":\"$P3\"}}")")" 200 "a failed payment: 200"
t_is "$(status_of "$P3")/$(online_vouchers "$P3")" "failed/0" "  failed, nothing issued"
ctl "stripe/$(cs_of "$P3")" '{"paid":true}'
t_is "$(stripe "$(evt evt_ok_3 checkout.session.completed "$(session "$P3" 5000 ugx)")")" 200 "then the success: 200"
t_is "$(status_of "$P3")/$(online_vouchers "$P3")" "succeeded/1" "  succeeded, one voucher"

# A purchase that asks for the validity to start at once.
buy ten-a "$PA" stripe +256700000006 activate_now=1; t_is "$ST" 303 "a purchase that starts now"
P6=$PAY
ctl "stripe/$(cs_of "$P6")" '{"paid":true}'
t_is "$(stripe "$(evt evt_act_6 checkout.session.completed "$(session "$P6" 5000 ugx)")")" 200 "  paid: 200"
t_is "$(owner "SELECT v.auto_activate || ' ' || (v.expires_at BETWEEN now() + interval '23 hours' AND now() + interval '25 hours') FROM vouchers v JOIN payments y ON y.voucher_id = v.id WHERE y.id = '$P6'")" \
	"true true" "  the voucher is activated: valid 24 hours from the sale"

# Two hotspotd processes get the same webhook.
t_ok "a second hotspotd" serve_on serve2
base2=http://127.0.0.1:$SERVE_PORT
buy ten-a "$PA" stripe +256700000004; t_is "$ST" 303 "a fourth purchase"
P4=$PAY
ctl "stripe/$(cs_of "$P4")" '{"paid":true}'
E4=$(evt evt_two_4 checkout.session.completed "$(session "$P4" 5000 ugx)")
pids=()
for i in $(seq 1 6); do
	(b=$HS_SUITE_DIR/d$i.json stripe "$E4" "" "" "$base" >"$HS_SUITE_DIR/d$i.st") &
	pids+=($!)
	(b=$HS_SUITE_DIR/e$i.json stripe "$E4" "" "" "$base2" >"$HS_SUITE_DIR/e$i.st") &
	pids+=($!)
done
wait "${pids[@]}"
t_is "$(awk 1 "$HS_SUITE_DIR"/[de]*.st | sort -u | tr '\n' ' ')" "200 " "both processes answer 200"
t_is "$(online_vouchers "$P4")/$(status_of "$P4")" "1/succeeded" "one voucher between two processes"

# A refund reported by Stripe.
t_is "$(stripe "$(evt evt_ref_4 charge.refunded "{\"id\":\"ch_4\",\"payment_intent\":\"$(txn_of "$P4")\"}")")" 200 "charge.refunded: 200"
t_is "$(status_of "$P4")" refunded "  the payment is refunded"

# Gateway timeout when starting a payment.
ctl mode '{"delay":4,"prefix":"/v1/checkout"}'
buy ten-a "$PA" stripe +256700000005; t_is "$ST" 502 "the gateway times out: 502"
t_like "$(owner "SELECT status || ' ' || error FROM payments WHERE id = '$PAY'")" "^failed .*(timed out|Timeout)" "  the payment failed with the reason"
ctl mode '{}'
ctl mode '{"status":500,"prefix":"/v1/checkout"}'
buy ten-a "$PA" stripe +256700000005; t_is "$ST" 502 "the gateway fails (500): 502"
ctl mode '{}'

# --- Flutterwave ----------------------------------------------------------------------------
buy ten-a "$PA" flutterwave +256700000010; t_is "$ST" 200 "a mobile money purchase: 200"
t_like "$(cat "$HS_SUITE_DIR/buy.html")" "Approve on your phone" "  asks to approve on the phone"
F1=$PAY
REQ=$(curl -s "$SB/_ctl/log" | jq -c '[.[] | select(.path == "/v3/charges?type=mobile_money_uganda")] | last')
t_is "$(jq -r '.body | fromjson | [.tx_ref, .amount, .currency, .phone_number] | @tsv' <<<"$REQ")" \
	"$(printf '%s\t5000\tUGX\t256700000010' "$F1")" "tx_ref, amount, currency and phone sent"
t_is "$(jq -r .auth <<<"$REQ")" "Bearer FLWSECK_TEST-key" "  with the secret key"
T1=$(txn_of "$F1")
t_like "$T1" '^[0-9]+$' "the transaction id is recorded"
t_is "$(flw "$(flw_evt "$T1" "$F1")" wrong-hash)" 401 "a wrong verif-hash: 401"
t_is "$(flw "$(flw_evt "$T1" "$F1")" '')" 401 "an empty verif-hash: 401"
t_is "$(flw '{"event":"charge.completed","data":{}}')" 400 "a malformed event: 400"
t_is "$(flw "$(flw_evt "$T1" "$F1")")" 200 "a webhook while the gateway still says pending: 200"
t_is "$(j .message)/$(status_of "$F1")" "event ignored/pending" "  nothing changes: the verify answer decides"
ctl "flw/$T1" '{"status":"successful","amount":4000}'
t_is "$(flw "$(flw_evt "$T1" "$F1")")" 422 "the verified amount is wrong: 422"
t_is "$(online_vouchers "$F1")/$(status_of "$F1")" "0/pending" "  nothing issued"
t_like "$(owner "SELECT error FROM payments WHERE id = '$F1'")" "paid 4000 UGX" "  the refusal recorded on the payment"
t_is "$(flw "$(flw_evt "$T1" "$F1")")" 422 "  the same webhook again: 422 again (a refusal uses up no event)"
ctl "flw/$T1" '{"amount":5000}'
t_is "$(flw "$(flw_evt "$T1" "$P1")")" 422 "a webhook whose tx_ref the gateway does not confirm: 422"
ctl mode '{"status":503,"prefix":"/v3/transactions"}'
t_is "$(flw "$(flw_evt "$T1" "$F1")")" 503 "the gateway cannot verify: 503 (it will retry)"
ctl mode '{}'
t_is "$(online_vouchers "$F1")" 0 "  nothing issued"
t_is "$(flw "$(flw_evt "$T1" "$F1")")" 200 "the verified success: 200"
t_is "$(j .data.result)/$(online_vouchers "$F1")/$(status_of "$F1")" "issued/1/succeeded" "  one voucher"
VERIFY=$(curl -s "$SB/_ctl/log" | jq -r "[.[] | select(.path == \"/v3/transactions/$T1/verify\")] | length")
t_like "$VERIFY" '^[5-9]$' "every accepted webhook was re-verified at the gateway"
t_is "$(flw "$(flw_evt "$T1" "$F1")")" 200 "the webhook again: 200"
t_is "$(j .data.result)/$(online_vouchers "$F1")" "duplicate/1" "  a duplicate"

# payment.check: the callback never comes.
buy ten-a "$PA" flutterwave +256700000011; t_is "$ST" 200 "another mobile money purchase"
F2=$PAY
ctl "flw/$(txn_of "$F2")" '{"status":"successful"}'
owner "UPDATE jobs SET run_at = now() WHERE dedup_key = 'payment.check:$F2'; NOTIFY hs_jobs, 'payment.check'" >/dev/null
for i in $(seq 1 50); do [ "$(status_of "$F2")" = succeeded ] && break; sleep 0.2; done
t_is "$(status_of "$F2")/$(online_vouchers "$F2")" "succeeded/1" "payment.check found the success: one voucher"
t_is "$(owner "SELECT status FROM jobs WHERE dedup_key = 'payment.check:$F2'")" done "  the job is done"
t_is "$(flw "$(flw_evt "$(txn_of "$F2")" "$F2")")" 200 "the late webhook: 200"
t_is "$(j .data.result)/$(online_vouchers "$F2")" "duplicate/1" "  changes nothing"

# payment.check: still pending after its attempts: expired.
buy ten-a "$PA" flutterwave +256700000012; t_is "$ST" 200 "a purchase never approved"
F3=$PAY
owner "UPDATE jobs SET run_at = now() WHERE dedup_key = 'payment.check:$F3'; NOTIFY hs_jobs, 'payment.check'" >/dev/null
for i in $(seq 1 60); do [ "$(status_of "$F3")" = expired ] && break; sleep 0.2; done
t_is "$(status_of "$F3")/$(online_vouchers "$F3")" "expired/0" "expired after PAYMENT_CHECK_ATTEMPTS checks"
t_is "$(owner "SELECT attempts FROM jobs WHERE dedup_key = 'payment.check:$F3'")" 2 "  two checks"

# kill -9 between capture and issue: the verify call hangs, hotspotd dies.
buy ten-a "$PA" flutterwave +256700000013; t_is "$ST" 200 "a purchase to interrupt"
F4=$PAY
T4=$(txn_of "$F4")
ctl "flw/$T4" '{"status":"successful"}'
ctl mode '{"delay":3,"prefix":"/v3/transactions"}'
(flw "$(flw_evt "$T4" "$F4")" >/dev/null) &
hook=$!
sleep 1
kill -KILL "${HS_PIDS[serve]}"
wait "${HS_PIDS[serve]}" 2>/dev/null
unset "HS_PIDS[serve]"
wait $hook
ctl mode '{}'
t_is "$(online_vouchers "$F4")/$(status_of "$F4")" "0/pending" "killed before the issue: nothing issued, still pending"
t_ok "hotspotd restarts" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
t_is "$(flw "$(flw_evt "$T4" "$F4")")" 200 "the gateway's retry after the restart: 200"
t_is "$(online_vouchers "$F4")/$(status_of "$F4")" "1/succeeded" "exactly one voucher"
owner "UPDATE jobs SET run_at = now() WHERE dedup_key = 'payment.check:$F4'; NOTIFY hs_jobs, 'payment.check'" >/dev/null
for i in $(seq 1 50); do [ "$(owner "SELECT status FROM jobs WHERE dedup_key = 'payment.check:$F4'")" = done ] && break; sleep 0.2; done
t_is "$(online_vouchers "$F4")" 1 "and its status check changes nothing"

# --- refunds through the voucher --------------------------------------------------------------
C1=$(owner "SELECT code FROM vouchers WHERE id = '$V1'")
ctl mode '{"status":500,"prefix":"/v1/refunds"}'
t_is "$(as "$TA" POST "$base/api/v1/vouchers/$C1/refund" -d '{}')" 502 "the gateway fails the refund: 502"
ctl mode '{}'
t_is "$(owner "SELECT status FROM vouchers WHERE id = '$V1'")/$(status_of "$P1")" "active/succeeded" "  nothing changed"
t_is "$(as "$TA" POST "$base/api/v1/vouchers/$C1/refund" -d '{"reason":"customer asked"}')" 200 "refund of a card-paid voucher: 200"
t_like "$(j .data.payment.refund_ref)" '^re_[0-9]+$' "  the gateway's refund id"
REQ=$(curl -s "$SB/_ctl/log" | jq -c '[.[] | select(.path == "/v1/refunds")] | last')
t_is "$(jq -r .body <<<"$REQ")" "payment_intent=$(txn_of "$P1")&amount=5000" "  POST /v1/refunds of the payment intent and amount"
t_is "$(owner "SELECT status FROM vouchers WHERE id = '$V1'")/$(status_of "$P1")" "refunded/refunded" "  voucher and payment refunded"
CF=$(owner "SELECT v.code FROM vouchers v JOIN payments y ON y.voucher_id = v.id WHERE y.id = '$F1'")
t_is "$(as "$TA" POST "$base/api/v1/vouchers/$CF/refund" -d '{"amount":2000}')" 200 "a partial refund of a mobile-money voucher: 200"
REQ=$(curl -s "$SB/_ctl/log" | jq -c '[.[] | select(.path | test("/refund$"))] | last')
t_is "$(jq -r '.path + " " + .body' <<<"$REQ")" "/v3/transactions/$T1/refund {\"amount\":2000}" "  POST /v3/transactions/{id}/refund"
t_is "$(status_of "$F1")" refunded "  the payment is refunded"

# --- the operators' API ------------------------------------------------------------------------
t_is "$(as "$TA" GET "$base/api/v1/payments")" 200 "the list"
NA=$(owner "SELECT count(*) FROM payments WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-a')")
t_is "$(j .meta.total)" "$NA" "  all of A's payments"
t_is "$(j '[.data[] | has("access_hash") or has("raw")] | any')" false "  never the token hash or raw event"
t_is "$(as "$TA" GET "$base/api/v1/payments?status=succeeded&gateway=stripe&per_page=2")" 200 "filtered, 2 a page"
t_is "$(j '[.meta.per_page, ([.data[] | .status == "succeeded" and .gateway == "stripe"] | all)] | @tsv')" "$(printf '2\ttrue')" "  only succeeded card payments"
t_is "$(as "$TA" GET "$base/api/v1/payments?status=bogus&gateway=x&page=0")" 422 "bad filters: 422"
t_is "$(j '.errors | keys | join(",")')" "gateway,page,status" "  per field"
t_is "$(as "$TA" GET "$base/api/v1/payments/$P2")" 200 "the details"
t_is "$(j '[.data.status, .data.voucher_code != null, (.data.events | length), .data.events[0].result] | @tsv')" \
	"$(printf 'succeeded\ttrue\t1\tissued')" "  with the voucher and the event applied"
t_is "$(as "$TB" GET "$base/api/v1/payments/$P2")" 404 "B cannot read A's payment"
t_is "$(as "$TB" GET "$base/api/v1/payments")" 200 "B's list"
t_is "$(j .meta.total)" 0 "  holds none of A's"
t_is "$(as "$TA" GET "$base/api/v1/payments/not-a-uuid")" 404 "a malformed id: 404"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/payments")" 401 "no token: 401"
t_done
