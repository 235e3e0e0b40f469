package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// Outbox implements outbox.Store and the consumers' processed markers.
type Outbox struct{ db *DB }

// Outbox returns the outbox repository.
func (db *DB) Outbox() *Outbox { return &Outbox{db: db} }

var _ outbox.Store = (*Outbox)(nil)

const maxErrorText = 1000

func (o *Outbox) Unsent(ctx context.Context, limit int) ([]outbox.Message, error) {
	var rows []outboxRow
	if err := o.db.gorm.WithContext(ctx).Where("sent_at IS NULL").Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	return mapRows(rows, outboxRow.domain), nil
}

func (o *Outbox) MarkSent(ctx context.Context, id string, at time.Time) error {
	return o.db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"sent_at": at.UTC(), "attempts": gorm.Expr("attempts + 1")}).Error
}

func (o *Outbox) MarkFailed(ctx context.Context, id, reason string) error {
	if len(reason) > maxErrorText {
		reason = reason[:maxErrorText]
	}
	return o.db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).
		Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": reason}).Error
}

// deliveredConsumer is the marker the worker writes once every consumer of
// an event has succeeded.
const deliveredConsumer = "_delivered"

func (o *Outbox) SentUndelivered(ctx context.Context, sentBefore time.Time, limit int) ([]outbox.Message, error) {
	var rows []outboxRow
	err := o.db.gorm.WithContext(ctx).
		Where("sent_at IS NOT NULL AND sent_at < ?", sentBefore.UTC()).
		Where("NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.consumer = ? AND p.event_id = outbox.id)", deliveredConsumer).
		Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	return mapRows(rows, outboxRow.domain), nil
}

func (o *Outbox) MarkUnsent(ctx context.Context, id string) error {
	return o.db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).Update("sent_at", nil).Error
}

// MarkDelivered confirms that every consumer of an event has run.
func (o *Outbox) MarkDelivered(ctx context.Context, eventID string) error {
	return o.db.gorm.WithContext(ctx).Exec(`INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?)
ON CONFLICT (consumer, event_id) DO NOTHING`, deliveredConsumer, eventID, time.Now().UTC()).Error
}

// PendingCount is how many events wait for the relay (for /metrics and /readyz).
func (o *Outbox) PendingCount(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("sent_at IS NULL").Count(&n).Error
	return n, err
}

// PruneSent deletes events delivered before t; unsent ones are never pruned.
func (o *Outbox) PruneSent(ctx context.Context, before time.Time) (int64, error) {
	res := o.db.gorm.WithContext(ctx).Where("sent_at IS NOT NULL AND sent_at < ?", before.UTC()).Delete(&outboxRow{})
	return res.RowsAffected, res.Error
}

// ProcessOnce runs fn unless (consumer, eventID) is already marked done,
// then marks it. No transaction is held while fn runs (on SQLite that would
// hold the database's write lock across a marketplace call), so fn must be
// idempotent itself; the marker makes a redelivered event a no-op.
func (o *Outbox) ProcessOnce(ctx context.Context, consumer, eventID string, fn func(ctx context.Context) error) (bool, error) {
	done, err := o.Processed(ctx, consumer, eventID)
	if err != nil || done {
		return false, err
	}
	if err := fn(ctx); err != nil {
		return false, err
	}
	res := o.db.gorm.WithContext(ctx).Exec(`INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?)
ON CONFLICT (consumer, event_id) DO NOTHING`, consumer, eventID, time.Now().UTC())
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// Processed reports whether consumer has processed eventID.
func (o *Outbox) Processed(ctx context.Context, consumer, eventID string) (bool, error) {
	var n int64
	err := o.db.gorm.WithContext(ctx).Model(&processedEventRow{}).Where("consumer = ? AND event_id = ?", consumer, eventID).Count(&n).Error
	return n > 0, err
}
