-- 0022_radius_plans: the RADIUS path's plans never scan a whole table.
--
-- The module's connections live as long as FreeRADIUS and plan each
-- statement of these functions once (plan_cache_mode = force_generic_plan),
-- at its first call, from the statistics and sizes of that moment. A table
-- that is empty or small then, reservations above all (a quiet hour, a
-- restart after the night's logins expired), was planned as a sequential
-- scan, and every later call read the whole table: once it held a busy
-- day's reservations, each Access-Request scanned thousands of rows (five
-- times the database CPU per request, measured in `make bench` after a
-- VACUUM ANALYZE of the emptied table). Every lookup these functions make
-- has an index; with sequential scans priced out they use it whatever the
-- statistics said at planning time.
--
-- The same held for hs__vouchers_cut, planned once per connection too: with
-- statistics that knew of few open sessions, its lookup of the cut
-- vouchers' open sessions became one scan of every open session per call
-- (seen in `make bench` as two to four times the database CPU of every
-- accounting workload, in about two runs of five). It now finds each voucher's
-- sessions through the index on a voucher's sessions, which no whole-index
-- plan can undercut.
-- Set on the entry points only: what they call (hs__radius_accounting_all,
-- hs__vouchers_cut) runs, and is planned, under their setting.
ALTER FUNCTION hs_radius_authorize(inet, text, text, int, bytea, bytea, text, int)
    SET enable_seqscan = off;
ALTER FUNCTION hs_radius_authorize_batch(inet[], text[], text[], int[], bytea[], bytea[], text[], int)
    SET enable_seqscan = off;
ALTER FUNCTION hs_radius_accounting(inet[], int[], text[], text[], text[], text[], inet[],
                                    bigint[], bigint[], bigint[], text[], timestamptz[])
    SET enable_seqscan = off;

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
    SELECT x.tenant_id, 'voucher.exhausted',
           jsonb_build_object('voucher_id', x.id, 'code', x.code, 'reason', x.why)
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
