#!/usr/bin/env bash
# make bench: a private stack and release-built services on free ports, then
# every scripts/bench.d/*.sh in name order; each prints Markdown table rows
# ("| what | figure | unit | note |"). The table goes to stdout and bench/results.md.
#
#   scripts/bench.sh BUILD_DIR      (build/release)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$(cd "${1:?usage: bench.sh BUILD_DIR}" && pwd)
RUN="$ROOT/.run/bench-$$"
mkdir -p "$RUN"
export VALOR_PORTS_TAKEN="$RUN/ports" BUILD RUN ROOT

cleanup() {
    "$ROOT/scripts/services.sh" stop "$RUN" 2>/dev/null
    "$ROOT/scripts/stack.sh" stop "$RUN" 2>/dev/null
    [ -f "$RUN/pg.path" ] && rm -rf "$(cat "$RUN/pg.path")"
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v wrk >/dev/null && command -v nginx >/dev/null || {
    [ "$(id -u)" -eq 0 ] || die "bench needs wrk and nginx (apt-get install wrk nginx-light)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null
}

"$ROOT/scripts/stack.sh" start "$RUN" auto >/dev/null || exit 1
# shellcheck disable=SC1091
source "$RUN/stack.env"
export APP_ENV=development LOG_LEVEL=WARNING
# the stack's gateway is measured too (40_memory.sh): a limit it never reaches
export RATE_LIMIT_API=1000000000/60
"$ROOT/scripts/services.sh" start "$RUN" "$BUILD/bin" auto || exit 1
# shellcheck disable=SC1091
source "$RUN/secrets.env"
# shellcheck disable=SC1091
source "$RUN/services.env"

out="$ROOT/bench/results.md"
{
    echo "# Benchmark results"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m); every row measured in this one run."
    echo
    echo "| what | figure | unit | note |"
    echo "|---|---|---|---|"
    for piece in "$ROOT"/scripts/bench.d/*.sh; do
        [ -f "$piece" ] || continue
        bash "$piece" || echo "| $(basename "$piece") | failed | | see the output above |"
    done
} | tee "$out.tmp"
mv "$out.tmp" "$out"
echo "written to bench/results.md"
