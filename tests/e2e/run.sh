#!/usr/bin/env bash
# Black-box end-to-end suite against a running gateway (bash + curl + grep).
#
#   BASE_URL=http://127.0.0.1:5002 tests/e2e/run.sh [CASE-FILE-PATTERN]
#
# Runs every tests/e2e/cases/*.sh in name order (or those matching the
# pattern). Prints one line per case ("ok   - name" or "FAIL - name: expected …
# got …"), then "N passed, N failed"; exits 1 when any case failed.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$E2E_DIR/lib.sh"

for f in "$E2E_DIR"/cases/*.sh; do
    case $(basename "$f") in *${1:-}*) ;; *) continue ;; esac
    # shellcheck disable=SC1090
    source "$f"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
