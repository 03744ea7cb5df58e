#!/usr/bin/env bash
# Engines (platform.md §8): DCF valuations/s on one core, Monte Carlo 100,000
# trials and the 101×101 sensitivity grid in ms (svc-runs/bench/bench_dcf.c);
# then POST /api/runs and GET /api/runs/{id} through a gateway against the
# same requests straight to svc-runs (wrk, same settings).
#
# The HTTP part starts its own gateway (free port, RATE_LIMIT_API high enough
# never to refuse, the stack's services behind it) and stops it by pid.
# Env from scripts/bench.sh: BUILD, RUN, ROOT, RUNS_SERVICE_URL, JWT_SECRET_KEY, …
# Prints Markdown rows "| what | figure | unit | note |".
set -uo pipefail

bench="$BUILD/bench/svc-runs-bench_dcf"
token_bin="$BUILD/bench/svc-runs-bench_token"
if [ ! -x "$bench" ]; then
    echo "| DCF engine | not built | | $bench missing |"
    exit 1
fi
taskset -c 0 "$bench" 1 2>/dev/null || "$bench" 1 2>/dev/null

command -v wrk >/dev/null || {
    echo "| POST/GET /api/runs | skipped | | wrk not installed |"
    exit 0
}
if [ -z "${RUNS_SERVICE_URL:-}" ] || [ ! -x "$token_bin" ] || [ ! -x "$BUILD/bin/gateway" ]; then
    echo "| POST/GET /api/runs | skipped | | no running svc-runs / gateway binary |"
    exit 0
fi

dir="$RUN/bench-runs"
mkdir -p "$dir"
gw_pid=""
cleanup_runs() {
    [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
}
trap cleanup_runs EXIT

port=$(
    # shellcheck disable=SC1091
    source "$ROOT/scripts/lib.sh"
    free_port
)
HOST=127.0.0.1 PORT=$port RATE_LIMIT_API=1000000000/60 LOG_LEVEL=WARNING \
    "$BUILD/bin/gateway" </dev/null >>"$dir/gateway.log" 2>&1 &
gw_pid=$!
gw="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -fsS "$gw/api/health" >/dev/null 2>&1 && break
    sleep 0.1
done

tenant="bench-runs-$$"
BENCH_TENANT=$tenant BENCH_TOKEN=$("$token_bin" "$tenant" bench-user analyst enterprise 3600)
export BENCH_TENANT BENCH_TOKEN
hdr=(-H "Authorization: Bearer $BENCH_TOKEN" -H "X-Tenant-ID: $BENCH_TENANT")

run_id=$(curl -sS "${hdr[@]}" -H 'Content-Type: application/json' \
    --data '{"inputs":{"ticker":"BENCH"}}' "$RUNS_SERVICE_URL/api/runs" |
    grep -oE '"run_id":"[^"]+"' | cut -d'"' -f4)
[ -n "$run_id" ] || {
    echo "| POST/GET /api/runs | failed | | could not create a run |"
    exit 1
}

# to_ms "1.23ms" | "456.00us" | "1.02s" → milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else printf "?" }'
}

# measure NAME URL [wrk args…] → sets RPS P50 P99 NON2XX
measure() {
    local out name=$1
    shift
    out=$(wrk -t2 -c32 -d5s --latency "$@" 2>&1)
    echo "$out" >"$dir/wrk-$name.txt"
    RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    P50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    P99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    : "${RPS:=0}"
}

lua="$ROOT/svc-runs/bench/wrk_post_run.lua"
for what in post get; do
    if [ "$what" = post ]; then
        args=(-s "$lua")
        label="POST /api/runs"
        path=/api/runs
    else
        args=(-H "Authorization: Bearer $BENCH_TOKEN" -H "X-Tenant-ID: $BENCH_TENANT")
        label="GET /api/runs/{id}"
        path="/api/runs/$run_id"
    fi
    measure "$what-direct" "${args[@]}" "$RUNS_SERVICE_URL$path"
    d_rps=$RPS d_p50=$P50 d_p99=$P99 d_bad=${NON2XX:-0}
    measure "$what-gateway" "${args[@]}" "$gw$path"
    ratio=$(awk -v a="$RPS" -v b="$d_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')
    echo "| $label straight to svc-runs | $d_rps | requests/s | p50 $d_p50 ms, p99 $d_p99 ms; wrk -t2 -c32 -d5s; non-2xx $d_bad |"
    echo "| $label through the gateway | $RPS | requests/s | p50 $P50 ms, p99 $P99 ms; ${ratio}× direct (target ≥ 0.85×); non-2xx ${NON2XX:-0} |"
done
