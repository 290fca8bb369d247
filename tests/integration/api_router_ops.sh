#!/usr/bin/env bash
# hotspotd serve: the router operations over real HTTP against RouterOS
# simulators on loopback. test-connection of an unsaved and of a saved
# router (the five steps, each failure mapped to its step: refused, wrong
# password, missing policy, a router too slow), RADIUS set-up and profile
# sync (checked on the simulator itself), 502/504 with clear messages, 404
# for unknown and other tenants' routers, the address restriction
# (ROUTER_ALLOWED_NETWORKS) on test-connection, create and update, and the
# command hotspotd router test.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
SIM=$HS_BUILD/ros-sim
DB=hs_api_router_ops
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 APP_KEY=$("$H" gen-key)
# Loopback is where the simulators are; 10/8 for the routers that are only rows.
export ROUTER_ALLOWED_NETWORKS="127.0.0.0/8, 10.0.0.0/8"
export ROUTER_API_TIMEOUT=1 ROUTER_OP_TIMEOUT=20 ROUTER_RADIUS_ADDRESS=10.9.9.9
export ROUTER_RADIUS_AUTH_PORT=11812 ROUTER_RADIUS_ACCT_PORT=11813

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }

# --- configuration -------------------------------------------------------------------
t_is "$(env -u ROUTER_ALLOWED_NETWORKS "$H" config | grep '^ROUTER_ALLOWED_NETWORKS=')" \
	"ROUTER_ALLOWED_NETWORKS=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7,2001:db8::/32" \
	"by default routers may be in the private ranges only"
t_is "$(ROUTER_ALLOWED_NETWORKS='10.0.0.0/8, 300.1.1.0/24' "$H" config 2>&1; echo "exit $?")" \
	"hotspotd: config: ROUTER_ALLOWED_NETWORKS: \"300.1.1.0/24\" is not a network (ADDRESS/LENGTH)
exit 2" "a bad network stops start-up, naming the key and the item"
t_is "$(ROUTER_ALLOWED_NETWORKS='10.0.0.0/33' "$H" config 2>&1 >/dev/null)" \
	"hotspotd: config: ROUTER_ALLOWED_NETWORKS: \"10.0.0.0/33\" is not a network (ADDRESS/LENGTH)" \
	"a mask past 32 bits is refused"
t_is "$(ROUTER_ALLOWED_NETWORKS='10.0.0.0/8 192.168.0.0/16' "$H" config 2>&1 >/dev/null)" \
	"hotspotd: config: ROUTER_ALLOWED_NETWORKS: networks must be separated by commas" \
	"networks are separated by commas"
t_is "$(ROUTER_RADIUS_ADDRESS=radius.example "$H" config 2>&1 >/dev/null)" \
	"hotspotd: config: ROUTER_RADIUS_ADDRESS: \"radius.example\" is not an IPv4 or IPv6 address" \
	"ROUTER_RADIUS_ADDRESS must be an address"

# --- the simulators ---------------------------------------------------------------------
ROS_PW="ros-pw-$RANDOM$RANDOM"
declare -A API=()
# sim N [options]: a simulator on 127.0.0.N.
sim() {
	local n=$1
	shift
	API[$n]=$(hs_free_port) || return 1
	hs_spawn "ros$n" "$SIM" --host "127.0.0.$n" --port "${API[$n]}" --user admin \
		--password "$ROS_PW" --identity "sim-$n" "$@"
	hs_wait_tcp "${API[$n]}" 5
}
t_ok "router 1 (RouterOS 7) listens" sim 1
t_ok "router 2 (answers after 2.5 s) listens" sim 2 --slow 2500
t_ok "router 4 (no write policy) listens" sim 4 --read-only
t_ok "router 5 (RouterOS 6, tenant B) listens" sim 5 --ros6
t_ok "router 6 (no api policy) listens" sim 6 --no-api-policy
t_ok "router 7 (API-SSL, anonymous DH only) listens" sim 7 --tls-anon
API[3]=$(hs_free_port) # nothing listens on router 3

# ros_print N MENU PROP: PROP of every item of MENU on router N, one a line,
# over the API itself (plain login; every word is shorter than 128 bytes).
ros_word() { printf "\\$(printf %03o "${#1}")%s" "$1"; }
ros_print() {
	local n=$1 menu=$2 prop=$3
	exec 3<>"/dev/tcp/127.0.0.$n/${API[$n]}" || return 1
	{
		ros_word /login; ros_word =name=admin; ros_word "=password=$ROS_PW"; printf '\0'
		ros_word "$menu/print"; ros_word "=.proplist=$prop"; printf '\0'
		ros_word /quit; printf '\0'
	} >&3
	timeout 5 cat <&3 | tr -c '[:print:]' '\n' | sed -n "s/.*=$prop=//p" | sort | tr '\n' ' '
	exec 3<&-
}

t_ok "serve answers HTTP" serve_on serve
base=http://127.0.0.1:$SERVE_PORT
R=$base/api/v1/router-management

# --- test-connection of an unsaved router ---------------------------------------------
body() { # body N [password] [extra jq]
	jq -nc --arg ip "127.0.0.$1" --argjson port "${API[$1]}" --arg pw "${2:-$ROS_PW}" \
		"{ip_address: \$ip, api_port: \$port, username: \"admin\", password: \$pw} ${3:-}"
}
t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 1)")" 200 "an unsaved router that answers: 200"
t_is "$(j .message)" "Connection successful" "with a message"
t_is "$(j '[.data.steps[] | "\(.step) \(.key) \(.name) \(.status)"] | join(",")')" \
	"1 network Network Connectivity ok,2 handshake API Handshake ok,3 authentication Authentication ok,4 permissions Permission Check ok,5 system System Information ok" \
	"five steps, named as the seed names them, all ok"
t_is "$(j '[.data.connected, .data.system.identity, .data.system.login, .data.router.ip_address] | @tsv')" \
	"$(printf 'true\tsim-1\tplain\t127.0.0.1')" "the router's identity and login style"
t_like "$(j .data.system.version)" '^7\.' "its RouterOS version"
t_like "$(j '[.data.steps[].duration_ms] | map(type) | unique | join(",")')" '^number$' \
	"each step says how long it took"
t_is "$(j '[.data.steps[] | select(.message == "")] | length')" 0 "each step has a message"

t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 1 wrong-password)")" 502 \
	"a wrong password: 502"
t_is "$(j '[.data.connected, (.data.steps | map(.status) | join(","))] | @tsv')" \
	"$(printf 'false\tok,ok,failed,skipped,skipped')" "fails at authentication, later steps skipped"
t_is "$(j .data.steps[2].error)" AUTH "the failed step names the error"
t_like "$(j .message)" '127\.0\.0\.1.*(password|authentication|credentials)' \
	"the message names the router and what to check"
t_is "$(j .data.system)" null "no system information from a failed test"

t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 3)")" 502 "a router that refuses: 502"
t_is "$(j '[.data.steps[0].status, .data.steps[0].error, .data.steps[1].status] | @tsv')" \
	"$(printf 'failed\tREFUSED\tskipped')" "fails at the network step"
t_like "$(j .message)" "127\.0\.0\.3.*${API[3]}" "naming the address and port"

t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 2)")" 504 \
	"a router slower than ROUTER_API_TIMEOUT: 504"
t_like "$(j '.data.steps | map(.error // empty) | join(",")')" 'TIMEOUT' "the step that timed out says so"

t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 4)")" 502 "a user without the write policy: 502"
t_is "$(j '[.data.steps[3].status, .data.steps[3].error] | @tsv')" "$(printf 'failed\tDENIED')" \
	"fails at the permission check"
t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 6)")" 502 "a user without the api policy: 502"
t_is "$(j '[.data.steps[3].status, .data.steps[3].error] | @tsv')" "$(printf 'failed\tDENIED')" \
	"refused at login, reported as the permission check"
t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 7 "" '+ {api_ssl: true, api_tls_insecure: true}')")" 200 \
	"API-SSL with anonymous DH, when allowed: 200"
t_is "$(j '[.data.router.api_ssl, .data.system.identity] | @tsv')" "$(printf 'true\tsim-7')" "over TLS"
t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 7 "" '+ {api_ssl: true}')")" 502 \
	"API-SSL with the certificate checked, against a router without one: 502"
t_like "$(j '[.data.steps[] | select(.status == "failed") | .error] | join(",")')" '^(TLS|CERT)$' \
	"a TLS failure"
t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 7)")" 502 "plain API against API-SSL: 502"
t_is "$(as "$TA" POST "$R/test-connection" -d "$(body 5)")" 200 "RouterOS 6 (challenge login): 200"
t_is "$(j '[.data.system.login, (.data.system.version | split(".")[0])] | @tsv')" \
	"$(printf 'challenge\t6')" "with the challenge login"

# --- validation and the address restriction ------------------------------------------
t_is "$(as "$TA" POST "$R/test-connection" -d '{}')" 422 "an empty body: 422"
t_is "$(j '.errors | keys | join(",")')" "ip_address,password,username" "naming each missing field"
t_is "$(as "$TA" POST "$R/test-connection" -d '{"ip_address":"127.0.0.1","api_port":0,"api_ssl":"yes","username":"a","password":7}')" \
	422 "bad port, api_ssl and password: 422"
t_is "$(j '.errors | keys | join(",")')" "api_port,api_ssl,password" "each named"
t_is "$(as "$TA" POST "$R/test-connection" -d '{"ip_address":"router.example","username":"a","password":"p"}')" \
	422 "a host name is not an address: 422"
t_is "$(as "$TA" POST "$R/test-connection" -d '{"ip_address":"8.8.8.8","api_port":53,"username":"a","password":"p"}')" \
	422 "an address outside ROUTER_ALLOWED_NETWORKS: 422"
t_is "$(j '.errors.ip_address[0]')" \
	"is outside the networks routers may be in (ROUTER_ALLOWED_NETWORKS)" "naming ip_address and why"
t_is "$(as "$TA" POST "$R/test-connection" -d '{"ip_address":"::1","username":"a","password":"p"}')" \
	422 "IPv6 loopback is outside them too"
t_is "$(as "$TA" POST "$R/test-connection" -d '[1]')" 422 "a body that is not an object: 422"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$R/test-connection" -d "$(body 1)")" 401 \
	"without a token: 401"

t_is "$(as "$TA" POST "$R" -d '{"name":"Public","ip_address":"8.8.4.4"}')" 422 \
	"creating a router outside ROUTER_ALLOWED_NETWORKS: 422"
t_is "$(j '.errors.ip_address[0]')" \
	"is outside the networks routers may be in (ROUTER_ALLOWED_NETWORKS)" "on ip_address"
t_is "$(owner "SELECT count(*) FROM mikrotik_devices WHERE ip_address = '8.8.4.4'")" 0 "nothing stored"

# --- saved routers ------------------------------------------------------------------------
create() { # create TOKEN N NAME [password]: the new router's id
	as "$1" POST "$R" -d "$(body "$2" "${4:-$ROS_PW}" "+ {name: \"$3\"}")" >/dev/null && j .data.id
}
ID1=$(create "$TA" 1 "Router one")
ID2=$(create "$TA" 2 "Slow router")
ID3=$(create "$TA" 3 "Down router")
ID5=$(create "$TB" 5 "B's router")
t_like "$ID1 $ID2 $ID3 $ID5" '^([0-9a-f-]{36} ){3}[0-9a-f-]{36}$' "routers on loopback are created"
t_is "$(as "$TA" PUT "$R/$ID3" -d '{"ip_address":"1.1.1.1"}')" 422 \
	"moving a router outside ROUTER_ALLOWED_NETWORKS: 422"
t_is "$(owner "SELECT host(ip_address) FROM mikrotik_devices WHERE id = '$ID3'")" 127.0.0.3 \
	"the address is unchanged"
t_is "$(as "$TA" PUT "$R/$ID3" -d '{"ip_address":"10.3.3.3"}')" 200 "moving it inside: 200"
as "$TA" PUT "$R/$ID3" -d '{"ip_address":"127.0.0.3"}' >/dev/null

t_is "$(as "$TA" POST "$R/$ID1/test-connection")" 200 "a saved router that answers: 200"
t_is "$(j '[.data.connected, .data.system.identity] | @tsv')" "$(printf 'true\tsim-1')" \
	"the five steps of the saved router"
t_is "$(owner "SELECT status, identity, router_os_version LIKE '7.%', last_seen > now() - interval '1 minute' FROM mikrotik_devices WHERE id = '$ID1'" | tr '|' ' ')" \
	"online sim-1 t t" "the router is now online, with its identity and version"
t_is "$(as "$TA" POST "$R/$ID3/test-connection")" 502 "a saved router that is down: 502"
t_is "$(owner "SELECT status, last_error LIKE '%127.0.0.3%' FROM mikrotik_devices WHERE id = '$ID3'" | tr '|' ' ')" \
	"offline t" "is recorded offline with the reason"
t_is "$(as "$TA" POST "$R/$ID2/test-connection")" 504 "a saved router that is too slow: 504"
t_is "$(as "$TB" POST "$R/$ID1/test-connection")" 404 "tenant B testing A's router: 404"
t_is "$(j .message)" "router not found" "as if it did not exist"
t_is "$(as "$TA" POST "$R/$ID5/test-connection")" 404 "tenant A testing B's router: 404"
t_is "$(as "$TA" POST "$R/00000000-0000-4000-8000-000000000000/test-connection")" 404 \
	"an unknown id: 404"
t_is "$(as "$TA" POST "$R/not-a-uuid/test-connection")" 404 "an id that is not a UUID: 404"
t_is "$(as "$TB" POST "$R/$ID5/test-connection")" 200 "B tests its own router: 200"

t_is "$(as "$TA" POST "$R" -d '{"name":"No API","ip_address":"10.4.4.4"}')" 201 "a router without API credentials"
IDN=$(j .data.id)
t_is "$(as "$TA" POST "$R/$IDN/test-connection")" 409 "cannot be tested: 409"
t_like "$(j .message)" 'no RouterOS API credentials' "saying it has no credentials"
owner "UPDATE mikrotik_devices SET ip_address = '192.0.2.7' WHERE id = '$IDN'; UPDATE mikrotik_devices SET username = 'admin', password_encrypted = (SELECT password_encrypted FROM mikrotik_devices WHERE id = '$ID1') WHERE id = '$IDN'" >/dev/null
t_is "$(as "$TA" POST "$R/$IDN/test-connection")" 422 \
	"a stored router outside ROUTER_ALLOWED_NETWORKS is not contacted: 422"
t_is "$(j '.errors | keys | join(",")')" ip_address "on ip_address"
owner "UPDATE mikrotik_devices SET ip_address = '10.4.4.4' WHERE id = '$IDN'" >/dev/null
t_is "$(as "$TA" POST "$R/$IDN/test-connection")" 409 \
	"a password sealed for another router does not open: 409"
t_like "$(j .message)" "does not decrypt with APP_KEY" "saying so"

# --- RADIUS set-up ---------------------------------------------------------------------
t_is "$(as "$TA" POST "$R/$ID1/radius-setup")" 200 "RADIUS set-up of router 1: 200"
t_like "$(j '[.data.radius, .data.incoming, .data.server.address, .data.server.auth_port, .data.server.acct_port, .data.incoming_port] | @tsv')" \
	"$(printf '^created\t(created|updated)\t10.9.9.9\t11812\t11813\t3799$')" \
	"the /radius entry and incoming created, from the configured server and the router's CoA port"
t_is "$(ros_print 1 /radius address)" "10.9.9.9 " "the router now has our RADIUS server"
t_is "$(ros_print 1 /radius authentication-port)" "11812 " "with the authentication port"
t_is "$(ros_print 1 /radius secret)" "$(owner "SELECT radius_secret FROM mikrotik_devices WHERE id = '$ID1'") " \
	"and the router's own RADIUS secret"
t_like "$(ros_print 1 /ip/hotspot/profile use-radius)" '^(yes )+$' \
	"every hotspot server profile uses RADIUS"
t_is "$(as "$TA" POST "$R/$ID1/radius-setup" -d '{"walled_garden":["pay.example.org"]}')" 200 \
	"a second set-up with a walled garden: 200"
t_is "$(j '[.data.radius, .data.incoming, .data.walled_garden_added] | @tsv')" \
	"$(printf 'unchanged\tunchanged\t1')" "changes nothing twice, adds the walled-garden host"
t_like "$(ros_print 1 /ip/hotspot/walled-garden dst-host)" 'pay\.example\.org' "the host is on the router"
hist() { # hist ID OPERATION: update rows of that operation in the router's history
	owner "SELECT count(*) FROM mikrotik_config_history WHERE device_id = '$1' AND change_type = 'update' AND configuration_data->>'operation' = '$2' AND changed_by IS NOT NULL"
}
t_is "$(hist "$ID1" radius_setup)" 2 "each set-up that changed the router is an 'update' history row"
t_is "$(owner "SELECT configuration_data->'result'->>'walled_garden_added' FROM mikrotik_config_history WHERE device_id = '$ID1' AND change_type = 'update' ORDER BY created_at DESC LIMIT 1")" \
	1 "with what changed"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'router.configure' AND object_id = '$ID1'")" 2 \
	"and an audit row router.configure"
t_is "$(as "$TA" POST "$R/$ID1/radius-setup")" 200 "a set-up that changes nothing: 200"
t_is "$(hist "$ID1" radius_setup)" 2 "adds no history row"
t_is "$(as "$TA" POST "$R/$ID1/radius-setup" -d '{"hotspot_profiles":["no-such-profile"]}')" 502 \
	"a hotspot profile the router lacks: 502"
t_is "$(j .data.error)" NOT_FOUND "NOT_FOUND"
t_is "$(as "$TA" POST "$R/$ID1/radius-setup" -d '{"hotspot_profiles":"default","walled_garden":["a b"]}')" \
	422 "lists that are not lists of plain names: 422"
t_is "$(j '.errors | keys | join(",")')" "hotspot_profiles,walled_garden.0" "each named"
t_is "$(as "$TA" POST "$R/$ID3/radius-setup")" 502 "a router that is down: 502"
t_is "$(j .data.error)" REFUSED "REFUSED"
t_is "$(hist "$ID3" radius_setup)" 0 "a failed set-up adds no history row"
t_is "$(as "$TB" POST "$R/$ID1/radius-setup")" 404 "tenant B setting up A's router: 404"
t_is "$(ros_print 1 /radius address)" "10.9.9.9 " "and the router is as A left it"

# --- profile sync ---------------------------------------------------------------------
owner "INSERT INTO profiles (tenant_id, name, data_limit_bytes, validity_seconds, rate_limit, shared_users, currency)
	SELECT id, '1GB-DAILY', 1073741824, 86400, '2M/2M', 1, 'UGX' FROM tenants WHERE slug = 'ten-a';
INSERT INTO profiles (tenant_id, name, time_limit_seconds, rate_limit, shared_users, currency)
	SELECT id, 'HOUR-PASS', 3600, '1M/1M', 2, 'UGX' FROM tenants WHERE slug = 'ten-a';
INSERT INTO profiles (tenant_id, name, currency, is_active)
	SELECT id, 'RETIRED', 'UGX', false FROM tenants WHERE slug = 'ten-a';
INSERT INTO profiles (tenant_id, name, currency)
	SELECT id, 'B-ONLY', 'UGX' FROM tenants WHERE slug = 'ten-b';" >/dev/null
t_is "$(as "$TA" POST "$R/$ID1/sync-profiles")" 200 "profile sync of router 1: 200"
t_is "$(j '[.data.profiles[] | "\(.name):\(.action)"] | join(",")')" "1GB-DAILY:created,HOUR-PASS:created" \
	"A's active profiles are created, no other tenant's, no inactive one"
t_is "$(j '[.data.created, .data.updated, .data.unchanged, .data.failed] | @tsv')" "$(printf '2\t0\t0\t0')" \
	"with the counts"
t_like "$(ros_print 1 /ip/hotspot/user/profile name)" '1GB-DAILY HOUR-PASS' "the profiles are on the router"
t_like "$(ros_print 1 /ip/hotspot/user/profile rate-limit)" '1M/1M 2M/2M' "with their rate limits"
t_is "$(as "$TA" POST "$R/$ID1/sync-profiles")" 200 "a second sync: 200"
t_is "$(j '[.data.profiles[].action] | join(",")')" "unchanged,unchanged" "changes nothing"
t_is "$(hist "$ID1" sync_profiles)" 1 "only the sync that changed the router is a history row"
owner "UPDATE profiles SET rate_limit = '4M/4M' WHERE name = 'HOUR-PASS'" >/dev/null
t_is "$(as "$TA" POST "$R/$ID1/sync-profiles" >/dev/null; j '[.data.profiles[] | "\(.name):\(.action)"] | join(",")')" \
	"1GB-DAILY:unchanged,HOUR-PASS:updated" "a changed profile is updated"
t_is "$(owner "SELECT configuration_data->'result'->>'updated' FROM mikrotik_config_history WHERE device_id = '$ID1' AND configuration_data->>'operation' = 'sync_profiles' ORDER BY created_at DESC LIMIT 1")" \
	1 "and recorded with what changed"
t_is "$(as "$TA" POST "$R/$ID3/sync-profiles")" 502 "sync with a router that is down: 502"
t_is "$(as "$TA" POST "$R/$ID2/sync-profiles")" 504 "sync with a router that is too slow: 504"
t_is "$(as "$TB" POST "$R/$ID1/sync-profiles")" 404 "tenant B syncing A's router: 404"
t_is "$(as "$TB" POST "$R/$ID5/sync-profiles")" 200 "B syncs its own router"
t_is "$(j '[.data.profiles[].name] | join(",")')" B-ONLY "with B's profiles only"

# --- ROUTER_OP_TIMEOUT -----------------------------------------------------------------
ROUTER_OP_TIMEOUT=1 ROUTER_API_TIMEOUT=5 ROUTER_RADIUS_ADDRESS= t_ok \
	"a second instance with ROUTER_OP_TIMEOUT=1 and no RADIUS address" serve_on short
R2=http://127.0.0.1:$SERVE_PORT/api/v1/router-management
t_is "$(as "$TA" POST "$R2/$ID2/sync-profiles")" 504 \
	"an operation longer than ROUTER_OP_TIMEOUT: 504 without waiting for the router"
t_like "$(j .message)" 'did not finish within 1 seconds \(ROUTER_OP_TIMEOUT\)' "saying which limit"
t_is "$(as "$TA" POST "$R2/$ID1/radius-setup")" 503 "RADIUS set-up without ROUTER_RADIUS_ADDRESS: 503"
t_is "$(j .message)" "ROUTER_RADIUS_ADDRESS is not configured" "saying which setting is missing"
sleep 3 # the abandoned operation ends on its own
t_ok "the instance is still alive after an abandoned operation" hs_running short
hs_kill short

# --- the command ---------------------------------------------------------------------------
out=$(printf '%s\n' "$ROS_PW" | "$H" router test --ip 127.0.0.1 --port "${API[1]}" --user admin)
t_is "$?" 0 "hotspotd router test: exit 0 when every step passes"
t_is "$(grep -c ' ok ' <<<"$out")" 5 "five steps ok"
t_like "$out" 'identity sim-1, RouterOS 7' "and the router's identity and version"
out=$(printf 'nope\n' | "$H" router test --ip 127.0.0.1 --port "${API[1]}" --user admin)
t_is "$?" 1 "a wrong password: exit 1"
t_like "$(grep '^3\.' <<<"$out")" 'Authentication +failed' "step 3 failed"
t_like "$out" 'failed: authentication failed' "and says why"
printf '%s\n' "$ROS_PW" | "$H" router test --ip 127.0.0.3 --port "${API[3]}" --user admin >/dev/null
t_is "$?" 1 "a router that refuses: exit 1"
t_like "$("$H" router test --help)" '^usage: hotspotd \[--env-file FILE\] router test --ip ADDRESS --user NAME' \
	"--help prints the usage"
t_like "$("$H" --help)" 'router test +test a router' "hotspotd --help lists the command"
t_is "$(printf 'x\n' | "$H" router test --user admin 2>&1; echo "exit $?")" \
	"hotspotd: router test: --ip needs an IPv4 or IPv6 address
exit 2" "without --ip: exit 2"
t_is "$(printf '' | "$H" router test --ip 127.0.0.1 --user admin 2>&1; echo "exit $?")" \
	"hotspotd: router test: give the password on stdin, one line
exit 2" "without a password: exit 2"
t_is "$(printf 'x\n' | "$H" router test --ip 127.0.0.1 --user admin --port 70000 2>&1; echo "exit $?")" \
	"hotspotd: router test: --port needs a number from 1 to 65535
exit 2" "a bad port: exit 2"

# --- secrets in the log ------------------------------------------------------------------
t_fail "no router password or token in hotspotd's log" grep -qF -e "$ROS_PW" -e "$TA" -e "$TB" \
	"$HS_SUITE_DIR/serve.log" "$HS_SUITE_DIR/short.log"
hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
