/* The LBO engine against engines.md §4's worked example and its edge cases. */
#include <math.h>
#include <string.h>

#include "engine_lbo.h"
#include "testutil.h"
#include "valor/err.h"

#define REL 1e-4

static void close_to(double got, double want, const char *what)
{
    ck_assert_msg(fabs(got - want) <= REL * fmax(1e-9, fabs(want)), "%s = %.10g, want %.10g", what,
                  got, want);
}

#define ck_close(got, want) close_to((double)(got), (double)(want), #got)

/* Parses JSON text as the inputs and runs the engine; returns the rc of parsing. */
static int run(const char *inputs, struct lbo_result *r, struct jsonv_err *e)
{
    struct lbo_inputs in;
    json_error_t je;
    json_t *j = json_loads(inputs, 0, &je);
    int rc;

    ck_assert_msg(j != NULL, "bad test JSON: %s", je.text);
    memset(e, 0, sizeof(*e));
    rc = lbo_inputs_from_json(j, &in, e);
    json_decref(j);
    if (rc == VALOR_OK)
        lbo_compute(&in, r);
    return rc;
}

static void expect_invalid(const char *inputs, const char *field, const char *msg_part)
{
    struct lbo_result r;
    struct jsonv_err e;
    ck_assert_int_eq(run(inputs, &r, &e), VALOR_E_INVALID);
    ck_assert_str_eq(e.field, field);
    ck_assert_msg(strstr(e.msg, msg_part) != NULL, "%s: msg '%s' lacks '%s'", inputs, e.msg,
                  msg_part);
}

START_TEST(test_invalid_inputs)
{
    expect_invalid("{\"purchasePrice\": 0}", "purchasePrice", "must be positive");
    expect_invalid("{\"purchasePrice\": -5}", "purchasePrice", "must be positive");
    expect_invalid("{\"equityContribution\": 0}", "equityContribution", "must be positive");
    expect_invalid("{\"equityContribution\": 1200}", "equityContribution",
                   "must not exceed purchasePrice");
    expect_invalid("{\"purchasePrice\": \"1000\"}", "purchasePrice", "must be a number");
    expect_invalid("{\"purchasePrice\": true}", "purchasePrice", "must be a number");
    expect_invalid("{\"years\": 2}", "years", "between 3 and 10");
    expect_invalid("{\"years\": 11}", "years", "between 3 and 10");
    expect_invalid("{\"years\": 5.5}", "years", "must be an integer");
    expect_invalid("{\"seniorDebtRate\": 6}", "seniorDebtRate", "0.06 means 6%");
    expect_invalid("{\"taxRate\": 25}", "taxRate", "0.25 means 25%");
    expect_invalid("{\"revenue\": 0}", "revenue", "must be positive");
    /* ratios must sum to 1 ± 0.01 */
    expect_invalid("{\"seniorDebtRatio\": 0.5}", "debtRatios", "must sum to 1");
    expect_invalid("{\"seniorDebtRatio\": 0, \"mezzanineDebtRatio\": 0, \"highYieldDebtRatio\": 0}",
                   "debtRatios", "got 0");
    expect_invalid("{\"exitMultiples\": []}", "exitMultiples", "1 to 20 items");
    expect_invalid("{\"exitMultiples\": 8}", "exitMultiples", "array");
    expect_invalid("{\"exitMultiples\": [8, \"x\"]}", "exitMultiples[1]", "must be a number");
    expect_invalid("{\"exitMultiples\": [8, -1]}", "exitMultiples[1]", "greater than 0");
    expect_invalid("{\"targetIrrs\": [0.2, 15]}", "targetIrrs[1]", "0.15 means 15%");
    expect_invalid("[]", "inputs", "must be an object");
}
END_TEST

START_TEST(test_worked_example)
{
    static const double debt[] = {600, 577.65, 549.221, 514.5857, 473.7192, 426.7045};
    struct lbo_result r;
    struct jsonv_err e;

    ck_assert_int_eq(run("{}", &r, &e), VALOR_OK);
    ck_assert_int_eq(r.years, 5);
    for (int t = 0; t <= 5; t++)
        ck_close(r.debt[t], debt[t]);
    ck_close(r.interest[1], 46.8);
    ck_close(r.fcf[1], 69.15);
    ck_close(r.wacd, 0.078);
    ck_close(r.total_interest_paid, 211.7837);
    ck_close(r.final_debt, 426.7045);
    ck_close(r.working_capital[0], 75); /* WC_0 = rev_0 · ratio, not 0 */
    ck_close(r.delta_wc[1], 540 * 0.15 - 75);
    ck_assert_int_eq((int)r.n_multiples, 5);
    ck_close(r.by_multiple[2].multiple, 10);
    ck_close(r.by_multiple[2].equity_value, 910.9256);
    /* moic = equityValue/equity = 910.9256/400; the spec's 2.2773 agrees */
    ck_close(r.by_multiple[2].moic, 2.2773);
    ck_close(r.by_multiple[2].moic, r.by_multiple[2].equity_value / 400);
    ck_assert(r.by_multiple[2].irr_defined);
    ck_close(r.by_multiple[2].irr, 0.178921);
    ck_assert_int_eq((int)r.n_targets, 4);
    ck_close(r.by_irr[0].target_irr, 0.15);
    ck_close(r.by_irr[0].implied_multiple, 9.2047);
    ck_close(r.total_debt, 600);
    ck_close(r.leverage_ratio, 1.5);
    ck_close(r.senior, 360);
    ck_close(r.mezzanine, 180);
    ck_close(r.high_yield, 60);
    ck_assert_int_eq(r.nwarnings, 0);
    ck_assert(r.averages_defined);
}
END_TEST

START_TEST(test_result_json_shape)
{
    struct lbo_result r;
    struct jsonv_err e;
    json_t *j, *series, *exits, *x;
    const char *names[] = {
        "revenue",         "ebitda",   "ebit",  "depreciation", "interest",  "taxes", "net_income",
        "working_capital", "delta_wc", "capex", "fcf",          "principal", "debt",  "cash"};

    ck_assert_int_eq(run("{\"years\": 7}", &r, &e), VALOR_OK);
    j = lbo_result_json(&r);
    ck_assert_ptr_nonnull(j);
    series = json_object_get(j, "series");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *a = json_object_get(series, names[i]);
        ck_assert_msg(json_is_array(a) && json_array_size(a) == 8, "series %s length", names[i]);
    }
    ck_assert(json_is_null(json_array_get(json_object_get(series, "interest"), 0)));
    ck_assert(json_is_real(json_array_get(json_object_get(series, "debt"), 0)));
    exits = json_object_get(j, "exit_scenarios");
    ck_assert_int_eq((int)json_array_size(exits), 9);
    x = json_array_get(exits, 0);
    ck_assert_str_eq(json_string_value(json_object_get(x, "type")), "multiple");
    ck_assert(json_is_real(json_object_get(x, "irr")));
    x = json_array_get(exits, 5);
    ck_assert_str_eq(json_string_value(json_object_get(x, "type")), "irr");
    ck_assert(json_is_real(json_object_get(x, "implied_multiple")));
    ck_assert(json_is_real(json_object_get(json_object_get(j, "metrics"), "avg_irr")));
    ck_assert(json_is_real(json_object_get(json_object_get(j, "debt_structure"), "senior")));
    ck_assert(json_is_array(json_object_get(j, "warnings")));
    json_decref(j);
}
END_TEST

START_TEST(test_negative_irr)
{
    struct lbo_result r;
    struct jsonv_err e;
    /* exit at 4x: 4·EBITDA_N − debt_N is positive but below the 400 invested */
    ck_assert_int_eq(run("{\"exitMultiples\": [4]}", &r, &e), VALOR_OK);
    ck_assert(r.by_multiple[0].irr_defined);
    ck_assert_msg(r.by_multiple[0].equity_value > 0 && r.by_multiple[0].equity_value < 400,
                  "equity value %g", r.by_multiple[0].equity_value);
    ck_assert_msg(r.by_multiple[0].irr < 0, "irr %g should be negative", r.by_multiple[0].irr);
    ck_close(r.by_multiple[0].irr, pow(r.by_multiple[0].equity_value / 400, 0.2) - 1);
    ck_assert_int_eq(r.nwarnings, 0);
}
END_TEST

START_TEST(test_null_irr_with_warning)
{
    struct lbo_result r;
    struct jsonv_err e;
    json_t *j, *x;

    /* at 2x the exit value is below the remaining debt */
    ck_assert_int_eq(run("{\"exitMultiples\": [2, 10]}", &r, &e), VALOR_OK);
    ck_assert(r.by_multiple[0].equity_value <= 0);
    ck_assert(!r.by_multiple[0].irr_defined);
    ck_assert_int_eq(r.nwarnings, 1);
    ck_assert_msg(strstr(r.warnings[0], "Exit at 2x") != NULL, "%s", r.warnings[0]);
    /* the average is over the defined scenario only */
    ck_assert(r.averages_defined);
    ck_close(r.avg_irr, 0.178921);
    j = lbo_result_json(&r);
    x = json_array_get(json_object_get(j, "exit_scenarios"), 0);
    ck_assert(json_is_null(json_object_get(x, "irr")));
    ck_assert(json_is_real(json_object_get(x, "moic")));
    json_decref(j);

    ck_assert_int_eq(run("{\"exitMultiples\": [1]}", &r, &e), VALOR_OK);
    ck_assert(!r.averages_defined);
    j = lbo_result_json(&r);
    ck_assert(json_is_null(json_object_get(json_object_get(j, "metrics"), "avg_irr")));
    ck_assert(json_is_null(json_object_get(json_object_get(j, "metrics"), "avg_moic")));
    ck_assert_int_eq((int)json_array_size(json_object_get(j, "warnings")), 2);
    json_decref(j);
}
END_TEST

START_TEST(test_zero_tranche_honoured)
{
    struct lbo_result r;
    struct jsonv_err e;
    ck_assert_int_eq(run("{\"seniorDebtRatio\": 0.7, \"mezzanineDebtRatio\": 0.3, "
                         "\"highYieldDebtRatio\": 0}",
                         &r, &e),
                     VALOR_OK);
    ck_close(r.high_yield + 1, 1); /* exactly 0, not the 0.10 default */
    ck_assert(r.high_yield == 0);
    ck_close(r.senior, 420);
    ck_close(r.wacd, 0.7 * 0.06 + 0.3 * 0.10);
    ck_close(r.interest[1], 600 * (0.7 * 0.06 + 0.3 * 0.10));
}
END_TEST

START_TEST(test_configurable_exits)
{
    struct lbo_result r;
    struct jsonv_err e;
    ck_assert_int_eq(run("{\"exitMultiples\": [10, 7.5], \"targetIrrs\": [0.15, -0.05]}", &r, &e),
                     VALOR_OK);
    ck_assert_int_eq((int)r.n_multiples, 2);
    ck_close(r.by_multiple[0].irr, 0.178921);
    ck_close(r.by_multiple[1].multiple, 7.5);
    ck_assert_int_eq((int)r.n_targets, 2);
    ck_close(r.by_irr[0].implied_multiple, 9.2047);
    ck_close(r.by_irr[1].equity_value, 400 * pow(0.95, 5));
}
END_TEST

START_TEST(test_revolver_draw_warned)
{
    struct lbo_result r;
    struct jsonv_err e;
    /* a 2 % margin does not pay 7.8 % on 600 of debt */
    ck_assert_int_eq(run("{\"ebitdaMargin\": 0.02}", &r, &e), VALOR_OK);
    ck_assert_msg(r.principal[1] < 0, "principal %g", r.principal[1]);
    ck_assert(r.debt[1] > 600);
    ck_assert_msg(r.nwarnings >= 1 && strstr(r.warnings[0], "Year 1:") != NULL &&
                      strstr(r.warnings[0], "revolver draw") != NULL,
                  "warnings[0] = %s", r.nwarnings ? r.warnings[0] : "(none)");
    for (int t = 1; t <= r.years; t++)
        ck_assert(isfinite(r.cash[t]) && isfinite(r.debt[t]));
}
END_TEST

START_TEST(test_all_equity_deal)
{
    struct lbo_result r;
    struct jsonv_err e;
    ck_assert_int_eq(run("{\"equityContribution\": 1000}", &r, &e), VALOR_OK);
    ck_close(r.total_debt + 1, 1);
    ck_assert(r.interest[1] == 0 && r.debt[5] == 0);
    ck_assert(r.cash[1] > 0);
    ck_assert(isfinite(r.wacd));
}
END_TEST

/* Exits before the end of the hold (the report's IRR/MOIC by exit year): at
 * year N they are the exit scenarios; earlier, that year's EBITDA and debt. */
START_TEST(test_exit_at_an_earlier_year)
{
    struct lbo_result r;
    struct lbo_exit_multiple x;
    struct jsonv_err e;

    ck_assert_int_eq(run("{}", &r, &e), VALOR_OK);
    lbo_exit_at(&r, 400, 5, 10, &x);
    ck_assert(x.equity_value == r.by_multiple[2].equity_value);
    ck_assert(x.irr == r.by_multiple[2].irr);
    ck_close(x.moic, 2.2773);
    lbo_exit_at(&r, 400, 3, 10, &x);
    ck_close(x.exit_value, r.ebitda[3] * 10);
    ck_close(x.remaining_debt, 514.5857);
    ck_close(x.equity_value, r.ebitda[3] * 10 - 514.5857);
    ck_close(x.irr, pow(x.equity_value / 400, 1.0 / 3) - 1);
    ck_assert(x.irr_defined);
    lbo_exit_at(&r, 400, 1, 4, &x); /* 4 × 108 − 577.65 < 0 */
    ck_assert(!x.irr_defined);
    ck_assert(x.moic < 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-deals engine_lbo");
    TCase *tc = tcase_create("lbo");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_invalid_inputs);
    tcase_add_test(tc, test_worked_example);
    tcase_add_test(tc, test_result_json_shape);
    tcase_add_test(tc, test_negative_irr);
    tcase_add_test(tc, test_null_irr_with_warning);
    tcase_add_test(tc, test_zero_tranche_honoured);
    tcase_add_test(tc, test_configurable_exits);
    tcase_add_test(tc, test_revolver_draw_warned);
    tcase_add_test(tc, test_all_equity_deal);
    tcase_add_test(tc, test_exit_at_an_earlier_year);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
