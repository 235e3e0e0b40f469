-- Marketplace state per order line: Flipkart reports state per order item
-- (one item of a shipment can be cancelled while another ships), so each
-- line keeps the marketplace's own status and last-change time, and
-- staleness is judged per line. Returns are counted on the line itself, so
-- that one conditional UPDATE (never more back than shipped) serialises
-- concurrent returns. Ledger entries record who or what posted them.

-- +goose Up
ALTER TABLE order_lines ADD COLUMN marketplace_status TEXT NOT NULL DEFAULT ''
    CONSTRAINT order_lines_marketplace_status_check
    CHECK (marketplace_status IN ('', 'open', 'cancelled', 'shipped', 'delivered', 'returned'));
ALTER TABLE order_lines ADD COLUMN marketplace_state TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN marketplace_updated_at TIMESTAMP;
-- delivered_at: when the buyer got it (the return window runs from it).
ALTER TABLE order_lines ADD COLUMN delivered_at TIMESTAMP;
ALTER TABLE order_lines ADD COLUMN returned_quantity BIGINT NOT NULL DEFAULT 0
    CONSTRAINT order_lines_returned_quantity_check
    CHECK (returned_quantity >= 0 AND returned_quantity <= quantity);

UPDATE order_lines SET
    marketplace_updated_at = (SELECT o.external_updated_at FROM orders o WHERE o.id = order_lines.order_id),
    marketplace_status = CASE status
        WHEN 'cancelled' THEN 'cancelled'
        WHEN 'shipped' THEN 'shipped'
        WHEN 'delivered' THEN 'delivered'
        WHEN 'returned' THEN 'returned'
        ELSE 'open' END,
    returned_quantity = (SELECT COALESCE(SUM(r.quantity), 0) FROM order_returns r WHERE r.line_id = order_lines.id),
    delivered_at = (SELECT t.updated_at FROM fulfilment_tasks t WHERE t.line_id = order_lines.id AND t.status = 'delivered');

CREATE INDEX order_lines_sku_status_idx ON order_lines (sku, status);

ALTER TABLE ledger_entries ADD COLUMN posted_by TEXT NOT NULL DEFAULT 'system';

-- +goose Down
ALTER TABLE ledger_entries DROP COLUMN posted_by;
DROP INDEX order_lines_sku_status_idx;
ALTER TABLE order_lines DROP COLUMN returned_quantity;
ALTER TABLE order_lines DROP COLUMN delivered_at;
ALTER TABLE order_lines DROP COLUMN marketplace_updated_at;
ALTER TABLE order_lines DROP COLUMN marketplace_state;
ALTER TABLE order_lines DROP COLUMN marketplace_status;
