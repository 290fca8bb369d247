-- 0007_rls_grants: row-level security and privileges.
--
-- hs_api (the REST API) works on tables, always inside a transaction that
-- has run SET LOCAL hotspot.tenant_id = '<uuid>'; every policy compares
-- tenant_id with hs_current_tenant(), so without a tenant it sees nothing
-- and it can never write a row for another tenant (WITH CHECK).
-- hs_radius and hs_worker have no table privileges at all: they call
-- SECURITY DEFINER functions owned by hs_owner. hs_owner owns the tables and
-- so bypasses RLS (no FORCE): it only runs migrations and those functions.

-- Every tenant-owned table: one policy for hs_api, keyed on the tenant.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['admins', 'api_tokens', 'mikrotik_devices', 'mikrotik_config_history',
                             'profiles', 'voucher_batches', 'customers', 'vouchers', 'payments',
                             'sms_messages', 'audit_log', 'events', 'radius_sessions', 'auth_log',
                             'reservations', 'jobs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I TO hs_api
                            USING (tenant_id = hs_current_tenant())
                            WITH CHECK (tenant_id = hs_current_tenant())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON admins, api_tokens, mikrotik_devices, profiles,
    voucher_batches, customers, vouchers, payments, sms_messages TO hs_api;
-- History and logs: the API appends and reads, never rewrites.
GRANT SELECT, INSERT, DELETE ON mikrotik_config_history TO hs_api;
GRANT SELECT, INSERT ON audit_log, events TO hs_api;
-- Written by the RADIUS path and the workers only; the API reads them.
GRANT SELECT ON radius_sessions, auth_log, jobs TO hs_api;
-- reservations: no privilege for hs_api (RLS is on all the same).
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO hs_api;

-- The tenant row itself: the API sees and edits only its own, and only the
-- settings (slug and activation are the operator-of-operators' business).
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_self ON tenants TO hs_api
    USING (id = hs_current_tenant())
    WITH CHECK (id = hs_current_tenant());
GRANT SELECT ON tenants TO hs_api;
GRANT UPDATE (name, time_zone, currency, voucher_code_length, voucher_code_alphabet,
              voucher_code_prefix, voucher_password_length) ON tenants TO hs_api;

-- periodic_jobs is system-wide; it is reached through the job functions only.
ALTER TABLE periodic_jobs ENABLE ROW LEVEL SECURITY;

-- Resolves an API token before any tenant is known. P_TOKEN_HASH is the
-- lower-case hex SHA-256 of the bearer token. Returns one row for a token
-- that is neither revoked nor expired, of an active admin of an active
-- tenant; no row otherwise. Records last_used_at at most once a minute so
-- that a busy token does not turn every request into a write.
CREATE FUNCTION hs_api_token_resolve(p_token_hash text)
    RETURNS TABLE (token_id uuid, admin_id uuid, tenant_id uuid, abilities text[], admin_role text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_token uuid;
BEGIN
    SELECT t.id INTO v_token
      FROM api_tokens t
      JOIN admins a ON a.tenant_id = t.tenant_id AND a.id = t.admin_id
      JOIN tenants tn ON tn.id = t.tenant_id
     WHERE t.token_hash = lower(p_token_hash)
       AND t.revoked_at IS NULL
       AND (t.expires_at IS NULL OR t.expires_at > now())
       AND a.is_active AND tn.is_active;
    IF v_token IS NULL THEN
        RETURN;
    END IF;
    UPDATE api_tokens SET last_used_at = now()
     WHERE id = v_token AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
    RETURN QUERY
    SELECT t.id, t.admin_id, t.tenant_id, t.abilities, a.role
      FROM api_tokens t
      JOIN admins a ON a.tenant_id = t.tenant_id AND a.id = t.admin_id
     WHERE t.id = v_token;
END
$$;

-- Looks up an admin for password login, before any tenant is known: the
-- tenant by slug, the admin by e-mail (any letter case). Returns the stored
-- hash for the caller to verify, or no row. Inactive admins and tenants
-- get no row, so a disabled account cannot log in.
CREATE FUNCTION hs_admin_login_lookup(p_tenant_slug text, p_email text)
    RETURNS TABLE (admin_id uuid, tenant_id uuid, password_hash text, admin_role text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT a.id, a.tenant_id, a.password_hash, a.role
      FROM tenants tn
      JOIN admins a ON a.tenant_id = tn.id
     WHERE tn.slug = p_tenant_slug AND tn.is_active
       AND lower(a.email) = lower(p_email) AND a.is_active
$$;

REVOKE ALL ON FUNCTION hs_api_token_resolve(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_admin_login_lookup(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_api_token_resolve(text) TO hs_api;
GRANT EXECUTE ON FUNCTION hs_admin_login_lookup(text, text) TO hs_api;
