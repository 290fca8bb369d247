#!/usr/bin/env bash
# hotspotd serve: POST /api/v1/router-management/import over real HTTP.
# The seed's CSV as text/csv and as JSON {csv}; RFC 4180 quoting (commas,
# doubled quotes, line breaks in fields, CRLF, a byte order mark); per-row
# results where a bad row (address, port, duplicate, outside
# ROUTER_ALLOWED_NETWORKS, field count) does not stop the others; files
# refused whole (broken quoting, unknown columns, over
# ROUTER_IMPORT_MAX_ROWS); tenant isolation; secrets sealed, never logged.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_router_import
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
# The default ROUTER_ALLOWED_NETWORKS (private ranges): the seed's addresses are in them.
unset ROUTER_ALLOWED_NETWORKS
export WORKER_THREADS=1 APP_KEY=$("$H" gen-key) ROUTER_IMPORT_MAX_ROWS=9

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }

t_ok "serve answers HTTP" serve_on serve
R=http://127.0.0.1:$SERVE_PORT/api/v1/router-management
I=$R/import
csv() { # csv TOKEN FILE: POST the file as text/csv; the status, the body in $b
	curl -s -o "$b" -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $1" \
		-H 'Content-Type: text/csv; charset=utf-8' --data-binary "@$2" "$I"
}

# --- the seed's file ------------------------------------------------------------------
cat >"$HS_SUITE_DIR/seed.csv" <<'CSV'
name,ip_address,api_port,username,password,region,district,lat,lng
"Router 1","192.168.1.1",8728,"admin","password123","Central","Kampala",0.3476,32.5825
"Router 2","192.168.2.1",8728,"admin","password123","Western","Mbarara",-0.6067,30.6583
CSV
t_is "$(csv "$TA" "$HS_SUITE_DIR/seed.csv")" 200 "the seed's CSV as text/csv: 200"
t_is "$(j .message)" "Import finished: 2 created, 0 failed" "two created"
t_is "$(j '[.data.total, .data.created, .data.failed] | @tsv')" "$(printf '2\t2\t0')" "with the counts"
t_is "$(j '[.data.rows[] | "\(.row) \(.line) \(.status) \(.name)"] | join(",")')" \
	"1 2 created Router 1,2 3 created Router 2" "each row with its number, line and status"
t_like "$(j '[.data.rows[].radius_secret] | join(",")')" '^[A-Za-z0-9]{32},[A-Za-z0-9]{32}$' \
	"the generated RADIUS secrets, shown this once"
RID=$(j .data.rows[0].id)
t_is "$(as "$TA" GET "$R/$RID")" 200 "the imported router exists"
t_is "$(j '[.data.name, .data.ip_address, .data.api_port, .data.username, .data.has_password, .data.location.region, .data.location.district, .data.location.coordinates.lat, .data.location.coordinates.lng] | @tsv')" \
	"$(printf 'Router 1\t192.168.1.1\t8728\tadmin\ttrue\tCentral\tKampala\t0.3476\t32.5825')" \
	"with every column of the seed's file"
t_is "$(owner "SELECT position(convert_to('password123', 'UTF8') IN password_encrypted) FROM mikrotik_devices WHERE id = '$RID'")" 0 \
	"its password is sealed"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'router.create' AND object_id IN (SELECT id::text FROM mikrotik_devices)")" 2 \
	"each created router is in the audit log"

# --- JSON, quoting, line ends -------------------------------------------------------------
t_is "$(as "$TA" POST "$I" -d "$(jq -nc '{csv: "name,ip_address\n\"Via JSON\",10.0.0.9\n"}')")" 200 \
	"the same as JSON {csv}: 200"
t_is "$(j '[.data.created, .data.rows[0].name] | @tsv')" "$(printf '1\tVia JSON')" "created"

printf '\xef\xbb\xbfIP_Address,Name,Region,District\r\n10.1.0.1,"Shop, Main Street","Central","A ""quoted"" district"\r\n\r\n10.1.0.2,"Two\r\nlines",,\r\n10.1.0.3,Plain name,,\r\n' \
	>"$HS_SUITE_DIR/quoted.csv"
t_is "$(csv "$TA" "$HS_SUITE_DIR/quoted.csv")" 200 "quoted fields, CRLF, a BOM, a blank line, columns in another order"
t_is "$(j '[.data.rows[] | "\(.row):\(.line):\(.status)"] | join(",")')" "1:2:created,2:4:error,3:6:created" \
	"rows numbered by record, lines counting the blank line and the line break inside a field"
t_is "$(as "$TA" GET "$R/$(j .data.rows[0].id)" >/dev/null; j '[.data.name, .data.location.district] | @tsv')" \
	"$(printf 'Shop, Main Street\tA "quoted" district')" "a comma and doubled quotes inside quotes are kept"
csv "$TA" "$HS_SUITE_DIR/quoted.csv" >/dev/null
t_is "$(j '.data.rows[1].errors | keys | join(",")')" name "the line break reached the name, which refuses it"

# --- bad rows do not stop the others -------------------------------------------------------
cat >"$HS_SUITE_DIR/mixed.csv" <<'CSV'
name,ip_address,api_port,username,password,lat,lng
Good one,10.2.0.1,8728,api,secret-1,,
Bad address,10.2.0.999,8728,api,secret-2,,
Public address,8.8.8.8,8728,api,secret-3,,
,10.2.0.4,8728,,,,
Bad port,10.2.0.5,port,api,secret-5,,
Taken,192.168.1.1,8728,,,,
Too few,10.2.0.7
Bad coordinates,10.2.0.8,,,,91,x
Good two,10.2.0.9,8729,,,,
CSV
t_is "$(csv "$TA" "$HS_SUITE_DIR/mixed.csv")" 200 "a file with good and bad rows: 200"
t_is "$(j .message)" "Import finished: 2 created, 7 failed" "the good rows are created, the bad ones reported"
t_is "$(j '[.data.rows[] | .status] | join(",")')" "created,error,error,error,error,error,error,error,created" \
	"row by row, in order"
t_is "$(j '.data.rows[1].errors | keys | join(",")')" ip_address "a bad address names ip_address"
t_is "$(j '.data.rows[2].errors.ip_address[0]')" \
	"is outside the networks routers may be in (ROUTER_ALLOWED_NETWORKS)" \
	"an address outside ROUTER_ALLOWED_NETWORKS is refused"
t_is "$(j '.data.rows[3].errors | keys | join(",")')" name "a missing name"
t_is "$(j '.data.rows[4].errors.api_port[0]')" "must be an integer from 1 to 65535" "a port that is not a number"
t_is "$(j '.data.rows[5].message')" "a router with this IP address already exists" "a taken address"
t_is "$(j '.data.rows[6].message')" "the row has 2 fields, the header 7" "a row with too few fields"
t_is "$(j '.data.rows[7].errors | keys | join(",")')" "location.coordinates.lat,location.coordinates.lng" \
	"coordinates out of range or not numbers"
t_is "$(owner "SELECT string_agg(name, ',' ORDER BY name) FROM mikrotik_devices WHERE host(ip_address) LIKE '10.2.0.%'")" \
	"Good one,Good two" "only the good rows are stored"
t_is "$(owner "SELECT count(*) FROM mikrotik_devices WHERE ip_address = '8.8.8.8'")" 0 "nothing outside the allowed networks"

# --- files refused whole ------------------------------------------------------------------------
refused() { # refused NAME BODY WANT: the file BODY is refused with errors.csv WANT
	printf '%b' "$2" >"$HS_SUITE_DIR/bad.csv"
	local before after code
	before=$(owner "SELECT count(*) FROM mikrotik_devices")
	code=$(csv "$TA" "$HS_SUITE_DIR/bad.csv")
	after=$(owner "SELECT count(*) FROM mikrotik_devices")
	t_is "$code $(j '.errors.csv[0]') $((after - before))" "422 $3 0" "$1: 422, nothing created"
}
refused "a quote never closed" 'name,ip_address\nA,10.3.0.1\n"B,10.3.0.2\n' \
	"line 3: a quoted field is never closed"
refused "text after a closing quote" 'name,ip_address\n"A"x,10.3.0.1\n' \
	"line 2: text after the closing quote of a field"
refused "a quote inside an unquoted field" 'name,ip_address\nA"B,10.3.0.1\n' \
	"line 2: a quote inside a field that does not start with one"
refused "an unknown column" 'name,ip_address,colour\nA,10.3.0.1,red\n' \
	'header: unknown column "colour"'
# 40 two-byte characters: the message keeps 32 whole ones (64 bytes), never half of one.
long=$(printf 'é%.0s' $(seq 1 40))
refused "an unknown column with a long non-ASCII name" "name,ip_address,$long\nA,10.3.0.1,red\n" \
	"header: unknown column \"$(printf 'é%.0s' $(seq 1 32))\""
refused "a repeated column" 'name,ip_address,Name\nA,10.3.0.1,B\n' \
	'header: repeated column "Name"'
refused "no ip_address column" 'name,username\nA,api\n' \
	"header: the columns name and ip_address are required"
refused "bytes that are not UTF-8" 'name,ip_address\n\xff\xfe,10.3.0.1\n' "is not UTF-8 text"
refused "a header only" 'name,ip_address\n' "has a header but no rows"
refused "nothing" '\n\n' "is empty: a header and at least one row are needed"
rows() { printf 'name,ip_address\\n'; for i in $(seq 1 "$1"); do printf 'r%d,10.3.0.%d\\n' "$i" "$i"; done; }
refused "ten rows over ROUTER_IMPORT_MAX_ROWS=9" "$(rows 10)" \
	"more than 9 rows (ROUTER_IMPORT_MAX_ROWS)"
refused "a field over 1024 bytes" "name,ip_address\n$(head -c 1100 /dev/zero | tr '\0' a),10.3.0.1\n" \
	"line 2: a field is longer than 1024 bytes"
printf '%b' "$(rows 9)" >"$HS_SUITE_DIR/nine.csv"
t_is "$(csv "$TA" "$HS_SUITE_DIR/nine.csv")" 200 "exactly ROUTER_IMPORT_MAX_ROWS rows: 200"
t_is "$(j .data.created)" 9 "all created"
t_is "$(as "$TA" POST "$I" -d '{"file":"x"}')" 422 "JSON without csv: 422"
t_is "$(j '.errors.csv[0]')" "is required: the CSV file as text" "names csv"
t_is "$(as "$TA" POST "$I" -d 'name,ip_address')" 422 "CSV sent as JSON: 422"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/csv' \
	--data-binary "@$HS_SUITE_DIR/seed.csv" "$I")" 401 "without a token: 401"

# --- tenants ---------------------------------------------------------------------------
printf 'name,ip_address\nMine,10.4.0.1\nTheirs,192.168.2.1\n' >"$HS_SUITE_DIR/b.csv"
t_is "$(csv "$TB" "$HS_SUITE_DIR/b.csv")" 200 "tenant B imports"
t_is "$(j '[.data.rows[] | "\(.status) \(.message // "")"] | join(",")')" \
	"created ,error a router with this IP address already exists" \
	"an address A has is taken for B too"
t_is "$(owner "SELECT t.slug FROM mikrotik_devices d JOIN tenants t ON t.id = d.tenant_id WHERE d.ip_address = '10.4.0.1'")" \
	ten-b "B's router is B's"
t_is "$(as "$TA" GET "$R?search=Mine")" 200 "A searches for it"
t_is "$(j '.meta.total')" 0 "and does not see it"
t_is "$(owner "SELECT name FROM mikrotik_devices WHERE ip_address = '192.168.2.1'")" "Router 2" "A's router is untouched"

t_fail "no password, secret or token in the log" grep -qF -e password123 -e secret-1 -e "$TA" -e "$TB" \
	"$HS_SUITE_DIR/serve.log"
hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
