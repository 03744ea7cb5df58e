-- Company data (platform.md §5). tenant_id NULL is the shared dataset (seed,
-- imports, Alpha Vantage); a tenant's row overrides it for that tenant only.
-- The search_path is the service's schema. Money columns are numeric (exact,
-- currency units); ratios are double precision.
CREATE TABLE companies (
    id bigserial PRIMARY KEY,
    tenant_id text NULL,
    ticker text NOT NULL,
    company_name text NOT NULL,
    sector text,
    industry text,
    currency text,
    market_cap numeric,
    revenue numeric,
    ebit numeric,
    net_income numeric,
    shares_outstanding numeric,
    beta double precision,
    total_debt numeric,
    cash numeric,
    pe_ratio double precision,
    pb_ratio double precision,
    profit_margin double precision,
    operating_margin double precision,
    return_on_equity double precision,
    return_on_assets double precision,
    revenue_growth double precision,
    data_source text NOT NULL CHECK (data_source IN ('store', 'alpha_vantage')),
    citation text,
    content_hash text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT companies_tenant_ticker_key UNIQUE NULLS NOT DISTINCT (tenant_id, ticker)
);

-- Prefix search (GET /api/financial-data?q=): LIKE 'x%' on these.
CREATE INDEX companies_ticker_prefix_idx ON companies (ticker text_pattern_ops);
CREATE INDEX companies_name_prefix_idx ON companies (lower(company_name) text_pattern_ops);

CREATE TABLE income_statements (
    company_id bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    fiscal_date date NOT NULL,
    total_revenue numeric,
    gross_profit numeric,
    operating_income numeric,
    net_income numeric,
    ebitda numeric,
    ebit numeric,
    PRIMARY KEY (company_id, fiscal_date)
);

CREATE TABLE balance_sheets (
    company_id bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    fiscal_date date NOT NULL,
    total_assets numeric,
    total_current_assets numeric,
    total_liabilities numeric,
    total_current_liabilities numeric,
    total_equity numeric,
    total_debt numeric,
    cash_and_equivalents numeric,
    inventory numeric,
    accounts_receivable numeric,
    accounts_payable numeric,
    PRIMARY KEY (company_id, fiscal_date)
);

CREATE TABLE cash_flows (
    company_id bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    fiscal_date date NOT NULL,
    operating_cash_flow numeric,
    investing_cash_flow numeric,
    financing_cash_flow numeric,
    capital_expenditures numeric,
    free_cash_flow numeric,
    PRIMARY KEY (company_id, fiscal_date)
);

-- Daily prices; tenant_id NULL = shared (the importer and Alpha Vantage write
-- shared rows only; a tenant's rows, when present, win for that tenant).
CREATE TABLE daily_prices (
    tenant_id text NULL,
    ticker text NOT NULL,
    price_date date NOT NULL,
    open numeric NOT NULL,
    high numeric NOT NULL,
    low numeric NOT NULL,
    close numeric NOT NULL,
    volume bigint NOT NULL CHECK (volume >= 0),
    CONSTRAINT daily_prices_key UNIQUE NULLS NOT DISTINCT (tenant_id, ticker, price_date)
);

CREATE INDEX daily_prices_ticker_date_idx ON daily_prices (ticker, price_date DESC);
