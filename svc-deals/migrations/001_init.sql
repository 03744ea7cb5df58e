-- Per-ticker notes, one row per (tenant, ticker). The search_path is the
-- service's schema.
CREATE TABLE notes (
    id bigserial PRIMARY KEY,
    tenant_id text NOT NULL,
    ticker text NOT NULL,
    content text NOT NULL,
    version int NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, ticker)
);
