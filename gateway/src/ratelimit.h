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
#include "rl_local.h"

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

/* gw_ratelimit_check() in two halves, for a caller that asks Redis itself
 * (forward_loop.c, on an event loop). */
struct gw_rl_call {
    enum gw_bucket b;
    long n;
    long long period_ms;
    char key[256];  /* valor:rl:<bucket>:<key> */
    char deny[128]; /* the jti's denylist key, when has_deny */
    int has_deny;
    char jti[48];
    long long jti_exp_s;
    char tenant[64];   /* the metrics label */
    long long now_ms;  /* wall clock at prepare (gw_now_ms) */
    long long sent_ms; /* monotonic, when the command went to Redis (0: it did not) */
    int probe;         /* the breaker is open: this is its one probe */
};
/* Decides without Redis when it can — a locally revoked jti, or the breaker
 * open and its probe taken — and returns 1 with d filled. Otherwise returns 0
 * with c filled: ask Redis (gw_rl_redis_frame with c->key, c->deny, c->n,
 * c->period_ms; c->sent_ms set when sent), then gw_ratelimit_complete(). */
int gw_ratelimit_prepare(struct gw_ratelimit *rl, enum gw_bucket b, const struct gw_limit *lim,
                         const char *key, const char *jti, long long jti_exp_s, const char *tenant,
                         struct gw_rl_call *c, struct gw_rl_decision *d);
/* Redis answered (rc VALOR_OK, revoked, answer) or failed (any other rc):
 * moves the breaker, falls back to the local table on a failure, fills d. */
void gw_ratelimit_complete(struct gw_ratelimit *rl, const struct gw_rl_call *c, int rc, int revoked,
                           const struct gw_gcra *answer, struct gw_rl_decision *d);
/* Asks Redis for c on this thread (the pipelined blocking call) and completes. */
void gw_ratelimit_ask(struct gw_ratelimit *rl, struct gw_rl_call *c, struct gw_rl_decision *d);
/* The Redis backend, for a caller with its own connection. */
struct gw_rl_redis *gw_ratelimit_redis(struct gw_ratelimit *rl);

/* X-RateLimit-Limit/-Remaining/-Reset, RateLimit-Policy and RateLimit. */
void gw_ratelimit_headers(struct http_ctx *ctx, const struct gw_rl_decision *d);
/* 429 {"error":"Rate limit exceeded","message":…,"retry_after":N} + Retry-After. */
void gw_ratelimit_reply(struct http_ctx *ctx, const struct gw_rl_decision *d);

/* 1 while the local fallback is active. */
int gw_ratelimit_local(const struct gw_ratelimit *rl);

#endif
