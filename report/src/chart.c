/* chart: bars and lines, histogram, heatmap (see chart.h). */
#include "chart.h"

#include <math.h>
#include <stdio.h>

#include "doc.h"
#include "style.h"

#define TITLE_SIZE 9.0
#define LABEL_SIZE 7.0
#define LEGEND_SIZE 7.5
#define HEAT_CELL_H 15.0

void rpt_axis_nice(double lo, double hi, int target, struct rpt_axis *a)
{
    static const double steps[4] = {1.0, 2.0, 2.5, 5.0};
    double raw, mag, step = 1.0;

    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo < 1e-12 * (fabs(hi) + 1.0)) {
        double pad = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
    }
    if (target < 1)
        target = 5;
    raw = (hi - lo) / target;
    mag = pow(10.0, floor(log10(raw)));
    step = 10.0 * mag;
    for (int i = 0; i < 4; i++)
        if (steps[i] * mag >= raw * 0.999) {
            step = steps[i] * mag;
            break;
        }
    a->step = step;
    a->lo = floor(lo / step + 1e-9) * step;
    a->hi = ceil(hi / step - 1e-9) * step;
    a->decimals = 0;
    while (a->decimals < 6 &&
           fabs(step * pow(10.0, a->decimals) - round(step * pow(10.0, a->decimals))) > 1e-6)
        a->decimals++;
}

static unsigned mix(unsigned from, unsigned to, double t)
{
    unsigned out = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
        double a = (from >> shift) & 0xFF, b = (to >> shift) & 0xFF;
        out |= (unsigned)lround(a + (b - a) * t) << shift;
    }
    return out;
}

unsigned rpt_heat_color(double t)
{
    if (!isfinite(t))
        return RPT_C_NA;
    if (t > 1)
        t = 1;
    if (t < -1)
        t = -1;
    return t >= 0 ? mix(RPT_C_WHITE, RPT_C_HEAT_HIGH, t) : mix(RPT_C_WHITE, RPT_C_HEAT_LOW, -t);
}

static void text(const struct rpt_canvas *c, double x, double y, const char *s, double size,
                 int bold, unsigned color, enum rpt_anchor a)
{
    struct rpt_text_style st = {size, bold, color, a};
    c->ops->text(c->ud, x, y, s, &st);
}

static const char *axis_label(double v, const struct rpt_axis *a, int pct, char *buf, size_t len)
{
    if (fabs(v) < a->step * 1e-6)
        v = 0;
    if (pct) {
        int d = a->decimals > 2 ? a->decimals - 2 : 0;
        return rpt_fmt_pct(v, d, buf, len);
    }
    return rpt_fmt_num(v, a->decimals, buf, len);
}

/* Horizontal gridlines and tick labels of a value axis; returns the y of value v. */
static double y_of(double v, const struct rpt_axis *a, double py, double ph)
{
    return py + ph - (v - a->lo) / (a->hi - a->lo) * ph;
}

static void y_grid(const struct rpt_canvas *c, const struct rpt_axis *a, int pct, double px,
                   double py, double pw, double ph)
{
    char buf[RPT_NUM_LEN];
    long n = lround((a->hi - a->lo) / a->step);
    for (long i = 0; i <= n; i++) {
        double v = a->lo + (double)i * a->step, y = y_of(v, a, py, ph);
        c->ops->line(c->ud, px, y, px + pw, y, fabs(v) < a->step * 1e-6 ? RPT_C_AXIS : RPT_C_GRID,
                     fabs(v) < a->step * 1e-6 ? 0.8 : 0.5, 0);
        text(c, px - 5, y, axis_label(v, a, pct, buf, sizeof(buf)), LABEL_SIZE, 0, RPT_C_MUTED,
             RPT_ANCHOR_END);
    }
}

/* One legend entry drawn leftwards from *right; kind 0 box, 1 line, 2 dashed line. */
static void legend(const struct rpt_canvas *c, double *right, double y, const char *name,
                   unsigned color, int kind)
{
    struct rpt_text_style st = {LEGEND_SIZE, 0, RPT_C_TEXT, RPT_ANCHOR_END};
    double w = c->ops->text_width(c->ud, name, &st);

    c->ops->text(c->ud, *right, y, name, &st);
    *right -= w + 4;
    if (kind == 0) {
        c->ops->rect(c->ud, *right - 8, y - 4, 8, 8, (long)color, RPT_NONE, 0);
    } else {
        c->ops->line(c->ud, *right - 12, y, *right, y, color, 1.6, kind == 2);
        if (kind == 1)
            c->ops->circle(c->ud, *right - 6, y, 2.2, RPT_C_WHITE, (long)color);
    }
    *right -= (kind == 0 ? 8 : 12) + 12;
}

void rpt_draw_bars(const struct rpt_canvas *c, const struct rpt_bar_chart *ch, double x, double y,
                   double w, double h)
{
    double lo = 0, hi = 0, px = x + 50, py = y + 34, pw = w - 58, ph = h - 34 - 22, band;
    double right = x + w, pts[2 * RPT_MAX_CATS];
    int nbars = 0, bar = 0;
    struct rpt_axis a;

    text(c, x, y + 7, ch->title, TITLE_SIZE, 1, RPT_C_NAVY, RPT_ANCHOR_START);
    if (ch->y_label != NULL && ch->y_label[0] != '\0')
        text(c, x, y + 20, ch->y_label, LABEL_SIZE, 0, RPT_C_MUTED, RPT_ANCHOR_START);
    for (int s = ch->nseries - 1; s >= 0; s--)
        legend(c, &right, y + 7, ch->series[s].name, rpt_series_color[s % RPT_SERIES_COLORS],
               ch->series[s].kind == RPT_SERIES_LINE);
    for (int s = 0; s < ch->nseries; s++) {
        nbars += ch->series[s].kind == RPT_SERIES_BARS;
        for (int i = 0; i < ch->ncats; i++) {
            double v = ch->series[s].values[i];
            if (isfinite(v)) {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
    }
    rpt_axis_nice(lo, hi, 5, &a);
    y_grid(c, &a, ch->pct, px, py, pw, ph);
    band = pw / ch->ncats;
    for (int s = 0; s < ch->nseries; s++) {
        const struct rpt_series *sr = &ch->series[s];
        unsigned color = rpt_series_color[s % RPT_SERIES_COLORS];
        if (sr->kind != RPT_SERIES_BARS)
            continue;
        for (int i = 0; i < ch->ncats; i++) {
            double group = band * 0.72, bw = group / nbars, v = sr->values[i], y0, y1;
            if (!isfinite(v))
                continue;
            y0 = y_of(0, &a, py, ph);
            y1 = y_of(v, &a, py, ph);
            c->ops->rect(c->ud, px + band * i + (band - group) / 2 + bw * bar + 0.4,
                         y1 < y0 ? y1 : y0, bw - 0.8, fabs(y0 - y1), (long)color, RPT_NONE, 0);
        }
        bar++;
    }
    for (int s = 0; s < ch->nseries; s++) {
        const struct rpt_series *sr = &ch->series[s];
        unsigned color = rpt_series_color[s % RPT_SERIES_COLORS];
        int n = 0;
        if (sr->kind != RPT_SERIES_LINE)
            continue;
        for (int i = 0; i <= ch->ncats; i++) {
            if (i < ch->ncats && isfinite(sr->values[i])) {
                pts[2 * (size_t)n] = px + band * (i + 0.5);
                pts[2 * (size_t)n + 1] = y_of(sr->values[i], &a, py, ph);
                n++;
                continue;
            }
            c->ops->polyline(c->ud, pts, n, color, 1.6);
            for (int k = 0; k < n; k++)
                c->ops->circle(c->ud, pts[2 * (size_t)k], pts[2 * (size_t)k + 1], 2.2, RPT_C_WHITE,
                               (long)color);
            n = 0;
        }
    }
    for (int i = 0; i < ch->ncats; i++)
        if (ch->ncats <= 16 || i % 2 == 0)
            text(c, px + band * (i + 0.5), py + ph + 10, ch->cats[i], LABEL_SIZE, 0, RPT_C_MUTED,
                 RPT_ANCHOR_MIDDLE);
    c->ops->line(c->ud, px, py + ph, px + pw, py + ph, RPT_C_AXIS, 0.8, 0);
}

static const unsigned marker_color[RPT_MAX_MARKERS] = {0xE07B39u, RPT_C_NAVY, 0x3A9D8Fu, 0x8E6BB8u};

void rpt_draw_hist(const struct rpt_canvas *c, const struct rpt_histogram *hg, double x, double y,
                   double w, double h)
{
    double px = x + 50, py = y + 26, pw = w - 58, ph = h - 26 - 34, right = x + w;
    double e0 = hg->edges[0], en = hg->edges[hg->nbins], span;
    long maxc = 0;
    struct rpt_axis ay, ax;
    char buf[RPT_NUM_LEN];

    text(c, x, y + 7, hg->title, TITLE_SIZE, 1, RPT_C_NAVY, RPT_ANCHOR_START);
    for (int m = hg->nmarkers - 1; m >= 0; m--)
        legend(c, &right, y + 7, hg->markers[m].name, marker_color[m], 2);
    for (int i = 0; i < hg->nbins; i++)
        maxc = hg->counts[i] > maxc ? hg->counts[i] : maxc;
    rpt_axis_nice(0, (double)(maxc > 0 ? maxc : 1), 4, &ay);
    if (ay.step < 1) {
        ay.step = 1;
        ay.decimals = 0;
        ay.hi = ceil(ay.hi);
    }
    y_grid(c, &ay, 0, px, py, pw, ph);
    span = en - e0;
    if (!(span > 0))
        span = 1;
    for (int i = 0; i < hg->nbins; i++) {
        double x0 = px + (hg->edges[i] - e0) / span * pw,
               x1 = px + (hg->edges[i + 1] - e0) / span * pw;
        double top = y_of((double)hg->counts[i], &ay, py, ph);
        if (hg->counts[i] > 0)
            c->ops->rect(c->ud, x0 + 0.3, top, x1 - x0 - 0.6 > 0.2 ? x1 - x0 - 0.6 : 0.2,
                         py + ph - top, (long)RPT_C_BLUE, RPT_NONE, 0);
    }
    c->ops->line(c->ud, px, py + ph, px + pw, py + ph, RPT_C_AXIS, 0.8, 0);
    rpt_axis_nice(e0, en, 6, &ax);
    for (long i = 0, n = lround((ax.hi - ax.lo) / ax.step); i <= n; i++) {
        double v = ax.lo + (double)i * ax.step, tx = px + (v - e0) / span * pw;
        if (tx < px - 0.5 || tx > px + pw + 0.5)
            continue;
        c->ops->line(c->ud, tx, py + ph, tx, py + ph + 3, RPT_C_AXIS, 0.6, 0);
        text(c, tx, py + ph + 10, axis_label(v, &ax, 0, buf, sizeof(buf)), LABEL_SIZE, 0,
             RPT_C_MUTED, RPT_ANCHOR_MIDDLE);
    }
    if (hg->x_label != NULL && hg->x_label[0] != '\0')
        text(c, px + pw / 2, py + ph + 24, hg->x_label, LABEL_SIZE, 0, RPT_C_MUTED,
             RPT_ANCHOR_MIDDLE);
    for (int m = 0; m < hg->nmarkers; m++) {
        double mx = px + (hg->markers[m].x - e0) / span * pw;
        if (isfinite(mx) && mx >= px && mx <= px + pw)
            c->ops->line(c->ud, mx, py - 2, mx, py + ph, marker_color[m], 1.4, 1);
    }
}

double rpt_heat_height(const struct rpt_heatmap *h)
{
    return 50.0 + h->rows * HEAT_CELL_H + 16.0;
}

void rpt_draw_heat(const struct rpt_canvas *c, const struct rpt_heatmap *hm, double x, double y,
                   double w)
{
    double lw = 58, cw = (w - lw) / hm->cols, top = y + 48, lo = INFINITY, hi = -INFINITY, scale;
    char buf[RPT_NUM_LEN];

    text(c, x, y + 7, hm->title, TITLE_SIZE, 1, RPT_C_NAVY, RPT_ANCHOR_START);
    text(c, x + lw + (w - lw) / 2, y + 22, hm->col_title, LABEL_SIZE, 1, RPT_C_MUTED,
         RPT_ANCHOR_MIDDLE);
    text(c, x + lw - 6, y + 38, hm->row_title, LABEL_SIZE, 1, RPT_C_MUTED, RPT_ANCHOR_END);
    for (int j = 0; j < hm->cols; j++)
        text(c, x + lw + cw * (j + 0.5), y + 38, hm->col_names[j], LABEL_SIZE, 0, RPT_C_TEXT,
             RPT_ANCHOR_MIDDLE);
    for (int i = 0; i < hm->rows * hm->cols; i++)
        if (isfinite(hm->values[i])) {
            lo = hm->values[i] < lo ? hm->values[i] : lo;
            hi = hm->values[i] > hi ? hm->values[i] : hi;
        }
    scale = fmax(fabs(hi - hm->center), fabs(hm->center - lo));
    if (!isfinite(scale) || scale <= 0)
        scale = 1;
    for (int r = 0; r < hm->rows; r++) {
        double cy = top + r * HEAT_CELL_H;
        text(c, x + lw - 6, cy + HEAT_CELL_H / 2, hm->row_names[r], LABEL_SIZE, 0, RPT_C_TEXT,
             RPT_ANCHOR_END);
        for (int k = 0; k < hm->cols; k++) {
            double v = hm->values[r * hm->cols + k];
            double t = isfinite(v) ? (v - hm->center) / scale : NAN;
            c->ops->rect(c->ud, x + lw + cw * k, cy, cw, HEAT_CELL_H, (long)rpt_heat_color(t),
                         (long)RPT_C_WHITE, 0.6);
            text(c, x + lw + cw * (k + 0.5), cy + HEAT_CELL_H / 2,
                 rpt_fmt_num(v, hm->decimals, buf, sizeof(buf)), 6.6, 0,
                 isfinite(v) ? RPT_C_TEXT : RPT_C_MUTED, RPT_ANCHOR_MIDDLE);
        }
    }
    if (hm->mark_row >= 0 && hm->mark_row < hm->rows && hm->mark_col >= 0 &&
        hm->mark_col < hm->cols)
        c->ops->rect(c->ud, x + lw + cw * hm->mark_col, top + hm->mark_row * HEAT_CELL_H, cw,
                     HEAT_CELL_H, RPT_NONE, (long)RPT_C_NAVY, 1.6);
    text(c, x + lw, top + hm->rows * HEAT_CELL_H + 10,
         hm->mark_row >= 0 ? "Outlined: the run's own inputs. Green above, red below that value."
                           : "Green above, red below the centre value.",
         LABEL_SIZE, 0, RPT_C_MUTED, RPT_ANCHOR_START);
}
