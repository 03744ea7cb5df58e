#!/usr/bin/env bash
# make test / make asan: every test program in BUILD/tests against a private
# PostgreSQL/Redis/NATS on free ports, the e2e suite against a private
# gateway + services, the web console's nginx on a free port with its curl
# checks and the browser suite (headless Chromium), the fault-injection tests, the fuzz regression inputs,
# the Kubernetes manifest checks and the compose stack test
# (scripts/compose-test.sh), then one closing "N passed, N failed" line.
#
#   scripts/test.sh BUILD_DIR       e.g. build/debug or build/asan
# TEST_PROGRAMS=PREFIX runs only the test programs whose name starts so
# (e.g. gateway-); UNIT_ONLY=1 stops after the test programs.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
RUN="$ROOT/.run/test-$$"
LOGS="$ROOT/.run/test-logs"
mkdir -p "$RUN" "$LOGS"
export VALOR_PORTS_TAKEN="$RUN/ports"

cleanup() {
    "$ROOT/scripts/console.sh" stop "$RUN" 2>/dev/null
    "$ROOT/scripts/console.sh" stop "$RUN/down" 2>/dev/null
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
# The e2e cases register and log in many users from 127.0.0.1: lift the auth
# bucket (5/60 s per client IP by default) so they are not refused; the
# gateway's own tests check that bucket against its default.
export RATE_LIMIT_AUTH=${RATE_LIMIT_AUTH:-100000/60}

passed=0
failed=0
failed_names=()

# Every time limit here guards against a hang, never against a slow machine
# (docs/testing.md): check's per-case timeouts are stretched 4×, and a whole
# program gets 30 minutes.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4}

# Check prints "NN%: Checks: N, Failures: F, Errors: E" per test program.
for t in "$BUILD"/tests/${TEST_PROGRAMS:-}*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="$LOGS/$name.log"
    rm -f "$ROOT/core"
    # a crash leaves a core file (check forks each case in ROOT): its stack goes to the log
    (cd "$ROOT" && ulimit -c unlimited 2>/dev/null; timeout 1800 "$t") >"$log" 2>&1
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
        if [ -f "$ROOT/core" ] && command -v gdb >/dev/null; then
            gdb -q -batch -ex 'thread apply all bt 25' "$t" "$ROOT/core" >"$LOGS/$name.backtrace" 2>&1
            mv -f "$ROOT/core" "$LOGS/$name.core"
            echo "-- $name crashed; its threads' stacks (.run/test-logs/$name.backtrace):"
            grep -E '^(Thread|#[0-9])' "$LOGS/$name.backtrace" | head -n 150
        fi
    fi
done
rm -f "$ROOT/core"

if [ "${UNIT_ONLY:-0}" = 1 ]; then # make tsan: the test programs only
    echo "total: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

# run_suite NAME CMD...: runs a suite that ends with "[word:] N passed, N failed"
# and adds its counts; a suite that prints no such line counts as one failure.
run_suite() {
    local name=$1 line n_pass n_fail
    shift
    "$@" 2>&1 | tee "$LOGS/$name.log"
    line=$(grep -E '^([A-Za-z0-9_-]+: )?[0-9]+ passed, [0-9]+ failed' "$LOGS/$name.log" | tail -1)
    line=${line#*: }
    if [ -z "$line" ]; then
        failed=$((failed + 1))
        failed_names+=("$name (no summary)")
        return
    fi
    n_pass=$(cut -d' ' -f1 <<<"$line")
    n_fail=$(cut -d' ' -f3 <<<"$line")
    passed=$((passed + n_pass))
    failed=$((failed + n_fail))
    [ "$n_fail" -eq 0 ] || failed_names+=("$name")
}

# sanitizer_check NAME DIR: a sanitizer report in a server's log (an ASan or
# UBSan error, a leak at exit, a TSan race) fails the run: the servers of the
# e2e stack and of the fault tests write theirs to their logs, not to a test.
sanitizer_check() {
    local hits
    hits=$(grep -rlE 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' \
        "$2" 2>/dev/null)
    [ -z "$hits" ] && return
    echo "FAIL - $1: sanitizer report in $(tr '\n' ' ' <<<"$hits")"
    failed=$((failed + 1))
    failed_names+=("$1 (sanitizer report)")
}

if "$ROOT/scripts/services.sh" start "$RUN" "$BUILD/bin" auto; then
    # shellcheck disable=SC1091
    source "$RUN/services.env"
    run_suite e2e env BASE_URL="$BASE_URL" "$ROOT/tests/e2e/run.sh"
    # The web console: its nginx (as make up's on :8000) in front of this gateway, and a
    # second one in front of a port nobody listens on (the "gateway down" cases).
    if "$ROOT/scripts/console.sh" start "$RUN" "$(free_port)" "$BASE_URL" &&
        "$ROOT/scripts/console.sh" start "$RUN/down" "$(free_port)" "http://127.0.0.1:$(free_port)"; then
        # shellcheck disable=SC1091
        CONSOLE_DOWN_URL=$(source "$RUN/down/console.env" && echo "$CONSOLE_URL")
        # shellcheck disable=SC1091
        source "$RUN/console.env"
        rm -rf "$LOGS/browser-shots"
        run_suite console-http env CONSOLE_URL="$CONSOLE_URL" CONSOLE_DOWN_URL="$CONSOLE_DOWN_URL" \
            "$ROOT/tests/console/run.sh"
        # Debian's interpreter: the python3 on PATH may not see Debian's python3-selenium.
        run_suite browser env CONSOLE_URL="$CONSOLE_URL" CONSOLE_DOWN_URL="$CONSOLE_DOWN_URL" \
            CONSOLE_RESTART="$ROOT/scripts/console.sh restart $RUN" \
            BROWSER_SHOTS="$LOGS/browser-shots" /usr/bin/python3 "$ROOT/tests/browser/run.py"
    else
        failed=$((failed + 1))
        failed_names+=("console (nginx did not start)")
    fi
    "$ROOT/scripts/console.sh" stop "$RUN/down"
    "$ROOT/scripts/console.sh" stop "$RUN"
else
    failed=$((failed + 1))
    failed_names+=("e2e (stack did not start)")
fi
"$ROOT/scripts/services.sh" stop "$RUN"
sanitizer_check "e2e stack" "$RUN/logs"

# Fault injection (platform.md §9): each test brings up its own stack and services.
rm -rf "$LOGS/faults" # this run's logs only: sanitizer_check reads them
run_suite faults env BINDIR="$BUILD/bin" FAULTS_KEEP_LOGS="$LOGS/faults" "$ROOT/tests/faults/run.sh"
sanitizer_check faults "$LOGS/faults"

# libFuzzer targets, once over their seed corpora and regression inputs (no fuzzing).
run_suite fuzz "$ROOT/tests/fuzz/run-regressions.sh"

# Deployment: the Kubernetes manifests, and the compose stack really brought
# up (about 5 minutes; SKIP_COMPOSE_TEST=1 leaves it out of a local run).
run_suite k8s-check bash -c '"$0/scripts/k8s-check.sh" && "$0/tests/k8s/run.sh"' "$ROOT"
if [ "${SKIP_COMPOSE_TEST:-0}" != 1 ]; then
    run_suite compose-test "$ROOT/scripts/compose-test.sh"
fi

echo
[ ${#failed_names[@]} -eq 0 ] || echo "failing: ${failed_names[*]} (logs in .run/test-logs/)"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
