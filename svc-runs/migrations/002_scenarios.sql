-- Saved scenarios (upsert key: tenant, ticker, name) and the indexes of the
-- list queries (api.md §3). The search_path is the service's schema.
CREATE INDEX runs_tenant_updated_idx ON runs (tenant_id, updated_at DESC, id DESC);
CREATE INDEX runs_tenant_ticker_idx ON runs (tenant_id, ticker, created_at DESC);

CREATE TABLE scenarios (
    id bigserial PRIMARY KEY,
    scenario_id uuid UNIQUE NOT NULL,
    tenant_id text NOT NULL,
    user_id text NOT NULL,
    name text NOT NULL,
    ticker text NOT NULL,
    inputs jsonb NOT NULL,
    mc_settings jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX scenarios_tenant_ticker_name_key ON scenarios (tenant_id, ticker, name);
CREATE INDEX scenarios_tenant_updated_idx ON scenarios (tenant_id, updated_at DESC, id DESC);
