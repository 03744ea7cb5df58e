/* Pure pieces of the gateway: GCRA, the bounded local limiter table, the
 * client address behind trusted proxies, CORS origin matching, the route
 * table's invariants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clientip.h"
#include "config.h"
#include "cors.h"
#include "rl_local.h"
#include "routes.h"
#include "testutil.h"
#include "valor/err.h"

START_TEST(test_gcra_burst_then_refuse)
{
    double tat = 0;
    struct gw_gcra g;
    long long now = 1000000;

    for (int i = 0; i < 100; i++) {
        gw_gcra_step(&tat, now, 100, 60000, &g);
        ck_assert_msg(g.allowed, "request %d refused", i + 1);
        ck_assert_int_eq(g.remaining, 99 - i);
    }
    gw_gcra_step(&tat, now, 100, 60000, &g);
    ck_assert(!g.allowed);
    ck_assert_int_eq(g.remaining, 0);
    ck_assert_int_eq(g.retry_ms, 600); /* one emission interval */
    ck_assert_int_eq(g.reset_ms, 60000);
    /* refused requests do not push the limit further */
    gw_gcra_step(&tat, now, 100, 60000, &g);
    ck_assert_int_eq(g.retry_ms, 600);
    gw_gcra_step(&tat, now + 600, 100, 60000, &g);
    ck_assert(g.allowed);
}
END_TEST

START_TEST(test_gcra_even_pace_never_refused)
{
    double tat = 0;
    struct gw_gcra g;
    /* 5 per 60 s, one every 12 s, forever: never refused */
    for (int i = 0; i < 50; i++) {
        gw_gcra_step(&tat, 1000000 + (long long)i * 12000, 5, 60000, &g);
        ck_assert(g.allowed);
    }
}
END_TEST

START_TEST(test_gcra_no_double_burst)
{
    double tat = 0;
    struct gw_gcra g;
    int allowed = 0;
    /* a full burst at t, then another at t + 1 s: the second gets ~nothing */
    for (int i = 0; i < 10; i++) {
        gw_gcra_step(&tat, 1000000, 10, 60000, &g);
        allowed += g.allowed;
    }
    for (int i = 0; i < 10; i++) {
        gw_gcra_step(&tat, 1001000, 10, 60000, &g);
        allowed += g.allowed;
    }
    ck_assert_int_eq(allowed, 10);
}
END_TEST

START_TEST(test_local_table_bounded_and_independent)
{
    struct gw_rl_local *t = NULL;
    struct gw_gcra g;
    char key[32];

    ck_assert_int_eq(gw_rl_local_new(64, &t), VALOR_OK);
    for (int i = 0; i < 3; i++) {
        gw_rl_local_check(t, "a", 3, 60000, 5000, &g);
        ck_assert(g.allowed);
    }
    gw_rl_local_check(t, "a", 3, 60000, 5000, &g);
    ck_assert(!g.allowed);
    gw_rl_local_check(t, "b", 3, 60000, 5000, &g);
    ck_assert(g.allowed);
    /* 10,000 other keys: the table stays at 64 entries and still works */
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        gw_rl_local_check(t, key, 3, 60000, 5000, &g);
        ck_assert(g.allowed);
    }
    gw_rl_local_free(t);
}
END_TEST

START_TEST(test_client_ip_trusted_proxies)
{
    struct gw_config c;
    char err[256], ip[64];

    setenv("TRUSTED_PROXIES", "10.0.0.0/8", 1);
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    gw_client_ip(&c, "203.0.113.9", "1.2.3.4", ip, sizeof(ip));
    ck_assert_str_eq(ip, "203.0.113.9"); /* untrusted peer: header ignored */
    gw_client_ip(&c, "10.1.1.1", NULL, ip, sizeof(ip));
    ck_assert_str_eq(ip, "10.1.1.1");
    gw_client_ip(&c, "10.1.1.1", "1.2.3.4", ip, sizeof(ip));
    ck_assert_str_eq(ip, "1.2.3.4");
    gw_client_ip(&c, "10.1.1.1", "6.6.6.6, 1.2.3.4, 10.2.2.2", ip, sizeof(ip));
    ck_assert_str_eq(ip, "1.2.3.4"); /* spoofed left part ignored */
    gw_client_ip(&c, "10.1.1.1", "garbage", ip, sizeof(ip));
    ck_assert_str_eq(ip, "10.1.1.1");
    gw_config_free(&c);
    unsetenv("TRUSTED_PROXIES");
}
END_TEST

START_TEST(test_cors_allow_list)
{
    struct gw_config c;
    char err[256];
    ck_assert_int_eq(gw_config_load(&c, err, sizeof(err)), VALOR_OK);
    ck_assert(gw_cors_allowed(&c, "http://localhost:8000"));
    ck_assert(gw_cors_allowed(&c, "http://127.0.0.1:8000/"));
    ck_assert(!gw_cors_allowed(&c, "http://localhost:8000.evil.com"));
    ck_assert(!gw_cors_allowed(&c, "http://localhost:800"));
    ck_assert(!gw_cors_allowed(&c, "null"));
    ck_assert(!gw_cors_allowed(&c, NULL));
    gw_config_free(&c);
}
END_TEST

START_TEST(test_route_table_invariants)
{
    for (size_t i = 0; i < gw_nroutes; i++) {
        const struct gw_route *r = &gw_routes[i];
        ck_assert_msg(r->methods != 0, "%s has no method", r->path);
        ck_assert_msg(strncmp(r->path, "/api/", 5) == 0, "%s", r->path);
        ck_assert_msg((r->flags & GW_R_PUBLIC) == 0 || r->bucket == GW_BUCKET_AUTH,
                      "public route %s not in the auth bucket", r->path);
        ck_assert_msg(r->bucket != GW_BUCKET_NONE, "%s is not limited", r->path);
    }
    ck_assert_int_eq(gw_method_bit("PATCH"), GW_M_PATCH);
    ck_assert_int_eq(gw_method_bit("OPTIONS"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway-units");
    TCase *tc = tcase_create("units");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_gcra_burst_then_refuse);
    tcase_add_test(tc, test_gcra_even_pace_never_refused);
    tcase_add_test(tc, test_gcra_no_double_burst);
    tcase_add_test(tc, test_local_table_bounded_and_independent);
    tcase_add_test(tc, test_client_ip_trusted_proxies);
    tcase_add_test(tc, test_cors_allow_list);
    tcase_add_test(tc, test_route_table_invariants);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
