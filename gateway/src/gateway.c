#include "gateway.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "config.h"
#include "forward.h"
#include "openapi.h"
#include "pipeline.h"
#include "ratelimit.h"
#include "readiness.h"
#include "system.h"
#include "ws.h"
#include "valor/app.h"
#include "valor/bus.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/log.h"
#include "valor/metrics.h"
#include "valor/revoke.h"

struct gw {
    struct gw_config cfg;
    int curl_inited;
    int log_open;
    struct metrics_registry *metrics;
    struct bus *bus;
    struct gw_forward *fwd;
    struct revoke *revoke;
    struct gw_ratelimit *rl;
    struct gw_pipeline *pipeline;
    struct gw_readiness *ready;
    struct gw_ws *ws;
    struct http_server *http;
};

int gw_port(const struct gw *g)
{
    return http_server_port(g->http);
}

/* System routes, readiness, the routed API (pipeline.h: CORS, JWT, rate
 * limit, tenant, role, forwarding), and /health, /ready, /metrics. */
static int register_routes(struct gw *g)
{
    int rc = gw_system_register(g->http);
    if (rc == VALOR_OK)
        rc = gw_readiness_register(g->http, g->ready);
    if (rc == VALOR_OK)
        rc = gw_openapi_register(g->http);
    if (rc == VALOR_OK)
        rc = gw_ws_register(g->http, g->ws);
    if (rc == VALOR_OK)
        rc = gw_pipeline_register(g->http, g->pipeline);
    if (rc == VALOR_OK)
        rc = http_add_service_routes(g->http, VALOR_VERSION, gw_readiness_check, g->ready,
                                     g->cfg.base.metrics_enabled);
    return rc;
}

static int open_resources(struct gw *g)
{
    struct bus_opts bo = {.url = g->cfg.base.nats_url, .name = "gateway"};
    struct http_server_opts ho = {
        .service = "gateway",
        .bind_host = g->cfg.base.host,
        .port = g->cfg.base.port,
        .threads = g->cfg.base.worker_threads,
        .max_connections = g->cfg.base.max_connections,
        .connection_timeout_s = g->cfg.base.connection_timeout_s,
        .max_body_bytes = g->cfg.base.max_body_bytes,
        .max_tenants = (size_t)g->cfg.base.metrics_max_tenants,
    };
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return VALOR_E_INTERNAL;
    g->curl_inited = 1;
    g->metrics = metrics_registry_new();
    if (g->metrics == NULL)
        return VALOR_E_NOMEM;
    rc = metrics_add_process_collector(g->metrics);
    if (rc != VALOR_OK)
        return rc;
    rc = bus_open(&bo, &g->bus);
    if (rc != VALOR_OK)
        return rc;
    rc = gw_forward_new(&g->cfg, g->metrics, &g->fwd);
    if (rc != VALOR_OK)
        return rc;
    struct revoke_opts ro = {.bus = g->bus,
                             .max_entries = (size_t)g->cfg.base.revocation_local_max,
                             .replay_s = g->cfg.base.revocation_replay_s,
                             .leeway_s = g->cfg.base.jwt_leeway_s,
                             .reg = g->metrics};
    rc = revoke_new(&ro, &g->revoke); /* Redis is asked in the limiter's round trip */
    if (rc != VALOR_OK)
        return rc;
    rc = gw_ratelimit_new(&g->cfg, g->metrics, g->revoke, &g->rl);
    if (rc != VALOR_OK)
        return rc;
    rc = gw_pipeline_new(&g->cfg, g->rl, g->fwd, &g->pipeline);
    if (rc != VALOR_OK)
        return rc;
    rc = gw_readiness_new(&g->cfg, g->bus, &g->ready);
    if (rc != VALOR_OK)
        return rc;
    rc = gw_ws_new(&g->cfg, g->bus, g->rl, g->metrics, &g->ws);
    if (rc != VALOR_OK)
        return rc;
    ho.metrics = g->metrics;
    rc = http_server_new(&ho, &g->http);
    if (rc != VALOR_OK)
        return rc;
    rc = register_routes(g);
    if (rc != VALOR_OK)
        return rc;
    return http_server_start(g->http);
}

int gw_start(struct gw **out)
{
    struct gw *g = calloc(1, sizeof(*g));
    char err[256] = "";
    int rc;

    *out = NULL;
    if (g == NULL)
        return VALOR_E_NOMEM;
    rc = gw_config_load(&g->cfg, err, sizeof(err));
    if (rc != VALOR_OK) {
        /* the reason names the variable, never its value */
        g->log_open = log_init("gateway", 1, CFG_LOG_INFO) == VALOR_OK;
        log_error(NULL, "config_refused", "%s", err);
        gw_stop(g);
        return VALOR_E_INVALID;
    }
    g->log_open = log_init("gateway", g->cfg.base.log_json, g->cfg.base.log_level) == VALOR_OK;
    if (g->cfg.base.generated_secret)
        log_warn(NULL, "config_warning",
                 "JWT_SECRET_KEY/SECRET_KEY unset: using a random "
                 "development secret");
    rc = open_resources(g);
    if (rc != VALOR_OK) {
        log_error(NULL, "startup_failed", "gateway start-up failed: %s", valor_err_name(rc));
        gw_stop(g);
        return rc;
    }
    log_info(NULL, "startup", "gateway listening on %s:%d (%d threads)", g->cfg.base.host,
             gw_port(g), g->cfg.base.worker_threads);
    *out = g;
    return VALOR_OK;
}

void gw_stop(struct gw *g)
{
    if (g == NULL)
        return;
    if (g->http != NULL) {
        /* websockets first: an upgraded connection holds the drain open */
        gw_ws_shutdown(g->ws, 2000);
        http_server_stop(g->http, g->cfg.base.shutdown_grace_s);
        http_server_free(g->http);
    }
    gw_ws_free(g->ws);
    gw_readiness_free(g->ready);
    gw_pipeline_free(g->pipeline);
    gw_ratelimit_free(g->rl);
    revoke_free(g->revoke);
    gw_forward_free(g->fwd);
    bus_close(g->bus);
    metrics_registry_free(g->metrics);
    if (g->curl_inited)
        curl_global_cleanup();
    gw_config_free(&g->cfg);
    if (g->log_open)
        log_close();
    free(g);
}

int gw_main(int argc, char **argv)
{
    struct gw *g = NULL;
    int rc, sig;

    (void)argc;
    (void)argv;
    if (app_signals_init() != VALOR_OK)
        return 1;
    rc = gw_start(&g);
    if (rc != VALOR_OK)
        return rc == VALOR_E_INVALID ? 2 : 1;
    sig = app_wait_signal();
    log_info(NULL, "shutdown", "signal %d: draining", sig);
    gw_stop(g);
    return 0;
}
