-- The web console (issue 14): people sign in with a name and a password
-- (argon2id, its PHC string in password_hash; empty: no password, no
-- sign-in), and hold sessions stored by the hash of their cookie.
-- failed_signins counts wrong passwords since the last success; at the
-- limit the user is locked until locked_until, the counter starting again.

-- +goose Up
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN failed_signins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMP;
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

CREATE TABLE console_sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);
CREATE UNIQUE INDEX console_sessions_hash_key ON console_sessions (token_hash);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE console_sessions;
ALTER TABLE users DROP COLUMN language;
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_signins;
ALTER TABLE users DROP COLUMN password_hash;
