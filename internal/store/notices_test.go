package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestRecordNoticeOnce: a notification delivered many times, some of them
// at once from several requests, is recorded and queued once per channel;
// the same event for another channel is its own; pruning forgets it.
func TestRecordNoticeOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		chs := channelsFor(t, f, 2, f.showroom)
		now := time.Now().UTC()
		var fresh, stale int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ev := 0; ev < 5; ev++ {
					n := orders.Notice{ChannelID: chs[0], EventID: fmt.Sprintf("ev-%d", ev), EventType: "shipment_created", Ref: orders.NoticeRef{ShipmentID: fmt.Sprintf("SH%d", ev)}}
					ok, err := f.db.Orders().RecordNotice(ctx, n, now)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if ok {
						fresh++
					} else {
						stale++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if fresh != 5 || stale != 35 {
			t.Fatalf("fresh %d stale %d, want 5 and 35", fresh, stale)
		}
		if ok, err := f.db.Orders().RecordNotice(ctx, orders.Notice{ChannelID: chs[1], EventID: "ev-0", EventType: "shipment_created"}, now); err != nil || !ok {
			t.Fatalf("the same event id on another channel: %v %v", ok, err)
		}
		msgs, err := f.db.Outbox().Unsent(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		queued := map[string]int{}
		for _, m := range msgs {
			if m.Topic != orders.TopicNoticed {
				continue
			}
			var n orders.Notice
			if err := json.Unmarshal(m.Payload, &n); err != nil {
				t.Fatal(err)
			}
			queued[n.ChannelID+"/"+n.EventID]++
		}
		if len(queued) != 6 {
			t.Fatalf("queued %v, want 6 notices once each", queued)
		}
		for k, c := range queued {
			if c != 1 {
				t.Errorf("%s queued %d times", k, c)
			}
		}
		if n, err := f.db.Orders().PruneNotices(ctx, now.Add(time.Second)); err != nil || n != 6 {
			t.Fatalf("pruned %d (%v), want 6", n, err)
		}
		if ok, err := f.db.Orders().RecordNotice(ctx, orders.Notice{ChannelID: chs[0], EventID: "ev-0", EventType: "shipment_created"}, now); err != nil || !ok {
			t.Fatalf("after pruning the event is new again: %v %v", ok, err)
		}
	})
}
