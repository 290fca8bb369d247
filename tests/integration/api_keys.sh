#!/usr/bin/env bash
# The application key and its rotation, over real HTTP against RouterOS
# simulators on loopback: passwords stored through the API under key A
# (version 2, A's key id); hotspotd restarted with key B current and A
# previous still opens them (test-connection, statistics); a version 1
# value opens too; hotspotd router rekey (--dry-run, --help, the counts)
# re-seals them all under B (the key id in SQL); without A they still open;
# a value under a key no setting holds answers 409 naming the cause and
# makes rekey exit 1 naming the router; APP_KEY_FILE refused at start-up
# when open to others or set with APP_KEY, used when private; and no key
# or password in any log or output.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
SIM=$HS_BUILD/ros-sim
DB=hs_api_keys
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 ROUTER_MONITOR_INTERVAL=0 ROUTER_STATS_CACHE=0
export ROUTER_ALLOWED_NETWORKS=127.0.0.0/8 ROUTER_API_TIMEOUT=2 ROUTER_OP_TIMEOUT=20
unset APP_KEY APP_KEY_FILE APP_KEY_PREVIOUS

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
b=$HS_SUITE_DIR/body.json
out=$HS_SUITE_DIR/out.txt
: >"$out"
# rekey ARGS: hotspotd router rekey's output (stdout and stderr), also kept in $out.
rekey() {
	local rc=0
	"$H" router rekey "$@" >"$HS_SUITE_DIR/rekey.out" 2>&1 || rc=$?
	cat "$HS_SUITE_DIR/rekey.out" | tee -a "$out"
	return $rc
}
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }

KA=$("$H" gen-key) KB=$("$H" gen-key) KC=$("$H" gen-key)
# key_id KEY: the first 4 bytes of the SHA-256 of the raw key, in hex.
key_id() { printf '%s' "$1" | base64 -d | sha256sum | cut -c1-8; }
# stored ID: "version key-id" of the router's stored password (bytes 1 and 2-5).
stored() {
	owner "SELECT get_byte(password_encrypted, 0) || ' ' || encode(substring(password_encrypted FROM 2 FOR 4), 'hex') FROM mikrotik_devices WHERE id = '$1'"
}
t_like "$(key_id "$KA") $(key_id "$KB") $(key_id "$KC")" '^[0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8}$' \
	"three keys, each with its id"

# --- the simulators ---------------------------------------------------------------------
ROS_PW="ros-pw-$RANDOM$RANDOM"
declare -A API=()
sim() { # sim N: a simulator on 127.0.0.N
	API[$1]=$(hs_free_port) || return 1
	hs_spawn "ros$1" "$SIM" --host "127.0.0.$1" --port "${API[$1]}" --user admin \
		--password "$ROS_PW" --identity "sim-$1"
	hs_wait_tcp "${API[$1]}" 5
}
for n in 1 2 3 4; do t_ok "router $n listens" sim $n; done

# --- key A: passwords stored through the API ----------------------------------------------
APP_KEY=$KA serve_on serveA || { echo "Bail out! serve did not start"; exit 1; }
R=http://127.0.0.1:$SERVE_PORT/api/v1/router-management
create() { # create TOKEN N NAME: the new router's id
	as "$1" POST "$R" -d "$(jq -nc --arg ip "127.0.0.$2" --argjson port "${API[$2]}" \
		--arg pw "$ROS_PW" --arg name "$3" \
		'{name: $name, ip_address: $ip, api_port: $port, username: "admin", password: $pw}')" \
		>/dev/null && j .data.id
}
ID1=$(create "$TA" 1 "Router one")
ID2=$(create "$TA" 2 "Router two")
ID3=$(create "$TB" 3 "B's router")
t_like "$ID1 $ID2 $ID3" '^([0-9a-f-]{36} ){2}[0-9a-f-]{36}$' "three routers created with passwords"
t_is "$(stored "$ID1"),$(stored "$ID2"),$(stored "$ID3")" \
	"2 $(key_id "$KA"),2 $(key_id "$KA"),2 $(key_id "$KA")" \
	"each password stored in version 2 under A's key id"
t_is "$(as "$TA" GET "$R/$ID1")" 200 "a router is read back"
t_is "$(j '.data | [has("password"), has("password_encrypted")] | @tsv')" "$(printf 'false\tfalse')" \
	"without its password, sealed or not"
t_is "$(as "$TA" POST "$R/$ID1/test-connection")" 200 "test-connection under key A: 200"
hs_kill serveA

# A version 1 value (no key id) for router 2, made as hotspotd made them before.
V1=$(KEY=$KA RID=$ID2 PW=$ROS_PW python3 -c '
import base64, os
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
nonce = os.urandom(12)
ct = AESGCM(base64.b64decode(os.environ["KEY"])).encrypt(nonce, os.environ["PW"].encode(), os.environ["RID"].encode())
print((b"\x01" + nonce + ct).hex())')
owner "UPDATE mikrotik_devices SET password_encrypted = '\\x$V1' WHERE id = '$ID2'" >/dev/null
t_is "$(owner "SELECT get_byte(password_encrypted, 0) FROM mikrotik_devices WHERE id = '$ID2'")" 1 \
	"router 2 now holds a version 1 value under A"
# 450 more routers of tenant A with passwords under A, so that rekey works in several batches.
BULK_SQL=$(KEY=$KA PW=$ROS_PW python3 - <<'PY'
import base64, hashlib, os, uuid
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = base64.b64decode(os.environ["KEY"])
head = b"\x02" + hashlib.sha256(key).digest()[:4]
rows = []
for i in range(450):
    rid, nonce = str(uuid.uuid4()), os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, os.environ["PW"].encode(), head + rid.encode())
    rows.append("('%s', 'bulk %d', '10.77.%d.%d', '\\x%s')"
                % (rid, i, i // 200, i % 200 + 1, (head + nonce + ct).hex()))
print("INSERT INTO mikrotik_devices (id, name, ip_address, password_encrypted, tenant_id, "
      "username, radius_secret) SELECT v.id::uuid, v.name, v.ip::inet, v.pw::bytea, t.id, "
      "'admin', 'bulk-secret' FROM (VALUES %s) AS v (id, name, ip, pw), tenants t "
      "WHERE t.slug = 'ten-a'" % ", ".join(rows))
PY
)
owner "$BULK_SQL" >/dev/null
t_is "$(owner "SELECT count(*) FROM mikrotik_devices WHERE name LIKE 'bulk %' AND encode(substring(password_encrypted FROM 2 FOR 4), 'hex') = '$(key_id "$KA")'")" \
	450 "450 more routers with passwords under A"

# --- key B current, A previous ----------------------------------------------------------------
export APP_KEY=$KB APP_KEY_PREVIOUS=$KA
t_is "$("$H" config | grep '^APP_KEY')" "APP_KEY=(set)
APP_KEY_FILE=
APP_KEY_PREVIOUS=(set)" "hotspotd config masks both keys"
serve_on serveB || { echo "Bail out! serve did not start"; exit 1; }
R=http://127.0.0.1:$SERVE_PORT/api/v1/router-management
t_is "$(as "$TA" POST "$R/$ID1/test-connection")" 200 "B current, A previous: a password under A opens (200)"
t_is "$(j .data.system.identity)" sim-1 "and reaches the router"
t_is "$(as "$TA" GET "$R/$ID1/statistics")" 200 "statistics open it too: 200"
t_is "$(as "$TA" POST "$R/$ID2/test-connection")" 200 "a version 1 value under A opens: 200"
t_is "$(as "$TB" POST "$R/$ID3/test-connection")" 200 "tenant B's router under A opens: 200"
t_is "$(as "$TA" POST "$R" -d "$(jq -nc --argjson port "${API[4]}" --arg pw "$ROS_PW" \
	'{name: "Router four", ip_address: "127.0.0.4", api_port: $port, username: "admin", password: $pw}')")" \
	201 "a router created now"
ID4=$(j .data.id)
t_is "$(stored "$ID4")" "2 $(key_id "$KB")" "is sealed under B"

# --- hotspotd router rekey ---------------------------------------------------------------------
t_like "$(rekey --help)" 'router rekey \[--dry-run\]' "router rekey --help shows its usage"
t_like "$("$H" --help)" 'router rekey' "and hotspotd --help lists it"
t_is "$(rekey --force 2>&1; echo "exit $?")" \
	"hotspotd router rekey: unknown argument --force
exit 2" "an unknown argument: exit 2"
t_is "$(rekey --dry-run 2>&1; echo "exit $?")" \
	"to re-seal 453, already current 1, failed 0
exit 0" "--dry-run counts 453 to re-seal (under A, one of them version 1), one current"
t_is "$(stored "$ID1"),$(owner "SELECT get_byte(password_encrypted, 0) FROM mikrotik_devices WHERE id = '$ID2'")" \
	"2 $(key_id "$KA"),1" "and changes nothing"
t_is "$(rekey 2>&1; echo "exit $?")" "re-sealed 453, already current 1, failed 0
exit 0" "rekey re-seals the 453, in batches"
t_is "$(owner "SELECT string_agg(DISTINCT get_byte(password_encrypted, 0) || ' ' || encode(substring(password_encrypted FROM 2 FOR 4), 'hex'), ',') FROM mikrotik_devices WHERE password_encrypted IS NOT NULL")" \
	"2 $(key_id "$KB")" "every stored password is now version 2 under B's key id (bytes 2-5)"
t_is "$(rekey 2>&1; echo "exit $?")" "re-sealed 0, already current 454, failed 0
exit 0" "a second run finds everything current"
t_is "$(as "$TA" POST "$R/$ID2/test-connection")" 200 "the re-sealed passwords open: 200"
hs_kill serveB

# --- B alone ------------------------------------------------------------------------------------
unset APP_KEY_PREVIOUS
serve_on serveC || { echo "Bail out! serve did not start"; exit 1; }
R=http://127.0.0.1:$SERVE_PORT/api/v1/router-management
t_is "$(as "$TA" POST "$R/$ID1/test-connection")" 200 "without A the re-sealed passwords open: 200"
t_is "$(as "$TB" POST "$R/$ID3/test-connection")" 200 "tenant B's too"
t_is "$(as "$TA" GET "$R/$ID2/statistics")" 200 "and statistics"
# Router 2's password sealed under C, which no setting holds.
SEALED_C=$(printf '%s\n' "$ROS_PW" | APP_KEY=$KC "$H" encrypt-router-password "$ID2")
t_like "$SEALED_C" "^\\\\x02$(key_id "$KC")" "encrypt-router-password seals in version 2 under its key"
owner "UPDATE mikrotik_devices SET password_encrypted = '$SEALED_C' WHERE id = '$ID2'" >/dev/null
t_is "$(as "$TA" POST "$R/$ID2/test-connection")" 409 "a password under an unknown key: 409"
t_is "$(j .message)" \
	"the router's API password is sealed under a key that is neither APP_KEY nor in APP_KEY_PREVIOUS" \
	"naming the cause"
t_is "$(as "$TA" GET "$R/$ID2/statistics")" 409 "statistics: 409 as well"
t_is "$(as "$TB" POST "$R/$ID2/test-connection")" 404 "another tenant still gets 404"
t_is "$(rekey 2>&1; echo "exit $?")" \
	"hotspotd router rekey: router $ID2: the router's API password is sealed under a key that is neither APP_KEY nor in APP_KEY_PREVIOUS
re-sealed 0, already current 453, failed 1
exit 1" "rekey names the router it cannot open and exits 1"
t_is "$(APP_KEY_PREVIOUS=$KC rekey 2>&1; echo "exit $?")" \
	"re-sealed 1, already current 453, failed 0
exit 0" "with that key as previous it re-seals it"
t_is "$(stored "$ID2")" "2 $(key_id "$KB")" "under B"
t_is "$(as "$TA" POST "$R/$ID2/test-connection")" 200 "and it opens: 200"
hs_kill serveC

# --- APP_KEY_FILE -------------------------------------------------------------------------------
KF=$HS_SUITE_DIR/app.key
printf '%s\n' "$KB" >"$KF"
chmod 0644 "$KF"
t_is "$(env -u APP_KEY APP_KEY_FILE="$KF" "$H" config 2>&1 >/dev/null; echo "exit $?")" \
	"hotspotd: config: APP_KEY_FILE: $KF is open to group or others (mode 0644); chmod 600 it
exit 2" "a key file of mode 0644 is refused, naming the setting"
t_is "$(env -u APP_KEY APP_KEY_FILE="$KF" API_PORT="$(hs_free_port)" timeout 10 "$H" serve 2>&1 | tail -1; echo "exit ${PIPESTATUS[0]}")" \
	"hotspotd: config: APP_KEY_FILE: $KF is open to group or others (mode 0644); chmod 600 it
exit 2" "serve does not start with it"
chmod 0600 "$KF"
t_is "$(APP_KEY_FILE="$KF" "$H" config 2>&1 >/dev/null; echo "exit $?")" \
	"hotspotd: config: APP_KEY_FILE: set together with APP_KEY; set one of them
exit 2" "APP_KEY and APP_KEY_FILE together are refused"
t_is "$(env -u APP_KEY APP_KEY_PREVIOUS="${KA%=}" "$H" config 2>&1 >/dev/null; echo "exit $?")" \
	"hotspotd: config: APP_KEY_PREVIOUS: key 1 is not the base64 text of a 32-byte key (keys are separated by commas)
exit 2" "a malformed previous key is refused without quoting it"
unset APP_KEY
APP_KEY_FILE=$KF serve_on serveF || t_fail "serve with a key file of mode 0600 starts"
R=http://127.0.0.1:$SERVE_PORT/api/v1/router-management
t_is "$(as "$TA" POST "$R/$ID1/test-connection")" 200 "with the key from a 0600 file the passwords open: 200"
t_is "$(as "$TA" PUT "$R/$ID1" -d "$(jq -nc --arg pw "$ROS_PW" '{password: $pw}')")" 200 \
	"a password stored with the key file"
t_is "$(stored "$ID1")" "2 $(key_id "$KB")" "is sealed under the file's key"
t_is "$(APP_KEY_FILE=$KF rekey 2>&1)" "re-sealed 0, already current 454, failed 0" \
	"rekey reads the key file too"
hs_kill serveF

# --- nothing secret in any log or output ---------------------------------------------------
leaks=$(grep -lF -e "$KA" -e "$KB" -e "$KC" -e "${KA%=}" -e "${KB%=}" -e "$ROS_PW" \
	"$HS_SUITE_DIR"/serve*.log "$out" "$b")
t_is "$leaks" "" "no key and no router password in hotspotd's logs or answers"
t_like "$(cat "$HS_SUITE_DIR"/serve*.log)" 'test-connection' "(the logs were written)"

t_done
