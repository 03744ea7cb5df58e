/* Helpers of the svc-runs integration tests, header-only (the build links
 * one test_<x>.c per program): the service in-process on a private schema
 * "runs_it<pid of the test runner>", HTTP calls with a token, JSON paths,
 * counts straight from PostgreSQL. */
#ifndef RUNS_TEST_API_HELPERS_H
#define RUNS_TEST_API_HELPERS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"
#include "valor/http.h"
#include "valor/svc.h"

struct api_resp {
    long status;
    json_t *json; /* NULL when the body is not JSON */
    char *body;
};

static char api_schema_buf[64];
static struct svc_def api_def;
static struct svc *api_svc;
static char api_base[64];

__attribute__((unused)) static const char *api_schema(void)
{
    if (api_schema_buf[0] == '\0')
        snprintf(api_schema_buf, sizeof(api_schema_buf), "runs_it%d", (int)getpid());
    return api_schema_buf;
}

__attribute__((unused)) static void api_start(void)
{
    api_def = runs_def;
    api_def.schema = api_schema();
    tu_env("DATABASE_URL");
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    setenv("MC_MAX_TRIALS", "20000", 1);
    ck_assert_int_eq(svc_start(&api_def, &api_svc), 0);
    snprintf(api_base, sizeof(api_base), "http://127.0.0.1:%d", http_server_port(api_svc->http));
}

__attribute__((unused)) static void api_stop(void)
{
    svc_stop(api_svc);
    api_svc = NULL;
}

__attribute__((unused)) static void api_call_raw(const char *method, const char *path,
                                                 const char *const *headers, const char *body,
                                                 struct api_resp *r)
{
    struct tu_http_resp h;
    char url[512];

    snprintf(url, sizeof(url), "%s%s", api_base, path);
    ck_assert_msg(tu_http(method, url, headers, body, &h) == 0, "%s %s: no response", method, path);
    r->status = h.status;
    r->body = h.body;
    h.body = NULL;
    r->json = json_loads(r->body, JSON_DECODE_ANY, NULL);
    tu_http_resp_free(&h);
}

__attribute__((unused)) static void api_call(const char *method, const char *path,
                                             const char *token, const char *tenant,
                                             const char *body, struct api_resp *r)
{
    char auth[2048], ten[128];
    const char *headers[4];
    int n = 0;

    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        headers[n++] = auth;
    }
    if (tenant != NULL) {
        snprintf(ten, sizeof(ten), "X-Tenant-ID: %s", tenant);
        headers[n++] = ten;
    }
    headers[n++] = "Content-Type: application/json";
    headers[n] = NULL;
    api_call_raw(method, path, headers, body, r);
}

__attribute__((unused)) static void api_free(struct api_resp *r)
{
    json_decref(r->json);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

__attribute__((unused)) static json_t *api_get(json_t *j, const char *path)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *k = strtok_r(buf, ".", &save); j != NULL && k != NULL;
         k = strtok_r(NULL, ".", &save)) {
        if (json_is_array(j))
            j = json_array_get(j, strtoul(k, NULL, 10));
        else
            j = json_object_get(j, k);
    }
    return j;
}

__attribute__((unused)) static const char *api_str(json_t *j, const char *path)
{
    const char *s = json_string_value(api_get(j, path));
    return s != NULL ? s : "<missing>";
}

__attribute__((unused)) static long long api_int(json_t *j, const char *path)
{
    json_t *v = api_get(j, path);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", path);
    return json_integer_value(v);
}

__attribute__((unused)) static PGconn *api_pg(void)
{
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
    return pg;
}

__attribute__((unused)) static long api_count(const char *sql, const char *p1, const char *p2)
{
    PGconn *pg = api_pg();
    char set[128];
    const char *params[2] = {p1, p2};
    PGresult *res;
    long n;

    snprintf(set, sizeof(set), "SET search_path = %s", api_schema());
    PQclear(PQexec(pg, set));
    res = PQexecParams(pg, sql, p2 != NULL ? 2 : p1 != NULL ? 1 : 0, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(pg));
    n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    PQfinish(pg);
    return n;
}

/* Drops the private schema (main(), before and after the suite). */
__attribute__((unused)) static void api_drop_schema(void)
{
    PGconn *pg = PQconnectdb(getenv("DATABASE_URL") ? getenv("DATABASE_URL") : "");
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE", api_schema());
    if (PQstatus(pg) == CONNECTION_OK)
        PQclear(PQexec(pg, sql));
    PQfinish(pg);
}

/* A token for user `sub` of tenant `tenant` with `role` (10 minutes). Caller frees. */
__attribute__((unused)) static char *api_token(const char *tenant, const char *sub,
                                               const char *role)
{
    return tu_token(tenant, sub, role, 600);
}

/* "it-<runner pid>-<name>": a tenant slug of this run. */
__attribute__((unused)) static const char *api_tenant(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "it-%s-%s", api_schema() + 7, name);
    return buf;
}

#endif
