/* doc: the document model behind report.h, shared by the two renderers.
 * Everything a block points to lives in the document's arena (or, for the
 * growing block and row arrays, in malloc'd arrays the document frees). */
#ifndef VALOR_REPORT_DOC_H
#define VALOR_REPORT_DOC_H

#include <stddef.h>

#include "valor/report.h"

enum rpt_block_kind {
    RPT_B_HEADING = 0,
    RPT_B_TEXT,
    RPT_B_NOTE,
    RPT_B_WARNINGS,
    RPT_B_KPIS,
    RPT_B_TABLE,
    RPT_B_BARS,
    RPT_B_HIST,
    RPT_B_HEAT,
};

struct rpt_row {
    const char **cells; /* ncols, arena strings ("" for empty) */
    unsigned flags;     /* RPT_ROW_* */
};

struct rpt_table {
    struct rpt_doc *doc;
    int ncols;
    int has_header;
    int kv; /* label/value pairs: labels muted, no header */
    struct rpt_col cols[RPT_MAX_COLS];
    struct rpt_row *rows; /* malloc'd */
    size_t nrows, cap;
};

struct rpt_block {
    enum rpt_block_kind kind;
    union {
        const char *text; /* heading, text, note */
        struct {
            const char **items;
            int n;
        } list;
        struct {
            struct rpt_kpi k[RPT_MAX_KPIS];
            int n;
        } kpis;
        struct rpt_table *table;
        struct rpt_bar_chart bars;
        struct rpt_histogram hist;
        struct rpt_heatmap heat;
    } u;
};

struct rpt_chunk;

struct rpt_doc {
    struct rpt_doc_info info; /* arena strings */
    struct rpt_chunk *chunks;
    struct rpt_block *blocks; /* malloc'd */
    size_t nblocks, cap;
    int oom;
};

/* s copied into the arena with every control character (C0, DEL) as a
 * space; NULL → "". NULL only when out of memory (d->oom set). */
const char *rpt_doc_str(struct rpt_doc *d, const char *s);
/* n bytes of the arena, 8-byte aligned, zeroed. */
void *rpt_doc_alloc(struct rpt_doc *d, size_t n);

/* The series palette (0xRRGGBB), shared by the PDF and the SVG charts. */
#define RPT_SERIES_COLORS 4
extern const unsigned rpt_series_color[RPT_SERIES_COLORS];

#endif
