/* lookup: a company as a tenant sees it — the store first, then (with an
 * Alpha Vantage key) the Redis cache and the provider, one upstream fetch
 * per ticker at a time (single-flight), the result written to the store. */
#ifndef FIN_LOOKUP_H
#define FIN_LOOKUP_H

#include <jansson.h>

#include "av_parse.h"

struct fin_service;
struct http_ctx;

#define FIN_CACHE_PREFIX "valor:financial:company:"

struct fin_found {
    json_t *company; /* owned: caller json_decref()s */
    char source[16]; /* "store" | "alpha_vantage" */
    char as_of[32];  /* RFC 3339 UTC */
};

/* VALOR_OK with *found; VALOR_E_NOT_FOUND (no data, or the provider says the
 * symbol is unknown); an upstream problem → the VALOR_E_* with *uerr filled
 * (uerr->status 502/503, retry_after); other errors (database). ctx gives
 * the tenant, user and request id (for the event). */
int fin_lookup_company(struct fin_service *fs, struct http_ctx *ctx, const char *ticker,
                       struct fin_found *found, struct fin_upstream_err *uerr);

#endif
