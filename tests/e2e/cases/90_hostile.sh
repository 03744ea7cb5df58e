# Hostile input through the gateway (platform.md §9): deeply nested JSON,
# invalid UTF-8, huge numbers, NUL bytes, SQL-injection and path-traversal
# strings in the string fields and path parameters of a representative route
# per service, an oversized header and a slowloris connection. Each is
# answered with a 4xx (never a 5xx), refused writes store nothing (checked
# with a list afterwards) and the stack is still ready at the end.
# One registration (the `auth` bucket) plus the hostile register/login calls.
# shellcheck shell=bash

HOST_SQLI="' OR '1'='1'; DROP TABLE runs; --"
HOST_TRAV="../../../../etc/passwd"

# hostile_url STRING: STRING percent-encoded for a path segment.
hostile_url() {
    local s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
        [A-Za-z0-9_~-]) out+=$c ;;
        *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

# hostile_4xx NAME: the last status is a 4xx (not a 5xx, not a success).
hostile_4xx() {
    case $STATUS in
    4??) ok "$1" ;;
    *) fail "$1" "expected a 4xx got $STATUS ($(head -c 200 "$TMP/body" 2>/dev/null))" ;;
    esac
}

# hostile_not_5xx NAME: the request was answered and not with a 5xx.
hostile_not_5xx() {
    case $STATUS in
    [1234]??) ok "$1" ;;
    *) fail "$1" "expected no 5xx got $STATUS ($(head -c 200 "$TMP/body" 2>/dev/null))" ;;
    esac
}

# hostile_auth NAME EXPECTED: like expect_status for the public auth routes, where a 429
# (the `auth` bucket, 5/60 s per client by default, spent by the cases before) also
# proves the input was refused without reaching the service.
hostile_auth() {
    if [ "$STATUS" = "$2" ]; then ok "$1"; elif [ "$STATUS" = 429 ]; then ok "$1 (429: auth bucket spent)"; else
        fail "$1" "expected status $2 (or 429) got $STATUS ($(head -c 200 "$TMP/body" 2>/dev/null))"
    fi
}

# hostile_none NAME PATH KEY: the list at PATH is a 200 without any "KEY": entry.
hostile_none() {
    req GET "$2" "${HA[@]}"
    if [ "$STATUS" = 200 ] && ! grep -qF "\"$3\":" "$TMP/body"; then ok "$1"; else
        fail "$1" "got $STATUS $(head -c 300 "$TMP/body")"
    fi
}

HOST_U=$(unique_name hostile)
for _ in 1 2 3; do # waits out a 429 of the auth bucket (other cases register users too)
    req POST /api/auth/register -H 'Content-Type: application/json' \
        --data "{\"username\":\"$HOST_U\",\"email\":\"$HOST_U@example.com\",\"password\":\"Hostile-e2e-Passw0rd!x\",\"tenant\":\"$HOST_U\"}"
    [ "$STATUS" = 429 ] || break
    HOST_WAIT=$(grep -i '^retry-after:' "$TMP/headers.lf" | tr -dc '0-9')
    sleep "${HOST_WAIT:-5}"
done
if [ "$STATUS" = 404 ]; then
    echo "skip - 90_hostile: POST /api/auth/register answers 404 (svc-auth not there yet)"
else
    expect_status "hostile: register the suite's admin" 201
    HOST_TOK=$(json_field access_token)
    HJ=(-H 'Content-Type: application/json')
    HA=(-H "Authorization: Bearer $HOST_TOK" -H "X-Tenant-ID: $HOST_U")

    # ---- deeply nested JSON ---------------------------------------------------------
    { printf '{"inputs":'; head -c 10000 /dev/zero | tr '\0' '['; head -c 10000 /dev/zero | tr '\0' ']'; printf '}'; } >"$TMP/deep_arr.json"
    req POST /api/runs "${HA[@]}" "${HJ[@]}" --data-binary "@$TMP/deep_arr.json"
    expect_status "hostile: 10,000 nested arrays in a run are 400" 400
    expect_body "hostile: nested arrays say Invalid JSON" 'Invalid JSON'
    { for ((i = 0; i < 10000; i++)); do printf '{"a":'; done; printf '1'; head -c 10000 /dev/zero | tr '\0' '}'; } >"$TMP/deep_obj.json"
    for p in /api/dcf/calculate /api/lbo/calculate /api/ma/calculate /api/scenarios; do
        req POST "$p" "${HA[@]}" "${HJ[@]}" --data-binary "@$TMP/deep_obj.json"
        expect_status "hostile: 10,000 nested objects to $p are 400" 400
    done
    req PUT /api/financial-data/HOSTX "${HA[@]}" "${HJ[@]}" --data-binary "@$TMP/deep_obj.json"
    expect_status "hostile: 10,000 nested objects to a company upload are 400" 400
    req POST /api/auth/register "${HJ[@]}" --data-binary "@$TMP/deep_obj.json"
    hostile_auth "hostile: 10,000 nested objects to register are 400" 400

    # ---- invalid UTF-8 --------------------------------------------------------------
    printf '{"inputs":{"ticker":"AB\xff\xfeCD","use_defaults":true}}' >"$TMP/utf8.json"
    req POST /api/runs "${HA[@]}" "${HJ[@]}" --data-binary "@$TMP/utf8.json"
    expect_status "hostile: invalid UTF-8 in a run is 400" 400
    printf '{"content":"caf\xc3\x28 \xed\xa0\x80"}' >"$TMP/utf8n.json"
    req PUT /api/notes/HOSTU "${HA[@]}" "${HJ[@]}" --data-binary "@$TMP/utf8n.json"
    expect_status "hostile: invalid UTF-8 in a note is 400" 400
    printf '{"username":"u\xc0\xafx%s","email":"x@example.com","password":"Hostile-e2e-Passw0rd!x"}' "$RANDOM" >"$TMP/utf8r.json"
    req POST /api/auth/register "${HJ[@]}" --data-binary "@$TMP/utf8r.json"
    hostile_auth "hostile: invalid UTF-8 in register is 400" 400

    # ---- huge numbers ---------------------------------------------------------------
    req POST /api/dcf/calculate "${HA[@]}" "${HJ[@]}" --data '{"inputs":{"use_defaults":true,"revenue":1e400}}'
    expect_status "hostile: 1e400 is 400" 400
    HOST_BIG=$(printf '9%.0s' {1..100})
    req POST /api/dcf/calculate "${HA[@]}" "${HJ[@]}" --data "{\"inputs\":{\"use_defaults\":true,\"years\":$HOST_BIG}}"
    expect_status "hostile: a 100-digit integer is 400" 400
    req POST /api/lbo/calculate "${HA[@]}" "${HJ[@]}" --data '{"inputs":{"purchasePrice":1e308,"years":5}}'
    expect_status "hostile: an LBO price of 1e308 is 400" 400
    req POST /api/ma/calculate "${HA[@]}" "${HJ[@]}" --data "{\"inputs\":{\"acquirerRevenue\":1e308,\"acquirerEBITDA\":1,\"acquirerShares\":-1e308,\"acquirerNetDebt\":1,\"targetRevenue\":1,\"targetEBITDA\":1,\"targetShares\":1,\"targetNetDebt\":1,\"purchasePrice\":$HOST_BIG}}"
    expect_status "hostile: M&A with 1e308 and a 100-digit integer is 400" 400
    req POST /api/dcf/monte-carlo "${HA[@]}" "${HJ[@]}" --data '{"inputs":{"use_defaults":true},"mc_settings":{"trials":1e18}}'
    expect_status "hostile: 1e18 Monte Carlo trials are 400" 400
    req GET "/api/runs?page=$HOST_BIG&per_page=-1e400" "${HA[@]}"
    expect_status "hostile: huge paging numbers are 400" 400

    # ---- NUL bytes ------------------------------------------------------------------
    req POST /api/runs "${HA[@]}" "${HJ[@]}" --data '{"inputs":{"ticker":"AB\u0000CD","use_defaults":true}}'
    expect_status "hostile: \\u0000 in a run's ticker is 400" 400
    req PUT /api/notes/HOSTN "${HA[@]}" "${HJ[@]}" --data '{"content":"before\u0000after"}'
    hostile_4xx "hostile: \\u0000 in a note is refused with a 4xx"
    req GET /api/notes/HOSTN "${HA[@]}"
    expect_body "hostile: the refused note was not stored" '"version":0'
    printf '{"inputs":{"ticker":"AB\0CD"}}' >"$TMP/nul.json"
    req POST /api/runs "${HA[@]}" "${HJ[@]}" --data-binary "@$TMP/nul.json"
    expect_status "hostile: a raw NUL byte in a body is 400" 400
    req POST /api/auth/register "${HJ[@]}" --data "{\"username\":\"nul\\u0000$HOST_U\",\"email\":\"n$HOST_U@example.com\",\"password\":\"Hostile-e2e-Passw0rd!x\"}"
    hostile_auth "hostile: \\u0000 in a username is 400" 400
    req POST /api/auth/login "${HJ[@]}" --data "{\"username\":\"$HOST_U\\u0000x\",\"password\":\"Hostile-e2e-Passw0rd!x\"}"
    hostile_auth "hostile: \\u0000 in a login username is 400" 400
    req PUT /api/financial-data/HOSTZ "${HA[@]}" "${HJ[@]}" --data '{"company_name":"Zero\u0000Corp"}'
    expect_status "hostile: \\u0000 in a company name is 400" 400

    # ---- SQL injection and path traversal in fields and path parameters ---------------
    for v in "$HOST_SQLI" "$HOST_TRAV"; do
        enc=$(hostile_url "$v")
        # JSON string of v (no quotes or backslashes besides these in the two values)
        js=${v//\"/\\\"}
        # runs: inputs.ticker, the run id, the list filters
        req POST /api/runs "${HA[@]}" "${HJ[@]}" --data "{\"inputs\":{\"ticker\":\"$js\",\"use_defaults\":true}}"
        expect_status "hostile: run ticker '$v' is 400" 400
        req GET "/api/runs/$enc" "${HA[@]}"
        hostile_4xx "hostile: run id '$v' is a 4xx"
        req DELETE "/api/runs/$enc" "${HA[@]}"
        hostile_4xx "hostile: deleting run id '$v' is a 4xx"
        req GET "/api/runs?ticker=$enc&q=$enc&sort_by=$enc" "${HA[@]}"
        expect_status "hostile: run list sort_by '$v' is 400" 400
        req GET "/api/runs?q=$enc" "${HA[@]}"
        if [ "$STATUS" = 400 ] || { [ "$STATUS" = 200 ] && grep -qF '"total":0' "$TMP/body"; }; then
            ok "hostile: run search '$v' is a 400 or matches nothing"
        else
            fail "hostile: run search '$v' is a 400 or matches nothing" "got $STATUS $(head -c 200 "$TMP/body")"
        fi
        # scenarios: name and ticker, the scenario id
        req POST /api/scenarios "${HA[@]}" "${HJ[@]}" --data "[{\"name\":\"$js\",\"ticker\":\"$js\",\"inputs\":{}}]"
        hostile_not_5xx "hostile: scenario ticker '$v' is not a 5xx"
        expect_body "hostile: scenario ticker '$v' is reported as an error" '"index":0'
        req DELETE "/api/scenarios/$enc" "${HA[@]}"
        hostile_4xx "hostile: deleting scenario id '$v' is a 4xx"
        # notes: the ticker, If-Match
        req GET "/api/notes/$enc" "${HA[@]}"
        hostile_4xx "hostile: GET note ticker '$v' is a 4xx"
        req PUT "/api/notes/$enc" "${HA[@]}" "${HJ[@]}" --data '{"content":"x"}'
        hostile_4xx "hostile: PUT note ticker '$v' is a 4xx"
        req PUT /api/notes/HOSTQ "${HA[@]}" "${HJ[@]}" -H "If-Match: \"$js\"" --data '{"content":"x"}'
        expect_status "hostile: If-Match '$v' on a missing note is 412" 412
        # financial data: the ticker, the search, the upload's fields
        req GET "/api/financial-data/$enc" "${HA[@]}"
        hostile_4xx "hostile: financial ticker '$v' is a 4xx"
        req GET "/api/financial-data/$enc/dcf-inputs" "${HA[@]}"
        hostile_4xx "hostile: dcf-inputs of ticker '$v' is a 4xx"
        req GET "/api/financial-data?q=$enc" "${HA[@]}"
        hostile_not_5xx "hostile: financial search '$v' is not a 5xx"
        req PUT /api/financial-data/HOSTF "${HA[@]}" "${HJ[@]}" --data "{\"ticker\":\"$js\",\"company_name\":\"$js\"}"
        expect_status "hostile: company ticker '$v' is 400" 400
        req PUT /api/financial-data/HOSTF "${HA[@]}" "${HJ[@]}" --data "{\"company_name\":\"x\",\"sector\":\"$js\",\"income_statements\":[{\"fiscal_date\":\"$js\"}]}"
        expect_status "hostile: fiscal_date '$v' is 400" 400
        # lbo and ma: the run ids, the numbers given as strings
        req GET "/api/lbo/runs/$enc" "${HA[@]}"
        hostile_4xx "hostile: LBO run id '$v' is a 4xx"
        req DELETE "/api/lbo/scenarios/$enc" "${HA[@]}"
        hostile_4xx "hostile: deleting LBO scenario id '$v' is a 4xx"
        req POST /api/lbo/runs "${HA[@]}" "${HJ[@]}" --data "{\"compute\":true,\"inputs\":{\"purchasePrice\":\"$js\",\"companyName\":\"$js\"}}"
        expect_status "hostile: computed LBO run with purchasePrice '$v' is 400" 400
        req GET "/api/ma/runs/$enc" "${HA[@]}"
        hostile_4xx "hostile: M&A run id '$v' is a 4xx"
        req POST /api/ma/runs "${HA[@]}" "${HJ[@]}" --data "{\"deal_name\":\"$js\",\"inputs\":{\"acquirerRevenue\":\"$js\"}}"
        expect_status "hostile: M&A acquirerRevenue '$v' is 400" 400
        # auth: every register field, login
        req POST /api/auth/register "${HJ[@]}" --data "{\"username\":\"$js\",\"email\":\"h$RANDOM@example.com\",\"password\":\"Hostile-e2e-Passw0rd!x\"}"
        hostile_auth "hostile: register username '$v' is 400" 400
        req POST /api/auth/register "${HJ[@]}" --data "{\"username\":\"h$RANDOM$RANDOM\",\"email\":\"$js\",\"password\":\"Hostile-e2e-Passw0rd!x\"}"
        hostile_auth "hostile: register email '$v' is 400" 400
        req POST /api/auth/register "${HJ[@]}" --data "{\"username\":\"h$RANDOM$RANDOM\",\"email\":\"h$RANDOM@example.com\",\"password\":\"Hostile-e2e-Passw0rd!x\",\"tenant\":\"$js\"}"
        hostile_auth "hostile: register tenant '$v' is 400" 400
        req POST /api/auth/login "${HJ[@]}" --data "{\"username\":\"$js\",\"password\":\"$js\"}"
        hostile_auth "hostile: login with '$v' is 401" 401
        req POST /api/auth/login "${HJ[@]}" --data "{\"username\":\"$HOST_U\",\"password\":\"$js\"}"
        hostile_auth "hostile: login as the admin with password '$v' is 401" 401
    done
    req GET "/api/notes/..%2F..%2Fetc%2Fpasswd" "${HA[@]}"
    hostile_4xx "hostile: an encoded traversal in a note path is a 4xx"
    req GET "/api/financial-data/../../../etc/passwd" "${HA[@]}"
    hostile_4xx "hostile: a raw traversal in a financial path is a 4xx"
    # (through a TLS edge, nginx itself may refuse the path with its own page)
    if grep -q 'root:' "$TMP/body" 2>/dev/null; then
        fail "hostile: the traversal did not serve a file" "body has /etc/passwd content"
    else ok "hostile: the traversal did not serve a file"; fi

    # Nothing of the refused writes was stored.
    hostile_none "hostile: no run stored" /api/runs run_id
    hostile_none "hostile: no scenario stored" /api/scenarios scenario_id
    hostile_none "hostile: no LBO run stored" /api/lbo/runs run_id
    hostile_none "hostile: no M&A run stored" /api/ma/runs run_id
    req GET /api/notes/HOSTQ "${HA[@]}"
    expect_body "hostile: the If-Match-refused note was not stored" '"version":0'
    req GET /api/financial-data/HOSTF "${HA[@]}"
    expect_status "hostile: the refused companies were not stored" 404
    req GET /api/auth/profile "${HA[@]}"
    expect_status "hostile: the admin's profile still reads (users table intact)" 200
    expect_body "hostile: the profile is the admin's" "\"username\":\"$HOST_U\""

    # A free-text field keeps the injection string verbatim (parameterised SQL).
    req PUT /api/notes/HOSTS "${HA[@]}" "${HJ[@]}" --data "{\"content\":\"$HOST_SQLI\"}"
    expect_status "hostile: a note with an injection string is stored as text" 200
    req GET /api/notes/HOSTS "${HA[@]}"
    expect_body "hostile: the note reads back verbatim" "\"content\":\"$HOST_SQLI\""

    # ---- oversized headers ----------------------------------------------------------
    head -c 65536 /dev/zero | tr '\0' 'a' >"$TMP/bighdr"
    req GET /api/health -H "X-Big: $(cat "$TMP/bighdr")"
    # 431/400 from the gateway; a TLS edge (HTTP/2) may instead reset the stream (000).
    case $STATUS in 431 | 400 | 000) ok "hostile: a 64 KiB header is refused (431, 400 or reset)" ;;
    *) fail "hostile: a 64 KiB header is refused (431, 400 or reset)" "got $STATUS" ;; esac
    req GET /api/runs "${HA[@]}" -H "X-Tenant-ID: $(head -c 16384 "$TMP/bighdr")"
    hostile_4xx "hostile: a 16 KiB tenant header is a 4xx"

    # ---- slowloris ------------------------------------------------------------------
    HOST_HP=${BASE_URL#*://}
    HOST_HOST=${HOST_HP%%:*}
    HOST_PORT=${HOST_HP##*:}
    [ "$HOST_PORT" = "$HOST_HP" ] && HOST_PORT=80
    HOST_SLOW=()
    for c in 1 2 3 4 5 6 7 8; do
        (
            exec 3<>"/dev/tcp/$HOST_HOST/$HOST_PORT" || exit 0
            printf 'GET /api/health HTTP/1.1\r\nHost: x\r\n' >&3
            for i in $(seq 1 60); do # bounded: about 30 s, killed below
                printf 'X-Slow-%s: %s\r\n' "$i" "$c" >&3 2>/dev/null || exit 0
                sleep 0.5
            done
            exec 3>&-
        ) &
        HOST_SLOW+=($!)
    done
    sleep 1
    # Slow connections must not starve the others: each request is answered
    # (curl gives up at 5 s) while they are held (or were refused: a TLS edge
    # closes a plain-text connection at once).
    HOST_SERVED=0
    for i in 1 2 3 4 5; do
        t=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL/api/health")
        [ "$t" = 200 ] && HOST_SERVED=$((HOST_SERVED + 1))
    done
    HOST_HELD=0
    for p in "${HOST_SLOW[@]}"; do kill -0 "$p" 2>/dev/null && HOST_HELD=$((HOST_HELD + 1)); done
    if [ "$HOST_SERVED" = 5 ]; then
        ok "hostile: 8 slowloris connections leave /api/health served ($HOST_HELD still held)"
    else
        fail "hostile: 8 slowloris connections leave /api/health served" \
            "$HOST_SERVED of 5 answered 200 with $HOST_HELD of 8 slow connections held"
    fi
    req GET /api/runs "${HA[@]}"
    expect_status "hostile: an authenticated request during slowloris is served" 200
    kill "${HOST_SLOW[@]}" 2>/dev/null
    wait "${HOST_SLOW[@]}" 2>/dev/null

    # ---- still alive ----------------------------------------------------------------
    req GET /api/readiness
    expect_status "hostile: readiness is still 200 at the end" 200
fi
