/* svc-deals LBO routes over HTTP: runs, scenarios and the calculator —
 * shapes, validation, tenants, roles and events. */
#include <math.h>

#include "deals_testutil.h"

static void create_run(struct dt_resp *r, const char *body, char *run_id)
{
    DT_A(r, "POST", "/api/lbo/runs", body);
    dt_expect(r, 201, NULL);
    snprintf(run_id, 40, "%s", dt_str(r, "run_id"));
    ck_assert_msg(crypto_is_uuid(run_id), "run_id %s", run_id);
}

START_TEST(test_auth_and_roles)
{
    struct dt_resp r = {0};
    char *expired = tu_token(dt.tenant_a, "101", "analyst", -3600);

    dt_req(&r, "GET", "/api/lbo/runs", NULL, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 401, "Authorization header required");
    dt_req(&r, "GET", "/api/lbo/runs", expired, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 401, "Token expired");
    dt_req(&r, "GET", "/api/lbo/runs", "not-a-token", dt.tenant_a, NULL, NULL);
    dt_expect(&r, 401, "Invalid token");
    dt_req(&r, "GET", "/api/lbo/scenarios", dt.analyst_a, NULL, NULL, NULL);
    dt_expect(&r, 400, "Tenant ID required");
    dt_req(&r, "POST", "/api/lbo/calculate", dt.analyst_a, dt.tenant_b, "{\"inputs\":{}}", NULL);
    dt_expect(&r, 403, "Tenant mismatch");
    /* viewers read and calculate but never write */
    dt_req(&r, "POST", "/api/lbo/runs", dt.viewer_a, dt.tenant_a, "{\"inputs\":{}}", NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    dt_req(&r, "POST", "/api/lbo/scenarios", dt.viewer_a, dt.tenant_a,
           "[{\"name\":\"a\",\"inputs\":{}}]", NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    dt_req(&r, "GET", "/api/lbo/runs", dt.viewer_a, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 200, NULL);
    dt_req(&r, "POST", "/api/lbo/calculate", dt.viewer_a, dt.tenant_a, "{\"inputs\":{}}", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq(dt_rows("lbo_runs", dt.tenant_a), 0);
    ck_assert_int_eq(dt_rows("lbo_scenarios", dt.tenant_a), 0);
    free(expired);
    dt_free(&r);
}
END_TEST

START_TEST(test_create_run_validation_writes_nothing)
{
    struct dt_resp r = {0};

    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\":");
    dt_expect(&r, 400, NULL);
    ck_assert_msg(strncmp(dt_str(&r, "error"), "Invalid JSON: ", 14) == 0, "%s", r.raw.body);
    dt_req(&r, "POST", "/api/lbo/runs", dt.analyst_a, dt.tenant_a, NULL, "Content-Type: text/plain",
           NULL);
    dt_expect(&r, 415, "Content-Type must be application/json");
    DT_A(&r, "POST", "/api/lbo/runs", "[1]");
    dt_expect_field(&r, "body");
    DT_A(&r, "POST", "/api/lbo/runs", "{}");
    dt_expect_field(&r, "inputs");
    ck_assert_str_eq(dt_str(&r, "details.0.msg"), "required");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": [1]}");
    dt_expect_field(&r, "inputs");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {}, \"results\": 3}");
    dt_expect_field(&r, "results");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {}, \"compute\": \"yes\"}");
    dt_expect_field(&r, "compute");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {\"companyName\": 7}}");
    dt_expect_field(&r, "inputs.companyName");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {\"purchasePrice\": -1}, \"compute\": true}");
    dt_expect_field(&r, "purchasePrice");
    DT_A(&r, "POST", "/api/lbo/runs",
         "{\"inputs\": {\"seniorDebtRatio\": 0.2}, \"compute\": true}");
    dt_expect_field(&r, "debtRatios");
    /* saved without computing: the same 400s as /calculate */
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {\"purchasePrice\": -1}}");
    dt_expect_field(&r, "purchasePrice");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {\"years\": 20}}");
    dt_expect_field(&r, "years");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {\"equityContribution\": 2000}}");
    dt_expect_field(&r, "equityContribution");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {\"taxRate\": \"high\"}}");
    dt_expect_field(&r, "taxRate");
    DT_A(&r, "POST", "/api/lbo/runs", "{\"inputs\": {}, \"inputs\": {}}");
    dt_expect(&r, 400, NULL); /* duplicate keys are refused */
    {
        size_t n = (1u << 20) + 100;
        char *body = malloc(n + 1);
        memset(body, ' ', n);
        memcpy(body, "{\"inputs\":{}}", 13);
        body[n] = '\0';
        DT_A(&r, "POST", "/api/lbo/runs", body);
        dt_expect(&r, 413, "Request body too large");
        free(body);
    }
    ck_assert_int_eq(dt_rows("lbo_runs", dt.tenant_a), 0);
    ck_assert_int_eq(dt_events("lbo_run.created", dt.tenant_a), 0);
    dt_free(&r);
}
END_TEST

START_TEST(test_runs_lifecycle)
{
    struct dt_resp r = {0};
    char id1[40], id2[40], id3[40], path[128];

    DT_A(&r, "GET", "/api/lbo/runs/last", NULL);
    dt_expect(&r, 404, "No LBO runs found");

    create_run(&r, "{\"inputs\": {\"purchasePrice\": 900}}", id1);
    ck_assert(json_is_true(dt_get(r.json, "success")));
    ck_assert_str_eq(dt_str(&r, "message"), "LBO run saved successfully");
    ck_assert_ptr_null(dt_get(r.json, "results"));
    create_run(&r, "{\"inputs\": {\"companyName\": \"Acme\"}, \"results\": {\"irr\": 0.2}}", id2);
    create_run(&r, "{\"inputs\": {\"companyName\": \"Calc Co\"}, \"compute\": true}", id3);
    ck_assert(fabs(dt_num(&r, "results.metrics.final_debt") - 426.7045) < 1e-3);

    /* get: the stored shape */
    snprintf(path, sizeof(path), "/api/lbo/runs/%s", id1);
    DT_A(&r, "GET", path, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "data.run_id"), id1);
    ck_assert_str_eq(dt_str(&r, "data.company_name"), "Unknown Company");
    ck_assert(dt_num(&r, "data.inputs.purchasePrice") == 900);
    ck_assert(json_is_null(dt_get(r.json, "data.results")));
    ck_assert_str_eq(dt_str(&r, "data.user_id"), "101");
    ck_assert(json_is_integer(dt_get(r.json, "data.id")));
    ck_assert_int_eq((int)strlen(dt_str(&r, "data.created_at")), 24);
    ck_assert_int_eq((int)strlen(dt_str(&r, "data.updated_at")), 24);
    snprintf(path, sizeof(path), "/api/lbo/runs/%s", id3);
    DT_A(&r, "GET", path, NULL);
    ck_assert_str_eq(dt_str(&r, "data.company_name"), "Calc Co");
    ck_assert(fabs(dt_num(&r, "data.results.exit_scenarios.2.irr") - 0.178921) < 1e-5);

    /* list: newest first, limit and offset */
    DT_A(&r, "GET", "/api/lbo/runs", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "runs")), 3);
    ck_assert_str_eq(dt_str(&r, "runs.0.run_id"), id3);
    ck_assert_str_eq(dt_str(&r, "runs.2.run_id"), id1);
    DT_A(&r, "GET", "/api/lbo/runs?limit=1&offset=1", NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "runs")), 1);
    ck_assert_str_eq(dt_str(&r, "runs.0.run_id"), id2);
    DT_A(&r, "GET", "/api/lbo/runs?offset=5", NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "runs")), 0);
    DT_A(&r, "GET", "/api/lbo/runs?limit=0", NULL);
    dt_expect_field(&r, "limit");
    DT_A(&r, "GET", "/api/lbo/runs?limit=201", NULL);
    dt_expect_field(&r, "limit");
    DT_A(&r, "GET", "/api/lbo/runs?limit=abc", NULL);
    dt_expect_field(&r, "limit");
    DT_A(&r, "GET", "/api/lbo/runs?offset=-1", NULL);
    dt_expect_field(&r, "offset");
    DT_A(&r, "GET", "/api/lbo/runs?limit=200", NULL);
    dt_expect(&r, 200, NULL);

    DT_A(&r, "GET", "/api/lbo/runs/last", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "data.run_id"), id3);
    ck_assert_int_eq(dt_events("lbo_run.created", dt.tenant_a), 3);

    /* delete: not the other analyst's, yes the author's and the admin's */
    snprintf(path, sizeof(path), "/api/lbo/runs/%s", id1);
    dt_req(&r, "DELETE", path, dt.analyst2_a, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    dt_req(&r, "DELETE", path, dt.viewer_a, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    DT_A(&r, "DELETE", path, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "message"), "LBO run deleted successfully");
    DT_A(&r, "GET", path, NULL);
    dt_expect(&r, 404, "LBO run not found");
    DT_A(&r, "DELETE", path, NULL);
    dt_expect(&r, 404, "LBO run not found");
    snprintf(path, sizeof(path), "/api/lbo/runs/%s", id2);
    dt_req(&r, "DELETE", path, dt.admin_a, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq(dt_rows("lbo_runs", dt.tenant_a), 1);
    ck_assert_int_eq(dt_events("lbo_run.deleted", dt.tenant_a), 2);

    /* malformed ids are simply not found */
    DT_A(&r, "GET", "/api/lbo/runs/not-a-uuid", NULL);
    dt_expect(&r, 404, "LBO run not found");
    DT_A(&r, "GET", "/api/lbo/runs/1", NULL);
    dt_expect(&r, 404, "LBO run not found");
    DT_A(&r, "DELETE", "/api/lbo/runs/'%20OR%201=1--", NULL);
    dt_expect(&r, 404, "LBO run not found");
    DT_A(&r, "GET", "/api/lbo/runs/00000000-0000-4000-8000-000000000000", NULL);
    dt_expect(&r, 404, "LBO run not found");
    dt_free(&r);
}
END_TEST

START_TEST(test_other_tenant_sees_nothing)
{
    struct dt_resp r = {0};
    char id[40], path[128], sid[40];

    create_run(&r, "{\"inputs\": {\"companyName\": \"Secret\"}}", id);
    DT_A(&r, "POST", "/api/lbo/scenarios", "[{\"name\": \"base\", \"inputs\": {}}]");
    dt_expect(&r, 200, NULL);
    DT_A(&r, "GET", "/api/lbo/scenarios", NULL);
    snprintf(sid, sizeof(sid), "%s", dt_str(&r, "scenarios.0.scenario_id"));

    DT_B(&r, "GET", "/api/lbo/runs", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "runs")), 0);
    DT_B(&r, "GET", "/api/lbo/runs/last", NULL);
    dt_expect(&r, 404, "No LBO runs found");
    snprintf(path, sizeof(path), "/api/lbo/runs/%s", id);
    DT_B(&r, "GET", path, NULL);
    dt_expect(&r, 404, "LBO run not found");
    DT_B(&r, "DELETE", path, NULL);
    dt_expect(&r, 404, "LBO run not found");
    DT_B(&r, "GET", "/api/lbo/scenarios", NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "scenarios")), 0);
    snprintf(path, sizeof(path), "/api/lbo/scenarios/%s", sid);
    DT_B(&r, "DELETE", path, NULL);
    dt_expect(&r, 404, "LBO scenario not found");
    /* still there for A */
    ck_assert_int_eq(dt_rows("lbo_runs", dt.tenant_a), 1);
    ck_assert_int_eq(dt_rows("lbo_scenarios", dt.tenant_a), 1);
    dt_free(&r);
}
END_TEST

START_TEST(test_scenarios)
{
    struct dt_resp r = {0};
    char path[128], sid[40];

    DT_A(&r, "POST", "/api/lbo/scenarios", "{\"name\": \"x\"}");
    dt_expect(&r, 400, "Invalid LBO scenarios data");
    DT_A(&r, "POST", "/api/lbo/scenarios", "[]");
    dt_expect(&r, 400, "Invalid LBO scenarios data");
    {
        char *body = malloc(101 * 32 + 8), *p = body;
        p += sprintf(p, "[");
        for (int i = 0; i < 101; i++)
            p += sprintf(p, "%s{\"name\":\"s%d\",\"inputs\":{}}", i ? "," : "", i);
        sprintf(p, "]");
        DT_A(&r, "POST", "/api/lbo/scenarios", body);
        dt_expect(&r, 400, "Invalid LBO scenarios data");
        free(body);
    }
    DT_A(&r, "POST", "/api/lbo/scenarios", "[{\"name\": \"only bad\"}]");
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)dt_num(&r, "saved_count"), 0);
    ck_assert_int_eq(dt_rows("lbo_scenarios", dt.tenant_a), 0);

    /* two good, three bad (reported by index), one upserted twice */
    DT_A(&r, "POST", "/api/lbo/scenarios",
         "[{\"name\": \"base\", \"inputs\": {\"purchasePrice\": 1001}, \"companyName\": \"Acme\"},"
         " {\"inputs\": {}},"
         " {\"name\": \"base\", \"inputs\": {\"purchasePrice\": 1002}, \"companyName\": \"Acme\"},"
         " 7,"
         " {\"name\": \"up\", \"inputs\": {\"companyName\": \"FromInputs\"}},"
         " {\"name\": \"x\", \"inputs\": \"no\"},"
         " {\"name\": \"y\", \"inputs\": {\"years\": 20}}]");
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)dt_num(&r, "saved_count"), 3);
    ck_assert_str_eq(dt_str(&r, "message"), "3 LBO scenarios saved successfully");
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "errors")), 4);
    ck_assert_int_eq((int)dt_num(&r, "errors.0.index"), 1);
    ck_assert_str_eq(dt_str(&r, "errors.0.field"), "name");
    ck_assert_int_eq((int)dt_num(&r, "errors.1.index"), 3);
    ck_assert_int_eq((int)dt_num(&r, "errors.2.index"), 5);
    ck_assert_str_eq(dt_str(&r, "errors.2.field"), "inputs");
    /* inputs the engine refuses are not saved either */
    ck_assert_int_eq((int)dt_num(&r, "errors.3.index"), 6);
    ck_assert_str_eq(dt_str(&r, "errors.3.field"), "years");
    ck_assert_int_eq(dt_rows("lbo_scenarios", dt.tenant_a), 2);
    ck_assert_int_eq(dt_events("lbo_scenario.saved", dt.tenant_a), 3);

    /* same name, other company: another scenario; same key again: updated */
    DT_A(
        &r, "POST", "/api/lbo/scenarios",
        "[{\"name\": \"base\", \"inputs\": {}, \"companyName\": \"Other\"},"
        " {\"name\": \"base\", \"inputs\": {\"purchasePrice\": 1003}, \"companyName\": \"Acme\"}]");
    ck_assert_int_eq((int)dt_num(&r, "saved_count"), 2);
    ck_assert_int_eq(dt_rows("lbo_scenarios", dt.tenant_a), 3);

    DT_A(&r, "GET", "/api/lbo/scenarios", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "scenarios")), 3);
    ck_assert_str_eq(dt_str(&r, "scenarios.0.name"), "base"); /* most recently saved first */
    ck_assert_str_eq(dt_str(&r, "scenarios.0.company_name"), "Acme");
    ck_assert(dt_num(&r, "scenarios.0.inputs.purchasePrice") == 1003);
    ck_assert_str_eq(dt_str(&r, "scenarios.2.company_name"), "FromInputs");
    ck_assert(crypto_is_uuid(dt_str(&r, "scenarios.0.scenario_id")));
    ck_assert(json_is_integer(dt_get(r.json, "scenarios.0.id")));
    ck_assert_ptr_null(dt_get(r.json, "scenarios.0.inserted"));
    snprintf(sid, sizeof(sid), "%s", dt_str(&r, "scenarios.0.scenario_id"));

    snprintf(path, sizeof(path), "/api/lbo/scenarios/%s", sid);
    dt_req(&r, "DELETE", path, dt.viewer_a, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    DT_A(&r, "DELETE", path, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "message"), "LBO scenario deleted successfully");
    DT_A(&r, "DELETE", path, NULL);
    dt_expect(&r, 404, "LBO scenario not found");
    DT_A(&r, "DELETE", "/api/lbo/scenarios/zzz", NULL);
    dt_expect(&r, 404, "LBO scenario not found");
    ck_assert_int_eq(dt_rows("lbo_scenarios", dt.tenant_a), 2);
    dt_free(&r);
}
END_TEST

START_TEST(test_calculate)
{
    struct dt_resp r = {0};

    DT_A(&r, "POST", "/api/lbo/calculate", "{}");
    dt_expect_field(&r, "inputs");
    DT_A(&r, "POST", "/api/lbo/calculate", "{\"inputs\": {\"years\": 20}}");
    dt_expect_field(&r, "years");
    DT_A(&r, "POST", "/api/lbo/calculate",
         "{\"inputs\": {\"seniorDebtRatio\": 0.5, \"mezzanineDebtRatio\": 0.3}}");
    dt_expect_field(&r, "debtRatios");
    DT_A(&r, "POST", "/api/lbo/calculate", "{\"inputs\": {\"equityContribution\": 2000}}");
    dt_expect_field(&r, "equityContribution");

    DT_A(&r, "POST", "/api/lbo/calculate", "{\"inputs\": {}}");
    dt_expect(&r, 200, NULL);
    ck_assert(json_is_true(dt_get(r.json, "success")));
    ck_assert(fabs(dt_num(&r, "data.metrics.final_debt") - 426.7045) < 1e-3);
    ck_assert(fabs(dt_num(&r, "data.metrics.wacd") - 0.078) < 1e-9);
    ck_assert(fabs(dt_num(&r, "data.exit_scenarios.2.moic") - 2.2773) < 1e-3);
    ck_assert(fabs(dt_num(&r, "data.exit_scenarios.5.implied_multiple") - 9.2047) < 1e-3);
    ck_assert_int_eq((int)json_array_size(dt_get(r.json, "data.series.debt")), 6);
    ck_assert(json_is_null(dt_get(r.json, "data.series.fcf.0")));

    DT_A(&r, "POST", "/api/lbo/calculate", "{\"inputs\": {\"exitMultiples\": [2]}}");
    dt_expect(&r, 200, NULL);
    ck_assert(json_is_null(dt_get(r.json, "data.exit_scenarios.0.irr")));
    ck_assert(json_is_null(dt_get(r.json, "data.metrics.avg_irr")));
    ck_assert_int_ge((int)json_array_size(dt_get(r.json, "data.warnings")), 1);
    /* nothing is stored by a calculation */
    ck_assert_int_eq(dt_rows("lbo_runs", dt.tenant_a), 0);
    dt_free(&r);
}
END_TEST

START_TEST(test_wrong_method)
{
    struct dt_resp r = {0};
    char allow[64];
    DT_A(&r, "PUT", "/api/lbo/runs", "{}");
    dt_expect(&r, 405, "Method not allowed");
    ck_assert_int_eq(tu_http_header(&r.raw, "Allow", allow, sizeof(allow)), 0);
    ck_assert_str_eq(allow, "GET, HEAD, OPTIONS, POST");
    DT_A(&r, "GET", "/api/lbo/calculate", NULL);
    dt_expect(&r, 405, "Method not allowed");
    dt_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-deals LBO");
    TCase *tc = dt_tcase("lbo");
    tcase_add_test(tc, test_auth_and_roles);
    tcase_add_test(tc, test_create_run_validation_writes_nothing);
    tcase_add_test(tc, test_runs_lifecycle);
    tcase_add_test(tc, test_other_tenant_sees_nothing);
    tcase_add_test(tc, test_scenarios);
    tcase_add_test(tc, test_calculate);
    tcase_add_test(tc, test_wrong_method);
    suite_add_tcase(s, tc);
    return dt_main(s);
}
