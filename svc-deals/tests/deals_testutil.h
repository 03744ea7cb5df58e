/* deals_testutil: what the svc-deals API tests share — the service started
 * in-process on a private schema, tokens for two tenants, one-call HTTP
 * requests with JSON parsing, and direct row counts to prove that refused
 * writes wrote nothing. Static inline so each test program takes what it uses.
 */
#ifndef VALOR_DEALS_TESTUTIL_H
#define VALOR_DEALS_TESTUTIL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"
#include "testutil.h"
#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/svc.h"

/* The service of this test (each forked test starts its own on the same schema). */
struct dt {
    struct svc *svc;
    int port;
    char tenant_a[48], tenant_b[48];
    char *analyst_a, *analyst2_a, *admin_a, *viewer_a, *analyst_b;
};

static struct dt dt;

/* The schema of this test program: "deals_t<pid of main>". */
static inline const char *dt_schema(void)
{
    static char schema[48];
    if (schema[0] == '\0') {
        const char *s = getenv("DT_SCHEMA");
        if (s != NULL)
            snprintf(schema, sizeof(schema), "%s", s);
        else
            snprintf(schema, sizeof(schema), "deals_t%d", (int)getpid());
    }
    return schema;
}

/* Checked fixture: starts svc-deals in this (forked) test process. */
static inline void dt_setup(void)
{
    static struct svc_def def;
    static unsigned serial;
    unsigned rnd = 0;
    def = deals_def;
    def.schema = dt_schema();
    tu_env("DATABASE_URL");
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    ck_assert_int_eq(svc_start(&def, &dt.svc), VALOR_OK);
    dt.port = http_server_port(dt.svc->http);
    serial++;
    /* unique per test: the forked test's pid, a counter (CK_FORK=no) and randomness */
    ck_assert_int_eq(crypto_random(&rnd, sizeof(rnd)), VALOR_OK);
    snprintf(dt.tenant_a, sizeof(dt.tenant_a), "ta-%d-%u-%u", (int)getpid(), serial, rnd % 100000);
    snprintf(dt.tenant_b, sizeof(dt.tenant_b), "tb-%d-%u-%u", (int)getpid(), serial, rnd % 100000);
    dt.analyst_a = tu_token(dt.tenant_a, "101", "analyst", 600);
    dt.analyst2_a = tu_token(dt.tenant_a, "102", "analyst", 600);
    dt.admin_a = tu_token(dt.tenant_a, "100", "admin", 600);
    dt.viewer_a = tu_token(dt.tenant_a, "103", "viewer", 600);
    dt.analyst_b = tu_token(dt.tenant_b, "201", "analyst", 600);
}

static inline void dt_teardown(void)
{
    svc_stop(dt.svc);
    free(dt.analyst_a);
    free(dt.analyst2_a);
    free(dt.admin_a);
    free(dt.viewer_a);
    free(dt.analyst_b);
    memset(&dt, 0, sizeof(dt));
}

/* Drops the program's schema (from main, after the suite). */
static inline void dt_drop_schema(void)
{
    char sql[128];
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", dt_schema());
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    PQclear(PQexec(pg, sql));
    PQfinish(pg);
}

/* One response, parsed. */
struct dt_resp {
    long status;
    json_t *json; /* NULL when the body is not JSON (or empty) */
    struct tu_http_resp raw;
};

static inline void dt_free(struct dt_resp *r)
{
    json_decref(r->json);
    tu_http_resp_free(&r->raw);
    memset(r, 0, sizeof(*r));
}

/* method path with token (NULL: no Authorization) for tenant (NULL: no
 * X-Tenant-ID), JSON body (NULL: none) and up to 2 extra "Name: value"
 * headers (NULL-ended varargs). Frees *r first if it holds a response. */
static inline void dt_req(struct dt_resp *r, const char *method, const char *path,
                          const char *token, const char *tenant, const char *body, ...)
{
    char url[512], auth[1024], ten[128];
    const char *headers[8];
    const char *h;
    size_t n = 0;
    va_list ap;

    dt_free(r);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", dt.port, path);
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        headers[n++] = auth;
    }
    if (tenant != NULL) {
        snprintf(ten, sizeof(ten), "X-Tenant-ID: %s", tenant);
        headers[n++] = ten;
    }
    if (body != NULL)
        headers[n++] = "Content-Type: application/json";
    va_start(ap, body);
    while (n < 7 && (h = va_arg(ap, const char *)) != NULL)
        headers[n++] = h;
    va_end(ap);
    headers[n] = NULL;
    tu_http(method, url, headers, body, &r->raw);
    r->status = r->raw.status;
    r->json = r->raw.len > 0 ? json_loadb(r->raw.body, r->raw.len, 0, NULL) : NULL;
}

/* Shorthands: as analyst A / B. */
#define DT_A(r, m, p, b) dt_req((r), (m), (p), dt.analyst_a, dt.tenant_a, (b), NULL)
#define DT_B(r, m, p, b) dt_req((r), (m), (p), dt.analyst_b, dt.tenant_b, (b), NULL)

/* The string at a dotted path ("data.run_id"), or "" (never NULL). */
static inline json_t *dt_get(const json_t *j, const char *path)
{
    char buf[128], *save = NULL, *part;
    json_t *cur = (json_t *)j;
    snprintf(buf, sizeof(buf), "%s", path);
    for (part = strtok_r(buf, ".", &save); part != NULL && cur != NULL;
         part = strtok_r(NULL, ".", &save)) {
        if (json_is_array(cur))
            cur = json_array_get(cur, (size_t)atoi(part));
        else
            cur = json_object_get(cur, part);
    }
    return cur;
}

static inline const char *dt_str(const struct dt_resp *r, const char *path)
{
    const char *s = json_string_value(dt_get(r->json, path));
    return s != NULL ? s : "";
}

static inline double dt_num(const struct dt_resp *r, const char *path)
{
    json_t *v = dt_get(r->json, path);
    ck_assert_msg(json_is_number(v), "%s is not a number in %s", path,
                  r->raw.body ? r->raw.body : "(none)");
    return json_number_value(v);
}

/* Asserts status and (when not NULL) the "error" message. */
static inline void dt_expect_at(const struct dt_resp *r, long status, const char *err,
                                const char *file, int line)
{
    ck_assert_msg(r->status == status, "%s:%d: status %ld, want %ld: %s", file, line, r->status,
                  status, r->raw.body ? r->raw.body : "");
    if (err != NULL)
        ck_assert_msg(strcmp(dt_str(r, "error"), err) == 0, "%s:%d: error '%s', want '%s'", file,
                      line, dt_str(r, "error"), err);
}

#define dt_expect(r, st, err) dt_expect_at((r), (st), (err), __FILE__, __LINE__)

/* Asserts a 400 ValidationError naming `field`. */
static inline void dt_expect_field_at(const struct dt_resp *r, const char *field, const char *file,
                                      int line)
{
    dt_expect_at(r, 400, "ValidationError", file, line);
    ck_assert_msg(strcmp(dt_str(r, "details.0.field"), field) == 0,
                  "%s:%d: field '%s', want '%s': %s", file, line, dt_str(r, "details.0.field"),
                  field, r->raw.body);
}

#define dt_expect_field(r, field) dt_expect_field_at((r), (field), __FILE__, __LINE__)

/* A single integer from SQL run on the test schema ($1 = arg). */
static inline long dt_sql_long(const char *sql, const char *arg)
{
    char set[96];
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    PGresult *res;
    const char *params[1] = {arg};
    long v;

    snprintf(set, sizeof(set), "SET search_path = %s", dt_schema());
    PQclear(PQexec(pg, set));
    res = PQexecParams(pg, sql, arg != NULL ? 1 : 0, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(pg));
    v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    PQfinish(pg);
    return v;
}

/* Rows of `table` for tenant; events of `type` for tenant (in the outbox). */
static inline long dt_rows(const char *table, const char *tenant)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE tenant_id = $1", table);
    return dt_sql_long(sql, tenant);
}

static inline long dt_events(const char *type, const char *tenant)
{
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM outbox WHERE type = '%s' AND payload->>'tenant' = $1", type);
    return dt_sql_long(sql, tenant);
}

/* Registers the fixture and a 60 s timeout on a new test case. */
static inline TCase *dt_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, dt_setup, dt_teardown);
    tcase_set_timeout(tc, 60);
    return tc;
}

/* main(): runs the suite on a fresh schema and drops it after. */
static inline int dt_main(Suite *s)
{
    int rc;
    char schema[48];
    snprintf(schema, sizeof(schema), "deals_t%d", (int)getpid());
    setenv("DT_SCHEMA", schema, 1);
    dt_drop_schema();
    rc = tu_run(s);
    dt_drop_schema();
    return rc;
}

#endif
