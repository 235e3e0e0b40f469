-- The fencing token of a channel's sync lease (internal/jobs.ChannelLease):
-- each run that takes the lease takes the next number, and a push outcome
-- is recorded only under the channel's current number, so a sync whose
-- lease went to another worker cannot settle what it pushed late.

-- +goose Up
ALTER TABLE channels ADD COLUMN sync_fence BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE channels DROP COLUMN sync_fence;
