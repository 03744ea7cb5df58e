/* revoke: is this access token revoked? The one answer the gateway and every
 * service give, from two copies of what svc-auth records in PostgreSQL
 * (docs/auth.md "Where revocation lives"):
 *
 *  - a local set (jtiset.h), fed by the `session.revoked` events on NATS —
 *    replayed from the stream at start for REVOCATION_REPLAY_S, then live —
 *    so a revocation reaches every replica within a second even while Redis
 *    is down or has lost its data;
 *  - Redis' denylist (`KV_DENYLIST_PREFIX<jti>`), written by svc-auth and
 *    re-seeded by it from PostgreSQL whenever Redis answers without it.
 *
 * A token is revoked when either copy says so. Neither copy's silence is
 * taken as "not revoked" over the other's answer, so an empty Redis is never
 * worse than a Redis that is down.
 */
#ifndef VALOR_REVOKE_H
#define VALOR_REVOKE_H

#include <stddef.h>

struct kv_pool;
struct bus;
struct metrics_registry;

/* session.revoked's data carries the revoked tokens as
 * "revoked_tokens": [{"jti": "<uuid>", "exp": <epoch s>}, …]. */
#define REVOKE_EVENT_TYPE "session.revoked"
#define REVOKE_EVENT_FIELD "revoked_tokens"

struct revoke_opts {
    struct kv_pool *kv;           /* NULL: the local set only (the gateway asks Redis itself) */
    struct bus *bus;              /* NULL: no feed (tests) */
    size_t max_entries;           /* REVOCATION_LOCAL_MAX */
    int replay_s;                 /* REVOCATION_REPLAY_S */
    int leeway_s;                 /* JWT_LEEWAY: an entry lives until exp + leeway */
    struct metrics_registry *reg; /* may be NULL */
};

struct revoke;

/* Starts the feed in the background when bus is set (it subscribes once NATS
 * is connected and the stream exists). Free with revoke_free(). */
int revoke_new(const struct revoke_opts *o, struct revoke **out);
void revoke_free(struct revoke *r);

/* 1 when the local set or (if kv is set) Redis says jti is revoked, else 0.
 * A Redis that cannot answer is logged and counted, never taken as "revoked"
 * nor as "not revoked" beyond what the local set says. exp_s: the token's
 * expiry, for remembering a Redis "revoked" locally. */
int revoke_check(struct revoke *r, const char *jti, long long exp_s);

/* The local set alone. */
int revoke_local_has(struct revoke *r, const char *jti);
/* Remembers jti until exp_s + leeway (e.g. after Redis said it is revoked). */
void revoke_local_add(struct revoke *r, const char *jti, long long exp_s);
size_t revoke_local_size(struct revoke *r);

/* Adds the tokens of one session.revoked event payload (the whole event JSON,
 * len bytes); the number of tokens taken. Used by the feed; public for tests. */
int revoke_take_event(struct revoke *r, const char *json, size_t len);

#endif
