/* canvas_cairo: cairo + pango backend of the canvas (see canvas_cairo.h). */
#include "canvas_cairo.h"

#include <math.h>
#include <string.h>

#include "valor/err.h"

void rpt_cairo_color(cairo_t *cr, unsigned rgb)
{
    cairo_set_source_rgb(cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                         (rgb & 0xFF) / 255.0);
}

int rpt_cairo_open(struct rpt_cairo *cc, cairo_t *cr)
{
    cairo_font_options_t *fo = NULL;

    memset(cc, 0, sizeof(*cc));
    cc->cr = cr;
    cc->pctx = pango_cairo_create_context(cr);
    fo = cairo_font_options_create();
    if (cc->pctx == NULL || fo == NULL)
        goto fail;
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(cc->pctx, fo);
    cairo_font_options_destroy(fo);
    fo = NULL;
    pango_cairo_context_set_resolution(cc->pctx, 72.0);
    cc->layout = pango_layout_new(cc->pctx);
    if (cc->layout == NULL)
        goto fail;
    return VALOR_OK;
fail:
    if (fo != NULL)
        cairo_font_options_destroy(fo);
    rpt_cairo_close(cc);
    return VALOR_E_NOMEM;
}

void rpt_cairo_close(struct rpt_cairo *cc)
{
    for (int i = 0; i < cc->nfonts; i++)
        pango_font_description_free(cc->fonts[i].fd);
    cc->nfonts = 0;
    if (cc->layout != NULL)
        g_object_unref(cc->layout);
    if (cc->pctx != NULL)
        g_object_unref(cc->pctx);
    cc->layout = NULL;
    cc->pctx = NULL;
}

/* The font description of a style, made once per document. */
static const PangoFontDescription *font_of(struct rpt_cairo *cc, const struct rpt_text_style *st)
{
    int key = (int)lround(st->size * 10.0) * 2 + (st->bold != 0);
    PangoFontDescription *fd;

    for (int i = 0; i < cc->nfonts; i++)
        if (cc->fonts[i].key == key)
            return cc->fonts[i].fd;
    fd = pango_font_description_new();
    pango_font_description_set_family_static(fd, RPT_FONT_FAMILY);
    pango_font_description_set_weight(fd, st->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(fd, st->size * PANGO_SCALE);
    if (cc->nfonts < RPT_MAX_FONTS) {
        cc->fonts[cc->nfonts].key = key;
        cc->fonts[cc->nfonts].fd = fd;
        cc->nfonts++;
        return fd;
    }
    /* more styles than slots: replace the last one */
    pango_font_description_free(cc->fonts[RPT_MAX_FONTS - 1].fd);
    cc->fonts[RPT_MAX_FONTS - 1].key = key;
    cc->fonts[RPT_MAX_FONTS - 1].fd = fd;
    return fd;
}

/* Prepares the shared layout for s; w > 0: the width to align, wrap or cut in. */
static void prepare(struct rpt_cairo *cc, const char *s, const struct rpt_text_style *st, double w,
                    enum rpt_wrap wrap)
{
    static const PangoAlignment align[3] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_CENTER,
                                            PANGO_ALIGN_RIGHT};
    PangoLayout *l = cc->layout;

    pango_layout_set_font_description(l, font_of(cc, st));
    pango_layout_set_width(l, w > 0 ? (int)(w * PANGO_SCALE) : -1);
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_ellipsize(l, wrap == RPT_WRAP || w <= 0 ? PANGO_ELLIPSIZE_NONE
                                                             : PANGO_ELLIPSIZE_END);
    pango_layout_set_alignment(l, align[st->anchor]);
    pango_layout_set_text(l, s, -1);
}

double rpt_cairo_block(struct rpt_cairo *cc, double x, double y, double w, const char *s,
                       const struct rpt_text_style *st, enum rpt_wrap wrap, int draw)
{
    int pw, ph;

    prepare(cc, s, st, w, wrap);
    pango_layout_get_size(cc->layout, &pw, &ph);
    if (draw) {
        rpt_cairo_color(cc->cr, st->color);
        cairo_move_to(cc->cr, x, y);
        pango_cairo_show_layout(cc->cr, cc->layout);
    }
    return (double)ph / PANGO_SCALE;
}

static struct rpt_cairo *cc_of(void *ud)
{
    return ud;
}

static void c_rect(void *ud, double x, double y, double w, double h, long fill, long stroke,
                   double lw)
{
    cairo_t *cr = cc_of(ud)->cr;
    cairo_rectangle(cr, x, y, w, h);
    if (fill != RPT_NONE) {
        rpt_cairo_color(cr, (unsigned)fill);
        if (stroke != RPT_NONE)
            cairo_fill_preserve(cr);
        else
            cairo_fill(cr);
    }
    if (stroke != RPT_NONE) {
        rpt_cairo_color(cr, (unsigned)stroke);
        cairo_set_line_width(cr, lw);
        cairo_stroke(cr);
    }
    cairo_new_path(cr);
}

static void c_line(void *ud, double x1, double y1, double x2, double y2, unsigned color, double lw,
                   int dashed)
{
    static const double dash[2] = {3.0, 2.0};
    cairo_t *cr = cc_of(ud)->cr;
    rpt_cairo_color(cr, color);
    cairo_set_line_width(cr, lw);
    cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
    cairo_move_to(cr, x1, y1);
    cairo_line_to(cr, x2, y2);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

static void c_polyline(void *ud, const double *xy, int npts, unsigned color, double lw)
{
    cairo_t *cr = cc_of(ud)->cr;
    if (npts < 2)
        return;
    rpt_cairo_color(cr, color);
    cairo_set_line_width(cr, lw);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_move_to(cr, xy[0], xy[1]);
    for (int i = 1; i < npts; i++)
        cairo_line_to(cr, xy[2 * (size_t)i], xy[2 * (size_t)i + 1]);
    cairo_stroke(cr);
}

static void c_circle(void *ud, double cx, double cy, double r, long fill, long stroke)
{
    cairo_t *cr = cc_of(ud)->cr;
    cairo_new_sub_path(cr);
    cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
    if (fill != RPT_NONE) {
        rpt_cairo_color(cr, (unsigned)fill);
        cairo_fill_preserve(cr);
    }
    if (stroke != RPT_NONE) {
        rpt_cairo_color(cr, (unsigned)stroke);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke_preserve(cr);
    }
    cairo_new_path(cr);
}

static void c_text(void *ud, double x, double y, const char *s, const struct rpt_text_style *st)
{
    struct rpt_cairo *cc = cc_of(ud);
    int pw, ph;
    double w, h;

    prepare(cc, s, st, 0, RPT_ONE_LINE);
    pango_layout_get_size(cc->layout, &pw, &ph);
    w = (double)pw / PANGO_SCALE;
    h = (double)ph / PANGO_SCALE;
    if (st->anchor == RPT_ANCHOR_MIDDLE)
        x -= w / 2;
    else if (st->anchor == RPT_ANCHOR_END)
        x -= w;
    rpt_cairo_color(cc->cr, st->color);
    cairo_move_to(cc->cr, x, y - h / 2);
    pango_cairo_show_layout(cc->cr, cc->layout);
}

static double c_text_width(void *ud, const char *s, const struct rpt_text_style *st)
{
    struct rpt_cairo *cc = cc_of(ud);
    int pw, ph;
    prepare(cc, s, st, 0, RPT_ONE_LINE);
    pango_layout_get_size(cc->layout, &pw, &ph);
    return (double)pw / PANGO_SCALE;
}

static const struct rpt_canvas_ops cairo_ops = {
    .rect = c_rect,
    .line = c_line,
    .polyline = c_polyline,
    .circle = c_circle,
    .text = c_text,
    .text_width = c_text_width,
};

void rpt_canvas_cairo(struct rpt_canvas *c, struct rpt_cairo *cc)
{
    c->ops = &cairo_ops;
    c->ud = cc;
}
