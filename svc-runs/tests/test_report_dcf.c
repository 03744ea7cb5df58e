/* The DCF report's layout (report_dcf.c) without HTTP: the preset run's
 * per-share value as the report prints it, every section present, a
 * 15-year forecast that needs more pages, the multiple method, and a run
 * without Monte Carlo (no histogram). */
#include <stdlib.h>
#include <string.h>

#include "engine_dcf.h"
#include "engine_mc.h"
#include "engine_sensitivity.h"
#include "report_dcf.h"
#include "testutil.h"
#include "valor/err.h"
#include "valor/report.h"

struct work {
    struct dcf_inputs in;
    struct dcf_result r;
    struct mc_settings ms;
    struct mc_result mc;
    double wacc[DCF_REPORT_GRID], tg[DCF_REPORT_GRID], grid[DCF_REPORT_GRID * DCF_REPORT_GRID];
};

/* Renders the run; *html and *pdf (may be NULL) are the caller's. */
static void render(struct work *w, int with_mc, const char *note, char **html, char **pdf,
                   size_t *pdf_len)
{
    struct dcf_report_run run = {"6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b",
                                 "AAPL",
                                 "alice",
                                 "2026-11-28T10:00:00.000Z",
                                 &w->in,
                                 &w->r,
                                 with_mc ? &w->ms : NULL,
                                 with_mc ? &w->mc : NULL,
                                 w->wacc,
                                 w->tg,
                                 w->grid,
                                 note};
    struct rpt_doc *d = NULL;
    size_t len;

    if (with_mc)
        ck_assert_int_eq(mc_run(&w->in, &w->ms, &w->mc), VALOR_OK);
    dcf_compute(&w->in, &w->r);
    sens_grid(&w->in, DCF_REPORT_GRID, w->wacc, w->tg, w->grid);
    ck_assert_int_eq(dcf_report_build(&run, &d), VALOR_OK);
    ck_assert_int_eq(rpt_render_html(d, html, &len), VALOR_OK);
    if (pdf != NULL)
        ck_assert_int_eq(rpt_render_pdf(d, pdf, pdf_len), VALOR_OK);
    rpt_doc_free(d);
}

static struct work *preset(void)
{
    struct work *w = calloc(1, sizeof(*w));
    ck_assert_ptr_nonnull(w);
    dcf_inputs_preset(&w->in);
    w->ms = (struct mc_settings){.trials = 500,
                                 .vol_pp = 2,
                                 .margin_vol_pp = 2,
                                 .s2c_vol_pct = 5,
                                 .corr_gm = 0.3,
                                 .seed = "t"};
    return w;
}

/* Pages of a PDF: its /Type /Page objects (not /Pages). */
static int pages(const char *pdf, size_t len)
{
    int n = 0;
    for (const char *p = pdf; (p = memmem(p, len - (size_t)(p - pdf), "/Type /Page", 11)); p++)
        if (p[11] != 's')
            n++;
    return n;
}

START_TEST(test_preset_report)
{
    struct work *w = preset();
    char *html = NULL, *pdf = NULL, ps[RPT_NUM_LEN];
    size_t len = 0;

    render(w, 1, NULL, &html, &pdf, &len);
    ck_assert_str_eq(dcf_report_per_share(&w->r, ps, sizeof(ps)), "10.64");
    ck_assert_ptr_nonnull(strstr(html, "<h1>DCF Report - AAPL</h1>"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"per-share\">10.64<"));
    ck_assert_ptr_nonnull(strstr(html, ">1,895.6<")); /* EV */
    ck_assert_ptr_nonnull(strstr(html, ">(4.8)<"));   /* year 4's NWC release, in parentheses */
    ck_assert_ptr_nonnull(strstr(html, ">74.2%<"));   /* terminal value share */
    ck_assert_ptr_nonnull(strstr(html, "Monte Carlo simulation"));
    ck_assert_ptr_nonnull(strstr(html, "Distribution of the value per share"));
    ck_assert_ptr_nonnull(strstr(html, "Value per share by WACC and terminal growth"));
    ck_assert_ptr_nonnull(strstr(html, ">9.00%<")); /* the WACC row of the grid */
    ck_assert_ptr_nonnull(strstr(html, "<p class=\"muted\">None.</p>"));
    ck_assert_int_ge(pages(pdf, len), 2);
    ck_assert_int_le(pages(pdf, len), 4);
    free(html);
    free(pdf);
    free(w);
}
END_TEST

START_TEST(test_no_monte_carlo_and_a_note)
{
    struct work *w = preset();
    char *html = NULL;

    render(w, 0, "The run's saved results give a value per share of 12.00.", &html, NULL, NULL);
    ck_assert_ptr_null(strstr(html, "Monte Carlo simulation"));
    ck_assert_ptr_null(strstr(html, "Distribution of the value per share"));
    ck_assert_ptr_nonnull(strstr(html, "<li>The run&#39;s saved results give a value per share"));
    free(html);
    free(w);
}
END_TEST

START_TEST(test_long_forecast_and_multiple_method)
{
    struct work *w = preset();
    char *html = NULL, *pdf = NULL;
    size_t len = 0;

    w->in.years = 15;
    w->in.stage2_end = 10;
    w->in.tv_method = DCF_TV_MULTIPLE;
    w->in.tv_multiple = 12;
    render(w, 1, NULL, &html, &pdf, &len);
    ck_assert_ptr_nonnull(strstr(html, "15-year forecast"));
    ck_assert_ptr_nonnull(strstr(html, "exit-multiple terminal value"));
    ck_assert_ptr_nonnull(strstr(html, ">Year 15<"));
    ck_assert_ptr_nonnull(strstr(html, ">Y15<")); /* the chart's last category */
    ck_assert_ptr_nonnull(strstr(html, "Exit multiple (x FCFF)"));
    ck_assert_int_ge(pages(pdf, len), 3);
    free(html);
    free(pdf);
    free(w);
}
END_TEST

/* Each test runs in its own process: release the font caches before it exits. */
static void release_fonts(void)
{
    rpt_shutdown();
}

int main(void)
{
    Suite *s = suite_create("svc-runs report_dcf");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, release_fonts);
    tcase_add_test(tc, test_preset_report);
    tcase_add_test(tc, test_no_monte_carlo_and_a_note);
    tcase_add_test(tc, test_long_forecast_and_multiple_method);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
