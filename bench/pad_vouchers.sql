-- Scaling check for `make bench` (bench.sh --vouchers N): adds N - (vouchers
-- loaded) vouchers to the bench tenant, each with one closed session of two
-- days ago, generated in SQL. The load only touches the anchor's vouchers;
-- these make the tables and their indexes as large as a big deployment's.
-- Run as hs_owner with -v n=<vouchers to add>.
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO vouchers (tenant_id, code, password, profile_id, data_limit_bytes, time_limit_seconds,
                      rate_limit, shared_users, currency, activated_at, used_bytes, used_seconds)
SELECT p.tenant_id, 'pad' || g, lpad((g % 1000000)::text, 6, '0'), p.id, p.data_limit_bytes,
       p.time_limit_seconds, p.rate_limit, p.shared_users, 'USD', now() - interval '2 days',
       g % 100000, g % 600
  FROM generate_series(1, :n) g,
       (SELECT * FROM profiles WHERE tenant_id = 'b0000000-0000-4000-8000-000000000001'
         ORDER BY name LIMIT 1) p;
INSERT INTO radius_sessions (tenant_id, voucher_id, router_id, username, acct_unique_id,
                             acct_session_id, nas_ip, started_at, last_update_at, stopped_at,
                             input_octets, output_octets, session_time)
SELECT v.tenant_id, v.id, r.id, v.code, md5(v.code), 'p' || v.code, r.ip_address,
       now() - interval '2 days', now() - interval '2 days', now() - interval '2 days',
       0, v.used_bytes, v.used_seconds
  FROM vouchers v
  JOIN mikrotik_devices r ON r.tenant_id = v.tenant_id
 WHERE v.tenant_id = 'b0000000-0000-4000-8000-000000000001' AND v.code LIKE 'pad%';
COMMIT;
SELECT 'padded: vouchers=' || (SELECT count(*) FROM vouchers)
    || ' sessions=' || (SELECT count(*) FROM radius_sessions);
