#!/usr/bin/env bash
# Installs the Node.js tools the tests use into a cache directory under
# build/ (never globally), and prints the path of the one asked for.
#
#   bash scripts/npm-tools.sh redocly      installs @redocly/cli (1.x) if needed;
#                                          prints build/npm-tools/node_modules/.bin/redocly
#
# Node.js itself is the machine's. npm is installed with apt-get only where
# the `npm` command is missing (Debian 12's nodejs package lacks it). Each
# tool is pinned to one release, so that its verdict does not change under
# us; change the pin here to upgrade. Exit status: 0 ready, 1 the
# tool could not be installed (no npm, or the npm registry is unreachable):
# the message says which, on stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${HS_NPM_TOOLS_DIR:-$ROOT/build/npm-tools}

die() {
	echo "npm-tools: $*" >&2
	exit 1
}

# tool name -> npm package, release, binary
case ${1:-} in
redocly)
	PKG=@redocly/cli
	VERSION=1.34.20
	BIN=redocly
	;;
*) die "usage: npm-tools.sh redocly" ;;
esac

command -v node >/dev/null || die "node is not installed (Debian package nodejs)"

# The installed version of PKG under DIR, or "".
installed_version() {
	local pj=$DIR/node_modules/$PKG/package.json
	[ -f "$pj" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$pj" 2>/dev/null || true
}

v=$(installed_version)
if [ "$v" = "$VERSION" ] && [ -x "$DIR/node_modules/.bin/$BIN" ]; then
	echo "$DIR/node_modules/.bin/$BIN"
	exit 0
fi

if ! command -v npm >/dev/null; then
	[ "$(id -u)" = 0 ] || die "npm is missing; install it (apt-get install npm) or run as root"
	echo "npm-tools: installing npm with apt-get" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >&2 ||
		die "apt-get could not install npm"
fi

SPEC=$PKG@$VERSION
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name": "hotspot-aaa-tools", "private": true}' >"$DIR/package.json"
echo "npm-tools: installing $SPEC into $DIR" >&2
log=$DIR/install.log
if ! npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "$SPEC" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	die "npm install $SPEC failed (is the npm registry $(npm config get registry 2>/dev/null) reachable?)"
fi
v=$(installed_version)
[ "$v" = "$VERSION" ] || die "$PKG installed as version '$v', not $VERSION"
echo "npm-tools: $PKG $v" >&2
echo "$DIR/node_modules/.bin/$BIN"
