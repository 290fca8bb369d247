#!/usr/bin/env bash
# hotspotd migrate: applies the migrations to an empty database, applies
# nothing the second time, refuses changed or missing applied files and bad
# file names, rolls back a broken migration without recording it, and lets
# two concurrent runs apply each file once.
source "$HS_ROOT/tests/lib/harness.sh"

H=$HS_BUILD/hotspotd
MIG=$HS_SUITE_DIR/migrations
cp -r "$HS_ROOT/sql/migrations" "$MIG"
export MIGRATIONS_DIR=$MIG
nfiles=$(ls "$MIG"/*.sql | wc -l)
latest=$(basename "$(ls "$MIG"/*.sql | sort | tail -n 1)" | cut -c1-4)

fresh_db() {
	hs_psql_super -q -v db="$1" <<'SQL' >/dev/null
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db') \gexec
SELECT format('CREATE DATABASE %I OWNER hs_owner', :'db') \gexec
SQL
}
q() { hs_psql_as hs_owner hs_migrate -At -c "$1"; }
applied_count() { q "SELECT count(*) FROM schema_migrations"; }

fresh_db hs_migrate
hs_db_env hs_migrate

# --status on an empty database: all pending, and nothing created.
out=$("$H" migrate --status 2>&1)
t_is "$?" 0 "status on an empty database succeeds"
t_like "$out" "pending  0001_[a-z0-9_]+\.sql" "status lists pending files"
t_like "$out" "0 applied, $nfiles pending" "status counts them"
t_is "$(q "SELECT to_regclass('schema_migrations') IS NULL")" t "status creates nothing"

# First run applies everything.
out=$("$H" migrate 2>&1)
t_is "$?" 0 "migrate on an empty database succeeds"
t_like "$out" "applied 0001_[a-z0-9_]+\.sql" "it names what it applied"
t_like "$out" "$nfiles applied \(at $latest\)" "it reports the count and the version"
t_is "$(applied_count)" "$nfiles" "every file is recorded"
first=$(ls "$MIG"/*.sql | sort | head -n 1)
t_is "$(q "SELECT checksum FROM schema_migrations ORDER BY version LIMIT 1")" \
	"$(sha256sum "$first" | cut -d' ' -f1)" "the recorded checksum is the file's sha256"
t_is "$(q "SELECT name FROM schema_migrations ORDER BY version LIMIT 1")" \
	"$(basename "$first")" "the recorded name is the file name"

# Second run is a no-op.
out=$("$H" migrate 2>&1)
t_is "$?" 0 "second migrate succeeds"
t_like "$out" "nothing to apply \(at $latest\)" "second migrate applies nothing"
t_is "$(applied_count)" "$nfiles" "no row added"

out=$("$H" migrate --status 2>&1)
t_like "$out" "$nfiles applied, 0 pending" "status after migrating"

# An applied file that changed by one byte is refused, naming it.
cp "$first" "$HS_SUITE_DIR/first.bak"
printf ' ' >>"$first"
out=$("$H" migrate 2>&1)
rc=$?
t_is "$rc" 1 "a changed applied migration is refused"
t_like "$out" "$(basename "$first") changed after it was applied" "the refusal names the file"
t_like "$out" "refusing to run; nothing applied" "it says nothing was applied"
out=$("$H" migrate --status 2>&1)
t_is "$?" 1 "status reports the change too"
cp "$HS_SUITE_DIR/first.bak" "$first"

# A missing applied file is refused, naming it, even with a new file pending.
second=$(ls "$MIG"/*.sql | sort | sed -n 2p)
mv "$second" "$HS_SUITE_DIR/"
printf 'CREATE TABLE hs_probe_pending (x int);\n' >"$MIG/9990_probe.sql"
out=$("$H" migrate 2>&1)
t_is "$?" 1 "a missing applied migration is refused"
t_like "$out" "$(basename "$second") was applied but is missing" "the refusal names the missing file"
t_is "$(q "SELECT to_regclass('hs_probe_pending') IS NULL")" t "the pending file was not applied"
mv "$HS_SUITE_DIR/$(basename "$second")" "$MIG/"
rm -f "$MIG/9990_probe.sql"

# A file whose name is not NNNN_name.sql stops migrate before it connects.
touch "$MIG/README.md"
out=$("$H" migrate 2>&1)
t_is "$?" 1 "a stray file name is refused"
t_like "$out" "README.md: not a migration file name" "the refusal names it"
rm -f "$MIG/README.md"

# A broken new migration is rolled back and not recorded.
printf 'CREATE TABLE hs_probe_broken (x int);\nSELECT no_such_column FROM hs_probe_broken;\n' \
	>"$MIG/9991_broken.sql"
out=$("$H" migrate 2>&1)
t_is "$?" 1 "a broken migration fails"
t_like "$out" "9991_broken.sql line 2: column \"no_such_column\" does not exist" \
	"the error names the file, the line and the server's message"
t_is "$(q "SELECT to_regclass('hs_probe_broken') IS NULL")" t "its statements were rolled back"
t_is "$(q "SELECT count(*) FROM schema_migrations WHERE version = '9991'")" 0 "it is not recorded"
rm -f "$MIG/9991_broken.sql"

# A good new migration after the broken one is gone.
printf 'CREATE TABLE hs_probe_ok (x int);\n' >"$MIG/9992_probe_ok.sql"
out=$("$H" migrate 2>&1)
t_is "$?" 0 "a new migration applies"
t_like "$out" "applied 9992_probe_ok.sql" "it is named"
t_is "$(applied_count)" "$((nfiles + 1))" "it is recorded"

# A pending file older than the latest applied one is refused.
printf 'SELECT 1;\n' >"$MIG/9000_late.sql"
out=$("$H" migrate 2>&1)
t_is "$?" 1 "an out-of-order migration is refused"
t_like "$out" "9000_late.sql is pending but older than the latest applied" "the refusal names it"
rm -f "$MIG/9000_late.sql" "$MIG/9992_probe_ok.sql"

# Two migrates at once on a new database: the advisory lock serializes them.
fresh_db hs_migrate2
hs_db_env hs_migrate2
"$H" migrate >"$HS_SUITE_DIR/m1.log" 2>&1 &
p1=$!
"$H" migrate >"$HS_SUITE_DIR/m2.log" 2>&1 &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
t_is "$r1:$r2" "0:0" "two concurrent migrates both succeed"
t_is "$(hs_psql_as hs_owner hs_migrate2 -At -c "SELECT count(*) FROM schema_migrations")" \
	"$nfiles" "each migration is recorded once"
t_is "$(cat "$HS_SUITE_DIR/m1.log" "$HS_SUITE_DIR/m2.log" | grep -c '^applied ')" "$nfiles" \
	"each migration is applied once"

# A wrong owner password fails without echoing it.
out=$(DB_OWNER_PASSWORD=wrong-$HS_PW_OWNER "$H" migrate 2>&1)
t_is "$?" 1 "a wrong owner password fails"
t_like "$out" "cannot connect to hs_migrate2 as hs_owner" "the failure says what it tried"
t_fail "the password is not in the output" grep -qF "$HS_PW_OWNER" <<<"$out"

t_done
