/* The svc-auth service definition (schema, port, migrations, routes for
 * svc_main()) and the state its handlers share. */
#ifndef VALOR_AUTH_SERVICE_H
#define VALOR_AUTH_SERVICE_H

#include "valor/crypto.h"
#include "valor/svc.h"

extern const struct svc_def auth_def;

struct audit_consumer;
struct reseed;
struct kv_pool;

/* s->priv of svc-auth: configuration read once at start-up, then read-only. */
struct auth_state {
    struct svc *svc;          /* borrowed: the service that owns this state */
    long access_ttl_s;        /* ACCESS_TOKEN_TTL (default 900) */
    long refresh_ttl_s;       /* REFRESH_TOKEN_TTL (default 30 days) */
    int bcrypt_cost;          /* BCRYPT_COST (default 12; ≥ 10 in production) */
    long revocation_check_ms; /* REVOCATION_CHECK_MS (default 500): how often Redis' copy of
                               * the revocations is checked (reseed.h) */
    /* bcrypt hash of a random password at bcrypt_cost: login verifies against
     * it for unknown users so that both failures take the same time */
    char dummy_hash[CRYPTO_BCRYPT_HASH_LEN];
    struct audit_consumer *consumer; /* owned */
    struct reseed *reseed;           /* owned */
    /* Redis for denylist writes: a revocation is worth waiting for, so the
     * command timeout is max(REDIS_TIMEOUT_MS, 1000 ms); owned */
    struct kv_pool *denylist_kv;
};

#endif
