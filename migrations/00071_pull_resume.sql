-- Where an unfinished order pull stopped: the marketplace's next page and
-- what the pull had seen, so that a pull the rate limit cut short is
-- carried on by the next one instead of starting again from the cursor
-- (which, with more pages than one pull gets, never finishes). An empty
-- resume_token means no pull is under way.

-- +goose Up
ALTER TABLE pull_cursors ADD COLUMN resume_token TEXT NOT NULL DEFAULT '';
ALTER TABLE pull_cursors ADD COLUMN resume_since TIMESTAMP;
ALTER TABLE pull_cursors ADD COLUMN resume_started TIMESTAMP;
ALTER TABLE pull_cursors ADD COLUMN resume_newest TIMESTAMP;
ALTER TABLE pull_cursors ADD COLUMN resume_failed_at TIMESTAMP;

-- +goose Down
ALTER TABLE pull_cursors DROP COLUMN resume_failed_at;
ALTER TABLE pull_cursors DROP COLUMN resume_newest;
ALTER TABLE pull_cursors DROP COLUMN resume_started;
ALTER TABLE pull_cursors DROP COLUMN resume_since;
ALTER TABLE pull_cursors DROP COLUMN resume_token;
