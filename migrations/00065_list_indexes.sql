-- Indexes for every filter the API offers and every query on a hot path
-- (issue 11). A list is keyset-paged by id, so each filter's index ends in
-- id: the planner walks it in page order and stops after limit+1 rows,
-- whatever the size of the table. TestListQueriesUseIndexes runs EXPLAIN on
-- PostgreSQL for each list query at a realistic size and fails on a
-- sequential scan of a large table.

-- +goose Up
CREATE INDEX artisans_cluster_idx ON artisans (cluster_id, id);
CREATE INDEX artisans_craft_idx ON artisans (craft, id);
CREATE INDEX artisans_status_idx ON artisans (status, id);

CREATE INDEX products_craft_idx ON products (craft, id);
CREATE INDEX products_status_idx ON products (status, id);

CREATE INDEX locations_artisan_idx ON locations (artisan_id, id) WHERE artisan_id IS NOT NULL;

CREATE INDEX stock_movements_location_idx ON stock_movements (location_id, id);
CREATE INDEX stock_movements_to_location_idx ON stock_movements (to_location_id, id) WHERE to_location_id IS NOT NULL;
CREATE INDEX stock_movements_kind_idx ON stock_movements (kind, id);

CREATE INDEX orders_channel_idx ON orders (channel_id, id);
CREATE INDEX orders_status_idx ON orders (status, id);

-- Lines waiting for their SKU to enter the catalogue: ResumeUnmapped (run on
-- every product change) reads only these, never every line of the SKU.
CREATE INDEX order_lines_awaiting_sku_idx ON order_lines (sku, channel_id, created_at, id) WHERE status = 'awaiting_mapping';
CREATE INDEX order_lines_product_idx ON order_lines (product_id, id) WHERE product_id IS NOT NULL;

CREATE INDEX fulfilment_tasks_status_idx ON fulfilment_tasks (status, id);
CREATE INDEX fulfilment_tasks_kind_idx ON fulfilment_tasks (kind, id);
CREATE INDEX fulfilment_tasks_location_status_idx ON fulfilment_tasks (location_id, status, id);

CREATE INDEX listings_channel_idx ON listings (channel_id, id);
-- By status: listings_status_channel_idx (migration 35).

-- Exceptions by status, kind, channel and assignee: migration 51.

CREATE INDEX audit_log_resource_id_idx ON audit_log (resource_id, id);

CREATE INDEX payout_lines_batch_reference_idx ON payout_lines (batch_id, reference);

-- +goose Down
DROP INDEX payout_lines_batch_reference_idx;
DROP INDEX audit_log_resource_id_idx;
DROP INDEX listings_channel_idx;
DROP INDEX fulfilment_tasks_location_status_idx;
DROP INDEX fulfilment_tasks_kind_idx;
DROP INDEX fulfilment_tasks_status_idx;
DROP INDEX order_lines_product_idx;
DROP INDEX order_lines_awaiting_sku_idx;
DROP INDEX orders_status_idx;
DROP INDEX orders_channel_idx;
DROP INDEX stock_movements_kind_idx;
DROP INDEX stock_movements_to_location_idx;
DROP INDEX stock_movements_location_idx;
DROP INDEX locations_artisan_idx;
DROP INDEX products_status_idx;
DROP INDEX products_craft_idx;
DROP INDEX artisans_status_idx;
DROP INDEX artisans_craft_idx;
DROP INDEX artisans_cluster_idx;
