/* report_ma: the M&A report's layout (see report_ma.h). */
#include "report_ma.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "valor/err.h"

int ma_report_years(const struct ma_inputs *in)
{
    int n = in->syn_duration + 1;
    return n < 3 ? 3 : n > MA_REPORT_MAX_YEARS ? MA_REPORT_MAX_YEARS : n;
}

void ma_report_year(const struct ma_inputs *in, int year, struct ma_result *out)
{
    struct ma_inputs y = *in;
    if (year > in->syn_duration)
        y.syn_annual = 0;
    ma_compute(&y, out);
}

static int fallback(const struct ma_inputs *in)
{
    return !(in->acq_share_price > 0);
}

static int headline(struct rpt_doc *d, const struct ma_report_run *run)
{
    const struct ma_result *r = run->r;
    struct rpt_vals s = {0};
    struct rpt_kpi k[4] = {
        {r->accretion_defined && r->accretion < 0 ? "Dilution, year 1" : "Accretion, year 1",
         r->accretion_defined ? rpt_vals_pct(&s, r->accretion, 1) : "n/a", "accretion"},
        {"Pro-forma EPS", rpt_vals_num(&s, r->eps, 2), "pf-eps"},
        {"EPS before the deal", rpt_vals_num(&s, r->pre_eps, 2), "pre-eps"},
        {"Purchase price ($M)", rpt_vals_num(&s, r->purchase_price, 1), "price"},
    };
    return rpt_add_kpis(d, k, 4);
}

static int terms(struct rpt_doc *d, const struct ma_report_run *run)
{
    const struct ma_inputs *in = run->in;
    const struct ma_result *r = run->r;
    struct rpt_vals s = {0};
    char consideration[2 * RPT_NUM_LEN + 24], a[RPT_NUM_LEN], b[RPT_NUM_LEN];
    int rc;

    snprintf(consideration, sizeof(consideration), "%s cash / %s stock",
             rpt_fmt_pct(in->cash_pct / 100.0, 0, a, sizeof(a)),
             rpt_fmt_pct(in->stock_pct / 100.0, 0, b, sizeof(b)));
    {
        struct rpt_kv kv[] = {
            {"Acquirer", run->acquirer},
            {"Target", run->target},
            {"Purchase price ($M)", rpt_vals_num(&s, in->purchase_price, 1)},
            {"Consideration", consideration},
            {"Cash paid ($M)", rpt_vals_num(&s, in->purchase_price * in->cash_pct / 100.0, 1)},
            {"New shares issued (M)", rpt_vals_num(&s, r->new_shares, 2)},
            {"Acquirer share price used", rpt_vals_num(&s, r->share_price, 2)},
            {"Share price source", fallback(in) ? "Revenue per share" : "Given"},
            {"Synergies per year ($M)", rpt_vals_num(&s, in->syn_annual, 1)},
            {"Synergy years", rpt_vals_num(&s, in->syn_duration, 0)},
            {"Synergy discount rate", rpt_vals_pct(&s, in->syn_discount_rate, 1)},
            {"Tax rate", rpt_vals_pct(&s, in->tax_rate, 1)},
        };
        if ((rc = rpt_add_heading(d, "Deal terms")) != VALOR_OK ||
            (rc = rpt_add_kv(d, kv, (int)(sizeof(kv) / sizeof(kv[0])))) != VALOR_OK)
            return rc;
    }
    if (fallback(in)) {
        char note[400], p[RPT_NUM_LEN];
        snprintf(note, sizeof(note),
                 "No acquirer share price was given: the new shares are priced at the acquirer's "
                 "revenue per share (%s), so the share count, EPS and accretion depend on that "
                 "assumption. Give acquirerSharePrice for a market-based answer.",
                 rpt_fmt_num(r->share_price, 2, p, sizeof(p)));
        rc = rpt_add_note(d, note);
    }
    return rc;
}

static int pro_forma(struct rpt_doc *d, const struct ma_report_run *run)
{
    static const struct rpt_col cols[5] = {{"$M unless stated", RPT_ALIGN_LEFT, 1.5},
                                           {"Acquirer", RPT_ALIGN_RIGHT, 1},
                                           {"Target", RPT_ALIGN_RIGHT, 1},
                                           {"Deal effects", RPT_ALIGN_RIGHT, 1},
                                           {"Pro forma", RPT_ALIGN_RIGHT, 1}};
    const struct ma_inputs *in = run->in;
    const struct ma_result *r = run->r;
    const double keep = 1 - in->tax_rate;
    struct rpt_table *t = NULL;
    struct {
        const char *name;
        double acq, tgt, adj, pf;
        int d;
        unsigned flags;
    } rows[6] = {
        {"Revenue", in->acq_revenue, in->tgt_revenue, 0, r->revenue, 1, 0},
        {"EBITDA (with synergies)", in->acq_ebitda, in->tgt_ebitda, in->syn_annual, r->ebitda, 1,
         0},
        {"Net income (EBITDA after tax)", in->acq_ebitda * keep, in->tgt_ebitda * keep,
         in->syn_annual * keep, r->net_income, 1, 0},
        {"Net debt (with cash paid)", in->acq_net_debt, in->tgt_net_debt,
         in->purchase_price * in->cash_pct / 100.0, r->net_debt, 1, 0},
        {"Acquirer shares (M)", in->acq_shares, NAN, r->new_shares, r->shares, 2, 0},
        {"EPS", r->pre_eps, NAN, NAN, r->eps, 2, RPT_ROW_TOTAL},
    };
    int rc;

    if ((rc = rpt_add_heading(d, "Pro-forma combination")) != VALOR_OK ||
        (rc = rpt_add_table(d, cols, 5, &t)) != VALOR_OK)
        return rc;
    for (int i = 0; i < 6 && rc == VALOR_OK; i++) {
        struct rpt_vals s = {0};
        const char *cells[5] = {
            rows[i].name, rpt_vals_num(&s, rows[i].acq, rows[i].d),
            isfinite(rows[i].tgt) ? rpt_vals_num(&s, rows[i].tgt, rows[i].d) : "",
            isfinite(rows[i].adj) ? rpt_vals_num(&s, rows[i].adj, rows[i].d) : "",
            rpt_vals_num(&s, rows[i].pf, rows[i].d)};
        rc = rpt_table_row(t, cells, rows[i].flags);
    }
    if (rc == VALOR_OK) {
        struct rpt_vals s = {0};
        struct rpt_kv kv[4] = {
            {"EPS from the target", rpt_vals_num(&s, r->target_contribution, 3)},
            {"EPS from synergies", rpt_vals_num(&s, r->synergy_contribution, 3)},
            {"Target shares (M, retired)", rpt_vals_num(&s, in->tgt_shares, 1)},
            {"New / pro-forma shares",
             rpt_vals_pct(&s, r->shares > 0 ? r->new_shares / r->shares : NAN, 1)},
        };
        rc = rpt_add_kv(d, kv, 4);
    }
    return rc;
}

static int per_year(struct rpt_doc *d, const struct ma_report_run *run)
{
    static const struct rpt_col cols[7] = {{"Year", RPT_ALIGN_LEFT, 0.8},
                                           {"Synergies", RPT_ALIGN_RIGHT, 1},
                                           {"PF net income", RPT_ALIGN_RIGHT, 1.1},
                                           {"PF EPS", RPT_ALIGN_RIGHT, 1},
                                           {"EPS before", RPT_ALIGN_RIGHT, 1},
                                           {"Accretion", RPT_ALIGN_RIGHT, 1},
                                           {"", RPT_ALIGN_RIGHT, 0.9}};
    const int n = ma_report_years(run->in);
    const char *cats[MA_REPORT_MAX_YEARS];
    char names[MA_REPORT_MAX_YEARS][16];
    double pf[MA_REPORT_MAX_YEARS], pre[MA_REPORT_MAX_YEARS];
    struct rpt_series series[2] = {{"Pro-forma EPS", RPT_SERIES_BARS, pf},
                                   {"EPS before the deal", RPT_SERIES_BARS, pre}};
    struct rpt_bar_chart c = {
        "Earnings per share, pro forma and before the deal", "", n, cats, 2, series, 0};
    struct rpt_table *t = NULL;
    int rc;

    if ((rc = rpt_add_heading(d, "Accretion and dilution by year")) != VALOR_OK ||
        (rc = rpt_add_table(d, cols, 7, &t)) != VALOR_OK)
        return rc;
    for (int y = 1; y <= n && rc == VALOR_OK; y++) {
        struct ma_result r;
        struct rpt_vals s = {0};
        char year[24];
        const char *cells[7];
        ma_report_year(run->in, y, &r);
        snprintf(year, sizeof(year), "Year %d", y);
        snprintf(names[y - 1], sizeof(names[y - 1]), "Y%d", y);
        cats[y - 1] = names[y - 1];
        pf[y - 1] = r.eps;
        pre[y - 1] = r.pre_eps;
        cells[0] = year;
        cells[1] = rpt_vals_num(&s, y <= run->in->syn_duration ? run->in->syn_annual : 0, 1);
        cells[2] = rpt_vals_num(&s, r.net_income, 1);
        cells[3] = rpt_vals_num(&s, r.eps, 2);
        cells[4] = rpt_vals_num(&s, r.pre_eps, 2);
        cells[5] = r.accretion_defined ? rpt_vals_pct(&s, r.accretion, 2) : "n/a";
        cells[6] = !r.accretion_defined ? "" : r.accretion >= 0 ? "Accretive" : "Dilutive";
        rc = rpt_table_row(t, cells, 0);
    }
    if (rc == VALOR_OK)
        rc = rpt_add_text(d, "Each year is the steady-state model of the run with that year's "
                             "synergies: the annual synergies while the synergy years last, none "
                             "after; revenue, EBITDA and shares as at closing.");
    if (rc == VALOR_OK)
        rc = rpt_add_bar_chart(d, &c);
    return rc;
}

static int metrics(struct rpt_doc *d, const struct ma_report_run *run)
{
    const struct ma_result *r = run->r;
    struct rpt_vals s = {0};
    struct rpt_kv kv[] = {
        {"EV / EBITDA (target)", r->ev_ebitda_defined ? rpt_vals_mult(&s, r->ev_ebitda, 2) : "n/a"},
        {"EV / revenue (target)",
         r->ev_revenue_defined ? rpt_vals_mult(&s, r->ev_revenue, 2) : "n/a"},
        {"Pro-forma EV / EBITDA",
         r->pf_ev_ebitda_defined ? rpt_vals_mult(&s, r->pf_ev_ebitda, 2) : "n/a"},
        {"Return on invested capital", rpt_vals_pct(&s, r->roic, 1)},
        {"Present value of synergies ($M)", rpt_vals_num(&s, r->syn_pv, 1)},
        {"Synergy value per share", rpt_vals_num(&s, r->syn_per_share, 2)},
    };
    int rc = rpt_add_heading(d, "Deal metrics and synergy value");
    return rc == VALOR_OK ? rpt_add_kv(d, kv, (int)(sizeof(kv) / sizeof(kv[0]))) : rc;
}

static int warnings(struct rpt_doc *d, const struct ma_report_run *run)
{
    const char *w[MA_MAX_WARNINGS + 1];
    int n = 0, rc;

    for (int i = 0; i < run->r->nwarnings && n < MA_MAX_WARNINGS; i++)
        w[n++] = run->r->warnings[i];
    if (run->note != NULL)
        w[n++] = run->note;
    if ((rc = rpt_add_heading(d, "Warnings")) != VALOR_OK ||
        (rc = rpt_add_warnings(d, w, n)) != VALOR_OK)
        return rc;
    return rpt_add_text(d, "Figures in $M except per-share values; EPS is EBITDA after tax per "
                           "share, as in the platform's merger model. Computed when the report "
                           "was generated, from the run's inputs.");
}

int ma_report_build(const struct ma_report_run *run, struct rpt_doc **out)
{
    char title[512], subtitle[1024];
    struct rpt_doc_info info = {title, subtitle, run->generated_at, run->author, run->run_id};
    struct rpt_doc *d = NULL;
    int rc;

    *out = NULL;
    snprintf(title, sizeof(title), "M&A Report - %s", run->deal);
    snprintf(subtitle, sizeof(subtitle), "Acquirer: %s  ·  Target: %s", run->acquirer, run->target);
    if ((rc = rpt_doc_new(&info, &d)) != VALOR_OK)
        return rc;
    if ((rc = headline(d, run)) != VALOR_OK || (rc = terms(d, run)) != VALOR_OK ||
        (rc = pro_forma(d, run)) != VALOR_OK || (rc = per_year(d, run)) != VALOR_OK ||
        (rc = metrics(d, run)) != VALOR_OK || (rc = warnings(d, run)) != VALOR_OK) {
        rpt_doc_free(d);
        return rc;
    }
    *out = d;
    return VALOR_OK;
}
