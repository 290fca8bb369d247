#!/usr/bin/env bash
# make bench: rlm_hotspot against the stock voucher set-up and the FreeRADIUS
# floor, in one run, with the same dataset and load (../shared/bench/anchor.sh
# and radload.py). See bench/README.md.
#
#   bash bench/bench.sh            short run (a few minutes on 2 cores)
#   bash bench/bench.sh --full     the anchor's full load, 3 rounds
#   bash bench/bench.sh --vouchers N   our database padded to N vouchers (scaling)
#   bash bench/bench.sh -- ARGS    extra anchor.sh options (after the defaults)
#
# Environment: HS_BENCH_ANCHOR (anchor directory [../shared/bench]),
# HS_BENCH_PG_PORT [29232], HS_BENCH_AUTH_PORT [29210], HS_BENCH_ACCT_PORT
# [29211] (all on 127.0.0.1; the anchor itself uses 29100-29199).
# Writes under a /tmp work directory, removed at the end; the report is kept
# in build/bench/last-report.txt. Exit status: 0 all checks passed, 2 a
# correctness check failed, 1 the run itself failed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/pglib.sh
source "$ROOT/scripts/pglib.sh"

ANCHOR_DIR=${HS_BENCH_ANCHOR:-$(cd "$ROOT/.." && pwd)/shared/bench}
PG_PORT=${HS_BENCH_PG_PORT:-29232}
AUTH_PORT=${HS_BENCH_AUTH_PORT:-29210}
ACCT_PORT=${HS_BENCH_ACCT_PORT:-29211}
SECRET=testing123
DB=hotspot_bench
THREADS=8
# Our server's thread pool (RADIUS_MAX_THREADS); the anchor's servers keep --threads $THREADS.
HS_THREADS=${HS_BENCH_THREADS:-32}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	echo "bench: $*" >&2
	exit 1
}

# Short by default: the anchor's 10,000 vouchers and ~200k history rows, but
# half the requests, one round, the floor's load sent 3 times.
SIZE_ARGS=(--users 10000 --history 200000 --auth 10000 --sessions 5000)
RUN_ARGS=(--repeat 1 --floor-loops 3)
EXTRA=()
VOUCHERS=0
while [ $# -gt 0 ]; do
	case $1 in
	--full)
		SIZE_ARGS=(--users 10000 --history 200000 --auth 20000 --sessions 10000)
		RUN_ARGS=(--repeat 3 --floor-loops 5)
		;;
	--vouchers)
		VOUCHERS=$2
		[[ $VOUCHERS =~ ^[0-9]+$ ]] || die "--vouchers N"
		shift
		;;
	--)
		shift
		EXTRA=("$@")
		break
		;;
	*)
		echo "bench: unknown option $1 (--full, --vouchers N, or -- ANCHOR-OPTIONS)" >&2
		exit 1
		;;
	esac
	shift
done

[ "$(id -u)" = 0 ] || die "run as root (the anchor and our PostgreSQL run as the postgres user through runuser)"
[ -x "$ANCHOR_DIR/anchor.sh" ] || die "no anchor at $ANCHOR_DIR (set HS_BENCH_ANCHOR)"
[ -f "$ROOT/build/rlm_hotspot.so" ] || die "no build/rlm_hotspot.so (run make)"

# --- packages: installed only when missing, as scripts/deps.sh does ----------------
PACKAGES=(freeradius freeradius-utils freeradius-postgresql postgresql postgresql-client
	python3 util-linux iproute2 procps)
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

for p in "$PG_PORT:tcp" "$AUTH_PORT:udp" "$ACCT_PORT:udp"; do
	port_in_use "${p%%:*}" "${p##*:}" && die "port ${p%%:*}/${p##*:} is in use (set HS_BENCH_PG_PORT, HS_BENCH_AUTH_PORT, HS_BENCH_ACCT_PORT)"
done

# --- work directory, cleanup ---------------------------------------------------------
WORK=$(mktemp -d /tmp/hsbench.XXXXXX)
chmod 755 "$WORK"
PG_UP=0
FLOOR_PID=
ANCHOR_WORK=
cleanup() {
	local rc=$?
	set +e
	[ -n "$FLOOR_PID" ] && kill "$FLOOR_PID" 2>/dev/null && wait "$FLOOR_PID" 2>/dev/null
	[ -n "$ANCHOR_WORK" ] && rm -rf "$ANCHOR_WORK"
	[ -n "${HS_BENCH_KEEP:-}" ] && { echo "kept $WORK" >&2; exit $rc; }
	[ "$PG_UP" = 1 ] && pg_stop "$WORK/pg"
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the dataset, as the anchor will generate it in its run ---------------------------
log "exporting the anchor's dataset (${SIZE_ARGS[*]})"
bash "$ANCHOR_DIR/anchor.sh" --export-dataset "$WORK/ds" "${SIZE_ARGS[@]}" >/dev/null

# --- our PostgreSQL, schema, dataset ---------------------------------------------------
export HS_PW_OWNER HS_PW_API HS_PW_RADIUS HS_PW_WORKER
HS_PW_OWNER=$(pg_random_secret) HS_PW_API=$(pg_random_secret)
HS_PW_RADIUS=$(pg_random_secret) HS_PW_WORKER=$(pg_random_secret)
log "PostgreSQL on 127.0.0.1:$PG_PORT ($WORK/pg)"
pg_init "$WORK/pg"
# No autovacuum: a pass landing in a workload's 1-3 s window is charged to
# that workload (an ANALYZE of radius_sessions alone is ~0.3 s of CPU, 30 us
# per request over 10,000 requests). bench/target.sh vacuums and analyzes
# every table between rounds instead.
echo "autovacuum = off" >>"$WORK/pg/data/postgresql.conf"
PG_UP=1
pg_start "$WORK/pg" "$PG_PORT"
pg_roles "$WORK/pg" "$PG_PORT"
pg_create_db "$WORK/pg" "$PG_PORT" "$DB"
own() { PGPASSWORD=$HS_PW_OWNER psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U hs_owner -d "$DB" "$@"; }
for m in "$ROOT"/sql/migrations/*.sql; do
	own -1 -f "$m" >/dev/null || die "migration $(basename "$m") failed"
done
log "loading the dataset into tenants/routers/profiles/vouchers/radius_sessions"
grep '^INSERT INTO radgroup' "$WORK/ds/load.sql" >"$WORK/groups.sql"
(cd "$WORK/ds" && own -v secret="$SECRET" -v nas=127.0.0.1 -v groups="$WORK/groups.sql" \
	-f "$ROOT/bench/load_dataset.sql") | while read -r l; do log "$l"; done
if [ "$VOUCHERS" -gt 10000 ]; then
	log "padding to $VOUCHERS vouchers (generated in SQL)"
	own -v n=$((VOUCHERS - 10000)) -f "$ROOT/bench/pad_vouchers.sql" | while read -r l; do log "$l"; done
fi
pg_super "$WORK/pg" "$PG_PORT" -d "$DB" -c "VACUUM ANALYZE" -c CHECKPOINT >/dev/null

# --- our FreeRADIUS configuration (started by the anchor through bench/target.sh) ------
HS_MODULE_DIR=$ROOT/build RADIUS_AUTH_PORT=$AUTH_PORT RADIUS_ACCT_PORT=$ACCT_PORT RADIUS_LISTEN=127.0.0.1 \
	RADIUS_CLIENT_SECRET=$SECRET RADIUS_REJECT_DELAY=0 RADIUS_MAX_THREADS=$HS_THREADS \
	RADIUS_LOG_DESTINATION=files HS_LOG_DIR=$WORK/radlog \
	DB_HOST=127.0.0.1 DB_PORT=$PG_PORT DB_DATABASE=$DB DB_RADIUS_USERNAME=hs_radius \
	DB_RADIUS_PASSWORD=$HS_PW_RADIUS bash "$ROOT/radiusd-module/raddb/gen-raddb.sh" "$WORK/raddb"
freeradius -C -d "$WORK/raddb" >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log"; die "freeradius -C failed"; }

umask 077
cat >"$WORK/env" <<ENV
HS_PW_OWNER=$HS_PW_OWNER
HSB_PG_PORT=$PG_PORT
HSB_DB=$DB
HSB_AUTH_PORT=$AUTH_PORT
HSB_SECRET=$SECRET
ENV
umask 022
export HSB_WORK=$WORK HSB_ROOT=$ROOT HSB_AUTH_PORT=$AUTH_PORT HSB_ACCT_PORT=$ACCT_PORT

# --- one anchor run: stock, floor, ours ---------------------------------------------------
log "anchor run: stock, floor and rlm_hotspot side by side"
set +e
PATH=$ROOT/bench/shim:$PATH bash "$ANCHOR_DIR/anchor.sh" "${SIZE_ARGS[@]}" "${RUN_ARGS[@]}" \
	--threads "$THREADS:$THREADS" --results "$WORK/anchor-results.txt" --keep \
	--target "127.0.0.1:$AUTH_PORT:$ACCT_PORT" --target-label hotspot --target-expect hotspot \
	--target-cmd "exec bash '$ROOT/bench/target.sh' serve" "${EXTRA[@]}" 2>&1 | tee "$WORK/anchor.out" >&2
anchor_rc=${PIPESTATUS[0]}
set -e
# Kept for its floor configuration (below); removed on exit.
ANCHOR_WORK=$(sed -n 's/^anchor: kept \(\/tmp\/anchor\.[A-Za-z0-9]*\)$/\1/p' "$WORK/anchor.out" | tail -n 1)
[ -s "$WORK/anchor-results.txt" ] || { tail -n 30 "$WORK/radiusd.log" 2>/dev/null; die "the anchor run failed (exit $anchor_rc)"; }

# --- our correctness checks (the anchor's SQL checks are for the stock schema) ----------
# shellcheck disable=SC1091
source "$WORK/ds/expect.env"
FAILS=0
CHECKS=$WORK/checks.txt
: >"$CHECKS"
check() { # label got expected
	local st=OK
	[ "$2" = "$3" ] || { st=FAIL; FAILS=$((FAILS + 1)); }
	printf '%-6s %-58s got=%s expected=%s\n' "$st" "$1" "$2" "$3" >>"$CHECKS"
}
check "hotspot: bench sessions closed at 900 s" \
	"$(own -c "SELECT count(*) FROM radius_sessions WHERE acct_session_id LIKE 'b%' AND stopped_at IS NOT NULL AND session_time = 900")" "$SESS_N"
check "hotspot: in+out octets of bench sessions (Gigawords)" \
	"$(own -c "SELECT coalesce(sum(input_octets + output_octets), 0) FROM radius_sessions WHERE acct_session_id LIKE 'b%'")" "$STOP_OCTETS_SUM"
check "hotspot: vouchers grew by exactly their sessions' bytes" \
	"$(own -c "SELECT sum(v.used_bytes) - sum(b.used_bytes) FROM vouchers v JOIN bench_baseline b USING (id)")" "$STOP_OCTETS_SUM"
attr() { awk -v n="$1" '$1 == n && $2 == "=" {print $3}' | tail -n 1 | tr -d '"'; }
for t in PROBE1 PROBE2; do
	u=$(eval echo "\${${t}_USER:-}")
	[ -n "$u" ] || continue
	out=$(awk -v u="$u" '/^== /{p = ($3 == u)} p' "$WORK/probe.out" 2>/dev/null)
	ol=$(eval echo "\$${t}_OCTETS_LEFT")
	tl=$(attr Mikrotik-Total-Limit <<<"$out")
	gw=$(attr Mikrotik-Total-Limit-Gigawords <<<"$out")
	check "hotspot: probe $u ($(eval echo "\$${t}_PROFILE")) Session-Timeout" \
		"$(attr Session-Timeout <<<"$out")" "$(eval echo "\$${t}_SESSION_TIMEOUT")"
	check "hotspot: probe $u data left (Total-Limit + Gigawords << 32)" \
		"$(( ${gw:-0} * 4294967296 + ${tl:-0} )) (Total-Limit=${tl:-none} Gigawords=${gw:-none})" \
		"$ol (Total-Limit=$((ol % 4294967296)) Gigawords=$((ol / 4294967296)))"
done

# --- the floor at our pace (bench/paced.py, bench/README.md) --------------------------------
# The floor's CPU per request is read with its CPU saturated, where a request
# costs least; ours runs at the database's pace. The floor is run once more
# (the anchor's configuration, kept for this) at our median rate of each
# workload, as many times as there were rounds.
FLOOR_AUTH_PORT=29140 # anchor.sh's floor
FLOOR_ACCT_PORT=29141
PACED=$WORK/paced.txt
: >"$PACED"
hs_rate() { # workload -> our median requests/s in the anchor's summary
	awk -v w="$1" '/^# summary over rounds/ {s = 1; next} /^#/ {s = 0} s && $1 == "hotspot" && $2 == w {print $4}' \
		"$WORK/anchor-results.txt"
}
paced() { # kind port file rate [loops]
	taskset -c 1 python3 "$ROOT/bench/paced.py" --radload "$ANCHOR_DIR/radload.py" --server "127.0.0.1:$2" \
		--type "$1" --secret "$SECRET" --file "$WORK/ds/$3" --rate "$4" --loops "${5:-2}" --srv-pid "$FLOOR_PID"
}
if [ -d "$ANCHOR_WORK/raddb-floor" ]; then
	log "the floor at our pace"
	taskset -c 0 freeradius -f -l "$WORK/floor-radius.log" -d "$ANCHOR_WORK/raddb-floor" </dev/null >/dev/null 2>&1 &
	FLOOR_PID=$!
	for _ in $(seq 100); do
		ss -H -lun "sport = :$FLOOR_ACCT_PORT" | grep -q . && break
		sleep 0.1
	done
	rounds=$(sed -n 's/.*--repeat \([0-9]*\).*/\1/p' <<<"${RUN_ARGS[*]} ${EXTRA[*]}") # the last one given
	for spec in "auth auth $FLOOR_AUTH_PORT auth.req" "acct-interim acct $FLOOR_ACCT_PORT acct_interim.req"; do
		read -r w kind port file <<<"$spec"
		rate=$(hs_rate "$w")
		[ -n "$rate" ] || continue
		paced "$kind" "$port" "$file" "$rate" 1 >/dev/null || log "paced warm-up of the floor ($w): requests lost"
		for _ in $(seq "${rounds:-1}"); do
			if out=$(paced "$kind" "$port" "$file" "$rate" | tail -n 1); then
				echo "$w $out" >>"$PACED"
			else
				log "paced $w on the floor: requests lost (not counted)"
			fi
		done
	done
	kill "$FLOOR_PID"
	wait "$FLOOR_PID" 2>/dev/null || true
	FLOOR_PID=
fi

# --- ratios ----------------------------------------------------------------------------------
python3 - "$WORK/anchor-results.txt" "$PACED" >"$WORK/ratios.md" <<'EOF'
import os, re, statistics, sys
rows, insum = {}, False
for line in open(sys.argv[1]):
    if line.startswith("# summary over rounds"):
        insum = True
        continue
    if insum and line.startswith("#"):
        insum = False
    if insum:
        m = re.match(r"(\S+)\s+(\S+)\s+(\d+)\s+([\d.]+) \[\S+\]\s+([\d.]+) \[\S+\]\s+([\d.]+) \[\S+\]", line)
        if m:
            rows[(m[1], m[2])] = (float(m[4]), float(m[5]), float(m[6]), int(m[3]))
def g(s, w, i):
    return rows.get((s, w), (float("nan"),) * 4)[i]
print("| workload | server | req/s | FreeRADIUS µs/req | FreeRADIUS+PostgreSQL µs/req | rounds |")
print("|---|---|---|---|---|---|")
for w in ("auth", "acct-start", "acct-interim", "acct-stop"):
    for s in ("stock", "floor", "hotspot"):
        if (s, w) in rows:
            r = rows[(s, w)]
            print("| %s | %s | %.0f | %.1f | %.1f | %d |" % (w, s, r[0], r[1], r[2], r[3]))
print()
print("| ratio | Access-Request | Interim-Update | target |")
print("|---|---|---|---|")
def line(label, f, target):
    print("| %s | %s | %s | %s |" % (label, "%.2f×" % f("auth"), "%.2f×" % f("acct-interim"), target))
line("throughput: hotspot / stock", lambda w: g("hotspot", w, 0) / g("stock", w, 0), "auth ≥ 10×")
line("throughput: hotspot / floor", lambda w: g("hotspot", w, 0) / g("floor", w, 0), "")
line("FreeRADIUS CPU: hotspot / floor", lambda w: g("hotspot", w, 1) / g("floor", w, 1), "≤ 1.5×")
line("FreeRADIUS CPU: hotspot / stock", lambda w: g("hotspot", w, 1) / g("stock", w, 1), "")
line("FreeRADIUS+PostgreSQL CPU: hotspot / floor", lambda w: g("hotspot", w, 2) / g("floor", w, 2), "auth ≤ 4×, interim ≤ 5×")
line("FreeRADIUS+PostgreSQL CPU: hotspot / stock", lambda w: g("hotspot", w, 2) / g("stock", w, 2), "")
# The floor at our pace (bench/paced.py): median over its runs.
paced = {}
for l in open(sys.argv[2]):
    f = l.split()
    kv = dict(x.split("=") for x in f[1:])
    us = int(kv["srv_ticks"]) * 1e6 / os.sysconf("SC_CLK_TCK") / int(kv["sent"])
    paced.setdefault(f[0], []).append((float(kv["rate"]), us))
if paced:
    def p(w, i):
        v = paced.get(w)
        return statistics.median(x[i] for x in v) if v else float("nan")
    print()
    print("The floor at our pace (bench/paced.py: our median rate, %s run(s) each):" %
          "/".join(str(len(paced.get(w, []))) for w in ("auth", "acct-interim")))
    print()
    print("| at our pace | Access-Request | Interim-Update | target |")
    print("|---|---|---|---|")
    print("| floor req/s (paced) | %.0f | %.0f | |" % (p("auth", 0), p("acct-interim", 0)))
    print("| floor FreeRADIUS µs/req at that pace | %.1f | %.1f | |" % (p("auth", 1), p("acct-interim", 1)))
    line("FreeRADIUS CPU: hotspot / floor at our pace", lambda w: g("hotspot", w, 1) / p(w, 1), "")
    line("FreeRADIUS+PostgreSQL CPU: hotspot / floor at our pace", lambda w: g("hotspot", w, 2) / p(w, 1), "")
EOF

REPORT=$ROOT/build/bench/last-report.txt
mkdir -p "$(dirname "$REPORT")"
{
	echo "# make bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# anchor options: ${SIZE_ARGS[*]} ${RUN_ARGS[*]} --threads $THREADS:$THREADS ${EXTRA[*]}; rlm_hotspot: RADIUS_MAX_THREADS=$HS_THREADS, vouchers in its database: $(own -c "SELECT count(*) FROM vouchers")"
	echo
	cat "$WORK/ratios.md"
	echo
	echo "# our checks"
	cat "$CHECKS"
	echo
	echo "# probe replies (rlm_hotspot)"
	grep -E '^==|Received|Session-Timeout|Mikrotik-Total-Limit|Reply-Message' "$WORK/probe.out" 2>/dev/null || echo "(no probe output)"
	echo
	echo "# anchor report"
	cat "$WORK/anchor-results.txt"
} >"$REPORT"
echo
sed -n '1,/^# anchor report/p' "$REPORT"
log "report: $REPORT"
[ "$anchor_rc" = 0 ] || log "the anchor reported correctness failures (exit $anchor_rc)"
[ "$FAILS" = 0 ] || log "$FAILS of our checks failed"
{ [ "$anchor_rc" = 0 ] && [ "$FAILS" = 0 ]; } || exit 2
