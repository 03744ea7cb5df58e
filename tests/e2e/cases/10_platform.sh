# System routes, request ids, security headers and forwarding of every routed prefix.
# shellcheck shell=bash

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
