/* The gateway when its dependencies fail:
 *  - Redis (a private redis-server) stopped mid-run: no 5xx, the limits
 *    still refuse the 21st request (locally), requests stay fast, the
 *    backend metric says local; Redis back → the metric says redis again;
 *    Redis hanging (DEBUG SLEEP) → the 50 ms timeout opens the breaker and
 *    requests stay fast;
 *  - two replicas of one service: requests spread over both; one killed →
 *    no failed idempotent request; restarted → used again. */
#include <signal.h>

#include "gwtest.h"

#define LIMIT 20

static struct gw *gw;
static int port;
static pid_t redis_pid = -1;
static int redis_port;
static struct gwt_upstream ups[2] = {{"replica-a", NULL, 0}, {"replica-b", NULL, 0}};

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void redis_start(void)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", redis_port);
    char *const argv[] = {"redis-server",
                          "--port",
                          p,
                          "--bind",
                          "127.0.0.1",
                          "--save",
                          "",
                          "--appendonly",
                          "no",
                          "--enable-debug-command",
                          "local",
                          NULL};
    redis_pid = tu_spawn(argv, NULL);
    ck_assert_int_gt(redis_pid, 0);
    ck_assert_int_eq(tu_wait_port(redis_port, 5000), 0);
}

static void redis_stop(void)
{
    if (redis_pid > 0)
        tu_stop(redis_pid, SIGTERM);
    redis_pid = -1;
}

static void setup_redis(void)
{
    char url[64];
    gwt_upstream_start(&ups[0], 0);
    gwt_env(ups[0].port);
    redis_port = tu_free_port();
    redis_start();
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", redis_port);
    setenv("REDIS_URL", url, 1);
    setenv("RATE_LIMIT_API", "20/60", 1);
    ck_assert_int_eq(gw_start(&gw), VALOR_OK);
    port = gw_port(gw);
}

static void teardown(void)
{
    gw_stop(gw);
    gw = NULL;
    redis_stop();
    gwt_upstream_stop(&ups[0]);
    gwt_upstream_stop(&ups[1]);
}

static long get(const char *token, const char *tenant, const char *path, char *who, size_t wlen)
{
    char a[1200], t[128];
    const char *h[] = {a, t, NULL};
    struct tu_http_resp r;
    snprintf(a, sizeof(a), "Authorization: Bearer %s", token);
    snprintf(t, sizeof(t), "X-Tenant-ID: %s", tenant);
    json_t *j = gwt_call(port, "GET", path, h, NULL, &r);
    long status = r.status;
    if (who != NULL)
        snprintf(who, wlen, "%s",
                 j != NULL && gwt_str(j, "upstream") ? gwt_str(j, "upstream") : "");
    json_decref(j);
    tu_http_resp_free(&r);
    return status;
}

START_TEST(test_redis_outage_falls_back_locally)
{
    char tenant[64];
    snprintf(tenant, sizeof(tenant), "ro-%d", (int)getpid());
    char *tok = gwt_token(tenant, "u1", "analyst", NULL, NULL, NULL, 600, NULL);
    char *tok2 = gwt_token(tenant, "u2", "analyst", NULL, NULL, NULL, 600, NULL);
    char *tok3 = gwt_token(tenant, "u3", "analyst", NULL, NULL, NULL, 600, NULL);
    double slowest = 0;

    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(get(tok, tenant, "/api/runs", NULL, 0), 200);
    ck_assert_double_eq(gwt_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 1);

    redis_stop();
    /* requests 6..20 pass, the 21st is refused: the count carried over */
    for (int i = 6; i <= LIMIT + 1; i++) {
        double t0 = mono_ms();
        long st = get(tok, tenant, "/api/runs", NULL, 0);
        double took = mono_ms() - t0;
        slowest = took > slowest ? took : slowest;
        ck_assert_msg(st == (i <= LIMIT ? 200 : 429), "request %d during the outage: %ld", i, st);
    }
    ck_assert_msg(slowest < 200, "a request took %.0f ms while Redis was down", slowest);
    ck_assert_double_eq(gwt_metric(port, "rate_limiter_backend{backend=\"local\"}"), 1);
    ck_assert_double_eq(gwt_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 0);
    ck_assert_int_eq(get(tok2, tenant, "/api/runs", NULL, 0), 200);

    redis_start();
    double t0 = mono_ms();
    while (gwt_metric(port, "rate_limiter_backend{backend=\"redis\"}") != 1 &&
           mono_ms() - t0 < 5000) {
        ck_assert_int_eq(get(tok2, tenant, "/api/runs", NULL, 0), 200);
        usleep(100 * 1000);
    }
    ck_assert_double_eq(gwt_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 1);
    ck_assert_double_eq(gwt_metric(port, "rate_limiter_backend{backend=\"local\"}"), 0);
    /* every worker thread talks to the new Redis: no fallback again */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(get(tok2, tenant, "/api/runs/x", NULL, 0), 200);
    ck_assert_double_eq(gwt_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 1);

    /* Redis hangs (DEBUG SLEEP): the 50 ms timeout opens the breaker, requests stay fast */
    char p[16];
    snprintf(p, sizeof(p), "%d", redis_port);
    char *const sleep_argv[] = {"redis-cli", "-p", p, "DEBUG", "SLEEP", "1.5", NULL};
    pid_t sleeper = tu_spawn(sleep_argv, NULL);
    ck_assert_int_gt(sleeper, 0);
    usleep(200 * 1000); /* let the sleep start */
    slowest = 0;
    for (int i = 0; i < 5; i++) {
        double t1 = mono_ms();
        ck_assert_int_eq(get(tok3, tenant, "/api/runs", NULL, 0), 200);
        double took = mono_ms() - t1;
        slowest = took > slowest ? took : slowest;
    }
    ck_assert_msg(slowest < 300, "a request took %.0f ms while Redis hung", slowest);
    ck_assert_double_eq(gwt_metric(port, "rate_limiter_backend{backend=\"local\"}"), 1);
    tu_stop(sleeper, SIGTERM);

    /* no 5xx at any point */
    ck_assert_double_eq(gwt_metric(port,
                                   "http_requests_total{method=\"GET\",endpoint=\"/api/runs\","
                                   "status=\"500\""),
                        -1);
    free(tok);
    free(tok2);
    free(tok3);
}
END_TEST

static void setup_replicas(void)
{
    char urls[128];
    gwt_upstream_start(&ups[0], 0);
    gwt_upstream_start(&ups[1], 0);
    gwt_env(ups[0].port);
    snprintf(urls, sizeof(urls), "http://127.0.0.1:%d, http://127.0.0.1:%d", ups[0].port,
             ups[1].port);
    setenv("RUNS_SERVICE_URL", urls, 1);
    setenv("RATE_LIMIT_API", "100000/60", 1);
    setenv("UPSTREAM_COOLDOWN_MS", "300", 1);
    ck_assert_int_eq(gw_start(&gw), VALOR_OK);
    port = gw_port(gw);
}

START_TEST(test_replicas_balanced_and_failover)
{
    char tenant[64], who[32], line[160];
    int a = 0, b = 0;
    snprintf(tenant, sizeof(tenant), "rp-%d", (int)getpid());
    char *tok = gwt_token(tenant, "u1", "analyst", NULL, NULL, NULL, 600, NULL);

    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(get(tok, tenant, "/api/runs", who, sizeof(who)), 200);
        a += strcmp(who, "replica-a") == 0;
        b += strcmp(who, "replica-b") == 0;
    }
    ck_assert_msg(a >= 5 && b >= 5, "not spread: a=%d b=%d", a, b);

    int b_port = ups[1].port;
    gwt_upstream_stop(&ups[1]);
    for (int i = 0; i < 20; i++) {
        long st = get(tok, tenant, i % 2 ? "/api/runs" : "/api/runs/r1", who, sizeof(who));
        ck_assert_msg(st == 200, "request %d with a replica down: %ld", i, st);
        ck_assert_str_eq(who, "replica-a");
    }
    snprintf(line, sizeof(line), "upstream_up{service=\"runs\",address=\"127.0.0.1:%d\"}", b_port);
    ck_assert_double_eq(gwt_metric(port, line), 0);

    gwt_upstream_start(&ups[1], b_port);
    usleep(400 * 1000); /* the cool-down */
    b = 0;
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(get(tok, tenant, "/api/runs", who, sizeof(who)), 200);
        b += strcmp(who, "replica-b") == 0;
    }
    ck_assert_msg(b >= 5, "the restarted replica got %d of 20 requests", b);
    ck_assert_double_eq(gwt_metric(port, line), 1);
    free(tok);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-resilience");
    TCase *redis = tcase_create("redis outage");
    TCase *replicas = tcase_create("replicas");

    tcase_add_checked_fixture(redis, setup_redis, teardown);
    tcase_set_timeout(redis, 60);
    tcase_add_test(redis, test_redis_outage_falls_back_locally);
    suite_add_tcase(s, redis);

    tcase_add_checked_fixture(replicas, setup_replicas, teardown);
    tcase_set_timeout(replicas, 60);
    tcase_add_test(replicas, test_replicas_balanced_and_failover);
    suite_add_tcase(s, replicas);
    return tu_run(s);
}
