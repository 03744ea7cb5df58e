/* engine_dcf: the DCF valuation of engines.md §1 — a pure function (no I/O,
 * no globals, thread-safe) over plain structs. JSON parsing lives in
 * dcf_inputs.c, JSON output in dcf_json.c.
 */
#ifndef RUNS_ENGINE_DCF_H
#define RUNS_ENGINE_DCF_H

#define DCF_MIN_YEARS 3
#define DCF_MAX_YEARS 15
#define DCF_MAX_WARNINGS (DCF_MAX_YEARS + 8)
#define DCF_WARNING_LEN 128

enum dcf_tv_method { DCF_TV_PERPETUITY = 0, DCF_TV_MULTIPLE = 1 };

/* Stage overrides: index 0..2 = stage 1..3; has_* says whether it is set. */
struct dcf_stage {
    double growth, margin, s2c, nwc;
    unsigned char has_growth, has_margin, has_s2c, has_nwc;
};

/* Validated inputs (see dcf_inputs_parse). Rates are decimals. */
struct dcf_inputs {
    double revenue;
    double growth_y1;
    double growth_decay;
    int years;
    double term_growth;
    double ebit_margin;
    double tax_rate;
    double sales_to_cap;
    double wacc;
    double shares;
    double net_debt;
    int stage1_end;
    int stage2_end;
    struct dcf_stage stage[3];
    enum dcf_tv_method tv_method;
    double tv_multiple;
    /* sensitivity grid ranges */
    double wacc_min, wacc_max, tg_min, tg_max;
};

/* Series arrays: index 0 = base year, 1..years = forecast years; NAN where a
 * value is undefined (JSON null). Totals and KPIs are NAN when they cannot
 * be computed (a warning says why). */
struct dcf_result {
    int years;
    double rev[DCF_MAX_YEARS + 1];
    double growth[DCF_MAX_YEARS + 1];
    double margin[DCF_MAX_YEARS + 1];
    double ebit[DCF_MAX_YEARS + 1];
    double nopat[DCF_MAX_YEARS + 1];
    double nwc[DCF_MAX_YEARS + 1];
    double delta_nwc[DCF_MAX_YEARS + 1];
    double capex[DCF_MAX_YEARS + 1];
    double fcff[DCF_MAX_YEARS + 1];
    double pv_fcff[DCF_MAX_YEARS + 1];
    double term_growth_used; /* g after the g >= WACC adjustment */
    double tv;
    double sum_pv_fcff, pv_tv, ev, equity, per_share, tv_pct;
    double fcff_cagr, payback_year, ev_to_nopat;
    int nwarnings;
    char warnings[DCF_MAX_WARNINGS][DCF_WARNING_LEN];
};

/* Fills `in` with the UI preset (the defaults of engines.md §1, stage
 * overrides included): the worked example. */
void dcf_inputs_preset(struct dcf_inputs *in);

/* Runs the DCF on validated inputs (years within [DCF_MIN_YEARS,
 * DCF_MAX_YEARS]); fills *r completely, warnings and KPIs included. */
void dcf_compute(const struct dcf_inputs *in, struct dcf_result *r);

/* The per-share value only (no series kept, no warnings, no KPIs): the fast
 * path of Monte Carlo, the sensitivity grid and the benchmark. Same
 * arithmetic as dcf_compute. NAN when not finite. */
double dcf_per_share(const struct dcf_inputs *in);

#endif
