#!/usr/bin/env bash
# hotspotd serve: /api/v1/customers over real HTTP. Create, validate (422
# per field), 409 for a phone number the tenant already has, read, partial
# update (null clears), search, sort and pages; communication history (SMS,
# newest first, pages) and vouchers of a customer; the delete rule (409
# while vouchers point at the customer, detach=true keeps them without
# one); audit rows; tenant isolation on every route.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

DB=hs_api_customers
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
TR=$(api_tok)
owner "INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
       SELECT tenant_id, id, 'read only', '$(api_sha "$TR")', ARRAY['customers.read']
         FROM admins WHERE email = 'ten-a@example.org'" >/dev/null

t_ok "serve answers HTTP" serve_on serve
C=http://127.0.0.1:$SERVE_PORT/api/v1/customers
b=$HS_SUITE_DIR/body.json

# --- create ----------------------------------------------------------------
t_is "$(as "$TA" POST "$C" -d '{"name":"John Doe","phone":"+256 (700) 123-456","email":"john.doe@example.org","notes":"Pays cash.\nMornings."}')" \
	201 "a customer is created (201)"
ID1=$(j .data.id)
t_like "$ID1" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "data.id is a UUID"
t_is "$(j '[.data.name, .data.phone, .data.email, .data.vouchers_count] | @tsv')" \
	"$(printf 'John Doe\t+256700123456\tjohn.doe@example.org\t0')" \
	"the phone number is stored as E.164 without separators"
t_is "$(j .data.notes)" "$(printf 'Pays cash.\nMornings.')" "notes keep their line breaks"
t_is "$(as "$TA" POST "$C" -d '{"name":"Jane"}')" 201 "phone, email and notes are optional"
ID2=$(j .data.id)
t_is "$(j '[.data.phone, .data.email, .data.notes] | map(tostring) | join("|")')" "null|null|" \
	"absent ones are null (notes empty)"
t_is "$(as "$TB" POST "$C" -d '{"name":"B person","phone":"+256700123456"}')" 201 \
	"another tenant may have a customer with the same phone"
IDB=$(j .data.id)

# --- conflicts ------------------------------------------------------------------
t_is "$(as "$TA" POST "$C" -d '{"name":"Again","phone":"+256700123456"}')" 409 \
	"the same phone in the same tenant is 409"
t_is "$(j .success)" false "409 uses the envelope"
t_is "$(as "$TA" PUT "$C/$ID2" -d '{"phone":"+256-700-123-456"}')" 409 \
	"an update to a phone another customer has is 409 (compared after normalising)"

# --- validation ----------------------------------------------------------------------
bad() {
	local code
	code=$(as "$TA" "${4:-POST}" "${5:-$C}" --data-binary "$1")
	if [ "$code" = 422 ] && jq -e --arg f "$2" '.success == false and (.errors[$f] | length) > 0' "$b" >/dev/null; then
		t_is ok ok "$3"
	else
		t_is "$code $(head -c 300 "$b")" "422 with errors.$2" "$3"
	fi
}
long=$(head -c 201 /dev/zero | tr '\0' n)
bad '{"phone":"+256700123499"}' name "a missing name is 422"
bad '{"name":""}' name "an empty name is 422"
bad "{\"name\":\"$long\"}" name "a name of 201 characters is 422"
bad '{"name":42}' name "a number as name is 422"
bad '{"name":null}' name "a null name is 422"
bad '{"name":"x","phone":"0700123456"}' phone "a phone without + and country code is 422"
bad '{"name":"x","phone":"+0700123456"}' phone "a country code starting with 0 is 422"
bad '{"name":"x","phone":"+256"}' phone "a phone of 3 digits is 422"
bad '{"name":"x","phone":"+2567001234567890"}' phone "a phone of 16 digits is 422"
bad '{"name":"x","phone":"+256 700 123 456 789 000 111 222"}' phone "a phone of more than 32 characters is 422"
bad '{"name":"x","phone":"+256abc123456"}' phone "letters in the phone are 422"
bad '{"name":"x","phone":256700123456}' phone "a phone as a number is 422"
bad '{"name":"x","email":"no-at-sign"}' email "an email without @ is 422"
bad '{"name":"x","email":"a@b"}' email "an email without a dot in the domain is 422"
bad '{"name":"x","email":"a b@example.org"}' email "a space in an email is 422"
bad '{"name":"x","email":"a..b@example.org"}' email "a double dot in an email is 422"
bad '{"name":"x","email":"a@-example.org"}' email "a domain label starting with - is 422"
bad "{\"name\":\"x\",\"email\":\"$(head -c 250 /dev/zero | tr '\0' a)@example.org\"}" email \
	"an email of more than 254 characters is 422"
bad '{"name":"x","email":true}' email "an email as boolean is 422"
bad "{\"name\":\"x\",\"notes\":\"$(head -c 4001 /dev/zero | tr '\0' n)\"}" notes "notes of 4001 characters are 422"
bad '{"name":"x","notes":"bell\u0007"}' notes "a control character in notes is 422"
bad '{"name":"x","notes":["a"]}' notes "notes as an array are 422"
bad 'not json' body "a body that is not JSON is 422"
bad '[1]' body "a JSON array is 422"
t_is "$(as "$TA" POST "$C" -d '{"name":"","phone":"12","email":"x"}')" 422 "several mistakes at once are 422"
t_is "$(j '.errors | keys | join(",")')" email,name,phone "each field has its errors"
bad '{"phone":"nope"}' phone "an update with a bad phone is 422" PUT "$C/$ID1"
t_is "$(owner "SELECT count(*) FROM customers")" 3 "no invalid request stored a customer"

# --- read and update -------------------------------------------------------------------
t_is "$(as "$TA" GET "$C/$ID1")" 200 "GET /{id} is 200"
t_is "$(j '[.data.id, .data.name] | @tsv')" "$(printf '%s\tJohn Doe' "$ID1")" "with the customer"
t_is "$(as "$TA" GET "$C/00000000-0000-4000-8000-000000000000")" 404 "an unknown id is 404"
t_is "$(as "$TA" GET "$C/not-a-uuid")" 404 "a malformed id is 404"
t_is "$(as "$TA" PUT "$C/$ID1" -d '{"name":"John D.","email":null}')" 200 "PUT changes the members given"
t_is "$(j '[.data.name, .data.phone, (.data.email | tostring), .data.notes] | @tsv')" \
	"$(printf 'John D.\t+256700123456\tnull\tPays cash.\\nMornings.')" \
	"name changed, email cleared by null, phone and notes kept"
t_is "$(as "$TA" PUT "$C/$ID2" -d '{"phone":"+44 20 7946 0958","notes":"x"}')" 200 "a phone can be added"
t_is "$(j .data.phone)" "+442079460958" "normalised"
t_is "$(as "$TA" PUT "$C/00000000-0000-4000-8000-000000000000" -d '{"name":"n"}')" 404 \
	"PUT of an unknown id is 404"

# --- tenant isolation ---------------------------------------------------------------------
t_is "$(as "$TB" GET "$C/$ID1")" 404 "B cannot read A's customer"
t_is "$(as "$TB" PUT "$C/$ID1" -d '{"name":"hijack"}')" 404 "B cannot change it"
t_is "$(as "$TB" DELETE "$C/$ID1")" 404 "B cannot delete it"
t_is "$(as "$TB" GET "$C/$ID1/communications")" 404 "B cannot read its communications"
t_is "$(as "$TB" GET "$C/$ID1/vouchers")" 404 "B cannot read its vouchers"
t_is "$(owner "SELECT name FROM customers WHERE id = '$ID1'")" "John D." "A's customer is unchanged"
t_is "$(as "$TB" GET "$C")" 200 "B's list"
t_is "$(j '[.meta.total, .data[0].id] | @tsv')" "$(printf '1\t%s' "$IDB")" "holds only B's customer"
t_is "$(as "$TR" GET "$C")" 200 "customers.read may list"
t_is "$(as "$TR" POST "$C" -d '{"name":"r"}')" 403 "customers.read may not create"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$C")" 401 "no token is 401"

# --- list: search, sort, pages ----------------------------------------------------------------
for i in $(seq 1 12); do
	as "$TA" POST "$C" -d "{\"name\":\"Page $(printf %02d "$i")\",\"phone\":\"+2567771000$(printf %02d "$i")\",\"email\":\"p$i@shop.example\"}" >/dev/null
done
t_is "$(as "$TA" GET "$C?per_page=5&page=2&sort_by=name&sort_order=asc")" 200 "a page of the list"
t_is "$(j '[.meta.current_page, .meta.per_page, .meta.total, .meta.last_page] | @tsv')" \
	"$(printf '2\t5\t14\t3')" "meta has current_page, per_page, total and last_page"
t_is "$(j '[.data[].name] | join(",")')" "Page 04,Page 05,Page 06,Page 07,Page 08" \
	"sorted by name, the second page of five"
t_is "$(as "$TA" GET "$C" -G --data-urlencode 'search=shop.example' -d per_page=100)" 200 "search by email"
t_is "$(j .meta.total)" 12 "finds the twelve"
t_is "$(as "$TA" GET "$C" -G --data-urlencode 'search=+44207')" 200 "search by phone"
t_is "$(j '[.data[].id] | join(",")')" "$ID2" "finds Jane"
t_is "$(as "$TA" GET "$C" -G --data-urlencode 'search=%')" 200 "a % in search"
t_is "$(j .meta.total)" 0 "is a literal percent sign"
t_is "$(as "$TA" GET "$C?sort_by=phone&sort_order=desc&per_page=1")" 200 "sort by phone"
t_is "$(j '.data[0].phone')" "+442079460958" "descending"
t_is "$(as "$TA" GET "$C?per_page=101")" 422 "per_page 101 is 422"
t_is "$(as "$TA" GET "$C?page=0")" 422 "page 0 is 422"
t_is "$(as "$TA" GET "$C?sort_by=password")" 422 "an unknown sort_by is 422"
t_is "$(as "$TA" GET "$C?sort_order=sideways")" 422 "an unknown sort_order is 422"
t_is "$(as "$TA" GET "$C" -G --data-urlencode "search=$(head -c 101 /dev/zero | tr '\0' s)")" 422 \
	"a search of 101 characters is 422"

# --- communications and vouchers -------------------------------------------------------------
owner "INSERT INTO sms_messages (tenant_id, customer_id, to_phone, body, driver, status, created_at)
       SELECT c.tenant_id, c.id, c.phone, 'message ' || i, 'log', 'sent',
              '2026-01-01 00:00+00'::timestamptz + i * interval '1 hour'
         FROM customers c, generate_series(1, 7) i WHERE c.id = '$ID1';
       INSERT INTO sms_messages (tenant_id, customer_id, to_phone, body, driver)
       SELECT tenant_id, id, '+256700000000', 'not John''s', 'log' FROM customers WHERE id = '$ID2';
       INSERT INTO sms_messages (tenant_id, customer_id, to_phone, body, driver)
       SELECT tenant_id, id, '+256700000000', 'B message', 'log' FROM customers WHERE id = '$IDB'" >/dev/null
t_is "$(as "$TA" GET "$C/$ID1/communications?per_page=3")" 200 "the communication history"
t_is "$(j '[.meta.total, .meta.last_page] | @tsv')" "$(printf '7\t3')" "counts the customer's 7 messages"
t_is "$(j '[.data[].body] | join(",")')" "message 7,message 6,message 5" "newest first"
t_is "$(j '.data[0] | [.channel, .status, .to_phone] | @tsv')" "$(printf 'sms\tsent\t+256700123456')" \
	"with channel, status and number"
t_is "$(as "$TA" GET "$C/$ID1/communications?per_page=3&page=3")" 200 "the last page"
t_is "$(j '[.data[].body] | join(",")')" "message 1" "holds the oldest"
t_is "$(as "$TA" GET "$C/00000000-0000-4000-8000-000000000000/communications")" 404 \
	"the history of an unknown customer is 404"
t_is "$(as "$TA" GET "$C/$ID1/communications?per_page=0")" 422 "per_page 0 is 422"

owner "INSERT INTO profiles (tenant_id, name, currency, price_minor) SELECT id, '1GB', 'UGX', 1000 FROM tenants;
       INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, price_minor, customer_id, created_at)
       SELECT c.tenant_id, 'CODE' || i, 'pw' || i, p.id, 'UGX', 1000, c.id, now() - i * interval '1 minute'
         FROM customers c JOIN profiles p ON p.tenant_id = c.tenant_id, generate_series(1, 2) i
        WHERE c.id IN ('$ID1', '$IDB')" >/dev/null
t_is "$(as "$TA" GET "$C/$ID1/vouchers")" 200 "the customer's vouchers"
t_is "$(j '[.meta.total, ([.data[].code] | join(","))] | @tsv')" "$(printf '2\tCODE1,CODE2')" \
	"newest first"
t_is "$(j '.data[0] | has("password")')" false "without passwords"
t_is "$(as "$TA" GET "$C/$ID1")" 200 "the customer"
t_is "$(j .data.vouchers_count)" 2 "counts its vouchers"
t_is "$(as "$TA" GET "$C/$ID2/vouchers")" 200 "a customer without vouchers"
t_is "$(j '[.meta.total, (.data | length)] | @tsv')" "$(printf '0\t0')" "has an empty list"

# --- delete ------------------------------------------------------------------------------------
t_is "$(as "$TA" DELETE "$C/$ID1")" 409 "deleting a customer with vouchers is 409"
t_is "$(j .data.vouchers_count)" 2 "saying how many"
t_is "$(owner "SELECT count(*) FROM customers WHERE id = '$ID1'")" 1 "the customer stays"
t_is "$(as "$TA" DELETE "$C/$ID1?detach=maybe")" 422 "detach must be true or false"
t_is "$(as "$TA" DELETE "$C/$ID1?detach=true")" 200 "detach=true deletes"
t_is "$(j .data.detached_vouchers)" 2 "and says how many vouchers were detached"
t_is "$(owner "SELECT count(*) || '|' || count(customer_id) FROM vouchers WHERE code IN ('CODE1', 'CODE2') AND tenant_id = (SELECT tenant_id FROM api_tokens WHERE token_hash = '$(api_sha "$TA")')")" \
	"2|0" "the vouchers stay, without a customer"
t_is "$(owner "SELECT count(*) FROM sms_messages WHERE body LIKE 'message %' AND customer_id IS NULL")" 7 \
	"the SMS history stays, without a customer"
t_is "$(as "$TA" GET "$C/$ID1")" 404 "the deleted customer is gone"
t_is "$(as "$TA" DELETE "$C/$ID1")" 404 "a second delete is 404"
t_is "$(as "$TA" DELETE "$C/$ID2")" 200 "a customer without vouchers is deleted without detach"
t_is "$(as "$TB" GET "$C/$IDB/vouchers")" 200 "B's customer"
t_is "$(j .meta.total)" 2 "still has B's vouchers"

# --- audit log ----------------------------------------------------------------------------------
t_is "$(owner "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE object_id = '$ID1'")" \
	customer.create,customer.update,customer.delete "create, update and delete are in the audit log"
t_is "$(owner "SELECT details->'fields' FROM audit_log WHERE object_id = '$ID1' AND action = 'customer.update'")" \
	'["name", "email"]' "with the names of the members changed"
t_is "$(owner "SELECT details->>'detached_vouchers' FROM audit_log WHERE object_id = '$ID1' AND action = 'customer.delete' AND ip = '127.0.0.1'")" \
	2 "a delete records the detached vouchers and the client's address"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE object_id = '$ID1' AND admin_id <> (SELECT admin_id FROM api_tokens WHERE token_hash = '$(api_sha "$TA")')")" \
	0 "B's refused attempts left no audit row"
t_fail "no email or phone value in the audit log" grep -qF -e john.doe -e 256700123456 \
	<(owner "SELECT details::text FROM audit_log")

hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
