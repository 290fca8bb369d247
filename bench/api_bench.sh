#!/usr/bin/env bash
# make bench, API part: hotspotd serve under wrk, each list route against
# GET /health in the same run (bench/README.md, "API").
#
#   bash bench/api_bench.sh [--routers N] [--seconds S] [--connections C]
#
# A private PostgreSQL cluster (scripts/pglib.sh) on 127.0.0.1, the schema
# applied by `hotspotd migrate`, one tenant with N routers (default 1,000)
# and, when this hotspotd has GET /api/v1/vouchers (`hotspotd routes`),
# 100,000 vouchers, all inserted in SQL. Then for each route: 2 s of warm-up,
# S seconds of wrk (default 10) with C connections (default 16) on 2 threads,
# and the CPU that hotspotd and the whole PostgreSQL cluster spent during
# the run (from /proc), per request. A route that answers anything but 2xx
# fails the run. Batch generation, when hotspotd has POST
# /api/v1/vouchers/batch (or /generate, /bulk): the OpenAPI document's
# example body with the bench profile's id, 10 times in a row, timed.
# Routes this hotspotd does not have are reported as not measurable.
#
# Environment: HS_API_BENCH_PG_PORT [29252], HS_API_BENCH_PORT [29253]
# (127.0.0.1). Works in a /tmp/hsapibench.* directory, removed at the end
# with the processes it started (by PID); the report is kept in
# build/bench/api-report.txt. Exit status: 0 done, 1 the run failed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/pglib.sh
source "$ROOT/scripts/pglib.sh"
source "$ROOT/bench/cpu.sh"

PG_PORT=${HS_API_BENCH_PG_PORT:-29252}
API_PORT=${HS_API_BENCH_PORT:-29253}
ROUTERS=1000
VOUCHERS=100000
SECONDS_RUN=10
CONNS=16
DB=hotspot_api_bench
HOTSPOTD=$ROOT/build/hotspotd

log() { printf '[api-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	echo "api-bench: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--routers) ROUTERS=$2 && shift ;;
	--seconds) SECONDS_RUN=$2 && shift ;;
	--connections) CONNS=$2 && shift ;;
	*) die "unknown option $1 (--routers N, --seconds S, --connections C)" ;;
	esac
	shift
done
for v in "$ROUTERS" "$SECONDS_RUN" "$CONNS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "options take positive integers"
done

[ "$(id -u)" = 0 ] || die "run as root (PostgreSQL runs as the postgres user through runuser)"
[ -x "$HOTSPOTD" ] || die "no build/hotspotd (run make)"

# --- packages: installed only when missing --------------------------------------------
PACKAGES=(wrk postgresql postgresql-client curl jq procps)
missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = "ii" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for p in "$PG_PORT" "$API_PORT"; do
	port_in_use "$p" tcp && die "port $p is in use (set HS_API_BENCH_PG_PORT, HS_API_BENCH_PORT)"
done

# --- work directory, cleanup ---------------------------------------------------------------
WORK=$(mktemp -d /tmp/hsapibench.XXXXXX)
chmod 755 "$WORK"
PG_UP=0
HS_PID=
cleanup() {
	local rc=$?
	set +e
	if [ -n "$HS_PID" ]; then
		kill -TERM "$HS_PID" 2>/dev/null
		wait "$HS_PID" 2>/dev/null
	fi
	[ "$PG_UP" = 1 ] && pg_stop "$WORK/pg"
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL, schema, dataset ---------------------------------------------------------------
export HS_PW_OWNER HS_PW_API HS_PW_RADIUS HS_PW_WORKER
HS_PW_OWNER=$(pg_random_secret) HS_PW_API=$(pg_random_secret)
HS_PW_RADIUS=$(pg_random_secret) HS_PW_WORKER=$(pg_random_secret)
log "PostgreSQL on 127.0.0.1:$PG_PORT"
pg_init "$WORK/pg" >/dev/null
PG_UP=1
pg_start "$WORK/pg" "$PG_PORT"
pg_roles "$WORK/pg" "$PG_PORT" >/dev/null
pg_create_db "$WORK/pg" "$PG_PORT" "$DB" >/dev/null

export DB_HOST=127.0.0.1 DB_PORT=$PG_PORT DB_DATABASE=$DB
export DB_USERNAME=hs_api DB_PASSWORD=$HS_PW_API
export DB_WORKER_USERNAME=hs_worker DB_WORKER_PASSWORD=$HS_PW_WORKER
export DB_OWNER_USERNAME=hs_owner DB_OWNER_PASSWORD=$HS_PW_OWNER
export MIGRATIONS_DIR=$ROOT/sql/migrations
export API_LISTEN=127.0.0.1 API_PORT DB_POOL_SIZE=16 WORKER_THREADS=1 LOG_REQUESTS=false
export LOG_LEVEL=warn APP_KEY=$("$HOTSPOTD" gen-key)
# The load is one token: its rate limit (API_RATE_LIMIT) would answer 429 after 600.
export API_RATE_LIMIT=0 ROUTER_MONITOR_INTERVAL=0
"$HOTSPOTD" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log"; die "migrate failed"; }
own() { PGPASSWORD=$HS_PW_OWNER psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U hs_owner -d "$DB" "$@"; }

"$HOTSPOTD" routes >"$WORK/routes.txt"
has_route() { grep -q "^$1 $2 " "$WORK/routes.txt"; }

TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
log "dataset: 1 tenant, $ROUTERS routers"
own -v hash="$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)" -v n="$ROUTERS" >/dev/null <<'SQL'
INSERT INTO tenants (name, slug) VALUES ('Bench', 'bench');
INSERT INTO admins (tenant_id, email, password_hash, role)
SELECT id, 'bench@example.org', '!', 'owner' FROM tenants;
INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
SELECT tenant_id, id, 'bench', :'hash', ARRAY['*'] FROM admins;
-- Routers at 10.x.y.z, with a location and a spread of statuses and ages.
INSERT INTO mikrotik_devices (tenant_id, name, ip_address, api_port, username, location,
                              radius_secret, status, created_at)
SELECT t.id, 'Router ' || g, ('10.0.0.0'::inet + g), 8728, 'api',
       jsonb_build_object('name', 'Site ' || g, 'region', 'Region ' || (g % 7),
                          'district', 'District ' || (g % 31),
                          'coordinates', jsonb_build_object('lat', 0.3, 'lng', 32.5)),
       md5(g::text), (ARRAY['online', 'offline', 'error'])[1 + g % 3],
       now() - g * interval '1 minute'
  FROM tenants t, generate_series(1, :n) g;
SQL

VOUCHER_LIST=0
if has_route GET /api/v1/vouchers; then
	VOUCHER_LIST=1
	log "dataset: $VOUCHERS vouchers"
	own -v n="$VOUCHERS" >/dev/null <<'SQL'
INSERT INTO profiles (tenant_id, name, data_limit_bytes, validity_seconds, rate_limit,
                      price_minor, currency)
SELECT id, '1GB-DAILY', 1073741824, 86400, '2M/2M', 1000, 'UGX' FROM tenants;
INSERT INTO vouchers (tenant_id, code, password, profile_id, data_limit_bytes, validity_seconds,
                      rate_limit, shared_users, currency)
SELECT p.tenant_id, 'B' || lpad(g::text, 9, '0'), lpad((g % 1000000)::text, 6, '0'), p.id,
       p.data_limit_bytes, p.validity_seconds, p.rate_limit, 1, p.currency
  FROM profiles p, generate_series(1, :n) g;
SQL
fi
# Batch generation: the first POST /api/v1/vouchers/{batch-generate,batch,generate,bulk} route.
BATCH=$(awk '$1 == "POST" && $2 ~ /^\/api\/v1\/vouchers\/(batch-generate|batch|generate|bulk)$/ {print $2; exit}' \
	"$WORK/routes.txt")
if [ -n "$BATCH" ] && [ "$VOUCHER_LIST" = 0 ]; then
	own >/dev/null <<'SQL'
INSERT INTO profiles (tenant_id, name, data_limit_bytes, validity_seconds, rate_limit,
                      price_minor, currency)
SELECT id, '1GB-DAILY', 1073741824, 86400, '2M/2M', 1000, 'UGX' FROM tenants;
SQL
fi
pg_super "$WORK/pg" "$PG_PORT" -d "$DB" -c "VACUUM ANALYZE" -c CHECKPOINT >/dev/null

# --- hotspotd ------------------------------------------------------------------------------------
"$HOTSPOTD" serve >"$WORK/hotspotd.log" 2>&1 &
HS_PID=$!
for i in $(seq 1 100); do
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$API_PORT/health" && break
	sleep 0.1
done
BASE=http://127.0.0.1:$API_PORT
AUTH="Authorization: Bearer $TOKEN"
total=$(curl -s -H "$AUTH" "$BASE/api/v1/router-management?per_page=1" | jq -r .meta.total)
[ "$total" = "$ROUTERS" ] || die "GET /api/v1/router-management sees $total routers, not $ROUTERS"
PG_PID=$(head -n 1 "$WORK/pg/data/postmaster.pid")
TCK=$(getconf CLK_TCK)

RESULTS=$WORK/results.tsv
: >"$RESULTS"
# measure LABEL PATH [header]: wrk on PATH; a line of RESULTS.
measure() {
	local label=$1 path=$2 out hs0 pg0 hs1 pg1 n rps p50 p99 bad
	local hdr=(-H "${3:-X-Bench: 1}")
	wrk -t2 -c"$CONNS" -d2s "${hdr[@]}" "$BASE$path" >/dev/null
	hs0=$(cpu_ticks "$HS_PID") pg0=$(cpu_ticks "$PG_PID")
	out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" --latency "${hdr[@]}" "$BASE$path")
	hs1=$(cpu_ticks "$HS_PID") pg1=$(cpu_ticks "$PG_PID")
	echo "$out" >"$WORK/wrk-$label.txt"
	bad=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
	[ -z "$bad" ] || die "$label: $bad answers were not 2xx (wrk output in the log above)"
	n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$path" "$rps" "$p50" "$p99" \
		"$(awk -v t=$((hs1 - hs0)) -v k="$TCK" -v n="$n" 'BEGIN {printf "%.0f", t / k * 1e6 / n}')" \
		"$(awk -v t=$((pg1 - pg0)) -v k="$TCK" -v n="$n" 'BEGIN {printf "%.0f", t / k * 1e6 / n}')" >>"$RESULTS"
	log "$label: $rps req/s"
}

log "wrk: ${SECONDS_RUN} s per route, $CONNS connections, 2 threads"
measure health /health
measure routers "/api/v1/router-management" "$AUTH"
measure routers-search "/api/v1/router-management?search=Region%203&sort_by=name&page=2" "$AUTH"
if [ "$VOUCHER_LIST" = 1 ]; then
	measure vouchers "/api/v1/vouchers" "$AUTH"
fi

# Batch generation: the OpenAPI document's example body for the route, with
# our profile's id, sent BATCH_RUNS times one after the other.
BATCH_RUNS=5
BATCH_SIZE=10000
BATCH_LINE=
if [ -n "$BATCH" ]; then
	profile=$(own -c "SELECT id FROM profiles ORDER BY created_at LIMIT 1")
	# The document's example, for BATCH_SIZE vouchers of our profile, no SMS.
	body=$(curl -s "$BASE/api/v1/openapi.json" | jq -c --arg p "$BATCH" --arg pid "$profile" \
		--argjson q "$BATCH_SIZE" \
		'.paths[$p].post.requestBody.content["application/json"]
		 | (.example // .schema.example // empty)
		 | .quantity = $q | .send_sms = false
		 | if has("profile") then .profile = $pid else .profile_id = $pid end')
	[ -n "$body" ] || die "POST $BATCH has no request example in the OpenAPI document"
	times=$WORK/batch-times.txt
	: >"$times"
	hs0=$(cpu_ticks "$HS_PID") pg0=$(cpu_ticks "$PG_PID")
	for i in $(seq 1 $BATCH_RUNS); do
		out=$(curl -s -o "$WORK/batch.json" -w '%{http_code} %{time_total}' -X POST -H "$AUTH" \
			-H 'Content-Type: application/json' --data-binary "$body" "$BASE$BATCH")
		[[ ${out%% *} =~ ^2 ]] || die "POST $BATCH answered ${out%% *}: $(head -c 300 "$WORK/batch.json")"
		echo "${out#* }" >>"$times"
	done
	hs1=$(cpu_ticks "$HS_PID") pg1=$(cpu_ticks "$PG_PID")
	made=$(own -c "SELECT count(*) FROM vouchers WHERE batch_id IS NOT NULL")
	[ "$made" = $((BATCH_RUNS * BATCH_SIZE)) ] || die "$made vouchers made, not $((BATCH_RUNS * BATCH_SIZE))"
	# CPU per voucher against a GET /health request's (first line of RESULTS).
	health_cpu=$(awk -F'\t' 'NR == 1 {print $6 + $7}' "$RESULTS")
	BATCH_LINE=$(sort -n "$times" | awk -v r="$BATCH" -v q="$BATCH_SIZE" -v t=$((hs1 - hs0 + pg1 - pg0)) \
		-v k="$TCK" -v h="$health_cpu" \
		'{t_[NR] = $1; s += $1} END {
			cpu = t / k * 1e6 / (NR * q)
			printf "POST %s, %d vouchers a request: %d runs, mean %.0f ms, median %.0f ms, max %.0f ms; %.0f vouchers/s; hotspotd + PostgreSQL CPU %.1f µs per voucher = %.2f× a GET /health request\n", r, q, NR, s / NR * 1000, t_[int((NR + 1) / 2)] * 1000, t_[NR] * 1000, NR * q / s, cpu, (h ? cpu / h : 0)}')
	log "batch: $BATCH_LINE"
fi

# --- report ---------------------------------------------------------------------------------------
REPORT=$ROOT/build/bench/api-report.txt
mkdir -p "$(dirname "$REPORT")"
{
	echo "# make bench (API) $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# hotspotd $("$HOTSPOTD" --version | cut -d' ' -f2), wrk -t2 -c$CONNS -d${SECONDS_RUN}s; $ROUTERS routers$([ "$VOUCHER_LIST" = 1 ] && echo ", $VOUCHERS vouchers")"
	echo
	echo "| route | req/s | p50 | p99 | hotspotd CPU µs/req | PostgreSQL CPU µs/req |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' '{printf "| GET %s | %.0f | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7}' "$RESULTS"
	echo
	echo "| ratio to GET /health (same run) | throughput | hotspotd CPU/req | hotspotd + PostgreSQL CPU/req |"
	echo "|---|---|---|---|"
	awk -F'\t' 'NR == 1 {r = $3; h = $6; a = $6 + $7; next}
		{printf "| GET %s | %.2f× | %.2f× | %.2f× |\n", $2, $3 / r, (h ? $6 / h : 0), (a ? ($6 + $7) / a : 0)}' "$RESULTS"
	echo
	if [ "$VOUCHER_LIST" = 0 ]; then
		echo "GET /api/v1/vouchers: not measurable yet (this hotspotd has no such route)."
	fi
	if [ -z "$BATCH" ]; then
		echo "Voucher batch generation: not measurable yet (this hotspotd has no POST /api/v1/vouchers/batch-generate)."
	else
		echo "Voucher batch generation: $BATCH_LINE"
	fi
} >"$REPORT"
echo
cat "$REPORT"
log "report: $REPORT"
