/* canvas: the few drawing operations the charts need, with two backends —
 * cairo + pango (the PDF) and SVG text (the HTML) — so every chart is
 * written once. Coordinates are points, y down; colours are 0xRRGGBB, and
 * RPT_NONE means "no fill" / "no stroke". */
#ifndef VALOR_REPORT_CANVAS_H
#define VALOR_REPORT_CANVAS_H

#include "buf.h"

#define RPT_NONE (-1L)

enum rpt_anchor { RPT_ANCHOR_START = 0, RPT_ANCHOR_MIDDLE, RPT_ANCHOR_END };

struct rpt_text_style {
    double size; /* points */
    int bold;
    unsigned color;
    enum rpt_anchor anchor;
};

struct rpt_canvas_ops {
    void (*rect)(void *ud, double x, double y, double w, double h, long fill, long stroke,
                 double line_width);
    void (*line)(void *ud, double x1, double y1, double x2, double y2, unsigned color,
                 double line_width, int dashed);
    /* npts points (x0, y0, x1, y1, …), not closed, no fill */
    void (*polyline)(void *ud, const double *xy, int npts, unsigned color, double line_width);
    void (*circle)(void *ud, double cx, double cy, double r, long fill, long stroke);
    /* One line of text whose vertical middle is at y, anchored at x. */
    void (*text)(void *ud, double x, double y, const char *s, const struct rpt_text_style *st);
    /* Width of s in points (the SVG backend estimates it). */
    double (*text_width)(void *ud, const char *s, const struct rpt_text_style *st);
};

struct rpt_canvas {
    const struct rpt_canvas_ops *ops;
    void *ud;
};

/* SVG: elements are appended to b (borrowed). */
void rpt_canvas_svg(struct rpt_canvas *c, struct rpt_buf *b);

#endif
