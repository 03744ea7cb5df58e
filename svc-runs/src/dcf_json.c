/* dcf_json: engine results → JSON (see dcf_json.h). */
#include "dcf_json.h"

#include <math.h>

json_t *dcf_json_number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *series(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i <= n; i++)
        json_array_append_new(a, dcf_json_number(v[i]));
    return a;
}

json_t *dcf_result_json(const struct dcf_result *r)
{
    const int n = r->years;
    json_t *warnings = json_array();

    for (int i = 0; warnings != NULL && i < r->nwarnings; i++)
        json_array_append_new(warnings, json_string(r->warnings[i]));
    return json_pack(
        "{s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o},"
        " s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o},"
        " s:{s:o, s:o, s:o}, s:o}",
        "series", "rev", series(r->rev, n), "growth", series(r->growth, n), "margin",
        series(r->margin, n), "ebit", series(r->ebit, n), "nopat", series(r->nopat, n), "nwc",
        series(r->nwc, n), "delta_nwc", series(r->delta_nwc, n), "capex", series(r->capex, n),
        "fcff", series(r->fcff, n), "pv_fcff", series(r->pv_fcff, n), "totals", "sum_pv_fcff",
        dcf_json_number(r->sum_pv_fcff), "pv_tv", dcf_json_number(r->pv_tv), "ev",
        dcf_json_number(r->ev), "equity", dcf_json_number(r->equity), "per_share",
        dcf_json_number(r->per_share), "tv_pct", dcf_json_number(r->tv_pct), "tv",
        dcf_json_number(r->tv), "term_growth_used", dcf_json_number(r->term_growth_used), "kpis",
        "fcff_cagr", dcf_json_number(r->fcff_cagr), "payback_year",
        isfinite(r->payback_year) ? json_integer((json_int_t)r->payback_year) : json_null(),
        "ev_to_nopat", dcf_json_number(r->ev_to_nopat), "warnings",
        warnings != NULL ? warnings : json_array());
}

json_t *mc_result_json(const struct mc_result *r)
{
    json_t *edges = json_array(), *counts = json_array(), *warnings = json_array();

    for (int i = 0; edges != NULL && i <= MC_BINS; i++)
        json_array_append_new(edges, dcf_json_number(r->edges[i]));
    for (int i = 0; counts != NULL && i < MC_BINS; i++)
        json_array_append_new(counts, json_integer(r->counts[i]));
    if (r->n == 0 && warnings != NULL)
        json_array_append_new(warnings, json_string("No trial produced a finite value."));
    return json_pack(
        "{s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:s, s:o},"
        " s:{s:o, s:o}, s:o}",
        "stats", "mean", dcf_json_number(r->mean), "std", dcf_json_number(r->std), "min",
        dcf_json_number(r->min), "max", dcf_json_number(r->max), "median",
        dcf_json_number(r->median), "p5", dcf_json_number(r->p5), "p10", dcf_json_number(r->p10),
        "p90", dcf_json_number(r->p90), "p95", dcf_json_number(r->p95), "n", (json_int_t)r->n,
        "seed", r->seed, "corrGM", dcf_json_number(r->corr_gm), "histogram", "edges",
        edges != NULL ? edges : json_array(), "counts", counts != NULL ? counts : json_array(),
        "warnings", warnings != NULL ? warnings : json_array());
}

json_t *sens_result_json(int size, const double *wacc, const double *tg, const double *per_share)
{
    json_t *w = json_array(), *g = json_array(), *grid = json_array();

    for (int i = 0; i < size; i++) {
        json_t *row = json_array();
        json_array_append_new(w, dcf_json_number(wacc[i]));
        json_array_append_new(g, dcf_json_number(tg[i]));
        for (int j = 0; row != NULL && j < size; j++)
            json_array_append_new(row, dcf_json_number(per_share[i * size + j]));
        json_array_append_new(grid, row);
    }
    return json_pack("{s:o, s:o, s:o}", "wacc", w != NULL ? w : json_array(), "term_growth",
                     g != NULL ? g : json_array(), "per_share", grid != NULL ? grid : json_array());
}
