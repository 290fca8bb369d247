#!/usr/bin/env bash
# Installs the Debian packages the project builds, tests and runs with.
# Skips what is already there; brings freeradius to the current Debian version,
# because the build fetches the headers Debian's libfreeradius-dev lacks from the
# source package of exactly that version, and the archive keeps only the current one.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config dpkg-dev xz-utils ca-certificates libpcre3-dev
	freeradius freeradius-utils libfreeradius-dev libtalloc-dev
	postgresql postgresql-client libpq-dev
	libmicrohttpd-dev libjansson-dev libssl-dev libcurl4-openssl-dev
	libcmocka-dev libqrencode-dev
	clang clang-format cppcheck valgrind libclang-rt-14-dev
	openssl curl jq xxd iproute2 procps util-linux psmisc qrencode
	python3 python3-cryptography nodejs
)

if [ "$(id -u)" -ne 0 ]; then
	missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null | awk '$1 != "ii" {print $2}' || true)
	echo "deps: not root; assuming packages are installed${missing:+ (missing: $missing)}" >&2
	exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = "ii" ] || missing+=("$p")
done

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	echo "deps: apt-get update"
	apt-get update -q
	updated=1
}

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	echo "deps: installing ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# freeradius at the current Debian version (source package availability).
fr_installed() { dpkg-query -W -f='${Version}' freeradius 2>/dev/null; }
fr_candidate() { apt-cache policy freeradius | awk '/Candidate:/ {print $2}'; }
[ "${HS_DEPS_REFRESH:-0}" = 1 ] && apt_update
if [ "$(fr_installed)" != "$(fr_candidate)" ]; then
	apt_update
	if [ "$(fr_installed)" != "$(fr_candidate)" ]; then
		echo "deps: upgrading freeradius $(fr_installed) -> $(fr_candidate)"
		apt-get install -y -q --no-install-recommends freeradius freeradius-common \
			freeradius-utils libfreeradius3 libfreeradius-dev
	fi
fi

# Debian starts the packaged services where it can; the project runs its own.
for svc in freeradius postgresql; do
	if command -v service >/dev/null && service "$svc" status >/dev/null 2>&1; then
		echo "deps: note: the system $svc service is running; the project uses its own ports and does not touch it"
	fi
done
echo "deps: ok"
