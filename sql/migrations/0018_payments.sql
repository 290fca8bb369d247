-- 0018_payments: online payments (Stripe Checkout, Flutterwave mobile
-- money) that issue a voucher exactly once.
--
--   payment_events                    one row per gateway event or status
--                                     check applied: (gateway, event_id) is
--                                     the exactly-once key
--   hs_purchase_offer(slug)           the profiles a tenant sells online
--   hs_payment_open(...)              a pending payment of a public buyer
--   hs_payment_checkout(...)          what the gateway answered to it
--   hs_payment_settle(...)            applies a verified gateway outcome:
--                                     issues, fails or refunds, once
--   hs_payment_public(...)            the buyer's status page (token hash)
--   hs_payment_check_target(id)       what payment.check asks the gateway
--   hs_payment_expire(id, why)        a payment whose callback never came
--
-- Webhooks and the purchase pages are public: no token, so no tenant. The
-- SECURITY DEFINER functions here take the tenant from the payment row (or
-- the tenant's slug) and do exactly their job; nothing else is reachable.

-- --- schema additions ----------------------------------------------------------

-- access_hash: hex SHA-256 of the buyer's status-page token (the token itself
-- is only in the buyer's URL). checkout_url: where the buyer pays (Stripe).
-- gateway_txn: the gateway's transaction (Stripe payment intent, Flutterwave
-- transaction id), what a refund names. auto_activate: validity of the
-- voucher starts at sale. expired: no outcome came in time.
ALTER TABLE payments
    ADD COLUMN access_hash   text CHECK (access_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN checkout_url  text CHECK (length(checkout_url) <= 2000),
    ADD COLUMN gateway_txn   text CHECK (length(gateway_txn) BETWEEN 1 AND 200),
    ADD COLUMN auto_activate boolean NOT NULL DEFAULT false,
    ADD COLUMN refund_ref    text CHECK (length(refund_ref) <= 200);
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded', 'expired'));
CREATE INDEX payments_gateway_txn ON payments (gateway, gateway_txn) WHERE gateway_txn IS NOT NULL;
CREATE INDEX payments_status ON payments (tenant_id, status, created_at DESC);

CREATE TABLE payment_events (
    gateway     text NOT NULL CHECK (gateway ~ '^[a-z0-9_]{1,32}$'),
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    payment_id  uuid NOT NULL,
    outcome     text NOT NULL CHECK (outcome ~ '^[a-z_]{1,32}$'),
    result      text NOT NULL CHECK (result ~ '^[a-z_]{1,32}$'),
    detail      text CHECK (length(detail) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, event_id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX payment_events_payment ON payment_events (tenant_id, payment_id, created_at);
ALTER TABLE payment_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payment_events TO hs_api
    USING (tenant_id = hs_current_tenant()) WITH CHECK (tenant_id = hs_current_tenant());
GRANT SELECT ON payment_events TO hs_api;

-- --- the purchase pages ---------------------------------------------------------

-- The active profiles with a price of the active tenant P_SLUG, cheapest
-- first, with the tenant's name; no rows for an unknown tenant.
CREATE FUNCTION hs_purchase_offer(p_slug text)
    RETURNS TABLE (tenant_name text, profile_id uuid, name text, description text,
                   price_minor bigint, currency text, price numeric, terms text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT t.name, p.id, p.name, p.description, p.price_minor, p.currency,
           hs_money_major(p.price_minor, p.currency),
           hs_voucher_terms_text(p.data_limit_bytes, p.validity_seconds, p.time_limit_seconds)
      FROM tenants t JOIN profiles p ON p.tenant_id = t.id
     WHERE t.slug = p_slug AND t.is_active AND p.is_active AND p.price_minor > 0
     ORDER BY p.price_minor, p.name
$$;

-- A pending payment of profile P_PROFILE_ID of tenant P_SLUG at the
-- profile's price, by phone P_PHONE through P_GATEWAY, whose status page
-- opens with the token of hex SHA-256 P_ACCESS_HASH; P_AUTO_ACTIVATE: the
-- voucher's validity starts when it is issued, not at the first login. When P_CHECK_DELAY_S is
-- not NULL a payment.check job is queued to run after that many seconds
-- (P_CHECK_ATTEMPTS attempts). Raises invalid_parameter_value with COLUMN
-- profile_id (no such profile on sale) or tenant (no such tenant).
CREATE FUNCTION hs_payment_open(p_slug text, p_profile_id uuid, p_phone text, p_gateway text,
                                p_access_hash text, p_check_delay_s int, p_check_attempts int,
                                p_auto_activate boolean)
    RETURNS TABLE (payment_id uuid, tenant_name text, profile_name text, amount_minor bigint,
                   currency text, amount numeric)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    t      tenants;
    p      profiles;
    v_id   uuid;
    v_prev text := current_setting('hotspot.tenant_id', true);
BEGIN
    SELECT * INTO t FROM tenants WHERE slug = p_slug AND is_active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such tenant' USING ERRCODE = 'invalid_parameter_value', COLUMN = 'tenant';
    END IF;
    SELECT * INTO p FROM profiles
     WHERE id = p_profile_id AND tenant_id = t.id AND is_active AND price_minor > 0;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'is not on sale' USING ERRCODE = 'invalid_parameter_value', COLUMN = 'profile_id';
    END IF;
    INSERT INTO payments (tenant_id, profile_id, gateway, amount_minor, currency, payer_phone,
                          access_hash, auto_activate)
    VALUES (t.id, p.id, p_gateway, p.price_minor, p.currency, p_phone, p_access_hash,
            coalesce(p_auto_activate, false))
    RETURNING id INTO v_id;
    IF p_check_delay_s IS NOT NULL THEN
        -- job_enqueue lets the API role queue for its transaction's tenant only.
        PERFORM set_config('hotspot.tenant_id', t.id::text, true);
        PERFORM job_enqueue('payment.check', jsonb_build_object('payment_id', v_id),
                            now() + make_interval(secs => p_check_delay_s), t.id,
                            coalesce(p_check_attempts, 5), 'payment.check:' || v_id);
        PERFORM set_config('hotspot.tenant_id', coalesce(v_prev, ''), true);
    END IF;
    RETURN QUERY SELECT v_id, t.name, p.name, p.price_minor, p.currency::text,
                        hs_money_major(p.price_minor, p.currency);
END
$$;

-- Records what the gateway answered to a new payment P_ID: its reference
-- (Stripe Checkout Session, Flutterwave flw_ref), transaction and checkout
-- URL; with P_ERROR the payment failed to start (status failed). Only a
-- pending payment changes; returns whether it did.
CREATE FUNCTION hs_payment_checkout(p_id uuid, p_ref text, p_txn text, p_url text, p_error text)
    RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    UPDATE payments SET gateway_ref = coalesce(p_ref, gateway_ref),
                        gateway_txn = coalesce(p_txn, gateway_txn),
                        checkout_url = coalesce(p_url, checkout_url),
                        status = CASE WHEN p_error IS NULL THEN status ELSE 'failed' END,
                        error = coalesce(left(p_error, 2000), error)
     WHERE id = p_id AND status = 'pending'
    RETURNING true
$$;

-- The customer of tenant P_TENANT with phone P_PHONE, made when there is none.
CREATE FUNCTION hs__payment_customer(p_tenant uuid, p_phone text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_id uuid;
BEGIN
    IF p_phone IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO customers (tenant_id, phone) VALUES (p_tenant, p_phone)
    ON CONFLICT (tenant_id, phone) WHERE phone IS NOT NULL DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        SELECT id INTO v_id FROM customers WHERE tenant_id = p_tenant AND phone = p_phone;
    END IF;
    RETURN v_id;
END
$$;

-- Issues the voucher of the locked, paid payment PAY: one voucher of its
-- profile at the price paid (hs_voucher_batch_generate, run for the
-- payment's tenant), linked to the customer of the payer's phone, activated
-- when the purchase asks, and its SMS queued (hs_voucher_sms_queue). Returns
-- the voucher's id, or NULL with *why when the profile cannot be sold.
CREATE FUNCTION hs__payment_issue(pay payments, OUT v_voucher uuid, OUT v_customer uuid,
                                  OUT why text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
DECLARE
    p       profiles;
    v_batch uuid := gen_random_uuid();
    v_prev  text := current_setting('hotspot.tenant_id', true);
BEGIN
    SELECT * INTO p FROM profiles WHERE id = pay.profile_id AND tenant_id = pay.tenant_id;
    IF NOT FOUND OR NOT p.is_active THEN
        why := 'the profile is no longer on sale';
        RETURN;
    END IF;
    IF p.price_minor <> pay.amount_minor OR p.currency <> pay.currency THEN
        why := format('the profile''s price is now %s %s, the payment was for %s %s',
                      p.price_minor, p.currency, pay.amount_minor, pay.currency);
        RETURN;
    END IF;
    -- The voucher functions are written for the API's tenant transaction.
    PERFORM set_config('hotspot.tenant_id', pay.tenant_id::text, true);
    v_customer := hs__payment_customer(pay.tenant_id, pay.payer_phone);
    PERFORM hs_voucher_batch_generate(v_batch, p.id, 1, 'Online payment ' || pay.id, NULL, NULL,
                                      NULL, NULL, hs_money_major(pay.amount_minor, pay.currency),
                                      pay.currency, pay.auto_activate, v_customer, NULL);
    SELECT id INTO v_voucher FROM vouchers WHERE tenant_id = pay.tenant_id AND batch_id = v_batch;
    IF pay.payer_phone IS NOT NULL THEN
        PERFORM hs_voucher_sms_queue(v_voucher, pay.payer_phone, v_customer);
    END IF;
    PERFORM set_config('hotspot.tenant_id', coalesce(v_prev, ''), true);
END
$$;

-- Applies one verified outcome of gateway P_GATEWAY to a payment, exactly
-- once per (P_GATEWAY, P_EVENT_ID), in the caller's transaction:
--   P_OUTCOME succeeded: with P_AMOUNT (minor units) and P_CURRENCY equal to
--     the payment's, issues its voucher (once per payment, whatever the
--     number of events that say so); a mismatch issues nothing and is
--     recorded in payments.error.
--   failed: a pending payment becomes failed.  refunded: a succeeded one
--     becomes refunded.
-- The payment is P_PAYMENT_ID, else the one of P_GATEWAY with reference or
-- transaction P_REF. P_REF and P_TXN, when given, are recorded.
-- Returns {result, payment_id, status, voucher_id, detail} where result is
-- issued, already (voucher issued before), duplicate (this event was
-- applied before: nothing changes), mismatch or refused (nothing issued,
-- the reason kept in payments.error, the event not recorded), failed, refunded,
-- ignored (nothing to change) or unknown (no such payment: nothing
-- recorded). Concurrent calls with the same event wait for each other on
-- payment_events' key; calls with different events on the payment's row.
CREATE FUNCTION hs_payment_settle(p_gateway text, p_event_id text, p_payment_id uuid,
                                  p_ref text, p_txn text, p_outcome text, p_amount bigint,
                                  p_currency text, p_raw jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    pay      payments;
    v_tenant uuid;
    v_id     uuid;
    v_result text;
    v_detail text;
    v_iss    record;
BEGIN
    IF p_outcome IS NULL OR p_outcome NOT IN ('succeeded', 'failed', 'refunded') THEN
        RAISE EXCEPTION 'hs_payment_settle: bad outcome' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT id, tenant_id INTO v_id, v_tenant FROM payments
     WHERE gateway = p_gateway
       AND (id = p_payment_id
            OR (p_payment_id IS NULL AND (gateway_ref = p_ref OR gateway_txn = p_txn)))
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('result', 'unknown');
    END IF;
    INSERT INTO payment_events (gateway, event_id, tenant_id, payment_id, outcome, result)
    VALUES (p_gateway, p_event_id, v_tenant, v_id, p_outcome, 'pending')
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO pay FROM payments WHERE id = v_id;
        RETURN jsonb_build_object('result', 'duplicate', 'payment_id', v_id, 'status', pay.status,
                                  'voucher_id', pay.voucher_id);
    END IF;
    SELECT * INTO pay FROM payments WHERE id = v_id FOR UPDATE;

    IF p_outcome = 'succeeded' THEN
        IF pay.voucher_id IS NOT NULL OR pay.status IN ('succeeded', 'refunded') THEN
            v_result := 'already';
        ELSIF p_amount IS DISTINCT FROM pay.amount_minor OR p_currency IS DISTINCT FROM pay.currency THEN
            v_result := 'mismatch';
            v_detail := format('paid %s %s, expected %s %s', p_amount, p_currency,
                               pay.amount_minor, pay.currency);
        ELSE
            v_iss := hs__payment_issue(pay);
            IF v_iss.v_voucher IS NULL THEN
                v_result := 'refused';
                v_detail := v_iss.why;
            ELSE
                v_result := 'issued';
                UPDATE payments SET status = 'succeeded', voucher_id = v_iss.v_voucher,
                                    customer_id = v_iss.v_customer, paid_at = now(), error = NULL,
                                    gateway_ref = coalesce(gateway_ref, p_ref),
                                    gateway_txn = coalesce(p_txn, gateway_txn),
                                    raw = coalesce(p_raw, raw)
                 WHERE id = v_id;
            END IF;
        END IF;
        IF v_result IN ('mismatch', 'refused') THEN
            -- Refused: the payment records why, and the event is not used
            -- up (the same event is refused again, never applied later).
            UPDATE payments SET error = left(v_detail, 2000) WHERE id = v_id;
            DELETE FROM payment_events WHERE gateway = p_gateway AND event_id = p_event_id;
            RETURN jsonb_build_object('result', v_result, 'payment_id', v_id,
                                      'status', pay.status, 'voucher_id', pay.voucher_id,
                                      'detail', v_detail);
        END IF;
    ELSIF p_outcome = 'failed' THEN
        IF pay.status = 'pending' THEN
            v_result := 'failed';
            UPDATE payments SET status = 'failed', error = 'the gateway reported the payment failed',
                                gateway_txn = coalesce(p_txn, gateway_txn), raw = coalesce(p_raw, raw)
             WHERE id = v_id;
        ELSE
            v_result := 'ignored';
        END IF;
    ELSE
        IF pay.status = 'succeeded' THEN
            v_result := 'refunded';
            UPDATE payments SET status = 'refunded', refunded_at = coalesce(refunded_at, now())
             WHERE id = v_id;
        ELSE
            v_result := 'ignored';
        END IF;
    END IF;
    UPDATE payment_events SET result = v_result, detail = v_detail
     WHERE gateway = p_gateway AND event_id = p_event_id;
    SELECT * INTO pay FROM payments WHERE id = v_id;
    RETURN jsonb_build_object('result', v_result, 'payment_id', v_id, 'status', pay.status,
                              'voucher_id', pay.voucher_id, 'detail', v_detail);
END
$$;

-- The buyer's view of payment P_ID of tenant P_SLUG, when P_ACCESS_HASH is
-- the hash of its token: no row otherwise. The voucher's code and password
-- only once it is issued.
CREATE FUNCTION hs_payment_public(p_slug text, p_id uuid, p_access_hash text)
    RETURNS TABLE (status text, gateway text, amount numeric, currency text, profile_name text,
                   tenant_name text, code text, password text, terms text, checkout_url text,
                   error text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT y.status, y.gateway, hs_money_major(y.amount_minor, y.currency), y.currency, p.name,
           t.name, v.code, v.password,
           hs_voucher_terms_text(v.data_limit_bytes, v.validity_seconds, v.time_limit_seconds),
           y.checkout_url, y.error
      FROM payments y JOIN tenants t ON t.id = y.tenant_id
      LEFT JOIN profiles p ON p.id = y.profile_id
      LEFT JOIN vouchers v ON v.id = y.voucher_id AND y.status = 'succeeded'
     WHERE t.slug = p_slug AND y.id = p_id AND y.access_hash = p_access_hash
$$;

-- What the payment.check job needs of payment P_ID.
CREATE FUNCTION hs_payment_check_target(p_id uuid)
    RETURNS TABLE (gateway text, status text, gateway_ref text, gateway_txn text,
                   amount_minor bigint, currency text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT gateway, status, gateway_ref, gateway_txn, amount_minor, currency
      FROM payments WHERE id = p_id
$$;

-- A pending payment P_ID whose outcome never came: status expired, P_WHY
-- recorded. Returns whether it changed.
CREATE FUNCTION hs_payment_expire(p_id uuid, p_why text) RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    UPDATE payments SET status = 'expired', error = left(p_why, 2000)
     WHERE id = p_id AND status = 'pending'
    RETURNING true
$$;

REVOKE ALL ON FUNCTION hs_purchase_offer(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_payment_open(text, uuid, text, text, text, int, int, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_payment_checkout(uuid, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs__payment_customer(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs__payment_issue(payments) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_payment_settle(text, text, uuid, text, text, text, bigint, text, jsonb)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_payment_public(text, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_payment_check_target(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_payment_expire(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_purchase_offer(text),
    hs_payment_open(text, uuid, text, text, text, int, int, boolean),
    hs_payment_checkout(uuid, text, text, text, text),
    hs_payment_settle(text, text, uuid, text, text, text, bigint, text, jsonb),
    hs_payment_public(text, uuid, text) TO hs_api;
GRANT EXECUTE ON FUNCTION hs_payment_settle(text, text, uuid, text, text, text, bigint, text, jsonb),
    hs_payment_check_target(uuid), hs_payment_expire(uuid, text) TO hs_worker;
