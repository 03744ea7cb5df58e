# LBO, M&A and notes through the gateway (api.md §4, engines.md §4–5): the calculators'
# worked examples, runs and scenarios with tenant isolation, and versioned notes with ETags.
# Two registrations (tenant A and tenant B admins) of the `auth` bucket.
# shellcheck shell=bash

# deals_register NAME: registers NAME as the admin of a new tenant NAME; sets DEALS_TOKEN
# (empty on failure). Waits out a 429 of the auth bucket (other cases register users too).
deals_register() {
    local body="{\"username\":\"$1\",\"email\":\"$1@example.com\",\"password\":\"Deals-e2e-Passw0rd!x\",\"tenant\":\"$1\"}"
    local wait
    for _ in 1 2 3; do
        req POST /api/auth/register -H 'Content-Type: application/json' --data "$body"
        [ "$STATUS" = 429 ] || break
        wait=$(grep -i '^retry-after:' "$TMP/headers.lf" | tr -dc '0-9')
        sleep "${wait:-5}"
    done
    DEALS_TOKEN=$(json_field access_token)
}

# deals_etag: the ETag header of the last response (quotes included), or "".
deals_etag() {
    grep -i '^etag:' "$TMP/headers.lf" | tail -1 | sed -E 's/^[^:]*: *//'
}

DEALS_A=$(unique_name deals-a)
DEALS_B=$(unique_name deals-b)
deals_register "$DEALS_A"
if [ "$STATUS" = 404 ]; then
    echo "skip - 60_deals: POST /api/auth/register answers 404 (svc-auth not there yet)"
else
    expect_status "deals: register tenant A admin" 201
    TOK_A=$DEALS_TOKEN
    deals_register "$DEALS_B"
    expect_status "deals: register tenant B admin" 201
    TOK_B=$DEALS_TOKEN
    J=(-H 'Content-Type: application/json')
    DA=(-H "Authorization: Bearer $TOK_A" -H "X-Tenant-ID: $DEALS_A")
    DB=(-H "Authorization: Bearer $TOK_B" -H "X-Tenant-ID: $DEALS_B")

    # ---- authentication first ----------------------------------------------------
    req GET /api/lbo/runs
    expect_status "deals: no token is 401" 401
    req GET /api/notes/AAPL -H "Authorization: Bearer $TOK_A"
    expect_status "deals: no tenant header is 400" 400
    expect_body "deals: no tenant header message" '"error":"Tenant ID required"'
    req GET /api/ma/runs -H "Authorization: Bearer $TOK_A" -H "X-Tenant-ID: $DEALS_B"
    expect_status "deals: another tenant's header is 403" 403
    expect_body "deals: tenant mismatch message" '"error":"Tenant mismatch"'

    # ---- LBO calculator -----------------------------------------------------------
    req POST /api/lbo/calculate "${DA[@]}" "${J[@]}" --data '{"inputs":{}}'
    expect_status "lbo calculate: defaults are 200" 200
    expect_body "lbo calculate: final debt 426.7045" '"final_debt":426.7045'
    expect_body "lbo calculate: wacd 0.078" '"wacd":0.078'
    expect_body "lbo calculate: IRR at 10x is 0.178921 (a decimal)" '"irr":0.17892'
    expect_body "lbo calculate: moic at 10x is 2.2773" '"moic":2.2773'
    req POST /api/lbo/calculate "${DA[@]}" "${J[@]}" --data '{"inputs":{"seniorDebtRatio":0.5}}'
    expect_status "lbo calculate: ratios not summing to 1 are 400" 400
    expect_body "lbo calculate: names the debt ratios" '"field":"debtRatios"'
    req POST /api/lbo/calculate "${DA[@]}" "${J[@]}" --data '{"inputs":{"exitMultiples":[2]}}'
    expect_status "lbo calculate: a wiped-out exit is 200" 200
    expect_body "lbo calculate: its IRR is null" '"irr":null'
    req POST /api/lbo/calculate "${DA[@]}" "${J[@]}" --data '{"inputs":'
    expect_status "lbo calculate: bad JSON is 400" 400
    expect_body "lbo calculate: bad JSON message" '"error":"Invalid JSON: '

    # ---- LBO runs -----------------------------------------------------------------
    req POST /api/lbo/runs "${DA[@]}" "${J[@]}" \
        --data '{"inputs":{"companyName":"E2E Target"},"compute":true}'
    expect_status "lbo run: create is 201" 201
    expect_body "lbo run: create message" '"message":"LBO run saved successfully"'
    LBO_RUN=$(json_field run_id)
    req GET "/api/lbo/runs/$LBO_RUN" "${DA[@]}"
    expect_status "lbo run: get is 200" 200
    expect_body "lbo run: stored company name" '"company_name":"E2E Target"'
    expect_body "lbo run: stored results" '"final_debt":426.7045'
    req GET "/api/lbo/runs?limit=10" "${DA[@]}"
    expect_body "lbo run: listed" "\"run_id\":\"$LBO_RUN\""
    req GET /api/lbo/runs/last "${DA[@]}"
    expect_body "lbo run: last is the new one" "\"run_id\":\"$LBO_RUN\""
    req GET "/api/lbo/runs?limit=0" "${DA[@]}"
    expect_status "lbo run: limit 0 is 400" 400
    req GET "/api/lbo/runs/$LBO_RUN" "${DB[@]}"
    expect_status "lbo run: another tenant gets 404" 404
    expect_body "lbo run: 404 message" '"error":"LBO run not found"'
    req DELETE "/api/lbo/runs/$LBO_RUN" "${DB[@]}"
    expect_status "lbo run: another tenant cannot delete" 404
    req GET /api/lbo/runs "${DB[@]}"
    if grep -qF "$LBO_RUN" "$TMP/body"; then fail "lbo run: not in another tenant's list" "listed"; else
        ok "lbo run: not in another tenant's list"
    fi
    req GET /api/lbo/runs/not-a-uuid "${DA[@]}"
    expect_status "lbo run: a malformed id is 404" 404
    req DELETE "/api/lbo/runs/$LBO_RUN" "${DA[@]}"
    expect_status "lbo run: delete is 200" 200
    req GET "/api/lbo/runs/$LBO_RUN" "${DA[@]}"
    expect_status "lbo run: gone after delete" 404

    # ---- LBO scenarios ------------------------------------------------------------
    req POST /api/lbo/scenarios "${DA[@]}" "${J[@]}" \
        --data '[{"name":"base","companyName":"E2E Target","inputs":{}},{"inputs":{}}]'
    expect_status "lbo scenarios: save is 200" 200
    expect_body "lbo scenarios: one saved" '"saved_count":1'
    expect_body "lbo scenarios: message" '"message":"1 LBO scenarios saved successfully"'
    expect_body "lbo scenarios: the bad item is reported" '"index":1'
    req POST /api/lbo/scenarios "${DA[@]}" "${J[@]}" --data '{"name":"x"}'
    expect_status "lbo scenarios: not an array is 400" 400
    expect_body "lbo scenarios: 400 message" '"error":"Invalid LBO scenarios data"'
    req GET /api/lbo/scenarios "${DA[@]}"
    expect_body "lbo scenarios: listed" '"name":"base"'
    LBO_SCN=$(json_field scenario_id)
    req GET /api/lbo/scenarios "${DB[@]}"
    expect_body "lbo scenarios: another tenant sees none" '"scenarios":[]'
    req DELETE "/api/lbo/scenarios/$LBO_SCN" "${DA[@]}"
    expect_status "lbo scenarios: delete is 200" 200
    expect_body "lbo scenarios: delete message" '"message":"LBO scenario deleted successfully"'

    # ---- M&A ----------------------------------------------------------------------
    MA_INPUTS='{"acquirerRevenue":1000,"acquirerEBITDA":150,"acquirerShares":100,"acquirerNetDebt":200,"targetRevenue":500,"targetEBITDA":75,"targetShares":50,"targetNetDebt":100,"purchasePrice":600,"dealStructure":{"cash":60,"stock":40},"synergies":{"annual":25,"duration":5}}'
    req POST /api/ma/calculate "${DA[@]}" "${J[@]}" --data "{\"inputs\":$MA_INPUTS}"
    expect_status "ma calculate: worked example is 200" 200
    expect_body "ma calculate: accretion 0.344086" '"accretion":0.34408'
    expect_body "ma calculate: 24 new shares" '"new_shares_issued":24'
    expect_body "ma calculate: pro-forma EV/EBITDA 5.04" '"pro_forma_ev_ebitda":5.04'
    req POST /api/ma/calculate "${DA[@]}" "${J[@]}" --data '{"inputs":{"acquirerRevenue":1000}}'
    expect_status "ma calculate: a missing field is 400" 400
    expect_body "ma calculate: names it" '"error":"Missing required field: acquirerEBITDA"'
    req POST /api/ma/calculate "${DA[@]}" "${J[@]}" --data "{\"inputs\":${MA_INPUTS/\"stock\":40/\"stock\":30}}"
    expect_status "ma calculate: a 90% structure is 400" 400
    expect_body "ma calculate: structure message" '"error":"Deal structure must equal 100%"'

    req POST /api/ma/runs "${DA[@]}" "${J[@]}" \
        --data "{\"deal_name\":\"E2E Deal\",\"acquirer_name\":\"Acq\",\"target_name\":\"Tgt\",\"inputs\":$MA_INPUTS,\"compute\":true}"
    expect_status "ma run: create is 201" 201
    expect_body "ma run: create message" '"message":"M&A run saved successfully"'
    MA_RUN=$(json_field run_id)
    req GET "/api/ma/runs/$MA_RUN" "${DA[@]}"
    expect_status "ma run: get is 200" 200
    expect_body "ma run: stored deal name" '"deal_name":"E2E Deal"'
    req GET "/api/ma/runs/$MA_RUN" "${DB[@]}"
    expect_status "ma run: another tenant gets 404" 404
    expect_body "ma run: 404 message" '"error":"M&A run not found"'
    req POST /api/ma/runs "${DA[@]}" "${J[@]}" --data '{"deal_name":"x","inputs":{}}'
    expect_status "ma run: missing names are 400" 400
    # saved without computing, inputs are still the engine's: the same 400s as /calculate
    req POST /api/ma/runs "${DA[@]}" "${J[@]}" \
        --data '{"deal_name":"x","acquirer_name":"A","target_name":"T","inputs":{}}'
    expect_status "ma run: inputs the engine refuses are 400 without compute" 400
    expect_body "ma run: the engine's message" '"error":"Missing required field: acquirerRevenue"'
    req POST /api/lbo/runs "${DA[@]}" "${J[@]}" --data '{"inputs":{"companyName":"X","years":20}}'
    expect_status "lbo run: inputs the engine refuses are 400 without compute" 400
    expect_body "lbo run: the field is named" '"field":"years"'
    req POST /api/ma/scenarios "${DA[@]}" "${J[@]}" \
        --data "{\"scenarios\":[{\"name\":\"e2e-bull\",\"deal_name\":\"E2E Deal\",\"acquirer_name\":\"Acq\",\"target_name\":\"Tgt\",\"inputs\":$MA_INPUTS}]}"
    expect_status "ma scenarios: save is 200" 200
    expect_body "ma scenarios: message" '"message":"1 M&A scenarios saved successfully"'
    req POST /api/ma/scenarios "${DA[@]}" "${J[@]}" --data '{"scenarios":[]}'
    expect_status "ma scenarios: empty list is 400" 400
    expect_body "ma scenarios: 400 message" '"error":"Scenarios must be a non-empty list"'
    req DELETE "/api/ma/runs/$MA_RUN" "${DA[@]}"
    expect_status "ma run: delete is 200" 200
    expect_body "ma run: delete message" '"message":"M&A run deleted successfully"'

    # ---- notes ----------------------------------------------------------------------
    req GET /api/notes/e2e.t "${DA[@]}"
    expect_status "notes: an absent note is 200" 200
    expect_body "notes: absent is version 0" '"version":0'
    req POST /api/notes/E2E.T "${DA[@]}" "${J[@]}" --data '{"content":"first"}'
    expect_status "notes: create is 200" 200
    expect_body "notes: create makes version 1" '"version":1'
    expect_header "notes: a strong quoted ETag" ETag '"[0-9a-f]{64}"'
    ETAG1=$(deals_etag)
    req PUT /api/notes/E2E.T "${DA[@]}" "${J[@]}" --data '{"content":"second","version":1}'
    expect_status "notes: write with version 1 is 200" 200
    expect_body "notes: makes version 2" '"version":2'
    ETAG2=$(deals_etag)
    req POST /api/notes/E2E.T "${DA[@]}" "${J[@]}" --data '{"content":"stale","version":1}'
    expect_status "notes: a stale version is 409" 409
    expect_body "notes: 409 says the current version" '"current_version":2'
    req POST /api/notes/E2E.T "${DA[@]}" "${J[@]}" -H "If-Match: $ETAG1" --data '{"content":"stale"}'
    expect_status "notes: a stale ETag is 412" 412
    expect_body "notes: 412 message" '"error":"ETag conflict"'
    req GET /api/notes/e2e.t "${DA[@]}"
    expect_status "notes: lower-case ticker reads the same note" 200
    expect_body "notes: its content" '"content":"second"'
    expect_header "notes: GET carries the ETag" ETag "$ETAG2"
    expect_header "notes: GET carries Last-Modified" Last-Modified '[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT'
    req GET /api/notes/E2E.T "${DA[@]}" -H "If-None-Match: $ETAG2"
    expect_status "notes: If-None-Match with the current ETag is 304" 304
    req GET /api/notes/E2E.T "${DB[@]}"
    expect_body "notes: another tenant sees an empty note" '"version":0'
    req POST /api/notes/E2E.T "${DA[@]}" "${J[@]}" --data '{"content":42}'
    expect_status "notes: non-string content is 400" 400
    expect_body "notes: 400 message" '"error":"Invalid notes data"'
fi
