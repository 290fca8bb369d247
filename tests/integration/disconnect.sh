#!/usr/bin/env bash
# The disconnect worker (job kind radius.disconnect in hotspotd serve)
# against NAS stand-ins on loopback (tests/sim/nas_coa.c), which check the
# Request Authenticator and Message-Authenticator with OpenSSL as a router
# does. One router per behaviour, each at its own loopback address:
#   .1  ACK      queued by the stale-session sweeper for a disabled voucher
#   .2  NAK      Error-Cause 503
#   .3  silent   retried with backoff, then 'timeout'
#   .4  a different secret: the stand-in drops every request
#   .5  answers signed with a wrong secret: the worker drops them
# plus bad payloads and a router that no longer exists (permanent failures),
# and no secret or voucher code in any log or job error.
set -u
source "$HS_ROOT/tests/lib/harness.sh"

DB=hs_disconnect
NAS=$HS_BUILD/tests/nas-coa
H=$HS_BUILD/hotspotd
T=10000000-0000-4000-8000-000000000001
P=10000000-0000-4000-8000-000000000002
GONE=10000000-0000-4000-8000-00000000dead

q() { hs_psql_as hs_owner "$DB" -At -c "$1"; }
qw() { hs_psql_as hs_worker "$DB" -At -c "$1"; }

# wait_for SQL SECS: until SQL answers t; false on timeout.
wait_for() { hs_wait_sql "$DB" "$1" "$2"; }

hs_new_db "$DB" || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env "$DB"

# --- the stand-ins ---------------------------------------------------------------

declare -A PORT=() SECRET=()
# nas N MODE [STAND-IN SECRET]: router N's stand-in on 127.0.0.N.
nas() {
	local n=$1 mode=$2
	PORT[$n]=$(hs_free_port udp) || return 1
	SECRET[$n]="rad-secret-$n-$RANDOM$RANDOM"
	hs_spawn "nas$n" "$NAS" --listen "127.0.0.$n" --port "${PORT[$n]}" \
		--secret "${3:-${SECRET[$n]}}" --mode "$mode"
	hs_wait_udp "${PORT[$n]}" 5
}
t_ok "stand-in 1 (ack) listens" nas 1 ack
t_ok "stand-in 2 (nak) listens" nas 2 nak
t_ok "stand-in 3 (silent) listens" nas 3 silent
t_ok "stand-in 4 (another secret) listens" nas 4 ack "not-the-router-secret"
t_ok "stand-in 5 (forged answers) listens" nas 5 forge

# --- fixtures: a tenant, a router and a live session per stand-in ------------------

fixtures() {
	local n sql="INSERT INTO tenants (id, name, slug) VALUES ('$T', 'T', 't');
		INSERT INTO profiles (id, tenant_id, name, currency) VALUES ('$P', '$T', 'P', 'UGX');"
	for n in 1 2 3 4 5; do
		sql+="INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret, coa_port)
			VALUES ('20000000-0000-4000-8000-00000000000$n', '$T', 'r$n', '127.0.0.$n',
			        '${SECRET[$n]}', ${PORT[$n]});
		INSERT INTO vouchers (id, tenant_id, code, password, profile_id, currency, status)
			VALUES ('30000000-0000-4000-8000-00000000000$n', '$T', 'CODE$n$RANDOM', 'pw', '$P', 'UGX',
			        '$([ "$n" = 1 ] && echo disabled || echo active)');
		INSERT INTO radius_sessions (id, tenant_id, voucher_id, router_id, username, acct_unique_id,
		                             acct_session_id, nas_ip, framed_ip, started_at, last_update_at)
			SELECT '40000000-0000-4000-8000-00000000000$n', '$T', v.id,
			       '20000000-0000-4000-8000-00000000000$n', v.code, 'uid$n', '81a0000$n',
			       '192.0.2.$n', '10.5.50.$n', now() - interval '5 minutes', now()
			  FROM vouchers v WHERE v.id = '30000000-0000-4000-8000-00000000000$n';"
	done
	hs_psql_as hs_owner "$DB" >"$HS_SUITE_DIR/fixtures.log" 2>&1 <<<"$sql"
}
t_ok "fixtures: tenant, 5 routers, vouchers, live sessions" fixtures

code_of() { q "SELECT username FROM radius_sessions WHERE id = '40000000-0000-4000-8000-00000000000$1'"; }
sid() { echo "40000000-0000-4000-8000-00000000000$1"; }
rid() { echo "20000000-0000-4000-8000-00000000000$1"; }

# payload N [REASON]: the payload the RADIUS path builds for session N.
payload() {
	echo "{\"router_id\": \"$(rid "$1")\", \"nas_ip\": \"192.0.2.$1\", \"coa_port\": ${PORT[$1]},
	       \"user_name\": \"$(code_of "$1")\", \"acct_session_id\": \"81a0000$1\",
	       \"framed_ip\": \"10.5.50.$1\", \"session_id\": \"$(sid "$1")\", \"reason\": \"${2:-data_used}\"}"
}
# enqueue PAYLOAD MAX_ATTEMPTS -> job id (as the worker role, as the RADIUS path would)
enqueue() {
	qw "SELECT job_enqueue('radius.disconnect', '$1'::jsonb, now(), '$T', $2)"
}
job() { q "SELECT $2 FROM jobs WHERE id = '$1'"; }
result() { q "SELECT coalesce(disconnect_result, 'none') FROM radius_sessions WHERE id = '$(sid "$1")'"; }

# --- hotspotd serve ----------------------------------------------------------------

hs_spawn hotspotd env API_PORT="$(hs_free_port)" WORKER_THREADS=4 JOB_POLL_INTERVAL=1 JOB_LEASE=10 \
	JOB_BACKOFF_BASE=1 JOB_BACKOFF_CAP=4 PRUNE_INTERVAL=0 COA_TIMEOUT=2 COA_RETRIES=2 \
	SWEEP_INTERVAL=2 RADIUS_INTERIM_INTERVAL=60 \
	LOG_LEVEL=info "$H" serve
t_ok "hotspotd serve starts" wait_for "SELECT count(*) >= 5 FROM pg_stat_activity
	WHERE datname = '$DB' AND usename = 'hs_worker'" 15

# --- ACK: the sweeper cuts the disabled voucher's session; the router ends it --------

t_is "$(qw "SELECT hs_radius_sweep(300)")" 0 "the sweeper runs as the worker role"
J1=$(q "SELECT id FROM jobs WHERE kind = 'radius.disconnect' AND dedup_key = 'radius.disconnect:$(sid 1)'")
t_like "$J1" '^[0-9a-f-]{36}$' "the sweeper queued a radius.disconnect job for the session"
t_ok "the job is done" wait_for "SELECT status = 'done' FROM jobs WHERE id = '$J1'" 15
t_is "$(job "$J1" attempts)" 1 "on its first attempt"
t_is "$(q "SELECT disconnect_result || ' ' || disconnect_reason || ' ' || (disconnect_result_at IS NOT NULL)
           FROM radius_sessions WHERE id = '$(sid 1)'")" "ack disabled true" "ack recorded on the session"

req=$(grep '^request ' "$HS_SUITE_DIR/nas1.log")
t_is "$(grep -c '^request ' <<<"$req")" 1 "the router got one request (answered at once: no retransmission)"
t_like "$req" "User-Name=\"$(code_of 1)\"" "User-Name is the session's"
t_like "$req" 'Acct-Session-Id="81a00001"' "Acct-Session-Id is the session's"
t_like "$req" 'Framed-IP-Address=10\.5\.50\.1( |$)' "Framed-IP-Address is the session's"
t_like "$req" 'NAS-IP-Address=192\.0\.2\.1( |$)' "NAS-IP-Address is the session's"
t_like "$req" 'Message-Authenticator=valid' "the Message-Authenticator verified (HMAC-MD5)"
t_like "$req" 'from=127\.0\.0\.1:' "sent to the router's address, CoA port"
ts=$(sed -n 's/.*Event-Timestamp=\([0-9]*\).*/\1/p' <<<"$req")
t_ok "Event-Timestamp is now ($ts)" test "${ts:-0}" -ge $(($(date +%s) - 60)) -a "${ts:-0}" -le "$(date +%s)"
t_ok "the stand-in verified the Request Authenticator (it dropped nothing)" \
	test "$(grep -c '^drop ' "$HS_SUITE_DIR/nas1.log")" = 0
t_ok "and answered Disconnect-ACK" grep -q '^reply id=[0-9]* code=41$' "$HS_SUITE_DIR/nas1.log"
t_ok "hotspotd logged the ack" grep -q "radius.disconnect: session $(sid 1) (disabled) on 127.0.0.1 port ${PORT[1]}: ack" \
	"$HS_SUITE_DIR/hotspotd.log"

# --- NAK -----------------------------------------------------------------------------

J2=$(enqueue "$(payload 2)" 3)
t_ok "the NAK job is done" wait_for "SELECT status = 'done' FROM jobs WHERE id = '$J2'" 15
t_is "$(job "$J2" attempts) $(result 2)" "1 nak" "nak recorded, on the first attempt, not retried"
t_ok "the stand-in answered Disconnect-NAK" grep -q '^reply id=[0-9]* code=42$' "$HS_SUITE_DIR/nas2.log"
t_ok "hotspotd logged the NAK's Error-Cause 503" grep -q "session $(sid 2) .*: nak after 1 send(s), Error-Cause 503$" \
	"$HS_SUITE_DIR/hotspotd.log"

# --- no answer: retransmissions, backoff, then 'timeout' ------------------------------

J3=$(enqueue "$(payload 3)" 3)
J4=$(enqueue "$(payload 4)" 3)
J5=$(enqueue "$(payload 5)" 3)
t_ok "after a silent first attempt the job waits for its retry" \
	wait_for "SELECT status = 'queued' AND attempts = 1 FROM jobs WHERE id = '$J3'" 10
gap=$(q "SELECT extract(epoch FROM run_at - updated_at) FROM jobs WHERE id = '$J3'")
t_ok "with the queue's backoff (${gap}s after attempt 1, base 1 s)" \
	awk -v g="${gap:-0}" 'BEGIN { exit !(g >= 1 && g <= 1.1 + 0.001) }'
t_is "$(result 3)" none "nothing is recorded before the last attempt"
t_like "$(job "$J3" last_error)" "^no answer from 127\.0\.0\.3 port ${PORT[3]} after 3 sends in 2000 ms$" \
	"the job's error says who did not answer"
t_ok "the silent router's job is dead after 3 attempts" \
	wait_for "SELECT status = 'dead' AND attempts = 3 FROM jobs WHERE id = '$J3'" 30
t_is "$(result 3)" timeout "timeout recorded after the last attempt"
t_is "$(grep -c '^request ' "$HS_SUITE_DIR/nas3.log")" 9 "3 sends per attempt (COA_RETRIES=2), 3 attempts"
t_is "$(sed -n 's/^request .* id=\([0-9]*\) auth=\([0-9a-f]*\) .*/\1 \2/p' "$HS_SUITE_DIR/nas3.log" | sort -u | wc -l)" 3 \
	"a retransmission is the same packet (Identifier, authenticator); each attempt a new one"
t_is "$(grep -c '^silent ' "$HS_SUITE_DIR/nas3.log")" 9 "each one verified, then left unanswered"

t_ok "the wrong-secret router's job is dead" wait_for "SELECT status = 'dead' FROM jobs WHERE id = '$J4'" 30
t_is "$(result 4)" timeout "timeout recorded"
t_is "$(grep -c '^request ' "$HS_SUITE_DIR/nas4.log")" 0 "the stand-in accepted none of its requests"
t_is "$(grep -c ': bad Request Authenticator$' "$HS_SUITE_DIR/nas4.log")" 9 \
	"it dropped all 9: the Request Authenticator does not check with its secret"

t_ok "the forged-answer router's job is dead" wait_for "SELECT status = 'dead' FROM jobs WHERE id = '$J5'" 30
t_is "$(result 5)" timeout "timeout recorded: an answer that fails verification is no answer"
t_ok "the stand-in did answer (with a wrong signature)" grep -q '^reply id=[0-9]* code=41 forged$' \
	"$HS_SUITE_DIR/nas5.log"
t_like "$(job "$J5" last_error)" "answers failed verification" "the job's error says the answers failed verification"

# --- permanent failures ---------------------------------------------------------------

bad() { # bad NAME PAYLOAD WANT_ERROR
	local id
	id=$(enqueue "$2" 3)
	if wait_for "SELECT status = 'dead' FROM jobs WHERE id = '$id'" 10; then
		t_is "$(job "$id" attempts) $(job "$id" last_error)" "1 $3" "$1: dead at once, clear error"
	else
		t_is "$(job "$id" "status || ' ' || attempts")" "dead 1" "$1: dead at once"
	fi
}
bad "a payload that is not an object" '[1, 2]' "payload: not a JSON object"
bad "a router_id that is not a UUID" "$(payload 2 | sed 's/"router_id": "[^"]*"/"router_id": "r2"/')" \
	"payload: router_id must be a UUID"
bad "no acct_session_id" "$(payload 2 | sed 's/"acct_session_id": "[^"]*",//')" \
	"payload: acct_session_id must be a string of 1-253 bytes"
bad "a Framed-IP that is a host name" "$(payload 2 | sed 's/"framed_ip": "[^"]*"/"framed_ip": "example.com"/')" \
	"payload: framed_ip must be an IP address or null"
bad "a CoA port out of range" "$(payload 2 | sed 's/"coa_port": [0-9]*/"coa_port": 70000/')" \
	"payload: coa_port must be an integer 1-65535"
bad "a reason with capitals" "$(payload 2 DataUsed)" "payload: reason must be 1-32 of a-z and _"
bad "a router that no longer exists" "$(payload 2 | sed "s/$(rid 2)/$GONE/")" \
	"router $GONE no longer exists"

t_ok "a session without a Framed-IP-Address (null) is still disconnected" wait_for \
	"SELECT status = 'done' FROM jobs WHERE id = '$(enqueue "$(payload 1 | sed 's/"framed_ip": "[^"]*"/"framed_ip": null/')" 3)'" 10
t_is "$(grep '^request ' "$HS_SUITE_DIR/nas1.log" | tail -n 1 | grep -c 'Framed-IP-Address')" 0 \
	"and the request leaves Framed-IP-Address out"

# --- the periodic sweeper (job kind radius.sweep) ----------------------------------------

q "INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
                                acct_session_id, nas_ip, started_at, last_update_at)
     SELECT '$T', v.id, '20000000-0000-4000-8000-000000000002', v.code, 'stale2', '81b00002',
            '192.0.2.2', now() - interval '2 hours', now() - interval '1 hour'
       FROM vouchers v WHERE v.id = '30000000-0000-4000-8000-000000000002'" >/dev/null
t_ok "hotspotd's periodic sweeper closes a session silent for 3 interim intervals" wait_for \
	"SELECT stopped_at IS NOT NULL FROM radius_sessions WHERE acct_unique_id = 'stale2'" 15
t_is "$(q "SELECT stopped_at IS NULL FROM radius_sessions WHERE id = '40000000-0000-4000-8000-000000000002'")" t \
	"and leaves a session that reports in time open"

# --- stop, and secrets ------------------------------------------------------------------

t_ok "hotspotd stops on SIGTERM" hs_kill hotspotd
leaks=
for n in 1 2 3 4 5; do
	grep -qF "${SECRET[$n]}" "$HS_SUITE_DIR/hotspotd.log" "$HS_SUITE_DIR"/nas*.log && leaks+=" secret$n"
	grep -qF "$(code_of "$n")" "$HS_SUITE_DIR/hotspotd.log" && leaks+=" code$n"
	[ "$(q "SELECT count(*) FROM jobs WHERE strpos(payload::text || coalesce(last_error, ''), '${SECRET[$n]}') > 0")" = 0 ] ||
		leaks+=" job$n"
done
t_is "${leaks:-none}" none "no RADIUS secret in any log, payload or job error; no voucher code in hotspotd's log"

t_done
