-- 0015_router_monitor: the router monitor of hotspotd serve. Every
-- ROUTER_MONITOR_INTERVAL seconds each process claims its share of the
-- routers (leases in router_leases), polls them over the RouterOS API and
-- reports what it saw:
--
--   hs_router_monitor_claim(owner, lease_s)    heartbeat, give back what is
--                                              over this process's share,
--                                              renew the rest, claim free or
--                                              expired leases (SKIP LOCKED)
--   hs_router_monitor_report(owner, router...) status, last_seen, uptime,
--                                              version, identity, last_error;
--                                              a change of status is an event
--                                              router.status in the outbox
--   hs_router_monitor_release(owner)           gives every lease back (clean
--                                              stop)
--
-- A router is polled by the process that holds its lease; a process that
-- dies stops renewing, and once its leases run out the others take its
-- routers over. SECURITY DEFINER, owned by hs_owner, for hs_worker, like
-- 0008's and 0009's functions.

-- --- tables -----------------------------------------------------------------------

-- The hotspotd processes whose monitor runs: a heartbeat each, so that a
-- process knows how many share the routers and claims only its part.
CREATE TABLE router_monitors (
    owner        text PRIMARY KEY CHECK (length(owner) BETWEEN 1 AND 200),
    started_at   timestamptz NOT NULL DEFAULT now(),
    seen_at      timestamptz NOT NULL,
    lease_until  timestamptz NOT NULL
);

-- One row per router that can be polled (it has API credentials). owner is
-- the process polling it, until lease_until; NULL or past: free to claim.
-- Kept apart from mikrotik_devices so that renewing a lease every interval
-- touches neither the router's row nor its updated_at.
CREATE TABLE router_leases (
    router_id    uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    owner        text CHECK (length(owner) BETWEEN 1 AND 200),
    lease_until  timestamptz,
    polled_at    timestamptz,
    CHECK ((owner IS NULL) = (lease_until IS NULL)),
    FOREIGN KEY (tenant_id, router_id) REFERENCES mikrotik_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX router_leases_owner ON router_leases (owner) WHERE owner IS NOT NULL;

-- Neither table is the API's: no privileges for hs_api, and row-level
-- security on in case one is ever granted.
ALTER TABLE router_monitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE router_leases ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON router_leases TO hs_api
    USING (tenant_id = hs_current_tenant()) WITH CHECK (tenant_id = hs_current_tenant());

-- The monitor writes status, last_seen, uptime_seconds, router_os_version,
-- identity and last_error on every poll. Those are observations, not
-- changes of the router's settings: updated_at (which the RADIUS module's
-- copy of the routers follows, hs_radius_clients) moves only when another
-- column changes.
DROP TRIGGER mikrotik_devices_touch ON mikrotik_devices;
CREATE TRIGGER mikrotik_devices_touch BEFORE UPDATE ON mikrotik_devices
    FOR EACH ROW
    WHEN (to_jsonb(OLD) - ARRAY['status', 'last_seen', 'uptime_seconds', 'router_os_version',
                                'identity', 'last_error', 'updated_at']
          IS DISTINCT FROM
          to_jsonb(NEW) - ARRAY['status', 'last_seen', 'uptime_seconds', 'router_os_version',
                                'identity', 'last_error', 'updated_at'])
    EXECUTE FUNCTION hs_touch_updated_at();

-- --- functions -----------------------------------------------------------------------

-- One monitor round of process p_owner (hostname:pid:random, as hotspotd
-- makes it): records its heartbeat for p_lease_s seconds and forgets
-- processes whose heartbeat ran out; makes a lease row for every router
-- with API credentials (and drops those of routers without); then, with
-- share = ceil(leases / live processes), gives back the leases it holds
-- over its share (so a newcomer gets its part on its next round), renews
-- the others and claims free or expired leases up to its share, least
-- recently polled first, skipping rows another process has locked. Returns
-- the routers it holds now, with what polling them needs. A lease taken
-- over after it expired is the new owner's: the old owner's next report on
-- it is refused (see hs_router_monitor_report).
CREATE FUNCTION hs_router_monitor_claim(p_owner text, p_lease_s int)
    RETURNS TABLE (router_id uuid, tenant_id uuid, ip_address text, api_port int,
                   api_ssl boolean, api_tls_insecure boolean, username text,
                   password_encrypted bytea, status text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_until timestamptz;
    v_live  int;
    v_total int;
    v_share int;
    v_mine  int;
BEGIN
    IF p_owner IS NULL OR length(p_owner) NOT BETWEEN 1 AND 200 OR p_lease_s IS NULL
       OR p_lease_s < 1 THEN
        RAISE EXCEPTION 'hs_router_monitor_claim: owner must be 1-200 characters, lease 1 s or more'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_until := now() + make_interval(secs => p_lease_s);

    INSERT INTO router_monitors AS m (owner, seen_at, lease_until)
    VALUES (p_owner, now(), v_until)
    ON CONFLICT (owner) DO UPDATE SET seen_at = now(), lease_until = v_until;
    DELETE FROM router_monitors m WHERE m.lease_until < now();

    INSERT INTO router_leases (router_id, tenant_id)
    SELECT d.id, d.tenant_id FROM mikrotik_devices d
     WHERE d.username IS NOT NULL AND d.password_encrypted IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM router_leases l WHERE l.router_id = d.id)
    ON CONFLICT DO NOTHING;
    DELETE FROM router_leases l USING mikrotik_devices d
     WHERE d.id = l.router_id AND (d.username IS NULL OR d.password_encrypted IS NULL);

    SELECT count(*) INTO v_live FROM router_monitors;
    SELECT count(*) INTO v_total FROM router_leases;
    v_share := ceil(v_total::numeric / greatest(v_live, 1));

    UPDATE router_leases l SET owner = NULL, lease_until = NULL
     WHERE l.router_id IN (SELECT x.router_id FROM router_leases x WHERE x.owner = p_owner
                            ORDER BY x.router_id OFFSET v_share FOR UPDATE);
    UPDATE router_leases l SET lease_until = v_until WHERE l.owner = p_owner;
    GET DIAGNOSTICS v_mine = ROW_COUNT;
    UPDATE router_leases l SET owner = p_owner, lease_until = v_until
     WHERE l.router_id IN (SELECT x.router_id FROM router_leases x
                            WHERE x.owner IS NULL OR x.lease_until < now()
                            ORDER BY x.polled_at NULLS FIRST, x.router_id
                            LIMIT greatest(v_share - v_mine, 0)
                              FOR UPDATE SKIP LOCKED);

    RETURN QUERY
    SELECT d.id, d.tenant_id, host(d.ip_address), d.api_port, d.api_ssl, d.api_tls_insecure,
           d.username, d.password_encrypted, d.status
      FROM router_leases l JOIN mikrotik_devices d ON d.id = l.router_id
     WHERE l.owner = p_owner
     ORDER BY l.polled_at NULLS FIRST, d.id;
END
$$;

-- What process p_owner saw of router p_router_id: p_status online (it
-- answered), error (reachable, but the login or a permission failed:
-- p_error says which) or offline (no answer: p_error says how). Written
-- only while p_owner holds the router's lease; returns the status before,
-- or NULL when the lease is not p_owner's (nothing written). online and
-- error set last_seen; online sets uptime_seconds and clears last_error;
-- version and identity are kept when given (NULL: unchanged). A change of
-- status goes to the outbox as router.status {router_id, name, status,
-- previous, error}, with one NOTIFY hs_events.
CREATE FUNCTION hs_router_monitor_report(p_owner text, p_router_id uuid, p_status text,
                                         p_uptime bigint, p_version text, p_identity text,
                                         p_error text)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_old    text;
    v_tenant uuid;
    v_name   text;
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('online', 'offline', 'error') THEN
        RAISE EXCEPTION 'hs_router_monitor_report: status must be online, offline or error'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT d.status, d.tenant_id, d.name INTO v_old, v_tenant, v_name
      FROM router_leases l JOIN mikrotik_devices d ON d.id = l.router_id
     WHERE l.router_id = p_router_id AND l.owner = p_owner
       FOR NO KEY UPDATE OF d;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    UPDATE mikrotik_devices d
       SET status = p_status,
           last_seen = CASE WHEN p_status = 'offline' THEN d.last_seen ELSE now() END,
           uptime_seconds = CASE WHEN p_status = 'online' AND p_uptime >= 0
                                 THEN p_uptime ELSE d.uptime_seconds END,
           router_os_version = coalesce(left(p_version, 100), d.router_os_version),
           identity = coalesce(left(p_identity, 200), d.identity),
           last_error = CASE WHEN p_status = 'online' THEN NULL ELSE left(p_error, 2000) END
     WHERE d.id = p_router_id;
    UPDATE router_leases l SET polled_at = now() WHERE l.router_id = p_router_id;

    IF v_old IS DISTINCT FROM p_status THEN
        INSERT INTO events (tenant_id, type, payload)
        VALUES (v_tenant, 'router.status',
                jsonb_build_object('router_id', p_router_id, 'name', v_name, 'status', p_status,
                                   'previous', v_old,
                                   'error', CASE WHEN p_status = 'online' THEN NULL
                                                 ELSE left(p_error, 200) END));
        PERFORM pg_notify('hs_events', '');
    END IF;
    RETURN v_old;
END
$$;

-- A clean stop of process p_owner: its leases are free at once (the other
-- processes claim them on their next round) and its heartbeat is gone.
-- Returns the number of leases given back.
CREATE FUNCTION hs_router_monitor_release(p_owner text) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    n int;
BEGIN
    UPDATE router_leases l SET owner = NULL, lease_until = NULL WHERE l.owner = p_owner;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM router_monitors m WHERE m.owner = p_owner;
    RETURN n;
END
$$;

-- --- privileges ----------------------------------------------------------------------

REVOKE ALL ON FUNCTION hs_router_monitor_claim(text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_router_monitor_report(text, uuid, text, bigint, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_router_monitor_release(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION hs_router_monitor_claim(text, int) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_router_monitor_report(text, uuid, text, bigint, text, text, text) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_router_monitor_release(text) TO hs_worker;
