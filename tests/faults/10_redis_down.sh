#!/usr/bin/env bash
# shellcheck disable=SC2016 # awk conditions in single quotes (count_where)
# platform.md §9: Redis killed under load — zero 5xx from the gateway, the
# limits still enforced (locally, by the gateway's fallback), back on Redis
# within 5 s of its return (rate_limiter_backend{backend="redis"} 1).
#
# The api bucket is 30 per 60 s (GCRA: a burst of 30, then one every 2 s), so
# an unlimited fallback ("fail open") shows as far more than 30 successes.
# Every count is judged against the time it took, and the outage lasts until
# its effects were seen, so the result does not depend on the machine's speed.
# REDIS_TIMEOUT_MS is 1 s here: a request that waited on Redis would take that
# long, while a loaded machine never makes a loopback Redis answer that slow.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIMIT=30
PERIOD=60
REDIS_TIMEOUT_MS=1000
export RATE_LIMIT_API="$LIMIT/$PERIOD" REDIS_TIMEOUT_MS
fault_setup redis
register redis
register redis-b
AUTHZ_B=("${AUTHZ[@]}")
register redis
REDIS_METRIC='rate_limiter_backend{backend="redis"}'
LOCAL_METRIC='rate_limiter_backend{backend="local"}'

# ---- before: Redis decides ---------------------------------------------------
BEFORE=$TMPD/before
for i in $(seq 1 10); do load_worker "$BEFORE" "$TMPD/none" 1 GET /api/runs "${AUTHZ[@]}"; done
summarize "before (Redis up)" "$BEFORE"
check "10 requests before the outage are 200" "$(summarize x "$BEFORE")" \
    test "$(count_where "$BEFORE" '$4 == 200')" -eq 10
check "the limiter runs on Redis before the outage" "metric $(metric "$REDIS_METRIC")" \
    test "$(metric "$REDIS_METRIC")" = 1

# ---- Redis killed under load ---------------------------------------------------
DURING=$TMPD/during
STOP=$TMPD/stop-during
for w in 1 2 3; do
    load_worker "$DURING.$w" "$STOP" 400 GET /api/runs "${AUTHZ[@]}" &
done
# the load is under way before the kill
eventually 30 test -s "$DURING.3"
T_KILL=$(now_ms)
kill -KILL "$(cat "$RUN/redis.pid")"
rm -f "$RUN/redis.pid"
# A second user, idle until now, gets the same limit from the local table: a
# burst of LIMIT, then 429 (one keep-alive connection until the first 429).
B=$TMPD/user-b
BURST_MAX=500 burst GET /api/runs "${AUTHZ_B[@]}"
cp "$TMP/burst.times" "$B"
B_REMAINING=$BURST_FIRST_REMAINING
expect_burst_bound "an idle user gets the limit's burst from the local limiter, then 429" "$LIMIT" "$PERIOD"
check "that user's first answer during the outage has a full bucket ($B_REMAINING remaining)" \
    "X-RateLimit-Remaining ${B_REMAINING:-none}" test "${B_REMAINING:-0}" -ge $((LIMIT - 2))
# the outage lasts until the first user's load was refused too, and at least
# 3 s (several probe intervals: the probes fail, the table keeps deciding)
outage_429() { awk -v k="$T_KILL" '$1 >= k && $4 == 429 { f = 1 } END { exit !f }' "$DURING".?; }
eventually 60 outage_429
while [ $(($(now_ms) - T_KILL)) -lt 3000 ]; do sleep 0.1; done
T_RETURN=$(now_ms)
check "the limiter reports the local backend while Redis is down" \
    "local=$(metric "$LOCAL_METRIC") redis=$(metric "$REDIS_METRIC")" \
    test "$(metric "$LOCAL_METRIC")" = 1

# ---- Redis back, load still running ------------------------------------------------
"$ROOT/scripts/stack.sh" start-one "$RUN" redis >>"$RUN/setup.log" 2>&1 ||
    fail "Redis restarts" "$(tail -3 "$RUN/setup.log")"
T_BACK=$(now_ms)
back_ms=""
while [ $(($(now_ms) - T_BACK)) -lt 10000 ]; do
    if [ "$(metric "$REDIS_METRIC")" = 1 ]; then
        back_ms=$(($(now_ms) - T_BACK))
        break
    fi
    sleep 0.1
done
sleep 1
touch "$STOP"
wait
cat "$DURING".? >"$DURING"
awk -v k="$T_KILL" -v r="$T_RETURN" '$1 >= k && $2 <= r' "$DURING" >"$TMPD/outage"

summarize "under load (whole run)" "$DURING"
summarize "during the outage" "$TMPD/outage"
echo "Redis down for $((T_BACK - T_KILL)) ms; back on Redis after ${back_ms:-more than 10000} ms"

check "zero 5xx from the gateway under load" "$(summarize x "$DURING")" \
    test "$(count_where "$DURING" '$4 >= 500')" -eq 0
check "every request answered (no curl error)" "$(summarize x "$DURING")" \
    test "$(count_where "$DURING" '$3 != 0')" -eq 0
check "only 200 or 429 under load" "$(summarize x "$DURING")" \
    test "$(count_where "$DURING" '$4 != 200 && $4 != 429')" -eq 0
check "requests during the outage are refused with 429 once the allowance is spent" \
    "$(summarize x "$TMPD/outage")" test "$(count_where "$TMPD/outage" '$4 == 429')" -gt 0
# Whatever the fallback does, it may grant at most one full allowance plus the
# refill over the outage (one every PERIOD/LIMIT s) — never fail open.
outage_s=$(((T_RETURN - T_KILL + 999) / 1000))
max_ok=$((LIMIT + outage_s * LIMIT / PERIOD + 1))
got_ok=$(count_where "$TMPD/outage" '$4 == 200')
check "the limit is still enforced during the outage ($got_ok ≤ $max_ok allowed)" \
    "$got_ok requests allowed in ${outage_s} s with a limit of $LIMIT/$PERIOD s" \
    test "$got_ok" -le "$max_ok"
slow=$(($(count_where "$TMPD/outage" "\$5 >= $REDIS_TIMEOUT_MS / 1000") + $(awk -v t="$REDIS_TIMEOUT_MS" '$2 >= t / 1000' "$B" | wc -l)))
check "no request waits for Redis during the outage (none takes the ${REDIS_TIMEOUT_MS} ms timeout)" \
    "$slow requests took ${REDIS_TIMEOUT_MS} ms or more" test "$slow" -eq 0
check "back on Redis within 5 s of its return" "after ${back_ms:-more than 10000} ms" \
    test -n "$back_ms" -a "${back_ms:-99999}" -le 5000

# ---- after: the limit lives in Redis again ----------------------------------------
register redis-after
for i in $(seq 1 5); do load_worker "$TMPD/after" "$TMPD/none" 1 GET /api/runs "${AUTHZ[@]}"; done
summarize "after the return (new user)" "$TMPD/after"
check "requests after the return are 200" "$(summarize x "$TMPD/after")" \
    test "$(count_where "$TMPD/after" '$4 == 200')" -eq 5
keys=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'valor:rl:*' 2>/dev/null | wc -l)
check "rate-limit state is written to Redis again" "$keys valor:rl:* keys" test "$keys" -gt 0

fault_finish
