#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets (tests/fuzz/build.sh) and runs each
# for FUZZ_SECONDS (default 60) from its seed corpus tests/fuzz/corpus/<name>/
# and its regressions tests/fuzz/regressions/<name>/; new inputs go to
# build/fuzz/corpus/<name>/, crashes to build/fuzz/crashes/<name>/; the
# dictionary tests/fuzz/dict/<name>.dict is used when present. Prints
# executions/s and corpus size per target; exits 1 when a target crashed.
#
#   FUZZ_SECONDS=60 scripts/fuzz.sh [NAME…]
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-60}
cd "$ROOT" || exit 1
tests/fuzz/build.sh "$@" || exit 1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c)
        targets+=("${n#fuzz_}")
    done
fi

crashed=()
printf '| %-14s | %10s | %10s | %8s | %7s |\n' target "execs/s" executions corpus crashes
printf '|%s|%s|%s|%s|%s|\n' ---------------- ------------ ------------ ---------- ---------
for name in "${targets[@]}"; do
    work="build/fuzz/corpus/$name" art="build/fuzz/crashes/$name" log="build/fuzz/$name.log"
    mkdir -p "$work" "$art" "tests/fuzz/regressions/$name"
    before=$(find "$art" -type f | wc -l)
    dict=()
    [ -f "tests/fuzz/dict/$name.dict" ] && dict=(-dict="tests/fuzz/dict/$name.dict")
    "build/fuzz/$name" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -max_len=16384 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art/" "${dict[@]}" \
        "$work" "tests/fuzz/corpus/$name" "tests/fuzz/regressions/$name" >"$log" 2>&1
    rc=$?
    after=$(find "$art" -type f | wc -l)
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
    rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
    size=$(find "$work" "tests/fuzz/corpus/$name" -type f | wc -l)
    printf '| %-14s | %10s | %10s | %8s | %7s |\n' "$name" "${rate:-?}" "${execs:-?}" "$size" \
        $((after - before))
    if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
        crashed+=("$name")
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 | sed 's/^/    /'
    fi
done
if [ ${#crashed[@]} -gt 0 ]; then
    echo "crashed: ${crashed[*]} (inputs in build/fuzz/crashes/, logs in build/fuzz/*.log)"
    exit 1
fi
echo "no crashes"
