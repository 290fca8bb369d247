-- 0023_voucher_domains: a voucher's code and rate limit are checked when
-- they are written, not on every update of the row.
--
-- PostgreSQL evaluates every CHECK constraint of a table on every UPDATE,
-- whatever columns it sets. The two regular expressions on vouchers (code,
-- rate_limit) cost about 3 µs per row, paid by every Interim-Update (the
-- voucher's usage grows), every first login (activation) and every cut. A
-- domain's check runs only when a value is assigned to a column of that
-- type: the same rule, enforced on INSERT and on an UPDATE that sets the
-- column, and no longer on the usage counters' updates. Profiles get the
-- same rate-limit domain, so the rule is written once.
CREATE DOMAIN hs_voucher_code AS text CHECK (VALUE ~ '^[[:alnum:]._@-]{1,64}$');
CREATE DOMAIN hs_rate_limit AS text
    CHECK (VALUE ~ '^[0-9]+[kKmMgG]?(/[0-9]+[kKmMgG]?)?( [0-9]+[kKmMgG]?(/[0-9]+[kKmMgG]?)?){0,5}$');

-- The touch trigger of 0004 names the columns it watches: it is put back as
-- it was once the columns have their types.
DROP TRIGGER vouchers_touch ON vouchers;
ALTER TABLE vouchers
    DROP CONSTRAINT vouchers_code_check,
    DROP CONSTRAINT vouchers_rate_limit_check,
    ALTER COLUMN code TYPE hs_voucher_code,
    ALTER COLUMN rate_limit TYPE hs_rate_limit;
CREATE TRIGGER vouchers_touch BEFORE UPDATE OF
    tenant_id, code, password, profile_id, batch_id, data_limit_bytes, time_limit_seconds,
    validity_seconds, rate_limit, idle_timeout_s, shared_users, mac_lock, price_minor, currency,
    status, customer_id, router_id, locked_mac, auto_activate, activated_at, expires_at, sold_at, notes
    ON vouchers FOR EACH ROW EXECUTE FUNCTION hs_touch_updated_at();

ALTER TABLE profiles
    DROP CONSTRAINT profiles_rate_limit_check,
    ALTER COLUMN rate_limit TYPE hs_rate_limit;
