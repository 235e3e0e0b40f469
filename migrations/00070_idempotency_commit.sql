-- Idempotency keys know which run of a request holds them and whether it
-- committed: claim_id names the run (a retry taking a stale key over gets
-- a new one, and the old run can no longer commit), committed_at is set
-- in the request's own transaction, so a key cut by a crash after its
-- write committed is never run again, and one cut before can be.

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN claim_id TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN committed_at TIMESTAMP;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN committed_at;
ALTER TABLE idempotency_keys DROP COLUMN claim_id;
