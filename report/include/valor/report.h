/* report: documents drawn in C — one neutral document model (headings, KPI
 * boxes, tables, charts, notes) that a service fills with its own layout,
 * and two renderers: PDF through cairo + pango (A4, real text, vector
 * charts, embedded DejaVu fonts, page breaks with repeated table headers) and
 * one standalone HTML document (inline CSS and SVG, no external resources,
 * every string escaped).
 *
 * Every string and array handed to the rpt_add_* functions is copied into
 * the document, so callers may pass temporaries. Text is UTF-8; control
 * characters (CR, LF, TAB, …) are shown as spaces, so no value can break a
 * line of the layout or a header. Functions return VALOR_OK or
 * VALOR_E_NOMEM; after a failure the document refuses to render.
 *
 * Thread-safe: a document belongs to one thread; the renderers keep no
 * global state of their own (pango's font map is per thread).
 */
#ifndef VALOR_REPORT_H
#define VALOR_REPORT_H

#include <stddef.h>

struct rpt_doc;
struct rpt_table;

struct rpt_doc_info {
    const char *title;        /* "DCF Report - AAPL" */
    const char *subtitle;     /* one line under the title, may be NULL */
    const char *generated_at; /* RFC 3339 UTC */
    const char *author;       /* who saved the run */
    const char *run_id;
};

/* A new empty document. Caller frees with rpt_doc_free(). */
int rpt_doc_new(const struct rpt_doc_info *info, struct rpt_doc **out);
void rpt_doc_free(struct rpt_doc *d);

/* A section heading (kept on the page of what follows it). */
int rpt_add_heading(struct rpt_doc *d, const char *text);
/* A paragraph of body text, wrapped. */
int rpt_add_text(struct rpt_doc *d, const char *text);
/* A highlighted call-out (e.g. an assumption the reader must know). */
int rpt_add_note(struct rpt_doc *d, const char *text);
/* The warnings list; n = 0 prints "None." */
int rpt_add_warnings(struct rpt_doc *d, const char *const *w, int n);

/* Up to RPT_MAX_KPIS headline figures in boxes. id (may be NULL) becomes
 * the HTML element id of the value, e.g. "per-share". */
#define RPT_MAX_KPIS 4
struct rpt_kpi {
    const char *label, *value, *id;
};
int rpt_add_kpis(struct rpt_doc *d, const struct rpt_kpi *k, int n);

enum rpt_align { RPT_ALIGN_LEFT = 0, RPT_ALIGN_RIGHT, RPT_ALIGN_CENTER };

#define RPT_MAX_COLS 16
struct rpt_col {
    const char *header; /* NULL for every column: a table without a header row */
    enum rpt_align align;
    double weight; /* share of the width, relative to the other columns; 0 → 1 */
};

/* A data table; rows follow with rpt_table_row(). Long tables continue on
 * the next page under a repeated header row. *out is borrowed from d. */
int rpt_add_table(struct rpt_doc *d, const struct rpt_col *cols, int ncols, struct rpt_table **out);

enum {
    RPT_ROW_TOTAL = 1u << 0, /* bold, with a rule above */
    RPT_ROW_MUTED = 1u << 1, /* secondary figures */
};
/* One row of ncols cells (NULL cell → empty). */
int rpt_table_row(struct rpt_table *t, const char *const *cells, unsigned flags);

/* Label/value pairs laid out two per row (a four-column table, no header). */
struct rpt_kv {
    const char *label, *value;
};
int rpt_add_kv(struct rpt_doc *d, const struct rpt_kv *kv, int n);

/* Bars (grouped) and lines over categories, on one value axis. */
enum rpt_series_kind { RPT_SERIES_BARS = 0, RPT_SERIES_LINE };
#define RPT_MAX_SERIES 4
#define RPT_MAX_CATS 32
struct rpt_series {
    const char *name;
    enum rpt_series_kind kind;
    const double *values; /* ncats values; not finite → gap */
};
struct rpt_bar_chart {
    const char *title, *y_label;
    int ncats;
    const char *const *cats;
    int nseries;
    const struct rpt_series *series;
    int pct; /* values are decimals shown as percent on the axis */
};
int rpt_add_bar_chart(struct rpt_doc *d, const struct rpt_bar_chart *c);

/* A histogram with vertical markers (e.g. p10 / median / p90). */
#define RPT_MAX_BINS 100
#define RPT_MAX_MARKERS 4
struct rpt_marker {
    const char *name;
    double x;
};
struct rpt_histogram {
    const char *title, *x_label;
    int nbins;
    const double *edges; /* nbins + 1 */
    const long *counts;  /* nbins */
    int nmarkers;
    const struct rpt_marker *markers;
};
int rpt_add_histogram(struct rpt_doc *d, const struct rpt_histogram *h);

/* A grid of values coloured below / above `center` (red … white … green),
 * each cell labelled; not finite → grey "n/a". */
#define RPT_MAX_GRID 21
struct rpt_heatmap {
    const char *title, *row_title, *col_title;
    int rows, cols;
    const char *const *row_names, *const *col_names;
    const double *values; /* rows * cols, row-major */
    double center;
    int decimals;
    int mark_row, mark_col; /* the base case, outlined; -1: none */
};
int rpt_add_heatmap(struct rpt_doc *d, const struct rpt_heatmap *h);

/* Renders the document. *out is malloc'd (caller free()s), *len its size. */
int rpt_render_pdf(const struct rpt_doc *d, char **out, size_t *len);
int rpt_render_html(const struct rpt_doc *d, char **out, size_t *len);

/* The Content-Security-Policy that lets the HTML document's own inline
 * style (by its hash) and nothing else load. Static storage. */
const char *rpt_html_csp(void);

/* Start-up: loads the font configuration and renders one page so the
 * first request does not pay for it. VALOR_E_UNAVAILABLE (with a reason in
 * why) when the DejaVu fonts are missing — reports would still render,
 * with another font. */
int rpt_init(char *why, size_t why_len);

/* Shut-down, after the last report of the process (no thread may render
 * any more): drops the calling thread's pango font map (other threads drop
 * theirs when they exit), so leak checkers see only fontconfig's
 * process-wide caches (scripts/lsan.supp). */
void rpt_shutdown(void);

/* ---- formatting (pure) ------------------------------------------------- */

#define RPT_NUM_LEN 48

/* v with thousands separators and `decimals` fixed decimals (0–6); negative
 * in parentheses: -1234.5 → "(1,234.50)"; halves round away from zero as
 * written (0.975 → "0.98", though stored as 0.97499…); a value that rounds to zero has no
 * sign; |v| ≥ 1e15 in scientific notation; not finite → "n/a". Returns out. */
const char *rpt_fmt_num(double v, int decimals, char *out, size_t len);
/* A decimal as percent: 0.0925 → "9.25%", -0.025 → "(2.50%)". */
const char *rpt_fmt_pct(double v, int decimals, char *out, size_t len);
/* A multiple: 2.2773 → "2.28x". */
const char *rpt_fmt_mult(double v, int decimals, char *out, size_t len);

/* The formatted values of one block (a table row, a key-value list): the
 * buffers live as long as the set, and the document copies what it is given,
 * so a set on the stack serves while the block is added. Past RPT_VALS_MAX
 * values a call returns "" — a figure visibly missing, never an overflow. */
#define RPT_VALS_MAX 20
struct rpt_vals {
    char v[RPT_VALS_MAX][RPT_NUM_LEN];
    int n;
};
/* The next free buffer of s, or NULL when all are taken. */
char *rpt_vals_next(struct rpt_vals *s);
/* rpt_fmt_num / _pct / _mult into the next buffer of s. */
const char *rpt_vals_num(struct rpt_vals *s, double v, int decimals);
const char *rpt_vals_pct(struct rpt_vals *s, double v, int decimals);
const char *rpt_vals_mult(struct rpt_vals *s, double v, int decimals);

/* "<prefix>_<name>_<id>.<ext>" where name and id are reduced to
 * [A-Za-z0-9._-]: every other byte (quotes, CR/LF, slashes, spaces) and
 * every non-ASCII character becomes '_'; name is cut to 64 characters.
 * VALOR_E_INVALID when out is too small. */
int rpt_filename(const char *prefix, const char *name, const char *id, const char *ext, char *out,
                 size_t len);

#endif
