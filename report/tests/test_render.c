/* Both renderers over one document with every kind of block: the PDF
 * parses (pdfinfo), is A4, has the pages a long table needs, embeds its
 * fonts (pdffonts) and holds the text (pdftotext) — user strings literally,
 * never interpreted; the HTML is one standalone page whose only style is
 * allowed by the CSP hash, with every string escaped and no script. The
 * files are kept in .run/test-logs/ for a person to look at. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/report.h"

#define EVIL "Evil <script>alert(1)</script> & \"Co\"\r\nX-Injected: yes"

static char dir[512];

/* dir/name; two calls may share one expression (two buffers, in turn). */
static const char *path(const char *name)
{
    static char p[2][640];
    static int turn;
    turn = !turn;
    snprintf(p[turn], sizeof(p[turn]), "%s/%s", dir, name);
    return p[turn];
}

static void save(const char *name, const char *data, size_t len)
{
    FILE *f = fopen(path(name), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Output of a shell command (caller frees). */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char *out = calloc(1, 1 << 20);
    size_t n;

    ck_assert_ptr_nonnull(p);
    n = fread(out, 1, (1 << 20) - 1, p);
    out[n] = '\0';
    ck_assert_msg(pclose(p) == 0, "%s failed: %s", cmd, out);
    return out;
}

static struct rpt_doc *sample(int rows)
{
    struct rpt_doc_info info = {EVIL, "Acquirer A  ·  Target B", "2026-11-28T10:00:00.123Z",
                                "alice", "6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b"};
    struct rpt_kpi k[4] = {{"Value per share", "10.64", "per-share"},
                           {"Enterprise value ($M)", "1,895.58", NULL},
                           {"Equity value ($M)", "1,595.58", NULL},
                           {"Terminal value share", "74.2%", NULL}};
    struct rpt_kv kv[5] = {{"Revenue ($M)", "500.0"},
                           {"WACC", "9.00%"},
                           {"Name", EVIL},
                           {"Shares (M)", "150.0"},
                           {"Net debt ($M)", "(300.0)"}};
    struct rpt_col cols[4] = {{"Year", RPT_ALIGN_LEFT, 0.6},
                              {"Revenue", RPT_ALIGN_RIGHT, 1},
                              {"FCFF", RPT_ALIGN_RIGHT, 1},
                              {"Note", RPT_ALIGN_LEFT, 2}};
    const char *cats[8] = {"Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Y8"};
    double rev[8] = {560, 627, 702, 759, 819, 885, 920, 950};
    double fcff[8] = {59, 66, NAN, -12, 80, 90, 95, 99};
    struct rpt_series series[2] = {{"Revenue", RPT_SERIES_BARS, rev},
                                   {"FCFF", RPT_SERIES_LINE, fcff}};
    struct rpt_bar_chart bars = {"Revenue and FCFF ($M)", "", 8, cats, 2, series, 0};
    double edges[11];
    long counts[10] = {2, 8, 20, 45, 80, 90, 60, 30, 10, 3};
    struct rpt_marker m[3] = {{"P10 8.12", 8.1}, {"Median 10.60", 10.6}, {"P90 13.01", 13.0}};
    struct rpt_histogram hist = {"Monte Carlo", "Value per share", 10, edges, counts, 3, m};
    const char *names[3] = {"8.0%", "9.0%", "10.0%"};
    double cells[9] = {12.5, 14.1, NAN, 10.2, 10.64, 11.1, 8.3, 8.9, 9.4};
    struct rpt_heatmap heat = {
        "Sensitivity", "WACC", "Terminal growth", 3, 3, names, names, cells, 10.64, 2, 1, 1};
    const char *warn[2] = {"Terminal growth >= WACC; adjusted g down slightly.", EVIL};
    struct rpt_doc *d = NULL;
    struct rpt_table *t = NULL;

    for (int i = 0; i <= 10; i++)
        edges[i] = 6 + i * 0.8;
    ck_assert_int_eq(rpt_doc_new(&info, &d), VALOR_OK);
    ck_assert_int_eq(rpt_add_kpis(d, k, 4), VALOR_OK);
    ck_assert_int_eq(rpt_add_heading(d, "Inputs"), VALOR_OK);
    ck_assert_int_eq(rpt_add_kv(d, kv, 5), VALOR_OK);
    ck_assert_int_eq(rpt_add_note(d, "The share price fell back to revenue per share."), VALOR_OK);
    ck_assert_int_eq(rpt_add_heading(d, "Yearly series"), VALOR_OK);
    ck_assert_int_eq(rpt_add_table(d, cols, 4, &t), VALOR_OK);
    for (int i = 0; i < rows; i++) {
        char y[16], r[RPT_NUM_LEN], f[RPT_NUM_LEN];
        const char *cells_row[4] = {y, r, f, i == 3 ? EVIL : ""};
        snprintf(y, sizeof(y), "%d", i);
        rpt_fmt_num(1000.0 * i + 0.5, 1, r, sizeof(r));
        rpt_fmt_num(-12.25 * i, 2, f, sizeof(f));
        ck_assert_int_eq(rpt_table_row(t, cells_row, i + 1 == rows ? RPT_ROW_TOTAL : 0), VALOR_OK);
    }
    ck_assert_int_eq(rpt_add_bar_chart(d, &bars), VALOR_OK);
    ck_assert_int_eq(rpt_add_histogram(d, &hist), VALOR_OK);
    ck_assert_int_eq(rpt_add_heatmap(d, &heat), VALOR_OK);
    ck_assert_int_eq(rpt_add_heading(d, "Warnings"), VALOR_OK);
    ck_assert_int_eq(rpt_add_warnings(d, warn, 2), VALOR_OK);
    ck_assert_int_eq(rpt_add_text(d, "Figures in $M unless stated."), VALOR_OK);
    return d;
}

static int pages_of(const char *file)
{
    char cmd[800], *out, *p;
    int n = -1;
    snprintf(cmd, sizeof(cmd), "pdfinfo '%s' 2>&1", file);
    out = run(cmd);
    ck_assert_msg(strstr(out, "595.28 x 841.89 pts (A4)") != NULL, "%s", out);
    p = strstr(out, "Pages:");
    ck_assert_ptr_nonnull(p);
    n = atoi(p + 6);
    free(out);
    return n;
}

START_TEST(test_pdf)
{
    struct rpt_doc *d = sample(140);
    char *pdf = NULL, *text, *fonts, cmd[800];
    size_t len = 0;

    ck_assert_int_eq(rpt_render_pdf(d, &pdf, &len), VALOR_OK);
    ck_assert_uint_gt(len, 1000);
    ck_assert_int_eq(memcmp(pdf, "%PDF-", 5), 0);
    save("report-sample.pdf", pdf, len);
    /* 140 rows of 14.5 pt need three pages beyond the rest */
    ck_assert_int_ge(pages_of(path("report-sample.pdf")), 4);
    ck_assert_int_le(pages_of(path("report-sample.pdf")), 8);
    snprintf(cmd, sizeof(cmd), "pdftotext -layout '%s' -", path("report-sample.pdf"));
    text = run(cmd);
    ck_assert_msg(strstr(text, "Evil <script>alert(1)</script> & \"Co\"") != NULL, "%s", text);
    ck_assert_ptr_null(strstr(text, "\r"));
    ck_assert_ptr_nonnull(strstr(text, "1,895.58"));
    ck_assert_ptr_nonnull(strstr(text, "(300.0)"));
    ck_assert_ptr_nonnull(strstr(text, "139,000.5")); /* the last row, on a later page */
    ck_assert_ptr_nonnull(strstr(text, "Page 1 of "));
    ck_assert_ptr_nonnull(strstr(text, "Median 10.60"));
    ck_assert_ptr_nonnull(strstr(text, "Terminal growth >= WACC"));
    free(text);
    snprintf(cmd, sizeof(cmd), "pdffonts '%s'", path("report-sample.pdf"));
    fonts = run(cmd);
    ck_assert_msg(strstr(fonts, "DejaVuSans") != NULL, "%s", fonts);
    ck_assert_msg(strstr(fonts, " no ") == NULL || strstr(fonts, "yes") != NULL, "%s", fonts);
    for (char *line = strstr(fonts, "DejaVu"); line != NULL; line = strstr(line + 1, "DejaVu")) {
        char *eol = strchr(line, '\n');
        ck_assert_msg(eol != NULL && memmem(line, (size_t)(eol - line), " yes ", 5) != NULL,
                      "font not embedded: %.*s", (int)(eol ? eol - line : 40), line);
    }
    free(fonts);
    free(pdf);
    rpt_doc_free(d);
}
END_TEST

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = '\0';
}

START_TEST(test_html)
{
    struct rpt_doc *d = sample(12);
    char *html = NULL, *style, *end, hex[65], want[128], b[48];
    unsigned char digest[32];
    size_t len = 0;

    ck_assert_int_eq(rpt_render_html(d, &html, &len), VALOR_OK);
    save("report-sample.html", html, len);
    ck_assert_uint_eq(strlen(html), len);
    ck_assert_int_eq(strncmp(html, "<!DOCTYPE html>", 15), 0);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "\r"));
    ck_assert_ptr_null(strstr(html, "X-Injected: yes\n"));
    ck_assert_ptr_nonnull(
        strstr(html, "Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;  X-Inj"));
    ck_assert_ptr_nonnull(strstr(html, "<span class=\"value\" id=\"per-share\">10.64</span>"));
    ck_assert_ptr_nonnull(strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    for (const char *u = strstr(html, "http"); u != NULL; u = strstr(u + 1, "http"))
        ck_assert_msg(strncmp(u, "http://www.w3.org/2000/svg", 26) == 0, "a URL: %.40s", u);
    ck_assert_ptr_null(strstr(html, " style=\""));
    ck_assert_ptr_null(strstr(html, "src="));
    ck_assert_ptr_null(strstr(html, "href="));
    /* the CSP allows exactly this style element */
    style = strstr(html, "<style>");
    ck_assert_ptr_nonnull(style);
    style += 7;
    end = strstr(style, "</style>");
    ck_assert_ptr_nonnull(end);
    ck_assert_ptr_null(strstr(end + 1, "<style"));
    ck_assert_int_eq(crypto_sha256_hex(style, (size_t)(end - style), hex), VALOR_OK);
    for (int i = 0; i < 32; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        digest[i] = (unsigned char)v;
    }
    b64(digest, 32, b);
    snprintf(want, sizeof(want), "style-src 'sha256-%s'", b);
    ck_assert_msg(strstr(rpt_html_csp(), want) != NULL, "%s vs %s", rpt_html_csp(), want);
    ck_assert_ptr_nonnull(strstr(rpt_html_csp(), "default-src 'none'"));
    free(html);
    rpt_doc_free(d);
}
END_TEST

START_TEST(test_png_of_first_page)
{
    char cmd[1400];
    struct stat st;

    if (access(path("report-sample.pdf"), R_OK) != 0)
        return; /* test_pdf failed */
    snprintf(cmd, sizeof(cmd), "pdftoppm -png -r 80 -f 1 -l 1 -singlefile '%s' '%s' 2>&1",
             path("report-sample.pdf"), path("report-sample-page1"));
    free(run(cmd));
    ck_assert_int_eq(stat(path("report-sample-page1.png"), &st), 0);
    ck_assert_int_gt(st.st_size, 10000);
}
END_TEST

START_TEST(test_init_and_memory)
{
    char why[256];
    int rc = rpt_init(why, sizeof(why));
    ck_assert_msg(rc == VALOR_OK, "rpt_init: %s", why);
    /* a document that ran out of memory is refused by both renderers */
    for (int i = 0; i < 3; i++) {
        struct rpt_doc *d = sample(5);
        char *out = NULL;
        size_t len = 0;
        ck_assert_int_eq(rpt_render_pdf(d, &out, &len), VALOR_OK);
        free(out);
        ck_assert_int_eq(rpt_render_html(d, &out, &len), VALOR_OK);
        free(out);
        rpt_doc_free(d);
    }
}
END_TEST

/* Each test runs in its own process: release the font caches before it exits. */
static void release_fonts(void)
{
    rpt_shutdown();
}

int main(void)
{
    Suite *s = suite_create("report-render");
    TCase *tc = tcase_create("render");
    const char *root = getenv("VALOR_TEST_LOGS");

    snprintf(dir, sizeof(dir), "%s", root != NULL && *root ? root : ".run/test-logs");
    mkdir(".run", 0755);
    mkdir(dir, 0755);
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, release_fonts);
    tcase_add_test(tc, test_pdf);
    tcase_add_test(tc, test_html);
    tcase_add_test(tc, test_png_of_first_page);
    tcase_add_test(tc, test_init_and_memory);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
