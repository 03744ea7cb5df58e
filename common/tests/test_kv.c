/* kv: real Redis — the shared one (REDIS_URL) for the basics, and private
 * redis-server processes on free ports for auth, outages and timeouts. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/err.h"
#include "valor/kv.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A private redis-server on `port` (extra: NULL-terminated extra args). */
static pid_t redis_start(int port, const char *const *extra)
{
    char ports[16];
    char *argv[16] = {"redis-server", "--port", ports,          "--bind", "127.0.0.1",
                      "--save",       "",       "--appendonly", "no"};
    int n = 9;
    snprintf(ports, sizeof(ports), "%d", port);
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    pid_t pid = tu_spawn(argv, NULL);
    ck_assert_int_gt(pid, 0);
    ck_assert_msg(tu_wait_port(port, 30000) == 0, "private redis-server did not start on %d", port);
    return pid;
}

static struct kv_client *open_client(const char *url, int connect_ms, int command_ms)
{
    struct kv_opts o = {
        .url = url, .connect_timeout_ms = connect_ms, .command_timeout_ms = command_ms};
    struct kv_client *c = NULL;
    ck_assert_int_eq(kv_open(&o, &c), VALOR_OK);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* PING until it answers (10 s at most): with a 50 ms command timeout a
 * loaded machine may time out one PING; the client must recover, not be fast. */
static int ping_eventually(struct kv_client *c)
{
    double t0 = now_s();
    int rc;
    while ((rc = kv_ping(c, NULL)) != VALOR_OK && now_s() - t0 < 10)
        usleep(20 * 1000);
    return rc;
}

static int cmd(struct kv_client *c, redisReply **r, int argc, const char **argv)
{
    return kv_command_argv(c, argc, argv, NULL, r);
}

/* BLPOP on an empty list blocks for 2 s on the server: a command that
 * outlives the command timeout. Returns the elapsed seconds. */
static double slow_command(struct kv_client *c, int *rc)
{
    const char *argv[] = {"BLPOP", "valor:test:never", "2"};
    redisReply *r = NULL;
    double t0 = now_s();
    *rc = cmd(c, &r, 3, argv);
    double dt = now_s() - t0;
    if (r != NULL)
        freeReplyObject(r);
    return dt;
}

START_TEST(test_bad_urls_rejected)
{
    const char *bad[] = {"http://127.0.0.1:6379", "redis://",
                         "redis://:6379",         "redis://h:0",
                         "redis://h:99999",       "redis://h:12ab",
                         "redis://h:6379/x",      "redis://[::1",
                         "redis://:%zz@h:6379",   NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        struct kv_opts o = {.url = bad[i]};
        struct kv_client *c = (struct kv_client *)1;
        ck_assert_msg(kv_open(&o, &c) == VALOR_E_INVALID, "accepted %s", bad[i]);
        ck_assert_ptr_null(c);
    }
    struct kv_opts o = {.url = NULL};
    struct kv_pool *p = NULL;
    ck_assert_int_eq(kv_pool_new(&o, &p), VALOR_E_INVALID);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_denylist_key)
{
    char buf[64], small[10];
    ck_assert_int_eq(kv_denylist_key("", buf, sizeof(buf)), VALOR_E_INVALID);
    ck_assert_int_eq(kv_denylist_key(NULL, buf, sizeof(buf)), VALOR_E_INVALID);
    ck_assert_int_eq(kv_denylist_key("abc", small, sizeof(small)), VALOR_E_INVALID);
    ck_assert_int_eq(kv_denylist_key("6f1c1d7e-1111-4aaa-8bbb-0123456789ab", buf, sizeof(buf)),
                     VALOR_OK);
    ck_assert_str_eq(buf, "valor:denylist:jti:6f1c1d7e-1111-4aaa-8bbb-0123456789ab");
}
END_TEST

START_TEST(test_server_down_fails_fast)
{
    char url[64];
    int port = tu_free_port();
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", port);
    struct kv_client *c = open_client(url, 200, 50); /* kv_open never connects */
    const char *argv[] = {"GET", "k"};
    redisReply *r = (redisReply *)1;
    double t0 = now_s();
    ck_assert_int_eq(cmd(c, &r, 2, argv), VALOR_E_UNAVAILABLE);
    ck_assert_ptr_null(r);
    int ms = -1;
    ck_assert_int_eq(kv_ping(c, &ms), VALOR_E_UNAVAILABLE);
    ck_assert_double_lt(now_s() - t0, 1.5);
    ck_assert_int_ge(ms, 0);
    kv_close(c);
}
END_TEST

START_TEST(test_error_reply_is_returned)
{
    struct kv_client *c = open_client(tu_env("REDIS_URL"), 1000, 500);
    const char *argv[] = {"NOSUCHCOMMAND", "x"};
    redisReply *r = NULL;
    ck_assert_int_eq(cmd(c, &r, 2, argv), VALOR_OK);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
    ck_assert_ptr_nonnull(strstr(r->str, "unknown command"));
    freeReplyObject(r);
    /* the connection survives an error reply */
    ck_assert_int_eq(kv_ping(c, NULL), VALOR_OK);
    kv_close(c);
}
END_TEST

START_TEST(test_set_get_roundtrip)
{
    struct kv_client *c = open_client(tu_env("REDIS_URL"), 1000, 500);
    char key[64];
    const char value[] = "bin\0ary";
    snprintf(key, sizeof(key), "valor:test:kv:%d", (int)getpid());
    const char *set[] = {"SET", key, value, "EX", "60"};
    size_t setlen[] = {3, strlen(key), sizeof(value) - 1, 2, 2};
    redisReply *r = NULL;
    ck_assert_int_eq(kv_command_argv(c, 5, set, setlen, &r), VALOR_OK);
    ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
    ck_assert_str_eq(r->str, "OK");
    freeReplyObject(r);

    const char *get[] = {"GET", key};
    ck_assert_int_eq(cmd(c, &r, 2, get), VALOR_OK);
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    ck_assert_uint_eq(r->len, sizeof(value) - 1);
    ck_assert_int_eq(memcmp(r->str, value, r->len), 0);
    freeReplyObject(r);

    const char *del[] = {"DEL", key};
    ck_assert_int_eq(cmd(c, &r, 2, del), VALOR_OK);
    ck_assert_int_eq(r->integer, 1);
    freeReplyObject(r);
    int ms = -1;
    ck_assert_int_eq(kv_ping(c, &ms), VALOR_OK);
    ck_assert_int_ge(ms, 0);
    kv_close(c);
}
END_TEST

START_TEST(test_command_timeout)
{
    int port = tu_free_port(), rc;
    pid_t pid = redis_start(port, NULL);
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    struct kv_client *c = open_client(url, 200, 50);
    ck_assert_int_eq(ping_eventually(c), VALOR_OK);
    double dt = slow_command(c, &rc);
    ck_assert_int_eq(rc, VALOR_E_UNAVAILABLE);
    ck_assert_double_ge(dt, 0.04);
    ck_assert_double_lt(dt, 1.5); /* ≈ 50 ms, far from the 2 s the server would block */
    /* the next command reconnects transparently */
    ck_assert_int_eq(ping_eventually(c), VALOR_OK);
    kv_close(c);
    tu_stop(pid, SIGTERM);
}
END_TEST

START_TEST(test_reconnect_keeps_timeouts)
{
    int port = tu_free_port(), rc;
    pid_t pid = redis_start(port, NULL);
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    struct kv_client *c = open_client(url, 200, 50);
    ck_assert_int_eq(ping_eventually(c), VALOR_OK);

    tu_stop(pid, SIGKILL);
    double t0 = now_s();
    ck_assert_int_eq(kv_ping(c, NULL), VALOR_E_UNAVAILABLE);
    ck_assert_int_eq(kv_ping(c, NULL), VALOR_E_UNAVAILABLE); /* still down: reconnect refused */
    ck_assert_double_lt(now_s() - t0, 1.0);

    pid = redis_start(port, NULL);
    ck_assert_int_eq(ping_eventually(c), VALOR_OK);
    /* the reconnected context still has the 50 ms command timeout */
    double dt = slow_command(c, &rc);
    ck_assert_int_eq(rc, VALOR_E_UNAVAILABLE);
    ck_assert_double_lt(dt, 1.5);
    ck_assert_int_eq(ping_eventually(c), VALOR_OK);
    kv_close(c);
    tu_stop(pid, SIGTERM);
}
END_TEST

/* Redis restarted while a client kept its connection: the first command
 * after the restart succeeds (the stale connection is replaced before the
 * command is written), for a plain command and for a pipeline. */
START_TEST(test_restart_costs_no_command)
{
    int port = tu_free_port();
    pid_t pid = redis_start(port, NULL);
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    struct kv_client *c = open_client(url, 1000, 1000), *p = open_client(url, 1000, 1000);
    const char *jti[] = {"6f1c1d7e-1111-4aaa-8bbb-0123456789ab"};
    const long long ttl[] = {60};
    ck_assert_int_eq(kv_ping(c, NULL), VALOR_OK);
    ck_assert_int_eq(kv_denylist_put(p, 1, jti, ttl), VALOR_OK);

    for (int round = 0; round < 3; round++) {
        tu_stop(pid, round % 2 ? SIGKILL : SIGTERM);
        pid = redis_start(port, NULL);
        ck_assert_msg(kv_ping(c, NULL) == VALOR_OK, "round %d: the first command failed", round);
        ck_assert_msg(kv_denylist_put(p, 1, jti, ttl) == VALOR_OK,
                      "round %d: the first pipeline failed", round);
    }
    kv_close(c);
    kv_close(p);
    tu_stop(pid, SIGTERM);
}
END_TEST

START_TEST(test_auth_and_select)
{
    int port = tu_free_port();
    const char *extra[] = {"--requirepass", "s3cret/pw", NULL};
    pid_t pid = redis_start(port, extra);
    char url[96];
    redisReply *r = NULL;

    snprintf(url, sizeof(url), "redis://:wrong@127.0.0.1:%d/2", port);
    struct kv_client *bad = open_client(url, 200, 200);
    ck_assert_int_eq(kv_ping(bad, NULL), VALOR_E_UNAVAILABLE);
    kv_close(bad);

    snprintf(url, sizeof(url), "redis://:s3cret%%2Fpw@127.0.0.1:%d/2", port);
    struct kv_client *c2 = open_client(url, 200, 200);
    const char *set[] = {"SET", "k", "in-db-2"};
    ck_assert_int_eq(cmd(c2, &r, 3, set), VALOR_OK);
    ck_assert_int_eq(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);

    snprintf(url, sizeof(url), "redis://:s3cret%%2Fpw@127.0.0.1:%d", port);
    struct kv_client *c0 = open_client(url, 200, 200);
    const char *get[] = {"GET", "k"};
    ck_assert_int_eq(cmd(c0, &r, 2, get), VALOR_OK);
    ck_assert_int_eq(r->type, REDIS_REPLY_NIL); /* db 0 does not see db 2 */
    freeReplyObject(r);
    ck_assert_int_eq(cmd(c2, &r, 2, get), VALOR_OK);
    ck_assert_str_eq(r->str, "in-db-2");
    freeReplyObject(r);
    kv_close(c0);
    kv_close(c2);
    tu_stop(pid, SIGTERM);
}
END_TEST

struct pool_arg {
    struct kv_pool *pool;
    struct kv_client *first, *second;
    int ping;
};

static void *pool_thread(void *p)
{
    struct pool_arg *a = p;
    a->first = kv_pool_get(a->pool);
    a->second = kv_pool_get(a->pool);
    a->ping = kv_ping(a->first, NULL);
    return NULL;
}

START_TEST(test_lock_take_release)
{
    struct kv_client *c = open_client(tu_env("REDIS_URL"), 1000, 1000);
    char key[64], mine[37], other[37];
    snprintf(key, sizeof(key), "valor:test:lock:%d", (int)getpid());

    ck_assert_int_eq(kv_lock_take(c, key, 10000, mine), VALOR_OK);
    ck_assert_int_eq(kv_exists(c, key), 1);
    ck_assert_int_eq(kv_lock_take(c, key, 10000, other), VALOR_E_CONFLICT);
    /* only the holder's token releases it */
    ck_assert_int_eq(kv_lock_release(c, key, other), VALOR_OK);
    ck_assert_int_eq(kv_exists(c, key), 1);
    ck_assert_int_eq(kv_lock_release(c, key, mine), VALOR_OK);
    ck_assert_int_eq(kv_exists(c, key), 0);
    ck_assert_int_eq(kv_lock_take(c, key, 10000, other), VALOR_OK);
    ck_assert_str_ne(mine, other);
    ck_assert_int_eq(kv_lock_release(c, key, other), VALOR_OK);
    kv_close(c);
}
END_TEST

START_TEST(test_pool_one_client_per_thread)
{
    struct kv_opts o = {.url = tu_env("REDIS_URL"), .command_timeout_ms = 500};
    struct kv_pool *pool = NULL;
    struct pool_arg a[4];
    pthread_t t[4];
    ck_assert_int_eq(kv_pool_new(&o, &pool), VALOR_OK);
    for (int i = 0; i < 4; i++) {
        a[i] = (struct pool_arg){.pool = pool, .ping = 1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, pool_thread, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    struct kv_client *mine = kv_pool_get(pool);
    ck_assert_ptr_nonnull(mine);
    ck_assert_ptr_eq(mine, kv_pool_get(pool));
    for (int i = 0; i < 4; i++) {
        ck_assert_ptr_nonnull(a[i].first);
        ck_assert_ptr_eq(a[i].first, a[i].second);
        ck_assert_int_eq(a[i].ping, VALOR_OK);
        ck_assert_ptr_ne(a[i].first, mine);
        for (int j = 0; j < i; j++)
            ck_assert_ptr_ne(a[i].first, a[j].first);
    }
    kv_pool_free(pool); /* frees every thread's client (ASan checks) */
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("kv");
    TCase *neg = tcase_create("negative");
    tcase_add_test(neg, test_bad_urls_rejected);
    tcase_add_test(neg, test_denylist_key);
    tcase_add_test(neg, test_server_down_fails_fast);
    tcase_add_test(neg, test_error_reply_is_returned);
    suite_add_tcase(s, neg);
    TCase *outage = tcase_create("timeouts_and_outages");
    tcase_set_timeout(outage, 30);
    tcase_add_test(outage, test_command_timeout);
    tcase_add_test(outage, test_reconnect_keeps_timeouts);
    tcase_add_test(outage, test_restart_costs_no_command);
    tcase_add_test(outage, test_auth_and_select);
    suite_add_tcase(s, outage);
    TCase *basic = tcase_create("basic");
    tcase_set_timeout(basic, 20);
    tcase_add_test(basic, test_set_get_roundtrip);
    tcase_add_test(basic, test_lock_take_release);
    tcase_add_test(basic, test_pool_one_client_per_thread);
    suite_add_tcase(s, basic);
    return tu_run(s);
}
