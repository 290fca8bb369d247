-- 0025_interim_cut_once: an Interim batch that exhausts vouchers writes each
-- voucher and each of its sessions once.
--
-- In 0021's fast path, step 3 raised the session counters and the voucher
-- usage, then step 4 cut the exhausted vouchers with hs__vouchers_cut,
-- which updated the same voucher rows (status) and session rows (the
-- disconnect mark) a second time. A row written twice in one transaction
-- costs a second row version and, because its first version was made by
-- the same transaction, PostgreSQL re-checks every foreign key of the row
-- on the second write (two per voucher, three per session). With
-- pg_stat_statements, a cut cost ~270 µs of database time per voucher in
-- `make bench`'s Interim round, which exhausts one voucher in fifteen
-- records: a quarter of that round's database time.
--
-- Step 3 now decides the cut itself, from the voucher rows step 2 locked
-- and the growth of the batch's sessions: in the same statement it sets the
-- voucher's status with its new usage, marks the batch's live sessions of
-- a cut voucher as their counters are raised, inserts the voucher.exhausted
-- events and the radius.disconnect jobs. hs__vouchers_cut is then called
-- only for a cut voucher's other live sessions (a shared voucher's sessions
-- that are not in the batch), which it finds and marks as before.
--
-- That statement costs more than 0021's step 3 when nothing is cut (it
-- reads the vouchers, joins them to the sessions and carries the inserts:
-- ~5 µs per record in bench/scale.sh's load), and most batches cut
-- nothing. So step 2, as it locks the vouchers, tells whether the batch can
-- cut one: an active voucher that its records' growth could take to a
-- limit, or one expired. The growth is bounded from step 1's unlocked read
-- of the sessions' counters, which can only have grown since, so the
-- bound is never below the growth step 3 then finds. A batch that cannot
-- cut takes 0021's step 3 unchanged. Either way, the vouchers no longer
-- usable (cut now, or already not active) are then checked for live
-- sessions without a disconnect queued, as 0021's step 4 did.
--
-- Results, statuses, reasons, events, jobs and marks are those of 0021:
-- sql_radius compares both ways with 0008's general function on the same
-- records.

-- The payloads of a voucher.exhausted event and of a radius.disconnect job,
-- for the cut (hs__vouchers_cut) and the Interim path, which both make them.
-- Plain SQL expressions: the planner puts them inline.
CREATE FUNCTION hs__exhausted_payload(p_voucher_id uuid, p_code text, p_reason text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('voucher_id', p_voucher_id, 'code', p_code, 'reason', p_reason)
$$;

-- The secret stays out of the payload: the worker asks for it with
-- hs_router_coa_target when it sends, so jobs never hold secrets.
CREATE FUNCTION hs__disconnect_payload(p_router_id uuid, p_nas_ip inet, p_coa_port int, p_user_name text,
                                       p_acct_session_id text, p_framed_ip inet, p_session_id uuid,
                                       p_reason text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('router_id', p_router_id, 'nas_ip', host(p_nas_ip), 'coa_port', p_coa_port,
                              'user_name', p_user_name, 'acct_session_id', p_acct_session_id,
                              'framed_ip', host(p_framed_ip), 'session_id', p_session_id,
                              'reason', p_reason)
$$;
REVOKE ALL ON FUNCTION hs__exhausted_payload(uuid, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs__disconnect_payload(uuid, inet, int, text, text, inet, uuid, text) FROM PUBLIC;

-- 0022's cut, with the payloads above.
CREATE OR REPLACE FUNCTION hs__vouchers_cut(p_ids uuid[], p_reasons text[]) RETURNS int
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    -- A handful of vouchers: their sessions are found through the index on
    -- a voucher's sessions. A generic plan would otherwise hash the
    -- vouchers and read every session per call.
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
    SELECT x.tenant_id, 'voucher.exhausted', hs__exhausted_payload(x.id, x.code, x.why)
      FROM ended x
     ORDER BY x.id;
    GET DIAGNOSTICS e = ROW_COUNT;

    WITH live AS (
        SELECT rs.id, rs.tenant_id, rs.router_id, rs.nas_ip, rs.username, rs.acct_session_id,
               rs.acct_unique_id, rs.framed_ip, d.coa_port, c.why
          FROM unnest(p_ids, p_reasons) AS c (id, why)
          JOIN vouchers v ON v.id = c.id
          JOIN radius_sessions rs ON rs.tenant_id = v.tenant_id AND rs.voucher_id = v.id
          JOIN mikrotik_devices d ON d.id = rs.router_id
         -- "Open" is spelled so that no index on open sessions matches it:
         -- with those in play, a plan made while few sessions were open
         -- read them all once per call instead of looking each voucher up.
         WHERE coalesce(rs.stopped_at, 'infinity') = 'infinity' AND rs.disconnect_queued_at IS NULL
         ORDER BY rs.router_id, rs.acct_unique_id
           FOR NO KEY UPDATE OF rs
    ), queued AS (
        INSERT INTO jobs (tenant_id, kind, payload, status, max_attempts, run_at, dedup_key)
        SELECT s.tenant_id, 'radius.disconnect',
               hs__disconnect_payload(s.router_id, s.nas_ip, s.coa_port, s.username, s.acct_session_id,
                                      s.framed_ip, s.id, s.why),
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

-- The arguments and results of 0008's hs_radius_accounting, unchanged.
CREATE OR REPLACE FUNCTION hs_radius_accounting(p_nas_ip inet[], p_status_type int[], p_acct_unique_id text[],
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
    -- As in 0022: every lookup has an index.
    SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    v_now    timestamptz := now();
    v_n      int := cardinality(p_status_type);
    v_sid    uuid[];   -- record i's stored session
    v_vids   uuid[];   -- the batch's vouchers, in id order
    v_vbytes bigint[]; -- at most how much the batch grows each, when each
    v_vsecs  bigint[]; -- has one record (else NULL)
    v_maycut boolean;  -- whether the batch can cut a voucher
    v_cut    uuid[];   -- the batch's vouchers no longer usable, in id order
    v_why    text[];   -- and why
    v_done   int;
    v_events int;
    v_marked int;
BEGIN
    IF v_n > 0 AND 3 = ALL (p_status_type) THEN
        -- 1. Every record a valid Interim of a stored session with a
        -- voucher, each session once (the validation of 0008, step 1).
        SELECT array_agg(s.id ORDER BY u.i), array_agg(DISTINCT s.voucher_id),
               array_agg(greatest(coalesce(u.inb, 0), s.input_octets) - s.input_octets
                         + greatest(coalesce(u.outb, 0), s.output_octets) - s.output_octets
                         ORDER BY s.voucher_id),
               array_agg(greatest(coalesce(u.secs, 0), s.session_time) - s.session_time ORDER BY s.voucher_id)
          INTO v_sid, v_vids, v_vbytes, v_vsecs
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
            -- 2. The vouchers, locked in id order (what step 3 reads of
            -- them stays as it read it): can the batch cut one, and which
            -- are not active already. With a voucher in several records
            -- (shared), any active one is taken as one it can cut.
            IF cardinality(v_vids) < v_n THEN
                v_vbytes := NULL;
                v_vsecs := NULL;
            END IF;
            SELECT coalesce(bool_or(vc.status = 'active'
                                    AND (v_vbytes IS NULL
                                         OR vc.used_bytes + v_vbytes[array_position(v_vids, vc.id)]
                                            >= vc.data_limit_bytes
                                         OR vc.used_seconds + v_vsecs[array_position(v_vids, vc.id)]
                                            >= vc.time_limit_seconds
                                         OR vc.expires_at <= v_now)), false),
                   array_agg(vc.id ORDER BY vc.id) FILTER (WHERE vc.status <> 'active'),
                   array_agg(vc.status ORDER BY vc.id) FILTER (WHERE vc.status <> 'active')
              INTO v_maycut, v_cut, v_why
              FROM (SELECT vc.id, vc.status, vc.used_bytes, vc.used_seconds, vc.data_limit_bytes,
                           vc.time_limit_seconds, vc.expires_at
                      FROM vouchers vc
                     WHERE vc.id = ANY (v_vids)
                     ORDER BY vc.id
                       FOR NO KEY UPDATE) vc;

            -- 3. The sessions, locked in key order: keep the larger counters
            -- (a record that changes nothing writes nothing); the vouchers
            -- grow by what their sessions grew.
            IF NOT v_maycut THEN
                -- As 0021's step 3.
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
            ELSE
                -- A voucher no longer usable after that growth is cut here
                -- (the rules and reasons of 0021's step 4): an active one ends
                -- with a voucher.exhausted event, and its live sessions of the
                -- batch get their disconnect mark and job with their new
                -- counters.
                WITH a AS (
                    SELECT u.sid, hs__norm_mac(u.mac) AS mac, u.fip, coalesce(u.inb, 0) AS inb,
                           coalesce(u.outb, 0) AS outb, coalesce(u.secs, 0) AS secs, u.at
                      FROM unnest(v_sid, p_calling_station, p_framed_ip, p_input_octets, p_output_octets,
                                  p_session_time, p_received_at) AS u (sid, mac, fip, inb, outb, secs, at)
                ), old AS (
                    SELECT s.id, s.voucher_id, s.input_octets, s.output_octets, s.session_time,
                           s.stopped_at IS NULL AND s.disconnect_queued_at IS NULL AS unmarked
                      FROM radius_sessions s
                     WHERE s.id = ANY (v_sid)
                     ORDER BY s.router_id, s.acct_unique_id
                       FOR NO KEY UPDATE OF s
                ), vo AS (
                    SELECT vc.id, vc.tenant_id, vc.code, vc.status, d.bytes, d.secs,
                           CASE WHEN vc.status <> 'active' THEN vc.status
                                WHEN vc.used_bytes + d.bytes >= vc.data_limit_bytes THEN 'data_used'
                                WHEN vc.used_seconds + d.secs >= vc.time_limit_seconds THEN 'time_used'
                                WHEN vc.expires_at <= v_now THEN 'expired' END AS why
                      FROM (SELECT o.voucher_id,
                                   sum(greatest(o.input_octets, a.inb) - o.input_octets
                                       + greatest(o.output_octets, a.outb) - o.output_octets)::bigint AS bytes,
                                   sum(greatest(o.session_time, a.secs) - o.session_time)::bigint AS secs
                              FROM old o JOIN a ON a.sid = o.id
                             GROUP BY o.voucher_id) d
                      JOIN vouchers vc ON vc.id = d.voucher_id
                ), sessions AS (
                    UPDATE radius_sessions s
                       SET input_octets = greatest(s.input_octets, m.inb),
                           output_octets = greatest(s.output_octets, m.outb),
                           session_time = greatest(s.session_time, m.secs),
                           last_update_at = greatest(s.last_update_at, m.at),
                           framed_ip = coalesce(m.fip, s.framed_ip),
                           calling_station_id = coalesce(s.calling_station_id, m.mac),
                           interim_count = s.interim_count + 1,
                           disconnect_queued_at = CASE WHEN m.cut THEN now() ELSE s.disconnect_queued_at END,
                           disconnect_reason = CASE WHEN m.cut THEN m.why ELSE s.disconnect_reason END
                      FROM (SELECT a.*, vo.why, o.unmarked AND vo.why IS NOT NULL AS cut
                              FROM a JOIN old o ON o.id = a.sid JOIN vo ON vo.id = o.voucher_id) m
                     WHERE s.id = m.sid
                       AND (m.inb > s.input_octets OR m.outb > s.output_octets OR m.secs > s.session_time
                            OR m.at > s.last_update_at OR m.fip IS DISTINCT FROM coalesce(m.fip, s.framed_ip)
                            OR m.cut)
                    RETURNING s.id, s.tenant_id, s.router_id, s.nas_ip, s.username, s.acct_session_id,
                              s.acct_unique_id, s.framed_ip, m.cut, m.why
                ), grown AS (
                    -- Two updates of distinct rows: naming status in the common
                    -- one would run the touch trigger's row fetch on every row.
                    UPDATE vouchers vc
                       SET used_bytes = vc.used_bytes + vo.bytes, used_seconds = vc.used_seconds + vo.secs
                      FROM vo
                     WHERE vc.id = vo.id AND (vo.bytes > 0 OR vo.secs > 0)
                       AND NOT (vo.status = 'active' AND vo.why IS NOT NULL)
                ), spent AS (
                    UPDATE vouchers vc
                       SET used_bytes = vc.used_bytes + vo.bytes, used_seconds = vc.used_seconds + vo.secs,
                           status = CASE vo.why WHEN 'expired' THEN 'expired' ELSE 'used' END
                      FROM vo
                     WHERE vc.id = vo.id AND vo.status = 'active' AND vo.why IS NOT NULL
                ), ended AS (
                    INSERT INTO events (tenant_id, type, payload)
                    SELECT vo.tenant_id, 'voucher.exhausted', hs__exhausted_payload(vo.id, vo.code, vo.why)
                      FROM vo
                     WHERE vo.status = 'active' AND vo.why IS NOT NULL
                     ORDER BY vo.id
                    RETURNING 1
                ), queued AS (
                    -- As hs__vouchers_cut queues them.
                    INSERT INTO jobs (tenant_id, kind, payload, status, max_attempts, run_at, dedup_key)
                    SELECT s.tenant_id, 'radius.disconnect',
                           hs__disconnect_payload(s.router_id, s.nas_ip, dv.coa_port, s.username,
                                                  s.acct_session_id, s.framed_ip, s.id, s.why),
                           'queued', 8, now(), 'radius.disconnect:' || s.id
                      FROM sessions s
                      JOIN mikrotik_devices dv ON dv.id = s.router_id
                     WHERE s.cut
                     ORDER BY s.router_id, s.acct_unique_id
                    ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
                )
                SELECT (SELECT count(*) FROM old), (SELECT count(*) FROM ended),
                       (SELECT count(*) FROM sessions WHERE cut),
                       (SELECT array_agg(vo.id ORDER BY vo.id) FROM vo WHERE vo.why IS NOT NULL),
                       (SELECT array_agg(vo.why ORDER BY vo.id) FROM vo WHERE vo.why IS NOT NULL)
                  INTO v_done, v_events, v_marked, v_cut, v_why;
                IF v_events > 0 THEN
                    PERFORM pg_notify('hs_events', '');
                END IF;
                IF v_marked > 0 THEN
                    PERFORM pg_notify('hs_jobs', 'radius.disconnect');
                END IF;
            END IF;
            IF v_done <> v_n THEN
                RAISE EXCEPTION 'hs_radius_accounting: a session of the batch went away; retry'
                    USING ERRCODE = 'serialization_failure';
            END IF;

            -- 4. The vouchers no longer usable: their live sessions with no
            -- disconnect queued (outside the batch, or all of them for a
            -- voucher that was not active already).
            IF v_cut IS NOT NULL THEN
                SELECT array_agg(c.id ORDER BY c.id), array_agg(c.why ORDER BY c.id)
                  INTO v_cut, v_why
                  FROM unnest(v_cut, v_why) AS c (id, why)
                 -- A subquery per voucher (its index), never one hashed over
                 -- every open session, which EXISTS could become.
                 WHERE (SELECT true FROM radius_sessions rs
                         WHERE rs.voucher_id = c.id AND rs.stopped_at IS NULL
                           AND rs.disconnect_queued_at IS NULL
                         LIMIT 1);
                IF v_cut IS NOT NULL THEN
                    PERFORM hs__vouchers_cut(v_cut, v_why);
                END IF;
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
