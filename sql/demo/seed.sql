-- Demo data: one tenant with an admin, an API token, a loopback router, two
-- profiles and five vouchers per profile. Run as hs_owner with psql:
--
--   psql -X -At -v token_hash=<hex sha256 of the API token> \
--        -v router_secret=<RADIUS secret> -v admin_email=<address> \
--        [-v admin_password=<password>] -f sql/demo/seed.sql
--
-- Idempotent: a second run with the same values changes nothing. The only
-- output is one line "code|password", a 1GB-DAILY voucher to log in with.
-- Without admin_password the admin has no password login (hash '!') and
-- uses the API token.

\set QUIET on
\set ON_ERROR_STOP on

\if :{?token_hash}
\else
    \set token_hash ''
\endif
\if :{?router_secret}
\else
    \set router_secret ''
\endif
\if :{?admin_email}
\else
    \set admin_email ''
\endif
\if :{?admin_password}
\else
    \set admin_password ''
\endif

BEGIN;

SELECT set_config('seed.token_hash', :'token_hash', true),
       set_config('seed.router_secret', :'router_secret', true),
       set_config('seed.admin_email', :'admin_email', true) \g /dev/null

DO $$
BEGIN
    IF current_setting('seed.token_hash') !~ '^[0-9a-fA-F]{64}$' THEN
        RAISE EXCEPTION 'seed.sql: -v token_hash=<hex sha256 of the demo API token> is required';
    END IF;
    IF current_setting('seed.router_secret') = '' THEN
        RAISE EXCEPTION 'seed.sql: -v router_secret=<RADIUS secret> is required';
    END IF;
    IF current_setting('seed.admin_email') = '' THEN
        RAISE EXCEPTION 'seed.sql: -v admin_email=<address> is required';
    END IF;
END
$$;

INSERT INTO tenants (name, slug, time_zone, currency)
VALUES ('Demo Hotspot', 'demo', 'Africa/Kampala', 'UGX')
ON CONFLICT (slug) DO NOTHING;

INSERT INTO admins (tenant_id, email, name, password_hash, role)
SELECT t.id, lower(:'admin_email'), 'Demo admin',
       CASE WHEN :'admin_password' = '' THEN '!'
            ELSE crypt(:'admin_password', gen_salt('bf', 10)) END,
       'owner'
  FROM tenants t WHERE t.slug = 'demo'
ON CONFLICT (tenant_id, lower(email)) DO NOTHING;

INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
SELECT a.tenant_id, a.id, 'demo', lower(:'token_hash'), ARRAY['*']
  FROM admins a JOIN tenants t ON t.id = a.tenant_id
 WHERE t.slug = 'demo' AND lower(a.email) = lower(:'admin_email')
ON CONFLICT (token_hash) DO NOTHING;

-- A new secret (a fresh local set-up) replaces the old one; the same
-- secret changes nothing.
INSERT INTO mikrotik_devices (tenant_id, name, ip_address, location, username, radius_secret)
SELECT t.id, 'Loopback router', '127.0.0.1', '{"name": "Local test bench"}', 'admin', :'router_secret'
  FROM tenants t WHERE t.slug = 'demo'
ON CONFLICT (ip_address) DO UPDATE
   SET radius_secret = EXCLUDED.radius_secret
 WHERE mikrotik_devices.tenant_id = EXCLUDED.tenant_id
   AND mikrotik_devices.radius_secret IS DISTINCT FROM EXCLUDED.radius_secret;

INSERT INTO profiles (tenant_id, name, description, data_limit_bytes, validity_seconds,
                      rate_limit, shared_users, code_only, price_minor, currency)
SELECT t.id, p.name, p.description, p.data_limit_bytes, p.validity_seconds,
       p.rate_limit, 1, p.code_only, p.price_minor, 'UGX'
  FROM tenants t,
       (VALUES ('1GB-DAILY', '1 GB for 24 hours', 1024::bigint * 1024 * 1024, 86400::bigint,
                '2M/2M', false, 5000::bigint),
               ('UNLIMITED-WEEKLY', 'Unlimited data for 7 days', NULL, 604800,
                NULL, true, 25000)) AS p (name, description, data_limit_bytes, validity_seconds,
                                          rate_limit, code_only, price_minor)
 WHERE t.slug = 'demo'
ON CONFLICT (tenant_id, name) DO NOTHING;

-- Five vouchers per profile, only while the tenant has none: each copies
-- its profile's terms. Codes use the tenant's alphabet and length; the
-- password is the code for code-only profiles, else digits.
INSERT INTO vouchers (tenant_id, code, password, profile_id, data_limit_bytes, time_limit_seconds,
                      validity_seconds, rate_limit, idle_timeout_s, shared_users, mac_lock,
                      price_minor, currency)
SELECT v.tenant_id, v.code,
       CASE WHEN v.code_only THEN v.code ELSE hs_random_code('23456789', v.password_length) END,
       v.profile_id, v.data_limit_bytes, v.time_limit_seconds, v.validity_seconds, v.rate_limit,
       v.idle_timeout_s, v.shared_users, v.mac_lock, v.price_minor, v.currency
  FROM (SELECT t.id AS tenant_id, p.id AS profile_id, p.code_only,
               t.voucher_code_prefix || hs_random_code(t.voucher_code_alphabet, t.voucher_code_length) AS code,
               t.voucher_password_length AS password_length,
               p.data_limit_bytes, p.time_limit_seconds, p.validity_seconds, p.rate_limit,
               p.idle_timeout_s, p.shared_users, p.mac_lock, p.price_minor, p.currency
          FROM tenants t
          JOIN profiles p ON p.tenant_id = t.id
         CROSS JOIN generate_series(1, 5)
         WHERE t.slug = 'demo' AND p.name IN ('1GB-DAILY', 'UNLIMITED-WEEKLY')
           AND NOT EXISTS (SELECT 1 FROM vouchers x WHERE x.tenant_id = t.id)) AS v
ON CONFLICT (tenant_id, code) DO NOTHING;

COMMIT;

SELECT v.code, v.password
  FROM vouchers v
  JOIN profiles p ON p.tenant_id = v.tenant_id AND p.id = v.profile_id
  JOIN tenants t ON t.id = v.tenant_id
 WHERE t.slug = 'demo' AND p.name = '1GB-DAILY' AND v.status = 'active'
 ORDER BY v.created_at, v.code
 LIMIT 1;
