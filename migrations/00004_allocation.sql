-- A one-of-a-kind piece may be allocated to one channel, so that no two
-- marketplaces can sell it at once (DESIGN.md, "Stock, in one place").

-- +goose Up
ALTER TABLE products ADD COLUMN allocated_channel_id TEXT;

-- +goose Down
ALTER TABLE products DROP COLUMN allocated_channel_id;
