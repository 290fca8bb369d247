-- 0017_sms_delivery: what the SMS worker (job kind sms.send) and the SMS API
-- need from the database (docs/sms.md).
--
--   hs_sms_load(id, tenant)              a message and its voucher's details
--   hs_sms_begin(id, job, driver, body, stale_s)   queued -> sending
--   hs_sms_sent(id, job, provider_ref)   sending -> sent
--   hs_sms_fail(id, job, error, final)   sending -> queued (retry) or failed
--   hs_sms_retry(id, admin, ip)          failed -> queued, a new sms.send job
--
-- A message's states: queued (waiting for the worker), sending (a worker has
-- taken it and is talking to the gateway), sent (the gateway accepted it,
-- provider_ref set), failed (permanently, or out of attempts; error set),
-- delivered (reserved for delivery reports).
--
-- The worker role (hs_worker) has no table privilege: the first four are
-- SECURITY DEFINER and do exactly one step each. hs_sms_retry is SECURITY
-- INVOKER: the API calls it under row-level security in its tenant
-- transaction.

-- --- schema additions ----------------------------------------------------------

ALTER TABLE sms_messages DROP CONSTRAINT sms_messages_status_check;
ALTER TABLE sms_messages ADD CONSTRAINT sms_messages_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'delivered'));

-- Which job holds the message while it is 'sending', and since when: only
-- that job may record the outcome or resume an interrupted send; another
-- job may take it over once the claim is older than the job lease.
ALTER TABLE sms_messages
    ADD COLUMN send_job   uuid,
    ADD COLUMN sending_at timestamptz;

CREATE INDEX sms_messages_status ON sms_messages (tenant_id, status, created_at DESC);

-- --- the worker ------------------------------------------------------------------

-- Message P_ID (of tenant P_TENANT when not NULL) with what a voucher text
-- needs: no row when there is no such message. The voucher columns are NULL
-- when the message has no voucher (or it was deleted). data_text,
-- validity_text and time_text are hs_voucher_terms_text's parts ("" for
-- none), expires_text the expiry in the tenant's zone ("" for none).
CREATE FUNCTION hs_sms_load(p_id uuid, p_tenant uuid)
    RETURNS TABLE (status text, to_phone text, body text, send_job uuid, voucher_id uuid,
                   tenant_name text, code text, password text, profile_name text,
                   data_text text, validity_text text, time_text text, terms_text text,
                   expires_text text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
    SELECT m.status, m.to_phone, m.body, m.send_job, v.id, t.name, v.code, v.password, p.name,
           hs_voucher_terms_text(v.data_limit_bytes, NULL, NULL),
           -- the validity and time parts alone: the terms of 1 byte less their "1 MB, "
           coalesce(substr(hs_voucher_terms_text(1, v.validity_seconds, NULL), 7), ''),
           coalesce(substr(hs_voucher_terms_text(1, NULL, v.time_limit_seconds), 7), ''),
           hs_voucher_terms_text(v.data_limit_bytes, v.validity_seconds, v.time_limit_seconds),
           coalesce(to_char(v.expires_at AT TIME ZONE t.time_zone, 'YYYY-MM-DD HH24:MI'), '')
      FROM sms_messages m
      JOIN tenants t ON t.id = m.tenant_id
      LEFT JOIN vouchers v ON v.tenant_id = m.tenant_id AND v.id = m.voucher_id
      LEFT JOIN profiles p ON p.tenant_id = v.tenant_id AND p.id = v.profile_id
     WHERE m.id = p_id AND (p_tenant IS NULL OR m.tenant_id = p_tenant)
$$;

-- Job P_JOB takes message P_ID to send it through driver P_DRIVER with text
-- P_BODY (NULL: keep the row's): allowed when the message is queued, when
-- P_JOB itself had taken it (its earlier run died between the send and the
-- record: sending again is the at-least-once edge, docs/sms.md), or when
-- another job's claim is older than P_STALE_S seconds. Counts the attempt.
-- Returns true when the caller now holds the message; false when it is
-- sent, delivered, failed or held by another live job (send nothing).
CREATE FUNCTION hs_sms_begin(p_id uuid, p_job uuid, p_driver text, p_body text, p_stale_s int)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE sms_messages
       SET status = 'sending', send_job = p_job, sending_at = now(), driver = p_driver,
           body = coalesce(p_body, body), attempts = attempts + 1
     WHERE id = p_id
       AND (status = 'queued'
            OR (status = 'sending' AND (send_job = p_job
                                        OR sending_at < now() - make_interval(secs => p_stale_s))));
    RETURN FOUND;
END
$$;

-- The gateway accepted message P_ID sent by job P_JOB: sent, with the
-- gateway's id. Returns false when P_JOB no longer holds the message.
CREATE FUNCTION hs_sms_sent(p_id uuid, p_job uuid, p_provider_ref text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE sms_messages
       SET status = 'sent', provider_ref = left(p_provider_ref, 200), sent_at = now(),
           error = NULL, send_job = NULL
     WHERE id = p_id AND status = 'sending' AND send_job = p_job;
    RETURN FOUND;
END
$$;

-- Job P_JOB could not send message P_ID: P_FINAL makes it failed (a
-- permanent refusal, or the last attempt), else it goes back to queued for
-- the job's next attempt; the error is kept either way. Returns false when
-- P_JOB no longer holds the message.
CREATE FUNCTION hs_sms_fail(p_id uuid, p_job uuid, p_error text, p_final boolean) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE sms_messages
       SET status = CASE WHEN p_final THEN 'failed' ELSE 'queued' END,
           error = left(coalesce(p_error, 'unknown error'), 2000), send_job = NULL
     WHERE id = p_id AND status = 'sending' AND send_job = p_job;
    RETURN FOUND;
END
$$;

-- --- the API -----------------------------------------------------------------------

-- Queues failed message P_ID again (status queued, a new sms.send job with
-- five attempts) and writes the audit row (admin P_ADMIN from address P_IP,
-- '' for none), in the caller's tenant transaction. Returns the status the
-- message had ('failed' when it was re-queued), or NULL when the tenant has
-- no such message.
CREATE FUNCTION hs_sms_retry(p_id uuid, p_admin uuid, p_ip text) RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
AS $$
DECLARE
    v_status  text;
    v_voucher uuid;
BEGIN
    SELECT m.status, m.voucher_id INTO v_status, v_voucher
      FROM sms_messages m WHERE m.id = p_id FOR UPDATE;
    IF NOT FOUND OR v_status <> 'failed' THEN
        RETURN v_status;
    END IF;
    UPDATE sms_messages SET status = 'queued' WHERE id = p_id;
    PERFORM job_enqueue('sms.send', jsonb_build_object('sms_message_id', p_id, 'voucher_id', v_voucher),
                        now(), NULL, 5, NULL);
    INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id, details, ip)
    VALUES (hs_current_tenant(), p_admin, 'sms.retry', 'sms_message', p_id::text, '{}',
            nullif(p_ip, '')::inet);
    RETURN v_status;
END
$$;

REVOKE ALL ON FUNCTION hs_sms_load(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_sms_begin(uuid, uuid, text, text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_sms_sent(uuid, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_sms_fail(uuid, uuid, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION hs_sms_retry(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hs_sms_load(uuid, uuid), hs_sms_begin(uuid, uuid, text, text, int),
    hs_sms_sent(uuid, uuid, text), hs_sms_fail(uuid, uuid, text, boolean) TO hs_worker;
GRANT EXECUTE ON FUNCTION hs_sms_retry(uuid, uuid, text) TO hs_api;
