-- A piece made by several artisans (a carpet on one loom, a shawl woven by
-- one and embroidered by another) shares its earning by weight; without
-- shares the product's maker earns it all. One earning row per maker.

-- +goose Up
CREATE TABLE earning_shares (
    product_id  TEXT NOT NULL REFERENCES products (id),
    artisan_id  TEXT NOT NULL REFERENCES artisans (id),
    weight      BIGINT NOT NULL CHECK (weight > 0 AND weight <= 10000),
    PRIMARY KEY (product_id, artisan_id)
);
DROP INDEX artisan_earnings_line_key;
CREATE UNIQUE INDEX artisan_earnings_line_artisan_key ON artisan_earnings (line_id, artisan_id);

-- +goose Down
DROP INDEX artisan_earnings_line_artisan_key;
CREATE UNIQUE INDEX artisan_earnings_line_key ON artisan_earnings (line_id);
DROP TABLE earning_shares;
