/* engine_dcf: the DCF of engines.md §1 (see engine_dcf.h). */
#include "engine_dcf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void dcf_inputs_preset(struct dcf_inputs *in)
{
    static const double growth[3] = {0.12, 0.08, 0.04}, margin[3] = {0.20, 0.22, 0.24},
                        s2c[3] = {2.5, 3.0, 3.5}, nwc[3] = {0.05, 0.04, 0.035};

    memset(in, 0, sizeof(*in));
    in->revenue = 500;
    in->growth_y1 = 0.12;
    in->growth_decay = 0.015;
    in->years = 7;
    in->term_growth = 0.025;
    in->ebit_margin = 0.22;
    in->tax_rate = 0.23;
    in->sales_to_cap = 2.5;
    in->wacc = 0.09;
    in->shares = 150;
    in->net_debt = 300;
    in->stage1_end = 3;
    in->stage2_end = 6;
    for (int i = 0; i < 3; i++) {
        in->stage[i] = (struct dcf_stage){.growth = growth[i],
                                          .margin = margin[i],
                                          .s2c = s2c[i],
                                          .nwc = nwc[i],
                                          .has_growth = 1,
                                          .has_margin = 1,
                                          .has_s2c = 1,
                                          .has_nwc = 1};
    }
    in->tv_method = DCF_TV_PERPETUITY;
    in->tv_multiple = 0;
    in->wacc_min = 0.07;
    in->wacc_max = 0.12;
    in->tg_min = 0.01;
    in->tg_max = 0.035;
}

static double dmax(double a, double b)
{
    return a > b ? a : b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

/* The terminal growth actually used: for the perpetuity method, g >= WACC is
 * lowered to max(0, wacc − 0.005). *adjusted set to 1 when that happened. */
static double term_growth(const struct dcf_inputs *in, int *adjusted)
{
    *adjusted = 0;
    if (in->tv_method == DCF_TV_PERPETUITY && in->term_growth >= in->wacc) {
        *adjusted = 1;
        return dmax(0, in->wacc - 0.005);
    }
    return in->term_growth;
}

/* The valuation loop shared by dcf_compute and dcf_per_share. With r == NULL
 * only the totals are computed. Returns per_share; *ev_out, *pv_tv_out and
 * *sum_out receive the totals. */
static double dcf_core(const struct dcf_inputs *in, struct dcf_result *r, double *sum_out,
                       double *pv_tv_out, double *ev_out)
{
    const int n = in->years;
    const int s1 = imin(n, imax(1, in->stage1_end));
    const int s2 = imin(n, imax(s1 + 1, in->stage2_end));
    const double wacc = in->wacc;
    int adjusted;
    const double g = term_growth(in, &adjusted);
    double rev_prev = in->revenue;
    double nwc_prev = in->revenue * (in->stage[0].has_nwc ? in->stage[0].nwc : 0);
    double disc = 1, sum = 0, fcff = 0;

    if (r != NULL) {
        r->rev[0] = rev_prev;
        r->nwc[0] = nwc_prev;
        r->growth[0] = r->margin[0] = r->ebit[0] = r->nopat[0] = NAN;
        r->delta_nwc[0] = r->capex[0] = r->fcff[0] = r->pv_fcff[0] = NAN;
    }
    for (int t = 1; t <= n; t++) {
        const struct dcf_stage *st = &in->stage[t <= s1 ? 0 : t <= s2 ? 1 : 2];
        double gt = dmax(0, st->has_growth ? st->growth
                                           : in->growth_y1 - in->growth_decay * (double)(t - 1));
        double rev = rev_prev * (1 + gt);
        double m = dmax(0, st->has_margin ? st->margin : in->ebit_margin);
        double ebit = rev * m;
        double nopat = ebit * (1 - in->tax_rate);
        double nwc = rev * dmax(0, st->has_nwc ? st->nwc : 0);
        double dnwc = nwc - nwc_prev;
        double capex =
            dmax(0, (rev - rev_prev) / dmax(0.01, st->has_s2c ? st->s2c : in->sales_to_cap));
        double pv;

        fcff = nopat - capex - dnwc;
        disc *= 1 + wacc;
        pv = fcff / disc;
        sum += pv;
        if (r != NULL) {
            r->rev[t] = rev;
            r->growth[t] = gt;
            r->margin[t] = m;
            r->ebit[t] = ebit;
            r->nopat[t] = nopat;
            r->nwc[t] = nwc;
            r->delta_nwc[t] = dnwc;
            r->capex[t] = capex;
            r->fcff[t] = fcff;
            r->pv_fcff[t] = pv;
        }
        rev_prev = rev;
        nwc_prev = nwc;
    }

    double tv = in->tv_method == DCF_TV_PERPETUITY ? fcff * (1 + g) / (wacc - g)
                                                   : dmax(0, in->tv_multiple) * fcff * (1 + g);
    double pv_tv = tv / disc;
    double ev = sum + pv_tv;
    if (r != NULL) {
        r->term_growth_used = g;
        r->tv = tv;
    }
    *sum_out = sum;
    *pv_tv_out = pv_tv;
    *ev_out = ev;
    return (ev - in->net_debt) / in->shares;
}

double dcf_per_share(const struct dcf_inputs *in)
{
    double sum, pv_tv, ev;
    double ps = dcf_core(in, NULL, &sum, &pv_tv, &ev);
    return isfinite(ps) ? ps : NAN;
}

static void warn(struct dcf_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct dcf_result *r, const char *fmt, ...)
{
    va_list ap;
    if (r->nwarnings >= DCF_MAX_WARNINGS)
        return;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang-tidy 14 */
    vsnprintf(r->warnings[r->nwarnings++], DCF_WARNING_LEN, fmt, ap);
    va_end(ap);
}

/* NAN for a non-finite value (JSON null). */
static double finite_or_nan(double v)
{
    return isfinite(v) ? v : NAN;
}

static void kpis(const struct dcf_inputs *in, struct dcf_result *r)
{
    const int n = in->years;
    double cum = 0;

    r->fcff_cagr = NAN;
    if (r->fcff[1] > 0 && r->fcff[n] > 0)
        r->fcff_cagr = pow(r->fcff[n] / r->fcff[1], 1.0 / (double)(n - 1)) - 1;
    else
        warn(r, "FCFF CAGR not computed: first or last year FCFF is not positive.");

    r->payback_year = NAN;
    for (int t = 1; t <= n; t++) {
        cum += r->fcff[t];
        if (cum > 0) {
            r->payback_year = t;
            break;
        }
    }
    if (isnan(r->payback_year))
        warn(r, "Payback year not reached: cumulative FCFF stays negative.");

    r->ev_to_nopat = NAN;
    if (r->nopat[1] > 0 && isfinite(r->ev))
        r->ev_to_nopat = r->ev / r->nopat[1];
    else
        warn(r, "EV/NOPAT not computed: year 1 NOPAT is not positive.");
}

void dcf_compute(const struct dcf_inputs *in, struct dcf_result *r)
{
    int adjusted;
    double sum, pv_tv, ev;

    memset(r, 0, sizeof(*r));
    r->years = in->years;
    term_growth(in, &adjusted);
    if (adjusted)
        warn(r, "Terminal growth >= WACC; adjusted g down slightly.");

    r->per_share = dcf_core(in, r, &sum, &pv_tv, &ev);
    for (int t = 1; t <= in->years; t++)
        if (-r->delta_nwc[t] > 0.05 * r->rev[t])
            warn(r, "Year %d: Significant cash release from NWC ($%.1fM)", t, -r->delta_nwc[t]);

    r->sum_pv_fcff = finite_or_nan(sum);
    r->pv_tv = finite_or_nan(pv_tv);
    r->ev = finite_or_nan(ev);
    r->equity = finite_or_nan(ev - in->net_debt);
    r->per_share = finite_or_nan(r->per_share);
    r->tv = finite_or_nan(r->tv);
    r->tv_pct = isnan(r->ev) || isnan(r->pv_tv) ? NAN : r->ev <= 0 ? 0 : r->pv_tv / r->ev;
    if (isnan(r->ev) || isnan(r->per_share))
        warn(r, "Valuation could not be computed (the result is not a finite number).");
    else if (r->ev <= 0)
        warn(r, "Enterprise value is not positive.");
    kpis(in, r);
}
