/* engine_mc: Monte Carlo over the DCF (engines.md §2) — pure and
 * thread-safe. The seed string is hashed and drives mulberry32; normal draws
 * are Box–Muller (cos branch), in the documented order, so the same seed
 * gives the same statistics on every machine and replica.
 */
#ifndef RUNS_ENGINE_MC_H
#define RUNS_ENGINE_MC_H

#include <stdint.h>

#include "engine_dcf.h"

#define MC_DEFAULT_TRIALS 1000
#define MC_MIN_TRIALS 100
#define MC_DEFAULT_MAX_TRIALS 100000
#define MC_BINS 50
#define MC_SEED_MAX 128

struct mc_settings {
    long trials;
    double vol_pp;        /* growth σ in percentage points (2.0 → 0.02) */
    double margin_vol_pp; /* margin σ in percentage points */
    double s2c_vol_pct;   /* relative σ of sales-to-capital, % */
    double corr_gm;       /* growth–margin correlation, clamped to [−0.99, 0.99] */
    char seed[MC_SEED_MAX + 1];
};

struct mc_result {
    long n; /* finite results */
    double mean, std, min, max, median, p5, p10, p90, p95;
    double corr_gm; /* the clamped value used */
    char seed[MC_SEED_MAX + 1];
    double edges[MC_BINS + 1];
    long counts[MC_BINS];
};

/* h = 0xDEADBEEF; per byte c: h = (h ^ c) * 2654435761 mod 2^32. */
uint32_t mc_seed_hash(const char *seed);

/* mulberry32: the state and one draw. */
struct mc_rng {
    uint32_t a;
};
uint32_t mc_rng_next(struct mc_rng *r);
/* out / 2^32 in [0, 1). */
double mc_uniform(struct mc_rng *r);
/* Box–Muller, cos branch: u then v, each redrawn while 0. */
double mc_randn(struct mc_rng *r);

/* Runs s->trials trials (caller validated: ≥ 1). VALOR_OK, or
 * VALOR_E_NOMEM. std is the population standard deviation. When no trial is
 * finite, n = 0 and the statistics are NAN. */
int mc_run(const struct dcf_inputs *in, const struct mc_settings *s, struct mc_result *out);

#endif
