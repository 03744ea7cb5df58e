/* svc: the start-up and shutdown every back-end service shares (see svc.h). */
#include "valor/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/app.h"
#include "valor/bus.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/kv.h"
#include "valor/log.h"
#include "valor/metrics.h"
#include "valor/revoke.h"

/* Bookkeeping svc_stop() needs beyond the public struct. */
struct svc_full {
    struct svc pub;       /* first: a struct svc * is a struct svc_full * */
    int cfg_loaded;       /* cfg_free() needed */
    int log_open;         /* log_close() needed */
    int routes_installed; /* def->cleanup() needed */
    int started;          /* svc_start() succeeded */
};

static void add_check(json_t *checks, const char *name, int ok, const char *detail, int ms)
{
    json_object_set_new(checks, name,
                        json_pack("{s:b, s:s, s:i}", "ok", ok, "detail", detail, "latency_ms", ms));
}

/* /ready: PostgreSQL, Redis and NATS, each with ok, detail and latency. */
static int svc_ready(void *ud, json_t *checks)
{
    struct svc *s = ud;
    int ms = 0, all = 1, rc;

    rc = db_ping(s->db, &ms);
    add_check(checks, "db", rc == VALOR_OK, rc == VALOR_OK ? "ok" : valor_err_message(rc), ms);
    all &= rc == VALOR_OK;

    struct kv_client *kv = kv_pool_get(s->kv);
    ms = 0;
    rc = kv != NULL ? kv_ping(kv, &ms) : VALOR_E_NOMEM;
    add_check(checks, "redis", rc == VALOR_OK, rc == VALOR_OK ? "ok" : valor_err_message(rc), ms);
    all &= rc == VALOR_OK;

    rc = bus_connected(s->bus);
    add_check(checks, "nats", rc, rc ? "ok" : "not connected", 0);
    all &= rc != 0;
    return all ? VALOR_OK : VALOR_E_UNAVAILABLE;
}

static int open_data(struct svc *s)
{
    const struct svc_def *def = s->def;
    const struct valor_cfg *cfg = &s->cfg;
    int rc;

    if (cfg->database_url == NULL || cfg->database_url[0] == '\0') {
        log_error(NULL, "startup", "DATABASE_URL is not set");
        return VALOR_E_INVALID;
    }
    size_t nmigrations = 0;
    while (def->migrations != NULL && def->migrations[nmigrations].name != NULL)
        nmigrations++;
    rc = db_migrate(cfg->database_url, def->schema, def->migrations, nmigrations,
                    cfg->db_timeout_ms);
    if (rc == VALOR_E_CONFLICT) /* an applied migration changed: logged, a refusal (exit 2) */
        return VALOR_E_INVALID;
    if (rc != VALOR_OK) {
        log_error(NULL, "startup", "migrations of schema %s failed (%s)", def->schema,
                  valor_err_name(rc));
        return rc;
    }
    struct db_pool_opts dbo = {.url = cfg->database_url,
                               .schema = def->schema,
                               .stmts = def->stmts,
                               .nstmts = def->nstmts,
                               .connect_timeout_ms = cfg->db_timeout_ms};
    rc = db_pool_new(&dbo, &s->db);
    if (rc != VALOR_OK) {
        log_error(NULL, "startup", "PostgreSQL pool: %s", valor_err_name(rc));
        return rc;
    }
    struct kv_opts kvo = {.url = cfg->redis_url, .command_timeout_ms = cfg->redis_timeout_ms};
    rc = kv_pool_new(&kvo, &s->kv);
    if (rc != VALOR_OK) {
        log_error(NULL, "startup", "REDIS_URL is not a valid redis:// URL");
        return rc;
    }
    struct bus_opts bo = {.url = cfg->nats_url, .name = def->name};
    rc = bus_open(&bo, &s->bus);
    if (rc == VALOR_OK)
        rc = bus_publisher_start(s->bus, s->db, s->metrics, &s->publisher);
    if (rc != VALOR_OK) {
        log_error(NULL, "startup", "NATS / outbox publisher: %s", valor_err_name(rc));
        return rc;
    }
    struct revoke_opts ro = {.kv = s->kv,
                             .bus = s->bus,
                             .max_entries = (size_t)cfg->revocation_local_max,
                             .replay_s = cfg->revocation_replay_s,
                             .leeway_s = cfg->jwt_leeway_s,
                             .reg = s->metrics};
    rc = revoke_new(&ro, &s->revoke);
    if (rc != VALOR_OK)
        log_error(NULL, "startup", "revocation set: %s", valor_err_name(rc));
    return rc;
}

static int open_http(struct svc_full *f)
{
    struct svc *s = &f->pub;
    const struct valor_cfg *cfg = &s->cfg;
    struct http_server_opts ho = {.service = s->def->name,
                                  .bind_host = cfg->host,
                                  .port = cfg->port,
                                  .threads = cfg->worker_threads,
                                  .max_connections = cfg->max_connections,
                                  .connection_timeout_s = cfg->connection_timeout_s,
                                  .max_body_bytes = cfg->max_body_bytes,
                                  .metrics = s->metrics,
                                  .max_tenants = (size_t)cfg->metrics_max_tenants};
    int rc = http_server_new(&ho, &s->http);
    if (rc == VALOR_OK)
        rc = http_add_service_routes(s->http, VALOR_VERSION, svc_ready, s, cfg->metrics_enabled);
    if (rc == VALOR_OK && s->def->register_routes != NULL) {
        f->routes_installed = 1;
        rc = s->def->register_routes(s);
    }
    if (rc != VALOR_OK) {
        log_error(NULL, "startup", "HTTP routes: %s", valor_err_name(rc));
        return rc;
    }
    rc = http_server_start(s->http);
    if (rc != VALOR_OK)
        log_error(NULL, "startup", "cannot listen on %s:%d", cfg->host, cfg->port);
    return rc;
}

int svc_start(const struct svc_def *def, struct svc **out)
{
    struct svc_full *f = NULL;
    struct svc *s;
    char why[256];
    int rc;

    *out = NULL;
    if (def == NULL || def->name == NULL || def->schema == NULL)
        return VALOR_E_INVALID;
    f = calloc(1, sizeof(*f));
    if (f == NULL)
        return VALOR_E_NOMEM;
    s = &f->pub;
    s->def = def;
    f->cfg_loaded = 1;
    rc = cfg_load(&s->cfg, def->name, def->default_port, why, sizeof(why));
    if (rc != VALOR_OK) {
        /* the reason names the variable, never its value */
        log_init(def->name, 1, CFG_LOG_INFO);
        f->log_open = 1;
        log_error(NULL, "config_refused", "%s", why);
        rc = VALOR_E_INVALID;
        goto out;
    }
    if (log_init(def->name, s->cfg.log_json, s->cfg.log_level) == VALOR_OK)
        f->log_open = 1;
    if (s->cfg.generated_secret)
        log_warn(NULL, "config",
                 "JWT_SECRET_KEY/SECRET_KEY not set: using a random "
                 "development secret (tokens die with the process)");
    vjwt_params_from_cfg(&s->jwt, &s->cfg);

    if (s->cfg.metrics_enabled) {
        rc = VALOR_E_NOMEM;
        s->metrics = metrics_registry_new();
        if (s->metrics == NULL || (rc = metrics_add_process_collector(s->metrics)) != VALOR_OK)
            goto out;
    }
    if ((rc = open_data(s)) != VALOR_OK || (rc = open_http(f)) != VALOR_OK)
        goto out;
    f->started = 1;
    *out = s;
    f = NULL;
out:
    if (f != NULL)
        svc_stop(&f->pub);
    return rc;
}

void svc_stop(struct svc *s)
{
    struct svc_full *f = (struct svc_full *)s;
    if (s == NULL)
        return;
    /* no request runs after this, so the service state may go */
    http_server_stop(s->http, s->cfg.shutdown_grace_s);
    http_server_free(s->http);
    s->http = NULL;
    /* before the bus and the pools: priv may hold consumers that use them */
    if (f->routes_installed && s->def->cleanup != NULL)
        s->def->cleanup(s);
    s->priv = NULL;
    bus_publisher_stop(s->publisher);
    revoke_free(s->revoke); /* its subscription lives on the bus */
    bus_close(s->bus);
    kv_pool_free(s->kv);
    db_pool_free(s->db);
    metrics_registry_free(s->metrics);
    if (f->started)
        log_info(NULL, "stopped", "%s stopped", s->def->name);
    if (f->log_open)
        log_close();
    if (f->cfg_loaded)
        cfg_free(&s->cfg);
    free(f);
}

int svc_main(const struct svc_def *def, int argc, char **argv)
{
    struct svc *s = NULL;
    int rc, sig;

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", def->name, VALOR_VERSION);
        return 0;
    }
    if (app_signals_init() != VALOR_OK) {
        fprintf(stderr, "%s: cannot set up signal handling\n", def->name);
        return 1;
    }
    rc = svc_start(def, &s);
    if (rc == VALOR_E_INVALID)
        return 2;
    if (rc != VALOR_OK)
        return 1;
    log_info(NULL, "listening", "%s %s listening on %s:%d", def->name, VALOR_VERSION, s->cfg.host,
             http_server_port(s->http));
    sig = app_wait_signal();
    log_info(NULL, "shutdown", "signal %d: draining for up to %d s", sig, s->cfg.shutdown_grace_s);
    svc_stop(s);
    return 0;
}
