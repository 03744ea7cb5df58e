#!/usr/bin/env bash
# shellcheck disable=SC2016 # awk conditions in single quotes (count_where)
# platform.md §1 "Graceful shutdown" and §9: SIGTERM under load — no request
# in flight is cut. A bounded load runs through the gateway against svc-runs
# (writes with a Monte Carlo of 50,000 trials, so requests are in flight at any
# moment, and reads) while svc-runs gets SIGTERM: every request either
# completes 2xx or, once svc-runs no longer accepts, gets a clean 503 JSON
# from the gateway naming the service; none is cut mid-response (curl exit
# 52/56, a 502/504) and svc-runs exits 0 within SHUTDOWN_GRACE_S.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RATE_LIMIT_API=100000/60
GRACE_S=10 # SHUTDOWN_GRACE_S default
fault_setup sigterm
register sigterm
WRITE='{"inputs":{"use_defaults":true,"ticker":"term"},"compute":true,"mc_settings":{"trials":50000,"seedStr":"sigterm"}}'
one POST /api/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$WRITE"
RUN_ID=$(grep -oE '"run_id":"[^"]*"' "$TMPD/body" | cut -d'"' -f4)
check "a computed write succeeds before the test" "status $STATUS" test "$STATUS" = 201

# svc-runs again, as a child of this script, so that its exit status is ours to see
stop_pidfile "$RUN/svc-runs.pid"
service_start svc-runs || fail "svc-runs restarts" "$(tail -5 "$RUN/logs/svc-runs.log")"
PID=$(service_pid svc-runs)

LOAD=$TMPD/load
STOP=$TMPD/stop
WORKERS=(w1 w2 w3 w4 r1 r2)
for w in w1 w2 w3 w4; do
    load_worker "$LOAD.$w" "$STOP" 2000 POST /api/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$WRITE" &
done
for w in r1 r2; do load_worker "$LOAD.$w" "$STOP" 2000 GET "/api/runs/$RUN_ID" "${AUTHZ[@]}" & done
load_flowing() { for w in "${WORKERS[@]}"; do [ -s "$LOAD.$w" ] || return 1; done; }
eventually 60 load_flowing
T_TERM=$(now_ms)
kill -TERM "$PID"
if wait_gone "$PID" $((GRACE_S + 5)); then
    wait "$PID"
    EXIT=$?
else
    EXIT="still running after $((GRACE_S + 5)) s"
    kill -KILL "$PID"
fi
T_GONE=$(now_ms)
rm -f "$RUN/svc-runs.pid"
# the load goes on against the stopped service until a few requests met it
after_gone() { [ "$(cat "$LOAD".?? | awk -v g="$T_GONE" '$1 > g' | wc -l)" -ge 6 ]; }
eventually 60 after_gone
touch "$STOP"
wait
for w in "${WORKERS[@]}"; do cat "$LOAD.$w"; done >"$LOAD"
for w in "${WORKERS[@]}"; do cat "$LOAD.$w.bodies" 2>/dev/null; done >"$LOAD.bodies"

echo "SIGTERM at +0 ms; svc-runs gone after $((T_GONE - T_TERM)) ms, exit status $EXIT"
summarize "load through the gateway" "$LOAD"
inflight=$(count_where "$LOAD" "\$1 < $T_TERM && \$2 > $T_TERM && \$4 ~ /^2/")
before=$(count_where "$LOAD" "\$2 < $T_TERM")
after=$(count_where "$LOAD" "\$1 > $T_GONE")
echo "requests: $before finished before SIGTERM, $inflight in flight at SIGTERM and completed 2xx," \
    "$after sent after svc-runs was gone"

check "svc-runs exits 0 on SIGTERM" "exit status $EXIT" test "$EXIT" = 0
check "svc-runs exits within SHUTDOWN_GRACE_S" "$((T_GONE - T_TERM)) ms" \
    test $((T_GONE - T_TERM)) -le $((GRACE_S * 1000 + 1000))
cut=$(count_where "$LOAD" '$3 == 52 || $3 == 56 || $3 == 18 || $4 == 502 || $4 == 504 || $4 == 500')
check "no request is cut (curl exit 52/56/18, 500/502/504)" "$(summarize x "$LOAD")" test "$cut" -eq 0
check "every request completes 2xx or gets a 503" "$(summarize x "$LOAD")" \
    test "$(count_where "$LOAD" '$3 != 0 || ($4 !~ /^2/ && $4 != 503)')" -eq 0
check "requests in flight at SIGTERM complete 2xx ($inflight)" "none was in flight" \
    test "$inflight" -gt 0
early=$(count_where "$LOAD" "\$4 == 503 && \$2 < $T_TERM")
check "no 503 before SIGTERM" "$early" test "$early" -eq 0
late=$(count_where "$LOAD" "\$1 > $T_GONE && \$4 != 503")
check "once svc-runs is gone every request gets 503" "$late others" \
    test "$late" -eq 0 -a "$after" -gt 0
n503=$(count_where "$LOAD" '$4 == 503')
clean=$(grep -c '^503 .*"error":"Service unavailable".*"service":"runs"' "$LOAD.bodies")
check "every 503 is JSON naming the service ($clean of $n503)" "$(grep -v '"service":"runs"' "$LOAD.bodies" | head -2)" \
    test "$clean" -eq "$n503"

# restarted, the writes that were answered 201 are all there
service_start svc-runs || fail "svc-runs restarts" "$(tail -5 "$RUN/logs/svc-runs.log")"
one GET "/api/runs?per_page=1" "${AUTHZ[@]}"
total=$(grep -oE '"total":[0-9]+' "$TMPD/body" | cut -d: -f2)
created=$(($(count_where "$LOAD" '$4 == 201') + 1))
check "every write answered 201 is stored ($created)" "$total runs stored" test "${total:-0}" -ge "$created"

fault_finish
