-- 0012_vouchers_api: what the profiles and vouchers API needs from the
-- database.
--
--   hs_currency_exponent(currency)        ISO 4217 minor-unit digits
--   hs_money_minor(amount, currency)      major units (numeric) -> minor units
--   hs_money_major(minor, currency)       minor units -> major units (numeric)
--   hs_voucher_terms_text(...)            "1 GB, 24 hours" for SMS and print
--   hs_voucher_batch_generate(...)        a batch of vouchers in one statement
--   hs_voucher_sms_queue(...)             records an SMS and queues sms.send
--   hs_voucher_cut_sessions(...)          disconnects a disabled or refunded
--                                         voucher's live sessions (0008's cut)
--   hs_tenant_by_slug(slug)               the tenant of an admin command
--
-- Columns added to vouchers: refunded_at, refund_minor, refund_reason.
--
-- The API role (hs_api) calls the SECURITY INVOKER functions under row-level
-- security, inside its tenant transaction: they see and write only that
-- tenant's rows. The two SECURITY DEFINER ones check the tenant themselves.

-- --- schema additions ----------------------------------------------------------

-- A refund: when, how much (minor units of the voucher's currency), why.
ALTER TABLE vouchers
    ADD COLUMN refunded_at   timestamptz,
    ADD COLUMN refund_minor  bigint CHECK (refund_minor >= 0),
    ADD COLUMN refund_reason text CHECK (length(refund_reason) <= 500);

-- --- money -------------------------------------------------------------------------

-- Digits after the decimal point of an ISO 4217 currency: 0 for currencies
-- without minor units (UGX, RWF, JPY...), 3 for the dinars and rials that
-- have thousandths, 2 for everything else.
CREATE FUNCTION hs_currency_exponent(p_currency text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = public, pg_temp
AS $$
    SELECT CASE
        WHEN p_currency IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF',
                            'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 0
        WHEN p_currency IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') THEN 3
        ELSE 2 END
$$;

-- An amount in major units (5000 UGX, 10.50 USD) as minor units. Raises
-- invalid_parameter_value naming the column P_FIELD (the request member) when the amount is
-- negative, has more decimals than the currency has, or does not fit.
CREATE FUNCTION hs_money_minor(p_amount numeric, p_currency text, p_field text DEFAULT 'price')
    RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = public, pg_temp
AS $$
DECLARE
    v numeric := p_amount * (10::numeric ^ hs_currency_exponent(p_currency));
BEGIN
    IF p_amount IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_amount < 0 OR v > 9e15 THEN
        RAISE EXCEPTION 'must be from 0 to 9e15 minor units' USING ERRCODE = 'invalid_parameter_value', COLUMN = p_field;
    END IF;
    IF v <> trunc(v) THEN
        RAISE EXCEPTION 'has more decimals than % allows (%)', p_currency, hs_currency_exponent(p_currency)
            USING ERRCODE = 'invalid_parameter_value', COLUMN = p_field;
    END IF;
    RETURN v::bigint;
END
$$;

-- Minor units as a major-unit amount with the currency's decimals.
CREATE FUNCTION hs_money_major(p_minor bigint, p_currency text) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = public, pg_temp
AS $$
    SELECT round(p_minor::numeric / (10::numeric ^ hs_currency_exponent(p_currency)),
                 hs_currency_exponent(p_currency))
$$;

-- A voucher's terms in words for customers: "1 GB, 24 hours, 2 hours online",
-- "Unlimited data, 7 days". Data is 1024-based (DESIGN: Units).
CREATE FUNCTION hs_voucher_terms_text(p_data_bytes bigint, p_validity_s bigint, p_time_s bigint)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = public, pg_temp
AS $$
    SELECT concat_ws(', ',
        CASE WHEN p_data_bytes IS NULL THEN 'Unlimited data'
             WHEN p_data_bytes % 1073741824 = 0 THEN (p_data_bytes / 1073741824) || ' GB'
             WHEN p_data_bytes >= 1073741824 THEN round(p_data_bytes / 1073741824.0, 2) || ' GB'
             ELSE greatest(round(p_data_bytes / 1048576.0), 1) || ' MB' END,
        CASE WHEN p_validity_s IS NULL THEN NULL
             WHEN p_validity_s % 86400 = 0 AND p_validity_s > 86400 THEN (p_validity_s / 86400) || ' days'
             WHEN p_validity_s % 3600 = 0 THEN (p_validity_s / 3600) || CASE WHEN p_validity_s = 3600 THEN ' hour' ELSE ' hours' END
             ELSE ceil(p_validity_s / 60.0) || ' minutes' END,
        CASE WHEN p_time_s IS NULL THEN NULL
             WHEN p_time_s % 3600 = 0 THEN (p_time_s / 3600) || CASE WHEN p_time_s = 3600 THEN ' hour' ELSE ' hours' END || ' online'
             ELSE ceil(p_time_s / 60.0) || ' minutes online' END)
$$;

-- --- batch generation --------------------------------------------------------------

-- Creates batch P_BATCH_ID of P_QUANTITY vouchers of profile P_PROFILE_ID for
-- the transaction's tenant, in one INSERT ... SELECT per round. Each voucher
-- copies the profile's terms (DESIGN: vouchers carry their own terms), with
-- these overrides when not NULL: P_VALIDITY_S, P_DATA_LIMIT (bytes),
-- P_PRICE (major units of P_CURRENCY, default the profile's currency; a
-- price is required when the currency differs from the profile's).
-- Codes: P_PREFIX (default the tenant's voucher_code_prefix) followed by
-- voucher_code_length symbols of the tenant's alphabet from the CSPRNG
-- (hs_random_code). A code the tenant already has is skipped by
-- ON CONFLICT and drawn again in the next round; after 10 rounds without
-- filling the batch it raises unique_violation (the code space is too small).
-- Passwords: the code for code-only profiles, else voucher_password_length
-- digits 2-9. P_AUTO_ACTIVATE: validity runs from now (sold_at, expires_at
-- set), else from the first login. Returns the number of vouchers made.
-- Called again with the same P_BATCH_ID and profile, it adds P_QUANTITY
-- vouchers to that batch (its quantity grows).
-- Raises invalid_parameter_value with COLUMN set to the request member at
-- fault (profile: unknown or not active; price).
CREATE FUNCTION hs_voucher_batch_generate(
        p_batch_id uuid, p_profile_id uuid, p_quantity int, p_name text, p_created_by uuid,
        p_prefix text, p_validity_s bigint, p_data_limit bigint, p_price numeric,
        p_currency text, p_auto_activate boolean, p_customer_id uuid, p_router_id uuid)
    RETURNS int
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
DECLARE
    t       tenants;
    p       profiles;
    v_cur   text;
    v_price bigint;
    v_left  int := p_quantity;
    v_round int := 0;
    v_valid bigint;
    n       int;
BEGIN
    SELECT * INTO t FROM tenants WHERE id = hs_current_tenant();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'hs_voucher_batch_generate: no tenant set' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO p FROM profiles WHERE id = p_profile_id AND tenant_id = t.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such profile' USING ERRCODE = 'invalid_parameter_value', COLUMN = 'profile';
    END IF;
    IF NOT p.is_active THEN
        RAISE EXCEPTION 'the profile is not active' USING ERRCODE = 'invalid_parameter_value', COLUMN = 'profile';
    END IF;
    v_cur := coalesce(p_currency, p.currency);
    IF p_price IS NULL AND v_cur <> p.currency THEN
        RAISE EXCEPTION 'is required when the currency differs from the profile''s (%)', p.currency
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'price';
    END IF;
    v_price := coalesce(hs_money_minor(p_price, v_cur), p.price_minor);
    v_valid := coalesce(p_validity_s, p.validity_seconds);

    -- A batch id this transaction made already grows: an admin command adds
    -- a large batch in chunks, to show its progress.
    INSERT INTO voucher_batches AS b (id, tenant_id, profile_id, name, quantity, created_by)
    VALUES (p_batch_id, t.id, p.id, coalesce(p_name, ''), p_quantity, p_created_by)
    ON CONFLICT (id) DO UPDATE SET quantity = b.quantity + EXCLUDED.quantity
     WHERE b.tenant_id = EXCLUDED.tenant_id AND b.profile_id = EXCLUDED.profile_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'batch % is of another profile', p_batch_id
            USING ERRCODE = 'invalid_parameter_value', COLUMN = 'profile';
    END IF;

    WHILE v_left > 0 LOOP
        v_round := v_round + 1;
        IF v_round > 10 THEN
            RAISE EXCEPTION 'could not draw % unique voucher codes: make the codes longer', p_quantity
                USING ERRCODE = 'unique_violation';
        END IF;
        INSERT INTO vouchers (tenant_id, code, password, profile_id, batch_id, data_limit_bytes,
                              time_limit_seconds, validity_seconds, rate_limit, idle_timeout_s,
                              shared_users, mac_lock, price_minor, currency, customer_id, router_id,
                              auto_activate, sold_at, expires_at)
        SELECT t.id, c.code,
               CASE WHEN p.code_only THEN c.code ELSE hs_random_code('23456789', t.voucher_password_length) END,
               p.id, p_batch_id, coalesce(p_data_limit, p.data_limit_bytes), p.time_limit_seconds,
               v_valid, p.rate_limit, p.idle_timeout_s, p.shared_users, p.mac_lock, v_price, v_cur,
               p_customer_id, p_router_id, coalesce(p_auto_activate, false),
               CASE WHEN p_auto_activate OR p_customer_id IS NOT NULL THEN now() END,
               CASE WHEN p_auto_activate THEN now() + make_interval(secs => v_valid) END
          FROM (SELECT coalesce(p_prefix, t.voucher_code_prefix)
                       || hs_random_code(t.voucher_code_alphabet, t.voucher_code_length) AS code
                  FROM generate_series(1, v_left)) c
        ON CONFLICT (tenant_id, code) DO NOTHING;
        GET DIAGNOSTICS n = ROW_COUNT;
        v_left := v_left - n;
    END LOOP;
    RETURN p_quantity;
END
$$;

-- --- SMS -----------------------------------------------------------------------------

-- Records an SMS to P_PHONE with voucher P_VOUCHER_ID's code, password and
-- terms (sms_messages, status queued, driver 'default': the SMS worker picks
-- the configured gateway) and queues an sms.send job {sms_message_id,
-- voucher_id} for the SMS worker, in the caller's transaction. Returns the
-- message's id; NULL when the voucher is not the tenant's.
CREATE FUNCTION hs_voucher_sms_queue(p_voucher_id uuid, p_phone text, p_customer_id uuid)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_id   uuid;
    v_body text;
BEGIN
    SELECT left(format('%s WiFi voucher. Code: %s%s. %s%s', t.name, v.code,
                       CASE WHEN v.password <> v.code THEN ' Password: ' || v.password ELSE '' END,
                       hs_voucher_terms_text(v.data_limit_bytes, v.validity_seconds, v.time_limit_seconds),
                       CASE WHEN v.expires_at IS NOT NULL
                            THEN ', until ' || to_char(v.expires_at AT TIME ZONE t.time_zone, 'YYYY-MM-DD HH24:MI')
                            ELSE '' END), 1600)
      INTO v_body
      FROM vouchers v JOIN tenants t ON t.id = v.tenant_id
     WHERE v.id = p_voucher_id;
    IF v_body IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO sms_messages (tenant_id, customer_id, voucher_id, to_phone, body, driver)
    VALUES (hs_current_tenant(), p_customer_id, p_voucher_id, p_phone, v_body, 'default')
    RETURNING id INTO v_id;
    PERFORM job_enqueue('sms.send', jsonb_build_object('sms_message_id', v_id, 'voucher_id', p_voucher_id),
                        now(), NULL, 5, NULL);
    RETURN v_id;
END
$$;

-- --- disconnects -------------------------------------------------------------------

-- Queues the disconnect of every live session of voucher P_VOUCHER_ID once an
-- admin has set its status to P_REASON ('disabled' or 'refunded'), through
-- the RADIUS path's own hs__voucher_cut (one radius.disconnect job per open
-- session, dedup key per session, the session marked). SECURITY DEFINER
-- because the API may not write radius_sessions; a tenant-scoped caller may
-- only name a voucher of its transaction's tenant whose status already is
-- P_REASON (so the call can only follow the admin's change). Returns the
-- number of jobs queued; raises invalid_parameter_value otherwise.
-- Locking: the caller's UPDATE holds the voucher row; hs__voucher_cut then
-- takes its open sessions, the RADIUS path's lock order.
CREATE FUNCTION hs_voucher_cut_sessions(p_voucher_id uuid, p_reason text) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_status text;
BEGIN
    IF p_reason IS NULL OR p_reason NOT IN ('disabled', 'refunded') THEN
        RAISE EXCEPTION 'hs_voucher_cut_sessions: reason must be disabled or refunded'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT v.tenant_id, v.status INTO v_tenant, v_status FROM vouchers v WHERE v.id = p_voucher_id;
    IF NOT FOUND OR v_status <> p_reason
       OR (hs__caller_is_tenant_scoped() AND v_tenant IS DISTINCT FROM hs_current_tenant()) THEN
        RAISE EXCEPTION 'hs_voucher_cut_sessions: no % voucher %', p_reason, p_voucher_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN hs__voucher_cut(p_voucher_id, p_reason);
END
$$;

-- --- admin commands ------------------------------------------------------------------

-- The id of the active tenant with slug P_SLUG, or NULL: how an admin
-- command run as the API role finds the tenant to set for its transaction.
CREATE FUNCTION hs_tenant_by_slug(p_slug text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$ SELECT id FROM tenants WHERE slug = p_slug AND is_active $$;

REVOKE ALL ON FUNCTION hs_currency_exponent(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_money_minor(numeric, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_money_major(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_voucher_terms_text(bigint, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_voucher_batch_generate(uuid, uuid, int, text, uuid, text, bigint, bigint,
                                                 numeric, text, boolean, uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_voucher_sms_queue(uuid, text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_voucher_cut_sessions(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_tenant_by_slug(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_currency_exponent(text), hs_money_minor(numeric, text, text),
    hs_money_major(bigint, text), hs_voucher_terms_text(bigint, bigint, bigint),
    hs_voucher_batch_generate(uuid, uuid, int, text, uuid, text, bigint, bigint, numeric, text,
                              boolean, uuid, uuid),
    hs_voucher_sms_queue(uuid, text, uuid), hs_voucher_cut_sessions(uuid, text),
    hs_tenant_by_slug(text) TO hs_api;
