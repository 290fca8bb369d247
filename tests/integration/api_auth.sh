#!/usr/bin/env bash
# hotspotd serve: bearer tokens. A missing, malformed, unknown, expired or
# revoked token (or one of a disabled admin) is 401; a token without the
# route's ability is 403; /health stays public; the token never reaches the
# log.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_auth
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1

T_ALL=$(api_tok) T_READ=$(api_tok) T_EXPIRED=$(api_tok) T_REVOKED=$(api_tok) T_DISABLED=$(api_tok) T_NONE=$(api_tok)

# Two admins of one tenant (the second disabled) and their tokens, as the
# owner does it (demo seed style: only the SHA-256 is stored).
hs_psql_as hs_owner $DB -v all="$(api_sha "$T_ALL")" -v read="$(api_sha "$T_READ")" \
	-v expired="$(api_sha "$T_EXPIRED")" -v revoked="$(api_sha "$T_REVOKED")" \
	-v disabled="$(api_sha "$T_DISABLED")" -v none="$(api_sha "$T_NONE")" >/dev/null <<'SQL' ||
INSERT INTO tenants (name, slug) VALUES ('Auth A', 'auth-a');
INSERT INTO admins (tenant_id, email, password_hash, role)
SELECT id, 'a@example.org', '!', 'owner' FROM tenants WHERE slug = 'auth-a';
INSERT INTO admins (tenant_id, email, password_hash, role, is_active)
SELECT id, 'off@example.org', '!', 'admin', false FROM tenants WHERE slug = 'auth-a';
INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities, expires_at, revoked_at)
SELECT a.tenant_id, a.id, v.name, v.hash, v.abilities, v.expires_at, v.revoked_at
  FROM admins a,
       (VALUES ('all', :'all', ARRAY['*'], NULL::timestamptz, NULL::timestamptz),
               ('read', :'read', ARRAY['routers.read'], now() + interval '1 day', NULL),
               ('expired', :'expired', ARRAY['*'], now() - interval '1 second', NULL),
               ('revoked', :'revoked', ARRAY['*'], NULL, now()),
               ('none', :'none', ARRAY[]::text[], NULL, NULL)) AS v (name, hash, abilities, expires_at, revoked_at)
 WHERE a.email = 'a@example.org';
INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
SELECT tenant_id, id, 'disabled', :'disabled', ARRAY['*'] FROM admins WHERE email = 'off@example.org';
SQL
	{ echo "Bail out! cannot insert the tokens"; exit 1; }

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
routers=$base/api/v1/router-management

b=$HS_SUITE_DIR/body.json
# st METHOD URL [curl args]: the HTTP status; the body goes to $b.
st() {
	local method=$1 url=$2
	shift 2
	curl -s -o "$b" -w '%{http_code}' --max-time 10 -X "$method" "$@" "$url"
}
bearer() { echo "Authorization: Bearer $1"; }
env_of() { jq -c '[.success, .message, .data]' "$b"; }

t_is "$(st GET "$base/health")" 200 "/health needs no token"

t_is "$(st GET "$routers")" 401 "no Authorization header is 401"
t_is "$(env_of)" '[false,"authentication required",null]' "401 uses the envelope"
t_is "$(st GET "$routers" -H "Authorization: Basic $(echo -n a:b | base64)")" 401 \
	"another scheme is 401"
t_is "$(st GET "$routers" -H "Authorization: Bearer")" 401 "an empty bearer token is 401"
t_is "$(st GET "$routers" -H "Authorization: Bearer $T_ALL x")" 401 \
	"a token followed by junk is 401"
t_is "$(st GET "$routers" -H "$(bearer "$(api_tok)")")" 401 "an unknown token is 401"
t_is "$(st GET "$routers" -H "$(bearer "$(api_sha "$T_ALL")")")" 401 \
	"the stored hash is not a token"
t_is "$(st GET "$routers" -H "$(bearer "$(head -c 300 /dev/zero | tr '\0' a)")")" 401 \
	"an overlong token is 401"
t_is "$(st GET "$routers" -H "$(bearer "$T_EXPIRED")")" 401 "an expired token is 401"
t_is "$(st GET "$routers" -H "$(bearer "$T_REVOKED")")" 401 "a revoked token is 401"
t_is "$(st GET "$routers" -H "$(bearer "$T_DISABLED")")" 401 "a disabled admin's token is 401"

t_is "$(st GET "$routers" -H "$(bearer "$T_ALL")")" 200 "a live '*' token is 200"
t_is "$(jq -r .success "$b")" true "and answers with the envelope"
t_is "$(st GET "$routers" -H "authorization: bearer $T_ALL")" 200 \
	"the header name and scheme are case-insensitive"
t_is "$(st GET "$routers" -H "$(bearer "$T_READ")")" 200 "routers.read may list routers"
t_is "$(st POST "$routers" -H "$(bearer "$T_READ")" -d '{}')" 403 \
	"routers.read may not create a router"
t_is "$(env_of)" '[false,"forbidden",null]' "403 uses the envelope"
t_is "$(st DELETE "$routers/00000000-0000-4000-8000-000000000000" -H "$(bearer "$T_READ")")" \
	403 "routers.read may not delete"
t_is "$(st GET "$routers" -H "$(bearer "$T_NONE")")" 403 "a token without abilities is 403"

t_is "$(st GET "$base/api/v1/nothing" -H "$(bearer "$T_ALL")")" 404 "an unknown path is 404"
t_is "$(st PATCH "$routers" -H "$(bearer "$T_ALL")")" 405 "a wrong method is 405"
t_is "$(st PATCH "$routers")" 405 "405 comes before authentication"

t_is "$(hs_psql_as hs_owner $DB -At -c "SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")" \
	3 "last_used_at is kept for the live tokens that were used"

t_fail "no token in the log" grep -qF -e "$T_ALL" -e "$T_READ" -e "$T_EXPIRED" -e "$T_REVOKED" \
	"$HS_SUITE_DIR/serve.log"
t_like "$(cat "$HS_SUITE_DIR/serve.log")" "GET /api/v1/router-management 401" \
	"a refused request is logged with its status"

hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
