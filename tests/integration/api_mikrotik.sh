#!/usr/bin/env bash
# hotspotd serve: /api/v1/mikrotik/:id/... and
# /api/v1/router-management/:id/statistics over real HTTP, against router
# simulators (build/ros-sim --trace) on loopback addresses of their own:
#   .11  a RouterOS 7 router, API credentials    -> every operation
#   .12  nothing listens                         -> 502
#   .13  answers after 3 s (ROUTER_API_TIMEOUT=1) -> 504
#   .14  refuses the password                    -> 502
#   .15  no API credentials                      -> 409
# plus the statistics cache (the router is asked once in 30 s), changes
# seen on the simulator itself, tenant isolation, abilities, and the
# router.kick job asking the router for one session with query words.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
SIM=$HS_BUILD/ros-sim
DB=hs_api_mikrotik
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 JOB_POLL_INTERVAL=1 APP_KEY=$("$H" gen-key)
export ROUTER_MONITOR_INTERVAL=0 ROUTER_API_TIMEOUT=1 LOG_LEVEL=debug
# The simulators listen on loopback, outside the default ROUTER_ALLOWED_NETWORKS.
export ROUTER_ALLOWED_NETWORKS=127.0.0.0/8
api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
b=$HS_SUITE_DIR/body.json

# --- the routers -----------------------------------------------------------------
ROS_PW="ros-pw-$RANDOM$RANDOM"
declare -A API=()
# sim N ARGS...: a simulator on 127.0.0.N, its port in API[N].
sim() {
	local n=$1 try
	shift
	for try in 1 2 3; do
		API[$n]=$(hs_free_port) || return 1
		hs_spawn "sim$n" "$SIM" --host "127.0.0.$n" --port "${API[$n]}" --password "$ROS_PW" \
			--trace "$@"
		hs_wait_tcp "${API[$n]}" 5 && hs_running "sim$n" && return 0
		hs_kill "sim$n"
	done
	return 1
}
t_ok "router .11 (RouterOS 7) listens" sim 11
API[12]=$(hs_free_port)
t_ok "router .13 (slow) listens" sim 13 --slow 3000
t_ok "router .14 (refuses the password) listens" sim 14 --wrong-password

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
R=$base/api/v1/router-management
M=$base/api/v1/mikrotik

# router N [NAME]: creates router N for tenant A through the API; its id in RID[N].
declare -A RID=()
router() {
	local n=$1 body
	body=$(jq -nc --arg ip "127.0.0.$n" --argjson port "${API[$n]:-8728}" --arg pw "$ROS_PW" \
		'{name: ("r" + $ip), ip_address: $ip, api_port: $port, username: "admin", password: $pw}')
	[ "$n" = 15 ] && body=$(jq -c 'del(.username, .password)' <<<"$body")
	[ "$(as "$TA" POST "$R" -d "$body")" = 201 ] || return 1
	RID[$n]=$(j .data.id)
}
for n in 11 12 13 14 15; do t_ok "tenant A adds router .$n" router $n; done
ID=${RID[11]}

# ros_cmd N WORD...: the reply of simulator N to one command, over the API
# itself (plain login; words shorter than 128 bytes), a word a line.
ros_word() { printf "\\$(printf %03o "${#1}")%s" "$1"; }
ros_cmd() {
	local n=$1 w
	shift
	exec 3<>"/dev/tcp/127.0.0.$n/${API[$n]}" || return 1
	{
		ros_word /login; ros_word =name=admin; ros_word "=password=$ROS_PW"; printf '\0'
		for w in "$@"; do ros_word "$w"; done; printf '\0'
		ros_word /quit; printf '\0'
	} >&3
	timeout 5 cat <&3 | tr -c '[:print:]' '\n' | grep -v '^$'
	exec 3<&-
}
# trace N PATTERN: how many commands simulator N saw that match PATTERN.
trace() { grep -c -- "$2" "$HS_SUITE_DIR/sim$1.log"; }

# --- statistics and its cache ---------------------------------------------------------
t_is "$(as "$TA" GET "$M/$ID/statistics")" 200 "GET statistics is 200"
t_is "$(j '[.data.router_id, .data.version, .data.board, .data.identity, .data.cpu_count, .data.total_memory, .data.cached] | @tsv')" \
	"$(printf '%s\t7.18.2 (stable)\thAP ac^2 (simulated)\tMikroTik\t4\t134217728\tfalse' "$ID")" \
	"with the router's version, board, identity, CPUs and memory, fetched now"
t_like "$(j '[.data.cpu_load, .data.uptime_seconds, .data.memory_used_percent] | @tsv')" \
	'^[0-9]+	[0-9]+	26$' "CPU load, uptime and memory use are numbers"
t_like "$(j .data.fetched_at)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "fetched_at is UTC ISO 8601"
AT=$(j .data.fetched_at)
t_is "$(trace 11 'cmd /system/resource/print')" 1 "the router was asked once"
sleep 1.1
t_is "$(as "$TA" GET "$M/$ID/statistics")" 200 "a second GET within 30 s is 200"
t_is "$(j '[.data.cached, .data.fetched_at] | @tsv')" "$(printf 'true\t%s' "$AT")" \
	"answered from the cache, as fetched the first time"
t_is "$(as "$TA" GET "$R/$ID/statistics")" 200 "GET /router-management/{id}/statistics is 200"
t_is "$(j '[.data.cached, .data.fetched_at, .data.version] | @tsv')" \
	"$(printf 'true\t%s\t7.18.2 (stable)' "$AT")" "from the same cache"
t_is "$(trace 11 'cmd /system/resource/print')" 1 "the router was not asked again"

# --- interfaces ---------------------------------------------------------------------------
t_is "$(as "$TA" GET "$M/$ID/interfaces")" 200 "GET interfaces is 200"
t_is "$(j '[.meta.total, (.data | map(.name) | join(","))] | @tsv')" \
	"$(printf '5\tether1,ether2,ether3,wlan1,bridge-hotspot')" "lists the router's interfaces"
t_is "$(j '.data[1] | [.type, .mac_address, .running, .disabled, (.rx_bytes > 0), (.tx_packets > 0)] | @tsv')" \
	"$(printf 'ether\t4C:5E:0C:00:00:02\ttrue\tfalse\ttrue\ttrue')" "with type, MAC, state and counters"
t_is "$(as "$TA" GET "$M/$ID/interfaces?per_page=2&page=3")" 200 "a page of interfaces"
t_is "$(j '[.meta.current_page, .meta.per_page, .meta.total, .meta.last_page, (.data | map(.name) | join(","))] | @tsv')" \
	"$(printf '3\t2\t5\t3\tbridge-hotspot')" "holds the last one"
t_is "$(as "$TA" GET "$M/$ID/interfaces?per_page=0")" 422 "per_page=0 is 422"
t_is "$(j '.errors | keys | join(",")')" per_page "naming per_page"

t_is "$(as "$TA" POST "$M/$ID/interfaces/ether2/disable")" 200 "POST .../interfaces/ether2/disable is 200"
t_is "$(j '[.message, .data.name, .data.disabled] | @tsv')" "$(printf 'Interface disabled\tether2\ttrue')" \
	"and says so"
t_is "$(ros_cmd 11 /interface/print '?name=ether2' =.proplist=disabled | grep '^=disabled=')" \
	"=disabled=true" "the simulator has ether2 disabled"
as "$TA" GET "$M/$ID/interfaces" >/dev/null
t_is "$(j '.data[] | select(.name == "ether2") | .disabled')" true "the list shows it disabled"
t_is "$(as "$TA" POST "$M/$ID/interfaces/ether2/enable")" 200 "POST .../enable is 200"
t_is "$(ros_cmd 11 /interface/print '?name=ether2' =.proplist=disabled | grep '^=disabled=')" \
	"=disabled=false" "the simulator has ether2 enabled again"
t_is "$(as "$TA" POST "$M/$ID/interfaces/ether9/disable")" 404 "an interface the router lacks is 404"
t_is "$(j .message)" "interface not found" "interface not found"
t_is "$(as "$TA" POST "$M/$ID/interfaces/bad%01name/disable")" 404 "a name with a control character is 404"
t_is "$(as "$TA" GET "$M/$ID/interfaces/ether2/disable")" 405 "GET on enable/disable is 405"

# --- hotspot users ---------------------------------------------------------------------------
t_is "$(as "$TA" GET "$M/$ID/users")" 200 "GET users is 200"
t_is "$(j '[.meta.total, (.data | length)] | @tsv')" "$(printf '0\t0')" "no users at first"
UPW="user-pw-$RANDOM"
t_is "$(as "$TA" POST "$M/$ID/users" -d "{\"name\":\"guest-01\",\"password\":\"$UPW\",\"profile\":\"default\",\"limit_uptime\":3600,\"limit_bytes_total\":1073741824,\"comment\":\"front desk\"}")" \
	201 "POST users creates a hotspot user (201)"
t_like "$(j '[.message, .data.id, .data.name, .data.profile] | @tsv')" \
	'^Hotspot user created	\*[0-9A-F]+	guest-01	default$' "with its router id"
t_is "$(ros_cmd 11 /ip/hotspot/user/print '?name=guest-01' =.proplist=name,password,profile,limit-uptime,limit-bytes-total,comment | grep '^=' | sort | tr '\n' ' ')" \
	"=comment=front desk =limit-bytes-total=1073741824 =limit-uptime=1h =name=guest-01 =password=$UPW =profile=default " \
	"the simulator has the user, with its password, profile and limits"
t_is "$(as "$TA" GET "$M/$ID/users")" 200 "GET users again"
t_is "$(j '.data | map([.name, .profile, .limit_uptime, .limit_bytes_total, .comment] | @tsv) | join(";")')" \
	"$(printf 'guest-01\tdefault\t3600\t1073741824\tfront desk')" "lists it"
t_fail "the list shows no password" grep -qF "$UPW" "$b"
t_is "$(as "$TA" POST "$M/$ID/users" -d '{"name":"guest-01","password":"x"}')" 409 \
	"a name the router has is 409"
t_like "$(j .message)" "already|exists|have" "with the router's reason"
# ubad BODY FIELD NAME: POST users with BODY is 422 with an error for FIELD.
ubad() {
	local code
	code=$(as "$TA" POST "$M/$ID/users" --data-binary "$1")
	if [ "$code" = 422 ] && jq -e --arg f "$2" '(.errors[$f] | length) > 0' "$b" >/dev/null; then
		t_is ok ok "$3"
	else
		t_is "$code $(head -c 300 "$b")" "422 with errors.$2" "$3"
	fi
}
ubad '{"password":"x"}' name "a missing name is 422"
ubad '{"name":"u1"}' password "a missing password is 422"
ubad '{"name":"","password":"x"}' name "an empty name is 422"
ubad "{\"name\":\"$(head -c 65 /dev/zero | tr '\0' n)\",\"password\":\"x\"}" name "a name of 65 characters is 422"
ubad '{"name":"a\u0001b","password":"x"}' name "a control character in the name is 422"
ubad '{"name":" lead","password":"x"}' name "a name starting with a space is 422"
ubad "{\"name\":\"u1\",\"password\":\"$(head -c 65 /dev/zero | tr '\0' p)\"}" password "a password of 65 characters is 422"
ubad '{"name":"u1","password":42}' password "a password that is not a string is 422"
ubad '{"name":"u1","password":"x","profile":""}' profile "an empty profile is 422"
ubad '{"name":"u1","password":"x","limit_uptime":-1}' limit_uptime "a negative limit_uptime is 422"
ubad '{"name":"u1","password":"x","limit_bytes_total":"1G"}' limit_bytes_total "limit_bytes_total as text is 422"
ubad '{"name":"u1","password":"x","comment":"c\u0007"}' comment "a control character in the comment is 422"
ubad 'not json' body "a body that is not JSON is 422"
ubad '{"name":"u1","name":"u2","password":"x"}' body "a duplicated member is 422"
t_is "$(ros_cmd 11 /ip/hotspot/user/print =.proplist=name | grep -c '^=name=')" 1 \
	"no refused request reached the router"

# --- active sessions -----------------------------------------------------------------------
t_is "$(as "$TA" GET "$M/$ID/active")" 200 "GET active is 200"
t_is "$(j '.data | map([.user, .address, .mac_address] | join("@")) | join(" ")')" \
	"voucher-a1@10.5.50.10@02:00:00:00:00:10 voucher-b2@10.5.50.11@02:00:00:00:00:11" \
	"lists the router's sessions"
t_is "$(j '[.data[0].uptime_seconds >= 0, .data[0].bytes_out > 0] | @tsv')" "$(printf 'true\ttrue')" \
	"with uptime and counters"
SB=$(j '.data[] | select(.user == "voucher-b2") | .id')
t_like "$SB" '^\*[0-9A-F]+$' "a session has a RouterOS id"
t_is "$(as "$TA" POST "$M/$ID/active/$SB/kick")" 200 "POST active/{id}/kick is 200"
t_is "$(j '[.message, .data.id] | @tsv')" "$(printf 'Session removed\t%s' "$SB")" "and says so"
t_is "$(ros_cmd 11 /ip/hotspot/active/print =.proplist=user | grep '^=user=' | tr '\n' ' ')" \
	"=user=voucher-a1 " "the simulator no longer lists the session"
t_is "$(as "$TA" POST "$M/$ID/active/$SB/kick")" 404 "kicking it again is 404"
t_is "$(j .message)" "session not found" "session not found"
t_is "$(as "$TA" POST "$M/$ID/active/abc/kick")" 404 "an id that is not a RouterOS id is 404"
t_is "$(as "$TA" POST "$M/$ID/active/%2A1%3Bx/kick")" 404 "an id with other characters is 404"

# --- failures of the router -----------------------------------------------------------------
t_is "$(as "$TA" GET "$M/${RID[12]}/statistics")" 502 "a router that refuses connections: 502"
t_like "$(j .message)" "127\.0\.0\.12.*refused|refused.*127\.0\.0\.12" "naming the router and the refusal"
t_is "$(as "$TA" GET "$M/${RID[12]}/interfaces")" 502 "interfaces of it: 502"
t_is "$(as "$TA" POST "$M/${RID[12]}/users" -d '{"name":"x","password":"y"}')" 502 "a user on it: 502"
t_is "$(as "$TA" GET "$M/${RID[13]}/statistics")" 504 "a router that does not answer in time: 504"
t_like "$(j .message)" "127\.0\.0\.13" "naming the router"
t_is "$(as "$TA" GET "$M/${RID[13]}/active")" 504 "active sessions of it: 504"
t_is "$(as "$TA" GET "$M/${RID[14]}/statistics")" 502 "a router that refuses the password: 502"
t_like "$(j .message)" "[Aa]uthentication|password" "saying the login failed"
t_is "$(as "$TA" GET "$M/${RID[15]}/statistics")" 409 "a router without API credentials: 409"
t_is "$(j .message)" "the router has no API credentials" "saying so"
t_is "$(as "$TA" GET "$M/00000000-0000-4000-8000-000000000000/statistics")" 404 "an unknown router is 404"
t_is "$(j .message)" "router not found" "router not found"
t_is "$(as "$TA" GET "$M/not-a-uuid/interfaces")" 404 "an id that is not a UUID is 404"

# --- tenant isolation --------------------------------------------------------------------------
for ep in "GET statistics" "GET interfaces" "GET users" "GET active" \
	"POST interfaces/ether1/disable" "POST users" "POST active/*1/kick"; do
	set -- $ep
	t_is "$(as "$TB" "$1" "$M/$ID/$2" -d '{"name":"b-user","password":"x"}')" 404 \
		"tenant B: $1 $2 of A's router is 404"
done
t_is "$(as "$TB" GET "$R/$ID/statistics")" 404 "tenant B: router-management statistics of A's router is 404"
t_is "$(ros_cmd 11 /interface/print '?name=ether1' =.proplist=disabled | grep '^=disabled=')" \
	"=disabled=false" "B did not disable A's interface"
t_is "$(ros_cmd 11 /ip/hotspot/user/print '?name=b-user' | grep -c '^=name=')" 0 "B created no user on A's router"
t_is "$(ros_cmd 11 /ip/hotspot/active/print =.proplist=user | grep -c '^=user=')" 1 "B kicked no session on A's router"

# --- abilities ---------------------------------------------------------------------------------
# token ABILITIES: a token of tenant A's admin with those abilities (a text[] literal).
token() {
	local t
	t=$(api_tok)
	owner "INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
	       SELECT tenant_id, id, 'limited', '$(api_sha "$t")', '$1' FROM admins
	        WHERE email = 'ten-a@example.org'" >/dev/null
	echo "$t"
}
TR=$(token '{mikrotik.read}')
TM=$(token '{routers.read}')
t_is "$(as "$TR" GET "$M/$ID/users")" 200 "mikrotik.read may list users"
t_is "$(as "$TR" POST "$M/$ID/users" -d '{"name":"ro","password":"x"}')" 403 "but not create one (403)"
t_is "$(as "$TR" POST "$M/$ID/interfaces/ether1/disable")" 403 "nor disable an interface"
t_is "$(as "$TR" POST "$M/$ID/active/*1/kick")" 403 "nor kick a session"
t_is "$(as "$TM" GET "$R/$ID/statistics")" 200 "routers.read may read router-management statistics"
t_is "$(as "$TM" GET "$M/$ID/statistics")" 403 "but not the mikrotik endpoints"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$M/$ID/statistics")" 401 "no token is 401"

# --- audit ---------------------------------------------------------------------------------------
t_is "$(owner "SELECT string_agg(action || ' ' || details::text, ', ' ORDER BY id) FROM audit_log WHERE action LIKE 'mikrotik.%'")" \
	'mikrotik.interface.disable {"interface": "ether2"}, mikrotik.interface.enable {"interface": "ether2"}, mikrotik.user.create {"name": "guest-01"}, mikrotik.session.kick {"session": "'"$SB"'"}' \
	"each change on a router is in the audit log, without the password"

# --- router.kick asks the router for one session -----------------------------------------------------
T=$(owner "SELECT id FROM tenants WHERE slug = 'ten-a'")
SID=40000000-0000-4000-8000-000000000011
owner "INSERT INTO radius_sessions (id, tenant_id, router_id, username, acct_unique_id, acct_session_id,
	                             nas_ip, framed_ip, started_at, last_update_at)
	VALUES ('$SID', '$T', '$ID', 'voucher-a1', 'uid11', '81a00011', '127.0.0.11', '10.5.50.10',
	        now() - interval '5 minutes', now())" >/dev/null
t_is "$(ros_cmd 11 /ip/hotspot/active/print '?user=voucher-a1' =.proplist=user | grep -c '^=user=')" 1 \
	"the simulator answers a ?user= query with the matching session only"
t_is "$(ros_cmd 11 /ip/hotspot/active/print '?user=nobody' | grep -c '^=user=')" 0 \
	"and with nothing for a user it does not list"
L0=$(wc -l <"$HS_SUITE_DIR/sim11.log")
hs_psql_as hs_worker $DB -At -c "SELECT job_enqueue('router.kick', jsonb_build_object('router_id', '$ID',
	'session_id', '$SID', 'user_name', 'voucher-a1', 'framed_ip', '10.5.50.10',
	'acct_session_id', '81a00011'), now(), '$T', 3, NULL)" >/dev/null
t_ok "the router.kick job is done" hs_wait_sql $DB \
	"SELECT disconnect_result = 'kicked' FROM radius_sessions WHERE id = '$SID'" 15
t_is "$(tail -n +$((L0 + 1)) "$HS_SUITE_DIR/sim11.log" | grep 'cmd /ip/hotspot/active/print')" \
	"cmd /ip/hotspot/active/print ?user=voucher-a1 ?address=10.5.50.10" \
	"it asked the router for that user at that address only, with query words, not the whole list"
t_is "$(ros_cmd 11 /ip/hotspot/active/print | grep -c '^=user=')" 0 "the session is gone from the router"

# --- without a cache ------------------------------------------------------------------------------
ROUTER_STATS_CACHE=0 t_ok "a second instance with ROUTER_STATS_CACHE=0 answers" serve_on nocache
N0=$(trace 11 'cmd /system/resource/print')
as "$TA" GET "http://127.0.0.1:$SERVE_PORT/api/v1/mikrotik/$ID/statistics" >/dev/null
t_is "$(j .data.cached)" false "it asks the router"
as "$TA" GET "http://127.0.0.1:$SERVE_PORT/api/v1/mikrotik/$ID/statistics" >/dev/null
t_is "$(j .data.cached)" false "every time"
t_is "$(trace 11 'cmd /system/resource/print')" "$((N0 + 2))" "twice"
hs_kill nocache

# --- the router's request budget -----------------------------------------------------------------
# 100 requests a minute in bursts of 20, shared by every caller in the
# process: 40 requests at once spend it, and the late ones wait at most
# ROUTER_API_TIMEOUT (1 s) for a token, then get 429.
burst() {
	local i pids=()
	for i in $(seq 1 40); do
		curl -s -o /dev/null -D - -w '%{http_code}\n' --max-time 10 \
			-H "Authorization: Bearer $TA" "$M/$ID/interfaces" | grep -E '^[0-9]{3}$|^Retry-After' &
		pids+=($!)
	done
	wait "${pids[@]}"
}
burst >"$HS_SUITE_DIR/burst.txt"
t_is "$(grep -cE '^(200|429)$' "$HS_SUITE_DIR/burst.txt")" 40 "40 requests at once: each 200 or 429"
t_like "$(grep -c '^429$' "$HS_SUITE_DIR/burst.txt")" '^[1-9][0-9]*$' "some are 429: the router's budget is spent"
t_like "$(grep -c '^200$' "$HS_SUITE_DIR/burst.txt")" '^[1-3][0-9]$' "after most of a burst of 20 went through"
t_is "$(grep -c '^Retry-After: 1' "$HS_SUITE_DIR/burst.txt")" "$(grep -c '^429$' "$HS_SUITE_DIR/burst.txt")" \
	"each 429 says when to try again"

# --- one budget for the endpoints and the router operations --------------------------------------
# The router operations take the router's pool from the same registry: once
# the bucket is full again (20 tokens, 12 s at 100 a minute), 4
# test-connections (four tokens each: the login and three commands) spend
# most of it, and of 20 interface listings right after them some are
# refused, where on a budget of their own all 20 would pass.
sleep 14
shared() {
	local i pids=()
	for i in 1 2 3 4; do
		curl -s -o "$HS_SUITE_DIR/test$i.json" -w 'test %{http_code}\n' --max-time 30 -X POST \
			-H "Authorization: Bearer $TA" "$R/$ID/test-connection" &
		pids+=($!)
	done
	wait "${pids[@]}"
	pids=()
	for i in $(seq 1 20); do
		curl -s -o /dev/null -w 'list %{http_code}\n' --max-time 10 \
			-H "Authorization: Bearer $TA" "$M/$ID/interfaces" &
		pids+=($!)
	done
	wait "${pids[@]}"
}
shared >"$HS_SUITE_DIR/shared.txt"
t_is "$(grep -c '^test 200$' "$HS_SUITE_DIR/shared.txt")" 4 "4 test-connections at once pass on a full budget"
t_is "$(grep -cE '^list (200|429)$' "$HS_SUITE_DIR/shared.txt")" 20 "20 listings right after: each 200 or 429"
t_like "$(grep -c '^list 429$' "$HS_SUITE_DIR/shared.txt")" '^[1-9][0-9]*$' \
	"some are 429: the tests spent the budget the endpoints draw on"

# --- no secrets, stop ---------------------------------------------------------------------------------
t_fail "no router or user password, nor APP_KEY, in hotspotd's log" \
	grep -qF -e "$ROS_PW" -e "$UPW" -e "$APP_KEY" "$HS_SUITE_DIR/serve.log"
t_fail "nor in the simulators' traces" grep -qF -e "$ROS_PW" -e "$UPW" "$HS_SUITE_DIR/sim11.log"
t_ok "the server still answers" hs_running serve
hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
