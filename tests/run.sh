#!/usr/bin/env bash
# Runs the test suites and prints one summary line "N passed, N failed".
#   tests/run.sh [--only NAME] SUITE...
# Each suite is an executable that prints TAP. One PostgreSQL cluster is started
# for the run (as the postgres user, in a new directory, on a free loopback
# port) and stopped at the end. A failing suite's logs stay in build/test-logs/.
set -u
HS_ROOT=$(cd "$(dirname "$0")/.." && pwd)
HS_BUILD=$HS_ROOT/build
source "$HS_ROOT/scripts/pglib.sh"

only=
if [ "${1:-}" = --only ]; then
	only=$2
	shift 2
fi
suites=("$@")
suite_name() { local b; b=$(basename "$1"); echo "${b%.*}"; }
if [ -n "$only" ]; then
	sel=()
	for s in "${suites[@]}"; do [ "$(suite_name "$s")" = "$only" ] && sel+=("$s"); done
	[ ${#sel[@]} -gt 0 ] || { echo "no suite named $only" >&2; exit 2; }
	suites=("${sel[@]}")
fi

LOGS=$HS_BUILD/test-logs
mkdir -p "$LOGS" "$HS_BUILD/test-clusters"

# A cluster left by an interrupted earlier run (its runner is gone) is stopped
# first; one whose runner still lives belongs to a concurrent run.
for state in "$HS_BUILD"/test-clusters/*; do
	[ -f "$state" ] || continue
	read -r owner old <"$state" || continue
	kill -0 "$owner" 2>/dev/null && continue
	[ -d "$old" ] && pg_stop "$old" && rm -rf "$old"
	rm -f "$state"
done

PGDIR=$(mktemp -d /tmp/hs-test-pg.XXXXXX)
chmod 755 "$PGDIR"
STATE=$HS_BUILD/test-clusters/$$
echo "$$ $PGDIR" >"$STATE"
cleanup() {
	pg_stop "$PGDIR"
	rm -rf "$PGDIR"
	rm -f "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=
for i in $(seq 1 100); do
	p=$((29500 + RANDOM % 3000))
	port_in_use "$p" tcp || { port=$p; break; }
done
export HS_PW_OWNER=$(pg_random_secret) HS_PW_API=$(pg_random_secret)
export HS_PW_RADIUS=$(pg_random_secret) HS_PW_WORKER=$(pg_random_secret)
if ! { pg_init "$PGDIR" && pg_start "$PGDIR" "$port" && pg_roles "$PGDIR" "$port"; } >"$LOGS/postgres-setup.log" 2>&1; then
	cat "$LOGS/postgres-setup.log" >&2
	echo "could not start the test PostgreSQL cluster"
	echo "0 passed, 1 failed"
	exit 1
fi
export HS_ROOT HS_BUILD HS_PG_DIR=$PGDIR PGHOST=127.0.0.1 PGPORT=$port
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0
failed_suites=()
for suite in "${suites[@]}"; do
	name=$(suite_name "$suite")
	export HS_SUITE_DIR=$LOGS/$name
	rm -rf "$HS_SUITE_DIR"
	mkdir -p "$HS_SUITE_DIR"
	echo "# --- $name"
	out=$HS_SUITE_DIR/output.tap
	# timeout puts the suite in a process group of its own: whatever it leaves is reaped.
	timeout -k 10 "${HS_SUITE_TIMEOUT:-900}" "$suite" >"$out" 2>"$HS_SUITE_DIR/stderr.log" </dev/null &
	spid=$!
	wait "$spid"
	rc=$?
	kill -KILL -- "-$spid" 2>/dev/null
	cat "$out"
	p=$(grep -cE '^ok [0-9]+' "$out" | head -n1)
	s=$(grep -cE '^ok [0-9]+.*# *(SKIP|skip)' "$out" | head -n1)
	f=$(grep -cE '^not ok [0-9]+' "$out" | head -n1)
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc"
		tail -n 20 "$HS_SUITE_DIR/stderr.log" | sed 's/^/#   /'
	elif [ "$rc" -eq 0 ] && [ $((p + s + f)) -eq 0 ]; then
		f=1
		echo "not ok - $name ran no test"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$f" -gt 0 ]; then
		failed_suites+=("$name")
		[ -s "$HS_SUITE_DIR/stderr.log" ] && tail -n 20 "$HS_SUITE_DIR/stderr.log" | sed 's/^/#   stderr: /'
	else
		rm -rf "$HS_SUITE_DIR"
	fi
done

[ ${#failed_suites[@]} -gt 0 ] && echo "# failed suites (logs in build/test-logs/): ${failed_suites[*]}"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
