-- One exceptions queue operations and finance work from (issue 12): each
-- exception names the channel it is about (empty when none), may be
-- assigned to a user (an active user whose role may work its kind: the
-- assigning UPDATE checks it), and carries plain guidance for showroom staff beside
-- the marketplace's own words (detail).

-- +goose Up
ALTER TABLE exceptions ADD COLUMN channel_id TEXT NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN assignee_id TEXT;
ALTER TABLE exceptions ADD COLUMN assigned_at TIMESTAMP;
ALTER TABLE exceptions ADD COLUMN guidance TEXT NOT NULL DEFAULT '';
CREATE INDEX exceptions_kind_idx ON exceptions (status, kind, id);
CREATE INDEX exceptions_channel_idx ON exceptions (status, channel_id, id);
CREATE INDEX exceptions_assignee_idx ON exceptions (assignee_id, status, id);

-- +goose Down
DROP INDEX exceptions_assignee_idx;
DROP INDEX exceptions_channel_idx;
DROP INDEX exceptions_kind_idx;
ALTER TABLE exceptions DROP COLUMN guidance;
ALTER TABLE exceptions DROP COLUMN assigned_at;
ALTER TABLE exceptions DROP COLUMN assignee_id;
ALTER TABLE exceptions DROP COLUMN channel_id;
