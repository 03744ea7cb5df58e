#!/usr/bin/env bash
# Fault-injection tests (platform.md §9): each tests/faults/NN_*.sh starts its
# own private stack, services and gateway on free ports, injects one fault
# under load and checks the outcome; this runs them one after the other.
#
#   tests/faults/run.sh [PATTERN]      BINDIR=build/asan/bin to test other binaries
#
# Prints each test's counts and "ok   - …" / "FAIL - …" lines, then exactly
# "N passed, N failed" (the sum of the tests' assertions; a test that ends
# without its summary line counts as one failure); exits 1 on any failure.
set -uo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
passed=0
failed=0
for t in "$DIR"/[0-9][0-9]_*.sh; do
    name=$(basename "$t" .sh)
    case $name in *${1:-}*) ;; *) continue ;; esac
    echo "# $name"
    start=$SECONDS
    out=$(mktemp)
    # a guard against a hung test, not a speed limit: a loaded machine is slow
    timeout 900 "$t" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^[A-Za-z0-9_-]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
    rm -f "$out"
    if [ -z "$line" ]; then
        echo "FAIL - $name: ended without a summary (exit $rc)"
        failed=$((failed + 1))
    else
        line=${line#*: }
        passed=$((passed + ${line%% *}))
        n_fail=${line#* passed, }
        n_fail=${n_fail%% *}
        [ "$n_fail" -eq 0 ] && [ "$rc" -ne 0 ] && n_fail=1
        failed=$((failed + n_fail))
    fi
    echo "# $name took $((SECONDS - start)) s"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
