#include "system.h"

#include "valor/app.h"
#include "valor/err.h"
#include "valor/http.h"

static void handle_root(struct http_ctx *ctx)
{
    http_reply_json(ctx, 200,
                    json_pack("{s:s, s:s, s:s, s:s}", "name", "Valor IVX API", "version",
                              VALOR_VERSION, "docs", "/api/openapi.json", "health", "/api/health"));
}

/* Liveness only: no dependency is checked. */
static void handle_health(struct http_ctx *ctx)
{
    char ts[32];
    http_timestamp(ts, sizeof(ts));
    http_reply_json(ctx, 200,
                    json_pack("{s:s, s:s, s:s}", "status", "healthy", "timestamp", ts, "version",
                              VALOR_VERSION));
}

int gw_system_register(struct http_server *s)
{
    int rc = http_route(s, "GET", "/", handle_root, NULL);
    if (rc == VALOR_OK)
        rc = http_route(s, "GET", "/api/health", handle_health, NULL);
    return rc;
}
