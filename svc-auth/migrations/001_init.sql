-- Tenants: one row per organisation. The search_path is the service's schema.
CREATE TABLE tenants (
    id bigserial PRIMARY KEY,
    slug text UNIQUE NOT NULL,
    name text NOT NULL,
    plan text NOT NULL DEFAULT 'standard'
        CHECK (plan IN ('standard', 'professional', 'enterprise')),
    created_at timestamptz NOT NULL DEFAULT now()
);
