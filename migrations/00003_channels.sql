-- Marketplace channels, what each offers (listings), and the exceptions
-- operations work from.

-- +goose Up
CREATE TABLE channels (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('flipkart', 'amazon', 'gem')),
    name                TEXT NOT NULL,
    base_url            TEXT NOT NULL,
    token_url           TEXT NOT NULL DEFAULT '',
    enabled             BOOLEAN NOT NULL DEFAULT FALSE,
    -- AES-GCM sealed JSON with the row id as additional data; write-only.
    credentials_sealed  TEXT NOT NULL DEFAULT '',
    settings            TEXT NOT NULL DEFAULT '{}',
    last_success_at     TIMESTAMP,
    last_error          TEXT NOT NULL DEFAULT '',
    last_error_at       TIMESTAMP,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX channels_name_key ON channels (name);

CREATE TABLE listings (
    id                  TEXT PRIMARY KEY,
    product_id          TEXT NOT NULL REFERENCES products (id),
    channel_id          TEXT NOT NULL REFERENCES channels (id),
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    price_paise         BIGINT CHECK (price_paise IS NULL OR price_paise > 0),
    buffer              BIGINT NOT NULL DEFAULT 0 CHECK (buffer >= 0),
    max_qty             BIGINT CHECK (max_qty IS NULL OR max_qty >= 0),
    external_id         TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'live', 'rejected', 'paused', 'error', 'awaiting_upload')),
    -- What was last pushed, so only changes are pushed again.
    pushed_content      TEXT NOT NULL DEFAULT '',
    pushed_price_paise  BIGINT,
    pushed_mrp_paise    BIGINT,
    pushed_quantity     BIGINT,
    -- dirty_seq grows with every change that may alter what is offered; a
    -- push clears the listing only if no change arrived meanwhile.
    dirty_seq           BIGINT NOT NULL DEFAULT 1,
    synced_seq          BIGINT NOT NULL DEFAULT 0,
    attempts            BIGINT NOT NULL DEFAULT 0,
    last_error          TEXT NOT NULL DEFAULT '',
    last_synced_at      TIMESTAMP,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX listings_product_channel_key ON listings (product_id, channel_id);
CREATE INDEX listings_channel_dirty_idx ON listings (channel_id, id) WHERE dirty_seq > synced_seq;

CREATE TABLE exceptions (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('unmapped_sku', 'oversold', 'listing_rejected', 'sync_failing',
                                               'settlement_mismatch', 'missed_order', 'stock_drift')),
    cause_key    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    summary      TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL DEFAULT '',
    resource     TEXT NOT NULL DEFAULT '',
    resource_id  TEXT NOT NULL DEFAULT '',
    occurrences  BIGINT NOT NULL DEFAULT 1,
    resolution   TEXT NOT NULL DEFAULT '',
    resolved_by  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    resolved_at  TIMESTAMP
);
-- One open exception per cause.
CREATE UNIQUE INDEX exceptions_open_cause_key ON exceptions (cause_key) WHERE status = 'open';
CREATE INDEX exceptions_status_idx ON exceptions (status, id);

-- +goose Down
DROP TABLE exceptions;
DROP TABLE listings;
DROP TABLE channels;
