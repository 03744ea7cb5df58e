/* report_dcf: the layout of the DCF report — a run's valuation, inputs,
 * yearly forecast, revenue/FCFF chart, Monte Carlo histogram (when the run
 * has mc_settings), WACC × terminal-growth heatmap and warnings, as a
 * document of the shared report module (valor/report.h). It only reads
 * engine results; the handler computes them. */
#ifndef RUNS_REPORT_DCF_H
#define RUNS_REPORT_DCF_H

#include "engine_dcf.h"
#include "engine_mc.h"
#include "valor/report.h"

/* The heatmap's size: with the default ranges (WACC 7–12 %, g 1–3.5 %) its
 * steps are 0.5 and 0.25 points. */
#define DCF_REPORT_GRID 11

struct dcf_report_run {
    const char *run_id, *ticker, *author, *generated_at; /* borrowed */
    const struct dcf_inputs *in;
    const struct dcf_result *r;
    const struct mc_settings *ms; /* NULL: the run has no mc_settings */
    const struct mc_result *mc;   /* with ms */
    /* the grid of sens_grid(in, DCF_REPORT_GRID, …) */
    const double *grid_wacc, *grid_tg, *grid;
    const char *note; /* an extra warning of the handler (stored results differ), or NULL */
};

/* The document (caller frees with rpt_doc_free). VALOR_OK or VALOR_E_NOMEM. */
int dcf_report_build(const struct dcf_report_run *run, struct rpt_doc **out);

/* The per-share value exactly as the report prints it (2 decimals). */
const char *dcf_report_per_share(const struct dcf_result *r, char *buf, size_t len);

#endif
