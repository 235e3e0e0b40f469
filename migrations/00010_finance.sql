-- Finance: fee schedules per channel, settlement lines as the marketplace
-- reported them (matched and classified), the double-entry ledger (an
-- entry per source, postings summing to zero; both append-only, see
-- migration 11), and each artisan's earnings with the date they fall due.

-- +goose Up
CREATE TABLE fee_schedules (
    id                       TEXT PRIMARY KEY,
    channel_id               TEXT NOT NULL REFERENCES channels (id),
    category                 TEXT NOT NULL DEFAULT '',
    effective_from           TIMESTAMP NOT NULL,
    effective_to             TIMESTAMP,
    commission_bp            BIGINT NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
    fixed_fee_slabs          TEXT NOT NULL DEFAULT '[]',
    collection_fee_bp        BIGINT NOT NULL DEFAULT 0 CHECK (collection_fee_bp BETWEEN 0 AND 10000),
    shipping_fee_paise       BIGINT NOT NULL DEFAULT 0 CHECK (shipping_fee_paise >= 0),
    commission_waived_until  TIMESTAMP,
    created_at               TIMESTAMP NOT NULL
);
CREATE INDEX fee_schedules_channel_idx ON fee_schedules (channel_id, effective_from);

CREATE TABLE settlement_lines (
    id                  TEXT PRIMARY KEY,
    channel_id          TEXT NOT NULL REFERENCES channels (id),
    settlement_ref      TEXT NOT NULL,
    external_order_id   TEXT NOT NULL,
    external_line_id    TEXT NOT NULL,
    line_id             TEXT REFERENCES order_lines (id),
    settled_on          TIMESTAMP NOT NULL,
    gross_paise         BIGINT NOT NULL,
    fees_paise          BIGINT NOT NULL,
    gst_on_fees_paise   BIGINT NOT NULL,
    tcs_paise           BIGINT NOT NULL,
    tds_paise           BIGINT NOT NULL,
    net_paise           BIGINT NOT NULL,
    expected_net_paise  BIGINT,
    status              TEXT NOT NULL CHECK (status IN ('settled', 'short_paid', 'unmatched')),
    differences         TEXT NOT NULL DEFAULT '[]',
    file_name           TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX settlement_lines_key ON settlement_lines (channel_id, settlement_ref, external_order_id, external_line_id);
CREATE INDEX settlement_lines_status_idx ON settlement_lines (status, id);

CREATE TABLE ledger_entries (
    id           TEXT PRIMARY KEY,
    source_ref   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    memo         TEXT NOT NULL DEFAULT '',
    occurred_at  TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ledger_entries_source_key ON ledger_entries (source_ref);

CREATE TABLE ledger_postings (
    id            TEXT PRIMARY KEY,
    entry_id      TEXT NOT NULL REFERENCES ledger_entries (id),
    account       TEXT NOT NULL,
    artisan_id    TEXT REFERENCES artisans (id),
    amount_paise  BIGINT NOT NULL CHECK (amount_paise <> 0),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account);
CREATE INDEX ledger_postings_artisan_idx ON ledger_postings (artisan_id, created_at);
CREATE INDEX ledger_postings_entry_idx ON ledger_postings (entry_id);

-- An artisan's earning from one settled order line: held in the return
-- window, then payable.
CREATE TABLE artisan_earnings (
    id             TEXT PRIMARY KEY,
    line_id        TEXT NOT NULL REFERENCES order_lines (id),
    artisan_id     TEXT NOT NULL REFERENCES artisans (id),
    amount_paise   BIGINT NOT NULL CHECK (amount_paise >= 0),
    payable_after  TIMESTAMP NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('held', 'payable', 'clawed_back')),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX artisan_earnings_line_key ON artisan_earnings (line_id);
CREATE INDEX artisan_earnings_due_idx ON artisan_earnings (status, payable_after);

-- +goose Down
DROP TABLE artisan_earnings;
DROP TABLE ledger_postings;
DROP TABLE ledger_entries;
DROP TABLE settlement_lines;
DROP TABLE fee_schedules;
