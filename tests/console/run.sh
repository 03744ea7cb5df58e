#!/usr/bin/env bash
# The web console's server, checked with curl (the e2e suite's helpers):
#   - every security header of the production guide, each once, on pages and on the API
#     (the exact CSP; HSTS only over TLS: the compose edge, none on the dev/test nginx);
#   - no directory listing anywhere, no dot files, /metrics not exposed;
#   - the files the console needs served with the right types (ES modules, Chart.js from
#     Debian, the Inter font), nothing referenced from another origin, no inline script;
#   - /api/health, a JSON write, strong ETags and the websocket upgrade through it;
#   - with CONSOLE_DOWN_URL (a console whose gateway is down): a JSON 503, never an HTML page.
#
#   CONSOLE_URL=http://127.0.0.1:8000 [CONSOLE_DOWN_URL=…] tests/console/run.sh
#
# Prints one line per check and "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE_URL=${CONSOLE_URL:?set CONSOLE_URL}
# shellcheck source=tests/e2e/lib.sh
source "$ROOT/tests/e2e/lib.sh"

CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

# once NAME HEADER: the last response carries HEADER exactly once.
once() {
    local n
    n=$(grep -ci "^$2:" "$TMP/headers.lf")
    if [ "$n" = 1 ]; then ok "$1"; else fail "$1" "$2 appears $n times"; fi
}

no_header() {
    if grep -qi "^$2:" "$TMP/headers.lf"; then fail "$1" "$(grep -i "^$2:" "$TMP/headers.lf")"; else ok "$1"; fi
}

security_headers() { # WHERE
    expect_header "$1: Content-Security-Policy is exactly the console's" Content-Security-Policy \
        "$(printf '%s' "$CSP" | sed 's/[.[\*^$()+?{|]/\\&/g')"
    expect_header "$1: X-Frame-Options DENY" X-Frame-Options DENY
    expect_header "$1: X-Content-Type-Options nosniff" X-Content-Type-Options nosniff
    expect_header "$1: Referrer-Policy" Referrer-Policy strict-origin-when-cross-origin
    expect_header "$1: Permissions-Policy" Permissions-Policy 'accelerometer=\(\), camera=\(\), geolocation=\(\).*'
    for h in Content-Security-Policy X-Frame-Options X-Content-Type-Options Referrer-Policy Permissions-Policy; do
        once "$1: $h sent once" "$h"
    done
    case $BASE_URL in
    https://*) expect_header "$1: Strict-Transport-Security over TLS" Strict-Transport-Security 'max-age=[0-9]+.*'
        once "$1: Strict-Transport-Security sent once" Strict-Transport-Security ;;
    *) no_header "$1: no Strict-Transport-Security over plain HTTP" Strict-Transport-Security ;;
    esac
}

# ---- the page ---------------------------------------------------------------------------
req GET /
expect_status "GET / serves the console" 200
expect_header "GET / is HTML" Content-Type 'text/html.*'
expect_body "GET / is the console's page" '<title>Valor IVX</title>'
security_headers "GET /"
expect_header "GET / is revalidated (no build step, no hashed names)" Cache-Control no-cache
no_header "GET / names no server version" X-Powered-By
if grep -qi '^server:.*[0-9]' "$TMP/headers.lf"; then fail "GET / hides the nginx version" "$(grep -i '^server:' "$TMP/headers.lf")"; else ok "GET / hides the nginx version"; fi

# ---- the API through it ---------------------------------------------------------------------
req GET /api/health
expect_status "/api/health through the console" 200
expect_body "/api/health is the gateway's" '"status":"healthy"'
expect_header "/api/health keeps the gateway's request id" X-Request-ID '.+'
expect_header "/api/health stays no-store" Cache-Control no-store
security_headers "/api/health"

user=$(unique_name console)
# The auth bucket may be used up by the suites before this one (the compose stack keeps the
# default 5 per minute): wait as long as Retry-After says, a few times at most.
for _ in 1 2 3 4; do
    req POST /api/auth/register -H 'Content-Type: application/json' \
        --data "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"Correct-Horse-9-battery\"}"
    [ "$STATUS" = 429 ] || break
    wait_s=$(grep -i '^retry-after:' "$TMP/headers.lf" | tr -dc '0-9')
    sleep "${wait_s:-5}"
done
expect_status "a JSON POST through the console (register)" 201
token=$(json_field access_token)
tenant=$(grep -oE '"tenant":"[^"]*"' "$TMP/body" | head -1 | sed -E 's/.*:"(.*)"/\1/')

req POST /api/notes/CONSOLE -H "Authorization: Bearer $token" -H "X-Tenant-ID: $tenant" \
    -H 'Content-Type: application/json' --data '{"content":"strong etags survive the proxy"}'
expect_status "a note saved through the console" 200
req GET /api/notes/CONSOLE -H "Authorization: Bearer $token" -H "X-Tenant-ID: $tenant" \
    -H 'Accept-Encoding: gzip, deflate, br' --compressed
expect_header "the note's ETag stays strong through the console (If-Match works)" ETag '"[0-9a-f]+"'

req GET "/api/ws?access_token=$token" --http1.1 --max-time 3 -N -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='
if grep -qE '^HTTP/1\.1 101' "$TMP/headers.lf"; then ok "the websocket feed upgrades through the console (101)"; else
    fail "the websocket feed upgrades through the console" "$(head -1 "$TMP/headers.lf") $(head -c 200 "$TMP/body")"
fi
expect_header "the websocket answer is an Upgrade" Upgrade websocket
if grep -q "access_token" "$ROOT"/.run/*/logs/console-access.log 2>/dev/null; then
    fail "the access log never holds a token" "access_token found in console-access.log"
else ok "the access log never holds a token"; fi

# ---- no listings, no hidden files, no metrics ------------------------------------------------
for p in /js/ /js/pages/ /css/ /vendor/ /vendor/chart.js/ /vendor/chart.js/chunks/ /vendor/fonts/inter/ /api/../js/; do
    req GET "$p"
    if [ "$STATUS" = 404 ] && ! grep -qi 'Index of' "$TMP/body"; then ok "no directory listing at $p"; else
        fail "no directory listing at $p" "status $STATUS $(head -c 120 "$TMP/body")"
    fi
done
req GET /.git/config
expect_status "dot files are not served" 404
req GET /metrics
expect_status "/metrics is not exposed through the console" 404
req GET /api/metrics
expect_status "/api/metrics is not exposed through the console" 404

# ---- what the page loads ---------------------------------------------------------------------
for p in /js/main.js /js/pages/dcf.js /vendor/chart.js/chart.mjs /vendor/chart.js/chunks/helpers.segment.mjs; do
    req GET "$p"
    expect_status "$p is served" 200
    expect_header "$p is JavaScript (module scripts need it, nosniff is on)" Content-Type '(text|application)/javascript.*'
done
req GET /css/console.css
expect_header "the stylesheet is text/css" Content-Type 'text/css.*'
req GET /vendor/fonts/inter/Inter-Regular.otf
expect_status "the Inter font (Debian's fonts-inter) is served" 200
expect_header "the font has a font type" Content-Type 'font/otf'
req GET /favicon.svg
expect_header "the icon is SVG" Content-Type 'image/svg\+xml'

# Static properties of console/: everything from this origin, nothing inline, no eval.
inline=$(grep -nE '<script(>| [^>]*>[^<]+)|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$ROOT/console/index.html" || true)
[ -z "$inline" ] && ok "index.html has no inline script, style or handler" || fail "index.html has no inline script, style or handler" "$inline"
foreign=$(grep -rnE "(src|href)=\"(https?:)?//|from '(https?:)?//|url\((\"|')?(https?:)?//|import\('(https?:)?//" "$ROOT/console" || true)
[ -z "$foreign" ] && ok "console/ references nothing on another origin (no CDN)" || fail "console/ references nothing on another origin" "$foreign"
unsafe=$(grep -rnE '\beval\(|new Function\(|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write' "$ROOT/console/js" || true)
[ -z "$unsafe" ] && ok "console/js uses no eval and no HTML strings" || fail "console/js uses no eval and no HTML strings" "$unsafe"
vendored=$(find "$ROOT/console" -iname 'chart.*js' -o -iname 'helpers.segment*' | head -3)
[ -z "$vendored" ] && ok "Chart.js is not vendored into console/ (Debian's libjs-chart.js is served)" || fail "Chart.js is not vendored" "$vendored"

# ---- the gateway down -----------------------------------------------------------------------
if [ -n "${CONSOLE_DOWN_URL:-}" ]; then
    BASE_URL=${CONSOLE_DOWN_URL%/}
    req GET /api/health
    expect_status "gateway down: the console answers 503" 503
    expect_header "gateway down: the answer is JSON" Content-Type 'application/json.*'
    expect_body "gateway down: names the gateway" '"service":"gateway"'
    req GET /
    expect_status "gateway down: the page itself is still served" 200
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
