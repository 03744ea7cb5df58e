/* fin_util: tickers, Alpha Vantage-style number strings and JSON numbers —
 * the small pure helpers the rest of svc-financial shares. */
#ifndef FIN_UTIL_H
#define FIN_UTIL_H

#include <stddef.h>
#include <jansson.h>

#define FIN_TICKER_MAX 10

/* Ticker rule of api.md §5: 1–10 chars of [A-Za-z0-9.-], upper-cased into
 * out. VALOR_E_INVALID otherwise (also for NULL). */
int fin_ticker_norm(const char *in, char out[FIN_TICKER_MAX + 1]);

/* Parses a number as Alpha Vantage writes them: decimal or scientific
 * ("1.5E9"), optional sign and surrounding blanks. Returns 1 with *out set,
 * 0 for the "no value" spellings (NULL, "", "None", "-", "null", "N/A",
 * case-insensitive), VALOR_E_INVALID for anything else (trailing garbage,
 * hex, inf, nan, overflow). */
int fin_parse_number(const char *s, double *out);

/* A JSON number for v: an integer when v is integral and |v| < 2^53, a real
 * otherwise; NULL (caller treats as null) when v is not finite. New reference. */
json_t *fin_json_number(double v);

/* 1 when s is a valid calendar date "YYYY-MM-DD" (years 1900–2200). */
int fin_date_valid(const char *s);

#endif
