/* gw_config_load: upstream URLs and timeouts from the environment. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gateway.h"
#include "testutil.h"
#include "valor/err.h"

static const char *const vars[] = {"AUTH_SERVICE_URL",
                                   "RUNS_SERVICE_URL",
                                   "FINANCIAL_SERVICE_URL",
                                   "DEALS_SERVICE_URL",
                                   "UPSTREAM_CONNECT_TIMEOUT_MS",
                                   "UPSTREAM_TIMEOUT_MS",
                                   "APP_ENV",
                                   "FLASK_ENV"};

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
    static const char *const bad[] = {"ftp://x:1",     "127.0.0.1:5101",  "http://",
                                      "http:///path",  "http://h:1/?q=1", "http://h:1/#f",
                                      "http://h:1/a b"};
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
    ck_assert_str_eq(c.upstream_url[GW_SVC_AUTH], "http://127.0.0.1:5101");
    ck_assert_str_eq(c.upstream_url[GW_SVC_RUNS], "http://127.0.0.1:5102");
    ck_assert_str_eq(c.upstream_url[GW_SVC_FINANCIAL], "http://127.0.0.1:5103");
    ck_assert_str_eq(c.upstream_url[GW_SVC_DEALS], "http://127.0.0.1:5104");
    ck_assert_int_eq(c.upstream_connect_timeout_ms, 1000);
    ck_assert_int_eq(c.upstream_timeout_ms, 10000);
    ck_assert_int_eq(c.base.port, 5002);
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
    setenv("FINANCIAL_SERVICE_URL", "https://fin.internal/base//", 1);
    setenv("UPSTREAM_TIMEOUT_MS", "2500", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert_str_eq(c.upstream_url[GW_SVC_AUTH], "http://svc-auth:8080");
    ck_assert_str_eq(c.upstream_url[GW_SVC_FINANCIAL], "https://fin.internal/base");
    ck_assert_int_eq(c.upstream_timeout_ms, 2500);
    gw_config_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-config");
    TCase *tc = tcase_create("config");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_bad_urls_refused);
    tcase_add_test(tc, test_bad_timeouts_refused);
    tcase_add_test(tc, test_gw_start_refuses_bad_config);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_overrides_and_trailing_slash);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
