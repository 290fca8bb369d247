#!/usr/bin/env bash
# make run: PostgreSQL, the stock FreeRADIUS with rlm_hotspot, and hotspotd,
# all on 127.0.0.1, in the foreground with their logs on this terminal.
# State lives under var/ (database, generated raddb, secrets) and is reused
# by the next run. Ctrl-C stops everything.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
VAR=$ROOT/var
source "$ROOT/scripts/pglib.sh"

PG_PORT=${HS_RUN_PG_PORT:-55432}
AUTH_PORT=${HS_RUN_AUTH_PORT:-21812}
ACCT_PORT=${HS_RUN_ACCT_PORT:-21813}
API_PORT=${HS_RUN_API_PORT:-28080}
DB_NAME=hotspot

mkdir -p "$VAR/log"
chmod 755 "$VAR"

# Secrets: made once, kept in var/secrets.env (mode 0600).
SECRETS=$VAR/secrets.env
if [ ! -f "$SECRETS" ]; then
	umask 077
	cat >"$SECRETS" <<ENV
HS_PW_OWNER=$(pg_random_secret)
HS_PW_API=$(pg_random_secret)
HS_PW_RADIUS=$(pg_random_secret)
HS_PW_WORKER=$(pg_random_secret)
RADIUS_CLIENT_SECRET=$(pg_random_secret)
DEMO_API_TOKEN=hs_$(pg_random_secret)$(pg_random_secret)
ENV
	umask 022
fi
set -a
source "$SECRETS"
set +a
# The key that seals routers' API passwords (added to older secrets files too).
if [ -z "${APP_KEY:-}" ]; then
	APP_KEY=$("$BUILD/hotspotd" gen-key)
	echo "APP_KEY=$APP_KEY" >>"$SECRETS"
fi

# The cluster's directory must be reachable by the postgres user; a checkout
# under a private home directory is not, so fall back to /var/lib.
PGDIR=$VAR/pg
if ! { mkdir -p "$PGDIR" && pg_usable_dir "$PGDIR"; } 2>/dev/null; then
	PGDIR=/var/lib/hotspot-aaa/$(echo -n "$ROOT" | sha256sum | cut -c1-12)/pg
	mkdir -p "$(dirname "$PGDIR")"
	chmod 755 /var/lib/hotspot-aaa "$(dirname "$PGDIR")"
	echo "run: $VAR is not reachable by the postgres user; the cluster lives in $PGDIR"
fi

for p in "$PG_PORT:tcp" "$AUTH_PORT:udp" "$ACCT_PORT:udp" "$API_PORT:tcp"; do
	if port_in_use "${p%%:*}" "${p##*:}"; then
		[ "${p%%:*}" = "$PG_PORT" ] && [ -f "$PGDIR/data/postmaster.pid" ] && continue
		echo "run: port ${p%%:*}/${p##*:} is already in use (another make run?). Set HS_RUN_PG_PORT, HS_RUN_AUTH_PORT, HS_RUN_ACCT_PORT or HS_RUN_API_PORT." >&2
		exit 1
	fi
done

cleanup() {
	# make answers a signal by sending SIGTERM to this script again: finish
	# stopping everything rather than die half-way.
	trap - EXIT
	trap '' INT TERM
	echo
	echo "run: stopping"
	# Every process started here is a direct child (a background command
	# ignores SIGINT, so Ctrl-C alone does not reach them all).
	pkill -TERM -P $$ 2>/dev/null || true
	for _ in $(seq 1 100); do
		pgrep -P $$ >/dev/null || break
		sleep 0.1
	done
	pkill -KILL -P $$ 2>/dev/null || true
	pg_stop "$PGDIR"
	echo "run: stopped (data kept in $PGDIR for the next make run)"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "run: PostgreSQL on 127.0.0.1:$PG_PORT ($PGDIR)"
pg_init "$PGDIR"
pg_stop "$PGDIR"
pg_start "$PGDIR" "$PG_PORT"
tail -n 0 -F "$PGDIR/postgres.log" 2>/dev/null | sed -u 's/^/[pg] /' &
pg_roles "$PGDIR" "$PG_PORT"
pg_create_db "$PGDIR" "$PG_PORT" "$DB_NAME"

ENVFILE=$VAR/hotspotd.env
umask 077
cat >"$ENVFILE" <<ENV
DB_HOST=127.0.0.1
DB_PORT=$PG_PORT
DB_DATABASE=$DB_NAME
DB_USERNAME=hs_api
DB_PASSWORD=$HS_PW_API
DB_WORKER_USERNAME=hs_worker
DB_WORKER_PASSWORD=$HS_PW_WORKER
DB_OWNER_USERNAME=hs_owner
DB_OWNER_PASSWORD=$HS_PW_OWNER
API_LISTEN=127.0.0.1
API_PORT=$API_PORT
APP_KEY=$APP_KEY
MIGRATIONS_DIR=$ROOT/sql/migrations
# The demo router is this machine (127.0.0.1), outside the default networks.
ROUTER_ALLOWED_NETWORKS=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7,127.0.0.1/32
ROUTER_RADIUS_ADDRESS=127.0.0.1
ROUTER_RADIUS_AUTH_PORT=$AUTH_PORT
ROUTER_RADIUS_ACCT_PORT=$ACCT_PORT
ENV
umask 022

echo "run: applying migrations"
"$BUILD/hotspotd" --env-file "$ENVFILE" migrate 2>&1 | sed -u 's/^/[migrate] /'

echo "run: seeding the demo tenant"
token_hash=$(printf '%s' "$DEMO_API_TOKEN" | sha256sum | cut -d' ' -f1)
voucher=$(PGPASSWORD=$HS_PW_OWNER psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
	-U hs_owner -d "$DB_NAME" -v token_hash="$token_hash" -v router_secret="$RADIUS_CLIENT_SECRET" \
	-v admin_email=admin@demo.local -f "$ROOT/sql/demo/seed.sql" | tail -n 1)
code=${voucher%%|*}
password=${voucher#*|}

RADDB=$VAR/raddb
HS_MODULE_DIR=$BUILD RADIUS_AUTH_PORT=$AUTH_PORT RADIUS_ACCT_PORT=$ACCT_PORT RADIUS_LISTEN=127.0.0.1 \
	DB_HOST=127.0.0.1 DB_PORT=$PG_PORT DB_DATABASE=$DB_NAME DB_RADIUS_USERNAME=hs_radius \
	DB_RADIUS_PASSWORD=$HS_PW_RADIUS RADIUS_CLIENT_SECRET=$RADIUS_CLIENT_SECRET HS_LOG_DIR=$VAR/log RADIUS_LOG_DESTINATION=stdout \
	bash "$ROOT/radiusd-module/raddb/gen-raddb.sh" "$RADDB"

echo "run: FreeRADIUS on 127.0.0.1:$AUTH_PORT (auth) and :$ACCT_PORT (accounting)"
freeradius -f -l stdout -d "$RADDB" 2>&1 | sed -u 's/^/[radius] /' &
radius=$!
echo "run: hotspotd on http://127.0.0.1:$API_PORT"
"$BUILD/hotspotd" --env-file "$ENVFILE" serve 2>&1 | sed -u 's/^/[api] /' &
api=$!

cat <<MSG

================================================================================
 Hotspot AAA is running. Demo tenant "Demo Hotspot" (Africa/Kampala).
 API token (demo admin): $DEMO_API_TOKEN

 Health:
   curl -s http://127.0.0.1:$API_PORT/health
 A hotspot login with a demo 1GB-DAILY voucher, as the router at 127.0.0.1 sends it:
   echo 'User-Name = "$code", User-Password = "$password"' | radclient -x 127.0.0.1:$AUTH_PORT auth $RADIUS_CLIENT_SECRET

 Secrets: $SECRETS   Logs: this terminal   Stop: Ctrl-C
================================================================================

MSG
wait -n "$radius" "$api" || true
echo "run: a process exited; stopping the rest"
