-- 0022_radius_plans: the RADIUS path's plans never scan a whole table.
--
-- The module's connections live as long as FreeRADIUS and plan each
-- statement of these functions once (plan_cache_mode = force_generic_plan),
-- at its first call, from the statistics and sizes of that moment. A table
-- that is empty or small then, reservations above all (a quiet hour, a
-- restart after the night's logins expired), was planned as a sequential
-- scan, and every later call read the whole table: once it held a busy
-- day's reservations, each Access-Request scanned thousands of rows (five
-- times the database CPU per request, measured in `make bench` after a
-- VACUUM ANALYZE of the emptied table). Every lookup these functions make
-- has an index; with sequential scans priced out they use it whatever the
-- statistics said at planning time.
ALTER FUNCTION hs_radius_authorize(inet, text, text, int, bytea, bytea, text, int)
    SET enable_seqscan = off;
ALTER FUNCTION hs_radius_authorize_batch(inet[], text[], text[], int[], bytea[], bytea[], text[], int)
    SET enable_seqscan = off;
ALTER FUNCTION hs_radius_accounting(inet[], int[], text[], text[], text[], text[], inet[],
                                    bigint[], bigint[], bigint[], text[], timestamptz[])
    SET enable_seqscan = off;
ALTER FUNCTION hs__radius_accounting_all(inet[], int[], text[], text[], text[], text[], inet[],
                                         bigint[], bigint[], bigint[], text[], timestamptz[])
    SET enable_seqscan = off;
