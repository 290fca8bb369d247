#!/usr/bin/env bash
# Suite: every unit test again, built without the sanitizers (into build/vg/)
# and run under valgrind's memcheck: an invalid access, a use of an
# uninitialised value or a definite leak fails it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VG=$ROOT/build/vg
tests=$(cat "$ROOT/build/unit-tests.txt")
n=0 bad=0
result() { # result OK NAME [LOG]
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n - $2"
	else
		bad=$((bad + 1))
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && grep -E '==[0-9]+==|FAILED|error' "$3" | head -n 30 | sed 's/^/#   /'
	fi
}
mkdir -p "$VG"
log=$VG/build.log
if make -s -C "$ROOT" BUILD="$VG" SAN_FLAGS= FR_INCLUDE="$ROOT/build/fr-include" \
	DEPS_STAMP="$ROOT/build/.deps-ok" $(for t in $tests; do echo "$VG/tests/unit/$t"; done) >"$log" 2>&1; then
	result 1 "unit tests build without sanitizers"
else
	result 0 "unit tests build without sanitizers" "$log"
	echo "1..$n"
	exit 1
fi
for t in $tests; do
	log=$VG/$t.valgrind.log
	if CMOCKA_MESSAGE_OUTPUT=STDOUT valgrind -q --error-exitcode=97 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		--track-origins=yes "$VG/tests/unit/$t" >"$log" 2>&1; then
		result 1 "valgrind $t"
	else
		result 0 "valgrind $t" "$log"
	fi
done
echo "1..$n"
[ $bad -eq 0 ]
