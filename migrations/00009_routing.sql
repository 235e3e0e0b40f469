-- Routing each line to its source and pushing its fulfilment back to the
-- marketplace: what the marketplace calls the line's shipment and its own
-- dispatch location (Flipkart acts on shipments at a location), the
-- carrier a dispatch went with, what the marketplace has been told, the
-- returns received, and the messages sent to artisans.

-- +goose Up
ALTER TABLE order_lines ADD COLUMN external_shipment_id TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN external_location_id TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN made_to_order BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE fulfilment_tasks ADD COLUMN carrier TEXT NOT NULL DEFAULT '';
-- pushed_status: the last step the marketplace accepted (empty: none yet).
ALTER TABLE fulfilment_tasks ADD COLUMN pushed_status TEXT NOT NULL DEFAULT '';
ALTER TABLE fulfilment_tasks ADD COLUMN destination_id TEXT REFERENCES locations (id);

-- A return received back: restocked at a location or recorded as damaged;
-- either way its stock effect is in stock_movements.
CREATE TABLE order_returns (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    line_id      TEXT NOT NULL REFERENCES order_lines (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    source       TEXT NOT NULL CHECK (source IN ('customer', 'courier')),
    disposition  TEXT NOT NULL CHECK (disposition IN ('restock', 'damaged')),
    location_id  TEXT NOT NULL REFERENCES locations (id),
    reason       TEXT NOT NULL DEFAULT '',
    actor_id     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX order_returns_line_idx ON order_returns (line_id);

-- One message per task to the artisan, retried until the gateway takes it.
CREATE TABLE artisan_notifications (
    id          TEXT PRIMARY KEY,
    artisan_id  TEXT NOT NULL REFERENCES artisans (id),
    task_id     TEXT NOT NULL REFERENCES fulfilment_tasks (id),
    message     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP
);
CREATE UNIQUE INDEX artisan_notifications_task_key ON artisan_notifications (task_id);

-- +goose Down
DROP TABLE artisan_notifications;
DROP TABLE order_returns;
ALTER TABLE fulfilment_tasks DROP COLUMN destination_id;
ALTER TABLE fulfilment_tasks DROP COLUMN pushed_status;
ALTER TABLE fulfilment_tasks DROP COLUMN carrier;
ALTER TABLE products DROP COLUMN made_to_order;
ALTER TABLE order_lines DROP COLUMN external_location_id;
ALTER TABLE order_lines DROP COLUMN external_shipment_id;
