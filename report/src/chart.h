/* chart: the three charts of the reports drawn on a canvas (canvas.h), the
 * same code for the PDF and the HTML's SVG. Boxes are in points. */
#ifndef VALOR_REPORT_CHART_H
#define VALOR_REPORT_CHART_H

#include "canvas.h"
#include "valor/report.h"

#define RPT_BARS_HEIGHT 215.0
#define RPT_HIST_HEIGHT 195.0

/* A "nice" axis over [lo, hi] (zero included by the caller when wanted):
 * a step of 1, 2, 2.5 or 5 × 10^k giving about `target` intervals, the
 * rounded-out bounds and the decimals its labels need. Pure. */
struct rpt_axis {
    double lo, hi, step;
    int decimals;
};
void rpt_axis_nice(double lo, double hi, int target, struct rpt_axis *a);

/* Colour of a heatmap cell: t in [-1, 1] from the low to the high colour
 * through white; not finite → the "n/a" grey. Pure. */
unsigned rpt_heat_color(double t);

double rpt_heat_height(const struct rpt_heatmap *h);

void rpt_draw_bars(const struct rpt_canvas *c, const struct rpt_bar_chart *ch, double x, double y,
                   double w, double h);
void rpt_draw_hist(const struct rpt_canvas *c, const struct rpt_histogram *hg, double x, double y,
                   double w, double h);
void rpt_draw_heat(const struct rpt_canvas *c, const struct rpt_heatmap *hm, double x, double y,
                   double w);

#endif
