-- Marketplace notifications already taken (Flipkart's order notifications):
-- one row per channel and event identity, so that a notification delivered
-- again, or replayed, is acknowledged and queues nothing. The primary key is
-- the guard; rows older than a day are pruned (a notification older than a
-- few minutes is refused by its signed date anyway).

-- +goose Up
CREATE TABLE marketplace_events (
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    CONSTRAINT marketplace_events_pkey PRIMARY KEY (channel_id, event_id)
);
CREATE INDEX marketplace_events_received_idx ON marketplace_events (received_at);

-- +goose Down
DROP INDEX marketplace_events_received_idx;
DROP TABLE marketplace_events;
