#!/usr/bin/env bash
# Starts / stops the four services and the gateway against a stack made by stack.sh.
#
#   services.sh start DIR BINDIR [dev|auto]   start, wait for /api/readiness, write DIR/services.env
#   services.sh stop DIR                      stop exactly the processes recorded in DIR
#
# dev ports: auth 5101, runs 5102, financial 5103, deals 5104, gateway 5002.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMPONENTS=(svc-auth svc-runs svc-financial svc-deals gateway)

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: services.sh start DIR BINDIR [dev|auto] | stop DIR"
dir=$(cd "$dir" && pwd)

start() {
    local bindir=$1 ports=${2:-auto} name port
    [ -f "$dir/stack.env" ] || die "no stack in $dir (run scripts/stack.sh start first)"
    # shellcheck disable=SC1091
    source "$dir/stack.env"
    if [ ! -f "$dir/secrets.env" ]; then
        # One random secret shared by every process of this stack: the auth
        # service signs tokens that the gateway and the other services verify.
        (
            umask 077
            printf 'export JWT_SECRET_KEY=%s\nexport SECRET_KEY=%s\n' \
                "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
                "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$dir/secrets.env"
        )
    fi
    # shellcheck disable=SC1091
    source "$dir/secrets.env"
    declare -A P
    if [ "$ports" = dev ]; then
        P=([svc-auth]=5101 [svc-runs]=5102 [svc-financial]=5103 [svc-deals]=5104 [gateway]=5002)
    else
        for name in "${COMPONENTS[@]}"; do P[$name]=$(free_port); done
    fi
    cat >"$dir/services.env" <<EOT
export AUTH_SERVICE_URL=http://127.0.0.1:${P[svc-auth]}
export RUNS_SERVICE_URL=http://127.0.0.1:${P[svc-runs]}
export FINANCIAL_SERVICE_URL=http://127.0.0.1:${P[svc-financial]}
export DEALS_SERVICE_URL=http://127.0.0.1:${P[svc-deals]}
export GATEWAY_PORT=${P[gateway]}
export BASE_URL=http://127.0.0.1:${P[gateway]}
EOT
    # shellcheck disable=SC1091
    source "$dir/services.env"
    mkdir -p "$dir/logs"
    # The shipped company data set (idempotent: the importer upserts).
    seed=("$ROOT"/svc-financial/data/seed/*)
    if [ -e "${seed[0]}" ]; then
        "$bindir/svc-financial" import "${seed[@]}" >>"$dir/logs/seed.log" 2>&1 ||
            { tail -n 20 "$dir/logs/seed.log" >&2; die "loading the seed data set failed"; }
    fi
    for name in "${COMPONENTS[@]}"; do
        port=${P[$name]}
        [ -x "$bindir/$name" ] || die "$bindir/$name is not built"
        HOST=127.0.0.1 PORT=$port APP_ENV=${APP_ENV:-development} \
            "$bindir/$name" </dev/null >>"$dir/logs/$name.log" 2>&1 &
        echo $! >"$dir/$name.pid"
    done
    for name in "${COMPONENTS[@]}"; do
        local path=/health
        [ "$name" = gateway ] && path=/api/health
        wait_for "$name" 60 alive_and_healthy "$name" "http://127.0.0.1:${P[$name]}$path" ||
            failed "$name"
    done
    wait_for "gateway readiness" 60 curl -fsS "$BASE_URL/api/readiness" || {
        curl -sS "$BASE_URL/api/readiness" >&2 || true
        failed gateway
    }
}

# Healthy only if the process we started still runs: another process that
# happens to answer on the port must not pass for it.
alive_and_healthy() {
    kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null || return 99
    curl -fsS "$2"
}

failed() {
    say "$1 did not start; last lines of its log:"
    tail -n 30 "$dir/logs/$1.log" >&2 || true
    exit 1
}

case $cmd in
start) start "${3:?BINDIR}" "${4:-auto}" ;;
stop)
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_pidfile "$dir/${COMPONENTS[$i]}.pid"; done
    ;;
*) die "unknown command: $cmd" ;;
esac
