#!/usr/bin/env bash
# svc-deals engines: LBO and M&A calculations per second on one core — the engine alone, and
# the whole /calculate path minus HTTP (parse, validate, compute, result JSON, serialise).
# Env from scripts/bench.sh: BUILD. DEALS_BENCH_SECONDS (default 1) per measurement.
set -uo pipefail

bin="$BUILD/bench/svc-deals-bench_deals"
if [ ! -x "$bin" ]; then
    echo "| svc-deals engines | missing | | $bin not built |"
    exit 0
fi
"$bin" "${DEALS_BENCH_SECONDS:-1}"
