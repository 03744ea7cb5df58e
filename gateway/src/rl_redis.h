/* rl_redis: the rate limiter's Redis backend — one script call per decision,
 * pipelined with the concurrent decisions of other worker threads.
 *
 * A Lua script (loaded with SCRIPT LOAD, run with EVALSHA, reloaded on
 * NOSCRIPT) checks the token's jti on the denylist and applies GCRA for the
 * bucket's key with Redis' clock, so every gateway replica shares the limits.
 *
 * Pipelining (flat combining, no thread of its own): the process keeps a few
 * connections (RATE_LIMIT_REDIS_CONNECTIONS). A decision frames its EVALSHA
 * as RESP bytes and queues itself on one connection. When no thread is doing
 * I/O on that connection, it becomes the leader: it takes the whole queue,
 * writes it with one send, reads until every reply of the batch is parsed,
 * hands each waiter its reply and wakes it, and passes the leadership on to
 * the first decision queued meanwhile. A waiter still queued after
 * REDIS_TIMEOUT_MS gives up; a batch gets REDIS_TIMEOUT_MS for its I/O, and a
 * failed batch fails the decisions queued behind it too (they would only
 * wait for the same dead connection). gw_rl_redis_reset() makes every
 * connection reconnect before its next batch. */
#ifndef VALOR_GW_RL_REDIS_H
#define VALOR_GW_RL_REDIS_H

#include <hiredis/read.h>
#include <stddef.h>

#include "rl_local.h"

struct gw_rl_redis;
struct kv_client;
struct metrics_registry;

/* url is copied; connections ≥ 1; reg (may be NULL) gets
 * rate_limit_redis_batches_total and rate_limit_redis_commands_total.
 * Never connects here. */
int gw_rl_redis_new(const char *url, int timeout_ms, int connections, struct metrics_registry *reg,
                    struct gw_rl_redis **out);
void gw_rl_redis_free(struct gw_rl_redis *r);

/* SCRIPT LOAD. VALOR_E_UNAVAILABLE when Redis cannot. */
int gw_rl_redis_load(struct gw_rl_redis *r);

/* Every connection reconnects before its next batch. */
void gw_rl_redis_reset(struct gw_rl_redis *r);

/* One EVALSHA: counts a request of `key` under n per period_ms, unless
 * deny_key (NULL = none) exists, in which case *revoked = 1 and nothing is
 * counted. Blocks until the answer (at most about 2 × REDIS_TIMEOUT_MS).
 * VALOR_E_UNAVAILABLE when Redis failed, was too slow or answered nonsense;
 * VALOR_E_INVALID for a key too long to frame. */
int gw_rl_redis_check(struct gw_rl_redis *r, const char *key, const char *deny_key, long n,
                      long long period_ms, int *revoked, struct gw_gcra *out);

/* For an event loop with a connection of its own (forward_loop.c): the
 * script's SHA-1; the generation gw_rl_redis_reset() advances (reconnect
 * when it moved); a connection opened like the pool's (blocking, bounded by
 * REDIS_TIMEOUT_MS); one batch of `commands` counted in the metrics. */
const char *gw_rl_redis_sha(const struct gw_rl_redis *r);
unsigned gw_rl_redis_generation(struct gw_rl_redis *r);
int gw_rl_redis_connect(struct gw_rl_redis *r, struct kv_client **out);
void gw_rl_redis_count(struct gw_rl_redis *r, size_t commands);

/* Batches written and commands sent since start (what the metrics count). */
void gw_rl_redis_stats(struct gw_rl_redis *r, unsigned long long *batches,
                       unsigned long long *commands);

/* --- the reply path, exposed for its tests and fuzzer --- */

enum gw_rl_kind { GW_RL_EVAL, GW_RL_LOAD };

struct gw_rl_reply {
    enum gw_rl_kind kind; /* in: what was sent */
    int rc;               /* out: VALOR_OK or VALOR_E_UNAVAILABLE */
    int noscript;         /* out: EVAL answered NOSCRIPT */
    int revoked;          /* out: EVAL found deny_key */
    struct gw_gcra g;     /* out: EVAL's answer when rc == VALOR_OK */
};

/* A RESP reader for the replies (hiredis' own, with arrays of more than 64
 * elements refused instead of allocated). Free with redisReaderFree(). */
redisReader *gw_rl_redis_reader_new(void);

/* Takes the replies parsed so far from rd into res[*got], res[*got + 1], …
 * (at most n in all), in order, advancing *got; each res[i] gets an rc.
 * VALOR_OK (with *got < n when more bytes are needed) or VALOR_E_UNAVAILABLE
 * on a protocol error (rd is then unusable). sha: the script's, for LOAD. */
int gw_rl_redis_take_replies(redisReader *rd, const char *sha, struct gw_rl_reply *const *res,
                             size_t n, size_t *got);

/* Frames EVALSHA sha <1|2> key [deny_key] n period_ms as RESP into buf.
 * Returns the length, or 0 when it does not fit. */
size_t gw_rl_redis_frame(char *buf, size_t cap, const char *sha, const char *key,
                         const char *deny_key, long n, long long period_ms);

#endif
