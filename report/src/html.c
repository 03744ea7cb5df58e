/* html: the document as one standalone HTML page (see report.h) — inline
 * CSS (allowed by its hash in rpt_html_csp()) and inline SVG charts, no
 * script, no external resource; every string is escaped. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "chart.h"
#include "doc.h"
#include "valor/crypto.h"
#include "valor/err.h"

#define CHART_W 495.28

static const char css[] =
    ":root{color-scheme:light}"
    "body{margin:0;background:#e9edf2;color:#1c2530;"
    "font:13px/1.45 'DejaVu Sans',Verdana,sans-serif}"
    ".page{max-width:840px;margin:24px auto;background:#fff;padding:36px 48px 28px;"
    "border-top:6px solid #17324d;box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    ".brand{margin:0;color:#2e6da4;font-size:10px;font-weight:bold;letter-spacing:.08em}"
    "h1{margin:6px 0 2px;color:#17324d;font-size:26px;line-height:1.2;overflow-wrap:anywhere}"
    ".sub{margin:0 0 4px;color:#5f6b7a;font-size:14px;overflow-wrap:anywhere}"
    ".meta{margin:0;color:#5f6b7a;font-size:11px;padding-bottom:10px;"
    "border-bottom:2px solid #17324d}"
    "h2{color:#17324d;font-size:15px;margin:24px 0 8px;padding-bottom:3px;"
    "border-bottom:1px solid #2e6da4}"
    "table{width:100%;border-collapse:collapse;font-size:11px;font-variant-numeric:tabular-nums;"
    "margin:6px 0}"
    "table.data{border-bottom:1px solid #17324d}"
    "table.data th{background:#17324d;color:#fff;text-align:left;padding:4px 6px}"
    "table.data td{padding:3px 6px}"
    "table.data tbody tr:nth-child(even){background:#f3f5f8}"
    "table.data tr.total td{font-weight:bold;border-top:1px solid #17324d;background:#fff}"
    "table.data tr.muted td{color:#5f6b7a}"
    "table .r,table.data th.r{text-align:right}table .c,table.data th.c{text-align:center}"
    "table.kv th{font-weight:normal;color:#5f6b7a;text-align:left;padding:3px 6px;"
    "border-bottom:1px solid #d5dbe2}"
    "table.kv th.pair{padding-left:24px}"
    "table.kv td{text-align:right;padding:3px 6px;border-bottom:1px solid #d5dbe2;"
    "overflow-wrap:anywhere}"
    ".kpis{display:flex;gap:10px;margin:14px 0}"
    ".kpi{flex:1;background:#f0f3f7;border-left:3px solid #2e6da4;padding:8px 12px}"
    ".kpi .label{display:block;color:#5f6b7a;font-size:10px}"
    ".kpi .value{display:block;color:#17324d;font-size:20px;font-weight:bold}"
    ".note{background:#fff4e5;border-left:3px solid #e07b39;padding:8px 12px}"
    "ul.warnings{padding-left:18px;margin:6px 0}ul.warnings li::marker{color:#e07b39}"
    ".muted{color:#5f6b7a}"
    "figure.chart{margin:16px 0}figure.chart svg{display:block;width:100%;height:auto}"
    "footer{margin-top:28px;padding-top:6px;border-top:1px solid #d5dbe2;color:#5f6b7a;"
    "font-size:10px}"
    "@media print{body{background:#fff}.page{box-shadow:none;margin:0;max-width:none;"
    "padding:0;border:0}}";

static pthread_once_t csp_once = PTHREAD_ONCE_INIT;
static char csp[256];

static void base64(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = (char)(i + 1 < n ? tab[(v >> 6) & 63] : '=');
        out[o++] = (char)(i + 2 < n ? tab[v & 63] : '=');
    }
    out[o] = '\0';
}

static unsigned nibble(char c)
{
    return c >= 'a' ? (unsigned)(c - 'a' + 10) : (unsigned)(c - '0');
}

static void make_csp(void)
{
    char hex[65], b64[48];
    unsigned char digest[32];

    if (crypto_sha256_hex(css, sizeof(css) - 1, hex) != VALOR_OK) {
        snprintf(csp, sizeof(csp), "default-src 'none'; frame-ancestors 'none'");
        return;
    }
    for (size_t i = 0; i < 32; i++)
        digest[i] = (unsigned char)(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    base64(digest, sizeof(digest), b64);
    snprintf(csp, sizeof(csp),
             "default-src 'none'; style-src 'sha256-%s'; img-src data:; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'none'",
             b64);
}

const char *rpt_html_csp(void)
{
    pthread_once(&csp_once, make_csp);
    return csp;
}

static const char *align_class(enum rpt_align a)
{
    return a == RPT_ALIGN_RIGHT ? " class=\"r\"" : a == RPT_ALIGN_CENTER ? " class=\"c\"" : "";
}

static void table(struct rpt_buf *b, const struct rpt_table *t)
{
    if (t->kv) {
        rpt_buf_puts(b, "<table class=\"kv\"><tbody>");
        for (size_t r = 0; r < t->nrows; r++) {
            rpt_buf_puts(b, "<tr>");
            for (int c = 0; c + 1 < t->ncols; c += 2) {
                rpt_buf_puts(b, c > 0 ? "<th scope=\"row\" class=\"pair\">" : "<th scope=\"row\">");
                rpt_buf_html(b, t->rows[r].cells[c]);
                rpt_buf_puts(b, "</th><td>");
                rpt_buf_html(b, t->rows[r].cells[c + 1]);
                rpt_buf_puts(b, "</td>");
            }
            rpt_buf_puts(b, "</tr>");
        }
        rpt_buf_puts(b, "</tbody></table>\n");
        return;
    }
    rpt_buf_puts(b, "<table class=\"data\">");
    if (t->has_header) {
        rpt_buf_puts(b, "<thead><tr>");
        for (int c = 0; c < t->ncols; c++) {
            rpt_buf_printf(b, "<th scope=\"col\"%s>", align_class(t->cols[c].align));
            rpt_buf_html(b, t->cols[c].header != NULL ? t->cols[c].header : "");
            rpt_buf_puts(b, "</th>");
        }
        rpt_buf_puts(b, "</tr></thead>");
    }
    rpt_buf_puts(b, "<tbody>");
    for (size_t r = 0; r < t->nrows; r++) {
        unsigned f = t->rows[r].flags;
        rpt_buf_puts(b, f & RPT_ROW_TOTAL   ? "<tr class=\"total\">"
                        : f & RPT_ROW_MUTED ? "<tr class=\"muted\">"
                                            : "<tr>");
        for (int c = 0; c < t->ncols; c++) {
            rpt_buf_printf(b, "<td%s>", align_class(t->cols[c].align));
            rpt_buf_html(b, t->rows[r].cells[c]);
            rpt_buf_puts(b, "</td>");
        }
        rpt_buf_puts(b, "</tr>");
    }
    rpt_buf_puts(b, "</tbody></table>\n");
}

static void svg_open(struct rpt_buf *b, const char *title, double h)
{
    rpt_buf_printf(b,
                   "<figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
                   "viewBox=\"0 0 %.2f %.2f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                   "font-family=\"DejaVu Sans, Verdana, sans-serif\" aria-label=\"",
                   CHART_W, h, CHART_W * 1.5, h * 1.5);
    rpt_buf_html(b, title);
    rpt_buf_puts(b, "\">");
}

static void block(struct rpt_buf *b, const struct rpt_block *bl)
{
    struct rpt_canvas c;
    rpt_canvas_svg(&c, b);

    switch (bl->kind) {
    case RPT_B_HEADING:
        rpt_buf_puts(b, "<h2>");
        rpt_buf_html(b, bl->u.text);
        rpt_buf_puts(b, "</h2>\n");
        break;
    case RPT_B_TEXT:
    case RPT_B_NOTE:
        rpt_buf_puts(b, bl->kind == RPT_B_NOTE ? "<p class=\"note\">" : "<p>");
        rpt_buf_html(b, bl->u.text);
        rpt_buf_puts(b, "</p>\n");
        break;
    case RPT_B_WARNINGS:
        if (bl->u.list.n == 0) {
            rpt_buf_puts(b, "<p class=\"muted\">None.</p>\n");
            break;
        }
        rpt_buf_puts(b, "<ul class=\"warnings\">");
        for (int i = 0; i < bl->u.list.n; i++) {
            rpt_buf_puts(b, "<li>");
            rpt_buf_html(b, bl->u.list.items[i]);
            rpt_buf_puts(b, "</li>");
        }
        rpt_buf_puts(b, "</ul>\n");
        break;
    case RPT_B_KPIS:
        rpt_buf_puts(b, "<div class=\"kpis\">");
        for (int i = 0; i < bl->u.kpis.n; i++) {
            const struct rpt_kpi *k = &bl->u.kpis.k[i];
            rpt_buf_puts(b, "<div class=\"kpi\"><span class=\"label\">");
            rpt_buf_html(b, k->label);
            rpt_buf_puts(b, "</span><span class=\"value\"");
            if (k->id != NULL) {
                rpt_buf_puts(b, " id=\"");
                rpt_buf_html(b, k->id);
                rpt_buf_puts(b, "\"");
            }
            rpt_buf_puts(b, ">");
            rpt_buf_html(b, k->value);
            rpt_buf_puts(b, "</span></div>");
        }
        rpt_buf_puts(b, "</div>\n");
        break;
    case RPT_B_TABLE:
        table(b, bl->u.table);
        break;
    case RPT_B_BARS:
        svg_open(b, bl->u.bars.title, RPT_BARS_HEIGHT);
        rpt_draw_bars(&c, &bl->u.bars, 0, 0, CHART_W, RPT_BARS_HEIGHT);
        rpt_buf_puts(b, "</svg></figure>\n");
        break;
    case RPT_B_HIST:
        svg_open(b, bl->u.hist.title, RPT_HIST_HEIGHT);
        rpt_draw_hist(&c, &bl->u.hist, 0, 0, CHART_W, RPT_HIST_HEIGHT);
        rpt_buf_puts(b, "</svg></figure>\n");
        break;
    case RPT_B_HEAT:
        svg_open(b, bl->u.heat.title, rpt_heat_height(&bl->u.heat));
        rpt_draw_heat(&c, &bl->u.heat, 0, 0, CHART_W);
        rpt_buf_puts(b, "</svg></figure>\n");
        break;
    }
}

int rpt_render_html(const struct rpt_doc *d, char **out, size_t *len)
{
    const struct rpt_doc_info *in = &d->info;
    struct rpt_buf b = {0};

    *out = NULL;
    *len = 0;
    if (d->oom)
        return VALOR_E_NOMEM;
    rpt_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<meta name=\"generator\" content=\"Valor IVX\"><title>");
    rpt_buf_html(&b, in->title);
    rpt_buf_printf(&b, "</title><style>%s</style></head>\n<body><main class=\"page\">\n", css);
    rpt_buf_puts(&b, "<header><p class=\"brand\">VALOR IVX &#183; INVESTMENT COMMITTEE "
                     "REPORT</p><h1>");
    rpt_buf_html(&b, in->title);
    rpt_buf_puts(&b, "</h1>");
    if (in->subtitle != NULL && in->subtitle[0] != '\0') {
        rpt_buf_puts(&b, "<p class=\"sub\">");
        rpt_buf_html(&b, in->subtitle);
        rpt_buf_puts(&b, "</p>");
    }
    rpt_buf_puts(&b, "<p class=\"meta\">Generated <time>");
    rpt_buf_html(&b, in->generated_at);
    rpt_buf_puts(&b, "</time> &#183; Prepared by <span class=\"author\">");
    rpt_buf_html(&b, in->author);
    rpt_buf_puts(&b, "</span> &#183; Run <code>");
    rpt_buf_html(&b, in->run_id);
    rpt_buf_puts(&b, "</code></p></header>\n");
    for (size_t i = 0; i < d->nblocks; i++)
        block(&b, &d->blocks[i]);
    rpt_buf_puts(&b, "<footer>Confidential &#183; Run ");
    rpt_buf_html(&b, in->run_id);
    rpt_buf_puts(&b, " &#183; Generated ");
    rpt_buf_html(&b, in->generated_at);
    rpt_buf_puts(&b, "</footer>\n</main></body></html>\n");
    return rpt_buf_take(&b, out, len);
}
