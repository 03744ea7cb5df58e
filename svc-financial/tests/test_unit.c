/* svc-financial pure logic: tickers, number parsing, <Company> validation,
 * DCF inputs (engines.md §6), Alpha Vantage payloads, price CSV, single-flight. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "av_parse.h"
#include "company.h"
#include "dcf_inputs.h"
#include "fin_util.h"
#include "prices_csv.h"
#include "sflight.h"
#include "testutil.h"
#include "valor/err.h"

START_TEST(test_ticker_rules)
{
    char t[FIN_TICKER_MAX + 1];
    const char *bad[] = {"", "ABCDEFGHIJK", "AB$", "A B", "A/B", "%41", "Ä", "A\tB", NULL};
    for (int i = 0; bad[i] != NULL; i++)
        ck_assert_msg(fin_ticker_norm(bad[i], t) == VALOR_E_INVALID, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(fin_ticker_norm(NULL, t), VALOR_E_INVALID);
    ck_assert_int_eq(fin_ticker_norm("brk.b", t), VALOR_OK);
    ck_assert_str_eq(t, "BRK.B");
    ck_assert_int_eq(fin_ticker_norm("ABCDEFGHIJ", t), VALOR_OK);
    ck_assert_int_eq(fin_ticker_norm("rds-a", t), VALOR_OK);
    ck_assert_str_eq(t, "RDS-A");
}
END_TEST

START_TEST(test_number_parsing)
{
    double v = -1;
    const char *nulls[] = {"None", "none", "-", "", "  ", "null", "N/A", NULL};
    const char *bad[] = {"abc", "1.5x", "0x10", "inf", "-inf", "1e999", "1,000", "--1", "e5", NULL};
    for (int i = 0; nulls[i] != NULL; i++)
        ck_assert_msg(fin_parse_number(nulls[i], &v) == 0, "\"%s\" is not null", nulls[i]);
    ck_assert_int_eq(fin_parse_number(NULL, &v), 0);
    for (int i = 0; bad[i] != NULL; i++)
        ck_assert_msg(fin_parse_number(bad[i], &v) == VALOR_E_INVALID, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(fin_parse_number("1.5E9", &v), 1);
    ck_assert_double_eq(v, 1.5e9);
    ck_assert_int_eq(fin_parse_number("-2.5e-3", &v), 1);
    ck_assert_double_eq(v, -0.0025);
    ck_assert_int_eq(fin_parse_number(" 394328000000 ", &v), 1);
    ck_assert_double_eq(v, 394328000000.0);
    ck_assert_int_eq(fin_parse_number("0.709", &v), 1);
    ck_assert_double_eq_tol(v, 0.709, 1e-12);
    /* integral values become JSON integers, others reals */
    json_t *n = fin_json_number(1.5e9);
    ck_assert(json_is_integer(n) && json_integer_value(n) == 1500000000);
    json_decref(n);
    n = fin_json_number(0.25);
    ck_assert(json_is_real(n));
    json_decref(n);
    ck_assert_ptr_null(fin_json_number(NAN));
}
END_TEST

START_TEST(test_dates)
{
    ck_assert(fin_date_valid("2024-02-29"));
    ck_assert(!fin_date_valid("2023-02-29"));
    ck_assert(!fin_date_valid("2023-13-01"));
    ck_assert(!fin_date_valid("2023-1-01"));
    ck_assert(!fin_date_valid("20230101"));
    ck_assert(!fin_date_valid(NULL));
}
END_TEST

static void expect_invalid(const char *body, const char *ticker, const char *field)
{
    json_t *in = json_loads(body, 0, NULL), *out = NULL;
    const char *cite;
    struct jsonv_err e = {0};
    ck_assert_msg(in != NULL, "test body is not JSON: %s", body);
    ck_assert_msg(fin_company_normalize(in, ticker, &out, &cite, &e) == VALOR_E_INVALID,
                  "accepted %s", body);
    ck_assert_msg(strcmp(e.field, field) == 0, "field %s (%s), expected %s for %s", e.field, e.msg,
                  field, body);
    ck_assert_ptr_null(out);
    json_decref(in);
}

START_TEST(test_company_validation)
{
    expect_invalid("[]", NULL, "body");
    expect_invalid("{\"company_name\":\"X\"}", NULL, "ticker");
    expect_invalid("{\"ticker\":\"A$\",\"company_name\":\"X\"}", NULL, "ticker");
    expect_invalid("{\"ticker\":\"MSFT\",\"company_name\":\"X\"}", "AAPL", "ticker");
    expect_invalid("{\"ticker\":\"AAPL\"}", NULL, "company_name");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":7}", NULL, "company_name");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"revenue\":\"1\"}", NULL,
                   "revenue");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"colour\":1}", NULL, "colour");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"income_statements\":{}}", NULL,
                   "income_statements");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"income_statements\":[{}]}", NULL,
                   "income_statements[0].fiscal_date");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"balance_sheets\":"
                   "[{\"fiscal_date\":\"2023-02-30\"}]}",
                   NULL, "balance_sheets[0].fiscal_date");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"cash_flows\":"
                   "[{\"fiscal_date\":\"2023-01-31\",\"free_cash_flow\":true}]}",
                   NULL, "cash_flows[0].free_cash_flow");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"cash_flows\":"
                   "[{\"fiscal_date\":\"2023-01-31\"},{\"fiscal_date\":\"2023-01-31\"}]}",
                   NULL, "cash_flows[1].fiscal_date");
    expect_invalid("{\"ticker\":\"AAPL\",\"company_name\":\"X\",\"cash_flows\":"
                   "[{\"fiscal_date\":\"2023-01-31\",\"ebit\":1}]}",
                   NULL, "cash_flows[0].ebit");

    /* a valid one: ticker from the path, lower-case in the body, statements sorted */
    json_t *in = json_loads("{\"ticker\":\"aapl\",\"company_name\":\"Apple\",\"beta\":1.2,"
                            "\"revenue\":1.5e9,\"source\":\"10-K\",\"income_statements\":["
                            "{\"fiscal_date\":\"2021-09-25\",\"total_revenue\":1},"
                            "{\"fiscal_date\":\"2023-09-30\",\"total_revenue\":3},"
                            "{\"fiscal_date\":\"2022-09-24\",\"total_revenue\":2}]}",
                            0, NULL),
           *out = NULL;
    const char *cite = NULL;
    struct jsonv_err e = {0};
    ck_assert_int_eq(fin_company_normalize(in, "AAPL", &out, &cite, &e), VALOR_OK);
    ck_assert_str_eq(json_string_value(json_object_get(out, "ticker")), "AAPL");
    ck_assert_str_eq(cite, "10-K");
    ck_assert(json_is_null(json_object_get(out, "market_cap")));
    ck_assert(json_is_null(json_object_get(out, "sector")));
    ck_assert(json_is_integer(json_object_get(out, "revenue")));
    json_t *is = json_object_get(out, "income_statements");
    ck_assert_int_eq(json_array_size(is), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(is, 0), "fiscal_date")),
                     "2023-09-30");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(is, 2), "fiscal_date")),
                     "2021-09-25");
    ck_assert(json_is_null(json_object_get(json_array_get(is, 0), "ebitda")));
    ck_assert_int_eq(json_array_size(json_object_get(out, "cash_flows")), 0);
    json_decref(out);
    json_decref(in);
}
END_TEST

static double dnum(const json_t *o, const char *f)
{
    json_t *v = json_object_get(o, f);
    ck_assert_msg(json_is_number(v), "%s is not a number", f);
    return json_number_value(v);
}

static int has_assumption(const json_t *r, const char *field)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r, "assumptions"), i, a)
    {
        if (strcmp(json_string_value(json_object_get(a, "field")), field) == 0)
            return 1;
    }
    return 0;
}

START_TEST(test_dcf_inputs_worked_example)
{
    json_t *c = json_pack(
        "{s:s, s:s, s:n, s:I, s:[{s:s, s:I, s:I}], s:[{s:s, s:I, s:I, s:I, s:I, s:n}]}", "ticker",
        "EXMPL", "company_name", "Example", "beta", "shares_outstanding", (json_int_t)150000000,
        "income_statements", "fiscal_date", "2023-12-31", "total_revenue", (json_int_t)500000000,
        "operating_income", (json_int_t)110000000, "balance_sheets", "fiscal_date", "2023-12-31",
        "total_assets", (json_int_t)250000000, "total_current_assets", (json_int_t)120000000,
        "total_current_liabilities", (json_int_t)70000000, "cash_and_equivalents",
        (json_int_t)40000000, "total_debt");
    json_t *r = NULL;
    char why[128] = "";
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(fin_dcf_inputs(c, &r, why, sizeof(why)), VALOR_OK);
    ck_assert_double_eq_tol(dnum(r, "revenue"), 500000000.0, 1e-3);
    ck_assert_double_eq_tol(dnum(r, "ebitMargin"), 0.22, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "salesToCap"), 2.0, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "s1NWC"), 0.1, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "s2NWC"), 0.1, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "s3NWC"), 0.1, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "netDebt"), -40000000.0, 1e-6);
    ck_assert_double_eq_tol(dnum(r, "shares"), 150000000.0, 1e-6);
    ck_assert_double_eq_tol(dnum(r, "wacc"), 0.09, 1e-12);     /* beta unknown */
    ck_assert_double_eq_tol(dnum(r, "growthY1"), 0.05, 1e-12); /* one year only */
    ck_assert_double_eq_tol(dnum(r, "growthDecay"), 0.015, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "taxRate"), 0.25, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "termGrowth"), 0.025, 1e-12);
    ck_assert_int_eq((int)dnum(r, "years"), 7);
    ck_assert_int_eq((int)dnum(r, "stage1End"), 3);
    ck_assert_int_eq((int)dnum(r, "stage2End"), 6);
    ck_assert(has_assumption(r, "netDebt"));  /* total_debt null → 0 */
    ck_assert(has_assumption(r, "wacc"));     /* beta null */
    ck_assert(has_assumption(r, "growthY1")); /* fewer than two years */
    ck_assert(!has_assumption(r, "salesToCap"));
    json_decref(r);

    /* beta → wacc, two years → growth, clamped */
    json_object_set_new(c, "beta", json_real(1.0));
    json_array_append_new(json_object_get(c, "income_statements"),
                          json_pack("{s:s, s:I}", "fiscal_date", "2022-12-31", "total_revenue",
                                    (json_int_t)400000000));
    ck_assert_int_eq(fin_dcf_inputs(c, &r, why, sizeof(why)), VALOR_OK);
    ck_assert_double_eq_tol(dnum(r, "wacc"), 0.095, 1e-12);
    ck_assert_double_eq_tol(dnum(r, "growthY1"), 0.25, 1e-12);
    json_decref(r);
    json_object_set_new(c, "beta", json_real(5.0));
    ck_assert_int_eq(fin_dcf_inputs(c, &r, why, sizeof(why)), VALOR_OK);
    ck_assert_double_eq_tol(dnum(r, "wacc"), 0.15, 1e-12);
    json_decref(r);

    /* no shares → refused with a reason */
    json_object_set_new(c, "shares_outstanding", json_null());
    ck_assert_int_eq(fin_dcf_inputs(c, &r, why, sizeof(why)), VALOR_E_INVALID);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(why, "shares"));
    json_decref(c);
}
END_TEST

/* ---- Alpha Vantage payloads ---------------------------------------------- */

START_TEST(test_av_classify)
{
    struct fin_upstream_err u = {0};
    json_t *j = json_loads("{\"Note\":\"Thank you for using Alpha Vantage! Our standard API call "
                           "frequency is 5 calls per minute\"}",
                           0, NULL);
    ck_assert_int_eq(fin_av_classify(j, "OVERVIEW", &u), VALOR_E_UNAVAILABLE);
    ck_assert_int_eq(u.status, 503);
    ck_assert_int_eq(u.retry_after, 60);
    json_decref(j);
    j = json_loads("{\"Information\":\"rate limit is 25 requests per day\"}", 0, NULL);
    ck_assert_int_eq(fin_av_classify(j, "OVERVIEW", &u), VALOR_E_UNAVAILABLE);
    json_decref(j);
    j = json_loads("{}", 0, NULL);
    ck_assert_int_eq(fin_av_classify(j, "OVERVIEW", &u), VALOR_E_NOT_FOUND);
    ck_assert_int_eq(u.status, 404);
    json_decref(j);
    j = json_loads("{\"Error Message\":\"Invalid API call.\"}", 0, NULL);
    ck_assert_int_eq(fin_av_classify(j, "OVERVIEW", &u), VALOR_E_NOT_FOUND);
    json_decref(j);
    j = json_loads("[1]", 0, NULL);
    ck_assert_int_eq(fin_av_classify(j, "OVERVIEW", &u), VALOR_E_INTERNAL);
    ck_assert_int_eq(u.status, 502);
    ck_assert_ptr_nonnull(strstr(u.message, "malformed"));
    json_decref(j);
}
END_TEST

START_TEST(test_av_company)
{
    struct fin_upstream_err u = {0};
    json_t *ov = json_loads(
        "{\"Symbol\":\"IBM\",\"Name\":\"International Business Machines\",\"Currency\":\"USD\","
        "\"Sector\":\"TECHNOLOGY\",\"Industry\":\"None\",\"MarketCapitalization\":\"1.5E11\","
        "\"RevenueTTM\":\"61860000000\",\"Beta\":\"0.709\",\"PERatio\":\"None\","
        "\"PriceToBookRatio\":\"-\",\"SharesOutstanding\":\"916330000\"}",
        0, NULL);
    json_t *is = json_loads("{\"symbol\":\"IBM\",\"annualReports\":["
                            "{\"fiscalDateEnding\":\"2023-12-31\",\"totalRevenue\":\"61860000000\","
                            "\"operatingIncome\":\"None\",\"ebit\":\"10297000000\"},"
                            "{\"fiscalDateEnding\":\"2022-12-31\",\"totalRevenue\":\"6.053E10\"}]}",
                            0, NULL);
    json_t *bs = json_loads("{\"annualReports\":[{\"fiscalDateEnding\":\"2023-12-31\","
                            "\"totalAssets\":\"135241000000\",\"longTermDebt\":\"50000000000\","
                            "\"shortTermDebt\":\"6548000000\",\"cashAndCashEquivalentsAtCarrying"
                            "Value\":\"13068000000\"}]}",
                            0, NULL);
    json_t *cf = json_loads("{\"annualReports\":[{\"fiscalDateEnding\":\"2023-12-31\","
                            "\"operatingCashflow\":\"13931000000\","
                            "\"capitalExpenditures\":\"1852000000\"}]}",
                            0, NULL);
    json_t *c = NULL;
    ck_assert_int_eq(fin_av_company("IBM", ov, is, bs, cf, &c, &u), VALOR_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "company_name")),
                     "International Business Machines");
    ck_assert(json_is_null(json_object_get(c, "industry")));
    ck_assert(json_is_null(json_object_get(c, "pe_ratio")));
    ck_assert(json_is_null(json_object_get(c, "pb_ratio")));
    ck_assert_int_eq(json_integer_value(json_object_get(c, "market_cap")), 150000000000LL);
    ck_assert_double_eq_tol(json_real_value(json_object_get(c, "beta")), 0.709, 1e-12);
    json_t *is1 = json_array_get(json_object_get(c, "income_statements"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(is1, "total_revenue")), 60530000000LL);
    json_t *bs0 = json_array_get(json_object_get(c, "balance_sheets"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(bs0, "total_debt")), 56548000000LL);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "cash")), 13068000000LL);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "ebit")), 10297000000LL);
    json_t *cf0 = json_array_get(json_object_get(c, "cash_flows"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(cf0, "free_cash_flow")), 12079000000LL);
    /* what the provider builds passes the upload validation unchanged */
    json_t *again = NULL;
    const char *cite;
    struct jsonv_err e = {0};
    ck_assert_msg(fin_company_normalize(c, "IBM", &again, &cite, &e) == VALOR_OK, "%s: %s", e.field,
                  e.msg);
    ck_assert(json_equal(again, c));
    json_decref(again);
    json_decref(c);

    /* a bad number or no name → 502, never a crash */
    json_object_set_new(ov, "Beta", json_string("high"));
    ck_assert_int_eq(fin_av_company("IBM", ov, is, bs, cf, &c, &u), VALOR_E_INTERNAL);
    ck_assert_int_eq(u.status, 502);
    ck_assert_ptr_null(c);
    json_object_set_new(ov, "Beta", json_string("1"));
    json_object_del(ov, "Name");
    ck_assert_int_eq(fin_av_company("IBM", ov, is, bs, cf, &c, &u), VALOR_E_INTERNAL);
    json_object_set_new(ov, "Name", json_string("IBM"));
    json_object_set_new(is, "annualReports", json_string("oops"));
    ck_assert_int_eq(fin_av_company("IBM", ov, is, bs, cf, &c, &u), VALOR_E_INTERNAL);
    /* no statements at all is fine */
    ck_assert_int_eq(fin_av_company("IBM", ov, NULL, NULL, NULL, &c, &u), VALOR_OK);
    ck_assert_int_eq(json_array_size(json_object_get(c, "income_statements")), 0);
    json_decref(c);
    /* a fiscal year listed twice keeps its first report, and the result is
     * still a valid <Company> (an input of the av_parse fuzz target) */
    json_t *dup = json_loads("{\"annualReports\":[{\"fiscalDateEnding\":\"2023-12-31\","
                             "\"totalAssets\":\"11000\"},{\"fiscalDateEnding\":\"2023-12-31\","
                             "\"totalAssets\":\"22000\"},{\"fiscalDateEnding\":\"2022-12-31\"}]}",
                             0, NULL);
    ck_assert_int_eq(fin_av_company("IBM", ov, NULL, dup, NULL, &c, &u), VALOR_OK);
    json_t *sheets = json_object_get(c, "balance_sheets");
    ck_assert_int_eq(json_array_size(sheets), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(sheets, 0), "total_assets")),
                     11000);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(sheets, 1), "fiscal_date")),
                     "2022-12-31");
    ck_assert_msg(fin_company_normalize(c, "IBM", &again, &cite, &e) == VALOR_OK, "%s: %s", e.field,
                  e.msg);
    json_decref(again);
    json_decref(c);
    json_decref(dup);
    json_decref(ov);
    json_decref(is);
    json_decref(bs);
    json_decref(cf);
}
END_TEST

/* ---- price CSV ------------------------------------------------------------ */

static int parse_csv(const char *text, const char *def, char *report, size_t rlen, json_t **rows)
{
    FILE *f = fmemopen(report, rlen, "w");
    int rc = fin_prices_csv_parse("p.csv", text, strlen(text), def, f, rows);
    fclose(f);
    return rc;
}

START_TEST(test_csv_errors_have_line_numbers)
{
    char rep[4096] = "";
    json_t *rows = NULL;
    const char *bad = "# comment\n"
                      "ticker,date,open,high,low,close,volume\n"
                      "AAPL,2023-01-03,130,131,129,130.5,100\n"
                      "AAPL,2023-13-03,130,131,129,130.5,100\n"
                      "AAPL,2023-01-04,abc,131,129,130.5,100\n"
                      "\n"
                      "AAPL,2023-01-05,130,131,129,130.5\n"
                      "AAPL,2023-01-06,130,128,129,130.5,100\n"
                      "AAPL,2023-01-09,130,131,129,130.5,-5\n"
                      "AAPL,2023-01-03,130,131,129,130.5,100\n"
                      "A$PL,2023-01-10,130,131,129,130.5,100\n";
    ck_assert_int_eq(parse_csv(bad, NULL, rep, sizeof(rep), &rows), 7);
    ck_assert_ptr_null(rows);
    ck_assert_msg(strstr(rep, "p.csv:4: date") != NULL, "%s", rep);
    ck_assert_msg(strstr(rep, "p.csv:5: open") != NULL, "%s", rep);
    ck_assert_msg(strstr(rep, "p.csv:7: expected 7 columns") != NULL, "%s", rep);
    ck_assert_msg(strstr(rep, "p.csv:8: prices inconsistent") != NULL, "%s", rep);
    ck_assert_msg(strstr(rep, "p.csv:9: volume") != NULL, "%s", rep);
    ck_assert_msg(strstr(rep, "p.csv:10: duplicate row for AAPL on 2023-01-03 (first on line 3)") !=
                      NULL,
                  "%s", rep);
    ck_assert_msg(strstr(rep, "p.csv:11: bad ticker") != NULL, "%s", rep);

    ck_assert_int_eq(parse_csv("date,open,high,low,close,volume\n", NULL, rep, sizeof(rep), &rows),
                     1);
    ck_assert_msg(strstr(rep, "no ticker column") != NULL, "%s", rep);
    ck_assert_int_eq(parse_csv("date,open,high,low,close,vol\n", "X", rep, sizeof(rep), &rows), 1);
    ck_assert_msg(strstr(rep, "p.csv:1: unknown column \"vol\"") != NULL, "%s", rep);
    ck_assert_int_eq(parse_csv("# only a comment\n", "X", rep, sizeof(rep), &rows), 1);
    ck_assert_msg(strstr(rep, "no header") != NULL, "%s", rep);
}
END_TEST

START_TEST(test_csv_ok)
{
    char rep[1024] = "";
    json_t *rows = NULL;
    ck_assert_int_eq(parse_csv("Date,Open,High,Low,Close,Volume\r\n"
                               "2023-01-03,130.28,130.90,124.17,125.07,112117471\r\n"
                               "2023-01-04, 126.89 ,128.66,125.08,126.36,89113633\r\n",
                               "aapl", rep, sizeof(rep), &rows),
                     0);
    ck_assert_int_eq(json_array_size(rows), 2);
    json_t *r = json_array_get(rows, 1);
    ck_assert_str_eq(json_string_value(json_object_get(r, "ticker")), "AAPL");
    ck_assert_str_eq(json_string_value(json_object_get(r, "date")), "2023-01-04");
    ck_assert_double_eq_tol(json_real_value(json_object_get(r, "open")), 126.89, 1e-9);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "volume")), 89113633);
    json_decref(rows);
}
END_TEST

/* ---- single-flight -------------------------------------------------------- */

struct sf_arg {
    struct fin_sflight *sf;
    int *work; /* times the work was done */
    pthread_mutex_t *mu;
    int rc;
};

static void *sf_thread(void *p)
{
    struct sf_arg *a = p;
    int leader = 0;
    struct fin_upstream_err u = {0};
    struct fin_flight *f = fin_sflight_join(a->sf, "AAPL", &leader);
    if (leader) {
        usleep(200 * 1000);
        pthread_mutex_lock(a->mu);
        (*a->work)++;
        pthread_mutex_unlock(a->mu);
        u.status = 503;
        u.retry_after = 60;
        fin_sflight_finish(a->sf, f, VALOR_E_UNAVAILABLE, &u);
        a->rc = VALOR_E_UNAVAILABLE;
    } else {
        a->rc = fin_sflight_wait(a->sf, f, &u);
        if (u.status != 503 || u.retry_after != 60)
            a->rc = VALOR_E_INTERNAL;
    }
    fin_sflight_leave(a->sf, f);
    return NULL;
}

START_TEST(test_sflight_one_leader)
{
    struct fin_sflight *sf = NULL;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_t th[8];
    struct sf_arg a[8];
    int work = 0, leader = 0;

    ck_assert_int_eq(fin_sflight_new(&sf), VALOR_OK);
    for (int i = 0; i < 8; i++) {
        a[i] = (struct sf_arg){.sf = sf, .work = &work, .mu = &mu};
        pthread_create(&th[i], NULL, sf_thread, &a[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(a[i].rc, VALOR_E_UNAVAILABLE); /* everyone got the leader's outcome */
    }
    ck_assert_int_eq(work, 1);
    /* the key is free again: a new caller leads */
    struct fin_flight *f = fin_sflight_join(sf, "AAPL", &leader);
    ck_assert_int_eq(leader, 1);
    fin_sflight_finish(sf, f, VALOR_OK, NULL);
    fin_sflight_leave(sf, f);
    fin_sflight_free(sf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-financial-unit");
    TCase *tc = tcase_create("unit");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_ticker_rules);
    tcase_add_test(tc, test_number_parsing);
    tcase_add_test(tc, test_dates);
    tcase_add_test(tc, test_company_validation);
    tcase_add_test(tc, test_dcf_inputs_worked_example);
    tcase_add_test(tc, test_av_classify);
    tcase_add_test(tc, test_av_company);
    tcase_add_test(tc, test_csv_errors_have_line_numbers);
    tcase_add_test(tc, test_csv_ok);
    tcase_add_test(tc, test_sflight_one_leader);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
