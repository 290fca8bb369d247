# What the API suites share, sourced after harness.sh (and hs_db_env):
# two tenants with an owner admin and a token each, hotspotd serve on a
# free port, and a curl wrapper that keeps the body for jq.

# api_tok: a new random token text.
api_tok() { openssl rand -hex 24; }
# api_sha TEXT: its SHA-256 in hex, as api_tokens.token_hash stores it.
api_sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# api_two_tenants DB: tenants 'ten-a' and 'ten-b' (admins ten-a@example.org,
# ten-b@example.org, role owner), tokens with every ability in TA and TB.
api_two_tenants() {
	local db=$1
	TA=$(api_tok) TB=$(api_tok)
	hs_psql_as hs_owner "$db" -v a="$(api_sha "$TA")" -v b="$(api_sha "$TB")" >/dev/null <<'SQL'
INSERT INTO tenants (name, slug) VALUES ('Tenant A', 'ten-a'), ('Tenant B', 'ten-b');
INSERT INTO admins (tenant_id, email, password_hash, role)
SELECT id, slug || '@example.org', '!', 'owner' FROM tenants;
INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
SELECT a.tenant_id, a.id, 'test', CASE t.slug WHEN 'ten-a' THEN :'a' ELSE :'b' END, ARRAY['*']
  FROM admins a JOIN tenants t ON t.id = a.tenant_id;
SQL
}

# serve_on NAME: starts hotspotd serve as NAME on a free port (another one
# when that port was taken between the check and the bind); the port in
# SERVE_PORT. Settings come from the caller's environment.
serve_on() {
	local name=$1 i
	for i in 1 2 3; do
		SERVE_PORT=$(hs_free_port) || return 1
		API_PORT=$SERVE_PORT hs_spawn "$name" "$HS_BUILD/hotspotd" serve
		hs_wait_http "http://127.0.0.1:$SERVE_PORT/health" 10 && return 0
		hs_kill "$name"
	done
	return 1
}

# as TOKEN METHOD URL [curl args]: the HTTP status; the body goes to $b
# ($HS_SUITE_DIR/body.json unless the suite set b).
as() {
	local token=$1 method=$2 url=$3
	shift 3
	curl -s -o "${b:=$HS_SUITE_DIR/body.json}" -w '%{http_code}' --max-time 10 -X "$method" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@" "$url"
}
# j FILTER: jq -r FILTER over the last body.
j() { jq -r "$1" "${b:=$HS_SUITE_DIR/body.json}"; }
