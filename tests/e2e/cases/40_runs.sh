# DCF runs, scenarios and the engines through the gateway (api.md §3,
# engines.md §1–3): black-box, with tokens from /api/auth/register.
# Uses 3 requests of the `auth` bucket (2 registrations, 1 login; a 429 is
# waited out once), 4 of `heavy`, the rest in `api`.
# shellcheck shell=bash

RUNS_JSON=(-H 'Content-Type: application/json')
RUNS_PASS='Runs-E2e-Strong-9!'

# runs_auth_req PATH BODY: an auth-bucket request, retried once after a 429.
runs_auth_req() {
    local wait
    req POST "$1" "${RUNS_JSON[@]}" --data "$2"
    if [ "$STATUS" = 429 ]; then
        wait=$(grep -i '^Retry-After:' "$TMP/headers.lf" | tr -dc '0-9')
        sleep "$((${wait:-12} > 65 ? 65 : ${wait:-12}))"
        req POST "$1" "${RUNS_JSON[@]}" --data "$2"
    fi
}

# runs_register PREFIX: registers a fresh user (admin of a fresh tenant);
# sets RUNS_TOKEN and RUNS_TENANT.
runs_register() {
    local user
    user=$(unique_name "$1")
    runs_auth_req /api/auth/register \
        "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"$RUNS_PASS\"}"
    RUNS_TOKEN=$(json_field access_token)
    RUNS_TENANT=$(json_field tenant)
}

runs_register e2e-runs-a
if [ "$STATUS" = 404 ]; then
    echo "skip - 40_runs: /api/auth/register answers 404 (svc-auth has no routes yet), no token to test with"
    return 0
fi
expect_status "runs: register tenant A" 201
RUNS_A=(-H "Authorization: Bearer $RUNS_TOKEN" -H "X-Tenant-ID: $RUNS_TENANT")
RUNS_TENANT_A=$RUNS_TENANT
runs_register e2e-runs-b
expect_status "runs: register tenant B" 201
RUNS_B=(-H "Authorization: Bearer $RUNS_TOKEN" -H "X-Tenant-ID: $RUNS_TENANT")

# ---- authentication ---------------------------------------------------------

req GET /api/runs
expect_status "runs: list without a token is 401" 401
expect_body "runs: 401 says why" '"error":"Authorization header required"'

# ---- create, get, last ------------------------------------------------------

req GET /api/runs/last "${RUNS_A[@]}"
expect_status "runs: last with no runs is 404" 404
expect_body "runs: last says No runs found" '"error":"No runs found"'

req POST /api/runs "${RUNS_A[@]}" "${RUNS_JSON[@]}" \
    --data '{"inputs":{"use_defaults":true,"ticker":"aapl"},"compute":true,"mc_settings":{"trials":200,"seedStr":"e2e"}}'
expect_status "runs: create with compute is 201" 201
expect_body "runs: create says saved" '"message":"Run saved successfully"'
expect_body "runs: computed per share of the worked example" '"per_share":10.637'
expect_body "runs: Monte Carlo stats stored with the seed" '"seed":"e2e"'
RUN_ID=$(json_field run_id)
if [[ $RUN_ID =~ ^$UUID_RE$ ]]; then ok "runs: run_id is a UUID v4"; else
    fail "runs: run_id is a UUID v4" "got '$RUN_ID'"
fi

req GET "/api/runs/$RUN_ID" "${RUNS_A[@]}"
expect_status "runs: get is 200" 200
expect_body "runs: ticker upper-cased" '"ticker":"AAPL"'
expect_body "runs: results stored" '"ev":1895.57'
expect_body "runs: mc_settings stored" '"mc_settings":{"'
RUNS_GET_LEN=$(grep -i '^Content-Length:' "$TMP/headers.lf" | tail -1 | tr -dc '0-9')
RUNS_GET_ETAG=$(grep -ci '^ETag:' "$TMP/headers.lf")

# HEAD is forwarded as HEAD; the answer has the GET's status and headers, no body
req HEAD "/api/runs/$RUN_ID" -I "${RUNS_A[@]}"
expect_status "runs: HEAD of a run is 200" 200
expect_header "runs: HEAD announces the GET's Content-Length" Content-Length "$RUNS_GET_LEN"
expect_header "runs: HEAD has the GET's Content-Type" Content-Type 'application/json; charset=utf-8'
got=$(curl -sS -I -o /dev/null --max-time 15 "${RUNS_A[@]}" "$BASE_URL/api/runs/$RUN_ID" --next \
    -sS -o "$TMP/body" -w '%{http_code} %{num_connects}' --max-time 15 "${RUNS_A[@]}" \
    "$BASE_URL/api/runs/$RUN_ID" 2>&1)
if [ "$got" = "200 0" ] && grep -q "\"run_id\":\"$RUN_ID\"" "$TMP/body"; then
    ok "runs: HEAD has no body (a GET follows on the connection)"
else fail "runs: HEAD has no body (a GET follows on the connection)" "$got"; fi
if [ "$(grep -ci '^ETag:' "$TMP/headers.lf")" = "$RUNS_GET_ETAG" ]; then
    ok "runs: HEAD and GET agree on ETag"
else fail "runs: HEAD and GET agree on ETag" "$(grep -i '^ETag:' "$TMP/headers.lf")"; fi
req HEAD "/api/runs/$RUN_ID" -I "${RUNS_B[@]}"
expect_status "runs: HEAD of another tenant's run is 404" 404
req OPTIONS "/api/runs/$RUN_ID"
expect_status "runs: OPTIONS of a run is 204" 204
expect_header "runs: OPTIONS lists the run's methods" Allow 'DELETE, GET, HEAD, OPTIONS'

req GET /api/runs/last "${RUNS_A[@]}"
expect_status "runs: last is 200" 200
expect_body "runs: last is the new run" "\"run_id\":\"$RUN_ID\""

# ---- refused bodies ----------------------------------------------------------

req POST /api/runs "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '{"results":{}}'
expect_status "runs: missing inputs is 400" 400
expect_body "runs: missing inputs names the field" '"field":"inputs","msg":"required"'

req POST /api/runs "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '{"inputs":{"use_defaults":true,"wacc":9},"compute":true}'
expect_status "runs: wacc given in percent is 400" 400
expect_body "runs: the percent hint" '"field":"wacc","msg":"must be a decimal between 0.03 and 0.25 (0.09 means 9%)"'

req POST /api/runs "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '{"inputs":{"ticker":7}}'
expect_status "runs: a wrong type is 400" 400
expect_body "runs: wrong type names the field" '"field":"inputs.ticker"'

req POST /api/runs "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '{"inputs":'
expect_status "runs: malformed JSON is 400" 400
expect_body "runs: malformed JSON says so" '"error":"Invalid JSON: '

req POST /api/runs "${RUNS_A[@]}" -H 'Content-Type: text/plain' --data '{"inputs":{}}'
expect_status "runs: wrong content type is 415" 415

head -c 1100000 /dev/zero | tr '\0' 'x' | sed 's/^/{"inputs":{"pad":"/; s/$/"}}/' >"$TMP/runs_big.json"
req POST /api/runs "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data-binary "@$TMP/runs_big.json"
expect_status "runs: a body over 1 MiB is 413" 413

# ---- list: pagination, sorting, filters --------------------------------------

for i in $(seq 1 24); do
    req POST /api/runs "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data "{\"inputs\":{\"ticker\":\"P$i\"}}"
    [ "$STATUS" = 201 ] || fail "runs: create run $i for the list" "status $STATUS"
done
req GET '/api/runs?per_page=20' "${RUNS_A[@]}"
expect_status "runs: list is 200" 200
expect_body "runs: total 25" '"total":25'
expect_body "runs: 2 pages" '"pages":2'
expect_body "runs: page 1 has a next" '"has_next":true'
expect_body "runs: page 1 has no prev" '"has_prev":false'
expect_body "runs: next_num 2" '"next_num":2'
expect_body "runs: prev_num null" '"prev_num":null'
expect_body "runs: default sort" '"sort_by":"created_at","sort_order":"desc"'
runs_n=$(grep -o '"run_id":' "$TMP/body" | wc -l)
if [ "$runs_n" -eq 20 ]; then ok "runs: page 1 holds 20 runs"; else fail "runs: page 1 holds 20 runs" "got $runs_n"; fi

req GET '/api/runs?per_page=20&page=2' "${RUNS_A[@]}"
expect_body "runs: page 2 has no next" '"has_next":false'
expect_body "runs: page 2 has a prev" '"has_prev":true'
expect_body "runs: page 2 next_num null" '"next_num":null'
expect_body "runs: page 2 prev_num 1" '"prev_num":1'
runs_n=$(grep -o '"run_id":' "$TMP/body" | wc -l)
if [ "$runs_n" -eq 5 ]; then ok "runs: page 2 holds 5 runs"; else fail "runs: page 2 holds 5 runs" "got $runs_n"; fi

req GET '/api/runs?ticker=aapl' "${RUNS_A[@]}"
expect_body "runs: ticker filter is exact" '"total":1'
req GET '/api/runs?q=P1' "${RUNS_A[@]}" # P1, P10..P19
expect_body "runs: q is a substring" '"total":11'
req GET '/api/runs?q=%25' "${RUNS_A[@]}"
expect_body "runs: q escapes LIKE wildcards" '"total":0'
req GET '/api/runs?sort_by=ticker&sort_order=asc&per_page=1' "${RUNS_A[@]}"
expect_body "runs: sort by ticker ascending" '"ticker":"AAPL"'

req GET '/api/runs?sort_by=password' "${RUNS_A[@]}"
expect_status "runs: unknown sort_by is 400" 400
expect_body "runs: sort_by named" '"field":"sort_by"'
req GET '/api/runs?per_page=0' "${RUNS_A[@]}"
expect_status "runs: per_page 0 is 400" 400
req GET '/api/runs?per_page=101' "${RUNS_A[@]}"
expect_status "runs: per_page 101 is 400" 400
expect_body "runs: per_page named" '"field":"per_page"'

# ---- other tenants ------------------------------------------------------------

req GET "/api/runs/$RUN_ID" "${RUNS_B[@]}"
expect_status "runs: another tenant's run is 404" 404
expect_body "runs: another tenant's run is not found" '"error":"Run not found"'
req DELETE "/api/runs/$RUN_ID" "${RUNS_B[@]}"
expect_status "runs: deleting another tenant's run is 404" 404
req GET /api/runs "${RUNS_B[@]}"
expect_body "runs: another tenant's list is empty" '"total":0'
req GET "/api/runs/$RUN_ID" "${RUNS_A[@]}"
expect_status "runs: the run survived the foreign delete" 200
req GET "/api/runs/$RUN_ID" -H "Authorization: Bearer $RUNS_TOKEN" -H "X-Tenant-ID: $RUNS_TENANT_A"
expect_status "runs: B's token with A's tenant header is 403" 403
req GET /api/runs/not-a-uuid "${RUNS_A[@]}"
expect_status "runs: a malformed id is 404" 404

# ---- a viewer may read, not write ----------------------------------------------

RUNS_VIEWER=$(unique_name e2e-runs-v)
req POST /api/auth/users "${RUNS_A[@]}" "${RUNS_JSON[@]}" \
    --data "{\"username\":\"$RUNS_VIEWER\",\"email\":\"$RUNS_VIEWER@example.com\",\"password\":\"$RUNS_PASS\",\"role\":\"viewer\"}"
expect_status "runs: the admin adds a viewer" 201
runs_auth_req /api/auth/login "{\"username\":\"$RUNS_VIEWER\",\"password\":\"$RUNS_PASS\"}"
expect_status "runs: the viewer logs in" 200
RUNS_V=(-H "Authorization: Bearer $(json_field access_token)" -H "X-Tenant-ID: $RUNS_TENANT_A")
req POST /api/runs "${RUNS_V[@]}" "${RUNS_JSON[@]}" --data '{"inputs":{"ticker":"VIEW"}}'
expect_status "runs: a viewer cannot create" 403
expect_body "runs: the viewer is told why" '"error":"Insufficient permissions"'
req DELETE "/api/runs/$RUN_ID" "${RUNS_V[@]}"
expect_status "runs: a viewer cannot delete" 403
req POST /api/scenarios "${RUNS_V[@]}" "${RUNS_JSON[@]}" --data '[{"name":"v","ticker":"V","inputs":{}}]'
expect_status "runs: a viewer cannot save scenarios" 403
req GET /api/runs "${RUNS_V[@]}"
expect_status "runs: a viewer can list" 200
expect_body "runs: nothing was written by the viewer" '"total":25'

# ---- scenarios ------------------------------------------------------------------

req POST /api/scenarios "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '{"name":"x"}'
expect_status "scenarios: not an array is 400" 400
expect_body "scenarios: not an array says so" '"error":"Invalid scenarios data"'
req POST /api/scenarios "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '[]'
expect_status "scenarios: an empty array is 400" 400
expect_body "scenarios: empty says so" '"error":"Invalid scenarios data"'

req POST /api/scenarios "${RUNS_A[@]}" "${RUNS_JSON[@]}" \
    --data '[{"name":"Base","ticker":"aapl","inputs":{"wacc":0.09}},{"ticker":"AAPL","inputs":{}}]'
expect_status "scenarios: save is 200" 200
expect_body "scenarios: one saved" '"saved_count":1'
expect_body "scenarios: message" '"message":"1 scenarios saved successfully"'
expect_body "scenarios: the invalid item is reported by index" '"errors":[{"index":1,"error":"name: required"}]'

req GET /api/scenarios "${RUNS_A[@]}"
expect_status "scenarios: list is 200" 200
expect_body "scenarios: the saved one is listed" '"name":"Base"'
SCN_ID=$(json_field scenario_id)

req POST /api/scenarios "${RUNS_A[@]}" "${RUNS_JSON[@]}" \
    --data '[{"name":"Base","ticker":"AAPL","inputs":{"wacc":0.1}}]'
expect_body "scenarios: upsert saved" '"saved_count":1'
req GET '/api/scenarios?ticker=AAPL' "${RUNS_A[@]}"
expect_body "scenarios: upsert keeps the scenario_id" "\"scenario_id\":\"$SCN_ID\""
expect_body "scenarios: upsert updates the inputs" '"wacc":0.1'
runs_n=$(grep -o '"scenario_id":' "$TMP/body" | wc -l)
if [ "$runs_n" -eq 1 ]; then ok "scenarios: upsert makes no duplicate"; else fail "scenarios: upsert makes no duplicate" "got $runs_n"; fi

req GET /api/scenarios "${RUNS_B[@]}"
expect_body "scenarios: another tenant sees none" '"scenarios":[]'
req DELETE "/api/scenarios/$SCN_ID" "${RUNS_B[@]}"
expect_status "scenarios: another tenant cannot delete" 404
expect_body "scenarios: not found" '"error":"Scenario not found"'
req DELETE "/api/scenarios/$SCN_ID" "${RUNS_A[@]}"
expect_status "scenarios: delete is 200" 200
expect_body "scenarios: delete says so" '"message":"Scenario deleted successfully"'
req DELETE "/api/scenarios/$SCN_ID" "${RUNS_A[@]}"
expect_status "scenarios: deleted twice is 404" 404

# ---- engines ----------------------------------------------------------------------

req POST /api/dcf/calculate "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '{"inputs":{"use_defaults":true}}'
expect_status "dcf: calculate is 200" 200
expect_body "dcf: the worked example's EV" '"ev":1895.57'
expect_body "dcf: series from the base year" '"rev":[500'
req POST /api/dcf/calculate "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data '{"inputs":{"revenue":500}}'
expect_status "dcf: missing required inputs is 400" 400
expect_body "dcf: the first missing field is named" '"field":"growthY1","msg":"required"'

RUNS_MC='{"inputs":{"use_defaults":true},"mc_settings":{"trials":1000,"seedStr":"e2e-seed"}}'
req POST /api/dcf/monte-carlo "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data "$RUNS_MC"
expect_status "dcf: Monte Carlo is 200" 200
expect_body "dcf: Monte Carlo counts the trials" '"n":1000'
cp "$TMP/body" "$TMP/runs_mc1"
req POST /api/dcf/monte-carlo "${RUNS_A[@]}" "${RUNS_JSON[@]}" --data "$RUNS_MC"
if cmp -s "$TMP/body" "$TMP/runs_mc1"; then ok "dcf: the same seed gives the same answer"; else
    fail "dcf: the same seed gives the same answer" "bodies differ"
fi
req POST /api/dcf/monte-carlo "${RUNS_A[@]}" "${RUNS_JSON[@]}" \
    --data '{"inputs":{"use_defaults":true},"mc_settings":{"trials":99}}'
expect_status "dcf: too few trials is 400" 400
expect_body "dcf: trials named" '"field":"trials"'

req POST /api/dcf/sensitivity "${RUNS_A[@]}" "${RUNS_JSON[@]}" \
    --data '{"inputs":{"use_defaults":true,"waccMin":0.03,"waccMax":0.05,"tgMin":0.03,"tgMax":0.05},"grid":{"size":3}}'
expect_status "dcf: sensitivity is 200" 200
expect_body "dcf: cells with g >= wacc are null" '"per_share":[[null,null,null],['

# ---- delete -------------------------------------------------------------------------

req DELETE "/api/runs/$RUN_ID" "${RUNS_A[@]}"
expect_status "runs: the author deletes" 200
expect_body "runs: delete says so" '"message":"Run deleted successfully"'
req GET "/api/runs/$RUN_ID" "${RUNS_A[@]}"
expect_status "runs: a deleted run is 404" 404
