#!/usr/bin/env bash
# Suite: the RouterOS provisioner against the router simulator over TCP on
# loopback: every operation on RouterOS 7 and 6, each fault mapped to its
# test-connection step and error, the pool (reuse, idle close, concurrency),
# the rate limit, retries, and a slow router that delays no other.
source "$HS_ROOT/tests/lib/harness.sh"

SIM=$HS_BUILD/ros-sim
PT=$HS_BUILD/tests/ros-prov-test
PORT=

# sim NAME ARGS...: starts a simulator on a free port, left in $PORT.  A port
# taken meanwhile (by a client's ephemeral port) is tried again with another.
sim() {
	local name=$1 try
	shift
	for try in 1 2 3; do
		PORT=$(hs_free_port) || return 1
		hs_spawn "$name" "$SIM" --port "$PORT" "$@"
		hs_wait_tcp "$PORT" 10 && hs_running "$name" && return 0
		hs_kill "$name"
	done
	echo "# simulator $name did not start"
	cat "$HS_SUITE_DIR/$name.log"
	return 1
}

# Steps of test-connection: 0 TCP, 1 API handshake, 2 authentication, 3 permission, 4 identity.
for v in 7 6; do
	args=()
	[ "$v" = 6 ] && args=(--ros6)
	sim "v$v" "${args[@]}"
	for c in check stats interfaces logs users sessions profiles radius files export backup reuse; do
		t_ok "ROS $v: $c" "$PT" "$c" "$PORT" v=$v
	done
	hs_kill "v$v"
	sim "v$v-source" "${args[@]}"
	p1=$PORT
	sim "v$v-target" "${args[@]}"
	t_ok "ROS $v: restore an export onto another router in parts" "$PT" restore "$p1" v=$v port2="$PORT"
	hs_kill "v$v-target"
	hs_kill "v$v-source"
done

sim bigfiles --file-contents-max 100000
t_ok "ROS 7, 100000-byte contents limit: big files by print and in 1000-byte chunks, byte-exact" \
	"$PT" files "$PORT" max=100000
t_ok "test-connection: wrong password from the client -> authentication step, AUTH" \
	"$PT" check-fail "$PORT" pass=nope step=2 expect=AUTH
t_ok "pool: no more than 3 connections for 6 threads" "$PT" concurrent "$PORT"
t_ok "pool: an idle connection is closed and a new one opened" "$PT" idle "$PORT" idle=300
t_ok "rate: 60/min, burst 3: the 4th call waits for its token" \
	"$PT" rate "$PORT" rate=60 burst=3 wait=2000
t_ok "rate: 60/min, burst 3, no waiting: the 4th call -> RATE_LIMITED" \
	"$PT" rate "$PORT" rate=60 burst=3 wait=-1 expect=RATE_LIMITED
hs_kill bigfiles

# --- faults -> step and error ---------------------------------------------------
closed=$(hs_free_port)
t_ok "nothing listening -> TCP step, REFUSED" "$PT" check-fail "$closed" step=0 expect=REFUSED
t_ok "nothing listening, through the pool -> REFUSED after retries" "$PT" expect "$closed" expect=REFUSED
sim wrongpw --wrong-password
t_ok "--wrong-password -> authentication step, AUTH" "$PT" check-fail "$PORT" step=2 expect=AUTH
t_ok "--wrong-password through the pool -> AUTH, not retried" "$PT" expect "$PORT" expect=AUTH
hs_kill wrongpw
sim wrongpw6 --wrong-password --ros6
t_ok "--wrong-password, ROS 6 -> authentication step, AUTH" "$PT" check-fail "$PORT" step=2 expect=AUTH
hs_kill wrongpw6
sim nopolicy --no-api-policy
t_ok "--no-api-policy -> permission step, DENIED" "$PT" check-fail "$PORT" step=3 expect=DENIED
t_ok "--no-api-policy through the pool -> DENIED" "$PT" expect "$PORT" expect=DENIED
hs_kill nopolicy
sim readonly --read-only
t_ok "--read-only -> permission step (write probe), DENIED" "$PT" check-fail "$PORT" step=3 expect=DENIED
hs_kill readonly
sim fatal --fatal
t_ok "--fatal -> permission step, FATAL" "$PT" check-fail "$PORT" step=3 expect=FATAL
t_ok "--fatal through the pool -> FATAL after retries" "$PT" expect "$PORT" expect=FATAL
hs_kill fatal
sim slow --slow 1500
t_ok "--slow 1500, 300 ms read timeout -> API handshake step, TIMEOUT" \
	"$PT" check-fail "$PORT" io=300 step=1 expect=TIMEOUT
t_ok "--slow 1500, 300 ms read timeout, through the pool -> TIMEOUT" \
	"$PT" expect "$PORT" io=300 retries=-1 expect=TIMEOUT
slow=$PORT
sim fast
t_ok "a slow router does not delay calls to another" "$PT" isolation "$slow" port2="$PORT"
hs_kill fast
hs_kill slow
sim drop --drop-after 2
t_ok "--drop-after 2: reads retried on a new connection; a sent write is not repeated" \
	"$PT" drop "$PORT"
hs_kill drop

t_done
