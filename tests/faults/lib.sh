# Shared helpers of the fault-injection tests (sourced by every tests/faults/NN_*.sh).
#
# Each test starts its own private PostgreSQL/Redis/NATS (scripts/stack.sh) and
# services + gateway (scripts/services.sh) on free ports under $RUN, registers
# its own user through the gateway, injects one fault, drives a bounded load
# with curl, prints the counts and one "ok   - …" / "FAIL - …" line per
# assertion, then "N passed, N failed". Everything it started is stopped on
# exit (trap), whatever happens. All traffic is on 127.0.0.1.
#
# Environment: BINDIR (default build/debug/bin), FAULTS_KEEP_LOGS (default
# .run/faults-logs: the services' logs of a test are copied there).
# shellcheck shell=bash
# shellcheck disable=SC2034 # STATUS, AUTHZ, … are for the test scripts

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BINDIR=${BINDIR:-$ROOT/build/debug/bin}
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# burst, expect_burst_bound, eventually (rate limits and other clocks)
# shellcheck source=tests/e2e/clocked.sh
source "$ROOT/tests/e2e/clocked.sh"

PASSED=0
FAILED=0
FAULT_NAME=""
RUN=""

ok() {
    PASSED=$((PASSED + 1))
    echo "ok   - $1"
}

fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $1: $2"
}

# check NAME DETAIL CONDITION...: ok when the command CONDITION succeeds.
check() {
    local name=$1 detail=$2
    shift 2
    if "$@"; then ok "$name"; else fail "$name" "$detail"; fi
}

now_ms() { # milliseconds since the epoch, without a fork
    local t=${EPOCHREALTIME/./}
    echo $((t / 1000))
}

fault_cleanup() {
    local rc=$?
    [ -n "$RUN" ] && [ -d "$RUN" ] || exit "$rc"
    # Every process takes a second or two to exit: signal them all at once
    # (by their recorded pids), then let the scripts wait for each.
    local f j
    for f in "$RUN"/*.pid; do
        [ -f "$f" ] && [ "$f" != "$RUN/pg.pid" ] && kill -TERM "$(cat "$f")" 2>/dev/null
    done
    "$ROOT/scripts/services.sh" stop "$RUN" >/dev/null 2>&1
    for j in $(jobs -p); do kill "$j" 2>/dev/null; done
    "$ROOT/scripts/stack.sh" stop "$RUN" >/dev/null 2>&1
    if [ -d "$RUN/logs" ]; then
        local keep=${FAULTS_KEEP_LOGS:-$ROOT/.run/faults-logs}/$FAULT_NAME
        mkdir -p "$keep" && cp -f "$RUN"/logs/*.log "$RUN"/*.log "$keep"/ 2>/dev/null
    fi
    [ -f "$RUN/pg.path" ] && rm -rf "$(cat "$RUN/pg.path")"
    rm -rf "$RUN"
    exit "$rc"
}

# fault_setup NAME: the private stack, services and gateway; exports the
# stack.env / services.env / secrets.env variables. Set RATE_LIMIT_* and the
# other gateway variables before calling it.
fault_setup() {
    FAULT_NAME=$1
    RUN="$ROOT/.run/faults-$FAULT_NAME-$$"
    mkdir -p "$RUN"
    trap fault_cleanup EXIT
    trap 'exit 130' INT TERM
    export VALOR_PORTS_TAKEN=${VALOR_PORTS_TAKEN:-$RUN/ports}
    export APP_ENV=development LOG_LEVEL=${LOG_LEVEL:-WARNING} BCRYPT_COST=4
    export RATE_LIMIT_AUTH=${RATE_LIMIT_AUTH:-100000/60}
    "$ROOT/scripts/stack.sh" start "$RUN" auto >"$RUN/setup.log" 2>&1 ||
        { cat "$RUN/setup.log" >&2; die "$FAULT_NAME: the stack did not start"; }
    # shellcheck disable=SC1091
    source "$RUN/stack.env"
    "$ROOT/scripts/services.sh" start "$RUN" "$BINDIR" auto >>"$RUN/setup.log" 2>&1 ||
        { cat "$RUN/setup.log" >&2; die "$FAULT_NAME: the services did not start"; }
    # shellcheck disable=SC1091
    source "$RUN/services.env"
    # shellcheck disable=SC1091
    source "$RUN/secrets.env"
    TMPD="$RUN/tmp"
    TMP=$TMPD # the scratch folder of tests/e2e/clocked.sh
    mkdir -p "$TMPD"
}

# service_port NAME: the port services.sh gave svc-NAME (or the gateway).
service_port() {
    local url
    case $1 in
    gateway) echo "$GATEWAY_PORT" && return ;;
    svc-auth) url=$AUTH_SERVICE_URL ;;
    svc-runs) url=$RUNS_SERVICE_URL ;;
    svc-financial) url=$FINANCIAL_SERVICE_URL ;;
    svc-deals) url=$DEALS_SERVICE_URL ;;
    esac
    echo "${url##*:}"
}

# service_start NAME: (re)starts one component on its port exactly as
# services.sh does, as a child of this shell (so `wait` gives its exit
# status), records its pid in $RUN/NAME.pid and waits for /health.
service_start() {
    local name=$1 port path=/health
    port=$(service_port "$name")
    [ "$name" = gateway ] && path=/api/health
    HOST=127.0.0.1 PORT=$port "$BINDIR/$name" </dev/null >>"$RUN/logs/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    wait_for "$name" 30 curl -fsS "http://127.0.0.1:$port$path"
}

# service_kill NAME [SIGNAL]: signals the recorded pid of NAME (default KILL).
service_kill() {
    kill "-${2:-KILL}" "$(cat "$RUN/$1.pid")"
}

service_pid() { cat "$RUN/$1.pid"; }

# wait_gone PID TIMEOUT_S: 0 once PID is gone.
wait_gone() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

JSON=(-H 'Content-Type: application/json')
PASSWORD='Faults-Strong-Pass-9!'

# register PREFIX: a fresh user, admin of a fresh tenant; sets TOKEN, TENANT
# and AUTHZ (the headers of an authenticated tenant request).
register() {
    local user body
    user="$1-$(date +%s%N | tail -c 9)-$RANDOM"
    body=$(curl -sS --max-time 10 "${JSON[@]}" "$BASE_URL/api/auth/register" \
        --data "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"$PASSWORD\"}")
    TOKEN=$(grep -oE '"access_token":"[^"]*"' <<<"$body" | cut -d'"' -f4)
    TENANT=$(grep -oE '"tenant":"[^"]*"' <<<"$body" | head -1 | cut -d'"' -f4)
    if [ -z "$TOKEN" ] || [ -z "$TENANT" ]; then die "register $user failed: $body"; fi
    AUTHZ=(-H "Authorization: Bearer $TOKEN" -H "X-Tenant-ID: $TENANT")
}

# one METHOD PATH [curl args…]: one request through the gateway; sets STATUS,
# CURL_RC, SECS (time_total) and leaves the body in $TMPD/body.
one() {
    local method=$1 path=$2 out
    shift 2
    out=$(curl -sS -o "$TMPD/body" -w '%{http_code} %{time_total}' --max-time 15 \
        -X "$method" "$@" "$BASE_URL$path" 2>/dev/null)
    CURL_RC=$?
    STATUS=${out%% *}
    SECS=${out##* }
}

# metric NAME_WITH_LABELS: the value of one sample of the gateway's /metrics.
metric() {
    curl -sS --max-time 5 "$BASE_URL/metrics" 2>/dev/null | grep -F "$1 " | head -1 | awk '{print $2}'
}

# load_worker OUT STOPFILE MAX METHOD PATH [curl args…]: sends requests one
# after the other until STOPFILE exists or MAX were sent; appends one line per
# request to OUT: "start_ms end_ms curl_exit status seconds", and the status
# and first 300 bytes of the body of every answer that is not 2xx to OUT.bodies.
load_worker() {
    local out=$1 stop=$2 max=$3 method=$4 path=$5 i r t0 rc
    shift 5
    for ((i = 0; i < max; i++)); do
        [ -e "$stop" ] && break
        t0=$(now_ms)
        r=$(curl -sS -o "$out.body" -w '%{http_code} %{time_total}' --max-time 15 \
            -X "$method" "$@" "$BASE_URL$path" 2>/dev/null)
        rc=$?
        echo "$t0 $(now_ms) $rc ${r:-000 0}" >>"$out"
        case $r in
        2*) ;;
        *) echo "${r%% *} $(head -c 300 "$out.body" 2>/dev/null | tr '\n' ' ')" >>"$out.bodies" ;;
        esac
    done
    rm -f "$out.body"
}

# summarize LABEL FILE…: prints "LABEL: sent N, 2xx N, by status: …, curl errors: …".
summarize() {
    local label=$1
    shift
    awk -v label="$label" '
        { sent++; st[$4]++; if ($4 ~ /^2/) okc++; if ($3 != 0) ce[$3]++ }
        END {
            s = ""; for (k in st) s = s " " k "=" st[k]
            c = ""; for (k in ce) c = c " exit" k "=" ce[k]
            printf "%s: sent %d, succeeded %d, by status:%s, curl errors:%s\n",
                label, sent, okc, s, (c == "" ? " none" : c)
        }' "$@"
}

# count_where FILE AWK-CONDITION: number of lines of FILE matching it
# (fields: $1 start_ms, $2 end_ms, $3 curl exit, $4 status, $5 seconds).
count_where() {
    awk "$2 { n++ } END { print n + 0 }" "$1"
}

fault_finish() {
    echo "$FAULT_NAME: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
