-- Loads the stock anchor's dataset (../shared/bench: anchor.sh --export-dataset)
-- into the project's schema, for `make bench`. Run as hs_owner from inside the
-- dataset directory (the \copy paths are relative), with
--   -v secret=<RADIUS secret of the load generator>  -v nas=127.0.0.1
--   -v groups=<file holding the anchor's radgroupcheck/radgroupreply INSERTs>
--
-- Mapping (stock -> ours):
--   one tenant "bench" (UTC), one router at the load generator's address with
--   the anchor's secret;
--   radgroupcheck/radgroupreply group -> profiles: Max-Total-Octets ->
--   data_limit_bytes, Max-All-Session -> time_limit_seconds, Simultaneous-Use
--   -> shared_users, Mikrotik-Rate-Limit -> rate_limit (no validity: the
--   stock set-up has no expiry either);
--   users.csv -> vouchers (code = username, password, the profile's terms),
--   activated at their first session, used_bytes / used_seconds = the sums
--   over their history (what rlm_sqlcounter adds up per request);
--   vouchers the history took past their allowance are 'used', as our
--   accounting leaves them;
--   radacct.tsv -> radius_sessions, one row per radacct row; the open ones
--   ("online" vouchers) are heard from now, so they hold their voucher's slot
--   the way an open radacct row trips Simultaneous-Use in the stock set-up.
-- Then a baseline of everything the RADIUS path changes, and bench_reset(),
-- which restores it between rounds.
\set ON_ERROR_STOP 1
BEGIN;

CREATE TEMP TABLE radgroupcheck (groupname text, attribute text, op text, value text);
CREATE TEMP TABLE radgroupreply (groupname text, attribute text, op text, value text);
\i :groups

CREATE TEMP TABLE ds_users (username text, password text, profile text, category text);
\copy ds_users FROM 'users.csv' WITH (FORMAT csv, HEADER true)

CREATE TEMP TABLE ds_acct (
    acctsessionid text, acctuniqueid text, username text, realm text, nasipaddress text,
    nasportid text, nasporttype text, acctstarttime timestamptz, acctupdatetime timestamptz,
    acctstoptime timestamptz, acctinterval text, acctsessiontime bigint, acctauthentic text,
    connectinfo_start text, connectinfo_stop text, acctinputoctets bigint, acctoutputoctets bigint,
    calledstationid text, callingstationid text, acctterminatecause text, servicetype text,
    framedprotocol text, framedipaddress text);
\copy ds_acct FROM 'radacct.tsv'

INSERT INTO tenants (id, name, slug, time_zone, currency)
VALUES ('b0000000-0000-4000-8000-000000000001', 'Bench', 'bench', 'UTC', 'USD');

INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret)
VALUES ('b0000000-0000-4000-8000-000000000001', 'load generator', :'nas', :'secret');

INSERT INTO profiles (tenant_id, name, data_limit_bytes, time_limit_seconds, rate_limit,
                      shared_users, currency)
SELECT 'b0000000-0000-4000-8000-000000000001', c.groupname,
       max(c.value::bigint) FILTER (WHERE c.attribute = 'Max-Total-Octets'),
       max(c.value::bigint) FILTER (WHERE c.attribute = 'Max-All-Session'),
       (SELECT max(r.value) FROM radgroupreply r
         WHERE r.groupname = c.groupname AND r.attribute = 'Mikrotik-Rate-Limit'),
       coalesce(max(c.value::int) FILTER (WHERE c.attribute = 'Simultaneous-Use'), 1),
       'USD'
  FROM radgroupcheck c
 GROUP BY c.groupname;

WITH u AS (
    SELECT username, sum(acctinputoctets + acctoutputoctets) AS b,
           sum(acctsessiontime) AS s, min(acctstarttime) AS first
      FROM ds_acct GROUP BY username)
INSERT INTO vouchers (tenant_id, code, password, profile_id, data_limit_bytes,
                      time_limit_seconds, rate_limit, shared_users, currency,
                      activated_at, used_bytes, used_seconds)
SELECT p.tenant_id, d.username, d.password, p.id, p.data_limit_bytes,
       p.time_limit_seconds, p.rate_limit, p.shared_users, 'USD',
       u.first, coalesce(u.b, 0), coalesce(u.s, 0)
  FROM ds_users d
  JOIN profiles p ON p.tenant_id = 'b0000000-0000-4000-8000-000000000001' AND p.name = d.profile
  LEFT JOIN u ON u.username = d.username;

INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
                             acct_session_id, nas_ip, nas_port_id, calling_station_id,
                             framed_ip, started_at, last_update_at, stopped_at,
                             input_octets, output_octets, session_time, terminate_cause)
SELECT v.tenant_id, v.id, r.id, a.username, a.acctuniqueid, a.acctsessionid,
       a.nasipaddress::inet, nullif(a.nasportid, ''), nullif(a.callingstationid, ''),
       nullif(a.framedipaddress, '')::inet, a.acctstarttime,
       CASE WHEN a.acctstoptime IS NULL THEN now()
            ELSE coalesce(a.acctupdatetime, a.acctstoptime) END,
       a.acctstoptime, a.acctinputoctets, a.acctoutputoctets, a.acctsessiontime,
       nullif(a.acctterminatecause, '')
  FROM ds_acct a
  JOIN vouchers v ON v.tenant_id = 'b0000000-0000-4000-8000-000000000001' AND v.code = a.username
  JOIN mikrotik_devices r ON r.ip_address = :'nas'::inet;

-- A voucher the history took past its allowance was moved to 'used' by the
-- accounting that did it (hs__voucher_cut), so it is loaded that way.
UPDATE vouchers
   SET status = 'used'
 WHERE tenant_id = 'b0000000-0000-4000-8000-000000000001'
   AND (used_bytes >= data_limit_bytes OR used_seconds >= time_limit_seconds);

CREATE TABLE bench_baseline AS
SELECT id, status, activated_at, expires_at, used_bytes, used_seconds, locked_mac FROM vouchers;
ALTER TABLE bench_baseline ADD PRIMARY KEY (id);
CREATE TABLE bench_open AS SELECT id FROM radius_sessions WHERE stopped_at IS NULL;

-- Back to the state just after loading: the load generator's sessions
-- (Acct-Session-Id b...) gone, vouchers' usage and state as loaded, the
-- "online" sessions open and just heard from, soft state and outbox empty.
CREATE FUNCTION bench_reset() RETURNS void LANGUAGE sql AS $$
DELETE FROM radius_sessions WHERE acct_session_id LIKE 'b%';
UPDATE radius_sessions s
   SET stopped_at = NULL, terminate_cause = NULL, last_update_at = now(),
       disconnect_reason = NULL, disconnect_queued_at = NULL,
       disconnect_result = NULL, disconnect_result_at = NULL
  FROM bench_open o WHERE s.id = o.id;
UPDATE vouchers v
   SET status = b.status, activated_at = b.activated_at, expires_at = b.expires_at,
       used_bytes = b.used_bytes, used_seconds = b.used_seconds, locked_mac = b.locked_mac
  FROM bench_baseline b
 WHERE v.id = b.id
   AND (v.status, v.activated_at, v.expires_at, v.used_bytes, v.used_seconds, v.locked_mac)
       IS DISTINCT FROM
       (b.status, b.activated_at, b.expires_at, b.used_bytes, b.used_seconds, b.locked_mac);
DELETE FROM reservations;
DELETE FROM auth_log;
DELETE FROM events;
DELETE FROM jobs;
$$;

COMMIT;

SELECT 'loaded: vouchers=' || (SELECT count(*) FROM vouchers)
    || ' sessions=' || (SELECT count(*) FROM radius_sessions)
    || ' open=' || (SELECT count(*) FROM radius_sessions WHERE stopped_at IS NULL)
    || ' profiles=' || (SELECT string_agg(name || ':' || coalesce(data_limit_bytes::text, '-') || 'B/'
                                          || coalesce(time_limit_seconds::text, '-') || 's', ' ')
                          FROM profiles);
