#!/usr/bin/env bash
# Runs every libFuzzer target once over each file of its seed corpus
# (tests/fuzz/corpus/<name>/) and its regression inputs
# (tests/fuzz/regressions/<name>/) — no fuzzing, a few seconds in all — and
# ends with "fuzz: N passed, N failed" (one per input) for scripts/test.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
passed=0
failed=0
if ! tests/fuzz/build.sh >build/fuzz-build.log 2>&1; then
    tail -n 30 build/fuzz-build.log
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
for f in tests/fuzz/fuzz_*.c; do
    name=$(basename "$f" .c)
    name=${name#fuzz_}
    n=0 bad=$failed
    for input in tests/fuzz/corpus/"$name"/* tests/fuzz/regressions/"$name"/*; do
        [ -f "$input" ] || continue
        n=$((n + 1))
        if out=$(timeout 60 "build/fuzz/$name" "$input" 2>&1); then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            echo "FAIL - fuzz $name: $input"
            grep -E 'ERROR|SUMMARY|runtime error|^#[0-9]+ ' <<<"$out" | head -8 | sed 's/^/    /'
        fi
    done
    [ "$failed" -eq "$bad" ] && echo "ok   - fuzz $name: $n inputs"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
