#!/usr/bin/env bash
# Database cost per request against the number of vouchers: PostgreSQL CPU
# per Access-Request (hs_radius_authorize_batch, batches of 16 as the
# module sends them under load) and per Interim-Update (hs_radius_accounting,
# batches of 16), in a database of SMALL vouchers (one tenant, one router)
# and in one of LARGE vouchers (generated in SQL, each with one closed
# session) spread over LARGE_TENANTS tenants with 5 routers each, as a
# hosted deployment holds them; rounds alternate between the two so that
# the machine's noise hits both. The FreeRADIUS side does not look at
# these tables, so the database is where a cost that grows with them
# would show.
#
#   bash bench/scale.sh [--small 10000] [--large 10000000] [--large-tenants 1000]
#                       [--seconds 20] [--rounds 3]
#
# Runs as root (the cluster runs as postgres) on 127.0.0.1, port
# HS_SCALE_PG_PORT (29240), in a /tmp directory removed at the end.
# Report: build/bench/scale-report.txt. Exit 0, or 1 when the run failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/pglib.sh"
source "$ROOT/bench/cpu.sh"

SMALL=10000 LARGE=10000000 LARGE_TENANTS=1000 SECONDS_PER=20 ROUNDS=3
ROUTERS_PER=5
LOAD=10000  # the vouchers the loads use, in each database
PER_CALL=16 # requests per call of the loads
while [ $# -gt 0 ]; do
	case $1 in
	--small) SMALL=$2; shift 2 ;;
	--large) LARGE=$2; shift 2 ;;
	--seconds) SECONDS_PER=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--large-tenants) LARGE_TENANTS=$2; shift 2 ;;
	*) echo "usage: bench/scale.sh [--small N] [--large N] [--large-tenants T] [--seconds S] [--rounds R]" >&2; exit 2 ;;
	esac
done
for n in "$SMALL" "$LARGE"; do
	[ "$n" -ge "$LOAD" ] 2>/dev/null || { echo "bench/scale.sh: each database holds at least the load's $LOAD vouchers" >&2; exit 2; }
done

PORT=${HS_SCALE_PG_PORT:-29240}
DIR=$(mktemp -d /tmp/hsscale.XXXXXX)
REPORT=$ROOT/build/bench/scale-report.txt
mkdir -p "$(dirname "$REPORT")"
export HS_PW_OWNER=$(pg_random_secret) HS_PW_API=$(pg_random_secret) \
	HS_PW_RADIUS=$(pg_random_secret) HS_PW_WORKER=$(pg_random_secret)
chmod 0755 "$DIR"

cleanup() {
	[ -n "${HS_SCALE_KEEP:-}" ] && return 0
	pg_stop "$DIR/pg" || true
	rm -rf "$DIR"
}
trap cleanup EXIT

log() { printf '[scale %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

owner() { PGPASSWORD=$HS_PW_OWNER psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U hs_owner "$@"; }

# make_db NAME COUNT TENANTS: migrations; TENANTS tenants with a profile
# each, the first with the load's router (127.0.0.1) and each of the others
# with ROUTERS_PER routers (addresses in 10/8); COUNT vouchers: padding
# spread over the tenants, each with one closed session, then the load's
# LOAD in the first tenant (activated, one open session each). The
# load's are made last, as in a deployment where the vouchers in use are
# those printed or sold lately and the rest is history; with time-ordered
# ids (0027) that is where they sit.
make_db() {
	local db=$1 n=$2 tenants=$3 f
	pg_create_db "$DIR/pg" "$PORT" "$db" >/dev/null
	for f in "$ROOT"/sql/migrations/*.sql; do
		owner -d "$db" -f "$f" >/dev/null
	done
	owner -d "$db" -v n="$n" -v tenants="$tenants" -v per="$ROUTERS_PER" -v load="$LOAD" <<'SQL'
BEGIN;
CREATE TEMP TABLE ids AS
SELECT t, ('c1' || lpad(to_hex(t), 6, '0') || '-0000-4000-8000-000000000001')::uuid AS tenant_id,
       ('c2' || lpad(to_hex(t), 6, '0') || '-0000-4000-8000-000000000003')::uuid AS profile_id
  FROM generate_series(1, :tenants) t;
INSERT INTO tenants (id, name, slug, time_zone, currency)
SELECT tenant_id, 'Scale ' || t, 'scale-' || t, 'Africa/Kampala', 'UGX' FROM ids;
INSERT INTO profiles (id, tenant_id, name, data_limit_bytes, validity_seconds, shared_users,
                      price_minor, currency)
SELECT profile_id, tenant_id, '1GB', 1073741824, 86400, 2, 5000, 'UGX' FROM ids;
INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret)
SELECT tenant_id, 'r1', '127.0.0.1', 'scale-secret' FROM ids WHERE t = 1;
INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret)
SELECT i.tenant_id, 'r' || r,
       ('10.' || (k / 65536) || '.' || (k / 256 % 256) || '.' || (k % 256))::inet, 'scale-secret'
  FROM ids i, generate_series(1, :per) r, LATERAL (SELECT (i.t - 2) * :per + r AS k) x
 WHERE i.t > 1;
INSERT INTO vouchers (tenant_id, code, password, profile_id, data_limit_bytes, validity_seconds,
                      shared_users, currency, price_minor, activated_at, expires_at,
                      used_bytes, used_seconds)
SELECT i.tenant_id,
       CASE WHEN k > 0 THEN 'L' || k ELSE 'P' || g END, 'pw' || CASE WHEN k > 0 THEN k ELSE g END,
       i.profile_id, 1073741824::bigint * 1000, 86400 * 365, 2, 'UGX', 5000,
       now() - interval '1 hour', now() + interval '300 days', g % 100000, g % 600
  FROM generate_series(1, :n) g
  CROSS JOIN LATERAL (SELECT g - (:n - :load) AS k) l
  JOIN ids i ON i.t = CASE WHEN l.k > 0 THEN 1 ELSE 1 + g % :tenants END;
INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
                             acct_session_id, nas_ip, started_at, last_update_at, stopped_at,
                             input_octets, output_octets, session_time)
SELECT v.tenant_id, v.id, r.id, v.code, 'u-' || v.code, 's-' || v.code, r.ip_address,
       now() - interval '2 days', now() - interval '2 days',
       CASE WHEN v.code LIKE 'P%' THEN now() - interval '2 days' END, 0, 0, 0
  FROM vouchers v
  JOIN mikrotik_devices r ON r.tenant_id = v.tenant_id AND r.name = 'r1';
COMMIT;
VACUUM ANALYZE tenants, mikrotik_devices, profiles, vouchers, radius_sessions;
SQL
}

# The loads: PER_CALL requests per call, codes drawn at random among the
# load's LOAD vouchers; an interim's counters only grow (from the clock).
write_scripts() {
	local k auth_u="" auth_p="" mac="" acct_u=""
	for k in $(seq 0 $((PER_CALL - 1))); do
		auth_u+="${auth_u:+, }'L' || (:n + $k)"
		auth_p+="${auth_p:+, }'pw' || (:n + $k)"
		mac+="${mac:+, }'02:00:00:00:' || lpad(to_hex((:n + $k) / 256), 2, '0') || ':' || lpad(to_hex((:n + $k) % 256), 2, '0')"
		acct_u+="${acct_u:+, }'u-L' || (:n + $k)"
	done
	cat >"$DIR/auth.sql" <<EOF
\\set n random(1, $((LOAD - PER_CALL)))
SELECT count(*) FROM hs_radius_authorize_batch(array_fill('127.0.0.1'::inet, ARRAY[$PER_CALL]),
  ARRAY[$auth_u], ARRAY[$auth_p], array_fill(NULL::int, ARRAY[$PER_CALL]),
  array_fill(NULL::bytea, ARRAY[$PER_CALL]), array_fill(NULL::bytea, ARRAY[$PER_CALL]), ARRAY[$mac], 300);
EOF
	cat >"$DIR/interim.sql" <<EOF
\\set n random(1, $((LOAD - PER_CALL)))
SELECT count(*) FROM hs_radius_accounting(array_fill('127.0.0.1'::inet, ARRAY[$PER_CALL]),
  array_fill(3, ARRAY[$PER_CALL]), ARRAY[$acct_u], ARRAY[$acct_u], ARRAY[$auth_u],
  array_fill(NULL::text, ARRAY[$PER_CALL]), array_fill(NULL::inet, ARRAY[$PER_CALL]),
  array_fill((extract(epoch FROM clock_timestamp()) * 1000)::bigint, ARRAY[$PER_CALL]),
  array_fill((extract(epoch FROM clock_timestamp()) * 1000)::bigint, ARRAY[$PER_CALL]),
  array_fill((extract(epoch FROM clock_timestamp()))::bigint - 1700000000, ARRAY[$PER_CALL]),
  array_fill(NULL::text, ARRAY[$PER_CALL]), array_fill(now(), ARRAY[$PER_CALL]));
EOF
	sed -i 's/(:n + \([0-9]*\))/(:n::int + \1)/g' "$DIR/auth.sql" "$DIR/interim.sql"
}

# Clock ticks of the cluster: postmaster, its children, the reaped ones.
pg_ticks() { cpu_ticks "$(head -1 "$DIR/pg/data/postmaster.pid")"; }

# run DB SCRIPT: PostgreSQL CPU in µs per request (PER_CALL per call) over one round.
run() {
	local db=$1 script=$2 t0 t1 n0 out calls hz
	hz=$(getconf CLK_TCK)
	n0=$(pgrep -c -P "$(head -1 "$DIR/pg/data/postmaster.pid")")
	t0=$(pg_ticks)
	out=$(PGPASSWORD=$HS_PW_RADIUS pgbench -n -M prepared -h 127.0.0.1 -p "$PORT" -U hs_radius \
		-c 2 -j 2 -T "$SECONDS_PER" -f "$DIR/$script" "$db" 2>&1)
	# The clients' backends count once the postmaster has reaped them.
	for _ in $(seq 1 50); do
		[ "$(pgrep -c -P "$(head -1 "$DIR/pg/data/postmaster.pid")")" -le "$n0" ] && break
		sleep 0.1
	done
	t1=$(pg_ticks)
	[ -z "${HS_SCALE_DEBUG:-}" ] || echo "$out" >&2
	calls=$(awk '/number of transactions actually processed/ {split($NF, a, "/"); print a[1]}' <<<"$out")
	[ -n "$calls" ] && [ "$calls" -gt 0 ] || { echo "$out" >&2; return 1; }
	awk -v d=$((t1 - t0)) -v hz="$hz" -v c="$calls" -v per="$PER_CALL" 'BEGIN { printf "%.1f", d / hz * 1e6 / (c * per) }'
}

log "cluster on 127.0.0.1:$PORT in $DIR"
pg_init "$DIR/pg" >/dev/null
pg_start "$DIR/pg" "$PORT"
pg_roles "$DIR/pg" "$PORT" >/dev/null
log "database scale_small: $SMALL vouchers"
make_db scale_small "$SMALL" 1
log "database scale_large: $LARGE vouchers, $LARGE_TENANTS tenants (generated in SQL; minutes for millions)"
make_db scale_large "$LARGE" "$LARGE_TENANTS"
write_scripts
# The load's open sessions as heard from just now, so none counts as stale
# (a stale one sends its voucher down the durable path once).
for db in scale_small scale_large; do
	owner -d "$db" -c "UPDATE radius_sessions SET last_update_at = now() WHERE stopped_at IS NULL" \
		-c "VACUUM ANALYZE radius_sessions" >/dev/null
done

# A warm-up round, not counted: the first pass over each database fills its
# caches and creates the load's reservation rows.
for w in auth interim; do
	for db in scale_small scale_large; do
		v=$(run "$db" "$w.sql")
		log "warm-up $w $db: $v µs/request (not counted)"
	done
done

declare -A sum
for r in $(seq 1 "$ROUNDS"); do
	for w in auth interim; do
		for db in scale_small scale_large; do
			v=$(run "$db" "$w.sql")
			log "round $r $w $db: $v µs/request"
			sum[$w.$db]=$(awk -v a="${sum[$w.$db]:-0}" -v b="$v" 'BEGIN { print a + b }')
		done
	done
done

{
	echo "# bench/scale.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# PostgreSQL CPU per request, batches of $PER_CALL, mean of $ROUNDS rounds of ${SECONDS_PER} s;"
	for db in scale_small scale_large; do
		owner -d "$db" -At -c "SELECT '# $db: ' || (SELECT count(*) FROM vouchers) || ' vouchers, '
			|| (SELECT count(*) FROM tenants) || ' tenants, '
			|| (SELECT count(*) FROM mikrotik_devices) || ' routers'"
	done
	echo
	echo "| request | $SMALL vouchers | $LARGE vouchers | ratio | target |"
	echo "|---|---|---|---|---|"
	for w in auth interim; do
		awk -v w="$w" -v a="${sum[$w.scale_small]}" -v b="${sum[$w.scale_large]}" -v r="$ROUNDS" \
			'BEGIN { printf "| %s | %.1f µs | %.1f µs | %.2f× | ≤ 1.2× |\n", w == "auth" ? "Access-Request" : "Interim-Update", a / r, b / r, b / a }'
	done
} | tee "$REPORT"
