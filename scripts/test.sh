#!/usr/bin/env bash
# make test / make asan: every test program in BUILD/tests against a private
# PostgreSQL/Redis/NATS on free ports, then the e2e suite against a private
# gateway + services, then one closing "N passed, N failed" line.
#
#   scripts/test.sh BUILD_DIR       e.g. build/debug or build/asan
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
RUN="$ROOT/.run/test-$$"
LOGS="$ROOT/.run/test-logs"
mkdir -p "$RUN" "$LOGS"
export VALOR_PORTS_TAKEN="$RUN/ports"

cleanup() {
    "$ROOT/scripts/services.sh" stop "$RUN" 2>/dev/null
    "$ROOT/scripts/stack.sh" stop "$RUN" 2>/dev/null
    [ -f "$RUN/pg.path" ] && rm -rf "$(cat "$RUN/pg.path")"
    cp -f "$RUN"/logs/*.log "$LOGS"/ 2>/dev/null
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/stack.sh" start "$RUN" auto || exit 1
# shellcheck disable=SC1091
source "$RUN/stack.env"
export APP_ENV=development LOG_LEVEL=${LOG_LEVEL:-WARNING} BCRYPT_COST=4
JWT_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export JWT_SECRET_KEY SECRET_KEY=$JWT_SECRET_KEY

passed=0
failed=0
failed_names=()

# Check prints "NN%: Checks: N, Failures: F, Errors: E" per test program.
for t in "$BUILD"/tests/*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="$LOGS/$name.log"
    (cd "$ROOT" && timeout 600 "$t") >"$log" 2>&1
    rc=$?
    summary=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$log" | tail -1)
    if [ -n "$summary" ]; then
        checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$summary")
        bad=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$summary")
        bad=$((bad))
    else
        checks=1 bad=1
    fi
    [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
    passed=$((passed + checks - bad))
    failed=$((failed + bad))
    printf '%-40s %s\n' "$name" "${summary:-no summary (exit $rc)}"
    if [ "$bad" -ne 0 ]; then
        failed_names+=("$name")
        grep -vE '^[0-9]+%: Checks' "$log" | tail -n 60
    fi
done

e2e_line=""
if "$ROOT/scripts/services.sh" start "$RUN" "$BUILD/bin" auto; then
    # shellcheck disable=SC1091
    source "$RUN/services.env"
    BASE_URL=$BASE_URL "$ROOT/tests/e2e/run.sh" | tee "$LOGS/e2e.log"
    e2e_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$LOGS/e2e.log" | tail -1)
fi
if [ -n "$e2e_line" ]; then
    passed=$((passed + $(cut -d' ' -f1 <<<"$e2e_line")))
    e2e_failed=$(cut -d' ' -f3 <<<"$e2e_line")
    failed=$((failed + e2e_failed))
    [ "$e2e_failed" -eq 0 ] || failed_names+=(e2e)
else
    failed=$((failed + 1))
    failed_names+=("e2e (stack did not start)")
fi

echo
[ ${#failed_names[@]} -eq 0 ] || echo "failing: ${failed_names[*]} (logs in .run/test-logs/)"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
