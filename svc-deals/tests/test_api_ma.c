/* svc-deals M&A routes over HTTP: runs, scenarios and the calculator —
 * shapes, validation, tenants, roles and events. */
#include <math.h>

#include "deals_testutil.h"

/* engines.md §5's example, at purchase price `price` */
#define PRICED(price)                                                                              \
    "{\"acquirerRevenue\":1000,\"acquirerEBITDA\":150,\"acquirerShares\":100,"                     \
    "\"acquirerNetDebt\":200,\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,"       \
    "\"targetNetDebt\":100,\"purchasePrice\":" price                                               \
    ",\"dealStructure\":{\"cash\":60,\"stock\":40},"                                               \
    "\"synergies\":{\"annual\":25,\"duration\":5}}"
#define EXAMPLE PRICED("600")

#define RUN(deal) "{\"deal_name\":\"" deal "\",\"acquirer_name\":\"Acq\",\"target_name\":\"Tgt\","

static void create_run(struct dt_resp *r, const char *body, char *run_id)
{
    DT_A(r, "POST", "/api/ma/runs", body);
    dt_expect(r, 201, NULL);
    snprintf(run_id, 40, "%s", dt_str(r, "data.run_id"));
    ck_assert_msg(crypto_is_uuid(run_id), "run_id %s", run_id);
}

START_TEST(test_auth_and_roles)
{
    struct dt_resp r = {0};
    dt_req(&r, "GET", "/api/ma/runs", NULL, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 401, "Authorization header required");
    dt_req(&r, "GET", "/api/ma/scenarios", dt.analyst_a, dt.tenant_b, NULL, NULL);
    dt_expect(&r, 403, "Tenant mismatch");
    dt_req(&r, "POST", "/api/ma/runs", dt.viewer_a, dt.tenant_a, RUN("d") "\"inputs\":{}}", NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    dt_req(&r, "POST", "/api/ma/scenarios", dt.viewer_a, dt.tenant_a,
           "{\"scenarios\":[{\"name\":\"a\",\"inputs\":{}}]}", NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    dt_req(&r, "POST", "/api/ma/calculate", dt.viewer_a, dt.tenant_a, "{\"inputs\":" EXAMPLE "}",
           NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq(dt_rows("ma_runs", dt.tenant_a), 0);
    ck_assert_int_eq(dt_rows("ma_scenarios", dt.tenant_a), 0);
    dt_free(&r);
}
END_TEST

START_TEST(test_create_run_validation_writes_nothing)
{
    struct dt_resp r = {0};

    DT_A(&r, "POST", "/api/ma/runs",
         "{\"acquirer_name\":\"A\",\"target_name\":\"T\",\"inputs\":{}}");
    dt_expect_field(&r, "deal_name");
    DT_A(&r, "POST", "/api/ma/runs",
         "{\"deal_name\":\"\",\"acquirer_name\":\"A\",\"target_name\":\"T\",\"inputs\":{}}");
    dt_expect_field(&r, "deal_name");
    DT_A(&r, "POST", "/api/ma/runs", "{\"deal_name\":\"D\",\"target_name\":\"T\",\"inputs\":{}}");
    dt_expect_field(&r, "acquirer_name");
    DT_A(&r, "POST", "/api/ma/runs",
         "{\"deal_name\":\"D\",\"acquirer_name\":5,\"target_name\":\"T\",\"inputs\":{}}");
    dt_expect_field(&r, "acquirer_name");
    {
        char body[512], name[102];
        memset(name, 'n', 101);
        name[101] = '\0';
        snprintf(body, sizeof(body),
                 "{\"deal_name\":\"D\",\"acquirer_name\":\"A\",\"target_name\":\"%s\","
                 "\"inputs\":{}}",
                 name);
        DT_A(&r, "POST", "/api/ma/runs", body);
        dt_expect_field(&r, "target_name");
    }
    DT_A(&r, "POST", "/api/ma/runs", RUN("D") "\"inputs\":null}");
    dt_expect_field(&r, "inputs");
    DT_A(&r, "POST", "/api/ma/runs", RUN("D") "\"inputs\":{},\"results\":[]}");
    dt_expect_field(&r, "results");
    DT_A(&r, "POST", "/api/ma/runs", RUN("D") "\"inputs\":{}}");
    dt_expect(&r, 400, "Missing required field: acquirerRevenue");
    ck_assert_str_eq(dt_str(&r, "field"), "acquirerRevenue");
    DT_A(&r, "POST", "/api/ma/runs", RUN("D") "\"inputs\":" PRICED("\"600\"") "}");
    dt_expect_field(&r, "purchasePrice");
    DT_A(&r, "POST", "/api/ma/runs", RUN("D") "\"inputs\":{},\"compute\":true}");
    dt_expect(&r, 400, "Missing required field: acquirerRevenue");
    DT_A(&r, "POST", "/api/ma/runs", "[]");
    dt_expect_field(&r, "body");
    ck_assert_int_eq(dt_rows("ma_runs", dt.tenant_a), 0);
    ck_assert_int_eq(dt_events("ma_run.created", dt.tenant_a), 0);
    dt_free(&r);
}
END_TEST

START_TEST(test_runs_lifecycle)
{
    struct dt_resp r = {0};
    char id1[40], id2[40], path[128];

    DT_A(&r, "GET", "/api/ma/runs/last", NULL);
    dt_expect(&r, 404, "No M&A runs found");
    create_run(&r, RUN("First deal") "\"inputs\":" PRICED("550") "}", id1);
    ck_assert_str_eq(dt_str(&r, "message"), "M&A run saved successfully");
    ck_assert_str_eq(dt_str(&r, "data.deal_name"), "First deal");
    create_run(&r, RUN("Computed") "\"inputs\":" EXAMPLE ",\"compute\":true}", id2);
    ck_assert(fabs(dt_num(&r, "data.results.accretion_dilution.accretion") - 0.344086) < 1e-5);

    snprintf(path, sizeof(path), "/api/ma/runs/%s", id2);
    DT_A(&r, "GET", path, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "data.run_id"), id2);
    ck_assert_str_eq(dt_str(&r, "data.deal_name"), "Computed");
    ck_assert_str_eq(dt_str(&r, "data.acquirer_name"), "Acq");
    ck_assert_str_eq(dt_str(&r, "data.target_name"), "Tgt");
    ck_assert_str_eq(dt_str(&r, "data.user_id"), "101");
    ck_assert(fabs(dt_num(&r, "data.results.deal_metrics.pro_forma_ev_ebitda") - 5.04) < 1e-6);
    ck_assert(dt_num(&r, "data.inputs.purchasePrice") == 600);

    DT_A(&r, "GET", "/api/ma/runs", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "data")), 2);
    ck_assert_str_eq(dt_str(&r, "data.0.run_id"), id2);
    DT_A(&r, "GET", "/api/ma/runs?limit=1&offset=1", NULL);
    ck_assert_str_eq(dt_str(&r, "data.0.run_id"), id1);
    DT_A(&r, "GET", "/api/ma/runs?limit=500", NULL);
    dt_expect_field(&r, "limit");
    DT_A(&r, "GET", "/api/ma/runs/last", NULL);
    ck_assert_str_eq(dt_str(&r, "data.run_id"), id2);

    snprintf(path, sizeof(path), "/api/ma/runs/%s", id1);
    dt_req(&r, "DELETE", path, dt.analyst2_a, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    DT_B(&r, "DELETE", path, NULL);
    dt_expect(&r, 404, "M&A run not found");
    DT_B(&r, "GET", path, NULL);
    dt_expect(&r, 404, "M&A run not found");
    DT_B(&r, "GET", "/api/ma/runs", NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "data")), 0);
    DT_B(&r, "GET", "/api/ma/runs/last", NULL);
    dt_expect(&r, 404, "No M&A runs found");
    DT_A(&r, "DELETE", path, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "message"), "M&A run deleted successfully");
    DT_A(&r, "GET", path, NULL);
    dt_expect(&r, 404, "M&A run not found");
    DT_A(&r, "GET", "/api/ma/runs/xyz", NULL);
    dt_expect(&r, 404, "M&A run not found");
    ck_assert_int_eq(dt_events("ma_run.created", dt.tenant_a), 2);
    ck_assert_int_eq(dt_events("ma_run.deleted", dt.tenant_a), 1);
    ck_assert_int_eq(dt_rows("ma_runs", dt.tenant_a), 1);
    dt_free(&r);
}
END_TEST

START_TEST(test_scenarios)
{
    struct dt_resp r = {0};
    char path[128], sid[40];

    DT_A(&r, "POST", "/api/ma/scenarios", "[{\"name\":\"a\",\"inputs\":{}}]");
    dt_expect(&r, 400, "Scenarios must be a non-empty list");
    DT_A(&r, "POST", "/api/ma/scenarios", "{\"scenarios\":[]}");
    dt_expect(&r, 400, "Scenarios must be a non-empty list");
    DT_A(&r, "POST", "/api/ma/scenarios", "{\"scenarios\":{}}");
    dt_expect(&r, 400, "Scenarios must be a non-empty list");
    DT_A(&r, "POST", "/api/ma/scenarios", "{}");
    dt_expect(&r, 400, "Scenarios must be a non-empty list");
    ck_assert_int_eq(dt_rows("ma_scenarios", dt.tenant_a), 0);

    DT_A(&r, "POST", "/api/ma/scenarios",
         "{\"scenarios\":[{\"name\":\"bull\",\"deal_name\":\"D1\",\"acquirer_name\":\"A\","
         "\"target_name\":\"T\",\"inputs\":" PRICED(
             "601") "},"
                    "{\"deal_name\":\"no name\",\"inputs\":" EXAMPLE "},"
                    "{\"name\":\"bull\",\"deal_name\":\"D2\",\"inputs\":" PRICED(
                        "602") "},"
                               "{\"name\":\"bear\",\"inputs\":" EXAMPLE "},"
                               "{\"name\":\"broken\",\"inputs\":{\"purchasePrice\":1}}]}");
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "message"), "3 M&A scenarios saved successfully");
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "data")), 3);
    ck_assert_str_eq(dt_str(&r, "data.2.name"), "bear");
    ck_assert(crypto_is_uuid(dt_str(&r, "data.0.scenario_id")));
    ck_assert_ptr_null(dt_get(r.json, "data.0.inserted"));
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "errors")), 2);
    ck_assert_int_eq((int)dt_num(&r, "errors.0.index"), 1);
    /* inputs the engine refuses are not saved either */
    ck_assert_int_eq((int)dt_num(&r, "errors.1.index"), 4);
    ck_assert_str_eq(dt_str(&r, "errors.1.field"), "acquirerRevenue");
    ck_assert_int_eq(dt_rows("ma_scenarios", dt.tenant_a), 2); /* bull upserted */
    ck_assert_int_eq(dt_events("ma_scenario.saved", dt.tenant_a), 3);

    DT_A(&r, "GET", "/api/ma/scenarios", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "data")), 2);
    ck_assert_str_eq(dt_str(&r, "data.0.name"), "bear");
    ck_assert_str_eq(dt_str(&r, "data.1.deal_name"), "D2");
    ck_assert(dt_num(&r, "data.1.inputs.purchasePrice") == 602);
    snprintf(sid, sizeof(sid), "%s", dt_str(&r, "data.1.scenario_id"));

    DT_B(&r, "GET", "/api/ma/scenarios", NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "data")), 0);
    snprintf(path, sizeof(path), "/api/ma/scenarios/%s", sid);
    DT_B(&r, "DELETE", path, NULL);
    dt_expect(&r, 404, "M&A scenario not found");
    DT_A(&r, "DELETE", path, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "message"), "M&A scenario deleted successfully");
    DT_A(&r, "DELETE", path, NULL);
    dt_expect(&r, 404, "M&A scenario not found");
    ck_assert_int_eq(dt_rows("ma_scenarios", dt.tenant_a), 1);
    dt_free(&r);
}
END_TEST

START_TEST(test_calculate)
{
    struct dt_resp r = {0};

    DT_A(&r, "POST", "/api/ma/calculate", "{}");
    dt_expect_field(&r, "inputs");
    DT_A(&r, "POST", "/api/ma/calculate", "{\"inputs\":{\"acquirerRevenue\":1}}");
    dt_expect(&r, 400, "Missing required field: acquirerEBITDA");
    ck_assert_str_eq(dt_str(&r, "field"), "acquirerEBITDA");
    DT_A(&r, "POST", "/api/ma/calculate",
         "{\"inputs\":{\"acquirerRevenue\":1000,\"acquirerEBITDA\":150,\"acquirerShares\":100,"
         "\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,\"purchasePrice\":0,"
         "\"dealStructure\":{\"cash\":100}}}");
    dt_expect(&r, 400, "Purchase price must be positive");
    DT_A(&r, "POST", "/api/ma/calculate",
         "{\"inputs\":{\"acquirerRevenue\":1000,\"acquirerEBITDA\":150,\"acquirerShares\":100,"
         "\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,\"purchasePrice\":600,"
         "\"dealStructure\":{\"cash\":50,\"stock\":40}}}");
    dt_expect(&r, 400, "Deal structure must equal 100%");
    DT_A(&r, "POST", "/api/ma/calculate",
         "{\"inputs\":{\"acquirerRevenue\":\"1000\",\"acquirerEBITDA\":150,\"acquirerShares\":100,"
         "\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,\"purchasePrice\":600,"
         "\"dealStructure\":{\"cash\":100}}}");
    dt_expect_field(&r, "acquirerRevenue");

    DT_A(&r, "POST", "/api/ma/calculate", "{\"inputs\":" EXAMPLE "}");
    dt_expect(&r, 200, NULL);
    ck_assert(fabs(dt_num(&r, "data.pro_forma.new_shares_issued") - 24) < 1e-9);
    ck_assert(fabs(dt_num(&r, "data.pro_forma.shares") - 124) < 1e-9);
    ck_assert(fabs(dt_num(&r, "data.pro_forma.eps") - 1.310484) < 1e-5);
    ck_assert(fabs(dt_num(&r, "data.accretion_dilution.pre_deal_eps") - 0.975) < 1e-9);
    ck_assert(fabs(dt_num(&r, "data.accretion_dilution.accretion") - 0.344086) < 1e-5);
    ck_assert(json_is_true(dt_get(r.json, "data.accretion_dilution.is_accretive")));
    ck_assert(fabs(dt_num(&r, "data.deal_metrics.pro_forma_ev_ebitda") - 5.04) < 1e-9);
    ck_assert(fabs(dt_num(&r, "data.synergies.discount_rate") - 0.10) < 1e-12);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "data.warnings")), 1);
    ck_assert_int_eq(dt_rows("ma_runs", dt.tenant_a), 0);
    dt_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-deals M&A");
    TCase *tc = dt_tcase("ma");
    tcase_add_test(tc, test_auth_and_roles);
    tcase_add_test(tc, test_create_run_validation_writes_nothing);
    tcase_add_test(tc, test_runs_lifecycle);
    tcase_add_test(tc, test_scenarios);
    tcase_add_test(tc, test_calculate);
    suite_add_tcase(s, tc);
    return dt_main(s);
}
