#!/usr/bin/env bash
# Reports (issue 15): DCF PDF and HTML reports per second on one core for the preset run
# (svc-runs/bench/bench_report.c: compute, lay out, render — target ≤ 20 ms per PDF), then
# the RSS of the bench stack's svc-runs after 1,000 PDF reports over HTTP (straight to the
# service, 4 at a time) and after 1,000 more — no growth means every cairo/pango object is
# freed.
# Env from scripts/bench.sh: BUILD, RUN, RUNS_SERVICE_URL. REPORT_BENCH_SECONDS (default 2).
# Prints Markdown rows "| what | figure | unit | note |".
set -uo pipefail

bin="$BUILD/bench/svc-runs-bench_report"
token_bin="$BUILD/bench/svc-runs-bench_token"
if [ ! -x "$bin" ]; then
    echo "| DCF reports | not built | | $bin missing |"
    exit 1
fi
taskset -c 0 "$bin" "${REPORT_BENCH_SECONDS:-2}" 2>/dev/null || "$bin" "${REPORT_BENCH_SECONDS:-2}"

pid=$(cat "$RUN/svc-runs.pid" 2>/dev/null)
if [ -z "${RUNS_SERVICE_URL:-}" ] || [ -z "$pid" ] || [ ! -x "$token_bin" ]; then
    echo "| svc-runs RSS around 1,000 reports | skipped | | no running svc-runs |"
    exit 0
fi
dir="$RUN/bench-reports"
mkdir -p "$dir"
tenant="bench-reports-$$"
token=$("$token_bin" "$tenant" bench-user analyst enterprise 3600)
hdr=(-H "Authorization: Bearer $token" -H "X-Tenant-ID: $tenant")
run_id=$(curl -sS "${hdr[@]}" -H 'Content-Type: application/json' "$RUNS_SERVICE_URL/api/runs" \
    --data '{"inputs":{"use_defaults":true,"ticker":"BENCH"},"mc_settings":{"trials":1000,"seedStr":"bench"}}' |
    grep -oE '"run_id":"[^"]+"' | cut -d'"' -f4)
[ -n "$run_id" ] || {
    echo "| svc-runs RSS around 1,000 reports | failed | | could not create a run |"
    exit 1
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# reports N: N PDF reports, 4 at a time; prints how many answered 200
reports() {
    local cfg="$dir/urls.cfg"
    : >"$cfg"
    for _ in $(seq 1 "$1"); do
        printf 'url = "%s/api/reports/dcf?run_id=%s"\noutput = "/dev/null"\n' "$RUNS_SERVICE_URL" "$run_id" >>"$cfg"
    done
    curl -sS --no-progress-meter -Z --parallel-max 4 "${hdr[@]}" -w '%{http_code}\n' -K "$cfg" 2>/dev/null | grep -c '^200$'
}

idle=$(rss_kib "$pid")
t0=$(date +%s.%N)
ok1=$(reports 1000)
t1=$(date +%s.%N)
after=$(rss_kib "$pid")
ok2=$(reports 1000)
again=$(rss_kib "$pid")
rate=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 1000 / (b - a) }')
echo "| svc-runs RSS after 1,000 DCF PDF reports | $(mib "$after") | MiB | idle $(mib "$idle") MiB; $((again - after)) KiB more after another 1,000 (no growth: cairo/pango objects freed; the first reports of each worker thread build its font map); HTTP straight to svc-runs, 4 at a time, $rate reports/s on $(nproc) cores; 200s $((ok1 + ok2)) of 2,000 |"
