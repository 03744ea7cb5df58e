#include "cors.h"

#include <string.h>

#include "valor/http.h"

int gw_cors_allowed(const struct gw_config *cfg, const char *origin)
{
    size_t len;
    if (origin == NULL || *origin == '\0')
        return 0;
    len = strlen(origin);
    while (len > 0 && origin[len - 1] == '/')
        len--;
    for (size_t i = 0; i < cfg->n_cors_origins; i++) {
        const char *o = cfg->cors_origins[i];
        if (strlen(o) == len && strncmp(o, origin, len) == 0)
            return 1;
    }
    return 0;
}

int gw_cors_apply(const struct gw_config *cfg, struct http_ctx *ctx)
{
    const char *origin = http_header(ctx, "Origin");
    struct _u_map *h = ctx->resp->map_header;
    /* A CORS preflight is an OPTIONS with Access-Control-Request-Method; any
     * other OPTIONS gets the path's Allow from the http module (204). */
    int preflight = strcmp(ctx->req->http_verb, "OPTIONS") == 0 &&
                    http_header(ctx, "Access-Control-Request-Method") != NULL;

    if (gw_cors_allowed(cfg, origin)) {
        u_map_put(h, "Access-Control-Allow-Origin", origin);
        u_map_put(h, "Vary", "Origin");
        u_map_put(h, "Access-Control-Allow-Credentials", "true");
        u_map_put(h, "Access-Control-Expose-Headers", GW_CORS_EXPOSE_HEADERS);
        if (preflight) {
            u_map_put(h, "Access-Control-Allow-Methods", GW_CORS_ALLOW_METHODS);
            u_map_put(h, "Access-Control-Allow-Headers", GW_CORS_ALLOW_HEADERS);
            u_map_put(h, "Access-Control-Max-Age", GW_CORS_MAX_AGE);
        }
    }
    if (!preflight)
        return 0;
    /* never limited, never authenticated, never forwarded */
    ctx->route = "preflight";
    u_map_remove_from_key(h, "Cache-Control");
    ctx->resp->status = 204;
    return 1;
}
