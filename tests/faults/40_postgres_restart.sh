#!/usr/bin/env bash
# shellcheck disable=SC2016 # awk conditions in single quotes (count_where)
# platform.md §4 and §9: PostgreSQL restarted under load — the services
# reconnect by themselves (nobody restarts them) and no request hangs: every
# request during the restart finishes within 5 s, each answered 2xx or a
# clean 503 JSON; afterwards every request succeeds again.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RATE_LIMIT_API=100000/60 RATE_LIMIT_FINANCIAL_DATA=100000/60
BOUND_S=5
fault_setup postgres
register postgres
RUN_BODY='{"inputs":{"use_defaults":true,"ticker":"pg"}}'
LBO_BODY='{"inputs":{"companyName":"Restart Co"}}'
PIDS_BEFORE=$(cat "$RUN"/svc-*.pid | sort | tr '\n' ' ')

# The same mix of reads and writes on every service, before, during, after.
mix() { # OUT STOP MAX
    load_worker "$1.runs-w" "$2" "$3" POST /api/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$RUN_BODY" &
    load_worker "$1.runs-r" "$2" "$3" GET /api/runs "${AUTHZ[@]}" &
    load_worker "$1.deals" "$2" "$3" POST /api/lbo/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$LBO_BODY" &
    load_worker "$1.auth" "$2" "$3" GET /api/auth/profile "${AUTHZ[@]}" &
    load_worker "$1.fin" "$2" "$3" GET /api/financial-data/AAPL "${AUTHZ[@]}" &
    wait
    cat "$1".runs-w "$1".runs-r "$1".deals "$1".auth "$1".fin >"$1"
}

mix "$TMPD/before" "$TMPD/none" 5
summarize "before" "$TMPD/before"
check "every request succeeds before the restart" "$(summarize x "$TMPD/before")" \
    test "$(count_where "$TMPD/before" '$3 != 0 || $4 !~ /^2/')" -eq 0

# ---- the restart, under load ---------------------------------------------------------
STOP=$TMPD/stop
(mix "$TMPD/during" "$STOP" 100000) &
LOAD=$!
load_flowing() { for s in runs-w runs-r deals auth fin; do [ -s "$TMPD/during.$s" ] || return 1; done; }
eventually 30 load_flowing
T_STOP=$(now_ms)
"$ROOT/scripts/stack.sh" stop-one "$RUN" pg >>"$RUN/setup.log" 2>&1
sleep 2
"$ROOT/scripts/stack.sh" start-one "$RUN" pg >>"$RUN/setup.log" 2>&1 ||
    fail "PostgreSQL restarts" "$(tail -3 "$RUN/setup.log")"
T_START=$(now_ms)
echo "PostgreSQL down for $((T_START - T_STOP)) ms"
# let the services find their way back while the load goes on
recovered_ms=""
while [ $(($(now_ms) - T_START)) -lt 20000 ]; do
    one GET /api/runs "${AUTHZ[@]}"
    s1=$STATUS
    one POST /api/lbo/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$LBO_BODY"
    s2=$STATUS
    one GET /api/auth/profile "${AUTHZ[@]}"
    s3=$STATUS
    one GET /api/financial-data/AAPL "${AUTHZ[@]}"
    if [ "$s1$s2$s3$STATUS" = 200201200200 ]; then
        recovered_ms=$(($(now_ms) - T_START))
        break
    fi
    sleep 0.2
done
sleep 1
touch "$STOP"
wait "$LOAD"
echo "every service answers again ${recovered_ms:-more than 20000} ms after PostgreSQL is back"
summarize "during the restart" "$TMPD/during"
for s in runs-w runs-r deals auth fin; do summarize "  $s" "$TMPD/during.$s"; done

hung=$(count_where "$TMPD/during" "\$5 > $BOUND_S || \$3 == 28")
check "no request hangs: all finish within ${BOUND_S} s" "$hung over ${BOUND_S} s" test "$hung" -eq 0
check "every request gets an answer (no curl error)" "$(summarize x "$TMPD/during")" \
    test "$(count_where "$TMPD/during" '$3 != 0')" -eq 0
check "requests that fail during the restart fail with 503" "$(summarize x "$TMPD/during")" \
    test "$(count_where "$TMPD/during" '$4 !~ /^2/ && $4 != 503')" -eq 0
cat "$TMPD"/during.*.bodies >"$TMPD/during.bodies" 2>/dev/null
n503=$(count_where "$TMPD/during" '$4 == 503')
json503=$(grep -c '^503 {"error":"' "$TMPD/during.bodies")
check "every 503 has a JSON error body ($json503 of $n503)" "$(grep -v '^503 {"error":"' "$TMPD/during.bodies" | head -2)" \
    test "$json503" -eq "$n503"
check "the services reconnect by themselves within 20 s" "${recovered_ms:-not} recovered" \
    test -n "$recovered_ms"
check "the services were not restarted" "pids $PIDS_BEFORE → $(cat "$RUN"/svc-*.pid | sort | tr '\n' ' ')" \
    test "$PIDS_BEFORE" = "$(cat "$RUN"/svc-*.pid | sort | tr '\n' ' ')"
alive=0
for f in "$RUN"/svc-*.pid; do kill -0 "$(cat "$f")" 2>/dev/null && alive=$((alive + 1)); done
check "every service process is still running" "$alive of 4 alive" test "$alive" -eq 4

# ---- afterwards: everything succeeds -------------------------------------------------
mix "$TMPD/after" "$TMPD/none" 10
summarize "after" "$TMPD/after"
check "every request succeeds after the restart" "$(summarize x "$TMPD/after")" \
    test "$(count_where "$TMPD/after" '$3 != 0 || $4 !~ /^2/')" -eq 0

fault_finish
