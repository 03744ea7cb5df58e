-- The durable record of every access-token revocation still in force
-- (docs/auth.md "Where revocation lives"). Redis' denylist and each process's
-- local set are copies rebuilt from it; a row is void once its token expired
-- (expires_at + JWT_LEEWAY) and is deleted a day later.
CREATE TABLE revoked_tokens (
    jti uuid PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason text NOT NULL CHECK (reason IN ('logout', 'replay', 'deactivated', 'role_changed')),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);

-- When a user was deactivated: every token issued to them before is void.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
