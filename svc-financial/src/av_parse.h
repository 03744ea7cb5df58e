/* av_parse: Alpha Vantage payloads → <Company> (pure; no I/O).
 *
 * Functions OVERVIEW, INCOME_STATEMENT, BALANCE_SHEET and CASH_FLOW answer a
 * JSON object; "Note" / "Information" mean throttled (or refused key), an
 * "Error Message" or an empty object means the symbol is unknown. Numbers
 * are strings ("1.5E9", "None", "-"), parsed with fin_parse_number. */
#ifndef FIN_AV_PARSE_H
#define FIN_AV_PARSE_H

#include <stddef.h>
#include <jansson.h>

/* What an upstream answer means for the client. */
struct fin_upstream_err {
    unsigned status; /* 404, 502, 503 */
    int retry_after; /* seconds for 503 (0 = no header) */
    char message[192];
};

#define FIN_AV_RETRY_AFTER_S 60

/* Classifies one payload. VALOR_OK when it is a data object; otherwise fills
 * *err (404 unknown symbol, 503 throttled with Retry-After, 502 malformed)
 * and returns VALOR_E_NOT_FOUND / VALOR_E_UNAVAILABLE / VALOR_E_INTERNAL. */
int fin_av_classify(const json_t *payload, const char *function, struct fin_upstream_err *err);

/* The <Company> (normalised shape: every field present) from the four
 * payloads; income/balance/cash may be NULL or lack "annualReports" (empty
 * statement lists). VALOR_E_INTERNAL with err (502) when the overview is not
 * usable (no Symbol/Name, or a number that is not a number). Caller
 * json_decref()s *out. */
int fin_av_company(const char *ticker, const json_t *overview, const json_t *income,
                   const json_t *balance, const json_t *cash, json_t **out,
                   struct fin_upstream_err *err);

#endif
