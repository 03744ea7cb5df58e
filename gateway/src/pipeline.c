#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clientip.h"
#include "cors.h"
#include "forward.h"
#include "ratelimit.h"
#include "routes.h"
#include "valor/err.h"
#include "valor/fmt.h"
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

    fmt_copy(peer, sizeof(peer), ctx->client_ip);
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

/* After the limiter (d: its decision; NULL for a route without a bucket):
 * 401 for a revoked token, the limit headers and 429, then the tenant and
 * role checks. 1: forward. */
static int admit(struct http_ctx *ctx, const struct gw_route *r, const struct vjwt_claims *claims,
                 int authed, const struct gw_rl_decision *d)
{
    if (d != NULL) {
        if (d->revoked) {
            http_reply_error(ctx, VALOR_E_UNAUTHORIZED, "Invalid token");
            return 0;
        }
        gw_ratelimit_headers(ctx, d);
        if (!d->allowed) {
            if (authed)
                fmt_copy(ctx->tenant, sizeof(ctx->tenant), claims->tid);
            gw_ratelimit_reply(ctx, d);
            return 0;
        }
    }
    if (authed) {
        /* verified: the tenant label of the metrics and the access log */
        fmt_copy(ctx->tenant, sizeof(ctx->tenant), claims->tid);
        fmt_copy(ctx->user, sizeof(ctx->user), claims->sub);
        ctx->log.tenant_id = ctx->tenant;
        ctx->log.user_id = ctx->user;
        /* HEAD is served by the GET route (common/http) and reads like it */
        int read =
            strcmp(ctx->req->http_verb, "GET") == 0 || strcmp(ctx->req->http_verb, "HEAD") == 0;
        int write = !read && !(r->flags & GW_R_ANY_ROLE);
        if (gw_auth_tenant(ctx, claims, (r->flags & GW_R_TENANT) != 0) != VALOR_OK ||
            gw_auth_role(ctx, claims, write, (r->flags & GW_R_ADMIN) != 0) != VALOR_OK)
            return 0;
    }
    return 1;
}

/* What admit() needs once a loop has the limiter's decision. */
struct admission {
    const struct gw_route *route;
    struct vjwt_claims claims;
    int authed;
};

static int admit_later(struct http_ctx *ctx, void *state, const struct gw_rl_decision *d)
{
    struct admission *a = state;
    int rc = admit(ctx, a->route, &a->claims, a->authed, d);
    free(a);
    return rc;
}

/* The stages after route matching and the 413 check. With event loops the
 * limiter's Redis call and the forwarding happen on a loop, the request
 * deferred (forward_loop.c); the breaker's probe stays on this thread. */
static void handle(struct http_ctx *ctx)
{
    const struct binding *b = ctx->ud;
    const struct gw_route *r = b->route;
    struct gw_pipeline *p = b->p;
    struct vjwt_claims claims;
    struct gw_rl_decision d;
    int authed = !(r->flags & GW_R_PUBLIC);

    ctx->route = r->doc_path;
    if (authed && gw_auth_token(ctx, &p->jwt, &claims) != VALOR_OK)
        return;
    if (r->bucket != GW_BUCKET_NONE) {
        struct gw_rl_call call;
        char key[160];
        const char *key_parts[] = {claims.tid, ":", claims.sub};
        if (authed)
            fmt_join(key, sizeof(key), key_parts, 3);
        else
            fmt_copy(key, sizeof(key), ctx->client_ip);
        if (gw_ratelimit_prepare(p->rl, r->bucket,
                                 limit_for(p->cfg, r->bucket, authed ? &claims : NULL), key,
                                 authed ? claims.jti : NULL, authed ? claims.exp : 0,
                                 authed ? claims.tid : "", &call, &d) == 0) {
            struct admission *a = call.probe ? NULL : malloc(sizeof(*a));
            if (a != NULL) {
                a->route = r;
                a->authed = authed;
                if (authed)
                    a->claims = claims;
                if (gw_forward_limited(p->fwd, r->service, ctx, p->rl, &call, admit_later, a) ==
                    VALOR_OK)
                    return;
                free(a);
            }
            gw_ratelimit_ask(p->rl, &call, &d);
        }
    }
    if (admit(ctx, r, &claims, authed, r->bucket != GW_BUCKET_NONE ? &d : NULL))
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
