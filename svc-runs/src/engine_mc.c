/* engine_mc: Monte Carlo of engines.md §2 (see engine_mc.h). */
#include "engine_mc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valor/err.h"

uint32_t mc_seed_hash(const char *seed)
{
    uint32_t h = 0xDEADBEEFu;
    for (const unsigned char *p = (const unsigned char *)seed; *p; p++)
        h = (h ^ *p) * 2654435761u;
    return h;
}

uint32_t mc_rng_next(struct mc_rng *r)
{
    uint32_t t;
    r->a += 0x6D2B79F5u;
    t = (r->a ^ (r->a >> 15)) * (r->a | 1u);
    t = (t + (t ^ (t >> 7)) * (t | 61u)) ^ t;
    return t ^ (t >> 14);
}

double mc_uniform(struct mc_rng *r)
{
    return (double)mc_rng_next(r) / 4294967296.0;
}

double mc_randn(struct mc_rng *r)
{
    double u, v;
    do
        u = mc_uniform(r);
    while (u == 0);
    do
        v = mc_uniform(r);
    while (v == 0);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double dmax(double a, double b)
{
    return a > b ? a : b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* v[floor(q·n)], clamped to the last element. */
static double quantile(const double *v, long n, double q)
{
    long i = (long)floor(q * (double)n);
    return v[i < n ? i : n - 1];
}

static void stats(double *v, long n, struct mc_result *out)
{
    double sum = 0, sq = 0, width;

    out->n = n;
    if (n == 0) {
        out->mean = out->std = out->min = out->max = out->median = NAN;
        out->p5 = out->p10 = out->p90 = out->p95 = NAN;
        for (int i = 0; i <= MC_BINS; i++)
            out->edges[i] = NAN;
        return;
    }
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    for (long i = 0; i < n; i++)
        sum += v[i];
    out->mean = sum / (double)n;
    for (long i = 0; i < n; i++)
        sq += (v[i] - out->mean) * (v[i] - out->mean);
    out->std = sqrt(sq / (double)n);
    out->min = v[0];
    out->max = v[n - 1];
    out->median = v[n / 2];
    out->p5 = quantile(v, n, 0.05);
    out->p10 = quantile(v, n, 0.10);
    out->p90 = quantile(v, n, 0.90);
    out->p95 = quantile(v, n, 0.95);

    width = (out->max - out->min) / MC_BINS;
    for (int i = 0; i <= MC_BINS; i++)
        out->edges[i] = out->min + width * i;
    out->edges[MC_BINS] = out->max;
    for (long i = 0; i < n; i++) {
        long b = width > 0 ? (long)((v[i] - out->min) / width) : 0;
        out->counts[b < MC_BINS ? (b < 0 ? 0 : b) : MC_BINS - 1]++;
    }
}

int mc_run(const struct dcf_inputs *in, const struct mc_settings *s, struct mc_result *out)
{
    const double sg = s->vol_pp / 100, sm = s->margin_vol_pp / 100, sc = s->s2c_vol_pct / 100;
    const double rho = s->corr_gm < -0.99 ? -0.99 : s->corr_gm > 0.99 ? 0.99 : s->corr_gm;
    const double rho_c = sqrt(1 - rho * rho);
    double base_g[3], base_m[3], base_c[3];
    struct dcf_inputs trial = *in;
    struct mc_rng rng = {mc_seed_hash(s->seed)};
    double *v = malloc(sizeof(*v) * (size_t)(s->trials > 0 ? s->trials : 1));
    long n = 0;

    memset(out, 0, sizeof(*out));
    if (v == NULL)
        return VALOR_E_NOMEM;
    out->corr_gm = rho;
    snprintf(out->seed, sizeof(out->seed), "%s", s->seed);

    base_g[0] = in->stage[0].has_growth ? in->stage[0].growth : in->growth_y1;
    base_g[1] = in->stage[1].has_growth
                    ? in->stage[1].growth
                    : dmax(0, in->growth_y1 - in->growth_decay * in->stage1_end);
    base_g[2] = in->stage[2].has_growth ? in->stage[2].growth : dmax(0, in->term_growth);
    for (int i = 0; i < 3; i++) {
        base_m[i] = in->stage[i].has_margin ? in->stage[i].margin : in->ebit_margin;
        base_c[i] = in->stage[i].has_s2c ? in->stage[i].s2c : in->sales_to_cap;
        trial.stage[i].has_growth = trial.stage[i].has_margin = trial.stage[i].has_s2c = 1;
    }

    for (long k = 0; k < s->trials; k++) {
        double z1 = mc_randn(&rng), z2 = mc_randn(&rng);
        double ug = z1, um = rho * z1 + rho_c * z2;
        double ps;

        trial.stage[0].growth = dmax(0, base_g[0] + ug * sg);
        trial.stage[1].growth = dmax(0, base_g[1] + mc_randn(&rng) * sg);
        trial.stage[2].growth = dmax(0, base_g[2] + mc_randn(&rng) * sg);
        trial.stage[0].margin = dmax(0, base_m[0] + um * sm);
        trial.stage[1].margin = dmax(0, base_m[1] + mc_randn(&rng) * sm);
        trial.stage[2].margin = dmax(0, base_m[2] + mc_randn(&rng) * sm);
        for (int i = 0; i < 3; i++)
            trial.stage[i].s2c = dmax(0.1, base_c[i] * (1 + sc * mc_randn(&rng)));
        ps = dcf_per_share(&trial);
        if (isfinite(ps))
            v[n++] = ps;
    }
    stats(v, n, out);
    free(v);
    return VALOR_OK;
}
