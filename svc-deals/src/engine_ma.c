/* engine_ma: the M&A model of engines.md §5 (see engine_ma.h). */
#include "engine_ma.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine_util.h"
#include "valor/err.h"

#define MONEY_MAX 1e15
#define STRUCTURE_TOLERANCE 1e-6

static const char *const required_fields[] = {
    "acquirerRevenue", "acquirerEBITDA", "acquirerShares", "targetRevenue",
    "targetEBITDA",    "targetShares",   "purchasePrice",  "dealStructure",
};

static int message(struct jsonv_err *e, enum ma_error_kind *kind, const char *field,
                   const char *msg)
{
    *kind = MA_ERR_MESSAGE;
    return jsonv_fail(e, field, "%s", msg);
}

static int present(const json_t *obj, const char *field)
{
    json_t *v = json_object_get(obj, field);
    return v != NULL && !json_is_null(v);
}

/* "cash" → "dealStructure.cash". Returns VALOR_E_INVALID. */
static int prefix_field(struct jsonv_err *e, const char *parent)
{
    size_t np = strlen(parent), nf = strnlen(e->field, sizeof(e->field) - 1);
    if (np + 1 + nf >= sizeof(e->field))
        return VALOR_E_INVALID; /* cannot happen with this file's names */
    memmove(e->field + np + 1, e->field, nf + 1);
    memcpy(e->field, parent, np);
    e->field[np] = '.';
    return VALOR_E_INVALID;
}

static int read_structure(const json_t *ds, struct ma_inputs *in, struct jsonv_err *e,
                          enum ma_error_kind *kind)
{
    if (!json_is_object(ds))
        return jsonv_fail(e, "dealStructure", "must be an object with cash and stock percentages");
    if (engine_number(ds, "cash", 0, -1e6, 1e6, NULL, &in->cash_pct, e) < 0 ||
        engine_number(ds, "stock", 0, -1e6, 1e6, NULL, &in->stock_pct, e) < 0)
        return prefix_field(e, "dealStructure");
    if (in->cash_pct < 0 || in->stock_pct < 0 ||
        !(fabs(in->cash_pct + in->stock_pct - 100.0) <= STRUCTURE_TOLERANCE))
        return message(e, kind, "dealStructure", "Deal structure must equal 100%");
    return VALOR_OK;
}

static int read_synergies(const json_t *sy, struct ma_inputs *in, struct jsonv_err *e)
{
    if (sy == NULL || json_is_null(sy))
        return VALOR_OK;
    if (!json_is_object(sy))
        return jsonv_fail(e, "synergies", "must be an object");
    if (engine_number(sy, "annual", 0, -MONEY_MAX, MONEY_MAX, NULL, &in->syn_annual, e) < 0 ||
        engine_whole(sy, "duration", 0, 0, MA_MAX_SYNERGY_YEARS, &in->syn_duration, e) < 0 ||
        engine_number(sy, "discountRate", 0.10, 0, 1, " (0.10 means 10%)", &in->syn_discount_rate,
                      e) < 0)
        return prefix_field(e, "synergies");
    return VALOR_OK;
}

int ma_inputs_from_json(const json_t *j, struct ma_inputs *in, struct jsonv_err *e,
                        enum ma_error_kind *kind)
{
    const struct {
        const char *field;
        double *out, def, min, max;
    } nums[] = {
        {"acquirerRevenue", &in->acq_revenue, 0, 0, MONEY_MAX},
        {"acquirerEBITDA", &in->acq_ebitda, 0, -MONEY_MAX, MONEY_MAX},
        {"acquirerShares", &in->acq_shares, 0, -MONEY_MAX, MONEY_MAX},
        {"acquirerNetDebt", &in->acq_net_debt, 0, -MONEY_MAX, MONEY_MAX},
        {"acquirerSharePrice", &in->acq_share_price, 0, -MONEY_MAX, MONEY_MAX},
        {"targetRevenue", &in->tgt_revenue, 0, 0, MONEY_MAX},
        {"targetEBITDA", &in->tgt_ebitda, 0, -MONEY_MAX, MONEY_MAX},
        {"targetShares", &in->tgt_shares, 0, -MONEY_MAX, MONEY_MAX},
        {"targetNetDebt", &in->tgt_net_debt, 0, -MONEY_MAX, MONEY_MAX},
        {"purchasePrice", &in->purchase_price, 0, -MONEY_MAX, MONEY_MAX},
        {"taxRate", &in->tax_rate, 0.35, 0, 0.6},
    };
    int has_price;

    memset(in, 0, sizeof(*in));
    in->syn_discount_rate = 0.10;
    *kind = MA_ERR_VALIDATION;
    if (!json_is_object(j))
        return jsonv_fail(e, "inputs", "must be an object");
    for (size_t i = 0; i < sizeof(required_fields) / sizeof(required_fields[0]); i++)
        if (!present(j, required_fields[i])) {
            char msg[96];
            snprintf(msg, sizeof(msg), "Missing required field: %s", required_fields[i]);
            return message(e, kind, required_fields[i], msg);
        }
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if (engine_number(j, nums[i].field, nums[i].def, nums[i].min, nums[i].max,
                          strcmp(nums[i].field, "taxRate") == 0 ? " (0.35 means 35%)" : NULL,
                          nums[i].out, e) < 0)
            return VALOR_E_INVALID;
    has_price = present(j, "acquirerSharePrice");
    if (!(in->purchase_price > 0))
        return message(e, kind, "purchasePrice", "Purchase price must be positive");
    if (read_structure(json_object_get(j, "dealStructure"), in, e, kind) < 0)
        return VALOR_E_INVALID;
    if (read_synergies(json_object_get(j, "synergies"), in, e) < 0)
        return VALOR_E_INVALID;
    if (!(in->acq_shares > 0))
        return jsonv_fail(e, "acquirerShares", "must be positive");
    if (!(in->tgt_shares > 0))
        return jsonv_fail(e, "targetShares", "must be positive");
    if (has_price && !(in->acq_share_price > 0))
        return jsonv_fail(e, "acquirerSharePrice", "must be positive");
    if (!has_price && in->stock_pct > 0 && !(in->acq_revenue > 0))
        return jsonv_fail(e, "acquirerSharePrice",
                          "required for a stock component when acquirerRevenue is 0");
    return VALOR_OK;
}

static void warn(struct ma_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct ma_result *r, const char *fmt, ...)
{
    va_list ap;
    if (r->nwarnings >= MA_MAX_WARNINGS)
        return;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive of clang-tidy 14 */
    vsnprintf(r->warnings[r->nwarnings++], MA_WARNING_LEN, fmt, ap);
    va_end(ap);
}

void ma_compute(const struct ma_inputs *in, struct ma_result *r)
{
    double keep = 1 - in->tax_rate, cash = in->cash_pct / 100, stock = in->stock_pct / 100;

    memset(r, 0, sizeof(*r));
    r->revenue = in->acq_revenue + in->tgt_revenue;
    r->ebitda = in->acq_ebitda + in->tgt_ebitda + in->syn_annual;
    if (in->acq_share_price > 0) {
        r->share_price = in->acq_share_price;
    } else {
        r->share_price = in->acq_revenue / in->acq_shares;
        warn(r,
             "acquirerSharePrice not given; using acquirerRevenue/acquirerShares (%.4g) as the "
             "share price",
             r->share_price);
    }
    r->new_shares = stock > 0 ? in->purchase_price * stock / r->share_price : 0;
    r->shares = in->acq_shares + r->new_shares;
    r->net_debt = in->acq_net_debt + in->tgt_net_debt + in->purchase_price * cash;
    r->net_income = r->ebitda * keep;
    r->eps = r->net_income / r->shares;

    r->pre_eps = in->acq_ebitda * keep / in->acq_shares;
    r->accretion_defined = r->pre_eps != 0;
    if (r->accretion_defined) {
        r->accretion = (r->eps - r->pre_eps) / r->pre_eps;
        if (r->pre_eps < 0)
            warn(r, "Pre-deal EPS is negative; the sign of accretion is not meaningful");
    } else {
        warn(r, "Pre-deal EPS is 0; accretion undefined");
    }
    r->is_accretive = r->eps > r->pre_eps;
    r->target_contribution = in->tgt_ebitda * keep / r->shares;
    r->synergy_contribution = in->syn_annual * keep / r->shares;

    r->syn_annual = in->syn_annual;
    r->syn_duration = in->syn_duration;
    r->syn_discount_rate = in->syn_discount_rate;
    for (int i = 1; i <= in->syn_duration; i++)
        r->syn_pv += in->syn_annual / pow(1 + in->syn_discount_rate, i);
    r->syn_per_share = r->syn_pv / in->acq_shares;

    r->purchase_price = in->purchase_price;
    r->ev_ebitda_defined = in->tgt_ebitda != 0;
    r->ev_ebitda = r->ev_ebitda_defined ? in->purchase_price / in->tgt_ebitda : 0;
    r->ev_revenue_defined = in->tgt_revenue != 0;
    r->ev_revenue = r->ev_revenue_defined ? in->purchase_price / in->tgt_revenue : 0;
    r->pf_ev_ebitda_defined = r->ebitda != 0;
    r->pf_ev_ebitda = r->pf_ev_ebitda_defined ? (in->purchase_price + r->net_debt) / r->ebitda : 0;
    r->roic = r->net_income / in->purchase_price;
    if (!r->ev_ebitda_defined)
        warn(r, "targetEBITDA is 0; ev_ebitda undefined");
    if (!r->ev_revenue_defined)
        warn(r, "targetRevenue is 0; ev_revenue undefined");
    if (!r->pf_ev_ebitda_defined)
        warn(r, "Pro-forma EBITDA is 0; pro_forma_ev_ebitda undefined");
}

static json_t *maybe(int defined, double v)
{
    return defined ? engine_num(v) : json_null();
}

json_t *ma_result_json(const struct ma_result *r)
{
    json_t *warnings = json_array();

    for (int i = 0; warnings != NULL && i < r->nwarnings; i++)
        json_array_append_new(warnings, json_string(r->warnings[i]));
    return json_pack(
        "{s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:b, s:o, s:o}, "
        "s:{s:o, s:i, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:o}, s:o}",
        "pro_forma", "revenue", engine_num(r->revenue), "ebitda", engine_num(r->ebitda),
        "net_income", engine_num(r->net_income), "shares", engine_num(r->shares), "eps",
        engine_num(r->eps), "net_debt", engine_num(r->net_debt), "new_shares_issued",
        engine_num(r->new_shares), "accretion_dilution", "pre_deal_eps", engine_num(r->pre_eps),
        "post_deal_eps", engine_num(r->eps), "accretion", maybe(r->accretion_defined, r->accretion),
        "is_accretive", r->is_accretive, "target_contribution", engine_num(r->target_contribution),
        "synergy_contribution", engine_num(r->synergy_contribution), "synergies", "annual",
        engine_num(r->syn_annual), "duration", r->syn_duration, "discount_rate",
        engine_num(r->syn_discount_rate), "present_value", engine_num(r->syn_pv), "per_share",
        engine_num(r->syn_per_share), "deal_metrics", "purchase_price",
        engine_num(r->purchase_price), "ev_ebitda", maybe(r->ev_ebitda_defined, r->ev_ebitda),
        "ev_revenue", maybe(r->ev_revenue_defined, r->ev_revenue), "pro_forma_ev_ebitda",
        maybe(r->pf_ev_ebitda_defined, r->pf_ev_ebitda), "roic", engine_num(r->roic), "warnings",
        warnings);
}
