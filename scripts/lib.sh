# Shared shell helpers for the dev runner and the test runner (sourced).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A TCP port nobody listens on, picked at random in 20000-32767: below the
# kernel's range for outgoing connections (32768-60999), so no client socket
# can take it between this check and the server's bind.
free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 12768))
        if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q . &&
            ! grep -qx "$p" "${VALOR_PORTS_TAKEN:-/dev/null}" 2>/dev/null; then
            [ -n "${VALOR_PORTS_TAKEN:-}" ] && echo "$p" >>"$VALOR_PORTS_TAKEN"
            echo "$p"
            return 0
        fi
    done
    die "no free TCP port found"
}

# wait_for NAME TIMEOUT_S CMD... — retries CMD until it succeeds; gives up at
# once when CMD exits with 99 (what it waits for can no longer happen).
wait_for() {
    local name=$1 timeout=$2 start rc
    shift 2
    start=$(date +%s)
    until "$@" >/dev/null 2>&1; do
        rc=$?
        if [ "$rc" -eq 99 ]; then
            say "$name exited"
            return 1
        fi
        if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
            say "$name did not become ready within ${timeout}s"
            return 1
        fi
        sleep 0.1
    done
}

# Kills the process whose pid is recorded in FILE (and waits), then removes FILE.
stop_pidfile() {
    local f=$1 pid i
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}
