-- 0016_radius_auth_batch: the Access-Requests that arrive together, decided
-- in one call.
--
-- rlm_hotspot's authorize threads hand their requests to a few batching
-- threads of the module, which call hs_radius_authorize_batch with parallel
-- arrays (element i = request i) and answer every request from its row.
-- The rules, messages and lock order are hs_radius_authorize's (0008, 0010);
-- what changes is the cost of the common case:
--
--   * one advisory lock per distinct voucher code of the batch, taken in
--     code-hash order (so two batches can never wait on each other in a
--     cycle), then ONE read of router, tenant, voucher and slot counts for
--     every request, and one decision per request in that statement;
--   * the requests whose decision changes nothing durable (an accept of an
--     activated voucher with its slot free, and every reject that does not
--     observe an exhausted voucher first) are written together: one
--     INSERT of their reservations and one of their auth_log rows, both
--     UNLOGGED, committed with synchronous_commit off;
--   * the others (first use: activation; a MAC lock to bind; a voucher seen
--     expired or used up while still active, whose sessions are cut; stale
--     sessions to close) go through hs_radius_authorize one by one, in the
--     same transaction and under the locks already held, so their outcome
--     is exactly the single-request one; the commit is then durable.
--
-- A code appearing twice in one batch is decided twice against the same
-- read, so the module never puts two requests of one code in a batch.

CREATE TYPE hs__auth_row AS (
    n              int,
    nas_ip         inet,
    user_name      text,
    mac            text,
    router_id      uuid,
    tenant_id      uuid,
    voucher_id     uuid,
    reason         text,    -- NULL: accept
    slow           boolean, -- decided by hs_radius_authorize instead
    reply_message  text,
    session_timeout bigint,
    data_left      bigint,
    rate_limit     text,
    idle_timeout   int
);
REVOKE USAGE ON TYPE hs__auth_row FROM PUBLIC;

-- What a customer reads for a reject reason; expiry in the tenant's zone.
CREATE FUNCTION hs__reject_message(p_reason text, p_expires_at timestamptz, p_time_zone text,
                                   p_shared_users int) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT CASE p_reason
         WHEN 'tenant_disabled' THEN 'This hotspot is not in service'
         WHEN 'wrong_router' THEN 'This voucher is not valid at this hotspot'
         WHEN 'disabled' THEN 'This voucher has been disabled'
         WHEN 'refunded' THEN 'This voucher has been refunded'
         WHEN 'expired' THEN
             CASE WHEN p_expires_at IS NULL THEN 'This voucher has expired'
                  ELSE 'Voucher expired on '
                       || to_char(p_expires_at AT TIME ZONE p_time_zone, 'YYYY-MM-DD HH24:MI') END
         WHEN 'data_used' THEN 'Data limit reached'
         WHEN 'time_used' THEN 'Time limit reached'
         WHEN 'used' THEN 'This voucher has been used up'
         WHEN 'mac_locked' THEN 'This voucher is locked to another device'
         WHEN 'max_sessions' THEN
             CASE WHEN p_shared_users = 1 THEN 'This voucher is already in use on another device'
                  ELSE format('This voucher is already in use on %s devices', p_shared_users) END
         -- no_voucher and bad_password alike: a guesser learns nothing.
         ELSE 'Invalid voucher code or password' END
$$;
REVOKE ALL ON FUNCTION hs__reject_message(text, timestamptz, text, int) FROM PUBLIC;

-- Whether a PAP password or a CHAP response (RFC 1994: MD5 of ident,
-- secret, challenge) matches the voucher's password. NULL inputs: false.
CREATE FUNCTION hs__password_ok(p_stored text, p_password text, p_chap_ident int,
                                p_chap_challenge bytea, p_chap_response bytea) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT coalesce(CASE WHEN p_chap_response IS NOT NULL THEN
                          p_chap_ident BETWEEN 0 AND 255 AND length(p_chap_response) = 16
                          AND p_chap_challenge IS NOT NULL
                          AND decode(md5(set_byte('\x00'::bytea, 0, p_chap_ident)
                                         || convert_to(p_stored, 'UTF8') || p_chap_challenge), 'hex')
                              = p_chap_response
                     ELSE p_password = p_stored END, false)
$$;
REVOKE ALL ON FUNCTION hs__password_ok(text, text, int, bytea, bytea) FROM PUBLIC;

CREATE FUNCTION hs_radius_authorize_batch(p_nas_ip inet[], p_user_name text[], p_password text[],
                                          p_chap_ident int[], p_chap_challenge bytea[],
                                          p_chap_response bytea[], p_calling_station text[],
                                          p_interim_s int)
    RETURNS TABLE (n int, result text, reason text, reply_message text, voucher_id uuid,
                   session_timeout bigint, data_left bigint, rate_limit text, idle_timeout int,
                   durable boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
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
               CASE WHEN x.reason IS NULL AND x.data_limit_bytes IS NOT NULL
                    THEN greatest((x.data_limit_bytes - x.used_bytes) / x.shared_users, 1) END,
               CASE WHEN x.reason IS NULL THEN x.rate_limit::text END,
               CASE WHEN x.reason IS NULL THEN x.idle_timeout_s::int END
          FROM (
            SELECT i.n, i.nas_ip, i.user_name, i.mac, dv.id AS router_id, dv.tenant_id,
                   vc.id AS voucher_id, vc.status, vc.activated_at, vc.expires_at, vc.mac_lock,
                   vc.locked_mac, vc.shared_users, vc.time_limit_seconds, vc.used_seconds,
                   vc.data_limit_bytes, vc.used_bytes, vc.rate_limit, vc.idle_timeout_s,
                   t.time_zone, coalesce(ss.stale, 0) AS stale,
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
                           count(*) FILTER (WHERE s.last_update_at < v_now - make_interval(secs => 3 * v_interim)) AS stale
                      FROM radius_sessions s
                     WHERE s.voucher_id = vc.id AND s.stopped_at IS NULL) ss ON true
              -- The expiry as a FILTER, not in WHERE: a generic plan cannot
              -- tell how many reservations are live and would scan the
              -- expiry index for all of them; a voucher has a handful.
              LEFT JOIN LATERAL (
                    SELECT count(*) FILTER (WHERE rv.expires_at > v_now
                                              AND NOT (i.mac IS NOT NULL AND rv.router_id = dv.id
                                                       AND rv.calling_station_id = i.mac)) AS busy
                      FROM reservations rv
                     WHERE rv.voucher_id = vc.id) rr ON true
          ) AS x
      ) AS d;

    -- The fast ones: their reservations and auth log rows, two statements.
    WITH f AS (SELECT * FROM unnest(v_rows) AS f WHERE NOT f.slow AND f.reason IS DISTINCT FROM 'unknown_client'),
         res AS (
            INSERT INTO reservations AS rv (tenant_id, voucher_id, router_id, calling_station_id, expires_at)
            SELECT f.tenant_id, f.voucher_id, f.router_id, coalesce(f.mac, ''), v_now + c_hold
              FROM f WHERE f.reason IS NULL
            ON CONFLICT (voucher_id, router_id, calling_station_id)
            DO UPDATE SET expires_at = EXCLUDED.expires_at, created_at = v_now)
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

REVOKE ALL ON FUNCTION hs_radius_authorize_batch(inet[], text[], text[], int[], bytea[], bytea[], text[], int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_radius_authorize_batch(inet[], text[], text[], int[], bytea[], bytea[], text[], int) TO hs_radius;
