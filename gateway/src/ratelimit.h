/* ratelimit: the pipeline's rate-limit stage (api.md §6, platform.md §1).
 *
 * Redis first (rl_redis: denylist + GCRA in one EVALSHA). A failed call, or
 * one slower than REDIS_TIMEOUT_MS, opens a circuit breaker: the same limits
 * are then enforced by this instance alone (rl_local), without calling Redis,
 * except for one probe request at most every REDIS_PROBE_INTERVAL_MS, which
 * closes the breaker when Redis answers. rate_limiter_backend{backend} shows
 * which one is active; each transition is logged once.
 *
 * A token's jti is first looked up in the process's local revocation set
 * (valor/revoke.h, fed from NATS): a revoked token costs no Redis call and is
 * refused whatever Redis knows; a jti Redis reports revoked joins the set. */
#ifndef VALOR_GW_RATELIMIT_H
#define VALOR_GW_RATELIMIT_H

#include "config.h"

struct http_ctx;
struct metrics_registry;
struct revoke;
struct gw_ratelimit;

struct gw_rl_decision {
    int allowed;
    int revoked; /* the token's jti is on the denylist: 401, nothing counted */
    long n, period_s;
    long long remaining;
    long long reset_s;     /* seconds until a full allowance */
    long long reset_epoch; /* the same as a Unix time */
    long long retry_after_s;
};

/* cfg and rv borrowed for the lifetime of rl; reg may be NULL. Tries SCRIPT
 * LOAD once (Redis being down is not an error: the breaker starts open). */
int gw_ratelimit_new(const struct gw_config *cfg, struct metrics_registry *reg, struct revoke *rv,
                     struct gw_ratelimit **out);
void gw_ratelimit_free(struct gw_ratelimit *rl);

/* Counts one request of `key` in bucket b under lim; jti (may be NULL) is
 * checked against the local set and the denylist first. jti_exp_s: the
 * token's expiry (a revoked jti is remembered locally until then). tenant: the metrics label
 * ("" for none). Never fails: without Redis the local table decides. */
void gw_ratelimit_check(struct gw_ratelimit *rl, enum gw_bucket b, const struct gw_limit *lim,
                        const char *key, const char *jti, long long jti_exp_s, const char *tenant,
                        struct gw_rl_decision *d);

/* X-RateLimit-Limit/-Remaining/-Reset, RateLimit-Policy and RateLimit. */
void gw_ratelimit_headers(struct http_ctx *ctx, const struct gw_rl_decision *d);
/* 429 {"error":"Rate limit exceeded","message":…,"retry_after":N} + Retry-After. */
void gw_ratelimit_reply(struct http_ctx *ctx, const struct gw_rl_decision *d);

/* 1 while the local fallback is active. */
int gw_ratelimit_local(const struct gw_ratelimit *rl);

#endif
