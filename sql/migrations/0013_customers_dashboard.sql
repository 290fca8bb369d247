-- 0013_customers_dashboard: one phone number per customer within a tenant,
-- the indexes the dashboard's period queries walk, and the horizon of the
-- event stream (which ids of the outbox can no longer gain a row).

-- A phone number names one customer of a tenant (the API answers 409).
-- It replaces the plain index of 0004 on the same columns.
CREATE UNIQUE INDEX customers_phone_unique ON customers (tenant_id, phone) WHERE phone IS NOT NULL;
DROP INDEX customers_phone;

-- The dashboard sums a period of sales, payments and sessions per tenant.
CREATE INDEX vouchers_sold ON vouchers (tenant_id, sold_at) WHERE sold_at IS NOT NULL;
CREATE INDEX payments_paid ON payments (tenant_id, paid_at) WHERE status = 'succeeded';
-- (sessions by start: radius_sessions_list of 0005)
CREATE INDEX radius_sessions_tenant_open ON radius_sessions (tenant_id) WHERE stopped_at IS NULL;

-- hs_events_horizon(p_writers): where the event stream may read up to.
--
-- events.id comes from a sequence, so ids are handed out in one order and
-- committed in another: a reader that moved past id 11 while the
-- transaction holding id 10 was still open would never see 10. Every
-- writer of events holds ROW EXCLUSIVE on the table from before it takes
-- an id until after its commit is visible, so:
--
--   last_id  the sequence's last value, read first;
--   writers  the virtual transaction ids holding ROW EXCLUSIVE on events
--            when last_id was read (empty: every id <= last_id is final);
--   settled  whether none of p_writers (the writers of an earlier call)
--            still holds the lock: then every id <= that call's last_id is
--            final — committed and visible, or never to be.
--
-- The stream reads ids up to the highest last_id known final. SECURITY
-- DEFINER because the API role may neither read the sequence nor see the
-- other tenants' writers; it returns no row data. Locks of other databases
-- are ignored.
CREATE FUNCTION hs_events_horizon(p_writers text[], OUT settled boolean, OUT last_id bigint,
                                  OUT writers text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_db oid;
BEGIN
    SELECT oid INTO v_db FROM pg_database WHERE datname = current_database();
    last_id := coalesce(pg_sequence_last_value(pg_get_serial_sequence('public.events', 'id')::regclass), 0);
    SELECT coalesce(array_agg(DISTINCT l.virtualtransaction), '{}') INTO writers
      FROM pg_locks l
     WHERE l.locktype = 'relation' AND l.database = v_db AND l.relation = 'public.events'::regclass
       AND l.mode = 'RowExclusiveLock' AND l.granted
       AND l.pid IS DISTINCT FROM pg_backend_pid();
    settled := p_writers IS NULL OR NOT EXISTS (
        SELECT 1 FROM pg_locks l
         WHERE l.locktype = 'relation' AND l.database = v_db
           AND l.relation = 'public.events'::regclass AND l.mode = 'RowExclusiveLock'
           AND l.virtualtransaction = ANY (p_writers));
END
$$;
REVOKE ALL ON FUNCTION hs_events_horizon(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_events_horizon(text[]) TO hs_api;
