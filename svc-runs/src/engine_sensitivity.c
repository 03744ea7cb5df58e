/* engine_sensitivity: the sensitivity grid (see engine_sensitivity.h). */
#include "engine_sensitivity.h"

#include <math.h>

static void linspace(double lo, double hi, int n, double *out)
{
    for (int i = 0; i < n; i++)
        out[i] = n == 1 ? lo : lo + (hi - lo) * (double)i / (double)(n - 1);
    if (n > 1)
        out[n - 1] = hi;
}

void sens_grid(const struct dcf_inputs *in, int size, double *wacc, double *tg, double *per_share)
{
    struct dcf_inputs cell = *in;

    linspace(in->wacc_min, in->wacc_max, size, wacc);
    linspace(in->tg_min, in->tg_max, size, tg);
    for (int r = 0; r < size; r++) {
        cell.wacc = wacc[r];
        for (int c = 0; c < size; c++) {
            cell.term_growth = tg[c];
            per_share[r * size + c] = tg[c] >= wacc[r] ? NAN : dcf_per_share(&cell);
        }
    }
}
