/* auth_testlib: helpers for the svc-auth integration tests — the service
 * started in-process on a private schema, JSON requests, account set-up and
 * SQL counts. Header-only (static inline): every test program includes it. */
#ifndef VALOR_AUTH_TESTLIB_H
#define VALOR_AUTH_TESTLIB_H

#include <libpq-fe.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"
#include "testutil.h"
#include "valor/http.h"

/* Set once in main() (the parent): every forked test shares the schema. */
static char at_schema[64];
static struct svc_def at_def;
static struct svc *at_svc;
static char at_base[64];
static PGconn *at_pg;
static int at_seq;

static inline void at_init_schema(const char *tag)
{
    snprintf(at_schema, sizeof(at_schema), "auth_%s%d", tag, (int)getpid());
    at_def = auth_def;
    at_def.schema = at_schema;
}

static inline void at_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static inline PGconn *at_pg_connect(void)
{
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, at_quiet, NULL);
    return pg;
}

/* Drops the private schema (main(), after the suite). */
static inline void at_drop_schema(void)
{
    PGconn *pg = PQconnectdb(getenv("DATABASE_URL") ? getenv("DATABASE_URL") : "");
    if (PQstatus(pg) == CONNECTION_OK) {
        char *id = PQescapeIdentifier(pg, at_schema, strlen(at_schema)), sql[160];
        PQsetNoticeProcessor(pg, at_quiet, NULL);
        snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", id);
        PQfreemem(id);
        PQclear(PQexec(pg, sql));
    }
    PQfinish(pg);
}

/* Checked fixture: the service on an ephemeral port, and a SQL connection. */
static inline void at_start(void)
{
    tu_env("REDIS_URL");
    tu_env("NATS_URL");
    tu_env("JWT_SECRET_KEY");
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    if (getenv("BCRYPT_COST") == NULL)
        setenv("BCRYPT_COST", "4", 1);
    at_pg = at_pg_connect();
    int rc = svc_start(&at_def, &at_svc);
    ck_assert_msg(rc == 0, "svc_start = %d", rc);
    snprintf(at_base, sizeof(at_base), "http://127.0.0.1:%d", http_server_port(at_svc->http));
}

static inline void at_stop(void)
{
    svc_stop(at_svc);
    at_svc = NULL;
    PQfinish(at_pg);
    at_pg = NULL;
}

/* A name no other test of this run uses: PREFIX + pid + sequence. */
static inline void at_name(char *buf, size_t len, const char *prefix)
{
    snprintf(buf, len, "%s%dx%d", prefix, (int)getpid(), ++at_seq);
}

struct at_resp {
    long status;
    json_t *json; /* parsed body or NULL */
    char *body;   /* raw body, owned */
    struct tu_http_resp raw;
};

/* One request. token may be NULL; extra is one more header ("Name: value") or NULL. */
static inline void at_req_h(const char *method, const char *path, const char *token,
                            const char *body, const char *extra, struct at_resp *r)
{
    char url[512], auth[1200];
    const char *headers[4] = {NULL, NULL, NULL, NULL};
    int n = 0;

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s%s", at_base, path);
    if (body != NULL)
        headers[n++] = "Content-Type: application/json";
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        headers[n++] = auth;
    }
    if (extra != NULL)
        headers[n++] = extra;
    ck_assert_msg(tu_http(method, url, headers, body, &r->raw) == 0, "%s %s: no response", method,
                  path);
    r->status = r->raw.status;
    r->body = r->raw.body;
    r->json = json_loads(r->body, 0, NULL);
}

static inline void at_req(const char *method, const char *path, const char *token, const char *body,
                          struct at_resp *r)
{
    at_req_h(method, path, token, body, NULL, r);
}

static inline void at_free(struct at_resp *r)
{
    json_decref(r->json);
    tu_http_resp_free(&r->raw);
    memset(r, 0, sizeof(*r));
}

static inline const char *at_str(const struct at_resp *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

/* Asserts status and {"error": msg}. */
static inline void at_expect_error(const struct at_resp *r, long status, const char *msg)
{
    ck_assert_msg(r->status == status, "expected %ld got %ld: %s", status, r->status, r->body);
    ck_assert_msg(at_str(r, "error") != NULL && strcmp(at_str(r, "error"), msg) == 0,
                  "expected error '%s' got %s", msg, r->body);
}

/* Asserts 400 ValidationError naming field (and msg when not NULL). */
static inline void at_expect_validation(const struct at_resp *r, const char *field, const char *msg)
{
    json_t *d = json_array_get(json_object_get(r->json, "details"), 0);
    at_expect_error(r, 400, "ValidationError");
    ck_assert_msg(d != NULL && strcmp(json_string_value(json_object_get(d, "field")), field) == 0,
                  "expected field %s: %s", field, r->body);
    if (msg != NULL)
        ck_assert_msg(strcmp(json_string_value(json_object_get(d, "msg")), msg) == 0,
                      "expected msg '%s': %s", msg, r->body);
}

/* A registered tenant admin (or a member made by an admin). */
struct at_account {
    char username[64], email[96], password[64], tenant[64];
    char id[24];
    char access[1024], refresh[128];
};

static inline void at_keep_tokens(const struct at_resp *r, struct at_account *a)
{
    json_t *user = json_object_get(r->json, "user");
    snprintf(a->access, sizeof(a->access), "%s", at_str(r, "access_token"));
    snprintf(a->refresh, sizeof(a->refresh), "%s", at_str(r, "refresh_token"));
    snprintf(a->id, sizeof(a->id), "%lld",
             (long long)json_integer_value(json_object_get(user, "id")));
    snprintf(a->tenant, sizeof(a->tenant), "%s",
             json_string_value(json_object_get(user, "tenant")));
}

static inline void at_register(const char *prefix, struct at_account *a)
{
    struct at_resp r;
    char body[512];
    memset(a, 0, sizeof(*a));
    at_name(a->username, sizeof(a->username), prefix);
    snprintf(a->email, sizeof(a->email), "%s@example.com", a->username);
    snprintf(a->password, sizeof(a->password), "Valid-Pass-%d!", (int)getpid());
    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"%s\"}",
             a->username, a->email, a->password);
    at_req("POST", "/api/auth/register", NULL, body, &r);
    ck_assert_msg(r.status == 201, "register: %ld %s", r.status, r.body);
    at_keep_tokens(&r, a);
    at_free(&r);
}

/* A member of admin's tenant with `role`, logged in. */
static inline void at_member(const struct at_account *admin, const char *role, struct at_account *m)
{
    struct at_resp r;
    char body[512];
    memset(m, 0, sizeof(*m));
    at_name(m->username, sizeof(m->username), role);
    snprintf(m->email, sizeof(m->email), "%s@example.org", m->username);
    snprintf(m->password, sizeof(m->password), "Member-Pass-%d!", (int)getpid());
    snprintf(body, sizeof(body),
             "{\"username\":\"%s\",\"email\":\"%s\",\"password\":\"%s\",\"role\":\"%s\"}",
             m->username, m->email, m->password, role);
    at_req("POST", "/api/auth/users", admin->access, body, &r);
    ck_assert_msg(r.status == 201, "create member: %ld %s", r.status, r.body);
    at_free(&r);
    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", m->username,
             m->password);
    at_req("POST", "/api/auth/login", NULL, body, &r);
    ck_assert_msg(r.status == 200, "member login: %ld %s", r.status, r.body);
    at_keep_tokens(&r, m);
    at_free(&r);
}

/* SELECT count(*) … with printf-style SQL built from trusted test values. */
static inline long at_count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline long at_count(const char *fmt, ...)
{
    char sql[1024], full[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "SET search_path = %s; %s", at_schema, sql);
    PGresult *res = PQexec(at_pg, full);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "SQL %s: %s", sql, PQerrorMessage(at_pg));
    long n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

static inline void at_sql(const char *sql)
{
    char full[1200];
    snprintf(full, sizeof(full), "SET search_path = %s; %s", at_schema, sql);
    PGresult *res = PQexec(at_pg, full);
    ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "SQL %s: %s", sql,
                  PQerrorMessage(at_pg));
    PQclear(res);
}

#endif
