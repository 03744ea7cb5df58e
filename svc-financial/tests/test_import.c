/* The importer against real PostgreSQL: the seed dataset loads, twice
 * (idempotent), bad files are refused whole with line numbers. */
#include <sys/stat.h>

#include "fintest.h"

static struct ft T;

static void setup(void)
{
    unsetenv("ALPHA_VANTAGE_API_KEY");
    ft_start(&T, "imp");
}

static void teardown(void)
{
    ft_stop(&T);
}

static const char *SEED[] = {"svc-financial/data/seed/companies.json",
                             "svc-financial/data/seed/prices.csv", NULL};

START_TEST(test_seed_loads_idempotently)
{
    struct fin_import_stats st;
    ck_assert_int_eq(ft_import(&T, SEED, NULL, &st), 0);
    ck_assert_int_eq(st.companies_changed, 10);
    ck_assert_int_eq(st.price_rows, 2510);
    ck_assert_int_eq(st.price_rows_changed, 2510);
    ck_assert_int_eq(ft_count(&T, "companies", "tenant_id IS NULL"), 10);
    ck_assert_int_eq(ft_count(&T, "income_statements", "true"), 30);
    ck_assert_int_eq(ft_count(&T, "balance_sheets", "true"), 30);
    ck_assert_int_eq(ft_count(&T, "cash_flows", "true"), 30);
    ck_assert_int_eq(ft_count(&T, "daily_prices", "true"), 2510);
    /* every ticker has a year of prices */
    char where[256];
    snprintf(where, sizeof(where),
             "price_date >= '2022-12-30' AND price_date <= '2023-12-29' AND ticker IN "
             "(SELECT ticker FROM \"%s\".companies)",
             T.schema);
    ck_assert_int_eq(ft_count(&T, "daily_prices", where), 2510);
    long events = ft_count(&T, "outbox", "subject = 'valor.events.system.company.updated'");
    ck_assert_int_eq(events, 20); /* one per company, one per ticker's prices */

    ck_assert_int_eq(ft_import(&T, SEED, NULL, &st), 0);
    ck_assert_int_eq(st.companies_changed, 0);
    ck_assert_int_eq(st.companies_unchanged, 10);
    ck_assert_int_eq(st.price_rows_changed, 0);
    ck_assert_int_eq(ft_count(&T, "companies", "true"), 10);
    ck_assert_int_eq(ft_count(&T, "income_statements", "true"), 30);
    ck_assert_int_eq(ft_count(&T, "daily_prices", "true"), 2510);
    ck_assert_int_eq(ft_count(&T, "outbox", "true"), events); /* nothing changed, no event */
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Imports one file; returns rc, the report in rep. */
static int import_one(const char *path, char *rep, size_t len)
{
    const char *files[] = {path, NULL};
    struct fin_import_stats st;
    FILE *r = fmemopen(rep, len, "w");
    int rc = ft_import(&T, files, r, &st);
    fclose(r);
    return rc;
}

START_TEST(test_bad_csv_imports_nothing)
{
    char path[128], rep[4096] = "";
    snprintf(path, sizeof(path), "/tmp/fin-%d-bad.csv", (int)getpid());
    write_file(path, "ticker,date,open,high,low,close,volume\n"
                     "AAPL,2023-01-03,130,131,129,130.5,100\n"
                     "AAPL,2023-01-04,130,131,129,oops,100\n"
                     "AAPL,2023-01-05,130,131,129,130.5\n");
    ck_assert_int_eq(import_one(path, rep, sizeof(rep)), VALOR_E_INVALID);
    ck_assert_msg(strstr(rep, ":3: close must be a positive number") != NULL, "%s", rep);
    ck_assert_msg(strstr(rep, ":4: expected 7 columns, got 6") != NULL, "%s", rep);
    ck_assert_msg(strstr(rep, "nothing imported") != NULL, "%s", rep);
    ck_assert_int_eq(ft_count(&T, "daily_prices", "true"), 0);
    unlink(path);

    /* the ticker from the file name when there is no ticker column */
    snprintf(path, sizeof(path), "/tmp/fin-%d-ok/brk.b.csv", (int)getpid());
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/fin-%d-ok", (int)getpid());
    mkdir(dir, 0700);
    write_file(path, "date,open,high,low,close,volume\n2023-01-03,300,310,295,305,1000\n");
    ck_assert_int_eq(import_one(path, rep, sizeof(rep)), 0);
    ck_assert_int_eq(ft_count(&T, "daily_prices", "ticker = 'BRK.B' AND close = 305"), 1);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_bad_json_imports_nothing)
{
    char path[128], rep[4096] = "";
    snprintf(path, sizeof(path), "/tmp/fin-%d-bad.json", (int)getpid());
    write_file(path, "[{\"ticker\":\"GOOD\",\"company_name\":\"Good Co\"},\n"
                     " {\"ticker\":\"BAD\",\"company_name\":\"Bad Co\",\"revenue\":\"lots\"}]\n");
    ck_assert_int_eq(import_one(path, rep, sizeof(rep)), VALOR_E_INVALID);
    ck_assert_msg(strstr(rep, "item 1 (BAD): revenue: must be a number or null") != NULL, "%s",
                  rep);
    ck_assert_int_eq(ft_count(&T, "companies", "true"), 0);

    write_file(path, "{\"ticker\":\"X\",\n \"company_name\": }\n");
    ck_assert_int_eq(import_one(path, rep, sizeof(rep)), VALOR_E_INVALID);
    ck_assert_msg(strstr(rep, ":2:") != NULL && strstr(rep, "invalid JSON") != NULL, "%s", rep);

    write_file(path, "[{\"ticker\":\"DUP\",\"company_name\":\"A\"},"
                     "{\"ticker\":\"dup\",\"company_name\":\"B\"}]");
    ck_assert_int_eq(import_one(path, rep, sizeof(rep)), VALOR_E_INVALID);
    ck_assert_msg(strstr(rep, "appears twice") != NULL, "%s", rep);
    ck_assert_int_eq(ft_count(&T, "companies", "true"), 0);

    /* one object (not an array) is fine */
    write_file(path, "{\"ticker\":\"one\",\"company_name\":\"One Co\",\"source\":\"test\"}");
    ck_assert_int_eq(import_one(path, rep, sizeof(rep)), 0);
    ck_assert_int_eq(ft_count(&T, "companies", "ticker = 'ONE' AND citation = 'test'"), 1);
    unlink(path);

    ck_assert_int_eq(import_one("/tmp/no-such-file.json", rep, sizeof(rep)), VALOR_E_INVALID);
    ck_assert_msg(strstr(rep, "cannot open") != NULL, "%s", rep);
    ck_assert_int_eq(import_one("svc-financial/src/main.c", rep, sizeof(rep)), VALOR_E_INVALID);
    ck_assert_msg(strstr(rep, "unknown file type") != NULL, "%s", rep);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-financial-import");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_seed_loads_idempotently);
    tcase_add_test(tc, test_bad_csv_imports_nothing);
    tcase_add_test(tc, test_bad_json_imports_nothing);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
