-- 0020_router_list_index: the router list's default order (newest first,
-- the id breaking ties) as an index, so that a page of a tenant's routers
-- is an index walk with a LIMIT rather than a sort of all of them.
CREATE INDEX mikrotik_devices_page ON mikrotik_devices (tenant_id, created_at DESC, id DESC);
