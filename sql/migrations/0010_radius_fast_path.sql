-- 0010_radius_fast_path: hs_radius_authorize with fewer statements per call.
-- Same signature, inputs, outputs, rules and lock order as 0008 (whose
-- comment documents them); what changes is how the common accept gets
-- there:
--
--   * the per-voucher advisory lock is keyed on the voucher code (the
--     User-Name) instead of the voucher id, so it can be taken before the
--     voucher is read: one read under the lock instead of a read, the lock
--     and a re-read. A voucher's code never changes, so the Access-Requests
--     of one voucher still run one at a time; two vouchers of different
--     tenants with the same code share a lock, which only serialises them;
--   * router, tenant, voucher, the count of its open sessions (busy and
--     stale) and of its live reservations come from that one statement; the
--     counts are used only once the password and the voucher's terms have
--     passed;
--   * an accept writes its reservation and its auth_log row in one statement;
--   * the lock and synchronous_commit are set through PL/pgSQL's simple
--     expression path (no executor start per call), synchronous_commit = off
--     as soon as the call starts and back to the session's value only when
--     the call changes durable state (activation, MAC lock, a voucher moved
--     to expired or used).
--
-- The common accept (an activated voucher with a free slot) is thus one
-- indexed read and one write of two UNLOGGED rows.

CREATE OR REPLACE FUNCTION hs_radius_authorize(p_nas_ip inet, p_user_name text, p_password text,
                                               p_chap_ident int, p_chap_challenge bytea,
                                               p_chap_response bytea, p_calling_station text,
                                               p_interim_s int)
    RETURNS TABLE (result text, reason text, reply_message text, voucher_id uuid,
                   session_timeout bigint, data_left bigint, rate_limit text, idle_timeout int,
                   durable boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    c_hold      constant interval := interval '120 seconds';
    -- Advisory lock class of the RADIUS path ('hsau'); the second key is the
    -- voucher code's hash.
    c_lock      constant int := 1752395125;
    v_now       timestamptz := now();
    v_mac       text := hs__norm_mac(p_calling_station);
    v_interim   int := coalesce(nullif(greatest(p_interim_s, 0), 0), 300);
    v_stale_cut timestamptz;
    v_sync      text := current_setting('synchronous_commit');
    v           record;   -- router, tenant, voucher and its slot counts
    v_pass_ok   boolean := false;
    v_reason    text;
    v_msg       text;
    v_busy      int;
    v_stale     int := 0;
    v_durable   boolean := false;
    v_activated boolean;
    v_timeout   bigint;
    v_left      bigint;
    v_ignored   text;
BEGIN
    v_stale_cut := v_now - make_interval(secs => 3 * v_interim);
    -- Soft state unless a durable change below says otherwise.
    v_ignored := set_config('synchronous_commit', 'off', true);

    -- The voucher's lock first, so that the read below (a new statement, so
    -- a new snapshot) sees what the previous holder committed.
    IF p_user_name IS NOT NULL AND NOT pg_try_advisory_xact_lock(c_lock, hashtext(p_user_name)) THEN
        PERFORM pg_advisory_xact_lock(c_lock, hashtext(p_user_name));
    END IF;

    SELECT d.id AS router_id, d.tenant_id, t.time_zone, t.is_active AS tenant_active,
           vc.id, vc.password, vc.status, vc.router_id AS bound_router, vc.activated_at,
           vc.expires_at, vc.validity_seconds, vc.data_limit_bytes, vc.time_limit_seconds,
           vc.used_bytes, vc.used_seconds, vc.shared_users, vc.mac_lock, vc.locked_mac,
           vc.rate_limit, vc.idle_timeout_s, vc.code,
           coalesce(ss.busy, 0) + coalesce(rr.busy, 0) AS busy, coalesce(ss.stale, 0) AS stale
      INTO v
      FROM mikrotik_devices d
      JOIN tenants t ON t.id = d.tenant_id
      LEFT JOIN vouchers vc ON vc.tenant_id = d.tenant_id AND vc.code = p_user_name
      LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE s.last_update_at >= v_stale_cut
                                      AND NOT (v_mac IS NOT NULL AND s.router_id = d.id
                                               AND s.calling_station_id = v_mac)) AS busy,
                   count(*) FILTER (WHERE s.last_update_at < v_stale_cut) AS stale
              FROM radius_sessions s
             WHERE s.voucher_id = vc.id AND s.stopped_at IS NULL) ss ON true
      LEFT JOIN LATERAL (
            SELECT count(*) AS busy
              FROM reservations r
             WHERE r.voucher_id = vc.id AND r.expires_at > v_now
               AND NOT (v_mac IS NOT NULL AND r.router_id = d.id
                        AND r.calling_station_id = v_mac)) rr ON true
     WHERE d.ip_address = p_nas_ip;
    IF NOT FOUND OR p_nas_ip IS NULL THEN
        RETURN QUERY SELECT 'unknown_client', 'unknown_client', NULL::text, NULL::uuid,
                            NULL::bigint, NULL::bigint, NULL::text, NULL::int, false;
        RETURN;
    END IF;

    -- Password before state.
    IF v.id IS NOT NULL THEN
        IF p_chap_response IS NOT NULL THEN
            v_pass_ok := p_chap_ident BETWEEN 0 AND 255 AND length(p_chap_response) = 16
                AND p_chap_challenge IS NOT NULL
                AND decode(md5(set_byte('\x00'::bytea, 0, p_chap_ident)
                               || convert_to(v.password, 'UTF8') || p_chap_challenge), 'hex')
                    = p_chap_response;
        ELSIF p_password IS NOT NULL THEN
            v_pass_ok := p_password = v.password;
        END IF;
    END IF;

    IF v.id IS NULL THEN
        v_reason := 'no_voucher';
    ELSIF NOT coalesce(v_pass_ok, false) THEN
        v_reason := 'bad_password';
    ELSIF NOT v.tenant_active THEN
        v_reason := 'tenant_disabled';
    END IF;
    IF v_reason IS NOT NULL THEN
        -- One message for both: it must not tell a guesser which codes exist.
        v_msg := CASE v_reason WHEN 'tenant_disabled' THEN 'This hotspot is not in service'
                               ELSE 'Invalid voucher code or password' END;
        INSERT INTO auth_log (tenant_id, router_id, voucher_id, name_hash, result, reason,
                              nas_ip, calling_station_id)
        VALUES (v.tenant_id, v.router_id, v.id,
                CASE WHEN v.id IS NULL
                     THEN encode(sha256(convert_to(coalesce(p_user_name, ''), 'UTF8')), 'hex') END,
                'reject', v_reason, p_nas_ip, left(v_mac, 253));
        RETURN QUERY SELECT 'reject', v_reason, v_msg, v.id,
                            NULL::bigint, NULL::bigint, NULL::text, NULL::int, false;
        RETURN;
    END IF;

    IF v.bound_router IS NOT NULL AND v.bound_router <> v.router_id THEN
        v_reason := 'wrong_router';
        v_msg := 'This voucher is not valid at this hotspot';
    ELSIF v.status = 'disabled' THEN
        v_reason := 'disabled';
        v_msg := 'This voucher has been disabled';
    ELSIF v.status = 'refunded' THEN
        v_reason := 'refunded';
        v_msg := 'This voucher has been refunded';
    ELSIF v.status = 'expired' OR v.expires_at <= v_now THEN
        v_reason := 'expired';
        v_msg := CASE WHEN v.expires_at IS NULL THEN 'This voucher has expired'
                      ELSE 'Voucher expired on '
                           || to_char(v.expires_at AT TIME ZONE v.time_zone, 'YYYY-MM-DD HH24:MI') END;
    ELSIF v.used_bytes >= v.data_limit_bytes THEN
        v_reason := 'data_used';
        v_msg := 'Data limit reached';
    ELSIF v.used_seconds >= v.time_limit_seconds THEN
        v_reason := 'time_used';
        v_msg := 'Time limit reached';
    ELSIF v.status = 'used' THEN
        v_reason := 'used';
        v_msg := 'This voucher has been used up';
    ELSIF v.mac_lock AND v.locked_mac IS NOT NULL AND v_mac IS DISTINCT FROM v.locked_mac THEN
        v_reason := 'mac_locked';
        v_msg := 'This voucher is locked to another device';
    END IF;

    IF v_reason IN ('expired', 'data_used', 'time_used') AND v.status = 'active' THEN
        -- Observed here first: record it and cut any session still live.
        PERFORM hs__voucher_cut(v.id, v_reason);
        v_durable := true;
    END IF;

    IF v_reason IS NULL THEN
        -- Busy slots: open sessions heard from within 3 intervals and live
        -- reservations, the requester's own (router, MAC) left out.
        v_busy := v.busy;
        v_stale := v.stale;
        IF v_busy >= v.shared_users THEN
            v_reason := 'max_sessions';
            v_msg := CASE WHEN v.shared_users = 1
                          THEN 'This voucher is already in use on another device'
                          ELSE format('This voucher is already in use on %s devices', v.shared_users) END;
        END IF;
    END IF;

    IF v_reason IS NULL THEN
        v_activated := v.activated_at IS NULL;
        IF v_activated OR (v.mac_lock AND v.locked_mac IS NULL AND v_mac IS NOT NULL) THEN
            UPDATE vouchers vc
               SET activated_at = coalesce(vc.activated_at, v_now),
                   expires_at = CASE WHEN vc.activated_at IS NULL
                                     THEN coalesce(vc.expires_at, v_now + make_interval(secs => vc.validity_seconds))
                                     ELSE vc.expires_at END,
                   locked_mac = CASE WHEN vc.mac_lock THEN coalesce(vc.locked_mac, v_mac)
                                     ELSE vc.locked_mac END
             WHERE vc.id = v.id
            RETURNING vc.activated_at, vc.expires_at INTO v.activated_at, v.expires_at;
            IF v_activated THEN
                INSERT INTO events (tenant_id, type, payload)
                VALUES (v.tenant_id, 'voucher.activated',
                        jsonb_build_object('voucher_id', v.id, 'code', v.code, 'router_id', v.router_id,
                                           'activated_at', v.activated_at, 'expires_at', v.expires_at));
                PERFORM pg_notify('hs_events', '');
            END IF;
            v_durable := true;
        END IF;

        -- The reservation and the auth log row, in one statement.
        WITH res AS (
            INSERT INTO reservations AS r (tenant_id, voucher_id, router_id, calling_station_id, expires_at)
            VALUES (v.tenant_id, v.id, v.router_id, coalesce(v_mac, ''), v_now + c_hold)
            ON CONFLICT (voucher_id, router_id, calling_station_id)
            DO UPDATE SET expires_at = EXCLUDED.expires_at, created_at = v_now
        )
        INSERT INTO auth_log (tenant_id, router_id, voucher_id, result, reason, nas_ip, calling_station_id)
        VALUES (v.tenant_id, v.router_id, v.id, 'accept', 'accepted', p_nas_ip, left(v_mac, 253));

        -- LEAST and GREATEST skip NULLs, so each limit is NULL-guarded
        -- before it takes part: NULL means unlimited.
        v_timeout := least(v.time_limit_seconds - v.used_seconds,
                           CASE WHEN v.expires_at IS NOT NULL
                                THEN greatest(floor(extract(epoch FROM v.expires_at - v_now))::bigint, 1) END);
        v_left := CASE WHEN v.data_limit_bytes IS NOT NULL
                       THEN greatest((v.data_limit_bytes - v.used_bytes) / v.shared_users, 1) END;
    ELSE
        INSERT INTO auth_log (tenant_id, router_id, voucher_id, result, reason, nas_ip, calling_station_id)
        VALUES (v.tenant_id, v.router_id, v.id, 'reject', v_reason, p_nas_ip, left(v_mac, 253));
    END IF;

    -- Stale sessions no longer hold a slot (they were left out of the
    -- count); closing them keeps the table honest. Only when the count saw
    -- one. SKIP LOCKED: a session an accounting batch is writing is not
    -- stale, and waiting for it here while holding the reservation could
    -- deadlock with that batch.
    IF v_stale > 0 THEN
        WITH closed AS (
            UPDATE radius_sessions s
               SET stopped_at = s.last_update_at, terminate_cause = 'Stale'
             WHERE s.id IN (SELECT x.id FROM radius_sessions x
                             WHERE x.voucher_id = v.id AND x.stopped_at IS NULL
                               AND x.last_update_at < v_stale_cut
                             ORDER BY x.router_id, x.acct_unique_id
                               FOR NO KEY UPDATE SKIP LOCKED)
            RETURNING s.*
        )
        INSERT INTO events (tenant_id, type, payload)
        SELECT c.tenant_id, 'session.stopped',
               jsonb_build_object('session_id', c.id, 'voucher_id', c.voucher_id, 'router_id', c.router_id,
                                  'username', c.username, 'calling_station_id', c.calling_station_id,
                                  'input_octets', c.input_octets, 'output_octets', c.output_octets,
                                  'session_time', c.session_time, 'terminate_cause', c.terminate_cause,
                                  'stopped_at', c.stopped_at)
          FROM closed c;
        PERFORM pg_notify('hs_events', '');
    END IF;

    IF v_durable THEN
        v_ignored := set_config('synchronous_commit', v_sync, true);
    END IF;

    IF v_reason IS NULL THEN
        RETURN QUERY SELECT 'accept', 'accepted', NULL::text, v.id, v_timeout, v_left,
                            v.rate_limit::text, v.idle_timeout_s::int, v_durable;
    ELSE
        RETURN QUERY SELECT 'reject', v_reason, v_msg, v.id, NULL::bigint, NULL::bigint,
                            NULL::text, NULL::int, v_durable;
    END IF;
END
$$;
