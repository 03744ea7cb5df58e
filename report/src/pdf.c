/* pdf: the document as an A4 PDF drawn with cairo and pango (see report.h).
 *
 * Two passes: every block is measured into flow items (paginate.h), the
 * items are given pages, then each page is drawn with its running header
 * and "Page n of N" footer. Text is pango text, so the PDF embeds subsets
 * of the DejaVu fonts and its text can be selected and searched. */
#include <cairo-pdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canvas_cairo.h"
#include "chart.h"
#include "doc.h"
#include "paginate.h"
#include "style.h"
#include "valor/err.h"

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MX 50.0
#define CW (PAGE_W - 2 * MX)
#define BODY 8.0
#define CELL 7.4
#define ROW_H 14.5
#define HEAD_H 17.0
#define KPI_H 50.0
#define KEEP_ROWS 8 /* tables of at most this many rows stay on one page */

enum item_kind { I_TITLE, I_BLOCK, I_THEAD, I_TROW, I_WARN };

struct item_ref {
    enum item_kind kind;
    size_t block;
    size_t row; /* I_TROW: row; I_WARN: warning index */
};

struct pdf {
    const struct rpt_doc *doc;
    cairo_surface_t *surface;
    cairo_t *cr;
    struct rpt_cairo cc;
    struct rpt_canvas canvas;
    struct rpt_flow *flow;
    struct item_ref *refs;
    struct rpt_slot *slots;
    size_t n, cap;
    int npages;
    int page;      /* being drawn, 1-based */
    double line_h; /* height of one line of table text */
};

static const struct rpt_page_box page_box = {36.0, 58.0, PAGE_H - 54.0};

static struct rpt_text_style style(double size, int bold, unsigned color, enum rpt_anchor a)
{
    struct rpt_text_style st = {size, bold, color, a};
    return st;
}

static int add_item(struct pdf *p, enum item_kind kind, size_t block, size_t row, double h,
                    double space, unsigned flags, long head)
{
    if (p->n == p->cap) {
        size_t cap = p->cap != 0 ? p->cap * 2 : 128;
        struct rpt_flow *f = realloc(p->flow, cap * sizeof(*f));
        struct item_ref *r;
        if (f == NULL)
            return VALOR_E_NOMEM;
        p->flow = f;
        r = realloc(p->refs, cap * sizeof(*r));
        if (r == NULL)
            return VALOR_E_NOMEM;
        p->refs = r;
        p->cap = cap;
    }
    p->flow[p->n] = (struct rpt_flow){h, space, flags, head};
    p->refs[p->n] = (struct item_ref){kind, block, row};
    p->n++;
    return VALOR_OK;
}

static double text_h(struct pdf *p, const char *s, double w, const struct rpt_text_style *st)
{
    return rpt_cairo_block(&p->cc, 0, 0, w, s, st, RPT_WRAP, 0);
}

/* The title block of page 1: brand line, title, subtitle, meta line, rule. */
static double title_block(struct pdf *p, double y, int draw)
{
    const struct rpt_doc_info *in = &p->doc->info;
    struct rpt_text_style brand = style(7.5, 1, RPT_C_BLUE, RPT_ANCHOR_START);
    struct rpt_text_style title = style(20, 1, RPT_C_NAVY, RPT_ANCHOR_START);
    struct rpt_text_style sub = style(10, 0, RPT_C_MUTED, RPT_ANCHOR_START);
    struct rpt_text_style meta = style(7.8, 0, RPT_C_MUTED, RPT_ANCHOR_START);
    char line[512];
    double y0 = y;

    y += rpt_cairo_block(&p->cc, MX, y, CW, "VALOR IVX  ·  INVESTMENT COMMITTEE REPORT", &brand,
                         RPT_ONE_LINE, draw) +
         4;
    y += rpt_cairo_block(&p->cc, MX, y, CW, in->title, &title, RPT_WRAP, draw) + 2;
    if (in->subtitle != NULL && in->subtitle[0] != '\0')
        y += rpt_cairo_block(&p->cc, MX, y, CW, in->subtitle, &sub, RPT_WRAP, draw) + 3;
    snprintf(line, sizeof(line), "Generated %s    Prepared by %s    Run %s", in->generated_at,
             in->author, in->run_id);
    y += rpt_cairo_block(&p->cc, MX, y, CW, line, &meta, RPT_WRAP, draw) + 8;
    if (draw) {
        rpt_cairo_color(p->cr, RPT_C_NAVY);
        cairo_rectangle(p->cr, MX, y, CW, 1.6);
        cairo_fill(p->cr);
    }
    return y + 1.6 - y0;
}

static int measure_table(struct pdf *p, size_t b, const struct rpt_table *t)
{
    long head = -1;
    int rc = VALOR_OK;

    if (t->has_header) {
        head = (long)p->n;
        rc = add_item(p, I_THEAD, b, 0, HEAD_H, 6, RPT_FLOW_KEEP_NEXT, -1);
    }
    /* a short table is never split: each row keeps with the next */
    for (size_t r = 0; rc == VALOR_OK && r < t->nrows; r++)
        rc = add_item(p, I_TROW, b, r, t->kv ? 15.0 : ROW_H, r == 0 && head < 0 ? 6 : 0,
                      t->nrows <= KEEP_ROWS && r + 1 < t->nrows ? RPT_FLOW_KEEP_NEXT : 0, head);
    return rc;
}

static int measure(struct pdf *p)
{
    const struct rpt_doc *d = p->doc;
    struct rpt_text_style body = style(BODY, 0, RPT_C_TEXT, RPT_ANCHOR_START);
    int rc = add_item(p, I_TITLE, 0, 0, title_block(p, 0, 0), 0, 0, -1);

    for (size_t b = 0; rc == VALOR_OK && b < d->nblocks; b++) {
        const struct rpt_block *bl = &d->blocks[b];
        switch (bl->kind) {
        case RPT_B_HEADING:
            rc = add_item(p, I_BLOCK, b, 0, 22, 16, RPT_FLOW_KEEP_NEXT, -1);
            break;
        case RPT_B_TEXT:
            /* a closing remark stays with the warnings above it (no orphan line) */
            if (b > 0 && d->blocks[b - 1].kind == RPT_B_WARNINGS)
                p->flow[p->n - 1].flags |= RPT_FLOW_KEEP_NEXT;
            rc = add_item(p, I_BLOCK, b, 0, text_h(p, bl->u.text, CW, &body), 6, 0, -1);
            break;
        case RPT_B_NOTE:
            rc = add_item(p, I_BLOCK, b, 0, text_h(p, bl->u.text, CW - 22, &body) + 14, 8, 0, -1);
            break;
        case RPT_B_WARNINGS:
            if (bl->u.list.n == 0)
                rc = add_item(p, I_WARN, b, 0, 13, 4, 0, -1);
            for (int i = 0; rc == VALOR_OK && i < bl->u.list.n; i++)
                rc = add_item(p, I_WARN, b, (size_t)i,
                              text_h(p, bl->u.list.items[i], CW - 14, &body) + 4, i == 0 ? 4 : 0, 0,
                              -1);
            break;
        case RPT_B_KPIS:
            rc = add_item(p, I_BLOCK, b, 0, KPI_H, 8, 0, -1);
            break;
        case RPT_B_TABLE:
            rc = measure_table(p, b, bl->u.table);
            break;
        case RPT_B_BARS:
            rc = add_item(p, I_BLOCK, b, 0, RPT_BARS_HEIGHT, 12, 0, -1);
            break;
        case RPT_B_HIST:
            rc = add_item(p, I_BLOCK, b, 0, RPT_HIST_HEIGHT, 12, 0, -1);
            break;
        case RPT_B_HEAT:
            rc = add_item(p, I_BLOCK, b, 0, rpt_heat_height(&bl->u.heat), 12, 0, -1);
            break;
        }
    }
    return rc;
}

/* Left x of every column of t and the table's right edge in x[ncols]. */
static void columns(const struct rpt_table *t, double x[RPT_MAX_COLS + 1])
{
    double total = 0, at = MX;
    for (int c = 0; c < t->ncols; c++)
        total += t->cols[c].weight;
    for (int c = 0; c < t->ncols; c++) {
        x[c] = at;
        at += CW * t->cols[c].weight / total;
    }
    x[t->ncols] = MX + CW;
}

static enum rpt_anchor anchor_of(enum rpt_align a)
{
    return a == RPT_ALIGN_RIGHT    ? RPT_ANCHOR_END
           : a == RPT_ALIGN_CENTER ? RPT_ANCHOR_MIDDLE
                                   : RPT_ANCHOR_START;
}

static void draw_cells(struct pdf *p, const struct rpt_table *t, const char *const *cells, double y,
                       double h, int bold, const unsigned *colors)
{
    double x[RPT_MAX_COLS + 1];
    columns(t, x);
    for (int c = 0; c < t->ncols; c++) {
        struct rpt_text_style st = style(CELL, bold, colors[c], anchor_of(t->cols[c].align));
        double pad = t->kv && c == 2 ? 18 : 5;
        if (cells[c] == NULL || cells[c][0] == '\0')
            continue;
        rpt_cairo_block(&p->cc, x[c] + pad, y + (h - p->line_h) / 2, x[c + 1] - x[c] - pad - 5,
                        cells[c], &st, RPT_ONE_LINE, 1);
    }
}

static void draw_thead(struct pdf *p, const struct rpt_table *t, double y)
{
    const char *cells[RPT_MAX_COLS];
    unsigned colors[RPT_MAX_COLS];
    for (int c = 0; c < t->ncols; c++) {
        cells[c] = t->cols[c].header;
        colors[c] = RPT_C_WHITE;
    }
    rpt_cairo_color(p->cr, RPT_C_NAVY);
    cairo_rectangle(p->cr, MX, y, CW, HEAD_H);
    cairo_fill(p->cr);
    draw_cells(p, t, cells, y, HEAD_H, 1, colors);
}

static void draw_trow(struct pdf *p, const struct rpt_table *t, size_t r, double y, double h)
{
    const struct rpt_row *row = &t->rows[r];
    unsigned colors[RPT_MAX_COLS];
    int total = (row->flags & RPT_ROW_TOTAL) != 0;

    for (int c = 0; c < t->ncols; c++)
        colors[c] = t->kv && c % 2 == 0            ? RPT_C_MUTED
                    : (row->flags & RPT_ROW_MUTED) ? RPT_C_MUTED
                                                   : RPT_C_TEXT;
    if (t->kv) {
        rpt_cairo_color(p->cr, RPT_C_RULE);
        cairo_rectangle(p->cr, MX, y + h - 0.5, CW, 0.5);
        cairo_fill(p->cr);
    } else if (!total && r % 2 == 1) {
        rpt_cairo_color(p->cr, RPT_C_ZEBRA);
        cairo_rectangle(p->cr, MX, y, CW, h);
        cairo_fill(p->cr);
    }
    if (total) {
        rpt_cairo_color(p->cr, RPT_C_NAVY);
        cairo_rectangle(p->cr, MX, y, CW, 0.8);
        cairo_fill(p->cr);
    }
    draw_cells(p, t, row->cells, y, h, total, colors);
    if (!t->kv && r + 1 == t->nrows) {
        rpt_cairo_color(p->cr, RPT_C_NAVY);
        cairo_rectangle(p->cr, MX, y + h - 0.8, CW, 0.8);
        cairo_fill(p->cr);
    }
}

static void draw_kpis(struct pdf *p, const struct rpt_block *b, double y)
{
    int n = b->u.kpis.n;
    double gap = 8, w = n > 0 ? (CW - gap * (n - 1)) / n : CW;
    struct rpt_text_style label = style(7.2, 0, RPT_C_MUTED, RPT_ANCHOR_START);
    struct rpt_text_style value = style(15, 1, RPT_C_NAVY, RPT_ANCHOR_START);

    for (int i = 0; i < n; i++) {
        double x = MX + i * (w + gap);
        rpt_cairo_color(p->cr, RPT_C_PANEL);
        cairo_rectangle(p->cr, x, y, w, KPI_H);
        cairo_fill(p->cr);
        rpt_cairo_color(p->cr, RPT_C_BLUE);
        cairo_rectangle(p->cr, x, y, 2.5, KPI_H);
        cairo_fill(p->cr);
        rpt_cairo_block(&p->cc, x + 10, y + 8, w - 16, b->u.kpis.k[i].label, &label, RPT_ONE_LINE,
                        1);
        rpt_cairo_block(&p->cc, x + 10, y + 22, w - 16, b->u.kpis.k[i].value, &value, RPT_ONE_LINE,
                        1);
    }
}

static void draw_block(struct pdf *p, const struct rpt_block *b, double y, double h)
{
    struct rpt_text_style body = style(BODY, 0, RPT_C_TEXT, RPT_ANCHOR_START);
    struct rpt_text_style head = style(11.5, 1, RPT_C_NAVY, RPT_ANCHOR_START);
    char link[64];

    switch (b->kind) {
    case RPT_B_HEADING:
        rpt_cairo_block(&p->cc, MX, y + 2, CW, b->u.text, &head, RPT_ONE_LINE, 1);
        rpt_cairo_color(p->cr, RPT_C_BLUE);
        cairo_rectangle(p->cr, MX, y + 19, CW, 0.7);
        cairo_fill(p->cr);
        snprintf(link, sizeof(link), "page=%d pos=[%.1f %.1f]", p->page, MX, y);
        cairo_pdf_surface_add_outline(p->surface, CAIRO_PDF_OUTLINE_ROOT, b->u.text, link, 0);
        break;
    case RPT_B_TEXT:
        rpt_cairo_block(&p->cc, MX, y, CW, b->u.text, &body, RPT_WRAP, 1);
        break;
    case RPT_B_NOTE:
        rpt_cairo_color(p->cr, RPT_C_NOTE_BG);
        cairo_rectangle(p->cr, MX, y, CW, h);
        cairo_fill(p->cr);
        rpt_cairo_color(p->cr, RPT_C_NOTE_BAR);
        cairo_rectangle(p->cr, MX, y, 3, h);
        cairo_fill(p->cr);
        rpt_cairo_block(&p->cc, MX + 12, y + 7, CW - 22, b->u.text, &body, RPT_WRAP, 1);
        break;
    case RPT_B_KPIS:
        draw_kpis(p, b, y);
        break;
    case RPT_B_BARS:
        rpt_draw_bars(&p->canvas, &b->u.bars, MX, y, CW, h);
        break;
    case RPT_B_HIST:
        rpt_draw_hist(&p->canvas, &b->u.hist, MX, y, CW, h);
        break;
    case RPT_B_HEAT:
        rpt_draw_heat(&p->canvas, &b->u.heat, MX, y, CW);
        break;
    case RPT_B_WARNINGS:
    case RPT_B_TABLE:
        break; /* drawn item by item */
    }
}

static void draw_warning(struct pdf *p, const struct rpt_block *b, size_t i, double y)
{
    struct rpt_text_style body = style(BODY, 0, RPT_C_TEXT, RPT_ANCHOR_START);
    struct rpt_text_style none = style(BODY, 0, RPT_C_MUTED, RPT_ANCHOR_START);

    if (b->u.list.n == 0) {
        rpt_cairo_block(&p->cc, MX, y, CW, "None.", &none, RPT_ONE_LINE, 1);
        return;
    }
    rpt_cairo_color(p->cr, RPT_C_NOTE_BAR);
    cairo_arc(p->cr, MX + 4, y + p->line_h / 2 + 1, 2, 0, 6.2832);
    cairo_fill(p->cr);
    rpt_cairo_block(&p->cc, MX + 14, y, CW - 14, b->u.list.items[i], &body, RPT_WRAP, 1);
}

/* Running header (pages after the first) and footer of page `page` (1-based). */
static void page_furniture(struct pdf *p, int page)
{
    const struct rpt_doc_info *in = &p->doc->info;
    struct rpt_text_style left = style(7, 1, RPT_C_BLUE, RPT_ANCHOR_START);
    struct rpt_text_style right = style(7, 0, RPT_C_MUTED, RPT_ANCHOR_END);
    struct rpt_text_style foot = style(6.8, 0, RPT_C_MUTED, RPT_ANCHOR_START);
    char buf[256];

    if (page == 1) {
        rpt_cairo_color(p->cr, RPT_C_NAVY);
        cairo_rectangle(p->cr, 0, 0, PAGE_W, 6);
        cairo_fill(p->cr);
    } else {
        rpt_cairo_block(&p->cc, MX, 28, CW / 3, "VALOR IVX", &left, RPT_ONE_LINE, 1);
        rpt_cairo_block(&p->cc, MX + CW / 3, 28, CW * 2 / 3, in->title, &right, RPT_ONE_LINE, 1);
        rpt_cairo_color(p->cr, RPT_C_RULE);
        cairo_rectangle(p->cr, MX, 40, CW, 0.6);
        cairo_fill(p->cr);
    }
    rpt_cairo_color(p->cr, RPT_C_RULE);
    cairo_rectangle(p->cr, MX, PAGE_H - 42, CW, 0.6);
    cairo_fill(p->cr);
    snprintf(buf, sizeof(buf), "Confidential  ·  Run %s  ·  Generated %s", in->run_id,
             in->generated_at);
    rpt_cairo_block(&p->cc, MX, PAGE_H - 36, CW * 0.8, buf, &foot, RPT_ONE_LINE, 1);
    snprintf(buf, sizeof(buf), "Page %d of %d", page, p->npages);
    foot.anchor = RPT_ANCHOR_END;
    rpt_cairo_block(&p->cc, MX + CW * 0.7, PAGE_H - 36, CW * 0.3, buf, &foot, RPT_ONE_LINE, 1);
}

static void draw(struct pdf *p)
{
    int page = -1;

    for (size_t i = 0; i < p->n; i++) {
        const struct item_ref *r = &p->refs[i];
        const struct rpt_slot *s = &p->slots[i];
        const struct rpt_block *b;

        while (page < s->page) {
            if (page >= 0)
                cairo_show_page(p->cr);
            page++;
            p->page = page + 1;
            page_furniture(p, p->page);
        }
        if (r->kind == I_TITLE) {
            title_block(p, s->y, 1);
            continue;
        }
        b = &p->doc->blocks[r->block];
        switch (r->kind) {
        case I_TITLE:
            break;
        case I_BLOCK:
            draw_block(p, b, s->y, p->flow[i].height);
            break;
        case I_THEAD:
            draw_thead(p, b->u.table, s->y);
            break;
        case I_TROW:
            if (s->head_y >= 0)
                draw_thead(p, b->u.table, s->head_y);
            draw_trow(p, b->u.table, r->row, s->y, p->flow[i].height);
            break;
        case I_WARN:
            draw_warning(p, b, r->row, s->y);
            break;
        }
    }
    cairo_show_page(p->cr);
}

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int length)
{
    struct rpt_buf *b = closure;
    rpt_buf_put(b, data, length);
    return b->oom ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

static void metadata(struct pdf *p)
{
    const struct rpt_doc_info *in = &p->doc->info;
    char date[32];

    cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_TITLE, in->title);
    cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_AUTHOR, in->author);
    cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_CREATOR, "Valor IVX");
    if (strlen(in->generated_at) >= 19) {
        snprintf(date, sizeof(date), "%.19sZ", in->generated_at);
        cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
    }
}

int rpt_render_pdf(const struct rpt_doc *d, char **out, size_t *len)
{
    struct pdf p = {.doc = d};
    struct rpt_buf buf = {0};
    struct rpt_text_style cell = style(CELL, 0, RPT_C_TEXT, RPT_ANCHOR_START);
    int rc = VALOR_E_NOMEM, opened = 0;

    *out = NULL;
    *len = 0;
    if (d->oom)
        return VALOR_E_NOMEM;
    p.surface = cairo_pdf_surface_create_for_stream(write_cb, &buf, PAGE_W, PAGE_H);
    p.cr = cairo_create(p.surface);
    if (cairo_status(p.cr) != CAIRO_STATUS_SUCCESS || rpt_cairo_open(&p.cc, p.cr) != VALOR_OK)
        goto out;
    opened = 1;
    rpt_canvas_cairo(&p.canvas, &p.cc);
    metadata(&p);
    p.line_h = rpt_cairo_block(&p.cc, 0, 0, 0, "Ag", &cell, RPT_ONE_LINE, 0);
    if ((rc = measure(&p)) != VALOR_OK)
        goto out;
    rc = VALOR_E_NOMEM;
    if ((p.slots = malloc(sizeof(*p.slots) * (p.n > 0 ? p.n : 1))) == NULL)
        goto out;
    p.npages = rpt_paginate(p.flow, p.n, &page_box, p.slots);
    draw(&p);
    rpt_cairo_close(&p.cc);
    opened = 0;
    cairo_destroy(p.cr);
    p.cr = NULL;
    cairo_surface_finish(p.surface);
    if (cairo_surface_status(p.surface) != CAIRO_STATUS_SUCCESS)
        goto out;
    rc = rpt_buf_take(&buf, out, len);
out:
    if (opened)
        rpt_cairo_close(&p.cc);
    if (p.cr != NULL)
        cairo_destroy(p.cr);
    cairo_surface_destroy(p.surface);
    rpt_buf_free(&buf);
    free(p.flow);
    free(p.refs);
    free(p.slots);
    return rc;
}
