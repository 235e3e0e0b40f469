-- Orders from every channel, taken in exactly once (DESIGN.md invariant 1):
-- the unique keys below, all NOT NULL, are the final guard against repeats,
-- overlapping pages and concurrent workers.

-- +goose Up
CREATE TABLE orders (
    id                   TEXT PRIMARY KEY,
    channel_id           TEXT NOT NULL REFERENCES channels (id),
    external_order_id    TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('open', 'awaiting_mapping', 'cancelled', 'shipped', 'delivered', 'returned')),
    ordered_at           TIMESTAMP NOT NULL,
    external_updated_at  TIMESTAMP NOT NULL,
    dispatch_by          TIMESTAMP,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX orders_channel_external_key ON orders (channel_id, external_order_id);

CREATE TABLE order_lines (
    id                  TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id),
    channel_id          TEXT NOT NULL,
    external_order_id   TEXT NOT NULL,
    external_line_id    TEXT NOT NULL,
    sku                 TEXT NOT NULL,
    product_id          TEXT REFERENCES products (id),
    artisan_id          TEXT REFERENCES artisans (id),
    quantity            BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_paise    BIGINT NOT NULL CHECK (unit_price_paise >= 0),
    status              TEXT NOT NULL CHECK (status IN ('awaiting_mapping', 'reserved', 'oversold', 'cancelled', 'shipped', 'delivered', 'returned')),
    location_id         TEXT REFERENCES locations (id),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX order_lines_external_key ON order_lines (channel_id, external_order_id, external_line_id);
CREATE INDEX order_lines_order_idx ON order_lines (order_id, id);

-- One reservation per line, ever: held at order time, released on
-- cancellation, consumed at dispatch.
CREATE TABLE reservations (
    id           TEXT PRIMARY KEY,
    line_id      TEXT NOT NULL REFERENCES order_lines (id),
    product_id   TEXT NOT NULL REFERENCES products (id),
    location_id  TEXT NOT NULL REFERENCES locations (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    status       TEXT NOT NULL CHECK (status IN ('held', 'released', 'consumed')),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX reservations_line_key ON reservations (line_id);

CREATE TABLE fulfilment_tasks (
    id           TEXT PRIMARY KEY,
    line_id      TEXT NOT NULL REFERENCES order_lines (id),
    kind         TEXT NOT NULL CHECK (kind IN ('pick', 'collect', 'make')),
    location_id  TEXT REFERENCES locations (id),
    artisan_id   TEXT REFERENCES artisans (id),
    status       TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'collected', 'packed', 'dispatched', 'delivered', 'cancelled')),
    due_at       TIMESTAMP,
    tracking_no  TEXT NOT NULL DEFAULT '',
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX fulfilment_tasks_line_key ON fulfilment_tasks (line_id);

-- +goose Down
DROP TABLE fulfilment_tasks;
DROP TABLE reservations;
DROP TABLE order_lines;
DROP TABLE orders;
