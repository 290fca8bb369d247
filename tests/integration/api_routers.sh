#!/usr/bin/env bash
# hotspotd serve: /api/v1/router-management over real HTTP. Create,
# validate (422 per field), 409 for a taken address (whatever the tenant),
# read, partial update, delete; the list's search, status filter, sort and
# pages; tenant isolation by row-level security; injection attempts that do
# nothing; secrets that never appear in answers or the log.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_routers
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 APP_KEY=$("$H" gen-key)

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
R=$base/api/v1/router-management

b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }

PW=Api-Password-$(openssl rand -hex 6)
SEED=$(jq -nc --arg pw "$PW" '{name: "Main Office Router", ip_address: "192.168.1.1",
	api_port: 8728, username: "api-user", password: $pw,
	location: {region: "Central Region", district: "Kampala",
		   coordinates: {lat: 0.3476, lng: 32.5825}}}')

# --- create ----------------------------------------------------------------
t_is "$(as "$TA" POST "$R" -d "$SEED")" 201 "the seed's body creates a router (201)"
t_is "$(j .message)" "Router created successfully" "with the seed's message"
ID1=$(j .data.id)
SECRET1=$(j .data.radius_secret)
t_like "$ID1" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "data.id is a UUID"
t_like "$SECRET1" '^[A-Za-z0-9]{32}$' "a generated RADIUS secret is returned once"
t_is "$(j '[.data.name, .data.ip_address, .data.api_port, .data.status, .data.coa_port] | @tsv')" \
	"$(printf 'Main Office Router\t192.168.1.1\t8728\toffline\t3799')" "the fields are stored"
t_is "$(j '.data.location | [.region, .district, .coordinates.lat, .coordinates.lng] | @tsv')" \
	"$(printf 'Central Region\tKampala\t0.3476\t32.5825')" "the location and coordinates are stored"
t_is "$(j '[.data.has_password, (.data | has("password")), (.data | has("password_encrypted"))] | @tsv')" \
	"$(printf 'true\tfalse\tfalse')" "the answer says a password is set, never which"
t_is "$(owner "SELECT radius_secret FROM mikrotik_devices WHERE id = '$ID1'")" "$SECRET1" \
	"the returned secret is the stored one"
t_is "$(owner "SELECT length(password_encrypted) = length('$PW') + 33 AND position(convert_to('$PW', 'UTF8') IN password_encrypted) = 0 FROM mikrotik_devices WHERE id = '$ID1'")" \
	t "the password is stored sealed, not in clear"

SEALED=$(owner "SELECT password_encrypted FROM mikrotik_devices WHERE id = '$ID1'")
t_like "$SEALED" "^\\\\x02$(printf %s "$APP_KEY" | base64 -d | sha256sum | cut -c1-8)" \
	"sealed with the current format version (2) and APP_KEY's key id"
# open SEALED AD: the plaintext, by an AES-256-GCM independent of hotspotd.
open_sealed() {
	python3 - "$APP_KEY" "$1" "$2" <<'PY'
import base64, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key, sealed, ad = base64.b64decode(sys.argv[1]), bytes.fromhex(sys.argv[2][2:]), sys.argv[3]
print(AESGCM(key).decrypt(sealed[5:17], sealed[17:], sealed[:5] + ad.encode()).decode())
PY
}
t_is "$(open_sealed "$SEALED" "$ID1" 2>/dev/null)" "$PW" \
	"the sealed password opens with APP_KEY and the router's id"
t_fail "it does not open as another router's" open_sealed "$SEALED" 00000000-0000-4000-8000-000000000000

t_is "$(as "$TA" POST "$R" -d '{"name":"Given secret","ip_address":"10.0.0.2","radius_secret":"Shared-Secret-123","coa_port":1700,"api_ssl":true,"location":{"name":"Shop","colour":"red"}}')" \
	201 "a router with its own secret, CoA port and API-SSL"
ID2=$(j .data.id)
t_is "$(j '.data | has("radius_secret")')" false "a secret the caller chose is not echoed"
t_is "$(j '[.data.coa_port, .data.api_ssl, .data.has_password, .data.username] | @tsv')" \
	"$(printf '1700\ttrue\tfalse\t')" "coa_port and api_ssl are stored; no password"
t_is "$(j '.data.location | keys | join(",")')" name "unknown location members are dropped"
t_is "$(as "$TA" POST "$R" -d '{"name":"v6","ip_address":"2001:DB8::0:1"}')" 201 \
	"an IPv6 address is accepted"
ID3=$(j .data.id)
t_is "$(j .data.ip_address)" 2001:db8::1 "and stored in canonical form"

# --- conflicts ---------------------------------------------------------------
t_is "$(as "$TA" POST "$R" -d '{"name":"Again","ip_address":"192.168.1.1"}')" 409 \
	"the tenant's own address again is 409"
t_is "$(j .success)" false "409 uses the envelope"
t_is "$(as "$TB" POST "$R" -d '{"name":"Theirs","ip_address":"192.168.1.1"}')" 409 \
	"another tenant's address is 409"
t_fail "the 409 does not name the owner" grep -qi "ten-a\|Tenant A\|$ID1" "$b"

# --- validation ----------------------------------------------------------------
# bad BODY FIELD NAME: BODY is 422 with an error for FIELD.
bad() {
	local code
	code=$(as "$TA" POST "$R" --data-binary "$1")
	if [ "$code" = 422 ] && jq -e --arg f "$2" '.success == false and (.errors[$f] | length) > 0' "$b" >/dev/null; then
		t_is ok ok "$3"
	else
		t_is "$code $(head -c 300 "$b")" "422 with errors.$2" "$3"
	fi
}
long=$(head -c 201 /dev/zero | tr '\0' n)
bad '{"ip_address":"10.0.1.1"}' name "a missing name is 422"
bad '{"name":"x"}' ip_address "a missing address is 422"
bad '{"name":"x","ip_address":"999.1.1.1"}' ip_address "an invalid IPv4 address is 422"
bad '{"name":"x","ip_address":"10.0.0.0/24"}' ip_address "a network is not a router address"
bad '{"name":"x","ip_address":"router.example"}' ip_address "a host name is 422"
bad '{"name":"x","ip_address":42}' ip_address "a number as address is 422"
bad "{\"name\":\"$long\",\"ip_address\":\"10.0.1.1\"}" name "a name of 201 characters is 422"
bad '{"name":"","ip_address":"10.0.1.1"}' name "an empty name is 422"
bad '{"name":"a\u0007b","ip_address":"10.0.1.1"}' name "a control character in the name is 422"
bad '{"name":"x","ip_address":"10.0.1.1","api_port":70000}' api_port "api_port 70000 is 422"
bad '{"name":"x","ip_address":"10.0.1.1","api_port":0}' api_port "api_port 0 is 422"
bad '{"name":"x","ip_address":"10.0.1.1","api_port":"8728"}' api_port "a port as text is 422"
bad '{"name":"x","ip_address":"10.0.1.1","coa_port":-1}' coa_port "a negative coa_port is 422"
bad '{"name":"x","ip_address":"10.0.1.1","location":{"coordinates":{"lat":91,"lng":0}}}' \
	location.coordinates.lat "a latitude of 91 is 422"
bad '{"name":"x","ip_address":"10.0.1.1","location":{"coordinates":{"lat":0,"lng":-180.5}}}' \
	location.coordinates.lng "a longitude of -180.5 is 422"
bad '{"name":"x","ip_address":"10.0.1.1","location":{"coordinates":{"lat":"0"}}}' \
	location.coordinates.lat "a latitude as text is 422"
bad "{\"name\":\"x\",\"ip_address\":\"10.0.1.1\",\"location\":{\"district\":\"$long\"}}" \
	location.district "a district of 201 characters is 422"
bad '{"name":"x","ip_address":"10.0.1.1","location":"Kampala"}' location "a location as text is 422"
bad '{"name":"x","ip_address":"10.0.1.1","password":"secret"}' username \
	"a password without a username is 422"
bad "{\"name\":\"x\",\"ip_address\":\"10.0.1.1\",\"username\":\"u\",\"password\":\"$(head -c 257 /dev/zero | tr '\0' p)\"}" \
	password "a password of 257 bytes is 422"
bad '{"name":"x","ip_address":"10.0.1.1","radius_secret":"short"}' radius_secret \
	"a RADIUS secret of 5 characters is 422"
bad '{"name":"x","ip_address":"10.0.1.1","radius_secret":"with space 123"}' radius_secret \
	"a RADIUS secret with a space is 422"
bad "$(printf '{"name":"bad \xff\xfe","ip_address":"10.0.1.1"}')" body "broken UTF-8 is 422"
bad '{"name":"x\ud800","ip_address":"10.0.1.1"}' body "a lone surrogate escape is 422"
bad '{"name":"a\u0000b","ip_address":"10.0.1.1"}' body "a NUL escape is 422"
bad 'not json' body "a body that is not JSON is 422"
bad '[1,2]' body "a JSON array is 422"
bad '{"name":"x","name":"y","ip_address":"10.0.1.1"}' body "a duplicated member is 422"
t_is "$(as "$TA" POST "$R" -d '{"name":"","ip_address":"nope","api_port":0}')" 422 \
	"several mistakes at once are 422"
t_is "$(j '.errors | keys | join(",")')" api_port,ip_address,name "each field has its errors"
t_is "$(owner "SELECT count(*) FROM mikrotik_devices")" 3 "no invalid request stored a router"

# --- read ----------------------------------------------------------------------
t_is "$(as "$TA" GET "$R/$ID1")" 200 "GET /{id} is 200"
t_is "$(j '[.data.id, .data.name] | @tsv')" "$(printf '%s\tMain Office Router' "$ID1")" \
	"with the router"
t_is "$(as "$TA" GET "$R/00000000-0000-4000-8000-000000000000")" 404 "an unknown id is 404"
t_is "$(as "$TA" GET "$R/not-a-uuid")" 404 "an id that is not a UUID is 404"

# --- update ---------------------------------------------------------------------
t_is "$(as "$TA" PUT "$R/$ID1" -d '{"name":"Renamed","location":{"district":"Wakiso"}}')" 200 \
	"PUT changes the fields given"
t_is "$(j '[.data.name, .data.ip_address, .data.api_port, .data.location.district, .data.has_password] | @tsv')" \
	"$(printf 'Renamed\t192.168.1.1\t8728\tWakiso\ttrue')" "and leaves the others as they were"
t_is "$(owner "SELECT radius_secret FROM mikrotik_devices WHERE id = '$ID1'")" "$SECRET1" \
	"the RADIUS secret is kept"
t_is "$(as "$TA" PUT "$R/$ID1" -d '{"api_port":99999}')" 422 "PUT validates (422)"
t_is "$(as "$TA" PUT "$R/$ID1" -d '{"ip_address":"10.0.0.2"}')" 409 \
	"PUT to an address in use is 409"
t_is "$(as "$TA" PUT "$R/$ID2" -d '{"password":"new-pass-1"}')" 422 \
	"a password for a router without a username is 422"
PW2=Second-$(openssl rand -hex 6)
t_is "$(as "$TA" PUT "$R/$ID2" -d "{\"username\":\"api\",\"password\":\"$PW2\",\"radius_secret\":\"New-Secret-456\"}")" \
	200 "PUT sets credentials and a new secret"
t_is "$(j '[.data.has_password, .data.username, (.data | has("radius_secret"))] | @tsv')" \
	"$(printf 'true\tapi\tfalse')" "without showing them"
t_is "$(owner "SELECT radius_secret FROM mikrotik_devices WHERE id = '$ID2'")" New-Secret-456 \
	"the new secret is stored"
t_is "$(as "$TA" PUT "$R/00000000-0000-4000-8000-000000000000" -d '{"name":"x"}')" 404 \
	"PUT to an unknown id is 404"

# --- tenant isolation ------------------------------------------------------------
t_is "$(as "$TB" POST "$R" -d '{"name":"B router","ip_address":"172.16.0.1"}')" 201 \
	"tenant B creates its own router"
IDB=$(j .data.id)
t_is "$(as "$TB" GET "$R/$ID1")" 404 "B cannot read A's router by id"
t_is "$(as "$TB" PUT "$R/$ID1" -d '{"name":"taken over"}')" 404 "B cannot update A's router"
t_is "$(as "$TB" DELETE "$R/$ID1")" 404 "B cannot delete A's router"
t_is "$(owner "SELECT name FROM mikrotik_devices WHERE id = '$ID1'")" Renamed \
	"A's router is untouched"
t_is "$(as "$TB" GET "$R")" 200 "B lists routers"
t_is "$(j '[.meta.total, .data[0].id] | @tsv')" "$(printf '1\t%s' "$IDB")" "and sees only its own"
t_is "$(as "$TA" GET "$R/$IDB")" 404 "A cannot read B's router either"

# --- list --------------------------------------------------------------------------
for i in 1 2 3; do
	as "$TA" POST "$R" -d "{\"name\":\"Branch $i\",\"ip_address\":\"10.1.0.$i\",\"location\":{\"district\":\"Gulu\"}}" >/dev/null
done
owner "UPDATE mikrotik_devices SET status = 'online' WHERE ip_address = '10.1.0.2'" >/dev/null
t_is "$(as "$TA" GET "$R")" 200 "GET lists A's routers"
t_is "$(j '[.success, .meta.current_page, .meta.per_page, .meta.total, .meta.last_page, (.data | length)] | @tsv')" \
	"$(printf 'true\t1\t15\t6\t1\t6')" "with meta {current_page, per_page, total, last_page}"
t_is "$(j '[.data[] | select(has("radius_secret") or has("password") or has("password_encrypted"))] | length')" \
	0 "no secret in the list"
t_fail "no secret anywhere in the list" grep -qF -e "$SECRET1" -e Shared-Secret-123 -e "$PW" "$b"
t_is "$(as "$TA" GET "$R?per_page=2&page=3&sort_by=name&sort_order=asc")" 200 "a page of a sorted list"
t_is "$(j '[.meta.current_page, .meta.per_page, .meta.total, .meta.last_page, (.data | map(.name) | join(","))] | @tsv')" \
	"$(printf '3\t2\t6\t3\tRenamed,v6')" "holds the right rows"
t_is "$(as "$TA" GET "$R?per_page=2&page=9")" 200 "a page past the end is 200"
t_is "$(j '[.meta.total, (.data | length)] | @tsv')" "$(printf '6\t0')" "and empty, with the total"
as "$TA" GET "$R?sort_by=name&sort_order=desc" >/dev/null
t_is "$(j '.data | map(.name) | join(",")')" "v6,Renamed,Given secret,Branch 3,Branch 2,Branch 1" \
	"sort_by=name desc"
as "$TA" GET "$R?sort_by=ip_address&sort_order=asc" >/dev/null
t_is "$(j '.data | map(.ip_address) | join(",")')" \
	"10.0.0.2,10.1.0.1,10.1.0.2,10.1.0.3,192.168.1.1,2001:db8::1" "sort_by=ip_address asc"
as "$TA" GET "$R?sort_by=status&sort_order=desc" >/dev/null
t_is "$(j '.data[0].status')" online "sort_by=status desc"
as "$TA" GET "$R?sort_by=created_at&sort_order=asc" >/dev/null
t_is "$(j '.data[0].id')" "$ID1" "sort_by=created_at asc"
as "$TA" GET "$R?status=online" >/dev/null
t_is "$(j '[.meta.total, .data[0].ip_address] | @tsv')" "$(printf '1\t10.1.0.2')" "status=online"
as "$TA" GET "$R?search=branch" >/dev/null
t_is "$(j .meta.total)" 3 "search by name, any letter case"
as "$TA" GET "$R?search=192.168" >/dev/null
t_is "$(j '.data | map(.id) | join(",")')" "$ID1" "search by IP address"
as "$TA" GET "$R?search=Wakiso" >/dev/null
t_is "$(j '.data | map(.id) | join(",")')" "$ID1" "search by location"
as "$TA" GET "$R?search=district" >/dev/null
t_is "$(j .meta.total)" 0 "search looks at the location's texts, not its member names"
as "$TA" GET "$R?search=gulu&status=offline&per_page=1" >/dev/null
t_is "$(j '[.meta.total, .meta.last_page] | @tsv')" "$(printf '2\t2')" "search, status and per_page together"

# lbad QUERY FIELD NAME: the list with QUERY is 422 with an error for FIELD.
lbad() {
	local code
	code=$(as "$TA" GET "$R?$1")
	if [ "$code" = 422 ] && jq -e --arg f "$2" '(.errors[$f] | length) > 0' "$b" >/dev/null; then
		t_is ok ok "$3"
	else
		t_is "$code $(head -c 300 "$b")" "422 with errors.$2" "$3"
	fi
}
lbad per_page=101 per_page "per_page 101 is 422"
lbad per_page=0 per_page "per_page 0 is 422"
lbad page=abc page "a page that is not a number is 422"
lbad page=-1 page "a negative page is 422"
lbad sort_by=uptime_seconds sort_by "sort_by outside the list is 422"
lbad 'sort_by=name%3BDROP%20TABLE%20mikrotik_devices' sort_by "sort_by with SQL is 422"
lbad 'sort_by=name&sort_order=sideways' sort_order "sort_order other than asc/desc is 422"
lbad status=broken status "an unknown status is 422"
lbad 'search=%FF%FE' search "a search in broken UTF-8 is 422"
lbad "search=$(head -c 101 /dev/zero | tr '\0' s)" search "a search of 101 characters is 422"

t_is "$(as "$TA" GET "$R?search=%27%20OR%201%3D1%20--")" 200 "a quote in search is just text"
t_is "$(j .meta.total)" 0 "and matches nothing"
t_is "$(as "$TA" GET "$R?search=%25")" 200 "% in search"
t_is "$(j .meta.total)" 0 "is a literal percent sign, not a wildcard"
t_is "$(as "$TA" GET "$R?search=_")" 200 "_ in search"
t_is "$(j .meta.total)" 0 "is a literal underscore"
t_is "$(owner "SELECT count(*) FROM mikrotik_devices")" 7 "the table is intact"

# --- delete ---------------------------------------------------------------------------
t_is "$(as "$TA" DELETE "$R/$ID3")" 200 "DELETE is 200"
t_is "$(j '[.success, .message] | @tsv')" "$(printf 'true\tRouter deleted successfully')" \
	"with the envelope"
t_is "$(as "$TA" GET "$R/$ID3")" 404 "the router is gone"
t_is "$(as "$TA" DELETE "$R/$ID3")" 404 "deleting it again is 404"

# --- fuzz -------------------------------------------------------------------------------
# Mutated create and update bodies (types swapped, bytes flipped, cut short,
# deep nesting, huge numbers): each answer is a 2xx, 404, 409 or 422, never
# a 500, and the server keeps answering.
fuzz() {
	python3 - "$R" "$TA" "$ID2" <<'PY'
import json, random, sys, urllib.request, urllib.error
url, token, rid = sys.argv[1], sys.argv[2], sys.argv[3]
rnd = random.Random(5)
base = {"name": "Fuzz", "ip_address": "10.9.0.1", "api_port": 8728, "username": "u",
        "password": "p", "radius_secret": "Fuzz-Secret-1", "coa_port": 3799, "api_ssl": False,
        "location": {"region": "R", "district": "D", "coordinates": {"lat": 1.5, "lng": 2.5}}}
values = [None, True, 0, -1, 2**63, 1e308, -1e-308, "", "x" * 5000, "\u00e9\u2603", [], {},
          [1, [2, [3]]], {"lat": "a"}, "10.0.0.1/8", "::ffff:1.2.3.4", "1" * 70]
bad = {}
for i in range(300):
    body = json.loads(json.dumps(base))
    body["ip_address"] = "10.9.%d.%d" % (i // 250, i % 250 + 1)
    for _ in range(rnd.randint(1, 3)):
        keys = list(body) + ["location"]
        k = rnd.choice(keys)
        if k == "location" and isinstance(body.get("location"), dict) and rnd.random() < .5:
            body["location"][rnd.choice(["region", "coordinates", "x"])] = rnd.choice(values)
        else:
            body[k] = rnd.choice(values)
    raw = json.dumps(body).encode()
    r = rnd.random()
    if r < .2:
        raw = raw[: rnd.randint(0, len(raw))]
    elif r < .35:
        b = bytearray(raw); b[rnd.randrange(len(b))] = rnd.randrange(256); raw = bytes(b)
    elif r < .4:
        raw = b"[" * 5000 + b"]" * 5000
    method, target = ("PUT", url + "/" + rid) if i % 3 == 0 else ("POST", url)
    req = urllib.request.Request(target, data=raw, method=method,
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"})
    try:
        code = urllib.request.urlopen(req, timeout=10).status
    except urllib.error.HTTPError as e:
        code = e.code
    if code not in (200, 201, 404, 409, 422):
        bad[code] = bad.get(code, 0) + 1
print(bad if bad else "ok")
PY
}
t_is "$(fuzz 2>&1 | tail -n 1)" ok "300 mutated bodies: no 500, no crash"
t_ok "the server still answers" hs_running serve
t_is "$(as "$TA" GET "$R/$ID1")" 200 "and serves the routers afterwards"
t_is "$(as "$TA" DELETE "$R/$ID1%00zzz")" 404 "an encoded NUL in the path matches no route (not the id before it)"
t_is "$(as "$TA" GET "$R/$ID1")" 200 "  and the router is still there"
t_is "$(as "$TA" GET "$R/$ID1%2500")" 404 "  %2500 decodes to the text %00, which is no id either"
owner "DELETE FROM mikrotik_devices WHERE ip_address << '10.9.0.0/16'" >/dev/null

# --- audit log ------------------------------------------------------------------------
t_is "$(owner "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE object_id = '$ID1'")" \
	router.create,router.update "A's create and update of a router are in the audit log"
t_is "$(owner "SELECT details->'fields' FROM audit_log WHERE object_id = '$ID2' AND action = 'router.update' ORDER BY id LIMIT 1")" \
	'["username", "password", "radius_secret"]' "with the names of the members changed"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE object_id = '$ID3' AND action = 'router.delete' AND ip = '127.0.0.1' AND admin_id = (SELECT admin_id FROM api_tokens WHERE token_hash = '$(api_sha "$TA")')")" \
	1 "a delete is recorded with the admin and the client's address"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE object_id = '$ID1' AND tenant_id <> (SELECT tenant_id FROM mikrotik_devices WHERE id = '$ID1')")" \
	0 "refused attempts of another tenant leave no audit row on A"
t_fail "no secret in the audit log" grep -qF -e "$PW" -e "$PW2" -e "$SECRET1" -e New-Secret-456 \
	<(owner "SELECT details::text FROM audit_log")

# --- without APP_KEY ---------------------------------------------------------------
APP_KEY= t_ok "a second instance without APP_KEY answers" serve_on nokey
R2=http://127.0.0.1:$SERVE_PORT/api/v1/router-management
t_is "$(as "$TA" POST "$R2" -d '{"name":"k","ip_address":"10.2.0.1","username":"u","password":"pw-12345"}')" \
	503 "a password without APP_KEY is 503"
t_is "$(j .message)" "APP_KEY is not configured" "which says why"
t_is "$(as "$TA" POST "$R2" -d '{"name":"k","ip_address":"10.2.0.1"}')" 201 \
	"a router without a password needs no APP_KEY"
hs_kill nokey

# --- secrets in the log ---------------------------------------------------------------
t_fail "no password, secret or token in the log" grep -qF -e "$PW" -e "$PW2" -e "$SECRET1" \
	-e Shared-Secret-123 -e New-Secret-456 -e "$TA" -e "$TB" "$HS_SUITE_DIR/serve.log" \
	"$HS_SUITE_DIR/nokey.log"
hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
