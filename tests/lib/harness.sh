# Integration test harness: sourced by every bash suite under tests/integration.
# tests/run.sh starts one PostgreSQL cluster for the whole run and exports
# HS_ROOT, HS_BUILD, PGHOST, PGPORT, HS_PG_DIR, HS_PW_{OWNER,API,RADIUS,WORKER}
# and HS_SUITE_DIR (kept under build/test-logs/ when the suite fails).
# Output is TAP: "ok N - name" / "not ok N - name", plan at the end.

: "${HS_ROOT:?run suites through tests/run.sh (make test SUITE=name)}"
source "$HS_ROOT/scripts/pglib.sh"

HS_T_N=0
HS_T_FAILED=0
declare -A HS_PIDS=()
declare -A HS__PORTS=()
mkdir -p "$HS_SUITE_DIR"

# --- TAP ----------------------------------------------------------------

t__result() { # t__result PASSED NAME [diagnostic file]
	HS_T_N=$((HS_T_N + 1))
	if [ "$1" = 1 ]; then
		echo "ok $HS_T_N - $2"
	else
		HS_T_FAILED=$((HS_T_FAILED + 1))
		echo "not ok $HS_T_N - $2"
		[ -n "${3:-}" ] && [ -s "$3" ] && tail -n 15 "$3" | sed 's/^/#   /'
	fi
	return 0
}

# t_ok NAME CMD...: passes when CMD exits 0.
t_ok() {
	local name=$1 out="$HS_SUITE_DIR/.t_out"
	shift
	if "$@" >"$out" 2>&1; then t__result 1 "$name"; else t__result 0 "$name" "$out"; fi
}

# t_fail NAME CMD...: passes when CMD exits non-zero.
t_fail() {
	local name=$1 out="$HS_SUITE_DIR/.t_out"
	shift
	if "$@" >"$out" 2>&1; then t__result 0 "$name" "$out"; else t__result 1 "$name"; fi
}

# t_is GOT WANT NAME
t_is() {
	if [ "$1" = "$2" ]; then
		t__result 1 "$3"
	else
		t__result 0 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# t_like GOT ERE NAME
t_like() {
	if [[ "$1" =~ $2 ]]; then
		t__result 1 "$3"
	else
		t__result 0 "$3"
		printf '#   got:  %s\n#   want match: %s\n' "$1" "$2"
	fi
}

# t_done: print the plan; exit non-zero when a test failed.
t_done() {
	echo "1..$HS_T_N"
	[ "$HS_T_FAILED" -eq 0 ]
	exit $?
}

# --- PostgreSQL -----------------------------------------------------------

hs_psql_super() { pg_super "$HS_PG_DIR" "$PGPORT" "$@"; }

hs__role_password() {
	case $1 in
	hs_owner) echo "$HS_PW_OWNER" ;;
	hs_api) echo "$HS_PW_API" ;;
	hs_radius) echo "$HS_PW_RADIUS" ;;
	hs_worker) echo "$HS_PW_WORKER" ;;
	*) echo "unknown role $1" >&2; return 1 ;;
	esac
}

# hs_psql_as ROLE DB [psql args...]
hs_psql_as() {
	local role=$1 db=$2 pw
	shift 2
	pw=$(hs__role_password "$role") || return 1
	PGPASSWORD=$pw psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U "$role" -d "$db" "$@"
}

# hs_db_env NAME: export hotspotd's database settings for database NAME.
hs_db_env() {
	export DB_HOST=127.0.0.1 DB_PORT=$PGPORT DB_DATABASE=$1
	export DB_USERNAME=hs_api DB_PASSWORD=$HS_PW_API
	export DB_WORKER_USERNAME=hs_worker DB_WORKER_PASSWORD=$HS_PW_WORKER
	export DB_OWNER_USERNAME=hs_owner DB_OWNER_PASSWORD=$HS_PW_OWNER
	export DB_RADIUS_USERNAME=hs_radius DB_RADIUS_PASSWORD=$HS_PW_RADIUS
	export MIGRATIONS_DIR=${MIGRATIONS_DIR:-$HS_ROOT/sql/migrations}
}

# hs_new_db NAME: (re)create database NAME and apply the migrations with hotspotd.
hs_new_db() {
	local name=$1 log="$HS_SUITE_DIR/migrate-$1.log"
	hs_psql_super -v db="$name" >"$log" 2>&1 <<'SQL' || { cat "$log" >&2; return 1; }
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \gexec
SELECT format('CREATE DATABASE %I OWNER hs_owner', :'db') \gexec
SQL
	(hs_db_env "$name" && "$HS_BUILD/hotspotd" migrate) >>"$log" 2>&1 || {
		cat "$log" >&2
		return 1
	}
}

# hs_wait_sql DB SQL [secs]: wait until SQL, run as hs_owner in DB, answers t.
hs_wait_sql() {
	local i n=$((${3:-10} * 10))
	for i in $(seq 1 "$n"); do
		[ "$(hs_psql_as hs_owner "$1" -At -c "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# --- processes and ports ----------------------------------------------------

# hs_free_port [tcp|udp]: a loopback port nothing listens on, not handed out
# before. Chosen below the kernel's ephemeral range (32768 and up), so an
# outgoing connection cannot take it between this check and the bind.
hs_free_port() {
	local proto=${1:-tcp} port i
	for i in $(seq 1 200); do
		port=$((10000 + RANDOM % 19000))
		[ -n "${HS__PORTS[$port]:-}" ] && continue
		port_in_use "$port" tcp && continue
		port_in_use "$port" udp && continue
		HS__PORTS[$port]=1
		echo "$port"
		return 0
	done
	echo "no free port found" >&2
	return 1
}

# hs_spawn NAME CMD...: start CMD in the background, output in $HS_SUITE_DIR/NAME.log.
hs_spawn() {
	local name=$1
	shift
	"$@" >"$HS_SUITE_DIR/$name.log" 2>&1 &
	HS_PIDS[$name]=$!
}

# hs_kill NAME: SIGTERM, wait up to 10 s, then SIGKILL. Returns the exit status.
hs_kill() {
	local pid=${HS_PIDS[$1]:-} i rc=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || rc=$?
	unset "HS_PIDS[$1]"
	return $rc
}

# hs_running NAME: true while the spawned process lives.
hs_running() {
	local pid=${HS_PIDS[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# hs_wait_port PORT tcp|udp [secs]: wait until something listens on PORT.
hs_wait_port() {
	local i n=$((${3:-10} * 10))
	for i in $(seq 1 "$n"); do
		port_in_use "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}
hs_wait_tcp() { hs_wait_port "$1" tcp "${2:-10}"; }
hs_wait_udp() { hs_wait_port "$1" udp "${2:-10}"; }

# hs_wait_http URL [secs]: wait until URL answers at all (any HTTP status).
hs_wait_http() {
	local i n=$((${2:-10} * 10))
	for i in $(seq 1 "$n"); do
		curl -s -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
}

hs__cleanup() {
	local name
	for name in "${!HS_PIDS[@]}"; do
		hs_kill "$name" || true
	done
}
trap hs__cleanup EXIT
