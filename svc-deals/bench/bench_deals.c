/* bench_deals: LBO and M&A calculations per second on one core, for the
 * engine alone and for the whole request path of /api/{lbo,ma}/calculate
 * minus HTTP (parse the inputs JSON, validate, compute, build and serialise
 * the result). Prints Markdown table rows "| what | figure | unit | note |".
 *
 *   bench_deals [seconds per measurement, default 1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_lbo.h"
#include "engine_ma.h"
#include "valor/err.h"

static const char lbo_json[] = "{\"companyName\":\"Bench Co\"}"; /* the defaults: 5 years */
static const char ma_json[] =
    "{\"acquirerRevenue\":1000,\"acquirerEBITDA\":150,\"acquirerShares\":100,"
    "\"acquirerNetDebt\":200,\"targetRevenue\":500,\"targetEBITDA\":75,\"targetShares\":50,"
    "\"targetNetDebt\":100,\"purchasePrice\":600,\"dealStructure\":{\"cash\":60,\"stock\":40},"
    "\"synergies\":{\"annual\":25,\"duration\":5}}";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile double sink; /* keeps the work observable */

typedef void (*bench_fn)(long n);

static void lbo_engine(long n)
{
    struct lbo_inputs in;
    struct lbo_result r;
    double acc = 0;
    lbo_defaults(&in);
    for (long i = 0; i < n; i++) {
        in.revenue = 500 + (double)(i & 7); /* defeat hoisting */
        lbo_compute(&in, &r);
        acc += r.final_debt;
    }
    sink = acc;
}

static void lbo_full(long n)
{
    struct lbo_inputs in;
    struct lbo_result r;
    struct jsonv_err e;
    size_t len = 0;
    for (long i = 0; i < n; i++) {
        json_t *j = json_loads(lbo_json, JSON_REJECT_DUPLICATES, NULL), *out;
        char *text;
        if (j == NULL || lbo_inputs_from_json(j, &in, &e) != VALOR_OK)
            abort();
        lbo_compute(&in, &r);
        out = lbo_result_json(&r);
        text = json_dumps(out, JSON_COMPACT);
        len += strlen(text);
        free(text);
        json_decref(out);
        json_decref(j);
    }
    sink = (double)len;
}

static void ma_engine(long n)
{
    struct ma_inputs in;
    struct ma_result r;
    struct jsonv_err e;
    enum ma_error_kind k;
    json_t *j = json_loads(ma_json, 0, NULL);
    double acc = 0;
    if (j == NULL || ma_inputs_from_json(j, &in, &e, &k) != VALOR_OK)
        abort();
    json_decref(j);
    for (long i = 0; i < n; i++) {
        in.purchase_price = 600 + (double)(i & 7);
        ma_compute(&in, &r);
        acc += r.accretion;
    }
    sink = acc;
}

static void ma_full(long n)
{
    struct ma_inputs in;
    struct ma_result r;
    struct jsonv_err e;
    enum ma_error_kind k;
    size_t len = 0;
    for (long i = 0; i < n; i++) {
        json_t *j = json_loads(ma_json, JSON_REJECT_DUPLICATES, NULL), *out;
        char *text;
        if (j == NULL || ma_inputs_from_json(j, &in, &e, &k) != VALOR_OK)
            abort();
        ma_compute(&in, &r);
        out = ma_result_json(&r);
        text = json_dumps(out, JSON_COMPACT);
        len += strlen(text);
        free(text);
        json_decref(out);
        json_decref(j);
    }
    sink = (double)len;
}

/* Calls per second: grows the batch until one batch takes ≥ `secs`. */
static double measure(bench_fn fn, double secs)
{
    long n = 64;
    fn(n); /* warm-up */
    for (;;) {
        double t0 = now_s(), dt;
        fn(n);
        dt = now_s() - t0;
        if (dt >= secs)
            return (double)n / dt;
        n = dt > 0.01 ? (long)((double)n * secs / dt * 1.1) : n * 8;
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? strtod(argv[1], NULL) : 1.0;
    const struct {
        const char *what;
        bench_fn fn;
        const char *note;
    } rows[] = {
        {"LBO engine (svc-deals)", lbo_engine, "engines.md §4 defaults, 5 years, 9 exits; 1 core"},
        {"LBO calculate minus HTTP (svc-deals)", lbo_full,
         "parse + validate + compute + result JSON; 1 core"},
        {"M&A engine (svc-deals)", ma_engine, "engines.md §5 worked example; 1 core"},
        {"M&A calculate minus HTTP (svc-deals)", ma_full,
         "parse + validate + compute + result JSON; 1 core"},
    };

    if (!(secs > 0))
        secs = 1.0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        printf("| %s | %.0f | calculations/s | %s |\n", rows[i].what, measure(rows[i].fn, secs),
               rows[i].note);
    return 0;
}
