/* av_parse: Alpha Vantage payload parsing (see av_parse.h). */
#include "av_parse.h"

#include <stdio.h>
#include <string.h>

#include "company.h"
#include "fin_util.h"
#include "valor/err.h"

static int fail(struct fin_upstream_err *err, unsigned status, int rc, const char *msg,
                const char *function)
{
    err->status = status;
    err->retry_after = status == 503 ? FIN_AV_RETRY_AFTER_S : 0;
    snprintf(err->message, sizeof(err->message), "%s (%s)", msg, function);
    return rc;
}

int fin_av_classify(const json_t *payload, const char *function, struct fin_upstream_err *err)
{
    if (!json_is_object(payload))
        return fail(err, 502, VALOR_E_INTERNAL, "Alpha Vantage returned malformed data", function);
    if (json_object_get(payload, "Note") != NULL || json_object_get(payload, "Information") != NULL)
        return fail(err, 503, VALOR_E_UNAVAILABLE, "Alpha Vantage rate limit reached, retry later",
                    function);
    if (json_object_get(payload, "Error Message") != NULL || json_object_size(payload) == 0)
        return fail(err, 404, VALOR_E_NOT_FOUND, "No financial data found for this ticker",
                    function);
    return VALOR_OK;
}

/* Sets out[field] from the string src[key]: number, or null for "None"/"-"/absent.
 * VALOR_E_INVALID for a value that is not a number. */
static int put_num(json_t *out, const char *field, const json_t *src, const char *key)
{
    json_t *v = json_object_get(src, key);
    double d;
    int rc;

    if (v == NULL || json_is_null(v)) {
        rc = 0;
    } else if (json_is_number(v)) {
        d = json_number_value(v);
        rc = 1;
    } else if (json_is_string(v)) {
        rc = fin_parse_number(json_string_value(v), &d);
    } else {
        rc = VALOR_E_INVALID;
    }
    if (rc < 0)
        return rc;
    json_t *n = rc == 1 ? fin_json_number(d) : json_null();
    json_object_set_new(out, field, n != NULL ? n : json_null());
    return VALOR_OK;
}

static void put_str(json_t *out, const char *field, const json_t *src, const char *key)
{
    const char *s = json_string_value(json_object_get(src, key));
    if (s == NULL || *s == '\0' || strcmp(s, "None") == 0 || strcmp(s, "-") == 0 || strlen(s) > 100)
        json_object_set_new(out, field, json_null());
    else
        json_object_set_new(out, field, json_string(s));
}

struct map {
    const char *field; /* ours */
    const char *key;   /* Alpha Vantage's */
};

static const struct map overview_map[] = {
    {"market_cap", "MarketCapitalization"},
    {"revenue", "RevenueTTM"},
    {"ebit", NULL}, /* not in OVERVIEW: taken from the latest income statement */
    {"net_income", NULL},
    {"shares_outstanding", "SharesOutstanding"},
    {"beta", "Beta"},
    {"total_debt", NULL},
    {"cash", NULL},
    {"pe_ratio", "PERatio"},
    {"pb_ratio", "PriceToBookRatio"},
    {"profit_margin", "ProfitMargin"},
    {"operating_margin", "OperatingMarginTTM"},
    {"return_on_equity", "ReturnOnEquityTTM"},
    {"return_on_assets", "ReturnOnAssetsTTM"},
    {"revenue_growth", "QuarterlyRevenueGrowthYOY"},
};

static const struct map income_map[] = {{"total_revenue", "totalRevenue"},
                                        {"gross_profit", "grossProfit"},
                                        {"operating_income", "operatingIncome"},
                                        {"net_income", "netIncome"},
                                        {"ebitda", "ebitda"},
                                        {"ebit", "ebit"},
                                        {NULL, NULL}};
static const struct map balance_map[] = {
    {"total_assets", "totalAssets"},
    {"total_current_assets", "totalCurrentAssets"},
    {"total_liabilities", "totalLiabilities"},
    {"total_current_liabilities", "totalCurrentLiabilities"},
    {"total_equity", "totalShareholderEquity"},
    {"total_debt", "shortLongTermDebtTotal"},
    {"cash_and_equivalents", "cashAndCashEquivalentsAtCarryingValue"},
    {"inventory", "inventory"},
    {"accounts_receivable", "currentNetReceivables"},
    {"accounts_payable", "currentAccountsPayable"},
    {NULL, NULL}};
static const struct map cash_map[] = {{"operating_cash_flow", "operatingCashflow"},
                                      {"investing_cash_flow", "cashflowFromInvestment"},
                                      {"financing_cash_flow", "cashflowFromFinancing"},
                                      {"capital_expenditures", "capitalExpenditures"},
                                      {NULL, NULL}};

static int has_date(const json_t *list, const char *date)
{
    size_t i;
    const json_t *st;
    json_array_foreach(list, i, st)
    {
        if (strcmp(json_string_value(json_object_get(st, "fiscal_date")), date) == 0)
            return 1;
    }
    return 0;
}

/* annualReports → our statements, newest first, at most FIN_SHOW_STATEMENTS.
 * A fiscal date listed twice keeps its first report (the store allows one
 * statement per fiscal date; found by the av_parse fuzz target). */
static int statements(const json_t *payload, const struct map *m, const char *function,
                      json_t **out, struct fin_upstream_err *err)
{
    json_t *reports = json_object_get(payload, "annualReports"), *r, *list = json_array();
    size_t i;

    *out = list;
    if (list == NULL)
        return VALOR_E_NOMEM;
    if (payload == NULL || reports == NULL)
        return VALOR_OK;
    if (!json_is_array(reports))
        return fail(err, 502, VALOR_E_INTERNAL, "Alpha Vantage returned malformed data", function);
    json_array_foreach(reports, i, r)
    {
        const char *date = json_string_value(json_object_get(r, "fiscalDateEnding"));
        json_t *st;
        if (json_array_size(list) >= FIN_SHOW_STATEMENTS)
            break;
        if (!json_is_object(r) || !fin_date_valid(date))
            return fail(err, 502, VALOR_E_INTERNAL,
                        "Alpha Vantage returned malformed data: bad fiscalDateEnding", function);
        if (has_date(list, date))
            continue;
        if ((st = json_object()) == NULL || json_array_append_new(list, st) != 0)
            return VALOR_E_NOMEM;
        json_object_set_new(st, "fiscal_date", json_string(date));
        for (const struct map *p = m; p->field != NULL; p++)
            if (put_num(st, p->field, r, p->key) != VALOR_OK)
                return fail(err, 502, VALOR_E_INTERNAL,
                            "Alpha Vantage returned malformed data: a value is not a number",
                            function);
        if (m == balance_map && json_is_null(json_object_get(st, "total_debt"))) {
            /* older payloads: long-term + short-term debt */
            double lt, stt;
            if (fin_parse_number(json_string_value(json_object_get(r, "longTermDebt")), &lt) == 1 &&
                fin_parse_number(json_string_value(json_object_get(r, "shortTermDebt")), &stt) == 1)
                json_object_set_new(st, "total_debt", fin_json_number(lt + stt));
        }
        if (m == cash_map) {
            json_t *ocf = json_object_get(st, "operating_cash_flow");
            json_t *capex = json_object_get(st, "capital_expenditures");
            json_object_set_new(
                st, "free_cash_flow",
                json_is_number(ocf) && json_is_number(capex)
                    ? fin_json_number(json_number_value(ocf) - json_number_value(capex))
                    : json_null());
        }
    }
    return VALOR_OK;
}

int fin_av_company(const char *ticker, const json_t *overview, const json_t *income,
                   const json_t *balance, const json_t *cash, json_t **out,
                   struct fin_upstream_err *err)
{
    json_t *c = NULL, *is = NULL, *bs = NULL, *cf = NULL;
    const char *name = json_string_value(json_object_get(overview, "Name"));
    int rc = VALOR_E_NOMEM;

    *out = NULL;
    if (name == NULL || *name == '\0' || strlen(name) > 200) {
        rc = fail(err, 502, VALOR_E_INTERNAL, "Alpha Vantage returned malformed data: no Name",
                  "OVERVIEW");
        goto out;
    }
    if ((c = json_object()) == NULL)
        goto out;
    json_object_set_new(c, "ticker", json_string(ticker));
    json_object_set_new(c, "company_name", json_string(name));
    put_str(c, "sector", overview, "Sector");
    put_str(c, "industry", overview, "Industry");
    put_str(c, "currency", overview, "Currency");
    for (size_t i = 0; i < sizeof(overview_map) / sizeof(overview_map[0]); i++) {
        if (overview_map[i].key == NULL) {
            json_object_set_new(c, overview_map[i].field, json_null());
        } else if (put_num(c, overview_map[i].field, overview, overview_map[i].key) != VALOR_OK) {
            rc = fail(err, 502, VALOR_E_INTERNAL,
                      "Alpha Vantage returned malformed data: a value is not a number", "OVERVIEW");
            goto out;
        }
    }
    if ((rc = statements(income, income_map, "INCOME_STATEMENT", &is, err)) != VALOR_OK ||
        (rc = statements(balance, balance_map, "BALANCE_SHEET", &bs, err)) != VALOR_OK ||
        (rc = statements(cash, cash_map, "CASH_FLOW", &cf, err)) != VALOR_OK)
        goto out;
    /* company-level figures the overview lacks, from the latest statements */
    json_t *is0 = json_array_get(is, 0), *bs0 = json_array_get(bs, 0);
    if (is0 != NULL) {
        json_t *ebit = json_object_get(is0, "ebit");
        if (json_is_null(ebit))
            ebit = json_object_get(is0, "operating_income");
        json_object_set(c, "ebit", ebit);
        json_object_set(c, "net_income", json_object_get(is0, "net_income"));
        if (json_is_null(json_object_get(c, "revenue")))
            json_object_set(c, "revenue", json_object_get(is0, "total_revenue"));
    }
    if (bs0 != NULL) {
        json_object_set(c, "total_debt", json_object_get(bs0, "total_debt"));
        json_object_set(c, "cash", json_object_get(bs0, "cash_and_equivalents"));
    }
    json_object_set_new(c, "income_statements", is);
    json_object_set_new(c, "balance_sheets", bs);
    json_object_set_new(c, "cash_flows", cf);
    is = bs = cf = NULL;
    *out = c;
    c = NULL;
    rc = VALOR_OK;
out:
    json_decref(is);
    json_decref(bs);
    json_decref(cf);
    json_decref(c);
    return rc;
}
