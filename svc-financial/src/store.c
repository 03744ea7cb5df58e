/* store: SQL for companies, statements and prices (see store.h). Rows go
 * in and out as JSON built by PostgreSQL (jsonb_to_record[set],
 * json_build_object), so numeric values keep their exact digits. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "company.h"
#include "valor/crypto.h"
#include "valor/db.h"
#include "valor/err.h"

#define COMPANY_COLS                                                                               \
    "ticker, company_name, sector, industry, currency, market_cap, revenue, ebit, net_income, "    \
    "shares_outstanding, beta, total_debt, cash, pe_ratio, pb_ratio, profit_margin, "              \
    "operating_margin, return_on_equity, return_on_assets, revenue_growth"

static const char *const SQL_PUT_COMPANY =
    "INSERT INTO companies (tenant_id, " COMPANY_COLS ", data_source, citation, content_hash) "
    "SELECT $1, " COMPANY_COLS ", $3, $4, $5 FROM jsonb_to_record($2::jsonb) AS r("
    "ticker text, company_name text, sector text, industry text, currency text, "
    "market_cap numeric, revenue numeric, ebit numeric, net_income numeric, "
    "shares_outstanding numeric, beta float8, total_debt numeric, cash numeric, "
    "pe_ratio float8, pb_ratio float8, profit_margin float8, operating_margin float8, "
    "return_on_equity float8, return_on_assets float8, revenue_growth float8) "
    "ON CONFLICT ON CONSTRAINT companies_tenant_ticker_key DO UPDATE SET "
    "company_name = excluded.company_name, sector = excluded.sector, "
    "industry = excluded.industry, currency = excluded.currency, "
    "market_cap = excluded.market_cap, revenue = excluded.revenue, ebit = excluded.ebit, "
    "net_income = excluded.net_income, shares_outstanding = excluded.shares_outstanding, "
    "beta = excluded.beta, total_debt = excluded.total_debt, cash = excluded.cash, "
    "pe_ratio = excluded.pe_ratio, pb_ratio = excluded.pb_ratio, "
    "profit_margin = excluded.profit_margin, operating_margin = excluded.operating_margin, "
    "return_on_equity = excluded.return_on_equity, "
    "return_on_assets = excluded.return_on_assets, revenue_growth = excluded.revenue_growth, "
    "data_source = excluded.data_source, citation = excluded.citation, "
    "content_hash = excluded.content_hash, updated_at = now() "
    "WHERE companies.content_hash IS DISTINCT FROM excluded.content_hash "
    "RETURNING id";

struct stmt_table {
    const char *del;
    const char *ins;
};

static const struct stmt_table stmt_tables[] = {
    {"DELETE FROM income_statements WHERE company_id = $1",
     "INSERT INTO income_statements SELECT $1::bigint, r.* FROM jsonb_to_recordset($2::jsonb) "
     "AS r(fiscal_date date, total_revenue numeric, gross_profit numeric, "
     "operating_income numeric, net_income numeric, ebitda numeric, ebit numeric)"},
    {"DELETE FROM balance_sheets WHERE company_id = $1",
     "INSERT INTO balance_sheets SELECT $1::bigint, r.* FROM jsonb_to_recordset($2::jsonb) "
     "AS r(fiscal_date date, total_assets numeric, total_current_assets numeric, "
     "total_liabilities numeric, total_current_liabilities numeric, total_equity numeric, "
     "total_debt numeric, cash_and_equivalents numeric, inventory numeric, "
     "accounts_receivable numeric, accounts_payable numeric)"},
    {"DELETE FROM cash_flows WHERE company_id = $1",
     "INSERT INTO cash_flows SELECT $1::bigint, r.* FROM jsonb_to_recordset($2::jsonb) "
     "AS r(fiscal_date date, operating_cash_flow numeric, investing_cash_flow numeric, "
     "financing_cash_flow numeric, capital_expenditures numeric, free_cash_flow numeric)"},
};
static const char *const stmt_names[] = {"income_statements", "balance_sheets", "cash_flows"};

int fin_store_put_company(struct db_conn *conn, const char *tenant, const json_t *company,
                          const char *data_source, const char *citation, int *changed)
{
    char *text = NULL, *canon = NULL, *arr = NULL, hash[65], id[32];
    PGresult *res = NULL;
    int rc = VALOR_E_NOMEM;

    *changed = 0;
    text = json_dumps(company, JSON_COMPACT);
    canon = json_dumps(company, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL || canon == NULL)
        goto out;
    {
        size_t n = strlen(canon) + strlen(data_source) + (citation ? strlen(citation) : 0) + 4;
        char *buf = malloc(n);
        if (buf == NULL)
            goto out;
        snprintf(buf, n, "%s\n%s\n%s", canon, data_source, citation ? citation : "");
        rc = crypto_sha256_hex(buf, strlen(buf), hash);
        free(buf);
        if (rc != VALOR_OK)
            goto out;
    }
    const char *p[5] = {tenant, text, data_source, citation, hash};
    if ((rc = db_exec(conn, SQL_PUT_COMPANY, 5, p, &res)) != VALOR_OK)
        goto out;
    if (PQntuples(res) == 0)
        goto out; /* identical content: nothing to rewrite */
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    for (size_t i = 0; i < 3; i++) {
        const char *dp[1] = {id};
        rc = VALOR_E_NOMEM;
        free(arr);
        if ((arr = json_dumps(json_object_get(company, stmt_names[i]), JSON_COMPACT)) == NULL)
            goto out;
        const char *ip[2] = {id, arr};
        if ((rc = db_exec(conn, stmt_tables[i].del, 1, dp, NULL)) != VALOR_OK ||
            (rc = db_exec(conn, stmt_tables[i].ins, 2, ip, NULL)) != VALOR_OK)
            goto out;
    }
    *changed = 1;
out:
    PQclear(res);
    free(text);
    free(canon);
    free(arr);
    return rc;
}

#define STMT_JSON(table, fields)                                                                   \
    "(SELECT coalesce(json_agg(json_build_object('fiscal_date', "                                  \
    "to_char(s.fiscal_date, 'YYYY-MM-DD'), " fields ") ORDER BY s.fiscal_date DESC), '[]'::json) " \
    "FROM (SELECT * FROM " table " WHERE company_id = c.id ORDER BY fiscal_date DESC LIMIT 5) s)"

static const char *const SQL_GET_COMPANY =
    "SELECT json_build_object('ticker', c.ticker, 'company_name', c.company_name, "
    "'sector', c.sector, 'industry', c.industry, 'currency', c.currency, "
    "'market_cap', c.market_cap, 'revenue', c.revenue, 'ebit', c.ebit, "
    "'net_income', c.net_income, 'shares_outstanding', c.shares_outstanding, 'beta', c.beta, "
    "'total_debt', c.total_debt, 'cash', c.cash, 'pe_ratio', c.pe_ratio, "
    "'pb_ratio', c.pb_ratio, 'profit_margin', c.profit_margin, "
    "'operating_margin', c.operating_margin, 'return_on_equity', c.return_on_equity, "
    "'return_on_assets', c.return_on_assets, 'revenue_growth', c.revenue_growth, "
    "'income_statements', " STMT_JSON(
        "income_statements",
        "'total_revenue', s.total_revenue, 'gross_profit', s.gross_profit, "
        "'operating_income', s.operating_income, 'net_income', s.net_income, "
        "'ebitda', s.ebitda, 'ebit', s.ebit") ", "
                                              "'balance_sheets', " STMT_JSON(
                                                  "balance_sheets",
                                                  "'total_assets', "
                                                  "s.total_assets, "
                                                  "'total_current_assets', "
                                                  "s.total_current_assets, "
                                                  "'total_liabilities', "
                                                  "s.total_liabilities, "
                                                  "'total_current_liabilities', "
                                                  "s.total_current_liabilities, "
                                                  "'total_equity', "
                                                  "s.total_equity, 'total_debt', "
                                                  "s.total_debt, "
                                                  "'cash_and_equivalents', "
                                                  "s.cash_and_equivalents, "
                                                  "'inventory', s.inventory, "
                                                  "'accounts_receivable', "
                                                  "s.accounts_receivable, "
                                                  "'accounts_payable', "
                                                  "s.accounts_payable") ", "
                                                                        "'cash_"
                                                                        "flows',"
                                                                        " " STMT_JSON(
                                                                            "cash"
                                                                            "_flo"
                                                                            "ws",
                                                                            "'ope"
                                                                            "rati"
                                                                            "ng_"
                                                                            "cash"
                                                                            "_flo"
                                                                            "w', "
                                                                            "s."
                                                                            "oper"
                                                                            "atin"
                                                                            "g_"
                                                                            "cash"
                                                                            "_flo"
                                                                            "w, "
                                                                            "'inv"
                                                                            "esti"
                                                                            "ng_"
                                                                            "cash"
                                                                            "_flo"
                                                                            "w', "
                                                                            "s."
                                                                            "inve"
                                                                            "stin"
                                                                            "g_"
                                                                            "cash"
                                                                            "_flo"
                                                                            "w, "
                                                                            "'fin"
                                                                            "anci"
                                                                            "ng_"
                                                                            "cash"
                                                                            "_flo"
                                                                            "w', "
                                                                            "s."
                                                                            "fina"
                                                                            "ncin"
                                                                            "g_"
                                                                            "cash"
                                                                            "_flo"
                                                                            "w, "
                                                                            "'cap"
                                                                            "ital"
                                                                            "_exp"
                                                                            "endi"
                                                                            "ture"
                                                                            "s', "
                                                                            "s."
                                                                            "capi"
                                                                            "tal_"
                                                                            "expe"
                                                                            "ndit"
                                                                            "ures"
                                                                            ", "
                                                                            "'fre"
                                                                            "e_"
                                                                            "cash"
                                                                            "_flo"
                                                                            "w', "
                                                                            "s."
                                                                            "free"
                                                                            "_cas"
                                                                            "h_"
                                                                            "flo"
                                                                            "w") ") AS company, "
                                                                                 "c.data_source, "
                                                                                 "c.updated_at "
                                                                                 "FROM companies c "
                                                                                 "WHERE c.ticker = "
                                                                                 "$1 AND "
                                                                                 "(c.tenant_id = "
                                                                                 "$2 OR "
                                                                                 "c.tenant_id IS "
                                                                                 "NULL) "
                                                                                 "ORDER BY "
                                                                                 "c.tenant_id "
                                                                                 "NULLS LAST LIMIT "
                                                                                 "1";

int fin_store_get_company(struct db_conn *conn, const char *tenant, const char *ticker,
                          json_t **company, char *data_source, char *as_of)
{
    const char *p[2] = {ticker, tenant};
    PGresult *res = NULL;
    json_t *row = NULL;
    int rc;

    *company = NULL;
    if ((rc = db_exec(conn, SQL_GET_COMPANY, 2, p, &res)) != VALOR_OK)
        goto out;
    rc = VALOR_E_NOT_FOUND;
    if (PQntuples(res) == 0)
        goto out;
    rc = VALOR_E_NOMEM;
    if ((row = db_row_json(res, 0)) == NULL || !json_is_object(json_object_get(row, "company")))
        goto out;
    snprintf(data_source, 16, "%s", json_string_value(json_object_get(row, "data_source")));
    snprintf(as_of, 32, "%s", json_string_value(json_object_get(row, "updated_at")));
    *company = json_incref(json_object_get(row, "company"));
    rc = VALOR_OK;
out:
    json_decref(row);
    PQclear(res);
    return rc;
}

static const char *const SQL_SEARCH =
    "SELECT coalesce(json_agg(json_build_object('ticker', v.ticker, "
    "'company_name', v.company_name, 'sector', v.sector) ORDER BY v.ticker), '[]'::json) "
    "FROM (SELECT DISTINCT ON (ticker) ticker, company_name, sector FROM companies "
    "WHERE (tenant_id IS NULL OR tenant_id = $1) AND ticker IN (SELECT ticker FROM companies "
    "WHERE (tenant_id IS NULL OR tenant_id = $1) "
    "AND (ticker LIKE $2 OR lower(company_name) LIKE $3)) "
    "ORDER BY ticker, tenant_id NULLS LAST) v "
    "WHERE v.ticker LIKE $2 OR lower(v.company_name) LIKE $3 "
    "LIMIT 50";

/* LIKE pattern "<escaped q>%", upper- or lower-cased. */
static char *like_prefix(const char *q, int upper)
{
    size_t n = strlen(q);
    char *out = malloc(2 * n + 2), *w = out;
    if (out == NULL)
        return NULL;
    for (const char *r = q; *r; r++) {
        char c = *r;
        if (c == '%' || c == '_' || c == '\\')
            *w++ = '\\';
        if (c >= 'a' && c <= 'z' && upper)
            c = (char)(c - 'a' + 'A');
        else if (c >= 'A' && c <= 'Z' && !upper)
            c = (char)(c - 'A' + 'a');
        *w++ = c;
    }
    *w++ = '%';
    *w = '\0';
    return out;
}

static int one_json(struct db_conn *conn, const char *sql, int n, const char *const *p,
                    json_t **out)
{
    PGresult *res = NULL;
    json_t *row = NULL;
    int rc;

    *out = NULL;
    if ((rc = db_exec(conn, sql, n, p, &res)) != VALOR_OK)
        goto out;
    rc = VALOR_E_INTERNAL;
    if (PQntuples(res) != 1 || (row = db_row_json(res, 0)) == NULL)
        goto out;
    *out = json_incref(json_object_iter_value(json_object_iter(row)));
    rc = *out != NULL ? VALOR_OK : VALOR_E_INTERNAL;
out:
    json_decref(row);
    PQclear(res);
    return rc;
}

int fin_store_search(struct db_conn *conn, const char *tenant, const char *q, json_t **out)
{
    char *up = like_prefix(q, 1), *low = like_prefix(q, 0);
    int rc = VALOR_E_NOMEM;

    *out = NULL;
    if (up != NULL && low != NULL) {
        const char *p[3] = {tenant, up, low};
        rc = one_json(conn, SQL_SEARCH, 3, p, out);
    }
    free(up);
    free(low);
    return rc;
}

static const char *const SQL_PUT_PRICES =
    "WITH up AS (INSERT INTO daily_prices (tenant_id, ticker, price_date, open, high, low, "
    "close, volume) SELECT NULL, r.ticker, r.date, r.open, r.high, r.low, r.close, r.volume "
    "FROM jsonb_to_recordset($1::jsonb) AS r(ticker text, date date, open numeric, "
    "high numeric, low numeric, close numeric, volume bigint) "
    "ON CONFLICT ON CONSTRAINT daily_prices_key DO UPDATE SET open = excluded.open, "
    "high = excluded.high, low = excluded.low, close = excluded.close, "
    "volume = excluded.volume WHERE (daily_prices.open, daily_prices.high, daily_prices.low, "
    "daily_prices.close, daily_prices.volume) IS DISTINCT FROM (excluded.open, excluded.high, "
    "excluded.low, excluded.close, excluded.volume) RETURNING ticker) "
    "SELECT coalesce(json_object_agg(ticker, n), '{}'::json) FROM "
    "(SELECT ticker, count(*) AS n FROM up GROUP BY ticker) t";

int fin_store_put_prices(struct db_conn *conn, const json_t *rows, json_t **changed)
{
    char *text = json_dumps(rows, JSON_COMPACT);
    json_t *c = NULL;
    int rc = VALOR_E_NOMEM;

    if (text != NULL) {
        const char *p[1] = {text};
        rc = one_json(conn, SQL_PUT_PRICES, 1, p, &c);
    }
    free(text);
    if (changed != NULL)
        *changed = c;
    else
        json_decref(c);
    return rc;
}

static const char *const SQL_PRICES =
    "SELECT coalesce(json_agg(json_build_object('date', to_char(p.period, 'YYYY-MM-DD'), "
    "'open', p.open, 'high', p.high, 'low', p.low, 'close', p.close, 'volume', p.volume) "
    "ORDER BY p.period DESC), '[]'::json) FROM ("
    "SELECT date_trunc($3, price_date::timestamp)::date AS period, "
    "(array_agg(open ORDER BY price_date))[1] AS open, max(high) AS high, min(low) AS low, "
    "(array_agg(close ORDER BY price_date DESC))[1] AS close, sum(volume)::bigint AS volume "
    "FROM daily_prices WHERE ticker = $1 AND tenant_id IS NOT DISTINCT FROM "
    "(SELECT tenant_id FROM daily_prices WHERE ticker = $1 AND (tenant_id = $2 OR "
    "tenant_id IS NULL) ORDER BY tenant_id NULLS LAST LIMIT 1) "
    "GROUP BY 1 ORDER BY 1 DESC LIMIT $4::int) p";

int fin_store_prices(struct db_conn *conn, const char *tenant, const char *ticker,
                     const char *interval, long limit, json_t **out)
{
    char lim[24];
    snprintf(lim, sizeof(lim), "%ld", limit);
    const char *p[4] = {ticker, tenant, interval, lim};
    return one_json(conn, SQL_PRICES, 4, p, out);
}
