-- Saved DCF runs. The search_path is the service's schema.
CREATE TABLE runs (
    id bigserial PRIMARY KEY,
    run_id uuid UNIQUE NOT NULL,
    tenant_id text NOT NULL,
    user_id text NOT NULL,
    ticker text NOT NULL,
    inputs jsonb NOT NULL,
    mc_settings jsonb,
    results jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX runs_tenant_created_idx ON runs (tenant_id, created_at DESC);
