/* report_dcf: the DCF report's layout (see report_dcf.h). */
#include "report_dcf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "valor/err.h"

#define MONEY 1 /* decimals of $M figures */

static const char *integer(struct rpt_vals *s, int v)
{
    char *b = rpt_vals_next(s);
    if (b == NULL)
        return "";
    snprintf(b, RPT_NUM_LEN, "%d", v);
    return b;
}

/* "lo to hi" as percentages. */
static const char *range(struct rpt_vals *s, double lo, double hi)
{
    char a[RPT_NUM_LEN], b[RPT_NUM_LEN], *out = rpt_vals_next(s);
    if (out == NULL)
        return "";
    snprintf(out, RPT_NUM_LEN, "%s to %s", rpt_fmt_pct(lo, 2, a, sizeof(a)),
             rpt_fmt_pct(hi, 2, b, sizeof(b)));
    return out;
}

const char *dcf_report_per_share(const struct dcf_result *r, char *buf, size_t len)
{
    return rpt_fmt_num(r->per_share, 2, buf, len);
}

static int headline(struct rpt_doc *d, const struct dcf_report_run *run)
{
    const struct dcf_result *r = run->r;
    struct rpt_vals s = {0};
    char ps[RPT_NUM_LEN];
    struct rpt_kpi k[4] = {
        {"Value per share", dcf_report_per_share(r, ps, sizeof(ps)), "per-share"},
        {"Enterprise value ($M)", rpt_vals_num(&s, r->ev, MONEY), "ev"},
        {"Equity value ($M)", rpt_vals_num(&s, r->equity, MONEY), "equity"},
        {"Terminal value share of EV", rpt_vals_pct(&s, r->tv_pct, 1), "tv-share"},
    };
    return rpt_add_kpis(d, k, 4);
}

static int valuation(struct rpt_doc *d, const struct dcf_report_run *run)
{
    const struct dcf_result *r = run->r;
    const struct dcf_inputs *in = run->in;
    struct rpt_vals s = {0};
    char payback[RPT_NUM_LEN];
    int rc;

    if (isfinite(r->payback_year))
        snprintf(payback, sizeof(payback), "Year %d", (int)r->payback_year);
    else
        snprintf(payback, sizeof(payback), "n/a");
    {
        struct rpt_kv kv[] = {
            {"Sum of PV of FCFF ($M)", rpt_vals_num(&s, r->sum_pv_fcff, MONEY)},
            {"PV of terminal value ($M)", rpt_vals_num(&s, r->pv_tv, MONEY)},
            {"Enterprise value ($M)", rpt_vals_num(&s, r->ev, MONEY)},
            {"Less net debt ($M)", rpt_vals_num(&s, in->net_debt, MONEY)},
            {"Equity value ($M)", rpt_vals_num(&s, r->equity, MONEY)},
            {"Shares outstanding (M)", rpt_vals_num(&s, in->shares, 1)},
            {"Value per share", rpt_vals_num(&s, r->per_share, 2)},
            {"Terminal value share of EV", rpt_vals_pct(&s, r->tv_pct, 1)},
            {"Terminal value method",
             in->tv_method == DCF_TV_MULTIPLE ? "Exit multiple" : "Perpetuity growth"},
            {"Terminal growth used", rpt_vals_pct(&s, r->term_growth_used, 2)},
            {"Terminal value ($M)", rpt_vals_num(&s, r->tv, MONEY)},
            {"FCFF CAGR", rpt_vals_pct(&s, r->fcff_cagr, 1)},
            {"Payback (cumulative FCFF > 0)", payback},
            {"EV / NOPAT (year 1)", rpt_vals_mult(&s, r->ev_to_nopat, 1)},
        };
        if ((rc = rpt_add_heading(d, "Valuation summary")) != VALOR_OK)
            return rc;
        return rpt_add_kv(d, kv, (int)(sizeof(kv) / sizeof(kv[0])));
    }
}

static int inputs(struct rpt_doc *d, const struct dcf_inputs *in)
{
    static const char *const stage_names[3] = {"Stage 1", "Stage 2", "Stage 3"};
    static const struct rpt_col cols[6] = {
        {"Stage", RPT_ALIGN_LEFT, 1.0},           {"Years", RPT_ALIGN_LEFT, 0.9},
        {"Revenue growth", RPT_ALIGN_RIGHT, 1},   {"EBIT margin", RPT_ALIGN_RIGHT, 1},
        {"Sales-to-capital", RPT_ALIGN_RIGHT, 1}, {"NWC / revenue", RPT_ALIGN_RIGHT, 1}};
    struct rpt_vals s = {0};
    struct rpt_table *t = NULL;
    int s1 = in->stage1_end < 1 ? 1 : in->stage1_end > in->years ? in->years : in->stage1_end;
    int s2 = in->stage2_end < s1 + 1 ? s1 + 1 : in->stage2_end;
    int rc;

    if (s2 > in->years)
        s2 = in->years;
    {
        struct rpt_kv kv[] = {
            {"Base revenue ($M)", rpt_vals_num(&s, in->revenue, MONEY)},
            {"Forecast years", integer(&s, in->years)},
            {"Revenue growth, year 1", rpt_vals_pct(&s, in->growth_y1, 2)},
            {"Growth decay per year", rpt_vals_pct(&s, in->growth_decay, 2)},
            {"EBIT margin", rpt_vals_pct(&s, in->ebit_margin, 2)},
            {"Tax rate", rpt_vals_pct(&s, in->tax_rate, 2)},
            {"Sales-to-capital", rpt_vals_num(&s, in->sales_to_cap, 2)},
            {"WACC", rpt_vals_pct(&s, in->wacc, 2)},
            {"Terminal growth", rpt_vals_pct(&s, in->term_growth, 2)},
            {in->tv_method == DCF_TV_MULTIPLE ? "Exit multiple (x FCFF)" : "Terminal value method",
             in->tv_method == DCF_TV_MULTIPLE ? rpt_vals_num(&s, in->tv_multiple, 1)
                                              : "Perpetuity growth"},
            {"Shares outstanding (M)", rpt_vals_num(&s, in->shares, 1)},
            {"Net debt ($M)", rpt_vals_num(&s, in->net_debt, MONEY)},
            {"Sensitivity WACC range", range(&s, in->wacc_min, in->wacc_max)},
            {"Sensitivity growth range", range(&s, in->tg_min, in->tg_max)},
        };
        if ((rc = rpt_add_heading(d, "Inputs")) != VALOR_OK ||
            (rc = rpt_add_kv(d, kv, (int)(sizeof(kv) / sizeof(kv[0])))) != VALOR_OK)
            return rc;
    }
    if ((rc = rpt_add_table(d, cols, 6, &t)) != VALOR_OK)
        return rc;
    for (int i = 0; i < 3 && rc == VALOR_OK; i++) {
        const struct dcf_stage *st = &in->stage[i];
        int from = i == 0   ? 1
                   : i == 1 ? s1 + 1
                            : s2 + 1,
            to = i == 0   ? s1
                 : i == 1 ? s2
                          : in->years;
        char years[32], g[RPT_NUM_LEN], m[RPT_NUM_LEN], c[RPT_NUM_LEN], w[RPT_NUM_LEN];
        const char *cells[6] = {stage_names[i],
                                years,
                                st->has_growth ? rpt_fmt_pct(st->growth, 2, g, sizeof(g)) : "ramp",
                                st->has_margin ? rpt_fmt_pct(st->margin, 2, m, sizeof(m)) : "base",
                                st->has_s2c ? rpt_fmt_num(st->s2c, 2, c, sizeof(c)) : "base",
                                st->has_nwc ? rpt_fmt_pct(st->nwc, 2, w, sizeof(w)) : "0.00%"};
        if (from > to)
            snprintf(years, sizeof(years), "none");
        else if (from == to)
            snprintf(years, sizeof(years), "Year %d", from);
        else
            snprintf(years, sizeof(years), "Years %d-%d", from, to);
        rc = rpt_table_row(t, cells, from > to ? RPT_ROW_MUTED : 0);
    }
    if (rc == VALOR_OK)
        rc = rpt_add_text(d, "Stage overrides replace the base inputs for their years. \"ramp\": "
                             "growth follows year-1 growth less the decay per year; \"base\": the "
                             "base margin or sales-to-capital applies.");
    return rc;
}

static int forecast(struct rpt_doc *d, const struct dcf_result *r)
{
    static const struct rpt_col cols[10] = {
        {"Year", RPT_ALIGN_LEFT, 0.8},          {"Revenue", RPT_ALIGN_RIGHT, 1.05},
        {"Growth", RPT_ALIGN_RIGHT, 0.9},       {"Margin", RPT_ALIGN_RIGHT, 0.9},
        {"EBIT", RPT_ALIGN_RIGHT, 1},           {"NOPAT", RPT_ALIGN_RIGHT, 1},
        {"\xce\x94 NWC", RPT_ALIGN_RIGHT, 0.9}, {"Capex", RPT_ALIGN_RIGHT, 0.9},
        {"FCFF", RPT_ALIGN_RIGHT, 1},           {"PV FCFF", RPT_ALIGN_RIGHT, 1}};
    struct rpt_table *t = NULL;
    double sum_fcff = 0;
    int rc;

    if ((rc = rpt_add_heading(d, "Forecast ($M)")) != VALOR_OK ||
        (rc = rpt_add_table(d, cols, 10, &t)) != VALOR_OK)
        return rc;
    for (int y = 0; y <= r->years && rc == VALOR_OK; y++) {
        struct rpt_vals s = {0};
        char year[24];
        const char *cells[10];
        snprintf(year, sizeof(year), y == 0 ? "Base" : "Year %d", y);
        cells[0] = year;
        cells[1] = rpt_vals_num(&s, r->rev[y], MONEY);
        cells[2] = y == 0 ? "" : rpt_vals_pct(&s, r->growth[y], 1);
        cells[3] = y == 0 ? "" : rpt_vals_pct(&s, r->margin[y], 1);
        cells[4] = y == 0 ? "" : rpt_vals_num(&s, r->ebit[y], MONEY);
        cells[5] = y == 0 ? "" : rpt_vals_num(&s, r->nopat[y], MONEY);
        cells[6] = y == 0 ? "" : rpt_vals_num(&s, r->delta_nwc[y], MONEY);
        cells[7] = y == 0 ? "" : rpt_vals_num(&s, r->capex[y], MONEY);
        cells[8] = y == 0 ? "" : rpt_vals_num(&s, r->fcff[y], MONEY);
        cells[9] = y == 0 ? "" : rpt_vals_num(&s, r->pv_fcff[y], MONEY);
        if (y > 0 && isfinite(r->fcff[y]))
            sum_fcff += r->fcff[y];
        rc = rpt_table_row(t, cells, 0);
    }
    if (rc == VALOR_OK) {
        struct rpt_vals s = {0};
        const char *cells[10] = {"Total",
                                 "",
                                 "",
                                 "",
                                 "",
                                 "",
                                 "",
                                 "",
                                 rpt_vals_num(&s, sum_fcff, MONEY),
                                 rpt_vals_num(&s, r->sum_pv_fcff, MONEY)};
        rc = rpt_table_row(t, cells, RPT_ROW_TOTAL);
    }
    return rc;
}

static int chart(struct rpt_doc *d, const struct dcf_result *r)
{
    const char *cats[DCF_MAX_YEARS];
    char names[DCF_MAX_YEARS][16];
    struct rpt_series series[2] = {{"Revenue", RPT_SERIES_BARS, r->rev + 1},
                                   {"FCFF", RPT_SERIES_LINE, r->fcff + 1}};
    struct rpt_bar_chart c = {
        "Revenue and free cash flow to the firm ($M)", "", r->years, cats, 2, series, 0};

    for (int y = 0; y < r->years; y++) {
        snprintf(names[y], sizeof(names[y]), "Y%d", y + 1);
        cats[y] = names[y];
    }
    return rpt_add_bar_chart(d, &c);
}

static int monte_carlo(struct rpt_doc *d, const struct dcf_report_run *run)
{
    const struct mc_result *mc = run->mc;
    const struct mc_settings *ms = run->ms;
    struct rpt_vals s = {0};
    char trials[2 * RPT_NUM_LEN + 8], p10[64], med[64], p90[64], v[RPT_NUM_LEN], v2[RPT_NUM_LEN];
    struct rpt_marker m[3] = {{p10, mc->p10}, {med, mc->median}, {p90, mc->p90}};
    struct rpt_histogram h = {"Distribution of the value per share",
                              "Value per share",
                              MC_BINS,
                              mc->edges,
                              mc->counts,
                              3,
                              m};
    int rc;

    snprintf(trials, sizeof(trials), "%s of %s", rpt_fmt_num((double)mc->n, 0, v, sizeof(v)),
             rpt_fmt_num((double)ms->trials, 0, v2, sizeof(v2)));
    snprintf(p10, sizeof(p10), "P10 %s", rpt_fmt_num(mc->p10, 2, v, sizeof(v)));
    snprintf(med, sizeof(med), "Median %s", rpt_fmt_num(mc->median, 2, v, sizeof(v)));
    snprintf(p90, sizeof(p90), "P90 %s", rpt_fmt_num(mc->p90, 2, v, sizeof(v)));
    {
        struct rpt_kv kv[] = {
            {"Finite trials", trials},
            {"Seed", mc->seed},
            {"Mean", rpt_vals_num(&s, mc->mean, 2)},
            {"Standard deviation", rpt_vals_num(&s, mc->std, 2)},
            {"P10", rpt_vals_num(&s, mc->p10, 2)},
            {"Median", rpt_vals_num(&s, mc->median, 2)},
            {"P90", rpt_vals_num(&s, mc->p90, 2)},
            {"P5 / P95", ""},
            {"Minimum", rpt_vals_num(&s, mc->min, 2)},
            {"Maximum", rpt_vals_num(&s, mc->max, 2)},
            {"Growth volatility (pp)", rpt_vals_num(&s, ms->vol_pp, 2)},
            {"Margin volatility (pp)", rpt_vals_num(&s, ms->margin_vol_pp, 2)},
            {"Sales-to-capital volatility", rpt_vals_pct(&s, ms->s2c_vol_pct / 100.0, 1)},
            {"Growth-margin correlation", rpt_vals_num(&s, mc->corr_gm, 2)},
        };
        char p5p95[2 * RPT_NUM_LEN + 4], a[RPT_NUM_LEN], b[RPT_NUM_LEN];
        snprintf(p5p95, sizeof(p5p95), "%s / %s", rpt_fmt_num(mc->p5, 2, a, sizeof(a)),
                 rpt_fmt_num(mc->p95, 2, b, sizeof(b)));
        kv[7].value = p5p95;
        if ((rc = rpt_add_heading(d, "Monte Carlo simulation")) != VALOR_OK ||
            (rc = rpt_add_kv(d, kv, (int)(sizeof(kv) / sizeof(kv[0])))) != VALOR_OK)
            return rc;
    }
    if (mc->n == 0)
        return rpt_add_note(d, "No trial gave a finite value per share: no distribution to show.");
    return rpt_add_histogram(d, &h);
}

/* Index of v in a[n] within 1e-9, or -1. */
static int grid_index(const double *a, int n, double v)
{
    for (int i = 0; i < n; i++)
        if (fabs(a[i] - v) < 1e-9)
            return i;
    return -1;
}

static int sensitivity(struct rpt_doc *d, const struct dcf_report_run *run)
{
    enum { N = DCF_REPORT_GRID };
    char rows[N][RPT_NUM_LEN], cols[N][RPT_NUM_LEN];
    const char *rp[N], *cp[N];
    int mr = grid_index(run->grid_wacc, N, run->in->wacc);
    int mc = grid_index(run->grid_tg, N, run->in->term_growth);
    struct rpt_heatmap h = {"Value per share by WACC and terminal growth",
                            "WACC",
                            "Terminal growth",
                            N,
                            N,
                            rp,
                            cp,
                            run->grid,
                            run->r->per_share,
                            2,
                            mr >= 0 && mc >= 0 ? mr : -1,
                            mr >= 0 && mc >= 0 ? mc : -1};
    int rc;

    for (int i = 0; i < N; i++) {
        rp[i] = rpt_fmt_pct(run->grid_wacc[i], 2, rows[i], sizeof(rows[i]));
        cp[i] = rpt_fmt_pct(run->grid_tg[i], 2, cols[i], sizeof(cols[i]));
    }
    if ((rc = rpt_add_heading(d, "Sensitivity")) != VALOR_OK ||
        (rc = rpt_add_heatmap(d, &h)) != VALOR_OK)
        return rc;
    return rpt_add_text(d, "Each cell is a full DCF at that WACC and terminal growth, every other "
                           "input as in the run; n/a where growth is not below WACC.");
}

static int warnings(struct rpt_doc *d, const struct dcf_report_run *run)
{
    const char *w[DCF_MAX_WARNINGS + 1];
    int n = 0, rc;

    for (int i = 0; i < run->r->nwarnings && n < DCF_MAX_WARNINGS; i++)
        w[n++] = run->r->warnings[i];
    if (run->note != NULL)
        w[n++] = run->note;
    if ((rc = rpt_add_heading(d, "Warnings")) != VALOR_OK ||
        (rc = rpt_add_warnings(d, w, n)) != VALOR_OK)
        return rc;
    return rpt_add_text(d, "Figures in $M except per-share values and rates. Computed when the "
                           "report was generated, from the run's inputs, with the platform's "
                           "DCF engine; Monte Carlo reuses the run's seed.");
}

int dcf_report_build(const struct dcf_report_run *run, struct rpt_doc **out)
{
    char title[96], subtitle[160];
    struct rpt_doc_info info = {title, subtitle, run->generated_at, run->author, run->run_id};
    struct rpt_doc *d = NULL;
    int rc;

    *out = NULL;
    snprintf(title, sizeof(title), "DCF Report - %s", run->ticker);
    snprintf(subtitle, sizeof(subtitle),
             "Discounted cash flow valuation  ·  %d-year forecast  ·  %s", run->in->years,
             run->in->tv_method == DCF_TV_MULTIPLE ? "exit-multiple terminal value"
                                                   : "perpetuity-growth terminal value");
    if ((rc = rpt_doc_new(&info, &d)) != VALOR_OK)
        return rc;
    if ((rc = headline(d, run)) != VALOR_OK || (rc = valuation(d, run)) != VALOR_OK ||
        (rc = inputs(d, run->in)) != VALOR_OK || (rc = forecast(d, run->r)) != VALOR_OK ||
        (rc = chart(d, run->r)) != VALOR_OK ||
        (run->mc != NULL && (rc = monte_carlo(d, run)) != VALOR_OK) ||
        (rc = sensitivity(d, run)) != VALOR_OK || (rc = warnings(d, run)) != VALOR_OK) {
        rpt_doc_free(d);
        return rc;
    }
    *out = d;
    return VALOR_OK;
}
