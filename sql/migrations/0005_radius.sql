-- 0005_radius: accounting sessions (durable), reservations and the auth log
-- (soft state: UNLOGGED, emptied by a crash, never waited on for a flush).

-- One row per Acct-Unique-Session-Id and router. Counters are 64-bit and
-- cumulative per session (the accounting path keeps the larger value).
-- Interim-Update changes only the counters and last_update_at, which no
-- index covers, so with the fillfactor those updates stay HOT.
CREATE TABLE radius_sessions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    voucher_id          uuid,
    -- NULL once the router has been deleted; nas_ip keeps where it was.
    router_id           uuid,
    username            text NOT NULL CHECK (length(username) BETWEEN 1 AND 253),
    acct_unique_id      text NOT NULL CHECK (length(acct_unique_id) BETWEEN 1 AND 253),
    acct_session_id     text NOT NULL CHECK (length(acct_session_id) BETWEEN 1 AND 253),
    nas_ip              inet NOT NULL,
    nas_port_id         text CHECK (length(nas_port_id) <= 253),
    calling_station_id  text CHECK (length(calling_station_id) <= 253),
    framed_ip           inet,
    started_at          timestamptz NOT NULL,
    last_update_at      timestamptz NOT NULL,
    stopped_at          timestamptz,
    input_octets        bigint NOT NULL DEFAULT 0 CHECK (input_octets >= 0),
    output_octets       bigint NOT NULL DEFAULT 0 CHECK (output_octets >= 0),
    session_time        bigint NOT NULL DEFAULT 0 CHECK (session_time >= 0),
    terminate_cause     text CHECK (length(terminate_cause) <= 64),
    interim_count       int NOT NULL DEFAULT 0 CHECK (interim_count >= 0),
    UNIQUE (tenant_id, id),
    UNIQUE (router_id, acct_unique_id),
    FOREIGN KEY (tenant_id, voucher_id) REFERENCES vouchers (tenant_id, id) ON DELETE SET NULL (voucher_id),
    FOREIGN KEY (tenant_id, router_id) REFERENCES mikrotik_devices (tenant_id, id) ON DELETE SET NULL (router_id)
) WITH (fillfactor = 80);
-- Shared-users count and disconnects: the live sessions of a voucher.
CREATE INDEX radius_sessions_open ON radius_sessions (voucher_id) WHERE stopped_at IS NULL;
-- Accounting-On/Off and Disconnect-Request look sessions up per router.
CREATE INDEX radius_sessions_router_sid ON radius_sessions (router_id, acct_session_id);
CREATE INDEX radius_sessions_nas_sid ON radius_sessions (nas_ip, acct_session_id);
CREATE INDEX radius_sessions_voucher ON radius_sessions (tenant_id, voucher_id, started_at DESC);
CREATE INDEX radius_sessions_list ON radius_sessions (tenant_id, started_at DESC);
-- Pruning of closed sessions.
CREATE INDEX radius_sessions_stopped ON radius_sessions (stopped_at) WHERE stopped_at IS NOT NULL;

-- An Access-Accept holds one of the voucher's shared slots for (voucher,
-- NAS, Calling-Station-Id) until the matching Accounting-Start or
-- expires_at (120 s), whichever comes first. UNLOGGED: losing them in a
-- crash only frees slots early. There are deliberately no foreign keys: a
-- key to vouchers would take a KEY SHARE lock on the voucher row at every
-- new reservation, which writes WAL and makes the Access-Accept wait for a
-- flush; keys to tenants or routers would lock rows that every concurrent
-- Access-Accept of that tenant or router shares. A reservation of a deleted
-- voucher or router only lives until expires_at, and the prune job removes
-- expired ones.
CREATE UNLOGGED TABLE reservations (
    tenant_id           uuid NOT NULL,
    voucher_id          uuid NOT NULL,
    router_id           uuid NOT NULL,
    calling_station_id  text NOT NULL DEFAULT '' CHECK (length(calling_station_id) <= 253),
    expires_at          timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (voucher_id, router_id, calling_station_id)
);
CREATE INDEX reservations_router ON reservations (tenant_id, router_id);
CREATE INDEX reservations_expiry ON reservations (expires_at);

-- Every authorization decision. UNLOGGED and without foreign keys, so the
-- auth path pays only for a heap insert and two index entries. voucher_id
-- when the name matched a voucher; otherwise name_hash (hex SHA-256 of the
-- User-Name), never the name or password the client sent.
CREATE UNLOGGED TABLE auth_log (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id           uuid NOT NULL,
    router_id           uuid,
    voucher_id          uuid,
    name_hash           text CHECK (name_hash ~ '^[0-9a-f]{64}$'),
    result              text NOT NULL CHECK (result IN ('accept', 'reject')),
    reason              text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    nas_ip              inet,
    calling_station_id  text CHECK (length(calling_station_id) <= 253),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (voucher_id IS NOT NULL OR name_hash IS NOT NULL)
);
CREATE INDEX auth_log_tenant_time ON auth_log (tenant_id, created_at DESC);
-- Rows arrive in time order, so a BRIN index serves pruning for almost nothing.
CREATE INDEX auth_log_time ON auth_log USING brin (created_at);
