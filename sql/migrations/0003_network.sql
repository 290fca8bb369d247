-- 0003_network: routers (MikroTik devices) and their configuration history.

CREATE TABLE mikrotik_devices (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The RADIUS client is the packet's source address, so an address
    -- belongs to one router of one tenant: UNIQUE across all tenants.
    ip_address         inet NOT NULL UNIQUE
                       CHECK (masklen(ip_address) = CASE family(ip_address) WHEN 4 THEN 32 ELSE 128 END),
    location           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(location) = 'object'),
    api_port           int NOT NULL DEFAULT 8728 CHECK (api_port BETWEEN 1 AND 65535),
    api_ssl            boolean NOT NULL DEFAULT false,
    api_tls_insecure   boolean NOT NULL DEFAULT false,
    -- RouterOS API credentials. NULL password: RADIUS only, no management.
    -- password_encrypted is sealed by hotspotd with its key (never clear text).
    username           text CHECK (length(username) BETWEEN 1 AND 100),
    password_encrypted bytea,
    -- Needed in clear text to sign and check RADIUS packets.
    radius_secret      text NOT NULL CHECK (length(radius_secret) BETWEEN 1 AND 128),
    coa_port           int NOT NULL DEFAULT 3799 CHECK (coa_port BETWEEN 1 AND 65535),
    require_message_authenticator boolean NOT NULL DEFAULT false,
    status             text NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline', 'error')),
    last_seen          timestamptz,
    uptime_seconds     bigint NOT NULL DEFAULT 0 CHECK (uptime_seconds >= 0),
    router_os_version  text CHECK (length(router_os_version) <= 100),
    identity           text CHECK (length(identity) <= 200),
    last_error         text CHECK (length(last_error) <= 2000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    CHECK (password_encrypted IS NULL OR username IS NOT NULL)
);
CREATE INDEX mikrotik_devices_tenant ON mikrotik_devices (tenant_id, name);
CREATE TRIGGER mikrotik_devices_touch BEFORE UPDATE ON mikrotik_devices
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

-- Backups, restores and configuration changes, append-only.
CREATE TABLE mikrotik_config_history (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device_id          uuid NOT NULL,
    change_type        text NOT NULL CHECK (change_type IN ('backup', 'restore', 'update')),
    configuration_data jsonb NOT NULL DEFAULT '{}',
    file_name          text CHECK (length(file_name) <= 255),
    content            text,
    changed_by         uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES mikrotik_devices (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, changed_by) REFERENCES admins (tenant_id, id) ON DELETE SET NULL (changed_by)
);
CREATE INDEX mikrotik_config_history_device ON mikrotik_config_history (tenant_id, device_id, created_at DESC);
CREATE INDEX mikrotik_config_history_admin ON mikrotik_config_history (tenant_id, changed_by) WHERE changed_by IS NOT NULL;
