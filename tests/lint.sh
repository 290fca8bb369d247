#!/usr/bin/env bash
# Suite: the lint checks (clang-format, cppcheck) over every C source of the project.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$ROOT/scripts/lint.sh" --tap $(cat "$ROOT/build/lint-sources.txt")
