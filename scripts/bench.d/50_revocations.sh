#!/usr/bin/env bash
# Revocations (docs/auth.md "Where revocation lives"): the time to re-seed
# 100,000 live revocations into an empty Redis on one core (target ≤ 2 s),
# and the bench stack's gateway RSS before and after 100,000 revocations
# reach its local set over NATS (target ≤ +16 MiB).
# Env from scripts/bench.sh: BUILD, RUN, ROOT, GATEWAY_PORT, DATABASE_URL, …
# Prints Markdown rows "| what | figure | unit | note |".
set -uo pipefail

bench="$BUILD/bench/svc-auth-bench_revocations"
[ -x "$bench" ] || { echo "| revocations | not built | | $bench missing |"; exit 1; }

taskset -c 0 "$bench" reseed 100000 2>/dev/null || "$bench" reseed 100000 ||
    echo "| Revocation re-seed | failed | | see the output above |"

pid=$(cat "$RUN/gateway.pid")
local_n() {
    curl -sS --max-time 5 "http://127.0.0.1:$GATEWAY_PORT/metrics" |
        awk '$1 == "revocations_local" { print $2 }'
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
n0=$(local_n)
r0=$(rss_kib "$pid")
"$bench" publish 100000 || { echo "| Gateway local revocation set | failed | | publishing failed |"; exit 1; }
want=$((${n0:-0} + 100000))
deadline=$((SECONDS + 60))
while [ "$(local_n)" -lt "$want" ] 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
n1=$(local_n)
r1=$(rss_kib "$pid")
awk -v a="$r0" -v b="$r1" -v n0="${n0:-0}" -v n1="${n1:-0}" 'BEGIN {
    printf "| Gateway RSS with 100,000 local revocations | +%.1f | MiB | %.1f → %.1f MiB, %d → %d entries (NATS session.revoked); target ≤ +16 MiB |\n",
        (b - a) / 1024, a / 1024, b / 1024, n0, n1 }'
