#!/usr/bin/env bash
# hotspotd serve: the caller's account and tokens over real HTTP. /auth/me;
# token create (a subset of the caller's abilities, never more), list
# (never a hash), revoke (401 afterwards), logout, expiry; X-Tenant for
# admins of several tenants (member: its role caps the token; not a member:
# 403; data stays apart); the per-token rate limit (429, Retry-After); CORS
# answers and preflight.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_tokens
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 API_RATE_LIMIT=0 CORS_ORIGIN='https://console.example.org, https://ops.example.org'

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
TEN_A=$(owner "SELECT id FROM tenants WHERE slug = 'ten-a'")
TEN_B=$(owner "SELECT id FROM tenants WHERE slug = 'ten-b'")
ADM_A=$(owner "SELECT id FROM admins WHERE email = 'ten-a@example.org'")
owner "INSERT INTO tenants (name, slug) VALUES ('Tenant C', 'ten-c')" >/dev/null

# Tokens made the way the API stores them: an operator of A (abilities of
# its role), a token of A's owner with routers.read only.
T_OP=$(api_tok) T_RO=$(api_tok)
hs_psql_as hs_owner $DB -v op="$(api_sha "$T_OP")" -v ro="$(api_sha "$T_RO")" >/dev/null <<'SQL' ||
INSERT INTO admins (tenant_id, email, password_hash, role)
SELECT id, 'op@example.org', '!', 'operator' FROM tenants WHERE slug = 'ten-a';
INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
SELECT tenant_id, id, 'op', :'op', ARRAY['routers.read', 'vouchers.write', 'tokens.write']
  FROM admins WHERE email = 'op@example.org';
INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
SELECT tenant_id, id, 'ro', :'ro', ARRAY['routers.read'] FROM admins WHERE email = 'ten-a@example.org';
SQL
	{ echo "Bail out! cannot insert the tokens"; exit 1; }

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
A=$base/api/v1/auth
R=$base/api/v1/router-management
b=$HS_SUITE_DIR/body.json

# --- me ----------------------------------------------------------------------------
t_is "$(as "$TA" GET "$A/me")" 200 "GET /auth/me"
t_is "$(j '[.data.admin.email, .data.admin.role, .data.tenant.slug, .data.token.name, .data.token.current] | @tsv')" \
	"$(printf 'ten-a@example.org\towner\tten-a\ttest\ttrue')" "names the admin, its tenant and the token"
t_is "$(j '.data.tenants | map(.slug) | join(",")')" ten-a "and the tenants it may act in"
t_is "$(j '[.. | objects | has("token_hash")] | any')" false "no token hash anywhere"
t_is "$(as "$T_RO" GET "$A/me")" 200 "any live token may read /auth/me"
t_is "$(as nonsense GET "$A/me")" 401 "an unknown token may not"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$A/me")" 401 "nor no token"

# --- create ---------------------------------------------------------------------------
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"ci","abilities":["routers.read","audit.read"],"expires_in_days":2}')" \
	201 "an owner creates a token with some abilities"
T_CI=$(j .data.token)
CI_ID=$(j .data.id)
t_like "$T_CI" '^hs_[A-Za-z0-9_-]{43}$' "the new token is shown once"
t_is "$(j '[.data.name, .data.token_type, (.data.abilities | join(","))] | @tsv')" \
	"$(printf 'ci\tBearer\trouters.read,audit.read')" "with its name and abilities"
t_is "$(owner "SELECT (expires_at - now()) BETWEEN interval '47 hours' AND interval '48 hours' FROM api_tokens WHERE id = '$CI_ID'")" \
	t "expires_in_days sets the expiry"
t_is "$(owner "SELECT token_hash = '$(api_sha "$T_CI")' FROM api_tokens WHERE id = '$CI_ID'")" t \
	"only its SHA-256 is stored"
t_is "$(as "$T_CI" GET "$R")" 200 "the new token reads routers"
t_is "$(as "$T_CI" POST "$R" -d '{}')" 403 "but may not write them"
t_is "$(as "$T_CI" POST "$A/tokens" -d '{"name":"x","abilities":["routers.read"]}')" 403 \
	"without tokens.write it cannot make tokens"
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"dup","abilities":["routers.read","events.read","routers.read"]}')" 201 \
	"an ability named twice"
t_is "$(j '.data.abilities | join(",")')" routers.read,events.read "is kept once"
as "$TA" DELETE "$A/tokens/$(j .data.id)" >/dev/null
owner "DELETE FROM api_tokens WHERE name = 'dup'" >/dev/null
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"default","abilities":["*"]}')" 201 "an owner with * may grant *"
t_is "$(owner "SELECT (expires_at - now()) BETWEEN interval '719 hours' AND interval '720 hours' FROM api_tokens WHERE id = '$(j .data.id)'")" \
	t "without expires_in_days the token lives API_TOKEN_LIFETIME_HOURS"

t_is "$(as "$T_OP" POST "$A/tokens" -d '{"name":"sub","abilities":["routers.read"]}')" 201 \
	"an operator grants a subset of its token's abilities"
t_is "$(as "$T_OP" POST "$A/tokens" -d '{"name":"esc","abilities":["routers.write"]}')" 403 \
	"but not an ability its token lacks"
t_is "$(j .message)" "a token cannot have abilities its maker lacks" "the 403 says why"
t_is "$(as "$T_OP" POST "$A/tokens" -d '{"name":"esc","abilities":["*"]}')" 403 "nor *"
t_is "$(as "$T_OP" POST "$A/tokens" -d '{"name":"esc","abilities":["routers.read","audit.read"]}')" 403 \
	"nor a list with one ability too many"
owner "UPDATE api_tokens SET abilities = ARRAY['*'] WHERE name = 'op'" >/dev/null
t_is "$(as "$T_OP" POST "$A/tokens" -d '{"name":"esc","abilities":["routers.write"]}')" 403 \
	"a * token of an operator still cannot grant what the role lacks"
t_is "$(as "$T_OP" POST "$A/tokens" -d '{"name":"ok","abilities":["vouchers.write"]}')" 201 \
	"and grants what the role has"
t_is "$(owner "SELECT count(*) FROM api_tokens WHERE name = 'esc'")" 0 "no refused token was stored"

# --- validation --------------------------------------------------------------------------
t_is "$(as "$TA" POST "$A/tokens" -d '{}')" 422 "an empty body is 422"
t_is "$(j '.errors | keys | join(",")')" abilities,name "naming name and abilities"
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"x","abilities":["routers.fly"]}')" 422 "an unknown ability is 422"
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"x","abilities":[]}')" 422 "no ability is 422"
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"x","abilities":"routers.read"}')" 422 "abilities not a list is 422"
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"x","abilities":["routers.read"],"expires_in_days":0}')" 422 "0 days is 422"
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"x","abilities":["routers.read"],"expires_in_days":3651}')" 422 "3651 days is 422"
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"","abilities":["routers.read"]}')" 422 "an empty name is 422"
t_is "$(as "$TA" POST "$A/tokens" -d '[1]')" 422 "a body that is not an object is 422"

# --- list ------------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$A/tokens")" 200 "GET /auth/tokens"
t_is "$(j '.data | map(.name) | sort | join(",")')" "ci,default,ro,test" "lists the caller's admin's tokens only"
t_is "$(j '[.data[] | has("token_hash") or has("token")] | any')" false "never a hash or a token"
t_is "$(j '.data | map(select(.current)) | map(.name) | join(",")')" test "marks the calling token"
t_is "$(as "$TB" GET "$A/tokens")" 200 "tenant B lists its own"
t_is "$(j '.data | map(.name) | join(",")')" test "and sees none of tenant A's"

# --- revoke ----------------------------------------------------------------------------------
t_is "$(as "$TB" DELETE "$A/tokens/$CI_ID")" 404 "tenant B cannot revoke tenant A's token (404)"
t_is "$(as "$T_OP" DELETE "$A/tokens/$CI_ID")" 404 "nor can another admin of the same tenant"
t_is "$(as "$TA" DELETE "$A/tokens/not-a-uuid")" 404 "a malformed id is 404"
t_is "$(as "$T_CI" GET "$R")" 200 "the token still works before it is revoked"
t_is "$(as "$TA" DELETE "$A/tokens/$CI_ID")" 200 "its admin revokes it"
t_is "$(as "$T_CI" GET "$R")" 401 "a revoked token is 401"
t_is "$(as "$TA" GET "$A/tokens")" 200 "the list"
t_like "$(jq -r --arg id "$CI_ID" '.data | map(select(.id == $id)) | .[0].revoked_at' "$b")" \
	'^20' "shows when it was revoked"

# --- expiry ------------------------------------------------------------------------------------
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"short","abilities":["routers.read"],"expires_in_days":1}')" 201 "a token for one day"
T_SHORT=$(j .data.token)
t_is "$(as "$T_SHORT" GET "$R")" 200 "works within its day"
owner "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'short'" >/dev/null
t_is "$(as "$T_SHORT" GET "$R")" 401 "and is 401 once expired"

# --- logout ------------------------------------------------------------------------------------
t_is "$(as "$TA" POST "$A/tokens" -d '{"name":"session","abilities":["routers.read"]}')" 201 "a token to log out with"
T_SES=$(j .data.token)
t_is "$(as "$T_SES" POST "$A/logout")" 200 "POST /auth/logout"
t_is "$(as "$T_SES" GET "$A/me")" 401 "revokes the calling token"
t_is "$(as "$TA" GET "$A/me")" 200 "and no other"
t_is "$(owner "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE action IN ('token.create', 'token.revoke', 'auth.logout')")" \
	"token.create,token.create,token.revoke,token.create,token.create,token.create,token.revoke,token.create,token.create,auth.logout" \
	"token creation, revocation and logout are audited"

# --- X-Tenant -----------------------------------------------------------------------------------
owner "INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret) VALUES
	('$TEN_A', 'router-of-a', '10.1.0.1', 'secret-a-123'), ('$TEN_B', 'router-of-b', '10.2.0.1', 'secret-b-123')" >/dev/null
t_is "$(as "$TA" GET "$R")" 200 "without X-Tenant, the token's own tenant"
t_is "$(j '[.data[].name] | join(",")')" router-of-a "sees tenant A's routers"
t_is "$(as "$TA" GET "$R" -H 'X-Tenant: ten-b')" 403 "X-Tenant of a tenant it is no member of is 403"
t_is "$(j .message)" "not a member of this tenant" "saying so"
t_is "$(as "$TA" GET "$R" -H "X-Tenant: $TEN_B")" 403 "by id too"
t_is "$(as "$TA" GET "$R" -H 'X-Tenant: no-such-tenant')" 403 "an unknown tenant is 403"
t_is "$(as "$TA" GET "$R" -H "X-Tenant: a'b;--")" 403 "a malformed one is 403"
t_is "$(as "$TA" GET "$R" -H 'X-Tenant: ten-a')" 200 "its own tenant by slug is fine"
owner "INSERT INTO admin_tenants (admin_id, tenant_id, role) VALUES ('$ADM_A', '$TEN_B', 'viewer')" >/dev/null
t_is "$(as "$TA" GET "$R" -H 'X-Tenant: ten-b')" 200 "a member may act in tenant B"
t_is "$(j '[.data[].name] | join(",")')" router-of-b "and sees tenant B's routers only"
t_is "$(as "$TA" GET "$R" -H "X-Tenant: $TEN_B")" 200 "X-Tenant by id"
t_is "$(as "$TA" POST "$R" -H 'X-Tenant: ten-b' -d '{"name":"x","ip_address":"10.2.0.9"}')" 403 \
	"a viewer membership caps the * token: no routers.write in B"
t_is "$(as "$TA" GET "$A/me" -H 'X-Tenant: ten-b')" 200 "/auth/me with X-Tenant"
t_is "$(j '[.data.tenant.slug, (.data.tenants | map(.slug + ":" + .role) | join(","))] | @tsv')" \
	"$(printf 'ten-a\tten-a:owner,ten-b:viewer')" "stays on the own account and lists both tenants"
owner "UPDATE admin_tenants SET role = 'admin'" >/dev/null
t_is "$(as "$TA" POST "$R" -H 'X-Tenant: ten-b' -d '{"name":"made-in-b","ip_address":"10.2.0.9"}')" 201 \
	"as admin of B it may create a router there"
t_is "$(owner "SELECT t.slug FROM mikrotik_devices d JOIN tenants t ON t.id = d.tenant_id WHERE d.name = 'made-in-b'")" \
	ten-b "the router belongs to tenant B"
t_is "$(as "$TB" GET "$R")" 200 "tenant B's own token"
t_is "$(j '[.data[].name] | sort | join(",")')" made-in-b,router-of-b "sees it"
t_is "$(as "$TA" GET "$R")" 200 "tenant A without X-Tenant"
t_is "$(j '[.data[].name] | join(",")')" router-of-a "still sees only A's"
t_is "$(as "$TB" GET "$R" -H 'X-Tenant: ten-a')" 403 "membership is one-way: B's admin is no member of A"
t_is "$(as "$T_RO" GET "$R" -H 'X-Tenant: ten-b')" 200 "another token of the member admin may use X-Tenant"
t_is "$(as "$T_RO" POST "$R" -H 'X-Tenant: ten-b' -d '{}')" 403 "within its own abilities only"
owner "UPDATE tenants SET is_active = false WHERE slug = 'ten-b'" >/dev/null
t_is "$(as "$TA" GET "$R" -H 'X-Tenant: ten-b')" 403 "an inactive tenant is 403"
owner "UPDATE tenants SET is_active = true WHERE slug = 'ten-b'" >/dev/null
t_is "$(as "$TA" GET "$R" -H 'X-Tenant: ten-c')" 403 "a third tenant is still 403"
t_is "$(hs_psql_as hs_api $DB -At -c "SELECT count(*) FROM admin_tenants")" 0 \
	"without a tenant set, the API role sees no membership"

# --- CORS -------------------------------------------------------------------------------------------
hdr() { curl -s -o /dev/null -D - --max-time 10 "$@" | tr -d '\r'; }
H1=$(hdr -H 'Origin: https://console.example.org' -H "Authorization: Bearer $TA" "$R")
t_like "$H1" $'\nAccess-Control-Allow-Origin: https://console.example.org\n' "an allowed origin gets Access-Control-Allow-Origin"
t_like "$H1" $'\nVary: Origin' "and Vary: Origin"
t_like "$(hdr -H 'Origin: https://ops.example.org' "$R")" $'\nAccess-Control-Allow-Origin: https://ops.example.org\n' \
	"each origin of the list (even on a 401)"
t_fail "another origin gets no CORS header" grep -qi access-control <<<"$(hdr -H 'Origin: https://evil.example' -H "Authorization: Bearer $TA" "$R")"
t_fail "no Origin, no CORS header" grep -qi access-control <<<"$(hdr -H "Authorization: Bearer $TA" "$R")"
PF=$(curl -s -D - -o "$b" -w '%{http_code}' -X OPTIONS -H 'Origin: https://console.example.org' \
	-H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization, content-type' "$R" | tr -d '\r')
t_like "$PF" '204$' "a preflight of a known path is 204 without a token"
t_like "$PF" $'\nAccess-Control-Allow-Methods: GET, HEAD, POST, OPTIONS' "with the path's methods"
t_like "$PF" $'\nAccess-Control-Allow-Headers: Authorization, Content-Type, X-Tenant' "and the headers allowed"
t_like "$PF" $'\nAccess-Control-Max-Age: 600' "and a max age"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: https://console.example.org' "$R/$CI_ID")" 204 \
	"preflight of a path with an id"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: https://console.example.org' "$base/api/v1/nothing")" 404 \
	"preflight of an unknown path is 404"
t_fail "a preflight from another origin gets no CORS header" grep -qi access-control-allow \
	<<<"$(hdr -X OPTIONS -H 'Origin: https://evil.example' "$R")"
hs_kill serve

# --- rate limit ----------------------------------------------------------------------------------------
export API_RATE_LIMIT=5 CORS_ORIGIN=
t_ok "serve restarts with 5 requests per minute per token" serve_on serve2
base=http://127.0.0.1:$SERVE_PORT
R=$base/api/v1/router-management
codes=""
for i in 1 2 3 4 5 6; do codes="$codes $(as "$TA" GET "$R" -D "$HS_SUITE_DIR/rl.txt")"; done
t_is "$codes" " 200 200 200 200 200 429" "the sixth request within a minute is 429"
t_is "$(j '[.success, .message] | @tsv')" "$(printf 'false\ttoo many requests')" "with the envelope"
RA=$(tr -d '\r' <"$HS_SUITE_DIR/rl.txt" | awk -F': ' 'tolower($1) == "retry-after" {print $2}')
t_ok "and Retry-After of 1 to 12 seconds ($RA)" test "${RA:-0}" -ge 1 -a "${RA:-0}" -le 12
t_is "$(as "$TB" GET "$R")" 200 "another token has its own budget"
t_is "$(as nonsense GET "$R")" 401 "an unknown token is still 401, not 429"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" 200 "public routes are not limited"
sleep "$RA"
t_is "$(as "$TA" GET "$R")" 200 "after Retry-After seconds the token may call again"
t_is "$(as "$TA" GET "$R")" 429 "one request's worth only"

hs_kill serve2
t_is "$?" 0 "SIGTERM exits 0"
t_done
