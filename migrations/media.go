package migrations

import (
	"context"
	"database/sql"
	"strings"
)

// mediaUp (version 60) keeps product photos: one row per photo, named by
// the SHA-256 of its bytes (media_sha256_key: the same bytes are stored
// once), its resized variants, and the resumable uploads in progress. The
// bytes are BYTEA on PostgreSQL and BLOB on SQLite, hence a Go migration.
func mediaUp(ctx context.Context, db *sql.DB, dialect Dialect) error {
	blob := "BLOB"
	if dialect == Postgres {
		blob = "BYTEA"
	}
	stmts := []string{
		`CREATE TABLE media (
    id            TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    CONSTRAINT media_sha256_key UNIQUE (sha256),
    CONSTRAINT media_bytes_check CHECK (bytes > 0 AND width > 0 AND height > 0)
)`,
		`CREATE TABLE media_variants (
    media_sha256  TEXT NOT NULL REFERENCES media (sha256),
    variant       TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    bytes         BIGINT NOT NULL,
    data          {blob} NOT NULL,
    PRIMARY KEY (media_sha256, variant)
)`,
		`CREATE TABLE media_uploads (
    id            TEXT PRIMARY KEY,
    content_type  TEXT NOT NULL,
    length        BIGINT NOT NULL,
    received      BIGINT NOT NULL DEFAULT 0,
    media_sha256  TEXT REFERENCES media (sha256),
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CONSTRAINT media_uploads_received_check CHECK (received >= 0 AND received <= length)
)`,
		`CREATE TABLE media_upload_chunks (
    upload_id     TEXT NOT NULL REFERENCES media_uploads (id),
    start_offset  BIGINT NOT NULL,
    data          {blob} NOT NULL,
    PRIMARY KEY (upload_id, start_offset)
)`,
	}
	for i := range stmts {
		stmts[i] = strings.ReplaceAll(stmts[i], "{blob}", blob)
	}
	return inTx(ctx, db, stmts)
}

func mediaDown(ctx context.Context, db *sql.DB, _ Dialect) error {
	return inTx(ctx, db, []string{`DROP TABLE media_upload_chunks`, `DROP TABLE media_uploads`, `DROP TABLE media_variants`, `DROP TABLE media`})
}
