# Merges api/openapi/base.json and the modules' fragments into one OpenAPI
# document (api/openapi.mk runs it):
#
#   jq -n --arg version V -f merge.jq base.json FRAGMENT.json...
#
# A fragment is {"paths": {...}, "components": {...}} (and optionally
# "tags": [...]). Paths merge by path, then by method; components by section,
# then by name. It is an error (jq exits non-zero, naming the files) when:
# two files define the same method of the same path; two files define the
# same path-level member (parameters, summary...) or component differently;
# a fragment has another top-level member. Tags used by operations but
# described nowhere are added by name. info.version is set to V.

def methods: ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

# [{file, doc}] of every input, base first.
[inputs | {file: input_filename, doc: .}] as $files
| $files[0].doc as $base

# Fragments hold paths, components and tags only.
| ([$files[1:][] | .file as $f | .doc
    | if type != "object" then "\($f): not a JSON object"
      else (keys - ["paths", "components", "tags"])[] | "\($f): unexpected top-level member \"\(.)\""
      end]) as $shape
| if ($shape | length) > 0 then error($shape | join("\n")) else . end

# Every (path, member, file, value) of every file: one row per operation or
# path-level member.
| [$files[] | .file as $f | (.doc.paths // {}) | to_entries[] | .key as $p
   | .value | to_entries[] | {path: $p, member: .key, file: $f, value: .value}] as $rows

# The same operation in two files; the same path-level member with two values.
| ([$rows | group_by([.path, .member])[] | select(length > 1)
    | if (.[0].member | IN(methods[])) then
        "\(map(.file) | join(" and ")) both define \(.[0].member | ascii_upcase) \(.[0].path)"
      elif (map(.value) | unique | length) > 1 then
        "\(map(.file) | join(" and ")) define \(.[0].path)'s \(.[0].member) differently"
      else empty end]) as $dups
| if ($dups | length) > 0 then error($dups | join("\n")) else . end

# Components: one name, one definition.
| [$files[] | .file as $f | (.doc.components // {}) | to_entries[] | .key as $s
   | .value | to_entries[] | {section: $s, name: .key, file: $f, value: .value}] as $comps
| ([$comps | group_by([.section, .name])[] | select(length > 1)
    | select((map(.value) | unique | length) > 1)
    | "\(map(.file) | join(" and ")) define components.\(.[0].section).\(.[0].name) differently"])
  as $clash
| if ($clash | length) > 0 then error($clash | join("\n")) else . end

| ($base.tags // []) + [$files[1:][] | .doc.tags // [] | .[]]
| unique_by(.name) as $declared
| ([$rows[] | select(.member | IN(methods[])) | .value.tags // [] | .[]] | unique) as $used
| ($declared | map(.name)) as $names

| $base
| .info.version = $version
| .paths = (reduce $rows[] as $r ({}; .[$r.path][$r.member] = $r.value))
| .components = (reduce $comps[] as $c ({}; .[$c.section][$c.name] = $c.value))
| .tags = ($base.tags // []) + [$declared[] | select(.name | IN(($base.tags // [])[].name) | not)]
        + [$used[] | select(IN($names[]) | not) | {name: .}]
