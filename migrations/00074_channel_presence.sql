-- Listings recover by themselves (issue 12): the sync sweep looks for a
-- channel's live listings on its marketplace and creates again what it no
-- longer holds. presence_checked_at is when the channel's last presence
-- check ran (the next is due a period later, set by the read limit);
-- presence_after is the last listing a pass under way has looked for ('':
-- no pass under way), so a large catalogue is checked over several sweeps.

-- +goose Up
ALTER TABLE channels ADD COLUMN presence_checked_at TIMESTAMP;
ALTER TABLE channels ADD COLUMN presence_after TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE channels DROP COLUMN presence_after;
ALTER TABLE channels DROP COLUMN presence_checked_at;
