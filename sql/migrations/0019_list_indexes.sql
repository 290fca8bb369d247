-- 0019_list_indexes: the voucher list's default order (newest first, the id
-- breaking ties) as an index, so that a page of a tenant's vouchers is an
-- index walk with a LIMIT instead of a sort of all of them. It serves
-- every use of vouchers_created (tenant_id, created_at DESC), which it
-- replaces.
CREATE INDEX vouchers_page ON vouchers (tenant_id, created_at DESC, id DESC);
DROP INDEX vouchers_created;
