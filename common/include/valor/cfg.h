/* cfg: configuration from the environment, read once at start-up, immutable after.
 *
 * Production refusal rules (platform.md §2): with APP_ENV (or FLASK_ENV) =
 * production, a secret that is unset, shorter than 32 bytes or a well-known
 * placeholder, or LOG_LEVEL=DEBUG, makes cfg_load() fail with a message naming
 * the variable; the service then logs it once and exits with status 2.
 * In development a missing secret is replaced by a random one (and a warning).
 *
 * APP_ENV (or, when APP_ENV is unset, FLASK_ENV): production | development
 * (case-insensitive; "test"/"testing" count as development; default
 * development; anything else is refused). A variable set to "" counts as unset.
 */
#ifndef VALOR_CFG_H
#define VALOR_CFG_H

#include <stddef.h>

enum cfg_log_level { CFG_LOG_ERROR = 0, CFG_LOG_WARNING, CFG_LOG_INFO, CFG_LOG_DEBUG };

#define CFG_MAX_PREVIOUS_KEYS 4

struct valor_cfg {
    char service[32];   /* "gateway", "auth", "runs", "financial", "deals" */
    int production;     /* APP_ENV/FLASK_ENV == production */
    char host[64];      /* HOST (default 127.0.0.1, < 64 bytes) */
    int port;           /* PORT (default: the service's default port; 0..65535, 0 = ephemeral) */
    char *database_url; /* DATABASE_URL (owned; may be NULL for the gateway) */
    char *redis_url;    /* REDIS_URL (owned, default redis://127.0.0.1:6379/0) */
    char *nats_url;     /* NATS_URL (owned, default nats://127.0.0.1:4222) */
    char *jwt_secret;   /* JWT_SECRET_KEY (owned, never logged): signs and verifies */
    /* JWT_PREVIOUS_SECRET_KEYS: comma-separated keys that still verify (key
     * rotation, docs/key-rotation.md); each owned, never logged; the
     * production rules apply to each */
    char *jwt_previous[CFG_MAX_PREVIOUS_KEYS];
    int njwt_previous;
    char *secret_key;         /* SECRET_KEY (owned, never logged) */
    char *jwt_issuer;         /* JWT_ISSUER (default valor-ivx) */
    char *jwt_audience;       /* JWT_AUDIENCE (default valor-ivx-api) */
    int jwt_leeway_s;         /* JWT_LEEWAY (default 30, 0..3600) */
    int log_json;             /* LOG_JSON (default true; true/false/1/0/yes/no/on/off) */
    int log_level;            /* LOG_LEVEL ERROR|WARNING|WARN|INFO|DEBUG, enum cfg_log_level
                                 (default INFO; DEBUG refused in production) */
    int metrics_enabled;      /* FEATURE_PROMETHEUS_METRICS (default true) */
    int worker_threads;       /* WORKER_THREADS (default 2 × cores clamped to 4..64; set: 1..64) */
    int max_connections;      /* MAX_CONNECTIONS (default 1024, 1..1000000) */
    int connection_timeout_s; /* CONNECTION_TIMEOUT_S (default 30, 1..3600) */
    int shutdown_grace_s;     /* SHUTDOWN_GRACE_S (default 10, 0..3600) */
    size_t max_body_bytes;    /* MAX_BODY_BYTES (default 1 MiB, 1..1 GiB) */
    int metrics_max_tenants;  /* METRICS_MAX_TENANTS (default 100, 1..100000): distinct
                               * `tenant` label values before "other" */
    int redis_timeout_ms;     /* REDIS_TIMEOUT_MS (default 50, 1..60000) */
    int db_timeout_ms;        /* DB_CONNECT_TIMEOUT_MS (default 2000, 1..600000) */
    int revocation_local_max; /* REVOCATION_LOCAL_MAX (default 262144, 1..10000000): revoked
                               * tokens held in the local set (revoke.h) */
    int revocation_replay_s;  /* REVOCATION_REPLAY_S (default 90000 = 25 h, 60..31622400):
                               * how far back the local set replays session.revoked events;
                               * at least ACCESS_TOKEN_TTL + JWT_LEEWAY */
    int generated_secret;     /* 1 when a development secret was generated */
};

/* Reads the shared variables for `service` (default port `default_port`).
 * On a refusal returns VALOR_E_INVALID and writes a one-line reason naming the
 * variable (never its value) into errbuf. Free with cfg_free() either way. */
int cfg_load(struct valor_cfg *cfg, const char *service, int default_port, char *errbuf,
             size_t errlen);
void cfg_free(struct valor_cfg *cfg);

/* Typed getters for service-specific variables. Each returns VALOR_OK and the
 * default when unset, VALOR_E_INVALID (reason in errbuf) when set but malformed
 * or out of [min, max]. */
int cfg_env_long(const char *name, long def, long min, long max, long *out, char *errbuf,
                 size_t errlen);
int cfg_env_bool(const char *name, int def, int *out, char *errbuf, size_t errlen);
/* Borrowed from the environment (or def when unset or empty); never NULL unless
 * def is NULL. */
const char *cfg_env_str(const char *name, const char *def);

/* 0 if `value` is acceptable as a production secret, else VALOR_E_INVALID:
 * NULL/empty, shorter than 32 bytes, or a known placeholder (case-insensitive:
 * "change-me", "secret", "your-secret-key", … as the whole value, or a marker
 * such as "replace-with-strong", "changeme", "change-in-production" anywhere). */
int cfg_secret_check(const char *value);

#endif
