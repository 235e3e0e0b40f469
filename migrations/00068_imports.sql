-- Bulk imports (issue 11): a sheet of artisans or products is uploaded,
-- validated whole, then applied in batches by a background job. The job's
-- place in the file is the cursor, committed with each batch, so a job
-- killed half way resumes where the last batch ended: no row twice, none
-- missed. Every bad cell is kept (row, column, value, reason) for the error
-- report; import_keys holds each row's key (code or SKU) while the file is
-- validated, so a key repeated anywhere in the file is found without
-- holding the file's keys in memory.

-- +goose Up
CREATE TABLE imports (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('artisans', 'products')),
    status          TEXT NOT NULL CHECK (status IN ('uploading', 'validating', 'applying', 'done', 'rejected', 'failed')),
    file_name       TEXT NOT NULL,
    format          TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
    file_bytes      BIGINT NOT NULL DEFAULT 0,
    rows_total      BIGINT NOT NULL DEFAULT 0,
    rows_validated  BIGINT NOT NULL DEFAULT 0,
    bytes_validated BIGINT NOT NULL DEFAULT 0,
    rows_applied    BIGINT NOT NULL DEFAULT 0,
    created_count   BIGINT NOT NULL DEFAULT 0,
    updated_count   BIGINT NOT NULL DEFAULT 0,
    unchanged_count BIGINT NOT NULL DEFAULT 0,
    failed_count    BIGINT NOT NULL DEFAULT 0,
    error_count     BIGINT NOT NULL DEFAULT 0,
    message         TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_by_name TEXT NOT NULL DEFAULT '',
    request_id      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP
);
CREATE INDEX imports_status_idx ON imports (status, id);

CREATE TABLE import_errors (
    import_id   TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    line        BIGINT NOT NULL,
    column_name TEXT NOT NULL,
    value       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);

CREATE TABLE import_keys (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_key   TEXT NOT NULL,
    line      BIGINT NOT NULL,
    PRIMARY KEY (import_id, row_key)
);

-- +goose Down
DROP TABLE import_keys;
DROP TABLE import_errors;
DROP TABLE imports;
