#!/usr/bin/env bash
# Black-box end-to-end suite against a running gateway (bash + curl + grep).
#
#   BASE_URL=http://127.0.0.1:5002 tests/e2e/run.sh
#
# Prints one line per case ("ok   - name" or "FAIL - name: expected … got …"),
# then "N passed, N failed"; exits 1 when any case failed.
set -uo pipefail

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

UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

# ---- system routes --------------------------------------------------------

req GET /
expect_status "GET / is 200" 200
expect_body "GET / names the API" '"name":"Valor IVX API"'
expect_body "GET / has version" '"version":"'
expect_body "GET / links docs" '"docs":"/api/openapi.json"'
expect_body "GET / links health" '"health":"/api/health"'

req GET /api/health
expect_status "/api/health is 200" 200
expect_body "/api/health is healthy" '"status":"healthy"'
expect_body "/api/health has a timestamp" '"timestamp":"'

req GET /api/readiness
expect_status "/api/readiness is 200" 200
expect_body "/api/readiness is ready" '"status":"ready"'
for check in redis nats auth runs financial deals; do
    expect_body "/api/readiness check $check ok" "\"$check\":{\"ok\":true"
done

req GET /api/ready
expect_status "/api/ready alias is 200" 200

# ---- errors, request ids, security headers ---------------------------------

req GET /api/no-such-route-e2e
expect_status "unknown path is 404" 404
expect_body "unknown path says Not found" '"error":"Not found"'
expect_header "unknown path answers JSON" Content-Type 'application/json.*'

req GET /api/health -H 'X-Request-ID: e2e-valid.id_1'
expect_header "valid X-Request-ID is echoed" X-Request-ID 'e2e-valid\.id_1'

req GET /api/health -H 'X-Request-ID: not valid!'
expect_header "invalid X-Request-ID is replaced by a UUID" X-Request-ID "$UUID_RE"

req GET /api/health
expect_header "missing X-Request-ID is generated" X-Request-ID "$UUID_RE"
expect_header "X-Content-Type-Options: nosniff" X-Content-Type-Options nosniff
expect_header "X-Frame-Options: DENY" X-Frame-Options DENY
expect_header "Referrer-Policy" Referrer-Policy strict-origin-when-cross-origin
expect_header "Cache-Control: no-store" Cache-Control no-store

# ---- every routed prefix reaches its service --------------------------------

n=0
for route in "GET /api/auth/x" "GET /api/runs" "GET /api/scenarios" "POST /api/dcf/calculate" \
    "GET /api/financial-data/AAPL" "GET /api/lbo/runs" "GET /api/ma/runs" "GET /api/notes/AAPL"; do
    n=$((n + 1))
    method=${route% *}
    path=${route#* }
    rid="e2e-route-$n"
    extra=()
    [ "$method" = POST ] && extra=(--data '{}')
    req "$method" "$path" -H "X-Request-ID: $rid" -H 'Content-Type: application/json' "${extra[@]}"
    case $STATUS in
    2?? | 4??) ok "$route answered by its service ($STATUS)" ;;
    *) fail "$route answered by its service" "expected 2xx/4xx got $STATUS ($(head -c 200 "$TMP/body"))" ;;
    esac
    expect_header "$route answers JSON" Content-Type 'application/json.*'
    expect_header "$route keeps the request id" X-Request-ID "$rid"
done

# ---- metrics ---------------------------------------------------------------

req GET /metrics
expect_status "/metrics is 200" 200
expect_header "/metrics is Prometheus text" Content-Type 'text/plain.*'
expect_body "/metrics counts http_requests_total" 'http_requests_total'
expect_body "/metrics has upstream durations" 'upstream_request_duration_seconds'

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
