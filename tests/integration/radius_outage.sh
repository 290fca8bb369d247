#!/usr/bin/env bash
# Outages and stale state through the stock FreeRADIUS server (threaded) with
# rlm_hotspot, driven with radclient from loopback addresses that play the
# routers: the shared PostgreSQL stopped and restarted in the middle of an
# accounting load, kill -9 of freeradius with records in the spool and under
# load, the MAC lock, Accounting-On/Off closing one router's sessions, and
# sessions silent for 3 interim intervals no longer holding a voucher's slot.
# After every outage each session's counters and each voucher's usage must be
# exactly what was sent: no record lost, none applied twice.
set -u
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/radius.sh"

DB=hs_radius_outage
RADDB=$HS_SUITE_DIR/raddb
SPOOL=$RADDB/var/hotspot-accounting.spool
LOG=$HS_SUITE_DIR/radiusd.log
SECRET=local-secret-$RANDOM
AUTH_PORT=$(hs_free_port udp)
ACCT_PORT=$(hs_free_port udp)

TA=aaaaaaaa-0000-4000-8000-000000000001
PA=aaaaaaaa-0000-4000-8000-0000000000a1
PM=aaaaaaaa-0000-4000-8000-0000000000a9
R2=aaaaaaaa-0000-4000-8000-0000000000a2
R3=aaaaaaaa-0000-4000-8000-0000000000a3
GiB=1073741824
G32=4294967296

# The shared PostgreSQL cluster is stopped for the outage tests: whatever
# happens, it runs again when this suite ends, and no sender or server
# started here is left behind.
pg_down=0
restore_pg() {
	local name pid
	for name in "${!HS_PIDS[@]}"; do
		pid=${HS_PIDS[$name]}
		[[ $name == sender* ]] && pkill -KILL -P "$pid" 2>/dev/null
	done
	hs__cleanup
	if [ "$pg_down" = 1 ] || ! port_in_use "$PGPORT" tcp; then
		pg_start "$HS_PG_DIR" "$PGPORT" >/dev/null 2>&1 ||
			pg_start "$HS_PG_DIR" "$PGPORT" >/dev/null 2>&1
	fi
}
trap restore_pg EXIT

db_stop() {
	pg_down=1
	pg_stop "$HS_PG_DIR"
	! port_in_use "$PGPORT" tcp
}
db_start() {
	pg_start "$HS_PG_DIR" "$PGPORT" >/dev/null 2>&1 || pg_start "$HS_PG_DIR" "$PGPORT" >/dev/null 2>&1 || return 1
	pg_down=0
	hs_wait_sql "$DB" "SELECT true" 30
}

# radius_start NAME: freeradius (threaded) on the generated raddb.
radius_start() {
	hs_spawn "$1" freeradius -f -l stdout -d "$RADDB"
	hs_wait_udp "$ACCT_PORT" 30 && hs_wait_udp "$AUTH_PORT" 30
}
# radius_kill9 NAME: kill -9, and reap it.
radius_kill9() {
	local pid=${HS_PIDS[$1]:-}
	[ -n "$pid" ] || return 1
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "HS_PIDS[$1]"
	for _ in $(seq 1 100); do
		port_in_use "$ACCT_PORT" udp || return 0
		sleep 0.1
	done
	return 1
}

# send FROM auth|acct [radclient options] < attributes: a request from router
# FROM (127.0.0.2 or 127.0.0.3), with its secret.
send() {
	local secret=secret-r2
	[ "$1" = 127.0.0.3 ] && secret="secret-r3"
	radsend "$1" "$2" "$secret" -t 3 -r 5 "${@:3}"
}
login() { # login FROM CODE PASSWORD MAC
	send "$1" auth <<<"User-Name = \"$2\", User-Password = \"$3\", Calling-Station-Id = \"$4\""
}

# wait_spool_empty [secs]: the spool exists and holds nothing.
wait_spool_empty() {
	local i n=$((${1:-60} * 5))
	for i in $(seq 1 "$n"); do
		[ -f "$SPOOL" ] && [ ! -s "$SPOOL" ] && return 0
		sleep 0.2
	done
	return 1
}
# wait_done NAME [secs]: wait for a spawned process to end by itself.
wait_done() {
	local i n=$((${2:-120} * 5))
	for i in $(seq 1 "$n"); do
		hs_running "$1" || return 0
		sleep 0.2
	done
	return 1
}
# wait_file PATH [secs]
wait_file() {
	local i n=$((${2:-60} * 10))
	for i in $(seq 1 "$n"); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- load files -----------------------------------------------------------------
# Session PREFIX<i> (i = 1..N) belongs to voucher CODE<ceil(i/2)> (two sessions a
# voucher). Phase 0 is the Start, phases 1..5 Interim-Updates, phase 6 the Stop.
# At phase k session i has sent input k*1000*i (plus 4 GiB for even i), output
# k*100*i and session time 10*k: the Stop carries k = 6.
phase_file() { # phase_file PREFIX CODE N K FILE
	local pfx=$1 code=$2 n=$3 k=$4 f=$5 i v st gw
	: >"$f"
	for i in $(seq 1 "$n"); do
		v=$(printf '%s%02d' "$code" $(((i + 1) / 2)))
		gw=$((i % 2 == 0 ? 1 : 0))
		case $k in
		0) st=Start ;;
		6) st=Stop ;;
		*) st=Interim-Update ;;
		esac
		printf 'Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = %s, Acct-Session-Id = "%s%d", User-Name = "%s", Calling-Station-Id = "AA:BB:CC:00:00:%02X", Framed-IP-Address = 10.9.0.%d' \
			"$st" "$pfx" "$i" "$v" "$i" "$i" >>"$f"
		if [ "$k" -gt 0 ]; then
			printf ', Acct-Input-Octets = %d, Acct-Input-Gigawords = %d, Acct-Output-Octets = %d, Acct-Session-Time = %d' \
				$((k * 1000 * i)) "$gw" $((k * 100 * i)) $((10 * k)) >>"$f"
		fi
		[ "$k" = 6 ] && printf ', Acct-Terminate-Cause = User-Request' >>"$f"
		printf '\n\n' >>"$f"
	done
}

# sessions_wrong PREFIX N: sessions PREFIX* whose stored state is not the Stop's
# (counters, time, closed with User-Request), plus the difference between N
# and the number of such sessions stored.
sessions_wrong() {
	own "SELECT count(*) FILTER (WHERE input_octets <> 6000 * n + CASE WHEN n % 2 = 0 THEN $G32 ELSE 0 END
	                              OR output_octets <> 600 * n OR session_time <> 60
	                              OR stopped_at IS NULL OR terminate_cause IS DISTINCT FROM 'User-Request')
	            + abs(count(*) - $2)
	       FROM (SELECT s.*, substr(acct_session_id, length('$1') + 1)::int AS n
	               FROM radius_sessions s WHERE acct_session_id ~ '^$1[0-9]+\$') x"
}
# vouchers_wrong CODE NV: vouchers CODE01..CODE<NV> whose usage is not the sum of
# their two sessions' final counters.
vouchers_wrong() {
	own "SELECT count(*) FROM generate_series(1, $2) v
	       JOIN vouchers vc ON vc.tenant_id = '$TA' AND vc.code = '$1' || lpad(v::text, 2, '0')
	      WHERE vc.used_bytes <> (6600 * (2 * v - 1) + 6600 * (2 * v) + $G32)
	         OR vc.used_seconds <> 120"
}
mk_load_vouchers() { # mk_load_vouchers CODE NV
	own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, data_limit_bytes, shared_users)
	     SELECT '$TA', '$1' || lpad(v::text, 2, '0'), 'pw', '$PA', 'UGX', 100 * $GiB::bigint, 100
	       FROM generate_series(1, $2) v" >/dev/null
}

# sender NAME PREFIX PHASES...: radclient for each phase file in turn, with
# retries (each phase bounded in time); writes NAME.phase<k>.done after each.
sender() {
	local name=$1 pfx=$2 k j rc
	shift 2
	for k in "$@"; do
		timeout -k 5 150 radclient -x -t 3 -r 15 -p 8 -n 40 -f "$HS_SUITE_DIR/$pfx.$k.req" \
			"127.0.0.1:$ACCT_PORT" acct secret-r2 2>&1
		rc=$?
		echo "phase $k rc $rc"
		touch "$HS_SUITE_DIR/$name.phase$k.done"
		if [ "$rc" -ne 0 ]; then # give up: the rest would wait as long
			for j in "$@"; do touch "$HS_SUITE_DIR/$name.phase$j.done"; done
			return 1
		fi
		sleep 0.3
	done
}

# --- fixtures and server ------------------------------------------------------------

t_ok "migrations apply" hs_new_db "$DB"
t_ok "fixtures: a tenant, two routers, profiles" own "
INSERT INTO tenants (id, name, slug, time_zone, currency) VALUES
  ('$TA', 'Tenant A', 'tenant-a', 'Africa/Kampala', 'UGX');
INSERT INTO profiles (id, tenant_id, name, currency) VALUES ('$PA', '$TA', 'P', 'UGX');
INSERT INTO profiles (id, tenant_id, name, currency, mac_lock, shared_users)
  VALUES ('$PM', '$TA', 'Locked', 'UGX', true, 2);
INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret) VALUES
  ('$R2', '$TA', 'r2', '127.0.0.2', 'secret-r2'),
  ('$R3', '$TA', 'r3', '127.0.0.3', 'secret-r3');"
mk_load_vouchers LOAD 10
mk_load_vouchers KUP 10
own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, data_limit_bytes, shared_users)
     SELECT '$TA', 'SPOOL' || v, 'pw', '$PA', 'UGX', 100 * $GiB::bigint, 100 FROM generate_series(1, 5) v;
     INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds, shared_users, mac_lock)
     VALUES ('$TA', 'MACV', 'pw-mac', '$PM', 'UGX', 86400, 2, true);
     INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds, shared_users)
     SELECT '$TA', c, 'pw', '$PA', 'UGX', 86400, 1
       FROM unnest(ARRAY['ONV', 'ONV2', 'OFFV', 'STALE1', 'FRESH1']) AS c;" >/dev/null
t_is "$(own "SELECT count(*) FROM vouchers")" 31 "fixtures: 31 vouchers"

gen "$RADDB" RADIUS_INTERIM_INTERVAL=60 DB_CONNECT_TIMEOUT=1 >"$HS_SUITE_DIR/gen.log" 2>&1
t_ok "freeradius -C accepts the raddb" freeradius -C -d "$RADDB"
radius_start radiusd
t_ok "freeradius (threaded) listens" port_in_use "$ACCT_PORT" udp
for i in $(seq 1 100); do
	grep -q "routers known as RADIUS clients" "$LOG" && break
	sleep 0.1
done

# --- 1. the database stopped and restarted during an accounting load ---------------------

for k in 0 1 2 3 4 5 6; do phase_file L LOAD 20 "$k" "$HS_SUITE_DIR/L.$k.req"; done
hs_spawn sender1 sender sender1 L 0 1 2 3 4 5 6
# Stopped while phase 2 is being sent, back while phases 5 and 6 are.
wait_file "$HS_SUITE_DIR/sender1.phase1.done" 120
t_ok "load: Start and the first Interim-Update sent before the outage" \
	test -e "$HS_SUITE_DIR/sender1.phase1.done"
t_ok "load: the database is stopped in the middle of it" db_stop
wait_file "$HS_SUITE_DIR/sender1.phase4.done" 120
sleep 1
t_ok "load: the database is back" db_start
t_ok "load: the sender finishes" wait_done sender1 180
hs_kill sender1
sout=$HS_SUITE_DIR/sender1.log
t_is "$(grep -c 'Received Accounting-Response' "$sout")" 140 \
	"load: all 140 records (20 sessions x Start, 5 Interim-Updates, Stop) acknowledged"
t_is "$(grep -c 'rc 0$' "$sout")" 7 "load: radclient got every answer"
t_ok "load: the spool is replayed and emptied" wait_spool_empty 90
t_ok "load: some records went through the spool" grep -q "accounting spool replayed" "$LOG"
t_is "$(sessions_wrong L 20)" 0 "load: 20 sessions, each with the Stop's counters (4 GiB units too), closed"
t_is "$(vouchers_wrong LOAD 10)" 0 "load: every voucher's used bytes and seconds exactly as sent"
t_ok "freeradius still runs" hs_running radiusd

# --- 2a. kill -9 with records in the spool ---------------------------------------------

t_ok "spool: the database is stopped" db_stop
ok=0
for i in 1 2 3 4 5; do
	out=$(send 127.0.0.2 acct <<<"Acct-Status-Type = Start, Acct-Session-Id = \"k$i\", User-Name = \"SPOOL$i\", Calling-Station-Id = \"AA:00:00:00:01:0$i\"")
	acked "$out" && ok=$((ok + 1))
	out=$(send 127.0.0.2 acct <<<"Acct-Status-Type = Interim-Update, Acct-Session-Id = \"k$i\", User-Name = \"SPOOL$i\", Acct-Input-Octets = $((i * 11)), Acct-Input-Gigawords = 2, Acct-Output-Octets = $((i * 7)), Acct-Session-Time = 30")
	acked "$out" && ok=$((ok + 1))
done
t_is "$ok" 10 "spool: 10 records acknowledged while the database is down"
t_is "$(wc -l <"$SPOOL")" 10 "spool: the spool holds them"
t_ok "spool: kill -9 of freeradius" radius_kill9 radiusd
t_ok "spool: freeradius starts again with the same raddb, database still down" radius_start radiusd2
t_ok "spool: it finds the spooled records" grep -q "accounting spool holds" "$HS_SUITE_DIR/radiusd2.log"
t_ok "spool: the database is back" db_start
t_ok "spool: the new server replays the spool and empties it" wait_spool_empty 90
t_ok "spool: the log says the spool was replayed" grep -q "accounting spool replayed" "$HS_SUITE_DIR/radiusd2.log"
t_is "$(own "SELECT count(*) FILTER (WHERE input_octets = 2 * $G32 + 11 * substr(acct_session_id, 2)::int
                                      AND output_octets = 7 * substr(acct_session_id, 2)::int
                                      AND session_time = 30 AND stopped_at IS NULL) || '/' || count(*)
               FROM radius_sessions WHERE acct_session_id ~ '^k[0-9]\$'")" "5/5" \
	"spool: 5 sessions, once each, with the spooled counters"
t_is "$(own "SELECT count(*) FROM vouchers WHERE code LIKE 'SPOOL%'
              AND used_bytes = 2 * $G32 + 18 * substr(code, 6)::int AND used_seconds = 30")" 5 \
	"spool: every voucher's usage counts its spooled records once"
ok=0
for i in 1 2 3 4 5; do
	out=$(send 127.0.0.2 acct <<<"Acct-Status-Type = Stop, Acct-Session-Id = \"k$i\", User-Name = \"SPOOL$i\", Acct-Input-Octets = $((i * 13)), Acct-Input-Gigawords = 2, Acct-Output-Octets = $((i * 9)), Acct-Session-Time = 45, Acct-Terminate-Cause = Lost-Carrier")
	acked "$out" && ok=$((ok + 1))
done
t_is "$ok" 5 "spool: the Stops are acknowledged by the new server"
t_is "$(own "SELECT count(*) FILTER (WHERE input_octets = 2 * $G32 + 13 * substr(acct_session_id, 2)::int
                                      AND output_octets = 9 * substr(acct_session_id, 2)::int
                                      AND session_time = 45 AND stopped_at IS NOT NULL
                                      AND terminate_cause = 'Lost-Carrier') || '/' || count(*)
               FROM radius_sessions WHERE acct_session_id ~ '^k[0-9]\$'")" "5/5" \
	"spool: the sessions are closed with the final counters"
t_is "$(own "SELECT count(*) FROM vouchers WHERE code LIKE 'SPOOL%'
              AND used_bytes = 2 * $G32 + 22 * substr(code, 6)::int AND used_seconds = 45")" 5 \
	"spool: every voucher's usage is exactly the final counters"

# --- 2b. kill -9 under load, the database up ------------------------------------------------

for k in 0 1 2 3 4 5 6; do phase_file U KUP 20 "$k" "$HS_SUITE_DIR/U.$k.req"; done
hs_spawn sender2 sender sender2 U 0 1 2 3 4 5 6
wait_file "$HS_SUITE_DIR/sender2.phase1.done" 120
sleep 0.2
t_ok "under load: kill -9 of freeradius" radius_kill9 radiusd2
sleep 1
t_ok "under load: freeradius starts again" radius_start radiusd3
t_ok "under load: the sender finishes" wait_done sender2 240
hs_kill sender2
sout=$HS_SUITE_DIR/sender2.log
t_is "$(grep -c 'rc 0$' "$sout")" 7 "under load: every record acknowledged in the end (radclient retries)"
# The router retransmits what it already had answers for: nothing changes.
for k in 1 3 6; do
	radclient -x -t 3 -r 10 -p 8 -f "$HS_SUITE_DIR/U.$k.req" "127.0.0.1:$ACCT_PORT" acct secret-r2 \
		>>"$HS_SUITE_DIR/resend.log" 2>&1
done
t_is "$(grep -c 'Received Accounting-Response' "$HS_SUITE_DIR/resend.log")" 60 \
	"under load: 60 retransmitted records acknowledged"
t_ok "under load: nothing left in the spool" wait_spool_empty 60
t_is "$(sessions_wrong U 20)" 0 "under load: 20 sessions with the Stop's counters, none counted twice"
t_is "$(vouchers_wrong KUP 10)" 0 "under load: every voucher's usage exactly as sent"

# --- 3. MAC lock --------------------------------------------------------------------------

out=$(login 127.0.0.2 MACV pw-mac "AA:00:00:00:03:01")
t_like "$out" "Received Access-Accept" "MAC lock: the first device is accepted"
t_is "$(vcol MACV "upper(replace(replace(locked_mac, '-', ':'), '.', ':'))")" "AA:00:00:00:03:01" \
	"MAC lock: the voucher is bound to its Calling-Station-Id"
out=$(login 127.0.0.2 MACV pw-mac "AA:00:00:00:03:02")
t_like "$out" "Received Access-Reject" "MAC lock: a second device is rejected (a shared slot is free)"
t_is "$(attr "$out" Reply-Message)" "This voucher is locked to another device" "  with its message"
out=$(login 127.0.0.2 MACV pw-mac "AA:00:00:00:03:01")
t_like "$out" "Received Access-Accept" "MAC lock: the first device logs in again"
out=$(send 127.0.0.2 acct <<<'Acct-Status-Type = Start, Acct-Session-Id = "mac1", User-Name = "MACV", Calling-Station-Id = "AA:00:00:00:03:01"')
out=$(send 127.0.0.2 acct <<<'Acct-Status-Type = Stop, Acct-Session-Id = "mac1", User-Name = "MACV", Calling-Station-Id = "AA:00:00:00:03:01", Acct-Input-Octets = 10, Acct-Session-Time = 5')
t_ok "MAC lock: a session of the first device stored and stopped" acked "$out"
out=$(login 127.0.0.3 MACV pw-mac "AA:00:00:00:03:01")
t_like "$out" "Received Access-Accept" "MAC lock: the first device again, at another router of the tenant"
out=$(login 127.0.0.3 MACV pw-mac "AA:00:00:00:03:02")
t_is "$(attr "$out" Reply-Message)" "This voucher is locked to another device" \
	"MAC lock: the second device still rejected there"

# --- 4. Accounting-On / Accounting-Off ---------------------------------------------------------

out=$(login 127.0.0.2 ONV pw "AA:00:00:00:04:01")
t_like "$out" "Received Access-Accept" "Accounting-On: a one-user voucher accepted at router r2"
send 127.0.0.2 acct <<<'Acct-Status-Type = Start, Acct-Session-Id = "on1", User-Name = "ONV", Calling-Station-Id = "AA:00:00:00:04:01"' >/dev/null
send 127.0.0.2 acct <<<'Acct-Status-Type = Start, Acct-Session-Id = "on2", User-Name = "ONV2", Calling-Station-Id = "AA:00:00:00:04:02"' >/dev/null
send 127.0.0.3 acct <<<'Acct-Status-Type = Start, Acct-Session-Id = "off1", User-Name = "OFFV", Calling-Station-Id = "AA:00:00:00:04:03"' >/dev/null
t_is "$(own "SELECT count(*) FROM radius_sessions WHERE acct_session_id IN ('on1', 'on2', 'off1') AND stopped_at IS NULL")" 3 \
	"Accounting-On: three open sessions, two at r2 and one at r3"
out=$(login 127.0.0.2 ONV pw "AA:00:00:00:04:09")
t_is "$(attr "$out" Reply-Message)" "This voucher is already in use on another device" \
	"Accounting-On: another device is refused while the session is open"
sleep 1.1
out=$(send 127.0.0.2 acct <<<'Acct-Status-Type = Accounting-On, NAS-IP-Address = 127.0.0.2, Acct-Session-Id = "0"')
t_ok "Accounting-On from r2 is acknowledged" acked "$out"
t_is "$(own "SELECT string_agg(acct_session_id || ':' || (stopped_at IS NOT NULL) || ':' || coalesce(terminate_cause, '-'), ' ' ORDER BY acct_session_id)
               FROM radius_sessions WHERE acct_session_id IN ('on1', 'on2', 'off1')")" \
	"off1:false:- on1:true:NAS-Reboot on2:true:NAS-Reboot" \
	"Accounting-On: r2's sessions are closed (NAS-Reboot), r3's is untouched"
out=$(login 127.0.0.2 ONV pw "AA:00:00:00:04:09")
t_like "$out" "Received Access-Accept" "Accounting-On: the voucher's slot is free for another device"
send 127.0.0.2 acct <<<'Acct-Status-Type = Start, Acct-Session-Id = "on3", User-Name = "ONV", Calling-Station-Id = "AA:00:00:00:04:09"' >/dev/null

out=$(login 127.0.0.3 OFFV pw "AA:00:00:00:04:0A")
t_is "$(attr "$out" Reply-Message)" "This voucher is already in use on another device" \
	"Accounting-Off: at r3, another device is refused while its session is open"
sleep 1.1
out=$(send 127.0.0.3 acct <<<'Acct-Status-Type = Accounting-Off, NAS-IP-Address = 127.0.0.3, Acct-Session-Id = "0"')
t_ok "Accounting-Off from r3 is acknowledged" acked "$out"
t_is "$(own "SELECT string_agg(acct_session_id || ':' || (stopped_at IS NOT NULL) || ':' || coalesce(terminate_cause, '-'), ' ' ORDER BY acct_session_id)
               FROM radius_sessions WHERE acct_session_id IN ('off1', 'on3')")" \
	"off1:true:NAS-Request on3:false:-" \
	"Accounting-Off: r3's session is closed (NAS-Request), r2's new one is untouched"
out=$(login 127.0.0.3 OFFV pw "AA:00:00:00:04:0A")
t_like "$out" "Received Access-Accept" "Accounting-Off: the voucher's slot is free for another device"

# --- 5. stale sessions ----------------------------------------------------------------------

out=$(login 127.0.0.2 STALE1 pw "AA:00:00:00:05:01")
t_like "$out" "Received Access-Accept" "stale: a one-user voucher accepted"
t_is "$(attr "$out" Acct-Interim-Interval)" 60 "stale: Acct-Interim-Interval is the configured 60 s"
send 127.0.0.2 acct <<<'Acct-Status-Type = Start, Acct-Session-Id = "st1", User-Name = "STALE1", Calling-Station-Id = "AA:00:00:00:05:01"' >/dev/null
out=$(login 127.0.0.2 FRESH1 pw "AA:00:00:00:05:03")
send 127.0.0.2 acct <<<'Acct-Status-Type = Start, Acct-Session-Id = "fr1", User-Name = "FRESH1", Calling-Station-Id = "AA:00:00:00:05:03"' >/dev/null
# st1 silent for just over 3 intervals, fr1 for 2.5.
own "UPDATE radius_sessions SET started_at = now() - interval '400 s', last_update_at = now() - interval '185 s'
      WHERE acct_session_id = 'st1';
     UPDATE radius_sessions SET started_at = now() - interval '400 s', last_update_at = now() - interval '150 s'
      WHERE acct_session_id = 'fr1';" >/dev/null
out=$(login 127.0.0.2 FRESH1 pw "AA:00:00:00:05:04")
t_is "$(attr "$out" Reply-Message)" "This voucher is already in use on another device" \
	"stale: a session silent for 2.5 intervals still holds the slot"
out=$(login 127.0.0.2 STALE1 pw "AA:00:00:00:05:02")
t_like "$out" "Received Access-Accept" "stale: a session silent for 3 intervals no longer blocks another device"
t_is "$(scol st1 "(stopped_at = last_update_at) || ':' || terminate_cause")" "true:Stale" \
	"stale: it is closed at its last update, cause Stale"
t_is "$(scol fr1 "stopped_at IS NULL")" t "stale: the other session stays open"

# --- the end ----------------------------------------------------------------------------

t_ok "freeradius still runs" hs_running radiusd3
hs_kill radiusd3
t_is "$?" 0 "freeradius exits 0 on SIGTERM"
t_ok "the database runs" port_in_use "$PGPORT" tcp

# --- 6. a restart while the database is down: the routers from their cache ------------------
# The routers copy is kept in a file (mode 0600, the secrets hex-encoded),
# rewritten only when a reload changes it; a server started while the database
# is away reads it, so a known router's accounting is spooled and acknowledged
# and an unknown address is still dropped. A damaged file is never used.

CACHE=$RADDB/var/hotspot-clients.cache
R4=aaaaaaaa-0000-4000-8000-0000000000a4
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
inode() { stat -c %i "$1" 2>/dev/null; }
unanswered() { ! acked "$1"; }
lacks() { ! grep -q "$1" "$2"; } # lacks PATTERN FILE
# ends_with_sum FILE: the last line is the checksum line, whole.
ends_with_sum() { tail -n1 "$1" | grep -Eq '^sum [0-9a-f]{16}$'; }
# wait_inode_change PATH OLD [secs]: the file was replaced (renamed over).
wait_inode_change() {
	local i n=$((${3:-10} * 10))
	for i in $(seq 1 "$n"); do
		[ -e "$1" ] && [ "$(inode "$1")" != "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_log FILE TEXT [secs]
wait_log() {
	local i n=$((${3:-30} * 10))
	for i in $(seq 1 "$n"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# acct_from FROM SECRET STATUS SID USER [more attributes]: radclient -x output
# (few retries: an unanswered packet is expected here).
acct_from() {
	radsend "$1" acct "$2" -t 2 -r 2 <<<"Acct-Status-Type = $3, Acct-Session-Id = \"$4\", User-Name = \"$5\"${6:-}"
}

own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, data_limit_bytes, shared_users)
     SELECT '$TA', 'CACHE' || v, 'pw', '$PA', 'UGX', 100 * $GiB::bigint, 100 FROM generate_series(1, 3) v" >/dev/null
t_ok "cache: nothing left in the spool" wait_spool_empty 60
t_ok "cache: freeradius starts with the database up" radius_start radiusd4
t_ok "cache: it loads the routers from the database" \
	wait_log "$HS_SUITE_DIR/radiusd4.log" "2 routers known as RADIUS clients\$" 30
t_ok "cache: the routers cache file exists" test -f "$CACHE"
t_is "$(stat -c %a "$CACHE")" 600 "cache: the file is private (mode 0600)"
t_is "$(head -n1 "$CACHE")" "hotspot-clients 1 2" "cache: it starts with its version and the router count"
t_ok "cache: it holds r2's secret hex-encoded" grep -q " $(hex secret-r2)\$" "$CACHE"
t_ok "cache: no secret in it as plain text" lacks secret-r "$CACHE"
t_ok "cache: it ends with its checksum" ends_with_sum "$CACHE"
ino=$(inode "$CACHE")
sleep 3
t_is "$(inode "$CACHE")" "$ino" "cache: reloads that change nothing leave the file alone"
own "INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret)
     VALUES ('$R4', '$TA', 'r4', '127.0.0.4', 'se\"cr''et r4')" >/dev/null
t_ok "cache: a router added is written to the file (replaced whole)" wait_inode_change "$CACHE" "$ino" 15
t_is "$(head -n1 "$CACHE")" "hotspot-clients 1 3" "cache: it now counts 3 routers"
t_is "$(stat -c %a "$CACHE")" 600 "cache: the new file is private too"
t_ok "cache: no temporary file left beside it" test ! -e "$CACHE.tmp"

t_ok "cache: the database is stopped" db_stop
t_ok "cache: kill -9 of freeradius" radius_kill9 radiusd4
t_ok "cache: freeradius starts again with the same raddb, database still down" radius_start radiusd5
t_ok "cache: it knows the 3 routers from the cache" \
	grep -q "3 routers known as RADIUS clients from the routers cache" "$HS_SUITE_DIR/radiusd5.log"
out=$(acct_from 127.0.0.2 secret-r2 Start c1 CACHE1)
t_ok "cache: a Start from a known router is acknowledged (spooled)" acked "$out"
out=$(acct_from 127.0.0.2 secret-r2 Interim-Update c1 CACHE1 ", Acct-Input-Octets = 1000, Acct-Input-Gigawords = 1, Acct-Output-Octets = 200, Acct-Session-Time = 30")
t_ok "cache: its Interim-Update is acknowledged (spooled)" acked "$out"
out=$(acct_from 127.0.0.4 "se\"cr'et r4" Start c2 CACHE2)
t_ok "cache: a Start from the router added before the restart is acknowledged" acked "$out"
t_is "$(wc -l <"$SPOOL")" 3 "cache: the spool holds the 3 records"
out=$(acct_from 127.0.0.9 secret-r2 Start c9 CACHE3)
t_ok "cache: an unknown address is still dropped" unanswered "$out"
out=$(acct_from 127.0.0.2 wrong-secret Start c3 CACHE3)
t_ok "cache: a known address with a wrong secret gets no answer" unanswered "$out"
t_ok "cache: no secret in the server's log" lacks "secret-r\|cr.et r4" "$HS_SUITE_DIR/radiusd5.log"
t_ok "cache: the database is back" db_start
t_ok "cache: the spool is replayed and emptied" wait_spool_empty 90
t_is "$(own "SELECT string_agg(acct_session_id || ':' || coalesce(input_octets, 0) || ':' || coalesce(output_octets, 0)
                               || ':' || coalesce(session_time, 0)
                               || ':' || (stopped_at IS NULL), ' ' ORDER BY acct_session_id)
               FROM radius_sessions WHERE acct_session_id IN ('c1', 'c2', 'c3', 'c9')")" \
	"c1:$((G32 + 1000)):200:30:true c2:0:0:0:true" \
	"cache: the spooled sessions stored once each, nothing from the dropped packets"
t_is "$(own "SELECT string_agg(code || ':' || coalesce(used_bytes, 0) || ':' || coalesce(used_seconds, 0), ' ' ORDER BY code)
               FROM vouchers WHERE code LIKE 'CACHE%'")" \
	"CACHE1:$((G32 + 1200)):30 CACHE2:0:0 CACHE3:0:0" \
	"cache: the voucher's usage counts the replayed records exactly once"
out=$(acct_from 127.0.0.2 secret-r2 Interim-Update c1 CACHE1 ", Acct-Input-Octets = 1000, Acct-Input-Gigawords = 1, Acct-Output-Octets = 200, Acct-Session-Time = 30")
t_ok "cache: the router's retransmission is acknowledged" acked "$out"
t_is "$(vcol CACHE1 "used_bytes || ':' || used_seconds")" "$((G32 + 1200)):30" \
	"cache: and not counted again"

# A damaged file is ignored whole: no router is known until the database answers.
t_ok "cache: freeradius stops" hs_kill radiusd5
t_ok "cache: the database is stopped again" db_stop
t_ok "cache: a byte of the file is damaged" \
	dd of="$CACHE" bs=1 count=1 seek=24 conv=notrunc status=none <<<"7"
t_ok "cache: freeradius starts on it, database down" radius_start radiusd6
t_ok "cache: it logs the damaged file and ignores it" \
	grep -q "ignoring the routers cache .*checksum" "$HS_SUITE_DIR/radiusd6.log"
t_ok "cache: no router taken from it" lacks "from the routers cache" "$HS_SUITE_DIR/radiusd6.log"
out=$(acct_from 127.0.0.2 secret-r2 Start c4 CACHE3)
t_ok "cache: a router's packet is then dropped (never answered from a damaged copy)" \
	unanswered "$out"
t_ok "cache: the database is back" db_start
t_ok "cache: the next reload rewrites the file" \
	wait_log "$HS_SUITE_DIR/radiusd6.log" "3 routers known as RADIUS clients\$" 30
t_ok "cache: the rewritten file is whole" ends_with_sum "$CACHE"
t_is "$(head -n1 "$CACHE")" "hotspot-clients 1 3" "cache: with the 3 routers"
hs_kill radiusd6
t_is "$?" 0 "cache: freeradius exits 0 on SIGTERM"
t_ok "the database runs at the end" port_in_use "$PGPORT" tcp
t_done
