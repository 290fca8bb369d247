# PostgreSQL helpers shared by the local run (scripts/run.sh) and the test
# runner (tests/run.sh). Sourced, not executed. The cluster runs as the
# postgres user (the server refuses root), listens on 127.0.0.1 only, keeps
# its socket inside its own directory, and so never clashes with a system cluster.

pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || { echo "postgresql server binaries not found (apt-get install postgresql)" >&2; return 1; }
	echo "$d"
}

# pg_as_postgres CMD...: run a command as the postgres user.
pg_as_postgres() {
	runuser -u postgres -- "$@"
}

# pg_usable_dir DIR: true when the postgres user can create files in DIR.
pg_usable_dir() {
	mkdir -p "$1" && chown postgres: "$1" && pg_as_postgres test -w "$1" -a -x "$1"
}

# pg_init DIR: create a cluster in DIR/data (socket in DIR) unless it exists.
pg_init() {
	local dir=$1 bin
	bin=$(pg_bindir) || return 1
	[ -f "$dir/data/PG_VERSION" ] && return 0
	pg_usable_dir "$dir" || { echo "postgres user cannot use $dir" >&2; return 1; }
	pg_as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth-local=peer \
		--auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
password_encryption = 'scram-sha-256'
max_connections = 200
fsync = on
log_timezone = 'UTC'
timezone = 'UTC'
CONF
}

# pg_start DIR PORT: start the cluster in the background, wait until ready.
pg_start() {
	local dir=$1 port=$2 bin
	bin=$(pg_bindir) || return 1
	pg_as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
		-o "-p $port" start >/dev/null || {
		tail -n 20 "$dir/postgres.log" >&2
		return 1
	}
}

# pg_stop DIR: fast shutdown; no-op when not running.
pg_stop() {
	local dir=$1 bin
	bin=$(pg_bindir) || return 1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pg_as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		pg_as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

# pg_super DIR PORT [psql args...]: psql as the superuser over the private socket.
pg_super() {
	local dir=$1 port=$2
	shift 2
	pg_as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d postgres "$@"
}

# pg_roles DIR PORT: create or update the project's login roles from
# HS_PW_OWNER, HS_PW_API, HS_PW_RADIUS, HS_PW_WORKER.
pg_roles() {
	local dir=$1 port=$2
	pg_super "$dir" "$port" \
		-v pw_owner="$HS_PW_OWNER" -v pw_api="$HS_PW_API" \
		-v pw_radius="$HS_PW_RADIUS" -v pw_worker="$HS_PW_WORKER" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY['hs_owner','hs_api','hs_radius','hs_worker']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE hs_owner  LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'pw_owner';
ALTER ROLE hs_api    LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS PASSWORD :'pw_api';
ALTER ROLE hs_radius LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS PASSWORD :'pw_radius';
ALTER ROLE hs_worker LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS PASSWORD :'pw_worker';
SQL
}

# pg_create_db DIR PORT NAME: create database NAME owned by hs_owner unless it exists.
pg_create_db() {
	local dir=$1 port=$2 name=$3
	pg_super "$dir" "$port" -v db="$name" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER hs_owner', :'db')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
}

# pg_random_secret: 32 hex characters from the kernel's CSPRNG.
pg_random_secret() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# port_in_use PORT [tcp|udp]
port_in_use() {
	local flag=-Hltn
	[ "${2:-tcp}" = udp ] && flag=-Hlun
	ss $flag "sport = :$1" 2>/dev/null | grep -q .
}
