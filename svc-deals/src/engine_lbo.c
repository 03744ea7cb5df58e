/* engine_lbo: the LBO model of engines.md §4 (see engine_lbo.h). */
#include "engine_lbo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine_util.h"
#include "valor/err.h"

#define RATE_HINT " (0.06 means 6%)"
#define RATIO_HINT " (0.15 means 15%)"
#define RATIO_TOLERANCE 0.01
#define MONEY_MAX 1e15

static const double default_multiples[] = {6, 8, 10, 12, 14};
static const double default_targets[] = {0.15, 0.20, 0.25, 0.30};

void lbo_defaults(struct lbo_inputs *in)
{
    memset(in, 0, sizeof(*in));
    in->purchase_price = 1000;
    in->equity = 400;
    in->revenue = 500;
    in->ebitda_margin = 0.20;
    in->revenue_growth = 0.08;
    in->growth_decay = 0.01;
    in->years = 5;
    in->tax_rate = 0.25;
    in->depreciation_ratio = 0.03;
    in->capex_ratio = 0.04;
    in->wc_ratio = 0.15;
    in->senior_ratio = 0.60;
    in->mezzanine_ratio = 0.30;
    in->high_yield_ratio = 0.10;
    in->senior_rate = 0.06;
    in->mezzanine_rate = 0.10;
    in->high_yield_rate = 0.12;
    in->n_multiples = sizeof(default_multiples) / sizeof(default_multiples[0]);
    memcpy(in->multiples, default_multiples, sizeof(default_multiples));
    in->n_targets = sizeof(default_targets) / sizeof(default_targets[0]);
    memcpy(in->targets, default_targets, sizeof(default_targets));
}

/* obj[field], when present, as 1..LBO_MAX_EXITS numbers in (lo, hi]. */
static int read_list(const json_t *obj, const char *field, double lo, double hi, const char *hint,
                     double *out, size_t *n, struct jsonv_err *e)
{
    json_t *a = json_object_get(obj, field), *v;
    size_t i;

    if (a == NULL || json_is_null(a))
        return VALOR_OK;
    if (!json_is_array(a))
        return jsonv_fail(e, field, "must be an array of numbers");
    if (json_array_size(a) < 1 || json_array_size(a) > LBO_MAX_EXITS)
        return jsonv_fail(e, field, "must have 1 to %d items", LBO_MAX_EXITS);
    json_array_foreach(a, i, v)
    {
        char name[64];
        double d = json_is_number(v) ? json_number_value(v) : NAN;
        snprintf(name, sizeof(name), "%s[%zu]", field, i);
        if (!json_is_number(v))
            return jsonv_fail(e, name, "must be a number");
        if (!isfinite(d) || d <= lo || d > hi)
            return jsonv_fail(e, name, "must be greater than %g and at most %g%s", lo, hi,
                              hint != NULL ? hint : "");
        out[i] = d;
    }
    *n = json_array_size(a);
    return VALOR_OK;
}

int lbo_inputs_from_json(const json_t *j, struct lbo_inputs *in, struct jsonv_err *e)
{
    struct {
        const char *field;
        double *out, min, max;
        const char *hint;
    } nums[] = {
        {"purchasePrice", &in->purchase_price, -MONEY_MAX, MONEY_MAX, NULL},
        {"equityContribution", &in->equity, -MONEY_MAX, MONEY_MAX, NULL},
        {"revenue", &in->revenue, -MONEY_MAX, MONEY_MAX, NULL},
        {"ebitdaMargin", &in->ebitda_margin, -1, 1, " (0.20 means 20%)"},
        {"revenueGrowth", &in->revenue_growth, -1, 1, " (0.08 means 8%)"},
        {"growthDecay", &in->growth_decay, -1, 1, " (0.01 means 1 point a year)"},
        {"taxRate", &in->tax_rate, 0, 0.6, " (0.25 means 25%)"},
        {"depreciationRatio", &in->depreciation_ratio, 0, 1, RATIO_HINT},
        {"capexRatio", &in->capex_ratio, 0, 1, RATIO_HINT},
        {"workingCapitalRatio", &in->wc_ratio, 0, 1, RATIO_HINT},
        {"seniorDebtRatio", &in->senior_ratio, 0, 1, RATIO_HINT},
        {"mezzanineDebtRatio", &in->mezzanine_ratio, 0, 1, RATIO_HINT},
        {"highYieldDebtRatio", &in->high_yield_ratio, 0, 1, RATIO_HINT},
        {"seniorDebtRate", &in->senior_rate, 0, 1, RATE_HINT},
        {"mezzanineDebtRate", &in->mezzanine_rate, 0, 1, RATE_HINT},
        {"highYieldDebtRate", &in->high_yield_rate, 0, 1, RATE_HINT},
    };

    lbo_defaults(in);
    if (!json_is_object(j))
        return jsonv_fail(e, "inputs", "must be an object");
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if (engine_number(j, nums[i].field, *nums[i].out, nums[i].min, nums[i].max, nums[i].hint,
                          nums[i].out, e) < 0)
            return VALOR_E_INVALID;
    if (engine_whole(j, "years", in->years, LBO_MIN_YEARS, LBO_MAX_YEARS, &in->years, e) < 0)
        return VALOR_E_INVALID;
    if (read_list(j, "exitMultiples", 0, 100, NULL, in->multiples, &in->n_multiples, e) < 0 ||
        read_list(j, "targetIrrs", -1, 5, " (0.15 means 15%)", in->targets, &in->n_targets, e) < 0)
        return VALOR_E_INVALID;
    return lbo_validate(in, e);
}

int lbo_validate(const struct lbo_inputs *in, struct jsonv_err *e)
{
    double sum = in->senior_ratio + in->mezzanine_ratio + in->high_yield_ratio;

    if (!(in->purchase_price > 0))
        return jsonv_fail(e, "purchasePrice", "must be positive");
    if (!(in->equity > 0))
        return jsonv_fail(e, "equityContribution", "must be positive");
    if (in->equity > in->purchase_price)
        return jsonv_fail(e, "equityContribution", "must not exceed purchasePrice");
    if (!(in->revenue > 0))
        return jsonv_fail(e, "revenue", "must be positive");
    if (in->years < LBO_MIN_YEARS || in->years > LBO_MAX_YEARS)
        return jsonv_fail(e, "years", "must be between %d and %d", LBO_MIN_YEARS, LBO_MAX_YEARS);
    if (!(fabs(sum - 1.0) <= RATIO_TOLERANCE))
        return jsonv_fail(e, "debtRatios",
                          "seniorDebtRatio + mezzanineDebtRatio + highYieldDebtRatio must sum to "
                          "1 (within 0.01), got %g",
                          sum);
    if (in->n_multiples < 1 || in->n_multiples > LBO_MAX_EXITS)
        return jsonv_fail(e, "exitMultiples", "must have 1 to %d items", LBO_MAX_EXITS);
    if (in->n_targets < 1 || in->n_targets > LBO_MAX_EXITS)
        return jsonv_fail(e, "targetIrrs", "must have 1 to %d items", LBO_MAX_EXITS);
    return VALOR_OK;
}

static void warn(struct lbo_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct lbo_result *r, const char *fmt, ...)
{
    va_list ap;
    if (r->nwarnings >= LBO_MAX_WARNINGS)
        return;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang-tidy 14 */
    vsnprintf(r->warnings[r->nwarnings++], LBO_WARNING_LEN, fmt, ap);
    va_end(ap);
}

/* Operating model and debt schedule, years 0..N. */
static void schedule(const struct lbo_inputs *in, struct lbo_result *r)
{
    int n = in->years;
    double wacd = r->wacd;

    r->revenue[0] = in->revenue;
    r->ebitda[0] = in->revenue * in->ebitda_margin;
    r->depreciation[0] = in->revenue * in->depreciation_ratio;
    r->ebit[0] = r->ebitda[0] - r->depreciation[0];
    r->working_capital[0] = in->revenue * in->wc_ratio; /* WC_0 = rev_0 · ratio */
    r->debt[0] = r->total_debt;
    for (int t = 1; t <= n; t++) {
        double g = fmax(0.0, in->revenue_growth - in->growth_decay * (t - 1));
        double rev = r->revenue[t - 1] * (1 + g), avail;

        r->revenue[t] = rev;
        r->ebitda[t] = rev * in->ebitda_margin;
        r->depreciation[t] = rev * in->depreciation_ratio;
        r->ebit[t] = r->ebitda[t] - r->depreciation[t];
        r->interest[t] = r->debt[t - 1] * wacd;
        r->taxes[t] = fmax(0.0, (r->ebit[t] - r->interest[t]) * in->tax_rate);
        r->net_income[t] = r->ebit[t] - r->interest[t] - r->taxes[t];
        r->working_capital[t] = rev * in->wc_ratio;
        r->delta_wc[t] = r->working_capital[t] - r->working_capital[t - 1];
        r->capex[t] = rev * in->capex_ratio;
        r->fcf[t] = r->ebitda[t] - r->taxes[t] - r->capex[t] - r->delta_wc[t];
        avail = r->fcf[t] - r->interest[t];
        r->principal[t] = fmin(avail, r->debt[t - 1]); /* cash sweep */
        if (r->principal[t] < 0)
            warn(r, "Year %d: free cash flow does not cover interest; revolver draw of $%.1fM", t,
                 -r->principal[t]);
        r->debt[t] = fmax(0.0, r->debt[t - 1] - r->principal[t]);
        r->cash[t] = r->fcf[t] - r->interest[t] - r->principal[t];
        r->total_interest_paid += r->interest[t];
        r->total_principal_paid += r->principal[t];
    }
    r->final_ebitda = r->ebitda[n];
    r->final_debt = r->debt[n];
}

void lbo_exit_at(const struct lbo_result *r, double equity, int year, double multiple,
                 struct lbo_exit_multiple *x)
{
    memset(x, 0, sizeof(*x));
    x->multiple = multiple;
    x->exit_value = r->ebitda[year] * multiple;
    x->remaining_debt = r->debt[year];
    x->equity_value = x->exit_value - r->debt[year];
    x->moic = x->equity_value / equity;
    x->irr_defined = x->equity_value > 0 && year > 0;
    if (x->irr_defined)
        x->irr = pow(x->equity_value / equity, 1.0 / year) - 1;
}

static void exits(const struct lbo_inputs *in, struct lbo_result *r)
{
    int n = in->years, defined = 0;
    double sum_irr = 0, sum_moic = 0;

    r->n_multiples = in->n_multiples;
    for (size_t i = 0; i < in->n_multiples; i++) {
        struct lbo_exit_multiple *x = &r->by_multiple[i];
        lbo_exit_at(r, in->equity, n, in->multiples[i], x);
        if (x->irr_defined) {
            sum_irr += x->irr;
            sum_moic += x->moic;
            defined++;
        } else {
            warn(r, "Exit at %gx: equity value is not positive; IRR undefined", x->multiple);
        }
    }
    r->averages_defined = defined > 0;
    if (defined > 0) {
        r->avg_irr = sum_irr / defined;
        r->avg_moic = sum_moic / defined;
    } else {
        warn(r, "No exit multiple gives a positive equity value; avg_irr and avg_moic undefined");
    }

    r->n_targets = in->n_targets;
    for (size_t i = 0; i < in->n_targets; i++) {
        struct lbo_exit_irr *x = &r->by_irr[i];
        x->target_irr = in->targets[i];
        x->equity_value = in->equity * pow(1 + x->target_irr, n);
        x->required_exit_value = x->equity_value + r->final_debt;
        x->multiple_defined = r->final_ebitda > 0;
        x->implied_multiple = x->multiple_defined ? x->required_exit_value / r->final_ebitda : 0;
    }
    if (in->n_targets > 0 && r->final_ebitda <= 0)
        warn(r, "Final EBITDA is not positive; implied exit multiples undefined");
}

void lbo_compute(const struct lbo_inputs *in, struct lbo_result *r)
{
    double debt0 = in->purchase_price - in->equity;

    memset(r, 0, sizeof(*r));
    r->years = in->years;
    r->total_debt = debt0;
    r->equity_contribution = in->equity;
    r->leverage_ratio = debt0 / in->equity;
    r->senior = debt0 * in->senior_ratio;
    r->mezzanine = debt0 * in->mezzanine_ratio;
    r->high_yield = debt0 * in->high_yield_ratio;
    r->senior_rate = in->senior_rate;
    r->mezzanine_rate = in->mezzanine_rate;
    r->high_yield_rate = in->high_yield_rate;
    /* Σ(tranche·rate)/debt_0, written so that it stays defined when debt_0 = 0 */
    r->wacd = in->senior_ratio * in->senior_rate + in->mezzanine_ratio * in->mezzanine_rate +
              in->high_yield_ratio * in->high_yield_rate;
    schedule(in, r);
    exits(in, r);
}

static int set(json_t *o, const char *k, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, k, v);
}

static json_t *series_json(const struct lbo_result *r)
{
    const struct {
        const char *name;
        const double *v;
        int level; /* defined at index 0 */
    } s[] = {
        {"revenue", r->revenue, 1},
        {"ebitda", r->ebitda, 1},
        {"ebit", r->ebit, 1},
        {"depreciation", r->depreciation, 1},
        {"interest", r->interest, 0},
        {"taxes", r->taxes, 0},
        {"net_income", r->net_income, 0},
        {"working_capital", r->working_capital, 1},
        {"delta_wc", r->delta_wc, 0},
        {"capex", r->capex, 0},
        {"fcf", r->fcf, 0},
        {"principal", r->principal, 0},
        {"debt", r->debt, 1},
        {"cash", r->cash, 0},
    };
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < sizeof(s) / sizeof(s[0]); i++)
        if (set(o, s[i].name, engine_series(s[i].v, r->years, s[i].level)) != 0) {
            json_decref(o);
            o = NULL;
        }
    return o;
}

static json_t *exits_json(const struct lbo_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < r->n_multiples; i++) {
        const struct lbo_exit_multiple *x = &r->by_multiple[i];
        json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "type", "multiple", "multiple",
                              engine_num(x->multiple), "exit_value", engine_num(x->exit_value),
                              "remaining_debt", engine_num(x->remaining_debt), "equity_value",
                              engine_num(x->equity_value), "moic", engine_num(x->moic), "irr",
                              x->irr_defined ? engine_num(x->irr) : json_null());
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    for (size_t i = 0; a != NULL && i < r->n_targets; i++) {
        const struct lbo_exit_irr *x = &r->by_irr[i];
        json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o}", "type", "irr", "target_irr",
                              engine_num(x->target_irr), "required_exit_value",
                              engine_num(x->required_exit_value), "implied_multiple",
                              x->multiple_defined ? engine_num(x->implied_multiple) : json_null(),
                              "equity_value", engine_num(x->equity_value));
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *lbo_result_json(const struct lbo_result *r)
{
    json_t *warnings = json_array(), *out;

    for (int i = 0; warnings != NULL && i < r->nwarnings; i++)
        json_array_append_new(warnings, json_string(r->warnings[i]));
    out =
        json_pack("{s:o?, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:o?, "
                  "s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:o?}",
                  "series", series_json(r), "metrics", "total_debt", engine_num(r->total_debt),
                  "equity_contribution", engine_num(r->equity_contribution), "leverage_ratio",
                  engine_num(r->leverage_ratio), "wacd", engine_num(r->wacd), "final_ebitda",
                  engine_num(r->final_ebitda), "final_debt", engine_num(r->final_debt),
                  "total_interest_paid", engine_num(r->total_interest_paid), "total_principal_paid",
                  engine_num(r->total_principal_paid), "avg_irr",
                  r->averages_defined ? engine_num(r->avg_irr) : json_null(), "avg_moic",
                  r->averages_defined ? engine_num(r->avg_moic) : json_null(), "exit_scenarios",
                  exits_json(r), "debt_structure", "senior", engine_num(r->senior), "mezzanine",
                  engine_num(r->mezzanine), "high_yield", engine_num(r->high_yield), "senior_rate",
                  engine_num(r->senior_rate), "mezzanine_rate", engine_num(r->mezzanine_rate),
                  "high_yield_rate", engine_num(r->high_yield_rate), "warnings", warnings);
    /* "o?" turns a failed part into null; a result must have every part */
    if (out != NULL && (json_is_null(json_object_get(out, "series")) ||
                        json_is_null(json_object_get(out, "exit_scenarios")) ||
                        json_is_null(json_object_get(out, "warnings")))) {
        json_decref(out);
        out = NULL;
    }
    return out;
}
