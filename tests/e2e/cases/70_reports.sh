# Reports through the gateway (issue 15): GET /api/reports/{dcf,lbo,ma} as PDF and HTML.
# The PDF is read back with poppler (pdfinfo, pdftotext): it parses, is A4 with a sane page
# count, and holds the ticker and the per-share value exactly as the HTML prints them; user
# strings with markup and CR/LF come out escaped in the HTML, literal in the PDF text, and
# reduced to [A-Za-z0-9._-] in the file name (no header is split); a run saved without
# results is computed for the report and stays without results; bad queries are 400, unknown
# and other tenants' runs 404. Page 1 of each report is kept as a PNG (pdftoppm) next to the
# test logs. No timing is asserted.
#
# The `heavy` bucket allows 10 reports a minute per user, so each report kind has its own
# user (and tenant); a 429 is waited out once. Four registrations of the `auth` bucket.
# shellcheck shell=bash

REP_JSON=(-H 'Content-Type: application/json')
REP_PASS='Reports-E2e-Strong-9!'
REP_ART=${REPORT_ARTIFACTS:-$E2E_DIR/../../.run/test-logs}
REP_XSS='Evil <script>alert(1)</script> \"Co\"\r\nX-Injected: yes'
# what the file name keeps of it: every other character is one '_'
REP_XSS_FILE='Evil__script_alert_1___script___Co___X-Injected__yes'

# rep_retry METHOD PATH ARGS…: req, once more after a 429's Retry-After.
rep_retry() {
    local wait
    req "$@"
    if [ "$STATUS" = 429 ]; then
        wait=$(grep -i '^Retry-After:' "$TMP/headers.lf" | tr -dc '0-9')
        sleep "$((${wait:-12} > 65 ? 65 : ${wait:-12}))"
        req "$@"
    fi
}

# rep_register PREFIX: a fresh admin of a fresh tenant; sets REP_H (auth headers) and REP_USER.
rep_register() {
    REP_USER=$(unique_name "$1")
    rep_retry POST /api/auth/register "${REP_JSON[@]}" \
        --data "{\"username\":\"$REP_USER\",\"email\":\"$REP_USER@example.com\",\"password\":\"$REP_PASS\"}"
    REP_H=(-H "Authorization: Bearer $(json_field access_token)" -H "X-Tenant-ID: $(json_field tenant)")
}

# rep_text FILE: the PDF's text (pdftotext), or nothing.
rep_text() { pdftotext -layout "$1" - 2>/dev/null; }

# rep_pdf_checks NAME: the last body is a PDF that parses, A4, 1-12 pages; page 1 → PNG.
rep_pdf_checks() {
    local name=$1 info pages
    cp "$TMP/body" "$TMP/$name.pdf"
    if [ "$(head -c 5 "$TMP/$name.pdf")" = "%PDF-" ]; then ok "$name: starts like a PDF"; else
        fail "$name: starts like a PDF" "got '$(head -c 20 "$TMP/$name.pdf" | tr -dc '[:print:]')'"
    fi
    if ! command -v pdfinfo >/dev/null; then
        echo "skip - $name: poppler-utils not installed, the PDF is not read back"
        return
    fi
    info=$(pdfinfo "$TMP/$name.pdf" 2>&1)
    if grep -q 'A4' <<<"$info"; then ok "$name: pdfinfo parses it, A4"; else
        fail "$name: pdfinfo parses it, A4" "$(head -c 300 <<<"$info")"
    fi
    pages=$(awk '/^Pages:/ {print $2}' <<<"$info")
    if [ "${pages:-0}" -ge 1 ] && [ "${pages:-0}" -le 12 ]; then ok "$name: $pages pages"; else
        fail "$name: 1 to 12 pages" "got '${pages:-none}'"
    fi
    if pdffonts "$TMP/$name.pdf" 2>/dev/null | grep -q 'DejaVuSans.* yes '; then
        ok "$name: DejaVu Sans is embedded"
    else
        fail "$name: DejaVu Sans is embedded" "$(pdffonts "$TMP/$name.pdf" 2>&1 | head -5)"
    fi
    mkdir -p "$REP_ART" 2>/dev/null &&
        pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$TMP/$name.pdf" "$REP_ART/report-$name-page1" 2>/dev/null &&
        echo "     (page 1: $REP_ART/report-$name-page1.png)"
}

# rep_pdf_has NAME TEXT: the PDF's text holds TEXT (whitespace ignored, so wrapping is fine).
rep_pdf_has() {
    command -v pdftotext >/dev/null || return 0
    local want
    want=$(tr -d ' \n' <<<"$2")
    if rep_text "$TMP/$1.pdf" | tr -d ' \n\f' | grep -qF -- "$want"; then ok "$1: PDF text holds '$2'"; else
        fail "$1: PDF text holds '$2'" "$(rep_text "$TMP/$1.pdf" | head -c 400)"
    fi
}

# ---- DCF: tenant A1 ------------------------------------------------------------------------

rep_register e2e-rep-dcf
if [ "$STATUS" = 404 ]; then
    echo "skip - 70_reports: /api/auth/register answers 404, no token to test with"
    return 0
fi
expect_status "reports: register the DCF user" 201
REP_DCF=("${REP_H[@]}")

req GET "/api/reports/dcf?run_id=00000000-0000-4000-8000-000000000000"
expect_status "reports: no token is 401" 401

req POST /api/runs "${REP_DCF[@]}" "${REP_JSON[@]}" \
    --data '{"inputs":{"use_defaults":true,"ticker":"aapl"},"compute":true,"mc_settings":{"trials":500,"seedStr":"e2e-report"}}'
expect_status "reports: a computed DCF run with Monte Carlo" 201
REP_RUN=$(json_field run_id)
req POST /api/runs "${REP_DCF[@]}" "${REP_JSON[@]}" --data '{"inputs":{"use_defaults":true,"ticker":"msft"}}'
expect_status "reports: a DCF run saved without results" 201
REP_RAW=$(json_field run_id)
req POST /api/runs "${REP_DCF[@]}" "${REP_JSON[@]}" --data '{"inputs":{"ticker":"bad"}}'
REP_BAD=$(json_field run_id)

rep_retry GET /api/reports/dcf "${REP_DCF[@]}"
expect_status "reports: no run_id is 400" 400
expect_body "reports: says run_id is required" '{"error":"run_id is required"'
rep_retry GET "/api/reports/dcf?run_id=not-a-uuid" "${REP_DCF[@]}"
expect_status "reports: a malformed run_id is 400" 400
expect_body "reports: names run_id" '"field":"run_id"'
rep_retry GET "/api/reports/dcf?run_id=$REP_RUN&format=docx" "${REP_DCF[@]}"
expect_status "reports: an unknown format is 400" 400
expect_body "reports: names format" '"field":"format"'
rep_retry GET "/api/reports/dcf?run_id=6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b" "${REP_DCF[@]}"
expect_status "reports: an unknown run is 404" 404
expect_body "reports: says Run not found" '{"error":"Run not found"'
rep_retry GET "/api/reports/dcf?run_id=$REP_BAD" "${REP_DCF[@]}"
expect_status "reports: a run whose inputs cannot be computed is 422" 422
expect_body "reports: names the missing input" '"field":"inputs.revenue"'

rep_retry GET "/api/reports/dcf?run_id=$REP_RUN&format=html" "${REP_DCF[@]}"
expect_status "dcf html: 200" 200
expect_header "dcf html: text/html" Content-Type 'text/html; charset=utf-8'
expect_header "dcf html: file name" Content-Disposition "inline; filename=\"dcf_report_AAPL_$REP_RUN\\.html\""
expect_header "dcf html: its own CSP" Content-Security-Policy "default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'.*"
expect_body "dcf html: title" '<h1>DCF Report - AAPL</h1>'
expect_body "dcf html: prepared by the author" "Prepared by <span class=\"author\">$REP_USER</span>"
REP_PS=$(grep -oE 'id="per-share">[^<]*' "$TMP/body" | head -1 | cut -d'>' -f2)
if [ "$REP_PS" = "10.64" ]; then ok "dcf html: per share of the worked example is 10.64"; else
    fail "dcf html: per share of the worked example is 10.64" "got '$REP_PS'"
fi
expect_body "dcf html: enterprise value with separators" '>1,895.6<'
expect_body "dcf html: Monte Carlo section" 'Monte Carlo simulation'
expect_body "dcf html: the run's seed" 'e2e-report'
expect_body "dcf html: the sensitivity heatmap" 'Value per share by WACC and terminal growth'
expect_body "dcf html: inline SVG" '<svg xmlns="http://www.w3.org/2000/svg"'
if grep -qiE '<script|<link|src=|href=|@import' "$TMP/body"; then
    fail "dcf html: standalone (no script, no external resource)" "$(grep -oiE '<script|<link|src=|href=|@import' "$TMP/body" | head -3)"
else ok "dcf html: standalone (no script, no external resource)"; fi

rep_retry GET "/api/reports/dcf?run_id=$REP_RUN" "${REP_DCF[@]}"
expect_status "dcf pdf: 200 (pdf is the default)" 200
expect_header "dcf pdf: application/pdf" Content-Type 'application/pdf'
expect_header "dcf pdf: file name" Content-Disposition "inline; filename=\"dcf_report_AAPL_$REP_RUN\\.pdf\""
rep_pdf_checks dcf
rep_pdf_has dcf "DCF Report - AAPL"
rep_pdf_has dcf "Value per share ${REP_PS:-10.64}"
rep_pdf_has dcf "1,895.6"
rep_pdf_has dcf "Prepared by $REP_USER"
rep_pdf_has dcf "Page 1 of"

rep_retry GET "/api/reports/dcf?run_id=$REP_RAW&format=pdf" "${REP_DCF[@]}"
expect_status "dcf pdf without stored results: 200" 200
rep_pdf_checks dcf-raw
rep_pdf_has dcf-raw "DCF Report - MSFT"
rep_pdf_has dcf-raw "10.64"
req GET "/api/runs/$REP_RAW" "${REP_DCF[@]}"
expect_body "dcf without stored results: still none stored" '"results":null'

# ---- LBO: tenant A2, a company name with markup and CR/LF ---------------------------------

rep_register e2e-rep-lbo
expect_status "reports: register the LBO user" 201
REP_LBO=("${REP_H[@]}")
req POST /api/lbo/runs "${REP_LBO[@]}" "${REP_JSON[@]}" --data "{\"inputs\":{\"companyName\":\"$REP_XSS\"}}"
expect_status "lbo: a run saved without results, hostile name" 201
REP_LRUN=$(json_field run_id)

rep_retry GET /api/reports/lbo "${REP_LBO[@]}"
expect_status "lbo report: no run_id is 400" 400
expect_body "lbo report: says run_id is required" '{"error":"run_id is required"'
rep_retry GET "/api/reports/lbo?run_id=6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b" "${REP_LBO[@]}"
expect_status "lbo report: an unknown run is 404" 404
expect_body "lbo report: says LBO run not found" '{"error":"LBO run not found"'

rep_retry GET "/api/reports/lbo?run_id=$REP_LRUN" "${REP_LBO[@]}"
expect_status "lbo pdf: 200" 200
expect_header "lbo pdf: application/pdf" Content-Type 'application/pdf'
expect_header "lbo pdf: the file name is sanitised" Content-Disposition \
    "inline; filename=\"lbo_report_${REP_XSS_FILE}_$REP_LRUN\\.pdf\""
if grep -qi '^X-Injected' "$TMP/headers.lf"; then fail "lbo pdf: no injected header" "$(grep -i '^X-Injected' "$TMP/headers.lf")"
else ok "lbo pdf: no injected header"; fi
rep_pdf_checks lbo
rep_pdf_has lbo 'LBO Report - Evil <script>alert(1)</script> "Co"'
rep_pdf_has lbo "Sources and uses"
rep_pdf_has lbo "426.7"

rep_retry GET "/api/reports/lbo?run_id=$REP_LRUN&format=html" "${REP_LBO[@]}"
expect_status "lbo html: 200" 200
expect_header "lbo html: the file name is sanitised" Content-Disposition \
    "inline; filename=\"lbo_report_${REP_XSS_FILE}_$REP_LRUN\\.html\""
expect_body "lbo html: the name is escaped, CR/LF as spaces" \
    '<h1>LBO Report - Evil &lt;script&gt;alert(1)&lt;/script&gt; &quot;Co&quot;  X-Injected: yes</h1>'
if grep -q '<script' "$TMP/body"; then fail "lbo html: no script element" "$(grep -o '.\{20\}<script.\{20\}' "$TMP/body" | head -1)"
else ok "lbo html: no script element"; fi
if grep -q $'\r' "$TMP/body"; then fail "lbo html: no CR" "a CR is in the body"; else ok "lbo html: no CR"; fi
expect_body "lbo html: final debt of the worked example" '>426.7<'
expect_body "lbo html: IRR by exit year" 'IRR and MOIC by exit year'
req GET "/api/lbo/runs/$REP_LRUN" "${REP_LBO[@]}"
expect_body "lbo: the report stored no results" '"results":null'

# ---- M&A: tenant A3, a deal name with markup and CR/LF, no share price -------------------

rep_register e2e-rep-ma
expect_status "reports: register the M&A user" 201
REP_MA=("${REP_H[@]}")
req POST /api/ma/runs "${REP_MA[@]}" "${REP_JSON[@]}" --data "{\"deal_name\":\"$REP_XSS\",\"acquirer_name\":\"Acme <b>Corp</b>\",\"target_name\":\"Widget Co\",\"inputs\":{\"acquirerRevenue\":1000,\"acquirerEBITDA\":150,\"acquirerShares\":100,\"acquirerNetDebt\":200,\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,\"targetNetDebt\":100,\"purchasePrice\":600,\"dealStructure\":{\"cash\":60,\"stock\":40},\"synergies\":{\"annual\":25,\"duration\":5}},\"compute\":true}"
expect_status "ma: a computed run, hostile deal name" 201
REP_MRUN=$(json_field run_id)

rep_retry GET "/api/reports/ma?run_id=$REP_MRUN&format=pdf" "${REP_MA[@]}"
expect_status "ma pdf: 200" 200
expect_header "ma pdf: the file name is sanitised" Content-Disposition \
    "inline; filename=\"ma_report_${REP_XSS_FILE}_$REP_MRUN\\.pdf\""
rep_pdf_checks ma
rep_pdf_has ma 'M&A Report - Evil <script>alert(1)</script>'
rep_pdf_has ma "34.4%"
rep_pdf_has ma "No acquirer share price was given"

rep_retry GET "/api/reports/ma?run_id=$REP_MRUN&format=html" "${REP_MA[@]}"
expect_status "ma html: 200" 200
expect_body "ma html: the deal name is escaped" 'M&amp;A Report - Evil &lt;script&gt;alert(1)&lt;/script&gt;'
expect_body "ma html: the acquirer name is escaped" 'Acme &lt;b&gt;Corp&lt;/b&gt;'
expect_body "ma html: accretion of the worked example" 'id="accretion">34.4%<'
expect_body "ma html: the share-price fallback is called out" 'No acquirer share price was given'
rep_retry GET "/api/reports/ma?run_id=not-a-uuid&format=html" "${REP_MA[@]}"
expect_status "ma report: a malformed run_id is 400" 400
rep_retry GET "/api/reports/ma?run_id=6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b" "${REP_MA[@]}"
expect_status "ma report: an unknown run is 404" 404
expect_body "ma report: says M&A run not found" '{"error":"M&A run not found"'

# ---- tenant B sees none of it ---------------------------------------------------------------

rep_register e2e-rep-b
expect_status "reports: register tenant B" 201
rep_retry GET "/api/reports/dcf?run_id=$REP_RUN" "${REP_H[@]}"
expect_status "isolation: another tenant's DCF run is 404" 404
expect_body "isolation: DCF says Run not found" '{"error":"Run not found"'
rep_retry GET "/api/reports/lbo?run_id=$REP_LRUN&format=html" "${REP_H[@]}"
expect_status "isolation: another tenant's LBO run is 404" 404
rep_retry GET "/api/reports/ma?run_id=$REP_MRUN" "${REP_H[@]}"
expect_status "isolation: another tenant's M&A run is 404" 404
expect_body "isolation: M&A says M&A run not found" '{"error":"M&A run not found"'
# the tenant header must still match the token
rep_retry GET "/api/reports/dcf?run_id=$REP_RUN" "${REP_DCF[0]}" "${REP_DCF[1]}" -H "X-Tenant-ID: other-tenant"
expect_status "isolation: a foreign tenant header is 403" 403
