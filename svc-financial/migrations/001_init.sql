-- Company data: tenant_id NULL is the shared dataset, a tenant's row overrides
-- it for that tenant. The search_path is the service's schema.
CREATE TABLE companies (
    id bigserial PRIMARY KEY,
    tenant_id text NULL,
    ticker text NOT NULL,
    company_name text NOT NULL,
    sector text,
    data jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX companies_tenant_ticker_key ON companies ((coalesce(tenant_id, '')), ticker);
