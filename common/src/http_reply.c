/* http_reply: JSON replies, request accessors and the /health, /ready and
 * /metrics routes every process serves (see http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_internal.h"
#include "valor/err.h"
#include "valor/metrics.h"

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Hands `body` (malloc'd, len bytes) to the response without copying it:
 * ulfius frees binary_body with o_free(), which is free() unless someone
 * installs other allocators (nobody in this project does). */
static void set_body(struct _u_response *resp, unsigned status, char *body, size_t len,
                     const char *content_type)
{
    free(resp->binary_body);
    resp->binary_body = body;
    resp->binary_body_length = len;
    resp->status = status;
    u_map_put(resp->map_header, "Content-Type", content_type);
}

/* Reals with 15 significant digits: 0.1 reads "0.1", not 0.10000000000000001. */
int http_reply_json(struct http_ctx *ctx, unsigned status, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (text == NULL) {
        status = 500;
        text = strdup("{\"error\":\"Internal server error\"}");
        if (text == NULL)
            return VALOR_E_NOMEM;
    }
    set_body(ctx->resp, status, text, strlen(text), JSON_CONTENT_TYPE);
    return VALOR_OK;
}

int http_reply_bytes(struct http_ctx *ctx, unsigned status, char *body, size_t len,
                     const char *content_type)
{
    set_body(ctx->resp, status, body, len, content_type);
    return VALOR_OK;
}

int http_reply_error(struct http_ctx *ctx, int err, const char *message)
{
    return http_reply_json(ctx, valor_err_http_status(err),
                           valor_err_body(err, message, ctx->request_id));
}

int http_reply_validation(struct http_ctx *ctx, const char *field, const char *msg)
{
    json_t *body =
        json_pack("{s:s, s:[{s:s, s:s}], s:s}", "error", "ValidationError", "details", "field",
                  field ? field : "", "msg", msg ? msg : "invalid", "request_id", ctx->request_id);
    return http_reply_json(ctx, 400, body);
}

static int is_json_content_type(const char *ct)
{
    static const char want[] = "application/json";
    if (ct == NULL)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return 0;
    ct += sizeof(want) - 1;
    return *ct == '\0' || *ct == ';' || *ct == ' ' || *ct == '\t';
}

int http_json_body(struct http_ctx *ctx, json_t **out)
{
    json_error_t e;
    char msg[JSON_ERROR_TEXT_LENGTH + 64];
    const char *body = ctx->req->binary_body != NULL ? ctx->req->binary_body : "";
    json_t *j;

    *out = NULL;
    if (!is_json_content_type(http_header(ctx, "Content-Type"))) {
        http_reply_error(ctx, VALOR_E_MEDIA_TYPE, "Content-Type must be application/json");
        return VALOR_E_MEDIA_TYPE;
    }
    j = json_loadb(body, ctx->req->binary_body_length, JSON_REJECT_DUPLICATES, &e);
    if (j == NULL) {
        snprintf(msg, sizeof(msg), "Invalid JSON: %s at position %d", e.text, e.position);
        http_reply_error(ctx, VALOR_E_INVALID, msg);
        return VALOR_E_INVALID;
    }
    *out = j;
    return VALOR_OK;
}

const char *http_header(const struct http_ctx *ctx, const char *name)
{
    return u_map_get_case(ctx->req->map_header, name);
}

/* ulfius keeps query arguments and path parameters in the same map
 * (req->map_url), so http_query() and http_param() read the same values. */
const char *http_query(const struct http_ctx *ctx, const char *name)
{
    return u_map_get(ctx->req->map_url, name);
}

const char *http_param(const struct http_ctx *ctx, const char *name)
{
    return u_map_get(ctx->req->map_url, name);
}

void http_timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char base[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}

/* ---- /health, /ready, /metrics ---------------------------------------- */

struct service_routes {
    struct http_server *server;
    char version[32];
    http_ready_fn ready;
    void *ud;
    int metrics_enabled;
};

static void health_handler(struct http_ctx *ctx)
{
    const struct service_routes *sr = ctx->ud;
    char ts[32];
    http_timestamp(ts, sizeof(ts));
    http_reply_json(ctx, 200,
                    json_pack("{s:s, s:s, s:s, s:s}", "status", "healthy", "service",
                              http__service(sr->server), "version", sr->version, "timestamp", ts));
}

static void ready_handler(struct http_ctx *ctx)
{
    const struct service_routes *sr = ctx->ud;
    json_t *checks = json_object();
    char ts[32];
    int rc = checks == NULL ? VALOR_E_NOMEM : VALOR_OK;

    if (rc == VALOR_OK && sr->ready != NULL)
        rc = sr->ready(sr->ud, checks);
    http_timestamp(ts, sizeof(ts));
    http_reply_json(ctx, rc == VALOR_OK ? 200 : 503,
                    json_pack("{s:s, s:s, s:o*}", "status", rc == VALOR_OK ? "ready" : "degraded",
                              "timestamp", ts, "checks", checks));
}

static void metrics_handler(struct http_ctx *ctx)
{
    const struct service_routes *sr = ctx->ud;
    struct metrics_registry *reg = http__metrics(sr->server);
    char *text = NULL;
    size_t len = 0;

    if (!sr->metrics_enabled || reg == NULL) {
        http_reply_error(ctx, VALOR_E_NOT_FOUND, "Not found");
        return;
    }
    if (metrics_render(reg, &text, &len) != VALOR_OK) {
        http_reply_error(ctx, VALOR_E_INTERNAL, NULL);
        return;
    }
    set_body(ctx->resp, 200, text, len, METRICS_CONTENT_TYPE);
}

int http_add_service_routes(struct http_server *s, const char *version, http_ready_fn ready,
                            void *ud, int metrics_enabled)
{
    struct service_routes *sr = calloc(1, sizeof(*sr));
    int rc;
    if (sr == NULL)
        return VALOR_E_NOMEM;
    sr->server = s;
    snprintf(sr->version, sizeof(sr->version), "%s", version ? version : "");
    sr->ready = ready;
    sr->ud = ud;
    sr->metrics_enabled = metrics_enabled;
    rc = http__own(s, sr);
    if (rc != VALOR_OK) {
        free(sr);
        return rc;
    }
    rc = http_route(s, "GET", "/health", health_handler, sr);
    if (rc == VALOR_OK)
        rc = http_route(s, "GET", "/ready", ready_handler, sr);
    if (rc == VALOR_OK)
        rc = http_route(s, "GET", "/metrics", metrics_handler, sr);
    return rc;
}
