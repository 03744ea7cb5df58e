-- Users, refresh-token families and tokens, and the audit trail (issue 3).
-- The search_path is the service's schema.

CREATE TABLE users (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    username text NOT NULL,
    email text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login timestamptz
);
-- Unique across the whole service (logins name no tenant), case-insensitively.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_tenant_idx ON users (tenant_id, id);

-- A family starts at login (or registration); every refresh rotates within it.
CREATE TABLE refresh_families (
    id uuid PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    revoked_reason text
);
CREATE INDEX refresh_families_user_idx ON refresh_families (user_id) WHERE revoked_at IS NULL;

-- Only the SHA-256 of a refresh token is stored. access_jti is the jti of the
-- access token issued together with it (logout finds the family from it;
-- deactivation denylists the live ones).
CREATE TABLE refresh_tokens (
    id bigserial PRIMARY KEY,
    family_id uuid NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    rotated_from bigint REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    access_jti uuid NOT NULL,
    access_exp timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_jti_idx ON refresh_tokens (access_jti);

-- Every event of the platform (platform.md §3), stored once from the durable
-- JetStream consumer; served newest first per tenant by GET /api/audit.
CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    tenant text NOT NULL,
    type text NOT NULL,
    user_id text,
    entity_id text,
    occurred_at timestamptz,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_tenant_idx ON audit_events (tenant, id DESC);
