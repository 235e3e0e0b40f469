package jobs_test

import (
	"testing"

	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// TestQueueOf: artisans' messages and order ingestion go on the urgent
// queue, stock and catalogue changes after them, and the worker serves
// urgent before sync before events before default.
func TestQueueOf(t *testing.T) {
	for _, c := range []struct {
		topic, queue string
	}{
		{notify.TopicArtisanNotify, jobs.QueueUrgent},
		{orders.TopicNoticed, jobs.QueueUrgent},
		{orders.TopicOrderCancelled, jobs.QueueUrgent},
		{fulfilment.TopicTransitioned, jobs.QueueUrgent},
		{outbox.TopicStockChanged, jobs.QueueEvents},
		{outbox.TopicProductChanged, jobs.QueueEvents},
		{listing.TopicListingChanged, jobs.QueueEvents},
		{finance.TopicPayoutSend, jobs.QueueEvents},
	} {
		if got := jobs.QueueOf(c.topic); got != c.queue {
			t.Errorf("%s goes on %s, want %s", c.topic, got, c.queue)
		}
	}
	q := jobs.Queues
	if !(q[jobs.QueueUrgent] > q[jobs.QueueSync] && q[jobs.QueueSync] > q[jobs.QueueEvents] && q[jobs.QueueEvents] > q[jobs.QueueDefault] && q[jobs.QueueDefault] > 0) {
		t.Fatalf("queue priorities %v: want urgent > sync > events > default", q)
	}
	if cfg := jobs.ServerConfig(1, nil); !cfg.StrictPriority {
		t.Fatal("the worker must serve its queues in strict priority")
	}
}
