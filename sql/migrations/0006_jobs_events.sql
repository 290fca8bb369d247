-- 0006_jobs_events: the event outbox, the job queue with its periodic
-- schedule, the functions hotspotd's job runtime calls, pruning and the
-- health probe. Workers (hs_worker) have no table privileges: everything
-- they do to these tables goes through the SECURITY DEFINER functions here.

-- Outbox: written in the same transaction as the change it describes; the
-- bigint id orders the stream and is the SSE Last-Event-ID. NOTIFY is only
-- a wake-up for readers, sent at most once per batch by the writer.
CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type          text NOT NULL CHECK (type ~ '^[a-z0-9_.]{1,64}$'),
    payload       jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX events_stream ON events (tenant_id, id);
CREATE INDEX events_unpublished ON events (id) WHERE published_at IS NULL;
CREATE INDEX events_time ON events USING brin (created_at);

CREATE TABLE jobs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL for system jobs (pruning, sweeping) that concern no one tenant.
    tenant_id     uuid REFERENCES tenants (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind ~ '^[a-z0-9_.:-]{1,64}$'),
    payload       jsonb NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts      int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  int NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    run_at        timestamptz NOT NULL DEFAULT now(),
    locked_by     text CHECK (length(locked_by) <= 200),
    locked_until  timestamptz,
    last_error    text,
    dedup_key     text CHECK (length(dedup_key) BETWEEN 1 AND 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CHECK (status <> 'running' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL)),
    CHECK ((status IN ('done', 'dead')) = (finished_at IS NOT NULL))
);
-- A dedup_key names a job once: enqueueing it again returns the first job.
CREATE UNIQUE INDEX jobs_dedup ON jobs (dedup_key) WHERE dedup_key IS NOT NULL;
-- Claiming walks the claimable jobs oldest run_at first.
CREATE INDEX jobs_claim ON jobs (run_at) WHERE status IN ('queued', 'running');
-- Expired leases are looked up on every claim; running jobs are few.
CREATE INDEX jobs_lease ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('done', 'dead');
CREATE INDEX jobs_tenant ON jobs (tenant_id, created_at DESC) WHERE tenant_id IS NOT NULL;
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

-- Jobs enqueued once per period whatever the number of hotspotd processes.
CREATE TABLE periodic_jobs (
    kind         text PRIMARY KEY CHECK (kind ~ '^[a-z0-9_.:-]{1,64}$'),
    period_s     int NOT NULL CHECK (period_s > 0),
    payload      jsonb NOT NULL DEFAULT '{}',
    next_run_at  timestamptz NOT NULL
);

-- True when the session's login role is the API's (a member of hs_api and
-- not of hs_worker): such callers act for the tenant of the transaction
-- only. Superusers are members of every role, so they count as workers.
CREATE FUNCTION hs__caller_is_tenant_scoped() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
AS $$
    SELECT pg_has_role(session_user, 'hs_api', 'MEMBER')
       AND NOT pg_has_role(session_user, 'hs_worker', 'MEMBER')
$$;
REVOKE ALL ON FUNCTION hs__caller_is_tenant_scoped() FROM PUBLIC;

-- Inserts a queued job and returns its id. With a dedup_key that is already
-- taken it inserts nothing and returns the existing job's id. Wakes the
-- workers (NOTIFY hs_jobs, payload = kind) when the job is due now. A
-- tenant-scoped caller (the API) may only enqueue for its own tenant, which
-- is also the default tenant for it.
CREATE FUNCTION job_enqueue(p_kind text, p_payload jsonb, p_run_at timestamptz DEFAULT now(),
                            p_tenant uuid DEFAULT NULL, p_max_attempts int DEFAULT 8,
                            p_dedup_key text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_tenant uuid := p_tenant;
    v_run_at timestamptz := coalesce(p_run_at, now());
    v_scoped boolean := hs__caller_is_tenant_scoped();
    v_id     uuid;
    v_owner  uuid;
BEGIN
    IF v_scoped THEN
        IF hs_current_tenant() IS NULL THEN
            RAISE EXCEPTION 'job_enqueue: no tenant set for this transaction'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF v_tenant IS NULL THEN
            v_tenant := hs_current_tenant();
        ELSIF v_tenant <> hs_current_tenant() THEN
            RAISE EXCEPTION 'job_enqueue: job for another tenant'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;

    LOOP
        INSERT INTO jobs (tenant_id, kind, payload, status, max_attempts, run_at, dedup_key)
        VALUES (v_tenant, p_kind, coalesce(p_payload, '{}'), 'queued',
                coalesce(p_max_attempts, 8), v_run_at, p_dedup_key)
        ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NOT NULL THEN
            IF v_run_at <= now() THEN
                PERFORM pg_notify('hs_jobs', p_kind);
            END IF;
            RETURN v_id;
        END IF;
        -- The key is taken (by a committed row, ON CONFLICT waited for it).
        -- It may have been pruned in between: then try the insert again.
        SELECT j.id, j.tenant_id INTO v_id, v_owner FROM jobs j WHERE j.dedup_key = p_dedup_key;
        IF FOUND THEN
            IF v_scoped AND v_owner IS DISTINCT FROM v_tenant THEN
                RAISE EXCEPTION 'job_enqueue: dedup key already used'
                    USING ERRCODE = 'unique_violation';
            END IF;
            RETURN v_id;
        END IF;
    END LOOP;
END
$$;

-- Claims up to p_limit due jobs of the given kinds (NULL: any kind), oldest
-- run_at first: queued jobs whose run_at has come, and running jobs whose
-- lease ran out (their worker died). SKIP LOCKED lets concurrent claimers
-- pass each other; one that loses a race re-checks the row and skips it,
-- so no job is handed to two workers. A job whose lease ran out after its
-- last allowed attempt is declared dead instead of being run once more.
CREATE FUNCTION job_claim(p_worker text, p_kinds text[], p_limit int, p_lease_s int)
    RETURNS TABLE (id uuid, kind text, payload jsonb, attempts int, max_attempts int, tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF p_worker IS NULL OR length(p_worker) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'job_claim: worker name must be 1 to 200 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_lease_s IS NULL OR p_lease_s < 1 THEN
        RAISE EXCEPTION 'job_claim: lease must be at least 1 second'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 THEN
        RETURN;
    END IF;

    UPDATE jobs j
       SET status = 'dead', finished_at = now(), locked_until = NULL,
           last_error = concat_ws('; ', j.last_error,
                                  format('lease of %s expired after attempt %s of %s',
                                         j.locked_by, j.attempts, j.max_attempts))
     WHERE j.id IN (SELECT x.id FROM jobs x
                     WHERE x.status = 'running' AND x.locked_until < now()
                       AND x.attempts >= x.max_attempts
                       AND (p_kinds IS NULL OR x.kind = ANY (p_kinds))
                       FOR UPDATE SKIP LOCKED);

    RETURN QUERY
    WITH claimable AS (
        SELECT x.id FROM jobs x
         WHERE ((x.status = 'queued' AND x.run_at <= now())
             OR (x.status = 'running' AND x.locked_until < now() AND x.attempts < x.max_attempts))
           AND (p_kinds IS NULL OR x.kind = ANY (p_kinds))
         ORDER BY x.run_at
         LIMIT p_limit
         FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs j
       SET status = 'running', locked_by = p_worker,
           locked_until = now() + make_interval(secs => p_lease_s),
           attempts = j.attempts + 1
      FROM claimable c
     WHERE j.id = c.id
    RETURNING j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.tenant_id;
END
$$;

-- Marks a job done. Only the worker holding it may: returns false when the
-- job is not running or is held by someone else (its lease ran out and
-- another worker claimed it), and then changes nothing.
CREATE FUNCTION job_complete(p_id uuid, p_worker text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE jobs
       SET status = 'done', finished_at = now(), locked_until = NULL
     WHERE id = p_id AND status = 'running' AND locked_by = p_worker;
    RETURN FOUND;
END
$$;

-- Records a failed attempt of a job the worker holds. With p_retry and
-- attempts left: back to queued after least(cap, base * 2^(attempts-1))
-- seconds plus up to 10% jitter (so a burst of failures does not retry in
-- lock-step), returns 'queued'. Otherwise dead, returns 'dead'. Returns
-- NULL and changes nothing when the worker does not hold the job.
CREATE FUNCTION job_fail(p_id uuid, p_worker text, p_error text, p_retry boolean,
                         p_backoff_base_s int, p_backoff_cap_s int)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    j       jobs%ROWTYPE;
    v_delay double precision;
    v_error text := left(coalesce(p_error, 'unknown error'), 4000);
BEGIN
    SELECT * INTO j FROM jobs
     WHERE id = p_id AND status = 'running' AND locked_by = p_worker
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    IF coalesce(p_retry, false) AND j.attempts < j.max_attempts THEN
        -- The exponent is bounded so that 2^n stays a finite double.
        v_delay := least(greatest(coalesce(p_backoff_cap_s, 0), 0)::double precision,
                         greatest(coalesce(p_backoff_base_s, 0), 0)
                             * power(2::double precision, least(greatest(j.attempts - 1, 0), 60)));
        v_delay := v_delay * (1 + random() * 0.1);
        UPDATE jobs
           SET status = 'queued', run_at = now() + make_interval(secs => v_delay),
               locked_by = NULL, locked_until = NULL, last_error = v_error
         WHERE id = p_id;
        RETURN 'queued';
    END IF;

    UPDATE jobs
       SET status = 'dead', finished_at = now(), locked_until = NULL, last_error = v_error
     WHERE id = p_id;
    RETURN 'dead';
END
$$;

-- Puts a dead job back in the queue, due now, with its attempts reset.
-- Returns false when the job is not dead (or, for the API, not its
-- tenant's). last_error is kept until the next failure overwrites it.
CREATE FUNCTION job_retry(p_id uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_kind text;
BEGIN
    UPDATE jobs
       SET status = 'queued', run_at = now(), attempts = 0, finished_at = NULL,
           locked_by = NULL, locked_until = NULL
     WHERE id = p_id AND status = 'dead'
       AND (NOT hs__caller_is_tenant_scoped() OR tenant_id = hs_current_tenant())
    RETURNING kind INTO v_kind;
    IF v_kind IS NULL THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('hs_jobs', v_kind);
    RETURN true;
END
$$;

-- Declares a periodic job. A new kind is due at once; an existing one keeps
-- its schedule (so restarts do not re-run it) and takes the new period and
-- payload.
CREATE FUNCTION job_periodic_register(p_kind text, p_period_s int, p_payload jsonb DEFAULT '{}')
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    INSERT INTO periodic_jobs AS pj (kind, period_s, payload, next_run_at)
    VALUES (p_kind, p_period_s, coalesce(p_payload, '{}'), now())
    ON CONFLICT (kind) DO UPDATE
       SET period_s = EXCLUDED.period_s, payload = EXCLUDED.payload
     WHERE pj.period_s IS DISTINCT FROM EXCLUDED.period_s
        OR pj.payload IS DISTINCT FROM EXCLUDED.payload;
END
$$;

-- Enqueues the periodic jobs that are due and moves each schedule to the
-- first period boundary after now. Returns how many jobs it enqueued.
-- Exactly one job per period whatever the number of tickers: the rows are
-- locked (a concurrent ticker skips them, or re-reads next_run_at after
-- the commit and finds them no longer due), and the dedup key names the
-- period, so even a ticker working from a stale next_run_at inserts nothing.
CREATE FUNCTION job_periodic_tick() RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    r      periodic_jobs%ROWTYPE;
    v_slot bigint;
    v_id   uuid;
    v_n    int := 0;
BEGIN
    FOR r IN SELECT * FROM periodic_jobs WHERE next_run_at <= now()
              ORDER BY kind FOR UPDATE SKIP LOCKED
    LOOP
        v_slot := floor(extract(epoch FROM r.next_run_at) / r.period_s)::bigint;
        INSERT INTO jobs (kind, payload, status, run_at, dedup_key)
        VALUES (r.kind, r.payload, 'queued', now(), r.kind || ':' || v_slot)
        ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NOT NULL THEN
            v_n := v_n + 1;
            PERFORM pg_notify('hs_jobs', r.kind);
        END IF;
        UPDATE periodic_jobs
           SET next_run_at = to_timestamp((floor(extract(epoch FROM now()) / r.period_s) + 1) * r.period_s)
         WHERE kind = r.kind;
    END LOOP;
    RETURN v_n;
END
$$;

-- Retention: deletes auth_log rows, closed RADIUS sessions, published
-- events and finished (done or dead) jobs older than the given number of
-- days, plus reservations that have expired. Deletes in batches of 5,000
-- and at most 100 batches per table and call, so one call stays bounded;
-- the periodic prune job catches up on the next run. Returns the counts.
CREATE FUNCTION hs_prune(p_auth_log_days int, p_session_days int, p_event_days int, p_job_days int)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    c_batch   constant int := 5000;
    c_batches constant int := 100;
    v_auth    bigint := 0;
    v_sess    bigint := 0;
    v_events  bigint := 0;
    v_jobs    bigint := 0;
    v_resv    bigint := 0;
    v_cut     timestamptz;
    n         bigint;
    i         int;
BEGIN
    IF p_auth_log_days IS NULL OR p_auth_log_days < 0 OR p_session_days IS NULL OR p_session_days < 0
       OR p_event_days IS NULL OR p_event_days < 0 OR p_job_days IS NULL OR p_job_days < 0 THEN
        RAISE EXCEPTION 'hs_prune: retention days must be 0 or more'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    v_cut := now() - make_interval(days => p_auth_log_days);
    FOR i IN 1 .. c_batches LOOP
        DELETE FROM auth_log WHERE id IN
            (SELECT id FROM auth_log WHERE created_at < v_cut LIMIT c_batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        v_auth := v_auth + n;
        EXIT WHEN n < c_batch;
    END LOOP;

    v_cut := now() - make_interval(days => p_session_days);
    FOR i IN 1 .. c_batches LOOP
        DELETE FROM radius_sessions WHERE id IN
            (SELECT id FROM radius_sessions
              WHERE stopped_at IS NOT NULL AND stopped_at < v_cut LIMIT c_batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        v_sess := v_sess + n;
        EXIT WHEN n < c_batch;
    END LOOP;

    v_cut := now() - make_interval(days => p_event_days);
    FOR i IN 1 .. c_batches LOOP
        DELETE FROM events WHERE id IN
            (SELECT id FROM events
              WHERE created_at < v_cut LIMIT c_batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        v_events := v_events + n;
        EXIT WHEN n < c_batch;
    END LOOP;

    v_cut := now() - make_interval(days => p_job_days);
    FOR i IN 1 .. c_batches LOOP
        DELETE FROM jobs WHERE id IN
            (SELECT id FROM jobs
              WHERE status IN ('done', 'dead') AND finished_at < v_cut LIMIT c_batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        v_jobs := v_jobs + n;
        EXIT WHEN n < c_batch;
    END LOOP;

    FOR i IN 1 .. c_batches LOOP
        DELETE FROM reservations WHERE ctid IN
            (SELECT ctid FROM reservations WHERE expires_at < now() LIMIT c_batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        v_resv := v_resv + n;
        EXIT WHEN n < c_batch;
    END LOOP;

    RETURN jsonb_build_object('auth_log', v_auth, 'sessions', v_sess, 'events', v_events,
                              'jobs', v_jobs, 'reservations', v_resv);
END
$$;

-- Liveness of the database as the daemons see it: the latest migration
-- applied (schema_migrations is written by `hotspotd migrate`), or null
-- when that table does not exist yet.
CREATE FUNCTION hs_db_health() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_version text;
BEGIN
    BEGIN
        SELECT max(version) INTO v_version FROM schema_migrations;
    EXCEPTION WHEN undefined_table THEN
        v_version := NULL;
    END;
    RETURN jsonb_build_object('ok', true, 'migration', v_version);
END
$$;

REVOKE ALL ON FUNCTION job_enqueue(text, jsonb, timestamptz, uuid, int, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_claim(text, text[], int, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_complete(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_fail(uuid, text, text, boolean, int, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_retry(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_periodic_register(text, int, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_periodic_tick() FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_prune(int, int, int, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_db_health() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION job_enqueue(text, jsonb, timestamptz, uuid, int, text) TO hs_worker, hs_api, hs_radius;
GRANT EXECUTE ON FUNCTION job_claim(text, text[], int, int) TO hs_worker;
GRANT EXECUTE ON FUNCTION job_complete(uuid, text) TO hs_worker;
GRANT EXECUTE ON FUNCTION job_fail(uuid, text, text, boolean, int, int) TO hs_worker;
GRANT EXECUTE ON FUNCTION job_retry(uuid) TO hs_worker, hs_api;
GRANT EXECUTE ON FUNCTION job_periodic_register(text, int, jsonb) TO hs_worker;
GRANT EXECUTE ON FUNCTION job_periodic_tick() TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_prune(int, int, int, int) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_db_health() TO hs_api, hs_worker;
