#!/usr/bin/env bash
# Memory (platform.md §8): RSS of the gateway and of each service of the
# bench stack (scripts/services.sh, release build), idle and while wrk holds
# 256 concurrent keep-alive connections to it doing real requests (the
# gateway: GET /api/runs forwarded to svc-runs; each service: one of its own
# read routes, straight). "Under load" is the highest VmRSS sampled every
# 100 ms during the run. Targets: gateway ≤ 64 MiB, services ≤ 48 MiB.
# Env from scripts/bench.sh: BUILD, RUN, ROOT, *_SERVICE_URL, GATEWAY_PORT, JWT_SECRET_KEY.
# Prints Markdown rows "| what | figure | unit | note |".
set -uo pipefail

command -v wrk >/dev/null || { echo "| memory | skipped | | wrk not installed |"; exit 0; }

# a real user (straight to svc-auth), so that every route answers 200
user="benchmem$$"
reg=$(curl -sS -H 'Content-Type: application/json' "$AUTH_SERVICE_URL/api/auth/register" \
    --data "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"Bench-Mem-4821!x\"}")
token=$(grep -oE '"access_token":"[^"]+"' <<<"$reg" | cut -d'"' -f4)
tenant=$(grep -oE '"tenant":"[^"]+"' <<<"$reg" | cut -d'"' -f4)
[ -n "$token" ] && [ -n "$tenant" ] || { echo "| memory | failed | | could not register a user |"; exit 1; }
hdr=(-H "Authorization: Bearer $token" -H "X-Tenant-ID: $tenant")
dir="$RUN/bench-memory"
mkdir -p "$dir"

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# name url target_mib
measure() {
    local name=$1 url=$2 target=$3 pid idle peak=0 r out
    pid=$(cat "$RUN/$name.pid" 2>/dev/null) || { echo "| RSS $name | failed | | no pid file |"; return; }
    idle=$(rss_kib "$pid")
    wrk -t2 -c256 -d"${BENCH_MEM_SECONDS:-5}"s "${hdr[@]}" "$url" >"$dir/wrk-$name.txt" 2>&1 &
    local w=$!
    while kill -0 "$w" 2>/dev/null; do
        r=$(rss_kib "$pid")
        [ "$r" -gt "$peak" ] && peak=$r
        sleep 0.1
    done
    wait "$w"
    out=$(cat "$dir/wrk-$name.txt")
    local rps non2xx errs verdict
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    errs=$(grep -E '^ +Socket errors' <<<"$out" | sed 's/^ *//')
    verdict=$(awk -v p="$peak" -v t="$target" 'BEGIN { print (p / 1024 <= t) ? "within" : "OVER" }')
    echo "| RSS $name idle | $(mib "$idle") | MiB | target ≤ $target MiB |"
    echo "| RSS $name, 256 connections | $(mib "$peak") | MiB | peak of 100 ms samples, $verdict the $target MiB target; wrk -t2 -c256 GET ${url#http://*/} ${rps:-0} req/s, non-2xx ${non2xx:-0}${errs:+; $errs} |"
}

measure gateway "http://127.0.0.1:$GATEWAY_PORT/api/runs" 64
measure svc-auth "$AUTH_SERVICE_URL/api/auth/profile" 48
measure svc-runs "$RUNS_SERVICE_URL/api/runs" 48
measure svc-financial "$FINANCIAL_SERVICE_URL/api/financial-data/AAPL" 48
measure svc-deals "$DEALS_SERVICE_URL/api/lbo/runs" 48
