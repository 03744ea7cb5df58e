/* svc-financial routes in-process against the real PostgreSQL/Redis/NATS,
 * with the seed dataset imported into a private schema. No Alpha Vantage
 * key here: unknown tickers are 404. */
#include <math.h>

#include "dcf_inputs.h"
#include "fintest.h"
#include "handlers.h"

static struct ft T;
static char TA[32], TB[32];
static char *admin_a, *analyst_a, *viewer_a, *admin_b;

static void setup(void)
{
    unsetenv("ALPHA_VANTAGE_API_KEY");
    ft_start(&T, "api");
    ft_import_seed(&T);
    snprintf(TA, sizeof(TA), "ta-%d", (int)getpid());
    snprintf(TB, sizeof(TB), "tb-%d", (int)getpid());
    admin_a = tu_token(TA, "u-admin-a", "admin", 600);
    analyst_a = tu_token(TA, "u-analyst-a", "analyst", 600);
    viewer_a = tu_token(TA, "u-viewer-a", "viewer", 600);
    admin_b = tu_token(TB, "u-admin-b", "admin", 600);
}

static void teardown(void)
{
    ft_stop(&T);
    free(admin_a);
    free(analyst_a);
    free(viewer_a);
    free(admin_b);
}

static const char *str(const json_t *o, const char *f)
{
    const char *s = json_string_value(json_object_get(o, f));
    ck_assert_msg(s != NULL, "%s is not a string", f);
    return s;
}

START_TEST(test_auth_first)
{
    const char *paths[] = {"/api/financial-data/AAPL", "/api/financial-data/AAPL/dcf-inputs",
                           "/api/financial-data/AAPL/historical-prices", "/api/financial-data?q=a",
                           "/api/financial-data/BAD$$"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        json_t *j = ft_expect(&T, "GET", paths[i], NULL, NULL, NULL, 401);
        ck_assert_str_eq(str(j, "error"), "Authorization header required");
        json_decref(j);
        j = ft_expect(&T, "GET", paths[i], viewer_a, NULL, NULL, 400);
        ck_assert_str_eq(str(j, "error"), "Tenant ID required");
        json_decref(j);
        j = ft_expect(&T, "GET", paths[i], viewer_a, TB, NULL, 403);
        ck_assert_str_eq(str(j, "error"), "Tenant mismatch");
        json_decref(j);
    }
}
END_TEST

START_TEST(test_bad_tickers_are_400)
{
    const char *bad[] = {"ABCDEFGHIJK", "AB$C", "A%20B", "%C3%84", "A_B"};
    const char *suffix[] = {"", "/dcf-inputs", "/historical-prices"};
    char path[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        for (size_t k = 0; k < 3; k++) {
            snprintf(path, sizeof(path), "/api/financial-data/%s%s", bad[i], suffix[k]);
            json_t *j = ft_expect(&T, "GET", path, viewer_a, TA, NULL, 400);
            ck_assert_str_eq(str(json_array_get(json_object_get(j, "details"), 0), "field"),
                             "ticker");
            json_decref(j);
        }
    json_t *j = ft_expect(&T, "PUT", "/api/financial-data/AB$C", admin_a, TA,
                          "{\"company_name\":\"X\"}", 400);
    json_decref(j);
}
END_TEST

START_TEST(test_unknown_ticker_404)
{
    const char *paths[] = {"/api/financial-data/ZZZZ", "/api/financial-data/ZZZZ/dcf-inputs"};
    for (int i = 0; i < 2; i++) {
        json_t *j = ft_expect(&T, "GET", paths[i], viewer_a, TA, NULL, 404);
        ck_assert(json_is_false(json_object_get(j, "success")));
        ck_assert_str_eq(str(j, "error"), "No financial data found for this ticker");
        json_decref(j);
    }
    json_t *j =
        ft_expect(&T, "GET", "/api/financial-data/ZZZZ/historical-prices", viewer_a, TA, NULL, 404);
    ck_assert(json_is_false(json_object_get(j, "success")));
    ck_assert_str_eq(str(j, "error"), "No historical price data found for this ticker");
    json_decref(j);
}
END_TEST

START_TEST(test_company_from_store)
{
    json_t *j = ft_expect(&T, "GET", "/api/financial-data/aapl", viewer_a, TA, NULL, 200);
    json_t *d = json_object_get(j, "data");
    ck_assert(json_is_true(json_object_get(j, "success")));
    ck_assert_str_eq(str(j, "source"), "store");
    const char *as_of = str(j, "as_of");
    ck_assert_msg(strlen(as_of) == 24 && as_of[23] == 'Z', "as_of %s", as_of);
    ck_assert_str_eq(str(d, "ticker"), "AAPL");
    ck_assert_str_eq(str(d, "company_name"), "Apple Inc.");
    ck_assert(json_is_null(json_object_get(d, "market_cap")));
    ck_assert_int_eq(json_integer_value(json_object_get(d, "revenue")), 383285000000LL);
    json_t *is = json_object_get(d, "income_statements");
    ck_assert_int_eq(json_array_size(is), 3);
    ck_assert_str_eq(str(json_array_get(is, 0), "fiscal_date"), "2023-09-30");
    ck_assert_str_eq(str(json_array_get(is, 2), "fiscal_date"), "2021-09-25");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(is, 1), "total_revenue")),
                     394328000000LL);
    ck_assert_int_eq(json_array_size(json_object_get(d, "balance_sheets")), 3);
    ck_assert_int_eq(json_array_size(json_object_get(d, "cash_flows")), 3);
    /* every field of the <Company> shape is present */
    const char *fields[] = {"ticker",
                            "company_name",
                            "sector",
                            "industry",
                            "currency",
                            "market_cap",
                            "revenue",
                            "ebit",
                            "net_income",
                            "shares_outstanding",
                            "beta",
                            "total_debt",
                            "cash",
                            "pe_ratio",
                            "pb_ratio",
                            "profit_margin",
                            "operating_margin",
                            "return_on_equity",
                            "return_on_assets",
                            "revenue_growth"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        ck_assert_msg(json_object_get(d, fields[i]) != NULL, "missing %s", fields[i]);
    json_decref(j);
}
END_TEST

START_TEST(test_dcf_inputs_every_seed_ticker)
{
    const char *tickers[] = {"AAPL", "MSFT", "IBM", "GOOGL", "AMZN",
                             "JPM",  "JNJ",  "XOM", "KO",    "NVDA"};
    const char *required[] = {"revenue",     "growthY1",   "years",     "termGrowth", "ebitMargin",
                              "taxRate",     "salesToCap", "wacc",      "shares",     "netDebt",
                              "growthDecay", "stage1End",  "stage2End", "s1NWC"};
    char path[128];
    for (size_t i = 0; i < sizeof(tickers) / sizeof(tickers[0]); i++) {
        snprintf(path, sizeof(path), "/api/financial-data/%s/dcf-inputs", tickers[i]);
        json_t *j = ft_expect(&T, "GET", path, viewer_a, TA, NULL, 200);
        json_t *d = json_object_get(j, "data");
        for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
            json_t *v = json_object_get(d, required[k]);
            ck_assert_msg(json_is_number(v) && isfinite(json_number_value(v)), "%s: %s", tickers[i],
                          required[k]);
        }
        double wacc = json_number_value(json_object_get(d, "wacc"));
        ck_assert_msg(wacc >= 0.03 && wacc <= 0.25, "%s wacc %g", tickers[i], wacc);
        ck_assert_int_eq(json_integer_value(json_object_get(d, "years")), 7);
        ck_assert(json_number_value(json_object_get(d, "shares")) > 0);
        ck_assert(json_number_value(json_object_get(d, "revenue")) > 0);
        double s2c = json_number_value(json_object_get(d, "salesToCap"));
        ck_assert_msg(s2c > 0 && s2c <= 10, "%s salesToCap %g", tickers[i], s2c);
        double tax = json_number_value(json_object_get(d, "taxRate"));
        ck_assert(tax >= 0 && tax <= 0.6);
        double g = json_number_value(json_object_get(d, "growthY1"));
        ck_assert(g >= 0 && g <= 0.5);
        ck_assert(json_is_array(json_object_get(d, "assumptions")));
        json_decref(j);
    }
    /* AAPL: 2023 vs 2022 revenue fell → growth clamped to 0; beta 1.29 → wacc */
    json_t *j =
        ft_expect(&T, "GET", "/api/financial-data/AAPL/dcf-inputs", viewer_a, TA, NULL, 200);
    json_t *d = json_object_get(j, "data");
    ck_assert_double_eq_tol(json_number_value(json_object_get(d, "growthY1")), 0.0, 1e-12);
    ck_assert_double_eq_tol(json_number_value(json_object_get(d, "wacc")), 0.04 + 1.29 * 0.055,
                            1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(d, "netDebt")),
                            111088000000.0 - 29965000000.0, 1);
    json_decref(j);
}
END_TEST

START_TEST(test_prices_validation)
{
    const char *bad[] = {"?interval=hourly", "?interval=", "?limit=0",       "?limit=1001",
                         "?limit=abc",       "?limit=-1",  "?interval=DAILY"};
    char path[160];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/api/financial-data/AAPL/historical-prices%s", bad[i]);
        json_t *j = ft_expect(&T, "GET", path, viewer_a, TA, NULL, 400);
        ck_assert_str_eq(str(j, "error"), "ValidationError");
        json_decref(j);
    }
}
END_TEST

START_TEST(test_prices_daily_weekly_monthly)
{
    json_t *j =
        ft_expect(&T, "GET", "/api/financial-data/msft/historical-prices", viewer_a, TA, NULL, 200);
    json_t *d = json_object_get(j, "data");
    ck_assert_int_eq(json_array_size(d), 100); /* default limit */
    ck_assert_str_eq(str(json_array_get(d, 0), "date"), "2023-12-29");
    ck_assert_str_eq(str(json_array_get(d, 1), "date"), "2023-12-28");
    ck_assert_double_eq_tol(json_number_value(json_object_get(json_array_get(d, 0), "close")),
                            376.04, 1e-9);
    json_decref(j);

    j = ft_expect(&T, "GET", "/api/financial-data/MSFT/historical-prices?interval=daily&limit=1000",
                  viewer_a, TA, NULL, 200);
    json_t *daily = json_incref(json_object_get(j, "data"));
    json_decref(j);
    ck_assert_int_eq(json_array_size(daily), 251);

    /* the last week of 2023 (Mon 2023-12-25 is a holiday: Tue 26 … Fri 29) */
    j = ft_expect(&T, "GET", "/api/financial-data/MSFT/historical-prices?interval=weekly&limit=2",
                  viewer_a, TA, NULL, 200);
    d = json_object_get(j, "data");
    ck_assert_int_eq(json_array_size(d), 2);
    json_t *w = json_array_get(d, 0);
    ck_assert_str_eq(str(w, "date"), "2023-12-25");
    double hi = 0, lo = 1e18;
    long long vol = 0;
    for (size_t i = 0; i < 4; i++) {
        json_t *r = json_array_get(daily, i);
        hi = fmax(hi, json_number_value(json_object_get(r, "high")));
        lo = fmin(lo, json_number_value(json_object_get(r, "low")));
        vol += json_integer_value(json_object_get(r, "volume"));
    }
    ck_assert_str_eq(str(json_array_get(daily, 3), "date"), "2023-12-26");
    ck_assert_double_eq_tol(json_number_value(json_object_get(w, "open")),
                            json_number_value(json_object_get(json_array_get(daily, 3), "open")),
                            1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(w, "close")), 376.04, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(w, "high")), hi, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(w, "low")), lo, 1e-9);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "volume")), vol);
    json_decref(j);

    j = ft_expect(&T, "GET",
                  "/api/financial-data/MSFT/historical-prices?interval=monthly&limit=1000",
                  viewer_a, TA, NULL, 200);
    d = json_object_get(j, "data");
    ck_assert_int_eq(json_array_size(d), 13); /* Dec 2022 (one day) + 12 months */
    ck_assert_str_eq(str(json_array_get(d, 0), "date"), "2023-12-01");
    ck_assert_str_eq(str(json_array_get(d, 12), "date"), "2022-12-01");
    ck_assert_double_eq_tol(json_number_value(json_object_get(json_array_get(d, 12), "close")),
                            239.82, 1e-9);
    json_decref(j);
    json_decref(daily);
}
END_TEST

START_TEST(test_search)
{
    json_t *j = ft_expect(&T, "GET", "/api/financial-data?q=ap", viewer_a, TA, NULL, 200);
    json_t *d = json_object_get(j, "data");
    ck_assert_int_eq(json_array_size(d), 1);
    ck_assert_str_eq(str(json_array_get(d, 0), "ticker"), "AAPL");
    ck_assert_str_eq(str(json_array_get(d, 0), "company_name"), "Apple Inc.");
    ck_assert_str_eq(str(json_array_get(d, 0), "sector"), "Technology");
    json_decref(j);
    /* name prefix, case-insensitive */
    j = ft_expect(&T, "GET", "/api/financial-data?q=MICRO", viewer_a, TA, NULL, 200);
    ck_assert_str_eq(str(json_array_get(json_object_get(j, "data"), 0), "ticker"), "MSFT");
    json_decref(j);
    /* LIKE wildcards are literal */
    j = ft_expect(&T, "GET", "/api/financial-data?q=%25", viewer_a, TA, NULL, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "data")), 0);
    json_decref(j);
    j = ft_expect(&T, "GET", "/api/financial-data?q=_", viewer_a, TA, NULL, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "data")), 0);
    json_decref(j);
    /* no q: everything (≤ 50), ordered by ticker */
    j = ft_expect(&T, "GET", "/api/financial-data", viewer_a, TA, NULL, 200);
    d = json_object_get(j, "data");
    ck_assert_int_eq(json_array_size(d), 10);
    ck_assert_str_eq(str(json_array_get(d, 0), "ticker"), "AAPL");
    json_decref(j);
    char path[256] = "/api/financial-data?q=";
    memset(path + strlen(path), 'a', 101);
    j = ft_expect(&T, "GET", path, viewer_a, TA, NULL, 400);
    json_decref(j);
}
END_TEST

static const char *OVERLAY = "{\"company_name\":\"Apple Overlay Co\",\"sector\":\"Private\","
                             "\"beta\":1.0,\"shares_outstanding\":1000,\"revenue\":5000,"
                             "\"source\":\"tenant upload\",\"income_statements\":["
                             "{\"fiscal_date\":\"2024-09-28\",\"total_revenue\":5000,"
                             "\"operating_income\":1000}]}";

START_TEST(test_put_refusals_write_nothing)
{
    long before = ft_count(&T, "companies", "true");
    long events = ft_count(&T, "outbox", "true");
    json_t *j = ft_expect(&T, "PUT", "/api/financial-data/AAPL", analyst_a, TA, OVERLAY, 403);
    ck_assert_str_eq(str(j, "error"), "Insufficient permissions");
    json_decref(j);
    j = ft_expect(&T, "PUT", "/api/financial-data/AAPL", viewer_a, TA, OVERLAY, 403);
    json_decref(j);
    j = ft_expect(&T, "PUT", "/api/financial-data/AAPL", NULL, NULL, OVERLAY, 401);
    json_decref(j);
    j = ft_expect(&T, "PUT", "/api/financial-data/AAPL", admin_a, TA, "{\"company_name\":", 400);
    ck_assert_ptr_nonnull(strstr(str(j, "error"), "Invalid JSON"));
    json_decref(j);
    struct {
        const char *body, *field;
    } bad[] = {
        {"{}", "company_name"},
        {"[]", "body"},
        {"{\"company_name\":\"X\",\"ticker\":\"MSFT\"}", "ticker"},
        {"{\"company_name\":\"X\",\"revenue\":\"big\"}", "revenue"},
        {"{\"company_name\":\"X\",\"nope\":1}", "nope"},
        {"{\"company_name\":\"X\",\"balance_sheets\":[{\"fiscal_date\":\"x\"}]}",
         "balance_sheets[0].fiscal_date"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = ft_expect(&T, "PUT", "/api/financial-data/AAPL", admin_a, TA, bad[i].body, 400);
        ck_assert_str_eq(str(j, "error"), "ValidationError");
        ck_assert_str_eq(str(json_array_get(json_object_get(j, "details"), 0), "field"),
                         bad[i].field);
        json_decref(j);
    }
    /* wrong content type */
    struct tu_http_resp r;
    char url[128], auth[1200], ten[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/financial-data/AAPL", T.port);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", admin_a);
    snprintf(ten, sizeof(ten), "X-Tenant-ID: %s", TA);
    const char *h[] = {auth, ten, "Content-Type: text/plain", NULL};
    ck_assert_int_eq(tu_http("PUT", url, h, OVERLAY, &r), 0);
    ck_assert_int_eq(r.status, 415);
    tu_http_resp_free(&r);
    /* oversize body (MAX_BODY_BYTES default 1 MiB) */
    size_t big = 1100 * 1024;
    char *body = malloc(big + 64);
    snprintf(body, big + 64, "{\"company_name\":\"%0*d\"}", (int)big, 0);
    ft_req(&T, "PUT", "/api/financial-data/AAPL", admin_a, TA, body, &r);
    free(body);
    ck_assert_int_eq(r.status, 413);
    tu_http_resp_free(&r);

    ck_assert_int_eq(ft_count(&T, "companies", "true"), before);
    ck_assert_int_eq(ft_count(&T, "outbox", "true"), events);
    j = ft_expect(&T, "GET", "/api/financial-data/AAPL", viewer_a, TA, NULL, 200);
    ck_assert_str_eq(str(json_object_get(j, "data"), "company_name"), "Apple Inc.");
    json_decref(j);
}
END_TEST

START_TEST(test_overlay_only_for_its_tenant)
{
    char where[128];
    json_t *j = ft_expect(&T, "PUT", "/api/financial-data/aapl", admin_a, TA, OVERLAY, 200);
    ck_assert(json_is_true(json_object_get(j, "success")));
    ck_assert_str_eq(str(json_object_get(j, "data"), "company_name"), "Apple Overlay Co");
    json_decref(j);
    snprintf(where, sizeof(where), "subject = 'valor.events.%s.company.updated'", TA);
    ck_assert_int_eq(ft_count(&T, "outbox", where), 1);
    /* the same upload again changes nothing: no second event */
    json_decref(ft_expect(&T, "PUT", "/api/financial-data/AAPL", admin_a, TA, OVERLAY, 200));
    ck_assert_int_eq(ft_count(&T, "outbox", where), 1);

    /* tenant A (any role) sees its overlay */
    j = ft_expect(&T, "GET", "/api/financial-data/AAPL", viewer_a, TA, NULL, 200);
    json_t *d = json_object_get(j, "data");
    ck_assert_str_eq(str(d, "company_name"), "Apple Overlay Co");
    ck_assert_int_eq(json_array_size(json_object_get(d, "income_statements")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(d, "balance_sheets")), 0);
    json_decref(j);
    j = ft_expect(&T, "GET", "/api/financial-data/AAPL/dcf-inputs", viewer_a, TA, NULL, 200);
    ck_assert_double_eq_tol(
        json_number_value(json_object_get(json_object_get(j, "data"), "ebitMargin")), 0.2, 1e-12);
    json_decref(j);
    j = ft_expect(&T, "GET", "/api/financial-data?q=apple", viewer_a, TA, NULL, 200);
    ck_assert_str_eq(str(json_array_get(json_object_get(j, "data"), 0), "company_name"),
                     "Apple Overlay Co");
    json_decref(j);

    /* tenant B still sees the shared data */
    j = ft_expect(&T, "GET", "/api/financial-data/AAPL", admin_b, TB, NULL, 200);
    ck_assert_str_eq(str(json_object_get(j, "data"), "company_name"), "Apple Inc.");
    json_decref(j);
    j = ft_expect(&T, "GET", "/api/financial-data?q=apple", admin_b, TB, NULL, 200);
    ck_assert_str_eq(str(json_array_get(json_object_get(j, "data"), 0), "company_name"),
                     "Apple Inc.");
    json_decref(j);

    /* a ticker only the overlay has */
    json_decref(ft_expect(&T, "PUT", "/api/financial-data/PRIV.A", admin_a, TA,
                          "{\"company_name\":\"Private A\"}", 200));
    json_decref(ft_expect(&T, "GET", "/api/financial-data/PRIV.A", viewer_a, TA, NULL, 200));
    j = ft_expect(&T, "GET", "/api/financial-data/PRIV.A", admin_b, TB, NULL, 404);
    ck_assert_str_eq(str(j, "error"), "No financial data found for this ticker");
    json_decref(j);
    /* not enough data for DCF inputs: 422 with the reason */
    j = ft_expect(&T, "GET", "/api/financial-data/PRIV.A/dcf-inputs", viewer_a, TA, NULL, 422);
    ck_assert_ptr_nonnull(strstr(str(j, "error"), "revenue"));
    json_decref(j);
}
END_TEST

START_TEST(test_method_not_allowed)
{
    json_t *j = ft_expect(&T, "DELETE", "/api/financial-data/AAPL", admin_a, TA, NULL, 405);
    ck_assert_str_eq(str(j, "error"), "Method not allowed");
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-financial-api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_auth_first);
    tcase_add_test(tc, test_bad_tickers_are_400);
    tcase_add_test(tc, test_unknown_ticker_404);
    tcase_add_test(tc, test_company_from_store);
    tcase_add_test(tc, test_dcf_inputs_every_seed_ticker);
    tcase_add_test(tc, test_prices_validation);
    tcase_add_test(tc, test_prices_daily_weekly_monthly);
    tcase_add_test(tc, test_search);
    tcase_add_test(tc, test_put_refusals_write_nothing);
    tcase_add_test(tc, test_overlay_only_for_its_tenant);
    tcase_add_test(tc, test_method_not_allowed);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
