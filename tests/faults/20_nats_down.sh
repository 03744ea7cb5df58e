#!/usr/bin/env bash
# shellcheck disable=SC2016 # awk conditions in single quotes (count_where)
# platform.md §3 and §9: NATS killed while writes continue — every write
# (POST /api/runs through the gateway) succeeds and does not wait for NATS;
# after NATS returns every event arrives, none twice in the audit trail
# (GET /api/audit as the tenant's admin: each run.created exactly once,
# matched by entity_id = run_id).
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RATE_LIMIT_API=100000/60
fault_setup nats
register nats
BODY='{"inputs":{"use_defaults":true,"ticker":"nats"}}'
IDS=$TMPD/run_ids
WRITES=$TMPD/writes

# write N LABEL: N sequential POST /api/runs; records "… status secs" lines in
# $WRITES and the run ids in $IDS.
write() {
    local i
    for ((i = 0; i < $1; i++)); do
        one POST /api/runs "${AUTHZ[@]}" "${JSON[@]}" --data "$BODY"
        echo "$2 $CURL_RC $STATUS $SECS" >>"$WRITES"
        grep -oE '"run_id":"[^"]*"' "$TMPD/body" | cut -d'"' -f4 | tee -a "$IDS.$2" >>"$IDS"
    done
}

write 5 before
# writes continue in the background while NATS is killed and comes back
write 10 during-kill &
WRITER=$!
sleep 0.3
kill -KILL "$(cat "$RUN/nats.pid")"
rm -f "$RUN/nats.pid"
wait "$WRITER"
write 15 down
sleep 3
write 5 down-later
# the outage is real: those events wait in svc-runs' outbox
pending=$(curl -sS --max-time 5 "$RUNS_SERVICE_URL/metrics" | grep -E '^outbox_pending ' | awk '{print $2}')
check "svc-runs holds the events in its outbox while NATS is down" "outbox_pending ${pending:-?}" \
    test "${pending:-0}" -gt 0
one GET "/api/audit?limit=200" -H "Authorization: Bearer $TOKEN"
seen=0
while read -r id; do grep -qF "\"entity_id\":\"$id\"" "$TMPD/body" && seen=$((seen + 1)); done \
    < <(cat "$IDS.down" "$IDS.down-later")
check "no event of a write made while NATS is down reached the audit trail yet" "$seen seen" \
    test "$seen" -eq 0
"$ROOT/scripts/stack.sh" start-one "$RUN" nats >>"$RUN/setup.log" 2>&1 ||
    fail "NATS restarts" "$(tail -3 "$RUN/setup.log")"
write 5 after

total=$(wc -l <"$WRITES")
good=$(awk '$2 == 0 && $3 == 201' "$WRITES" | wc -l)
slow=$(awk '$4 > 2' "$WRITES" | wc -l)
by_status=$(awk '{ s[$3]++ } END { for (k in s) printf " %s=%d", k, s[k] }' "$WRITES")
echo "writes: sent $total, succeeded $good, by status:$by_status; run ids $(sort -u "$IDS" | wc -l)"
check "every write succeeds while NATS is down (201)" "$good of $total" test "$good" -eq "$total"
check "no write waits for NATS (none over 2 s)" "$slow slower" test "$slow" -eq 0
check "every write answered a distinct run_id" "$(sort -u "$IDS" | wc -l) ids" \
    test "$(sort -u "$IDS" | wc -l)" -eq "$total"

# ---- every event arrives, once --------------------------------------------------
missing=$total
start=$(now_ms)
while [ $(($(now_ms) - start)) -lt 20000 ]; do
    one GET "/api/audit?limit=200" -H "Authorization: Bearer $TOKEN"
    if [ "$STATUS" = 200 ]; then
        missing=0
        while read -r id; do
            grep -qF "\"entity_id\":\"$id\"" "$TMPD/body" || missing=$((missing + 1))
        done <"$IDS"
        [ "$missing" -eq 0 ] && break
    fi
    sleep 0.5
done
arrived_ms=$(($(now_ms) - start))
echo "audit: $((total - missing)) of $total run.created events after ${arrived_ms} ms"
check "every run.created event reaches the audit trail within 20 s of NATS' return" \
    "$missing missing (last status $STATUS)" test "$missing" -eq 0
twice=0
while read -r id; do
    n=$(grep -oF "\"entity_id\":\"$id\"" "$TMPD/body" | wc -l)
    [ "$n" -gt 1 ] && twice=$((twice + 1))
done <"$IDS"
check "no event twice in the audit trail" "$twice runs with more than one event" test "$twice" -eq 0
created=$(grep -oF '"type":"run.created"' "$TMPD/body" | wc -l)
check "exactly one run.created per write ($created for $total)" "$created events" \
    test "$created" -eq "$total"
# duplicates might come late (a redelivery): look once more after a while
sleep 2
one GET "/api/audit?limit=200" -H "Authorization: Bearer $TOKEN"
created=$(grep -oF '"type":"run.created"' "$TMPD/body" | wc -l)
check "still exactly one run.created per write 2 s later" "$created events for $total writes" \
    test "$created" -eq "$total"

fault_finish
