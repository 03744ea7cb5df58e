# Shared helpers of the e2e suite (sourced by run.sh; every case file uses them).
# shellcheck shell=bash

BASE_URL=${BASE_URL:-http://127.0.0.1:5002}
BASE_URL=${BASE_URL%/}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

PASSED=0
FAILED=0
STATUS=""

ok() {
    PASSED=$((PASSED + 1))
    echo "ok   - $1"
}

fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $1: $2"
}

# req METHOD PATH [curl args…]: one request; sets STATUS, body in $TMP/body,
# headers in $TMP/headers.
req() {
    local method=$1 path=$2
    shift 2
    STATUS=$(curl -sS --path-as-is -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
        --max-time 15 -X "$method" "$@" "$BASE_URL$path" 2>"$TMP/curl.err") || STATUS="000"
    tr -d '\r' <"$TMP/headers" >"$TMP/headers.lf" 2>/dev/null || : >"$TMP/headers.lf"
}

# The three assertions, each about the last req.
expect_status() { # name expected
    if [ "$STATUS" = "$2" ]; then ok "$1"; else
        fail "$1" "expected status $2 got $STATUS ($(head -c 200 "$TMP/body" 2>/dev/null))"
    fi
}

expect_body() { # name substring
    if grep -qF -- "$2" "$TMP/body" 2>/dev/null; then ok "$1"; else
        fail "$1" "expected body containing '$2' got '$(head -c 300 "$TMP/body" 2>/dev/null)'"
    fi
}

expect_header() { # name header value-regex (extended, case-insensitive)
    local line
    line=$(grep -i "^$2:" "$TMP/headers.lf" | tail -1)
    if printf '%s\n' "${line#*:}" | grep -qEi -- "^ *$3\$"; then ok "$1"; else
        fail "$1" "expected header $2 matching /$3/ got '${line:-<none>}'"
    fi
}

# burst, expect_burst_bound, eventually: for clock-driven mechanisms.
# shellcheck source=tests/e2e/clocked.sh
source "$(dirname "${BASH_SOURCE[0]}")/clocked.sh"

UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

# json_field NAME: the string value of "NAME":"…" in the last body (first match), or "".
json_field() {
    grep -oE "\"$1\":\"[^\"]*\"" "$TMP/body" 2>/dev/null | head -1 | sed -E "s/^\"$1\":\"(.*)\"$/\1/"
}

# unique_name PREFIX: a name no other run of the suite uses (tenants, users).
unique_name() {
    printf '%s-%s-%s' "$1" "$(date +%s%N | tail -c 9)" "$RANDOM"
}
