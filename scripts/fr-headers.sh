#!/usr/bin/env bash
# fr-headers.sh OUTDIR
#
# Debian's libfreeradius-dev ships radiusd.h without some of the headers it
# includes. This fetches Debian's source package of exactly the installed
# FreeRADIUS version and copies the headers the installed set lacks into
# OUTDIR/freeradius/, so that modules compile with
# -I OUTDIR (the system's /usr/include/freeradius supplies the rest).
#
# The system's apt configuration is left alone: the source index lives in a
# private state directory next to OUTDIR. Re-running is cheap: nothing is
# fetched while OUTDIR/.version matches the installed version.
set -euo pipefail

die() { echo "fr-headers: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 OUTDIR"
out=$1
sysinc=/usr/include/freeradius

installed_version() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null) ||
		die "package $1 is not installed (run scripts/deps.sh)"
	[[ $st == installed\ * ]] || die "package $1 is not fully installed ($st)"
	echo "${st#installed }"
}

ver=$(installed_version freeradius)
devver=$(installed_version libfreeradius-dev)
[[ $ver == "$devver" ]] ||
	die "freeradius $ver and libfreeradius-dev $devver differ; install the same version of both"

# Lists the headers reachable from radiusd.h through <freeradius/...> (or,
# in the source tree, <freeradius-devel/...>) includes, resolving each in
# the installed set first and in SRCINC otherwise.
reachable_headers() {
	local srcinc=$1 queue=(radiusd.h) seen=" " h f inc
	while ((${#queue[@]})); do
		h=${queue[0]}
		queue=("${queue[@]:1}")
		[[ $seen == *" $h "* ]] && continue
		seen+="$h "
		echo "$h"
		if [[ -f $sysinc/$h ]]; then
			f=$sysinc/$h
		elif [[ -f $srcinc/$h ]]; then
			f=$srcinc/$h
		else
			continue
		fi
		while read -r inc; do
			queue+=("$inc")
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<freeradius\(-devel\)\{0,1\}\/\([^>]*\)>.*/\2/p' "$f")
	done
}

headers_complete() {
	local h
	[[ -d $out/freeradius ]] || return 1
	for h in $(reachable_headers "$out/freeradius"); do
		[[ -f $sysinc/$h || -f $out/freeradius/$h ]] || return 1
	done
}

if [[ -f $out/.version && $(<"$out/.version") == "$ver" ]] && headers_complete; then
	exit 0
fi

work=$(cd "$(dirname "$out")" && pwd)/fr-src
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $codename ]] || die "no VERSION_CODENAME in /etc/os-release"

rm -rf "$work/dl/src" "$out/freeradius" "$out/.version"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
cat >"$work/sources.list" <<SRC
deb-src http://deb.debian.org/debian $codename main
deb-src http://deb.debian.org/debian $codename-updates main
deb-src http://deb.debian.org/debian-security $codename-security main
SRC

apt_opts=(
	-o "Dir::Etc::SourceList=$work/sources.list"
	-o "Dir::Etc::SourceParts=/nonexistent"
	-o "Dir::State::Lists=$work/lists"
	-o "Dir::Cache=$work/cache"
	-o "APT::Sandbox::User=root"
)

echo "fr-headers: fetching the freeradius $ver source package ($codename)"
dsc=freeradius_${ver#*:}.dsc
if [[ ! -f $work/dl/$dsc ]]; then
	# Another version's files are of no further use.
	rm -rf "$work/dl" && mkdir -p "$work/dl"
	apt-get "${apt_opts[@]}" -q update >"$work/update.log" 2>&1 ||
		die "apt-get update of the source index failed (see $work/update.log)"
	# apt may settle for a version that merely starts with the one asked
	# for, so the exact .dsc is what tells success.
	if ! (cd "$work/dl" && apt-get "${apt_opts[@]}" -q source --download-only \
		"freeradius=$ver") >"$work/source.log" 2>&1 || [[ ! -f $work/dl/$dsc ]]; then
		die "the Debian archive no longer offers freeradius $ver source (see $work/source.log);" \
			"install/upgrade freeradius to the current Debian version first" \
			"(apt-get update && apt-get install freeradius libfreeradius-dev)"
	fi
fi

(cd "$work/dl" && dpkg-source -q -x "$dsc" src) >"$work/extract.log" 2>&1 ||
	die "unpacking the source package failed (see $work/extract.log)"
srcinc=$work/dl/src/src/include
[[ -f $srcinc/radiusd.h ]] || die "unexpected source layout: no $srcinc/radiusd.h"

mkdir -p "$out/freeradius"
copied=()
for h in $(reachable_headers "$srcinc"); do
	[[ -f $sysinc/$h ]] && continue
	[[ -f $srcinc/$h ]] || die "radiusd.h needs freeradius/$h, found neither in $sysinc nor in the source"
	# The same rewrite upstream's "make install" applies to its headers.
	sed -e 's/#\([\t ]*\)include <freeradius-devel\/\([^>]*\)>/#\1include <freeradius\/\2>/g' \
		"$srcinc/$h" >"$out/freeradius/$h"
	chmod 0644 "$out/freeradius/$h"
	copied+=("$h")
done
rm -rf "$work/dl/src"

echo "$ver" >"$out/.version"
echo "fr-headers: freeradius $ver: added ${copied[*]:-nothing}"
