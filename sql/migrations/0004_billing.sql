-- 0004_billing: profiles (what is sold), voucher batches, customers,
-- vouchers (what was sold, with its own copy of the terms), payments and
-- SMS messages. Money is an integer in minor units with an ISO 4217 code;
-- data is bytes and time is seconds, all 64-bit; NULL limit = unlimited.

CREATE TABLE profiles (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    data_limit_bytes   bigint CHECK (data_limit_bytes > 0),
    validity_seconds   bigint CHECK (validity_seconds > 0),
    time_limit_seconds bigint CHECK (time_limit_seconds > 0),
    -- MikroTik rate limit: rx[/tx] [burst-rx[/tx] [threshold [time [priority [min]]]]]
    rate_limit         text CHECK (rate_limit ~ '^[0-9]+[kKmMgG]?(/[0-9]+[kKmMgG]?)?( [0-9]+[kKmMgG]?(/[0-9]+[kKmMgG]?)?){0,5}$'),
    idle_timeout_s     int CHECK (idle_timeout_s > 0),
    shared_users       int NOT NULL DEFAULT 1 CHECK (shared_users BETWEEN 1 AND 10000),
    mac_lock           boolean NOT NULL DEFAULT false,
    -- The password is the code itself (one field on the login page).
    code_only          boolean NOT NULL DEFAULT false,
    price_minor        bigint NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    currency           hs_currency NOT NULL,
    is_active          boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE TRIGGER profiles_touch BEFORE UPDATE ON profiles
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

CREATE TABLE voucher_batches (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    profile_id  uuid NOT NULL,
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    quantity    int NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, profile_id) REFERENCES profiles (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, created_by) REFERENCES admins (tenant_id, id) ON DELETE SET NULL (created_by)
);
CREATE INDEX voucher_batches_tenant ON voucher_batches (tenant_id, created_at DESC);
CREATE INDEX voucher_batches_profile ON voucher_batches (tenant_id, profile_id);
CREATE INDEX voucher_batches_admin ON voucher_batches (tenant_id, created_by) WHERE created_by IS NOT NULL;
CREATE TRIGGER voucher_batches_touch BEFORE UPDATE ON voucher_batches
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

CREATE TABLE customers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    phone       text CHECK (phone ~ '^\+?[0-9]{4,20}$'),
    email       text CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 254),
    notes       text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);
CREATE INDEX customers_phone ON customers (tenant_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX customers_name ON customers (tenant_id, name);
CREATE TRIGGER customers_touch BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

-- A voucher copies its profile's terms when it is created (the API does the
-- copy), so that editing a profile later changes no voucher already sold.
-- fillfactor leaves room for HOT updates: accounting rewrites used_bytes and
-- used_seconds many times per session, and no index covers those columns.
CREATE TABLE vouchers (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code               text NOT NULL CHECK (code ~ '^[[:alnum:]._@-]{1,64}$'),
    password           text NOT NULL CHECK (length(password) BETWEEN 1 AND 64),
    profile_id         uuid NOT NULL,
    batch_id           uuid,
    data_limit_bytes   bigint CHECK (data_limit_bytes > 0),
    time_limit_seconds bigint CHECK (time_limit_seconds > 0),
    validity_seconds   bigint CHECK (validity_seconds > 0),
    rate_limit         text CHECK (rate_limit ~ '^[0-9]+[kKmMgG]?(/[0-9]+[kKmMgG]?)?( [0-9]+[kKmMgG]?(/[0-9]+[kKmMgG]?)?){0,5}$'),
    idle_timeout_s     int CHECK (idle_timeout_s > 0),
    shared_users       int NOT NULL DEFAULT 1 CHECK (shared_users BETWEEN 1 AND 10000),
    mac_lock           boolean NOT NULL DEFAULT false,
    price_minor        bigint NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    currency           hs_currency NOT NULL,
    status             text NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'disabled', 'expired', 'used', 'refunded')),
    customer_id        uuid,
    -- NULL: valid on any router of the tenant.
    router_id          uuid,
    -- Calling-Station-Id the voucher is bound to (mac_lock), set at first login.
    locked_mac         text CHECK (length(locked_mac) BETWEEN 1 AND 64),
    -- Validity starts at sale instead of first login.
    auto_activate      boolean NOT NULL DEFAULT false,
    activated_at       timestamptz,
    expires_at         timestamptz,
    used_bytes         bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    used_seconds       bigint NOT NULL DEFAULT 0 CHECK (used_seconds >= 0),
    sold_at            timestamptz,
    notes              text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, code),
    CHECK (expires_at IS NULL OR activated_at IS NULL OR expires_at >= activated_at),
    FOREIGN KEY (tenant_id, profile_id) REFERENCES profiles (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, batch_id) REFERENCES voucher_batches (tenant_id, id) ON DELETE SET NULL (batch_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id),
    FOREIGN KEY (tenant_id, router_id) REFERENCES mikrotik_devices (tenant_id, id) ON DELETE SET NULL (router_id)
) WITH (fillfactor = 85);
CREATE INDEX vouchers_list ON vouchers (tenant_id, status, created_at DESC);
CREATE INDEX vouchers_created ON vouchers (tenant_id, created_at DESC);
CREATE INDEX vouchers_profile ON vouchers (tenant_id, profile_id);
CREATE INDEX vouchers_batch ON vouchers (tenant_id, batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX vouchers_customer ON vouchers (tenant_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX vouchers_router ON vouchers (tenant_id, router_id) WHERE router_id IS NOT NULL;
-- The usage counters are left out of the column list so that accounting
-- updates do not pay for this trigger; anything an admin edits is in it.
CREATE TRIGGER vouchers_touch BEFORE UPDATE OF
    tenant_id, code, password, profile_id, batch_id, data_limit_bytes, time_limit_seconds,
    validity_seconds, rate_limit, idle_timeout_s, shared_users, mac_lock, price_minor, currency,
    status, customer_id, router_id, locked_mac, auto_activate, activated_at, expires_at, sold_at, notes
    ON vouchers FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

CREATE TABLE payments (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    customer_id   uuid,
    voucher_id    uuid,
    profile_id    uuid,
    -- Driver name: cash, mtn_momo, airtel_money, flutterwave, stripe…
    gateway       text NOT NULL CHECK (gateway ~ '^[a-z0-9_]{1,32}$'),
    -- The gateway's own reference; unique per tenant and gateway, so a
    -- replayed webhook finds the payment it already recorded.
    gateway_ref   text CHECK (length(gateway_ref) BETWEEN 1 AND 200),
    amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
    currency      hs_currency NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    payer_phone   text CHECK (payer_phone ~ '^\+?[0-9]{4,20}$'),
    raw           jsonb NOT NULL DEFAULT '{}',
    error         text CHECK (length(error) <= 2000),
    paid_at       timestamptz,
    refunded_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, gateway, gateway_ref),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id),
    FOREIGN KEY (tenant_id, voucher_id) REFERENCES vouchers (tenant_id, id) ON DELETE SET NULL (voucher_id),
    FOREIGN KEY (tenant_id, profile_id) REFERENCES profiles (tenant_id, id) ON DELETE SET NULL (profile_id)
);
-- Webhooks arrive with the gateway's reference only.
CREATE INDEX payments_gateway_ref ON payments (gateway, gateway_ref) WHERE gateway_ref IS NOT NULL;
CREATE INDEX payments_list ON payments (tenant_id, created_at DESC);
CREATE INDEX payments_pending ON payments (tenant_id, created_at) WHERE status = 'pending';
CREATE INDEX payments_customer ON payments (tenant_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX payments_voucher ON payments (tenant_id, voucher_id) WHERE voucher_id IS NOT NULL;
CREATE INDEX payments_profile ON payments (tenant_id, profile_id) WHERE profile_id IS NOT NULL;
CREATE TRIGGER payments_touch BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

CREATE TABLE sms_messages (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    customer_id   uuid,
    voucher_id    uuid,
    to_phone      text NOT NULL CHECK (to_phone ~ '^\+?[0-9]{4,20}$'),
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
    driver        text NOT NULL CHECK (driver ~ '^[a-z0-9_]{1,32}$'),
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'delivered')),
    provider_ref  text CHECK (length(provider_ref) <= 200),
    error         text CHECK (length(error) <= 2000),
    attempts      int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    sent_at       timestamptz,
    delivered_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id),
    FOREIGN KEY (tenant_id, voucher_id) REFERENCES vouchers (tenant_id, id) ON DELETE SET NULL (voucher_id)
);
CREATE INDEX sms_messages_list ON sms_messages (tenant_id, created_at DESC);
CREATE INDEX sms_messages_customer ON sms_messages (tenant_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX sms_messages_voucher ON sms_messages (tenant_id, voucher_id) WHERE voucher_id IS NOT NULL;
CREATE INDEX sms_messages_provider_ref ON sms_messages (driver, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE TRIGGER sms_messages_touch BEFORE UPDATE ON sms_messages
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();
