/* doc: building the document model (see report.h and doc.h). */
#include "doc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "valor/err.h"

#define CHUNK_BYTES 16384

struct rpt_chunk {
    struct rpt_chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

const unsigned rpt_series_color[RPT_SERIES_COLORS] = {0x2E6DA4, 0xE07B39, 0x3A9D8F, 0x8E6BB8};

void *rpt_doc_alloc(struct rpt_doc *d, size_t n)
{
    struct rpt_chunk *c = d->chunks;
    void *p;

    n = (n + 15) & ~(size_t)15;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        c = malloc(sizeof(*c) + size);
        if (c == NULL) {
            d->oom = 1;
            return NULL;
        }
        c->next = d->chunks;
        c->used = 0;
        c->size = size;
        d->chunks = c;
    }
    p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

const char *rpt_doc_str(struct rpt_doc *d, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    char *out = rpt_doc_alloc(d, n + 1);

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (char)(c < 0x20 || c == 0x7F ? ' ' : c);
    }
    out[n] = '\0';
    return out;
}

int rpt_doc_new(const struct rpt_doc_info *info, struct rpt_doc **out)
{
    struct rpt_doc *d = calloc(1, sizeof(*d));

    *out = NULL;
    if (d == NULL)
        return VALOR_E_NOMEM;
    d->info.title = rpt_doc_str(d, info->title);
    d->info.subtitle = info->subtitle != NULL ? rpt_doc_str(d, info->subtitle) : NULL;
    d->info.generated_at = rpt_doc_str(d, info->generated_at);
    d->info.author = rpt_doc_str(d, info->author);
    d->info.run_id = rpt_doc_str(d, info->run_id);
    if (d->oom) {
        rpt_doc_free(d);
        return VALOR_E_NOMEM;
    }
    *out = d;
    return VALOR_OK;
}

void rpt_doc_free(struct rpt_doc *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nblocks; i++)
        if (d->blocks[i].kind == RPT_B_TABLE && d->blocks[i].u.table != NULL)
            free(d->blocks[i].u.table->rows);
    free(d->blocks);
    while (d->chunks != NULL) {
        struct rpt_chunk *next = d->chunks->next;
        free(d->chunks);
        d->chunks = next;
    }
    free(d);
}

/* A new block at the end, or NULL (d->oom set). */
static struct rpt_block *add_block(struct rpt_doc *d, enum rpt_block_kind kind)
{
    if (d->oom)
        return NULL;
    if (d->nblocks == d->cap) {
        size_t cap = d->cap != 0 ? d->cap * 2 : 32;
        struct rpt_block *b = realloc(d->blocks, cap * sizeof(*b));
        if (b == NULL) {
            d->oom = 1;
            return NULL;
        }
        d->blocks = b;
        d->cap = cap;
    }
    memset(&d->blocks[d->nblocks], 0, sizeof(d->blocks[0]));
    d->blocks[d->nblocks].kind = kind;
    return &d->blocks[d->nblocks++];
}

static int done(const struct rpt_doc *d)
{
    return d->oom ? VALOR_E_NOMEM : VALOR_OK;
}

static int add_text_block(struct rpt_doc *d, enum rpt_block_kind kind, const char *text)
{
    struct rpt_block *b = add_block(d, kind);
    if (b != NULL)
        b->u.text = rpt_doc_str(d, text);
    return done(d);
}

int rpt_add_heading(struct rpt_doc *d, const char *text)
{
    return add_text_block(d, RPT_B_HEADING, text);
}

int rpt_add_text(struct rpt_doc *d, const char *text)
{
    return add_text_block(d, RPT_B_TEXT, text);
}

int rpt_add_note(struct rpt_doc *d, const char *text)
{
    return add_text_block(d, RPT_B_NOTE, text);
}

/* n strings copied into the arena. */
static const char **copy_strings(struct rpt_doc *d, const char *const *s, int n)
{
    const char **out = rpt_doc_alloc(d, sizeof(*out) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; out != NULL && i < n; i++)
        out[i] = rpt_doc_str(d, s != NULL ? s[i] : NULL);
    return out;
}

static void *copy_mem(struct rpt_doc *d, const void *p, size_t n)
{
    void *out = rpt_doc_alloc(d, n > 0 ? n : 1);
    if (out != NULL && p != NULL && n > 0)
        memcpy(out, p, n);
    return out;
}

int rpt_add_warnings(struct rpt_doc *d, const char *const *w, int n)
{
    struct rpt_block *b = add_block(d, RPT_B_WARNINGS);
    if (b != NULL) {
        b->u.list.n = n > 0 ? n : 0;
        b->u.list.items = copy_strings(d, w, b->u.list.n);
    }
    return done(d);
}

int rpt_add_kpis(struct rpt_doc *d, const struct rpt_kpi *k, int n)
{
    struct rpt_block *b = add_block(d, RPT_B_KPIS);
    if (b == NULL)
        return done(d);
    b->u.kpis.n = n < RPT_MAX_KPIS ? n : RPT_MAX_KPIS;
    for (int i = 0; i < b->u.kpis.n; i++) {
        b->u.kpis.k[i].label = rpt_doc_str(d, k[i].label);
        b->u.kpis.k[i].value = rpt_doc_str(d, k[i].value);
        b->u.kpis.k[i].id = k[i].id != NULL ? rpt_doc_str(d, k[i].id) : NULL;
    }
    return done(d);
}

static int new_table(struct rpt_doc *d, const struct rpt_col *cols, int ncols, int kv,
                     struct rpt_table **out)
{
    struct rpt_block *b;
    struct rpt_table *t;

    *out = NULL;
    if (ncols < 1 || ncols > RPT_MAX_COLS)
        return VALOR_E_INVALID;
    b = add_block(d, RPT_B_TABLE);
    t = b != NULL ? rpt_doc_alloc(d, sizeof(*t)) : NULL;
    if (t == NULL)
        return VALOR_E_NOMEM;
    t->doc = d;
    t->ncols = ncols;
    t->kv = kv;
    for (int i = 0; i < ncols; i++) {
        t->cols[i] = cols[i];
        t->cols[i].weight = cols[i].weight > 0 ? cols[i].weight : 1.0;
        t->cols[i].header = cols[i].header != NULL ? rpt_doc_str(d, cols[i].header) : NULL;
        if (cols[i].header != NULL)
            t->has_header = 1;
    }
    b->u.table = t;
    *out = t;
    return done(d);
}

int rpt_add_table(struct rpt_doc *d, const struct rpt_col *cols, int ncols, struct rpt_table **out)
{
    return new_table(d, cols, ncols, 0, out);
}

int rpt_table_row(struct rpt_table *t, const char *const *cells, unsigned flags)
{
    struct rpt_doc *d = t->doc;

    if (d->oom)
        return VALOR_E_NOMEM;
    if (t->nrows == t->cap) {
        size_t cap = t->cap != 0 ? t->cap * 2 : 16;
        struct rpt_row *r = realloc(t->rows, cap * sizeof(*r));
        if (r == NULL) {
            d->oom = 1;
            return VALOR_E_NOMEM;
        }
        t->rows = r;
        t->cap = cap;
    }
    t->rows[t->nrows].cells = copy_strings(d, cells, t->ncols);
    t->rows[t->nrows].flags = flags;
    if (!d->oom)
        t->nrows++;
    return done(d);
}

int rpt_add_kv(struct rpt_doc *d, const struct rpt_kv *kv, int n)
{
    static const struct rpt_col cols[4] = {{NULL, RPT_ALIGN_LEFT, 1.3},
                                           {NULL, RPT_ALIGN_RIGHT, 1.05},
                                           {NULL, RPT_ALIGN_LEFT, 1.3},
                                           {NULL, RPT_ALIGN_RIGHT, 1.05}};
    struct rpt_table *t;
    int rc = new_table(d, cols, 4, 1, &t);

    for (int i = 0; rc == VALOR_OK && i < n; i += 2) {
        const char *cells[4] = {kv[i].label, kv[i].value, i + 1 < n ? kv[i + 1].label : "",
                                i + 1 < n ? kv[i + 1].value : ""};
        rc = rpt_table_row(t, cells, 0);
    }
    return rc;
}

static const double *copy_doubles(struct rpt_doc *d, const double *v, int n)
{
    return copy_mem(d, v, sizeof(double) * (size_t)(n > 0 ? n : 0));
}

int rpt_add_bar_chart(struct rpt_doc *d, const struct rpt_bar_chart *c)
{
    struct rpt_block *b;
    struct rpt_series *s;

    if (c->ncats < 1 || c->ncats > RPT_MAX_CATS || c->nseries < 1 || c->nseries > RPT_MAX_SERIES)
        return VALOR_E_INVALID;
    if ((b = add_block(d, RPT_B_BARS)) == NULL)
        return done(d);
    b->u.bars = *c;
    b->u.bars.title = rpt_doc_str(d, c->title);
    b->u.bars.y_label = rpt_doc_str(d, c->y_label);
    b->u.bars.cats = copy_strings(d, c->cats, c->ncats);
    s = rpt_doc_alloc(d, sizeof(*s) * (size_t)c->nseries);
    for (int i = 0; s != NULL && i < c->nseries; i++) {
        s[i].name = rpt_doc_str(d, c->series[i].name);
        s[i].kind = c->series[i].kind;
        s[i].values = copy_doubles(d, c->series[i].values, c->ncats);
    }
    b->u.bars.series = s;
    return done(d);
}

int rpt_add_histogram(struct rpt_doc *d, const struct rpt_histogram *h)
{
    struct rpt_block *b;
    struct rpt_marker *m;

    if (h->nbins < 1 || h->nbins > RPT_MAX_BINS || h->nmarkers < 0 || h->nmarkers > RPT_MAX_MARKERS)
        return VALOR_E_INVALID;
    if ((b = add_block(d, RPT_B_HIST)) == NULL)
        return done(d);
    b->u.hist = *h;
    b->u.hist.title = rpt_doc_str(d, h->title);
    b->u.hist.x_label = rpt_doc_str(d, h->x_label);
    b->u.hist.edges = copy_doubles(d, h->edges, h->nbins + 1);
    b->u.hist.counts = copy_mem(d, h->counts, sizeof(long) * (size_t)h->nbins);
    m = rpt_doc_alloc(d, sizeof(*m) * (size_t)(h->nmarkers > 0 ? h->nmarkers : 1));
    for (int i = 0; m != NULL && i < h->nmarkers; i++) {
        m[i].name = rpt_doc_str(d, h->markers[i].name);
        m[i].x = h->markers[i].x;
    }
    b->u.hist.markers = m;
    return done(d);
}

int rpt_add_heatmap(struct rpt_doc *d, const struct rpt_heatmap *h)
{
    struct rpt_block *b;

    if (h->rows < 1 || h->rows > RPT_MAX_GRID || h->cols < 1 || h->cols > RPT_MAX_GRID)
        return VALOR_E_INVALID;
    if ((b = add_block(d, RPT_B_HEAT)) == NULL)
        return done(d);
    b->u.heat = *h;
    b->u.heat.title = rpt_doc_str(d, h->title);
    b->u.heat.row_title = rpt_doc_str(d, h->row_title);
    b->u.heat.col_title = rpt_doc_str(d, h->col_title);
    b->u.heat.row_names = copy_strings(d, h->row_names, h->rows);
    b->u.heat.col_names = copy_strings(d, h->col_names, h->cols);
    b->u.heat.values = copy_doubles(d, h->values, h->rows * h->cols);
    return done(d);
}
