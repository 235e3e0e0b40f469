package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// ChangeLog records catalogue and stock changes as they are delivered, so
// operations can see each change reach the worker side. The marketplace
// sync consumers subscribe to the same topics.
type ChangeLog struct{ Log *slog.Logger }

func (ChangeLog) Name() string { return "change-log" }

func (ChangeLog) Topics() []string {
	return []string{outbox.TopicProductChanged, outbox.TopicStockChanged}
}

func (c ChangeLog) Consume(ctx context.Context, m outbox.Message) error {
	c.Log.InfoContext(ctx, "change delivered", "topic", m.Topic, "event_id", m.ID, "key", m.Key,
		"age_ms", time.Since(m.CreatedAt).Milliseconds())
	return nil
}
