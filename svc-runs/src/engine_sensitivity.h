/* engine_sensitivity: the WACC × terminal-growth grid of engines.md §3 —
 * pure and thread-safe.
 */
#ifndef RUNS_ENGINE_SENSITIVITY_H
#define RUNS_ENGINE_SENSITIVITY_H

#include "engine_dcf.h"

#define SENS_DEFAULT_SIZE 21
#define SENS_MIN_SIZE 2
#define SENS_MAX_SIZE 101

/* wacc[size] = linspace(in->wacc_min, in->wacc_max), tg[size] =
 * linspace(in->tg_min, in->tg_max), per_share[row*size + col] = the DCF
 * per-share value at (wacc[row], tg[col]); NAN where tg ≥ wacc (the cell is
 * null) or the value is not finite. Arrays are the caller's. */
void sens_grid(const struct dcf_inputs *in, int size, double *wacc, double *tg, double *per_share);

#endif
