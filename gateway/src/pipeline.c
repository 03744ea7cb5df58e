#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clientip.h"
#include "cors.h"
#include "forward.h"
#include "ratelimit.h"
#include "routes.h"
#include "valor/err.h"
#include "valor/http.h"

struct binding {
    const struct gw_route *route;
    struct gw_pipeline *p;
};

struct gw_pipeline {
    const struct gw_config *cfg;
    struct vjwt_params jwt;
    struct gw_ratelimit *rl;
    struct gw_forward *fwd;
    struct binding *bindings; /* one per route */
};

int gw_pipeline_new(const struct gw_config *cfg, struct gw_ratelimit *rl, struct gw_forward *fwd,
                    struct gw_pipeline **out)
{
    struct gw_pipeline *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (p == NULL)
        return VALOR_E_NOMEM;
    p->bindings = calloc(gw_nroutes, sizeof(*p->bindings));
    if (p->bindings == NULL) {
        free(p);
        return VALOR_E_NOMEM;
    }
    p->cfg = cfg;
    p->rl = rl;
    p->fwd = fwd;
    vjwt_params_from_cfg(&p->jwt, &cfg->base);
    for (size_t i = 0; i < gw_nroutes; i++)
        p->bindings[i] = (struct binding){.route = &gw_routes[i], .p = p};
    *out = p;
    return VALOR_OK;
}

void gw_pipeline_free(struct gw_pipeline *p)
{
    if (p == NULL)
        return;
    free(p->bindings);
    free(p);
}

static int pre_hook(struct http_ctx *ctx, void *ud)
{
    struct gw_pipeline *p = ud;
    const struct gw_config *cfg = p->cfg;
    char peer[sizeof(ctx->client_ip)];

    snprintf(peer, sizeof(peer), "%s", ctx->client_ip);
    gw_client_ip(cfg, peer, http_header(ctx, "X-Forwarded-For"), ctx->client_ip,
                 sizeof(ctx->client_ip));
    if (gw_cors_apply(cfg, ctx))
        return 1;
    if (cfg->n_metrics_allow > 0 && strcmp(ctx->req->url_path, "/metrics") == 0 &&
        !gw_cidr_contains(cfg->metrics_allow, cfg->n_metrics_allow, peer)) {
        http_reply_error(ctx, VALOR_E_NOT_FOUND, "Not found");
        return 1;
    }
    return 0;
}

static const struct gw_limit *limit_for(const struct gw_config *cfg, enum gw_bucket b,
                                        const struct vjwt_claims *claims)
{
    if (b == GW_BUCKET_API)
        return &cfg->api_plan[gw_plan_from_claim(claims != NULL ? claims->plan : NULL)];
    return &cfg->limits[b];
}

/* The stages after route matching and the 413 check. */
static void handle(struct http_ctx *ctx)
{
    const struct binding *b = ctx->ud;
    const struct gw_route *r = b->route;
    struct gw_pipeline *p = b->p;
    struct vjwt_claims claims;
    int authed = !(r->flags & GW_R_PUBLIC);

    ctx->route = r->doc_path;
    if (authed && gw_auth_token(ctx, &p->jwt, &claims) != VALOR_OK)
        return;
    if (r->bucket != GW_BUCKET_NONE) {
        struct gw_rl_decision d;
        char key[160];
        if (authed)
            snprintf(key, sizeof(key), "%s:%s", claims.tid, claims.sub);
        else
            snprintf(key, sizeof(key), "%s", ctx->client_ip);
        gw_ratelimit_check(p->rl, r->bucket, limit_for(p->cfg, r->bucket, authed ? &claims : NULL),
                           key, authed ? claims.jti : NULL, authed ? claims.exp : 0,
                           authed ? claims.tid : "", &d);
        if (d.revoked) {
            http_reply_error(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
            return;
        }
        gw_ratelimit_headers(ctx, &d);
        if (!d.allowed) {
            if (authed)
                snprintf(ctx->tenant, sizeof(ctx->tenant), "%s", claims.tid);
            gw_ratelimit_reply(ctx, &d);
            return;
        }
    }
    if (authed) {
        /* verified: the tenant label of the metrics and the access log */
        snprintf(ctx->tenant, sizeof(ctx->tenant), "%s", claims.tid);
        snprintf(ctx->user, sizeof(ctx->user), "%s", claims.sub);
        ctx->log.tenant_id = ctx->tenant;
        ctx->log.user_id = ctx->user;
        /* HEAD is served by the GET route (common/http) and reads like it */
        int read =
            strcmp(ctx->req->http_verb, "GET") == 0 || strcmp(ctx->req->http_verb, "HEAD") == 0;
        int write = !read && !(r->flags & GW_R_ANY_ROLE);
        if (gw_auth_tenant(ctx, &claims, (r->flags & GW_R_TENANT) != 0) != VALOR_OK ||
            gw_auth_role(ctx, &claims, write, (r->flags & GW_R_ADMIN) != 0) != VALOR_OK)
            return;
    }
    gw_forward_request(p->fwd, r->service, ctx);
}

int gw_pipeline_register(struct http_server *s, struct gw_pipeline *p)
{
    int rc = http_server_set_pre_hook(s, pre_hook, p);
    for (size_t i = 0; i < gw_nroutes && rc == VALOR_OK; i++)
        for (size_t m = 0; m < gw_nmethods && rc == VALOR_OK; m++)
            if (gw_routes[i].methods & (1u << m))
                rc = http_route_deferrable(s, gw_method_names[m], gw_routes[i].path, handle,
                                           &p->bindings[i]);
    return rc;
}
