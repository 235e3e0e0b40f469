-- A late push outcome must not bring back a last-pushed quantity that a
-- sale on the marketplace made unknown. quantity_unknown_seq is the
-- dirty_seq at which pushed_quantity was last forgotten (a sale there, a
-- reconciliation asking for the quantity again); a push computed from an
-- older dirty_seq records its outcome but leaves pushed_quantity alone.

-- +goose Up
ALTER TABLE listings ADD COLUMN quantity_unknown_seq BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE listings DROP COLUMN quantity_unknown_seq;
