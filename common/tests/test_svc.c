/* svc: a tiny service started in-process against the test stack
 * (DATABASE_URL, REDIS_URL, NATS_URL), on an ephemeral port. */
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/db.h"
#include "valor/err.h"
#include "valor/http.h"
#include "valor/svc.h"

static char outbox_sql[8192];
static struct db_migration migs[3]; /* the last one stays {NULL, NULL} */
static char schema[64];
static int cleanup_calls;
static char *stack_redis_url; /* REDIS_URL as the stack exported it */

/* The common outbox migration, read from the source tree (the services get
 * it embedded by scripts/embed-sql.sh). */
static void load_outbox_migration(void)
{
    const char *paths[] = {"common/migrations/000_outbox.sql",
                           "../common/migrations/000_outbox.sql",
                           "../../common/migrations/000_outbox.sql", NULL};
    FILE *f = NULL;
    for (int i = 0; f == NULL && paths[i] != NULL; i++)
        f = fopen(paths[i], "r");
    ck_assert_msg(f != NULL, "common/migrations/000_outbox.sql not found from the cwd");
    size_t n = fread(outbox_sql, 1, sizeof(outbox_sql) - 1, f);
    fclose(f);
    outbox_sql[n] = '\0';
    migs[0] = (struct db_migration){"000_outbox.sql", outbox_sql};
    migs[1] = (struct db_migration){
        "001_widgets.sql", "CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL);"};
}

static void h_count(struct http_ctx *ctx)
{
    struct svc *s = ctx->ud;
    struct db_conn *c = NULL;
    PGresult *res = NULL;
    if (db_acquire(s->db, &c) != VALOR_OK) {
        http_reply_error(ctx, VALOR_E_UNAVAILABLE, NULL);
        return;
    }
    int rc = db_exec(c, "SELECT count(*) FROM widgets", 0, NULL, &res);
    if (rc == VALOR_OK)
        http_reply_json(ctx, 200, json_pack("{s:i}", "count", atoi(PQgetvalue(res, 0, 0))));
    else
        http_reply_error(ctx, rc, NULL);
    PQclear(res);
    db_release(c);
}

static int register_routes(struct svc *s)
{
    s->priv = malloc(32); /* freed by cleanup(): ASan reports a leak otherwise */
    return http_route(s->http, "GET", "/widgets/count", h_count, s);
}

static void cleanup(struct svc *s)
{
    cleanup_calls++;
    free(s->priv);
}

static struct svc_def def = {.name = "testsvc",
                             .schema = "testsvc",
                             .default_port = 5199,
                             .migrations = migs,
                             .register_routes = register_routes,
                             .cleanup = cleanup};

static void drop_schema(const char *name)
{
    PGconn *pg = PQconnectdb(tu_env("DATABASE_URL"));
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
    char *id = PQescapeIdentifier(pg, name, strlen(name)), sql[200];
    snprintf(sql, sizeof(sql),
             "SET client_min_messages TO warning; DROP SCHEMA IF EXISTS %s CASCADE", id);
    PQfreemem(id);
    PQclear(PQexec(pg, sql));
    PQfinish(pg);
}

static void setup(void)
{
    tu_env("DATABASE_URL");
    tu_env("NATS_URL");
    if (stack_redis_url == NULL)
        stack_redis_url = strdup(tu_env("REDIS_URL"));
    setenv("REDIS_URL", stack_redis_url, 1); /* tests may point it elsewhere */
    setenv("PORT", "0", 1);
    setenv("HOST", "127.0.0.1", 1);
    setenv("APP_ENV", "development", 1);
    unsetenv("JWT_SECRET_KEY");
    unsetenv("SECRET_KEY");
    unsetenv("LOG_LEVEL");
    load_outbox_migration();
    snprintf(schema, sizeof(schema), "svct_%d", (int)getpid());
    def.schema = schema;
    cleanup_calls = 0;
}

static void teardown(void)
{
    drop_schema(schema);
}

static json_t *get_json(struct svc *s, const char *path, long *status)
{
    struct tu_http_resp r;
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", http_server_port(s->http), path);
    ck_assert_msg(tu_http("GET", url, NULL, NULL, &r) == 0, "GET %s: no response", path);
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "GET %s: not JSON: %s", path, r.body);
    tu_http_resp_free(&r);
    return j;
}

START_TEST(test_production_placeholder_secret_refused)
{
    setenv("APP_ENV", "production", 1);
    setenv("JWT_SECRET_KEY", "change-me", 1);
    setenv("SECRET_KEY", "an-acceptable-secret-key-of-40-bytes-long!", 1);
    struct svc *s = (struct svc *)1;
    ck_assert_int_eq(svc_start(&def, &s), VALOR_E_INVALID);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(cleanup_calls, 0); /* refused before anything was set up */
    char *argv[] = {"testsvc", NULL};
    ck_assert_int_eq(svc_main(&def, 1, argv), 2); /* the documented exit status */
}
END_TEST

/* The refusal of a changed migration as a process sees it: svc_main()
 * returns 2 (the exit status) and the only log line is the one naming the
 * file. */
START_TEST(test_changed_migration_exit_2)
{
    char *argv[] = {"testsvc", NULL}, path[64], out[8192];
    struct svc *s = NULL;
    setenv("JWT_SECRET_KEY", "a-development-secret-of-more-than-32-bytes", 1); /* no warning */
    setenv("SECRET_KEY", "another-development-secret-of-32-bytes-or-more", 1);
    ck_assert_int_eq(svc_start(&def, &s), VALOR_OK);
    svc_stop(s);

    migs[1].sql = "CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL);";
    snprintf(path, sizeof(path), "/tmp/valor-test-svc-%d.log", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(STDOUT_FILENO);
    ck_assert(fd >= 0 && saved >= 0);
    fflush(stdout);
    ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
    close(fd);
    int status = svc_main(&def, 1, argv);
    ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
    close(saved);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(path);

    ck_assert_int_eq(status, 2);
    ck_assert_msg(n > 0 && strchr(out, '\n') == out + n - 1, "one log line expected: %s", out);
    ck_assert_msg(strstr(out, "\"level\":\"error\"") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "001_widgets.sql") != NULL, "the line names the file: %s", out);
    ck_assert_int_eq(cleanup_calls, 1); /* the first start only: the refusal set up no routes */
}
END_TEST

START_TEST(test_redis_down_ready_503)
{
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", tu_free_port());
    setenv("REDIS_URL", url, 1);
    struct svc *s = NULL;
    ck_assert_int_eq(svc_start(&def, &s), VALOR_OK); /* Redis down never blocks start-up */
    long status = 0;
    json_t *j = get_json(s, "/ready", &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "degraded");
    json_t *checks = json_object_get(j, "checks");
    ck_assert(json_is_false(json_object_get(json_object_get(checks, "redis"), "ok")));
    ck_assert(json_is_true(json_object_get(json_object_get(checks, "db"), "ok")));
    ck_assert(json_is_integer(json_object_get(json_object_get(checks, "redis"), "latency_ms")));
    ck_assert(json_is_string(json_object_get(json_object_get(checks, "redis"), "detail")));
    json_decref(j);
    j = get_json(s, "/health", &status); /* liveness does not depend on Redis */
    ck_assert_int_eq(status, 200);
    json_decref(j);
    svc_stop(s);
    ck_assert_int_eq(cleanup_calls, 1);
}
END_TEST

START_TEST(test_service_up)
{
    struct svc *s = NULL;
    ck_assert_int_eq(svc_start(&def, &s), VALOR_OK);
    ck_assert_int_gt(http_server_port(s->http), 0);
    ck_assert_ptr_nonnull(s->jwt.secret); /* development: a generated secret */
    ck_assert_str_eq(s->jwt.issuer, "valor-ivx");
    long status = 0;
    json_t *j = get_json(s, "/health", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "healthy");
    ck_assert_str_eq(json_string_value(json_object_get(j, "service")), "testsvc");
    json_decref(j);

    for (int i = 0; i < 100; i++) { /* NATS connects in the background */
        j = get_json(s, "/ready", &status);
        if (status == 200)
            break;
        json_decref(j);
        j = NULL;
        usleep(100 * 1000);
    }
    ck_assert_int_eq(status, 200);
    json_t *checks = json_object_get(j, "checks");
    ck_assert(json_is_true(json_object_get(json_object_get(checks, "db"), "ok")));
    ck_assert(json_is_true(json_object_get(json_object_get(checks, "redis"), "ok")));
    ck_assert(json_is_true(json_object_get(json_object_get(checks, "nats"), "ok")));
    json_decref(j);

    /* the migration ran in the service's schema and the pool uses it */
    j = get_json(s, "/widgets/count", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 0);
    json_decref(j);
    svc_stop(s);
    ck_assert_int_eq(cleanup_calls, 1);
}
END_TEST

START_TEST(test_shared_smoke)
{
    tu_svc_smoke(&def, "widgets"); /* the check every service runs */
    ck_assert_int_eq(cleanup_calls, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc");
    TCase *tc = tcase_create("svc");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_production_placeholder_secret_refused);
    tcase_add_test(tc, test_changed_migration_exit_2);
    tcase_add_test(tc, test_redis_down_ready_503);
    tcase_add_test(tc, test_service_up);
    tcase_add_test(tc, test_shared_smoke);
    suite_add_tcase(s, tc);
    int rc = tu_run(s);
    free(stack_redis_url);
    return rc;
}
