-- Portable subset (STACK.md): TEXT ids made by the application (UUIDv7),
-- TIMESTAMP written in UTC, BIGINT paise, JSON as TEXT, CHECK constraints.
-- One history serves SQLite and PostgreSQL.

-- +goose Up
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'showroom', 'operations', 'finance')),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_name_key ON users (name);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);

CREATE TABLE clusters (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    craft       TEXT NOT NULL,
    district    TEXT NOT NULL,
    lat         DOUBLE PRECISION CHECK (lat IS NULL OR (lat >= -90 AND lat <= 90)),
    lon         DOUBLE PRECISION CHECK (lon IS NULL OR (lon >= -180 AND lon <= 180)),
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX clusters_name_key ON clusters (name);

CREATE TABLE artisans (
    id                     TEXT PRIMARY KEY,
    code                   TEXT NOT NULL,
    name                   TEXT NOT NULL,
    craft                  TEXT NOT NULL,
    cluster_id             TEXT REFERENCES clusters (id),
    district               TEXT NOT NULL DEFAULT '',
    phone                  TEXT NOT NULL DEFAULT '',
    language               TEXT NOT NULL DEFAULT 'ks',
    pehchan_card_no        TEXT NOT NULL DEFAULT '',
    gi_authorised_user_no  TEXT NOT NULL DEFAULT '',
    -- AES-GCM sealed with the row id as additional data; never the plain number.
    bank_account_sealed    TEXT NOT NULL DEFAULT '',
    bank_account_last4     TEXT NOT NULL DEFAULT '',
    bank_ifsc              TEXT NOT NULL DEFAULT '',
    status                 TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX artisans_code_key ON artisans (code);

CREATE TABLE products (
    id                   TEXT PRIMARY KEY,
    sku                  TEXT NOT NULL,
    title                TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    craft                TEXT NOT NULL,
    hsn_code             TEXT NOT NULL,
    gst_rate_bp          BIGINT NOT NULL CHECK (gst_rate_bp >= 0 AND gst_rate_bp <= 10000),
    mrp_paise            BIGINT NOT NULL CHECK (mrp_paise > 0),
    price_paise          BIGINT NOT NULL CHECK (price_paise > 0),
    artisan_id           TEXT NOT NULL REFERENCES artisans (id),
    artisan_price_paise  BIGINT CHECK (artisan_price_paise IS NULL OR artisan_price_paise > 0),
    artisan_share_bp     BIGINT CHECK (artisan_share_bp IS NULL OR (artisan_share_bp > 0 AND artisan_share_bp <= 10000)),
    gi_tag               BOOLEAN NOT NULL DEFAULT FALSE,
    gi_certificate_no    TEXT NOT NULL DEFAULT '',
    one_of_a_kind        BOOLEAN NOT NULL DEFAULT FALSE,
    weight_g             BIGINT NOT NULL DEFAULT 0 CHECK (weight_g >= 0),
    length_mm            BIGINT NOT NULL DEFAULT 0 CHECK (length_mm >= 0),
    width_mm             BIGINT NOT NULL DEFAULT 0 CHECK (width_mm >= 0),
    height_mm            BIGINT NOT NULL DEFAULT 0 CHECK (height_mm >= 0),
    images               TEXT NOT NULL DEFAULT '[]',
    attributes           TEXT NOT NULL DEFAULT '{}',
    status               TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    CHECK (price_paise <= mrp_paise),
    CHECK ((artisan_price_paise IS NULL) <> (artisan_share_bp IS NULL))
);
CREATE UNIQUE INDEX products_sku_key ON products (sku);
CREATE INDEX products_artisan_idx ON products (artisan_id, id);

CREATE TABLE locations (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('showroom', 'warehouse', 'artisan')),
    district    TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    artisan_id  TEXT REFERENCES artisans (id),
    created_at  TIMESTAMP NOT NULL,
    CHECK ((kind = 'artisan') = (artisan_id IS NOT NULL))
);
CREATE UNIQUE INDEX locations_code_key ON locations (code);

-- Invariant 2 (DESIGN.md): 0 <= reserved <= on_hand, held by the database.
CREATE TABLE stock_levels (
    product_id   TEXT NOT NULL REFERENCES products (id),
    location_id  TEXT NOT NULL REFERENCES locations (id),
    on_hand      BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved     BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (product_id, location_id),
    CHECK (reserved <= on_hand)
);
CREATE INDEX stock_levels_location_idx ON stock_levels (location_id, product_id);

CREATE TABLE stock_movements (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES products (id),
    location_id     TEXT NOT NULL REFERENCES locations (id),
    to_location_id  TEXT REFERENCES locations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('intake', 'adjustment', 'transfer', 'damage', 'sale', 'return')),
    quantity        BIGINT NOT NULL CHECK (quantity <> 0),
    reason          TEXT NOT NULL DEFAULT '',
    actor_id        TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    CHECK ((kind = 'transfer') = (to_location_id IS NOT NULL)),
    CHECK (kind = 'adjustment' OR quantity > 0)
);
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, id);

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    resource     TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_resource_idx ON audit_log (resource, resource_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);

-- Transactional outbox: written in the same transaction as the change it
-- announces; the relay enqueues unsent rows with TaskID = id.
CREATE TABLE outbox (
    id          TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    event_key   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- A consumer's effect and its processed marker commit together, so an
-- at-least-once delivery has exactly-once effects.
CREATE TABLE processed_events (
    consumer      TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    processed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE idempotency_keys (
    principal_id     TEXT NOT NULL,
    idem_key         TEXT NOT NULL,
    method           TEXT NOT NULL,
    path             TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status  BIGINT NOT NULL DEFAULT 0,
    response_body    TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (principal_id, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE processed_events;
DROP TABLE outbox;
DROP TABLE audit_log;
DROP TABLE stock_movements;
DROP TABLE stock_levels;
DROP TABLE locations;
DROP TABLE products;
DROP TABLE artisans;
DROP TABLE clusters;
DROP TABLE api_tokens;
DROP TABLE users;
