/* The Alpha Vantage provider against a fake Alpha Vantage on loopback (the
 * common http module on port 0) serving payloads in the shape of Alpha
 * Vantage's documented answers, its throttle notes and broken answers; the
 * fake counts its hits per function and symbol. */
#include <pthread.h>
#include <stdatomic.h>

#include "fintest.h"
#include "lookup.h"
#include "valor/kv.h"

static struct ft T;
static struct http_server *fake;
static char TA[32];
static char *viewer;

enum { F_OVERVIEW, F_INCOME, F_BALANCE, F_CASH, NF };
#define NSYM 13
static const char *const SYMS[NSYM] = {"FAKE",   "SLOW",   "THROT",   "INFO",   "BADJ",
                                       "EMPTY",  "BADNUM", "HTTP500", "CACHED", "ERRMSG",
                                       "NOSTMT", "DOWN",   "REPL"};
static atomic_int hits[NSYM][NF];

static int sym_index(const char *s)
{
    for (int i = 0; s != NULL && i < NSYM; i++)
        if (strcmp(SYMS[i], s) == 0)
            return i;
    return -1;
}

#define OVERVIEW_FMT                                                                               \
    "{\"Symbol\":\"%s\",\"AssetType\":\"Common Stock\",\"Name\":\"%s Corporation\","               \
    "\"Description\":\"A test company.\",\"Exchange\":\"NYSE\",\"Currency\":\"USD\","              \
    "\"Country\":\"USA\",\"Sector\":\"TECHNOLOGY\",\"Industry\":\"SOFTWARE\","                     \
    "\"FiscalYearEnd\":\"December\",\"LatestQuarter\":\"2024-03-31\","                             \
    "\"MarketCapitalization\":\"1.5E11\",\"EBITDA\":\"14532000000\",\"PERatio\":\"None\","         \
    "\"PEGRatio\":\"-\",\"BookValue\":\"24.6\",\"EPS\":\"8.14\",\"ProfitMargin\":\"0.121\","       \
    "\"OperatingMarginTTM\":\"0.167\",\"ReturnOnAssetsTTM\":\"0.0456\","                           \
    "\"ReturnOnEquityTTM\":\"0.363\",\"RevenueTTM\":\"61860000000\","                              \
    "\"QuarterlyRevenueGrowthYOY\":\"0.041\",\"PriceToBookRatio\":\"7.67\",\"Beta\":\"%s\","       \
    "\"SharesOutstanding\":\"916330000\"}"

static const char *INCOME =
    "{\"symbol\":\"X\",\"annualReports\":[{\"fiscalDateEnding\":\"2023-12-31\","
    "\"reportedCurrency\":\"USD\",\"grossProfit\":\"34300000000\",\"totalRevenue\":"
    "\"61860000000\",\"costOfRevenue\":\"27560000000\",\"operatingIncome\":\"None\","
    "\"netIncome\":\"7502000000\",\"ebit\":\"10297000000\",\"ebitda\":\"14692000000\"},"
    "{\"fiscalDateEnding\":\"2022-12-31\",\"reportedCurrency\":\"USD\",\"totalRevenue\":"
    "\"60530000000\",\"ebit\":\"2372000000\",\"netIncome\":\"1639000000\"}],"
    "\"quarterlyReports\":[]}";
static const char *BALANCE =
    "{\"symbol\":\"X\",\"annualReports\":[{\"fiscalDateEnding\":\"2023-12-31\","
    "\"totalAssets\":\"135241000000\",\"totalCurrentAssets\":\"32908000000\","
    "\"totalLiabilities\":\"112628000000\",\"totalCurrentLiabilities\":\"34122000000\","
    "\"totalShareholderEquity\":\"22533000000\",\"shortLongTermDebtTotal\":\"56548000000\","
    "\"cashAndCashEquivalentsAtCarryingValue\":\"13068000000\",\"inventory\":\"1161000000\","
    "\"currentNetReceivables\":\"None\",\"currentAccountsPayable\":\"4132000000\"}]}";
static const char *CASH =
    "{\"symbol\":\"X\",\"annualReports\":[{\"fiscalDateEnding\":\"2023-12-31\","
    "\"operatingCashflow\":\"13931000000\",\"cashflowFromInvestment\":\"-7070000000\","
    "\"cashflowFromFinancing\":\"-5948000000\",\"capitalExpenditures\":\"1852000000\"}]}";

static void fake_reply(struct http_ctx *ctx, unsigned status, const char *body)
{
    ulfius_set_string_body_response(ctx->resp, status, body);
    u_map_put(ctx->resp->map_header, "Content-Type", "application/json");
}

static void fake_query(struct http_ctx *ctx)
{
    const char *fn = http_query(ctx, "function"), *sym = http_query(ctx, "symbol");
    const char *key = http_query(ctx, "apikey");
    int s = sym_index(sym), f;
    char buf[2048];

    if (fn == NULL || key == NULL || strcmp(key, "testkey") != 0) {
        fake_reply(ctx, 200, "{\"Error Message\":\"the parameter apikey is invalid or missing.\"}");
        return;
    }
    f = strcmp(fn, "OVERVIEW") == 0           ? F_OVERVIEW
        : strcmp(fn, "INCOME_STATEMENT") == 0 ? F_INCOME
        : strcmp(fn, "BALANCE_SHEET") == 0    ? F_BALANCE
        : strcmp(fn, "CASH_FLOW") == 0        ? F_CASH
                                              : -1;
    if (s < 0 || f < 0) {
        fake_reply(ctx, 200, "{}");
        return;
    }
    atomic_fetch_add(&hits[s][f], 1);
    if ((strcmp(sym, "SLOW") == 0 || strcmp(sym, "REPL") == 0) && f == F_OVERVIEW)
        usleep(400 * 1000); /* every concurrent request arrives while the first is in flight */
    if (strcmp(sym, "THROT") == 0) {
        fake_reply(ctx, 200,
                   "{\"Note\":\"Thank you for using Alpha Vantage! Our standard API call "
                   "frequency is 5 calls per minute and 500 calls per day.\"}");
    } else if (strcmp(sym, "INFO") == 0 && f == F_INCOME) {
        fake_reply(ctx, 200,
                   "{\"Information\":\"Thank you for using Alpha Vantage! Our standard API rate "
                   "limit is 25 requests per day.\"}");
    } else if (strcmp(sym, "BADJ") == 0) {
        fake_reply(ctx, 200, "<html><body>Bad gateway</body></html>");
    } else if (strcmp(sym, "EMPTY") == 0) {
        fake_reply(ctx, 200, "{}");
    } else if (strcmp(sym, "ERRMSG") == 0) {
        fake_reply(ctx, 200,
                   "{\"Error Message\":\"Invalid API call. Please retry or visit the "
                   "documentation for TIME_SERIES_DAILY.\"}");
    } else if (strcmp(sym, "HTTP500") == 0) {
        fake_reply(ctx, 500, "Internal Server Error");
    } else if (strcmp(sym, "NOSTMT") == 0 && f != F_OVERVIEW) {
        fake_reply(ctx, 200, "{}");
    } else if (f == F_OVERVIEW) {
        snprintf(buf, sizeof(buf), OVERVIEW_FMT, sym, sym,
                 strcmp(sym, "BADNUM") == 0 ? "abc" : "0.709");
        fake_reply(ctx, 200, buf);
    } else {
        fake_reply(ctx, 200, f == F_INCOME ? INCOME : f == F_BALANCE ? BALANCE : CASH);
    }
}

static void fake_start(void)
{
    struct http_server_opts o = {.service = "fake-av",
                                 .bind_host = "127.0.0.1",
                                 .port = 0,
                                 .threads = 8,
                                 .max_connections = 64,
                                 .connection_timeout_s = 10,
                                 .max_body_bytes = 1024};
    ck_assert_int_eq(http_server_new(&o, &fake), 0);
    ck_assert_int_eq(http_route(fake, "GET", "/query", fake_query, NULL), 0);
    ck_assert_int_eq(http_server_start(fake), 0);
}

static void fake_stop(void)
{
    if (fake == NULL)
        return;
    http_server_stop(fake, 0);
    http_server_free(fake);
    fake = NULL;
}

/* Forgets what an earlier run cached in the shared Redis. */
static void cache_clear(void)
{
    struct kv_opts o = {.url = tu_env("REDIS_URL")};
    struct kv_client *c = NULL;
    char key[64];
    ck_assert_int_eq(kv_open(&o, &c), 0);
    for (int i = 0; i < NSYM; i++) {
        snprintf(key, sizeof(key), "%s%s", FIN_CACHE_PREFIX, SYMS[i]);
        const char *argv[2] = {"DEL", key};
        size_t len[2] = {3, strlen(key)};
        redisReply *r = NULL;
        ck_assert_int_eq(kv_command_argv(c, 2, argv, len, &r), 0);
        freeReplyObject(r);
    }
    kv_close(c);
}

static void setup(void)
{
    char url[64];
    memset(hits, 0, sizeof(hits));
    fake_start();
    cache_clear();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", http_server_port(fake));
    setenv("ALPHA_VANTAGE_API_KEY", "testkey", 1);
    setenv("ALPHA_VANTAGE_BASE_URL", url, 1);
    setenv("ALPHA_VANTAGE_TIMEOUT_MS", "3000", 1);
    setenv("WORKER_THREADS", "16", 1);
    ft_start(&T, "av");
    snprintf(TA, sizeof(TA), "tp-%d", (int)getpid());
    viewer = tu_token(TA, "u-viewer", "viewer", 600);
}

static void teardown(void)
{
    ft_stop(&T);
    fake_stop();
    cache_clear();
    free(viewer);
}

static int total_hits(const char *sym)
{
    int s = sym_index(sym), n = 0;
    for (int f = 0; f < NF; f++)
        n += atomic_load(&hits[s][f]);
    return n;
}

static json_t *get(const char *path, long status)
{
    return ft_expect(&T, "GET", path, viewer, TA, NULL, status);
}

START_TEST(test_miss_fetches_once_then_store)
{
    json_t *j = get("/api/financial-data/fake", 200);
    json_t *d = json_object_get(j, "data");
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "alpha_vantage");
    ck_assert_str_eq(json_string_value(json_object_get(d, "company_name")), "FAKE Corporation");
    ck_assert(json_is_null(json_object_get(d, "pe_ratio")));
    ck_assert_int_eq(json_integer_value(json_object_get(d, "market_cap")), 150000000000LL);
    ck_assert_int_eq(json_array_size(json_object_get(d, "income_statements")), 2);
    json_decref(j);
    for (int f = 0; f < NF; f++)
        ck_assert_int_eq(atomic_load(&hits[0][f]), 1);

    /* served from the store now: the fake sees nothing more */
    j = get("/api/financial-data/FAKE", 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "alpha_vantage");
    json_decref(j);
    j = get("/api/financial-data/FAKE/dcf-inputs", 200);
    json_t *in = json_object_get(j, "data");
    ck_assert_double_eq_tol(json_number_value(json_object_get(in, "wacc")), 0.04 + 0.709 * 0.055,
                            1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(in, "revenue")), 61860000000.0, 1);
    json_decref(j);
    ck_assert_int_eq(total_hits("FAKE"), 4);
    ck_assert_int_eq(ft_count(&T, "companies",
                              "ticker = 'FAKE' AND tenant_id IS NULL AND "
                              "data_source = 'alpha_vantage'"),
                     1);
    char where[128];
    snprintf(where, sizeof(where), "subject = 'valor.events.%s.company.updated'", TA);
    ck_assert_int_eq(ft_count(&T, "outbox", where), 1);

    /* the store loses it: the Redis cache answers, still no upstream call */
    ck_assert_int_eq(ft_count(&T, "companies", "ticker = 'FAKE'"), 1);
    char sql[160];
    snprintf(sql, sizeof(sql), "DELETE FROM \"%s\".companies WHERE ticker = 'FAKE'", T.schema);
    ft_sql_long(sql);
    j = get("/api/financial-data/FAKE", 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "data"), "company_name")),
                     "FAKE Corporation");
    json_decref(j);
    ck_assert_int_eq(total_hits("FAKE"), 4);
}
END_TEST

struct call {
    long status;
    char body[256];
};

static void *get_thread(void *p)
{
    struct call *c = p;
    struct tu_http_resp r;
    ft_req(&T, "GET", "/api/financial-data/SLOW", viewer, TA, NULL, &r);
    c->status = r.status;
    snprintf(c->body, sizeof(c->body), "%s", r.body);
    tu_http_resp_free(&r);
    return NULL;
}

START_TEST(test_concurrent_misses_fetch_once)
{
    pthread_t th[8];
    struct call calls[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, get_thread, &calls[i]);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(calls[i].status == 200, "request %d: %ld %s", i, calls[i].status,
                      calls[i].body);
    }
    ck_assert_int_eq(atomic_load(&hits[sym_index("SLOW")][F_OVERVIEW]), 1);
    ck_assert_int_eq(total_hits("SLOW"), 4);
    ck_assert_int_eq(ft_count(&T, "companies", "ticker = 'SLOW'"), 1);
}
END_TEST

struct replica_call {
    const struct ft *t;
    long status;
    char body[256];
};

static void *replica_thread(void *p)
{
    struct replica_call *c = p;
    struct tu_http_resp r;
    ft_req(c->t, "GET", "/api/financial-data/REPL", viewer, TA, NULL, &r);
    c->status = r.status;
    snprintf(c->body, sizeof(c->body), "%s", r.body);
    tu_http_resp_free(&r);
    return NULL;
}

/* Three replicas (each its own single-flight table), 50 concurrent first
 * requests for one ticker spread over them: one provider call in all. */
START_TEST(test_replicas_fetch_once)
{
    enum { N = 50 };
    struct ft replicas[2];
    const struct ft *by[3] = {&T, &replicas[0], &replicas[1]};
    pthread_t th[N];
    struct replica_call calls[N];

    ft_start_replica(&T, &replicas[0]);
    ft_start_replica(&T, &replicas[1]);
    for (int i = 0; i < N; i++) {
        calls[i] = (struct replica_call){.t = by[i % 3]};
        ck_assert_int_eq(pthread_create(&th[i], NULL, replica_thread, &calls[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(calls[i].status == 200, "request %d: %ld %s", i, calls[i].status,
                      calls[i].body);
    }
    ck_assert_int_eq(atomic_load(&hits[sym_index("REPL")][F_OVERVIEW]), 1);
    ck_assert_int_eq(total_hits("REPL"), 4);
    ck_assert_int_eq(ft_count(&T, "companies", "ticker = 'REPL'"), 1);
    ft_stop_replica(&replicas[0]);
    ft_stop_replica(&replicas[1]);
}
END_TEST

static void expect_upstream(const char *sym, long status, const char *msg_part, int retry)
{
    char path[96], ra[16] = "";
    struct tu_http_resp r;
    snprintf(path, sizeof(path), "/api/financial-data/%s", sym);
    ft_req(&T, "GET", path, viewer, TA, NULL, &r);
    ck_assert_msg(r.status == status, "%s: %ld %s", sym, r.status, r.body);
    json_t *j = ft_json(&r);
    const char *err = json_string_value(json_object_get(j, "error"));
    ck_assert_msg(err != NULL && strstr(err, msg_part) != NULL, "%s: error %s", sym, r.body);
    ck_assert(json_is_false(json_object_get(j, "success")));
    if (retry)
        ck_assert_msg(tu_http_header(&r, "Retry-After", ra, sizeof(ra)) == 0 &&
                          strcmp(ra, "60") == 0,
                      "%s: Retry-After '%s'", sym, ra);
    json_decref(j);
    tu_http_resp_free(&r);
    char where[64];
    snprintf(where, sizeof(where), "ticker = '%s'", sym);
    ck_assert_int_eq(ft_count(&T, "companies", where), 0); /* nothing stored */
}

START_TEST(test_throttle_and_errors)
{
    expect_upstream("THROT", 503, "rate limit", 1);
    expect_upstream("INFO", 503, "rate limit", 1);
    expect_upstream("HTTP500", 503, "unavailable", 1);
    expect_upstream("BADJ", 502, "malformed", 0);
    expect_upstream("BADNUM", 502, "not a number", 0);
    expect_upstream("EMPTY", 404, "No financial data found for this ticker", 0);
    expect_upstream("ERRMSG", 404, "No financial data found for this ticker", 0);
    /* a throttled ticker is not cached: asking again asks upstream again */
    expect_upstream("THROT", 503, "rate limit", 1);
    ck_assert_int_eq(atomic_load(&hits[sym_index("THROT")][F_OVERVIEW]), 2);
    /* no statements is still a company */
    json_t *j = get("/api/financial-data/NOSTMT", 200);
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "data"), "cash_flows")), 0);
    json_decref(j);
    /* the service is still fine */
    json_decref(get("/api/financial-data/FAKE", 200));
}
END_TEST

START_TEST(test_upstream_down)
{
    fake_stop();
    expect_upstream("DOWN", 503, "unavailable", 1);
    json_t *j = get("/api/financial-data/DOWN/dcf-inputs", 503);
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-financial-provider");
    TCase *tc = tcase_create("alpha_vantage");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_miss_fetches_once_then_store);
    tcase_add_test(tc, test_concurrent_misses_fetch_once);
    tcase_add_test(tc, test_replicas_fetch_once);
    tcase_add_test(tc, test_throttle_and_errors);
    tcase_add_test(tc, test_upstream_down);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
