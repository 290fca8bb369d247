#!/usr/bin/env bash
# gen-raddb.sh OUTDIR
#
# Writes a self-contained FreeRADIUS configuration directory for the stock
# server with rlm_hotspot, from the templates next to this script and these
# environment variables (defaults in brackets):
#
#   RADIUS_LISTEN            address the listeners bind [127.0.0.1]
#   RADIUS_AUTH_PORT         authentication port [1812]
#   RADIUS_ACCT_PORT         accounting port [1813]
#   RADIUS_CLIENT_SECRET     secret of the localhost client (required)
#   RADIUS_LOG_DESTINATION   files, stdout, stderr or syslog [files]
#   RADIUS_REJECT_DELAY      seconds an Access-Reject is held back, 0-5 [1]
#   RADIUS_MAX_THREADS       worker threads at most [32]
#   RADIUS_INTERIM_INTERVAL  Acct-Interim-Interval in seconds [300]
#   RADIUS_CLIENT_LIFETIME   seconds a router stays a client before it is looked
#                            up again (a changed secret takes effect), 1-60 [30]
#   RADIUS_CLIENTS_REFRESH   seconds between reloads of the routers, 1-60 [10]
#   RADIUS_SPOOL_FILE        accounting spool for database outages
#                            [OUTDIR/var/hotspot-accounting.spool]
#   RADIUS_CLIENTS_CACHE_FILE  durable copy of the routers (mode 0600, holds
#                            their secrets) [OUTDIR/var/hotspot-clients.cache]
#   HS_MODULE_DIR            directory holding rlm_hotspot.so [the build directory]
#   HS_LOG_DIR               log directory [OUTDIR/log]
#   DB_HOST [127.0.0.1]  DB_PORT [5432]  DB_DATABASE [hotspot]
#   DB_RADIUS_USERNAME [hs_radius]  DB_RADIUS_PASSWORD (required)
#   DB_CONNECT_TIMEOUT       seconds [3]
#
# Then: freeradius -C -d OUTDIR (check), freeradius -f -d OUTDIR (run in the
# foreground; add -l stdout to log there). Regenerating replaces the
# generated files and leaves logs alone. Everything is written with umask
# 077: the client secret and the database password are in it.
set -euo pipefail

die() {
	echo "gen-raddb: $*" >&2
	exit 1
}

[[ $# -eq 1 && -n $1 ]] || die "usage: $0 OUTDIR"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

umask 077
mkdir -p "$1"
out=$(cd "$1" && pwd)
[[ $out != / ]] || die "OUTDIR must not be /"

# A path is written unquoted into $INCLUDE lines and FreeRADIUS's
# ${...} expansions, so it may hold no blank, quote, backslash or '$'.
check_path() { # check_path NAME VALUE
	[[ $2 == /* ]] || die "$1: '$2' is not an absolute path"
	[[ $2 =~ ^[^[:space:][:cntrl:]\'\"\\\$\{\}]+$ ]] ||
		die "$1: '$2' holds a blank, quote, backslash, '\$' or brace; choose another path"
}

check_uint() { # check_uint NAME VALUE MIN MAX
	[[ $2 =~ ^[0-9]{1,10}$ ]] && (($2 >= $3 && $2 <= $4)) ||
		die "$1: '$2' is not a number from $3 to $4"
}

# Values go between single quotes, where FreeRADIUS reads \' as a quote and
# keeps every other byte, backslashes included; so a backslash right before
# a quote or at the end cannot be written, nor can a control character.
check_quotable() { # check_quotable NAME VALUE
	[[ $2 != *[[:cntrl:]]* ]] || die "$1: holds a control character"
	[[ $2 != *\\\' && $2 != *\\\'* && $2 != *\\ ]] ||
		die "$1: a backslash before a quote or at the end cannot be written to FreeRADIUS's configuration"
}

quote_escape() { # single-quoted FreeRADIUS string contents
	local v=${1//\'/\\\'}
	printf '%s' "$v"
}

listen=${RADIUS_LISTEN:-127.0.0.1}
auth_port=${RADIUS_AUTH_PORT:-1812}
acct_port=${RADIUS_ACCT_PORT:-1813}
log_dest=${RADIUS_LOG_DESTINATION:-files}
reject_delay=${RADIUS_REJECT_DELAY:-1}
max_threads=${RADIUS_MAX_THREADS:-32}
interim=${RADIUS_INTERIM_INTERVAL:-300}
client_lifetime=${RADIUS_CLIENT_LIFETIME:-30}
clients_refresh=${RADIUS_CLIENTS_REFRESH:-10}
spool_file=${RADIUS_SPOOL_FILE:-$out/var/hotspot-accounting.spool}
clients_cache_file=${RADIUS_CLIENTS_CACHE_FILE:-$out/var/hotspot-clients.cache}
module_dir=${HS_MODULE_DIR:-$root/build}
log_dir=${HS_LOG_DIR:-$out/log}
db_host=${DB_HOST:-127.0.0.1}
db_port=${DB_PORT:-5432}
db_name=${DB_DATABASE:-hotspot}
db_user=${DB_RADIUS_USERNAME:-hs_radius}
db_timeout=${DB_CONNECT_TIMEOUT:-3}
[[ -n ${RADIUS_CLIENT_SECRET:-} ]] || die "RADIUS_CLIENT_SECRET is not set"
[[ -n ${DB_RADIUS_PASSWORD+set} ]] || die "DB_RADIUS_PASSWORD is not set"
client_secret=$RADIUS_CLIENT_SECRET
db_password=$DB_RADIUS_PASSWORD

if [[ $listen =~ ^[0-9.]+$ ]]; then
	listen_key=ipaddr
elif [[ $listen =~ ^[0-9A-Fa-f:.]+$ && $listen == *:* ]]; then
	listen_key=ipv6addr
elif [[ $listen == '*' ]]; then
	listen_key=ipaddr
else
	die "RADIUS_LISTEN: '$listen' is not an IPv4 or IPv6 address (or *)"
fi
check_uint RADIUS_AUTH_PORT "$auth_port" 1 65535
check_uint RADIUS_ACCT_PORT "$acct_port" 1 65535
[[ $auth_port != "$acct_port" ]] || die "RADIUS_AUTH_PORT and RADIUS_ACCT_PORT are both $auth_port"
case $log_dest in
files | stdout | stderr | syslog) ;;
*) die "RADIUS_LOG_DESTINATION: '$log_dest' is not files, stdout, stderr or syslog" ;;
esac
check_uint RADIUS_REJECT_DELAY "$reject_delay" 0 5
check_uint RADIUS_MAX_THREADS "$max_threads" 1 1024
check_uint RADIUS_INTERIM_INTERVAL "$interim" 60 86400
check_uint RADIUS_CLIENT_LIFETIME "$client_lifetime" 1 60
check_uint RADIUS_CLIENTS_REFRESH "$clients_refresh" 1 60
check_path RADIUS_SPOOL_FILE "$spool_file"
check_path RADIUS_CLIENTS_CACHE_FILE "$clients_cache_file"
check_uint DB_PORT "$db_port" 1 65535
check_uint DB_CONNECT_TIMEOUT "$db_timeout" 1 60
check_path OUTDIR "$out"
check_path HS_MODULE_DIR "$module_dir"
check_path HS_LOG_DIR "$log_dir"
[[ -f $module_dir/rlm_hotspot.so ]] ||
	echo "gen-raddb: warning: no rlm_hotspot.so in $module_dir (run make)" >&2
check_quotable RADIUS_CLIENT_SECRET "$client_secret"
check_quotable DB_RADIUS_PASSWORD "$db_password"
check_quotable DB_HOST "$db_host"
check_quotable DB_DATABASE "$db_name"
check_quotable DB_RADIUS_USERNAME "$db_user"
hotspot_dict=$root/dictionary/dictionary.hotspot
check_path "the dictionary's path" "$hotspot_dict"
[[ -f $hotspot_dict ]] || die "missing $hotspot_dict"

declare -A val=(
	[RADDB]=$out
	[LOG_DIR]=$log_dir
	[LIBDIR]=$module_dir:/usr/lib/freeradius
	[LOG_DESTINATION]=$log_dest
	[REJECT_DELAY]=$reject_delay
	[MAX_THREADS]=$max_threads
	[CLIENT_SECRET]=$(quote_escape "$client_secret")
	[HOTSPOT_DICTIONARY]=$hotspot_dict
	[DB_HOST]=$(quote_escape "$db_host")
	[DB_PORT]=$db_port
	[DB_DATABASE]=$(quote_escape "$db_name")
	[DB_RADIUS_USERNAME]=$(quote_escape "$db_user")
	[DB_RADIUS_PASSWORD]=$(quote_escape "$db_password")
	[DB_CONNECT_TIMEOUT]=$db_timeout
	[INTERIM_INTERVAL]=$interim
	[CLIENT_LIFETIME]=$client_lifetime
	[CLIENTS_REFRESH]=$clients_refresh
	[SPOOL_FILE]=$spool_file
	[CLIENTS_CACHE_FILE]=$clients_cache_file
	[LISTEN_ADDR_KEY]=$listen_key
	[RADIUS_LISTEN]=$listen
	[RADIUS_AUTH_PORT]=$auth_port
	[RADIUS_ACCT_PORT]=$acct_port
)

# render TEMPLATE DEST: replaces every @NAME@ from val in one pass (a value
# that itself looks like @NAME@ is left as it is); a name without a value is
# an error, so a template and this script cannot drift apart.
render() {
	local rest done= name tmp
	rest=$(<"$1")
	while [[ $rest =~ @([A-Z_]+)@ ]]; do
		name=${BASH_REMATCH[1]}
		[[ -n ${val[$name]+set} ]] || die "$1: no value for @$name@"
		done+=${rest%%"${BASH_REMATCH[0]}"*}${val[$name]}
		rest=${rest#*"${BASH_REMATCH[0]}"}
	done
	tmp=$(mktemp "$2.XXXXXX")
	printf '%s%s\n' "$done" "$rest" >"$tmp"
	chmod 0600 "$tmp"
	mv -f "$tmp" "$2"
}

rm -rf "$out/mods-enabled" "$out/sites-enabled"
mkdir -p "$out/mods-enabled" "$out/sites-enabled" "$out/run" "$out/var" "$log_dir/radacct" \
	"$(dirname "$spool_file")" "$(dirname "$clients_cache_file")"
render "$here/radiusd.conf.in" "$out/radiusd.conf"
render "$here/clients.conf.in" "$out/clients.conf"
render "$here/dictionary.in" "$out/dictionary"
render "$here/mods-available/hotspot" "$out/mods-enabled/hotspot"
render "$here/sites-available/hotspot" "$out/sites-enabled/hotspot"
render "$here/sites-available/dynamic-clients" "$out/sites-enabled/dynamic-clients"
