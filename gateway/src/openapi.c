#include "openapi.h"

#include "valor/err.h"
#include "valor/http.h"

static void handle_openapi(struct http_ctx *ctx)
{
    ulfius_set_binary_body_response(ctx->resp, 200, gw_openapi_json, gw_openapi_json_len);
    u_map_put(ctx->resp->map_header, "Content-Type", "application/json; charset=utf-8");
    /* the document only changes with the binary */
    u_map_put(ctx->resp->map_header, "Cache-Control", "public, max-age=300");
}

int gw_openapi_register(struct http_server *s)
{
    return http_route(s, "GET", "/api/openapi.json", handle_openapi, NULL);
}
