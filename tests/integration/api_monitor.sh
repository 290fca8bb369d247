#!/usr/bin/env bash
# The router monitor of hotspotd serve: two processes share seven routers
# with API credentials through leases in the database, each router polled
# by exactly one of them; status online / offline / error, last_seen,
# uptime, version and identity kept; a change of status is one
# router.status event in the outbox; a router whose simulator stops goes
# offline; kill -9 of one process hands its routers to the other once the
# leases run out; SIGTERM stops promptly and gives the leases back.
#   .21-.24  RouterOS 7 simulators (tenant A: .21-.23, tenant B: .24)
#   .25      nothing listens                 -> offline
#   .26      refuses the password            -> error
#   .27      RouterOS 6 simulator            -> online
#   .28      no API credentials              -> not polled
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
SIM=$HS_BUILD/ros-sim
DB=hs_api_monitor
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 APP_KEY=$("$H" gen-key) LOG_LEVEL=debug PRUNE_INTERVAL=0 SWEEP_INTERVAL=0
# The simulators listen on loopback, outside the default ROUTER_ALLOWED_NETWORKS.
export ROUTER_ALLOWED_NETWORKS=127.0.0.0/8
api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

q() { hs_psql_as hs_owner $DB -At -c "$1"; }
b=$HS_SUITE_DIR/body.json

# --- configuration ----------------------------------------------------------------
t_is "$(env ROUTER_MONITOR_INTERVAL=10 ROUTER_MONITOR_LEASE=10 "$H" config 2>&1; echo "exit $?")" \
	"hotspotd: config: ROUTER_MONITOR_LEASE: 10 is not above ROUTER_MONITOR_INTERVAL (10)
exit 2" "a lease not above the interval stops start-up"
t_like "$("$H" config | grep '^ROUTER_MONITOR\|^ROUTER_STATS' | tr '\n' ' ')" \
	'ROUTER_MONITOR_INTERVAL=30 ROUTER_MONITOR_WORKERS=4 ROUTER_MONITOR_LEASE=90 ROUTER_STATS_CACHE=30' \
	"the defaults: every 30 s, 4 threads, 90 s leases, 30 s cache"

# --- routers ---------------------------------------------------------------------
ROS_PW="ros-pw-$RANDOM$RANDOM"
declare -A API=() RID=()
sim() {
	local n=$1 try
	shift
	for try in 1 2 3; do
		API[$n]=${API[$n]:-$(hs_free_port)} || return 1
		hs_spawn "sim$n" "$SIM" --host "127.0.0.$n" --port "${API[$n]}" --password "$ROS_PW" \
			--identity "router-$n" --trace "$@"
		hs_wait_tcp "${API[$n]}" 5 && hs_running "sim$n" && return 0
		hs_kill "sim$n"
		API[$n]=
	done
	return 1
}
for n in 21 22 23 24; do t_ok "simulator .$n listens" sim $n; done
API[25]=$(hs_free_port)
t_ok "simulator .26 (refuses the password) listens" sim 26 --wrong-password
t_ok "simulator .27 (RouterOS 6) listens" sim 27 --ros6

# router TOKEN N: router N through the API; its id in RID[N].
router() {
	local body
	body=$(jq -nc --arg ip "127.0.0.$2" --argjson port "${API[$2]:-8728}" --arg pw "$ROS_PW" \
		'{name: ("r" + $ip), ip_address: $ip, api_port: $port, username: "admin", password: $pw}')
	[ "$2" = 28 ] && body=$(jq -c 'del(.username, .password)' <<<"$body")
	[ "$(as "$1" POST "$base/api/v1/router-management" -d "$body")" = 201 ] || return 1
	RID[$2]=$(j .data.id)
}

# Two processes, a poll every second, leases of 4 s.
export ROUTER_MONITOR_INTERVAL=1 ROUTER_MONITOR_LEASE=4 ROUTER_API_TIMEOUT=1 ROUTER_MONITOR_WORKERS=2
t_ok "hotspotd 1 serves" serve_on mon1
P1=$SERVE_PORT
base=http://127.0.0.1:$P1
for n in 21 22 23 25 26 27 28; do t_ok "tenant A adds router .$n" router "$TA" $n; done
t_ok "tenant B adds router .24" router "$TB" 24
UPD22=$(q "SELECT updated_at FROM mikrotik_devices WHERE id = '${RID[22]}'")
t_ok "hotspotd 2 serves" serve_on mon2
P2=$SERVE_PORT
PID1=${HS_PIDS[mon1]}
PID2=${HS_PIDS[mon2]}

st() { q "SELECT status FROM mikrotik_devices WHERE id = '${RID[$1]}'"; }
polled="SELECT count(*) = 7 FROM router_leases WHERE polled_at IS NOT NULL"
t_ok "every router with credentials is polled" hs_wait_sql $DB "$polled" 20
t_ok "the processes share them: 4 and 3" hs_wait_sql $DB \
	"SELECT array_agg(n ORDER BY n) = '{3,4}' FROM (SELECT count(*) AS n FROM router_leases GROUP BY owner) c" 20
t_is "$(q "SELECT count(*) FROM router_monitors")" 2 "two monitors have a heartbeat"
t_like "$(q "SELECT string_agg(split_part(owner, ':', 2), ',' ORDER BY owner) FROM router_monitors")" \
	"^($PID1,$PID2|$PID2,$PID1)\$" "named by host, pid and a random part"
sleep 2
t_is "$(for n in 21 22 23 24 25 26 27 28; do printf '%s ' "$(st $n)"; done)" \
	"online online online online offline error online offline " \
	"status: simulators online, nothing listening offline, wrong password error, no credentials untouched"
t_is "$(q "SELECT count(*) FROM router_leases WHERE router_id = '${RID[28]}'")" 0 \
	"a router without API credentials is not leased"
t_is "$(q "SELECT router_os_version || ' | ' || identity || ' | ' || (uptime_seconds >= 0) || ' | ' || (last_seen > now() - interval '10 s') || ' | ' || (last_error IS NULL) FROM mikrotik_devices WHERE id = '${RID[22]}'")" \
	"7.18.2 (stable) | router-22 | true | true | true" "an online router: version, identity, uptime, last_seen"
t_is "$(q "SELECT router_os_version FROM mikrotik_devices WHERE id = '${RID[27]}'")" \
	"6.42.12 (long-term)" "RouterOS 6 too"
t_like "$(q "SELECT (last_seen IS NULL) || ' ' || last_error FROM mikrotik_devices WHERE id = '${RID[25]}'")" \
	"^true .*refused" "offline: never seen, and why"
t_like "$(q "SELECT (last_seen IS NOT NULL) || ' ' || last_error FROM mikrotik_devices WHERE id = '${RID[26]}'")" \
	"^true .*([Aa]uthentication|password)" "error: reachable, and the login failure"
t_is "$(q "SELECT updated_at FROM mikrotik_devices WHERE id = '${RID[22]}'")" "$UPD22" \
	"polls leave updated_at alone"

# --- each router polled by exactly one process -----------------------------------------------
# Once the share is stable, the polls of a few seconds: each router in one log only.
owners() { q "SELECT string_agg(router_id || '=' || owner, ',' ORDER BY router_id) FROM router_leases"; }
O1=$(owners)
L1=$(wc -l <"$HS_SUITE_DIR/mon1.log")
L2=$(wc -l <"$HS_SUITE_DIR/mon2.log")
S0=$(grep -c 'cmd /system/resource/print' "$HS_SUITE_DIR/sim22.log")
sleep 5
t_is "$(owners)" "$O1" "the leases stayed where they were"
both=0 none=0
for n in 21 22 23 24 25 26 27; do
	a=$(tail -n +$((L1 + 1)) "$HS_SUITE_DIR/mon1.log" | grep -c "monitor: router ${RID[$n]}")
	c=$(tail -n +$((L2 + 1)) "$HS_SUITE_DIR/mon2.log" | grep -c "monitor: router ${RID[$n]}")
	[ "$a" -gt 0 ] && [ "$c" -gt 0 ] && both=$((both + 1))
	[ "$a" -eq 0 ] && [ "$c" -eq 0 ] && none=$((none + 1))
done
t_is "$both $none" "0 0" "in 5 s every router was polled, each by one process only"
S1=$(grep -c 'cmd /system/resource/print' "$HS_SUITE_DIR/sim22.log")
t_like "$((S1 - S0))" '^[2-7]$' "a router sees about one poll a second, not two"

# --- the monitor fills the statistics cache -----------------------------------------------------
O22=$(q "SELECT owner FROM router_leases WHERE router_id = '${RID[22]}'")
P22=$P1
[ "$(cut -d: -f2 <<<"$O22")" = "$PID2" ] && P22=$P2
t_is "$(as "$TA" GET "http://127.0.0.1:$P22/api/v1/mikrotik/${RID[22]}/statistics")" 200 \
	"statistics from the process that polls the router"
t_is "$(j '[.data.cached, .data.identity] | @tsv')" "$(printf 'true\trouter-22')" \
	"come from the monitor's last poll"

# --- status changes are events ----------------------------------------------------------------
ev() { q "SELECT string_agg(payload->>'previous' || '>' || (payload->>'status'), ' ' ORDER BY id) FROM events WHERE type = 'router.status' AND payload->>'router_id' = '${RID[$1]}'"; }
t_is "$(ev 22)" "offline>online" "one router.status event for a router that came online, from one process"
t_is "$(ev 26)" "offline>error" "one for the router that refuses the password"
t_is "$(ev 25)" "" "none for a router that stayed offline"
t_is "$(q "SELECT t.slug FROM events e JOIN tenants t ON t.id = e.tenant_id WHERE e.type = 'router.status' AND e.payload->>'router_id' = '${RID[24]}'")" \
	ten-b "an event belongs to the router's tenant"
t_is "$(q "SELECT payload->>'name' FROM events WHERE type = 'router.status' AND payload->>'router_id' = '${RID[22]}'")" \
	r127.0.0.22 "and names the router"

hs_kill sim21
t_ok "a router whose simulator stopped goes offline" hs_wait_sql $DB \
	"SELECT status = 'offline' FROM mikrotik_devices WHERE id = '${RID[21]}'" 15
t_is "$(ev 21)" "offline>online online>offline" "with a router.status event"
t_like "$(q "SELECT payload->>'error' FROM events WHERE type = 'router.status' AND payload->>'router_id' = '${RID[21]}' AND payload->>'status' = 'offline'")" \
	"127\.0\.0\.21" "saying why"
t_ok "it comes back" sim 21
t_ok "and is online again" hs_wait_sql $DB \
	"SELECT status = 'online' FROM mikrotik_devices WHERE id = '${RID[21]}'" 15
t_is "$(ev 21)" "offline>online online>offline offline>online" "one event per change"

# --- kill -9: the other process takes over after the lease ----------------------------------------
N1=$(q "SELECT count(*) FROM router_leases WHERE split_part(owner, ':', 2) = '$PID1'")
t_like "$N1" '^[34]$' "hotspotd 1 holds its share"
kill -KILL "$PID1"
wait "$PID1" 2>/dev/null
unset "HS_PIDS[mon1]"
KILLED=$(q "SELECT now()")
t_ok "hotspotd 2 takes every router over" hs_wait_sql $DB \
	"SELECT count(*) = 7 FROM router_leases WHERE split_part(owner, ':', 2) = '$PID2'" 20
t_is "$(q "SELECT now() - '$KILLED'::timestamptz >= interval '2.5 s'")" t \
	"not before the dead process's leases ran out (4 s, renewed every second)"
t_ok "and polls them all" hs_wait_sql $DB \
	"SELECT bool_and(polled_at > '$KILLED'::timestamptz + interval '2.5 s') FROM router_leases" 10
t_is "$(q "SELECT count(*) FROM router_monitors")" 1 "the dead process's heartbeat is gone"
hs_kill sim23
t_ok "a change on a router taken over is still seen" hs_wait_sql $DB \
	"SELECT status = 'offline' FROM mikrotik_devices WHERE id = '${RID[23]}'" 15
t_is "$(ev 23)" "offline>online online>offline" "and written once"

# --- SIGTERM -----------------------------------------------------------------------------------
start=$(date +%s%N)
hs_kill mon2
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_is "$rc" 0 "hotspotd 2 exits 0 on SIGTERM"
t_like "$ms" '^[0-9]{1,4}$' "within 10 s ($ms ms)"
t_is "$(q "SELECT count(*) FROM router_leases WHERE owner IS NOT NULL")" 0 "and gives its leases back"
t_is "$(q "SELECT count(*) FROM router_monitors")" 0 "and its heartbeat"
t_ok "it logged the leases given back" grep -q "monitor: 7 router lease(s) given back" "$HS_SUITE_DIR/mon2.log"

# --- off -----------------------------------------------------------------------------------------
ROUTER_MONITOR_INTERVAL=0 t_ok "with ROUTER_MONITOR_INTERVAL=0 hotspotd serves" serve_on off
sleep 2
t_is "$(q "SELECT count(*) FROM router_monitors")" 0 "and monitors nothing"
t_ok "it says so" grep -q "monitor: off" "$HS_SUITE_DIR/off.log"
hs_kill off

t_fail "no router password or APP_KEY in the logs" grep -qF -e "$ROS_PW" -e "$APP_KEY" \
	"$HS_SUITE_DIR/mon1.log" "$HS_SUITE_DIR/mon2.log"
t_done
