/* canvas_svg: the canvas as SVG elements (see canvas.h). Presentation
 * attributes only — no style attributes — so the HTML's Content-Security-
 * Policy needs nothing for the charts. */
#include <string.h>

#include "canvas.h"

static struct rpt_buf *buf_of(void *ud)
{
    return ud;
}

static void paint(struct rpt_buf *b, const char *attr, long color)
{
    if (color == RPT_NONE)
        rpt_buf_printf(b, " %s=\"none\"", attr);
    else
        rpt_buf_printf(b, " %s=\"#%06lx\"", attr, (unsigned long)color & 0xFFFFFFUL);
}

static void svg_rect(void *ud, double x, double y, double w, double h, long fill, long stroke,
                     double lw)
{
    struct rpt_buf *b = buf_of(ud);
    rpt_buf_printf(b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"", x, y,
                   w > 0 ? w : 0, h > 0 ? h : 0);
    paint(b, "fill", fill);
    if (stroke != RPT_NONE) {
        paint(b, "stroke", stroke);
        rpt_buf_printf(b, " stroke-width=\"%.2f\"", lw);
    }
    rpt_buf_puts(b, "/>");
}

static void svg_line(void *ud, double x1, double y1, double x2, double y2, unsigned color,
                     double lw, int dashed)
{
    struct rpt_buf *b = buf_of(ud);
    rpt_buf_printf(b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"", x1, y1, x2, y2);
    paint(b, "stroke", (long)color);
    rpt_buf_printf(b, " stroke-width=\"%.2f\"%s/>", lw, dashed ? " stroke-dasharray=\"3 2\"" : "");
}

static void svg_polyline(void *ud, const double *xy, int npts, unsigned color, double lw)
{
    struct rpt_buf *b = buf_of(ud);
    rpt_buf_puts(b, "<polyline fill=\"none\" stroke-linejoin=\"round\" points=\"");
    for (int i = 0; i < npts; i++)
        rpt_buf_printf(b, "%s%.2f,%.2f", i > 0 ? " " : "", xy[2 * (size_t)i],
                       xy[2 * (size_t)i + 1]);
    rpt_buf_puts(b, "\"");
    paint(b, "stroke", (long)color);
    rpt_buf_printf(b, " stroke-width=\"%.2f\"/>", lw);
}

static void svg_circle(void *ud, double cx, double cy, double r, long fill, long stroke)
{
    struct rpt_buf *b = buf_of(ud);
    rpt_buf_printf(b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"", cx, cy, r);
    paint(b, "fill", fill);
    if (stroke != RPT_NONE) {
        paint(b, "stroke", stroke);
        rpt_buf_puts(b, " stroke-width=\"1\"");
    }
    rpt_buf_puts(b, "/>");
}

static void svg_text(void *ud, double x, double y, const char *s, const struct rpt_text_style *st)
{
    static const char *const anchors[3] = {"start", "middle", "end"};
    struct rpt_buf *b = buf_of(ud);

    rpt_buf_printf(b,
                   "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"%s\" "
                   "dominant-baseline=\"central\"%s",
                   x, y, st->size, anchors[st->anchor], st->bold ? " font-weight=\"bold\"" : "");
    paint(b, "fill", (long)st->color);
    rpt_buf_puts(b, ">");
    rpt_buf_html(b, s);
    rpt_buf_puts(b, "</text>");
}

/* DejaVu Sans averages about 0.6 em per character (bold a little more). */
static double svg_text_width(void *ud, const char *s, const struct rpt_text_style *st)
{
    size_t chars = 0;
    (void)ud;
    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            chars++;
    return (double)chars * st->size * (st->bold ? 0.66 : 0.6);
}

static const struct rpt_canvas_ops svg_ops = {
    .rect = svg_rect,
    .line = svg_line,
    .polyline = svg_polyline,
    .circle = svg_circle,
    .text = svg_text,
    .text_width = svg_text_width,
};

void rpt_canvas_svg(struct rpt_canvas *c, struct rpt_buf *b)
{
    c->ops = &svg_ops;
    c->ud = b;
}
