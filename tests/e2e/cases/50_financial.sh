# Financial data through the gateway (api.md §5): the seed dataset, DCF inputs fed to the DCF
# engine, prices, search, validation and the tenant-private overlay.
# shellcheck shell=bash

# fin_auth PATH BODY: POST to an auth route, waiting out one 429 of the auth bucket (other
# cases register users too); sets FIN_TOKEN to the access token (empty on failure).
fin_auth() {
    req POST "$1" -H 'Content-Type: application/json' --data "$2"
    if [ "$STATUS" = 429 ]; then
        local wait
        wait=$(grep -i '^retry-after:' "$TMP/headers.lf" | tr -dc '0-9')
        sleep "${wait:-5}"
        req POST "$1" -H 'Content-Type: application/json' --data "$2"
    fi
    FIN_TOKEN=$(json_field access_token)
}

# fin_register NAME: registers NAME as the admin of a new tenant NAME.
fin_register() {
    fin_auth /api/auth/register \
        "{\"username\":\"$1\",\"email\":\"$1@example.com\",\"password\":\"Fin-e2e-Passw0rd!x\",\"tenant\":\"$1\"}"
}

FIN_A=$(unique_name fin-a)
FIN_B=$(unique_name fin-b)
fin_register "$FIN_A"
if [ "$STATUS" = 404 ]; then
    echo "skip - 50_financial: POST /api/auth/register answers 404 (svc-auth not there yet)"
else
    expect_status "financial: register tenant A admin" 201
    TOK_A=$FIN_TOKEN
    fin_register "$FIN_B"
    expect_status "financial: register tenant B admin" 201
    TOK_B=$FIN_TOKEN
    HA=(-H "Authorization: Bearer $TOK_A" -H "X-Tenant-ID: $FIN_A")
    HB=(-H "Authorization: Bearer $TOK_B" -H "X-Tenant-ID: $FIN_B")

    # ---- authentication comes first ------------------------------------------
    req GET /api/financial-data/AAPL
    expect_status "financial: no token is 401" 401
    req GET /api/financial-data/AAPL -H "Authorization: Bearer $TOK_A"
    expect_status "financial: no tenant header is 400" 400
    expect_body "financial: no tenant header message" '"error":"Tenant ID required"'

    # ---- the seed dataset ------------------------------------------------------
    req GET /api/financial-data/AAPL "${HA[@]}"
    expect_status "financial: AAPL from the seed is 200" 200
    expect_body "financial: AAPL source store" '"source":"store"'
    expect_body "financial: AAPL name" '"company_name":"Apple Inc."'
    expect_body "financial: AAPL statements" '"income_statements":[{"fiscal_date":"2023-09-30"'
    expect_body "financial: AAPL as_of" '"as_of":"'
    req GET /api/financial-data/msft "${HA[@]}"
    expect_status "financial: lower-case ticker is upper-cased" 200
    expect_body "financial: msft → MSFT" '"ticker":"MSFT"'

    for bad in "AB\$C" ABCDEFGHIJK 'A%20B'; do
        req GET "/api/financial-data/$bad" "${HA[@]}"
        expect_status "financial: bad ticker $bad is 400" 400
    done
    req GET /api/financial-data/ZZZZZZ "${HA[@]}"
    expect_status "financial: unknown ticker is 404" 404
    expect_body "financial: unknown ticker message" \
        '"success":false,"error":"No financial data found for this ticker"'

    # ---- DCF inputs, fed unchanged to the DCF engine (as tenant B: the financial_data bucket
    # allows 30 requests a minute per user) --------------------------------------------------
    for t in AAPL MSFT IBM GOOGL AMZN JPM JNJ XOM NVDA KO; do
        req GET "/api/financial-data/$t/dcf-inputs" "${HB[@]}"
        expect_status "financial: $t dcf-inputs is 200" 200
        expect_body "financial: $t dcf-inputs has 7 years" '"years":7'
    done
    inputs=$(sed -E 's/^\{"success":true,"data":(.*)\}$/\1/' "$TMP/body")
    req POST /api/dcf/calculate "${HB[@]}" -H 'Content-Type: application/json' \
        --data "{\"inputs\":$inputs}"
    if [ "$STATUS" = 404 ] && grep -q '"error":"Not found"' "$TMP/body"; then
        echo "skip - financial: POST /api/dcf/calculate not served yet (404)"
    else
        expect_status "financial: dcf-inputs feed /api/dcf/calculate" 200
        if grep -qE '"per_share":-?[0-9]' "$TMP/body"; then
            ok "financial: DCF of KO gives a finite per_share"
        else
            fail "financial: DCF of KO gives a finite per_share" "$(head -c 300 "$TMP/body")"
        fi
    fi

    # ---- prices ----------------------------------------------------------------
    req GET /api/financial-data/AAPL/historical-prices "${HA[@]}"
    expect_status "financial: daily prices 200" 200
    expect_body "financial: newest price first" '"data":[{"date":"2023-12-29","open":'
    req GET '/api/financial-data/AAPL/historical-prices?interval=monthly&limit=2' "${HA[@]}"
    expect_status "financial: monthly prices 200" 200
    expect_body "financial: monthly period start" '{"date":"2023-12-01"'
    req GET '/api/financial-data/AAPL/historical-prices?interval=weekly' "${HA[@]}"
    expect_status "financial: weekly prices 200" 200
    req GET '/api/financial-data/AAPL/historical-prices?interval=hourly' "${HA[@]}"
    expect_status "financial: bad interval is 400" 400
    for lim in 0 1001 x; do
        req GET "/api/financial-data/AAPL/historical-prices?limit=$lim" "${HA[@]}"
        expect_status "financial: limit=$lim is 400" 400
    done
    req GET /api/financial-data/ZZZZZZ/historical-prices "${HA[@]}"
    expect_status "financial: no prices is 404" 404
    expect_body "financial: no prices message" '"error":"No historical price data found for this ticker"'

    # ---- search ----------------------------------------------------------------
    req GET '/api/financial-data?q=micro' "${HA[@]}"
    expect_status "financial: search 200" 200
    expect_body "financial: search by name prefix" '"ticker":"MSFT","company_name":"Microsoft Corporation"'
    req GET '/api/financial-data?q=JP' "${HA[@]}"
    expect_body "financial: search by ticker prefix" '"ticker":"JPM"'

    # ---- tenant overlay -------------------------------------------------------
    overlay='{"company_name":"Coca-Cola Private Copy","shares_outstanding":1000,"revenue":5000}'
    req PUT /api/financial-data/KO -H 'Content-Type: application/json' --data "$overlay"
    expect_status "financial: PUT without token is 401" 401
    req PUT /api/financial-data/KO "${HA[@]}" -H 'Content-Type: application/json' \
        --data '{"company_name":7}'
    expect_status "financial: PUT with a bad field is 400" 400
    expect_body "financial: PUT names the field" '"field":"company_name"'
    req PUT /api/financial-data/KO "${HA[@]}" -H 'Content-Type: application/json' --data "$overlay"
    expect_status "financial: admin PUT is 200" 200
    req GET /api/financial-data/KO "${HA[@]}"
    expect_body "financial: tenant A sees its overlay" '"company_name":"Coca-Cola Private Copy"'
    req GET /api/financial-data/KO "${HB[@]}"
    expect_body "financial: tenant B sees the shared data" '"company_name":"The Coca-Cola Company"'

    # a non-admin member of tenant A may read but not upload
    FIN_U=$(unique_name fin-u)
    req POST /api/auth/users "${HA[@]}" -H 'Content-Type: application/json' \
        --data "{\"username\":\"$FIN_U\",\"email\":\"$FIN_U@example.com\",\"password\":\"Fin-e2e-Passw0rd!x\",\"role\":\"analyst\"}"
    if [ "$STATUS" = 201 ]; then
        fin_auth /api/auth/login "{\"username\":\"$FIN_U\",\"password\":\"Fin-e2e-Passw0rd!x\"}"
        expect_status "financial: analyst logs in" 200
        req PUT /api/financial-data/KO -H "Authorization: Bearer $FIN_TOKEN" -H "X-Tenant-ID: $FIN_A" \
            -H 'Content-Type: application/json' --data "$overlay"
        expect_status "financial: analyst PUT is 403" 403
    else
        echo "skip - financial: cannot create an analyst (POST /api/auth/users $STATUS)"
    fi
fi
