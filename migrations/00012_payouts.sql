-- Payout batches: drafted by one finance user from every eligible payable
-- balance, approved by another, exported as a NEFT bulk file, then marked
-- paid (or failed) line by line from the bank's answer.

-- +goose Up
CREATE TABLE payout_batches (
    id            TEXT PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'exported', 'paid')),
    created_by    TEXT NOT NULL,
    approved_by   TEXT NOT NULL DEFAULT '',
    min_paise     BIGINT NOT NULL,
    total_paise   BIGINT NOT NULL,
    line_count    BIGINT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    approved_at   TIMESTAMP,
    exported_at   TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE payout_lines (
    id              TEXT PRIMARY KEY,
    batch_id        TEXT NOT NULL REFERENCES payout_batches (id),
    artisan_id      TEXT NOT NULL REFERENCES artisans (id),
    amount_paise    BIGINT NOT NULL CHECK (amount_paise > 0),
    reference       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    utr             TEXT NOT NULL DEFAULT '',
    failure_reason  TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX payout_lines_reference_key ON payout_lines (reference);
CREATE INDEX payout_lines_batch_idx ON payout_lines (batch_id, id);
-- An artisan is in at most one unfinished payout: two batches drafted at
-- once can never both pay the same balance.
CREATE UNIQUE INDEX payout_lines_pending_artisan_key ON payout_lines (artisan_id) WHERE status = 'pending';

-- +goose Down
DROP TABLE payout_lines;
DROP TABLE payout_batches;
