-- Reconciliations (issue 12): a run compares what a marketplace holds with
-- what the channel should hold now (stock) or re-reads a window of its
-- orders (orders), as a background job with progress. Each difference it
-- finds is a row, paged by id, saying what was done about it.

-- +goose Up
CREATE TABLE reconciliations (
    id           TEXT PRIMARY KEY,
    channel_id   TEXT NOT NULL REFERENCES channels (id),
    kind         TEXT NOT NULL CHECK (kind IN ('stock', 'orders')),
    auto_correct BOOLEAN NOT NULL DEFAULT FALSE,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    total        BIGINT NOT NULL DEFAULT 0,
    checked      BIGINT NOT NULL DEFAULT 0,
    differences  BIGINT NOT NULL DEFAULT 0,
    corrected    BIGINT NOT NULL DEFAULT 0,
    ingested     BIGINT NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    -- schedule_key names a scheduled run (the night it is for); replicas
    -- starting the same night's run write one row. NULL on demand.
    schedule_key TEXT,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE INDEX reconciliations_channel_idx ON reconciliations (channel_id, id);
CREATE UNIQUE INDEX reconciliations_schedule_key ON reconciliations (channel_id, kind, schedule_key);

CREATE TABLE reconciliation_differences (
    id                 TEXT PRIMARY KEY,
    reconciliation_id  TEXT NOT NULL REFERENCES reconciliations (id),
    sku                TEXT NOT NULL,
    listing_id         TEXT NOT NULL DEFAULT '',
    class              TEXT NOT NULL CHECK (class IN ('push_pending', 'edited_on_marketplace', 'unknown_sku', 'missing_there',
                                                      'price_differs', 'missed_order', 'status_differs')),
    ours_quantity      BIGINT,
    theirs_quantity    BIGINT,
    ours_price_paise   BIGINT,
    theirs_price_paise BIGINT,
    detail             TEXT NOT NULL DEFAULT '',
    action             TEXT NOT NULL CHECK (action IN ('reported', 'corrected', 'ingested')),
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX reconciliation_differences_run_idx ON reconciliation_differences (reconciliation_id, id);

-- +goose Down
DROP TABLE reconciliation_differences;
DROP TABLE reconciliations;
