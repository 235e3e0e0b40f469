package channelsync_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/channelsync"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestSupersededSyncIsFenced: a sync whose lease went to another run (its
// fencing token is no longer the channel's) records nothing it pushed,
// stops, leaves every listing to be pushed again and logs no error; the
// run holding the current token settles them.
func TestSupersededSyncIsFenced(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			var logs testenv.SyncBuffer
			w.engine.Log = slog.New(slog.NewTextHandler(&logs, nil))
			for i := range 3 {
				w.product(i, 2, fsn(i))
			}
			w.sync()
			for _, p := range w.products {
				w.move(p.ID, "intake", 1)
			}
			ctx := context.Background()
			stale, err := w.db.Channels().NextSyncFence(ctx, w.channel.ID)
			if err != nil {
				t.Fatal(err)
			}
			current, err := w.db.Channels().NextSyncFence(ctx, w.channel.ID)
			if err != nil || current != stale+1 {
				t.Fatalf("fences %d then %d (%v)", stale, current, err)
			}
			inSync := func() (n int) {
				t.Helper()
				page, err := w.listings.List(ctx, listing.Filter{ChannelID: w.channel.ID}, paging.Request{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range page.Items {
					if l.InSync {
						n++
					}
				}
				return n
			}
			if _, err := w.engine.SyncChannel(channelsync.WithFence(ctx, stale), w.channel.ID); !errors.Is(err, listing.ErrSuperseded) {
				t.Fatalf("a superseded sync answered %v, want ErrSuperseded", err)
			}
			if n := inSync(); n != 0 {
				t.Fatalf("a superseded sync settled %d listings", n)
			}
			if strings.Contains(logs.String(), "level=ERROR") {
				t.Fatalf("a superseded sync logged an error:\n%s", logs.String())
			}
			if ch, _ := w.chans.Get(ctx, w.channel.ID); ch.Health.LastError != "" {
				t.Fatalf("a superseded sync marked the channel failing: %q", ch.Health.LastError)
			}
			if _, err := w.engine.SyncChannel(channelsync.WithFence(ctx, current), w.channel.ID); err != nil {
				t.Fatalf("the current holder's sync: %v", err)
			}
			if n := inSync(); n != 3 {
				t.Fatalf("the current holder settled %d of 3 listings", n)
			}
			for _, l := range w.sim.Listings() {
				if l.Quantity != 3 {
					t.Errorf("%s offered %d, want 3", l.SKU, l.Quantity)
				}
			}
		})
	}
}
