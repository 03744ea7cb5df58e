/* svc: what every back-end service has in common — configuration, logging,
 * migrations, the PostgreSQL pool, Redis, NATS with the outbox publisher, the
 * HTTP server with /health, /ready and /metrics — so a service's main.c only
 * names its schema, migrations and routes.
 *
 * Integration tests start a service in-process with svc_start() (PORT=0 for
 * an ephemeral port) and stop it with svc_stop().
 */
#ifndef VALOR_SVC_H
#define VALOR_SVC_H

#include <stddef.h>

#include "valor/cfg.h"
#include "valor/jwt.h"

struct db_migration;
struct db_stmt;
struct db_pool;
struct kv_pool;
struct revoke;
struct bus;
struct bus_publisher;
struct http_server;
struct metrics_registry;

struct svc;

struct svc_def {
    const char *name;   /* "auth", "runs", "financial", "deals" */
    const char *schema; /* PostgreSQL schema it owns */
    int default_port;
    /* Common and own migrations in name order, ended by an entry whose name
     * is NULL (valor_migrations from valor/migrations.h). */
    const struct db_migration *migrations;
    const struct db_stmt *stmts; /* prepared on every connection */
    size_t nstmts;
    /* Registers the service's routes (http_route) on s->http; may set s->priv. */
    int (*register_routes)(struct svc *s);
    /* Frees s->priv; may be NULL. */
    void (*cleanup)(struct svc *s);
};

struct svc {
    const struct svc_def *def;
    struct valor_cfg cfg;
    struct vjwt_params jwt; /* points into cfg */
    struct metrics_registry *metrics;
    struct db_pool *db;
    struct kv_pool *kv;
    struct revoke *revoke; /* which tokens are revoked: local set + Redis (revoke.h) */
    struct bus *bus;
    struct bus_publisher *publisher;
    struct http_server *http;
    void *priv; /* the service's own state */
};

/* Loads configuration, applies the common and the service's migrations,
 * opens PostgreSQL/Redis/NATS, starts the outbox publisher and the HTTP
 * server. On a refusal — the configuration, or an applied migration whose
 * SQL changed (db_migrate) — returns VALOR_E_INVALID (the reason is logged
 * in one line). Caller stops with svc_stop(). */
int svc_start(const struct svc_def *def, struct svc **out);
/* Drains HTTP (SHUTDOWN_GRACE_S), stops the publisher, frees everything. */
void svc_stop(struct svc *s);
/* main(): svc_start, wait for SIGTERM/SIGINT, svc_stop. Exit status: 0, or 2
 * on a refusal (configuration, changed migration), 1 on another start-up
 * failure. */
int svc_main(const struct svc_def *def, int argc, char **argv);

#endif
