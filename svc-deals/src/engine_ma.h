/* engine_ma: the merger model of engines.md §5 — pro-forma combination,
 * accretion/dilution, synergy value and deal multiples.
 *
 * Pure and thread-safe: no I/O, no globals.
 */
#ifndef VALOR_DEALS_ENGINE_MA_H
#define VALOR_DEALS_ENGINE_MA_H

#include <jansson.h>

#include "valor/jsonv.h"

#define MA_MAX_WARNINGS 8
#define MA_WARNING_LEN 192
#define MA_MAX_SYNERGY_YEARS 100

struct ma_inputs {
    double acq_revenue, acq_ebitda, acq_shares, acq_net_debt;
    double acq_share_price; /* ≤ 0 → not given: the warned fallback acq_revenue/acq_shares */
    double tgt_revenue, tgt_ebitda, tgt_shares, tgt_net_debt;
    double purchase_price;
    double cash_pct, stock_pct; /* percent, summing to 100 */
    double syn_annual;
    int syn_duration;
    double syn_discount_rate; /* default 0.10 */
    double tax_rate;          /* default 0.35 */
};

struct ma_result {
    /* pro forma */
    double revenue, ebitda, net_income, shares, eps, net_debt, new_shares;
    double share_price; /* the acquirer share price used */
    /* accretion / dilution */
    double pre_eps, accretion, target_contribution, synergy_contribution;
    int accretion_defined, is_accretive;
    /* synergies */
    double syn_annual, syn_discount_rate, syn_pv, syn_per_share;
    int syn_duration;
    /* deal metrics (null when the divisor is 0) */
    double purchase_price, ev_ebitda, ev_revenue, pf_ev_ebitda, roic;
    int ev_ebitda_defined, ev_revenue_defined, pf_ev_ebitda_defined;
    int nwarnings;
    char warnings[MA_MAX_WARNINGS][MA_WARNING_LEN];
};

/* How an input error is answered. */
enum ma_error_kind {
    MA_ERR_VALIDATION = 0, /* 400 ValidationError with details [{field, msg}] */
    MA_ERR_MESSAGE = 1, /* 400 {"error": e->msg, "field": e->field} — engines.md §5's messages */
};

/* Reads `inputs` into *in and validates it. On VALOR_E_INVALID, *e and *kind
 * say what is wrong: "Missing required field: <name>" (absent or null required
 * field), "Purchase price must be positive", "Deal structure must equal 100%"
 * (MA_ERR_MESSAGE), or a field of the wrong type or out of range
 * (MA_ERR_VALIDATION). */
int ma_inputs_from_json(const json_t *inputs, struct ma_inputs *in, struct jsonv_err *e,
                        enum ma_error_kind *kind);

void ma_compute(const struct ma_inputs *in, struct ma_result *out);

/* The result object of engines.md §5. Caller owns it; NULL only when out of memory. */
json_t *ma_result_json(const struct ma_result *r);

#endif
