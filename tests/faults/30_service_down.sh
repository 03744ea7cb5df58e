#!/usr/bin/env bash
# shellcheck disable=SC2016 # awk conditions in single quotes (count_where)
# platform.md §1 and §9: a service killed (svc-deals, SIGKILL) — its routes
# answer 503 JSON naming the service within the connect timeout, the other
# services' routes are unaffected; restarted, it is used again within the
# resolve interval (UPSTREAM_RESOLVE_INTERVAL_S, default 5 s).
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RATE_LIMIT_API=100000/60 RATE_LIMIT_FINANCIAL_DATA=100000/60
CONNECT_TIMEOUT_S=1 # UPSTREAM_CONNECT_TIMEOUT_MS default 1000
RESOLVE_S=5         # UPSTREAM_RESOLVE_INTERVAL_S default 5
fault_setup service
register service
LBO='{"inputs":{"companyName":"Faults Co"}}'

one GET /api/lbo/runs "${AUTHZ[@]}"
check "svc-deals answers before the kill" "status $STATUS" test "$STATUS" = 200

# ---- svc-deals killed; load on every service continues --------------------------------
STOP=$TMPD/stop
load_worker "$TMPD/others.runs" "$STOP" 300 GET /api/runs "${AUTHZ[@]}" &
load_worker "$TMPD/others.auth" "$STOP" 300 GET /api/auth/profile "${AUTHZ[@]}" &
load_worker "$TMPD/others.fin" "$STOP" 300 GET /api/financial-data/AAPL "${AUTHZ[@]}" &
eventually 30 test -s "$TMPD/others.fin"
service_kill svc-deals KILL
wait_gone "$(service_pid svc-deals)" 5
rm -f "$RUN/svc-deals.pid"
DOWN=$TMPD/down
load_worker "$DOWN" "$TMPD/none" 20 GET /api/lbo/runs "${AUTHZ[@]}"
load_worker "$DOWN" "$TMPD/none" 5 POST /api/lbo/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$LBO"
load_worker "$DOWN" "$TMPD/none" 5 GET /api/lbo/runs/last "${AUTHZ[@]}"
bad_body=0
for path in /api/lbo/runs /api/ma/runs /api/notes/AAPL; do
    one GET "$path" "${AUTHZ[@]}"
    if ! grep -qF '"error":"Service unavailable"' "$TMPD/body" || ! grep -qF '"service":"deals"' "$TMPD/body"; then
        bad_body=$((bad_body + 1))
        echo "  $path: $STATUS $(head -c 200 "$TMPD/body")"
    fi
done
# the other services' load runs until it has made its point, however slow the machine
others_enough() { [ "$(cat "$TMPD"/others.runs "$TMPD"/others.auth "$TMPD"/others.fin 2>/dev/null | wc -l)" -ge 30 ]; }
eventually 60 others_enough
touch "$STOP"
wait
cat "$TMPD"/others.runs "$TMPD"/others.auth "$TMPD"/others.fin >"$TMPD/others"
summarize "svc-deals routes while it is down" "$DOWN"
summarize "other services' routes meanwhile" "$TMPD/others"

check "every svc-deals route answers 503 while it is down" "$(summarize x "$DOWN")" \
    test "$(count_where "$DOWN" '$3 == 0 && $4 == 503')" -eq "$(wc -l <"$DOWN")"
check "the 503 is JSON naming the service" "$bad_body bodies without it" test "$bad_body" -eq 0
slowest=$(sort -k5 -g "$DOWN" | tail -1 | awk '{print $5}')
check "each 503 comes within the connect timeout (slowest ${slowest} s)" "slowest ${slowest} s" \
    awk -v s="$slowest" -v t="$CONNECT_TIMEOUT_S" 'BEGIN { exit !(s <= t) }'
check "other services' routes are unaffected (all 200)" "$(summarize x "$TMPD/others")" \
    test "$(count_where "$TMPD/others" '$3 != 0 || $4 != 200')" -eq 0
check "other services' routes were exercised" "$(wc -l <"$TMPD/others") requests" \
    test "$(wc -l <"$TMPD/others")" -ge 30

# ---- restarted: used again within the resolve interval ---------------------------------
service_start svc-deals || fail "svc-deals restarts" "$(tail -5 "$RUN/logs/svc-deals.log")"
T0=$(now_ms)
back_ms=""
while [ $(($(now_ms) - T0)) -lt 15000 ]; do
    one GET /api/lbo/runs "${AUTHZ[@]}"
    if [ "$STATUS" = 200 ]; then
        back_ms=$(($(now_ms) - T0))
        break
    fi
    sleep 0.1
done
echo "svc-deals used again ${back_ms:-more than 15000} ms after it answers /health"
check "restarted, svc-deals is used again within ${RESOLVE_S} s" "${back_ms:-more than 15000} ms" \
    test -n "$back_ms" -a "${back_ms:-99999}" -le $((RESOLVE_S * 1000))
AFTER=$TMPD/after
load_worker "$AFTER" "$TMPD/none" 10 GET /api/lbo/runs "${AUTHZ[@]}"
load_worker "$AFTER" "$TMPD/none" 3 POST /api/lbo/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$LBO"
summarize "svc-deals routes after the restart" "$AFTER"
check "svc-deals routes all succeed after the restart" "$(summarize x "$AFTER")" \
    test "$(count_where "$AFTER" '$3 != 0 || $4 !~ /^2/')" -eq 0
up=$(metric "upstream_up{service=\"deals\",address=\"127.0.0.1:$(service_port svc-deals)\"}")
check "the gateway counts svc-deals as up again" "upstream_up $up" test "$up" = 1

fault_finish
