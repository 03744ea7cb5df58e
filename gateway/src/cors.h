/* cors: CORS headers and preflights (api.md §7).
 *
 * An Origin on the CORS_ORIGINS allow-list gets Access-Control-Allow-Origin
 * (the origin itself), Vary: Origin, Access-Control-Allow-Credentials: true and
 * Access-Control-Expose-Headers on every response; a preflight (OPTIONS with
 * Access-Control-Request-Method, any path) is answered 204 here with
 * Allow-Methods, Allow-Headers and Max-Age 600. Any other OPTIONS is left to
 * the http module: 204 with the path's Allow (404 for an unknown path).
 * Any other origin gets no CORS header at all; its request is not altered. */
#ifndef VALOR_GW_CORS_H
#define VALOR_GW_CORS_H

#include "config.h"

struct http_ctx;

#define GW_CORS_ALLOW_METHODS "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
#define GW_CORS_ALLOW_HEADERS                                                                      \
    "Authorization, Content-Type, X-Tenant-ID, X-Request-ID, If-Match, If-None-Match"
#define GW_CORS_EXPOSE_HEADERS                                                                     \
    "ETag, X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "            \
    "Retry-After, RateLimit, RateLimit-Policy"
#define GW_CORS_MAX_AGE "600"

/* 1 when origin is on the allow-list (exact match, a trailing '/' ignored). */
int gw_cors_allowed(const struct gw_config *cfg, const char *origin);

/* Adds the CORS headers for the request's Origin. Returns 1 when the request
 * was a preflight and has been answered (204), else 0. */
int gw_cors_apply(const struct gw_config *cfg, struct http_ctx *ctx);

#endif
