/* gw_config_load: upstream URLs, timeouts, CORS, proxies and rate limits from
 * the environment. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "gateway.h"
#include "testutil.h"
#include "valor/cpus.h"
#include "valor/err.h"

static const char *const vars[] = {"AUTH_SERVICE_URL",
                                   "RUNS_SERVICE_URL",
                                   "FINANCIAL_SERVICE_URL",
                                   "DEALS_SERVICE_URL",
                                   "UPSTREAM_CONNECT_TIMEOUT_MS",
                                   "UPSTREAM_TIMEOUT_MS",
                                   "CORS_ORIGINS",
                                   "TRUSTED_PROXIES",
                                   "METRICS_ALLOW_CIDRS",
                                   "RATE_LIMIT_AUTH",
                                   "RATE_LIMIT_API",
                                   "RATE_LIMIT_API_PROFESSIONAL",
                                   "RATE_LIMIT_HEAVY",
                                   "RATE_LIMIT_FINANCIAL_DATA",
                                   "APP_ENV",
                                   "FLASK_ENV",
                                   "RATE_LIMIT_REDIS_CONNECTIONS"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

/* Loads and expects a refusal whose reason names `var`. */
static void expect_refused(const char *var)
{
    struct gw_config c;
    char err[256] = "";
    int rc = gw_config_load(&c, err, sizeof(err));
    ck_assert_int_eq(rc, VALOR_E_INVALID);
    ck_assert_msg(strstr(err, var) != NULL, "reason '%s' does not name %s", err, var);
    gw_config_free(&c);
}

START_TEST(test_bad_urls_refused)
{
    static const char *const bad[] = {"ftp://x:1",      "127.0.0.1:5101",      "http://",
                                      "http:///path",   "http://h:1/?q=1",     "http://h:1/#f",
                                      "http://h:1/a b", "https://fin.internal"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        clear_env();
        setenv("RUNS_SERVICE_URL", bad[i], 1);
        expect_refused("RUNS_SERVICE_URL");
    }
}
END_TEST

START_TEST(test_bad_timeouts_refused)
{
    clear_env();
    setenv("UPSTREAM_TIMEOUT_MS", "soon", 1);
    expect_refused("UPSTREAM_TIMEOUT_MS");
    clear_env();
    setenv("UPSTREAM_CONNECT_TIMEOUT_MS", "0", 1);
    expect_refused("UPSTREAM_CONNECT_TIMEOUT_MS");
    clear_env();
    setenv("RATE_LIMIT_REDIS_CONNECTIONS", "0", 1);
    expect_refused("RATE_LIMIT_REDIS_CONNECTIONS");
    clear_env();
    setenv("RATE_LIMIT_REDIS_CONNECTIONS", "65", 1);
    expect_refused("RATE_LIMIT_REDIS_CONNECTIONS");
}
END_TEST

START_TEST(test_gw_start_refuses_bad_config)
{
    struct gw *g = (struct gw *)1;
    clear_env();
    setenv("DEALS_SERVICE_URL", "not a url", 1);
    ck_assert_int_eq(gw_start(&g), VALOR_E_INVALID);
    ck_assert_ptr_null(g);
}
END_TEST

START_TEST(test_defaults)
{
    struct gw_config c;
    char err[256] = "";
    clear_env();
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_str_eq(c.upstream_url[GW_SVC_AUTH][0], "http://127.0.0.1:5101");
    ck_assert_str_eq(c.upstream_url[GW_SVC_RUNS][0], "http://127.0.0.1:5102");
    ck_assert_str_eq(c.upstream_url[GW_SVC_FINANCIAL][0], "http://127.0.0.1:5103");
    ck_assert_str_eq(c.upstream_url[GW_SVC_DEALS][0], "http://127.0.0.1:5104");
    ck_assert_int_eq(c.upstream_connect_timeout_ms, 1000);
    ck_assert_int_eq(c.upstream_timeout_ms, 10000);
    ck_assert_int_eq(c.base.port, 5002);
    ck_assert_int_eq(c.redis_connections, 2);
    ck_assert_str_eq(gw_service_name(GW_SVC_FINANCIAL), "financial");
    gw_config_free(&c);
}
END_TEST

START_TEST(test_overrides_and_trailing_slash)
{
    struct gw_config c;
    char err[256] = "";
    clear_env();
    setenv("AUTH_SERVICE_URL", "http://svc-auth:8080/", 1);
    setenv("FINANCIAL_SERVICE_URL", "http://fin.internal/base//", 1);
    setenv("UPSTREAM_TIMEOUT_MS", "2500", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_str_eq(c.upstream_url[GW_SVC_AUTH][0], "http://svc-auth:8080");
    ck_assert_str_eq(c.upstream_url[GW_SVC_FINANCIAL][0], "http://fin.internal/base");
    ck_assert_int_eq(c.upstream_timeout_ms, 2500);
    gw_config_free(&c);
}
END_TEST

START_TEST(test_worker_threads)
{
    struct gw_config c;
    char err[256] = "";
    long cores = cpus_available(); /* the cgroup's CPU quota counts (cpus.h) */
    clear_env();
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    /* event loops, one per two usable cores (at least one); workers that never wait: 2 per
     * core, 4 to 64 */
    ck_assert_int_eq(c.forward_loops, (cores + 1) / 2 > 64 ? 64 : (cores + 1) / 2);
    ck_assert_int_eq(c.base.worker_threads, cores * 2 < 4 ? 4 : cores * 2 > 64 ? 64 : cores * 2);
    gw_config_free(&c);
    /* blocking workers: 8 per usable core, 16 to 64 */
    setenv("FORWARD_LOOPS", "0", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(c.forward_loops, 0);
    ck_assert_int_eq(c.base.worker_threads, cores * 8 < 16 ? 16 : cores * 8 > 64 ? 64 : cores * 8);
    gw_config_free(&c);
    unsetenv("FORWARD_LOOPS");
    setenv("FORWARD_LOOPS", "65", 1); /* refused */
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_E_INVALID);
    ck_assert_ptr_nonnull(strstr(err, "FORWARD_LOOPS"));
    gw_config_free(&c);
    unsetenv("FORWARD_LOOPS");
    setenv("WORKER_THREADS", "3", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(c.base.worker_threads, 3);
    gw_config_free(&c);
    unsetenv("WORKER_THREADS");
}
END_TEST

START_TEST(test_url_lists)
{
    struct gw_config c;
    char err[256] = "";
    clear_env();
    setenv("RUNS_SERVICE_URL", " http://10.0.0.1:1 ,http://runs:2/, ", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(c.n_upstream_url[GW_SVC_RUNS], 2);
    ck_assert_str_eq(c.upstream_url[GW_SVC_RUNS][0], "http://10.0.0.1:1");
    ck_assert_str_eq(c.upstream_url[GW_SVC_RUNS][1], "http://runs:2");
    ck_assert_int_eq(c.n_upstream_url[GW_SVC_AUTH], 1);
    gw_config_free(&c);
    clear_env();
    setenv("RUNS_SERVICE_URL", " , ", 1);
    expect_refused("RUNS_SERVICE_URL");
    clear_env();
    setenv("RUNS_SERVICE_URL", "http://a:1,ftp://b:2", 1);
    expect_refused("RUNS_SERVICE_URL");
}
END_TEST

START_TEST(test_rate_limits)
{
    static const char *const bad[] = {"100",  "100/",   "/60",   "0/60",     "10/0",
                                      "x/60", "10/60s", "-1/60", "10/100000"};
    struct gw_config c;
    char err[256] = "";

    clear_env();
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(c.limits[GW_BUCKET_AUTH].n, 5);
    ck_assert_int_eq(c.limits[GW_BUCKET_AUTH].period_s, 60);
    ck_assert_int_eq(c.limits[GW_BUCKET_FINANCIAL].n, 30);
    ck_assert_int_eq(c.limits[GW_BUCKET_HEAVY].n, 10);
    ck_assert_int_eq(c.api_plan[GW_PLAN_STANDARD].n, 100);
    ck_assert_int_eq(c.api_plan[GW_PLAN_PROFESSIONAL].n, 500);
    ck_assert_int_eq(c.api_plan[GW_PLAN_ENTERPRISE].n, 2000);
    ck_assert_int_eq(c.n_cors_origins, 2);
    ck_assert_str_eq(c.cors_origins[0], "http://localhost:8000");
    ck_assert_int_eq(c.n_trusted_proxies, 0);
    gw_config_free(&c);

    clear_env();
    setenv("RATE_LIMIT_API", "7/10", 1);
    setenv("RATE_LIMIT_API_PROFESSIONAL", "50/20", 1);
    setenv("RATE_LIMIT_HEAVY", "3/5", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(c.api_plan[GW_PLAN_STANDARD].n, 7);
    ck_assert_int_eq(c.api_plan[GW_PLAN_STANDARD].period_s, 10);
    ck_assert_int_eq(c.api_plan[GW_PLAN_ENTERPRISE].n, 7);
    ck_assert_int_eq(c.api_plan[GW_PLAN_PROFESSIONAL].n, 50);
    ck_assert_int_eq(c.api_plan[GW_PLAN_PROFESSIONAL].period_s, 20);
    ck_assert_int_eq(c.limits[GW_BUCKET_HEAVY].n, 3);
    ck_assert_int_eq(gw_plan_from_claim("professional"), GW_PLAN_PROFESSIONAL);
    ck_assert_int_eq(gw_plan_from_claim("gold"), GW_PLAN_STANDARD);
    ck_assert_str_eq(gw_bucket_name(GW_BUCKET_FINANCIAL), "financial_data");
    gw_config_free(&c);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        clear_env();
        setenv("RATE_LIMIT_AUTH", bad[i], 1);
        expect_refused("RATE_LIMIT_AUTH");
    }
}
END_TEST

START_TEST(test_cors_and_cidrs)
{
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0", "::1/129", "x", "10.0.0.1/"};
    struct gw_config c;
    char err[256] = "";

    clear_env();
    setenv("CORS_ORIGINS", "https://app.example.com/, http://a:1", 1);
    setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7, fd00::/8", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(c.n_cors_origins, 2);
    ck_assert_str_eq(c.cors_origins[0], "https://app.example.com");
    ck_assert_int_eq(c.n_trusted_proxies, 3);
    ck_assert(gw_cidr_contains(c.trusted_proxies, 3, "10.200.3.4"));
    ck_assert(gw_cidr_contains(c.trusted_proxies, 3, "192.168.1.7"));
    ck_assert(!gw_cidr_contains(c.trusted_proxies, 3, "192.168.1.8"));
    ck_assert(gw_cidr_contains(c.trusted_proxies, 3, "fd12::1"));
    ck_assert(!gw_cidr_contains(c.trusted_proxies, 3, "11.0.0.1"));
    ck_assert(!gw_cidr_contains(c.trusted_proxies, 3, "garbage"));
    gw_config_free(&c);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        clear_env();
        setenv("TRUSTED_PROXIES", bad[i], 1);
        expect_refused("TRUSTED_PROXIES");
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-config");
    TCase *tc = tcase_create("config");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_bad_urls_refused);
    tcase_add_test(tc, test_worker_threads);
    tcase_add_test(tc, test_bad_timeouts_refused);
    tcase_add_test(tc, test_gw_start_refuses_bad_config);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_overrides_and_trailing_slash);
    tcase_add_test(tc, test_url_lists);
    tcase_add_test(tc, test_rate_limits);
    tcase_add_test(tc, test_cors_and_cidrs);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
