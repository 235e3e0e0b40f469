-- The console's dashboard counts the orders taken in today: an index on
-- created_at keeps that a range read however many orders there are.

-- +goose Up
CREATE INDEX orders_created_idx ON orders (created_at);

-- +goose Down
DROP INDEX orders_created_idx;
