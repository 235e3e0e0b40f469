package store

import (
	"context"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// RecordNotice keeps a verified marketplace notification's event id once
// per channel and, when it is new, queues the notice for the worker in the
// same transaction (the outbox), so a notice is never recorded without
// being queued nor queued twice. One seen before reports false and queues
// nothing: the primary key of marketplace_events decides, not a read.
func (s *Orders) RecordNotice(ctx context.Context, n orders.Notice, now time.Time) (_ bool, err error) {
	defer apperr.Annotate(&err, "Orders.RecordNotice(%s, %q)", n.ChannelID, n.EventID)
	fresh := false
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		ins := tx.Exec(`INSERT INTO marketplace_events (channel_id, event_id, event_type, received_at) VALUES (?, ?, ?, ?)
ON CONFLICT (channel_id, event_id) DO NOTHING`, n.ChannelID, n.EventID, n.EventType, tx.Now)
		if ins.Error != nil {
			return ins.Error
		}
		fresh = ins.RowsAffected == 1
		if fresh {
			tx.Emit(outbox.New(tx.Now, orders.TopicNoticed, n.ChannelID, n))
		}
		return nil
	})
	return fresh, err
}

// PruneNotices forgets notifications received before before.
func (s *Orders) PruneNotices(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		res := tx.Exec(`DELETE FROM marketplace_events WHERE received_at < ?`, before.UTC())
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}
