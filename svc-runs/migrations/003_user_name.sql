-- The author's username as their access token named it when the run was saved
-- (preferred_username), printed on reports; NULL for runs saved before, or with
-- a token without the claim. A snapshot: usernames never change.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS user_name text;
