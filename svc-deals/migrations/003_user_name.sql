-- The author's username at save time (the access token's preferred_username),
-- printed on LBO and M&A reports; NULL for runs saved before this column.
ALTER TABLE lbo_runs ADD COLUMN IF NOT EXISTS user_name text;
ALTER TABLE ma_runs ADD COLUMN IF NOT EXISTS user_name text;
