#include "valor/err.h"
#include "valor/metrics.h"
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *render(struct metrics_registry *reg)
{
    char *out = NULL;
    size_t len = 0;
    ck_assert_int_eq(metrics_render(reg, &out, &len), VALOR_OK);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

/* Value of the sample line that starts with `prefix` + ' ', NaN when absent. */
static double sample(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return NAN;
}

/* Every line is a HELP/TYPE comment or `name{labels} value` (format 0.0.4). */
static void assert_exposition_format(const char *text)
{
    regex_t re;
    ck_assert_int_eq(
        regcomp(
            &re,
            "^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|"
            "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
            "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\")*)?\\})? "
            "(NaN|[+-]Inf|-?[0-9]+(\\.[0-9]+)?(e[+-][0-9]+)?))$",
            REG_EXTENDED | REG_NOSUB),
        0);
    char *copy = strdup(text), *save = NULL;
    ck_assert_msg(*text == '\0' || text[strlen(text) - 1] == '\n', "no final newline");
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        ck_assert_msg(regexec(&re, l, 0, NULL, 0) == 0, "bad exposition line: [%s]", l);
    free(copy);
    regfree(&re);
}

START_TEST(test_rejects_bad_definitions)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *f = NULL;
    const char *dup_labels[] = {"a", "a"};
    const char *reserved[] = {"__name"};
    const char *le[] = {"le"};
    const char *dash[] = {"a-b"};
    const double unsorted[] = {1, 0.5};
    const double equal[] = {1, 1};
    const double nan_b[] = {NAN};
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "1abc", "h", 0, NULL, NULL, 0, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "a-b", "h", 0, NULL, NULL, 0, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "", "h", 0, NULL, NULL, 0, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "c", "h", 2, dup_labels, NULL, 0, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "c", "h", 1, reserved, NULL, 0, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "c", "h", 1, dash, NULL, 0, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_HISTOGRAM, "h", "h", 1, le, NULL, 0, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_HISTOGRAM, "h", "h", 0, NULL, unsorted, 2, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_HISTOGRAM, "h", "h", 0, NULL, equal, 2, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_HISTOGRAM, "h", "h", 0, NULL, nan_b, 1, &f),
                     VALOR_E_INVALID);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_GAUGE, "g", "h", 0, NULL, NULL, 0, &f),
                     VALOR_OK);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "g", "h", 0, NULL, NULL, 0, &f),
                     VALOR_E_CONFLICT);
    char *out = render(reg);
    ck_assert_str_eq(out, "# HELP g h\n# TYPE g gauge\ng 0\n"); /* nothing half-registered */
    free(out);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_rejects_bad_updates)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *c = NULL, *g = NULL, *h = NULL;
    const char *names[] = {"method"};
    const char *vals_null[] = {NULL};
    const char *vals[] = {"GET"};
    ck_assert_int_eq(
        metrics_family_new(reg, METRICS_COUNTER, "c_total", "h", 1, names, NULL, 0, &c), VALOR_OK);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_GAUGE, "g", "h", 0, NULL, NULL, 0, &g),
                     VALOR_OK);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_HISTOGRAM, "h", "h", 0, NULL, NULL, 0, &h),
                     VALOR_OK);
    ck_assert_int_eq(metrics_counter_add(c, vals, -1), VALOR_E_INVALID);
    ck_assert_int_eq(metrics_counter_add(c, vals, NAN), VALOR_E_INVALID);
    ck_assert_int_eq(metrics_counter_add(c, NULL, 1), VALOR_E_INVALID);
    ck_assert_int_eq(metrics_counter_add(c, vals_null, 1), VALOR_E_INVALID);
    ck_assert_int_eq(metrics_gauge_set(c, vals, 1), VALOR_E_INVALID); /* wrong type */
    ck_assert_int_eq(metrics_counter_add(g, NULL, 1), VALOR_E_INVALID);
    ck_assert_int_eq(metrics_histogram_observe(g, NULL, 1), VALOR_E_INVALID);
    ck_assert_int_eq(metrics_histogram_observe(h, NULL, NAN), VALOR_E_INVALID);
    char *out = render(reg);
    ck_assert_ptr_null(strstr(out, "c_total{"));
    ck_assert_ptr_nonnull(strstr(out, "\nh_count 0\n"));
    free(out);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_counter_labels_escaped)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *c = NULL;
    const char *names[] = {"method", "endpoint"};
    const char *v1[] = {"GET", "/api/runs/{run_id}"};
    const char *v2[] = {"POST", "evil\\path\"quoted\"\nnewline"};
    ck_assert_int_eq(metrics_family_new(reg, METRICS_COUNTER, "http_requests_total",
                                        "Requests by method.\nSecond \\ line", 2, names, NULL, 0,
                                        &c),
                     VALOR_OK);
    ck_assert_int_eq(metrics_counter_add(c, v1, 1), VALOR_OK);
    ck_assert_int_eq(metrics_counter_add(c, v1, 2), VALOR_OK);
    ck_assert_int_eq(metrics_counter_add(c, v2, 0.5), VALOR_OK);
    char *out = render(reg);
    ck_assert_str_eq(out, "# HELP http_requests_total Requests by method.\\nSecond \\\\ line\n"
                          "# TYPE http_requests_total counter\n"
                          "http_requests_total{method=\"GET\",endpoint=\"/api/runs/{run_id}\"} 3\n"
                          "http_requests_total{method=\"POST\",endpoint="
                          "\"evil\\\\path\\\"quoted\\\"\\nnewline\"} 0.5\n");
    assert_exposition_format(out);
    free(out);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_histogram_default_buckets)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *h = NULL;
    const char *names[] = {"method"};
    const char *v[] = {"GET"};
    ck_assert_int_eq(metrics_family_new(reg, METRICS_HISTOGRAM, "http_request_duration_seconds",
                                        "Latency.", 1, names, NULL, 0, &h),
                     VALOR_OK);
    ck_assert_int_eq(metrics_histogram_observe(h, v, 0.003), VALOR_OK);
    ck_assert_int_eq(metrics_histogram_observe(h, v, 0.005), VALOR_OK); /* le is inclusive */
    ck_assert_int_eq(metrics_histogram_observe(h, v, 0.2), VALOR_OK);
    ck_assert_int_eq(metrics_histogram_observe(h, v, 7), VALOR_OK);
    char *out = render(reg);
    const char *want = "# HELP http_request_duration_seconds Latency.\n"
                       "# TYPE http_request_duration_seconds histogram\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.001\"} 0\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.0025\"} 0\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.005\"} 2\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.01\"} 2\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.025\"} 2\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.05\"} 2\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.1\"} 2\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.25\"} 3\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"0.5\"} 3\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"1\"} 3\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"2.5\"} 3\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"5\"} 3\n"
                       "http_request_duration_seconds_bucket{method=\"GET\",le=\"+Inf\"} 4\n"
                       "http_request_duration_seconds_sum{method=\"GET\"} 7.208\n"
                       "http_request_duration_seconds_count{method=\"GET\"} 4\n";
    ck_assert_str_eq(out, want);
    assert_exposition_format(out);
    free(out);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_histogram_custom_buckets_no_labels)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *h = NULL;
    const double b[] = {1, 10, INFINITY}; /* a trailing +Inf is not doubled */
    ck_assert_int_eq(
        metrics_family_new(reg, METRICS_HISTOGRAM, "batch_size", "Rows.", 0, NULL, b, 3, &h),
        VALOR_OK);
    ck_assert_int_eq(metrics_histogram_observe(h, NULL, 10), VALOR_OK);
    ck_assert_int_eq(metrics_histogram_observe(h, NULL, 11), VALOR_OK);
    char *out = render(reg);
    ck_assert_str_eq(out, "# HELP batch_size Rows.\n# TYPE batch_size histogram\n"
                          "batch_size_bucket{le=\"1\"} 0\nbatch_size_bucket{le=\"10\"} 1\n"
                          "batch_size_bucket{le=\"+Inf\"} 2\nbatch_size_sum 21\n"
                          "batch_size_count 2\n");
    free(out);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_value_formatting)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0, "0"},
        {-0.0, "0"},
        {42, "42"},
        {-7, "-7"},
        {1e15, "1000000000000000"},
        {0.1, "0.1"},
        {1.5, "1.5"},
        {0.30000000000000004, "0.30000000000000004"},
        {1e300, "1e+300"},
        {1.0 / 3, "0.3333333333333333"},
        {123456.789e-20, "1.23456789e-15"},
        {NAN, "NaN"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct metrics_registry *reg = metrics_registry_new();
        struct metrics_family *g = NULL;
        ck_assert_int_eq(metrics_family_new(reg, METRICS_GAUGE, "g", "G.", 0, NULL, NULL, 0, &g),
                         VALOR_OK);
        ck_assert_int_eq(metrics_gauge_set(g, NULL, cases[i].v), VALOR_OK);
        char *out = render(reg);
        const char *line = strrchr(out, '\n');
        while (line > out && line[-1] != '\n')
            line--;
        char want[128];
        snprintf(want, sizeof(want), "g %s\n", cases[i].text);
        ck_assert_str_eq(line, want);
        assert_exposition_format(out);
        free(out);
        metrics_registry_free(reg);
    }
}
END_TEST

START_TEST(test_gauge_set_and_add)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *g = NULL;
    const char *names[] = {"state"};
    const char *idle[] = {"idle"};
    ck_assert_int_eq(metrics_family_new(reg, METRICS_GAUGE, "db_pool_connections", "Pool.", 1,
                                        names, NULL, 0, &g),
                     VALOR_OK);
    ck_assert_int_eq(metrics_gauge_set(g, idle, 5), VALOR_OK);
    ck_assert_int_eq(metrics_gauge_add(g, idle, -2), VALOR_OK);
    char *out = render(reg);
    ck_assert_double_eq(sample(out, "db_pool_connections{state=\"idle\"}"), 3);
    free(out);
    metrics_registry_free(reg);
}
END_TEST

#define THREADS 4
#define ADDS 100000

struct worker_arg {
    struct metrics_family *c, *h;
    int id;
};

static void *count_worker(void *p)
{
    struct worker_arg *a = p;
    char tenant[16];
    for (int i = 0; i < ADDS; i++) {
        snprintf(tenant, sizeof(tenant), "t%d", i % 8); /* several series, created concurrently */
        const char *v[] = {"GET", tenant};
        metrics_counter_add(a->c, v, 1);
        if (i % 10 == 0)
            metrics_histogram_observe(a->h, v, 0.01 * (i % 7));
    }
    return NULL;
}

START_TEST(test_counters_lose_no_increments_under_threads)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *c = NULL, *h = NULL;
    const char *names[] = {"method", "tenant"};
    ck_assert_int_eq(
        metrics_family_new(reg, METRICS_COUNTER, "reqs_total", "R.", 2, names, NULL, 0, &c),
        VALOR_OK);
    ck_assert_int_eq(metrics_family_new(reg, METRICS_HISTOGRAM, "lat", "L.", 2, names, NULL, 0, &h),
                     VALOR_OK);
    pthread_t t[THREADS];
    struct worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct worker_arg){c, h, i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, count_worker, &args[i]), 0);
    }
    for (int i = 0; i < 50; i++) { /* render while writers run */
        char *mid = render(reg);
        free(mid);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *out = render(reg);
    double total = 0, count = 0;
    for (int i = 0; i < 8; i++) {
        char key[64];
        snprintf(key, sizeof(key), "reqs_total{method=\"GET\",tenant=\"t%d\"}", i);
        ck_assert_double_eq(sample(out, key), THREADS * ADDS / 8);
        total += sample(out, key);
        snprintf(key, sizeof(key), "lat_count{method=\"GET\",tenant=\"t%d\"}", i);
        if (!isnan(sample(out, key))) /* observed only for even tenants */
            count += sample(out, key);
    }
    ck_assert_double_eq(total, (double)THREADS * ADDS);
    ck_assert_double_eq(count, (double)THREADS * ADDS / 10);
    assert_exposition_format(out);
    free(out);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_process_collector)
{
    struct metrics_registry *reg = metrics_registry_new();
    struct metrics_family *f = NULL;
    ck_assert_int_eq(metrics_add_process_collector(reg), VALOR_OK);
    ck_assert_int_eq(metrics_add_process_collector(reg), VALOR_OK); /* idempotent */
    ck_assert_int_eq(
        metrics_family_new(reg, METRICS_GAUGE, "process_open_fds", "x", 0, NULL, NULL, 0, &f),
        VALOR_E_CONFLICT);
    char *out = render(reg);
    assert_exposition_format(out);
    ck_assert_ptr_nonnull(strstr(out, "# TYPE process_resident_memory_bytes gauge\n"));
    ck_assert_ptr_nonnull(strstr(out, "# TYPE process_cpu_seconds_total counter\n"));
    ck_assert_ptr_nonnull(strstr(out, "# TYPE process_open_fds gauge\n"));
    ck_assert_ptr_nonnull(strstr(out, "# TYPE process_start_time_seconds gauge\n"));
    double rss = sample(out, "process_resident_memory_bytes");
    double cpu = sample(out, "process_cpu_seconds_total");
    double fds = sample(out, "process_open_fds");
    double start = sample(out, "process_start_time_seconds");
    ck_assert_msg(rss > 100 * 1024, "rss %g", rss);
    ck_assert_msg(cpu >= 0 && cpu < 3600, "cpu %g", cpu);
    ck_assert_msg(fds >= 3, "fds %g", fds);
    double now = (double)time(NULL);
    ck_assert_msg(start > now - 3600 && start <= now + 2, "start %f now %f", start, now);
    free(out);

    int extra[5];
    for (int i = 0; i < 5; i++)
        extra[i] = open("/dev/null", O_RDONLY);
    out = render(reg);
    ck_assert_double_eq(sample(out, "process_open_fds"), fds + 5);
    free(out);
    for (int i = 0; i < 5; i++)
        close(extra[i]);
    metrics_registry_free(reg);
}
END_TEST

START_TEST(test_label_limiter)
{
    struct metrics_label_limiter *l = metrics_label_limiter_new(3);
    ck_assert_str_eq(metrics_label_limit(l, "a"), "a");
    ck_assert_str_eq(metrics_label_limit(l, "b"), "b");
    ck_assert_str_eq(metrics_label_limit(l, "a"), "a");
    ck_assert_str_eq(metrics_label_limit(l, "c"), "c");
    ck_assert_str_eq(metrics_label_limit(l, "d"), "other");
    ck_assert_str_eq(metrics_label_limit(l, "e"), "other");
    ck_assert_str_eq(metrics_label_limit(l, "b"), "b"); /* seen values keep passing */
    ck_assert_str_eq(metrics_label_limit(l, NULL), "other");
    /* the returned pointer outlives the caller's buffer */
    char buf[8] = "c";
    const char *r = metrics_label_limit(l, buf);
    buf[0] = 'z';
    ck_assert_str_eq(r, "c");
    metrics_label_limiter_free(l);

    struct metrics_label_limiter *zero = metrics_label_limiter_new(0);
    ck_assert_str_eq(metrics_label_limit(zero, "a"), "other");
    metrics_label_limiter_free(zero);
}
END_TEST

#define LIM_MAX 100
#define LIM_VALUES 300

struct lim_arg {
    struct metrics_label_limiter *l;
    int offset;
    const char *results[LIM_VALUES];
};

static void *lim_worker(void *p)
{
    struct lim_arg *a = p;
    char v[32];
    for (int round = 0; round < 20; round++) {
        for (int k = 0; k < LIM_VALUES; k++) {
            int i = (k + a->offset) % LIM_VALUES; /* threads race on different orders */
            snprintf(v, sizeof(v), "tenant-%d", i);
            const char *r = metrics_label_limit(a->l, v);
            if (round == 19)
                a->results[i] = r;
        }
    }
    return NULL;
}

START_TEST(test_label_limiter_threads)
{
    struct metrics_label_limiter *l = metrics_label_limiter_new(LIM_MAX);
    pthread_t t[THREADS];
    static struct lim_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i].l = l;
        args[i].offset = i * 77;
        ck_assert_int_eq(pthread_create(&t[i], NULL, lim_worker, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    int passed = 0;
    for (int i = 0; i < LIM_VALUES; i++) {
        char v[32];
        snprintf(v, sizeof(v), "tenant-%d", i);
        int is_other = strcmp(args[0].results[i], "other") == 0;
        if (!is_other) {
            ck_assert_str_eq(args[0].results[i], v);
            passed++;
        }
        for (int k = 1; k < THREADS; k++) /* every thread got the same answer */
            ck_assert_str_eq(args[k].results[i], args[0].results[i]);
    }
    ck_assert_int_eq(passed, LIM_MAX);
    metrics_label_limiter_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *neg = tcase_create("invalid");
    tcase_set_timeout(neg, 10);
    tcase_add_test(neg, test_rejects_bad_definitions);
    tcase_add_test(neg, test_rejects_bad_updates);
    suite_add_tcase(s, neg);

    TCase *tc = tcase_create("exposition");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_counter_labels_escaped);
    tcase_add_test(tc, test_histogram_default_buckets);
    tcase_add_test(tc, test_histogram_custom_buckets_no_labels);
    tcase_add_test(tc, test_value_formatting);
    tcase_add_test(tc, test_gauge_set_and_add);
    tcase_add_test(tc, test_process_collector);
    tcase_add_test(tc, test_label_limiter);
    suite_add_tcase(s, tc);

    TCase *th = tcase_create("threads");
    tcase_set_timeout(th, 120);
    tcase_add_test(th, test_counters_lose_no_increments_under_threads);
    tcase_add_test(th, test_label_limiter_threads);
    suite_add_tcase(s, th);
    return tu_run(s);
}
