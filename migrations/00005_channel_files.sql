-- Files an assisted channel (GeM) produces for staff to upload in its
-- portal. Kept in the database, base64 in TEXT for both dialects, so every
-- api replica can serve them.

-- +goose Up
CREATE TABLE channel_files (
    id            TEXT PRIMARY KEY,
    channel_id    TEXT NOT NULL REFERENCES channels (id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL CHECK (size_bytes >= 0),
    items         BIGINT NOT NULL DEFAULT 0,
    content       TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX channel_files_channel_idx ON channel_files (channel_id, id);

-- +goose Down
DROP TABLE channel_files;
