/* provider_av: fetches a company from Alpha Vantage over HTTP (libcurl):
 * OVERVIEW, INCOME_STATEMENT, BALANCE_SHEET and CASH_FLOW, each with connect
 * and total timeouts and a size cap enforced in the write callback. */
#ifndef FIN_PROVIDER_AV_H
#define FIN_PROVIDER_AV_H

#include <stddef.h>
#include <jansson.h>

#include "av_parse.h"

struct fin_av_opts {
    const char *base_url; /* e.g. https://www.alphavantage.co (no trailing /query); borrowed */
    const char *api_key;  /* borrowed, never logged */
    long connect_timeout_ms;
    long timeout_ms;  /* per call */
    size_t max_bytes; /* per answer */
};

/* Fetches and parses `ticker` (normalised). VALOR_OK with *out the
 * normalised <Company> (caller json_decref()s). Otherwise *err says what to
 * answer: 404 unknown symbol, 503 throttled (Retry-After) or unreachable,
 * 502 malformed or an HTTP error status; the return value is the matching
 * VALOR_E_*. Thread-safe (a curl handle per call; curl_global_init done by
 * the caller). */
int fin_av_fetch_company(const struct fin_av_opts *o, const char *ticker, json_t **out,
                         struct fin_upstream_err *err);

#endif
