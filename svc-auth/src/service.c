/* svc-auth: configuration, routes and the audit consumer (api.md §2). */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>

#include "audit_consumer.h"
#include "handlers.h"
#include "reseed.h"
#include "valor/cfg.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/kv.h"
#include "valor/log.h"
#include "valor/migrations.h"

#define BCRYPT_COST_PRODUCTION_MIN 10

/* ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL, BCRYPT_COST, REVOCATION_CHECK_MS;
 * VALOR_E_INVALID (logged,
 * naming the variable) when malformed or, in production, BCRYPT_COST < 10. */
static int load_config(struct auth_state *st, int production)
{
    char why[256];
    long cost = 0;

    if (cfg_env_long("ACCESS_TOKEN_TTL", 900, 30, 86400, &st->access_ttl_s, why, sizeof(why)) !=
            VALOR_OK ||
        cfg_env_long("REFRESH_TOKEN_TTL", 30L * 86400, 60, 366L * 86400, &st->refresh_ttl_s, why,
                     sizeof(why)) != VALOR_OK ||
        cfg_env_long("BCRYPT_COST", 12, 4, 31, &cost, why, sizeof(why)) != VALOR_OK ||
        cfg_env_long("REVOCATION_CHECK_MS", 500, 10, 60000, &st->revocation_check_ms, why,
                     sizeof(why)) != VALOR_OK) {
        log_error(NULL, "config_refused", "%s", why);
        return VALOR_E_INVALID;
    }
    if (production && cost < BCRYPT_COST_PRODUCTION_MIN) {
        log_error(NULL, "config_refused", "BCRYPT_COST must be at least %d in production",
                  BCRYPT_COST_PRODUCTION_MIN);
        return VALOR_E_INVALID;
    }
    st->bcrypt_cost = (int)cost;
    return VALOR_OK;
}

/* A hash of a random password at the configured cost, for timing-equal
 * login failures. */
static int make_dummy_hash(struct auth_state *st)
{
    char pw[33];
    int rc = crypto_random_token(24, pw, sizeof(pw));
    if (rc == VALOR_OK)
        rc = crypto_bcrypt_hash(pw, st->bcrypt_cost, st->dummy_hash);
    return rc;
}

static const struct {
    const char *method, *path;
    http_handler h;
} routes[] = {
    {"POST", "/api/auth/register", auth_register},
    {"POST", "/api/auth/login", auth_login},
    {"POST", "/api/auth/refresh", auth_refresh},
    {"POST", "/api/auth/logout", auth_logout},
    {"GET", "/api/auth/profile", auth_profile},
    {"GET", "/api/auth/users", auth_users_list},
    {"POST", "/api/auth/users", auth_users_create},
    {"PATCH", "/api/auth/users/:id", auth_users_patch},
    {"GET", "/api/audit", auth_audit_list},
};

static int register_routes(struct svc *s)
{
    struct auth_state *st = calloc(1, sizeof(*st));
    char durable[64];
    int rc;

    if (st == NULL)
        return VALOR_E_NOMEM;
    st->svc = s;
    s->priv = st;
    if ((rc = load_config(st, s->cfg.production)) != VALOR_OK)
        return rc;
    if ((rc = make_dummy_hash(st)) != VALOR_OK) {
        log_error(NULL, "startup", "bcrypt self-test failed: %s", valor_err_name(rc));
        return rc;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if ((rc = http_route(s->http, routes[i].method, routes[i].path, routes[i].h, st)) !=
            VALOR_OK)
            return rc;
    /* One durable consumer per schema: replicas share it, a test schema
     * gets its own. */
    snprintf(durable, sizeof(durable), "%s_audit", s->def->schema);
    rc = audit_consumer_start(s->bus, s->db, durable, &st->consumer);
    if (rc != VALOR_OK) {
        log_error(NULL, "startup", "audit consumer: %s", valor_err_name(rc));
        return rc;
    }
    struct kv_opts ko = {.url = s->cfg.redis_url,
                         .command_timeout_ms =
                             s->cfg.redis_timeout_ms > 1000 ? s->cfg.redis_timeout_ms : 1000};
    if ((rc = kv_pool_new(&ko, &st->denylist_kv)) != VALOR_OK)
        return rc;
    rc = reseed_start(s, (int)st->revocation_check_ms, &st->reseed);
    if (rc != VALOR_OK)
        log_error(NULL, "startup", "revocation re-seeder: %s", valor_err_name(rc));
    return rc;
}

static void cleanup(struct svc *s)
{
    struct auth_state *st = s->priv;
    if (st == NULL)
        return;
    reseed_stop(st->reseed);
    audit_consumer_stop(st->consumer);
    kv_pool_free(st->denylist_kv);
    free(st);
    s->priv = NULL;
}

const struct svc_def auth_def = {
    .name = "auth",
    .schema = "auth",
    .default_port = 5101,
    .migrations = valor_migrations,
    .stmts = NULL,
    .nstmts = 0,
    .register_routes = register_routes,
    .cleanup = cleanup,
};
