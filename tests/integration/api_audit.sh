#!/usr/bin/env bash
# hotspotd serve: GET /api/v1/audit-logs over real HTTP. Newest first, in
# pages; filters action, object_type, admin_id, from and to; 422 for bad
# filters; audit.read needed; each tenant reads only its own records.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_audit
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 API_RATE_LIMIT=0

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
ADM_A=$(owner "SELECT id FROM admins WHERE email = 'ten-a@example.org'")
ADM_B=$(owner "SELECT id FROM admins WHERE email = 'ten-b@example.org'")

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
AU=$base/api/v1/audit-logs
R=$base/api/v1/router-management
b=$HS_SUITE_DIR/body.json

# Records made through the API: three routers in A (one changed, one
# deleted), one in B, and a token in A.
for i in 1 2 3; do as "$TA" POST "$R" -d "{\"name\":\"a$i\",\"ip_address\":\"10.1.0.$i\"}" >/dev/null; done
RID=$(j .data.id)
as "$TA" PUT "$R/$RID" -d '{"name":"a3-renamed"}' >/dev/null
as "$TA" DELETE "$R/$RID" >/dev/null
as "$TB" POST "$R" -d '{"name":"b1","ip_address":"10.2.0.1"}' >/dev/null
as "$TA" POST "$base/api/v1/auth/tokens" -d '{"name":"reader","abilities":["routers.read"]}' >/dev/null
T_NOAUDIT=$(j .data.token)
TOKEN_ID=$(j .data.id)
# A record of another admin of A, from long ago (as the owner writes it).
owner "INSERT INTO admins (tenant_id, email, password_hash) SELECT tenant_id, 'old@example.org', '!' FROM admins WHERE id = '$ADM_A'" >/dev/null
ADM_OLD=$(owner "SELECT id FROM admins WHERE email = 'old@example.org'")
owner "INSERT INTO audit_log (tenant_id, admin_id, action, object_type, object_id, created_at)
	SELECT tenant_id, id, 'router.create', 'router', 'gone', '2025-01-15T10:00:00Z' FROM admins WHERE id = '$ADM_OLD'" >/dev/null

# --- the list ------------------------------------------------------------------------
t_is "$(as "$TA" GET "$AU")" 200 "GET /audit-logs"
t_is "$(j '.meta | [.current_page, .per_page, .total, .last_page] | @tsv')" "$(printf '1\t15\t7\t1')" \
	"meta of the tenant's 7 records"
t_is "$(j '[.data[].action] | join(",")')" \
	"token.create,router.delete,router.update,router.create,router.create,router.create,router.create" \
	"newest first"
t_is "$(j '.data[0] | [.object_type, .object_id, .admin_id, .ip] | @tsv')" \
	"$(printf 'token\t%s\t%s\t127.0.0.1' "$TOKEN_ID" "$ADM_A")" "each with object, admin and address"
t_is "$(j '[.data[] | select(.action == "router.update") | .details.fields[]] | join(",")')" name \
	"details as JSON"
t_is "$(j '.data[0] | keys | join(",")')" "action,admin_id,created_at,details,id,ip,object_id,object_type" \
	"the members of a record"
t_is "$(as "$TB" GET "$AU")" 200 "tenant B's list"
t_is "$(j '[.meta.total, (.data | map(.object_id) | length)] | @tsv')" "$(printf '1\t1')" \
	"has only its own record"
t_is "$(j '.data[0].admin_id')" "$ADM_B" "by its own admin"

# --- pages -------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$AU?per_page=3&page=2")" 200 "page 2 of 3 per page"
t_is "$(j '[.meta.current_page, .meta.last_page, (.data | length), .data[0].action] | @tsv')" \
	"$(printf '2\t3\t3\trouter.create')" "the middle page"
t_is "$(as "$TA" GET "$AU?per_page=3&page=9")" 200 "a page past the end"
t_is "$(j '.data | length')" 0 "is empty"

# --- filters -------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$AU?action=router.create")" 200 "filter by action"
t_is "$(j '.meta.total')" 4 "four router.create"
t_is "$(as "$TA" GET "$AU?object_type=token")" 200 "filter by object_type"
t_is "$(j '[.data[].action] | join(",")')" token.create "the token's record"
t_is "$(as "$TA" GET "$AU?admin_id=$ADM_OLD")" 200 "filter by admin_id"
t_is "$(j '[.meta.total, .data[0].object_id] | @tsv')" "$(printf '1\tgone')" "the other admin's record"
t_is "$(as "$TA" GET "$AU?to=2025-02-01")" 200 "filter by to (a date)"
t_is "$(j '.meta.total')" 1 "only the old record is before it"
t_is "$(as "$TA" GET "$AU?from=2025-02-01T00:00:00Z")" 200 "filter by from (a time)"
t_is "$(j '.meta.total')" 6 "the six recent records"
t_is "$(as "$TA" GET "$AU?from=2025-01-15T09:00:00%2B00:00&to=2025-01-15T11:00:00Z&action=router.create")" 200 \
	"from, to and action together"
t_is "$(j '.meta.total')" 1 "match the old record"
t_is "$(as "$TA" GET "$AU?action=router.create&object_type=token")" 200 "filters that exclude each other"
t_is "$(j '.meta.total')" 0 "match nothing"
t_is "$(as "$TA" GET "$AU?admin_id=$ADM_B")" 200 "tenant B's admin id from tenant A"
t_is "$(j '.meta.total')" 0 "matches nothing (RLS)"
t_is "$(as "$TA" GET "$AU?action=%27%20OR%201%3D1%20--")" 200 "an injection attempt in action"
t_is "$(j '.meta.total')" 0 "is just an action that matches nothing"

# --- refusals ---------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$AU?admin_id=nope")" 422 "an admin_id that is not a UUID is 422"
t_is "$(j '.errors | keys | join(",")')" admin_id "naming admin_id"
t_is "$(as "$TA" GET "$AU?from=yesterday")" 422 "from that is not a date is 422"
t_is "$(as "$TA" GET "$AU?to=2025-13-45")" 422 "a date that does not exist is 422"
t_is "$(j '.errors | keys | join(",")')" to "naming to"
t_is "$(as "$TA" GET "$AU?per_page=101")" 422 "per_page over 100 is 422"
t_is "$(as "$TA" GET "$AU?page=0")" 422 "page 0 is 422"
t_is "$(as "$TA" GET "$AU?action=$(printf 'x%.0s' $(seq 1 101))")" 422 "an action over 100 characters is 422"
# Broken UTF-8 used to reach PostgreSQL, whose data error came back as a 422 with no field named.
t_is "$(as "$TA" GET "$AU?object_type=%C0%AF")" 422 "an object_type that is not UTF-8 is 422"
t_is "$(j '.errors | keys | join(",")')" object_type "naming object_type"
t_is "$(as "$TA" GET "$AU?action=a%FFb&from=2025-01-01")" 422 "an action that is not UTF-8, with from, is 422"
t_is "$(j '.errors | keys | join(",")')" action "naming action, not from"
t_is "$(as "$T_NOAUDIT" GET "$AU")" 403 "a token without audit.read is 403"
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$AU")" 401 "no token is 401"
t_is "$(as "$TA" POST "$AU" -d '{}')" 405 "the log cannot be written through the API (405)"
t_is "$(hs_psql_as hs_api $DB -At -c "BEGIN; SET LOCAL hotspot.tenant_id = '$(owner "SELECT tenant_id FROM admins WHERE id = '$ADM_A'")'; UPDATE audit_log SET action = 'x'; COMMIT;" 2>&1 | grep -c 'permission denied')" \
	1 "nor changed by the API role"

hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
