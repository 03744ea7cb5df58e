/* company: <Company> validation and normalisation (see company.h). */
#include "company.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fin_util.h"
#include "valor/err.h"

const char *const fin_company_number_fields[] = {"market_cap",
                                                 "revenue",
                                                 "ebit",
                                                 "net_income",
                                                 "shares_outstanding",
                                                 "beta",
                                                 "total_debt",
                                                 "cash",
                                                 "pe_ratio",
                                                 "pb_ratio",
                                                 "profit_margin",
                                                 "operating_margin",
                                                 "return_on_equity",
                                                 "return_on_assets",
                                                 "revenue_growth",
                                                 NULL};

static const char *const text_fields[] = {"sector", "industry", "currency", NULL};

static const char *const income_fields[] = {
    "total_revenue", "gross_profit", "operating_income", "net_income", "ebitda", "ebit", NULL};
static const char *const balance_fields[] = {"total_assets",
                                             "total_current_assets",
                                             "total_liabilities",
                                             "total_current_liabilities",
                                             "total_equity",
                                             "total_debt",
                                             "cash_and_equivalents",
                                             "inventory",
                                             "accounts_receivable",
                                             "accounts_payable",
                                             NULL};
static const char *const cash_fields[] = {"operating_cash_flow", "investing_cash_flow",
                                          "financing_cash_flow", "capital_expenditures",
                                          "free_cash_flow",      NULL};

struct stmt_kind {
    const char *name;
    const char *const *fields;
};

static const struct stmt_kind kinds[] = {{"income_statements", income_fields},
                                         {"balance_sheets", balance_fields},
                                         {"cash_flows", cash_fields}};

static int in_list(const char *const *list, const char *key)
{
    for (; *list != NULL; list++)
        if (strcmp(*list, key) == 0)
            return 1;
    return 0;
}

/* A number or null (absent = null); finite. Adds it to out. */
static int copy_number(const json_t *obj, const char *field, const char *path, json_t *out,
                       struct jsonv_err *e)
{
    json_t *v = json_object_get(obj, field);
    json_t *n;

    if (v == NULL || json_is_null(v)) {
        json_object_set_new(out, field, json_null());
        return VALOR_OK;
    }
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return jsonv_fail(e, path, "must be a number or null");
    n = json_is_integer(v) ? json_integer(json_integer_value(v))
                           : fin_json_number(json_real_value(v));
    if (n == NULL || json_object_set_new(out, field, n) != 0)
        return VALOR_E_NOMEM;
    return VALOR_OK;
}

static int cmp_date_desc(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(y, "fiscal_date")),
                  json_string_value(json_object_get(x, "fiscal_date")));
}

static int normalize_statements(const json_t *in, const struct stmt_kind *k, json_t *out,
                                struct jsonv_err *e)
{
    json_t *arr = NULL, *items = json_array(), *item;
    json_t *sorted[FIN_MAX_STATEMENTS];
    char path[64];
    size_t i, n;
    const char *key;
    json_t *v;
    int rc;

    if (items == NULL)
        return VALOR_E_NOMEM;
    json_object_set_new(out, k->name, items);
    rc = jsonv_array(in, k->name, JSONV_OPTIONAL, FIN_MAX_STATEMENTS, &arr, e);
    if (rc <= 0)
        return rc;
    n = json_array_size(arr);
    json_array_foreach(arr, i, item)
    {
        const char *date = NULL;
        json_t *st;
        snprintf(path, sizeof(path), "%s[%zu]", k->name, i);
        if (!json_is_object(item))
            return jsonv_fail(e, path, "must be an object");
        json_object_foreach(item, key, v)
        {
            if (strcmp(key, "fiscal_date") != 0 && !in_list(k->fields, key)) {
                snprintf(path, sizeof(path), "%s[%zu].%.24s", k->name, i, key);
                return jsonv_fail(e, path, "unknown field");
            }
        }
        snprintf(path, sizeof(path), "%s[%zu].fiscal_date", k->name, i);
        v = json_object_get(item, "fiscal_date");
        if (v == NULL || json_is_null(v))
            return jsonv_fail(e, path, "required");
        date = json_string_value(v);
        if (date == NULL || !fin_date_valid(date))
            return jsonv_fail(e, path, "must be a date YYYY-MM-DD");
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_object_get(sorted[j], "fiscal_date")), date) == 0)
                return jsonv_fail(e, path, "duplicate fiscal_date %s", date);
        /* items owns st; sorted[] borrows until the final re-ordering */
        st = json_object();
        if (st == NULL || json_array_append_new(items, st) != 0)
            return VALOR_E_NOMEM;
        json_object_set_new(st, "fiscal_date", json_string(date));
        for (const char *const *f = k->fields; *f != NULL; f++) {
            snprintf(path, sizeof(path), "%s[%zu].%s", k->name, i, *f);
            if ((rc = copy_number(item, *f, path, st, e)) != VALOR_OK)
                return rc;
        }
        sorted[i] = st;
    }
    qsort(sorted, n, sizeof(json_t *), cmp_date_desc);
    for (i = 0; i < n; i++)
        json_incref(sorted[i]);
    json_array_clear(items);
    for (i = 0; i < n; i++)
        json_array_append_new(items, sorted[i]);
    return VALOR_OK;
}

int fin_company_normalize(const json_t *in, const char *ticker, json_t **out, const char **citation,
                          struct jsonv_err *e)
{
    json_t *c = NULL, *v;
    const char *key, *s = NULL;
    char t[FIN_TICKER_MAX + 1];
    int rc = VALOR_E_INVALID;

    *out = NULL;
    *citation = NULL;
    if (!json_is_object(in)) {
        jsonv_fail(e, "body", "must be a JSON object");
        goto out;
    }
    json_object_foreach((json_t *)in, key, v)
    {
        if (strcmp(key, "ticker") != 0 && strcmp(key, "company_name") != 0 &&
            strcmp(key, "source") != 0 && !in_list(text_fields, key) &&
            !in_list(fin_company_number_fields, key) && strcmp(key, "income_statements") != 0 &&
            strcmp(key, "balance_sheets") != 0 && strcmp(key, "cash_flows") != 0) {
            char f[64];
            snprintf(f, sizeof(f), "%.60s", key);
            jsonv_fail(e, f, "unknown field");
            goto out;
        }
    }
    rc = jsonv_string(in, "ticker", ticker == NULL, 1, 64, &s, e);
    if (rc < 0)
        goto out;
    if (s != NULL && fin_ticker_norm(s, t) != VALOR_OK) {
        rc = jsonv_fail(e, "ticker", "must be 1-10 characters of A-Z, 0-9, '.' or '-'");
        goto out;
    }
    if (s != NULL && ticker != NULL && strcmp(t, ticker) != 0) {
        rc = jsonv_fail(e, "ticker", "does not match the ticker in the path");
        goto out;
    }
    rc = VALOR_E_NOMEM;
    if ((c = json_object()) == NULL)
        goto out;
    json_object_set_new(c, "ticker", json_string(s != NULL ? t : ticker));
    if ((rc = jsonv_string(in, "company_name", JSONV_REQUIRED, 1, 200, &s, e)) < 0)
        goto out;
    json_object_set_new(c, "company_name", json_string(s));
    for (const char *const *f = text_fields; *f != NULL; f++) {
        s = NULL;
        if ((rc = jsonv_string(in, *f, JSONV_OPTIONAL, 1, 100, &s, e)) < 0)
            goto out;
        json_object_set_new(c, *f, s != NULL ? json_string(s) : json_null());
    }
    for (const char *const *f = fin_company_number_fields; *f != NULL; f++)
        if ((rc = copy_number(in, *f, *f, c, e)) != VALOR_OK)
            goto out;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if ((rc = normalize_statements(in, &kinds[k], c, e)) != VALOR_OK)
            goto out;
    s = NULL;
    if ((rc = jsonv_string(in, "source", JSONV_OPTIONAL, 1, 1000, &s, e)) < 0)
        goto out;
    *citation = s;
    *out = c;
    c = NULL;
    rc = VALOR_OK;
out:
    json_decref(c);
    return rc;
}
