#!/usr/bin/env bash
# "make install" into a copy of Debian's stock FreeRADIUS configuration
# (/etc/freeradius/3.0), as an operator's existing installation: the files,
# their modes and group, the dictionary include line, the links made only
# when asked; the stock server's config check with the stock sites still
# enabled; then the stock freeradius (threaded, as its stock user freerad)
# answering a router's logins and accounting from the installed files and a
# settings file; and a second install that changes nothing an operator
# edited, while it updates what nobody edited.
set -u
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/radius.sh"

DB=hs_radius_install
STOCK=/etc/freeradius/3.0
STAGE=$HS_SUITE_DIR/root
RADDB=$STAGE/etc/freeradius/3.0
ENVFILE=$HS_SUITE_DIR/radius.env
AUTH_PORT=$(hs_free_port udp)
ACCT_PORT=$(hs_free_port udp)

TA=aaaaaaaa-0000-4000-8000-000000000001
PA=aaaaaaaa-0000-4000-8000-0000000000a1
R2=aaaaaaaa-0000-4000-8000-0000000000a2

# install [VAR=value...]: make install into the staging root, output in install.log.
install_raddb() {
	make -s -C "$HS_ROOT" install DESTDIR="$STAGE" RADDB=/etc/freeradius/3.0 "$@" \
		>"$HS_SUITE_DIR/install.log" 2>&1
}

# radius TYPE FROM SECRET < attributes: a request from address FROM.
radius() { radsend "$2" "$1" "$3" -t 2 -r 1; }

# signed FROM SECRET USER PASSWORD: sends an Access-Request signed with
# Message-Authenticator (as RouterOS 7.15 and later do) from address FROM
# and prints the reply's type and whether it carries a valid
# Message-Authenticator (which those routers require by default).
signed() {
	python3 - "$1" "$AUTH_PORT" "$2" "$3" "$4" <<'PY'
import hashlib, hmac, os, socket, struct, sys
# ma.py SRC PORT SECRET USER PASSWORD: an Access-Request signed with
# Message-Authenticator, sent from SRC; prints the reply's code and whether
# its Message-Authenticator is present and valid.
src, port, secret, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode(), sys.argv[5].encode()
ra = os.urandom(16)
p = pw + b"\0" * (-len(pw) % 16)
enc, prev = b"", ra
for i in range(0, len(p), 16):
    b = bytes(x ^ y for x, y in zip(p[i:i + 16], hashlib.md5(secret + prev).digest()))
    enc += b
    prev = b
attrs = bytes([1, 2 + len(user)]) + user + bytes([2, 2 + len(enc)]) + enc
attrs += bytes([31, 19]) + b"AA:00:00:00:01:09"
attrs_ma = attrs + bytes([80, 18]) + b"\0" * 16
hdr = struct.pack("!BBH", 1, 7, 20 + len(attrs_ma)) + ra
ma = hmac.new(secret, hdr + attrs_ma, hashlib.md5).digest()
pkt = hdr + attrs + bytes([80, 18]) + ma
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(3)
s.sendto(pkt, ("127.0.0.1", port))
try:
    r = s.recv(4096)
except socket.timeout:
    print("no reply")
    sys.exit(0)
code = {2: "Access-Accept", 3: "Access-Reject"}.get(r[0], str(r[0]))
off, found = 20, None
while off + 2 <= len(r):
    t, l = r[off], r[off + 1]
    if t == 80 and l == 18:
        found = off
    off += max(l, 2)
if found is None:
    print(code, "without Message-Authenticator")
    sys.exit(0)
z = r[:4] + ra + r[20:found + 2] + b"\0" * 16 + r[found + 18:]
ok = hmac.compare_digest(hmac.new(secret, z, hashlib.md5).digest(), r[found + 2:found + 18])
print(code, "with a valid Message-Authenticator" if ok else "with a wrong Message-Authenticator")
PY
}

sum() { sha256sum "$1" | cut -d' ' -f1; }
attrs_of() { stat -c '%a %U:%G' "$@" | sort -u | tr '\n' ';'; }

# --- an existing installation, and a database ----------------------------------

t_ok "the stock FreeRADIUS configuration is there to copy" test -f "$STOCK/radiusd.conf"
mkdir -p "$STAGE/etc/freeradius" "$STAGE/var/log/freeradius" "$STAGE/var/run/freeradius"
cp -a "$STOCK" "$STAGE/etc/freeradius/"
# The copy's absolute paths point into the staging root; the rest is stock
# (user and group freerad included). The staging root must be reachable
# by freerad once the server has switched to it.
sed -i -e "s|^raddbdir = /etc/freeradius/3.0|raddbdir = $RADDB|" \
	-e "s|^localstatedir = /var|localstatedir = $STAGE/var|" \
	-e "s|^logdir = /var/log/freeradius|logdir = $STAGE/var/log/freeradius|" \
	-e "s|^libdir = /usr/lib/freeradius|libdir = $STAGE/usr/lib/freeradius:/usr/lib/freeradius|" \
	"$RADDB/radiusd.conf"
chown freerad:freerad "$STAGE/var/log/freeradius" "$STAGE/var/run/freeradius"
chmod 0755 "$HS_SUITE_DIR" "$STAGE"
# The server runs as freerad from the start, as Debian's systemd unit runs
# it (User=freerad): it must read what the install wrote. In a checkout
# freerad cannot enter, it runs as root instead.
RUNS_AS=freerad AS=(setpriv --reuid=freerad --regid=freerad --init-groups)
if ! "${AS[@]}" test -x "$STAGE"; then
	sed -i -e '/^[[:space:]]*user = freerad/d' -e '/^[[:space:]]*group = freerad/d' "$RADDB/radiusd.conf"
	RUNS_AS=root AS=()
fi
dict_before=$(sum "$RADDB/dictionary")

t_ok "migrations apply" hs_new_db "$DB"
t_ok "fixtures: a tenant, a router at 127.0.0.2, three vouchers" own "
INSERT INTO tenants (id, name, slug, time_zone, currency)
  VALUES ('$TA', 'Tenant A', 'tenant-a', 'Africa/Kampala', 'UGX');
INSERT INTO profiles (id, tenant_id, name, currency) VALUES ('$PA', '$TA', 'P', 'UGX');
INSERT INTO mikrotik_devices (id, tenant_id, name, ip_address, radius_secret)
  VALUES ('$R2', '$TA', 'r2', '127.0.0.2', 'secret-r2');
INSERT INTO vouchers (tenant_id, code, password, profile_id, currency, validity_seconds, data_limit_bytes)
  VALUES ('$TA', 'INST1', 'pw-inst1', '$PA', 'UGX', 3600, 5000000),
         ('$TA', 'INST2', 'pw-inst2', '$PA', 'UGX', 3600, NULL),
         ('$TA', 'INST3', 'pw-inst3', '$PA', 'UGX', 3600, NULL);"

# The settings file: hotspotd's .env syntax; keys that are not the
# module's are ignored, the password holds a quote and a blank.
cat >"$ENVFILE" <<EOF
# rlm_hotspot's settings
DB_HOST=127.0.0.1
export DB_PORT=$PGPORT
DB_DATABASE="$DB"
DB_RADIUS_USERNAME=hs_radius   # the RADIUS role
DB_RADIUS_PASSWORD='$HS_PW_RADIUS'
API_PORT=28080
RADIUS_LISTEN=127.0.0.1
RADIUS_AUTH_PORT=$AUTH_PORT
RADIUS_ACCT_PORT=$ACCT_PORT
RADIUS_CLIENTS_REFRESH=1
EOF

# --- the first install -----------------------------------------------------------

t_ok "make install DESTDIR RADDB_ENABLE=1 RADIUS_ENV succeeds" \
	install_raddb RADDB_ENABLE=1 RADIUS_ENV="$ENVFILE"
t_ok "rlm_hotspot.so is installed into /usr/lib/freeradius" \
	cmp -s "$HS_BUILD/rlm_hotspot.so" "$STAGE/usr/lib/freeradius/rlm_hotspot.so"
t_is "$(attrs_of "$RADDB/mods-available/hotspot" "$RADDB/sites-available/hotspot" \
	"$RADDB/sites-available/hotspot-dynamic-clients" "$RADDB/dictionary.hotspot")" \
	"640 root:freerad;" "the module, both servers and the dictionary: mode 0640, root:freerad"
t_is "$(attrs_of "$STAGE/var/spool/hotspot-aaa")" "700 freerad:freerad;" \
	"the spool directory is freerad's alone (0700)"
t_ok "the stock dynamic-clients example is left alone" \
	cmp -s "$STOCK/sites-available/dynamic-clients" "$RADDB/sites-available/dynamic-clients"
t_ok "the database settings come from the settings file" \
	grep -qE "^[[:space:]]*database = '$DB'\$" "$RADDB/mods-available/hotspot"
t_ok "  the password too" grep -qF "password = '$HS_PW_RADIUS'" "$RADDB/mods-available/hotspot"
t_ok "the spool is under \${localstatedir}" grep -qF \
	'spool_file = "${localstatedir}/spool/hotspot-aaa/hotspot-accounting.spool"' \
	"$RADDB/mods-available/hotspot"
t_fail "  no word of a placeholder password" grep -q CHANGE-ME "$HS_SUITE_DIR/install.log"
t_ok "the routers are the hotspot server's own dynamic clients" grep -q \
	"dynamic_clients = hotspot_dynamic_clients" "$RADDB/sites-available/hotspot"
t_is "$(grep -c '^\$INCLUDE dictionary.hotspot$' "$RADDB/dictionary")" 1 \
	"raddb/dictionary includes dictionary.hotspot"
t_is "$(readlink "$RADDB/mods-enabled/hotspot") $(readlink "$RADDB/sites-enabled/hotspot") $(readlink "$RADDB/sites-enabled/hotspot-dynamic-clients")" \
	"../mods-available/hotspot ../sites-available/hotspot ../sites-available/hotspot-dynamic-clients" \
	"RADDB_ENABLE=1 links the module and both servers"
t_like "$(cat "$HS_SUITE_DIR/install.log")" "install-raddb: installed .*mods-available/hotspot" \
	"  saying what it installed"
t_ok "freeradius -C accepts it, with the stock servers still enabled" \
	"${AS[@]}" freeradius -C -d "$RADDB"

# A server that answers only hotspots: the stock servers are disabled
# (they listen on 1812/1813 too), and eap with them (it needs their
# Auth-Type EAP), as docs/freeradius.md tells.
rm -f "$RADDB/sites-enabled/default" "$RADDB/sites-enabled/inner-tunnel" "$RADDB/mods-enabled/eap"
t_ok "freeradius -C accepts it with the hotspot servers alone" "${AS[@]}" freeradius -C -d "$RADDB"

# --- the stock server running it --------------------------------------------------

hs_spawn radiusd "${AS[@]}" freeradius -f -l stdout -d "$RADDB"
hs_wait_udp "$AUTH_PORT" 15
t_ok "freeradius (threaded) listens on the configured port" port_in_use "$AUTH_PORT" udp
pid=$(pgrep -f -- "-d $RADDB\$" | head -n1)
t_is "$(ps -o user= -p "${pid:-0}" | tr -d ' ')" "$RUNS_AS" "  running as $RUNS_AS"
for _ in $(seq 1 50); do
	grep -q "routers known as RADIUS clients" "$HS_SUITE_DIR/radiusd.log" && break
	sleep 0.1
done
t_ok "the router was loaded as a client" grep -q "1 routers known as RADIUS clients" \
	"$HS_SUITE_DIR/radiusd.log"

out=$(radius auth 127.0.0.2 secret-r2 <<<'User-Name = "INST1", User-Password = "pw-inst1", Calling-Station-Id = "AA:00:00:00:01:01"')
t_like "$out" "Received Access-Accept" "a voucher is accepted"
t_like "$out" "Mikrotik-Total-Limit = 5000000" "  with its data limit"
out=$(radius auth 127.0.0.2 secret-r2 <<<'User-Name = "INST2", CHAP-Password = "pw-inst2", Calling-Station-Id = "AA:00:00:00:01:02"')
t_like "$out" "Received Access-Accept" "CHAP: accepted"
out=$(radius auth 127.0.0.2 secret-r2 <<<'User-Name = "INST1", User-Password = "wrong", Calling-Station-Id = "AA:00:00:00:01:03"')
t_like "$out" "Received Access-Reject" "a wrong password is rejected"
t_like "$out" "Reply-Message = \"Invalid voucher code or password\"" "  with its message"
t_is "$(signed 127.0.0.2 secret-r2 INST3 pw-inst3)" "Access-Accept with a valid Message-Authenticator" \
	"a signed request is accepted, the Access-Accept signed"
t_is "$(signed 127.0.0.2 secret-r2 INST3 wrong)" "Access-Reject with a valid Message-Authenticator" \
	"a signed request with a wrong password is rejected, the Access-Reject signed"
out=$(radius acct 127.0.0.2 secret-r2 <<<'User-Name = "INST1", Acct-Status-Type = Start, Acct-Session-Id = "inst-1", NAS-IP-Address = 127.0.0.2, Calling-Station-Id = "AA:00:00:00:01:01", Framed-IP-Address = 10.5.50.2')
t_like "$out" "Received Accounting-Response" "an Accounting-Request is stored and answered"
t_is "$(own "SELECT count(*) FROM radius_sessions s JOIN vouchers v ON v.id = s.voucher_id WHERE v.code = 'INST1'")" 1 \
	"  the session is in the database"
out=$(radius auth 127.0.0.9 secret-r2 <<<'User-Name = "INST1", User-Password = "pw-inst1"')
t_like "$out" "No reply from server" "an address no router has gets no answer"
out=$(radius auth 127.0.0.1 testing123 <<<'User-Name = "INST1", User-Password = "pw-inst1"')
t_like "$out" "No reply from server" "the stock clients.conf's localhost is no client of the hotspot server"
t_ok "the spool directory holds the routers cache" test -f "$STAGE/var/spool/hotspot-aaa/hotspot-clients.cache"
t_ok "freeradius still runs" hs_running radiusd
hs_kill radiusd
t_is "$?" 0 "freeradius exits 0 on SIGTERM"

# --- installing again ---------------------------------------------------------------

printf '\n# edited by the operator\n' >>"$RADDB/mods-available/hotspot"
sed -i 's/connect_timeout = 3$/connect_timeout = 7/' "$RADDB/mods-available/hotspot"
mod_sum=$(sum "$RADDB/mods-available/hotspot")
site_sum=$(sum "$RADDB/sites-available/hotspot")
dyn_sum=$(sum "$RADDB/sites-available/hotspot-dynamic-clients")
dict_sum=$(sum "$RADDB/dictionary")
t_ok "a second make install succeeds" install_raddb RADDB_ENABLE=1 RADIUS_ENV="$ENVFILE"
t_is "$(sum "$RADDB/mods-available/hotspot")" "$mod_sum" "  the edited mods-available/hotspot is kept"
t_like "$(cat "$HS_SUITE_DIR/install.log")" "mods-available/hotspot was edited: kept; the new version is .*hotspot.hotspot-new" \
	"  and the install says so"
t_ok "  the new version is next to it" bash -c "grep -qE 'connect_timeout = 3\$' '$RADDB/mods-available/hotspot.hotspot-new' &&
	! grep -q 'edited by the operator' '$RADDB/mods-available/hotspot.hotspot-new'"
t_is "$(sum "$RADDB/sites-available/hotspot") $(sum "$RADDB/sites-available/hotspot-dynamic-clients")" \
	"$site_sum $dyn_sum" "  the servers are unchanged"
t_is "$(sum "$RADDB/dictionary")" "$dict_sum" "  raddb/dictionary is unchanged (one include line)"
t_is "$(readlink "$RADDB/mods-enabled/hotspot")" "../mods-available/hotspot" "  the link is unchanged"
t_ok "  freeradius -C still accepts it" "${AS[@]}" freeradius -C -d "$RADDB"

# New settings: what nobody edited is replaced, what was edited is kept.
NEW_PORT=$(hs_free_port udp)
sed -i "s/^RADIUS_AUTH_PORT=.*/RADIUS_AUTH_PORT=$NEW_PORT/" "$ENVFILE"
t_ok "an install with another auth port succeeds" install_raddb RADIUS_ENV="$ENVFILE"
t_ok "  the unedited sites-available/hotspot takes it" \
	grep -qE "^[[:space:]]*port = $NEW_PORT\$" "$RADDB/sites-available/hotspot"
t_is "$(sum "$RADDB/mods-available/hotspot")" "$mod_sum" "  the edited module file is still kept"
t_ok "  without RADDB_ENABLE the links stay as they were" test -L "$RADDB/sites-enabled/hotspot"

# The environment wins over the file; a bad value stops the install, named.
t_fail "a port out of range stops the install" install_raddb RADIUS_ENV="$ENVFILE" RADIUS_ACCT_PORT=70000
t_like "$(cat "$HS_SUITE_DIR/install.log")" "RADIUS_ACCT_PORT: '70000' is not a number" "  naming the setting"

# --- no settings file, the stock servers enabled ------------------------------------

STAGE2=$HS_SUITE_DIR/root2
mkdir -p "$STAGE2/etc/freeradius"
cp -a "$STOCK" "$STAGE2/etc/freeradius/"
echo "# the operator's own" >"$STAGE2/etc/freeradius/3.0/mods-enabled/hotspot"
t_ok "make install without a settings file succeeds" \
	bash -c "make -s -C '$HS_ROOT' install DESTDIR='$STAGE2' RADDB=/etc/freeradius/3.0 RADDB_ENABLE=1 \
	>'$HS_SUITE_DIR/install2.log' 2>&1"
log2=$(cat "$HS_SUITE_DIR/install2.log")
t_like "$log2" "sites-enabled/default listens on 1812/1813 too" \
	"  it warns that the stock default server takes the same ports"
t_like "$log2" "set the database password in .*/mods-available/hotspot \\(it is CHANGE-ME\\)" \
	"  and that the password is a placeholder"
t_like "$log2" "mods-enabled/hotspot is one of your own: left as it is" \
	"  an operator's own file where a link would go is left alone"
t_is "$(cat "$STAGE2/etc/freeradius/3.0/mods-enabled/hotspot")" "# the operator's own" "  unchanged"
t_ok "  the placeholder is in the file" grep -qF "password = 'CHANGE-ME'" \
	"$STAGE2/etc/freeradius/3.0/mods-available/hotspot"
t_ok "  the servers listen on every address, 1812 and 1813" bash -c "grep -qF 'ipaddr = *' '$STAGE2/etc/freeradius/3.0/sites-available/hotspot' &&
	grep -qE 'port = 1812\$' '$STAGE2/etc/freeradius/3.0/sites-available/hotspot' &&
	grep -qE 'port = 1813\$' '$STAGE2/etc/freeradius/3.0/sites-available/hotspot'"

# tree DIR: every path under DIR with its mode, owner, link target and contents' checksum.
tree() {
	(cd "$1" && find . -printf '%p %m %u:%g %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}
before=$(tree "$STAGE2")
t_ok "the same install again succeeds" \
	bash -c "make -s -C '$HS_ROOT' install DESTDIR='$STAGE2' RADDB=/etc/freeradius/3.0 RADDB_ENABLE=1 \
	>'$HS_SUITE_DIR/install3.log' 2>&1"
t_is "$(tree "$STAGE2")" "$before" "  and changes nothing at all: no file, mode, owner or link"

# --- no FreeRADIUS configuration -------------------------------------------------------

EMPTY=$HS_SUITE_DIR/empty
t_ok "without a FreeRADIUS configuration, make install skips it" \
	make -s -C "$HS_ROOT" install DESTDIR="$EMPTY" RADDB=/etc/freeradius/3.0
t_ok "  and installs no raddb file" test ! -e "$EMPTY/etc/freeradius"
t_fail "  RADDB_ENABLE=1 without one is an error" \
	make -s -C "$HS_ROOT" install DESTDIR="$EMPTY" RADDB=/etc/freeradius/3.0 RADDB_ENABLE=1

t_ok "the real /etc/freeradius/3.0/dictionary is untouched" test "$(sum "$STOCK/dictionary")" = "$dict_before"

t_done
