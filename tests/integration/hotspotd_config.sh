#!/usr/bin/env bash
# hotspotd's configuration from the outside: bad values stop start-up with
# exit status 2 and a message naming the key, the environment wins over the
# env file, a junk line in the file is refused with its line number, every
# key is documented, and secrets are never printed.
source "$HS_ROOT/tests/lib/harness.sh"

H=$HS_BUILD/hotspotd
# hs: hotspotd with only the given settings (and DB_PASSWORD unless unset).
hs() { env -i PATH="$PATH" DB_PASSWORD=pw-secret-1 "$@"; }
hs_nopw() { env -i PATH="$PATH" "$@"; }

# expect_error NAME WANT CMD...: exit status 2 and stderr exactly WANT.
expect_error() {
	local name=$1 want=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	t_is "$rc: $err" "2: $want" "$name"
}

expect_error "a port that is not a number" \
	'hotspotd: config: API_PORT: "abc" is not a port number (1-65535)' \
	hs API_PORT=abc "$H" config
expect_error "a port out of range" \
	'hotspotd: config: DB_PORT: "70000" is not a port number (1-65535)' \
	hs DB_PORT=70000 "$H" config
expect_error "zero worker threads" \
	'hotspotd: config: WORKER_THREADS: "0" is out of range (1-256)' \
	hs WORKER_THREADS=0 "$H" config
expect_error "an unknown log level" \
	'hotspotd: config: LOG_LEVEL: "loud" is not one of debug, info, warn, error' \
	hs LOG_LEVEL=loud "$H" config
expect_error "a listen address that is a host name" \
	'hotspotd: config: API_LISTEN: "localhost" is not an IPv4 or IPv6 address' \
	hs API_LISTEN=localhost "$H" config
expect_error "a boolean that is not one" \
	'hotspotd: config: LOG_REQUESTS: "sometimes" is not a boolean (true/false, yes/no, on/off, 1/0)' \
	hs LOG_REQUESTS=sometimes "$H" config
expect_error "a missing DB_PASSWORD" "hotspotd: config: DB_PASSWORD: required but not set" \
	hs_nopw "$H" config
expect_error "serve refuses a bad value before listening" \
	'hotspotd: config: API_PORT: "80x" is not a port number (1-65535)' \
	hs API_PORT=80x "$H" serve
expect_error "migrate refuses a bad value before connecting" \
	'hotspotd: config: DB_CONNECT_TIMEOUT: "0" is out of range (1-300)' \
	hs DB_CONNECT_TIMEOUT=0 "$H" migrate

# The env file.
f=$HS_SUITE_DIR/hotspot.env
cat >"$f" <<'ENV'
# hotspotd settings
export API_PORT=9000
WORKER_THREADS="3"
DB_HOST='db.internal' # a comment
ENV
out=$(hs "$H" --env-file "$f" config)
t_like "$out" $'(^|\n)API_PORT=9000\n' "the file sets a value"
t_like "$out" $'(^|\n)WORKER_THREADS=3\n' "quotes are removed"
t_like "$out" $'(^|\n)DB_HOST=db.internal\n' "a comment after a value is ignored"
out=$(hs API_PORT=9100 "$H" --env-file "$f" config)
t_like "$out" $'(^|\n)API_PORT=9100\n' "the environment wins over the file"
out=$(hs HOTSPOT_ENV_FILE="$f" "$H" config)
t_like "$out" $'(^|\n)API_PORT=9000\n' "HOTSPOT_ENV_FILE names the file"
out=$(hs_nopw "$H" --env-file=<(echo DB_PASSWORD=from-file) config)
t_like "$out" $'(^|\n)DB_PASSWORD=\\(set\\)\n' "a required secret may come from the file"

printf 'API_PORT=9000\nthis line is junk\n' >"$HS_SUITE_DIR/junk.env"
expect_error "a junk line is refused with its line number" \
	"hotspotd: config: $HS_SUITE_DIR/junk.env:2: expected KEY=VALUE" \
	hs "$H" --env-file "$HS_SUITE_DIR/junk.env" config
printf '\n\nAPI_PORT=http\n' >"$HS_SUITE_DIR/bad.env"
expect_error "a bad value in the file names file, line and key" \
	"hotspotd: config: $HS_SUITE_DIR/bad.env:3: API_PORT: \"http\" is not a port number (1-65535)" \
	hs "$H" --env-file "$HS_SUITE_DIR/bad.env" config
expect_error "a missing file is refused" \
	"hotspotd: config: cannot read $HS_SUITE_DIR/none.env: No such file or directory" \
	hs "$H" --env-file "$HS_SUITE_DIR/none.env" config

printf 'NOT_A_SETTING=1\nAPI_PORT=9001\n' >"$HS_SUITE_DIR/unknown.env"
out=$(hs "$H" --env-file "$HS_SUITE_DIR/unknown.env" config 2>"$HS_SUITE_DIR/unknown.err")
t_is "$?" 0 "an unknown key in the file is not fatal"
t_like "$(cat "$HS_SUITE_DIR/unknown.err")" "warn config: .*unknown.env:1: unknown key NOT_A_SETTING" \
	"it is warned about with its line"

# Secrets are masked.
out=$(hs DB_OWNER_PASSWORD=pw-secret-2 "$H" config)
t_like "$out" $'(^|\n)DB_PASSWORD=\\(set\\)\n' "a set secret prints as (set)"
t_like "$out" $'(^|\n)DB_WORKER_PASSWORD=\\(unset\\)\n' "an unset secret prints as (unset)"
t_fail "no secret value is printed" grep -q 'pw-secret' <<<"$out"
key=$("$H" gen-key)
out=$(hs APP_KEY="$key" "$H" config)
t_like "$out" $'(^|\n)APP_KEY=\\(set\\)\n' "APP_KEY is a secret: printed as (set)"
t_fail "the key itself is not printed" grep -qF -- "$key" <<<"$out"
t_is "$(hs APP_KEY="${key%=}" "$H" config 2>&1 >/dev/null)" \
	"hotspotd: config: APP_KEY: not the base64 text of a 32-byte key (hotspotd gen-key makes one)" \
	"a malformed APP_KEY is refused without quoting it"

# Every key is documented in the README.
missing=
for key in $(hs "$H" config | cut -d= -f1); do
	grep -q "^| \`$key\` |" "$HS_ROOT/README.md" || missing="$missing $key"
done
t_is "${missing:-none}" none "every key is in the README"

# The command line.
t_is "$("$H" --version)" "hotspotd $(cat "$HS_ROOT/VERSION")" "--version"
help=$("$H" --help)
t_like "$help" "serve" "--help describes serve"
t_like "$help" "migrate --status" "--help describes migrate --status"
t_like "$help" "config" "--help describes config"
t_like "$help" "gen-key" "--help describes gen-key"
t_like "$help" "encrypt-router-password ROUTER_ID" "--help describes encrypt-router-password"
hs "$H" frobnicate >/dev/null 2>&1
t_is "$?" 2 "an unknown command exits 2"
hs "$H" >/dev/null 2>&1
t_is "$?" 2 "no command exits 2"
hs "$H" config --bogus >/dev/null 2>&1
t_is "$?" 2 "an unknown option exits 2"

t_done
