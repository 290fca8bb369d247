#!/usr/bin/env bash
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"
DB=hs_api_vbatch
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
api_two_tenants $DB
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
owner "INSERT INTO profiles (tenant_id, name, data_limit_bytes, validity_seconds, currency, price_minor) SELECT id, 'P1', 1073741824, 86400, 'UGX', 5000 FROM tenants WHERE slug='ten-a'"
TID=$(owner "SELECT id FROM tenants WHERE slug='ten-a'")
PID=$(owner "SELECT id FROM profiles")
time hs_psql_as hs_api $DB -At -c "BEGIN; SELECT set_config('hotspot.tenant_id', '$TID', true); SELECT hs_voucher_batch_generate(gen_random_uuid(), '$PID', 10000, 'x', NULL, 'BIL', NULL, NULL, 12.5, 'USD', true, NULL, NULL); COMMIT;" 2>&1
owner "SELECT count(*), count(DISTINCT code), min(code), max(price_minor), min(currency), hs_money_major(min(price_minor), 'USD'), hs_voucher_terms_text(min(data_limit_bytes), min(validity_seconds), 7200) FROM vouchers"
hs_psql_as hs_api $DB -At -c "BEGIN; SELECT set_config('hotspot.tenant_id', '$TID', true); SELECT hs_voucher_batch_generate(gen_random_uuid(), '$PID', 1, 'x', NULL, 'BIL', NULL, NULL, 12.555, 'USD', true, NULL, NULL); COMMIT;" 2>&1
t_ok x true
t_done
