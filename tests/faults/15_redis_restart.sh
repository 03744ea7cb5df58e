#!/usr/bin/env bash
# Redis restarted while every process keeps connections to it (one per
# worker thread): the first request of each thread afterwards does not fail
# for its stale connection — the gateway's limiter stays on Redis (no
# fallback, no "enforced locally" line) and no service's revocation check
# finds Redis unavailable (revocation_redis_unavailable_total unchanged).
# REDIS_TIMEOUT_MS is 1 s here so that only a stale connection, never a slow
# machine, could fail a command.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RATE_LIMIT_API=100000/60 RATE_LIMIT_FINANCIAL_DATA=100000/60 REDIS_TIMEOUT_MS=1000
fault_setup redisrestart
register restart

TARGETS=(
    "gateway $BASE_URL/api/runs"
    "svc-auth $AUTH_SERVICE_URL/api/auth/profile"
    "svc-runs $RUNS_SERVICE_URL/api/runs"
    "svc-financial $FINANCIAL_SERVICE_URL/api/financial-data/AAPL"
    "svc-deals $DEALS_SERVICE_URL/api/lbo/runs"
)

# burst FILE: 64 requests to every target, 16 at a time (so that many worker
# threads of each process serve some); "name status" lines into FILE.
burst() {
    local t name url i
    : >"$1"
    for t in "${TARGETS[@]}"; do
        name=${t%% *}
        url=${t#* }
        for ((i = 0; i < 64; i++)); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done \
            >"$TMPD/burst.cfg"
        curl -s --no-progress-meter --parallel --parallel-max 16 -w '%{http_code}\n' "${AUTHZ[@]}" \
            --max-time 15 -K "$TMPD/burst.cfg" | sed "s/^/$name /" >>"$1"
    done
}

unavailable() { # the sum of revocation_redis_unavailable_total over the four services
    local u n=0 v
    for u in "$AUTH_SERVICE_URL" "$RUNS_SERVICE_URL" "$FINANCIAL_SERVICE_URL" "$DEALS_SERVICE_URL"; do
        v=$(curl -sS --max-time 5 "$u/metrics" | awk '$1 == "revocation_redis_unavailable_total" { print $2 }')
        n=$((n + ${v:-0}))
    done
    echo "$n"
}
fallbacks() { grep -c 'rate limits now enforced locally' "$RUN/logs/gateway.log"; }

burst "$TMPD/warm"
check "every request is 200 before the restart" "$(sort "$TMPD/warm" | uniq -c | tr '\n' ' ')" \
    test "$(grep -vc ' 200$' "$TMPD/warm")" -eq 0
U0=$(unavailable)
F0=$(fallbacks)

REDIS_PID=$(cat "$RUN/redis.pid")
kill -TERM "$REDIS_PID"
wait_gone "$REDIS_PID" 30
rm -f "$RUN/redis.pid"
"$ROOT/scripts/stack.sh" start-one "$RUN" redis >>"$RUN/setup.log" 2>&1 ||
    fail "Redis restarts" "$(tail -3 "$RUN/setup.log")"

burst "$TMPD/after"
echo "after the restart: $(sort "$TMPD/after" | uniq -c | tr '\n' ' ')"
check "every request after the restart is 200" "$(grep -v ' 200$' "$TMPD/after" | sort | uniq -c | tr '\n' ' ')" \
    test "$(grep -vc ' 200$' "$TMPD/after")" -eq 0
check "no service found Redis unavailable after the restart" "revocation_redis_unavailable_total $U0 → $(unavailable)" \
    test "$(unavailable)" -eq "$U0"
check "the gateway's limiter never fell back to local" "$(grep 'rate_limiter_backend' "$RUN/logs/gateway.log" | tail -2)" \
    test "$(fallbacks)" -eq "$F0"
check "the limiter is on Redis" "metric $(metric 'rate_limiter_backend{backend="redis"}')" \
    test "$(metric 'rate_limiter_backend{backend="redis"}')" = 1

fault_finish
