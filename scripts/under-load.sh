#!/usr/bin/env bash
# Runs a test command several times in a row while stress-ng keeps every core
# busy, to prove that its results do not depend on the machine's speed
# (docs/testing.md). Prints each run's last "total:" / "N passed, N failed"
# line, then one line per run; exits 1 when any run failed.
#
#   scripts/under-load.sh [RUNS] [COMMAND…]      default: 3 × make test
#   STRESS_CPUS=4 scripts/under-load.sh 1 tests/faults/run.sh
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs=${1:-3}
shift || true
[ $# -gt 0 ] || set -- make test
"$ROOT/scripts/install-deps.sh" || exit 1
command -v stress-ng >/dev/null || die "stress-ng is not installed"

LOGS="$ROOT/.run/under-load"
mkdir -p "$LOGS"
stress-ng --cpu "${STRESS_CPUS:-2}" --timeout 0 >"$LOGS/stress-ng.log" 2>&1 &
STRESS=$!
trap 'kill "$STRESS" 2>/dev/null; wait "$STRESS" 2>/dev/null' EXIT
echo "==> stress-ng --cpu ${STRESS_CPUS:-2} (pid $STRESS); $runs × $*; logs in $LOGS"

results=()
bad=0
for ((i = 1; i <= runs; i++)); do
    log="$LOGS/run-$i.log"
    start=$SECONDS
    (cd "$ROOT" && "$@") >"$log" 2>&1
    rc=$?
    line=$(grep -E '^(total: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    results+=("run $i: ${line:-no summary} (exit $rc, $((SECONDS - start)) s)")
    echo "${results[-1]}"
    [ "$rc" -eq 0 ] || { bad=1 && grep -E '^(FAIL|failing)' "$log" | head -20; }
done
echo
printf '%s\n' "${results[@]}"
exit "$bad"
