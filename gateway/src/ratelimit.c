#include "ratelimit.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rl_local.h"
#include "rl_redis.h"
#include "valor/clock.h"
#include "valor/err.h"
#include "valor/fmt.h"
#include "valor/http.h"
#include "valor/kv.h"
#include "valor/log.h"
#include "valor/metrics.h"
#include "valor/revoke.h"

struct gw_ratelimit {
    const struct gw_config *cfg;
    struct gw_rl_redis *redis;
    struct gw_rl_local *local;
    struct revoke *revoke;
    atomic_int open;            /* 1: breaker open, the local table decides */
    atomic_llong next_probe_ms; /* monotonic ms of the next allowed probe */
    struct metrics_family *allowed, *blocked, *backend;
    struct metrics_label_limiter *tenants;
};

static void set_backend_metric(struct gw_ratelimit *rl, int local)
{
    if (rl->backend == NULL)
        return;
    const char *r[] = {"redis"}, *l[] = {"local"};
    metrics_gauge_set(rl->backend, r, local ? 0 : 1);
    metrics_gauge_set(rl->backend, l, local ? 1 : 0);
}

static void to_local(struct gw_ratelimit *rl, const char *why)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&rl->open, &expected, 1))
        return;
    atomic_store(&rl->next_probe_ms, (long long)clock_mono_ms() + rl->cfg->redis_probe_interval_ms);
    gw_rl_redis_reset(rl->redis); /* every old connection is suspect */
    set_backend_metric(rl, 1);
    log_warn(NULL, "rate_limiter_backend",
             "Redis %s: rate limits now enforced locally by this instance", why);
}

static void to_redis(struct gw_ratelimit *rl)
{
    int expected = 1;
    if (!atomic_compare_exchange_strong(&rl->open, &expected, 0))
        return;
    set_backend_metric(rl, 0);
    log_info(NULL, "rate_limiter_backend", "Redis answers again: rate limits shared through Redis");
}

int gw_ratelimit_new(const struct gw_config *cfg, struct metrics_registry *reg, struct revoke *rv,
                     struct gw_ratelimit **out)
{
    static const char *const ln[] = {"limit_type", "tenant"};
    static const char *const bn[] = {"backend"};
    struct gw_ratelimit *rl = calloc(1, sizeof(*rl));
    int rc;

    *out = NULL;
    if (rl == NULL)
        return VALOR_E_NOMEM;
    rl->cfg = cfg;
    rl->revoke = rv;
    rc = gw_rl_redis_new(cfg->base.redis_url, cfg->base.redis_timeout_ms,
                         (int)cfg->redis_connections, reg, &rl->redis);
    if (rc == VALOR_OK)
        rc = gw_rl_local_new((size_t)cfg->local_limiter_entries, &rl->local);
    if (rc == VALOR_OK && reg != NULL) {
        rl->tenants = metrics_label_limiter_new((size_t)cfg->base.metrics_max_tenants);
        rc = rl->tenants != NULL ? VALOR_OK : VALOR_E_NOMEM;
        if (rc == VALOR_OK)
            rc = metrics_family_new(reg, METRICS_COUNTER, "rate_limit_allowed_total",
                                    "Requests the rate limiter let through.", 2, ln, NULL, 0,
                                    &rl->allowed);
        if (rc == VALOR_OK)
            rc = metrics_family_new(reg, METRICS_COUNTER, "rate_limit_blocked_total",
                                    "Requests the rate limiter refused (429).", 2, ln, NULL, 0,
                                    &rl->blocked);
        if (rc == VALOR_OK)
            rc = metrics_family_new(reg, METRICS_GAUGE, "rate_limiter_backend",
                                    "1 for the rate limiter's active backend (redis or local).", 1,
                                    bn, NULL, 0, &rl->backend);
    }
    if (rc != VALOR_OK) {
        gw_ratelimit_free(rl);
        return rc;
    }
    set_backend_metric(rl, 0);
    if (gw_rl_redis_load(rl->redis) != VALOR_OK)
        to_local(rl, "unavailable at start-up");
    *out = rl;
    return VALOR_OK;
}

void gw_ratelimit_free(struct gw_ratelimit *rl)
{
    if (rl == NULL)
        return;
    gw_rl_redis_free(rl->redis);
    gw_rl_local_free(rl->local);
    metrics_label_limiter_free(rl->tenants);
    free(rl);
}

int gw_ratelimit_local(const struct gw_ratelimit *rl)
{
    return atomic_load(&((struct gw_ratelimit *)rl)->open);
}

int gw_ratelimit_prepare(struct gw_ratelimit *rl, enum gw_bucket b, const struct gw_limit *lim,
                         const char *key, const char *jti, long long jti_exp_s, const char *tenant,
                         struct gw_rl_call *c, struct gw_rl_decision *d)
{
    memset(d, 0, sizeof(*d));
    memset(c, 0, sizeof(*c));
    d->n = lim->n;
    d->period_s = lim->period_s;
    if (jti != NULL && revoke_local_has(rl->revoke, jti)) {
        d->revoked = 1;
        return 1;
    }
    c->b = b;
    c->n = lim->n;
    c->period_ms = (long long)lim->period_s * 1000;
    c->now_ms = gw_now_ms();
    const char *key_parts[] = {"valor:rl:", gw_bucket_name(b), ":", key};
    fmt_join(c->key, sizeof(c->key), key_parts, sizeof(key_parts) / sizeof(key_parts[0]));
    fmt_copy(c->tenant, sizeof(c->tenant), tenant != NULL ? tenant : "");
    if (jti != NULL && fmt_join(c->jti, sizeof(c->jti), &jti, 1) < sizeof(c->jti) &&
        kv_denylist_key(jti, c->deny, sizeof(c->deny)) == VALOR_OK) {
        c->has_deny = 1;
        c->jti_exp_s = jti_exp_s;
    }
    if (atomic_load(&rl->open)) {
        long long now = (long long)clock_mono_ms(), next = atomic_load(&rl->next_probe_ms);
        /* one probe per interval, taken by whichever request claims it */
        if (now < next || !atomic_compare_exchange_strong(&rl->next_probe_ms, &next,
                                                          now + rl->cfg->redis_probe_interval_ms)) {
            gw_ratelimit_complete(rl, c, VALOR_E_UNAVAILABLE, 0, NULL, d);
            return 1;
        }
        c->probe = 1;
    }
    return 0;
}

void gw_ratelimit_complete(struct gw_ratelimit *rl, const struct gw_rl_call *c, int rc, int revoked,
                           const struct gw_gcra *answer, struct gw_rl_decision *d)
{
    struct gw_gcra g;

    memset(d, 0, sizeof(*d));
    d->n = c->n;
    d->period_s = (long)(c->period_ms / 1000);
    if (rc == VALOR_OK && c->sent_ms > 0 &&
        (long long)clock_mono_ms() - c->sent_ms > rl->cfg->base.redis_timeout_ms)
        to_local(rl, "too slow"); /* this answer is still good */
    else if (rc == VALOR_OK)
        to_redis(rl);
    else if (c->sent_ms > 0)
        to_local(rl, "failed");
    if (rc != VALOR_OK) {
        revoked = 0;
        gw_rl_local_check(rl->local, c->key, c->n, c->period_ms, c->now_ms, &g);
    } else {
        g = *answer;
        if (g.allowed) {
            /* shadow count: should Redis fail, the local table carries on from
             * this instance's share of the key instead of from zero */
            struct gw_gcra shadow;
            gw_rl_local_check(rl->local, c->key, c->n, c->period_ms, c->now_ms, &shadow);
        }
    }
    if (revoked) {
        d->revoked = 1;
        revoke_local_add(rl->revoke, c->jti, c->jti_exp_s);
        return;
    }
    d->allowed = g.allowed;
    d->remaining = g.remaining < 0 ? 0 : g.remaining;
    d->reset_s = (g.reset_ms + 999) / 1000;
    d->reset_epoch = (c->now_ms + g.reset_ms + 999) / 1000;
    d->retry_after_s = g.allowed ? 0 : (g.retry_ms + 999) / 1000;
    if (!g.allowed && d->retry_after_s < 1)
        d->retry_after_s = 1;
    if (rl->allowed != NULL) {
        const char *lv[] = {gw_bucket_name(c->b),
                            c->tenant[0] ? metrics_label_limit(rl->tenants, c->tenant) : ""};
        metrics_counter_add(g.allowed ? rl->allowed : rl->blocked, lv, 1);
    }
}

void gw_ratelimit_ask(struct gw_ratelimit *rl, struct gw_rl_call *c, struct gw_rl_decision *d)
{
    struct gw_gcra g;
    int revoked = 0;
    c->sent_ms = (long long)clock_mono_ms();
    int rc = gw_rl_redis_check(rl->redis, c->key, c->has_deny ? c->deny : NULL, c->n, c->period_ms,
                               &revoked, &g);
    gw_ratelimit_complete(rl, c, rc, revoked, &g, d);
}

void gw_ratelimit_check(struct gw_ratelimit *rl, enum gw_bucket b, const struct gw_limit *lim,
                        const char *key, const char *jti, long long jti_exp_s, const char *tenant,
                        struct gw_rl_decision *d)
{
    struct gw_rl_call c;
    if (gw_ratelimit_prepare(rl, b, lim, key, jti, jti_exp_s, tenant, &c, d) == 0)
        gw_ratelimit_ask(rl, &c, d);
}

struct gw_rl_redis *gw_ratelimit_redis(struct gw_ratelimit *rl)
{
    return rl->redis;
}

/* A limit header's value: a few short words and at most three numbers. */
struct hv {
    char p[128];
    size_t n;
};

static void hv_s(struct hv *v, const char *s)
{
    size_t len = strlen(s);
    memcpy(v->p + v->n, s, len);
    v->n += len;
}

static void hv_i(struct hv *v, long long x)
{
    v->n += fmt_int(v->p + v->n, x);
}

/* The value, NUL-terminated; v is empty again for the next one. */
static const char *hv_take(struct hv *v)
{
    v->p[v->n] = '\0';
    v->n = 0;
    return v->p;
}

void gw_ratelimit_headers(struct http_ctx *ctx, const struct gw_rl_decision *d)
{
    struct _u_map *h = ctx->resp->map_header;
    struct hv v = {.n = 0};

    hv_i(&v, d->n);
    u_map_put(h, "X-RateLimit-Limit", hv_take(&v));
    hv_i(&v, d->remaining);
    u_map_put(h, "X-RateLimit-Remaining", hv_take(&v));
    hv_i(&v, d->reset_epoch);
    u_map_put(h, "X-RateLimit-Reset", hv_take(&v));
    hv_i(&v, d->n);
    hv_s(&v, ";w=");
    hv_i(&v, d->period_s);
    u_map_put(h, "RateLimit-Policy", hv_take(&v));
    hv_s(&v, "limit=");
    hv_i(&v, d->n);
    hv_s(&v, ", remaining=");
    hv_i(&v, d->remaining);
    hv_s(&v, ", reset=");
    hv_i(&v, d->reset_s);
    u_map_put(h, "RateLimit", hv_take(&v));
}

void gw_ratelimit_reply(struct http_ctx *ctx, const struct gw_rl_decision *d)
{
    char msg[128], ra[32];
    snprintf(msg, sizeof(msg), "Too many requests. Limit: %ld requests per %ld seconds", d->n,
             d->period_s);
    snprintf(ra, sizeof(ra), "%lld", d->retry_after_s);
    u_map_put(ctx->resp->map_header, "Retry-After", ra);
    http_reply_json(ctx, 429,
                    json_pack("{s:s, s:s, s:I}", "error", "Rate limit exceeded", "message", msg,
                              "retry_after", (json_int_t)d->retry_after_s));
}
