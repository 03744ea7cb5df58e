/* handlers_notes: GET and POST/PUT /api/notes/{ticker} (api.md §4) —
 * one versioned note per (tenant, ticker) with a strong ETag; writes are
 * compare-and-set under a row lock, so concurrent writers never lose an
 * update silently. */
#ifndef VALOR_DEALS_HANDLERS_NOTES_H
#define VALOR_DEALS_HANDLERS_NOTES_H

#include <stddef.h>

#include "valor/http.h"

#define NOTES_MAX_CHARS 100000
#define NOTES_TICKER_MAX 20

void notes_get(struct http_ctx *ctx);
void notes_put(struct http_ctx *ctx);

/* Upper-cases a ticker of 1..20 characters of [A-Za-z0-9.-] into out (≥ 21
 * bytes). VALOR_E_INVALID for anything else. */
int notes_ticker(const char *in, char *out, size_t len);

/* 1 when the If-Match / If-None-Match header value `h` (a comma-separated
 * list of entity tags, quoted or not, or "*") matches `etag` (hex, without
 * quotes; NULL when there is no current representation). weak: W/"x" counts
 * as "x" (If-None-Match); otherwise weak tags never match (If-Match). */
int notes_etag_matches(const char *h, const char *etag, int weak);

#endif
