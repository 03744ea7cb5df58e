/* The gateway when its dependencies fail:
 *  - Redis (a private redis-server) stopped mid-run: no 5xx, the limits
 *    still refuse past the 20th request (locally), no request waits for
 *    Redis, the backend metric says local; Redis back → the metric says
 *    redis again; Redis hanging (DEBUG SLEEP) → the command timeout opens the
 *    breaker and only the probes wait for it;
 *  - two replicas of one service: requests spread over both; one killed →
 *    no failed idempotent request; restarted → used again. */
#include <hiredis/hiredis.h>
#include <signal.h>

#include "gwtest.h"

#define LIMIT 20
#define PERIOD_MS 60000
/* Far above what a loaded machine makes of a loopback Redis answer, so only
 * a real outage opens the breaker; a request that waited on Redis takes it. */
#define REDIS_TIMEOUT_MS 500
#define PROBE_INTERVAL_MS 1000
#define HANG_S 3

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
    ck_assert_int_eq(tu_wait_port(redis_port, 30000), 0);
}

static void redis_stop(void)
{
    if (redis_pid > 0)
        tu_stop(redis_pid, SIGTERM);
    redis_pid = -1;
}

/* 1 when Redis does not answer a PING within 300 ms (DEBUG SLEEP running) */
static int redis_hung(void)
{
    struct timeval tv = {0, 300 * 1000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    redisReply *r = NULL;
    int hung = 1;

    if (c != NULL && c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK) {
        r = redisCommand(c, "PING");
        hung = r == NULL;
    }
    freeReplyObject(r);
    redisFree(c);
    return hung;
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
    setenv("REDIS_TIMEOUT_MS", "500", 1);
    setenv("REDIS_PROBE_INTERVAL_MS", "1000", 1);
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
    double slowest = 0, first = mono_ms();
    long st = 0;
    int granted = 0;

    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(get(tok, tenant, "/api/runs", NULL, 0), 200);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 1);

    redis_stop();
    /* until the first 429: the 15 requests left of the 20 pass (the count
     * carried over), and no more than the refill since the first request
     * explains (one per PERIOD_MS / LIMIT) */
    while (granted < 10 * LIMIT) {
        double t0 = mono_ms();
        st = get(tok, tenant, "/api/runs", NULL, 0);
        double took = mono_ms() - t0;
        slowest = took > slowest ? took : slowest;
        if (st != 200)
            break;
        granted++;
    }
    int refill = (int)((mono_ms() - first) * LIMIT / PERIOD_MS) + 1;
    ck_assert_msg(st == 429, "request %d during the outage: %ld", granted + 1, st);
    ck_assert_msg(granted >= LIMIT - 5 && granted <= LIMIT - 5 + refill,
                  "%d granted during the outage, expected %d..%d", granted, LIMIT - 5,
                  LIMIT - 5 + refill);
    ck_assert_msg(slowest < REDIS_TIMEOUT_MS, "a request took %.0f ms while Redis was down",
                  slowest);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"local\"}"), 1);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 0);
    ck_assert_int_eq(get(tok2, tenant, "/api/runs", NULL, 0), 200);

    redis_start();
    double t0 = mono_ms();
    while (tu_metric(port, "rate_limiter_backend{backend=\"redis\"}") != 1 &&
           mono_ms() - t0 < 5000) {
        ck_assert_int_eq(get(tok2, tenant, "/api/runs", NULL, 0), 200);
        usleep(100 * 1000);
    }
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 1);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"local\"}"), 0);
    /* every worker thread talks to the new Redis: no fallback again */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(get(tok2, tenant, "/api/runs/x", NULL, 0), 200);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"redis\"}"), 1);

    /* Redis hangs (DEBUG SLEEP): the command timeout opens the breaker; after
     * that only the probe (one per interval) waits for Redis, and no request
     * waits for the hang to end */
    char p[16], hang[8];
    snprintf(p, sizeof(p), "%d", redis_port);
    snprintf(hang, sizeof(hang), "%d", HANG_S);
    char *const sleep_argv[] = {"redis-cli", "-p", p, "DEBUG", "SLEEP", hang, NULL};
    pid_t sleeper = tu_spawn(sleep_argv, NULL);
    ck_assert_int_gt(sleeper, 0);
    double spawned = mono_ms();
    while (!redis_hung() && mono_ms() - spawned < 10000)
        usleep(20 * 1000);
    slowest = 0;
    int waited = 0, after_open = 0;
    double hang_start = mono_ms();
    /* until the breaker has opened, then five more */
    while (after_open < 5 && mono_ms() - hang_start < HANG_S * 1000) {
        double t1 = mono_ms();
        ck_assert_int_eq(get(tok3, tenant, "/api/runs", NULL, 0), 200);
        double took = mono_ms() - t1;
        slowest = took > slowest ? took : slowest;
        waited += took >= REDIS_TIMEOUT_MS;
        if (after_open > 0 || tu_metric(port, "rate_limiter_backend{backend=\"local\"}") == 1)
            after_open++;
    }
    int probes = (int)((mono_ms() - hang_start) / PROBE_INTERVAL_MS) + 1;
    ck_assert_msg(waited <= probes, "%d requests waited for the hung Redis, at most %d probes",
                  waited, probes);
    ck_assert_msg(slowest < HANG_S * 1000 - 500, "a request took %.0f ms while Redis hung",
                  slowest);
    ck_assert_double_eq(tu_metric(port, "rate_limiter_backend{backend=\"local\"}"), 1);
    tu_stop(sleeper, SIGTERM);

    /* no 5xx at any point */
    ck_assert_double_eq(tu_metric(port, "http_requests_total{method=\"GET\",endpoint=\"/api/runs\","
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
    ck_assert_double_eq(tu_metric(port, line), 0);

    gwt_upstream_start(&ups[1], b_port);
    usleep(400 * 1000); /* the cool-down */
    b = 0;
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(get(tok, tenant, "/api/runs", who, sizeof(who)), 200);
        b += strcmp(who, "replica-b") == 0;
    }
    ck_assert_msg(b >= 5, "the restarted replica got %d of 20 requests", b);
    ck_assert_double_eq(tu_metric(port, line), 1);
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
