#!/usr/bin/env bash
# The schema: migrations apply to an empty database, constraints refuse
# impossible rows, the job queue functions behave as hotspotd's runtime
# expects (including under concurrent claimers and tickers), pruning keeps
# what is young, and the RADIUS and worker roles cannot touch any table.
set -u
source "$HS_ROOT/tests/lib/harness.sh"

DB=hs_sql_schema
TA=aaaaaaaa-0000-4000-8000-000000000001
TB=bbbbbbbb-0000-4000-8000-000000000002
PA=aaaaaaaa-0000-4000-8000-0000000000a1
PB=bbbbbbbb-0000-4000-8000-0000000000b1
CA=aaaaaaaa-0000-4000-8000-0000000000a2
CB=bbbbbbbb-0000-4000-8000-0000000000b2
RA=aaaaaaaa-0000-4000-8000-0000000000a3
RB=bbbbbbbb-0000-4000-8000-0000000000b3

own() { hs_psql_as hs_owner "$DB" -At -c "$1"; }
worker() { hs_psql_as hs_worker "$DB" -At -c "$1"; }

# --- migrations ---------------------------------------------------------------

t_ok "migrations apply to an empty database" hs_new_db "$DB"
t_is "$(own "SELECT count(*) FROM schema_migrations")" \
	"$(ls "$HS_ROOT"/sql/migrations/*.sql | wc -l)" "every migration file is recorded"
t_is "$(own "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'hs_owner'")" \
	0 "hs_owner owns every table"
t_is "$(own "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
	WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND NOT c.relrowsecurity
	AND c.relname <> 'schema_migrations'")" "" "row-level security is on for every table"
t_is "$(own "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
	WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relpersistence = 'u'")" \
	"auth_log,login_failures,reservations" "auth_log, login_failures and reservations are unlogged"
t_is "$(own "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
	AND proname IN ('job_enqueue','job_claim','job_complete','job_fail','job_retry',
	'job_periodic_register','job_periodic_tick','hs_prune','hs_db_health')
	AND prosecdef AND proconfig @> ARRAY['search_path=public, pg_temp']")" \
	9 "the job, prune and health functions are SECURITY DEFINER with a fixed search_path"

# --- fixtures: two tenants ------------------------------------------------------

t_ok "fixtures for two tenants" own "
INSERT INTO tenants (id, name, slug, time_zone, currency) VALUES
  ('$TA', 'Tenant A', 'tenant-a', 'Africa/Kampala', 'UGX'),
  ('$TB', 'Tenant B', 'tenant-b', 'Europe/Paris', 'EUR');
INSERT INTO profiles (id, tenant_id, name, data_limit_bytes, validity_seconds, price_minor, currency) VALUES
  ('$PA', '$TA', 'P', 1073741824, 86400, 5000, 'UGX'),
  ('$PB', '$TB', 'P', 1073741824, 86400, 500, 'EUR');
INSERT INTO customers (id, tenant_id, name, phone) VALUES
  ('$CA', '$TA', 'Alice', '+256700000001'), ('$CB', '$TB', 'Bob', '+33600000002');
INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret) VALUES
  ('$RA', '$TA', 'ra', '10.0.0.1', 'sa'), ('$RB', '$TB', 'rb', '10.0.0.2', 'sb');
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, customer_id, router_id)
  VALUES ('$TA', 'SAMECODE', 'pw', '$PA', 'UGX', '$CA', '$RA');"

# --- time-ordered ids (0027) ----------------------------------------------------

UUID7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
t_like "$(own "SELECT id FROM vouchers WHERE code = 'SAMECODE'")" "$UUID7" \
	"a new voucher's id is a version 7 UUID"
t_like "$(own "INSERT INTO radius_sessions (tenant_id, router_id, username, acct_unique_id,
	acct_session_id, nas_ip, started_at, last_update_at)
	VALUES ('$TA', '$RA', 'x', 'uuid7-probe', 's', '10.0.0.1', now(), now()) RETURNING id;
	DELETE FROM radius_sessions WHERE acct_unique_id = 'uuid7-probe'" | head -1)" "$UUID7" \
	"so is a new session's"
t_like "$(worker "SELECT job_enqueue('test.uuid7', '{}')")" "$UUID7" "and a new job's"
# The first 48 bits are the time in milliseconds; ids made 5 ms apart sort
# in that order (each is computed before the next, the sleep between).
t_is "$(own "SELECT abs(('x' || substr(replace(hs_uuid_time()::text, '-', ''), 1, 12))::bit(48)::bigint
	- floor(extract(epoch FROM clock_timestamp()) * 1000)) < 1000")" t \
	"an id carries the time it was made, in milliseconds"
t_is "$(own "WITH a AS (SELECT hs_uuid_time() AS id), s AS (SELECT pg_sleep(0.005) FROM a),
	b AS (SELECT hs_uuid_time() AS id FROM s)
	SELECT a.id < b.id FROM a, b")" t \
	"an id made later sorts after an earlier one"
t_is "$(own "SELECT count(DISTINCT hs_uuid_time()) FROM generate_series(1, 10000)")" 10000 \
	"ids made in the same millisecond still differ"
own "DELETE FROM jobs WHERE kind = 'test.uuid7'" >/dev/null

# --- constraints ----------------------------------------------------------------

V="INSERT INTO vouchers (tenant_id, code, password, profile_id, currency"
PAY="INSERT INTO payments (tenant_id, gateway, amount_minor, currency"
refused=(
	"profile with a negative data limit|INSERT INTO profiles (tenant_id, name, data_limit_bytes, currency) VALUES ('$TA', 'neg', -1, 'UGX')"
	"profile with shared_users 0|INSERT INTO profiles (tenant_id, name, shared_users, currency) VALUES ('$TA', 'zero', 0, 'UGX')"
	"profile with a negative price|INSERT INTO profiles (tenant_id, name, price_minor, currency) VALUES ('$TA', 'negp', -5, 'UGX')"
	"profile with a bad rate limit|INSERT INTO profiles (tenant_id, name, rate_limit, currency) VALUES ('$TA', 'rl', '2M;2M', 'UGX')"
	"duplicate profile name in a tenant|INSERT INTO profiles (tenant_id, name, currency) VALUES ('$TA', 'P', 'UGX')"
	"voucher with an unknown status|$V, status) VALUES ('$TA', 'ST1', 'pw', '$PA', 'UGX', 'sold')"
	"voucher with a bad currency|$V) VALUES ('$TA', 'CUR1', 'pw', '$PA', 'ugx')"
	"voucher with a 4-letter currency|$V) VALUES ('$TA', 'CUR2', 'pw', '$PA', 'UGXX')"
	"voucher with shared_users 0|$V, shared_users) VALUES ('$TA', 'SH0', 'pw', '$PA', 'UGX', 0)"
	"voucher with negative used_bytes|$V, used_bytes) VALUES ('$TA', 'UB1', 'pw', '$PA', 'UGX', -1)"
	"voucher with negative used_seconds|$V, used_seconds) VALUES ('$TA', 'US1', 'pw', '$PA', 'UGX', -1)"
	"voucher with a negative data limit|$V, data_limit_bytes) VALUES ('$TA', 'DL1', 'pw', '$PA', 'UGX', -1)"
	"voucher expiring before its activation|$V, activated_at, expires_at) VALUES ('$TA', 'EXP1', 'pw', '$PA', 'UGX', now(), now() - interval '1 hour')"
	"duplicate voucher code in a tenant|$V) VALUES ('$TA', 'SAMECODE', 'pw2', '$PA', 'UGX')"
	"voucher code with a space|$V) VALUES ('$TA', 'A B', 'pw', '$PA', 'UGX')"
	"voucher code changed to one with a space|UPDATE vouchers SET code = 'A B' WHERE code = 'SAMECODE'"
	"voucher with a bad rate limit|$V, rate_limit) VALUES ('$TA', 'RL1', 'pw', '$PA', 'UGX', '2M;2M')"
	"voucher rate limit changed to a bad one|UPDATE vouchers SET rate_limit = '2M;2M' WHERE code = 'SAMECODE'"
	"voucher pointing to another tenant's profile|$V) VALUES ('$TA', 'XP1', 'pw', '$PB', 'UGX')"
	"voucher pointing to another tenant's customer|$V, customer_id) VALUES ('$TA', 'XC1', 'pw', '$PA', 'UGX', '$CB')"
	"voucher pointing to another tenant's router|$V, router_id) VALUES ('$TA', 'XR1', 'pw', '$PA', 'UGX', '$RB')"
	"payment without an amount|$PAY) VALUES ('$TA', 'cash', NULL, 'UGX')"
	"payment without a currency|$PAY) VALUES ('$TA', 'cash', 1000, NULL)"
	"payment of zero|$PAY) VALUES ('$TA', 'cash', 0, 'UGX')"
	"payment with an unknown status|$PAY, status) VALUES ('$TA', 'cash', 1000, 'UGX', 'paid')"
	"payment for another tenant's customer|$PAY, customer_id) VALUES ('$TA', 'cash', 1000, 'UGX', '$CB')"
	"duplicate gateway reference|$PAY, gateway_ref) VALUES ('$TA', 'momo', 1000, 'UGX', 'R1'), ('$TA', 'momo', 2000, 'UGX', 'R1')"
	"router address another tenant has|INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret) VALUES ('$TB', 'dup', '10.0.0.1', 's')"
	"router address given as a network|INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret) VALUES ('$TA', 'net', '10.1.0.0/24', 's')"
	"router with an unknown status|INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret, status) VALUES ('$TA', 'st', '10.0.0.9', 's', 'up')"
	"router with API port 0|INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret, api_port) VALUES ('$TA', 'port', '10.0.0.8', 's', 0)"
	"router with negative uptime|INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret, uptime_seconds) VALUES ('$TA', 'up', '10.0.0.7', 's', -1)"
	"config history with an unknown change_type|INSERT INTO mikrotik_config_history (tenant_id, device_id, change_type) VALUES ('$TA', '$RA', 'wipe')"
	"config history for another tenant's router|INSERT INTO mikrotik_config_history (tenant_id, device_id, change_type) VALUES ('$TA', '$RB', 'backup')"
	"tenant with an unknown time zone|INSERT INTO tenants (name, slug, time_zone) VALUES ('X', 'x1', 'Mars/Olympus')"
	"tenant with a POSIX offset as time zone|INSERT INTO tenants (name, slug, time_zone) VALUES ('X', 'x2', 'UTC+3')"
	"tenant with an upper-case slug|INSERT INTO tenants (name, slug) VALUES ('X', 'Bad-Slug')"
	"API token stored in clear|INSERT INTO api_tokens (tenant_id, admin_id, token_hash) SELECT '$TA', gen_random_uuid(), 'plain-token'"
	"session with negative octets|INSERT INTO radius_sessions (tenant_id, username, acct_unique_id, acct_session_id, nas_ip, started_at, last_update_at, input_octets) VALUES ('$TA', 'u', 'a', 's', '10.0.0.1', now(), now(), -1)"
	"SMS with an unknown status|INSERT INTO sms_messages (tenant_id, to_phone, body, driver, status) VALUES ('$TA', '+256700000001', 'hi', 'log', 'lost')"
	"auth log row naming nobody|INSERT INTO auth_log (tenant_id, result) VALUES ('$TA', 'reject')"
	"job with max_attempts 0|INSERT INTO jobs (kind, max_attempts) VALUES ('k', 0)"
	"job with an unknown status|INSERT INTO jobs (kind, status) VALUES ('k', 'paused')"
	"running job without a lease|INSERT INTO jobs (kind, status) VALUES ('k', 'running')"
	"periodic job with period 0|INSERT INTO periodic_jobs (kind, period_s, next_run_at) VALUES ('k', 0, now())"
)
for row in "${refused[@]}"; do
	t_fail "refused: ${row%%|*}" own "${row#*|}"
done

accepted=(
	"the same voucher code in another tenant|$V) VALUES ('$TB', 'SAMECODE', 'pw', '$PB', 'EUR')"
	"a voucher with its tenant's profile, customer and router|$V, customer_id, router_id) VALUES ('$TA', 'OK1', 'pw', '$PA', 'UGX', '$CA', '$RA')"
	"the same gateway reference in another tenant|$PAY, gateway_ref) VALUES ('$TA', 'momo', 1000, 'UGX', 'R2'), ('$TB', 'momo', 1000, 'EUR', 'R2')"
	"an IPv6 router address|INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret) VALUES ('$TA', 'v6', '2001:db8::1', 's')"
)
for row in "${accepted[@]}"; do
	t_ok "accepted: ${row%%|*}" own "${row#*|}"
done

t_is "$(own "UPDATE vouchers SET updated_at = '2000-01-01' WHERE code = 'OK1';
	UPDATE vouchers SET notes = 'x' WHERE code = 'OK1';
	SELECT updated_at > now() - interval '1 minute' FROM vouchers WHERE code = 'OK1'")" t \
	"updated_at follows an edit"
t_is "$(own "UPDATE vouchers SET updated_at = '2000-01-01' WHERE code = 'OK1';
	UPDATE vouchers SET used_bytes = used_bytes + 10 WHERE code = 'OK1';
	SELECT updated_at FROM vouchers WHERE code = 'OK1'")" "2000-01-01 00:00:00+00" \
	"accounting counters do not fire the updated_at trigger"

# --- privileges -------------------------------------------------------------------

tables=$(own "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")
for role in hs_radius hs_worker; do
	leaked=""
	for t in $tables; do
		hs_psql_as "$role" "$DB" -c "SELECT 1 FROM $t LIMIT 1" >/dev/null 2>&1 && leaked="$leaked $t"
	done
	t_is "$leaked" "" "$role cannot SELECT from any table"
	t_fail "$role cannot INSERT into jobs" hs_psql_as "$role" "$DB" -c "INSERT INTO jobs (kind) VALUES ('x')"
done
t_fail "hs_radius cannot claim jobs" hs_psql_as hs_radius "$DB" -c "SELECT * FROM job_claim('r', NULL, 1, 10)"
t_fail "hs_api cannot claim jobs" hs_psql_as hs_api "$DB" -c "SELECT * FROM job_claim('a', NULL, 1, 10)"
t_fail "hs_api cannot prune" hs_psql_as hs_api "$DB" -c "SELECT hs_prune(1, 1, 1, 1)"
t_fail "hs_api cannot write jobs directly" hs_psql_as hs_api "$DB" -c "INSERT INTO jobs (kind) VALUES ('x')"
t_fail "hs_api cannot read reservations" hs_psql_as hs_api "$DB" -c "SELECT 1 FROM reservations"
t_fail "hs_api cannot create tables" hs_psql_as hs_api "$DB" -c "CREATE TABLE t_x (a int)"

# --- health -----------------------------------------------------------------------

latest=$(own "SELECT max(version) FROM schema_migrations")
t_is "$(hs_psql_as hs_api "$DB" -At -c "SELECT hs_db_health()->>'migration'")" "$latest" \
	"hs_db_health names the latest migration (hs_api)"
t_is "$(worker "SELECT hs_db_health()->>'ok'")" true "hs_db_health is ok (hs_worker)"

# --- jobs: enqueue, claim, complete ---------------------------------------------------

j1=$(worker "SELECT job_enqueue('test.basic', '{\"n\": 1}')")
t_like "$j1" '^[0-9a-f-]{36}$' "job_enqueue returns the job's id"
j1b=$(worker "SELECT job_enqueue('test.basic', '{}', now(), NULL, 8, 'basic-1')")
j1c=$(worker "SELECT job_enqueue('test.basic', '{}', now(), NULL, 8, 'basic-1')")
t_is "$j1c" "$j1b" "a taken dedup_key returns the existing job"
t_is "$(own "SELECT count(*) FROM jobs WHERE dedup_key = 'basic-1'")" 1 "and inserts nothing"
t_is "$(own "SELECT status || ',' || attempts || ',' || max_attempts FROM jobs WHERE id = '$j1'")" \
	"queued,0,8" "a new job is queued with 8 attempts allowed"
t_is "$(worker "SELECT count(*) FROM job_claim('w1', ARRAY['test.later'], 10, 60)")" 0 \
	"nothing to claim of another kind"
worker "SELECT job_enqueue('test.later', '{}', now() + interval '1 hour')" >/dev/null
t_is "$(worker "SELECT count(*) FROM job_claim('w1', ARRAY['test.later'], 10, 60)")" 0 \
	"a delayed job is not claimed before its time"
claimed=$(worker "SELECT id || ',' || kind || ',' || attempts || ',' || (payload->>'n') FROM job_claim('w1', ARRAY['test.basic'], 1, 60) ORDER BY 1")
t_is "$claimed" "$j1,test.basic,1,1" "job_claim hands out the oldest due job with attempts counted"
t_is "$(own "SELECT status || ',' || locked_by || ',' || (locked_until > now() + interval '50 seconds') FROM jobs WHERE id = '$j1'")" \
	"running,w1,true" "a claimed job is running, locked by its worker for the lease"
t_is "$(worker "SELECT job_complete('$j1', 'w2')")" f "another worker cannot complete it"
t_is "$(worker "SELECT job_complete('$j1', 'w1')")" t "its worker completes it"
t_is "$(own "SELECT status || ',' || (finished_at IS NOT NULL) FROM jobs WHERE id = '$j1'")" "done,true" "the job is done"
t_is "$(worker "SELECT job_complete('$j1', 'w1')")" f "a done job cannot be completed twice"
t_is "$(worker "SELECT count(*) FROM job_claim('w1', NULL, 10, 60)")" 1 "NULL kinds claims any kind (the dedup job)"

# --- jobs: failure, backoff, dead, retry ------------------------------------------------

j2=$(worker "SELECT job_enqueue('test.fail', '{}', now(), NULL, 2)")
worker "SELECT 1 FROM job_claim('w1', ARRAY['test.fail'], 1, 60)" >/dev/null
t_is "$(worker "SELECT job_fail('$j2', 'w2', 'boom', true, 10, 100)")" "" "job_fail by a worker not holding the job is NULL"
t_is "$(worker "SELECT job_fail('$j2', 'w1', 'boom', true, 10, 100)")" queued "a failure with attempts left is queued again"
t_is "$(own "SELECT run_at >= now() + interval '9.5 seconds' AND run_at <= now() + interval '11.1 seconds'
	AND last_error = 'boom' AND locked_by IS NULL FROM jobs WHERE id = '$j2'")" t \
	"first retry after base seconds (plus at most 10%)"
t_is "$(worker "SELECT count(*) FROM job_claim('w1', ARRAY['test.fail'], 1, 60)")" 0 "not claimed during its backoff"
own "UPDATE jobs SET run_at = now() WHERE id = '$j2'" >/dev/null
t_is "$(worker "SELECT attempts FROM job_claim('w1', ARRAY['test.fail'], 1, 60)")" 2 "claimed again once due"
t_is "$(worker "SELECT job_fail('$j2', 'w1', 'boom again', true, 10, 100)")" dead "the last attempt's failure is dead"
t_is "$(own "SELECT status || ',' || last_error || ',' || (finished_at IS NOT NULL) FROM jobs WHERE id = '$j2'")" \
	"dead,boom again,true" "a dead job keeps its error"
t_is "$(worker "SELECT job_retry('$j2')")" t "job_retry revives a dead job"
t_is "$(own "SELECT status || ',' || attempts || ',' || (run_at <= now()) FROM jobs WHERE id = '$j2'")" \
	"queued,0,true" "revived: queued now with attempts reset"
t_is "$(worker "SELECT job_retry('$j2')")" f "job_retry leaves a job that is not dead alone"

j3=$(worker "SELECT job_enqueue('test.cap', '{}', now(), NULL, 20)")
own "UPDATE jobs SET attempts = 9 WHERE id = '$j3'" >/dev/null
worker "SELECT 1 FROM job_claim('w1', ARRAY['test.cap'], 1, 60)" >/dev/null
worker "SELECT job_fail('$j3', 'w1', 'e', true, 10, 300)" >/dev/null
t_is "$(own "SELECT run_at >= now() + interval '299 seconds' AND run_at <= now() + interval '331 seconds' FROM jobs WHERE id = '$j3'")" t \
	"backoff is capped (10 * 2^9 s capped to 300 s)"
own "UPDATE jobs SET run_at = now() WHERE id = '$j3'" >/dev/null
worker "SELECT 1 FROM job_claim('w1', ARRAY['test.cap'], 1, 60)" >/dev/null
t_is "$(worker "SELECT job_fail('$j3', 'w1', 'fatal', false, 10, 300)")" dead "a failure without retry is dead at once"

# --- jobs: leases -------------------------------------------------------------------

j4=$(worker "SELECT job_enqueue('test.lease', '{}')")
worker "SELECT 1 FROM job_claim('wA', ARRAY['test.lease'], 1, 60)" >/dev/null
t_is "$(worker "SELECT count(*) FROM job_claim('wB', ARRAY['test.lease'], 1, 60)")" 0 "a leased job is not claimed twice"
own "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = '$j4'" >/dev/null
t_is "$(worker "SELECT id || ',' || attempts FROM job_claim('wB', ARRAY['test.lease'], 1, 60)")" "$j4,2" \
	"a job whose lease expired is claimed by another worker"
t_is "$(worker "SELECT job_complete('$j4', 'wA')")" f "the first worker can no longer complete it"
t_is "$(worker "SELECT job_complete('$j4', 'wB')")" t "the new holder completes it"
j5=$(worker "SELECT job_enqueue('test.lease', '{}', now(), NULL, 1)")
worker "SELECT 1 FROM job_claim('wA', ARRAY['test.lease'], 1, 60)" >/dev/null
own "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = '$j5'" >/dev/null
t_is "$(worker "SELECT count(*) FROM job_claim('wB', ARRAY['test.lease'], 1, 60)")" 0 \
	"a job whose lease expired on its last attempt is not run again"
t_like "$(own "SELECT status || ',' || last_error FROM jobs WHERE id = '$j5'")" '^dead,lease of wA expired' "it is dead"

# --- jobs: the API's tenant scope -------------------------------------------------------

api_tx() { hs_psql_as hs_api "$DB" -At -c "BEGIN" -c "SET LOCAL hotspot.tenant_id = '$1'" -c "$2" -c "COMMIT"; }
ja=$(api_tx "$TA" "SELECT job_enqueue('test.api', '{}')")
t_is "$(own "SELECT tenant_id FROM jobs WHERE id = '$ja'")" "$TA" "the API's job belongs to its tenant"
t_fail "the API cannot enqueue for another tenant" api_tx "$TA" "SELECT job_enqueue('test.api', '{}', now(), '$TB')"
t_fail "the API cannot enqueue without a tenant" hs_psql_as hs_api "$DB" -c "SELECT job_enqueue('test.api', '{}')"
jb=$(worker "SELECT job_enqueue('test.api', '{}', now(), '$TB', 1)")
worker "SELECT 1 FROM job_claim('w1', ARRAY['test.api'], 10, 60)" >/dev/null
t_is "$(worker "SELECT job_fail('$jb', 'w1', 'x', false, 1, 1)")" dead "a tenant's job dies"
t_is "$(api_tx "$TA" "SELECT job_retry('$jb')")" f "the API cannot retry another tenant's job"
t_is "$(api_tx "$TB" "SELECT job_retry('$jb')")" t "the API retries its own tenant's dead job"

# --- jobs: concurrent claimers --------------------------------------------------------------

own "INSERT INTO jobs (kind) SELECT 'test.conc' FROM generate_series(1, 300)" >/dev/null
claim_loop() { # claim_loop WORKER OUTFILE
	local i
	for i in $(seq 1 200); do echo "SELECT id FROM job_claim('$1', ARRAY['test.conc'], 2, 300);"; done |
		hs_psql_as hs_worker "$DB" -At >"$2" 2>&1
}
claim_loop cA "$HS_SUITE_DIR/claims.A" &
pa=$!
claim_loop cB "$HS_SUITE_DIR/claims.B" &
pb=$!
wait "$pa" "$pb"
all=$(cat "$HS_SUITE_DIR/claims.A" "$HS_SUITE_DIR/claims.B" | grep -c .)
uniq=$(cat "$HS_SUITE_DIR/claims.A" "$HS_SUITE_DIR/claims.B" | grep . | sort -u | wc -l)
t_is "$all" 300 "two concurrent claimers claim all 300 jobs"
t_is "$uniq" "$all" "no job is claimed twice"
t_like "$(grep -c . "$HS_SUITE_DIR/claims.A"),$(grep -c . "$HS_SUITE_DIR/claims.B")" '^[1-9][0-9]*,[1-9][0-9]*$' \
	"both claimers got work"

# --- periodic jobs ----------------------------------------------------------------------

worker "SELECT job_periodic_register('test.tick', 3600, '{\"p\": 1}')" >/dev/null
t_is "$(own "SELECT period_s || ',' || (next_run_at <= now()) FROM periodic_jobs WHERE kind = 'test.tick'")" \
	"3600,true" "a new periodic job is due at once"
(hs_psql_as hs_worker "$DB" -At -c "BEGIN" -c "SELECT job_periodic_tick()" -c "SELECT pg_sleep(2)" -c "COMMIT" \
	>"$HS_SUITE_DIR/tick.A" 2>&1) &
pa=$!
sleep 0.5
(hs_psql_as hs_worker "$DB" -At -c "SELECT job_periodic_tick()" -c "SELECT pg_sleep(2)" -c "SELECT job_periodic_tick()" \
	>"$HS_SUITE_DIR/tick.B" 2>&1) &
pb=$!
wait "$pa" "$pb"
t_is "$(own "SELECT count(*) FROM jobs WHERE kind = 'test.tick'")" 1 "two tickers at once enqueue one job per period"
t_is "$(grep . "$HS_SUITE_DIR/tick.A")+$(grep . "$HS_SUITE_DIR/tick.B" | paste -sd+)" "1+0+0" \
	"the first ticker enqueued it, the other found nothing due"
t_is "$(own "SELECT payload->>'p' FROM jobs WHERE kind = 'test.tick'")" 1 "the job carries the periodic payload"
t_is "$(own "SELECT next_run_at = to_timestamp((floor(extract(epoch FROM now()) / 3600) + 1) * 3600) FROM periodic_jobs WHERE kind = 'test.tick'")" \
	t "the schedule moves to the next period boundary"
own "UPDATE periodic_jobs SET next_run_at = next_run_at - interval '3599 seconds' WHERE kind = 'test.tick'" >/dev/null
t_is "$(worker "SELECT job_periodic_tick()")" 0 "a ticker replaying a period already enqueued inserts nothing"
own "UPDATE periodic_jobs SET next_run_at = next_run_at - interval '7200 seconds' WHERE kind = 'test.tick'" >/dev/null
t_is "$(worker "SELECT job_periodic_tick()")" 1 "a missed earlier period is enqueued once"
worker "SELECT job_periodic_register('test.tick', 60, '{\"p\": 2}')" >/dev/null
t_is "$(own "SELECT period_s || ',' || (payload->>'p') || ',' || (next_run_at > now()) FROM periodic_jobs WHERE kind = 'test.tick'")" \
	"60,2,true" "registering again takes the new period and payload and keeps the schedule"

# --- retention ------------------------------------------------------------------------

t_ok "old and young rows to prune" own "
DELETE FROM jobs;
INSERT INTO auth_log (tenant_id, voucher_id, result, created_at) VALUES
  ('$TA', gen_random_uuid(), 'accept', now() - interval '40 days'),
  ('$TA', gen_random_uuid(), 'reject', now() - interval '1 day');
INSERT INTO radius_sessions (tenant_id, username, acct_unique_id, acct_session_id, nas_ip, started_at, last_update_at, stopped_at) VALUES
  ('$TA', 'old-closed', 'u1', 's1', '10.0.0.1', now() - interval '41 days', now() - interval '40 days', now() - interval '40 days'),
  ('$TA', 'old-open',   'u2', 's2', '10.0.0.1', now() - interval '41 days', now() - interval '40 days', NULL),
  ('$TA', 'new-closed', 'u3', 's3', '10.0.0.1', now() - interval '2 days', now() - interval '1 day', now() - interval '1 day');
INSERT INTO events (tenant_id, type, created_at, published_at) VALUES
  ('$TA', 'old.published', now() - interval '40 days', now() - interval '40 days'),
  ('$TA', 'old.unpublished', now() - interval '40 days', NULL),
  ('$TA', 'new.published', now() - interval '1 day', now() - interval '1 day');
INSERT INTO jobs (kind, status, finished_at, locked_by, locked_until) VALUES
  ('old.done', 'done', now() - interval '40 days', NULL, NULL),
  ('old.dead', 'dead', now() - interval '40 days', NULL, NULL),
  ('new.done', 'done', now() - interval '1 day', NULL, NULL),
  ('old.queued', 'queued', NULL, NULL, NULL);
UPDATE jobs SET created_at = now() - interval '50 days', run_at = now() - interval '50 days' WHERE kind = 'old.queued';
INSERT INTO reservations (tenant_id, voucher_id, router_id, calling_station_id, expires_at)
  SELECT tenant_id, id, '$RA', 'AA:BB', now() - interval '1 minute' FROM vouchers WHERE code = 'OK1';"
t_is "$(worker "SELECT hs_prune(30, 30, 30, 30)")" \
	'{"jobs": 2, "events": 2, "auth_log": 1, "sessions": 1, "reservations": 1}' "hs_prune reports what it deleted"
t_is "$(own "SELECT (SELECT string_agg(result, ',') FROM auth_log) || ' ' ||
	(SELECT string_agg(username, ',' ORDER BY username) FROM radius_sessions) || ' ' ||
	(SELECT string_agg(type, ',' ORDER BY type) FROM events) || ' ' ||
	(SELECT string_agg(kind, ',' ORDER BY kind) FROM jobs)")" \
	"reject new-closed,old-open new.published new.done,old.queued" \
	"only old auth log, closed sessions, events and finished jobs went"
t_is "$(worker "SELECT hs_prune(30, 30, 30, 30)->>'jobs'")" 0 "a second prune finds nothing"
t_fail "hs_prune refuses negative days" worker "SELECT hs_prune(-1, 30, 30, 30)"

t_done
