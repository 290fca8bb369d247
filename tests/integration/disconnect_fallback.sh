#!/usr/bin/env bash
# The disconnect fallback: when a router NAKs a Disconnect-Request, or never
# answers it, hotspotd (job kind router.kick) removes the session through
# the router's RouterOS API (/ip/hotspot/active/remove) and records which
# way it ended. Each router has a NAS stand-in (tests/sim/nas_coa.c) and a
# router simulator (build/ros-sim) at its own loopback address:
#   .1  NAK, API credentials            -> kicked
#   .2  silent, API credentials         -> timeout after the retries, kicked
#   .3  NAK, no API credentials         -> nak, "no fallback"
#   .4  NAK, a wrong API password       -> kick_failed, authentication failed
#   .5  NAK, the user has no session    -> kick_failed, no active session
#   .6  NAK, router 1's sealed password -> kick_failed, does not decrypt
# and neither a password nor APP_KEY in any log, payload or job error.
set -u
source "$HS_ROOT/tests/lib/harness.sh"

DB=hs_disconnect_fallback
NAS=$HS_BUILD/tests/nas-coa
SIM=$HS_BUILD/ros-sim
H=$HS_BUILD/hotspotd
T=10000000-0000-4000-8000-000000000001
ROUTERS="1 2 3 4 5 6"

q() { hs_psql_as hs_owner "$DB" -At -c "$1"; }
qw() { hs_psql_as hs_worker "$DB" -At -c "$1"; }

# wait_for SQL SECS: until SQL answers t; false on timeout.
wait_for() {
	local i n=$(($2 * 10))
	for i in $(seq 1 "$n"); do
		[ "$(q "$1")" = t ] && return 0
		sleep 0.1
	done
	return 1
}

hs_new_db "$DB" || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env "$DB"
APP_KEY=$("$H" gen-key)
export APP_KEY
t_like "$APP_KEY" '^[A-Za-z0-9+/]{43}=$' "hotspotd gen-key prints a base64 key of 32 bytes"
t_is "$(env APP_KEY=not-a-key "$H" config 2>&1)" \
	"hotspotd: config: APP_KEY: not the base64 text of a 32-byte key (hotspotd gen-key makes one)" \
	"a malformed APP_KEY stops start-up, its value not quoted"

# --- the stand-ins: a NAS and a router simulator per router ---------------------------

ROS_PW="ros-pw-$RANDOM$RANDOM"
WRONG_PW="wrong-pw-$RANDOM$RANDOM"
declare -A PORT=() API=() SECRET=()
# router N MODE: router N's NAS stand-in and simulator on 127.0.0.N.
router() {
	local n=$1 mode=$2
	PORT[$n]=$(hs_free_port udp) || return 1
	API[$n]=$(hs_free_port) || return 1
	SECRET[$n]="rad-secret-$n-$RANDOM$RANDOM"
	hs_spawn "nas$n" "$NAS" --listen "127.0.0.$n" --port "${PORT[$n]}" \
		--secret "${SECRET[$n]}" --mode "$mode"
	hs_spawn "ros$n" "$SIM" --host "127.0.0.$n" --port "${API[$n]}" --user admin \
		--password "$ROS_PW"
	hs_wait_udp "${PORT[$n]}" 5 && hs_wait_tcp "${API[$n]}" 5
}
t_ok "router 1 (nak) listens" router 1 nak
t_ok "router 2 (silent) listens" router 2 silent
t_ok "router 3 (nak, no API credentials) listens" router 3 nak
t_ok "router 4 (nak, wrong API password) listens" router 4 nak
t_ok "router 5 (nak, no such session) listens" router 5 nak
t_ok "router 6 (nak, another router's password) listens" router 6 nak

# ros_active N: the user=address pairs the simulator of router N lists in
# /ip/hotspot/active, over the API itself (plain login; every word is
# shorter than 128 bytes, so its length is one byte).
ros_word() { printf "\\$(printf %03o "${#1}")%s" "$1"; }
ros_active() {
	local n=$1
	exec 3<>"/dev/tcp/127.0.0.$n/${API[$n]}" || return 1
	{
		ros_word /login; ros_word =name=admin; ros_word "=password=$ROS_PW"; printf '\0'
		ros_word /ip/hotspot/active/print; ros_word =.proplist=user,address; printf '\0'
		ros_word /quit; printf '\0'
	} >&3
	timeout 5 cat <&3 | tr -c '[:print:]' '\n' | sed -n 's/.*=user=//p; s/.*=address=//p' |
		paste -d= - - | sort | tr '\n' ' '
	exec 3<&-
}
t_is "$(ros_active 1)" "voucher-a1=10.5.50.10 voucher-b2=10.5.50.11 " \
	"router 1 lists two active sessions"

# --- fixtures: a tenant, the routers and a live session on each -----------------------

rid() { echo "20000000-0000-4000-8000-00000000000$1"; }
sid() { echo "40000000-0000-4000-8000-00000000000$1"; }

# sealed N PASSWORD: PASSWORD sealed for router N by hotspotd.
sealed() { printf '%s\n' "$2" | "$H" encrypt-router-password "$(rid "$1")"; }

fixtures() {
	local n user sql="INSERT INTO tenants (id, name, slug) VALUES ('$T', 'T', 't');"
	for n in $ROUTERS; do
		user=voucher-a1
		[ "$n" = 5 ] && user=voucher-zz
		sql+="INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret, coa_port,
		                                    api_port)
			VALUES ('$(rid "$n")', '$T', 'r$n', '127.0.0.$n', '${SECRET[$n]}', ${PORT[$n]}, ${API[$n]});
		INSERT INTO radius_sessions (id, tenant_id, router_id, username, acct_unique_id,
		                             acct_session_id, nas_ip, framed_ip, started_at, last_update_at)
			VALUES ('$(sid "$n")', '$T', '$(rid "$n")', '$user', 'uid$n', '81a0000$n',
			        '127.0.0.$n', '10.5.50.10', now() - interval '5 minutes', now());"
	done
	hs_psql_as hs_owner "$DB" >"$HS_SUITE_DIR/fixtures.log" 2>&1 <<<"$sql"
}
t_ok "fixtures: tenant, 6 routers, live sessions" fixtures

# credentials N PASSWORD|SEALED: router N's API user and sealed password.
credentials() {
	q "UPDATE mikrotik_devices SET username = 'admin', password_encrypted = '$2'::bytea
	    WHERE id = '$(rid "$1")'" >/dev/null
}
S1=$(sealed 1 "$ROS_PW")
t_like "$S1" '^\\x02[0-9a-f]{32}[0-9a-f]+$' "encrypt-router-password prints a version-2 bytea literal"
t_is "$(((${#S1} - 2) / 2))" "$((${#ROS_PW} + 33))" \
	"its length: version, key id, nonce, ciphertext and tag"
t_fail "the password is not in it" grep -qF "$(printf %s "$ROS_PW" | od -An -tx1 | tr -d ' \n')" <<<"$S1"
t_ok "router 1 gets its credentials" credentials 1 "$S1"
t_ok "router 2 gets its credentials" credentials 2 "$(sealed 2 "$ROS_PW")"
t_ok "router 4 gets a wrong password" credentials 4 "$(sealed 4 "$WRONG_PW")"
t_ok "router 5 gets its credentials" credentials 5 "$(sealed 5 "$ROS_PW")"
t_ok "router 6 gets router 1's sealed password" credentials 6 "$S1"
t_is "$(printf 'x\n' | env -u APP_KEY "$H" encrypt-router-password "$(rid 1)" 2>&1; echo "exit $?")" \
	"hotspotd: encrypt-router-password: APP_KEY is not set (hotspotd gen-key makes one)
exit 2" \
	"encrypt-router-password without APP_KEY refuses"
t_is "$(printf '' | "$H" encrypt-router-password "$(rid 1)" 2>/dev/null; echo "$?")" 1 \
	"encrypt-router-password refuses an empty password"

# payload N: the payload the RADIUS path builds for session N.
payload() {
	echo "{\"router_id\": \"$(rid "$1")\", \"nas_ip\": \"127.0.0.$1\", \"coa_port\": ${PORT[$1]},
	       \"user_name\": \"$(q "SELECT username FROM radius_sessions WHERE id = '$(sid "$1")'")\",
	       \"acct_session_id\": \"81a0000$1\", \"framed_ip\": \"10.5.50.10\",
	       \"session_id\": \"$(sid "$1")\", \"reason\": \"data_used\"}"
}
# enqueue N MAX_ATTEMPTS -> job id (as the worker role, as the RADIUS path would)
enqueue() {
	qw "SELECT job_enqueue('radius.disconnect', '$(payload "$1")'::jsonb, now(), '$T', $2)"
}
kick_job() { q "SELECT id FROM jobs WHERE kind = 'router.kick' AND dedup_key = 'router.kick:$(sid "$1")'"; }
outcome() {
	q "SELECT coalesce(disconnect_result, 'none') || ': ' || coalesce(disconnect_detail, '')
	     FROM radius_sessions WHERE id = '$(sid "$1")'"
}
kick_done() { wait_for "SELECT status IN ('done', 'dead') FROM jobs WHERE kind = 'router.kick'
	AND dedup_key = 'router.kick:$(sid "$1")'" "$2"; }

# --- hotspotd serve ---------------------------------------------------------------------

hs_spawn hotspotd env API_PORT="$(hs_free_port)" WORKER_THREADS=4 JOB_POLL_INTERVAL=1 JOB_LEASE=10 \
	JOB_BACKOFF_BASE=1 JOB_BACKOFF_CAP=4 PRUNE_INTERVAL=0 SWEEP_INTERVAL=0 COA_TIMEOUT=1 \
	COA_RETRIES=1 ROUTER_API_TIMEOUT=2 LOG_LEVEL=debug "$H" serve
t_ok "hotspotd serve starts" wait_for "SELECT count(*) >= 5 FROM pg_stat_activity
	WHERE datname = '$DB' AND usename = 'hs_worker'" 15

# --- NAK, then the kick -------------------------------------------------------------------

J1=$(enqueue 1 3)
t_ok "router 1: the disconnect job is done" wait_for "SELECT status = 'done' FROM jobs WHERE id = '$J1'" 15
t_ok "the stand-in answered Disconnect-NAK" grep -q '^reply id=[0-9]* code=42$' "$HS_SUITE_DIR/nas1.log"
t_ok "hotspotd logged the NAK and queued the fallback" \
	grep -q "radius.disconnect: session $(sid 1): nak; fallback: queued" "$HS_SUITE_DIR/hotspotd.log"
K1=$(kick_job 1)
t_like "$K1" '^[0-9a-f-]{36}$' "a router.kick job was queued, deduplicated by session"
t_ok "the kick job is done" wait_for "SELECT status = 'done' FROM jobs WHERE id = '$K1'" 15
t_is "$(q "SELECT attempts FROM jobs WHERE id = '$K1'")" 1 "on its first attempt"
t_is "$(outcome 1)" "kicked: removed through the RouterOS API" "the session records 'kicked'"
t_is "$(q "SELECT payload - 'session_id' - 'router_id' FROM jobs WHERE id = '$K1'")" \
	'{"framed_ip": "10.5.50.10", "user_name": "voucher-a1", "acct_session_id": "81a00001"}' \
	"its payload names the session, and holds no secret"
t_is "$(ros_active 1)" "voucher-b2=10.5.50.11 " "router 1 no longer lists the session; the other stays"
t_ok "hotspotd logged the kick" grep -q "router.kick: session $(sid 1) on 127.0.0.1 port ${API[1]}: kicked" \
	"$HS_SUITE_DIR/hotspotd.log"
t_is "$(enqueue 1 3 >/dev/null; sleep 2; q "SELECT count(*) FROM jobs WHERE kind = 'router.kick'
	AND dedup_key = 'router.kick:$(sid 1)'")" 1 "a second NAK for the session queues no second kick"

# --- no answer: the retries, then the kick -----------------------------------------------

J2=$(enqueue 2 2)
t_ok "router 2: the silent router's disconnect job is dead after 2 attempts" \
	wait_for "SELECT status = 'dead' AND attempts = 2 FROM jobs WHERE id = '$J2'" 20
t_is "$(grep -c '^request ' "$HS_SUITE_DIR/nas2.log")" 4 "2 sends per attempt (COA_RETRIES=1), 2 attempts"
t_ok "then the kick ends the session" kick_done 2 15
t_is "$(outcome 2)" "kicked: removed through the RouterOS API" "the session records 'kicked'"
t_is "$(ros_active 2)" "voucher-b2=10.5.50.11 " "router 2 no longer lists the session"

# --- no fallback possible, and kicks that fail ---------------------------------------------

J3=$(enqueue 3 3)
t_ok "router 3: the disconnect job is done" wait_for "SELECT status = 'done' FROM jobs WHERE id = '$J3'" 15
t_is "$(outcome 3)" "nak: no fallback: the router has no API credentials" \
	"a router without API credentials: nak, and no fallback recorded"
t_is "$(kick_job 3)" "" "no kick job"
t_is "$(ros_active 3)" "voucher-a1=10.5.50.10 voucher-b2=10.5.50.11 " "router 3 still lists the session"

J4=$(enqueue 4 3)
t_ok "router 4: the kick job ends" kick_done 4 15
t_is "$(outcome 4)" "kick_failed: 127.0.0.4 port ${API[4]}: authentication failed" \
	"a wrong API password: kick_failed, authentication failed"
t_is "$(q "SELECT status || ' ' || attempts FROM jobs WHERE id = '$(kick_job 4)'")" "dead 1" \
	"not retried: a person must fix the password"

J5=$(enqueue 5 3)
t_ok "router 5: the kick job ends" kick_done 5 15
t_is "$(outcome 5)" "kick_failed: no active session for that user" \
	"a user the router does not list: kick_failed, no active session"
t_is "$(q "SELECT status FROM jobs WHERE id = '$(kick_job 5)'")" done \
	"the job is done all the same: the session is gone"

J6=$(enqueue 6 3)
t_ok "router 6: the kick job ends" kick_done 6 15
t_is "$(outcome 6)" "kick_failed: the router's API password does not decrypt with APP_KEY" \
	"a password sealed for another router does not open"
t_is "$(ros_active 6)" "voucher-a1=10.5.50.10 voucher-b2=10.5.50.11 " "router 6 still lists the session"

# --- stop, and secrets ------------------------------------------------------------------

t_ok "hotspotd stops on SIGTERM" hs_kill hotspotd
leaks=
for s in "$ROS_PW" "$WRONG_PW" "$APP_KEY"; do
	grep -qF -- "$s" "$HS_SUITE_DIR/hotspotd.log" && leaks+=" log"
	[ "$(q "SELECT count(*) FROM jobs
	        WHERE strpos(payload::text || coalesce(last_error, ''), '$s') > 0")" = 0 ] || leaks+=" job"
	[ "$(q "SELECT count(*) FROM radius_sessions WHERE strpos(coalesce(disconnect_detail, ''), '$s') > 0")" = 0 ] ||
		leaks+=" session"
done
t_is "${leaks:-none}" none "no API password or APP_KEY in hotspotd's log, a job or a session"
t_fail "no voucher user name in hotspotd's log" grep -q "voucher-" "$HS_SUITE_DIR/hotspotd.log"

t_done
