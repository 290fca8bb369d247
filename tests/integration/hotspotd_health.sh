#!/usr/bin/env bash
# hotspotd serve: GET /health with the database up and down, 404 apart
# from 405, the body cap, the request log, and a clean stop on SIGTERM.
source "$HS_ROOT/tests/lib/harness.sh"

H=$HS_BUILD/hotspotd
version=$(cat "$HS_ROOT/VERSION")
latest=$(basename "$(ls "$HS_ROOT"/sql/migrations/*.sql | sort | tail -n 1)" | cut -c1-4)

hs_new_db hs_health || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env hs_health
export API_PORT=$(hs_free_port) API_MAX_BODY=1024 WORKER_THREADS=1
base=http://127.0.0.1:$API_PORT

hs_spawn serve "$H" serve
t_ok "serve answers HTTP" hs_wait_http "$base/health" 10

# status BODY_FILE METHOD URL [curl args]: prints the HTTP status.
status() {
	local body=$1 method=$2 url=$3
	shift 3
	curl -s -o "$body" -w '%{http_code}' --max-time 10 -X "$method" "$@" "$url"
}
json() { jq -r "$1" "$2"; }

b=$HS_SUITE_DIR/health.json
t_is "$(status "$b" GET "$base/health")" 200 "GET /health is 200 with the database up"
t_is "$(json .success "$b")" true "success is true"
t_is "$(json .message "$b")" ok "message is ok"
t_is "$(json .data.version "$b")" "$version" "data.version is the build's version"
t_is "$(json .data.database "$b")" up "data.database is up"
t_is "$(json .data.migration "$b")" "$latest" "data.migration is the latest applied"
t_like "$(curl -s -D - -o /dev/null "$base/health")" "[Cc]ontent-[Tt]ype: application/json" \
	"the answer is JSON"

b=$HS_SUITE_DIR/404.json
t_is "$(status "$b" GET "$base/no/such/path")" 404 "an unknown path is 404"
t_is "$(json .success "$b"):$(json .message "$b")" "false:not found" "404 uses the envelope"
b=$HS_SUITE_DIR/405.json
t_is "$(status "$b" POST "$base/health" -d '{}')" 405 "a wrong method is 405"
t_is "$(json .message "$b")" "method not allowed" "405 uses the envelope"
t_like "$(curl -s -D - -o /dev/null -X DELETE "$base/health")" "Allow: GET, HEAD" \
	"405 lists the allowed methods"

head -c 2000 /dev/zero | tr '\0' x >"$HS_SUITE_DIR/big.txt"
t_is "$(status /dev/null POST "$base/health" --data-binary @"$HS_SUITE_DIR/big.txt")" 413 \
	"a body over API_MAX_BODY is 413"
t_is "$(status /dev/null POST "$base/health" -H 'Transfer-Encoding: chunked' \
	--data-binary @"$HS_SUITE_DIR/big.txt")" 413 "a chunked body over API_MAX_BODY is 413"
t_is "$(status /dev/null GET "$base/health")" 200 "the server still answers afterwards"

t_like "$(cat "$HS_SUITE_DIR/serve.log")" "info GET /health 200 [0-9.]+ ms" \
	"each request is logged with status and time"
t_fail "no password in the log" grep -qF -e "$HS_PW_API" -e "$HS_PW_WORKER" \
	"$HS_SUITE_DIR/serve.log"

# A second instance whose database port is closed: 503, quickly.
closed=$(hs_free_port)
port2=$(hs_free_port)
DB_PORT=$closed API_PORT=$port2 hs_spawn serve_down "$H" serve
t_ok "the second instance answers HTTP" hs_wait_http "http://127.0.0.1:$port2/health" 10
b=$HS_SUITE_DIR/down.json
t0=$(date +%s%N)
code=$(status "$b" GET "http://127.0.0.1:$port2/health")
ms=$((($(date +%s%N) - t0) / 1000000))
t_is "$code" 503 "GET /health is 503 with the database unreachable"
t_is "$(json .success "$b"):$(json .data.database "$b")" "false:down" "data.database is down"
t_is "$(json .data.version "$b")" "$version" "the version is still reported"
t_ok "the 503 comes quickly (${ms} ms)" test "$ms" -lt 3000

# The running instance loses its database (hs_api may no longer connect and
# its sessions are ended): the next /health is 503, then 200 once allowed again.
hs_psql_super -q -c "REVOKE CONNECT ON DATABASE hs_health FROM PUBLIC, hs_api" \
	-c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'hs_health' AND usename = 'hs_api'" >/dev/null
b=$HS_SUITE_DIR/revoked.json
t_is "$(status "$b" GET "$base/health")" 503 "503 once the API role may not connect"
t_is "$(json .data.database "$b")" down "and the database is reported down"
hs_psql_super -q -c "GRANT CONNECT ON DATABASE hs_health TO hs_api" >/dev/null
t_is "$(status "$b" GET "$base/health")" 200 "200 again once it may (the pool reconnects)"

# SIGTERM stops the server promptly with status 0.
t0=$(date +%s%N)
hs_kill serve
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
t_is "$rc" 0 "SIGTERM exits 0"
t_ok "SIGTERM stops it promptly (${ms} ms)" test "$ms" -lt 5000
t_like "$(tail -n 3 "$HS_SUITE_DIR/serve.log")" "stopped" "it logs that it stopped"
hs_kill serve_down
t_is "$?" 0 "the instance without a database also exits 0 on SIGTERM"

t_done
