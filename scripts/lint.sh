#!/usr/bin/env bash
# make lint: cppcheck and clang-tidy over every C source; quiet unless something is found.
#   scripts/lint.sh "<compiler flags for third-party headers>" FILE...
set -uo pipefail
pkg_cflags=$1
shift
inc=(-Icommon/include -Ireport/include -Ireport/src)
for d in gateway svc-auth svc-runs svc-financial svc-deals; do inc+=("-I$d/src"); done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
    --std=c11 -D_GNU_SOURCE "${inc[@]}" --suppress=missingIncludeSystem "$@" >"$out" 2>&1 || rc=1
# shellcheck disable=SC2086
clang-tidy --quiet "$@" -- -std=c17 -D_GNU_SOURCE "${inc[@]}" $pkg_cflags >>"$out" 2>&1 || rc=1
grep -v -E '^[0-9]+ warnings? generated\.$' "$out"
[ "$rc" -eq 0 ] && echo "lint: clean ($# files)"
exit "$rc"
