-- 0028_shared_data_grants: the live sessions of a shared voucher together
-- stay within its data allowance.
--
-- Before, each login was sent an equal share of what was left:
-- (data_limit - used) / shared_users. That ignored what the sessions
-- already live had been sent. With a limit of 1000 and two users, A and B
-- get 500 each; A uses its 500 and stops; C then gets (1000 - 500) / 2 =
-- 250, and B and C may use 750 between them where 500 were left, until an
-- Interim-Update sees the voucher spent and its sessions are cut.
--
-- Now each accept records what it sent (the grant: Mikrotik-Total-Limit and
-- its Gigawords), on the reservation and then on the session its Start
-- opens (a trigger copies it over, before the Start consumes the
-- reservation). A login is sent an equal share of what is left once the
-- other live sessions' unused grants (grant - in - out, as last reported)
-- and the other reservations' grants are set aside, over the slots still
-- free, its own included:
--
--   grant = (data_limit - used - owed) / (shared_users - busy), at least 1
--
-- The sum of the live sessions' unused grants then never exceeds what is
-- left: an accept adds at most what was free, and usage lowers a session's
-- unused grant and what is left alike (whether reported late or not: the
-- two move together). So the live sessions, each cut by its router at its
-- grant, cannot together use more than the voucher holds. With one user it
-- is what was sent before (nothing else is live). The price: a device that
-- logs in while others hold most of what is left gets little, however
-- little they then use; what a session leaves unused comes back when it
-- stops or goes stale.
--
-- Sessions opened before this migration, and a Start later than its
-- reservation (120 s), carry no grant and set nothing aside: for them the
-- Interim-Update cut stays the limit, as before. The time allowance is not
-- divided (each session is sent the time left, as before).
--
-- hs_radius_authorize (0010) and hs_radius_authorize_batch (0016) are
-- restated with the grant; the single function now takes its password
-- check and its messages from hs__password_ok and hs__reject_message
-- (0016), as the batch does, instead of copies of them. Both keep 0022's
-- enable_seqscan = off.

ALTER TABLE reservations ADD COLUMN grant_bytes bigint CHECK (grant_bytes >= 0);
ALTER TABLE radius_sessions ADD COLUMN grant_bytes bigint CHECK (grant_bytes >= 0);

-- A login's share of a voucher's data (NULL: unlimited). At least 1 byte:
-- a router takes a Total-Limit of 0 as no limit.
CREATE FUNCTION hs__data_grant(p_limit bigint, p_used bigint, p_owed bigint, p_shared bigint, p_busy bigint)
    RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN p_limit IS NOT NULL
            THEN greatest((p_limit - p_used - p_owed) / greatest(p_shared - p_busy, 1), 1) END
$$;
REVOKE ALL ON FUNCTION hs__data_grant(bigint, bigint, bigint, bigint, bigint) FROM PUBLIC;

-- A session opened by a Start takes the grant its Access-Accept reserved.
CREATE FUNCTION hs__session_grant() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT r.grant_bytes INTO NEW.grant_bytes
      FROM reservations r
     WHERE r.voucher_id = NEW.voucher_id AND r.router_id = NEW.router_id
       AND r.calling_station_id = coalesce(NEW.calling_station_id, '');
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION hs__session_grant() FROM PUBLIC;
CREATE TRIGGER radius_sessions_grant BEFORE INSERT ON radius_sessions
    FOR EACH ROW WHEN (NEW.voucher_id IS NOT NULL AND NEW.grant_bytes IS NULL)
    EXECUTE FUNCTION hs__session_grant();

-- 0010's, with the grant; rules, locks and results otherwise unchanged.
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
    SET enable_seqscan = off
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
           coalesce(ss.busy, 0) + coalesce(rr.busy, 0) AS busy, coalesce(ss.stale, 0) AS stale,
           (coalesce(ss.owed, 0) + coalesce(rr.owed, 0))::bigint AS owed
      INTO v
      FROM mikrotik_devices d
      JOIN tenants t ON t.id = d.tenant_id
      LEFT JOIN vouchers vc ON vc.tenant_id = d.tenant_id AND vc.code = p_user_name
      LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE s.last_update_at >= v_stale_cut
                                      AND NOT (v_mac IS NOT NULL AND s.router_id = d.id
                                               AND s.calling_station_id = v_mac)) AS busy,
                   count(*) FILTER (WHERE s.last_update_at < v_stale_cut) AS stale,
                   sum(greatest(s.grant_bytes - s.input_octets - s.output_octets, 0))
                       FILTER (WHERE s.last_update_at >= v_stale_cut
                                 AND NOT (v_mac IS NOT NULL AND s.router_id = d.id
                                          AND s.calling_station_id = v_mac)) AS owed
              FROM radius_sessions s
             WHERE s.voucher_id = vc.id AND s.stopped_at IS NULL) ss ON true
      LEFT JOIN LATERAL (
            SELECT count(*) AS busy, sum(r.grant_bytes) AS owed
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
        v_pass_ok := hs__password_ok(v.password, p_password, p_chap_ident, p_chap_challenge,
                                     p_chap_response);
    END IF;

    IF v.id IS NULL THEN
        v_reason := 'no_voucher';
    ELSIF NOT coalesce(v_pass_ok, false) THEN
        v_reason := 'bad_password';
    ELSIF NOT v.tenant_active THEN
        v_reason := 'tenant_disabled';
    END IF;
    IF v_reason IS NOT NULL THEN
        v_msg := hs__reject_message(v_reason, NULL, NULL, NULL);
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
    ELSIF v.status = 'disabled' THEN
        v_reason := 'disabled';
    ELSIF v.status = 'refunded' THEN
        v_reason := 'refunded';
    ELSIF v.status = 'expired' OR v.expires_at <= v_now THEN
        v_reason := 'expired';
    ELSIF v.used_bytes >= v.data_limit_bytes THEN
        v_reason := 'data_used';
    ELSIF v.used_seconds >= v.time_limit_seconds THEN
        v_reason := 'time_used';
    ELSIF v.status = 'used' THEN
        v_reason := 'used';
    ELSIF v.mac_lock AND v.locked_mac IS NOT NULL AND v_mac IS DISTINCT FROM v.locked_mac THEN
        v_reason := 'mac_locked';
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
        END IF;
    END IF;
    v_msg := hs__reject_message(v_reason, v.expires_at, v.time_zone, v.shared_users);

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

        -- LEAST and GREATEST skip NULLs, so each limit is NULL-guarded
        -- before it takes part: NULL means unlimited.
        v_timeout := least(v.time_limit_seconds - v.used_seconds,
                           CASE WHEN v.expires_at IS NOT NULL
                                THEN greatest(floor(extract(epoch FROM v.expires_at - v_now))::bigint, 1) END);
        v_left := hs__data_grant(v.data_limit_bytes, v.used_bytes, v.owed, v.shared_users, v_busy);

        -- The reservation (with the grant) and the auth log row, in one statement.
        WITH res AS (
            INSERT INTO reservations AS r (tenant_id, voucher_id, router_id, calling_station_id, expires_at,
                                           grant_bytes)
            VALUES (v.tenant_id, v.id, v.router_id, coalesce(v_mac, ''), v_now + c_hold, v_left)
            ON CONFLICT (voucher_id, router_id, calling_station_id)
            DO UPDATE SET expires_at = EXCLUDED.expires_at, created_at = v_now,
                          grant_bytes = EXCLUDED.grant_bytes
        )
        INSERT INTO auth_log (tenant_id, router_id, voucher_id, result, reason, nas_ip, calling_station_id)
        VALUES (v.tenant_id, v.router_id, v.id, 'accept', 'accepted', p_nas_ip, left(v_mac, 253));
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

-- 0016's, with the grant; rules, locks and results otherwise unchanged.
CREATE OR REPLACE FUNCTION hs_radius_authorize_batch(p_nas_ip inet[], p_user_name text[], p_password text[],
                                          p_chap_ident int[], p_chap_challenge bytea[],
                                          p_chap_response bytea[], p_calling_station text[],
                                          p_interim_s int)
    RETURNS TABLE (n int, result text, reason text, reply_message text, voucher_id uuid,
                   session_timeout bigint, data_left bigint, rate_limit text, idle_timeout int,
                   durable boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
    SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    c_hold    constant interval := interval '120 seconds';
    c_lock    constant int := 1752395125;  -- hs_radius_authorize's lock class
    v_now     timestamptz := now();
    v_interim int := coalesce(nullif(greatest(p_interim_s, 0), 0), 300);
    v_sync    text := current_setting('synchronous_commit');
    v_rows    hs__auth_row[];
    v_slow    int := 0;
    r         record;
    v_ignored text;
BEGIN
    v_ignored := set_config('synchronous_commit', 'off', true);

    -- Every code's lock, in one global order; the read below is a new
    -- statement, so it sees what earlier holders committed.
    PERFORM pg_advisory_xact_lock(c_lock, h)
       FROM (SELECT DISTINCT hashtext(u) AS h FROM unnest(p_user_name) AS u
              WHERE u IS NOT NULL ORDER BY 1) AS l;

    SELECT array_agg(ROW(d.*)::hs__auth_row ORDER BY d.n) INTO v_rows
      FROM (
        SELECT x.n, x.nas_ip, x.user_name, x.mac, x.router_id, x.tenant_id, x.voucher_id,
               x.reason,
               -- First use, a MAC lock to bind, an exhausted voucher still
               -- active, or stale sessions to close: a durable change.
               coalesce((x.reason IS NULL AND (x.activated_at IS NULL
                                               OR (x.mac_lock AND x.locked_mac IS NULL
                                                   AND x.mac IS NOT NULL)))
                        OR (x.reason IN ('expired', 'data_used', 'time_used') AND x.status = 'active')
                        OR ((x.reason IS NULL OR x.reason = 'max_sessions') AND x.stale > 0),
                        false) AS slow,
               CASE WHEN x.reason <> 'unknown_client'
                    THEN hs__reject_message(x.reason, x.expires_at, x.time_zone, x.shared_users) END,
               CASE WHEN x.reason IS NULL THEN
                    -- LEAST skips NULLs; NULL means unlimited.
                    least((x.time_limit_seconds - x.used_seconds)::bigint,
                          CASE WHEN x.expires_at IS NOT NULL
                               THEN greatest(floor(extract(epoch FROM x.expires_at - v_now))::bigint, 1) END) END,
               CASE WHEN x.reason IS NULL
                    THEN hs__data_grant(x.data_limit_bytes, x.used_bytes, x.owed, x.shared_users, x.busy) END,
               CASE WHEN x.reason IS NULL THEN x.rate_limit::text END,
               CASE WHEN x.reason IS NULL THEN x.idle_timeout_s::int END
          FROM (
            SELECT i.n, i.nas_ip, i.user_name, i.mac, dv.id AS router_id, dv.tenant_id,
                   vc.id AS voucher_id, vc.status, vc.activated_at, vc.expires_at, vc.mac_lock,
                   vc.locked_mac, vc.shared_users, vc.time_limit_seconds, vc.used_seconds,
                   vc.data_limit_bytes, vc.used_bytes, vc.rate_limit, vc.idle_timeout_s,
                   t.time_zone, coalesce(ss.stale, 0) AS stale,
                   coalesce(ss.busy, 0) + coalesce(rr.busy, 0) AS busy,
                   (coalesce(ss.owed, 0) + coalesce(rr.owed, 0))::bigint AS owed,
                   CASE
                     WHEN dv.id IS NULL OR i.nas_ip IS NULL THEN 'unknown_client'
                     WHEN vc.id IS NULL THEN 'no_voucher'
                     WHEN NOT hs__password_ok(vc.password, i.password, i.chap_ident,
                                              i.chap_challenge, i.chap_response) THEN 'bad_password'
                     WHEN NOT t.is_active THEN 'tenant_disabled'
                     WHEN vc.router_id IS NOT NULL AND vc.router_id <> dv.id THEN 'wrong_router'
                     WHEN vc.status = 'disabled' THEN 'disabled'
                     WHEN vc.status = 'refunded' THEN 'refunded'
                     WHEN vc.status = 'expired' OR vc.expires_at <= v_now THEN 'expired'
                     WHEN vc.used_bytes >= vc.data_limit_bytes THEN 'data_used'
                     WHEN vc.used_seconds >= vc.time_limit_seconds THEN 'time_used'
                     WHEN vc.status = 'used' THEN 'used'
                     WHEN vc.mac_lock AND vc.locked_mac IS NOT NULL
                          AND i.mac IS DISTINCT FROM vc.locked_mac THEN 'mac_locked'
                     WHEN coalesce(ss.busy, 0) + coalesce(rr.busy, 0) >= vc.shared_users
                          THEN 'max_sessions'
                   END AS reason
              FROM (SELECT u.n::int AS n, u.nas_ip, u.user_name, u.password, u.chap_ident,
                           u.chap_challenge, u.chap_response, hs__norm_mac(u.mac) AS mac
                      FROM unnest(p_nas_ip, p_user_name, p_password, p_chap_ident, p_chap_challenge,
                                  p_chap_response, p_calling_station)
                           WITH ORDINALITY AS u (nas_ip, user_name, password, chap_ident,
                                                 chap_challenge, chap_response, mac, n)) AS i
              LEFT JOIN mikrotik_devices dv ON dv.ip_address = i.nas_ip
              LEFT JOIN tenants t ON t.id = dv.tenant_id
              LEFT JOIN vouchers vc ON vc.tenant_id = dv.tenant_id AND vc.code = i.user_name
              LEFT JOIN LATERAL (
                    SELECT count(*) FILTER (WHERE s.last_update_at >= v_now - make_interval(secs => 3 * v_interim)
                                              AND NOT (i.mac IS NOT NULL AND s.router_id = dv.id
                                                       AND s.calling_station_id = i.mac)) AS busy,
                           count(*) FILTER (WHERE s.last_update_at < v_now - make_interval(secs => 3 * v_interim)) AS stale,
                           sum(greatest(s.grant_bytes - s.input_octets - s.output_octets, 0))
                               FILTER (WHERE s.last_update_at >= v_now - make_interval(secs => 3 * v_interim)
                                         AND NOT (i.mac IS NOT NULL AND s.router_id = dv.id
                                                  AND s.calling_station_id = i.mac)) AS owed
                      FROM radius_sessions s
                     WHERE s.voucher_id = vc.id AND s.stopped_at IS NULL) ss ON true
              -- The expiry as a FILTER, not in WHERE: a generic plan cannot
              -- tell how many reservations are live and would scan the
              -- expiry index for all of them; a voucher has a handful.
              LEFT JOIN LATERAL (
                    SELECT count(*) FILTER (WHERE rv.expires_at > v_now
                                              AND NOT (i.mac IS NOT NULL AND rv.router_id = dv.id
                                                       AND rv.calling_station_id = i.mac)) AS busy,
                           sum(rv.grant_bytes) FILTER (WHERE rv.expires_at > v_now
                                                         AND NOT (i.mac IS NOT NULL AND rv.router_id = dv.id
                                                                  AND rv.calling_station_id = i.mac)) AS owed
                      FROM reservations rv
                     WHERE rv.voucher_id = vc.id) rr ON true
          ) AS x
      ) AS d;

    -- The fast ones: their reservations and auth log rows, two statements.
    WITH f AS (SELECT * FROM unnest(v_rows) AS f WHERE NOT f.slow AND f.reason IS DISTINCT FROM 'unknown_client'),
         res AS (
            INSERT INTO reservations AS rv (tenant_id, voucher_id, router_id, calling_station_id, expires_at,
                                            grant_bytes)
            SELECT f.tenant_id, f.voucher_id, f.router_id, coalesce(f.mac, ''), v_now + c_hold, f.data_left
              FROM f WHERE f.reason IS NULL
            ON CONFLICT (voucher_id, router_id, calling_station_id)
            DO UPDATE SET expires_at = EXCLUDED.expires_at, created_at = v_now,
                          grant_bytes = EXCLUDED.grant_bytes)
    INSERT INTO auth_log (tenant_id, router_id, voucher_id, name_hash, result, reason, nas_ip,
                          calling_station_id)
    SELECT f.tenant_id, f.router_id, f.voucher_id,
           CASE WHEN f.voucher_id IS NULL
                THEN encode(sha256(convert_to(coalesce(f.user_name, ''), 'UTF8')), 'hex') END,
           CASE WHEN f.reason IS NULL THEN 'accept' ELSE 'reject' END,
           coalesce(f.reason, 'accepted'), f.nas_ip, left(f.mac, 253)
      FROM f;

    RETURN QUERY
    SELECT f.n, CASE WHEN f.reason IS NULL THEN 'accept'
                     WHEN f.reason = 'unknown_client' THEN 'unknown_client' ELSE 'reject' END,
           coalesce(f.reason, 'accepted'), f.reply_message, f.voucher_id, f.session_timeout,
           f.data_left, f.rate_limit, f.idle_timeout, false
      FROM unnest(v_rows) AS f WHERE NOT f.slow;

    -- The others, one by one, exactly as a single request.
    FOR r IN SELECT f.n FROM unnest(v_rows) AS f WHERE f.slow ORDER BY f.n LOOP
        v_slow := v_slow + 1;
        RETURN QUERY
        SELECT r.n, a.result, a.reason, a.reply_message, a.voucher_id, a.session_timeout,
               a.data_left, a.rate_limit, a.idle_timeout, a.durable
          FROM hs_radius_authorize(p_nas_ip[r.n], p_user_name[r.n], p_password[r.n],
                                   p_chap_ident[r.n], p_chap_challenge[r.n], p_chap_response[r.n],
                                   p_calling_station[r.n], p_interim_s) AS a;
    END LOOP;

    -- hs_radius_authorize restores the session's setting after a durable
    -- change; without one, the batch commits without waiting for a flush.
    IF v_slow = 0 THEN
        v_ignored := set_config('synchronous_commit', 'off', true);
    ELSE
        v_ignored := set_config('synchronous_commit', v_sync, true);
    END IF;
END
$$;

