/* Helpers shared by svc-financial's integration tests (static inline: each
 * test program includes what it uses). The service runs in-process on a
 * private schema "fin_<pid>_<tag>" so concurrent runs never collide. */
#ifndef FIN_TEST_H
#define FIN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "importer.h"
#include "service.h"
#include "testutil.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/http.h"

struct ft {
    struct svc_def def;
    struct svc *svc;
    char schema[64];
    int port;
};

static inline void ft_pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Runs sql (no parameters, may be NULL-returning); returns the first value
 * as a long (or -1). */
static inline long ft_sql_long(const char *sql)
{
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    long v = -1;
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, ft_pg_quiet, NULL);
    PGresult *r = PQexec(pg, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
                  "%s: %s", sql, PQerrorMessage(pg));
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(pg);
    return v;
}

static inline void ft_drop_schema(const char *schema)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", schema);
    ft_sql_long(sql);
}

/* Count of rows in schema.table matching where (SQL text, may be "true"). */
static inline long ft_count(const struct ft *t, const char *table, const char *where)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\".%s WHERE %s", t->schema, table, where);
    return ft_sql_long(sql);
}

static inline void ft_start(struct ft *t, const char *tag)
{
    memset(t, 0, sizeof(*t));
    t->def = financial_def;
    snprintf(t->schema, sizeof(t->schema), "fin_%d_%s", (int)getpid(), tag);
    t->def.schema = t->schema;
    tu_env("DATABASE_URL");
    tu_env("REDIS_URL");
    tu_env("NATS_URL");
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    ft_drop_schema(t->schema);
    int rc = svc_start(&t->def, &t->svc);
    ck_assert_msg(rc == 0, "svc_start = %d", rc);
    t->port = http_server_port(t->svc->http);
}

/* Another replica of t's service: the same schema, its own port and state
 * (as a second process would have). Stop it with ft_stop_replica(). */
static inline void ft_start_replica(const struct ft *t, struct ft *replica)
{
    *replica = *t;
    int rc = svc_start(&replica->def, &replica->svc);
    ck_assert_msg(rc == 0, "replica svc_start = %d", rc);
    replica->port = http_server_port(replica->svc->http);
}

static inline void ft_stop_replica(struct ft *replica)
{
    svc_stop(replica->svc);
    replica->svc = NULL;
}

static inline void ft_stop(struct ft *t)
{
    svc_stop(t->svc);
    t->svc = NULL;
    ft_drop_schema(t->schema);
}

/* Imports files into the service's schema; returns fin_import_file's rc of
 * the last file and fills st. report receives the problems (may be NULL). */
static inline int ft_import(struct ft *t, const char *const *files, FILE *report,
                            struct fin_import_stats *st)
{
    struct db_pool *pool = NULL;
    struct db_pool_opts o = {.url = tu_env("DATABASE_URL"), .schema = t->schema};
    int rc = 0;
    memset(st, 0, sizeof(*st));
    ck_assert_int_eq(db_pool_new(&o, &pool), 0);
    for (int i = 0; files[i] != NULL; i++)
        rc = fin_import_file(pool, files[i], report != NULL ? report : stderr, st);
    db_pool_free(pool);
    return rc;
}

static inline void ft_import_seed(struct ft *t)
{
    const char *files[] = {"svc-financial/data/seed/companies.json",
                           "svc-financial/data/seed/prices.csv", NULL};
    struct fin_import_stats st;
    ck_assert_int_eq(ft_import(t, files, NULL, &st), 0);
}

/* One request to the service. token/tenant may be NULL (header left out). */
static inline void ft_req(const struct ft *t, const char *method, const char *path,
                          const char *token, const char *tenant, const char *body,
                          struct tu_http_resp *r)
{
    char url[512], auth[1200], ten[128];
    const char *h[4];
    int n = 0;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", t->port, path);
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        h[n++] = auth;
    }
    if (tenant != NULL) {
        snprintf(ten, sizeof(ten), "X-Tenant-ID: %s", tenant);
        h[n++] = ten;
    }
    if (body != NULL)
        h[n++] = "Content-Type: application/json";
    h[n] = NULL;
    ck_assert_msg(tu_http(method, url, h, body, r) == 0, "%s %s: no response", method, path);
}

/* The body as JSON (asserts it is JSON). Caller json_decref()s. */
static inline json_t *ft_json(const struct tu_http_resp *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", r->body);
    return j;
}

/* Sends and checks the status; returns the parsed body. */
static inline json_t *ft_expect(const struct ft *t, const char *method, const char *path,
                                const char *token, const char *tenant, const char *body,
                                long status)
{
    struct tu_http_resp r;
    ft_req(t, method, path, token, tenant, body, &r);
    ck_assert_msg(r.status == status, "%s %s: %ld (expected %ld) %s", method, path, r.status,
                  status, r.body);
    json_t *j = ft_json(&r);
    tu_http_resp_free(&r);
    return j;
}

#endif
