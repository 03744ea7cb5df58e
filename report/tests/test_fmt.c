/* Formatting for people (thousands separators, fixed decimals, negatives in
 * parentheses), safe file names, HTML escaping and the control-character
 * cleaning of document strings: the parts of a report a reader or a
 * browser would notice first. */
#include <math.h>
#include <string.h>

#include "buf.h"
#include "doc.h"
#include "testutil.h"
#include "valor/err.h"
#include "valor/report.h"

static const char *num(double v, int d)
{
    static char buf[RPT_NUM_LEN];
    return rpt_fmt_num(v, d, buf, sizeof(buf));
}

START_TEST(test_numbers)
{
    ck_assert_str_eq(num(0, 2), "0.00");
    ck_assert_str_eq(num(10.6372, 2), "10.64");
    ck_assert_str_eq(num(1895.5788, 1), "1,895.6");
    ck_assert_str_eq(num(1234567.891, 2), "1,234,567.89");
    ck_assert_str_eq(num(999.995, 2), "1,000.00"); /* rounding carries into a new group */
    ck_assert_str_eq(num(0.975, 2), "0.98");       /* stored as 0.97499999999999997779 */
    ck_assert_str_eq(num(2.675, 2), "2.68");
    ck_assert_str_eq(num(-1.005, 2), "(1.01)");
    ck_assert_str_eq(num(0.974, 2), "0.97");
    ck_assert_str_eq(num(100, 0), "100");
    ck_assert_str_eq(num(1000, 0), "1,000");
    ck_assert_str_eq(num(-1234.5, 2), "(1,234.50)");
    ck_assert_str_eq(num(-0.004, 2), "0.00"); /* no "(0.00)" */
    ck_assert_str_eq(num(-0.0, 1), "0.0");
    ck_assert_str_eq(num(-7, 0), "(7)");
    ck_assert_str_eq(num(NAN, 2), "n/a");
    ck_assert_str_eq(num(INFINITY, 2), "n/a");
    ck_assert_str_eq(num(2.5, 9), "2.500000"); /* decimals capped at 6 */
    ck_assert_str_eq(num(2.5e15, 2), "2.50e+15");
    ck_assert_str_eq(num(-3e20, 1), "(3.00e+20)");
}
END_TEST

START_TEST(test_percent_and_multiples)
{
    char buf[RPT_NUM_LEN];
    ck_assert_str_eq(rpt_fmt_pct(0.0925, 2, buf, sizeof(buf)), "9.25%");
    ck_assert_str_eq(rpt_fmt_pct(0.7424, 1, buf, sizeof(buf)), "74.2%");
    ck_assert_str_eq(rpt_fmt_pct(-0.025, 2, buf, sizeof(buf)), "(2.50%)");
    ck_assert_str_eq(rpt_fmt_pct(0.178921, 2, buf, sizeof(buf)), "17.89%");
    ck_assert_str_eq(rpt_fmt_pct(12.5, 0, buf, sizeof(buf)), "1,250%");
    ck_assert_str_eq(rpt_fmt_pct(NAN, 2, buf, sizeof(buf)), "n/a");
    ck_assert_str_eq(rpt_fmt_mult(2.2773, 2, buf, sizeof(buf)), "2.28x");
    ck_assert_str_eq(rpt_fmt_mult(-0.5, 1, buf, sizeof(buf)), "(0.5x)");
    /* a small buffer is cut, never overrun */
    ck_assert_str_eq(rpt_fmt_num(1234567.0, 0, buf, 5), "1,23");
}
END_TEST

START_TEST(test_filenames)
{
    char f[256];
    const char *id = "6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b";

    ck_assert_int_eq(rpt_filename("dcf_report", "AAPL", id, "pdf", f, sizeof(f)), VALOR_OK);
    ck_assert_str_eq(f, "dcf_report_AAPL_6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b.pdf");
    ck_assert_int_eq(
        rpt_filename("lbo_report", "Acme \"Holdings\"\r\nSet-Cookie: x=1", id, "pdf", f, sizeof(f)),
        VALOR_OK);
    ck_assert_str_eq(f, "lbo_report_Acme__Holdings___Set-Cookie__x_1_"
                        "6f1c0f5e-2d7b-4b8e-9a51-3c2d1e0f9a8b.pdf");
    ck_assert_int_eq(rpt_filename("ma_report", "../../etc/passwd", "x", "html", f, sizeof(f)),
                     VALOR_OK);
    ck_assert_str_eq(f, "ma_report_.._.._etc_passwd_x.html");
    ck_assert_ptr_null(strchr(f, '/'));
    /* one '_' per non-ASCII character, not per byte */
    ck_assert_int_eq(
        rpt_filename("ma_report", "Z\xc3\xbcrich \xe2\x82\xac", "x", "pdf", f, sizeof(f)),
        VALOR_OK);
    ck_assert_str_eq(f, "ma_report_Z_rich___x.pdf");
    ck_assert_int_eq(rpt_filename("ma_report", "", "x", "pdf", f, sizeof(f)), VALOR_OK);
    ck_assert_str_eq(f, "ma_report_unnamed_x.pdf");
    /* long names are cut to 64 characters */
    {
        char name[300];
        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        ck_assert_int_eq(rpt_filename("lbo_report", name, "x", "pdf", f, sizeof(f)), VALOR_OK);
        ck_assert_uint_eq(strlen(f), strlen("lbo_report_") + 64 + strlen("_x.pdf"));
    }
    ck_assert_int_eq(rpt_filename("lbo_report", "a", "x", "pdf", f, 20), VALOR_E_INVALID);
    for (const char *p = f; *p; p++)
        ck_abort_msg("a refused name leaves an empty buffer");
}
END_TEST

START_TEST(test_html_escaping)
{
    struct rpt_buf b = {0};
    char *out;
    size_t len;

    rpt_buf_html(&b, "<script>alert('x')</script> & \"q\"");
    ck_assert_int_eq(rpt_buf_take(&b, &out, &len), VALOR_OK);
    ck_assert_str_eq(out, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    ck_assert_uint_eq(len, strlen(out));
    free(out);
    rpt_buf_html(&b, "plain, nothing to do");
    ck_assert_int_eq(rpt_buf_take(&b, &out, &len), VALOR_OK);
    ck_assert_str_eq(out, "plain, nothing to do");
    free(out);
    ck_assert_int_eq(rpt_buf_take(&b, &out, &len), VALOR_E_NOMEM); /* empty: nothing to take */
}
END_TEST

/* A block's value set: each value in its own buffer, "" once the set is full. */
START_TEST(test_value_sets)
{
    struct rpt_vals s = {0};
    const char *first = rpt_vals_num(&s, -1234.5, 2), *second = rpt_vals_pct(&s, 0.0925, 2);

    ck_assert_str_eq(first, "(1,234.50)");
    ck_assert_str_eq(second, "9.25%");
    ck_assert_str_eq(rpt_vals_mult(&s, 2.2773, 2), "2.28x");
    ck_assert_str_eq(first, "(1,234.50)"); /* still intact after later values */
    while (s.n < RPT_VALS_MAX)
        ck_assert_ptr_nonnull(rpt_vals_next(&s));
    ck_assert_ptr_null(rpt_vals_next(&s));
    ck_assert_str_eq(rpt_vals_num(&s, 1, 0), "");
    ck_assert_str_eq(rpt_vals_pct(&s, 1, 0), "");
    ck_assert_str_eq(rpt_vals_mult(&s, 1, 0), "");
    ck_assert_str_eq(second, "9.25%");
}
END_TEST

START_TEST(test_strings_lose_controls)
{
    struct rpt_doc_info info = {"Deal\r\nX-Injected: 1", "a\tb", "t", "u\x01", "r"};
    struct rpt_doc *d = NULL;

    ck_assert_int_eq(rpt_doc_new(&info, &d), VALOR_OK);
    ck_assert_str_eq(d->info.title, "Deal  X-Injected: 1");
    ck_assert_str_eq(d->info.subtitle, "a b");
    ck_assert_str_eq(d->info.author, "u ");
    ck_assert_str_eq(rpt_doc_str(d, "caf\xc3\xa9\x7f"), "caf\xc3\xa9 "); /* UTF-8 kept */
    ck_assert_str_eq(rpt_doc_str(d, NULL), "");
    rpt_doc_free(d);
}
END_TEST

START_TEST(test_document_limits)
{
    struct rpt_doc_info info = {"T", NULL, "t", "u", "r"};
    struct rpt_doc *d = NULL;
    struct rpt_table *t = NULL;
    struct rpt_col cols[RPT_MAX_COLS + 1] = {{0}};
    double v[2] = {1, 2};
    const char *cats[2] = {"a", "b"};
    struct rpt_series s = {"s", RPT_SERIES_BARS, v};
    struct rpt_bar_chart c = {"c", "", 2, cats, 1, &s, 0};

    ck_assert_int_eq(rpt_doc_new(&info, &d), VALOR_OK);
    ck_assert_int_eq(rpt_add_table(d, cols, 0, &t), VALOR_E_INVALID);
    ck_assert_int_eq(rpt_add_table(d, cols, RPT_MAX_COLS + 1, &t), VALOR_E_INVALID);
    ck_assert_int_eq(rpt_add_table(d, cols, 2, &t), VALOR_OK);
    for (int i = 0; i < 1000; i++) /* grows past the first arena chunk */
        ck_assert_int_eq(rpt_table_row(t, NULL, 0), VALOR_OK);
    ck_assert_uint_eq(t->nrows, 1000);
    ck_assert_str_eq(t->rows[999].cells[1], "");
    ck_assert_int_eq(rpt_add_bar_chart(d, &c), VALOR_OK);
    c.ncats = 0;
    ck_assert_int_eq(rpt_add_bar_chart(d, &c), VALOR_E_INVALID);
    v[0] = 99; /* the document kept its own copy */
    ck_assert(d->blocks[d->nblocks - 1].u.bars.series[0].values[0] == 1.0);
    rpt_doc_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report-fmt");
    TCase *tc = tcase_create("fmt");
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_percent_and_multiples);
    tcase_add_test(tc, test_filenames);
    tcase_add_test(tc, test_html_escaping);
    tcase_add_test(tc, test_value_sets);
    tcase_add_test(tc, test_strings_lose_controls);
    tcase_add_test(tc, test_document_limits);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
