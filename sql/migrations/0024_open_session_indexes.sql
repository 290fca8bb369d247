-- 0024_open_session_indexes: a voucher's open sessions are looked up by
-- voucher, whatever the statistics say.
--
-- The RADIUS path counts and closes a voucher's open sessions with
-- "voucher_id = X AND stopped_at IS NULL", planned once per connection.
-- Three indexes cover open sessions: by voucher (0005), by router (0008)
-- and by tenant (0013). When the statistics knew of almost no open session
-- (taken at a quiet hour), reading all of the tenant's or the router's open
-- sessions looked as cheap as finding the voucher's, and the plan kept
-- doing so once thousands were open: a login read every open session,
-- twice (checked in sql_radius).
--
-- The router's and the tenant's indexes now also require their key to be
-- set. A query can only use them when it names a router or a tenant (an
-- equality on the key implies it is set); the voucher lookups name neither,
-- so the index by voucher is the one they can use. What the indexes hold
-- is unchanged: tenant_id is never NULL, and a session without a router
-- has no router to close it for.
DROP INDEX radius_sessions_tenant_open;
CREATE INDEX radius_sessions_tenant_open ON radius_sessions (tenant_id)
    WHERE stopped_at IS NULL AND tenant_id IS NOT NULL;
DROP INDEX radius_sessions_router_open;
CREATE INDEX radius_sessions_router_open ON radius_sessions (router_id, acct_unique_id)
    WHERE stopped_at IS NULL AND router_id IS NOT NULL;
