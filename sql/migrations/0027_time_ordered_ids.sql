-- 0027_time_ordered_ids: new vouchers, sessions and jobs get ids that sort
-- by creation time (the UUID version 7 layout: 48 bits of Unix time in
-- milliseconds, then the version, then 74 random bits).
--
-- With random (version 4) ids, the vouchers in use at any time are spread
-- evenly over the whole primary-key index: every Interim-Update and every
-- login descends to a leaf page of its own, and at ten million vouchers
-- those leaves, and the pages above them, no longer stay in the CPU's
-- caches. This was the growth `bench/scale.sh` measured from 10,000 to
-- 10,000,000 vouchers. Vouchers are used in the days after they are
-- printed or sold, so with ids ordered by time the live ones sit together
-- in a few pages at the right-hand end of each index that holds a voucher
-- id (the vouchers' keys, and radius_sessions' per-voucher indexes). A
-- session's or a job's id is also written once at its creation and read
-- while it is young, and its inserts now append to the index instead of
-- splitting pages all over it.
--
-- The 74 random bits keep ids unguessable as before; the time they reveal
-- is the row's created_at, which the API already shows. Rows made before
-- this migration keep their ids; both kinds are valid UUIDs everywhere.

CREATE FUNCTION hs_uuid_time() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    SELECT encode(set_bit(set_bit(
               overlay(uuid_send(gen_random_uuid())
                       PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                       FROM 1 FOR 6),
               52, 1), 53, 1), 'hex')::uuid
$$;
COMMENT ON FUNCTION hs_uuid_time() IS
    'A random UUID whose first 48 bits are the Unix time in milliseconds (UUID version 7 layout).';

ALTER TABLE vouchers ALTER COLUMN id SET DEFAULT hs_uuid_time();
ALTER TABLE radius_sessions ALTER COLUMN id SET DEFAULT hs_uuid_time();
ALTER TABLE jobs ALTER COLUMN id SET DEFAULT hs_uuid_time();
