#!/usr/bin/env bash
# hotspotd serve: /api/v1/profiles over real HTTP. Create in every unit
# (MB/GB, hours/days), 422 per field, 409 for a taken name, read, partial
# update (null clears a limit), the standard set (idempotent), delete and
# 409 while vouchers use a profile; the list's search, filter and pages;
# tenant isolation; injection attempts that do nothing; the audit rows.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

DB=hs_api_profiles
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
P=$base/api/v1/profiles

b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }

# --- create ----------------------------------------------------------------
t_is "$(as "$TA" POST "$P" -d '{"name":"1GB-DAILY","description":"1 GB for a day","data_limit_mb":1024,"validity_hours":24,"price":5000,"currency":"UGX","rate_limit":"2M/2M","shared_users":2,"mac_lock":true,"idle_timeout_seconds":600,"time_limit_hours":5}')" \
	201 "a profile with MB, hours, price and speed limit is created (201)"
t_is "$(j .message)" "Profile created successfully" "with a message"
ID1=$(j .data.id)
t_like "$ID1" '^[0-9a-f-]{36}$' "data.id is a UUID"
t_is "$(j '[.data.data_limit_bytes, .data.data_limit_mb, .data.validity_seconds, .data.validity_hours, .data.time_limit_seconds] | @tsv')" \
	"$(printf '1073741824\t1024\t86400\t24\t18000')" "1024 MB is 1 GiB in bytes; 24 h and 5 h in seconds"
t_is "$(j '[.data.price, .data.price_minor, .data.currency, .data.rate_limit, .data.shared_users, .data.mac_lock, .data.idle_timeout_seconds, .data.is_active] | @tsv')" \
	"$(printf '5000\t5000\tUGX\t2M/2M\t2\ttrue\t600\ttrue')" "price, currency, rate limit, shared users, MAC lock, idle timeout"
t_is "$(j .data.terms)" "1 GB, 24 hours, 5 hours online" "the terms in words"
t_is "$(owner "SELECT data_limit_bytes, validity_seconds, time_limit_seconds, price_minor, idle_timeout_s FROM profiles WHERE id = '$ID1'")" \
	"1073741824|86400|18000|5000|600" "stored in bytes, seconds and minor units"

t_is "$(as "$TA" POST "$P" -d '{"name":"USD-GB","data_limit_gb":1.5,"validity_days":7,"price":10.5,"currency":"USD"}')" \
	201 "GB with decimals, days, a price with cents"
ID2=$(j .data.id)
t_is "$(j '[.data.data_limit_bytes, .data.validity_seconds, .data.price_minor, .data.price] | @tsv')" \
	"$(printf '1610612736\t604800\t1050\t10.5')" "1.5 GB, 7 days, 10.50 USD = 1050 cents"
t_is "$(as "$TA" POST "$P" -d '{"name":"Plain"}')" 201 "only a name: unlimited, tenant currency, price 0"
ID3=$(j .data.id)
t_is "$(j '[.data.data_limit_bytes, .data.validity_seconds, .data.currency, .data.price, .data.shared_users, .data.mac_lock] | @tsv')" \
	"$(printf '\t\tUGX\t0\t1\tfalse')" "defaults"
t_is "$(as "$TA" POST "$P" -d '{"name":"Burst","rate_limit":"512k/1M 1M/2M 384k/768k 16/16 8 128k/256k"}')" 201 \
	"a full MikroTik rate limit with burst, threshold, time, priority, min"
ID4=$(j .data.id)

# --- validation: 422 per field ------------------------------------------------
bad() { # bad BODY FIELD NAME
	t_is "$(as "$TA" POST "$P" -d "$1")" 422 "$3 is 422"
	t_is "$(j ".errors | has(\"$2\")")" true "  with errors.$2"
}
bad '{}' name "a missing name"
bad '{"name":""}' name "an empty name"
bad '{"name":null}' name "a null name"
bad "{\"name\":\"$(printf 'x%.0s' $(seq 1 101))\"}" name "a name of 101 characters"
bad '{"name":"a\u0001b"}' name "a name with a control character"
bad '{"name":5}' name "a numeric name"
bad '{"name":"x","description":7}' description "a numeric description"
bad '{"name":"x","data_limit_mb":0}' data_limit_mb "data_limit_mb 0"
bad '{"name":"x","data_limit_mb":-5}' data_limit_mb "a negative data_limit_mb"
bad '{"name":"x","data_limit_mb":"1024"}' data_limit_mb "data_limit_mb as text"
bad '{"name":"x","data_limit_gb":2000000}' data_limit_gb "data_limit_gb above 1 PiB"
bad '{"name":"x","data_limit_bytes":1.5}' data_limit_bytes "fractional bytes"
bad '{"name":"x","data_limit_mb":1,"data_limit_gb":1}' data_limit_gb "two data units at once"
bad '{"name":"x","validity_hours":0}' validity_hours "validity_hours 0"
bad '{"name":"x","validity_hours":1.5}' validity_hours "fractional validity_hours"
bad '{"name":"x","validity_days":3651}' validity_days "validity above 10 years"
bad '{"name":"x","validity_hours":24,"validity_days":1}' validity_days "two validity units"
bad '{"name":"x","time_limit_minutes":-1}' time_limit_minutes "a negative time allowance"
bad '{"name":"x","time_limit_seconds":"60"}' time_limit_seconds "a time allowance as text"
bad '{"name":"x","rate_limit":"fast"}' rate_limit "a rate limit in words"
bad '{"name":"x","rate_limit":"2M/2M/2M"}' rate_limit "a rate limit with three parts"
bad '{"name":"x","rate_limit":"2X/2M"}' rate_limit "a rate limit with a bad unit"
bad '{"name":"x","rate_limit":"1M/1M 2M/2M 1M/1M 10/10 9"}' rate_limit "priority 9"
bad '{"name":"x","rate_limit":"1M 1M 1M 1M 1 1M 1M"}' rate_limit "seven rate-limit fields"
bad '{"name":"x","rate_limit":"1M;DROP"}' rate_limit "a rate limit with SQL"
bad '{"name":"x","rate_limit":5}' rate_limit "a numeric rate limit"
bad '{"name":"x","idle_timeout_seconds":0}' idle_timeout_seconds "idle timeout 0"
bad '{"name":"x","idle_timeout_seconds":86401}' idle_timeout_seconds "idle timeout above a day"
bad '{"name":"x","shared_users":0}' shared_users "shared_users 0"
bad '{"name":"x","shared_users":10001}' shared_users "shared_users 10001"
bad '{"name":"x","shared_users":true}' shared_users "shared_users true"
bad '{"name":"x","mac_lock":"yes"}' mac_lock "mac_lock as text"
bad '{"name":"x","code_only":1}' code_only "code_only as a number"
bad '{"name":"x","is_active":null}' is_active "is_active null"
bad '{"name":"x","price":-1}' price "a negative price"
bad '{"name":"x","price":"5000"}' price "a price as text"
bad '{"name":"x","price":1e14}' price "a price above the maximum"
bad '{"name":"x","price":10.5,"currency":"UGX"}' price "cents on a currency without minor units"
bad '{"name":"x","price":1.005,"currency":"USD"}' price "thousandths of a dollar"
bad '{"name":"x","currency":"usd"}' currency "a lower-case currency"
bad '{"name":"x","currency":"US"}' currency "a two-letter currency"
t_is "$(as "$TA" POST "$P" -d '[1]')" 422 "a body that is not an object is 422"
t_is "$(j '.errors | has("body")')" true "  with errors.body"
t_is "$(as "$TA" POST "$P" -d '{"name":"a","name":"b"}')" 422 "a member given twice is 422"
t_is "$(owner "SELECT count(*) FROM profiles")" 4 "no invalid request stored a profile"

# --- conflicts ---------------------------------------------------------------
t_is "$(as "$TA" POST "$P" -d '{"name":"1GB-DAILY"}')" 409 "a name the tenant has is 409"
t_is "$(as "$TB" POST "$P" -d '{"name":"1GB-DAILY","currency":"KES"}')" 201 "another tenant may use the same name"
IDB=$(j .data.id)
t_is "$(j .data.currency)" KES "in its own currency"

# --- read, update ---------------------------------------------------------------
t_is "$(as "$TA" GET "$P/$ID1")" 200 "a profile by id"
t_is "$(j '[.data.name, .data.data_limit_mb] | @tsv')" "$(printf '1GB-DAILY\t1024')" "its fields"
t_is "$(as "$TA" GET "$P/00000000-0000-4000-8000-000000000000")" 404 "an unknown id is 404"
t_is "$(as "$TA" GET "$P/not-a-uuid")" 404 "a malformed id is 404"
t_is "$(as "$TA" GET "$P/standard")" 404 "GET of the standard path is not a profile"

t_is "$(as "$TA" PUT "$P/$ID1" -d '{"price":6000,"data_limit_gb":2}')" 200 "a partial update"
t_is "$(j '[.data.price, .data.data_limit_bytes, .data.validity_hours, .data.rate_limit, .data.name] | @tsv')" \
	"$(printf '6000\t2147483648\t24\t2M/2M\t1GB-DAILY')" "changes the members given, keeps the rest"
t_is "$(as "$TA" PUT "$P/$ID1" -d '{"data_limit_mb":null,"rate_limit":null}')" 200 "null clears a limit"
t_is "$(j '[.data.data_limit_bytes, .data.rate_limit, .data.terms] | @tsv')" "$(printf '\t\tUnlimited data, 24 hours, 5 hours online')" \
	"the profile is now unlimited and without speed limit"
t_is "$(as "$TA" PUT "$P/$ID1" -d '{"currency":"USD"}')" 422 "a new currency without a price is 422"
t_is "$(j '.errors | has("price")')" true "  with errors.price"
t_is "$(as "$TA" PUT "$P/$ID1" -d '{"currency":"USD","price":2.25}')" 200 "a new currency with a price"
t_is "$(j '[.data.currency, .data.price_minor] | @tsv')" "$(printf 'USD\t225')" "is stored in the new minor units"
t_is "$(as "$TA" PUT "$P/$ID1" -d '{"name":"USD-GB"}')" 409 "renaming to a taken name is 409"
t_is "$(as "$TA" PUT "$P/$ID1" -d '{"shared_users":0}')" 422 "an update is validated"
t_is "$(as "$TA" PUT "$P/$ID1" -d '{"name":null}')" 422 "a null name is 422"
t_is "$(as "$TA" PUT "$P/00000000-0000-4000-8000-000000000000" -d '{"price":1}')" 404 "updating an unknown id is 404"

# --- standard profiles ------------------------------------------------------------
t_is "$(as "$TA" POST "$P/standard")" 201 "the standard set is created (201)"
t_is "$(j '.data.created | join(",")')" "20GB-MONTHLY,5GB-WEEKLY,UNLIMITED-DAILY,UNLIMITED-MONTHLY,UNLIMITED-WEEKLY" \
	"the five the tenant lacks are created (it has a 1GB-DAILY)"
t_is "$(j '.data.profiles | length')" 6 "the answer lists the six"
t_is "$(j '[.data.profiles[] | select(.name == "20GB-MONTHLY") | .data_limit_mb, .validity_hours] | @tsv')" \
	"$(printf '20480\t720')" "20GB-MONTHLY is 20480 MB for 720 hours"
t_is "$(j '[.data.profiles[] | select(.name == "UNLIMITED-WEEKLY") | .data_limit_bytes, .validity_hours] | @tsv')" \
	"$(printf '\t168')" "UNLIMITED-WEEKLY is unlimited for 168 hours"
t_is "$(j '[.data.profiles[] | select(.name == "1GB-DAILY") | .id] | @tsv')" "$ID1" "the tenant's own 1GB-DAILY is left as it was"
t_is "$(as "$TA" POST "$P/standard")" 200 "a second call creates nothing (200)"
t_is "$(j '.data.created | length')" 0 "  created is empty"
t_is "$(owner "SELECT count(*) FROM profiles WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-a')")" 9 \
	"the tenant has its 4 profiles and the 5 new standard ones, once"

# --- list --------------------------------------------------------------------------
t_is "$(as "$TA" GET "$P")" 200 "the list"
t_is "$(j '[.meta.total, .meta.per_page, .meta.current_page, .meta.last_page, (.data | length)] | @tsv')" \
	"$(printf '9\t15\t1\t1\t9')" "meta like the routers list"
t_is "$(as "$TA" GET "$P?per_page=3&page=4")" 200 "page 4 of 3"
t_is "$(j '[.meta.last_page, (.data | length), .data[0].name] | @tsv')" "$(printf '3\t0\t')" "past the last page: empty"
t_is "$(as "$TA" GET "$P?per_page=3&page=3")" 200 "page 3 of 3"
t_is "$(j '[.meta.last_page, (.data | length), .data[2].name] | @tsv')" "$(printf '3\t3\tUSD-GB')" "the last page, sorted by name"
t_is "$(as "$TA" GET "$P?search=unlimited")" 200 "search"
t_is "$(j '.meta.total')" 3 "finds the unlimited profiles, any letter case"
t_is "$(as "$TA" GET "$P?search=%25")" 200 "search for %"
t_is "$(j '.meta.total')" 0 "% is a plain character"
owner "UPDATE profiles SET is_active = false WHERE id = '$ID4'" >/dev/null
t_is "$(as "$TA" GET "$P?is_active=false")" 200 "filter is_active"
t_is "$(j '[.meta.total, .data[0].name] | @tsv')" "$(printf '1\tBurst')" "only the inactive one"
for q in "per_page=0" "per_page=101" "page=0" "page=x" "is_active=maybe" "search=$(printf 'y%.0s' $(seq 1 101))"; do
	t_is "$(as "$TA" GET "$P?$q")" 422 "list with $q is 422"
done
t_is "$(as "$TA" GET "$P?search=%27%3B%20DROP%20TABLE%20profiles%3B--")" 200 "an injection attempt in search"
t_is "$(j '.meta.total')" 0 "  finds nothing"
t_is "$(owner "SELECT count(*) FROM profiles")" 10 "and the table is intact"

# --- tenant isolation -----------------------------------------------------------------
t_is "$(as "$TB" GET "$P/$ID1")" 404 "B cannot read A's profile"
t_is "$(as "$TB" PUT "$P/$ID1" -d '{"price":1}')" 404 "B cannot update A's profile"
t_is "$(as "$TB" DELETE "$P/$ID1")" 404 "B cannot delete A's profile"
t_is "$(as "$TB" GET "$P")" 200 "B lists profiles"
t_is "$(j '[.meta.total, .data[0].id] | @tsv')" "$(printf '1\t%s' "$IDB")" "B sees only its own"
t_is "$(owner "SELECT price_minor FROM profiles WHERE id = '$ID1'")" 225 "A's profile is unchanged"
t_is "$(as "$TB" POST "$P/standard")" 201 "B adds the standard set"
t_is "$(j '[(.data.created | length), ([.data.profiles[] | select(.name == "1GB-DAILY") | .currency] | join(","))] | @tsv')" \
	"$(printf '5\tKES')" "  to its own tenant: B's 1GB-DAILY is its own"
t_is "$(owner "SELECT count(*) FROM profiles WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-a')")" 9 "  A's profiles are untouched"
owner "DELETE FROM profiles WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-b') AND name <> '1GB-DAILY'" >/dev/null

# --- delete ---------------------------------------------------------------------------
TIDA=$(owner "SELECT id FROM tenants WHERE slug = 'ten-a'")
owner "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency) VALUES ('$TIDA', 'INUSE1', 'pw', '$ID2', 'USD')" >/dev/null
t_is "$(as "$TA" DELETE "$P/$ID2")" 409 "deleting a profile vouchers use is 409"
t_like "$(j .message)" "used by 1 vouchers" "  the message says why"
t_is "$(owner "SELECT count(*) FROM profiles WHERE id = '$ID2'")" 1 "  and it stays"
t_is "$(as "$TA" DELETE "$P/$ID3")" 200 "deleting an unused profile"
t_is "$(as "$TA" GET "$P/$ID3")" 404 "it is gone"
t_is "$(as "$TA" DELETE "$P/$ID3")" 404 "deleting it again is 404"

# --- abilities, authentication -----------------------------------------------------------
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$P")" 401 "no token is 401"
RO=$(api_tok)
owner "INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
	SELECT tenant_id, id, 'ro', '$(api_sha "$RO")', ARRAY['profiles.read'] FROM admins WHERE email = 'ten-a@example.org'" >/dev/null
t_is "$(as "$RO" GET "$P")" 200 "profiles.read lists"
t_is "$(as "$RO" POST "$P" -d '{"name":"ro"}')" 403 "profiles.read cannot create"
t_is "$(as "$RO" POST "$P/standard")" 403 "nor add the standard set"

# --- audit ------------------------------------------------------------------------------
t_is "$(owner "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE object_id = '$ID1'")" \
	"profile.create,profile.update,profile.update,profile.update" "create and updates of a profile are audited"
t_is "$(owner "SELECT details->'fields' FROM audit_log WHERE object_id = '$ID1' AND action = 'profile.update' ORDER BY id LIMIT 1")" \
	'["price", "data_limit_gb"]' "with the names of the members given"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'profile.delete' AND object_id = '$ID3' AND ip = '127.0.0.1'")" 1 \
	"the delete is audited with the client's address"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'profile.standard' AND tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-a')")" 1 \
	"A's standard set once (its second call added nothing)"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'profile.standard' AND tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-b')")" 1 \
	"B's in B's audit log"

t_ok "hotspotd is still running" hs_running serve
t_done
