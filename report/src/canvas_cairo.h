/* canvas_cairo: the canvas on a cairo context, text through pango (real,
 * selectable text in the PDF), plus the measured text blocks the PDF
 * renderer lays out. One struct rpt_cairo per document being drawn. */
#ifndef VALOR_REPORT_CANVAS_CAIRO_H
#define VALOR_REPORT_CANVAS_CAIRO_H

#include <cairo.h>
#include <pango/pangocairo.h>

#include "canvas.h"

#define RPT_FONT_FAMILY "DejaVu Sans"
#define RPT_MAX_FONTS 16

struct rpt_cairo {
    cairo_t *cr;         /* borrowed */
    PangoContext *pctx;  /* owned: 72 dpi, unhinted metrics */
    PangoLayout *layout; /* owned, reused for every string */
    struct {
        int key; /* size in tenths of a point × 2 + bold */
        PangoFontDescription *fd;
    } fonts[RPT_MAX_FONTS];
    int nfonts;
};

/* VALOR_OK or VALOR_E_NOMEM. */
int rpt_cairo_open(struct rpt_cairo *cc, cairo_t *cr);
void rpt_cairo_close(struct rpt_cairo *cc);

void rpt_canvas_cairo(struct rpt_canvas *c, struct rpt_cairo *cc);

enum rpt_wrap { RPT_ONE_LINE = 0, RPT_WRAP = 1 };

/* A block of text of width w at (x, y) = its top-left corner, aligned in w
 * by st->anchor; RPT_ONE_LINE cuts an overlong line with an ellipsis.
 * Draws it when draw is nonzero; returns its height either way. */
double rpt_cairo_block(struct rpt_cairo *cc, double x, double y, double w, const char *s,
                       const struct rpt_text_style *st, enum rpt_wrap wrap, int draw);

void rpt_cairo_color(cairo_t *cr, unsigned rgb);

#endif
