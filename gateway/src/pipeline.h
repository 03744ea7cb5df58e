/* pipeline: the per-request stages of platform.md §1, in order —
 *   request id (http module) → CORS/preflight (cors.c, in the pre-hook) →
 *   route match, 404/405 (http module, the table of routes.c) → 413 (http
 *   module, from Content-Length before the body is read) → JWT (auth.c) →
 *   rate limit (ratelimit.c; also the jti denylist) → tenant (auth.c) →
 *   role (auth.c) → forward (forward.c) → security headers, access log,
 *   metrics (http module).
 * A stage that refuses replies and ends the request. */
#ifndef VALOR_GW_PIPELINE_H
#define VALOR_GW_PIPELINE_H

#include "config.h"

struct http_server;
struct gw_ratelimit;
struct gw_forward;
struct gw_pipeline;

/* Everything is borrowed for the lifetime of the pipeline. */
int gw_pipeline_new(const struct gw_config *cfg, struct gw_ratelimit *rl, struct gw_forward *fwd,
                    struct gw_pipeline **out);
void gw_pipeline_free(struct gw_pipeline *p);

/* Installs the pre-hook (client address, CORS, preflight, /metrics
 * allow-list) and registers every (method, route) of the table. */
int gw_pipeline_register(struct http_server *s, struct gw_pipeline *p);

#endif
