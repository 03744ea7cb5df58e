/* The LBO and M&A report layouts (report_lbo.c, report_ma.c) without HTTP:
 * the worked examples' headline figures as the reports print them, the
 * M&A per-year rule (synergies while they last, none after), the
 * share-price fallback call-out, and names at their longest (200 / 100
 * four-byte characters) kept whole and valid in both formats. */
#include <stdlib.h>
#include <string.h>

#include "engine_lbo.h"
#include "engine_ma.h"
#include "report_lbo.h"
#include "report_ma.h"
#include "testutil.h"
#include "valor/err.h"
#include "valor/report.h"

#define RUN_ID "6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b"

static const char ma_worked[] =
    "{\"acquirerRevenue\":1000,\"acquirerEBITDA\":150,\"acquirerShares\":100,"
    "\"acquirerNetDebt\":200,\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,"
    "\"targetNetDebt\":100,\"purchasePrice\":600,\"dealStructure\":{\"cash\":60,\"stock\":40},"
    "\"synergies\":{\"annual\":25,\"duration\":5}}";

/* n copies of U+1F600 (4 bytes each). Caller frees. */
static char *wide(int n)
{
    char *s = malloc((size_t)n * 4 + 1);
    for (int i = 0; i < n; i++)
        memcpy(s + 4 * i, "\xf0\x9f\x98\x80", 4);
    s[n * 4] = '\0';
    return s;
}

static void ma_inputs(struct ma_inputs *in, const char *text)
{
    struct jsonv_err e;
    enum ma_error_kind kind;
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(ma_inputs_from_json(j, in, &e, &kind), VALOR_OK);
    json_decref(j);
}

START_TEST(test_ma_years)
{
    struct ma_inputs in;
    struct ma_result y1, y5, y6, whole;

    ma_inputs(&in, ma_worked);
    ck_assert_int_eq(ma_report_years(&in), 6);
    ma_compute(&in, &whole);
    ma_report_year(&in, 1, &y1);
    ma_report_year(&in, 5, &y5);
    ma_report_year(&in, 6, &y6);
    ck_assert(y1.eps == whole.eps && y5.eps == whole.eps); /* synergy years: the model itself */
    ck_assert(y6.eps < y5.eps);                            /* no synergies after year 5 */
    ck_assert(y6.pre_eps == y1.pre_eps);
    in.syn_duration = 0;
    ck_assert_int_eq(ma_report_years(&in), 3);
    in.syn_duration = 40;
    ck_assert_int_eq(ma_report_years(&in), MA_REPORT_MAX_YEARS);
}
END_TEST

START_TEST(test_ma_report)
{
    struct ma_inputs in;
    struct ma_result r;
    struct rpt_doc *d = NULL;
    char *deal = wide(100), *html = NULL, *pdf = NULL;
    size_t len;

    ma_inputs(&in, ma_worked);
    ma_compute(&in, &r);
    {
        struct ma_report_run run = {
            RUN_ID, deal, "Acme", "Widget", "bob", "2026-11-28T10:00:00.000Z", &in, &r, NULL};
        ck_assert_int_eq(ma_report_build(&run, &d), VALOR_OK);
    }
    ck_assert_int_eq(rpt_render_html(d, &html, &len), VALOR_OK);
    ck_assert_ptr_nonnull(strstr(html, deal)); /* the whole name, not cut mid-character */
    ck_assert_ptr_nonnull(strstr(html, "id=\"accretion\">34.4%<"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"pf-eps\">1.31<"));
    ck_assert_ptr_nonnull(strstr(html, "No acquirer share price was given"));
    ck_assert_ptr_nonnull(strstr(html, ">20.97%<")); /* year 6, without synergies */
    ck_assert_ptr_null(strstr(html, ">Dilutive<"));  /* accretive in every year */
    ck_assert_int_eq(rpt_render_pdf(d, &pdf, &len), VALOR_OK);
    ck_assert_int_eq(memcmp(pdf, "%PDF-", 5), 0);
    free(pdf);
    free(html);
    rpt_doc_free(d);
    /* with a share price: no call-out */
    in.acq_share_price = 12;
    ma_compute(&in, &r);
    {
        struct ma_report_run run = {
            RUN_ID, "Deal", "Acme", "Widget", "bob", "2026-11-28T10:00:00.000Z", &in, &r, NULL};
        ck_assert_int_eq(ma_report_build(&run, &d), VALOR_OK);
    }
    ck_assert_int_eq(rpt_render_html(d, &html, &len), VALOR_OK);
    ck_assert_ptr_null(strstr(html, "No acquirer share price was given"));
    free(html);
    rpt_doc_free(d);
    free(deal);
}
END_TEST

START_TEST(test_lbo_report)
{
    struct lbo_inputs in;
    struct lbo_result *r = malloc(sizeof(*r));
    struct rpt_doc *d = NULL;
    char *company = wide(200), *html = NULL, *pdf = NULL;
    size_t len;

    lbo_defaults(&in);
    lbo_compute(&in, r);
    {
        struct lbo_report_run run = {RUN_ID, company, "carol", "2026-11-28T10:00:00.000Z",
                                     &in,    r,       NULL};
        ck_assert_int_eq(lbo_report_build(&run, &d), VALOR_OK);
    }
    ck_assert_int_eq(rpt_render_html(d, &html, &len), VALOR_OK);
    ck_assert_ptr_nonnull(strstr(html, company));
    ck_assert_ptr_nonnull(strstr(html, "id=\"final-debt\">426.7<"));
    ck_assert_ptr_nonnull(strstr(html, ">2.28x<"));  /* MOIC at 10x */
    ck_assert_ptr_nonnull(strstr(html, ">17.9%<"));  /* IRR at 10x */
    ck_assert_ptr_nonnull(strstr(html, ">9.20x<"));  /* implied multiple for 15 % */
    ck_assert_ptr_nonnull(strstr(html, ">1 year<")); /* the by-exit-year tables */
    ck_assert_ptr_nonnull(strstr(html, ">(82.4%)<"));
    ck_assert_ptr_nonnull(strstr(html, "Total sources"));
    ck_assert_int_eq(rpt_render_pdf(d, &pdf, &len), VALOR_OK);
    ck_assert_int_eq(memcmp(pdf, "%PDF-", 5), 0);
    free(pdf);
    free(html);
    rpt_doc_free(d);
    /* more exit multiples than the by-year tables have columns: said so */
    in.n_multiples = 10;
    for (int i = 0; i < 10; i++)
        in.multiples[i] = 5 + i;
    lbo_compute(&in, r);
    {
        struct lbo_report_run run = {RUN_ID, "Co", "carol", "2026-11-28T10:00:00.000Z",
                                     &in,    r,    NULL};
        ck_assert_int_eq(lbo_report_build(&run, &d), VALOR_OK);
    }
    ck_assert_int_eq(rpt_render_html(d, &html, &len), VALOR_OK);
    ck_assert_ptr_nonnull(
        strstr(html, "The first 8 of the run&#39;s 10 exit multiples are shown."));
    ck_assert_ptr_nonnull(strstr(html, ">14.0x<")); /* all ten in the exit table */
    free(html);
    rpt_doc_free(d);
    free(company);
    free(r);
}
END_TEST

/* Each test runs in its own process: release the font caches before it exits. */
static void release_fonts(void)
{
    rpt_shutdown();
}

int main(void)
{
    Suite *s = suite_create("svc-deals report layouts");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, release_fonts);
    tcase_add_test(tc, test_ma_years);
    tcase_add_test(tc, test_ma_report);
    tcase_add_test(tc, test_lbo_report);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
