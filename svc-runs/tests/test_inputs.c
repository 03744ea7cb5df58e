/* Engine input validation: field-named messages, the percent hint, required
 * fields unless use_defaults, ranges of engines.md §1 and the Monte Carlo
 * settings. */
#include <math.h>
#include <string.h>

#include "dcf_inputs.h"
#include "handlers.h"
#include "testutil.h"

/* Parses text as inputs and expects a refusal naming field with msg. */
static void refused(const char *text, const char *field, const char *msg)
{
    struct dcf_inputs in;
    struct jsonv_err e = {{0}, {0}};
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_msg(j != NULL, "bad test JSON %s", text);
    ck_assert_msg(dcf_inputs_parse(j, &in, &e) != 0, "%s accepted", text);
    ck_assert_str_eq(e.field, field);
    ck_assert_str_eq(e.msg, msg);
    json_decref(j);
}

static void accepted(const char *text, struct dcf_inputs *in)
{
    struct jsonv_err e = {{0}, {0}};
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_msg(j != NULL, "bad test JSON %s", text);
    ck_assert_msg(dcf_inputs_parse(j, in, &e) == 0, "%s refused: %s %s", text, e.field, e.msg);
    json_decref(j);
}

#define FULL                                                                                       \
    "\"revenue\":500,\"growthY1\":0.12,\"years\":7,\"termGrowth\":0.025,\"ebitMargin\":0.22,"      \
    "\"taxRate\":0.23,\"salesToCap\":2.5,\"wacc\":0.09,\"shares\":150,\"netDebt\":300"

START_TEST(test_percent_given_where_decimal_expected)
{
    refused("{\"use_defaults\":true,\"wacc\":9}", "wacc",
            "must be a decimal between 0.03 and 0.25 (0.09 means 9%)");
    refused("{\"use_defaults\":true,\"wacc\":0.5}", "wacc",
            "must be a decimal between 0.03 and 0.25 (0.09 means 9%)");
    refused("{\"use_defaults\":true,\"taxRate\":23}", "taxRate",
            "must be a decimal between 0 and 0.6 (0.23 means 23%)");
    refused("{\"use_defaults\":true,\"termGrowth\":2.5}", "termGrowth",
            "must be a decimal between -0.05 and 0.25 (0.025 means 2.5%)");
    refused("{\"use_defaults\":true,\"s2Margin\":22}", "s2Margin",
            "must be a decimal between -1 and 1 (0.22 means 22%)");
}
END_TEST

START_TEST(test_ranges_and_types)
{
    refused("{\"use_defaults\":true,\"years\":2}", "years", "must be an integer between 3 and 15");
    refused("{\"use_defaults\":true,\"years\":16}", "years", "must be an integer between 3 and 15");
    refused("{\"use_defaults\":true,\"years\":7.5}", "years",
            "must be an integer between 3 and 15");
    refused("{\"use_defaults\":true,\"years\":\"7\"}", "years", "must be an integer");
    refused("{\"use_defaults\":true,\"revenue\":0}", "revenue",
            "must be a number greater than 0 and at most 1e+15");
    refused("{\"use_defaults\":true,\"shares\":-1}", "shares",
            "must be a number greater than 0 and at most 1e+13");
    refused("{\"use_defaults\":true,\"salesToCap\":0}", "salesToCap",
            "must be a number greater than 0 and at most 10");
    refused("{\"use_defaults\":true,\"salesToCap\":10.5}", "salesToCap",
            "must be a number greater than 0 and at most 10");
    refused("{\"use_defaults\":true,\"taxRate\":-0.1}", "taxRate",
            "must be a decimal between 0 and 0.6 (0.23 means 23%)");
    refused("{\"use_defaults\":true,\"wacc\":\"0.09\"}", "wacc", "must be a number");
    refused("{\"use_defaults\":true,\"wacc\":true}", "wacc", "must be a number");
    refused("{\"use_defaults\":true,\"stage1End\":4,\"stage2End\":4}", "stage2End",
            "must be greater than stage1End");
    refused("{\"use_defaults\":true,\"tvMethod\":\"gordon\"}", "tvMethod",
            "must be one of perpetuity, multiple");
    refused("{\"use_defaults\":true,\"tvMethod\":\"multiple\"}", "tvMultipleVal",
            "required when tvMethod is multiple");
    refused("{\"use_defaults\":\"yes\"}", "use_defaults", "must be a boolean");
    refused("{\"use_defaults\":true,\"waccMin\":0.1,\"waccMax\":0.08}", "waccMax",
            "must be greater than or equal to waccMin");
}
END_TEST

START_TEST(test_required_unless_use_defaults)
{
    struct dcf_inputs in;
    struct jsonv_err e;
    json_t *arr = json_array();

    refused("{}", "revenue", "required");
    refused("{" FULL ",\"wacc\":null}", "wacc", "required");
    refused("{\"revenue\":500}", "growthY1", "required");
    ck_assert(dcf_inputs_parse(arr, &in, &e) != 0);
    ck_assert_str_eq(e.field, "inputs");
    json_decref(arr);

    /* all required given: other fields default, no stage overrides */
    accepted("{" FULL "}", &in);
    ck_assert(in.growth_decay == 0.015 && in.stage1_end == 3 && in.stage2_end == 6);
    ck_assert(!in.stage[0].has_growth && !in.stage[2].has_nwc);
    ck_assert(in.tv_method == DCF_TV_PERPETUITY);
    ck_assert(in.wacc_min == 0.07 && in.tg_max == 0.035);

    /* use_defaults: the UI preset, stage overrides included; null = not set */
    accepted("{\"use_defaults\":true}", &in);
    ck_assert(in.revenue == 500 && in.years == 7 && in.wacc == 0.09);
    ck_assert(in.stage[1].has_margin && in.stage[1].margin == 0.22);
    accepted("{\"use_defaults\":true,\"s1Growth\":null,\"wacc\":0.1,\"years\":10.0}", &in);
    ck_assert(!in.stage[0].has_growth && in.stage[1].has_growth);
    ck_assert(in.wacc == 0.1 && in.years == 10);

    accepted("{" FULL ",\"tvMethod\":\"multiple\",\"tvMultipleVal\":12,\"s3NWC\":0.03,"
             "\"ticker\":\"ignored\"}",
             &in);
    ck_assert(in.tv_method == DCF_TV_MULTIPLE && in.tv_multiple == 12);
    ck_assert(in.stage[2].has_nwc && in.stage[2].nwc == 0.03);
}
END_TEST

static int mc_parse(const char *text, long max, struct mc_settings *s, struct jsonv_err *e)
{
    json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;
    int rc = mc_settings_parse(j, max, s, e);
    json_decref(j);
    return rc;
}

START_TEST(test_mc_settings)
{
    struct mc_settings s;
    struct jsonv_err e;

    ck_assert_int_ne(mc_parse("{\"trials\":99}", 100000, &s, &e), 0);
    ck_assert_str_eq(e.field, "trials");
    ck_assert_str_eq(e.msg, "must be an integer between 100 and 100000");
    ck_assert_int_ne(mc_parse("{\"trials\":100001}", 100000, &s, &e), 0);
    ck_assert_str_eq(e.field, "trials");
    ck_assert_int_ne(mc_parse("{\"trials\":5000}", 1000, &s, &e), 0);
    ck_assert_str_eq(e.msg, "must be an integer between 100 and 1000");
    ck_assert_int_ne(mc_parse("{\"trials\":\"1000\"}", 100000, &s, &e), 0);
    ck_assert_int_ne(mc_parse("{\"volPP\":-1}", 100000, &s, &e), 0);
    ck_assert_str_eq(e.field, "volPP");
    ck_assert_int_ne(mc_parse("{\"seedStr\":\"\"}", 100000, &s, &e), 0);
    ck_assert_str_eq(e.field, "seedStr");
    ck_assert_int_ne(mc_parse("{\"seed\":[1]}", 100000, &s, &e), 0);
    ck_assert_str_eq(e.field, "seed");
    ck_assert_int_ne(mc_parse("[]", 100000, &s, &e), 0);
    ck_assert_str_eq(e.field, "mc_settings");

    ck_assert_int_eq(mc_parse(NULL, 100000, &s, &e), 0);
    ck_assert_int_eq(s.trials, 1000);
    ck_assert(s.vol_pp == 2.0 && s.margin_vol_pp == 2.0 && s.s2c_vol_pct == 5 && s.corr_gm == 0.3);
    ck_assert_str_eq(s.seed, "");
    ck_assert_int_eq(
        mc_parse("{\"trials\":100000,\"volPP\":3,\"corrGM\":-7,\"seed\":42}", 100000, &s, &e), 0);
    ck_assert_int_eq(s.trials, 100000);
    ck_assert(s.margin_vol_pp == 3 && s.corr_gm == -0.99);
    ck_assert_str_eq(s.seed, "42");
    ck_assert_int_eq(mc_parse("{\"seedStr\":\"abc\",\"seed\":\"x\"}", 100000, &s, &e), 0);
    ck_assert_str_eq(s.seed, "abc");
}
END_TEST

START_TEST(test_ticker)
{
    char t[RUNS_TICKER_MAX + 1];
    struct jsonv_err e;
    json_t *v;

    ck_assert_int_eq(runs_ticker(NULL, "ticker", t, &e), 0);
    ck_assert_str_eq(t, "UNKNOWN");
    v = json_string("brk.b");
    ck_assert_int_eq(runs_ticker(v, "ticker", t, &e), 0);
    ck_assert_str_eq(t, "BRK.B");
    json_decref(v);
    v = json_string("AA PL");
    ck_assert_int_ne(runs_ticker(v, "inputs.ticker", t, &e), 0);
    ck_assert_str_eq(e.field, "inputs.ticker");
    json_decref(v);
    v = json_string("ABCDEFGHIJKLMNOPQRSTU"); /* 21 */
    ck_assert_int_ne(runs_ticker(v, "ticker", t, &e), 0);
    json_decref(v);
    v = json_string("%");
    ck_assert_int_ne(runs_ticker(v, "ticker", t, &e), 0);
    json_decref(v);
    v = json_integer(5);
    ck_assert_int_ne(runs_ticker(v, "ticker", t, &e), 0);
    ck_assert_str_eq(e.msg, "must be a string");
    json_decref(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-runs inputs");
    TCase *tc = tcase_create("inputs");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_percent_given_where_decimal_expected);
    tcase_add_test(tc, test_ranges_and_types);
    tcase_add_test(tc, test_required_unless_use_defaults);
    tcase_add_test(tc, test_mc_settings);
    tcase_add_test(tc, test_ticker);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
