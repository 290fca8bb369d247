-- 0008_radius_path: the SQL half of the RADIUS path. Each function makes one
-- RADIUS decision atomically in one round trip, so several FreeRADIUS nodes
-- can share one database without double-spending a voucher:
--
--   hs_radius_clients()       routers as RADIUS clients (dynamic clients and
--                             the module's in-memory copy)
--   hs_radius_authorize(...)  one Access-Request
--   hs_radius_accounting(...) a batch of Accounting-Requests, one commit
--   hs_radius_sweep(...)      closes stale sessions (a job kind)
--   hs_router_coa_target(...) and hs_radius_disconnect_result(...), for the
--                             disconnect worker
--
-- hs_radius and hs_worker touch no table: they call these SECURITY DEFINER
-- functions, owned by hs_owner, which bypasses row-level security.
--
-- Lock order, the same everywhere so that concurrent callers cannot
-- deadlock in ordinary traffic:
--   1. the per-voucher advisory lock (authorize only);
--   2. voucher rows, several at once in ascending id order;
--   3. session rows, several at once in (router_id, acct_unique_id) order;
--   4. reservation rows.
-- Authorize and the sweeper take session rows only with SKIP LOCKED, so they
-- never wait behind an accounting batch while holding anything it needs.

-- --- schema additions ----------------------------------------------------------

-- What became of the disconnect of a live session. None of these columns is
-- indexed, so setting them keeps the update HOT.
ALTER TABLE radius_sessions
    ADD COLUMN disconnect_reason    text CHECK (disconnect_reason ~ '^[a-z_]{1,32}$'),
    ADD COLUMN disconnect_queued_at timestamptz,
    ADD COLUMN disconnect_result    text CHECK (disconnect_result IN ('ack', 'nak', 'timeout', 'error')),
    ADD COLUMN disconnect_result_at timestamptz;

-- Accounting-On/Off close the open sessions of one router; without this
-- index that would walk every session the router ever had.
CREATE INDEX radius_sessions_router_open ON radius_sessions (router_id, acct_unique_id)
    WHERE stopped_at IS NULL;

-- The accounting batch, one element per record after validation. Internal
-- to hs_radius_accounting: a composite array carries the batch from one
-- statement to the next without a temporary table (whose catalog churn
-- would cost more than the work itself).
CREATE TYPE hs_acct_record AS (
    idx                 int,
    result              text,         -- NULL while the record is to be applied
    status_type         int,
    router_id           uuid,
    tenant_id           uuid,
    nas_ip              inet,
    acct_unique_id      text,
    acct_session_id     text,
    username            text,
    calling_station_id  text,
    framed_ip           inet,
    input_octets        bigint,
    output_octets       bigint,
    session_time        bigint,
    terminate_cause     text,
    received_at         timestamptz
);

-- One element per session of the batch: its records folded together (the
-- same session may come twice, as a retransmission or an Interim and a Stop).
CREATE TYPE hs_acct_session AS (
    router_id           uuid,
    tenant_id           uuid,
    nas_ip              inet,
    acct_unique_id      text,
    acct_session_id     text,
    username            text,
    calling_station_id  text,
    framed_ip           inet,
    input_octets        bigint,       -- the largest of the batch
    output_octets       bigint,
    session_time        bigint,
    terminate_cause     text,
    first_at            timestamptz,  -- earliest receive time in the batch
    last_at             timestamptz,  -- latest
    start_at            timestamptz,  -- earliest Start, NULL without one
    stop_at             timestamptz,  -- earliest Stop, NULL without one
    n_interim           int,
    voucher_id          uuid
);
REVOKE USAGE ON TYPE hs_acct_record FROM PUBLIC;
REVOKE USAGE ON TYPE hs_acct_session FROM PUBLIC;

-- --- internal helpers ------------------------------------------------------------

-- Calling-Station-Id as stored and compared: trimmed, upper case (routers
-- disagree on the case of a MAC), NULL when empty.
CREATE FUNCTION hs__norm_mac(p_mac text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT NULLIF(upper(btrim(p_mac)), '') $$;
REVOKE ALL ON FUNCTION hs__norm_mac(text) FROM PUBLIC;

-- Ends the service of a voucher that is no longer usable while sessions may
-- be live. P_REASON: data_used, time_used or expired move an active voucher
-- to used or expired (with a voucher.exhausted event); disabled, refunded
-- and used leave the status alone. Every open session of the voucher that
-- has no disconnect yet gets one radius.disconnect job (the dedup key names
-- the session, so a session is never queued twice) and is marked. Returns
-- the number of jobs queued.
-- Locking: the voucher row (FOR NO KEY UPDATE through the UPDATE), then its
-- open sessions in (router_id, acct_unique_id) order. Callers hold the
-- voucher row already or hold nothing that an accounting batch waits for.
-- Not SECURITY DEFINER: only the functions below call it, as hs_owner.
CREATE FUNCTION hs__voucher_cut(p_voucher_id uuid, p_reason text) RETURNS int
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_code   text;
    s        record;
    n        int := 0;
BEGIN
    IF p_reason IN ('data_used', 'time_used', 'expired') THEN
        UPDATE vouchers v
           SET status = CASE p_reason WHEN 'expired' THEN 'expired' ELSE 'used' END
         WHERE v.id = p_voucher_id AND v.status = 'active'
        RETURNING v.tenant_id, v.code INTO v_tenant, v_code;
        IF FOUND THEN
            INSERT INTO events (tenant_id, type, payload)
            VALUES (v_tenant, 'voucher.exhausted',
                    jsonb_build_object('voucher_id', p_voucher_id, 'code', v_code, 'reason', p_reason));
        END IF;
    END IF;

    FOR s IN
        SELECT rs.id, rs.tenant_id, rs.router_id, rs.nas_ip, rs.username, rs.acct_session_id,
               rs.framed_ip, d.coa_port
          FROM radius_sessions rs
          JOIN mikrotik_devices d ON d.id = rs.router_id
         WHERE rs.voucher_id = p_voucher_id AND rs.stopped_at IS NULL
           AND rs.disconnect_queued_at IS NULL
         ORDER BY rs.router_id, rs.acct_unique_id
           FOR NO KEY UPDATE OF rs
    LOOP
        -- The secret stays out of the payload: the worker asks for it with
        -- hs_router_coa_target when it sends, so jobs never hold secrets.
        PERFORM job_enqueue('radius.disconnect',
                            jsonb_build_object('router_id', s.router_id, 'nas_ip', host(s.nas_ip),
                                               'coa_port', s.coa_port, 'user_name', s.username,
                                               'acct_session_id', s.acct_session_id,
                                               'framed_ip', host(s.framed_ip),
                                               'session_id', s.id, 'reason', p_reason),
                            now(), s.tenant_id, 8, 'radius.disconnect:' || s.id);
        UPDATE radius_sessions
           SET disconnect_queued_at = now(), disconnect_reason = p_reason
         WHERE id = s.id;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION hs__voucher_cut(uuid, text) FROM PUBLIC;

-- --- routers as RADIUS clients -----------------------------------------------------

-- Every router, for FreeRADIUS's dynamic clients and the module's in-memory
-- copy (refreshed periodically, kept while the database is unreachable).
-- Outputs: router_id, tenant_id, ip_address (host address), radius_secret,
-- require_message_authenticator, coa_port, updated_at (the newest one tells
-- the caller whether anything changed). Routers of suspended tenants stay
-- listed: their accounting must still be acknowledged; hs_radius_authorize
-- rejects their logins. Read-only, no locks.
CREATE FUNCTION hs_radius_clients()
    RETURNS TABLE (router_id uuid, tenant_id uuid, ip_address inet, radius_secret text,
                   require_message_authenticator boolean, coa_port int, updated_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT d.id, d.tenant_id, d.ip_address, d.radius_secret, d.require_message_authenticator,
           d.coa_port, d.updated_at
      FROM mikrotik_devices d
     ORDER BY d.ip_address
$$;

-- --- Access-Request ------------------------------------------------------------------

-- One Access-Request, decided atomically.
--
-- Inputs:
--   p_nas_ip           the packet's source address: it names the router and
--                      so the tenant
--   p_user_name        User-Name, the voucher code (exact match in the tenant)
--   p_password         PAP User-Password, or NULL with CHAP
--   p_chap_ident       CHAP: the first octet of CHAP-Password (0-255)
--   p_chap_challenge   CHAP-Challenge, or the Request Authenticator when the
--                      packet has none
--   p_chap_response    CHAP: the 16 octets after the ident
--   p_calling_station  Calling-Station-Id (the device's MAC), may be NULL
--   p_interim_s        the Acct-Interim-Interval the module hands out: a
--                      session silent for 3 intervals is stale (NULL: 300)
--
-- Output, always one row:
--   result          accept | reject | unknown_client (no router has that
--                   address: drop the packet, never answer it)
--   reason          accepted, or why not: no_voucher, bad_password,
--                   tenant_disabled, wrong_router, disabled, refunded,
--                   expired, data_used, time_used, used, mac_locked,
--                   max_sessions (unknown_client for an unknown address)
--   reply_message   for the customer, in the tenant's time zone; NULL on accept
--   voucher_id      NULL when no voucher matched
--   session_timeout seconds: the smaller of time allowance left and time to
--                   expiry; NULL = no limit
--   data_left       bytes this session may use (Mikrotik-Total-Limit and
--                   -Gigawords); NULL = unlimited. With shared_users = n it is
--                   floor((data_limit - used_bytes) / n), at least 1: a
--                   session granted R/n when R was left has at most R'/n left
--                   when R' is left later, so at most n live sessions can
--                   together never use more than what is left
--   rate_limit      Mikrotik-Rate-Limit, NULL = none
--   idle_timeout    Idle-Timeout in seconds, NULL = none
--   durable         true when the call changed durable state (activation,
--                   MAC lock, a voucher moved to expired or used): the
--                   commit then waits for the WAL flush. When false the
--                   function has set synchronous_commit = off for the rest of
--                   the transaction: it only wrote soft state (reservation,
--                   auth log, closing stale sessions), whose loss in a crash
--                   costs nothing. Call it in a transaction of its own.
--
-- Rules: the password is checked before anything else is looked at, and a
-- wrong one writes only an auth_log row. The first accepted login activates
-- the voucher (activated_at, expires_at = activated_at + validity unless it
-- was set at sale), with a voucher.activated event. An accept reserves a
-- slot for (voucher, router, Calling-Station-Id) for 120 s or until the
-- Accounting-Start. Busy slots = open sessions heard from within 3 interim
-- intervals + unexpired reservations, not counting the requester's own
-- (router, MAC) when it has a MAC (a re-login of the same device).
-- Stale sessions of the voucher are closed on the way. Every decision but
-- unknown_client writes an auth_log row (voucher id, or the SHA-256 of the
-- name when no voucher matched; never the password).
--
-- Locking: a transaction-level advisory lock on the voucher serialises the
-- Access-Requests of one voucher (so of 50 concurrent first logins exactly
-- one activates, and of 50 requests for the last slot exactly one wins)
-- without writing the voucher row, which would cost a WAL record on every
-- login. The voucher row itself is written only on activation, MAC lock or
-- status change; session rows only with SKIP LOCKED.
CREATE FUNCTION hs_radius_authorize(p_nas_ip inet, p_user_name text, p_password text,
                                    p_chap_ident int, p_chap_challenge bytea, p_chap_response bytea,
                                    p_calling_station text, p_interim_s int)
    RETURNS TABLE (result text, reason text, reply_message text, voucher_id uuid,
                   session_timeout bigint, data_left bigint, rate_limit text, idle_timeout int,
                   durable boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    -- See hs_radius_accounting: one plan per statement, never re-planned.
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    c_hold      constant interval := interval '120 seconds';
    -- Advisory lock class of the RADIUS path ('hsau'); the second key is the
    -- voucher. The two-key form never collides with single-bigint locks.
    c_lock      constant int := 1752395125;
    v_now       timestamptz := now();
    v_mac       text := hs__norm_mac(p_calling_station);
    v_interim   int := coalesce(nullif(greatest(p_interim_s, 0), 0), 300);
    v_stale_cut timestamptz;
    k           record;   -- router, tenant, voucher id and password
    v           record;   -- the voucher, read under the advisory lock
    v_pass_ok   boolean := false;
    v_reason    text;
    v_msg       text;
    v_busy      int;
    v_stale     int;
    v_durable   boolean := false;
    v_activated boolean;
    v_timeout   bigint;
    v_left      bigint;
BEGIN
    SELECT d.id AS router_id, d.tenant_id, t.time_zone, t.is_active AS tenant_active,
           vc.id AS voucher_id, vc.password
      INTO k
      FROM mikrotik_devices d
      JOIN tenants t ON t.id = d.tenant_id
      LEFT JOIN vouchers vc ON vc.tenant_id = d.tenant_id AND vc.code = p_user_name
     WHERE d.ip_address = p_nas_ip;
    IF NOT FOUND OR p_nas_ip IS NULL THEN
        PERFORM set_config('synchronous_commit', 'off', true);
        RETURN QUERY SELECT 'unknown_client', 'unknown_client', NULL::text, NULL::uuid,
                            NULL::bigint, NULL::bigint, NULL::text, NULL::int, false;
        RETURN;
    END IF;

    -- Password before state.
    IF k.voucher_id IS NOT NULL THEN
        IF p_chap_response IS NOT NULL THEN
            v_pass_ok := p_chap_ident BETWEEN 0 AND 255 AND length(p_chap_response) = 16
                AND p_chap_challenge IS NOT NULL
                AND decode(md5(set_byte('\x00'::bytea, 0, p_chap_ident)
                               || convert_to(k.password, 'UTF8') || p_chap_challenge), 'hex')
                    = p_chap_response;
        ELSIF p_password IS NOT NULL THEN
            v_pass_ok := p_password = k.password;
        END IF;
    END IF;

    IF k.voucher_id IS NULL THEN
        v_reason := 'no_voucher';
    ELSIF NOT coalesce(v_pass_ok, false) THEN
        v_reason := 'bad_password';
    ELSIF NOT k.tenant_active THEN
        v_reason := 'tenant_disabled';
    END IF;
    IF v_reason IS NOT NULL THEN
        -- One message for both: it must not tell a guesser which codes exist.
        v_msg := CASE v_reason WHEN 'tenant_disabled' THEN 'This hotspot is not in service'
                               ELSE 'Invalid voucher code or password' END;
        INSERT INTO auth_log (tenant_id, router_id, voucher_id, name_hash, result, reason,
                              nas_ip, calling_station_id)
        VALUES (k.tenant_id, k.router_id, k.voucher_id,
                CASE WHEN k.voucher_id IS NULL
                     THEN encode(sha256(convert_to(coalesce(p_user_name, ''), 'UTF8')), 'hex') END,
                'reject', v_reason, p_nas_ip, left(v_mac, 253));
        PERFORM set_config('synchronous_commit', 'off', true);
        RETURN QUERY SELECT 'reject', v_reason, v_msg, k.voucher_id,
                            NULL::bigint, NULL::bigint, NULL::text, NULL::int, false;
        RETURN;
    END IF;

    PERFORM pg_advisory_xact_lock(c_lock, hashtext(k.voucher_id::text));
    -- A new statement, so a new snapshot: it sees what the previous holder
    -- of the lock committed (an activation, a reservation).
    SELECT vc.id, vc.status, vc.router_id, vc.activated_at, vc.expires_at, vc.validity_seconds,
           vc.data_limit_bytes, vc.time_limit_seconds, vc.used_bytes, vc.used_seconds,
           vc.shared_users, vc.mac_lock, vc.locked_mac, vc.rate_limit, vc.idle_timeout_s, vc.code
      INTO v
      FROM vouchers vc WHERE vc.id = k.voucher_id;

    IF v.router_id IS NOT NULL AND v.router_id <> k.router_id THEN
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
                           || to_char(v.expires_at AT TIME ZONE k.time_zone, 'YYYY-MM-DD HH24:MI') END;
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
        v_stale_cut := v_now - make_interval(secs => 3 * v_interim);
        SELECT count(*) FILTER (WHERE s.last_update_at >= v_stale_cut
                                  AND NOT (v_mac IS NOT NULL AND s.router_id = k.router_id
                                           AND s.calling_station_id = v_mac)),
               count(*) FILTER (WHERE s.last_update_at < v_stale_cut)
          INTO v_busy, v_stale
          FROM radius_sessions s
         WHERE s.voucher_id = v.id AND s.stopped_at IS NULL;
        v_busy := v_busy + (SELECT count(*) FROM reservations r
                             WHERE r.voucher_id = v.id AND r.expires_at > v_now
                               AND NOT (v_mac IS NOT NULL AND r.router_id = k.router_id
                                        AND r.calling_station_id = v_mac));
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
                VALUES (k.tenant_id, 'voucher.activated',
                        jsonb_build_object('voucher_id', v.id, 'code', v.code, 'router_id', k.router_id,
                                           'activated_at', v.activated_at, 'expires_at', v.expires_at));
                PERFORM pg_notify('hs_events', '');
            END IF;
            v_durable := true;
        END IF;

        INSERT INTO reservations AS r (tenant_id, voucher_id, router_id, calling_station_id, expires_at)
        VALUES (k.tenant_id, v.id, k.router_id, coalesce(v_mac, ''), v_now + c_hold)
        ON CONFLICT (voucher_id, router_id, calling_station_id)
        DO UPDATE SET expires_at = EXCLUDED.expires_at, created_at = v_now;

        -- LEAST and GREATEST skip NULLs, so each limit is NULL-guarded
        -- before it takes part: NULL means unlimited.
        v_timeout := least(v.time_limit_seconds - v.used_seconds,
                           CASE WHEN v.expires_at IS NOT NULL
                                THEN greatest(floor(extract(epoch FROM v.expires_at - v_now))::bigint, 1) END);
        v_left := CASE WHEN v.data_limit_bytes IS NOT NULL
                       THEN greatest((v.data_limit_bytes - v.used_bytes) / v.shared_users, 1) END;
    END IF;

    -- Stale sessions no longer hold a slot (they were left out above);
    -- closing them keeps the table honest. SKIP LOCKED: a session an
    -- accounting batch is writing is not stale, and waiting for it here
    -- while holding the reservation could deadlock with that batch.
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

    INSERT INTO auth_log (tenant_id, router_id, voucher_id, result, reason, nas_ip, calling_station_id)
    VALUES (k.tenant_id, k.router_id, v.id, CASE WHEN v_reason IS NULL THEN 'accept' ELSE 'reject' END,
            coalesce(v_reason, 'accepted'), p_nas_ip, left(v_mac, 253));

    IF NOT v_durable THEN
        PERFORM set_config('synchronous_commit', 'off', true);
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

-- --- Accounting-Request, in batches ------------------------------------------------

-- A batch of accounting records in one statement and one commit: the
-- module's writer gathers the packets that arrive together, calls this once
-- and answers them all after the commit. Durable: leave synchronous_commit on.
--
-- Inputs: parallel arrays, element i is record i:
--   p_nas_ip           packet source address (names the router)
--   p_status_type      1 Start, 2 Stop, 3 Interim-Update, 7 Accounting-On,
--                      8 Accounting-Off
--   p_acct_unique_id   Acct-Unique-Session-Id (session key per router)
--   p_acct_session_id  Acct-Session-Id (for Disconnect-Request)
--   p_user_name        User-Name (the voucher code)
--   p_calling_station  Calling-Station-Id
--   p_framed_ip        Framed-IP-Address
--   p_input_octets, p_output_octets  64-bit: Gigawords << 32 + Octets
--   p_session_time     Acct-Session-Time
--   p_terminate_cause  Acct-Terminate-Cause as text
--   p_received_at      server receive time minus Acct-Delay-Time (a replayed
--                      spool keeps the original time)
-- Start, Stop and Interim need the ids and the user name; On/Off only the
-- address and the time. Missing counters count as 0.
--
-- Output, one row per record, in input order: idx (1-based), result, and
-- session_id (the session the record applied to):
--   ok              applied (or already applied: a retransmission or a
--                   duplicate changes nothing) and durable once the
--                   transaction commits: acknowledge it
--   invalid         malformed (unknown status type, ids missing or longer
--                   than 253, negative counters, session time over 10
--                   years, receive time missing, more than a year old or
--                   over an hour ahead): nothing stored, and resending it
--                   cannot help, so acknowledge it and log it
--   unknown_client  no router has that address: nothing stored, do not answer
-- Ordinary bad input never raises, so one bad record cannot fail the batch.
--
-- Rules: counters are cumulative per session, so the session keeps the
-- larger of stored and received (never a sum) and a Stop is final (a late
-- Interim never reopens it). The voucher's used_bytes and used_seconds grow
-- by exactly the growth of its sessions' counters: the same session twice
-- in a batch is folded first, so a retransmission, a duplicate or an
-- out-of-order Interim adds nothing. An Interim or Stop for an unknown
-- session creates it (the Start was lost; started_at is estimated from the
-- session time). A record that creates a session, or a Start, consumes the
-- reservation of (voucher, router, Calling-Station-Id). Accounting-On/Off
-- close the router's sessions last heard of at or before that record.
-- When a voucher touched by the batch is past its data or time allowance,
-- expired, disabled, refunded or used, each of its open sessions gets one
-- radius.disconnect job (hs__voucher_cut). Events: session.started,
-- session.stopped, voucher.exhausted; one NOTIFY hs_events per batch.
--
-- Locking: the batch's vouchers in id order (FOR NO KEY UPDATE, which lets
-- concurrent Access-Accepts take their foreign-key share lock), then its
-- sessions in (router_id, acct_unique_id) order, then reservations; two
-- batches touching the same voucher run one after the other. Only
-- Accounting-On/Off, handled last, take sessions outside that order; should
-- two such batches for one router still deadlock, PostgreSQL aborts one
-- (SQLSTATE 40P01) and the caller retries the whole batch: every record is
-- idempotent.
CREATE FUNCTION hs_radius_accounting(p_nas_ip inet[], p_status_type int[], p_acct_unique_id text[],
                                     p_acct_session_id text[], p_user_name text[],
                                     p_calling_station text[], p_framed_ip inet[],
                                     p_input_octets bigint[], p_output_octets bigint[],
                                     p_session_time bigint[], p_terminate_cause text[],
                                     p_received_at timestamptz[])
    RETURNS TABLE (idx int, result text, session_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    -- PL/pgSQL would otherwise keep choosing custom plans for statements
    -- over unnest(array parameter) (a custom plan sees the array's real,
    -- small length and always looks cheaper), so every call would plan its
    -- dozen statements again: that halves the cost of a small batch. The
    -- generic plans are index nested loops, right for any batch size.
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now    timestamptz := now();
    v_recs   hs_acct_record[];
    v_sess   hs_acct_session[];
    v_old    radius_sessions[];
    v_vids   uuid[];
    -- Every session of the batch: key, id, and whether this batch created it.
    k_router uuid[];
    k_uid    text[];
    k_id     uuid[];
    k_fresh  boolean[];
    v_wake   boolean := false;
    n        bigint;
    c        record;
BEGIN
    -- 1. Validate every record and find its router.
    v_recs := ARRAY(
        SELECT ROW(u.i::int,
                   CASE WHEN u.nas IS NULL THEN 'invalid'
                        WHEN d.id IS NULL THEN 'unknown_client'
                        WHEN u.st IS NULL OR u.st NOT IN (1, 2, 3, 7, 8) OR u.at IS NULL
                          OR NOT isfinite(u.at) OR u.at < v_now - interval '1 year'
                          OR u.at > v_now + interval '1 hour' THEN 'invalid'
                        WHEN u.st IN (7, 8) THEN NULL
                        WHEN u.uid IS NULL OR length(u.uid) NOT BETWEEN 1 AND 253
                          OR u.sid IS NULL OR length(u.sid) NOT BETWEEN 1 AND 253
                          OR u.un IS NULL OR length(u.un) NOT BETWEEN 1 AND 253
                          OR length(u.mac) > 253
                          OR u.inb < 0 OR u.outb < 0
                          OR u.secs < 0 OR u.secs > 315360000 THEN 'invalid'
                   END,
                   u.st, d.id, d.tenant_id, u.nas, u.uid, u.sid, u.un, hs__norm_mac(u.mac), u.fip,
                   coalesce(u.inb, 0), coalesce(u.outb, 0), coalesce(u.secs, 0),
                   left(nullif(btrim(u.cause), ''), 64), u.at)::hs_acct_record
          FROM unnest(p_nas_ip, p_status_type, p_acct_unique_id, p_acct_session_id, p_user_name,
                      p_calling_station, p_framed_ip, p_input_octets, p_output_octets,
                      p_session_time, p_terminate_cause, p_received_at)
                   WITH ORDINALITY AS u (nas, st, uid, sid, un, mac, fip, inb, outb, secs, cause, at, i)
          LEFT JOIN mikrotik_devices d ON d.ip_address = u.nas
         ORDER BY u.i);

    -- 2. Fold the records of each session; find its voucher (the stored
    -- session's, else the User-Name's in the router's tenant).
    v_sess := ARRAY(
        SELECT ROW(a.router_id, a.tenant_id, a.nas_ip, a.acct_unique_id, a.acct_session_id, a.username,
                   a.calling_station_id, a.framed_ip, a.input_octets, a.output_octets, a.session_time,
                   a.terminate_cause, a.first_at, a.last_at, a.start_at, a.stop_at, a.n_interim,
                   CASE WHEN es.id IS NOT NULL THEN es.voucher_id ELSE vc.id END)::hs_acct_session
          FROM (SELECT r.router_id, r.tenant_id, r.nas_ip, r.acct_unique_id,
                       min(r.acct_session_id) AS acct_session_id, min(r.username) AS username,
                       max(r.calling_station_id) AS calling_station_id,
                       (array_agg(r.framed_ip ORDER BY r.received_at DESC)
                            FILTER (WHERE r.framed_ip IS NOT NULL))[1] AS framed_ip,
                       max(r.input_octets) AS input_octets, max(r.output_octets) AS output_octets,
                       max(r.session_time) AS session_time,
                       (array_agg(r.terminate_cause ORDER BY r.received_at)
                            FILTER (WHERE r.status_type = 2 AND r.terminate_cause IS NOT NULL))[1]
                            AS terminate_cause,
                       min(r.received_at) AS first_at, max(r.received_at) AS last_at,
                       min(r.received_at) FILTER (WHERE r.status_type = 1) AS start_at,
                       min(r.received_at) FILTER (WHERE r.status_type = 2) AS stop_at,
                       count(*) FILTER (WHERE r.status_type = 3)::int AS n_interim
                  FROM unnest(v_recs) r
                 WHERE r.result IS NULL AND r.status_type IN (1, 2, 3)
                 GROUP BY r.router_id, r.tenant_id, r.nas_ip, r.acct_unique_id) a
          LEFT JOIN radius_sessions es
                 ON es.router_id = a.router_id AND es.acct_unique_id = a.acct_unique_id
          LEFT JOIN vouchers vc
                 ON es.id IS NULL AND vc.tenant_id = a.tenant_id AND vc.code = a.username
         ORDER BY a.router_id, a.acct_unique_id);

    IF cardinality(v_sess) > 0 THEN
        -- 3. Lock the vouchers, in id order.
        v_vids := ARRAY(SELECT DISTINCT s.voucher_id FROM unnest(v_sess) s
                         WHERE s.voucher_id IS NOT NULL ORDER BY 1);
        IF cardinality(v_vids) > 0 THEN
            PERFORM 1 FROM vouchers vc WHERE vc.id = ANY (v_vids) ORDER BY vc.id FOR NO KEY UPDATE;
        END IF;

        -- 4. Lock the stored sessions, in key order, and keep their counters
        -- as they were: the voucher grows by the difference.
        v_old := ARRAY(SELECT s FROM radius_sessions s
                        WHERE (s.router_id, s.acct_unique_id) IN
                              (SELECT a.router_id, a.acct_unique_id FROM unnest(v_sess) a)
                        ORDER BY s.router_id, s.acct_unique_id
                          FOR NO KEY UPDATE OF s);

        -- 5. Stored sessions: keep the larger counters; a Stop is final. A
        -- record that changes nothing (a retransmission) writes nothing.
        UPDATE radius_sessions s
           SET input_octets = greatest(s.input_octets, a.input_octets),
               output_octets = greatest(s.output_octets, a.output_octets),
               session_time = greatest(s.session_time, a.session_time),
               last_update_at = greatest(s.last_update_at, a.last_at),
               started_at = CASE WHEN a.start_at < s.started_at THEN a.start_at ELSE s.started_at END,
               stopped_at = coalesce(s.stopped_at, a.stop_at),
               terminate_cause = CASE WHEN s.stopped_at IS NULL AND a.stop_at IS NOT NULL
                                      THEN a.terminate_cause ELSE s.terminate_cause END,
               framed_ip = coalesce(a.framed_ip, s.framed_ip),
               calling_station_id = coalesce(s.calling_station_id, a.calling_station_id),
               interim_count = s.interim_count + a.n_interim
          FROM unnest(v_sess) a
         WHERE s.router_id = a.router_id AND s.acct_unique_id = a.acct_unique_id
           AND (a.input_octets > s.input_octets OR a.output_octets > s.output_octets
                OR a.session_time > s.session_time OR a.last_at > s.last_update_at
                OR (s.stopped_at IS NULL AND a.stop_at IS NOT NULL) OR a.start_at < s.started_at
                OR a.framed_ip IS DISTINCT FROM coalesce(a.framed_ip, s.framed_ip));

        -- 6. New sessions (the Start, or the first record when it was lost).
        -- ON CONFLICT merges a session another batch created meanwhile, which
        -- only happens for a session with no voucher (those with one are
        -- serialised by the voucher lock), so no usage is lost.
        WITH ins AS (
            INSERT INTO radius_sessions AS s
                   (tenant_id, voucher_id, router_id, username, acct_unique_id, acct_session_id, nas_ip,
                    calling_station_id, framed_ip, started_at, last_update_at, stopped_at,
                    input_octets, output_octets, session_time, terminate_cause, interim_count)
            SELECT a.tenant_id, a.voucher_id, a.router_id, a.username, a.acct_unique_id,
                   a.acct_session_id, a.nas_ip, a.calling_station_id, a.framed_ip,
                   coalesce(a.start_at, least(a.first_at, a.last_at - make_interval(secs => a.session_time))),
                   a.last_at, a.stop_at, a.input_octets, a.output_octets, a.session_time,
                   CASE WHEN a.stop_at IS NOT NULL THEN a.terminate_cause END, a.n_interim
              FROM unnest(v_sess) a
             WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old) o
                                WHERE o.router_id = a.router_id AND o.acct_unique_id = a.acct_unique_id)
             ORDER BY a.router_id, a.acct_unique_id
            ON CONFLICT (router_id, acct_unique_id) DO UPDATE
               SET input_octets = greatest(s.input_octets, EXCLUDED.input_octets),
                   output_octets = greatest(s.output_octets, EXCLUDED.output_octets),
                   session_time = greatest(s.session_time, EXCLUDED.session_time),
                   last_update_at = greatest(s.last_update_at, EXCLUDED.last_update_at),
                   stopped_at = coalesce(s.stopped_at, EXCLUDED.stopped_at),
                   terminate_cause = coalesce(s.terminate_cause, EXCLUDED.terminate_cause),
                   interim_count = s.interim_count + EXCLUDED.interim_count
            RETURNING s.router_id, s.acct_unique_id, s.id, s.xmax = 0 AS fresh
        ), keys AS (
            SELECT o.router_id, o.acct_unique_id, o.id, false AS fresh FROM unnest(v_old) o
            UNION ALL
            SELECT i.router_id, i.acct_unique_id, i.id, i.fresh FROM ins i
        )
        SELECT array_agg(x.router_id), array_agg(x.acct_unique_id), array_agg(x.id), array_agg(x.fresh)
          INTO k_router, k_uid, k_id, k_fresh
          FROM keys x;

        -- 7. The vouchers grow by what their sessions grew.
        UPDATE vouchers vc
           SET used_bytes = vc.used_bytes + d.bytes, used_seconds = vc.used_seconds + d.secs
          FROM (SELECT a.voucher_id,
                       sum(CASE WHEN o.id IS NULL
                                THEN a.input_octets + a.output_octets
                                ELSE greatest(o.input_octets, a.input_octets) - o.input_octets
                                     + greatest(o.output_octets, a.output_octets) - o.output_octets END)::bigint
                           AS bytes,
                       sum(CASE WHEN o.id IS NULL THEN a.session_time
                                ELSE greatest(o.session_time, a.session_time) - o.session_time END)::bigint
                           AS secs
                  FROM unnest(v_sess) a
                  JOIN unnest(k_router, k_uid, k_fresh) AS k (router_id, uid, fresh)
                    ON k.router_id = a.router_id AND k.uid = a.acct_unique_id
                  LEFT JOIN unnest(v_old) o
                    ON o.router_id = a.router_id AND o.acct_unique_id = a.acct_unique_id
                 WHERE a.voucher_id IS NOT NULL AND (k.fresh OR o.id IS NOT NULL)
                 GROUP BY a.voucher_id) d
         WHERE vc.id = d.voucher_id AND (d.bytes > 0 OR d.secs > 0);

        -- 8. A session that began consumes the slot its Access-Accept reserved.
        DELETE FROM reservations r
         USING unnest(v_sess) a, unnest(k_router, k_uid, k_fresh) AS k (router_id, uid, fresh)
         WHERE k.router_id = a.router_id AND k.uid = a.acct_unique_id
           AND (k.fresh OR a.start_at IS NOT NULL)
           AND r.voucher_id = a.voucher_id AND r.router_id = a.router_id
           AND r.calling_station_id = coalesce(a.calling_station_id, '');

        -- 9. Events for sessions that started or stopped in this batch.
        INSERT INTO events (tenant_id, type, payload)
        SELECT s.tenant_id, e.type,
               jsonb_build_object('session_id', s.id, 'voucher_id', s.voucher_id, 'router_id', s.router_id,
                                  'username', s.username, 'calling_station_id', s.calling_station_id,
                                  'framed_ip', host(s.framed_ip), 'started_at', s.started_at,
                                  'stopped_at', s.stopped_at, 'input_octets', s.input_octets,
                                  'output_octets', s.output_octets, 'session_time', s.session_time,
                                  'terminate_cause', s.terminate_cause)
          FROM (SELECT k.id, 'session.started' AS type, 1 AS ord
                  FROM unnest(k_id, k_fresh) AS k (id, fresh) WHERE k.fresh
                UNION ALL
                SELECT k.id, 'session.stopped', 2
                  FROM unnest(v_sess) a
                  JOIN unnest(k_router, k_uid, k_id, k_fresh) AS k (router_id, uid, id, fresh)
                    ON k.router_id = a.router_id AND k.uid = a.acct_unique_id
                  LEFT JOIN unnest(v_old) o ON o.id = k.id
                 WHERE a.stop_at IS NOT NULL AND (k.fresh OR o.stopped_at IS NULL)) e
          JOIN radius_sessions s ON s.id = e.id
         ORDER BY e.ord, s.router_id, s.acct_unique_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        v_wake := n > 0;

        -- 10. Vouchers no longer usable while sessions may be live: cut them.
        FOR c IN
            SELECT vc.id,
                   CASE WHEN vc.status <> 'active' THEN vc.status
                        WHEN vc.used_bytes >= vc.data_limit_bytes THEN 'data_used'
                        WHEN vc.used_seconds >= vc.time_limit_seconds THEN 'time_used'
                        ELSE 'expired' END AS why
              FROM vouchers vc
             WHERE vc.id = ANY (v_vids)
               AND (vc.status <> 'active' OR vc.used_bytes >= vc.data_limit_bytes
                    OR vc.used_seconds >= vc.time_limit_seconds OR vc.expires_at <= v_now)
             ORDER BY vc.id
        LOOP
            PERFORM hs__voucher_cut(c.id, c.why);
            v_wake := true;
        END LOOP;
    END IF;

    -- 11. Accounting-On/Off: the router (re)started or is going down; its
    -- sessions last heard of before that are over.
    IF EXISTS (SELECT 1 FROM unnest(v_recs) r WHERE r.result IS NULL AND r.status_type IN (7, 8)) THEN
        WITH oo AS (
            SELECT r.router_id, max(r.received_at) AS at,
                   (array_agg(r.status_type ORDER BY r.received_at DESC))[1] AS st
              FROM unnest(v_recs) r
             WHERE r.result IS NULL AND r.status_type IN (7, 8)
             GROUP BY r.router_id
        ), closed AS (
            UPDATE radius_sessions s
               SET stopped_at = oo.at,
                   terminate_cause = CASE oo.st WHEN 7 THEN 'NAS-Reboot' ELSE 'NAS-Request' END
              FROM oo
             WHERE s.router_id = oo.router_id
               AND s.id IN (SELECT x.id FROM radius_sessions x JOIN oo y ON y.router_id = x.router_id
                             WHERE x.stopped_at IS NULL AND x.last_update_at <= y.at
                             ORDER BY x.router_id, x.acct_unique_id
                               FOR NO KEY UPDATE OF x)
            RETURNING s.*
        )
        INSERT INTO events (tenant_id, type, payload)
        SELECT c2.tenant_id, 'session.stopped',
               jsonb_build_object('session_id', c2.id, 'voucher_id', c2.voucher_id, 'router_id', c2.router_id,
                                  'username', c2.username, 'calling_station_id', c2.calling_station_id,
                                  'framed_ip', host(c2.framed_ip), 'started_at', c2.started_at,
                                  'stopped_at', c2.stopped_at, 'input_octets', c2.input_octets,
                                  'output_octets', c2.output_octets, 'session_time', c2.session_time,
                                  'terminate_cause', c2.terminate_cause)
          FROM closed c2;
        GET DIAGNOSTICS n = ROW_COUNT;
        v_wake := v_wake OR n > 0;
    END IF;

    -- A wake-up for the event stream, once per batch whatever it wrote.
    IF v_wake THEN
        PERFORM pg_notify('hs_events', '');
    END IF;

    RETURN QUERY
    SELECT r.idx, coalesce(r.result, 'ok'), k.id
      FROM unnest(v_recs) r
      LEFT JOIN unnest(k_router, k_uid, k_id) AS k (router_id, uid, id)
             ON r.result IS NULL AND r.status_type IN (1, 2, 3)
            AND k.router_id = r.router_id AND k.uid = r.acct_unique_id
     ORDER BY r.idx;
END
$$;

-- --- workers --------------------------------------------------------------------------

-- The stale-session sweeper (a periodic job). P_INTERIM_S is the
-- Acct-Interim-Interval the RADIUS module hands out. First it cuts the
-- vouchers that have a live session not yet being disconnected although
-- the voucher is no longer usable (expired by the clock, disabled or
-- refunded by an admin, used up), which the accounting path only notices
-- on the next record; then it closes the open sessions not heard of for 3
-- intervals (stopped_at = their last update, terminate_cause 'Stale', a
-- session.stopped event each). Returns the number of sessions closed.
-- Locking: vouchers one at a time in id order, then session rows with
-- SKIP LOCKED (a session an accounting batch holds is alive).
CREATE FUNCTION hs_radius_sweep(p_interim_s int) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_cut timestamptz;
    v_now timestamptz := now();
    n     int;
    c     record;
    v_wake boolean := false;
BEGIN
    IF p_interim_s IS NULL OR p_interim_s < 1 THEN
        RAISE EXCEPTION 'hs_radius_sweep: the interim interval must be at least 1 second'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_cut := v_now - make_interval(secs => 3 * p_interim_s);

    FOR c IN
        SELECT vc.id,
               CASE WHEN vc.status <> 'active' THEN vc.status
                    WHEN vc.used_bytes >= vc.data_limit_bytes THEN 'data_used'
                    WHEN vc.used_seconds >= vc.time_limit_seconds THEN 'time_used'
                    ELSE 'expired' END AS why
          FROM vouchers vc
         WHERE vc.id IN (SELECT s.voucher_id FROM radius_sessions s
                          WHERE s.stopped_at IS NULL AND s.disconnect_queued_at IS NULL
                            AND s.last_update_at >= v_cut)
           AND (vc.status <> 'active' OR vc.used_bytes >= vc.data_limit_bytes
                OR vc.used_seconds >= vc.time_limit_seconds OR vc.expires_at <= v_now)
         ORDER BY vc.id
    LOOP
        PERFORM hs__voucher_cut(c.id, c.why);
        v_wake := true;
    END LOOP;

    WITH closed AS (
        UPDATE radius_sessions s
           SET stopped_at = s.last_update_at, terminate_cause = 'Stale'
         WHERE s.id IN (SELECT x.id FROM radius_sessions x
                         WHERE x.stopped_at IS NULL AND x.last_update_at < v_cut
                         ORDER BY x.router_id, x.acct_unique_id
                           FOR NO KEY UPDATE SKIP LOCKED)
        RETURNING s.*
    ), ev AS (
        INSERT INTO events (tenant_id, type, payload)
        SELECT c2.tenant_id, 'session.stopped',
               jsonb_build_object('session_id', c2.id, 'voucher_id', c2.voucher_id, 'router_id', c2.router_id,
                                  'username', c2.username, 'calling_station_id', c2.calling_station_id,
                                  'framed_ip', host(c2.framed_ip), 'started_at', c2.started_at,
                                  'stopped_at', c2.stopped_at, 'input_octets', c2.input_octets,
                                  'output_octets', c2.output_octets, 'session_time', c2.session_time,
                                  'terminate_cause', c2.terminate_cause)
          FROM closed c2
        RETURNING 1
    )
    SELECT count(*) INTO n FROM ev;

    IF v_wake OR n > 0 THEN
        PERFORM pg_notify('hs_events', '');
    END IF;
    RETURN n;
END
$$;

-- Where the disconnect worker sends a Disconnect-Request for a router: its
-- address, CoA port and RADIUS secret (needed to sign the packet; read at
-- send time so that jobs never store it). No row when the router is gone.
CREATE FUNCTION hs_router_coa_target(p_router_id uuid)
    RETURNS TABLE (ip_address inet, coa_port int, radius_secret text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT d.ip_address, d.coa_port, d.radius_secret FROM mikrotik_devices d WHERE d.id = p_router_id
$$;

-- Records the router's answer to a Disconnect-Request: ack, nak, timeout
-- (no answer after the retries) or error (could not send). The session
-- itself stays open until the router's Accounting-Stop (or the sweeper)
-- closes it. Returns false when the session does not exist. Raises on any
-- other result text: that is a bug in the caller, not an outcome.
CREATE FUNCTION hs_radius_disconnect_result(p_session_id uuid, p_result text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_result IS NULL OR p_result NOT IN ('ack', 'nak', 'timeout', 'error') THEN
        RAISE EXCEPTION 'hs_radius_disconnect_result: result must be ack, nak, timeout or error'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE radius_sessions
       SET disconnect_result = p_result, disconnect_result_at = now()
     WHERE id = p_session_id;
    RETURN FOUND;
END
$$;

-- --- privileges --------------------------------------------------------------------------

REVOKE ALL ON FUNCTION hs_radius_clients() FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_radius_authorize(inet, text, text, int, bytea, bytea, text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_radius_accounting(inet[], int[], text[], text[], text[], text[], inet[],
                                            bigint[], bigint[], bigint[], text[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_radius_sweep(int) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_router_coa_target(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_radius_disconnect_result(uuid, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION hs_radius_clients() TO hs_radius;
GRANT EXECUTE ON FUNCTION hs_radius_authorize(inet, text, text, int, bytea, bytea, text, int) TO hs_radius;
GRANT EXECUTE ON FUNCTION hs_radius_accounting(inet[], int[], text[], text[], text[], text[], inet[],
                                               bigint[], bigint[], bigint[], text[], timestamptz[]) TO hs_radius;
GRANT EXECUTE ON FUNCTION hs_radius_sweep(int) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_router_coa_target(uuid) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_radius_disconnect_result(uuid, text) TO hs_worker;
