package channelsync_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/channelsync"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// countingChannel counts the marketplace calls a worker makes, and runs
// during its first create call what happens elsewhere meanwhile.
type countingChannel struct {
	adapters.Channel
	calls        *atomic.Int64
	duringCreate func()
}

func (c countingChannel) PushListings(ctx context.Context, l []adapters.Listing) ([]adapters.ItemResult, error) {
	c.calls.Add(1)
	if c.duringCreate != nil {
		c.duringCreate()
	}
	return c.Channel.PushListings(ctx, l)
}

func (c countingChannel) PushPrices(ctx context.Context, u []adapters.PriceUpdate) ([]adapters.ItemResult, error) {
	c.calls.Add(1)
	return c.Channel.PushPrices(ctx, u)
}

func (c countingChannel) PushStock(ctx context.Context, u []adapters.StockUpdate) ([]adapters.ItemResult, error) {
	c.calls.Add(1)
	return c.Channel.PushStock(ctx, u)
}

// TestWorkerThatLostTheLeaseStopsCalling: two workers sync one channel.
// The first is in its create call when the second takes the lease (its
// fencing token); the first then makes no further marketplace call (the
// stock push it still had to make), stops with ErrSuperseded, and the
// second, holding the lease, settles every listing.
func TestWorkerThatLostTheLeaseStopsCalling(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for i := range 2 {
				w.product(i, 2, fsn(i))
			}
			w.sync()
			for _, p := range w.products {
				w.move(p.ID, "intake", 1) // a stock push owed
			}
			w.product(2, 1, fsn(2)) // a create owed
			ctx := context.Background()
			inner := w.engine.Factory
			worker := func(calls *atomic.Int64, during func()) *channelsync.Engine {
				e := *w.engine
				e.Factory = func(ch channels.Channel, creds map[string]string) (adapters.Channel, error) {
					ad, err := inner(ch, creds)
					return countingChannel{Channel: ad, calls: calls, duringCreate: during}, err
				}
				return &e
			}
			var firstCalls, secondCalls atomic.Int64
			second := worker(&secondCalls, nil)
			var secondErr error
			first := worker(&firstCalls, func() {
				// The first worker's lease lapsed; the second takes it.
				fence, err := w.db.Channels().NextSyncFence(ctx, w.channel.ID)
				if err != nil {
					t.Error(err)
					return
				}
				_, secondErr = second.SyncChannel(channelsync.WithFence(ctx, fence), w.channel.ID)
			})
			fence, err := w.db.Channels().NextSyncFence(ctx, w.channel.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := first.SyncChannel(channelsync.WithFence(ctx, fence), w.channel.ID); !errors.Is(err, listing.ErrSuperseded) {
				t.Fatalf("the worker that lost the lease answered %v, want ErrSuperseded", err)
			}
			if secondErr != nil {
				t.Fatalf("the worker holding the lease: %v", secondErr)
			}
			if n := firstCalls.Load(); n != 1 {
				t.Fatalf("the worker that lost the lease made %d marketplace calls, want 1 (the create it was in)", n)
			}
			if n := secondCalls.Load(); n == 0 {
				t.Fatal("the worker holding the lease called nobody")
			}
			for _, l := range w.sim.Listings() {
				if want := map[string]int64{"WAL-000": 3, "WAL-001": 3, "WAL-002": 1}[l.SKU]; l.Quantity != want {
					t.Errorf("%s offered %d, want %d", l.SKU, l.Quantity, want)
				}
			}
		})
	}
}
