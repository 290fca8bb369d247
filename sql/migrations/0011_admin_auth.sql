-- 0011_admin_auth: what password login, tokens and accounts spanning
-- tenants need.
--
-- admin_tenants: an admin account lives in one tenant (admins.tenant_id,
-- its "home"); a row here lets it act in another tenant too, with a role
-- of its own there. The API picks the tenant per request (X-Tenant) and
-- checks the membership through hs_admin_tenant_role(), a SECURITY DEFINER
-- function, because the membership is needed before the tenant is known.
--
-- login_failures: failed password logins, per client address and per
-- account, shared by every hotspotd process. Soft state (UNLOGGED): a crash
-- forgets recent failures, which only lifts a lock-out early. hs_api has no
-- privilege on it; it goes through hs_login_throttle(), hs_login_failed()
-- and hs_login_succeeded().

CREATE TABLE admin_tenants (
    admin_id    uuid NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role        text NOT NULL DEFAULT 'viewer'
                CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (admin_id, tenant_id)
);
CREATE INDEX admin_tenants_tenant ON admin_tenants (tenant_id);

-- The API sees the memberships into its tenant, and changes none.
ALTER TABLE admin_tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON admin_tenants TO hs_api
    USING (tenant_id = hs_current_tenant())
    WITH CHECK (tenant_id = hs_current_tenant());
GRANT SELECT ON admin_tenants TO hs_api;

CREATE UNLOGGED TABLE login_failures (
    -- 'ip:<address>' or 'account:<lower-case e-mail>'
    key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);
ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY;

-- The keys a login attempt counts against: the address (when known) and
-- the account named, whether or not it exists (so that a lock-out does not
-- tell which addresses have accounts).
CREATE FUNCTION hs_login_keys(p_ip text, p_email text)
    RETURNS TABLE (key text, is_account boolean)
    LANGUAGE sql IMMUTABLE
    SET search_path = public, pg_temp
AS $$
    SELECT 'ip:' || p_ip, false WHERE coalesce(p_ip, '') <> ''
    UNION ALL
    SELECT 'account:' || lower(left(p_email, 254)), true WHERE coalesce(p_email, '') <> ''
$$;

-- Whether a login from P_IP for P_EMAIL may be tried now: 0, or the seconds
-- until it may (the larger wait of the two keys). A key is locked while it
-- has P_MAX_* failures within the last P_WINDOW seconds; it unlocks when
-- the oldest of those leaves the window.
CREATE FUNCTION hs_login_throttle(p_ip text, p_email text, p_max_ip int, p_max_account int,
                                  p_window int)
    RETURNS int
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT coalesce(max(ceil(extract(epoch FROM w.until - now())))::int, 0)
      FROM hs_login_keys(p_ip, p_email) k
     CROSS JOIN LATERAL (
           SELECT f.failed_at + make_interval(secs => p_window) AS until
             FROM login_failures f
            WHERE f.key = k.key AND f.failed_at > now() - make_interval(secs => p_window)
            ORDER BY f.failed_at DESC
           OFFSET greatest(CASE WHEN k.is_account THEN p_max_account ELSE p_max_ip END, 1) - 1
            LIMIT 1) w
     WHERE w.until > now()
$$;

-- Records a failed login for both keys and forgets their failures older
-- than the window. When the account exists (P_ADMIN_ID), the failure also
-- goes to its tenant's audit log.
CREATE FUNCTION hs_login_failed(p_ip text, p_email text, p_admin_id uuid, p_window int)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    DELETE FROM login_failures f
     USING hs_login_keys(p_ip, p_email) k
     WHERE f.key = k.key AND f.failed_at <= now() - make_interval(secs => p_window);
    INSERT INTO login_failures (key) SELECT k.key FROM hs_login_keys(p_ip, p_email) k;
    -- Keys that nobody retries are swept now and then, not on every call.
    IF random() < 0.01 THEN
        DELETE FROM login_failures WHERE failed_at < now() - interval '1 day';
    END IF;
    IF p_admin_id IS NOT NULL THEN
        INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id, ip)
        SELECT a.tenant_id, a.id, 'auth.login_failed', 'admin', a.id::text,
               CASE WHEN coalesce(p_ip, '') = '' THEN NULL ELSE p_ip::inet END
          FROM admins a WHERE a.id = p_admin_id;
    END IF;
END
$$;

-- A successful login clears the account's failures (not the address's:
-- one good password does not vouch for the other attempts from there).
CREATE FUNCTION hs_login_succeeded(p_email text)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    DELETE FROM login_failures WHERE key = 'account:' || lower(left(p_email, 254))
$$;

-- The active tenant P_TENANT names (its slug, or its id as text), or NULL.
-- PL/pgSQL so that the uuid cast only ever sees text of a UUID's shape.
CREATE FUNCTION hs_tenant_ref(p_tenant text)
    RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_tenant ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN (SELECT id FROM tenants WHERE id = p_tenant::uuid AND is_active);
    END IF;
    RETURN (SELECT id FROM tenants WHERE slug = p_tenant AND is_active);
END
$$;

-- Finds the account for a password login. P_TENANT (slug or id) picks the
-- account's own tenant; when it is NULL, the oldest active account with
-- that address is taken. No row for an unknown address, an inactive admin
-- or tenant. Extends hs_admin_login_lookup (slug only) with the id and the
-- tenant-less form.
CREATE FUNCTION hs_admin_login_find(p_tenant text, p_email text)
    RETURNS TABLE (admin_id uuid, tenant_id uuid, password_hash text, admin_role text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT a.id, a.tenant_id, a.password_hash, a.role
      FROM admins a
      JOIN tenants tn ON tn.id = a.tenant_id AND tn.is_active
     WHERE lower(a.email) = lower(p_email) AND a.is_active
       AND (p_tenant IS NULL OR tn.id = hs_tenant_ref(p_tenant))
     ORDER BY a.created_at, a.id
     LIMIT 1
$$;

-- The tenant P_TENANT (slug or id) and the role P_ADMIN_ID has there: its
-- own tenant with its own role, or a membership of admin_tenants. No row
-- when the admin may not act there (or either is inactive).
CREATE FUNCTION hs_admin_tenant_role(p_admin_id uuid, p_tenant text)
    RETURNS TABLE (tenant_id uuid, role text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT t.id, coalesce(CASE WHEN a.tenant_id = t.id THEN a.role END, m.role)
      FROM admins a
      JOIN tenants t ON t.id = hs_tenant_ref(p_tenant)
      LEFT JOIN admin_tenants m ON m.admin_id = a.id AND m.tenant_id = t.id
     WHERE a.id = p_admin_id AND a.is_active
       AND (a.tenant_id = t.id OR m.admin_id IS NOT NULL)
$$;

-- Every tenant P_ADMIN_ID may act in: its own first, then its memberships.
CREATE FUNCTION hs_admin_tenants_of(p_admin_id uuid)
    RETURNS TABLE (tenant_id uuid, name text, slug text, role text, home boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT t.id, t.name, t.slug, a.role, true
      FROM admins a JOIN tenants t ON t.id = a.tenant_id
     WHERE a.id = p_admin_id AND t.is_active
    UNION ALL
    (SELECT t.id, t.name, t.slug, m.role, false
       FROM admin_tenants m JOIN tenants t ON t.id = m.tenant_id
      WHERE m.admin_id = p_admin_id AND t.is_active
      ORDER BY t.slug)
$$;

REVOKE ALL ON FUNCTION hs_login_keys(text, text), hs_tenant_ref(text),
    hs_login_throttle(text, text, int, int, int), hs_login_failed(text, text, uuid, int),
    hs_login_succeeded(text), hs_admin_login_find(text, text),
    hs_admin_tenant_role(uuid, text), hs_admin_tenants_of(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_login_throttle(text, text, int, int, int),
    hs_login_failed(text, text, uuid, int), hs_login_succeeded(text),
    hs_admin_login_find(text, text), hs_admin_tenant_role(uuid, text),
    hs_admin_tenants_of(uuid) TO hs_api;
