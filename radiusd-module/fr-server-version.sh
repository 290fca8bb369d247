#!/usr/bin/env bash
# Prints the installed FreeRADIUS server's version in the notation of
# RADIUSD_VERSION (MMmmpp, e.g. 030201 for 3.2.1), for the build's check
# that the module's headers match the server that will load it.
set -euo pipefail
bin=$(command -v freeradius || command -v radiusd || true)
[[ -n $bin ]] || { echo "fr-server-version: freeradius is not installed" >&2; exit 1; }
line=$("$bin" -v 2>/dev/null | grep -m1 -o 'Version [0-9]*\.[0-9]*\.[0-9]*' || true)
[[ -n $line ]] || { echo "fr-server-version: cannot read the version from '$bin -v'" >&2; exit 1; }
IFS=. read -r major minor patch <<<"${line#Version }"
printf '%02d%02d%02d\n' "$major" "$minor" "$patch"
