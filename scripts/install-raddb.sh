#!/usr/bin/env bash
# install-raddb.sh: adds rlm_hotspot's configuration to an existing
# FreeRADIUS 3.2 configuration directory (Debian's /etc/freeradius/3.0).
# Run by "make install"; docs/freeradius.md explains the result.
#
# Environment (defaults in brackets):
#   DESTDIR        staging root, prefixed to every path written [empty]
#   RADDB          the FreeRADIUS configuration directory [/etc/freeradius/3.0]
#   RADDB_ENABLE   1: link the module and the two servers into mods-enabled/
#                  and sites-enabled/ [0: install them available only]
#   RADDB_GROUP    group that reads the files; also owns the spool [freerad]
#   RADDB_USER     user that owns the spool directory [freerad]
#   RADIUS_ENV     a .env-style file (KEY=VALUE lines) with the settings below;
#                  the environment wins over it [none]
#   HS_MODULE_DIR  directory holding the built rlm_hotspot.so [build/]
#
# Settings, as gen-raddb.sh reads them: DB_HOST, DB_PORT, DB_DATABASE,
# DB_RADIUS_USERNAME, DB_RADIUS_PASSWORD (left as CHANGE-ME when unset),
# DB_CONNECT_TIMEOUT, RADIUS_INTERIM_INTERVAL, RADIUS_CLIENTS_REFRESH,
# RADIUS_CLIENT_LIFETIME, RADIUS_LISTEN [*], RADIUS_AUTH_PORT [1812],
# RADIUS_ACCT_PORT [1813].
#
# Written (paths under DESTDIR):
#   RADDB/mods-available/hotspot                  the module (0640: database password)
#   RADDB/sites-available/hotspot                 listeners, the routers as clients
#   RADDB/sites-available/hotspot-dynamic-clients the dynamic-client lookup
#   RADDB/dictionary.hotspot                      the project's attributes
#   RADDB/dictionary                              one "$INCLUDE dictionary.hotspot" line, once
#   /var/spool/hotspot-aaa/                       the accounting spool and routers cache (0700)
#
# A configuration file that differs both from the new one and from what
# this script last installed there has been edited: it is kept, and the new
# version is written next to it as NAME.hotspot-new. The checksums of what
# was installed are kept in RADDB/.hotspot-aaa.sha256.
set -euo pipefail

die() {
	echo "install-raddb: $*" >&2
	exit 1
}
note() { echo "install-raddb: $*"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
gen=$root/radiusd-module/raddb/gen-raddb.sh
dict_src=$root/dictionary/dictionary.hotspot

destdir=${DESTDIR:-}
raddb_path=${RADDB:-/etc/freeradius/3.0}
raddb=$destdir$raddb_path
enable=${RADDB_ENABLE:-0}
group=${RADDB_GROUP:-freerad}
user=${RADDB_USER:-freerad}
spool_path=/var/spool/hotspot-aaa
spool=$destdir$spool_path
sums=$raddb/.hotspot-aaa.sha256

[[ $raddb_path == /* ]] || die "RADDB: '$raddb_path' is not an absolute path"
case $enable in 0 | 1 | '') ;; *) die "RADDB_ENABLE: '$enable' is not 0 or 1" ;; esac
if [[ ! -f $raddb/radiusd.conf || ! -d $raddb/mods-available || ! -d $raddb/sites-available ]]; then
	[[ $enable != 1 ]] || die "no FreeRADIUS configuration in $raddb (install freeradius, or set RADDB=)"
	note "no FreeRADIUS configuration in $raddb: its files were not installed (set RADDB= to install them)"
	exit 0
fi

# The settings: the environment first, then RADIUS_ENV. The file is parsed,
# never sourced: only the keys below are taken, and no value is executed.
keys=(DB_HOST DB_PORT DB_DATABASE DB_RADIUS_USERNAME DB_RADIUS_PASSWORD DB_CONNECT_TIMEOUT
	RADIUS_INTERIM_INTERVAL RADIUS_CLIENTS_REFRESH RADIUS_CLIENT_LIFETIME RADIUS_LISTEN
	RADIUS_AUTH_PORT RADIUS_ACCT_PORT)
declare -A setting=()
# unescape TEXT: a double-quoted value's \", \\ and \n, as hotspotd reads
# them; any other backslash stays as it is.
unescape() {
	local in=$1 out='' i c
	for ((i = 0; i < ${#in}; i++)); do
		c=${in:i:1}
		if [[ $c == \\ && ${in:i+1:1} == [\"\\n] ]]; then
			i=$((i + 1))
			c=${in:i:1}
			[[ $c != n ]] || c=$'\n'
		fi
		out+=$c
	done
	printf '%s' "$out"
}
if [[ -n ${RADIUS_ENV:-} ]]; then
	[[ -r $RADIUS_ENV ]] || die "RADIUS_ENV: cannot read '$RADIUS_ENV'"
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line#"${line%%[![:space:]]*}"}
		[[ -z $line || $line == \#* ]] && continue
		line=${line#export }
		[[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || die "$RADIUS_ENV: not KEY=VALUE: $line"
		k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
		if [[ $v =~ ^\'([^\']*)\'[[:space:]]*(#.*)?$ ]]; then
			v=${BASH_REMATCH[1]}
		elif [[ $v =~ ^\"((\\.|[^\"\\])*)\"[[:space:]]*(#.*)?$ ]]; then
			v=$(unescape "${BASH_REMATCH[1]}")
		else
			v=${v%%[[:space:]]#*}
			v=${v%"${v##*[![:space:]]}"}
		fi
		if [[ -n $v ]]; then setting[$k]=$v; fi
	done <"$RADIUS_ENV"
fi
declare -a genenv=()
for k in "${keys[@]}"; do
	if [[ -n ${!k:-} ]]; then
		genenv+=("$k=${!k}")
	elif [[ -n ${setting[$k]:-} ]]; then
		genenv+=("$k=${setting[$k]}")
	fi
done

# gen-raddb.sh renders the templates and checks every value; its client
# secret and paths belong to the throw-away directory.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
env -i PATH="$PATH" RADIUS_CLIENT_SECRET=unused DB_RADIUS_PASSWORD=CHANGE-ME \
	RADIUS_LISTEN='*' HS_MODULE_DIR="${HS_MODULE_DIR:-$root/build}" \
	RADIUS_SPOOL_FILE=$spool_path/hotspot-accounting.spool \
	RADIUS_CLIENTS_CACHE_FILE=$spool_path/hotspot-clients.cache \
	"${genenv[@]}" bash "$gen" "$work/gen" >"$work/gen.log" 2>&1 ||
	die "$(grep -v warning "$work/gen.log" || true)"
lifetime=$(sed -n 's/^[[:space:]]*lifetime = //p' "$work/gen/clients.conf" | head -n1)

header() { # header WHAT: the first lines of an installed file
	printf '%s\n' "# $1" \
		"# Installed by Hotspot AAA's \"make install\" (scripts/install-raddb.sh); see" \
		"# docs/freeradius.md. An edited copy is kept on the next install, which" \
		"# writes its new version next to it as NAME.hotspot-new." "#"
}

# mods-available/hotspot: the paths under /var refer to ${localstatedir},
# as Debian's other modules do; the header comment is the installer's.
{
	header "rlm_hotspot: the module instance \"hotspot\"."
	sed -e '1,/^hotspot {/{/^hotspot {/!d}' \
		-e "s|'$spool_path/\([^']*\)'|\"\${localstatedir}/spool/hotspot-aaa/\1\"|" \
		"$work/gen/mods-enabled/hotspot"
} >"$work/mod"

# sites-available/hotspot: the routers are this server's own clients (looked
# up through hotspot_dynamic_clients), so the listeners answer no client of
# clients.conf and the other servers none of the routers.
{
	header "The hotspot virtual server: MikroTik hotspot logins and accounting."
	sed -n '/^# Access-Request:/,/^server hotspot {/p' "$work/gen/sites-enabled/hotspot"
	cat <<EOF
	# The routers: every address may ask; rlm_hotspot's copy of the routers
	# table names the ones that are clients (secret, Message-Authenticator).
	# A router is looked up again after lifetime seconds (1-60), when a
	# changed secret takes effect.
	client hotspot_routers {
		ipaddr = 0.0.0.0/0
		proto = udp
		dynamic_clients = hotspot_dynamic_clients
		lifetime = $lifetime
	}

	client hotspot_routers6 {
		ipv6addr = ::/0
		proto = udp
		dynamic_clients = hotspot_dynamic_clients
		lifetime = $lifetime
	}

EOF
	sed -n '/^server hotspot {/,$p' "$work/gen/sites-enabled/hotspot" | sed 1d
} >"$work/site"
[[ $(grep -c 'Message-Authenticator := 0x00' "$work/site") == 2 ]] ||
	die "radiusd-module/raddb/sites-available/hotspot does not sign its answers as expected"

{
	header "Routers as RADIUS clients of the hotspot server."
	sed -e '1,/^# rlm_hotspot fills/{/^# rlm_hotspot fills/!d}' \
		-e 's/^server dynamic_clients {/server hotspot_dynamic_clients {/' \
		"$work/gen/sites-enabled/dynamic-clients"
} >"$work/dyn"

# The templates' shape this relies on: a change there must stop the
# install rather than write a server without its listeners or clients.
grep -q '^hotspot {' "$work/mod" && grep -q '^server hotspot {' "$work/site" &&
	grep -q 'listen {' "$work/site" && grep -q 'client hotspot_routers {' "$work/site" &&
	grep -q '^server hotspot_dynamic_clients {' "$work/dyn" ||
	die "radiusd-module/raddb/ templates are not as this script expects"

# Ownership: root and the server's group, as long as both can be set.
owner=()
if [[ $(id -u) == 0 ]] && getent group "$group" >/dev/null; then
	owner=(-o root -g "$group")
else
	note "not root or no group '$group': files are owned by $(id -un)"
fi

sum_of() { sha256sum "$1" | cut -d' ' -f1; }
last_sum() {
	if [[ -f $sums ]]; then sed -n "s|^\([0-9a-f]*\)  $1\$|\1|p" "$sums" | tail -n1; fi
}
record_sum() { # record_sum NAME FILE
	local tmp
	tmp=$(mktemp "$sums.XXXXXX")
	if [[ -f $sums ]]; then grep -v "  $1\$" "$sums" >"$tmp" || true; fi
	printf '%s  %s\n' "$(sum_of "$2")" "$1" >>"$tmp"
	chmod 0640 "$tmp"
	mv -f "$tmp" "$sums"
}

# put NAME SOURCE: installs SOURCE as RADDB/NAME (mode 0640) unless the file
# there was edited since the last install; then it writes NAME.hotspot-new.
put() {
	local name=$1 src=$2 dest=$raddb/$1 prev
	if [[ -e $dest ]]; then
		if cmp -s "$src" "$dest"; then
			record_sum "$name" "$src"
			note "$raddb/$name is up to date"
			return
		fi
		prev=$(last_sum "$name")
		if [[ -z $prev || $prev != "$(sum_of "$dest")" ]]; then
			install -m 0640 "${owner[@]}" "$src" "$dest.hotspot-new"
			note "$raddb/$name was edited: kept; the new version is $raddb/$name.hotspot-new"
			return
		fi
	fi
	install -m 0640 "${owner[@]}" "$src" "$dest"
	record_sum "$name" "$src"
	note "installed $raddb/$name"
}

put mods-available/hotspot "$work/mod"
put sites-available/hotspot "$work/site"
put sites-available/hotspot-dynamic-clients "$work/dyn"
install -m 0640 "${owner[@]}" "$dict_src" "$raddb/dictionary.hotspot"

# raddb/dictionary is where a site adds dictionaries: one include line, once.
# A relative $INCLUDE is read from the directory of the file naming it.
dict=$raddb/dictionary
if [[ ! -f $dict ]] || ! grep -qE '^[[:space:]]*\$INCLUDE[[:space:]]+(\S*/)?dictionary\.hotspot[[:space:]]*$' "$dict"; then
	[[ -f $dict ]] || install -m 0640 "${owner[@]}" /dev/null "$dict"
	[[ ! -s $dict || $(tail -c1 "$dict" | od -An -c | tr -d ' ') == '\n' ]] || echo >>"$dict"
	printf '%s\n' "" "# Hotspot AAA (rlm_hotspot): Hotspot-Reject-Reason and the other" \
		"# attributes of the project." "\$INCLUDE dictionary.hotspot" >>"$dict"
	note "added \$INCLUDE dictionary.hotspot to $raddb/dictionary"
fi

# The spool and the routers cache: written by the server's user only.
if [[ $(id -u) == 0 ]] && getent passwd "$user" >/dev/null && getent group "$group" >/dev/null; then
	install -d -m 0700 -o "$user" -g "$group" "$spool"
else
	install -d -m 0700 "$spool"
	note "$spool_path must be owned by the user FreeRADIUS runs as ($user)"
fi

if [[ $enable == 1 ]]; then
	for f in mods:hotspot sites:hotspot sites:hotspot-dynamic-clients; do
		kind=${f%%:*} name=${f#*:}
		link=$raddb/$kind-enabled/$name
		mkdir -p "$raddb/$kind-enabled"
		if [[ (-e $link || -L $link) && $(readlink "$link") != "../$kind-available/$name" ]]; then
			note "$raddb/$kind-enabled/$name is one of your own: left as it is"
			continue
		fi
		ln -sfn "../$kind-available/$name" "$link"
	done
	note "enabled: mods-enabled/hotspot, sites-enabled/hotspot, sites-enabled/hotspot-dynamic-clients"
	port=$(sed -n 's/^[[:space:]]*port = //p' "$work/site" | head -n1)
	if [[ -e $raddb/sites-enabled/default && ($port == 1812 || $port == 1813) ]]; then
		note "sites-enabled/default listens on 1812/1813 too: disable it or choose other ports (docs/freeradius.md)"
	fi
else
	note "not enabled (RADDB_ENABLE=1 links them into mods-enabled/ and sites-enabled/)"
fi
if grep -qF "password = 'CHANGE-ME'" "$raddb/mods-available/hotspot"; then
	note "set the database password in $raddb/mods-available/hotspot (it is CHANGE-ME)"
fi
