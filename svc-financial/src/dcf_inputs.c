/* dcf_inputs: engines.md §6 (see dcf_inputs.h). */
#include "dcf_inputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "valor/err.h"

#define DEF_GROWTH 0.05
#define DEF_S2C 2.5
#define DEF_WACC 0.09
#define DEF_MARGIN 0.15

/* The number at obj.field, or NAN when absent/null. */
static double num(const json_t *obj, const char *field)
{
    json_t *v = json_object_get(obj, field);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Element i of the statements array `name` (newest first), or NULL. */
static const json_t *stmt(const json_t *c, const char *name, size_t i)
{
    return json_array_get(json_object_get(c, name), i);
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void assume(json_t *list, const char *field, double value, const char *reason)
{
    json_array_append_new(
        list, json_pack("{s:s, s:f, s:s}", "field", field, "value", value, "reason", reason));
}

int fin_dcf_inputs(const json_t *company, json_t **out, char *why, size_t whylen)
{
    const json_t *is0 = stmt(company, "income_statements", 0);
    const json_t *is1 = stmt(company, "income_statements", 1);
    const json_t *bs0 = stmt(company, "balance_sheets", 0);
    json_t *r = NULL, *as = NULL;
    double revenue, latest_rev, prev_rev, ebit, margin, growth, s2c, assets, shares, beta, wacc;
    double debt, cash, ca, cl, nwc;
    int rc = VALOR_E_INVALID;

    *out = NULL;
    if ((as = json_array()) == NULL)
        return VALOR_E_NOMEM;

    /* revenue: TTM (the company-level figure) if known, else latest total_revenue */
    latest_rev = num(is0, "total_revenue");
    revenue = num(company, "revenue");
    if (!(revenue > 0))
        revenue = latest_rev;
    if (!(revenue > 0) || !isfinite(revenue)) {
        snprintf(why, whylen, "revenue is unknown or not positive");
        goto out;
    }
    shares = num(company, "shares_outstanding");
    if (!(shares > 0) || !isfinite(shares)) {
        snprintf(why, whylen, "shares_outstanding is unknown or not positive");
        goto out;
    }

    /* ebitMargin = ebit / revenue of the latest fiscal year */
    ebit = num(is0, "ebit");
    if (!isfinite(ebit))
        ebit = num(is0, "operating_income");
    if (isfinite(ebit) && latest_rev > 0) {
        margin = ebit / latest_rev;
    } else if (isfinite(num(company, "ebit")) && revenue > 0) {
        margin = num(company, "ebit") / revenue;
    } else if (isfinite(num(company, "operating_margin"))) {
        margin = num(company, "operating_margin");
    } else {
        margin = DEF_MARGIN;
        assume(as, "ebitMargin", margin, "EBIT and operating margin unknown");
    }

    /* growthY1 = latest year-over-year revenue growth, clamped to [0, 0.5] */
    prev_rev = num(is1, "total_revenue");
    if (latest_rev > 0 && prev_rev > 0) {
        growth = clamp(latest_rev / prev_rev - 1.0, 0.0, 0.5);
    } else {
        growth = DEF_GROWTH;
        assume(as, "growthY1", growth,
               "fewer than two fiscal years of revenue: growth defaulted (warning)");
    }

    /* salesToCap = revenue / total_assets, within the engine's (0, 10] */
    assets = num(bs0, "total_assets");
    if (assets > 0) {
        s2c = revenue / assets;
        if (s2c > 10.0) {
            s2c = 10.0;
            assume(as, "salesToCap", s2c, "revenue / total_assets above 10: capped");
        } else if (s2c < 0.01) {
            s2c = 0.01;
            assume(as, "salesToCap", s2c, "revenue / total_assets below 0.01: raised");
        }
    } else {
        s2c = DEF_S2C;
        assume(as, "salesToCap", s2c, "total_assets unknown");
    }

    /* netDebt = total_debt - cash (unknown parts count as 0) */
    debt = num(bs0, "total_debt");
    if (!isfinite(debt))
        debt = num(company, "total_debt");
    if (!isfinite(debt)) {
        debt = 0;
        assume(as, "netDebt", 0, "total_debt unknown: counted as 0");
    }
    cash = num(bs0, "cash_and_equivalents");
    if (!isfinite(cash))
        cash = num(company, "cash");
    if (!isfinite(cash)) {
        cash = 0;
        assume(as, "netDebt", 0, "cash unknown: counted as 0");
    }

    /* s1NWC = s2NWC = s3NWC = (current assets - current liabilities) / revenue */
    ca = num(bs0, "total_current_assets");
    cl = num(bs0, "total_current_liabilities");
    if (isfinite(ca) && isfinite(cl)) {
        nwc = (ca - cl) / revenue;
    } else {
        nwc = 0;
        assume(as, "s1NWC", 0, "current assets or current liabilities unknown");
    }

    /* wacc = clamp(0.04 + beta * 0.055, 0.05, 0.15) */
    beta = num(company, "beta");
    if (isfinite(beta)) {
        wacc = clamp(0.04 + beta * 0.055, 0.05, 0.15);
    } else {
        wacc = DEF_WACC;
        assume(as, "wacc", wacc, "beta unknown");
    }

    assume(as, "growthDecay", 0.015, "standard assumption");
    assume(as, "taxRate", 0.25, "standard assumption");
    assume(as, "termGrowth", 0.025, "standard assumption");
    assume(as, "years", 7, "standard assumption");
    assume(as, "stage1End", 3, "standard assumption");
    assume(as, "stage2End", 6, "standard assumption");

    rc = VALOR_E_NOMEM;
    r = json_pack("{s:O?, s:f, s:f, s:f, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:f, "
                  "s:f, s:f}",
                  "ticker", json_object_get(company, "ticker"), "revenue", revenue, "growthY1",
                  growth, "growthDecay", 0.015, "years", 7, "termGrowth", 0.025, "ebitMargin",
                  margin, "taxRate", 0.25, "salesToCap", s2c, "wacc", wacc, "shares", shares,
                  "netDebt", debt - cash, "stage1End", 3, "stage2End", 6, "s1NWC", nwc, "s2NWC",
                  nwc, "s3NWC", nwc);
    if (r == NULL || json_object_set(r, "assumptions", as) != 0)
        goto out;
    *out = r;
    r = NULL;
    rc = VALOR_OK;
out:
    json_decref(r);
    json_decref(as);
    return rc;
}
