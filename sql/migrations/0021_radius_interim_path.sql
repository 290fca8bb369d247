-- 0021_radius_interim_path: the common accounting batch, Interim-Updates of
-- sessions already stored, in four statements instead of a dozen; cutting
-- vouchers as a set.
--
-- Most accounting records are Interim-Updates of live sessions. For a batch
-- made only of those, hs_radius_accounting now:
--
--   1. checks every record and finds its stored session in one read (no
--      lock): valid as 0008 validates, a known router, a stored session with
--      a voucher, each session once in the batch;
--   2. locks the batch's vouchers in id order (the lock order of 0008);
--   3. in one statement locks the sessions in key order, raises their
--      counters (the larger value kept, never added) and adds their growth
--      to the vouchers;
--   4. cuts, as a set, the vouchers that are no longer usable and still
--      have something to cut (an active status to end, or a live session
--      with no disconnect queued).
--
-- Any other batch (a Start, a Stop, Accounting-On/Off, an invalid record, a
-- session not stored yet, one session twice) goes to the general function
-- of 0008, renamed hs__radius_accounting_all, whose results are the same
-- for the records the fast path takes: sql_radius checks both on the same
-- records. Step 1 takes no lock, so a session deleted before step 3 (only
-- the pruning of long-closed sessions deletes any) makes the call fail with
-- serialization_failure; the module retries the batch once, and the retry
-- goes the general way.
--
-- Cutting: hs__vouchers_cut ends a set of vouchers in three statements
-- whatever their number (status and voucher.exhausted events, disconnect
-- jobs, session marks), one NOTIFY per channel; hs__voucher_cut (0008) is
-- now that for one voucher, so every caller (authorize, the sweeper, the
-- API) shares it.
--
-- Sessions leave a fifth of each page free, so an Interim's new row version
-- fits on its page (a HOT update: no index is touched).

ALTER TABLE radius_sessions SET (fillfactor = 80);

-- --- cutting vouchers ---------------------------------------------------------------

-- Ends the service of the vouchers P_IDS (reason P_REASONS[i] for
-- P_IDS[i]; the reasons of hs__voucher_cut). Returns the number of
-- disconnect jobs queued. Jobs are inserted as job_enqueue inserts them,
-- for the whole set at once: the dedup key names the session, so a session
-- is never queued twice. Locking: the voucher rows, then their open
-- sessions in (router_id, acct_unique_id) order; callers hold the voucher
-- rows already or hold nothing an accounting batch waits for.
CREATE FUNCTION hs__vouchers_cut(p_ids uuid[], p_reasons text[]) RETURNS int
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    -- A handful of vouchers: their sessions are found through the index on
    -- open sessions by voucher. A generic plan would otherwise hash the
    -- vouchers and read every open session (thousands) per call.
    SET enable_hashjoin = off
    SET enable_mergejoin = off
    -- Planned once per connection: a custom plan per call of these
    -- statements would cost more than running them.
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    n int;
    e int;
BEGIN
    WITH ended AS (
        UPDATE vouchers v
           SET status = CASE c.why WHEN 'expired' THEN 'expired' ELSE 'used' END
          FROM unnest(p_ids, p_reasons) AS c (id, why)
         WHERE v.id = c.id AND v.status = 'active' AND c.why IN ('data_used', 'time_used', 'expired')
        RETURNING v.tenant_id, v.id, v.code, c.why
    )
    INSERT INTO events (tenant_id, type, payload)
    SELECT x.tenant_id, 'voucher.exhausted',
           jsonb_build_object('voucher_id', x.id, 'code', x.code, 'reason', x.why)
      FROM ended x
     ORDER BY x.id;
    GET DIAGNOSTICS e = ROW_COUNT;

    WITH live AS (
        SELECT rs.id, rs.tenant_id, rs.router_id, rs.nas_ip, rs.username, rs.acct_session_id,
               rs.acct_unique_id, rs.framed_ip, d.coa_port, c.why
          FROM unnest(p_ids, p_reasons) AS c (id, why)
          JOIN radius_sessions rs ON rs.voucher_id = c.id
          JOIN mikrotik_devices d ON d.id = rs.router_id
         WHERE rs.stopped_at IS NULL AND rs.disconnect_queued_at IS NULL
         ORDER BY rs.router_id, rs.acct_unique_id
           FOR NO KEY UPDATE OF rs
    ), queued AS (
        -- The secret stays out of the payload: the worker asks for it with
        -- hs_router_coa_target when it sends, so jobs never hold secrets.
        INSERT INTO jobs (tenant_id, kind, payload, status, max_attempts, run_at, dedup_key)
        SELECT s.tenant_id, 'radius.disconnect',
               jsonb_build_object('router_id', s.router_id, 'nas_ip', host(s.nas_ip),
                                  'coa_port', s.coa_port, 'user_name', s.username,
                                  'acct_session_id', s.acct_session_id,
                                  'framed_ip', host(s.framed_ip),
                                  'session_id', s.id, 'reason', s.why),
               'queued', 8, now(), 'radius.disconnect:' || s.id
          FROM live s
         ORDER BY s.router_id, s.acct_unique_id
        ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
    )
    UPDATE radius_sessions rs
       SET disconnect_queued_at = now(), disconnect_reason = s.why
      FROM live s
     WHERE rs.id = s.id;
    GET DIAGNOSTICS n = ROW_COUNT;

    IF e > 0 THEN
        PERFORM pg_notify('hs_events', '');
    END IF;
    IF n > 0 THEN
        PERFORM pg_notify('hs_jobs', 'radius.disconnect');
    END IF;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION hs__vouchers_cut(uuid[], text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION hs__voucher_cut(p_voucher_id uuid, p_reason text) RETURNS int
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN hs__vouchers_cut(ARRAY[p_voucher_id], ARRAY[p_reason]);
END
$$;

-- --- the accounting batch ------------------------------------------------------------

ALTER FUNCTION hs_radius_accounting(inet[], int[], text[], text[], text[], text[], inet[],
                                    bigint[], bigint[], bigint[], text[], timestamptz[])
    RENAME TO hs__radius_accounting_all;
REVOKE ALL ON FUNCTION hs__radius_accounting_all(inet[], int[], text[], text[], text[], text[], inet[],
                                                 bigint[], bigint[], bigint[], text[], timestamptz[])
    FROM PUBLIC, hs_radius;

-- The arguments and results of 0008's hs_radius_accounting, unchanged.
CREATE FUNCTION hs_radius_accounting(p_nas_ip inet[], p_status_type int[], p_acct_unique_id text[],
                                     p_acct_session_id text[], p_user_name text[],
                                     p_calling_station text[], p_framed_ip inet[],
                                     p_input_octets bigint[], p_output_octets bigint[],
                                     p_session_time bigint[], p_terminate_cause text[],
                                     p_received_at timestamptz[])
    RETURNS TABLE (idx int, result text, session_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    -- As in 0008: generic plans (index nested loops) for any batch size,
    -- never re-planned per call.
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now  timestamptz := now();
    v_n    int := cardinality(p_status_type);
    v_sid  uuid[]; -- record i's stored session
    v_vids uuid[]; -- the batch's vouchers, in id order
    v_cut  uuid[];
    v_why  text[];
    v_done int;
BEGIN
    IF v_n > 0 AND 3 = ALL (p_status_type) THEN
        -- 1. Every record a valid Interim of a stored session with a
        -- voucher, each session once (the validation of 0008, step 1).
        SELECT array_agg(s.id ORDER BY u.i), array_agg(DISTINCT s.voucher_id)
          INTO v_sid, v_vids
          FROM unnest(p_nas_ip, p_acct_unique_id, p_acct_session_id, p_user_name, p_calling_station,
                      p_input_octets, p_output_octets, p_session_time, p_received_at)
                   WITH ORDINALITY AS u (nas, uid, sid, un, mac, inb, outb, secs, at, i)
          JOIN mikrotik_devices d ON d.ip_address = u.nas
          JOIN radius_sessions s ON s.router_id = d.id AND s.acct_unique_id = u.uid
         WHERE s.voucher_id IS NOT NULL
           AND isfinite(u.at) AND u.at >= v_now - interval '1 year' AND u.at <= v_now + interval '1 hour'
           AND length(u.uid) BETWEEN 1 AND 253 AND length(u.sid) BETWEEN 1 AND 253
           AND length(u.un) BETWEEN 1 AND 253 AND coalesce(length(u.mac) <= 253, true)
           AND coalesce(u.inb >= 0, true) AND coalesce(u.outb >= 0, true)
           AND coalesce(u.secs BETWEEN 0 AND 315360000, true)
        HAVING count(*) = v_n AND count(DISTINCT s.id) = v_n;

        IF v_sid IS NOT NULL THEN
            -- 2. The vouchers, in id order.
            PERFORM 1 FROM vouchers vc WHERE vc.id = ANY (v_vids) ORDER BY vc.id FOR NO KEY UPDATE;

            -- 3. The sessions, locked in key order: keep the larger counters
            -- (a record that changes nothing writes nothing); the vouchers
            -- grow by what their sessions grew.
            WITH a AS (
                SELECT u.sid, hs__norm_mac(u.mac) AS mac, u.fip, coalesce(u.inb, 0) AS inb,
                       coalesce(u.outb, 0) AS outb, coalesce(u.secs, 0) AS secs, u.at
                  FROM unnest(v_sid, p_calling_station, p_framed_ip, p_input_octets, p_output_octets,
                              p_session_time, p_received_at) AS u (sid, mac, fip, inb, outb, secs, at)
            ), old AS (
                SELECT s.id, s.voucher_id, s.input_octets, s.output_octets, s.session_time
                  FROM radius_sessions s
                 WHERE s.id = ANY (v_sid)
                 ORDER BY s.router_id, s.acct_unique_id
                   FOR NO KEY UPDATE OF s
            ), sessions AS (
                UPDATE radius_sessions s
                   SET input_octets = greatest(s.input_octets, a.inb),
                       output_octets = greatest(s.output_octets, a.outb),
                       session_time = greatest(s.session_time, a.secs),
                       last_update_at = greatest(s.last_update_at, a.at),
                       framed_ip = coalesce(a.fip, s.framed_ip),
                       calling_station_id = coalesce(s.calling_station_id, a.mac),
                       interim_count = s.interim_count + 1
                  FROM a
                 WHERE s.id = a.sid
                   AND (a.inb > s.input_octets OR a.outb > s.output_octets OR a.secs > s.session_time
                        OR a.at > s.last_update_at OR a.fip IS DISTINCT FROM coalesce(a.fip, s.framed_ip))
            ), grown AS (
                UPDATE vouchers vc
                   SET used_bytes = vc.used_bytes + d.bytes, used_seconds = vc.used_seconds + d.secs
                  FROM (SELECT o.voucher_id,
                               sum(greatest(o.input_octets, a.inb) - o.input_octets
                                   + greatest(o.output_octets, a.outb) - o.output_octets)::bigint AS bytes,
                               sum(greatest(o.session_time, a.secs) - o.session_time)::bigint AS secs
                          FROM old o JOIN a ON a.sid = o.id
                         GROUP BY o.voucher_id) d
                 WHERE vc.id = d.voucher_id AND (d.bytes > 0 OR d.secs > 0)
            )
            SELECT count(*) INTO v_done FROM old;
            IF v_done <> v_n THEN
                RAISE EXCEPTION 'hs_radius_accounting: a session of the batch went away; retry'
                    USING ERRCODE = 'serialization_failure';
            END IF;

            -- 4. Vouchers no longer usable with something left to cut.
            SELECT array_agg(vc.id ORDER BY vc.id),
                   array_agg(CASE WHEN vc.status <> 'active' THEN vc.status
                                  WHEN vc.used_bytes >= vc.data_limit_bytes THEN 'data_used'
                                  WHEN vc.used_seconds >= vc.time_limit_seconds THEN 'time_used'
                                  ELSE 'expired' END ORDER BY vc.id)
              INTO v_cut, v_why
              FROM vouchers vc
             WHERE vc.id = ANY (v_vids)
               AND (vc.status <> 'active' OR vc.used_bytes >= vc.data_limit_bytes
                    OR vc.used_seconds >= vc.time_limit_seconds OR vc.expires_at <= v_now)
               -- A subquery per voucher (its index), never one hashed over
               -- every open session, which EXISTS could become.
               AND (vc.status = 'active'
                    OR (SELECT true FROM radius_sessions rs
                         WHERE rs.voucher_id = vc.id AND rs.stopped_at IS NULL
                           AND rs.disconnect_queued_at IS NULL
                         LIMIT 1));
            IF v_cut IS NOT NULL THEN
                PERFORM hs__vouchers_cut(v_cut, v_why);
            END IF;

            RETURN QUERY SELECT k.i::int, 'ok'::text, k.sid
                           FROM unnest(v_sid) WITH ORDINALITY AS k (sid, i);
            RETURN;
        END IF;
    END IF;

    RETURN QUERY SELECT * FROM hs__radius_accounting_all(p_nas_ip, p_status_type, p_acct_unique_id,
                                                          p_acct_session_id, p_user_name, p_calling_station,
                                                          p_framed_ip, p_input_octets, p_output_octets,
                                                          p_session_time, p_terminate_cause, p_received_at);
END
$$;
REVOKE ALL ON FUNCTION hs_radius_accounting(inet[], int[], text[], text[], text[], text[], inet[],
                                            bigint[], bigint[], bigint[], text[], timestamptz[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_radius_accounting(inet[], int[], text[], text[], text[], text[], inet[],
                                               bigint[], bigint[], bigint[], text[], timestamptz[])
    TO hs_radius;
