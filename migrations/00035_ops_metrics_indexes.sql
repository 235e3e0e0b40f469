-- Indexes for what /metrics reports on every scrape (internal/store/metrics.go),
-- so that each figure is an indexed count and never a scan of a table that
-- grows with the business: listings that are not live, per channel; SMS
-- still waiting for the gateway; SMS sent recently.

-- +goose Up
CREATE INDEX listings_status_channel_idx ON listings (status, channel_id);
CREATE INDEX artisan_notifications_pending_idx ON artisan_notifications (created_at) WHERE status = 'pending';
CREATE INDEX artisan_notifications_sent_idx ON artisan_notifications (sent_at) WHERE status = 'sent';

-- +goose Down
DROP INDEX artisan_notifications_sent_idx;
DROP INDEX artisan_notifications_pending_idx;
DROP INDEX listings_status_channel_idx;
