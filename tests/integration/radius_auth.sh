#!/usr/bin/env bash
# Access-Requests through the stock FreeRADIUS server (threaded) with
# rlm_hotspot and a PostgreSQL database, driven with radclient from
# loopback addresses that play the routers: PAP and CHAP accepts with their
# limits (above 4 GiB too), rejects with their messages, a wrong password
# that changes nothing, repeated failures from one device, routers as
# dynamic clients (unknown ones dropped, Message-Authenticator per router),
# 50 concurrent logins for a one-user voucher, and no answer at all while
# the database is unreachable, from a server that starts without it.
set -u
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/radius.sh"

DB=hs_radius_auth
SO=$HS_BUILD/rlm_hotspot.so
RADDB=$HS_SUITE_DIR/raddb
SECRET=local-secret-$RANDOM
AUTH_PORT=$(hs_free_port udp)
ACCT_PORT=$(hs_free_port udp)

TA=aaaaaaaa-0000-4000-8000-000000000001
TB=bbbbbbbb-0000-4000-8000-000000000002
PA=aaaaaaaa-0000-4000-8000-0000000000a1
PB=bbbbbbbb-0000-4000-8000-0000000000b1
R2=aaaaaaaa-0000-4000-8000-0000000000a2
R3=aaaaaaaa-0000-4000-8000-0000000000a3
R4=bbbbbbbb-0000-4000-8000-0000000000b4
GiB=1073741824

# mkv CODE PASSWORD [SET-CLAUSE]: a voucher of tenant A, then the changes.
mkv() {
	own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds)
	     VALUES ('$TA', '$1', '$2', '$PA', 'UGX', 86400)" >/dev/null || return 1
	[ -z "${3:-}" ] || own "UPDATE vouchers SET $3 WHERE tenant_id = '$TA' AND code = '$1'" >/dev/null
}

# auth FROM SECRET [radclient options] < attributes: an Access-Request from address FROM.
auth() { radsend "$1" auth "$2" -t 2 -r 1 "${@:3}"; }

# --- fixtures ----------------------------------------------------------------

t_ok "migrations apply" hs_new_db "$DB"
t_ok "fixtures: two tenants, four routers" own "
INSERT INTO tenants (id, name, slug, time_zone, currency) VALUES
  ('$TA', 'Tenant A', 'tenant-a', 'Africa/Kampala', 'UGX'),
  ('$TB', 'Tenant B', 'tenant-b', 'Europe/Paris', 'EUR');
INSERT INTO profiles (id, tenant_id, name, currency) VALUES
  ('$PA', '$TA', 'P', 'UGX'), ('$PB', '$TB', 'P', 'EUR');
INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret,
                              require_message_authenticator) VALUES
  ('$R2', '$TA', 'r2', '127.0.0.2', 'secret-r2', false),
  ('$R3', '$TA', 'r3', '127.0.0.3', 'secret-r3', true),
  ('$R4', '$TB', 'r4', '127.0.0.4', 'secret-r4', false),
  -- Backslashes are printable ASCII, which a router's secret may hold.
  ('bbbbbbbb-0000-4000-8000-0000000000b6', '$TA', 'r6', '127.0.0.6', 'back\\slash\\', false);"

mkv PAP6G pw-pap "data_limit_bytes = 6 * $GiB::bigint + 1000, time_limit_seconds = 3600,
	rate_limit = '2M/4M', idle_timeout_s = 300"
mkv CHAPV pw-chap "data_limit_bytes = 1000000"
mkv CHAPC pw-chapc
mkv FREE pw-free "validity_seconds = NULL"
mkv WRONGPW pw-right
mkv DISABLED pw "status = 'disabled'"
mkv EXPIRED pw "activated_at = '2026-01-10 10:00Z', expires_at = '2026-01-11 15:00Z'"
mkv DATAUSED pw "data_limit_bytes = 1000, used_bytes = 1000, activated_at = now()"
mkv MAV pw-ma
mkv SHARED1 pw-shared
mkv GUESS pw-guess
mkv OTHERDEV pw-other
mkv NEWROUTER pw-new
# Already active, with part of each allowance used and two users: decided in
# the batch's shared read (the common case), not by the first-use path.
mkv ACTIVE2 pw-act "activated_at = now() - interval '1 hour', expires_at = now() + interval '5 hours',
	time_limit_seconds = 7200, used_seconds = 600, data_limit_bytes = 10 * $GiB::bigint + 5,
	used_bytes = $GiB, shared_users = 2, rate_limit = '1M/2M', idle_timeout_s = 120"
mkv BADMAC pw-badmac
mkv BSLASH pw-bs
mkv BOUND pw-bound "router_id = '$R3'"
mkv REFUNDED pw "status = 'refunded'"
mkv TIMEUSED pw "time_limit_seconds = 600, used_seconds = 600, activated_at = now()"
mkv CODEONLY CODEONLY
mkv BADMAC2 pw-badmac "mac_lock = true, locked_mac = 'AA:00:00:00:00:42', activated_at = now()"

gen "$RADDB" >"$HS_SUITE_DIR/gen.log" 2>&1
t_ok "gen-raddb.sh writes a raddb" test -f "$RADDB/sites-enabled/dynamic-clients"
# The accept's control:Hotspot-Voucher-Id and a reject's
# control:Hotspot-Reject-Reason, for policies: shown to the test as a
# Reply-Message (a reject's after the customer's).
sed -i '0,/^\tpost-auth {/s//\tpost-auth {\n\t\tupdate reply {\n\t\t\tReply-Message := "voucher %{control:Hotspot-Voucher-Id}"\n\t\t}/' \
	"$RADDB/sites-enabled/hotspot"
sed -i 's/^\t\tPost-Auth-Type REJECT {/&\n\t\t\tupdate reply {\n\t\t\t\tReply-Message += "reason %{control:Hotspot-Reject-Reason}"\n\t\t\t}/' \
	"$RADDB/sites-enabled/hotspot"
# reason OUTPUT: the reject's control:Hotspot-Reject-Reason (its last Reply-Message).
reason() { sed -n 's/^[[:space:]]*Reply-Message = "reason \(.*\)"$/\1/p' <<<"$1" | tail -n1; }
t_ok "freeradius -C accepts it" freeradius -C -d "$RADDB"
syms=$(nm -D --defined-only "$SO" | awk '{print $3}' | tr '\n' ' ')
t_is "$syms" "rlm_hotspot " "rlm_hotspot is the only symbol the module exports"

hs_spawn radiusd freeradius -f -l stdout -d "$RADDB"
hs_wait_udp "$AUTH_PORT" 15
t_ok "freeradius (threaded) listens" port_in_use "$AUTH_PORT" udp
for i in $(seq 1 50); do
	grep -q "routers known as RADIUS clients" "$HS_SUITE_DIR/radiusd.log" && break
	sleep 0.1
done
t_ok "the routers were loaded as clients" grep -q "4 routers known as RADIUS clients" \
	"$HS_SUITE_DIR/radiusd.log"

# --- accepts ----------------------------------------------------------------

out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "PAP6G", User-Password = "pw-pap", Calling-Station-Id = "AA:00:00:00:00:01"')
t_like "$out" "Received Access-Accept" "PAP: a valid voucher is accepted"
t_is "$(attr "$out" Session-Timeout)" 3600 "PAP: Session-Timeout is the time allowance"
t_is "$(attr "$out" Mikrotik-Total-Limit-Gigawords)" 1 "PAP: Gigawords carry the 4 GiB units of 6 GiB + 1000"
t_is "$(attr "$out" Mikrotik-Total-Limit)" 2147484648 "PAP: Total-Limit carries the low 32 bits (2 GiB + 1000)"
t_is "$(attr "$out" Mikrotik-Rate-Limit)" "2M/4M" "PAP: the voucher's rate limit"
t_is "$(attr "$out" Idle-Timeout)" 300 "PAP: the voucher's idle timeout"
t_is "$(attr "$out" Acct-Interim-Interval)" 300 "PAP: Acct-Interim-Interval from the configuration"
t_is "$(vcol PAP6G "activated_at IS NOT NULL")" t "PAP: the first login activates the voucher"
t_is "$(vcol PAP6G "extract(epoch FROM expires_at - activated_at)::bigint")" 86400 \
	"  its expiry is the activation plus the voucher's validity"
t_is "$(attr "$out" Reply-Message)" "voucher $(vcol PAP6G id)" "PAP: control:Hotspot-Voucher-Id names the voucher"

out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "CHAPV", CHAP-Password = "pw-chap", Calling-Station-Id = "AA:00:00:00:00:02"')
t_like "$out" "Received Access-Accept" "CHAP (Request Authenticator as challenge): accepted"
t_is "$(attr "$out" Mikrotik-Total-Limit)/$(attr "$out" Mikrotik-Total-Limit-Gigawords)" "1000000/0" \
	"CHAP: Total-Limit and Total-Limit-Gigawords, always both"
t_like "$(attr "$out" Session-Timeout)" "^(86399|86400)$" "CHAP: Session-Timeout is the time to expiry"

out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "CHAPC", CHAP-Password = "pw-chapc", CHAP-Challenge = 0x0102030405060708090a0b0c0d0e0f1011, Calling-Station-Id = "AA:00:00:00:00:03"')
t_like "$out" "Received Access-Accept" "CHAP with a CHAP-Challenge attribute: accepted"

out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "FREE", User-Password = "pw-free", Calling-Station-Id = "AA:00:00:00:00:04"')
t_like "$out" "Received Access-Accept" "an unlimited voucher is accepted"
t_fail "an unlimited voucher gets no limit attribute" grep -qE "Session-Timeout|Mikrotik-Total-Limit" <<<"$out"

# The common case: an active voucher with a free slot, decided without a
# durable write; its limits are what is left, the data split over two users.
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "ACTIVE2", User-Password = "pw-act", Calling-Station-Id = "AA:00:00:00:00:0A"')
t_like "$out" "Received Access-Accept" "an active voucher with allowance left is accepted"
t_is "$(attr "$out" Session-Timeout)" 6600 "  Session-Timeout: the time allowance left (7200 - 600), before its expiry"
left=$(((10 * GiB + 5 - GiB) / 2))
t_is "$(attr "$out" Mikrotik-Total-Limit-Gigawords)/$(attr "$out" Mikrotik-Total-Limit)" \
	"$((left >> 32))/$((left & 0xffffffff))" "  data: what is left (9 GiB + 5) over its two users, in Gigawords and Total-Limit"
t_is "$(attr "$out" Mikrotik-Rate-Limit)/$(attr "$out" Idle-Timeout)/$(attr "$out" Acct-Interim-Interval)" \
	"1M/2M/120/300" "  the voucher's rate limit and idle timeout, the configured interim interval"
t_is "$(own "SELECT count(*) FROM events WHERE type = 'voucher.activated' AND payload->>'code' = 'ACTIVE2'")" 0 \
	"  and it is not activated again"

# A device name that is not UTF-8 counts as absent: it neither fails the
# request (nor the batch it is in) nor matches a MAC lock.
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "BADMAC", User-Password = "pw-badmac", Calling-Station-Id = "AA:00\377"')
t_like "$out" "Received Access-Accept" "a Calling-Station-Id that is not UTF-8: accepted as one without a device"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "BADMAC2", User-Password = "pw-badmac", Calling-Station-Id = "AA:00\377"')
t_is "$(attr "$out" Reply-Message)" "This voucher is locked to another device" "  a MAC-locked voucher: rejected"

# --- rejects ------------------------------------------------------------------

out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "WRONGPW", User-Password = "not-it", Calling-Station-Id = "AA:00:00:00:00:05"')
t_like "$out" "Received Access-Reject" "a wrong password is rejected"
t_is "$(attr "$out" Reply-Message)" "Invalid voucher code or password" "  with a message that names neither"
t_is "$(reason "$out")" Wrong-Password "  control:Hotspot-Reject-Reason names the cause for policies"
t_is "$(vcol WRONGPW "activated_at IS NULL")" t "a wrong password does not activate the voucher"
t_is "$(own "SELECT count(*) FROM reservations r JOIN vouchers v ON v.id = r.voucher_id WHERE v.code = 'WRONGPW'")" 0 \
	"a wrong password reserves nothing"

out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "WRONGPW", CHAP-Password = "not-it"')
t_like "$out" "Received Access-Reject" "a wrong CHAP password is rejected"

out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "DISABLED", User-Password = "pw"')
t_is "$(attr "$out" Reply-Message)" "This voucher has been disabled" "disabled: rejected with its message"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "EXPIRED", User-Password = "pw"')
t_is "$(attr "$out" Reply-Message)" "Voucher expired on 2026-01-11 18:00" \
	"expired: the message gives the date in the tenant's time zone"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "DATAUSED", User-Password = "pw"')
t_is "$(attr "$out" Reply-Message)" "Data limit reached" "data used up: rejected with its message"
t_is "$(reason "$out")" Data-Exhausted "  control:Hotspot-Reject-Reason: Data-Exhausted"
out=$(auth 127.0.0.4 secret-r4 <<<'User-Name = "FREE", User-Password = "pw-free"')
t_like "$out" "Received Access-Reject" "a voucher of another tenant is rejected"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "REFUNDED", User-Password = "pw"')
t_is "$(attr "$out" Reply-Message)" "This voucher has been refunded" "refunded: rejected with its message"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "TIMEUSED", User-Password = "pw"')
t_is "$(attr "$out" Reply-Message)" "Time limit reached" "time used up: rejected with its message"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "BOUND", User-Password = "pw-bound"')
t_is "$(attr "$out" Reply-Message)" "This voucher is not valid at this hotspot" \
	"a voucher bound to another router of the tenant: rejected"
out=$(auth 127.0.0.3 secret-r3 <<<'User-Name = "BOUND", User-Password = "pw-bound", Message-Authenticator = 0x00')
t_like "$out" "Received Access-Accept" "  and accepted at its own router"
t_is "$(own "SELECT string_agg(v.code || ':' || a.result || ':' || a.reason, ',' ORDER BY v.code, a.id)
               FROM auth_log a JOIN vouchers v ON v.id = a.voucher_id
              WHERE v.code IN ('BOUND', 'DATAUSED', 'DISABLED', 'EXPIRED', 'REFUNDED', 'TIMEUSED', 'WRONGPW')")" \
	"BOUND:reject:wrong_router,BOUND:accept:accepted,DATAUSED:reject:data_used,DISABLED:reject:disabled,EXPIRED:reject:expired,REFUNDED:reject:refunded,TIMEUSED:reject:time_used,WRONGPW:reject:bad_password,WRONGPW:reject:bad_password" \
	"every decision is in the auth log with its reason"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "CODEONLY", User-Password = "CODEONLY", Calling-Station-Id = "AA:00:00:00:00:0C"')
t_like "$out" "Received Access-Accept" "a code-only voucher (its password is its code) is accepted"

# --- routers as clients ----------------------------------------------------------

out=$(auth 127.0.0.9 secret-r2 <<<'User-Name = "FREE", User-Password = "pw-free"')
t_like "$out" "No reply from server" "an address no router has gets no answer"
t_ok "the unknown address is logged" grep -q "no router has address 127.0.0.9" "$HS_SUITE_DIR/radiusd.log"
out=$(auth 127.0.0.2 wrong-secret <<<'User-Name = "FREE", User-Password = "pw-free"')
n_accept=$(grep -c "Received Access-Accept" <<<"$out")
t_is "$n_accept" 0 "a router's packet signed with another secret is not accepted"

out=$(auth 127.0.0.3 secret-r3 <<<'User-Name = "MAV", User-Password = "pw-ma"')
t_like "$out" "No reply from server" "a router that must send Message-Authenticator: none, no answer"
out=$(auth 127.0.0.3 secret-r3 <<<'User-Name = "MAV", User-Password = "pw-ma", Message-Authenticator = 0x00')
t_like "$out" "Received Access-Accept" "  with Message-Authenticator: accepted"

out=$(auth 127.0.0.1 "$SECRET" <<<'User-Name = "FREE", User-Password = "pw-free"')
t_like "$out" "No reply from server" "a static client that is no router in the database: no answer"

out=$(auth 127.0.0.6 'back\slash\' <<<'User-Name = "BSLASH", User-Password = "pw-bs", Calling-Station-Id = "AA:00:00:00:00:06"')
t_like "$out" "Received Access-Accept" "a router whose secret holds backslashes (one at the end) is a client with that secret"

# A router added now is a client within the refresh interval (1 s here).
own "INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret)
     VALUES ('$TA', 'r5', '127.0.0.5', 'secret-r5')" >/dev/null
sleep 2.5
out=$(auth 127.0.0.5 secret-r5 <<<'User-Name = "NEWROUTER", User-Password = "pw-new", Calling-Station-Id = "AA:00:00:00:00:09"')
t_like "$out" "Received Access-Accept" "a router added to the database is a client without a restart"

# --- repeated failures from one device -------------------------------------------

for i in 1 2 3 4 5; do
	auth 127.0.0.2 secret-r2 <<<'User-Name = "GUESS", User-Password = "wrong", Calling-Station-Id = "BB:00:00:00:00:01"' >/dev/null
done
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "GUESS", User-Password = "pw-guess", Calling-Station-Id = "BB:00:00:00:00:01"')
t_like "$(attr "$out" Reply-Message)" "Too many failed logins" \
	"after 5 failures the device is refused, even with the right password"
t_is "$(vcol GUESS "activated_at IS NULL")" t "  and the refused login changed nothing"
out=$(auth 127.0.0.2 secret-r2 <<<'User-Name = "OTHERDEV", User-Password = "pw-other", Calling-Station-Id = "BB:00:00:00:00:02"')
t_like "$out" "Received Access-Accept" "another device of the same hotspot is not slowed down"

# --- 50 concurrent logins for a one-user voucher ------------------------------------

req=$HS_SUITE_DIR/shared.req
: >"$req"
for i in $(seq 1 50); do
	printf 'Packet-Src-IP-Address = 127.0.0.2, User-Name = "SHARED1", User-Password = "pw-shared", Calling-Station-Id = "CC:00:00:00:00:%02X"\n\n' "$i" >>"$req"
done
# Replies only: radclient's complaints (stderr) would interleave with them.
out=$(radclient -x -t 10 -r 3 -p 50 -f "$req" "127.0.0.1:$AUTH_PORT" auth secret-r2 \
	2>"$HS_SUITE_DIR/shared.err")
echo "$out" >"$HS_SUITE_DIR/shared.out"
t_is "$(grep -c 'Received Access-Accept' <<<"$out")" 1 "50 concurrent logins from 50 devices, shared_users = 1: one accept"
t_is "$(grep -c 'Received Access-Reject' <<<"$out")" 49 "  and 49 rejects"
t_is "$(own "SELECT count(*) FROM events WHERE type = 'voucher.activated' AND payload->>'code' = 'SHARED1'")" 1 \
	"  the voucher is activated once"
: >"$req"
for i in $(seq 1 50); do
	printf 'Packet-Src-IP-Address = 127.0.0.2, User-Name = "SHARED1", User-Password = "pw-shared", Calling-Station-Id = "DD:00:00:00:00:%02X"\n\n' "$i" >>"$req"
done
out=$(radclient -x -t 10 -r 3 -p 50 -f "$req" "127.0.0.1:$AUTH_PORT" auth secret-r2 \
	2>"$HS_SUITE_DIR/shared2.err")
t_is "$(grep -c 'Received Access-Accept' <<<"$out")/$(grep -c 'Received Access-Reject' <<<"$out")" "0/50" \
	"50 more concurrent logins from other devices while its one slot is reserved: none accepted"

t_fail "no password appears in the server log" grep -qE "pw-pap|pw-chap|pw-free|pw-shared" \
	"$HS_SUITE_DIR/radiusd.log"
t_ok "freeradius still runs" hs_running radiusd
hs_kill radiusd
t_is "$?" 0 "freeradius exits 0 on SIGTERM"

# --- the database unreachable ---------------------------------------------------------

DEAD_PORT=$(hs_free_port tcp)
RADDB2=$HS_SUITE_DIR/raddb-down
gen "$RADDB2" DB_PORT="$DEAD_PORT" DB_CONNECT_TIMEOUT=1 >>"$HS_SUITE_DIR/gen.log" 2>&1
hs_spawn radiusd-down freeradius -f -l stdout -d "$RADDB2"
hs_wait_udp "$AUTH_PORT" 15
t_ok "freeradius starts while the database is unreachable" hs_running radiusd-down
t_ok "  and listens" port_in_use "$AUTH_PORT" udp
out=$(auth 127.0.0.1 "$SECRET" <<<'User-Name = "FREE", User-Password = "pw-free"')
t_like "$out" "No reply from server" "database unreachable: an Access-Request gets no answer"
t_fail "  never a reject" grep -q "Access-Reject" <<<"$out"
t_ok "the log says the database is unavailable" grep -q "voucher database unavailable" \
	"$HS_SUITE_DIR/radiusd-down.log"
t_ok "freeradius still runs" hs_running radiusd-down
hs_kill radiusd-down
t_is "$?" 0 "freeradius exits 0 on SIGTERM"

t_done
