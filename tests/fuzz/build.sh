#!/usr/bin/env bash
# Builds the libFuzzer targets tests/fuzz/fuzz_<name>.c into build/fuzz/<name>
# (clang, -fsanitize=fuzzer,address,undefined). Each target links its fuzz
# file, the component sources it names below (compiled with the Makefile's
# include paths and pkg-config packages) and a sanitized copy of the common
# library. Incremental: an object is rebuilt when its source or a header it
# includes is newer.
#
#   tests/fuzz/build.sh [NAME…]      default: every target
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT="$ROOT/build/fuzz"
OBJ="$OUT/obj"
CC=${FUZZ_CC:-clang}
cd "$ROOT"

# The component sources each target needs (besides common/).
declare -A SOURCES=(
    [dcf_inputs]="svc-runs/src/dcf_inputs.c svc-runs/src/dcf_json.c svc-runs/src/engine_dcf.c svc-runs/src/engine_mc.c"
    [lbo_inputs]="svc-deals/src/engine_lbo.c svc-deals/src/engine_util.c"
    [ma_inputs]="svc-deals/src/engine_ma.c svc-deals/src/engine_util.c"
    [auth_register]="svc-auth/src/auth_rules.c svc-auth/src/common_passwords.c"
    [company]="svc-financial/src/company.c svc-financial/src/fin_util.c"
    [av_parse]="svc-financial/src/av_parse.c svc-financial/src/company.c svc-financial/src/fin_util.c"
    [jwt]=""
    [routes]="gateway/src/routes.c"
    [upstream_response]="gateway/src/upstream.c"
    [rl_replies]="gateway/src/rl_redis.c"
    [notes_etag]="svc-deals/src/handlers_notes.c svc-deals/src/deals.c svc-deals/src/stmts.c"
)

PKGS=(libulfius liborcania libyder jansson libjwt hiredis libnats libpq libcurl gnutls libmicrohttpd)
read -ra PKG_CFLAGS <<<"$(pkg-config --cflags "${PKGS[@]}" | sed 's/-I/-isystem /g')"
read -ra PKG_LIBS <<<"$(pkg-config --libs "${PKGS[@]}") -lcrypt -lm"
WARN=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wundef)
# shellcheck disable=SC2054 # one flag with a comma-separated value
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
CFLAGS=(-std=c17 -D_GNU_SOURCE "${WARN[@]}" -pthread -O1 -g "${SAN[@]}" -Icommon/include -Icommon/src
    "${PKG_CFLAGS[@]}")

# stale OBJ SRC: 0 when OBJ is missing or older than SRC or a header it includes.
stale() {
    local o=$1 s=$2 d=${1%.o}.d
    [ -f "$o" ] && [ -f "$d" ] || return 0
    [ "$s" -nt "$o" ] && return 0
    local dep
    while read -r dep; do
        [ -n "$dep" ] && [ -e "$dep" ] && [ "$dep" -nt "$o" ] && return 0
    done < <(sed -e 's/^[^:]*://' -e 's/\\$//' "$d" | tr ' ' '\n')
    return 1
}

# compile SRC [EXTRA-FLAGS…]: prints the object path.
compile() {
    local s=$1 o="$OBJ/${1%.c}.o"
    shift
    mkdir -p "$(dirname "$o")"
    if stale "$o" "$s"; then
        "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -I"$(dirname "$s")" "$@" -MMD -MP -c "$s" -o "$o" >&2
    fi
    echo "$o"
}

mkdir -p "$OBJ"
common_objs=()
for s in common/src/*.c; do
    o=$(compile "$s" -w) || exit 1
    common_objs+=("$o")
done
lib="$OUT/libvalor-common-fuzz.a"
if [ ! -f "$lib" ] || [ -n "$(find "${common_objs[@]}" -newer "$lib" 2>/dev/null | head -1)" ]; then
    rm -f "$lib" && ar rcs "$lib" "${common_objs[@]}"
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(printf '%s\n' "${!SOURCES[@]}" | sort)
for name in "${targets[@]}"; do
    [ -f "tests/fuzz/fuzz_$name.c" ] || { echo "build.sh: no tests/fuzz/fuzz_$name.c" >&2; exit 1; }
    objs=()
    incs=()
    read -ra srcs <<<"${SOURCES[$name]:-}"
    for s in "${srcs[@]}"; do
        o=$(compile "$s" -w) || exit 1
        objs+=("$o")
        incs+=("-I$(dirname "$s")")
    done
    o=$(compile "tests/fuzz/fuzz_$name.c" -Werror "${incs[@]}") || exit 1
    objs+=("$o")
    bin="$OUT/$name"
    if [ ! -x "$bin" ] || [ -n "$(find "${objs[@]}" "$lib" -newer "$bin" 2>/dev/null | head -1)" ]; then
        "$CC" -fsanitize=fuzzer "${SAN[@]}" -pthread -o "$bin" "${objs[@]}" "$lib" "${PKG_LIBS[@]}"
    fi
done
echo "fuzz targets in build/fuzz: ${targets[*]}"
