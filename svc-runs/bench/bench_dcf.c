/* bench_dcf: the engines on one core (platform.md §8) — DCF valuations per
 * second (the per-share path Monte Carlo and the grid use, and the full
 * result with series, warnings and KPIs), Monte Carlo with 100,000 trials
 * and the 101×101 sensitivity grid, in ms. Prints Markdown table rows.
 *
 *   bench_dcf [seconds per DCF measurement, default 1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine_dcf.h"
#include "engine_mc.h"
#include "engine_sensitivity.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Valuations per second of dcf_per_share (full == 0) or dcf_compute. */
static double dcf_rate(double seconds, int full, double *sink)
{
    struct dcf_inputs in;
    struct dcf_result r;
    long n = 0;
    double start = now_s(), elapsed;

    dcf_inputs_preset(&in);
    do {
        for (int i = 0; i < 10000; i++) {
            in.wacc = 0.08 + (double)(i % 100) * 1e-4; /* defeat hoisting */
            if (full) {
                dcf_compute(&in, &r);
                *sink += r.per_share;
            } else {
                *sink += dcf_per_share(&in);
            }
        }
        n += 10000;
        elapsed = now_s() - start;
    } while (elapsed < seconds);
    return (double)n / elapsed;
}

int main(int argc, char **argv)
{
    static struct mc_result mr_buf;
    static double wacc[101], tg[101], cells[101 * 101];
    struct mc_result *mr = &mr_buf;
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0, sink = 0;
    double mc_ms[5], grid_ms[5];
    struct dcf_inputs in;
    struct mc_settings s = {.trials = 100000,
                            .vol_pp = 2.0,
                            .margin_vol_pp = 2.0,
                            .s2c_vol_pct = 5,
                            .corr_gm = 0.3,
                            .seed = "bench"};

    if (!(seconds > 0))
        return 1;
    double fast = dcf_rate(seconds, 0, &sink);
    double full = dcf_rate(seconds, 1, &sink);

    dcf_inputs_preset(&in);
    for (int i = 0; i < 5; i++) {
        double t0 = now_s();
        if (mc_run(&in, &s, mr) != 0)
            return 1;
        mc_ms[i] = (now_s() - t0) * 1000;
        sink += mr->mean;
        t0 = now_s();
        sens_grid(&in, 101, wacc, tg, cells);
        grid_ms[i] = (now_s() - t0) * 1000;
        sink += cells[5];
    }
    qsort(mc_ms, 5, sizeof(double), cmp_double);
    qsort(grid_ms, 5, sizeof(double), cmp_double);

    printf("| DCF valuations, per-share path (MC / grid), 1 core | %.0f | valuations/s | target "
           "≥ 1,000,000 |\n",
           fast);
    printf("| DCF valuations, full result (series, warnings, KPIs), 1 core | %.0f | valuations/s "
           "| /api/dcf/calculate engine part |\n",
           full);
    printf("| Monte Carlo 100,000 trials, 1 core | %.1f | ms | median of 5; target ≤ 150 ms |\n",
           mc_ms[2]);
    printf("| Sensitivity grid 101×101, 1 core | %.1f | ms | median of 5 |\n", grid_ms[2]);
    fprintf(stderr, "(checksum %g)\n", sink);
    return 0;
}
