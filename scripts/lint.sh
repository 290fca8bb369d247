#!/usr/bin/env bash
# Lints the C sources given as arguments: clang-format (the repository's
# .clang-format) and cppcheck. With --tap, prints TAP for the test runner.
set -u
tap=0
if [ "${1:-}" = --tap ]; then
	tap=1
	shift
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
files=("$@")
n=0 bad=0
report() { # report OK NAME LOG
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		[ $tap = 1 ] && echo "ok $n - $2" || echo "lint: $2: ok"
	else
		bad=$((bad + 1))
		if [ $tap = 1 ]; then
			echo "not ok $n - $2"
			head -n 40 "$3" | sed 's/^/#   /'
		else
			echo "lint: $2: FAILED"
			cat "$3"
		fi
	fi
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ ${#files[@]} -eq 0 ]; then
	echo "lint: no sources given" >"$log"
	report 0 "sources to lint" "$log"
else
	if clang-format --dry-run --Werror "${files[@]}" >"$log" 2>&1; then
		report 1 "clang-format (${#files[@]} files)" "$log"
	else
		report 0 "clang-format (run: clang-format -i <file>)" "$log"
	fi
	if cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --std=c11 -D__GNUC__ -DHS_VERSION='"lint"' -I"$ROOT" \
		--suppress=missingIncludeSystem "${files[@]}" >"$log" 2>&1; then
		report 1 "cppcheck" "$log"
	else
		report 0 "cppcheck" "$log"
	fi
fi
[ $tap = 1 ] && echo "1..$n"
[ $bad -eq 0 ]
