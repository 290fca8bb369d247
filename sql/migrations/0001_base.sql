-- 0001_base: extensions, schema privileges and the helpers every later
-- migration uses (tenant of the current transaction, updated_at trigger,
-- validators for currencies, time zones and codes).
--
-- Runs as hs_owner, the database owner. hs_owner need not be a superuser:
-- pgcrypto is a trusted extension, and in PostgreSQL 15 the owner of the
-- database is a member of pg_database_owner, which owns schema public.

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

-- Nobody but the roles of the project may even look up names in public.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO hs_api, hs_radius, hs_worker;

-- The tenant the API set for this transaction (SET LOCAL hotspot.tenant_id),
-- or NULL when none is set, so that row-level security then matches nothing.
-- Left SECURITY INVOKER and without a SET clause on purpose: it only reads
-- the caller's own setting, and that way the planner can inline it in every
-- policy and compare it to an index key once per scan instead of per row.
CREATE FUNCTION hs_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(pg_catalog.current_setting('hotspot.tenant_id', true), '')::uuid $$;
REVOKE ALL ON FUNCTION hs_current_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_current_tenant() TO hs_api;

-- BEFORE UPDATE trigger: keeps updated_at honest whatever the client sends.
CREATE FUNCTION hs_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION hs_touch_updated_at() FROM PUBLIC;

-- ISO 4217 alphabetic code: three upper-case letters.
CREATE DOMAIN hs_currency AS text
    CONSTRAINT hs_currency_iso4217 CHECK (VALUE ~ '^[A-Z]{3}$');

-- True when NAME is an IANA zone the server knows (pg_timezone_names).
-- Abbreviations and POSIX offsets such as 'EST' or 'UTC+3', which
-- AT TIME ZONE would also accept, are refused: day boundaries and
-- customer messages need a real zone with its daylight-saving rules.
CREATE FUNCTION hs_valid_time_zone(p_name text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
AS $$
    SELECT p_name IS NOT NULL
       AND p_name !~ '^(posix|right)/'
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = p_name)
$$;
GRANT EXECUTE ON FUNCTION hs_valid_time_zone(text) TO hs_api;

-- Trigger for tables with a time_zone column: a CHECK constraint cannot
-- consult pg_timezone_names, so the lookup happens here.
CREATE FUNCTION hs_check_time_zone() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
AS $$
BEGIN
    IF NOT hs_valid_time_zone(NEW.time_zone) THEN
        RAISE EXCEPTION 'unknown time zone "%"', NEW.time_zone
            USING ERRCODE = 'check_violation', COLUMN = 'time_zone',
                  HINT = 'use an IANA name such as Africa/Kampala';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION hs_check_time_zone() FROM PUBLIC;

-- P_LENGTH symbols drawn uniformly from P_ALPHABET with a CSPRNG
-- (pgcrypto's gen_random_bytes). Bytes at or above the largest multiple of
-- the alphabet size are thrown away, so no symbol is favoured (no modulo
-- bias). Raises on an alphabet of fewer than 2 or more than 256 symbols, or
-- a length outside 1..64.
CREATE FUNCTION hs_random_code(p_alphabet text, p_length int) RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
DECLARE
    n      int := length(p_alphabet);
    limit_ int;
    buf    bytea;
    b      int;
    i      int;
    result text := '';
BEGIN
    IF n IS NULL OR n < 2 OR n > 256 THEN
        RAISE EXCEPTION 'code alphabet needs 2 to 256 symbols' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_length IS NULL OR p_length < 1 OR p_length > 64 THEN
        RAISE EXCEPTION 'code length must be 1 to 64' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    limit_ := 256 - 256 % n;
    WHILE length(result) < p_length LOOP
        buf := gen_random_bytes(p_length * 2);
        FOR i IN 0 .. length(buf) - 1 LOOP
            b := get_byte(buf, i);
            CONTINUE WHEN b >= limit_;
            result := result || substr(p_alphabet, b % n + 1, 1);
            EXIT WHEN length(result) = p_length;
        END LOOP;
    END LOOP;
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION hs_random_code(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_random_code(text, int) TO hs_api, hs_worker;
