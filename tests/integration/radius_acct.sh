#!/usr/bin/env bash
# Accounting-Requests through the stock FreeRADIUS server (threaded) with
# rlm_hotspot and PostgreSQL, sent with radclient from a loopback address
# that plays the router: Start, Interim-Update and Stop stored with 64-bit
# counters, retransmissions and late records not counted twice, the receive
# time corrected by Acct-Delay-Time, concurrent records batched, unknown
# routers unanswered, and a database outage: records acknowledged once
# synced to the spool (mode 0600), no answer to logins, and the spool
# replayed with the original times when the database is back.
set -u
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/radius.sh"

DB=hs_radius_acct
RADDB=$HS_SUITE_DIR/raddb
SPOOL=$RADDB/var/hotspot-accounting.spool
SECRET=local-secret-$RANDOM
AUTH_PORT=$(hs_free_port udp)
ACCT_PORT=$(hs_free_port udp)

TA=aaaaaaaa-0000-4000-8000-000000000001
PA=aaaaaaaa-0000-4000-8000-0000000000a1
R2=aaaaaaaa-0000-4000-8000-0000000000a2
GiB=1073741824

# The shared PostgreSQL cluster is stopped for the outage tests: whatever
# happens, it runs again when this suite ends.
pg_down=0
restore_pg() {
	[ "$pg_down" = 1 ] && pg_start "$HS_PG_DIR" "$PGPORT" >/dev/null 2>&1
	hs__cleanup
}
trap restore_pg EXIT

# acct|auth FROM [radclient options] < attributes: a request from router FROM.
acct() { radsend "$1" acct secret-r2 -t 3 -r 1 "${@:2}"; }
auth() { radsend "$1" auth secret-r2 -t 2 -r 1 "${@:2}"; }

t_ok "migrations apply" hs_new_db "$DB"
t_ok "fixtures: a tenant, a router, vouchers" own "
INSERT INTO tenants (id, name, slug, time_zone, currency) VALUES
  ('$TA', 'Tenant A', 'tenant-a', 'Africa/Kampala', 'UGX');
INSERT INTO profiles (id, tenant_id, name, currency) VALUES ('$PA', '$TA', 'P', 'UGX');
INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret) VALUES
  ('$R2', '$TA', 'r2', '127.0.0.2', 'secret-r2');
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, data_limit_bytes, shared_users)
SELECT '$TA', c, 'pw', '$PA', 'UGX', 10 * $GiB::bigint, 100
  FROM unnest(ARRAY['ACCT1', 'DELAY1', 'MANY', 'OUTAGE', 'POISON', 'RAWV', 'LONGID', 'ORDER1', 'LIVE',
                    'LATE']) AS c;
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, data_limit_bytes, time_limit_seconds)
VALUES ('$TA', 'QUOTA', 'pw', '$PA', 'UGX', 5000, NULL), ('$TA', 'TQ', 'pw', '$PA', 'UGX', NULL, 100);
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, data_limit_bytes, shared_users)
VALUES ('$TA', 'SPLIT', 'pw', '$PA', 'UGX', 1200, 3);
-- Unlimited, with a usage a 1 EiB counter takes past the bigint range: the
-- database refuses such a record, which no check before it catches.
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, data_limit_bytes, used_bytes)
VALUES ('$TA', 'HUGEUSE', 'pw', '$PA', 'UGX', NULL, 9000000000000000000);"

gen "$RADDB" DB_CONNECT_TIMEOUT=1 >"$HS_SUITE_DIR/gen.log" 2>&1
# The longest batch wait allowed: a record must still be answered without
# waiting it out when no other record can join its batch (below).
sed -i 's/^\([[:space:]]*acct_batch_wait[[:space:]]*=\).*/\1 100000/' "$RADDB/mods-enabled/hotspot"
t_is "$(grep -c 'acct_batch_wait = 100000' "$RADDB/mods-enabled/hotspot")" 1 "acct_batch_wait set to 100 ms"
t_ok "freeradius -C accepts the raddb" freeradius -C -d "$RADDB"
hs_spawn radiusd freeradius -f -l stdout -d "$RADDB"
hs_wait_udp "$ACCT_PORT" 15
t_ok "freeradius (threaded) listens" port_in_use "$ACCT_PORT" udp

# --- Start, Interim, Stop -------------------------------------------------------

out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "s1", User-Name = "ACCT1", Calling-Station-Id = "AA:00:00:00:00:01", Framed-IP-Address = 10.5.50.2')
t_ok "Start: acknowledged" acked "$out"
t_is "$(scol s1 "concat_ws('|', stopped_at IS NULL, calling_station_id, host(framed_ip))")" \
	"t|AA:00:00:00:00:01|10.5.50.2" "Start: the session is stored, open"

interim='Acct-Status-Type = Interim-Update, Acct-Session-Id = "s1", User-Name = "ACCT1", Calling-Station-Id = "AA:00:00:00:00:01", Acct-Input-Octets = 100, Acct-Input-Gigawords = 1, Acct-Output-Octets = 200, Acct-Session-Time = 60'
out=$(acct 127.0.0.2 <<<"$interim")
t_ok "Interim-Update: acknowledged" acked "$out"
t_is "$(scol s1 "input_octets || '/' || output_octets || '/' || session_time")" "4294967396/200/60" \
	"Interim-Update: Gigawords << 32 + Octets, 64-bit"
t_is "$(vcol ACCT1 used_bytes)" 4294967596 "the voucher's usage grows by the session's"

out=$(acct 127.0.0.2 <<<"$interim")
t_ok "a retransmitted Interim-Update is acknowledged" acked "$out"
t_is "$(vcol ACCT1 used_bytes)" 4294967596 "  and not counted twice"

out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Stop, Acct-Session-Id = "s1", User-Name = "ACCT1", Acct-Input-Octets = 500, Acct-Input-Gigawords = 1, Acct-Output-Octets = 700, Acct-Session-Time = 90, Acct-Terminate-Cause = User-Request')
t_ok "Stop: acknowledged" acked "$out"
t_is "$(scol s1 "concat_ws('|', stopped_at IS NOT NULL, terminate_cause, session_time)")" \
	"t|User-Request|90" "Stop: the session is closed with its cause"
t_is "$(vcol ACCT1 used_bytes)" 4294968496 "Stop: the voucher has the session's final counters"
out=$(acct 127.0.0.2 <<<"$interim")
t_ok "a late Interim-Update after the Stop is acknowledged" acked "$out"
t_is "$(scol s1 "(stopped_at IS NOT NULL) || '/' || input_octets")/$(vcol ACCT1 used_bytes)" \
	"true/4294967796/4294968496" "  and neither reopens the session nor changes the counters"

t_is "$(own "SELECT count(*) FILTER (WHERE type = 'session.started') || ' ' || count(*) FILTER (WHERE type = 'session.stopped')
	FROM events WHERE payload->>'username' = 'ACCT1'")" "1 1" "one session.started and one session.stopped event"

# Interim-Updates that arrive out of order: the later one's counters stay.
acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "o-1", User-Name = "ORDER1"' >/dev/null
out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "o-1", User-Name = "ORDER1", Acct-Input-Octets = 2000, Acct-Output-Octets = 20, Acct-Session-Time = 120')
out2=$(acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "o-1", User-Name = "ORDER1", Acct-Input-Octets = 1000, Acct-Output-Octets = 10, Acct-Session-Time = 60')
t_ok "two Interim-Updates out of order: both acknowledged" acked "$out$out2"
t_is "$(scol o-1 "input_octets || '/' || output_octets || '/' || session_time")/$(vcol ORDER1 "used_bytes || '/' || used_seconds")" \
	"2000/20/120/2020/120" "  the later counters stay, and the voucher counts them once"

# --- a live session past its voucher's limits: a disconnect job, answered at once ------

disc() { own "SELECT string_agg(concat_ws(',', s.acct_session_id, s.disconnect_reason, j.kind, j.status,
	j.dedup_key = 'radius.disconnect:' || s.id), ' ' ORDER BY s.acct_session_id)
	FROM radius_sessions s JOIN jobs j ON (j.payload->>'session_id')::uuid = s.id
	WHERE s.username = '$1'"; }
acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "q-1", User-Name = "QUOTA"' >/dev/null
acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "q-1", User-Name = "QUOTA", Acct-Input-Octets = 3000, Acct-Output-Octets = 0, Acct-Session-Time = 60' >/dev/null
t_is "$(disc QUOTA)" "" "within the data allowance: no disconnect"
t0=$(date +%s%N)
out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "q-1", User-Name = "QUOTA", Acct-Input-Octets = 4000, Acct-Output-Octets = 1500, Acct-Session-Time = 120')
ms=$((($(date +%s%N) - t0) / 1000000))
t_ok "the Interim-Update that passes the data allowance is acknowledged (${ms} ms: no disconnect is awaited)" acked "$out"
t_is "$(vcol QUOTA "status || '/' || used_bytes")" "used/5500" "  the voucher is used up, its usage exact"
t_is "$(disc QUOTA)" "q-1,data_used,radius.disconnect,queued,t" "  one radius.disconnect job queued for the live session"
t_is "$(own "SELECT count(*) FROM events WHERE type = 'voucher.exhausted' AND payload->>'code' = 'QUOTA'")" 1 \
	"  and a voucher.exhausted event"

acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "tq-1", User-Name = "TQ"' >/dev/null
acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "tq-1", User-Name = "TQ", Acct-Input-Octets = 1, Acct-Output-Octets = 1, Acct-Session-Time = 101' >/dev/null
t_is "$(disc TQ)" "tq-1,time_used,radius.disconnect,queued,t" "passing the time allowance queues the disconnect too"

acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "live-1", User-Name = "LIVE"' >/dev/null
own "UPDATE vouchers SET status = 'disabled' WHERE tenant_id = '$TA' AND code = 'LIVE'" >/dev/null
acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "live-1", User-Name = "LIVE", Acct-Input-Octets = 1, Acct-Output-Octets = 1, Acct-Session-Time = 60' >/dev/null
t_is "$(disc LIVE)" "live-1,disabled,radius.disconnect,queued,t" "a voucher disabled during a session: its next Interim-Update queues the disconnect"

acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "late-1", User-Name = "LATE"' >/dev/null
own "UPDATE vouchers SET activated_at = now() - interval '2 days', expires_at = now() - interval '1 minute'
     WHERE tenant_id = '$TA' AND code = 'LATE'" >/dev/null
acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "late-1", User-Name = "LATE", Acct-Input-Octets = 1, Acct-Output-Octets = 1, Acct-Session-Time = 60' >/dev/null
t_is "$(disc LATE)/$(vcol LATE status)" "late-1,expired,radius.disconnect,queued,t/expired" \
	"a voucher that expired during a session: its next Interim-Update queues the disconnect"

# --- a shared voucher's data: the live sessions together within it ---------------------
# SPLIT: 1200 bytes for 3 devices. Each login is sent an equal share of what
# is left once the other live sessions' unused grants are set aside.

# login MAC: the Mikrotik-Total-Limit an Access-Request for SPLIT is sent.
login() {
	attr "$(auth 127.0.0.2 <<<"User-Name = \"SPLIT\", User-Password = \"pw\", Calling-Station-Id = \"$1\"")" \
		Mikrotik-Total-Limit
}
t_is "$(login AA:00:00:00:05:01)" 400 "shared voucher: the first device gets a third (400)"
acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "sp-a", User-Name = "SPLIT", Calling-Station-Id = "AA:00:00:00:05:01"' >/dev/null
t_is "$(scol sp-a grant_bytes)" 400 "  its session keeps what it was sent"
t_is "$(login AA:00:00:00:05:02)" 400 "  the second, while the first has used nothing: (1200 - 400) / 2"
acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "sp-b", User-Name = "SPLIT", Calling-Station-Id = "AA:00:00:00:05:02"' >/dev/null
acct 127.0.0.2 <<<'Acct-Status-Type = Stop, Acct-Session-Id = "sp-a", User-Name = "SPLIT", Calling-Station-Id = "AA:00:00:00:05:01", Acct-Input-Octets = 300, Acct-Output-Octets = 100, Acct-Session-Time = 60' >/dev/null
t_is "$(vcol SPLIT used_bytes)" 400 "  the first uses its 400 and leaves"
t_is "$(login AA:00:00:00:05:03)" 200 \
	"  a third device: the 800 left less the second's unused 400, over 2 free slots (not 800 / 3)"
t_is "$(login AA:00:00:00:05:04)" 200 "  a fourth: what the second and third may still use set aside"
t_is "$(own "SELECT (SELECT sum(r.grant_bytes) FROM reservations r WHERE r.voucher_id = v.id)
	+ (SELECT sum(s.grant_bytes - s.input_octets - s.output_octets) FROM radius_sessions s
	    WHERE s.voucher_id = v.id AND s.stopped_at IS NULL)
	FROM vouchers v WHERE v.code = 'SPLIT'")" 800 \
	"  so what the live devices may still use adds up to the 800 left, never more"

# --- receive time -----------------------------------------------------------------

out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "s2", User-Name = "DELAY1", Acct-Delay-Time = 600')
t_ok "a delayed Start is acknowledged" acked "$out"
t_is "$(scol s2 "extract(epoch FROM now() - started_at) BETWEEN 590 AND 660")" t \
	"the start time is the receive time minus Acct-Delay-Time"

# --- many at once -------------------------------------------------------------------

req=$HS_SUITE_DIR/many.req
: >"$req"
for i in $(seq 1 40); do
	printf 'Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = Interim-Update, Acct-Session-Id = "m%d", User-Name = "MANY", Acct-Input-Octets = 1000, Acct-Output-Octets = 1, Acct-Session-Time = 10\n\n' "$i" >>"$req"
done
out=$(radclient -x -t 5 -r 1 -p 40 -f "$req" "127.0.0.1:$ACCT_PORT" acct secret-r2 2>&1)
t_is "$(grep -c 'Received Accounting-Response' <<<"$out")" 40 "40 concurrent records: all acknowledged"
t_is "$(vcol MANY used_bytes)" 40040 "  and all stored"

# --- a lone record does not wait for company that cannot come ------------------------
# 20 records one after the other (radclient -p 1): each is alone in its batch,
# so none waits the 100 ms acct_batch_wait; together well under 20 x 100 ms.
req=$HS_SUITE_DIR/lone.req
: >"$req"
for i in $(seq 1 20); do
	printf 'Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = Interim-Update, Acct-Session-Id = "lone%d", User-Name = "MANY", Acct-Input-Octets = 10, Acct-Output-Octets = 0, Acct-Session-Time = 5\n\n' "$i" >>"$req"
done
t0=$(date +%s%N)
out=$(radclient -x -t 5 -r 1 -p 1 -f "$req" "127.0.0.1:$ACCT_PORT" acct secret-r2 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
t_is "$(grep -c 'Received Accounting-Response' <<<"$out")" 20 "20 records one after the other: all acknowledged"
t_ok "  without waiting out acct_batch_wait for each (${ms} ms for 20)" test "$ms" -lt 1500
t_is "$(vcol MANY used_bytes)" 40240 "  and all stored"

# --- records the database cannot take -----------------------------------------------
# One such record in a batch must not leave the others unanswered or unstored.

# rawacct FROM: an Interim-Update whose Acct-Input-Gigawords has 5 bytes
# instead of 4 (FreeRADIUS decodes it as a raw attribute); prints the reply.
rawacct() {
	python3 - "$1" "$ACCT_PORT" secret-r2 <<'PY'
import hashlib, socket, struct, sys
src, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
def a(t, v): return bytes([t, 2 + len(v)]) + v
attrs = (a(40, struct.pack("!I", 3)) + a(44, b"raw1") + a(1, b"RAWV") + a(42, struct.pack("!I", 1000))
         + a(52, b"\x00\x00\x00\x01\x0a") + a(43, struct.pack("!I", 0)) + a(46, struct.pack("!I", 10)))
hdr = struct.pack("!BBH", 4, 9, 20 + len(attrs))
pkt = hdr + hashlib.md5(hdr + b"\0" * 16 + attrs + secret).digest() + attrs
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(3)
s.sendto(pkt, ("127.0.0.1", port))
try:
    print({5: "Accounting-Response"}.get(s.recv(4096)[0], "other"))
except socket.timeout:
    print("no reply")
PY
}
out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "raw1", User-Name = "RAWV"')
t_ok "a Start before a malformed Interim-Update is stored" acked "$out"
t_is "$(rawacct 127.0.0.2)" Accounting-Response "an Interim-Update with a Gigawords of the wrong length is acknowledged"
t_is "$(scol raw1 "input_octets || '/' || session_time")" "1000/10" \
	"  and its Gigawords counts as absent, not as whatever the raw value's memory holds"

out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "h1", User-Name = "HUGEUSE"')
t_ok "a Start for the voucher with a near-bigint usage is stored" acked "$out"
huge='Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = Interim-Update, Acct-Session-Id = "h1", User-Name = "HUGEUSE", Acct-Input-Octets = 0, Acct-Input-Gigawords = 268435456, Acct-Output-Octets = 0, Acct-Session-Time = 10'
req=$HS_SUITE_DIR/poison.req
: >"$req"
for i in $(seq 1 10); do
	printf 'Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = Interim-Update, Acct-Session-Id = "p%d", User-Name = "POISON", Acct-Input-Octets = 100, Acct-Output-Octets = 1, Acct-Session-Time = 10\n\n' "$i" >>"$req"
done
printf '%s\n\n' "$huge" >>"$req"
printf 'Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = Interim-Update, Acct-Session-Id = "bad-utf8", User-Name = "POISON\\377", Acct-Input-Octets = 5, Acct-Output-Octets = 0, Acct-Session-Time = 10\n\n' >>"$req"
printf 'Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = Interim-Update, Acct-Session-Id = "giga", User-Name = "POISON", Acct-Input-Octets = 5, Acct-Input-Gigawords = 4294967295, Acct-Output-Octets = 0, Acct-Session-Time = 10\n\n' >>"$req"
for i in $(seq 11 20); do
	printf 'Packet-Src-IP-Address = 127.0.0.2, Acct-Status-Type = Interim-Update, Acct-Session-Id = "p%d", User-Name = "POISON", Acct-Input-Octets = 100, Acct-Output-Octets = 1, Acct-Session-Time = 10\n\n' "$i" >>"$req"
done
out=$(radclient -x -t 3 -r 1 -p 23 -f "$req" "127.0.0.1:$ACCT_PORT" acct secret-r2 2>&1)
t_is "$(grep -c 'Received Accounting-Response' <<<"$out")" 22 \
	"23 concurrent records, one of which the database refuses: the 22 others acknowledged"
t_is "$(vcol POISON used_bytes)" 2020 "  the 20 good ones stored"
t_is "$(own "SELECT count(*) FROM radius_sessions WHERE acct_session_id IN ('bad-utf8', 'giga')")" 0 \
	"  text that is not UTF-8 and a counter above 1 EiB refused as malformed (acknowledged, nothing stored)"
t_is "$(vcol HUGEUSE used_bytes)" 9000000000000000000 "  the refused one changed nothing"
t_ok "  the batch the database refused was stored one record at a time" \
	grep -q "refused a batch of .* accounting records; storing them one at a time" "$HS_SUITE_DIR/radiusd.log"
t_ok "  and the refused record is logged with its session" \
	grep -q "refused the accounting record of session h1 from 127.0.0.2" "$HS_SUITE_DIR/radiusd.log"
out=$(acct 127.0.0.2 <<<"${huge#Packet-Src-IP-Address = 127.0.0.2, }")
t_fail "that record sent alone is not acknowledged (not stored)" acked "$out"
out=$(acct 127.0.0.2 <<<'Acct-Status-Type = 300, Acct-Session-Id = "st300", User-Name = "POISON"')
out2=$(acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "delay-max", User-Name = "POISON", Acct-Delay-Time = 4294967295')
t_ok "a status no record has: acknowledged as malformed" acked "$out"
t_ok "an Acct-Delay-Time that puts the record before 1970: acknowledged as malformed" acked "$out2"
t_is "$(own "SELECT count(*) FROM radius_sessions WHERE acct_session_id IN ('st300', 'delay-max')")" 0 "  nothing stored"

out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "p-badmac", User-Name = "POISON", Calling-Station-Id = "AA:00\377"')
t_ok "a Start whose Calling-Station-Id is not UTF-8 is acknowledged" acked "$out"
t_is "$(scol p-badmac "coalesce(calling_station_id, 'none')")" none "  and stored without a device, as a login counts it"

# The session key of a record whose User-Name, Acct-Session-Id, NAS-Identifier
# and NAS-Port-Id take the 253 bytes each can: the same for all its records.
long=$(printf 'x%.0s' $(seq 1 253))
out=$(acct 127.0.0.2 <<<"Acct-Status-Type = Start, Acct-Session-Id = \"$long\", User-Name = \"LONGID\", NAS-Identifier = \"$long\", NAS-Port-Id = \"$long\"")
t_ok "a Start with 253-byte session, NAS and port names is stored" acked "$out"
out=$(acct 127.0.0.2 <<<"Acct-Status-Type = Interim-Update, Acct-Session-Id = \"$long\", User-Name = \"LONGID\", NAS-Identifier = \"$long\", NAS-Port-Id = \"$long\", Acct-Input-Octets = 77, Acct-Output-Octets = 0, Acct-Session-Time = 10")
t_ok "  its Interim-Update is acknowledged" acked "$out"
t_is "$(own "SELECT count(*) || '/' || sum(input_octets) FROM radius_sessions WHERE acct_session_id = '$long'")" "1/77" \
	"  and updates the same session"

out=$(acct 127.0.0.9 <<<'Acct-Status-Type = Start, Acct-Session-Id = "u1", User-Name = "ACCT1"')
t_fail "a record from an address no router has gets no answer" acked "$out"

# --- the database stops ------------------------------------------------------------------

pg_down=1
pg_stop "$HS_PG_DIR"
t_fail "the database is stopped" port_in_use "$PGPORT" tcp
before=$(date +%s)
out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Start, Acct-Session-Id = "o1", User-Name = "OUTAGE", Calling-Station-Id = "AA:00:00:00:00:0F"')
t_ok "database down: a Start is acknowledged (spooled)" acked "$out"
out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Interim-Update, Acct-Session-Id = "o1", User-Name = "OUTAGE", Acct-Input-Octets = 7, Acct-Input-Gigawords = 2, Acct-Output-Octets = 3, Acct-Session-Time = 30')
t_ok "database down: an Interim-Update is acknowledged (spooled)" acked "$out"
out=$(acct 127.0.0.2 <<<'Acct-Status-Type = 300, Acct-Session-Id = "o-st300", User-Name = "OUTAGE"')
t_ok "database down: a record with a status no record has is acknowledged as malformed" acked "$out"
t_is "$(stat -c %a "$SPOOL")" 600 "the spool is mode 0600"
t_is "$(wc -l <"$SPOOL")" 2 "the spool holds both records (not the malformed one)"
t_fail "no voucher code's password is in the spool" grep -q "pw" "$SPOOL"
out=$(acct 127.0.0.2 <<<"${huge#Packet-Src-IP-Address = 127.0.0.2, }")
t_ok "database down: the record the database will refuse is acknowledged too (spooled)" acked "$out"
out=$(auth 127.0.0.2 <<<'User-Name = "ACCT1", User-Password = "pw"')
t_like "$out" "No reply from server" "database down: a known router's Access-Request gets no answer"
t_ok "freeradius still runs" hs_running radiusd

sleep 2
pg_start "$HS_PG_DIR" "$PGPORT" && pg_down=0
t_ok "the database is back" port_in_use "$PGPORT" tcp
for i in $(seq 1 100); do
	[ -f "$SPOOL" ] && [ ! -s "$SPOOL" ] && break
	sleep 0.2
done
t_is "$(stat -c %s "$SPOOL")" 0 "the spool is replayed and emptied"
t_is "$(scol o1 "input_octets || '/' || output_octets")" "8589934599/3" "the spooled records are in the database"
t_is "$(scol o1 "started_at <= to_timestamp($before + 1)")" t "  with their original receive time"
t_is "$(vcol OUTAGE used_bytes)" 8589934602 "  and the voucher's usage counts them once"
t_ok "the log says the spool was replayed" grep -q "accounting spool replayed" "$HS_SUITE_DIR/radiusd.log"
t_is "$(wc -l <"$SPOOL.rejected")/$(grep -c '"h1"\|h1' "$SPOOL.rejected")" "1/1" \
	"the spooled record the database refused did not hold up the others: it is kept in the spool's .rejected file"
t_is "$(stat -c %a "$SPOOL.rejected")" 600 "  which is mode 0600"
t_ok "  and the log says where" grep -q "refused a spooled accounting record of session h1 from 127.0.0.2; kept in $SPOOL.rejected" "$HS_SUITE_DIR/radiusd.log"
t_is "$(vcol HUGEUSE used_bytes)" 9000000000000000000 "  it changed nothing"
out=$(auth 127.0.0.2 <<<'User-Name = "ACCT1", User-Password = "pw", Calling-Station-Id = "AA:00:00:00:00:0E"')
t_like "$out" "Received Access-Accept" "an Access-Request after the outage is decided again (its connection remade)"

out=$(acct 127.0.0.2 <<<'Acct-Status-Type = Stop, Acct-Session-Id = "o1", User-Name = "OUTAGE", Acct-Input-Octets = 7, Acct-Input-Gigawords = 2, Acct-Output-Octets = 3, Acct-Session-Time = 40')
t_ok "after the outage records are stored directly again" acked "$out"
t_is "$(scol o1 "stopped_at IS NOT NULL")/$(stat -c %s "$SPOOL")" "t/0" "  not through the spool"

t_ok "freeradius still runs" hs_running radiusd
hs_kill radiusd
t_is "$?" 0 "freeradius exits 0 on SIGTERM"

# --- a database that accepts connections and never answers ----------------------------
# A connect there takes the whole connect timeout (3 s here). Accounting does
# not wait it out: each record is acknowledged from the spool well within a
# router's retry timeout (1 s here, radclient -t 1 -r 1), while the connection
# is tried in the background.
BH_PORT=$(hs_free_port tcp)
hs_spawn blackhole python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])  # accepted, never answered
' "$BH_PORT"
hs_wait_port "$BH_PORT" tcp 10
RADDB3=$HS_SUITE_DIR/raddb-silent
gen "$RADDB3" DB_PORT="$BH_PORT" DB_CONNECT_TIMEOUT=3 >>"$HS_SUITE_DIR/gen.log" 2>&1
# The routers, as the cache holds them from the server before.
cp "$RADDB/var/hotspot-clients.cache" "$RADDB3/var/"
hs_spawn radiusd-silent freeradius -f -l stdout -d "$RADDB3"
hs_wait_udp "$ACCT_PORT" 15
n_ok=0
t0=$(date +%s%N)
for i in 1 2 3 4 5 6; do
	out=$(radsend 127.0.0.2 acct secret-r2 -t 1 -r 1 <<<"Acct-Status-Type = Interim-Update, Acct-Session-Id = \"bh$i\", User-Name = \"ACCT1\", Acct-Input-Octets = 1, Acct-Output-Octets = 1, Acct-Session-Time = 1")
	acked "$out" && n_ok=$((n_ok + 1))
done
ms=$((($(date +%s%N) - t0) / 1000000))
t_is "$n_ok" 6 "a database that never answers: 6 records one after the other, each acknowledged within 1 s (${ms} ms in all)"
t_is "$(wc -l <"$RADDB3/var/hotspot-accounting.spool")" 6 "  all 6 in the spool"
t_ok "  the connect that timed out is logged" grep -q "cannot connect to the database: timeout expired" \
	"$HS_SUITE_DIR/radiusd-silent.log"
t_ok "freeradius still runs" hs_running radiusd-silent
hs_kill radiusd-silent
t_is "$?" 0 "freeradius exits 0 on SIGTERM"
hs_kill blackhole

# A spool whose end was torn far back (more than a record's length without a
# line end): cut back to its last whole record at start, then replayed.
SPOOL3=$RADDB3/var/hotspot-accounting.spool
size0=$(stat -c %s "$SPOOL3")
head -c 5000 /dev/zero | tr '\0' 'x' >>"$SPOOL3"
sed -i "s/^\([[:space:]]*port[[:space:]]*=\).*/\1 $PGPORT/" "$RADDB3/mods-enabled/hotspot"
hs_spawn radiusd-torn freeradius -f -l stdout -d "$RADDB3"
hs_wait_udp "$ACCT_PORT" 15
for i in $(seq 1 100); do
	[ ! -s "$SPOOL3" ] && break
	sleep 0.2
done
t_ok "a spool torn 5000 bytes from its end is cut back to its last whole record ($size0 bytes)" \
	grep -q "the accounting spool holds $size0 bytes to replay" "$HS_SUITE_DIR/radiusd-torn.log"
t_is "$(stat -c %s "$SPOOL3")" 0 "  and replayed, then emptied"
hs_kill radiusd-torn
t_done
