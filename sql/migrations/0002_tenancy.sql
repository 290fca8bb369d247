-- 0002_tenancy: tenants (operators), their admins, API tokens and the audit
-- log. Every tenant-owned table from here on carries tenant_id NOT NULL and
-- UNIQUE (tenant_id, id), so that children can reference a parent with a
-- composite foreign key (tenant_id, parent_id): a row can then only point
-- at a parent of its own tenant, whatever the client sends.

CREATE TABLE tenants (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug                   text NOT NULL UNIQUE
                           CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    time_zone              text NOT NULL DEFAULT 'UTC',
    currency               hs_currency NOT NULL DEFAULT 'UGX',
    -- Voucher code settings: CSPRNG symbols from an alphabet without
    -- look-alikes (0/O, 1/l/I); 10 of 31 symbols is about 50 bits.
    voucher_code_length    int NOT NULL DEFAULT 10 CHECK (voucher_code_length BETWEEN 4 AND 32),
    voucher_code_alphabet  text NOT NULL DEFAULT '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
                           CHECK (voucher_code_alphabet ~ '^[[:alnum:]]{2,64}$'),
    voucher_code_prefix    text NOT NULL DEFAULT ''
                           CHECK (voucher_code_prefix ~ '^[[:alnum:]-]{0,16}$'),
    voucher_password_length int NOT NULL DEFAULT 6 CHECK (voucher_password_length BETWEEN 4 AND 32),
    is_active              boolean NOT NULL DEFAULT true,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER tenants_time_zone BEFORE INSERT OR UPDATE OF time_zone ON tenants
    FOR EACH ROW EXECUTE FUNCTION hs_check_time_zone();
CREATE TRIGGER tenants_touch BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

CREATE TABLE admins (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 254),
    name           text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- A crypt(3)-style hash ($2b$…, $argon2id$…), or '!' when password
    -- login is disabled and only API tokens work.
    password_hash  text NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 512),
    role           text NOT NULL DEFAULT 'admin'
                   CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
    is_active      boolean NOT NULL DEFAULT true,
    last_login_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);
-- One account per address and tenant, whatever the letter case.
CREATE UNIQUE INDEX admins_tenant_email ON admins (tenant_id, lower(email));
CREATE TRIGGER admins_touch BEFORE UPDATE ON admins
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    admin_id      uuid NOT NULL,
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- Lower-case hex SHA-256 of the token; the token itself is never stored.
    token_hash    text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    abilities     text[] NOT NULL DEFAULT '{}'
                  CHECK (array_position(abilities, NULL) IS NULL),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, admin_id) REFERENCES admins (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_admin ON api_tokens (tenant_id, admin_id);
CREATE TRIGGER api_tokens_touch BEFORE UPDATE OF tenant_id, admin_id, name, token_hash, abilities, expires_at, revoked_at
    ON api_tokens FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

-- Append-only record of what admins did. admin_id is kept as a plain value
-- (no foreign key) so the record outlives the admin account.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    admin_id     uuid,
    action       text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    object_type  text CHECK (length(object_type) <= 100),
    object_id    text CHECK (length(object_id) <= 200),
    details      jsonb NOT NULL DEFAULT '{}',
    ip           inet,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, created_at DESC);
