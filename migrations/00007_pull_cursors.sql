-- Where each channel's order pull resumes. Advanced only after the orders
-- up to it were committed; a pull re-reads an overlap window before it.

-- +goose Up
CREATE TABLE pull_cursors (
    channel_id    TEXT PRIMARY KEY REFERENCES channels (id),
    orders_since  TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE pull_cursors;
