/* svc-runs over HTTP, in-process on a private schema: /api/scenarios
 * (batch upsert with per-item errors, list, delete, tenants, viewers,
 * events) and the engine routes /api/dcf/calculate, /monte-carlo and
 * /sensitivity. */
#include <math.h>
#include <unistd.h>

#include "api_helpers.h"
#include "valor/crypto.h"

static void setup(void)
{
    api_start();
}

static void teardown(void)
{
    api_stop();
}

static long scenarios_of(const char *tenant)
{
    return api_count("SELECT count(*) FROM scenarios WHERE tenant_id = $1", tenant, NULL);
}

START_TEST(test_invalid_scenarios_data)
{
    static const char *const bodies[] = {"{}", "[]", "{\"name\":\"a\"}", "{\"scenarios\":[]}"};
    struct api_resp r;
    char t[64], *many;
    char *tok = api_token(api_tenant("sinv", t, sizeof(t)), "u1", "analyst");
    size_t off = 0;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        api_call("POST", "/api/scenarios", tok, t, bodies[i], &r);
        ck_assert_msg(r.status == 400, "%s → %ld", bodies[i], r.status);
        ck_assert_str_eq(api_str(r.json, "error"), "Invalid scenarios data");
        api_free(&r);
    }
    /* a bare scalar is not even a JSON document to the body parser */
    api_call("POST", "/api/scenarios", tok, t, "\"x\"", &r);
    ck_assert_int_eq(r.status, 400);
    api_free(&r);
    /* 101 items */
    many = malloc(101 * 64 + 4);
    many[off++] = '[';
    for (int i = 0; i < 101; i++)
        off += (size_t)sprintf(many + off, "%s{\"name\":\"n%d\",\"ticker\":\"X\",\"inputs\":{}}",
                               i ? "," : "", i);
    strcpy(many + off, "]");
    api_call("POST", "/api/scenarios", tok, t, many, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(api_str(r.json, "error"), "Invalid scenarios data");
    ck_assert_str_eq(api_str(r.json, "details.0.msg"), "must have at most 100 items");
    api_free(&r);
    free(many);
    /* nothing valid at all */
    api_call("POST", "/api/scenarios", tok, t, "[1, {\"name\":\"x\"}]", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(api_int(r.json, "saved_count"), 0);
    ck_assert_int_eq(json_array_size(api_get(r.json, "errors")), 2);
    api_free(&r);
    api_call("POST", "/api/scenarios", tok, t, "[{", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(strncmp(api_str(r.json, "error"), "Invalid JSON: ", 14) == 0);
    api_free(&r);
    ck_assert_int_eq(scenarios_of(t), 0);
    free(tok);
}
END_TEST

START_TEST(test_save_reports_invalid_items_and_upserts)
{
    struct api_resp r;
    char t[64], id[64];
    char *tok = api_token(api_tenant("ssave", t, sizeof(t)), "u1", "analyst");

    api_call(
        "POST", "/api/scenarios", tok, t,
        "[{\"name\":\"Base\",\"ticker\":\"aapl\",\"inputs\":{\"wacc\":0.09}},"
        "{\"ticker\":\"AAPL\",\"inputs\":{}},"
        "\"not an object\","
        "{\"name\":\"Bull\",\"ticker\":\"AAPL\",\"inputs\":{},\"mc_settings\":{\"trials\":500}},"
        "{\"name\":\"Bad\",\"ticker\":\"AAPL\",\"inputs\":[]},"
        "{\"name\":\"NoTicker\",\"inputs\":{}}]",
        &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert(json_is_true(api_get(r.json, "success")));
    ck_assert_int_eq(api_int(r.json, "saved_count"), 2);
    ck_assert_str_eq(api_str(r.json, "message"), "2 scenarios saved successfully");
    ck_assert_int_eq(json_array_size(api_get(r.json, "errors")), 4);
    ck_assert_int_eq(api_int(r.json, "errors.0.index"), 1);
    ck_assert_str_eq(api_str(r.json, "errors.0.error"), "name: required");
    ck_assert_int_eq(api_int(r.json, "errors.1.index"), 2);
    ck_assert_str_eq(api_str(r.json, "errors.1.error"), "item: must be an object");
    ck_assert_int_eq(api_int(r.json, "errors.2.index"), 4);
    ck_assert_str_eq(api_str(r.json, "errors.2.error"), "inputs: must be an object");
    ck_assert_int_eq(api_int(r.json, "errors.3.index"), 5);
    ck_assert_str_eq(api_str(r.json, "errors.3.error"), "ticker: required");
    api_free(&r);

    api_call("GET", "/api/scenarios", tok, t, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(api_get(r.json, "scenarios")), 2);
    ck_assert_str_eq(api_str(r.json, "scenarios.0.name"), "Bull"); /* newest first */
    ck_assert_int_eq(api_int(r.json, "scenarios.0.mc_settings.trials"), 500);
    ck_assert_str_eq(api_str(r.json, "scenarios.1.name"), "Base");
    ck_assert_str_eq(api_str(r.json, "scenarios.1.ticker"), "AAPL");
    ck_assert(json_is_null(api_get(r.json, "scenarios.1.mc_settings")));
    ck_assert(json_is_integer(api_get(r.json, "scenarios.1.id")));
    snprintf(id, sizeof(id), "%s", api_str(r.json, "scenarios.1.scenario_id"));
    ck_assert(crypto_is_uuid(id));
    api_free(&r);

    /* the same (ticker, name) again: updated in place, scenario_id kept */
    api_call("POST", "/api/scenarios", tok, t,
             "[{\"name\":\"Base\",\"ticker\":\"AAPL\",\"inputs\":{\"wacc\":0.1}}]", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(api_int(r.json, "saved_count"), 1);
    ck_assert_int_eq(json_array_size(api_get(r.json, "errors")), 0);
    api_free(&r);
    ck_assert_int_eq(scenarios_of(t), 2);
    api_call("GET", "/api/scenarios?ticker=aapl", tok, t, NULL, &r);
    ck_assert_int_eq(json_array_size(api_get(r.json, "scenarios")), 2);
    ck_assert_str_eq(api_str(r.json, "scenarios.0.name"), "Base");
    ck_assert_str_eq(api_str(r.json, "scenarios.0.scenario_id"), id);
    ck_assert(fabs(json_real_value(api_get(r.json, "scenarios.0.inputs.wacc")) - 0.1) < 1e-12);
    api_free(&r);
    api_call("GET", "/api/scenarios?ticker=MSFT", tok, t, NULL, &r);
    ck_assert_int_eq(json_array_size(api_get(r.json, "scenarios")), 0);
    api_free(&r);

    ck_assert_int_eq(api_count("SELECT count(*) FROM outbox WHERE type = 'scenario.saved' AND "
                               "payload->>'entity_id' = $1",
                               id, NULL),
                     2);
    free(tok);
}
END_TEST

/* The scenario listing shares the runs' query (handlers_list.c, store_list.c):
 * the same sorts, filters, pages and 400s. */
START_TEST(test_list_shares_the_runs_query)
{
    static const char *const bad[][2] = {
        {"per_page=0", "per_page"},  {"per_page=1001", "per_page"},   {"page=0", "page"},
        {"sort_by=name", "sort_by"}, {"sort_order=up", "sort_order"}, {"ticker=a%20b", "ticker"},
    };
    struct api_resp r;
    char t[64], path[96];
    char *tok = api_token(api_tenant("slist", t, sizeof(t)), "u1", "analyst");

    api_call("POST", "/api/scenarios", tok, t,
             "[{\"name\":\"a\",\"ticker\":\"MSFT\",\"inputs\":{}},"
             "{\"name\":\"b\",\"ticker\":\"AAPL\",\"inputs\":{}},"
             "{\"name\":\"c\",\"ticker\":\"AAPL.B\",\"inputs\":{}}]",
             &r);
    ck_assert_int_eq(r.status, 200);
    api_free(&r);

    api_call("GET", "/api/scenarios?sort_by=ticker&sort_order=asc&per_page=2&page=2", tok, t, NULL,
             &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_int_eq(json_array_size(api_get(r.json, "scenarios")), 1);
    ck_assert_str_eq(api_str(r.json, "scenarios.0.ticker"), "MSFT");
    ck_assert_int_eq(api_int(r.json, "pagination.total"), 3);
    ck_assert_int_eq(api_int(r.json, "pagination.pages"), 2);
    ck_assert(json_is_false(api_get(r.json, "pagination.has_next")));
    ck_assert_int_eq(api_int(r.json, "pagination.prev_num"), 1);
    ck_assert_str_eq(api_str(r.json, "pagination.sort_by"), "ticker");
    api_free(&r);

    /* q: a substring of the ticker, '.' taken literally */
    api_call("GET", "/api/scenarios?q=l.", tok, t, NULL, &r);
    ck_assert_int_eq(json_array_size(api_get(r.json, "scenarios")), 1);
    ck_assert_str_eq(api_str(r.json, "scenarios.0.name"), "c");
    api_free(&r);
    /* the default: newest-updated first, all of them, sort reported */
    api_call("GET", "/api/scenarios", tok, t, NULL, &r);
    ck_assert_int_eq(json_array_size(api_get(r.json, "scenarios")), 3);
    ck_assert_int_eq(api_int(r.json, "pagination.per_page"), 1000);
    ck_assert_str_eq(api_str(r.json, "pagination.sort_by"), "updated_at");
    ck_assert_str_eq(api_str(r.json, "pagination.sort_order"), "desc");
    api_free(&r);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/api/scenarios?%s", bad[i][0]);
        api_call("GET", path, tok, t, NULL, &r);
        ck_assert_msg(r.status == 400, "%s → %ld", bad[i][0], r.status);
        ck_assert_str_eq(api_str(r.json, "details.0.field"), bad[i][1]);
        api_free(&r);
    }
    free(tok);
}
END_TEST

START_TEST(test_delete_tenants_and_viewers)
{
    struct api_resp r;
    char ta[64], tb[64], path[128];
    char *a = api_token(api_tenant("sdel-a", ta, sizeof(ta)), "ua", "analyst");
    char *viewer = api_token(ta, "uv", "viewer");
    char *b = api_token(api_tenant("sdel-b", tb, sizeof(tb)), "ub", "admin");

    api_call("POST", "/api/scenarios", viewer, ta,
             "[{\"name\":\"V\",\"ticker\":\"V\",\"inputs\":{}}]", &r);
    ck_assert_int_eq(r.status, 403);
    api_free(&r);
    ck_assert_int_eq(scenarios_of(ta), 0);

    api_call("POST", "/api/scenarios", a, ta, "[{\"name\":\"S\",\"ticker\":\"S\",\"inputs\":{}}]",
             &r);
    ck_assert_int_eq(r.status, 200);
    api_free(&r);
    api_call("GET", "/api/scenarios", viewer, ta, NULL, &r);
    snprintf(path, sizeof(path), "/api/scenarios/%s", api_str(r.json, "scenarios.0.scenario_id"));
    api_free(&r);

    api_call("GET", "/api/scenarios", b, tb, NULL, &r);
    ck_assert_int_eq(json_array_size(api_get(r.json, "scenarios")), 0);
    api_free(&r);
    api_call("DELETE", path, b, tb, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(api_str(r.json, "error"), "Scenario not found");
    api_free(&r);
    api_call("DELETE", path, viewer, ta, NULL, &r);
    ck_assert_int_eq(r.status, 403);
    api_free(&r);
    api_call("DELETE", "/api/scenarios/nope", a, ta, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    api_free(&r);
    ck_assert_int_eq(scenarios_of(ta), 1);

    api_call("DELETE", path, a, ta, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(api_str(r.json, "message"), "Scenario deleted successfully");
    api_free(&r);
    api_call("DELETE", path, a, ta, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    api_free(&r);
    ck_assert_int_eq(scenarios_of(ta), 0);
    ck_assert_int_eq(api_count("SELECT count(*) FROM outbox WHERE type = 'scenario.deleted' AND "
                               "payload->>'tenant' = $1",
                               ta, NULL),
                     1);
    free(a);
    free(b);
    free(viewer);
}
END_TEST

START_TEST(test_dcf_calculate)
{
    struct api_resp r;
    char t[64];
    char *tok = api_token(api_tenant("calc", t, sizeof(t)), "u1", "viewer");

    api_call("POST", "/api/dcf/calculate", tok, t, "{\"inputs\":{\"use_defaults\":true}}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert(json_is_true(api_get(r.json, "success")));
    ck_assert(fabs(json_real_value(api_get(r.json, "data.totals.per_share")) - 10.6372) < 1e-3);
    ck_assert(fabs(json_real_value(api_get(r.json, "data.totals.ev")) - 1895.5788) < 1e-2);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.series.rev")), 8);
    ck_assert(json_is_null(api_get(r.json, "data.series.fcff.0")));
    ck_assert_int_eq(api_int(r.json, "data.kpis.payback_year"), 1);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.warnings")), 0);
    api_free(&r);

    api_call("POST", "/api/dcf/calculate", tok, t,
             "{\"inputs\":{\"use_defaults\":true,\"wacc\":9}}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(api_str(r.json, "error"), "ValidationError");
    ck_assert_str_eq(api_str(r.json, "details.0.field"), "wacc");
    ck_assert_str_eq(api_str(r.json, "details.0.msg"),
                     "must be a decimal between 0.03 and 0.25 (0.09 means 9%)");
    api_free(&r);
    api_call("POST", "/api/dcf/calculate", tok, t,
             "{\"inputs\":{\"use_defaults\":true,\"termGrowth\":0.2}}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(api_str(r.json, "data.warnings.0"),
                     "Terminal growth >= WACC; adjusted g down slightly.");
    api_free(&r);
    api_call("POST", "/api/dcf/calculate", tok, t, "{}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(api_str(r.json, "details.0.field"), "inputs");
    api_free(&r);
    api_call("POST", "/api/dcf/calculate", tok, t, "{\"inputs\":{}}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(api_str(r.json, "details.0.field"), "revenue");
    ck_assert_str_eq(api_str(r.json, "details.0.msg"), "required");
    api_free(&r);
    api_call("POST", "/api/dcf/calculate", NULL, t, "{\"inputs\":{}}", &r);
    ck_assert_int_eq(r.status, 401);
    api_free(&r);
    free(tok);
}
END_TEST

START_TEST(test_monte_carlo)
{
    struct api_resp r1, r2, r3;
    char t[64];
    char *tok = api_token(api_tenant("mc", t, sizeof(t)), "u1", "viewer");
    const char *body = "{\"inputs\":{\"use_defaults\":true},\"mc_settings\":{\"trials\":2000,"
                       "\"seedStr\":\"valor\"}}";

    api_call("POST", "/api/dcf/monte-carlo", tok, t, body, &r1);
    ck_assert_msg(r1.status == 200, "%s", r1.body);
    api_call("POST", "/api/dcf/monte-carlo", tok, t, body, &r2);
    ck_assert_str_eq(r1.body, r2.body); /* the same seed, the same answer */
    ck_assert_int_eq(api_int(r1.json, "data.stats.n"), 2000);
    ck_assert_str_eq(api_str(r1.json, "data.stats.seed"), "valor");
    ck_assert(fabs(json_real_value(api_get(r1.json, "data.stats.mean")) - 10.658685648480112) <
              1e-9);
    ck_assert_int_eq(json_array_size(api_get(r1.json, "data.histogram.edges")), 51);
    ck_assert_int_eq(json_array_size(api_get(r1.json, "data.histogram.counts")), 50);
    api_free(&r1);
    api_free(&r2);

    /* no seed: a random one, returned */
    api_call("POST", "/api/dcf/monte-carlo", tok, t, "{\"inputs\":{\"use_defaults\":true}}", &r3);
    ck_assert_int_eq(r3.status, 200);
    ck_assert_int_eq(strlen(api_str(r3.json, "data.stats.seed")), 16);
    ck_assert_int_eq(api_int(r3.json, "data.stats.n"), 1000);
    api_free(&r3);

    api_call("POST", "/api/dcf/monte-carlo", tok, t,
             "{\"inputs\":{\"use_defaults\":true},\"mc_settings\":{\"trials\":99}}", &r3);
    ck_assert_int_eq(r3.status, 400);
    ck_assert_str_eq(api_str(r3.json, "details.0.field"), "trials");
    api_free(&r3);
    api_call("POST", "/api/dcf/monte-carlo", tok, t,
             "{\"inputs\":{\"use_defaults\":true},\"mc_settings\":{\"trials\":20001}}", &r3);
    ck_assert_int_eq(r3.status, 400);
    ck_assert_str_eq(api_str(r3.json, "details.0.msg"), "must be an integer between 100 and 20000");
    api_free(&r3);
    api_call("POST", "/api/dcf/monte-carlo", tok, t,
             "{\"inputs\":{\"use_defaults\":true},\"mc_settings\":7}", &r3);
    ck_assert_int_eq(r3.status, 400);
    ck_assert_str_eq(api_str(r3.json, "details.0.field"), "mc_settings");
    api_free(&r3);
    free(tok);
}
END_TEST

START_TEST(test_sensitivity)
{
    struct api_resp r;
    char t[64];
    char *tok = api_token(api_tenant("sens", t, sizeof(t)), "u1", "viewer");

    api_call("POST", "/api/dcf/sensitivity", tok, t, "{\"inputs\":{\"use_defaults\":true}}", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.wacc")), 21);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.term_growth")), 21);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.per_share")), 21);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.per_share.20")), 21);
    api_free(&r);

    api_call("POST", "/api/dcf/sensitivity", tok, t,
             "{\"inputs\":{\"use_defaults\":true,\"waccMin\":0.03,\"waccMax\":0.05,\"tgMin\":0.03,"
             "\"tgMax\":0.05},\"grid\":{\"size\":3}}",
             &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_null(api_get(r.json, "data.per_share.0.0")));
    ck_assert(json_is_real(api_get(r.json, "data.per_share.2.0")));
    ck_assert(json_is_null(api_get(r.json, "data.per_share.2.2")));
    api_free(&r);

    api_call("POST", "/api/dcf/sensitivity", tok, t,
             "{\"inputs\":{\"use_defaults\":true},\"grid\":{\"size\":102}}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(api_str(r.json, "details.0.field"), "grid.size");
    api_free(&r);
    api_call("POST", "/api/dcf/sensitivity", tok, t,
             "{\"inputs\":{\"use_defaults\":true},\"grid\":{\"size\":101}}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(api_get(r.json, "data.per_share.100")), 101);
    api_free(&r);
    api_call("POST", "/api/dcf/sensitivity", tok, t,
             "{\"inputs\":{\"use_defaults\":true},\"grid\":1}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(api_str(r.json, "details.0.field"), "grid");
    api_free(&r);
    free(tok);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-runs scenarios and engine API");
    TCase *tc = tcase_create("scenarios");
    int rc;

    api_schema(); /* fixed in the parent, before check forks */
    api_drop_schema();
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_invalid_scenarios_data);
    tcase_add_test(tc, test_save_reports_invalid_items_and_upserts);
    tcase_add_test(tc, test_list_shares_the_runs_query);
    tcase_add_test(tc, test_delete_tenants_and_viewers);
    tcase_add_test(tc, test_dcf_calculate);
    tcase_add_test(tc, test_monte_carlo);
    tcase_add_test(tc, test_sensitivity);
    suite_add_tcase(s, tc);
    rc = tu_run(s);
    api_drop_schema();
    return rc;
}
