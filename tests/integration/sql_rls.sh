#!/usr/bin/env bash
# Tenant isolation: with tenant A set, hs_api can neither see, change,
# delete nor create tenant B's rows, even naming B's ids; with no tenant it
# sees nothing; it cannot move its own rows to B.
set -u
source "$HS_ROOT/tests/lib/harness.sh"

DB=hs_sql_rls
TA=aaaaaaaa-0000-4000-8000-000000000001
TB=bbbbbbbb-0000-4000-8000-000000000002

own() { hs_psql_as hs_owner "$DB" -At -c "$1"; }
# api TENANT SQL: one transaction as hs_api with the tenant set ('' = none).
api() { hs_psql_as hs_api "$DB" -At -c "BEGIN" -c "SET LOCAL hotspot.tenant_id = '$1'" -c "$2" -c "COMMIT"; }

t_ok "migrations apply" hs_new_db "$DB"

# Ids per tenant: x = A, y = B; the last characters name the table.
fixture() { # fixture TENANT LETTER IP
	local t=$1 l=$2 ip=$3
	cat <<SQL
INSERT INTO tenants (id, name, slug, time_zone, currency) VALUES ('$t', 'Tenant $l', 'tenant-$l', 'Africa/Kampala', 'UGX');
INSERT INTO admins (id, tenant_id, email, password_hash) VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000001', '$t', 'admin@$l.example', '!');
INSERT INTO api_tokens (id, tenant_id, admin_id, token_hash, abilities)
  VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000002', '$t', '$l$l$l${l}0000-0000-4000-8000-000000000001', encode(sha256('token-$l'), 'hex'), '{*}');
INSERT INTO profiles (id, tenant_id, name, price_minor, currency) VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000003', '$t', 'P', 1000, 'UGX');
INSERT INTO customers (id, tenant_id, name) VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000004', '$t', 'Customer $l');
INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret) VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000005', '$t', 'Router $l', '$ip', 'secret-$l');
INSERT INTO vouchers (id, tenant_id, code, password, profile_id, currency, customer_id, router_id)
  VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000006', '$t', 'CODE$l', 'pw', '$l$l$l${l}0000-0000-4000-8000-000000000003', 'UGX',
          '$l$l$l${l}0000-0000-4000-8000-000000000004', '$l$l$l${l}0000-0000-4000-8000-000000000005');
INSERT INTO payments (id, tenant_id, customer_id, voucher_id, gateway, gateway_ref, amount_minor, currency)
  VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000007', '$t', '$l$l$l${l}0000-0000-4000-8000-000000000004',
          '$l$l$l${l}0000-0000-4000-8000-000000000006', 'momo', 'ref-$l', 1000, 'UGX');
INSERT INTO sms_messages (id, tenant_id, to_phone, body, driver) VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000008', '$t', '+256700000000', 'hi', 'log');
INSERT INTO voucher_batches (id, tenant_id, profile_id, quantity) VALUES ('$l$l$l${l}0000-0000-4000-8000-000000000009', '$t', '$l$l$l${l}0000-0000-4000-8000-000000000003', 1);
INSERT INTO mikrotik_config_history (id, tenant_id, device_id, change_type) VALUES ('$l$l$l${l}0000-0000-4000-8000-00000000000a', '$t', '$l$l$l${l}0000-0000-4000-8000-000000000005', 'backup');
INSERT INTO radius_sessions (id, tenant_id, voucher_id, router_id, username, acct_unique_id, acct_session_id, nas_ip, started_at, last_update_at)
  VALUES ('$l$l$l${l}0000-0000-4000-8000-00000000000b', '$t', '$l$l$l${l}0000-0000-4000-8000-000000000006', '$l$l$l${l}0000-0000-4000-8000-000000000005', 'CODE$l', 'u-$l', 's-$l', '$ip', now(), now());
INSERT INTO auth_log (tenant_id, voucher_id, result) VALUES ('$t', '$l$l$l${l}0000-0000-4000-8000-000000000006', 'accept');
INSERT INTO events (tenant_id, type) VALUES ('$t', 'voucher.activated');
INSERT INTO audit_log (tenant_id, action) VALUES ('$t', 'login');
INSERT INTO jobs (tenant_id, kind) VALUES ('$t', 'backup');
SQL
}
t_ok "fixtures for tenants a and b" hs_psql_as hs_owner "$DB" -c "$(fixture "$TA" a 10.0.0.1; fixture "$TB" b 10.0.0.2)"
own "INSERT INTO jobs (kind) VALUES ('prune')" >/dev/null
id() { echo "$1$1$1${1}0000-0000-4000-8000-00000000000$2"; } # id LETTER SUFFIX

# table|id suffix of its fixture row (empty: not addressed by uuid)
tables=(admins api_tokens profiles customers mikrotik_devices vouchers payments sms_messages
	voucher_batches mikrotik_config_history radius_sessions auth_log events audit_log jobs)
declare -A suffix=([admins]=1 [api_tokens]=2 [profiles]=3 [customers]=4 [mikrotik_devices]=5
	[vouchers]=6 [payments]=7 [sms_messages]=8 [voucher_batches]=9 [mikrotik_config_history]=a
	[radius_sessions]=b)

# --- reading --------------------------------------------------------------------

for t in "${tables[@]}"; do
	t_is "$(api "$TA" "SELECT count(*) || ',' || count(*) FILTER (WHERE tenant_id = '$TA') FROM $t")" "1,1" \
		"$t: tenant a sees exactly its own row"
done
for t in "${!suffix[@]}"; do
	t_is "$(api "$TA" "SELECT count(*) FROM $t WHERE id = '$(id b "${suffix[$t]}")'")" 0 \
		"$t: tenant a cannot read b's row by id"
done
for t in "${tables[@]}" tenants; do
	t_is "$(api "" "SELECT count(*) FROM $t")" 0 "$t: no tenant set, nothing visible"
done
t_is "$(hs_psql_as hs_api "$DB" -At -c "SELECT count(*) FROM vouchers")" 0 "a session that never set the tenant sees no voucher"
t_is "$(hs_psql_as hs_api "$DB" -At -c "BEGIN" -c "SET LOCAL hotspot.tenant_id = '$TA'" -c "COMMIT" \
	-c "SELECT count(*) FROM vouchers")" 0 "SET LOCAL ends with its transaction"
t_is "$(api "$TA" "SELECT string_agg(slug, ',') FROM tenants")" "tenant-a" "tenants: a sees its own tenant row only"
t_is "$(api "$TA" "SELECT count(*) FROM vouchers v JOIN profiles p ON p.id = v.profile_id JOIN customers c ON c.id = v.customer_id")" 1 \
	"joins across tables stay within the tenant"

# --- changing and deleting ----------------------------------------------------------
# stderr is captured too, so that a refused statement does not pass for "no row".

for t in vouchers mikrotik_devices customers payments profiles admins sms_messages voucher_batches api_tokens; do
	t_is "$(api "$TA" "UPDATE $t SET updated_at = '2001-01-01' WHERE id = '$(id b "${suffix[$t]}")' RETURNING id" 2>&1)" "" \
		"$t: tenant a updates none of b's rows"
	t_is "$(api "$TA" "DELETE FROM $t WHERE id = '$(id b "${suffix[$t]}")' RETURNING id" 2>&1)" "" \
		"$t: tenant a deletes none of b's rows"
	t_is "$(own "SELECT count(*) FROM $t WHERE id = '$(id b "${suffix[$t]}")' AND updated_at <> '2001-01-01'")" 1 \
		"$t: b's row is intact"
done
t_is "$(api "$TA" "UPDATE vouchers SET status = 'disabled' RETURNING code")" "CODEa" "an unqualified UPDATE touches only a's vouchers"
t_is "$(own "SELECT status FROM vouchers WHERE id = '$(id b 6)'")" active "b's voucher is still active"
t_is "$(api "$TA" "UPDATE tenants SET name = 'Hijacked' WHERE id = '$TB' RETURNING id" 2>&1)" "" "tenant a cannot rename tenant b"
t_ok "tenant a can change its own settings" api "$TA" "UPDATE tenants SET time_zone = 'Europe/Berlin', voucher_code_length = 12 WHERE id = '$TA'"
t_fail "tenant a cannot change its own slug" api "$TA" "UPDATE tenants SET slug = 'other' WHERE id = '$TA'"
t_fail "the time zone is still validated for the API" api "$TA" "UPDATE tenants SET time_zone = 'Nowhere/Land' WHERE id = '$TA'"
t_is "$(api "" "UPDATE vouchers SET notes = 'x' RETURNING id" 2>&1)" "" "no tenant set: an UPDATE touches nothing"
t_is "$(own "SELECT count(*) FROM vouchers WHERE notes = 'x'")" 0 "no voucher was changed"

# --- inserting and moving rows ----------------------------------------------------------

insert_b=(
	"vouchers|INSERT INTO vouchers (tenant_id, code, password, profile_id, currency) VALUES ('$TB', 'NEWB', 'pw', '$(id b 3)', 'UGX')"
	"mikrotik_devices|INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret) VALUES ('$TB', 'x', '10.9.9.9', 's')"
	"customers|INSERT INTO customers (tenant_id, name) VALUES ('$TB', 'x')"
	"payments|INSERT INTO payments (tenant_id, gateway, amount_minor, currency) VALUES ('$TB', 'cash', 10, 'UGX')"
	"profiles|INSERT INTO profiles (tenant_id, name, currency) VALUES ('$TB', 'x', 'UGX')"
	"audit_log|INSERT INTO audit_log (tenant_id, action) VALUES ('$TB', 'x')"
	"events|INSERT INTO events (tenant_id, type) VALUES ('$TB', 'x')"
)
for row in "${insert_b[@]}"; do
	t_fail "${row%%|*}: tenant a cannot insert a row for b" api "$TA" "${row#*|}"
done
t_fail "vouchers: tenant a cannot use b's profile" api "$TA" \
	"INSERT INTO vouchers (tenant_id, code, password, profile_id, currency) VALUES ('$TA', 'NEWA', 'pw', '$(id b 3)', 'UGX')"
t_fail "vouchers: tenant a cannot attach b's customer" api "$TA" "UPDATE vouchers SET customer_id = '$(id b 4)' WHERE id = '$(id a 6)'"
t_fail "payments: tenant a cannot point at b's voucher" api "$TA" "UPDATE payments SET voucher_id = '$(id b 6)' WHERE id = '$(id a 7)'"
t_ok "vouchers: tenant a inserts its own voucher" api "$TA" \
	"INSERT INTO vouchers (tenant_id, code, password, profile_id, currency) VALUES ('$TA', 'NEWA', 'pw', '$(id a 3)', 'UGX')"
t_fail "no tenant set: cannot insert" api "" \
	"INSERT INTO customers (tenant_id, name) VALUES ('$TA', 'x')"
for t in vouchers mikrotik_devices customers payments; do
	t_fail "$t: tenant a cannot move its row to b" api "$TA" "UPDATE $t SET tenant_id = '$TB' WHERE id = '$(id a "${suffix[$t]}")'"
done
t_is "$(own "SELECT count(*) FROM vouchers WHERE tenant_id = '$TB'")" 1 "b still has exactly its one voucher"

# --- read-only and hidden tables ----------------------------------------------------------

t_fail "the API cannot rewrite sessions" api "$TA" "UPDATE radius_sessions SET input_octets = 0"
t_fail "the API cannot rewrite the audit log" api "$TA" "DELETE FROM audit_log"
t_fail "the API cannot read reservations" api "$TA" "SELECT 1 FROM reservations"
t_fail "the API cannot read periodic jobs" api "$TA" "SELECT 1 FROM periodic_jobs"

# --- resolving credentials before a tenant is known ------------------------------------------

t_is "$(hs_psql_as hs_api "$DB" -At -c "SELECT tenant_id || ',' || admin_id || ',' || array_to_string(abilities, ' ') FROM hs_api_token_resolve(encode(sha256('token-b'), 'hex'))")" \
	"$TB,$(id b 1),*" "an API token resolves to its tenant and admin"
t_is "$(own "SELECT last_used_at IS NOT NULL FROM api_tokens WHERE id = '$(id b 2)'")" t "resolving records last_used_at"
t_is "$(hs_psql_as hs_api "$DB" -At -c "SELECT count(*) FROM hs_api_token_resolve(encode(sha256('token-x'), 'hex'))")" 0 \
	"an unknown token resolves to nothing"
own "UPDATE api_tokens SET revoked_at = now() WHERE id = '$(id b 2)'" >/dev/null
t_is "$(hs_psql_as hs_api "$DB" -At -c "SELECT count(*) FROM hs_api_token_resolve(encode(sha256('token-b'), 'hex'))")" 0 \
	"a revoked token resolves to nothing"
t_is "$(hs_psql_as hs_api "$DB" -At -c "SELECT admin_id || ',' || password_hash FROM hs_admin_login_lookup('tenant-a', 'ADMIN@a.example')")" \
	"$(id a 1),!" "password login finds the admin by tenant slug and e-mail"
t_is "$(hs_psql_as hs_api "$DB" -At -c "SELECT count(*) FROM hs_admin_login_lookup('tenant-b', 'admin@a.example')")" 0 \
	"an admin is not found under another tenant's slug"

t_done
