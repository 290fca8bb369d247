#!/usr/bin/env bash
# hotspotd serve: POST /api/v1/auth/login over real HTTP. A good password
# gets a token (shown once, stored as SHA-256) with the role's abilities;
# a wrong password, an unknown address, a disabled admin and a '!' hash get
# the same 401 after similar work; failures are throttled per account and
# per client address (429 with Retry-After), in PostgreSQL, so that two
# hotspotd processes share the count; logins are audited.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_login
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 LOGIN_MAX_FAILURES=3 LOGIN_MAX_FAILURES_PER_ADDRESS=1000

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }

PW_A='Kampala-Hotspot-2026!'
PW_OP='Operator-Password-9'
# mkadmin TENANT EMAIL ROLE PASSWORD: an admin made by the admin command.
mkadmin() { printf '%s\n' "$4" | "$H" admin create --tenant "$1" --email "$2" --name "Name of $2" --role "$3"; }
t_ok "an owner with a password" mkadmin ten-a alice@example.org owner "$PW_A"
t_ok "an operator with a password" mkadmin ten-a op@example.org operator "$PW_OP"
t_ok "the same address in tenant B" mkadmin ten-b alice@example.org viewer "Other-Tenant-Pass-1"
t_ok "an admin to disable" mkadmin ten-a off@example.org admin "Disabled-Pass-123"
owner "UPDATE admins SET is_active = false WHERE email = 'off@example.org'" >/dev/null
owner "UPDATE admins SET created_at = now() - interval '1 day' WHERE email = 'alice@example.org'
	AND tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-a')" >/dev/null
t_like "$(owner "SELECT password_hash FROM admins WHERE email = 'op@example.org'")" \
	'^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$' \
	"the password is stored as an scrypt hash with its cost"

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
L=$base/api/v1/auth/login
b=$HS_SUITE_DIR/body.json

# login JSON: the status; the body in $b, the seconds taken in the file secs.
login() {
	local out
	out=$(curl -s -o "$b" -w '%{http_code} %{time_total}' --max-time 20 -X POST \
		-H 'Content-Type: application/json' -D "$HS_SUITE_DIR/headers.txt" -d "$1" "$L")
	echo "${out#* }" >"$HS_SUITE_DIR/secs"
	echo "${out%% *}"
}
creds() { jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p}'; }
retry_after() { tr -d '\r' <"$HS_SUITE_DIR/headers.txt" | awk -F': ' 'tolower($1) == "retry-after" {print $2}'; }

# --- success -------------------------------------------------------------------
t_is "$(login "$(jq -nc --arg p "$PW_OP" '{email: "OP@example.org", password: $p, device_name: "laptop"}')")" \
	200 "the right password logs in (any letter case of the address)"
t_is "$(j .message)" "Login successful" "with a message"
TOK=$(j .data.token)
t_like "$TOK" '^hs_[A-Za-z0-9_-]{43}$' "the token is hs_ and 43 base64url characters (32 random bytes)"
t_is "$(j '[.data.token_type, .data.admin.email, .data.admin.role, .data.admin.name, .data.tenant.slug, .data.tenant.name] | @tsv')" \
	"$(printf 'Bearer\top@example.org\toperator\tName of op@example.org\tten-a\tTenant A')" \
	"the answer has token_type, admin and tenant"
t_is "$(j '.data.abilities | sort | join(",")')" \
	"customers.read,customers.write,dashboard.read,events.read,mikrotik.read,payments.read,payments.write,profiles.read,routers.read,sms.read,sms.write,tokens.write,vouchers.read,vouchers.write" \
	"an operator's token has the operator's default abilities"
t_like "$(j .data.expires_at)" '^20[0-9]{2}-' "the token has an expiry"
t_is "$(owner "SELECT (expires_at - created_at) BETWEEN interval '719 hours 59 minutes' AND interval '720 hours 1 minute' FROM api_tokens WHERE name = 'laptop'")" \
	t "login tokens live API_TOKEN_LIFETIME_HOURS (720 by default)"
t_is "$(owner "SELECT count(*) FROM api_tokens WHERE token_hash = '$(api_sha "$TOK")'")" 1 \
	"only the token's SHA-256 is stored"
t_is "$(owner "SELECT count(*) FROM api_tokens WHERE token_hash = '$TOK'")" 0 "never the token itself"
t_is "$(as "$TOK" GET "$base/api/v1/router-management")" 200 "the token works (routers.read)"
t_is "$(as "$TOK" POST "$base/api/v1/router-management" -d '{}')" 403 \
	"and only within its abilities (an operator has no routers.write)"
t_is "$(owner "SELECT last_login_at IS NOT NULL FROM admins WHERE email = 'op@example.org'")" t \
	"last_login_at is set"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND admin_id = (SELECT id FROM admins WHERE email = 'op@example.org')")" \
	1 "the login is audited"

# --- which account -----------------------------------------------------------------
t_is "$(login "$(creds alice@example.org "$PW_A")")" 200 "without tenant: the oldest account with the address"
t_is "$(j '[.data.tenant.slug, .data.admin.role, (.data.abilities | join(","))] | @tsv')" \
	"$(printf 'ten-a\towner\t*')" "an owner gets *"
t_is "$(login "$(jq -nc '{email: "alice@example.org", password: "Other-Tenant-Pass-1", tenant: "ten-b"}')")" \
	200 "tenant (a slug) picks the account of that tenant"
t_is "$(j '[.data.tenant.slug, .data.admin.role] | @tsv')" "$(printf 'ten-b\tviewer')" "tenant B's viewer"
TB_ID=$(owner "SELECT id FROM tenants WHERE slug = 'ten-b'")
t_is "$(login "$(jq -nc --arg t "$TB_ID" '{email: "alice@example.org", password: "Other-Tenant-Pass-1", tenant: $t}')")" \
	200 "tenant may be the tenant's id"
t_is "$(login "$(jq -nc --arg p "$PW_A" '{email: "alice@example.org", password: $p, tenant: "ten-b"}')")" \
	401 "tenant A's password is not tenant B's"

# --- refusals: all alike ------------------------------------------------------------------
t_is "$(login "$(creds alice@example.org wrong-password)")" 401 "a wrong password is 401"
WRONG=$(jq -c . "$b")
T_WRONG=$(cat "$HS_SUITE_DIR/secs")
t_is "$WRONG" '{"success":false,"message":"invalid credentials","data":null}' "with the envelope"
t_is "$(login "$(creds nobody@example.org wrong-password)")" 401 "an unknown address is 401"
t_is "$(jq -c . "$b")" "$WRONG" "with the same answer"
T_UNKNOWN=$(cat "$HS_SUITE_DIR/secs")
t_is "$(login "$(creds off@example.org Disabled-Pass-123)")" 401 "a disabled admin is 401, even with its password"
t_is "$(jq -c . "$b")" "$WRONG" "with the same answer"
t_is "$(login "$(creds ten-b@example.org '!')")" 401 "an admin whose hash is '!' cannot log in"
t_is "$(jq -c . "$b")" "$WRONG" "with the same answer"
T_BANG=$(cat "$HS_SUITE_DIR/secs")
# The KDF runs in every case: an unknown address costs about what a wrong password does.
t_ok "an unknown address takes similar time ($T_UNKNOWN s vs $T_WRONG s)" \
	awk -v u="$T_UNKNOWN" -v w="$T_WRONG" -v x="$T_BANG" \
	'BEGIN { exit !(u > 0.02 && x > 0.02 && u > w / 3 && u < w * 3 && x > w / 3) }'
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'")" 3 \
	"failures of existing accounts are audited (not those of unknown addresses)"

# --- validation ---------------------------------------------------------------------------
t_is "$(login '{}')" 422 "an empty body is 422"
t_is "$(j '.errors | keys | join(",")')" email,password "naming email and password"
t_is "$(login '{"email":"x@example.org","password":12}')" 422 "a non-string password is 422"
t_is "$(login '{"email":"no-at-sign","password":"x"}')" 422 "an address without @ is 422"
t_is "$(login "$(jq -nc '{email: "a@example.org", password: ("x" * 1025)}')")" 422 "a password over 1024 bytes is 422"
t_is "$(login '{"email":"a@example.org","password":"x","tenant":7}')" 422 "a non-string tenant is 422"
t_is "$(login 'not json')" 422 "a body that is not JSON is 422"
t_is "$(login '{"email":"a@example.org","password":"x","tenant":"'"'"'; DROP TABLE admins; --"}')" \
	401 "an injection attempt in tenant is just an unknown tenant"
t_is "$(owner "SELECT count(*) > 0 FROM admins")" t "and admins is still there"

# --- throttling per account -----------------------------------------------------------------
owner "DELETE FROM login_failures" >/dev/null
for i in 1 2 3; do login "$(creds op@example.org "wrong-$i")" >/dev/null; done
t_is "$(login "$(creds op@example.org "$PW_OP")")" 429 \
	"after LOGIN_MAX_FAILURES failures even the right password is 429"
RA=$(retry_after)
t_like "$RA" '^[0-9]+$' "with Retry-After ($RA)"
t_ok "Retry-After is within the window" test "$RA" -ge 1 -a "$RA" -le 900
t_is "$(j .success)" false "429 uses the envelope"
t_is "$(login "$(creds OP@EXAMPLE.ORG "$PW_OP")")" 429 "the account is the address in any letter case"
t_is "$(login "$(creds alice@example.org "$PW_A")")" 200 "another account from the same address still logs in"

# A second process sees the same count: the state is in PostgreSQL.
P1=$SERVE_PORT
t_ok "a second hotspotd process on the same database" serve_on serve2
base2=http://127.0.0.1:$SERVE_PORT
SERVE_PORT=$P1
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d "$(creds op@example.org "$PW_OP")" "$base2/api/v1/auth/login")" 429 \
	"a second hotspotd process refuses the locked account too"

owner "UPDATE login_failures SET failed_at = failed_at - interval '16 minutes'" >/dev/null
t_is "$(login "$(creds op@example.org "$PW_OP")")" 200 "once the failures leave the window, login works"
for i in 1 2; do login "$(creds op@example.org "wrong-$i")" >/dev/null; done
t_is "$(login "$(creds op@example.org "$PW_OP")")" 200 "fewer failures than the limit do not lock"
for i in 1 2; do login "$(creds op@example.org "wrong-$i")" >/dev/null; done
t_is "$(login "$(creds op@example.org "wrong-3")")" 401 \
	"a success clears the account's failures (two more are not yet a lock)"
t_is "$(login "$(creds op@example.org "$PW_OP")")" 429 "the third failure after it locks"
t_is "$(login "$(creds ghost@example.org x)")" 401 "an unknown address is counted like a known one"
login "$(creds ghost@example.org x)" >/dev/null
login "$(creds ghost@example.org x)" >/dev/null
t_is "$(login "$(creds ghost@example.org x)")" 429 "and locked alike (no hint that it does not exist)"

# --- throttling per address ------------------------------------------------------------------
hs_kill serve
hs_kill serve2
owner "DELETE FROM login_failures" >/dev/null
export LOGIN_MAX_FAILURES=100 LOGIN_MAX_FAILURES_PER_ADDRESS=4
t_ok "serve restarts with an address limit of 4" serve_on serve3
base=http://127.0.0.1:$SERVE_PORT
L=$base/api/v1/auth/login
for i in 1 2 3 4; do login "$(creds "user$i@example.org" x)" >/dev/null; done
t_is "$(login "$(creds alice@example.org "$PW_A")")" 429 \
	"after 4 failures from one address (4 accounts), that address is locked"
t_like "$(retry_after)" '^[0-9]+$' "with Retry-After"
t_is "$(owner "SELECT count(*) FROM login_failures WHERE key = 'ip:127.0.0.1'")" 4 \
	"the address's failures are in login_failures"
t_is "$(hs_psql_as hs_api $DB -At -c "SELECT count(*) FROM login_failures" 2>&1 | grep -c 'permission denied')" 1 \
	"the API role cannot read login_failures directly"

t_fail "no password or token in the logs" grep -qF -e "$PW_A" -e "$PW_OP" -e "$TOK" \
	"$HS_SUITE_DIR/serve.log" "$HS_SUITE_DIR/serve2.log" "$HS_SUITE_DIR/serve3.log"
hs_kill serve3
t_is "$?" 0 "SIGTERM exits 0"
t_done
