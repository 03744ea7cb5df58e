/* The engines of engines.md §1–3: the worked DCF example to 1e-4 relative,
 * the terminal-value variants and warnings, mulberry32 and the seed hash,
 * Monte Carlo determinism, the sensitivity grid and the JSON output (never
 * a NaN or an infinity). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcf_json.h"
#include "engine_dcf.h"
#include "engine_mc.h"
#include "engine_sensitivity.h"
#include "testutil.h"

#define ck_assert_rel(got, want)                                                                   \
    ck_assert_msg(fabs((double)(got) - (double)(want)) <= 1e-4 * fabs((double)(want)),             \
                  "%s = %.8f, expected %.8f", #got, (double)(got), (double)(want))

static int has_warning(const struct dcf_result *r, const char *prefix)
{
    for (int i = 0; i < r->nwarnings; i++)
        if (strncmp(r->warnings[i], prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

START_TEST(test_dcf_worked_example)
{
    static const double rev[8] = {500, 560, 627.2, 702.464, 758.6611, 819.354, 884.9023, 920.2984};
    struct dcf_inputs in;
    struct dcf_result r;

    dcf_inputs_preset(&in);
    dcf_compute(&in, &r);
    ck_assert_int_eq(r.years, 7);
    for (int t = 0; t <= 7; t++)
        ck_assert_rel(r.rev[t], rev[t]);
    ck_assert_rel(r.ebit[1], 112);
    ck_assert_rel(r.nopat[1], 86.24);
    ck_assert_rel(r.delta_nwc[1], 3);
    ck_assert_rel(r.capex[1], 24);
    ck_assert_rel(r.fcff[1], 59.24);
    ck_assert_rel(r.sum_pv_fcff, 488.2514);
    ck_assert_rel(r.pv_tv, 1407.3274);
    ck_assert_rel(r.ev, 1895.5788);
    ck_assert_rel(r.equity, 1595.5788);
    ck_assert_rel(r.per_share, 10.6372);
    ck_assert_rel(r.tv_pct, 0.7424);
    /* index 0 is the base year: no growth, FCFF or PV there */
    ck_assert(isnan(r.growth[0]) && isnan(r.fcff[0]) && isnan(r.pv_fcff[0]));
    ck_assert_rel(r.nwc[0], 25);
    ck_assert_int_eq(r.nwarnings, 0);
    /* the fast path is the same arithmetic */
    ck_assert_rel(dcf_per_share(&in), 10.6372);
    /* KPIs: FCFF grows, payback in year 1, EV over year-1 NOPAT */
    ck_assert_rel(r.fcff_cagr, pow(r.fcff[7] / r.fcff[1], 1.0 / 6) - 1);
    ck_assert(r.payback_year == 1);
    ck_assert_rel(r.ev_to_nopat, 1895.5788 / 86.24);
}
END_TEST

START_TEST(test_dcf_fallbacks_without_stage_overrides)
{
    struct dcf_inputs in;
    struct dcf_result r;

    dcf_inputs_preset(&in);
    memset(in.stage, 0, sizeof(in.stage));
    dcf_compute(&in, &r);
    /* g_t = growthY1 − growthDecay·(t−1), margin = ebitMargin, no NWC */
    ck_assert_rel(r.rev[1], 500 * 1.12);
    ck_assert_rel(r.rev[2], 500 * 1.12 * 1.105);
    ck_assert_rel(r.growth[7], 0.12 - 0.015 * 6);
    ck_assert_rel(r.margin[4], 0.22);
    ck_assert_rel(r.capex[1], 60 / 2.5);
    ck_assert(r.nwc[3] == 0 && r.delta_nwc[3] == 0);
    ck_assert_rel(r.fcff[1], 560 * 0.22 * 0.77 - 24);
}
END_TEST

START_TEST(test_dcf_multiple_method)
{
    struct dcf_inputs in;
    struct dcf_result r;
    double disc;

    dcf_inputs_preset(&in);
    in.tv_method = DCF_TV_MULTIPLE;
    in.tv_multiple = 12;
    dcf_compute(&in, &r);
    disc = pow(1.09, 7);
    ck_assert_rel(r.tv, 12 * r.fcff[7] * 1.025);
    ck_assert_rel(r.pv_tv, 12 * r.fcff[7] * 1.025 / disc);
    ck_assert_rel(r.sum_pv_fcff, 488.2514);
    ck_assert_rel(r.ev, 488.2514 + r.pv_tv);
    ck_assert_rel(r.per_share, (r.ev - 300) / 150);
    ck_assert_int_eq(r.nwarnings, 0);

    /* g ≥ WACC is not adjusted for the multiple method; a negative multiple counts as 0 */
    in.term_growth = 0.2;
    in.tv_multiple = -3;
    dcf_compute(&in, &r);
    ck_assert(r.pv_tv == 0);
    ck_assert(!has_warning(&r, "Terminal growth"));
}
END_TEST

START_TEST(test_dcf_growth_at_or_above_wacc_is_adjusted)
{
    struct dcf_inputs in;
    struct dcf_result r;

    dcf_inputs_preset(&in);
    in.term_growth = 0.09; /* = wacc */
    dcf_compute(&in, &r);
    ck_assert(has_warning(&r, "Terminal growth >= WACC; adjusted g down slightly."));
    ck_assert_rel(r.term_growth_used, 0.085);
    ck_assert_rel(r.tv, r.fcff[7] * 1.085 / 0.005);
    ck_assert(isfinite(r.per_share));

    in.term_growth = 0.2;
    in.wacc = 0.03; /* max(0, 0.03 − 0.005) = 0.025 */
    dcf_compute(&in, &r);
    ck_assert_rel(r.term_growth_used, 0.025);
    ck_assert(has_warning(&r, "Terminal growth >= WACC"));
}
END_TEST

START_TEST(test_dcf_nwc_cash_release_warning)
{
    struct dcf_inputs in;
    struct dcf_result r;

    dcf_inputs_preset(&in);
    in.stage[0].nwc = 0.2; /* 20 % of revenue in stage 1, 4 % from year 4 */
    dcf_compute(&in, &r);
    /* 702.464·0.2 − 758.6611·0.04 = 110.146 > 0.05·758.6611 */
    ck_assert_rel(r.delta_nwc[4], -(702.464 * 0.2 - 758.6611 * 0.04));
    ck_assert_int_eq(r.nwarnings, 1);
    ck_assert_str_eq(r.warnings[0], "Year 4: Significant cash release from NWC ($110.1M)");

    /* a small release (below 5 % of revenue) is not warned */
    dcf_inputs_preset(&in);
    in.stage[1].nwc = 0.045;
    dcf_compute(&in, &r);
    ck_assert(r.delta_nwc[4] < 0);
    ck_assert(!has_warning(&r, "Year 4"));
}
END_TEST

START_TEST(test_dcf_kpis_null_with_warnings)
{
    struct dcf_inputs in;
    struct dcf_result r;
    json_t *j;

    dcf_inputs_preset(&in);
    for (int i = 0; i < 3; i++)
        in.stage[i].margin = 0; /* NOPAT 0, FCFF negative every year */
    dcf_compute(&in, &r);
    ck_assert(isnan(r.fcff_cagr) && isnan(r.payback_year) && isnan(r.ev_to_nopat));
    ck_assert(has_warning(&r, "FCFF CAGR not computed"));
    ck_assert(has_warning(&r, "Payback year not reached"));
    ck_assert(has_warning(&r, "EV/NOPAT not computed"));
    ck_assert(r.ev < 0 && r.tv_pct == 0);
    j = dcf_result_json(&r);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_null(json_object_get(json_object_get(j, "kpis"), "fcff_cagr")));
    ck_assert(json_is_null(json_object_get(json_object_get(j, "kpis"), "payback_year")));
    ck_assert(
        json_is_null(json_array_get(json_object_get(json_object_get(j, "series"), "fcff"), 0)));
    json_decref(j);
}
END_TEST

START_TEST(test_dcf_json_shape)
{
    static const char *const series[] = {"rev", "growth",    "margin", "ebit", "nopat",
                                         "nwc", "delta_nwc", "capex",  "fcff", "pv_fcff"};
    struct dcf_inputs in;
    struct dcf_result r;
    json_t *j, *totals, *s;
    char *text;

    dcf_inputs_preset(&in);
    dcf_compute(&in, &r);
    j = dcf_result_json(&r);
    ck_assert_ptr_nonnull(j);
    s = json_object_get(j, "series");
    for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++)
        ck_assert_int_eq(json_array_size(json_object_get(s, series[i])), 8);
    totals = json_object_get(j, "totals");
    ck_assert_rel(json_real_value(json_object_get(totals, "per_share")), 10.6372);
    ck_assert_rel(json_real_value(json_object_get(totals, "ev")), 1895.5788);
    ck_assert(json_is_array(json_object_get(j, "warnings")));
    ck_assert(json_is_object(json_object_get(j, "kpis")));
    text = json_dumps(j, JSON_COMPACT);
    ck_assert(strstr(text, "nan") == NULL && strstr(text, "inf") == NULL);
    free(text);
    json_decref(j);

    j = dcf_json_number(NAN);
    ck_assert(json_is_null(j));
    json_decref(j);
    j = dcf_json_number(INFINITY);
    ck_assert(json_is_null(j));
    json_decref(j);
}
END_TEST

/* Expected values derived once, independently of this code: a
 * straightforward Python transcription of engines.md §2 (masking every
 * product with 0xFFFFFFFF) and the canonical JavaScript mulberry32
 * (Math.imul) agree on these, e.g.
 *   node -e 'function m(a){return()=>{a=a+0x6D2B79F5|0;let t=Math.imul(a^a>>>15,1|a);
 *            t=t+Math.imul(t^t>>>7,61|t)^t;return(t^t>>>14)>>>0}}' … */
START_TEST(test_mulberry32_known_values)
{
    static const uint32_t empty[4] = {0xf0fd995au, 0x4466f0cfu, 0xc5a3fa66u, 0x5bb06c70u};
    static const uint32_t valor[4] = {0xd5292fd9u, 0xc6a17d5bu, 0xe6d1c8beu, 0x525b49a7u};
    static const uint32_t test_seed[4] = {0x28f5c60eu, 0x9346d2cfu, 0xd310dca6u, 0x63b241e8u};
    struct mc_rng r;

    ck_assert_uint_eq(mc_seed_hash(""), 0xdeadbeefu);
    ck_assert_uint_eq(mc_seed_hash("valor"), 0xc7d062b9u);
    ck_assert_uint_eq(mc_seed_hash("test-seed"), 0x1d42d7a3u);
    r.a = mc_seed_hash("");
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(mc_rng_next(&r), empty[i]);
    r.a = mc_seed_hash("valor");
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(mc_rng_next(&r), valor[i]);
    r.a = mc_seed_hash("test-seed");
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(mc_rng_next(&r), test_seed[i]);
    /* uniform = out / 2^32; randn = Box–Muller cos branch on the first two */
    r.a = mc_seed_hash("valor");
    ck_assert(fabs(mc_uniform(&r) - 0xd5292fd9u / 4294967296.0) < 1e-15);
    r.a = mc_seed_hash("valor");
    ck_assert(fabs(mc_randn(&r) - 0.09805805812942918) < 1e-12);
}
END_TEST

static void mc(const char *seed, long trials, struct mc_result *out)
{
    struct dcf_inputs in;
    struct mc_settings s = {
        .trials = trials, .vol_pp = 2.0, .margin_vol_pp = 2.0, .s2c_vol_pct = 5, .corr_gm = 0.3};
    dcf_inputs_preset(&in);
    snprintf(s.seed, sizeof(s.seed), "%s", seed);
    ck_assert_int_eq(mc_run(&in, &s, out), 0);
}

START_TEST(test_mc_deterministic_by_seed)
{
    struct mc_result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *c = malloc(sizeof(*c));
    long total = 0;

    mc("valor", 2000, a);
    mc("valor", 2000, b);
    mc("valor-2", 2000, c);
    ck_assert_int_eq(a->n, 2000);
    ck_assert(memcmp(a, b, sizeof(*a)) == 0); /* identical, bit for bit */
    ck_assert(a->mean != c->mean && a->median != c->median);
    ck_assert_str_eq(a->seed, "valor");
    /* the same statistics as an independent JavaScript implementation of
     * engines.md §1–2 (svc-runs/tests/mc_reference.js: node mc_reference.js) */
    ck_assert(fabs(a->mean - 10.658685648480112) < 1e-9);
    ck_assert(fabs(a->median - 10.632839940342341) < 1e-9);
    ck_assert(fabs(a->p5 - 8.622052338295696) < 1e-9);
    ck_assert(fabs(a->p95 - 12.832367771735425) < 1e-9);
    ck_assert(fabs(a->min - 6.69869511081423) < 1e-9);
    ck_assert(fabs(a->max - 15.134204148239057) < 1e-9);
    /* around the deterministic value, ordered statistics */
    ck_assert(fabs(a->mean - 10.6372) < 2.0);
    ck_assert(a->min <= a->p5 && a->p5 <= a->p10 && a->p10 <= a->median);
    ck_assert(a->median <= a->p90 && a->p90 <= a->p95 && a->p95 <= a->max);
    ck_assert(a->std > 0);
    ck_assert(a->edges[0] == a->min && a->edges[MC_BINS] == a->max);
    for (int i = 0; i < MC_BINS; i++)
        total += a->counts[i];
    ck_assert_int_eq(total, 2000);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_mc_json_and_corr_clamp)
{
    struct dcf_inputs in;
    struct mc_settings s = {.trials = 100, .vol_pp = 0, .margin_vol_pp = 0, .corr_gm = 5};
    struct mc_result *r = malloc(sizeof(*r));
    json_t *j;

    dcf_inputs_preset(&in);
    snprintf(s.seed, sizeof(s.seed), "flat");
    ck_assert_int_eq(mc_run(&in, &s, r), 0);
    ck_assert(r->corr_gm == 0.99);
    /* no volatility at all: every trial is the deterministic value */
    ck_assert_rel(r->min, 10.6372);
    ck_assert(r->min == r->max && r->std < 1e-9);
    ck_assert_int_eq(r->counts[0], 100);
    j = mc_result_json(r);
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "histogram"), "edges")),
                     51);
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "histogram"), "counts")),
                     50);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "stats"), "seed")),
                     "flat");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "stats"), "n")), 100);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(test_sensitivity_grid)
{
    struct dcf_inputs in;
    double wacc[21], tg[21], cells[21 * 21];
    double w2[3], g2[3], c2[9];

    dcf_inputs_preset(&in);
    sens_grid(&in, 21, wacc, tg, cells);
    ck_assert(wacc[0] == 0.07 && wacc[20] == 0.12);
    ck_assert(tg[0] == 0.01 && tg[20] == 0.035);
    ck_assert_rel(wacc[10], 0.095);
    /* each cell is a full DCF at (wacc[row], tg[col]) */
    in.wacc = wacc[4];
    in.term_growth = tg[7];
    ck_assert_rel(cells[4 * 21 + 7], dcf_per_share(&in));
    /* higher WACC → lower value along a column */
    ck_assert(cells[0 * 21 + 5] > cells[20 * 21 + 5]);

    /* cells with g ≥ wacc are null */
    dcf_inputs_preset(&in);
    in.wacc_min = 0.03;
    in.wacc_max = 0.05;
    in.tg_min = 0.03;
    in.tg_max = 0.05;
    sens_grid(&in, 3, w2, g2, c2);
    ck_assert(isnan(c2[0]) && isnan(c2[1]) && isnan(c2[2])); /* wacc 0.03: g 0.03, 0.04, 0.05 */
    ck_assert(isfinite(c2[3]) && isnan(c2[4]) && isnan(c2[5]));
    ck_assert(isfinite(c2[6]) && isfinite(c2[7]) && isnan(c2[8]));
    json_t *j = sens_result_json(3, w2, g2, c2);
    json_t *grid = json_object_get(j, "per_share");
    ck_assert_int_eq(json_array_size(grid), 3);
    ck_assert_int_eq(json_array_size(json_array_get(grid, 0)), 3);
    ck_assert(json_is_null(json_array_get(json_array_get(grid, 0), 0)));
    ck_assert(json_is_real(json_array_get(json_array_get(grid, 2), 0)));
    ck_assert_int_eq(json_array_size(json_object_get(j, "term_growth")), 3);
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-runs engines");
    TCase *tc = tcase_create("engines");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_dcf_worked_example);
    tcase_add_test(tc, test_dcf_fallbacks_without_stage_overrides);
    tcase_add_test(tc, test_dcf_multiple_method);
    tcase_add_test(tc, test_dcf_growth_at_or_above_wacc_is_adjusted);
    tcase_add_test(tc, test_dcf_nwc_cash_release_warning);
    tcase_add_test(tc, test_dcf_kpis_null_with_warnings);
    tcase_add_test(tc, test_dcf_json_shape);
    tcase_add_test(tc, test_mulberry32_known_values);
    tcase_add_test(tc, test_mc_deterministic_by_seed);
    tcase_add_test(tc, test_mc_json_and_corr_clamp);
    tcase_add_test(tc, test_sensitivity_grid);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
