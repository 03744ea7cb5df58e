/* bench_report: DCF reports per second on one core for the preset run (the
 * UI preset inputs with Monte Carlo of 1,000 trials, seed "bench") — the
 * report path minus HTTP: compute the DCF, Monte Carlo and the 11×11
 * sensitivity grid, lay the document out and render it as PDF or HTML —
 * and this process's RSS before and after 1,000 more PDFs (cairo/pango
 * objects freed: no growth). Rates are per CPU second of this thread (a
 * shared machine's other load does not count). Prints Markdown table rows.
 *
 *   bench_report [seconds per format, default 2] [directory to write one PDF and HTML into]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_dcf.h"
#include "engine_mc.h"
#include "engine_sensitivity.h"
#include "report_dcf.h"
#include "valor/err.h"
#include "valor/report.h"

struct work {
    struct dcf_inputs in;
    struct dcf_result r;
    struct mc_settings ms;
    struct mc_result mc;
    double wacc[DCF_REPORT_GRID], tg[DCF_REPORT_GRID], grid[DCF_REPORT_GRID * DCF_REPORT_GRID];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: what one report costs a core, whatever else runs. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f != NULL)
        fclose(f);
    return kib;
}

/* One report of the preset run into out and len (caller frees *out). */
static int one(struct work *w, int html, char **out, size_t *len)
{
    struct rpt_doc *d = NULL;
    struct dcf_report_run rr = {"00000000-0000-4000-8000-000000000000",
                                "BENCH",
                                "bench",
                                "2026-11-28T10:00:00.000Z",
                                &w->in,
                                &w->r,
                                &w->ms,
                                &w->mc,
                                w->wacc,
                                w->tg,
                                w->grid,
                                NULL};
    int rc;

    dcf_inputs_preset(&w->in);
    if ((rc = mc_run(&w->in, &w->ms, &w->mc)) != VALOR_OK)
        return rc;
    dcf_compute(&w->in, &w->r);
    sens_grid(&w->in, DCF_REPORT_GRID, w->wacc, w->tg, w->grid);
    if ((rc = dcf_report_build(&rr, &d)) != VALOR_OK)
        return rc;
    rc = html ? rpt_render_html(d, out, len) : rpt_render_pdf(d, out, len);
    rpt_doc_free(d);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Reports for `seconds` of wall time: reports per CPU second and the median CPU ms of one
 * (CPU time, so that other processes on the machine do not count); *bytes the last size. */
static int measure(struct work *w, int html, double seconds, double *rate, double *median,
                   size_t *bytes)
{
    static double ms[100000];
    long n = 0;
    double start = now_s(), cpu0 = cpu_s(), t;

    do {
        char *out = NULL;
        size_t len = 0;
        double c0 = cpu_s();
        if (one(w, html, &out, &len) != VALOR_OK)
            return -1;
        t = now_s();
        if (n < 100000)
            ms[n] = (cpu_s() - c0) * 1000;
        n++;
        *bytes = len;
        free(out);
    } while (t - start < seconds);
    *rate = (double)n / (cpu_s() - cpu0);
    qsort(ms, (size_t)(n < 100000 ? n : 100000), sizeof(double), cmp_double);
    *median = ms[(n < 100000 ? n : 100000) / 2];
    return 0;
}

static void save(const char *dir, const char *name, struct work *w, int html)
{
    char path[1024], *out = NULL;
    size_t len = 0;
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (one(w, html, &out, &len) == VALOR_OK && (f = fopen(path, "wb")) != NULL) {
        fwrite(out, 1, len, f);
        fclose(f);
    }
    free(out);
}

int main(int argc, char **argv)
{
    static struct work w;
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 2.0, rate, median;
    size_t bytes = 0;
    long before, after;
    char why[256];

    w.ms = (struct mc_settings){.trials = 1000,
                                .vol_pp = 2.0,
                                .margin_vol_pp = 2.0,
                                .s2c_vol_pct = 5,
                                .corr_gm = 0.3,
                                .seed = "bench"};
    if (!(seconds > 0))
        return 1;
    if (rpt_init(why, sizeof(why)) != VALOR_OK)
        fprintf(stderr, "warning: %s\n", why);
    if (argc > 2) {
        save(argv[2], "dcf_report_bench.pdf", &w, 0);
        save(argv[2], "dcf_report_bench.html", &w, 1);
    }
    if (measure(&w, 0, seconds, &rate, &median, &bytes) != 0)
        return 1;
    printf("| DCF report PDF, preset run, 1 core | %.0f | reports/s | median %.2f ms of CPU per "
           "report (target ≤ 20 ms); compute + layout + cairo/pango render, %zu bytes, %s |\n",
           rate, median, bytes, median <= 20 ? "within" : "OVER");
    if (measure(&w, 1, seconds, &rate, &median, &bytes) != 0)
        return 1;
    printf("| DCF report HTML, preset run, 1 core | %.0f | reports/s | median %.2f ms of CPU per "
           "report; inline SVG, %zu bytes |\n",
           rate, median, bytes);
    before = rss_kib();
    for (int i = 0; i < 1000; i++) {
        char *out = NULL;
        size_t len = 0;
        if (one(&w, 0, &out, &len) != VALOR_OK)
            return 1;
        free(out);
    }
    after = rss_kib();
    printf("| DCF report PDF, RSS of the bench process around 1,000 more reports | %.1f | MiB | "
           "%.1f MiB before; growth %+ld KiB |\n",
           (double)after / 1024, (double)before / 1024, after - before);
    return 0;
}
