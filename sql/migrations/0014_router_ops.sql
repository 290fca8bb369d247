-- 0014_router_ops: daily configuration backups of routers.
--
--   router_backup_schedules            one row per router with a schedule:
--                                      enabled, time of day in the tenant's
--                                      zone, when it was set, the last run
--   hs_router_backup_next(...)         the first run of a schedule after a time
--   hs_router_backup_enqueue_due()     queues one router.backup job per
--                                      router whose time has come (worker)
--   hs_router_backup_record(...)       stores a scheduled backup as a
--                                      mikrotik_config_history row (worker)
--   hs_router_backup_error(...)        records why a scheduled backup failed
--
-- Backups made through the API are written by hs_api directly (it may
-- INSERT into mikrotik_config_history under row-level security); the
-- workers have no table privileges and go through the functions here, as
-- in 0006 and 0009.

CREATE TABLE router_backup_schedules (
    device_id    uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    enabled      boolean NOT NULL DEFAULT false,
    -- Wall-clock time in the tenant's time zone (tenants.time_zone).
    time_of_day  time NOT NULL,
    -- The first run is the first time_of_day after set_at: enabling a
    -- schedule at 10:00 for 09:00 runs it tomorrow, not at once.
    set_at       timestamptz NOT NULL DEFAULT now(),
    -- When the last scheduled backup was queued.  The next run is the first
    -- time_of_day after the later of last_run_at and set_at, so a router is
    -- backed up once per day, a changed schedule starts afresh, and a run
    -- missed while hotspotd was down happens once when it is back.
    last_run_at  timestamptz,
    last_backup_at timestamptz,
    last_error   text CHECK (length(last_error) <= 500),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, device_id) REFERENCES mikrotik_devices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX router_backup_schedules_enabled ON router_backup_schedules (device_id) WHERE enabled;
CREATE TRIGGER router_backup_schedules_touch BEFORE UPDATE ON router_backup_schedules
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

ALTER TABLE router_backup_schedules ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON router_backup_schedules TO hs_api
    USING (tenant_id = hs_current_tenant())
    WITH CHECK (tenant_id = hs_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON router_backup_schedules TO hs_api;

-- The first time_of_day (wall clock in zone p_tz) strictly after p_after.
-- Across a daylight-saving change the wall-clock time is kept (a time that
-- does not exist that day is read as PostgreSQL reads it: shifted forward).
CREATE FUNCTION hs_router_backup_next(p_tz text, p_time time, p_after timestamptz)
    RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_day date := (p_after AT TIME ZONE p_tz)::date;
    v_at  timestamptz := (v_day + p_time) AT TIME ZONE p_tz;
BEGIN
    IF v_at <= p_after THEN
        v_at := ((v_day + 1) + p_time) AT TIME ZONE p_tz;
    END IF;
    RETURN v_at;
END
$$;
GRANT EXECUTE ON FUNCTION hs_router_backup_next(text, time, timestamptz) TO hs_api;

-- Queues one router.backup job (payload {router_id, scheduled_for},
-- max_attempts 3, dedup key router.backup:<router>:<epoch of the run>) for
-- every enabled schedule whose next run has come, of active tenants, and
-- marks it run. Rows are locked and skipped when locked, so concurrent
-- callers never queue a run twice. Returns how many jobs it queued.
CREATE FUNCTION hs_router_backup_enqueue_due() RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    r   record;
    v_n int := 0;
BEGIN
    FOR r IN
        SELECT s.device_id, s.tenant_id,
               hs_router_backup_next(t.time_zone, s.time_of_day,
                                     greatest(s.last_run_at, s.set_at)) AS due_at
          FROM router_backup_schedules s
          JOIN tenants t ON t.id = s.tenant_id AND t.is_active
         WHERE s.enabled
           FOR UPDATE OF s SKIP LOCKED
    LOOP
        CONTINUE WHEN r.due_at > now();
        PERFORM job_enqueue('router.backup',
                            jsonb_build_object('router_id', r.device_id,
                                               'scheduled_for', r.due_at),
                            now(), r.tenant_id, 3,
                            'router.backup:' || r.device_id || ':'
                                || floor(extract(epoch FROM r.due_at))::bigint);
        UPDATE router_backup_schedules SET last_run_at = now() WHERE device_id = r.device_id;
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END
$$;

-- Stores a scheduled backup of p_router_id: a mikrotik_config_history row
-- (change_type 'backup', changed_by NULL: no admin made it) of the
-- router's tenant, and the schedule's last_backup_at. Returns the row's
-- id, or NULL when the router no longer exists.
CREATE FUNCTION hs_router_backup_record(p_router_id uuid, p_file_name text, p_content text,
                                        p_data jsonb)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_id uuid;
BEGIN
    INSERT INTO mikrotik_config_history (tenant_id, device_id, change_type, configuration_data,
                                         file_name, content)
    SELECT d.tenant_id, d.id, 'backup', coalesce(p_data, '{}'), p_file_name, p_content
      FROM mikrotik_devices d WHERE d.id = p_router_id
    RETURNING id INTO v_id;
    IF v_id IS NOT NULL THEN
        UPDATE router_backup_schedules SET last_backup_at = now(), last_error = NULL
         WHERE device_id = p_router_id;
    END IF;
    RETURN v_id;
END
$$;

-- Records why the last scheduled backup of p_router_id failed (cut to 500
-- characters). Returns false when the router has no schedule.
CREATE FUNCTION hs_router_backup_error(p_router_id uuid, p_error text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE router_backup_schedules SET last_error = left(coalesce(p_error, 'failed'), 500)
     WHERE device_id = p_router_id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION hs_router_backup_enqueue_due() FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_router_backup_record(uuid, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_router_backup_error(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_router_backup_enqueue_due() TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_router_backup_record(uuid, text, text, jsonb) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_router_backup_error(uuid, text) TO hs_worker;
