#!/usr/bin/env bash
# The RADIUS path in SQL (sql/migrations/0008_radius_path.sql), called as
# the roles that call it in production: authorization decisions and their
# messages, password before state, activation, reservations and shared
# slots under concurrency, MAC lock, batched accounting (64-bit counters,
# duplicates, out-of-order and late records, lost Starts, Accounting-On),
# disconnect jobs, events, the sweeper and the disconnect worker's calls.
set -u
source "$HS_ROOT/tests/lib/harness.sh"

DB=hs_sql_radius
TA=aaaaaaaa-0000-4000-8000-000000000001
TB=bbbbbbbb-0000-4000-8000-000000000002
TC=cccccccc-0000-4000-8000-000000000003
PA=aaaaaaaa-0000-4000-8000-0000000000a1
PB=bbbbbbbb-0000-4000-8000-0000000000b1
PC=cccccccc-0000-4000-8000-0000000000c1
RA1=aaaaaaaa-0000-4000-8000-0000000000a3
RA2=aaaaaaaa-0000-4000-8000-0000000000a4
RB=bbbbbbbb-0000-4000-8000-0000000000b3
RC=cccccccc-0000-4000-8000-0000000000c3
NAS1=10.0.0.1 # router RA1 of tenant A
NAS2=10.0.0.2 # router RA2 of tenant A
NASB=10.0.0.3 # router RB of tenant B
NASC=10.0.0.4 # router RC of tenant C (suspended)

own() { hs_psql_as hs_owner "$DB" -At -c "$1"; }
rad() { hs_psql_as hs_radius "$DB" -At -c "$1"; }
worker() { hs_psql_as hs_worker "$DB" -At -c "$1"; }

# mkv CODE [SET-CLAUSE]: a voucher of tenant A (password pw, 1 day validity,
# one user), then the given changes.
mkv() {
	own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds)
	     VALUES ('$TA', '$1', 'pw', '$PA', 'UGX', 86400)" >/dev/null || return 1
	[ -z "${2:-}" ] || own "UPDATE vouchers SET $2 WHERE tenant_id = '$TA' AND code = '$1'" >/dev/null
}

# auth NAS USER PASSWORD MAC: PAP; prints result|reason|reply_message.
auth() {
	rad "SELECT concat_ws('|', result, reason, reply_message)
	       FROM hs_radius_authorize('$1', '$2', '$3', NULL, NULL, NULL, NULLIF('$4', ''), 300)"
}

# auth_full NAS USER PASSWORD MAC: every output column.
auth_full() {
	rad "SELECT concat_ws('|', result, reason, coalesce(session_timeout::text, '-'),
	            coalesce(data_left::text, '-'), coalesce(rate_limit, '-'),
	            coalesce(idle_timeout::text, '-'), durable)
	       FROM hs_radius_authorize('$1', '$2', '$3', NULL, NULL, NULL, NULLIF('$4', ''), 300)"
}

# chap NAS USER SECRET-TO-HASH MAC: CHAP with ident 7 and a fixed challenge;
# the response is md5(ident || SECRET || challenge), as a NAS computes it.
chap() {
	rad "SELECT concat_ws('|', result, reason)
	       FROM hs_radius_authorize('$1', '$2', NULL, 7, '\\x00112233445566778899aabbccddeeff',
	            decode(md5('\\x07'::bytea || convert_to('$3', 'UTF8')
	                       || '\\x00112233445566778899aabbccddeeff'::bytea), 'hex'), '$4', 300)"
}

# acct RECORD...: one batch; a record is "NAS TYPE UID USER MAC IN OUT TIME
# [CAUSE [AGE_S]]" ('-' = NULL; AGE_S seconds before now is the receive
# time). Prints "idx:result" for every record.
acct() {
	local rows="" n=0 r nas st uid user mac in out tm cause age
	for r in "$@"; do
		read -r nas st uid user mac in out tm cause age <<<"$r"
		n=$((n + 1))
		q() { [ "${1:--}" = - ] && echo NULL || echo "'$1'"; }
		rows+="${rows:+,}($n, $(q "$nas")::inet, $(q "$st")::int, $(q "$uid"), $(q "$uid")::text,
		       $(q "$user"), $(q "$mac"), NULL::inet, $(q "$in")::bigint, $(q "$out")::bigint,
		       $(q "$tm")::bigint, $(q "$cause"), now() - make_interval(secs => ${age:-0}))"
	done
	${ACCT_AS:-rad} "${ACCT_PRE:-}WITH v (n, nas, st, uid, sid, un, mac, fip, i, o, t, cause, at) AS (VALUES $rows)
	     SELECT string_agg(a.idx || ':' || a.result, ' ' ORDER BY a.idx)
	       FROM ${ACCT_FN:-hs_radius_accounting}(
	            (SELECT array_agg(nas ORDER BY n) FROM v), (SELECT array_agg(st ORDER BY n) FROM v),
	            (SELECT array_agg(uid ORDER BY n) FROM v), (SELECT array_agg(sid ORDER BY n) FROM v),
	            (SELECT array_agg(un ORDER BY n) FROM v), (SELECT array_agg(mac ORDER BY n) FROM v),
	            (SELECT array_agg(fip ORDER BY n) FROM v), (SELECT array_agg(i ORDER BY n) FROM v),
	            (SELECT array_agg(o ORDER BY n) FROM v), (SELECT array_agg(t ORDER BY n) FROM v),
	            (SELECT array_agg(cause ORDER BY n) FROM v), (SELECT array_agg(at ORDER BY n) FROM v)) a${ACCT_POST:-}"
}

# acct_path RECORD...: acct, then which way hs_radius_accounting took the
# batch: "fast", or "general" when it called hs__radius_accounting_all
# (counted in this transaction's function statistics).
acct_path() {
	ACCT_PRE="BEGIN; " ACCT_POST="; SELECT CASE WHEN EXISTS (
		SELECT 1 FROM pg_stat_xact_user_functions WHERE funcname = 'hs__radius_accounting_all')
		THEN 'general' ELSE 'fast' END; COMMIT" acct "$@" | grep -v '^BEGIN\|^SET\|^COMMIT' | paste -sd' '
}

# acct_general RECORD...: acct through 0008's general function directly.
acct_general() { ACCT_AS=own ACCT_FN=hs__radius_accounting_all acct "$@"; }

vcol() { own "SELECT $2 FROM vouchers WHERE tenant_id = '$TA' AND code = '$1'"; }
scol() { own "SELECT $2 FROM radius_sessions WHERE acct_unique_id = '$1'"; }
GiB=1073741824

# --- schema and privileges ------------------------------------------------------

t_ok "migrations apply to an empty database" hs_new_db "$DB"
t_is "$(own "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
	AND proname IN ('hs_radius_clients','hs_radius_authorize','hs_radius_accounting',
	'hs_radius_sweep','hs_router_coa_target','hs_radius_disconnect_result',
	'hs_radius_authorize_batch')
	AND prosecdef AND proconfig @> ARRAY['search_path=public, pg_temp']")" \
	7 "the RADIUS path functions are SECURITY DEFINER with a fixed search_path"

grants=$(own "SELECT string_agg(p.proname || ':' || r.rolname, ' ' ORDER BY p.proname, r.rolname)
	FROM pg_proc p CROSS JOIN pg_roles r
	WHERE p.pronamespace = 'public'::regnamespace AND r.rolname IN ('hs_api', 'hs_radius', 'hs_worker')
	AND (p.proname IN ('hs_radius_clients','hs_radius_authorize','hs_radius_accounting',
	     'hs_radius_sweep','hs_router_coa_target','hs_radius_disconnect_result','hs__voucher_cut',
	     'hs_radius_authorize_batch','hs__reject_message','hs__password_ok','hs__vouchers_cut',
	     'hs__radius_accounting_all'))
	AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')")
t_is "$grants" "hs_radius_accounting:hs_radius hs_radius_authorize:hs_radius hs_radius_authorize_batch:hs_radius hs_radius_clients:hs_radius hs_radius_disconnect_result:hs_worker hs_radius_sweep:hs_worker hs_router_coa_target:hs_worker" \
	"EXECUTE: hs_radius on the RADIUS calls, hs_worker on the worker calls, nobody on the helper"

t_ok "fixtures: three tenants, four routers" own "
INSERT INTO tenants (id, name, slug, time_zone, currency, is_active) VALUES
  ('$TA', 'Tenant A', 'tenant-a', 'Africa/Kampala', 'UGX', true),
  ('$TB', 'Tenant B', 'tenant-b', 'Europe/Paris', 'EUR', true),
  ('$TC', 'Tenant C', 'tenant-c', 'UTC', 'USD', false);
INSERT INTO profiles (id, tenant_id, name, currency) VALUES
  ('$PA', '$TA', 'P', 'UGX'), ('$PB', '$TB', 'P', 'EUR'), ('$PC', '$TC', 'P', 'USD');
INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret, coa_port,
                              require_message_authenticator) VALUES
  ('$RA1', '$TA', 'ra1', '$NAS1', 'secret-a1', 3799, true),
  ('$RA2', '$TA', 'ra2', '$NAS2', 'secret-a2', 1700, false),
  ('$RB', '$TB', 'rb', '$NASB', 'secret-b', 3799, false),
  ('$RC', '$TC', 'rc', '$NASC', 'secret-c', 3799, false);
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency) VALUES
  ('$TB', 'BCODE', 'pw', '$PB', 'EUR'), ('$TC', 'CCODE', 'pw', '$PC', 'USD');"

t_is "$(rad "SELECT string_agg(concat_ws(',', ip_address, radius_secret, require_message_authenticator, coa_port,
	tenant_id = '$TA' OR tenant_id = '$TB' OR tenant_id = '$TC', updated_at IS NOT NULL), ' ') FROM hs_radius_clients()")" \
	"10.0.0.1,secret-a1,t,3799,t,t 10.0.0.2,secret-a2,f,1700,t,t 10.0.0.3,secret-b,f,3799,t,t 10.0.0.4,secret-c,f,3799,t,t" \
	"hs_radius_clients lists every router with its secret, flags, CoA port and tenant"
t_fail "hs_api cannot authorize" hs_psql_as hs_api "$DB" -c \
	"SELECT * FROM hs_radius_authorize('$NAS1', 'x', 'y', NULL, NULL, NULL, NULL, 300)"
t_fail "hs_worker cannot authorize" hs_psql_as hs_worker "$DB" -c \
	"SELECT * FROM hs_radius_authorize('$NAS1', 'x', 'y', NULL, NULL, NULL, NULL, 300)"
t_fail "hs_radius cannot sweep" hs_psql_as hs_radius "$DB" -c "SELECT hs_radius_sweep(300)"
t_fail "hs_radius cannot read a router's CoA secret" hs_psql_as hs_radius "$DB" -c \
	"SELECT * FROM hs_router_coa_target('$RA1')"

# --- authorize: one decision per voucher state --------------------------------------

mkv OK1
mkv DIS "status = 'disabled'"
mkv REF "status = 'refunded'"
# 15:00 UTC is 18:00 in Kampala (UTC+3, no daylight saving).
mkv EXP "activated_at = '2025-11-23 15:00+00', expires_at = '2025-11-24 15:00+00'"
mkv EXPS "status = 'expired', activated_at = '2025-01-01 00:00+00', expires_at = '2025-01-02 07:30+00'"
# 16:00 UTC is 18:00 in Paris in July (CEST, UTC+2).
own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, activated_at, expires_at)
     VALUES ('$TB', 'BEXP', 'pw', '$PB', 'EUR', '2025-06-30 16:00+00', '2025-07-01 16:00+00')" >/dev/null
mkv DATA "data_limit_bytes = 1000, used_bytes = 1000"
mkv TIME "time_limit_seconds = 3600, used_seconds = 3600"
mkv USED "status = 'used'"
mkv BOUND "router_id = '$RA2'"
mkv UNB
mkv CHAP1
mkv CODEONLY "password = 'CODEONLY'"

# The batch call gets copies of these vouchers (code prefixed with Q), made
# before the single calls below change any of them.
own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds,
	status, activated_at, expires_at, data_limit_bytes, used_bytes, time_limit_seconds,
	used_seconds, router_id)
     SELECT tenant_id, 'Q' || code, password, profile_id, currency, validity_seconds, status,
	activated_at, expires_at, data_limit_bytes, used_bytes, time_limit_seconds, used_seconds,
	router_id FROM vouchers" >/dev/null

# name|nas|user|password|mac|expected result|reason|message
cases=$(cat <<EOF
active voucher|$NAS1|OK1|pw|AA:00:00:00:00:01|accept|accepted
unknown router address|10.9.9.9|OK1|pw|AA:00:00:00:00:01|unknown_client|unknown_client
unknown code|$NAS1|NOSUCH|pw|AA:00:00:00:00:01|reject|no_voucher|Invalid voucher code or password
wrong password|$NAS1|UNB|nope|AA:00:00:00:00:01|reject|bad_password|Invalid voucher code or password
voucher of another tenant|$NAS1|BCODE|pw|AA:00:00:00:00:01|reject|no_voucher|Invalid voucher code or password
suspended tenant|$NASC|CCODE|pw|AA:00:00:00:00:01|reject|tenant_disabled|This hotspot is not in service
disabled|$NAS1|DIS|pw|AA:00:00:00:00:01|reject|disabled|This voucher has been disabled
refunded|$NAS1|REF|pw|AA:00:00:00:00:01|reject|refunded|This voucher has been refunded
expired by the clock, in the tenant's time zone|$NAS1|EXP|pw|AA:00:00:00:00:01|reject|expired|Voucher expired on 2025-11-24 18:00
expired status|$NAS1|EXPS|pw|AA:00:00:00:00:01|reject|expired|Voucher expired on 2025-01-02 10:30
expired, tenant in Paris on summer time|$NASB|BEXP|pw|AA:00:00:00:00:01|reject|expired|Voucher expired on 2025-07-01 18:00
data used up|$NAS1|DATA|pw|AA:00:00:00:00:01|reject|data_used|Data limit reached
time used up|$NAS1|TIME|pw|AA:00:00:00:00:01|reject|time_used|Time limit reached
used status|$NAS1|USED|pw|AA:00:00:00:00:01|reject|used|This voucher has been used up
bound to another router|$NAS1|BOUND|pw|AA:00:00:00:00:01|reject|wrong_router|This voucher is not valid at this hotspot
bound, on its router|$NAS2|BOUND|pw|AA:00:00:00:00:01|accept|accepted
unbound, on another router of the tenant|$NAS2|UNB|pw|AA:00:00:00:00:01|accept|accepted
code-only voucher (password = code)|$NAS1|CODEONLY|CODEONLY|AA:00:00:00:00:01|accept|accepted
voucher of tenant B on its own router|$NASB|BCODE|pw|AA:00:00:00:00:01|accept|accepted
EOF
)
while IFS='|' read -r name nas user pw mac want; do
	[ -n "$name" ] || continue
	t_is "$(auth "$nas" "$user" "$pw" "$mac")" "$want" "authorize: $name"
done <<<"$cases"


t_is "$(chap "$NAS1" CHAP1 pw AA:00:00:00:00:02)" "accept|accepted" "CHAP with the right password"
t_is "$(chap "$NAS1" CHAP1 wrong AA:00:00:00:00:03)" "reject|bad_password" "CHAP with a wrong password"
t_is "$(rad "SELECT reason FROM hs_radius_authorize('$NAS1', 'CHAP1', NULL, 7, '\\x00', '\\x00', 'AA:00:00:00:00:03', 300)")" \
	"bad_password" "a malformed CHAP response is a wrong password, not an error"

t_is "$(vcol EXP status) $(vcol DATA status) $(vcol TIME status)" "expired used used" \
	"an expiry or a spent allowance seen by authorize is recorded on the voucher"
t_is "$(own "SELECT string_agg(payload->>'code' || ':' || (payload->>'reason'), ' ' ORDER BY id)
	FROM events WHERE type = 'voucher.exhausted'")" "EXP:expired BEXP:expired DATA:data_used TIME:time_used" \
	"voucher.exhausted events for them"

# Wrong password: nothing but an auth_log row.
mkv WRONG
before=$(own "SELECT count(*) FROM auth_log")
t_is "$(auth "$NAS1" WRONG bad AA:00:00:00:00:09)" "reject|bad_password|Invalid voucher code or password" \
	"wrong password on a fresh voucher"
t_is "$(vcol WRONG "activated_at IS NULL AND expires_at IS NULL AND locked_mac IS NULL")|$(own "
	SELECT count(*) FROM reservations r JOIN vouchers v ON v.id = r.voucher_id WHERE v.code = 'WRONG'")|$(own "
	SELECT count(*) - $before FROM auth_log")|$(own "
	SELECT count(*) FROM events WHERE payload->>'code' = 'WRONG'")" "t|0|1|0" \
	"a wrong password activates nothing, reserves nothing, writes one auth_log row and no event"
t_is "$(own "SELECT count(*) FROM auth_log WHERE reason = 'no_voucher' AND voucher_id IS NULL
	AND name_hash = encode(sha256('NOSUCH'::bytea), 'hex')")" 1 \
	"a name that matches no voucher is logged as its SHA-256"
t_is "$(own "SELECT count(DISTINCT v.code) FROM auth_log a JOIN vouchers v ON v.id = a.voucher_id
	WHERE a.reason = 'bad_password' AND v.code IN ('UNB', 'WRONG', 'CHAP1') AND a.name_hash IS NULL")" 3 \
	"a wrong password is logged against the voucher id"
t_is "$(own "SELECT count(*) FROM auth_log WHERE tenant_id = '$TA' AND reason = 'no_voucher'")" 2 \
	"another tenant's voucher is logged in the router's tenant as an unknown name"

# --- activation ---------------------------------------------------------------------

mkv ACT "validity_seconds = 7200"
t_is "$(auth_full "$NAS1" ACT pw AA:00:00:00:01:01)" "accept|accepted|7200|-|-|-|t" \
	"first login: accepted, Session-Timeout = validity, durable"
t_is "$(vcol ACT "activated_at IS NOT NULL AND expires_at = activated_at + interval '7200 seconds'")" t \
	"first login activates: expires_at = activated_at + validity"
t_is "$(own "SELECT count(*) FROM events WHERE type = 'voucher.activated' AND payload->>'code' = 'ACT'")" 1 \
	"voucher.activated event"
t_like "$(auth_full "$NAS1" ACT pw AA:00:00:00:01:01)" '^accept\|accepted\|71(99|98|97)\|-\|-\|-\|f$' \
	"a later login of the same device activates nothing and is not durable"
t_is "$(own "SELECT count(*) FROM events WHERE type = 'voucher.activated' AND payload->>'code' = 'ACT'")" 1 \
	"no second activation event"

t_is "$(rad "BEGIN; SELECT durable FROM hs_radius_authorize('$NAS1', 'ACT', 'pw', NULL, NULL, NULL, 'AA:00:00:00:01:01', 300);
	SHOW synchronous_commit; COMMIT; SHOW synchronous_commit;" | tr '\n' ' ')" "f off on " \
	"without a durable change the function turns synchronous_commit off for its transaction only"
mkv ACT2
t_is "$(rad "BEGIN; SELECT durable FROM hs_radius_authorize('$NAS1', 'ACT2', 'pw', NULL, NULL, NULL, 'AA:00:00:00:01:02', 300);
	SHOW synchronous_commit; COMMIT;" | tr '\n' ' ')" "t on " \
	"an activation keeps synchronous_commit on"
t_is "$(rad "BEGIN; SELECT durable FROM hs_radius_authorize('$NAS1', 'ACT2', 'bad', NULL, NULL, NULL, 'AA:00:00:00:01:02', 300);
	SHOW synchronous_commit; COMMIT;" | tr '\n' ' ')" "f off " \
	"a reject turns synchronous_commit off"
# The batch the module calls: a first use among its requests makes its commit
# durable (the caller's setting); a batch of soft state alone does not.
mkv ACT3
t_is "$(rad "BEGIN; SELECT count(*) FROM hs_radius_authorize_batch('{$NAS1,$NAS1}'::inet[], '{ACT3,ACT}'::text[],
	'{pw,pw}'::text[], NULL::int[], NULL::bytea[], NULL::bytea[], '{AA:00:00:00:01:04,AA:00:00:00:01:01}'::text[], 300)
	WHERE result = 'accept'; SHOW synchronous_commit; COMMIT; SHOW synchronous_commit;" | tr '\n' ' ')" "2 on on " \
	"a batch with a first use commits durably (synchronous_commit stays on)"
t_is "$(rad "BEGIN; SELECT count(*) FROM hs_radius_authorize_batch('{$NAS1,$NAS1}'::inet[], '{ACT3,ACT}'::text[],
	'{pw,bad}'::text[], NULL::int[], NULL::bytea[], NULL::bytea[], '{AA:00:00:00:01:04,AA:00:00:00:01:01}'::text[], 300)
	WHERE result = 'accept'; SHOW synchronous_commit; COMMIT; SHOW synchronous_commit;" | tr '\n' ' ')" "1 off on " \
	"  one of soft state only (a later login, a reject) turns it off for its transaction only"

# auto_activate: validity ran from the sale; the first login keeps expires_at.
mkv AUTO "auto_activate = true, activated_at = now() - interval '1 hour', expires_at = now() + interval '100 seconds', time_limit_seconds = 7200"
t_like "$(auth_full "$NAS1" AUTO pw AA:00:00:00:01:03)" '^accept\|accepted\|(100|99|98)\|-\|-\|-\|f$' \
	"Session-Timeout is the time to expiry when that is smaller than the time left"

# --- reply attributes -----------------------------------------------------------------

mkv BIG "data_limit_bytes = 6 * $GiB::bigint, used_bytes = $GiB, time_limit_seconds = 7200, used_seconds = 600,
	shared_users = 2, rate_limit = '2M/2M', idle_timeout_s = 300"
t_is "$(auth_full "$NAS1" BIG pw AA:00:00:00:02:01)" "accept|accepted|6600|$((5 * GiB / 2))|2M/2M|300|t" \
	"reply: time left, data left above 4 GiB split over 2 shared users, rate limit, idle timeout"
mkv UNL "validity_seconds = NULL"
t_is "$(auth_full "$NAS1" UNL pw AA:00:00:00:02:02)" "accept|accepted|-|-|-|-|t" \
	"an unlimited voucher gets no limit at all"
mkv TINY "data_limit_bytes = 1000, used_bytes = 999, shared_users = 3"
t_is "$(auth_full "$NAS1" TINY pw AA:00:00:00:02:03 | cut -d'|' -f1,4)" "accept|1" \
	"a remainder smaller than the number of shared users still grants 1 byte"

# --- shared slots and reservations ------------------------------------------------------

mkv SU1
t_is "$(auth "$NAS1" SU1 pw AA:00:00:00:03:01)" "accept|accepted" "shared_users 1: the first device"
t_is "$(own "SELECT count(*) FROM reservations r JOIN vouchers v ON v.id = r.voucher_id
	WHERE v.code = 'SU1' AND r.calling_station_id = 'AA:00:00:00:03:01' AND r.router_id = '$RA1'
	AND r.expires_at BETWEEN now() + interval '110 seconds' AND now() + interval '121 seconds'")" 1 \
	"the accept reserves (voucher, router, MAC) for 120 s"
t_is "$(auth "$NAS1" SU1 pw AA:00:00:00:03:02)" \
	"reject|max_sessions|This voucher is already in use on another device" \
	"another device is rejected while the slot is reserved"
t_is "$(auth "$NAS2" SU1 pw AA:00:00:00:03:01)" \
	"reject|max_sessions|This voucher is already in use on another device" \
	"the same MAC behind another router is another device"
t_is "$(auth "$NAS1" SU1 pw aa:00:00:00:03:01)" "accept|accepted" \
	"the same device logging in again is accepted (MAC case does not matter)"
t_is "$(acct "$NAS1 1 su1-a SU1 AA:00:00:00:03:01 - - -")" "1:ok" "Accounting-Start of that device"
t_is "$(own "SELECT count(*) FROM reservations r JOIN vouchers v ON v.id = r.voucher_id WHERE v.code = 'SU1'")" 0 \
	"the Start consumes the reservation"
t_is "$(auth "$NAS1" SU1 pw AA:00:00:00:03:02)" \
	"reject|max_sessions|This voucher is already in use on another device" \
	"another device is rejected while the session is open"
own "UPDATE radius_sessions SET last_update_at = now() - interval '901 seconds' WHERE acct_unique_id = 'su1-a'" >/dev/null
t_is "$(auth "$NAS1" SU1 pw AA:00:00:00:03:02)" "accept|accepted" \
	"a session silent for 3 interim intervals no longer holds the slot"
t_is "$(scol su1-a "stopped_at = last_update_at AND terminate_cause = 'Stale'")" t \
	"authorize closes the stale session it found"
own "UPDATE reservations SET expires_at = now() - interval '1 second'" >/dev/null
t_is "$(auth "$NAS1" SU1 pw AA:00:00:00:03:03)" "accept|accepted" "an expired reservation frees its slot"

mkv SU2 "shared_users = 2"
t_is "$(auth "$NAS1" SU2 pw AA:00:00:00:04:01) $(auth "$NAS2" SU2 pw AA:00:00:00:04:02)" \
	"accept|accepted accept|accepted" "shared_users 2: two devices"
t_is "$(auth "$NAS1" SU2 pw AA:00:00:00:04:03)" \
	"reject|max_sessions|This voucher is already in use on 2 devices" "a third device is rejected"

mkv NOMAC
t_is "$(auth "$NAS1" NOMAC pw '' | cut -d'|' -f2) $(auth "$NAS1" NOMAC pw '' | cut -d'|' -f2)" "accepted max_sessions" \
	"without Calling-Station-Id a login is never taken for a re-login"

# --- MAC lock ---------------------------------------------------------------------------

mkv MACL "mac_lock = true, shared_users = 2"
t_is "$(auth "$NAS1" MACL pw AA:00:00:00:05:01)" "accept|accepted" "MAC lock: the first device"
t_is "$(vcol MACL locked_mac)" "AA:00:00:00:05:01" "the first device's Calling-Station-Id binds the voucher"
t_is "$(auth "$NAS1" MACL pw AA:00:00:00:05:02)" \
	"reject|mac_locked|This voucher is locked to another device" "another device is refused"
t_is "$(auth "$NAS2" MACL pw AA:00:00:00:05:01)" "accept|accepted" "the bound device, on another router"

# --- concurrency: 50 simultaneous logins from different devices -----------------------------

# run_herd CODE TAG: 50 authorize calls for CODE from 50 MACs, released at
# the same instant (all wait on an advisory lock a holder drops), each
# bounded by a timeout. Prints the number of accepts.
run_herd() {
	local code=$1 tag=$2 i dir="$HS_SUITE_DIR/herd-$2"
	mkdir -p "$dir"
	hs_psql_as hs_owner "$DB" -At -c "SELECT pg_advisory_lock(4242); SELECT pg_sleep(3)" >/dev/null &
	local holder=$!
	sleep 0.5
	for i in $(seq 1 50); do
		timeout 30 env PGPASSWORD="$HS_PW_RADIUS" psql -X -q -At -h 127.0.0.1 -p "$PGPORT" -U hs_radius -d "$DB" \
			-c "SELECT pg_advisory_lock_shared(4242)" \
			-c "SELECT result FROM hs_radius_authorize('$NAS1', '$code', 'pw', NULL, NULL, NULL,
			     'BB:00:00:00:$(printf %02X "$i"):$tag', 300)" >"$dir/$i.out" 2>&1 &
	done
	wait
	cat "$dir"/*.out | grep -c '^accept$'
	grep -L '^\(accept\|reject\)$' "$dir"/*.out | head -n 3 | xargs -r cat >&2
	: "$holder"
}

mkv HERD
t_is "$(run_herd HERD 01)" 1 "50 concurrent first logins of a shared_users 1 voucher: exactly one accept"
t_is "$(own "SELECT count(*) FROM events WHERE type = 'voucher.activated' AND payload->>'code' = 'HERD'")|$(own "
	SELECT count(*) FROM reservations r JOIN vouchers v ON v.id = r.voucher_id WHERE v.code = 'HERD'")|$(own "
	SELECT count(*) FILTER (WHERE result = 'accept') || '/' || count(*) FROM auth_log a JOIN vouchers v ON v.id = a.voucher_id
	WHERE v.code = 'HERD'")" "1|1|1/50" "activated once, one reservation, 50 decisions logged"
t_is "$(run_herd HERD 02)" 0 "50 concurrent logins from other devices while the slot is held: none accepted"

# --- accounting ------------------------------------------------------------------------

mkv ACC "data_limit_bytes = 100 * $GiB::bigint"
t_is "$(acct "10.9.9.9 1 x1 ACC AA:00:00:00:06:01 - - -" "$NAS1 1 acc-1 ACC AA:00:00:00:06:01 - - -")" \
	"1:unknown_client 2:ok" "a record from an unknown address is unknown_client; the others apply"
t_is "$(own "SELECT count(*) FROM radius_sessions WHERE acct_unique_id = 'x1'")" 0 \
	"nothing is stored for an unknown address"
t_is "$(acct "$NAS1 5 acc-x ACC - - - -" "$NAS1 3 - ACC - 1 1 1" "$NAS1 3 acc-y ACC - -5 1 1" \
	"$NAS1 3 acc-z - - 1 1 1" "$NAS1 3 acc-1 ACC - 10 20 30")" \
	"1:invalid 2:invalid 3:invalid 4:invalid 5:ok" \
	"unknown status type, missing ids, negative counters, missing user: invalid; the rest applies"

# 64-bit: 6 GiB + 5 in (Gigawords 6), 4 GiB + 7 out.
IN1=$((6 * GiB + 5)) OUT1=$((4 * GiB + 7))
t_is "$(acct "$NAS1 3 acc-1 ACC - $IN1 $OUT1 600")" "1:ok" "Interim above 4 GiB"
t_is "$(scol acc-1 "input_octets || ' ' || output_octets || ' ' || session_time")" "$IN1 $OUT1 600" \
	"64-bit counters stored exactly"
t_is "$(vcol ACC "used_bytes || ' ' || used_seconds")" "$((IN1 + OUT1)) 600" \
	"the voucher counts the session's bytes (in + out) and seconds exactly"
t_is "$(acct "$NAS1 3 acc-1 ACC - $IN1 $OUT1 600" "$NAS1 3 acc-1 ACC - $IN1 $OUT1 600")" "1:ok 2:ok" \
	"the same Interim twice, in one batch, after it was applied"
t_is "$(vcol ACC used_bytes)" "$((IN1 + OUT1))" "a retransmitted Interim adds nothing"
t_is "$(acct "$NAS1 3 acc-1 ACC - 1000 1000 300 - 120")" "1:ok" "an older Interim arriving late"
t_is "$(scol acc-1 "input_octets || ' ' || session_time") $(vcol ACC "used_bytes || ' ' || used_seconds")" \
	"$IN1 600 $((IN1 + OUT1)) 600" "an out-of-order Interim lowers nothing and adds nothing"
IN2=$((IN1 + 1000)) OUT2=$((OUT1 + 2000))
t_is "$(acct "$NAS1 3 acc-1 ACC - $IN2 $OUT1 650" "$NAS1 2 acc-1 ACC - $IN2 $OUT2 700 User-Request")" "1:ok 2:ok" \
	"an Interim and the Stop of the same session in one batch"
t_is "$(vcol ACC "used_bytes || ' ' || used_seconds")" "$((IN2 + OUT2)) 700" \
	"the voucher grows by the session's growth once"
t_is "$(scol acc-1 "stopped_at IS NOT NULL AND terminate_cause = 'User-Request'")" t "the Stop closes the session"
stopped=$(scol acc-1 stopped_at)
t_is "$(acct "$NAS1 3 acc-1 ACC - $IN2 $OUT2 700" "$NAS1 2 acc-1 ACC - $IN2 $OUT2 700 Lost-Carrier")" "1:ok 2:ok" \
	"a late Interim and a duplicate Stop"
t_is "$(scol acc-1 "stopped_at = '$stopped' AND terminate_cause = 'User-Request'")" t \
	"a stopped session is never reopened, nor its Stop rewritten"

# Several sessions of one voucher: used_bytes is exactly the sum.
mkv MULTI "shared_users = 3"
acct "$NAS1 1 m-1 MULTI AA:00:00:00:07:01 - - -" "$NAS2 1 m-2 MULTI AA:00:00:00:07:02 - - -" >/dev/null
acct "$NAS1 3 m-1 MULTI - 100 10 60" "$NAS2 3 m-2 MULTI - 200 20 60" >/dev/null
acct "$NAS2 3 m-2 MULTI - 150 15 30 - 200" "$NAS1 3 m-1 MULTI - 300 30 120" "$NAS1 3 m-1 MULTI - 300 30 120" >/dev/null
acct "$NAS1 2 m-1 MULTI - 400 40 180 User-Request" "$NAS1 1 m-3 MULTI AA:00:00:00:07:03 - - -" >/dev/null
acct "$NAS2 2 m-2 MULTI - 500 50 240 Idle-Timeout" "$NAS1 3 m-3 MULTI - 7 3 10" >/dev/null
acct "$NAS1 3 m-3 MULTI - 7 3 10" "$NAS1 3 m-1 MULTI - 1 1 1" >/dev/null
t_is "$(vcol MULTI "used_bytes || ' ' || used_seconds")" "$((400 + 40 + 500 + 50 + 7 + 3)) $((180 + 240 + 10))" \
	"used bytes and seconds are exact over several sessions, duplicates and stale records"
t_is "$(own "SELECT sum(input_octets + output_octets) || ' ' || sum(session_time) FROM radius_sessions
	WHERE username = 'MULTI'")" "1000 430" "and equal the sum of the sessions"

# A lost Start: the Interim creates the session.
mkv LOST
t_is "$(acct "$NAS1 3 lost-1 LOST AA:00:00:00:08:01 500 500 300")" "1:ok" "an Interim for an unknown session"
t_is "$(scol lost-1 "stopped_at IS NULL AND started_at BETWEEN now() - interval '301 seconds'
	AND now() - interval '299 seconds' AND voucher_id IS NOT NULL")" t \
	"creates it, started session-time seconds before"
t_is "$(vcol LOST used_bytes)" 1000 "and counts its bytes"
t_is "$(acct "$NAS1 2 lost-2 LOST AA:00:00:00:08:01 10 10 20 Lost-Carrier")" "1:ok" "a Stop for an unknown session"
t_is "$(scol lost-2 "stopped_at IS NOT NULL AND terminate_cause = 'Lost-Carrier'") $(vcol LOST used_bytes)" "t 1020" \
	"creates it closed and counts its bytes"
t_is "$(acct "$NAS1 3 nobody-1 NOSUCHCODE - 5 5 5")" "1:ok" "a session whose user matches no voucher is kept"
t_is "$(scol nobody-1 "voucher_id IS NULL")" t "without a voucher"

# Accounting-On / Off: the router's sessions end, the other router's do not.
mkv REB "shared_users = 5"
acct "$NAS1 1 reb-1 REB AA:00:00:00:09:01 - - -" "$NAS1 1 reb-2 REB AA:00:00:00:09:02 - - -" \
	"$NAS2 1 reb-3 REB AA:00:00:00:09:03 - - -" >/dev/null
t_is "$(acct "$NAS1 7 - - - - - -")" "1:ok" "Accounting-On"
t_is "$(own "SELECT string_agg(acct_unique_id || ':' || coalesce(terminate_cause, 'open'), ' ' ORDER BY acct_unique_id)
	FROM radius_sessions WHERE username = 'REB'")" "reb-1:NAS-Reboot reb-2:NAS-Reboot reb-3:open" \
	"Accounting-On closes that router's open sessions only"
t_is "$(acct "$NAS2 1 reb-4 REB AA:00:00:00:09:04 - - - - 5" "$NAS2 8 - - - - - - - 0" \
	"$NAS2 1 reb-5 REB AA:00:00:00:09:05 - - - - -1")" "1:ok 2:ok 3:ok" \
	"a Start, Accounting-Off and a later Start in one batch"
t_is "$(own "SELECT string_agg(acct_unique_id || ':' || coalesce(terminate_cause, 'open'), ' ' ORDER BY acct_unique_id)
	FROM radius_sessions WHERE username = 'REB' AND router_id = '$RA2'")" "reb-3:NAS-Request reb-4:NAS-Request reb-5:open" \
	"Accounting-Off closes what was heard of before it, not the Start after it"

t_is "$(own "SELECT count(*) FILTER (WHERE type = 'session.started') || ' ' || count(*) FILTER (WHERE type = 'session.stopped')
	FROM events WHERE payload->>'username' = 'REB'")" "5 4" "session.started and session.stopped events"

# --- quota passed mid-session: one disconnect job per live session ------------------------

mkv QUOTA "data_limit_bytes = 1000, shared_users = 2"
acct "$NAS1 1 q-1 QUOTA AA:00:00:00:0A:01 - - -" "$NAS2 1 q-2 QUOTA AA:00:00:00:0A:02 - - -" >/dev/null
framed=$(own "UPDATE radius_sessions SET framed_ip = '10.5.0.9' WHERE acct_unique_id = 'q-1' RETURNING framed_ip")
acct "$NAS1 3 q-1 QUOTA - 300 100 60" >/dev/null
t_is "$(own "SELECT count(*) FROM jobs WHERE kind = 'radius.disconnect'")" 0 "no disconnect while within the quota"
t_is "$(acct "$NAS2 3 q-2 QUOTA - 500 200 60")" "1:ok" "an Interim that takes the voucher past its quota"
t_is "$(vcol QUOTA "status || ' ' || used_bytes")" "used 1100" "the voucher is marked used"
t_is "$(own "SELECT string_agg(concat_ws(',', j.payload->>'router_id' = s.router_id::text, j.payload->>'nas_ip',
	j.payload->>'coa_port', j.payload->>'user_name', j.payload->>'acct_session_id', coalesce(j.payload->>'framed_ip', '-'),
	j.payload->>'session_id' = s.id::text, j.payload->>'reason', j.dedup_key = 'radius.disconnect:' || s.id,
	j.tenant_id = '$TA', j.payload::text LIKE '%secret%'), ' ' ORDER BY s.acct_unique_id)
	FROM jobs j JOIN radius_sessions s ON s.id = (j.payload->>'session_id')::uuid WHERE j.kind = 'radius.disconnect'")" \
	"t,10.0.0.1,3799,QUOTA,q-1,$framed,t,data_used,t,t,f t,10.0.0.2,1700,QUOTA,q-2,-,t,data_used,t,t,f" \
	"one radius.disconnect job per live session, with the router's address and CoA port, never the secret"
acct "$NAS1 3 q-1 QUOTA - 400 150 120" "$NAS2 3 q-2 QUOTA - 600 250 120" >/dev/null
acct "$NAS1 3 q-1 QUOTA - 400 150 120" >/dev/null
t_is "$(own "SELECT count(*) FROM jobs WHERE kind = 'radius.disconnect'")|$(own "
	SELECT count(*) FROM events WHERE type = 'voucher.exhausted' AND payload->>'code' = 'QUOTA'")|$(vcol QUOTA used_bytes)" \
	"2|1|1400" "more Interims while the router has not cut yet: no second job or event, usage still exact"
t_is "$(scol q-1 "disconnect_reason || ' ' || (disconnect_queued_at IS NOT NULL)::text")" "data_used true" \
	"the session records that its disconnect is queued"

mkv TQ "time_limit_seconds = 100"
acct "$NAS1 1 tq-1 TQ AA:00:00:00:0B:01 - - -" >/dev/null
acct "$NAS1 3 tq-1 TQ - 1 1 120" >/dev/null
t_is "$(vcol TQ status) $(own "SELECT payload->>'reason' FROM jobs j WHERE j.payload->>'user_name' = 'TQ'")" \
	"used time_used" "passing the time allowance queues a disconnect too"

mkv LIVE
acct "$NAS1 1 live-1 LIVE AA:00:00:00:0C:01 - - -" >/dev/null
own "UPDATE vouchers SET status = 'disabled' WHERE code = 'LIVE'" >/dev/null
acct "$NAS1 3 live-1 LIVE - 1 1 60" >/dev/null
t_is "$(own "SELECT payload->>'reason' FROM jobs j WHERE j.payload->>'user_name' = 'LIVE'")" "disabled" \
	"a voucher disabled while its session is live: the next Interim queues the disconnect"

# At most one NOTIFY per batch (a LISTEN in the same connection sees them).
notes=$(printf '%s\n' "LISTEN hs_events;" "LISTEN hs_jobs;" "SELECT count(*) FROM hs_radius_accounting(
	ARRAY['$NAS1','$NAS1','$NAS1','$NAS1']::inet[], ARRAY[1,1,2,2], ARRAY['n-1','n-2','n-3','n-4'],
	ARRAY['n-1','n-2','n-3','n-4'], ARRAY['LIVE','LIVE','NOSUCH','NOSUCH'], NULL::text[], NULL::inet[],
	NULL::bigint[], NULL::bigint[], NULL::bigint[], NULL::text[], ARRAY[now(), now(), now(), now()]);" |
	hs_psql_as hs_radius "$DB" -At 2>&1)
t_is "$(grep -c 'notification "hs_events"' <<<"$notes") $(grep -c 'notification "hs_jobs"' <<<"$notes")" "1 1" \
	"a batch with many events and disconnect jobs sends one NOTIFY per channel"

# --- Interim-Updates of stored sessions: the fast path ------------------------------------
# (0021) A batch of Interims of stored sessions goes the fast way; every
# result must equal the general function's on the same records: voucher F*
# gets them through hs_radius_accounting, its twin G* through 0008's
# general function directly.

hs_psql_super -d "$DB" -c "ALTER ROLE hs_radius IN DATABASE $DB SET track_functions = 'all'" >/dev/null
for p in F G; do
	mkv ${p}Q "data_limit_bytes = 1000, shared_users = 2"
	mkv ${p}T "time_limit_seconds = 100"
	mkv ${p}U "shared_users = 2"
	mkv ${p}E "shared_users = 2"
	mkv ${p}D
	acct "$NAS1 1 ${p}q-1 ${p}Q AA:00:00:00:0F:01 - - -" "$NAS2 1 ${p}q-2 ${p}Q AA:00:00:00:0F:02 - - -" \
		"$NAS1 1 ${p}t-1 ${p}T AA:00:00:00:0F:03 - - -" "$NAS1 1 ${p}u-1 ${p}U AA:00:00:00:0F:04 - - -" \
		"$NAS1 1 ${p}u-2 ${p}U AA:00:00:00:0F:05 - - -" "$NAS1 1 ${p}e-1 ${p}E AA:00:00:00:0F:06 - - -" \
		"$NAS2 1 ${p}e-2 ${p}E AA:00:00:00:0F:07 - - -" "$NAS1 1 ${p}d-1 ${p}D AA:00:00:00:0F:08 - - -" >/dev/null
done
own "UPDATE radius_sessions SET framed_ip = '10.5.0.7' WHERE acct_unique_id IN ('Fu-1', 'Gu-1', 'Fe-1', 'Ge-1')" >/dev/null
# E* expires while both its sessions are live, D* is disabled while its one is.
own "UPDATE vouchers SET expires_at = now() - interval '1 second' WHERE code IN ('FE', 'GE');
     UPDATE vouchers SET status = 'disabled' WHERE code IN ('FD', 'GD')" >/dev/null
fu_touched=$(vcol FU updated_at)
# step "RECORD..." with P for the voucher's letter
fast_steps=(
	"$NAS1 3 Pq-1 PQ - 100 50 60|$NAS2 3 Pq-2 PQ - 200 0 30|$NAS1 3 Pu-1 PU - 5 5 5|$NAS1 3 Pu-2 PU - 7 7 7"
	"$NAS1 3 Pq-1 PQ - 90 40 50 - 60"
	"$NAS1 3 Pq-1 PQ - 100 50 60|$NAS1 3 Pu-1 PU - $((5 * GiB)) $((3 * GiB)) 65"
	"$NAS2 3 Pq-2 PQ - 700 100 90|$NAS1 3 Pt-1 PT - 1 1 120"
	"$NAS1 3 Pq-1 PQ - 150 60 120|$NAS1 3 Pt-1 PT - 2 2 130|$NAS1 3 Pu-2 PU - 7 7 7"
	"$NAS1 3 Pe-1 PE - - - -|$NAS1 3 Pd-1 PD - 3 3 3"
	"$NAS2 3 Pe-2 PE - 9 9 9|$NAS1 3 Pd-1 PD - 4 4 4"
)
paths="" same_results=1
for st in "${fast_steps[@]}"; do
	IFS='|' read -r -a recs <<<"${st//P/F}"
	got_f=$(acct_path "${recs[@]}")
	IFS='|' read -r -a recs <<<"${st//P/G}"
	got_g=$(acct_general "${recs[@]}")
	paths+="${got_f##* } "
	[ "${got_f% *}" = "$got_g" ] || same_results=0
done
t_is "$paths" "fast fast fast fast fast fast fast " "batches of Interims of stored sessions go the fast way"
t_is "$same_results" 1 "  with the general function's per-record results"
twin() {
	own "SELECT string_agg(concat_ws(',', right(s.acct_unique_id, 3), s.input_octets, s.output_octets, s.session_time,
	            s.interim_count, coalesce(host(s.framed_ip), '-'), coalesce(s.calling_station_id, '-'),
	            s.stopped_at IS NULL, s.last_update_at > now() - interval '1 minute',
	            coalesce(s.disconnect_reason, '-'), s.disconnect_queued_at IS NOT NULL,
	            (SELECT string_agg(concat_ws(';', j.status, j.max_attempts, j.payload - 'session_id' - 'user_name' - 'acct_session_id',
	                                         j.payload->>'session_id' = s.id::text,
	                                         j.payload->>'user_name' = s.username,
	                                         j.payload->>'acct_session_id' = s.acct_session_id), '/')
	               FROM jobs j WHERE j.dedup_key = 'radius.disconnect:' || s.id)), ' '
	            ORDER BY s.acct_unique_id)
	       FROM radius_sessions s WHERE s.acct_unique_id LIKE '$1%'"
}
vtwin() {
	own "SELECT string_agg(concat_ws(',', right(v.code, 1), v.status, v.used_bytes, v.used_seconds,
	            (SELECT string_agg(e.payload->>'reason' || ';' || (e.payload->>'code' = v.code), '/')
	               FROM events e WHERE e.type = 'voucher.exhausted' AND e.payload->>'voucher_id' = v.id::text)),
	            ' ' ORDER BY v.code)
	       FROM vouchers v WHERE v.code IN ('$1Q', '$1T', '$1U', '$1E', '$1D')"
}
t_is "$(twin F)" "$(twin G)" "  the sessions end the same: counters, interim counts, addresses, disconnect marks and jobs"
t_is "$(vtwin F)" "$(vtwin G)" "  the vouchers end the same: status, used bytes and seconds, voucher.exhausted events"
t_is "$(vtwin F)" "D,disabled,8,4 E,expired,18,9,expired;true Q,used,1010,210,data_used;true T,used,4,130,time_used;true U,active,$((8 * GiB + 14)),72" \
	"  and are right: out-of-order and repeated Interims add nothing, quotas are cut, 8 GiB counted exactly"
t_is "$(own "SELECT string_agg(payload->>'user_name' || ':' || (payload->>'reason'), ' ' ORDER BY payload->>'user_name')
	     FROM jobs WHERE payload->>'user_name' IN ('FQ', 'FT', 'FE', 'FD')")" \
	"FD:disabled FE:expired FE:expired FQ:data_used FQ:data_used FT:time_used" \
	"  one disconnect job per live session of a voucher no longer usable, never a second"
t_is "$(scol Fe-1 "disconnect_reason") $(own "SELECT payload->>'framed_ip' FROM jobs
	     WHERE dedup_key = (SELECT 'radius.disconnect:' || id FROM radius_sessions WHERE acct_unique_id = 'Fe-1')")" \
	"expired 10.5.0.7" "  a session of the batch is cut with its stored address"
t_is "$(scol Fe-2 "disconnect_reason || ' ' || (disconnect_queued_at < last_update_at)")" "expired true" \
	"  a session outside the batch is cut with its voucher's reason, before its own next Interim"
t_is "$(vcol FU updated_at)" "$fu_touched" "  Interims leave a voucher's updated_at alone"
t_is "$(own "SELECT count(*) FROM vouchers WHERE code IN ('FQ', 'FT', 'FE') AND updated_at > '$fu_touched'")" 3 \
	"  a cut moves it"

mkv FX "shared_users = 3"
acct "$NAS1 1 fx-1 FX AA:00:00:00:0F:11 - - -" "$NAS1 1 fx-2 FX AA:00:00:00:0F:12 - - -" >/dev/null
t_is "$(acct_path "$NAS1 3 fx-1 FX - 1 1 1" "$NAS1 3 fx-1 FX - 2 2 2")" "1:ok 2:ok general" \
	"the same session twice in a batch goes the general way"
t_is "$(acct_path "$NAS1 3 fx-1 FX - 3 3 3" "$NAS1 3 fx-3 FX - 1 1 1")" "1:ok 2:ok general" \
	"a session not stored yet goes the general way (with the stored one)"
t_is "$(acct_path "$NAS1 3 fx-1 FX - 4 4 4" "$NAS1 3 fx-2 FX - -1 1 1")" "1:ok 2:invalid general" \
	"an invalid record goes the general way, which refuses it alone"
t_is "$(acct_path "$NAS1 3 fx-1 FX - 5 5 5" "10.9.9.9 3 fx-2 FX - 1 1 1")" "1:ok 2:unknown_client general" \
	"a record of an unknown router goes the general way"
t_is "$(acct_path "$NAS1 3 fx-1 FX - 6 6 6" "$NAS1 2 fx-2 FX - 1 1 1 User-Request")" "1:ok 2:ok general" \
	"a Stop goes the general way"
t_is "$(acct_path "$NAS1 3 fx-1 FX - 7 7 7" "$NAS1 3 fx-2 FX - 2 2 2")" "1:ok 2:ok fast" \
	"an Interim of a stopped session with a live one goes the fast way"
t_is "$(scol fx-2 "stopped_at IS NOT NULL AND input_octets = 2") $(vcol FX used_bytes)" "t 20" \
	"  it raises the stopped session's counters without reopening it, and the voucher counts every session exactly"

# --- the sweeper and the disconnect worker -------------------------------------------------

mkv SWEEP "shared_users = 3"
acct "$NAS1 1 sw-1 SWEEP AA:00:00:00:0D:01 - - -" "$NAS1 1 sw-2 SWEEP AA:00:00:00:0D:02 - - -" >/dev/null
own "UPDATE radius_sessions SET last_update_at = now() - interval '2000 seconds' WHERE acct_unique_id = 'sw-1'" >/dev/null
open_before=$(own "SELECT count(*) FROM radius_sessions WHERE stopped_at IS NULL AND last_update_at < now() - interval '900 seconds'")
t_is "$(worker "SELECT hs_radius_sweep(300)")" "$open_before" "the sweeper closes every session silent for 3 intervals"
t_is "$(scol sw-1 "terminate_cause || ' ' || (stopped_at = last_update_at)") $(scol sw-2 "stopped_at IS NULL")" \
	"Stale true t" "a stale session is closed at its last update; a live one stays open"
t_is "$(worker "SELECT hs_radius_sweep(300)")" 0 "a second sweep finds nothing"
own "UPDATE vouchers SET expires_at = now() - interval '1 second' WHERE code = 'SWEEP'" >/dev/null
worker "SELECT hs_radius_sweep(300)" >/dev/null
t_is "$(vcol SWEEP status) $(own "SELECT count(*) FROM jobs WHERE payload->>'user_name' = 'SWEEP' AND payload->>'reason' = 'expired'")" \
	"expired 1" "the sweeper expires a voucher whose session outlives it, and queues its disconnect"
t_fail "the sweeper refuses an interval of 0" worker "SELECT hs_radius_sweep(0)"

t_is "$(worker "SELECT concat_ws(',', ip_address, coa_port, radius_secret) FROM hs_router_coa_target('$RA2')")" \
	"10.0.0.2,1700,secret-a2" "hs_router_coa_target gives the worker address, CoA port and secret"
t_is "$(worker "SELECT count(*) FROM hs_router_coa_target('00000000-0000-4000-8000-000000000000')")" 0 \
	"no row for an unknown router"
sid=$(scol q-1 id)
t_is "$(worker "SELECT hs_radius_disconnect_result('$sid', 'ack')")" t "recording an ACK"
t_is "$(scol q-1 "disconnect_result || ' ' || (disconnect_result_at IS NOT NULL) || ' ' || (stopped_at IS NULL)")" \
	"ack true true" "the result is on the session, which stays open until its Stop"
t_is "$(worker "SELECT hs_radius_disconnect_result('00000000-0000-4000-8000-000000000000', 'nak')")" f \
	"an unknown session gives false"
t_fail "an unknown result raises" worker "SELECT hs_radius_disconnect_result('$sid', 'maybe')"

t_is "$(own "SELECT count(*) FROM radius_sessions WHERE interim_count < 0 OR input_octets < 0")" 0 "sanity"
# --- the batch call ----------------------------------------------------------------

# The same requests in ONE call of the batch function (the Q copies): the
# same answers, row by row, whether decided in the shared read (accepts of
# activated vouchers, plain rejects) or one by one (first use, a voucher
# seen expired or used up while still active).
q_arrays() {
	local col=$1 sep="" out="" name nas user pw mac want v
	while IFS='|' read -r name nas user pw mac want; do
		[ -n "$name" ] || continue
		case $col in nas) v=$nas ;; user) v=Q$user ;; pw) v=$pw ;; mac) v=$mac ;; esac
		[ "$col" = pw ] && [ "$user" = CODEONLY ] && v=CODEONLY
		out+="$sep\"$v\""
		sep=,
	done <<<"$cases"
	echo "{$out}"
}
want=$(while IFS='|' read -r name nas user pw mac want; do
	[ -n "$name" ] && echo "$want"
done <<<"$cases" | sed 's/^\(unknown_client|unknown_client\)$/\1/')
got=$(rad "SELECT concat_ws('|', result, reason, reply_message)
	FROM hs_radius_authorize_batch('$(q_arrays nas)'::inet[], '$(q_arrays user)'::text[],
	     '$(q_arrays pw)'::text[], NULL::int[], NULL::bytea[], NULL::bytea[], '$(q_arrays mac)'::text[], 300)
	ORDER BY n")
t_is "$got" "$want" "hs_radius_authorize_batch: one call decides every case as the single call does"

# The grant (0028), the same from the single function and from the batch's
# shared read (the common case: activated, nothing stale): a voucher of 1200
# bytes for 4 devices, 400 used, with one live session (sent 400, has used
# 100, so it may still use 300), one live session with no grant recorded
# (sets nothing aside) and one reservation (sent 100). A new device: busy 3
# of 4, so (1200 - 400 - 300 - 0 - 100) / 1.
for c in GS GB; do
	mkv "$c" "activated_at = now() - interval '1 hour', expires_at = now() + interval '2 hours',
		data_limit_bytes = 1200, used_bytes = 400, shared_users = 4, time_limit_seconds = 3600,
		used_seconds = 600, rate_limit = '1M/2M', idle_timeout_s = 120"
	own "INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
	       acct_session_id, nas_ip, calling_station_id, started_at, last_update_at, input_octets,
	       output_octets, grant_bytes)
	     SELECT '$TA', v.id, '$RA1', v.code, 'u-' || v.code || k, 's-' || v.code || k, '$NAS1',
	            'AA:00:00:00:0E:0' || k, now() - interval '10 minutes',
	            now() - interval '1 minute',
	            60, 40, CASE k WHEN 1 THEN 400 END
	       FROM vouchers v, generate_series(1, 2) k WHERE v.code = '$c';
	     INSERT INTO reservations (tenant_id, voucher_id, router_id, calling_station_id, expires_at, grant_bytes)
	     SELECT '$TA', v.id, '$RA1', 'AA:00:00:00:0E:09', now() + interval '1 minute', 100
	       FROM vouchers v WHERE v.code = '$c'" >/dev/null
done
t_is "$(rad "SELECT concat_ws('|', result, session_timeout, data_left, rate_limit, idle_timeout)
	FROM hs_radius_authorize('$NAS1', 'GS', 'pw', NULL, NULL, NULL, 'AA:00:00:00:0E:05', 300)")|$(rad "
	SELECT concat_ws('|', result, session_timeout, data_left, rate_limit, idle_timeout)
	FROM hs_radius_authorize_batch('{$NAS1}'::inet[], '{GB}'::text[], '{pw}'::text[], NULL::int[],
	     NULL::bytea[], NULL::bytea[], '{AA:00:00:00:0E:05}'::text[], 300)")" \
	"accept|3000|400|1M/2M|120|accept|3000|400|1M/2M|120" \
	"a shared voucher's grant: what is left less what the others may still use, the same from both functions"
t_is "$(own "SELECT string_agg(v.code || ':' || r.grant_bytes, ' ' ORDER BY v.code)
	FROM reservations r JOIN vouchers v ON v.id = r.voucher_id
	WHERE v.code IN ('GS', 'GB') AND r.calling_station_id = 'AA:00:00:00:0E:05'")" "GB:400 GS:400" \
	"  and each reserves what it sent"
t_is "$(vcol QEXP status) $(vcol QDATA status) $(vcol QTIME status) $(vcol QOK1 "activated_at IS NOT NULL")" \
	"expired used used t" "  and records what it observed, and activates on first use"
t_is "$(own "SELECT count(*) FROM auth_log l JOIN vouchers v ON v.id = l.voucher_id WHERE v.code LIKE 'Q%'")" \
	"$(grep -c . <<<"$want" | awk '{print $1 - 3}')" \
	"  one auth_log row per request that named a voucher of the router's tenant"

# (0022) The module's connections plan each statement once, at its first
# call. Planned while reservations is empty (a quiet hour), the RADIUS path
# must still look rows up by index, never read a whole table: with no
# index used, every later Access-Request would scan all the reservations.
mkv PLAN1
own "DELETE FROM reservations" >/dev/null
own "VACUUM ANALYZE reservations" >/dev/null
rec() { # STATUS IN: arrays for one accounting record of session plan-1
	echo "ARRAY['$NAS1']::inet[], ARRAY[$1], ARRAY['plan-u1'], ARRAY['plan-s1'], ARRAY['PLAN1'],
	      ARRAY['aa:bb:cc:00:00:01'], ARRAY[NULL]::inet[], ARRAY[$2]::bigint[], ARRAY[0]::bigint[],
	      ARRAY[60]::bigint[], ARRAY[NULL]::text[], ARRAY[now()]"
}
got=$(rad "BEGIN;
	SELECT result FROM hs_radius_authorize_batch(ARRAY['$NAS1']::inet[], ARRAY['PLAN1'], ARRAY['pw'],
	       NULL::int[], NULL::bytea[], NULL::bytea[], ARRAY['aa:bb:cc:00:00:01'], 300);
	SELECT result FROM hs_radius_accounting($(rec 1 0));
	SELECT result FROM hs_radius_accounting($(rec 3 1000));
	SELECT result FROM hs_radius_accounting($(rec 2 2000));
	SELECT coalesce(string_agg(relname || ':' || seq_scan, ' ' ORDER BY relname), 'none')
	  FROM pg_stat_xact_user_tables WHERE seq_scan > 0;
	COMMIT" | paste -sd' ')
t_is "$got" "accept ok ok ok none" \
	"planned with reservations empty, login, Start, Interim and Stop read no table whole"

# (0022) A cut reads its vouchers' sessions, not every open session: planned
# when the statistics knew of few open sessions, the cut's lookup was one
# scan of them all per call (every open session of the database, read for
# each voucher cut once the day got busy). A database with a history
# (2,000 vouchers, 20,000 closed sessions), analyzed while few sessions were
# open; then 100 sessions open.
mkv CUT0 "data_limit_bytes = 1000"
own "UPDATE radius_sessions SET stopped_at = now() WHERE stopped_at IS NULL" >/dev/null
t_ok "  a history of 20,000 closed sessions" own "
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds)
SELECT '$TA', 'CUTO' || g, 'pw', '$PA', 'UGX', 86400 FROM generate_series(1, 2000) g;
INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
                             acct_session_id, nas_ip, started_at, last_update_at, stopped_at)
SELECT '$TA', v.id, '$RA1', v.code, 'cut-h-' || v.code || '-' || g, 'cut-h', '$NAS1',
       now() - interval '2 days', now() - interval '1 day', now() - interval '1 day'
  FROM vouchers v CROSS JOIN generate_series(1, 10) g WHERE v.code LIKE 'CUTO%'"
own "ANALYZE vouchers" >/dev/null
own "ANALYZE radius_sessions" >/dev/null
t_ok "  100 sessions opened after the statistics were taken" own "
INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
                             acct_session_id, nas_ip, started_at, last_update_at)
SELECT '$TA', v.id, '$RA1', v.code, 'cut-o-' || v.code, 'cut-o-' || v.code, '$NAS1', now(), now()
  FROM vouchers v WHERE v.code LIKE 'CUTO%' ORDER BY v.code LIMIT 100"
t_is "$(acct "$NAS1 1 cut-u0 CUT0 aa:bb:cc:00:00:02 0 0 0")" "1:ok" "  and CUT0's session starts"
got=$(ACCT_PRE="BEGIN; " ACCT_POST="; SELECT idx_tup_fetch < 50 FROM pg_stat_xact_user_tables
	WHERE relname = 'radius_sessions'; COMMIT" acct "$NAS1 3 cut-u0 CUT0 aa:bb:cc:00:00:02 5000 0 60" |
	grep -v '^BEGIN\|^COMMIT' | paste -sd' ')
t_is "$got $(vcol CUT0 status) $(scol cut-u0 "disconnect_queued_at IS NOT NULL")" "1:ok t used t" \
	"an Interim past CUT0's data limit cuts it, fetching fewer sessions than are open"

# (0024) The same database: a login reads its voucher's open sessions (it
# has none), not every open one; a plan that used the tenant's or the
# router's open sessions read all 101 of them, twice.
got=$(rad "BEGIN;
	SELECT result FROM hs_radius_authorize_batch(ARRAY['$NAS1']::inet[], ARRAY['CUTO1999'], ARRAY['pw'],
	       NULL::int[], NULL::bytea[], NULL::bytea[], ARRAY['aa:bb:cc:00:00:03'], 300);
	SELECT idx_tup_fetch < 50 FROM pg_stat_xact_user_tables WHERE relname = 'radius_sessions';
	COMMIT" | paste -sd' ')
t_is "$got" "accept t" "a login planned when no session was open fetches fewer sessions than are open now"

# (0026) Sessions that started together share pages, and their Interims come
# together: one batch updating all of them keeps every update on its page
# (HOT: no index entry), with a fifth of each page free only a quarter did.
own "INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds)
     SELECT '$TA', 'HOT' || g, 'pw', '$PA', 'UGX', 86400 FROM generate_series(1, 60) g" >/dev/null
starts=() interims=()
for i in $(seq 1 60); do
	starts+=("$NAS1 1 hot-$i HOT$i - 0 0 0")
	interims+=("$NAS1 3 hot-$i HOT$i - $i $i 60")
done
t_is "$(acct "${starts[@]}" | wc -w)" 60 "60 sessions start in one batch"
got=$(ACCT_PRE="BEGIN; " ACCT_POST="; SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_xact_user_tables
	WHERE relname = 'radius_sessions'; COMMIT" acct "${interims[@]}" | grep -v '^BEGIN\|^COMMIT' | tail -1)
t_is "$got" "60 60" "  and one batch of their Interims updates every one of them in place"

t_done
