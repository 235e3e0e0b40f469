-- What a marketplace sent that could not be read stays with its exception:
-- a missed_order keeps the raw order or item (capped by the application at
-- 64 KiB), so a person can see it and retry once the cause is fixed.

-- +goose Up
ALTER TABLE exceptions ADD COLUMN payload TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE exceptions DROP COLUMN payload;
