/* The M&A engine against engines.md §5's worked example and its error messages. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_ma.h"
#include "testutil.h"
#include "valor/err.h"

#define REL 1e-4

static void close_to(double got, double want, const char *what)
{
    ck_assert_msg(fabs(got - want) <= REL * fmax(1e-9, fabs(want)), "%s = %.10g, want %.10g", what,
                  got, want);
}

#define ck_close(got, want) close_to((double)(got), (double)(want), #got)

/* The worked example: acquirer 1000/150/100/200, target 500/75/50/100, price
 * 600, 60 % cash / 40 % stock, synergies 25 a year for 5 years. Tests append
 * keys after it: without JSON_REJECT_DUPLICATES the last duplicate wins. */
#define EXAMPLE                                                                                    \
    "\"acquirerRevenue\":1000,\"acquirerEBITDA\":150,\"acquirerShares\":100,"                      \
    "\"acquirerNetDebt\":200,\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,"       \
    "\"targetNetDebt\":100,\"purchasePrice\":600,\"dealStructure\":{\"cash\":60,\"stock\":40},"    \
    "\"synergies\":{\"annual\":25,\"duration\":5}"

static int run(const char *text, struct ma_result *r, struct jsonv_err *e, enum ma_error_kind *k)
{
    struct ma_inputs in;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    int rc;

    ck_assert_msg(j != NULL, "bad test JSON: %s (%s)", je.text, text);
    memset(e, 0, sizeof(*e));
    rc = ma_inputs_from_json(j, &in, e, k);
    json_decref(j);
    if (rc == VALOR_OK)
        ma_compute(&in, r);
    return rc;
}

/* Expects one of engines.md §5's plain error messages. */
static void expect_message(const char *text, const char *message)
{
    struct ma_result r;
    struct jsonv_err e;
    enum ma_error_kind k;
    ck_assert_int_eq(run(text, &r, &e, &k), VALOR_E_INVALID);
    ck_assert_int_eq(k, MA_ERR_MESSAGE);
    ck_assert_str_eq(e.msg, message);
}

static void expect_validation(const char *text, const char *field, const char *part)
{
    struct ma_result r;
    struct jsonv_err e;
    enum ma_error_kind k;
    ck_assert_int_eq(run(text, &r, &e, &k), VALOR_E_INVALID);
    ck_assert_int_eq(k, MA_ERR_VALIDATION);
    ck_assert_str_eq(e.field, field);
    ck_assert_msg(strstr(e.msg, part) != NULL, "msg '%s' lacks '%s'", e.msg, part);
}

START_TEST(test_missing_fields)
{
    static const char *const fields[] = {"acquirerRevenue", "acquirerEBITDA", "acquirerShares",
                                         "targetRevenue",   "targetEBITDA",   "targetShares",
                                         "purchasePrice",   "dealStructure"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        char text[1024], msg[128];
        json_t *j = json_loads("{" EXAMPLE "}", 0, NULL);
        char *dumped;
        json_object_del(j, fields[i]);
        dumped = json_dumps(j, JSON_COMPACT);
        snprintf(text, sizeof(text), "%s", dumped);
        free(dumped);
        json_decref(j);
        snprintf(msg, sizeof(msg), "Missing required field: %s", fields[i]);
        expect_message(text, msg);
    }
    expect_message("{}", "Missing required field: acquirerRevenue");
    /* null counts as missing */
    expect_message("{\"acquirerRevenue\":null}", "Missing required field: acquirerRevenue");
}
END_TEST

START_TEST(test_bad_price_and_structure)
{
    expect_message("{" EXAMPLE ",\"purchasePrice\":0}", "Purchase price must be positive");
    expect_message("{" EXAMPLE ",\"purchasePrice\":-600}", "Purchase price must be positive");
    expect_message("{" EXAMPLE ",\"dealStructure\":{\"cash\":60,\"stock\":30}}",
                   "Deal structure must equal 100%");
    expect_message("{" EXAMPLE ",\"dealStructure\":{\"cash\":0.6,\"stock\":0.4}}",
                   "Deal structure must equal 100%");
    expect_message("{" EXAMPLE ",\"dealStructure\":{\"cash\":120,\"stock\":-20}}",
                   "Deal structure must equal 100%");
    expect_message("{" EXAMPLE ",\"dealStructure\":{}}", "Deal structure must equal 100%");
    expect_validation("{" EXAMPLE ",\"dealStructure\":{\"cash\":\"60\",\"stock\":40}}",
                      "dealStructure.cash", "must be a number");
    expect_validation("{" EXAMPLE ",\"dealStructure\":[60,40]}", "dealStructure",
                      "must be an object");
    expect_validation("{" EXAMPLE ",\"purchasePrice\":\"600\"}", "purchasePrice",
                      "must be a number");
    expect_validation("{" EXAMPLE ",\"acquirerShares\":0}", "acquirerShares", "must be positive");
    expect_validation("{" EXAMPLE ",\"taxRate\":35}", "taxRate", "0.35 means 35%");
    expect_validation("{" EXAMPLE ",\"synergies\":{\"annual\":25,\"duration\":2.5}}",
                      "synergies.duration", "must be an integer");
    expect_validation("{" EXAMPLE ",\"acquirerSharePrice\":0}", "acquirerSharePrice",
                      "must be positive");
}
END_TEST

START_TEST(test_worked_example)
{
    struct ma_result r;
    struct jsonv_err e;
    enum ma_error_kind k;

    ck_assert_int_eq(run("{" EXAMPLE "}", &r, &e, &k), VALOR_OK);
    ck_close(r.new_shares, 24);
    ck_close(r.shares, 124);
    ck_close(r.eps, 1.310484);
    ck_close(r.pre_eps, 0.975);
    ck_assert(r.accretion_defined);
    ck_close(r.accretion, 0.344086);
    ck_assert(r.is_accretive);
    ck_assert(r.pf_ev_ebitda_defined);
    ck_close(r.pf_ev_ebitda, 5.04);
    ck_close(r.ebitda, 250);
    ck_close(r.net_debt, 660);
    ck_close(r.ev_ebitda, 8);
    ck_close(r.ev_revenue, 1.2);
    ck_close(r.syn_pv, 25 * (1 - pow(1.1, -5)) / 0.1);
    ck_close(r.syn_per_share, r.syn_pv / 100);
    /* the fallback share price is warned */
    ck_assert_int_eq(r.nwarnings, 1);
    ck_assert_msg(strstr(r.warnings[0], "acquirerSharePrice not given") != NULL, "%s",
                  r.warnings[0]);
}
END_TEST

START_TEST(test_share_price_tax_and_discount_rate)
{
    struct ma_result r;
    struct jsonv_err e;
    enum ma_error_kind k;
    json_t *j;

    ck_assert_int_eq(run("{" EXAMPLE ",\"acquirerSharePrice\":20,\"taxRate\":0.25,"
                         "\"synergies\":{\"annual\":25,\"duration\":5,\"discountRate\":0.08}}",
                         &r, &e, &k),
                     VALOR_OK);
    ck_close(r.new_shares, 12);
    ck_close(r.shares, 112);
    ck_close(r.eps, 250 * 0.75 / 112);
    ck_close(r.pre_eps, 150 * 0.75 / 100);
    ck_close(r.syn_pv, 25 * (1 - pow(1.08, -5)) / 0.08);
    ck_assert_int_eq(r.nwarnings, 0);
    j = ma_result_json(&r);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_real(json_object_get(json_object_get(j, "pro_forma"), "eps")));
    ck_assert(
        json_is_true(json_object_get(json_object_get(j, "accretion_dilution"), "is_accretive")));
    ck_assert_int_eq(
        (int)json_integer_value(json_object_get(json_object_get(j, "synergies"), "duration")), 5);
    ck_assert(
        json_is_real(json_object_get(json_object_get(j, "deal_metrics"), "pro_forma_ev_ebitda")));
    ck_assert_int_eq((int)json_array_size(json_object_get(j, "warnings")), 0);
    json_decref(j);
}
END_TEST

START_TEST(test_undefined_ratios_are_null)
{
    struct ma_result r;
    struct jsonv_err e;
    enum ma_error_kind k;
    json_t *j, *dm;

    ck_assert_int_eq(run("{" EXAMPLE ",\"targetEBITDA\":0,\"acquirerEBITDA\":0}", &r, &e, &k),
                     VALOR_OK);
    j = ma_result_json(&r);
    dm = json_object_get(j, "deal_metrics");
    ck_assert(json_is_null(json_object_get(dm, "ev_ebitda")));
    ck_assert(json_is_null(json_object_get(json_object_get(j, "accretion_dilution"), "accretion")));
    ck_assert_int_ge((int)json_array_size(json_object_get(j, "warnings")), 3);
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-deals engine_ma");
    TCase *tc = tcase_create("ma");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_missing_fields);
    tcase_add_test(tc, test_bad_price_and_structure);
    tcase_add_test(tc, test_worked_example);
    tcase_add_test(tc, test_share_price_tax_and_discount_rate);
    tcase_add_test(tc, test_undefined_ratios_are_null);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
