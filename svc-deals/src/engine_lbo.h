/* engine_lbo: the leveraged-buyout model of engines.md §4 — debt schedule
 * with a cash sweep, exits by multiple and by target IRR.
 *
 * Pure and thread-safe: no I/O, no globals; every function works only on
 * what it is given.
 */
#ifndef VALOR_DEALS_ENGINE_LBO_H
#define VALOR_DEALS_ENGINE_LBO_H

#include <stddef.h>
#include <jansson.h>

#include "valor/jsonv.h"

#define LBO_MIN_YEARS 3
#define LBO_MAX_YEARS 10
#define LBO_MAX_EXITS 20 /* entries of exitMultiples / targetIrrs */
#define LBO_MAX_WARNINGS 48
#define LBO_WARNING_LEN 160

struct lbo_inputs {
    double purchase_price, equity, revenue;
    double ebitda_margin, revenue_growth, growth_decay;
    int years;
    double tax_rate, depreciation_ratio, capex_ratio, wc_ratio;
    double senior_ratio, mezzanine_ratio, high_yield_ratio;
    double senior_rate, mezzanine_rate, high_yield_rate;
    size_t n_multiples;
    double multiples[LBO_MAX_EXITS];
    size_t n_targets;
    double targets[LBO_MAX_EXITS];
};

struct lbo_exit_multiple {
    double multiple, exit_value, remaining_debt, equity_value, moic;
    double irr;
    int irr_defined; /* 0 → irr is null (equity value ≤ 0) */
};

struct lbo_exit_irr {
    double target_irr, required_exit_value, implied_multiple, equity_value;
    int multiple_defined; /* 0 → implied_multiple is null (final EBITDA ≤ 0) */
};

/* Series index 0 is the entry year: levels (revenue, ebitda, ebit,
 * depreciation, working_capital, debt) are set, flows are not (null in JSON). */
struct lbo_result {
    int years;
    double revenue[LBO_MAX_YEARS + 1], ebitda[LBO_MAX_YEARS + 1], ebit[LBO_MAX_YEARS + 1];
    double depreciation[LBO_MAX_YEARS + 1], interest[LBO_MAX_YEARS + 1];
    double taxes[LBO_MAX_YEARS + 1], net_income[LBO_MAX_YEARS + 1];
    double working_capital[LBO_MAX_YEARS + 1], delta_wc[LBO_MAX_YEARS + 1];
    double capex[LBO_MAX_YEARS + 1], fcf[LBO_MAX_YEARS + 1], principal[LBO_MAX_YEARS + 1];
    double debt[LBO_MAX_YEARS + 1], cash[LBO_MAX_YEARS + 1];
    /* metrics */
    double total_debt, equity_contribution, leverage_ratio, wacd, final_ebitda, final_debt;
    double total_interest_paid, total_principal_paid, avg_irr, avg_moic;
    int averages_defined; /* 0 → avg_irr/avg_moic are null */
    /* debt structure */
    double senior, mezzanine, high_yield, senior_rate, mezzanine_rate, high_yield_rate;
    size_t n_multiples, n_targets;
    struct lbo_exit_multiple by_multiple[LBO_MAX_EXITS];
    struct lbo_exit_irr by_irr[LBO_MAX_EXITS];
    int nwarnings;
    char warnings[LBO_MAX_WARNINGS][LBO_WARNING_LEN];
};

/* The defaults of engines.md §4 (the UI preset; its worked example). */
void lbo_defaults(struct lbo_inputs *in);

/* Reads `inputs` (a JSON object; absent or null fields take their defaults,
 * unknown fields are ignored) into *in and validates it. VALOR_E_INVALID with
 * *e naming the field (e.g. "purchasePrice", "debtRatios", "exitMultiples[2]")
 * when a value has the wrong type or is out of range. */
int lbo_inputs_from_json(const json_t *inputs, struct lbo_inputs *in, struct jsonv_err *e);

/* Checks the ranges and relations of engines.md §4 (what
 * lbo_inputs_from_json also does after reading). */
int lbo_validate(const struct lbo_inputs *in, struct jsonv_err *e);

/* Runs the model; in must have passed lbo_validate. */
void lbo_compute(const struct lbo_inputs *in, struct lbo_result *out);

/* An exit at the end of `year` (1..r->years) at `multiple` × that year's
 * EBITDA, with that year's debt outstanding — the formulas of the exit
 * scenarios (which are this at year N) for an earlier exit. equity: the
 * sponsor's equity contribution. */
void lbo_exit_at(const struct lbo_result *r, double equity, int year, double multiple,
                 struct lbo_exit_multiple *x);

/* The result object of engines.md §4. Caller owns it (json_decref); NULL
 * only when out of memory. */
json_t *lbo_result_json(const struct lbo_result *r);

#endif
