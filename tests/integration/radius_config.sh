#!/usr/bin/env bash
# The module and its generated configuration, without a database: the
# module exports one symbol, the FreeRADIUS header fetch matches the
# server, gen-raddb.sh writes private files and refuses bad values, a bad
# module setting or a missing dictionary stops start-up naming it, and the
# server starts, runs and stops cleanly on SIGTERM although the database
# cannot be reached (it answers nothing meanwhile).
set -u
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/radius.sh"

DB=hotspot_config # never created: no database answers here
SO=$HS_BUILD/rlm_hotspot.so
RADDB=$HS_SUITE_DIR/raddb

# Quotes, a dollar, braces, a backslash and a blank: what the generator
# must carry into FreeRADIUS's configuration unchanged.
SECRET="s'q\"d\$x{y}\\z w-$RANDOM$RANDOM"
AUTH_PORT=$(hs_free_port udp)
ACCT_PORT=$(hs_free_port udp)
DEAD_PORT=$(hs_free_port tcp)

# dgen OUTDIR [VAR=value...]: gen's raddb, for a database that is not there
# and a password with a quote and a backslash.
dgen() {
	gen "$1" DB_PORT="$DEAD_PORT" DB_CONNECT_TIMEOUT=1 DB_RADIUS_PASSWORD="pw'\\x" "${@:2}"
}

# --- the module itself ------------------------------------------------------

t_ok "rlm_hotspot.so is built" test -f "$SO"
syms=$(nm -D --defined-only "$SO" | awk '{print $3}' | sort | tr '\n' ' ')
t_is "$syms" "rlm_hotspot " "rlm_hotspot is the only symbol the module exports"
t_ok "fr-headers.sh is a no-op once the headers match the server" \
	bash -c "out=\$(bash '$HS_ROOT/scripts/fr-headers.sh' '$HS_BUILD/fr-include' 2>&1) && [ -z \"\$out\" ]"

# A dpkg-query that reports two different versions: the header fetch refuses.
fake=$HS_SUITE_DIR/fakebin
mkdir -p "$fake"
cat >"$fake/dpkg-query" <<'EOF'
#!/bin/sh
case "$*" in
*libfreeradius-dev*) echo "installed 3.2.1+dfsg-4" ;;
*) echo "installed 3.2.1+dfsg-4+deb12u1" ;;
esac
EOF
chmod +x "$fake/dpkg-query"
out=$(PATH="$fake:$PATH" bash "$HS_ROOT/scripts/fr-headers.sh" "$HS_SUITE_DIR/fr-include" 2>&1)
t_like "$out" "freeradius 3.2.1\+dfsg-4\+deb12u1 and libfreeradius-dev 3.2.1\+dfsg-4 differ" \
	"fr-headers.sh refuses a server and headers of different versions"

# --- the generated configuration ---------------------------------------------

t_ok "gen-raddb.sh writes a raddb" dgen "$RADDB"
mode=$(stat -c %a "$RADDB/clients.conf" "$RADDB/mods-enabled/hotspot" | sort -u | tr '\n' ' ')
t_is "$mode" "600 " "files holding secrets are mode 0600"
t_fail "gen-raddb.sh refuses a port out of range" dgen "$HS_SUITE_DIR/bad-port" RADIUS_AUTH_PORT=70000
t_fail "gen-raddb.sh refuses a missing client secret" dgen "$HS_SUITE_DIR/no-secret" RADIUS_CLIENT_SECRET=
t_fail "gen-raddb.sh refuses a password ending in a backslash" \
	dgen "$HS_SUITE_DIR/bad-pw" DB_RADIUS_PASSWORD='x\'
t_fail "gen-raddb.sh refuses a client lifetime over 60 s" \
	dgen "$HS_SUITE_DIR/bad-life" RADIUS_CLIENT_LIFETIME=61
t_fail "gen-raddb.sh refuses a relative spool path" \
	dgen "$HS_SUITE_DIR/bad-spool" RADIUS_SPOOL_FILE=spool
t_ok "the generated raddb defines the routers as dynamic clients" \
	grep -q "dynamic_clients = dynamic_clients" "$RADDB/clients.conf"
t_ok "freeradius -C accepts the generated raddb" freeradius -C -d "$RADDB"

# A bad setting stops the server at start-up, and the message names it.
bad_setting() { # bad_setting NAME VALUE: freeradius -C output with NAME = VALUE
	local dir=$HS_SUITE_DIR/bad-$1
	dgen "$dir" >/dev/null 2>&1
	sed -i "s|^\(\s*$1\s*=\).*|\1 $2|" "$dir/mods-enabled/hotspot"
	freeradius -C -l stdout -d "$dir" 2>&1 && echo "ACCEPTED"
}
while read -r name value; do
	out=$(bad_setting "$name" "$value")
	t_like "$out" "mods-enabled/hotspot\[[0-9]+\]: $name: [0-9]+ is out of range" \
		"freeradius -C refuses $name = $value, naming the file, line and setting"
done <<'EOF'
port 0
port 65536
connect_timeout 0
connect_timeout 61
interim_interval 59
interim_interval 86401
auth_workers 0
auth_batch_size 1001
query_timeout 61
acct_batch_size 1001
fail_table_size 63
clients_refresh 0
EOF
out=$(bad_setting database "'$(printf 'd%.0s' {1..64})'")
t_like "$out" "database: longer than 63 bytes" "freeradius -C refuses a database name over 63 bytes"

# Without our dictionary the module refuses to start, naming the attribute.
nodict=$HS_SUITE_DIR/no-dict
dgen "$nodict" >/dev/null 2>&1
: >"$nodict/dictionary"
out=$(freeradius -C -l stdout -d "$nodict" 2>&1 && echo ACCEPTED)
t_like "$out" "attribute Hotspot-[A-Za-z-]+ is not in the dictionary" \
	"the module refuses a dictionary without dictionary.hotspot"

# --- the running server, database unreachable ---------------------------------

hs_spawn radiusd freeradius -f -l stdout -d "$RADDB"
pid=${HS_PIDS[radiusd]}
hs_wait_udp "$AUTH_PORT" 10 && hs_wait_udp "$ACCT_PORT" 5
t_ok "freeradius listens on the auth and acct ports" port_in_use "$ACCT_PORT" udp

out=$(radsend 127.0.0.1 auth "$SECRET" -t 2 -r 1 <<<'User-Name = "HSABC23456", User-Password = "secretpw"')
t_like "$out" "No reply from server" "PAP: no answer while the database cannot be asked"
out=$(radsend 127.0.0.1 auth "$SECRET" -t 2 -r 1 <<<'User-Name = "HSABC23456", CHAP-Password = "secretpw"')
t_like "$out" "No reply from server" "CHAP: no answer while the database cannot be asked"
t_fail "no password appears in the server log" grep -q "secretpw" "$HS_SUITE_DIR/radiusd.log"
t_ok "freeradius still runs" hs_running radiusd

hs_kill radiusd
rc=$?
t_is "$rc" 0 "freeradius exits 0 on SIGTERM"
t_ok "the server log says it stopped normally" grep -q "Exiting normally" "$HS_SUITE_DIR/radiusd.log"
t_fail "the freeradius process is gone" kill -0 "$pid"
t_fail "nothing listens on the auth port" port_in_use "$AUTH_PORT" udp
t_fail "no freeradius runs with the suite's raddb" pgrep -f -- "-d $RADDB"

t_done
