-- LBO and M&A runs and scenarios; notes get an ETag and a creation time.
-- Every table is tenant-owned (tenant_id NOT NULL, every query filters on it);
-- the API's upsert keys and "one note per ticker" are unique indexes.
-- Public ids are UUIDs (gen_random_uuid(), built into PostgreSQL 13+); the
-- integer id is returned for compatibility.

CREATE TABLE lbo_runs (
    id bigserial PRIMARY KEY,
    run_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    tenant_id text NOT NULL,
    user_id text NOT NULL,
    company_name text NOT NULL,
    inputs jsonb NOT NULL,
    results jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lbo_runs_tenant_created ON lbo_runs (tenant_id, created_at DESC, id DESC);
CREATE INDEX lbo_runs_tenant_updated ON lbo_runs (tenant_id, updated_at DESC, id DESC);

CREATE TABLE lbo_scenarios (
    id bigserial PRIMARY KEY,
    scenario_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    tenant_id text NOT NULL,
    user_id text NOT NULL,
    name text NOT NULL,
    company_name text NOT NULL,
    inputs jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX lbo_scenarios_upsert_key ON lbo_scenarios (tenant_id, company_name, name);
CREATE INDEX lbo_scenarios_tenant_updated ON lbo_scenarios (tenant_id, updated_at DESC, id DESC);

CREATE TABLE ma_runs (
    id bigserial PRIMARY KEY,
    run_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    tenant_id text NOT NULL,
    user_id text NOT NULL,
    deal_name text NOT NULL,
    acquirer_name text NOT NULL,
    target_name text NOT NULL,
    inputs jsonb NOT NULL,
    results jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ma_runs_tenant_created ON ma_runs (tenant_id, created_at DESC, id DESC);
CREATE INDEX ma_runs_tenant_updated ON ma_runs (tenant_id, updated_at DESC, id DESC);

CREATE TABLE ma_scenarios (
    id bigserial PRIMARY KEY,
    scenario_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    tenant_id text NOT NULL,
    user_id text NOT NULL,
    name text NOT NULL,
    deal_name text NOT NULL,
    acquirer_name text NOT NULL,
    target_name text NOT NULL,
    inputs jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ma_scenarios_upsert_key ON ma_scenarios (tenant_id, name);
CREATE INDEX ma_scenarios_tenant_updated ON ma_scenarios (tenant_id, updated_at DESC, id DESC);

-- notes (001): the strong ETag of the current version, computed by the service
-- as sha256(tenant|ticker|version|content); versions start at 1.
ALTER TABLE notes
    ADD COLUMN etag text NOT NULL DEFAULT '',
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT notes_version_positive CHECK (version >= 1),
    ADD CONSTRAINT notes_content_size CHECK (char_length(content) <= 100000);
