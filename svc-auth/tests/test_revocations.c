/* svc-auth: every revocation is recorded in PostgreSQL and outlives Redis'
 * data — logout, a replayed refresh family, a deactivated user; Redis
 * flushed → re-seeded; Redis down → logout still succeeds and the token is
 * refused; 100,000 revocations re-seeded into an empty Redis. */
#include <time.h>

#include "auth_testlib.h"
#include "reseed.h"
#include "valor/clock.h"
#include "valor/err.h"
#include "valor/kv.h"
#include "valor/metrics.h"

static struct kv_client *redis;

static void redis_open(void)
{
    struct kv_opts o = {.url = tu_env("REDIS_URL"), .command_timeout_ms = 5000};
    ck_assert_int_eq(kv_open(&o, &redis), VALOR_OK);
}

/* The integer reply of a one- or two-word command. */
static long long redis_int(const char *cmd, const char *arg)
{
    const char *argv[] = {cmd, arg};
    redisReply *r = NULL;
    ck_assert_int_eq(kv_command_argv(redis, arg != NULL ? 2 : 1, argv, NULL, &r), VALOR_OK);
    ck_assert_msg(r->type == REDIS_REPLY_INTEGER, "%s: reply type %d", cmd, r->type);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static void redis_flushall(void)
{
    const char *argv[] = {"FLUSHALL"};
    redisReply *r = NULL;
    ck_assert_int_eq(kv_command_argv(redis, 1, argv, NULL, &r), VALOR_OK);
    freeReplyObject(r);
}

static void setup(void)
{
    at_start();
    redis_open();
}

static void teardown(void)
{
    kv_close(redis);
    at_stop();
}

/* The jti of the newest access token recorded as revoked for user id. */
static void revoked_jti(const char *user_id, const char *reason, char out[40])
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SET search_path = %s; SELECT jti::text FROM revoked_tokens WHERE user_id = %s AND "
             "reason = '%s' ORDER BY revoked_at DESC LIMIT 1",
             at_schema, user_id, reason);
    PGresult *res = PQexec(at_pg, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
                  "no %s revocation recorded for user %s", reason, user_id);
    snprintf(out, 40, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static int denylisted(const char *jti)
{
    char key[128];
    ck_assert_int_eq(kv_denylist_key(jti, key, sizeof(key)), VALOR_OK);
    return redis_int("EXISTS", key) == 1;
}

static void expect_refused(const char *token)
{
    struct at_resp r;
    at_req("GET", "/api/auth/profile", token, NULL, &r);
    at_expect_error(&r, 401, "Invalid token");
    at_free(&r);
}

/* Waits up to 30 s for the re-seeder to put jti back into Redis. */
static void await_reseeded(const char *jti)
{
    double t0 = clock_mono_ms();
    while (!(denylisted(jti) && redis_int("EXISTS", RESEED_MARKER_KEY) == 1) &&
           clock_mono_ms() - t0 < 30000)
        usleep(50 * 1000);
    ck_assert_msg(denylisted(jti), "%s not re-seeded into Redis", jti);
    ck_assert_int_eq(redis_int("EXISTS", RESEED_MARKER_KEY), 1);
}

START_TEST(test_logout_recorded_and_reseeded_after_flush)
{
    struct at_account a, fresh;
    struct at_resp r;
    char jti[40];

    at_register("rvl", &a);
    at_req("POST", "/api/auth/logout", a.access, NULL, &r);
    ck_assert_msg(r.status == 200, "logout: %ld %s", r.status, r.body);
    at_free(&r);
    revoked_jti(a.id, "logout", jti);
    ck_assert(denylisted(jti));
    /* the event carries the token to every process's local set */
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'session.revoked' AND "
                              "payload->'data'->'revoked_tokens' @> '[{\"jti\":\"%s\"}]'",
                              jti),
                     1);

    redis_flushall();
    expect_refused(a.access); /* this process knew at once, whatever Redis holds */
    await_reseeded(jti);
    expect_refused(a.access);
    ck_assert_double_ge(tu_metric(http_server_port(at_svc->http), "revocation_reseeds_total"), 1);
    ck_assert_double_eq(tu_metric(http_server_port(at_svc->http), "revocation_redis_seeded"), 1);

    /* a fresh login works */
    at_register("rvf", &fresh);
    at_req("GET", "/api/auth/profile", fresh.access, NULL, &r);
    ck_assert_msg(r.status == 200, "fresh login: %ld %s", r.status, r.body);
    at_free(&r);
}
END_TEST

START_TEST(test_replay_and_deactivation_recorded)
{
    struct at_account admin, m, v;
    struct at_resp r;
    char body[256], jti[40];

    /* a replayed refresh token: the family's live access token is revoked */
    at_register("rvr", &admin);
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", admin.refresh);
    at_req("POST", "/api/auth/refresh", NULL, body, &r);
    ck_assert_int_eq(r.status, 200);
    at_free(&r);
    at_req("POST", "/api/auth/refresh", NULL, body, &r);
    at_expect_error(&r, 401, "Invalid refresh token");
    at_free(&r);
    revoked_jti(admin.id, "replay", jti);
    expect_refused(admin.access);

    /* a deactivated member: recorded with the time its tokens became void */
    at_register("rvd", &admin);
    at_member(&admin, "analyst", &m);
    snprintf(body, sizeof(body), "/api/auth/users/%s", m.id);
    at_req("PATCH", body, admin.access, "{\"active\":false}", &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    at_free(&r);
    revoked_jti(m.id, "deactivated", jti);
    ck_assert_int_eq(
        at_count("SELECT count(*) FROM users WHERE id = %s AND deactivated_at IS NOT NULL", m.id),
        1);
    expect_refused(m.access);

    /* a role change: the token carrying the old role */
    at_member(&admin, "viewer", &v);
    snprintf(body, sizeof(body), "/api/auth/users/%s", v.id);
    at_req("PATCH", body, admin.access, "{\"role\":\"analyst\"}", &r);
    ck_assert_int_eq(r.status, 200);
    at_free(&r);
    revoked_jti(v.id, "role_changed", jti);

    redis_flushall();
    await_reseeded(jti);
}
END_TEST

START_TEST(test_reseed_of_100000_revocations)
{
    struct auth_state *st = at_svc->priv;
    struct at_account a;
    char sql[512];
    long n = 0;

    at_register("rvb", &a);
    snprintf(sql, sizeof(sql),
             "INSERT INTO revoked_tokens (jti, tenant_id, user_id, reason, expires_at) "
             "SELECT gen_random_uuid(), u.tenant_id, u.id, 'logout', now() + interval '10 minutes' "
             "FROM users u, generate_series(1, 100000) WHERE u.id = %s",
             a.id);
    at_sql(sql);
    /* expired ones are not written back */
    snprintf(sql, sizeof(sql),
             "INSERT INTO revoked_tokens (jti, tenant_id, user_id, reason, expires_at) "
             "SELECT gen_random_uuid(), u.tenant_id, u.id, 'logout', now() - interval '1 hour' "
             "FROM users u, generate_series(1, 10) WHERE u.id = %s",
             a.id);
    at_sql(sql);
    long live = at_count("SELECT count(*) FROM revoked_tokens WHERE expires_at > now()");

    redis_flushall();
    double t0 = clock_mono_ms();
    ck_assert_int_eq(reseed_now(st->reseed, &n), VALOR_OK);
    double ms = clock_mono_ms() - t0;
    printf("re-seeded %ld revocations in %.0f ms\n", n, ms);
    ck_assert_int_eq(n, live);
    ck_assert_int_ge(n, 100000);
    /* every key and the marker, nothing else (DBSIZE: keys + marker) */
    ck_assert_int_eq(redis_int("DBSIZE", NULL), n + 1);
    ck_assert_int_eq(redis_int("EXISTS", RESEED_MARKER_KEY), 1);
    ck_assert_int_eq(redis_int("EXISTS", RESEED_LOCK_KEY), 0);
}
END_TEST

/* Redis unreachable from the start: logout is recorded and answered, and the
 * token refused by this process. */
static void setup_no_redis(void)
{
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", tu_free_port());
    setenv("REDIS_URL", url, 1);
    at_start();
}

START_TEST(test_logout_while_redis_down)
{
    struct at_account a;
    struct at_resp r;
    char jti[40];

    at_register("rvn", &a);
    at_req("POST", "/api/auth/logout", a.access, NULL, &r);
    ck_assert_msg(r.status == 200, "logout with Redis down: %ld %s", r.status, r.body);
    ck_assert_str_eq(r.body, "{\"success\":true}");
    at_free(&r);
    revoked_jti(a.id, "logout", jti);
    expect_refused(a.access);
    ck_assert_int_eq(at_count("SELECT count(*) FROM outbox WHERE type = 'session.revoked' AND "
                              "payload->'data'->'revoked_tokens' @> '[{\"jti\":\"%s\"}]'",
                              jti),
                     1);
}
END_TEST

int main(void)
{
    at_init_schema("rv");
    Suite *s = suite_create("svc-auth revocations");
    TCase *tc = tcase_create("revocations");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_logout_recorded_and_reseeded_after_flush);
    tcase_add_test(tc, test_replay_and_deactivation_recorded);
    tcase_add_test(tc, test_reseed_of_100000_revocations);
    suite_add_tcase(s, tc);
    TCase *down = tcase_create("redis down");
    tcase_set_timeout(down, 60);
    tcase_add_checked_fixture(down, setup_no_redis, at_stop);
    tcase_add_test(down, test_logout_while_redis_down);
    suite_add_tcase(s, down);
    int rc = tu_run(s);
    at_drop_schema();
    return rc;
}
