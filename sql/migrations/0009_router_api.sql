-- 0009_router_api: the disconnect fallback. When a router refuses a
-- Disconnect-Request (NAK), or never answers it, hotspotd removes the
-- session through the router's RouterOS API (/ip/hotspot/active/remove):
--
--   hs_radius_disconnect_fallback(...)  records nak / timeout and queues a
--                                       router.kick job, or says why none
--                                       is possible
--   hs_router_api_target(...)           where and as whom the kick logs in
--   hs_radius_kick_result(...)          records how the kick ended
--
-- Like 0008's functions: SECURITY DEFINER, owned by hs_owner, for hs_worker.

-- --- schema additions ----------------------------------------------------------

-- disconnect_result gains the fallback's outcomes: kicked (the router
-- removed the session over its API) and kick_failed (see
-- disconnect_detail). disconnect_detail says in words how the disconnect
-- ended when a code is not enough: no fallback possible, or why a kick
-- failed. Neither column is indexed, so updates stay HOT.
ALTER TABLE radius_sessions
    DROP CONSTRAINT radius_sessions_disconnect_result_check,
    ADD CONSTRAINT radius_sessions_disconnect_result_check
        CHECK (disconnect_result IN ('ack', 'nak', 'timeout', 'error', 'kicked', 'kick_failed')),
    ADD COLUMN disconnect_detail text CHECK (length(disconnect_detail) <= 200);

-- --- functions -------------------------------------------------------------------

-- The router's RouterOS API: address, port, TLS settings and credentials.
-- password_encrypted is sealed by hotspotd (common/crypto.h, the router's
-- id as associated data); only hotspotd's APP_KEY opens it. No row when the
-- router is gone; NULL username or password when it has no API credentials.
CREATE FUNCTION hs_router_api_target(p_router_id uuid)
    RETURNS TABLE (ip_address inet, api_port int, api_ssl boolean, api_tls_insecure boolean,
                   username text, password_encrypted bytea)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT d.ip_address, d.api_port, d.api_ssl, d.api_tls_insecure, d.username, d.password_encrypted
      FROM mikrotik_devices d WHERE d.id = p_router_id
$$;

-- Records a Disconnect-Request that did not end the session (p_result nak
-- or timeout) and starts the fallback: when the session's router has API
-- credentials, one router.kick job (dedup key router.kick:<session id>, so
-- a session is never kicked twice) with payload {router_id, session_id,
-- user_name, framed_ip, acct_session_id}; otherwise disconnect_detail says
-- that no fallback is possible. Returns 'queued', 'no_fallback', or 'gone'
-- when the session does not exist. Raises on any other result text.
CREATE FUNCTION hs_radius_disconnect_fallback(p_session_id uuid, p_result text) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    s        record;
    v_detail text;
BEGIN
    IF p_result IS NULL OR p_result NOT IN ('nak', 'timeout') THEN
        RAISE EXCEPTION 'hs_radius_disconnect_fallback: result must be nak or timeout'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT rs.id, rs.tenant_id, rs.router_id, rs.username, rs.framed_ip, rs.acct_session_id,
           d.id IS NOT NULL AS router_exists,
           d.username IS NOT NULL AND d.password_encrypted IS NOT NULL AS has_api
      INTO s
      FROM radius_sessions rs
      LEFT JOIN mikrotik_devices d ON d.id = rs.router_id
     WHERE rs.id = p_session_id
       FOR NO KEY UPDATE OF rs;
    IF NOT FOUND THEN
        RETURN 'gone';
    END IF;

    IF s.has_api THEN
        PERFORM job_enqueue('router.kick',
                            jsonb_build_object('router_id', s.router_id, 'session_id', s.id,
                                               'user_name', s.username,
                                               'framed_ip', host(s.framed_ip),
                                               'acct_session_id', s.acct_session_id),
                            now(), s.tenant_id, 5, 'router.kick:' || s.id);
        v_detail := 'router.kick queued';
    ELSIF s.router_exists THEN
        v_detail := 'no fallback: the router has no API credentials';
    ELSE
        v_detail := 'no fallback: the router no longer exists';
    END IF;
    UPDATE radius_sessions
       SET disconnect_result = p_result, disconnect_detail = v_detail,
           disconnect_result_at = now()
     WHERE id = p_session_id;
    RETURN CASE WHEN s.has_api THEN 'queued' ELSE 'no_fallback' END;
END
$$;

-- Records how a router.kick ended: kicked, or kick_failed with p_detail
-- (at most 200 characters: the reason a person can act on). Returns false
-- when the session does not exist. Raises on any other result text.
CREATE FUNCTION hs_radius_kick_result(p_session_id uuid, p_result text, p_detail text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_result IS NULL OR p_result NOT IN ('kicked', 'kick_failed') THEN
        RAISE EXCEPTION 'hs_radius_kick_result: result must be kicked or kick_failed'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE radius_sessions
       SET disconnect_result = p_result, disconnect_detail = left(p_detail, 200),
           disconnect_result_at = now()
     WHERE id = p_session_id;
    RETURN FOUND;
END
$$;

-- --- privileges --------------------------------------------------------------------------

REVOKE ALL ON FUNCTION hs_router_api_target(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_radius_disconnect_fallback(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_radius_kick_result(uuid, text, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION hs_router_api_target(uuid) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_radius_disconnect_fallback(uuid, text) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_radius_kick_result(uuid, text, text) TO hs_worker;
