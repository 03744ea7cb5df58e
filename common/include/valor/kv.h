/* kv: Redis through hiredis 0.14 with connect and command timeouts.
 *
 * A client is used by one thread at a time. After any I/O error the context
 * is freed and the next command connects afresh with the same timeouts
 * (hiredis' redisReconnect would drop them).
 */
#ifndef VALOR_KV_H
#define VALOR_KV_H

#include <stddef.h>
#include <hiredis.h>

/* Shared with the gateway: key under which a revoked access token's jti is
 * kept until the token's expiry. */
#define KV_DENYLIST_PREFIX "valor:denylist:jti:"

struct kv_opts {
    const char *url;        /* redis://[:password@]host:port[/db]; copied */
    int connect_timeout_ms; /* 0 → 1000 */
    int command_timeout_ms; /* 0 → 50 */
};

struct kv_client;

/* Never fails for an unreachable server: the client connects on first use. */
int kv_open(const struct kv_opts *opts, struct kv_client **out);
void kv_close(struct kv_client *c);

/* Sends one command. VALOR_OK with *reply (caller freeReplyObject()s) — which
 * may be a REDIS_REPLY_ERROR the caller inspects (e.g. NOSCRIPT);
 * VALOR_E_UNAVAILABLE on connect failure, I/O error or timeout. */
int kv_command_argv(struct kv_client *c, int argc, const char **argv, const size_t *argvlen,
                    redisReply **reply);

/* kv_command_argv with up to 8 NUL-terminated arguments. */
int kv_command(struct kv_client *c, int argc, const char **argv, redisReply **reply);

/* For a caller that speaks RESP on the socket itself (the gateway's
 * pipelined limiter): connects (AUTH, SELECT, timeouts) when needed and
 * gives the connected socket, borrowed until kv_raw_drop()/kv_close(). The
 * caller must leave no reply unread on it. VALOR_E_UNAVAILABLE when Redis
 * cannot be reached. */
int kv_raw_fd(struct kv_client *c, int *fd);
/* The socket is in an unknown state (I/O error, timeout, stray bytes):
 * closes it; the next use connects afresh. why is logged on the first failure. */
void kv_raw_drop(struct kv_client *c, const char *why);

/* PING; *latency_ms set when not NULL. */
int kv_ping(struct kv_client *c, int *latency_ms);

/* One client per thread, created on first use. */
struct kv_pool;
int kv_pool_new(const struct kv_opts *opts, struct kv_pool **out);
void kv_pool_free(struct kv_pool *p);
/* This thread's client (borrowed, lives as long as the pool). */
struct kv_client *kv_pool_get(struct kv_pool *p);

/* KV_DENYLIST_PREFIX + jti into buf. VALOR_E_INVALID when it does not fit. */
int kv_denylist_key(const char *jti, char *buf, size_t len);

/* A short lock every process shares: SET key <token> NX PX ttl_ms, with a
 * fresh UUID written to token (37 bytes). VALOR_OK when taken,
 * VALOR_E_CONFLICT when another holder has it, VALOR_E_UNAVAILABLE. */
int kv_lock_take(struct kv_client *c, const char *key, long ttl_ms, char token[37]);
/* Deletes the lock only if token still holds it. VALOR_OK (also when it was
 * no longer ours), VALOR_E_UNAVAILABLE. */
int kv_lock_release(struct kv_client *c, const char *key, const char *token);
/* 1 when key exists, 0 when not, VALOR_E_UNAVAILABLE. */
int kv_exists(struct kv_client *c, const char *key);

/* SET KV_DENYLIST_PREFIX<jtis[i]> 1 EX ttl_s[i] (< 1 → 1) for i < n, pipelined:
 * one write, then the n replies. VALOR_OK when every one was OK;
 * VALOR_E_INVALID for a jti too long for a key; VALOR_E_UNAVAILABLE on
 * connect failure, I/O error, timeout or an error reply. */
int kv_denylist_put(struct kv_client *c, size_t n, const char *const *jtis, const long long *ttl_s);

#endif
