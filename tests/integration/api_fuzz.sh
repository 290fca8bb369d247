#!/usr/bin/env bash
# Fuzz runs of the API, bounded (make fuzz-api runs a long libFuzzer one):
#  1. tests/fuzz/api_fuzz.py against hotspotd built with ASan and UBSan
#     (build/san/hotspotd), over real HTTP: every route of `hotspotd routes`,
#     bodies, queries and path segments made from the OpenAPI document's
#     examples and broken in many ways. No 5xx, every answer JSON in the
#     envelope (a success may be a media type its operation documents: the
#     event stream is read up to its headers), the process alive and /health
#     200 throughout, no sanitizer report; and every answer one the OpenAPI
#     document describes. API_FUZZ_REQUESTS [3000], API_FUZZ_SECONDS [55],
#     API_FUZZ_SEED [random; printed] repeat or stretch a run.
#  2. build/fuzz/fuzz_api_route (libFuzzer): api_route_find on hotspotd's own
#     table against a reference matcher, and the checks of api/valid.c.
#     API_ROUTE_FUZZ_RUNS [300000].
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

HSAN=$HS_BUILD/san/hotspotd
DB=hs_api_fuzz
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
# A small body cap, so that the fuzzer's long strings reach the 413 too.
export WORKER_THREADS=1 API_MAX_BODY=65536 APP_KEY=$("$HS_BUILD/hotspotd" gen-key)
# Routers may only be on loopback here (nothing listens there, so router
# operations fail fast and nothing leaves the machine); RADIUS set-up has
# our server's address to write.
export ROUTER_ALLOWED_NETWORKS=127.0.0.0/8,::1/128 ROUTER_RADIUS_ADDRESS=127.0.0.1
export ROUTER_MONITOR_INTERVAL=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
# Spare tokens of tenant A: the fuzzed requests log out the one in use (POST
# /api/v1/auth/logout is about one request in 45), and the run takes the next
# at once; one for every 20 requests leaves room to spare.
tokens=$HS_SUITE_DIR/tokens.txt
echo "$TA" >"$tokens"
for i in $(seq 1 $((${API_FUZZ_REQUESTS:-3000} / 20 + 16))); do api_tok; done >>"$tokens"
tail -n +2 "$tokens" | while read -r t; do api_sha "$t"; done | hs_psql_as hs_owner $DB -c "
	CREATE TEMP TABLE h (hash text);
	COPY h FROM STDIN;
	INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
	SELECT a.tenant_id, a.id, 'fuzz', h.hash, ARRAY['*']
	  FROM admins a JOIN tenants t ON t.id = a.tenant_id, h WHERE t.slug = 'ten-a';" >/dev/null ||
	{ echo "Bail out! cannot insert the spare tokens"; exit 1; }

# --- 1. over HTTP, against the sanitizer build ------------------------------------
t_ok "the sanitizer build of hotspotd is there" test -x "$HSAN"
routes=$HS_SUITE_DIR/routes.txt
t_ok "hotspotd routes" sh -c "'$HSAN' routes >'$routes'"
started=0
for try in 1 2 3; do
	PORT=$(hs_free_port) || break
	API_PORT=$PORT hs_spawn serve "$HSAN" serve
	if hs_wait_http "http://127.0.0.1:$PORT/health" 20; then
		started=1
		break
	fi
	hs_kill serve
done
t_is "$started" 1 "the sanitizer build serves HTTP"
t_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/health")" 200 \
	"its database is up before the run"

log=$HS_SUITE_DIR/api_fuzz.log
fails=$HS_SUITE_DIR/api_fuzz.failures
docs=$HS_SUITE_DIR/api_fuzz.doc-issues
seed=${API_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "# api_fuzz seed $seed (API_FUZZ_SEED=$seed repeats this run)"
python3 "$HS_ROOT/tests/fuzz/api_fuzz.py" --url "http://127.0.0.1:$PORT" --routes "$routes" \
	--tokens "$tokens" --pid "${HS_PIDS[serve]}" --seed "$seed" \
	--requests "${API_FUZZ_REQUESTS:-3000}" --seconds "${API_FUZZ_SECONDS:-55}" \
	--failures "$fails" --doc-issues "$docs" >"$log" 2>&1
rc=$?
grep '^api_fuzz:' "$log" | sed 's/^/# /'
sent=$(sed -n 's/^api_fuzz: \([0-9]*\) requests.*/\1/p' "$log")
if [ "$rc" = 0 ]; then
	t__result 1 "fuzzed requests: no 5xx, every answer JSON in the envelope, /health 200 throughout"
else
	t__result 0 "fuzzed requests: no 5xx, every answer JSON in the envelope, /health 200 throughout" "$log"
fi
if [ -f "$docs" ] && [ ! -s "$docs" ]; then
	t__result 1 "every answer is one the OpenAPI document describes (status and schema)"
else
	t__result 0 "every answer is one the OpenAPI document describes (status and schema)" "$docs"
fi
t_like "${sent:-0}" '^([1-9][0-9]{3,})$' "at least 1000 requests were sent (${sent:-0})"
t_ok "hotspotd is still running" hs_running serve
t_is "$(grep -c 'ERROR: AddressSanitizer\|runtime error:' "$HS_SUITE_DIR/serve.log")" 0 \
	"no sanitizer report while it ran"
hs_kill serve
stop_rc=$?
t_is "$stop_rc" 0 "it stops cleanly on SIGTERM"
t_is "$(grep -c 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$HS_SUITE_DIR/serve.log")" 0 \
	"no sanitizer report (leaks included) at exit"
grep -m 20 -A 12 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$HS_SUITE_DIR/serve.log" | sed 's/^/#   /'

# --- 2. libFuzzer: the router and the input checks -----------------------------------
FUZZ=$HS_BUILD/fuzz/fuzz_api_route
CORPUS=$HS_SUITE_DIR/corpus
mkdir -p "$CORPUS"
# Seeds: a lookup of each route of the table, an own table, bodies, an id, text.
n=0
while read -r m p _; do
	n=$((n + 1))
	printf '\x00%s\n%s' "$m" "$(echo "$p" | sed 's/:[^/]*/0123abcd-0000-4000-8000-000000000000/g')" >"$CORPUS/route-$n"
done <"$routes"
printf '\x01GET /a/:id\nPUT /a/:id\nGET /a/b\nGET\n/a/b' >"$CORPUS/table"
printf '\x02{"name":"Main Office Router","ip_address":"192.168.1.1","location":{"region":"C"}}' >"$CORPUS/body"
printf '\x02{"a":"x\\u0007","b":"\\ud83d\\ude00","a":1}' >"$CORPUS/body-dup"
printf '\x034f1d2c3b-5a6e-4b7c-8d9e-0f1a2b3c4d5e' >"$CORPUS/uuid"
printf '\x04h\xc3\xa9llo\x01\x7f' >"$CORPUS/text"

if [ ! -x "$FUZZ" ]; then
	t__result 0 "fuzz target built (needs clang with libFuzzer)"
	t_done
fi
flog=$HS_SUITE_DIR/fuzz_api_route.log
runs=${API_ROUTE_FUZZ_RUNS:-300000}
# A failing input is kept in the suite's directory (build/test-logs/api_fuzz/ when it fails).
if HS_FUZZ_ROUTES=$routes "$FUZZ" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
	-artifact_prefix="$HS_SUITE_DIR/" "$CORPUS" >"$flog" 2>&1; then
	t__result 1 "route lookup and input checks: $runs runs, no crash, leak or difference"
else
	t__result 0 "route lookup and input checks: $runs runs, no crash, leak or difference" "$flog"
fi
t_like "$(grep -o '[0-9]* routes from' "$flog")" "^$(wc -l <"$routes") routes from" \
	"the target looked up hotspotd's own table"
t_done
