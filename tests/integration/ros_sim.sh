#!/usr/bin/env bash
# Suite: the RouterOS client against the router simulator over real TCP and
# TLS on loopback: both login styles, every reply kind, tags, /cancel,
# timeouts, and each fault the simulator injects.
source "$HS_ROOT/tests/lib/harness.sh"

SIM=$HS_BUILD/ros-sim
CT=$HS_BUILD/tests/ros-client-test
PORT=

# sim NAME ARGS...: starts a simulator on a free port, left in $PORT.
sim() {
	local name=$1
	shift
	PORT=$(hs_free_port) || return 1
	hs_spawn "$name" "$SIM" --port "$PORT" "$@"
	hs_wait_tcp "$PORT" 10 || { echo "# simulator $name did not start"; cat "$HS_SUITE_DIR/$name.log"; return 1; }
}

# --- RouterOS 7, plain API --------------------------------------------------
sim v7
for c in login resource empty users traps tags cancel files export-import; do
	t_ok "ROS 7: $c" "$CT" "$c" "$PORT"
done
t_ok "ROS 7: wrong password from the client -> AUTH" "$CT" open-expect "$PORT" pass=nope expect=AUTH
t_ok "ROS 7: reply past max_reply -> TOO_LARGE, connection still usable" \
	"$CT" open-expect "$PORT" max_reply=250 expect=TOO_LARGE
t_ok "ROS 7: word past max_word -> TOO_LARGE, connection dropped" \
	"$CT" open-expect "$PORT" max_word=16 expect=TOO_LARGE
hs_kill v7

# --- RouterOS 6: MD5 challenge, no !empty ----------------------------------
sim v6 --ros6
for c in resource empty traps tags users; do
	t_ok "ROS 6: $c" "$CT" "$c" "$PORT" v=6
done
t_ok "ROS 6: login falls back to the challenge" "$CT" login "$PORT" style=challenge
t_ok "ROS 6: wrong password -> AUTH" "$CT" open-expect "$PORT" pass=nope expect=AUTH
hs_kill v6

# --- unknown reply words -------------------------------------------------
sim noise --noise
t_ok "unknown reply words are ignored (login)" "$CT" login "$PORT"
t_ok "unknown reply words are ignored (commands)" "$CT" users "$PORT"
hs_kill noise

# --- faults ---------------------------------------------------------------
sim wrongpw --wrong-password
t_ok "--wrong-password -> AUTH" "$CT" open-expect "$PORT" expect=AUTH
hs_kill wrongpw
sim wrongpw6 --wrong-password --ros6
t_ok "--wrong-password, ROS 6 -> AUTH" "$CT" open-expect "$PORT" expect=AUTH
hs_kill wrongpw6
sim nopolicy --no-api-policy
t_ok "--no-api-policy -> DENIED" "$CT" open-expect "$PORT" expect=DENIED
hs_kill nopolicy
sim readonly --read-only
t_ok "--read-only: reads work" "$CT" resource "$PORT"
t_ok "--read-only: a write -> DENIED" "$CT" write-expect "$PORT" expect=DENIED
hs_kill readonly
sim fatal --fatal
t_ok "--fatal -> FATAL with the router's reason" "$CT" open-expect "$PORT" expect=FATAL
hs_kill fatal
sim drop --drop-after 1
t_ok "--drop-after 1 -> CLOSED" "$CT" open-expect "$PORT" expect=CLOSED
hs_kill drop
sim slow --slow 1500
t_ok "--slow 1500 with a 300 ms read timeout -> TIMEOUT" "$CT" open-expect "$PORT" io=300 expect=TIMEOUT
t_ok "--slow 1500 with a 5 s read timeout -> works" "$CT" resource "$PORT"
hs_kill slow
closed=$(hs_free_port)
t_ok "nothing listening -> REFUSED" "$CT" open-expect "$closed" expect=REFUSED
t_ok "no answer to SYN -> CONNECT_TIMEOUT" "$CT" connect-timeout 0

# --- API-SSL ----------------------------------------------------------------
TLS=$HS_SUITE_DIR/tls
mkdir -p "$TLS"
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=router.test \
	-addext "subjectAltName=IP:127.0.0.1,DNS:router.test" \
	-keyout "$TLS/key.pem" -out "$TLS/cert.pem" >"$TLS/openssl.log" 2>&1; then
	t__result 1 "self-signed router certificate generated"
else
	t__result 0 "self-signed router certificate generated" "$TLS/openssl.log"
fi

sim tls --tls-cert "$TLS/cert.pem" --tls-key "$TLS/key.pem"
for c in login users tags cancel files; do
	t_ok "API-SSL, certificate verified: $c" "$CT" "$c" "$PORT" tls=verify ca="$TLS/cert.pem"
done
t_ok "API-SSL: certificate checked against a DNS name" \
	"$CT" login "$PORT" tls=verify ca="$TLS/cert.pem" name=router.test
t_ok "API-SSL: untrusted certificate -> CERT" "$CT" open-expect "$PORT" tls=verify expect=CERT
t_ok "API-SSL: certificate for another name -> CERT" \
	"$CT" open-expect "$PORT" tls=verify ca="$TLS/cert.pem" name=other.test expect=CERT
t_ok "API-SSL: anonymous TLS against a router with a certificate -> TLS" \
	"$CT" open-expect "$PORT" tls=anon expect=TLS
hs_kill tls

sim adh --tls-anon
t_ok "API-SSL anonymous DH, allowed for the router: login" "$CT" login "$PORT" tls=anon
t_ok "API-SSL anonymous DH: tags" "$CT" tags "$PORT" tls=anon
t_ok "API-SSL anonymous DH refused when verification is on -> TLS" \
	"$CT" open-expect "$PORT" tls=verify ca="$TLS/cert.pem" expect=TLS
hs_kill adh

sim tlsdrop --tls-cert "$TLS/cert.pem" --tls-key "$TLS/key.pem" --drop-after 1
t_ok "API-SSL: dropped connection -> CLOSED" \
	"$CT" open-expect "$PORT" tls=verify ca="$TLS/cert.pem" expect=CLOSED
hs_kill tlsdrop

t_done
