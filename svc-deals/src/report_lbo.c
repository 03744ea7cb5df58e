/* report_lbo: the LBO report's layout (see report_lbo.h). */
#include "report_lbo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "valor/err.h"

#define MAX_SHOWN_EXITS 8 /* multiples shown in the by-year tables */

static int headline(struct rpt_doc *d, const struct lbo_report_run *run)
{
    const struct lbo_result *r = run->r;
    struct rpt_vals s = {0};
    struct rpt_kpi k[4] = {
        {"Average IRR", r->averages_defined ? rpt_vals_pct(&s, r->avg_irr, 1) : "n/a", "avg-irr"},
        {"Average MOIC", r->averages_defined ? rpt_vals_mult(&s, r->avg_moic, 2) : "n/a",
         "avg-moic"},
        {"Leverage at entry (D/E)", rpt_vals_mult(&s, r->leverage_ratio, 2), "leverage"},
        {"Debt at exit ($M)", rpt_vals_num(&s, r->final_debt, 1), "final-debt"},
    };
    return rpt_add_kpis(d, k, 4);
}

static int sources_uses(struct rpt_doc *d, const struct lbo_report_run *run)
{
    static const struct rpt_col src_cols[4] = {{"Sources", RPT_ALIGN_LEFT, 2},
                                               {"$M", RPT_ALIGN_RIGHT, 1},
                                               {"% of total", RPT_ALIGN_RIGHT, 1},
                                               {"Interest rate", RPT_ALIGN_RIGHT, 1}};
    static const struct rpt_col use_cols[4] = {{"Uses", RPT_ALIGN_LEFT, 2},
                                               {"$M", RPT_ALIGN_RIGHT, 1},
                                               {"% of total", RPT_ALIGN_RIGHT, 1},
                                               {"", RPT_ALIGN_RIGHT, 1}};
    const struct lbo_result *r = run->r;
    const struct lbo_inputs *in = run->in;
    double total = in->purchase_price;
    struct {
        const char *name;
        double amount, rate;
    } src[4] = {{"Senior debt", r->senior, r->senior_rate},
                {"Mezzanine debt", r->mezzanine, r->mezzanine_rate},
                {"High-yield debt", r->high_yield, r->high_yield_rate},
                {"Sponsor equity", in->equity, NAN}};
    struct rpt_table *t = NULL;
    int rc;

    if ((rc = rpt_add_heading(d, "Sources and uses")) != VALOR_OK ||
        (rc = rpt_add_table(d, src_cols, 4, &t)) != VALOR_OK)
        return rc;
    for (int i = 0; i < 4 && rc == VALOR_OK; i++) {
        struct rpt_vals s = {0};
        const char *cells[4] = {src[i].name, rpt_vals_num(&s, src[i].amount, 1),
                                rpt_vals_pct(&s, total > 0 ? src[i].amount / total : NAN, 1),
                                isfinite(src[i].rate) ? rpt_vals_pct(&s, src[i].rate, 2) : ""};
        rc = rpt_table_row(t, cells, 0);
    }
    if (rc == VALOR_OK) {
        struct rpt_vals s = {0};
        const char *cells[4] = {"Total sources", rpt_vals_num(&s, total, 1), "100.0%",
                                rpt_vals_pct(&s, r->wacd, 2)};
        rc = rpt_table_row(t, cells, RPT_ROW_TOTAL);
    }
    if (rc == VALOR_OK)
        rc = rpt_add_table(d, use_cols, 4, &t);
    if (rc == VALOR_OK) {
        struct rpt_vals s = {0};
        const char *cells[4] = {"Purchase of the company (enterprise value)",
                                rpt_vals_num(&s, total, 1), "100.0%", ""};
        rc = rpt_table_row(t, cells, 0);
    }
    if (rc == VALOR_OK) {
        struct rpt_vals s = {0};
        const char *cells[4] = {"Total uses", rpt_vals_num(&s, total, 1), "100.0%", ""};
        rc = rpt_table_row(t, cells, RPT_ROW_TOTAL);
    }
    if (rc == VALOR_OK) {
        struct rpt_vals s = {0};
        struct rpt_kv kv[] = {
            {"Entry revenue ($M)", rpt_vals_num(&s, in->revenue, 1)},
            {"Entry EBITDA ($M)", rpt_vals_num(&s, r->ebitda[0], 1)},
            {"Purchase price / EBITDA",
             rpt_vals_mult(&s, r->ebitda[0] > 0 ? total / r->ebitda[0] : NAN, 1)},
            {"Debt / EBITDA at entry",
             rpt_vals_mult(&s, r->ebitda[0] > 0 ? r->total_debt / r->ebitda[0] : NAN, 1)},
            {"Revenue growth, year 1", rpt_vals_pct(&s, in->revenue_growth, 1)},
            {"Growth decay per year", rpt_vals_pct(&s, in->growth_decay, 1)},
            {"EBITDA margin", rpt_vals_pct(&s, in->ebitda_margin, 1)},
            {"Tax rate", rpt_vals_pct(&s, in->tax_rate, 1)},
            {"Capex / revenue", rpt_vals_pct(&s, in->capex_ratio, 1)},
            {"Working capital / revenue", rpt_vals_pct(&s, in->wc_ratio, 1)},
        };
        rc = rpt_add_kv(d, kv, (int)(sizeof(kv) / sizeof(kv[0])));
    }
    return rc;
}

static int schedule(struct rpt_doc *d, const struct lbo_result *r)
{
    static const struct rpt_col cols[9] = {
        {"Year", RPT_ALIGN_LEFT, 0.7},        {"Revenue", RPT_ALIGN_RIGHT, 1},
        {"EBITDA", RPT_ALIGN_RIGHT, 1},       {"Interest", RPT_ALIGN_RIGHT, 1},
        {"Taxes", RPT_ALIGN_RIGHT, 1},        {"FCF", RPT_ALIGN_RIGHT, 1},
        {"Repaid", RPT_ALIGN_RIGHT, 1},       {"Debt (end)", RPT_ALIGN_RIGHT, 1},
        {"Debt/EBITDA", RPT_ALIGN_RIGHT, 1.3}};
    struct rpt_table *t = NULL;
    int rc;

    if ((rc = rpt_add_heading(d, "Operating model and debt schedule ($M)")) != VALOR_OK ||
        (rc = rpt_add_table(d, cols, 9, &t)) != VALOR_OK)
        return rc;
    for (int y = 0; y <= r->years && rc == VALOR_OK; y++) {
        struct rpt_vals s = {0};
        char year[24];
        const char *cells[9] = {
            year,
            rpt_vals_num(&s, r->revenue[y], 1),
            rpt_vals_num(&s, r->ebitda[y], 1),
            y == 0 ? "" : rpt_vals_num(&s, r->interest[y], 1),
            y == 0 ? "" : rpt_vals_num(&s, r->taxes[y], 1),
            y == 0 ? "" : rpt_vals_num(&s, r->fcf[y], 1),
            y == 0 ? "" : rpt_vals_num(&s, r->principal[y], 1),
            rpt_vals_num(&s, r->debt[y], 1),
            rpt_vals_mult(&s, r->ebitda[y] > 0 ? r->debt[y] / r->ebitda[y] : NAN, 2)};
        snprintf(year, sizeof(year), y == 0 ? "Entry" : "Year %d", y);
        rc = rpt_table_row(t, cells, 0);
    }
    if (rc == VALOR_OK) {
        struct rpt_vals s = {0};
        const char *cells[9] = {"Total",
                                "",
                                "",
                                rpt_vals_num(&s, r->total_interest_paid, 1),
                                "",
                                "",
                                rpt_vals_num(&s, r->total_principal_paid, 1),
                                "",
                                ""};
        rc = rpt_table_row(t, cells, RPT_ROW_TOTAL);
    }
    return rc;
}

static int chart(struct rpt_doc *d, const struct lbo_result *r)
{
    const char *cats[LBO_MAX_YEARS + 1];
    char names[LBO_MAX_YEARS + 1][16];
    double fcf[LBO_MAX_YEARS + 1];
    struct rpt_series series[3] = {{"Debt (end of year)", RPT_SERIES_BARS, r->debt},
                                   {"EBITDA", RPT_SERIES_LINE, r->ebitda},
                                   {"Free cash flow", RPT_SERIES_LINE, fcf}};
    struct rpt_bar_chart c = {
        "Debt paydown and cash generation ($M)", "", r->years + 1, cats, 3, series, 0};

    for (int y = 0; y <= r->years; y++) {
        snprintf(names[y], sizeof(names[y]), y == 0 ? "Entry" : "Y%d", y);
        cats[y] = names[y];
        fcf[y] = y == 0 ? NAN : r->fcf[y];
    }
    return rpt_add_bar_chart(d, &c);
}

static int returns(struct rpt_doc *d, const struct lbo_report_run *run)
{
    static const struct rpt_col cols[6] = {
        {"Exit multiple", RPT_ALIGN_LEFT, 1}, {"Exit value", RPT_ALIGN_RIGHT, 1},
        {"Debt at exit", RPT_ALIGN_RIGHT, 1}, {"Equity value", RPT_ALIGN_RIGHT, 1},
        {"MOIC", RPT_ALIGN_RIGHT, 0.8},       {"IRR", RPT_ALIGN_RIGHT, 0.8}};
    static const struct rpt_col irr_cols[4] = {{"Target IRR", RPT_ALIGN_LEFT, 1},
                                               {"Equity value needed", RPT_ALIGN_RIGHT, 1},
                                               {"Exit value needed", RPT_ALIGN_RIGHT, 1},
                                               {"Implied exit multiple", RPT_ALIGN_RIGHT, 1}};
    const struct lbo_result *r = run->r;
    struct rpt_table *t = NULL;
    char heading[96];
    int rc;

    snprintf(heading, sizeof(heading), "Returns at exit after year %d", r->years);
    if ((rc = rpt_add_heading(d, heading)) != VALOR_OK ||
        (rc = rpt_add_table(d, cols, 6, &t)) != VALOR_OK)
        return rc;
    for (size_t i = 0; i < r->n_multiples && rc == VALOR_OK; i++) {
        const struct lbo_exit_multiple *x = &r->by_multiple[i];
        struct rpt_vals s = {0};
        const char *cells[6] = {rpt_vals_mult(&s, x->multiple, 1),
                                rpt_vals_num(&s, x->exit_value, 1),
                                rpt_vals_num(&s, x->remaining_debt, 1),
                                rpt_vals_num(&s, x->equity_value, 1),
                                rpt_vals_mult(&s, x->moic, 2),
                                x->irr_defined ? rpt_vals_pct(&s, x->irr, 1) : "n/a"};
        rc = rpt_table_row(t, cells, 0);
    }
    if (rc == VALOR_OK && r->n_targets > 0) {
        if ((rc = rpt_add_table(d, irr_cols, 4, &t)) != VALOR_OK)
            return rc;
        for (size_t i = 0; i < r->n_targets && rc == VALOR_OK; i++) {
            const struct lbo_exit_irr *x = &r->by_irr[i];
            struct rpt_vals s = {0};
            const char *cells[4] = {
                rpt_vals_pct(&s, x->target_irr, 1), rpt_vals_num(&s, x->equity_value, 1),
                rpt_vals_num(&s, x->required_exit_value, 1),
                x->multiple_defined ? rpt_vals_mult(&s, x->implied_multiple, 2) : "n/a"};
            rc = rpt_table_row(t, cells, 0);
        }
    }
    return rc;
}

/* IRR (which = 0) or MOIC (1) by exit year (rows) and multiple (columns). */
static int by_year(struct rpt_doc *d, const struct lbo_report_run *run, int which)
{
    const struct lbo_result *r = run->r;
    int n = (int)(r->n_multiples < MAX_SHOWN_EXITS ? r->n_multiples : MAX_SHOWN_EXITS), rc;
    struct rpt_col cols[MAX_SHOWN_EXITS + 1];
    char heads[MAX_SHOWN_EXITS][RPT_NUM_LEN + 8];
    struct rpt_table *t = NULL;

    cols[0] = (struct rpt_col){"Exit after", RPT_ALIGN_LEFT, 1.2};
    for (int i = 0; i < n; i++) {
        char m[RPT_NUM_LEN];
        snprintf(heads[i], sizeof(heads[i]), "%s at %s", which == 0 ? "IRR" : "MOIC",
                 rpt_fmt_mult(r->by_multiple[i].multiple, 1, m, sizeof(m)));
        cols[i + 1] = (struct rpt_col){heads[i], RPT_ALIGN_RIGHT, 1};
    }
    if ((rc = rpt_add_table(d, cols, n + 1, &t)) != VALOR_OK)
        return rc;
    for (int y = 1; y <= r->years && rc == VALOR_OK; y++) {
        struct rpt_vals s = {0};
        char year[24];
        const char *cells[MAX_SHOWN_EXITS + 1] = {year};
        snprintf(year, sizeof(year), y == 1 ? "1 year" : "%d years", y);
        for (int i = 0; i < n; i++) {
            struct lbo_exit_multiple x;
            lbo_exit_at(r, run->in->equity, y, r->by_multiple[i].multiple, &x);
            cells[i + 1] = which == 1      ? rpt_vals_mult(&s, x.moic, 2)
                           : x.irr_defined ? rpt_vals_pct(&s, x.irr, 1)
                                           : "n/a";
        }
        rc = rpt_table_row(t, cells, y == r->years ? RPT_ROW_TOTAL : 0);
    }
    if (rc == VALOR_OK && which == 1 && r->n_multiples > MAX_SHOWN_EXITS) {
        char note[96];
        snprintf(note, sizeof(note), "The first %d of the run's %zu exit multiples are shown.",
                 MAX_SHOWN_EXITS, r->n_multiples);
        rc = rpt_add_text(d, note);
    }
    return rc;
}

static int warnings(struct rpt_doc *d, const struct lbo_report_run *run)
{
    const char *w[LBO_MAX_WARNINGS + 1];
    int n = 0, rc;

    for (int i = 0; i < run->r->nwarnings && n < LBO_MAX_WARNINGS; i++)
        w[n++] = run->r->warnings[i];
    if (run->note != NULL)
        w[n++] = run->note;
    if ((rc = rpt_add_heading(d, "Warnings")) != VALOR_OK ||
        (rc = rpt_add_warnings(d, w, n)) != VALOR_OK)
        return rc;
    return rpt_add_text(d, "Figures in $M. Free cash flow sweeps the debt (all tranches at the "
                           "weighted cost of debt); an exit sells the company at the multiple of "
                           "that year's EBITDA and repays the debt then outstanding. Computed "
                           "when the report was generated, from the run's inputs.");
}

int lbo_report_build(const struct lbo_report_run *run, struct rpt_doc **out)
{
    char title[1024], subtitle[160], lo[RPT_NUM_LEN], hi[RPT_NUM_LEN];
    struct rpt_doc_info info = {title, subtitle, run->generated_at, run->author, run->run_id};
    const struct lbo_result *r = run->r;
    struct rpt_doc *d = NULL;
    int rc;

    *out = NULL;
    snprintf(title, sizeof(title), "LBO Report - %s", run->company);
    snprintf(subtitle, sizeof(subtitle),
             "Leveraged buyout  ·  %d-year hold  ·  exits at %s to %s EBITDA", r->years,
             rpt_fmt_mult(r->n_multiples ? r->by_multiple[0].multiple : NAN, 1, lo, sizeof(lo)),
             rpt_fmt_mult(r->n_multiples ? r->by_multiple[r->n_multiples - 1].multiple : NAN, 1, hi,
                          sizeof(hi)));
    if ((rc = rpt_doc_new(&info, &d)) != VALOR_OK)
        return rc;
    if ((rc = headline(d, run)) != VALOR_OK || (rc = sources_uses(d, run)) != VALOR_OK ||
        (rc = schedule(d, r)) != VALOR_OK || (rc = returns(d, run)) != VALOR_OK ||
        (rc = chart(d, r)) != VALOR_OK ||
        (rc = rpt_add_heading(d, "IRR and MOIC by exit year")) != VALOR_OK ||
        (rc = by_year(d, run, 0)) != VALOR_OK || (rc = by_year(d, run, 1)) != VALOR_OK ||
        (rc = warnings(d, run)) != VALOR_OK) {
        rpt_doc_free(d);
        return rc;
    }
    *out = d;
    return VALOR_OK;
}
