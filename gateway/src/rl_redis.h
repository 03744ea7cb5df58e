/* rl_redis: the rate limiter's Redis backend — one round trip per request.
 *
 * A Lua script (loaded with SCRIPT LOAD, run with EVALSHA, reloaded on
 * NOSCRIPT) checks the token's jti on the denylist and applies GCRA for the
 * bucket's key with Redis' clock, so every gateway replica shares the limits.
 * Each worker thread has its own connection; gw_rl_redis_reset() makes every
 * thread reconnect on its next call (after an outage all old connections are
 * dead). Timeouts are REDIS_TIMEOUT_MS for connect and command alike. */
#ifndef VALOR_GW_RL_REDIS_H
#define VALOR_GW_RL_REDIS_H

#include "rl_local.h"

struct gw_rl_redis;

/* url is copied. Never connects here. */
int gw_rl_redis_new(const char *url, int timeout_ms, struct gw_rl_redis **out);
void gw_rl_redis_free(struct gw_rl_redis *r);

/* SCRIPT LOAD on this thread's connection. VALOR_E_UNAVAILABLE when Redis cannot. */
int gw_rl_redis_load(struct gw_rl_redis *r);

/* Every thread's next call reconnects first. */
void gw_rl_redis_reset(struct gw_rl_redis *r);

/* One EVALSHA: counts a request of `key` under n per period_ms, unless
 * deny_key (NULL = none) exists, in which case *revoked = 1 and nothing is
 * counted. VALOR_E_UNAVAILABLE when Redis failed or answered nonsense. */
int gw_rl_redis_check(struct gw_rl_redis *r, const char *key, const char *deny_key, long n,
                      long long period_ms, int *revoked, struct gw_gcra *out);

#endif
