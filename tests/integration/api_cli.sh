#!/usr/bin/env bash
# hotspotd's admin commands: tenant create, admin create (password on
# stdin, or prompted without echo on a terminal; weak ones refused), token
# create (printed once, works over HTTP), token revoke, health (over HTTP
# or the database). --help of each; bad usage exits 2, failures 1.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_cli
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 API_RATE_LIMIT=0
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
out=$HS_SUITE_DIR/out.txt err=$HS_SUITE_DIR/err.txt
# rc CMD...: runs hotspotd CMD..., stdout in $out, stderr in $err; prints the exit status.
rc() { "$H" "$@" >"$out" 2>"$err"; echo $?; }
rc_in() { local input=$1; shift; printf '%s' "$input" | "$H" "$@" >"$out" 2>"$err"; echo $?; }

# --- help ----------------------------------------------------------------------------
t_is "$(rc --help)" 0 "hotspotd --help"
for c in "tenant create" "admin create" "admin add-tenant" "token create" "token revoke" "health"; do
	t_like "$(cat "$out")" "  $c" "--help lists $c"
done
for c in "tenant create" "admin create" "admin add-tenant" "token create" "token revoke" "health"; do
	# shellcheck disable=SC2086
	t_is "$(rc $c --help)" 0 "$c --help exits 0"
	t_like "$(cat "$out")" "^usage: hotspotd \[--env-file FILE\] $c" "$c --help prints its usage"
done
t_like "$(rc admin create --help; cat "$out")" "--role ROLE" "admin create --help lists its options"

# --- tenant create ------------------------------------------------------------------------
t_is "$(rc tenant create --name 'Kampala Wifi' --slug kla --timezone Africa/Kampala --currency UGX)" 0 \
	"tenant create"
TEN=$(cat "$out")
t_like "$TEN" '^[0-9a-f-]{36}$' "prints the new tenant's id"
t_is "$(owner "SELECT name || '|' || slug || '|' || time_zone || '|' || currency FROM tenants WHERE id = '$TEN'")" \
	"Kampala Wifi|kla|Africa/Kampala|UGX" "with the values given"
t_is "$(rc tenant create --name=Second --slug=second)" 0 "--opt=value works, defaults apply"
t_is "$(owner "SELECT time_zone || '|' || currency FROM tenants WHERE slug = 'second'")" "UTC|UGX" \
	"time zone UTC and currency UGX by default"
t_is "$(rc tenant create --slug x)" 2 "without --name: exit 2"
t_like "$(cat "$err")" "--name is required" "saying what is missing"
t_is "$(rc tenant create --name x --slug y --colour red)" 2 "an unknown option: exit 2"
t_is "$(rc tenant create --name x --slug)" 2 "an option without its value: exit 2"
t_is "$(rc tenant create --name x --slug y extra)" 2 "an unexpected argument: exit 2"
t_is "$(rc tenant create --name Again --slug kla)" 1 "a slug taken: exit 1"
t_like "$(cat "$err")" "duplicate key|already exists" "saying why"
t_is "$(rc tenant create --name x --slug 'Bad Slug')" 1 "a malformed slug: exit 1"
t_is "$(rc tenant create --name x --slug tz --timezone Mars/Base)" 1 "an unknown time zone: exit 1"
t_is "$(owner "SELECT count(*) FROM tenants")" 2 "no refused tenant was stored"

# --- admin create ------------------------------------------------------------------------------
PW='Strong-Password-42'
t_is "$(rc_in "$PW"$'\n' admin create --tenant kla --email Boss@Example.org --name Boss --role owner)" 0 \
	"admin create reads the password from stdin"
ADM=$(cat "$out")
t_like "$ADM" '^[0-9a-f-]{36}$' "prints the admin's id"
t_is "$(owner "SELECT email || '|' || name || '|' || role || '|' || (password_hash LIKE '\$scrypt\$ln=15,r=8,p=1\$%') FROM admins WHERE id = '$ADM'")" \
	"boss@example.org|Boss|owner|true" "stored with an scrypt hash (address in lower case)"
t_is "$(rc_in "Another-Password-1"$'\n' admin create --tenant kla --email helper@example.org)" 0 "the role defaults"
t_is "$(owner "SELECT role FROM admins WHERE email = 'helper@example.org'")" admin "to admin"
t_is "$(rc_in "" admin create --tenant kla --email e1@example.org)" 1 "no password on stdin: exit 1"
t_is "$(rc_in $'\n' admin create --tenant kla --email e2@example.org)" 1 "an empty password: exit 1"
t_like "$(cat "$err")" "empty" "saying it is empty"
t_is "$(rc_in $'short1\n' admin create --tenant kla --email e3@example.org)" 1 "a short password: exit 1"
t_like "$(cat "$err")" "at least 10" "saying how long it must be"
t_is "$(rc_in $'aaaaaaaaaaaa\n' admin create --tenant kla --email e4@example.org)" 1 "a password of one repeated character: exit 1"
t_is "$(rc_in $'e5@example.org\n' admin create --tenant kla --email e5@example.org)" 1 "the address as password: exit 1"
t_is "$(rc_in "$PW"$'\n' admin create --tenant nowhere --email e6@example.org)" 1 "an unknown tenant: exit 1"
t_is "$(rc_in "$PW"$'\n' admin create --tenant kla --email boss@example.org)" 1 "the same address again: exit 1"
t_is "$(rc_in "$PW"$'\n' admin create --tenant kla --email e7@example.org --role king)" 2 "an unknown role: exit 2"
t_is "$(rc_in "$PW"$'\n' admin create --tenant kla --email not-an-address)" 2 "an address without @: exit 2"
t_is "$(rc_in "$PW"$'\n' admin create --email e8@example.org)" 2 "without --tenant: exit 2"
t_is "$(owner "SELECT count(*) FROM admins")" 2 "no refused admin was stored"
# On a terminal the password is prompted twice and not echoed.
if command -v script >/dev/null; then
	# The lines come after the prompts: input typed before echo is off would be echoed.
	(sleep 1; printf 'Tty-Password-77\n'; sleep 1; printf 'Tty-Password-77\n'; sleep 1) | script -qec "$H admin create --tenant kla --email tty@example.org" /dev/null >"$out" 2>&1
	t_is "$(owner "SELECT count(*) FROM admins WHERE email = 'tty@example.org'")" 1 "on a terminal the password is prompted"
	t_like "$(tr -d '\r' <"$out")" "Password: " "with a prompt"
	t_fail "without echo" grep -q 'Tty-Password-77' "$out"
	(sleep 1; printf 'Tty-Password-77\n'; sleep 1; printf 'Tty-Password-78\n'; sleep 1) | script -qec "$H admin create --tenant kla --email tty2@example.org" /dev/null >"$out" 2>&1
	t_is "$(owner "SELECT count(*) FROM admins WHERE email = 'tty2@example.org'")" 0 "two different entries are refused"
fi

# --- token create --------------------------------------------------------------------------------
t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
b=$HS_SUITE_DIR/body.json
t_is "$(rc token create --email boss@example.org --name deploy --abilities routers.read,audit.read --days 3)" 0 \
	"token create"
TOK=$(cat "$out")
t_like "$TOK" '^hs_[A-Za-z0-9_-]{43}$' "prints the token, and only it, on stdout"
t_like "$(cat "$err")" "shown only this once" "stderr says it is shown once"
t_is "$(owner "SELECT array_to_string(abilities, ',') || '|' || ((expires_at - now()) BETWEEN interval '71 hours' AND interval '72 hours') FROM api_tokens WHERE token_hash = '$(api_sha "$TOK")'")" \
	"routers.read,audit.read|true" "stored hashed, with its abilities and expiry"
TOK_ID=$(owner "SELECT id FROM api_tokens WHERE token_hash = '$(api_sha "$TOK")'")
t_is "$(as "$TOK" GET "$base/api/v1/router-management")" 200 "the token works over HTTP"
t_is "$(as "$TOK" POST "$base/api/v1/router-management" -d '{}')" 403 "within its abilities"
t_is "$(as "$TOK" GET "$base/api/v1/audit-logs?action=admin.create")" 200 "the CLI's changes are audited"
t_is "$(j '[.meta.total, .data[0].details.via, .data[0].admin_id] | @tsv')" "$(printf '3\tcli\t')" \
	"as done through the CLI, by no admin"
t_is "$(rc token create --email helper@example.org --tenant kla --name def)" 0 "without --abilities"
t_is "$(owner "SELECT array_length(abilities, 1) > 5 AND NOT ('*' = ANY (abilities)) FROM api_tokens WHERE name = 'def'")" t \
	"the role's default abilities"
t_is "$(rc token create --email helper@example.org --name esc --abilities '*')" 2 "more than the role has: exit 2"
t_is "$(rc token create --email boss@example.org --name x --abilities routers.fly)" 2 "an unknown ability: exit 2"
t_is "$(rc token create --email boss@example.org --name x --days 0)" 2 "--days 0: exit 2"
t_is "$(rc token create --email boss@example.org --name x --days many)" 2 "--days not a number: exit 2"
t_is "$(rc token create --email boss@example.org)" 2 "without --name: exit 2"
t_is "$(rc token create --email nobody@example.org --name x)" 1 "an unknown admin: exit 1"
t_is "$(rc token create --email boss@example.org --tenant second --name x)" 1 "an admin of another tenant: exit 1"

# --- admin add-tenant ------------------------------------------------------------------------------
t_is "$(rc admin add-tenant --email boss@example.org --tenant second --role operator)" 0 \
	"admin add-tenant"
t_like "$(cat "$out")" "boss@example.org may act in second as operator" "says what it did"
t_is "$(owner "SELECT m.role FROM admin_tenants m JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'second'")" \
	operator "the membership is stored"
t_is "$(rc token create --email boss@example.org --name multi --abilities routers.read,routers.write)" 0 \
	"a token of the member"
TOK_M=$(cat "$out")
t_is "$(as "$TOK_M" GET "$base/api/v1/router-management" -H 'X-Tenant: second')" 200 "acts in the other tenant with X-Tenant"
t_is "$(as "$TOK_M" POST "$base/api/v1/router-management" -H 'X-Tenant: second' -d '{}')" 403 \
	"as an operator there (no routers.write)"
t_is "$(rc admin add-tenant --email boss@example.org --home kla --tenant second --role admin)" 0 \
	"again with another role (and --home)"
t_is "$(owner "SELECT string_agg(role, ',') FROM admin_tenants")" admin "changes the role"
t_is "$(as "$TOK_M" POST "$base/api/v1/router-management" -H 'X-Tenant: second' -d '{"name":"r","ip_address":"10.9.0.1"}')" 201 \
	"an admin there may write"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'admin.member'")" 2 "memberships are audited"
t_is "$(rc admin add-tenant --email boss@example.org --tenant kla)" 1 "its own tenant: exit 1"
t_is "$(rc admin add-tenant --email boss@example.org --tenant nowhere)" 1 "an unknown tenant: exit 1"
t_is "$(rc admin add-tenant --email nobody@example.org --tenant second)" 1 "an unknown admin: exit 1"
t_is "$(rc admin add-tenant --email boss@example.org --tenant second --role king)" 2 "an unknown role: exit 2"
t_is "$(rc admin add-tenant --email boss@example.org)" 2 "without --tenant: exit 2"

# --- token revoke ------------------------------------------------------------------------------------
t_is "$(rc token revoke "$TOK_ID")" 0 "token revoke"
t_is "$(as "$TOK" GET "$base/api/v1/router-management")" 401 "the token is 401 afterwards"
t_is "$(rc token revoke "$TOK_ID")" 1 "revoking it again: exit 1"
t_is "$(rc token revoke 00000000-0000-4000-8000-000000000000)" 1 "an unknown id: exit 1"
t_is "$(rc token revoke nope)" 2 "an id that is not a UUID: exit 2"
t_is "$(rc token revoke)" 2 "no id: exit 2"
t_is "$(rc token revoke "$TOK_ID" "$TOK_ID")" 2 "two ids: exit 2"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND details->>'via' = 'cli'")" 1 \
	"the revocation is audited"

# --- health --------------------------------------------------------------------------------------------
t_is "$(rc health --url "$base")" 0 "health --url of a running hotspotd: exit 0"
t_like "$(cat "$out")" "^healthy" "says healthy"
t_is "$(rc health --url "$base/health")" 0 "with the path given"
t_is "$(rc health --url "$base/api/v1/nothing")" 1 "a URL that answers 404: exit 1"
t_like "$(cat "$out")" "answered 404" "saying what it answered"
t_is "$(rc health --url "http://127.0.0.1:$(hs_free_port)/")" 1 "nothing listening: exit 1"
t_is "$(rc health --url "https://127.0.0.1:$SERVE_PORT")" 2 "a URL that is not http://: exit 2"
t_is "$(rc health --url 'http://127.0.0.1:99999999/')" 2 "a port too long: exit 2"
t_is "$(rc health)" 0 "health without --url checks the database: exit 0"
t_is "$(DB_PORT=$(hs_free_port) DB_CONNECT_TIMEOUT=2 rc health)" 1 "with the database unreachable: exit 1"
t_like "$(cat "$out")" "^unhealthy" "says unhealthy"
t_is "$(rc health --colour)" 2 "an unknown option: exit 2"
hs_kill serve
t_is "$(rc health --url "$base")" 1 "once hotspotd stopped: exit 1"

t_fail "no password or token in any output" grep -qF -e "$PW" -e "$TOK" "$err" "$HS_SUITE_DIR/serve.log"
t_done
