package jobs

import (
	"testing"

	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// TestQueueOf: order ingestion (a marketplace's notification) and artisan
// messages go before stock pushes; stock and catalogue events after.
func TestQueueOf(t *testing.T) {
	for topic, want := range map[string]string{
		orders.TopicNoticed:        QueueUrgent,
		notify.TopicArtisanNotify:  QueueUrgent,
		outbox.TopicStockChanged:   QueueEvents,
		outbox.TopicProductChanged: QueueEvents,
		orders.TopicOrderCancelled: QueueUrgent,
	} {
		if got := QueueOf(topic); got != want {
			t.Errorf("%s goes on %s, want %s", topic, got, want)
		}
	}
}
