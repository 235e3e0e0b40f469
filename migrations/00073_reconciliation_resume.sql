-- A reconciliation survives the death of its worker (issue 12): claim_id
-- names the worker's hold on a running run (a run whose heartbeat,
-- updated_at, went stale is taken over under a new claim, and the old
-- holder can then write nothing more), and resume_after is its checkpoint: the
-- last listing whose page was recorded, or the marketplace's page token of
-- the unknown-SKU pass (prefixed "unknown:"), written in the same
-- transaction as that page's differences, so a resumed run neither repeats
-- nor skips a page.

-- +goose Up
ALTER TABLE reconciliations ADD COLUMN claim_id TEXT NOT NULL DEFAULT '';
ALTER TABLE reconciliations ADD COLUMN resume_after TEXT NOT NULL DEFAULT '';
CREATE INDEX reconciliations_running_idx ON reconciliations (status, updated_at);

-- +goose Down
DROP INDEX reconciliations_running_idx;
ALTER TABLE reconciliations DROP COLUMN resume_after;
ALTER TABLE reconciliations DROP COLUMN claim_id;
