#!/usr/bin/env bash
# hotspotd serve: GET /api/v1/openapi.json over real HTTP. The document is
# the build's, public, and describes exactly the routes hotspotd has (its
# own `hotspotd routes`): each operation with its method, its security as
# the route's ability says (401 and 429 for a token, 403 for a named
# ability, none for "self"), the answers the rules ask for, JSON for every
# error and a named media type for every success; it passes
# `redocly lint` (redocly.yaml) with no error. The build's merge refuses two
# fragments with the same operation, a component defined twice differently
# and a fragment of another shape.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
DB=hs_api_openapi
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1

t_ok "serve answers HTTP" serve_on serve
U=http://127.0.0.1:$SERVE_PORT/api/v1/openapi.json
b=$HS_SUITE_DIR/doc.json
hdr=$HS_SUITE_DIR/headers.txt

# --- the document served ---------------------------------------------------------
code=$(curl -s -o "$b" -D "$hdr" -w '%{http_code}' --max-time 10 "$U")
t_is "$code" 200 "GET /api/v1/openapi.json without a token is 200"
t_like "$(grep -i '^content-type:' "$hdr" | tr -d '\r')" '^[Cc]ontent-[Tt]ype: application/json' \
	"as application/json"
t_ok "the body is JSON" jq -e 'type == "object"' "$b"
t_is "$(j .openapi)" 3.0.3 "openapi is 3.0.3"
t_is "$(j .info.title)" "Hotspot AAA API" "info.title"
t_is "$(j .info.version)" "$(cat "$HS_ROOT/VERSION")" "info.version is the VERSION file's"
t_is "$("$H" --version)" "hotspotd $(j .info.version)" "and hotspotd's own version"
t_ok "it is the build's document, byte for byte" cmp "$b" "$HS_BUILD/openapi.json"
t_is "$(j '.components.securitySchemes.bearer | [.type, .scheme] | @tsv')" "$(printf 'http\tbearer')" \
	"the bearer scheme is an HTTP bearer"
t_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Authorization: Bearer nope' "$U")" 200 \
	"a wrong token does not matter on a public route"
t_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$U")" 405 "POST is 405"
t_is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -I "$U")" 200 "HEAD is 200"

# --- the routes: hotspotd's table against the document ------------------------------
routes=$HS_SUITE_DIR/routes.txt
t_ok "hotspotd routes prints the table" sh -c "'$H' routes >'$routes'"
t_is "$(awk 'NF != 3 || $1 !~ /^(GET|POST|PUT|PATCH|DELETE)$/ || $2 !~ /^\//' "$routes")" "" \
	"each line is METHOD PATTERN ABILITY"
t_like "$(wc -l <"$routes")" '^[1-9][0-9]*$' "it lists routes"
t_is "$(grep -c '^GET /api/v1/openapi.json -$' "$routes")" 1 "it lists this route, public"
t_is "$(grep -c '^GET /api/v1/router-management/:id routers.read$' "$routes")" 1 \
	"it lists a route with its ability"
t_fail "hotspotd routes refuses arguments" "$H" routes extra

# "METHOD /path/{name}" of every route, and of every documented operation.
table=$HS_SUITE_DIR/table.txt documented=$HS_SUITE_DIR/documented.txt
awk '{p = $2; gsub(/:[^\/]+/, "{&}", p); gsub(/\{:/, "{", p); print $1, p}' "$routes" | sort >"$table"
jq -r '.paths | to_entries[] | .key as $p | .value | keys[]
	| select(IN("get","put","post","delete","patch","options","head","trace"))
	| "\(ascii_upcase) \($p)"' "$b" | sort >"$documented"
t_is "$(comm -23 "$table" "$documented" | tr '\n' ';')" "" "every route of the table is documented"
t_is "$(comm -13 "$table" "$documented" | tr '\n' ';')" "" "every documented operation is in the table"
t_is "$(sort "$table" | uniq -d | tr '\n' ';')" "" "no route is in the table twice"

# ability per "METHOD /path/{name}", for the security checks.
abilities=$HS_SUITE_DIR/abilities.json
awk '{p = $2; gsub(/:[^\/]+/, "{&}", p); gsub(/\{:/, "{", p); print $1, p, $3}' "$routes" |
	jq -R -n '[inputs | split(" ") | {key: "\(.[0]) \(.[1])", value: .[2]}] | from_entries' >"$abilities"
# ops: [{op: "METHOD /path", path, v: operation}] of the document, each
# response given by $ref (#/components/responses/...) replaced by its target.
ops='def deref($doc): if type == "object" and has("$ref")
		then .["$ref"] as $r | $doc | getpath($r | ltrimstr("#/") | split("/")) else . end;
	. as $doc | [.paths | to_entries[] | .key as $p | .value | to_entries[]
	| select(.key | IN("get","put","post","delete","patch","options","head","trace"))
	| {op: "\(.key | ascii_upcase) \($p)", path: $p,
	   v: (.value | if .responses then .responses |= map_values(deref($doc)) else . end)}]'
check() { # check NAME JQ-FILTER-over-ops: lists the offending operations; passes when none
	local got
	# A filter that fails is a failure, not an empty list.
	got=$(jq -r --slurpfile ab "$abilities" "$ops | $2 | .[]" "$b" 2>&1) || got="jq failed: $got"
	t_is "$(printf '%s' "$got" | tr '\n' ';')" "" "$1"
}
check "public routes say security []" \
	'map(select($ab[0][.op] == "-" and .v.security != [])) | map(.op)'
check "routes with an ability require the bearer token" \
	'map(select($ab[0][.op] != "-" and ((.v.security // []) | map(has("bearer")) | any | not))) | map(.op)'
check "routes with an ability document 401" \
	'map(select($ab[0][.op] != "-" and (.v.responses | has("401") | not))) | map(.op)'
# The pseudo-ability "self" (api/auth.h API_ABILITY_SELF) is any valid token
# acting on its own admin: api/auth.c grants it before any ability or
# X-Tenant check, so such a route answers 401 but never 403.
check "routes with a named ability document 403" \
	'map(select($ab[0][.op] | IN("-", "self") | not) | select(.v.responses | has("403") | not)) | map(.op)'
check "routes of any valid token (self) do not document the 403 they cannot answer" \
	'map(select($ab[0][.op] == "self" and (.v.responses | has("403")))) | map(.op)'
# Every token is held to API_RATE_LIMIT (api/auth.c), whatever the route.
check "routes with an ability document 429" \
	'map(select($ab[0][.op] != "-" and (.v.responses | has("429") | not))) | map(.op)'
check "operations with a body document 422" \
	'map(select(.v.requestBody and (.v.responses | has("422") | not))) | map(.op)'
check "operations on paths with an {id} (or other) segment document 404" \
	'map(select((.path | test("\\{[^}]+\\}")) and (.v.responses | has("404") | not))) | map(.op)'
check "every operation has an operationId, a summary and tags" \
	'map(select((.v.operationId and .v.summary and ((.v.tags // []) | length > 0)) | not)) | map(.op)'
check "operationIds are unique" \
	'[group_by(.v.operationId)[] | select(length > 1) | .[0].v.operationId]'
# Redocly's no-ambiguous-paths ignores methods (redocly.yaml): POST
# /api/v1/vouchers/{code}/resend-sms and GET /api/v1/vouchers/batches/{id}
# are the same template but never the same request. Two operations of one
# method must not be.
check "no request could match two operations (one method, a literal segment against a {name})" \
	'[.[] as $a | .[] as $b | select($a.op < $b.op)
	  | select(($a.op | split(" ")[0]) == ($b.op | split(" ")[0]))
	  | ($a.path | split("/")) as $x | ($b.path | split("/")) as $y
	  | select(($x | length) == ($y | length))
	  | select([range($x | length) | . as $i
	    | $x[$i] == $y[$i] or ($x[$i] | startswith("{")) or ($y[$i] | startswith("{"))] | all)
	  | "\($a.op) ~ \($b.path)"]'
# A success may be another media type (the event stream, a printable page, a
# file to download) when the document says which; an error is the JSON
# envelope, except on the public pages a buyer reads (a success in
# text/html, no token), which answer errors as pages too.
json='test("^application/json")'
check "every operation documents the media type of its success (204 aside)" \
	'map(select((.v.responses | has("204") | not) and ([.v.responses | to_entries[] | select(.key | test("^2")) | .value.content // {} | keys[]] | length == 0))) | map(.op)'
page='((.v.security // [{}]) == [] and ([.v.responses | to_entries[] | select(.key | test("^2")) | .value.content // {} | keys[]] | any(test("^text/html"))))'
check "every error answer is JSON (an HTML page's may be HTML)" \
	"map(select($page | not) | select([.v.responses | to_entries[] | select(.key | test(\"^[45]\")) | .value.content // {} | keys[]] | all($json) | not)) | map(.op)"
check "a page's errors are JSON or HTML" \
	"map(select($page) | select([.v.responses | to_entries[] | select(.key | test(\"^[45]\")) | .value.content // {} | keys[]] | all($json or test(\"^text/html\")) | not)) | map(.op)"

# --- redocly lint ---------------------------------------------------------------------
lint_log=$HS_SUITE_DIR/redocly.log
if REDOCLY=$(bash "$HS_ROOT/scripts/npm-tools.sh" redocly 2>"$lint_log"); then
	t__result 1 "redocly (@redocly/cli 1.x) installed under build/npm-tools"
	if (cd "$HS_ROOT" && "$REDOCLY" lint --config redocly.yaml --format=stylish "$b") \
		>"$lint_log" 2>&1; then
		t__result 1 "redocly lint: no error"
		grep -E '^ +[0-9]+:[0-9]+ +warning' "$lint_log" | sed 's/^/# /'
	else
		t__result 0 "redocly lint: no error" "$lint_log"
	fi
else
	# No skip: a document nobody linted is a failure.
	t__result 0 "redocly (@redocly/cli 1.x) installed under build/npm-tools (needs npm and the npm registry)" \
		"$lint_log"
fi

# --- the build's merge ---------------------------------------------------------------
merge() { jq -n -c --arg version 9.9.9 -f "$HS_ROOT/api/openapi/merge.jq" "$@"; }
frag=$HS_SUITE_DIR/frag
mkdir -p "$frag"
BASE=$HS_ROOT/api/openapi/base.json
cat >"$frag/a.json" <<'EOF'
{"paths": {"/x": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}},
 "components": {"schemas": {"X": {"type": "string"}}}}
EOF
cat >"$frag/b.json" <<'EOF'
{"paths": {"/x": {"post": {"operationId": "b", "responses": {"200": {"description": "ok"}}}},
           "/y": {"get": {"operationId": "c", "tags": ["Extra"], "responses": {"200": {"description": "ok"}}}}},
 "components": {"schemas": {"X": {"type": "string"}, "Y": {"type": "integer"}}}}
EOF
echo '{"paths": {"/x": {"get": {"operationId": "d", "responses": {}}}}}' >"$frag/dup.json"
echo '{"components": {"schemas": {"X": {"type": "integer"}}}}' >"$frag/clash.json"
echo '{"paths": {}, "info": {"title": "mine"}}' >"$frag/shape.json"
merged=$HS_SUITE_DIR/merged.json
t_ok "fragments merge" sh -c "$(declare -f merge); merge '$BASE' '$frag/a.json' '$frag/b.json' >'$merged'"
t_is "$(jq -r '[.paths["/x"] | keys[]] | join(",")' "$merged")" get,post "one path's methods from two fragments merge"
t_is "$(jq -r '[.components.schemas.X.type, .components.schemas.Y.type, .components.securitySchemes.bearer.type] | join(",")' "$merged")" \
	string,integer,http "components merge by name with base's; an identical one twice is one"
t_is "$(jq -r '.info.version' "$merged")" 9.9.9 "info.version is the one given"
t_is "$(jq -r '[.tags[].name] | index("Extra") != null' "$merged")" true "a tag only used is listed"
t_fail "the same operation in two fragments stops the build" merge "$BASE" "$frag/a.json" "$frag/dup.json"
merge "$BASE" "$frag/a.json" "$frag/dup.json" >/dev/null 2>"$HS_SUITE_DIR/dup.err"
t_like "$(cat "$HS_SUITE_DIR/dup.err")" 'a\.json and .*dup\.json both define GET /x' "naming both files and the operation"
t_fail "a component defined differently twice stops the build" merge "$BASE" "$frag/a.json" "$frag/clash.json"
t_fail "a fragment with another top-level member stops the build" merge "$BASE" "$frag/shape.json"

t_done
