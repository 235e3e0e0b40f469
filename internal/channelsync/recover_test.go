package channelsync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/channelsync"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

func (w *world) listingsByStatus() map[string]int {
	w.t.Helper()
	page, err := w.listings.List(context.Background(), listing.Filter{ChannelID: w.channel.ID}, paging.Request{Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range page.Items {
		out[l.Status]++
	}
	return out
}

// TestListingsRecover is issue 12's acceptance 3 for the push path: the
// marketplace restarted empty, and the next sync sweep finds every changed
// listing "not found" and creates it again in that same sweep, so every
// listing is live again and the marketplace holds each one.
func TestListingsRecover(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			ctx := context.Background()
			for i := 0; i < 25; i++ {
				w.product(i, 3, fsn(i))
			}
			if rep := w.sync(); rep.Created != 25 {
				t.Fatalf("first sync: %+v", rep)
			}
			w.sim = sim.New(sim.Config{Seed: 4, Limits: map[adapters.Operation]adapters.Limit{}}) // restarted, empty
			for i := 0; i < 20; i++ {
				w.move(w.products[fmt.Sprintf("WAL-%03d", i)].ID, "intake", 1) // stock changes
			}
			for i := 20; i < 25; i++ { // price changes
				p := w.products[fmt.Sprintf("WAL-%03d", i)]
				price := int64(260000)
				if _, err := w.cat.UpdateProduct(ctx, p.ID, catalog.ProductInput{PricePaise: &price, Version: &p.Version}); err != nil {
					t.Fatal(err)
				}
				if _, err := w.db.Listings().MarkProductDirty(ctx, p.ID); err != nil {
					t.Fatal(err)
				}
			}
			rep := w.sync()
			if rep.Recreated != 25 || rep.Refused != 0 || rep.Failed != 0 {
				t.Fatalf("the sweep after the restart: %+v", rep)
			}
			if got := w.listingsByStatus(); got[listing.StatusLive] != 25 {
				t.Fatalf("listings after one sweep: %v", got)
			}
			held := w.sim.Listings()
			if len(held) != 25 {
				t.Fatalf("the marketplace holds %d listings", len(held))
			}
			for _, h := range held {
				want := int64(4)
				if h.SKU >= "WAL-020" {
					want = 3
				}
				if h.Quantity != want || h.Status != "ACTIVE" {
					t.Errorf("%s held as %+v, want quantity %d", h.SKU, h, want)
				}
			}
			if rep := w.sync(); rep.Listings != 0 {
				t.Fatalf("a sweep after recovery still pushed %+v", rep)
			}
		})
	}
}

// TestRejectedListingIsPublishedAgain: a refused listing goes again, whole,
// when its listing changes (a PUT), and on POST /listings/{id}/retry; a
// paused listing cannot be retried (it is published instead).
func TestRejectedListingIsPublishedAgain(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			ctx := context.Background()
			p := w.product(1, 2, "not-an-fsn")
			q := w.product(2, 2, fsn(2))
			if rep := w.sync(); rep.Refused != 1 || rep.Created != 1 {
				t.Fatalf("first sync: %+v", rep)
			}
			l, _, _ := w.db.Listings().Find(ctx, p.ID, w.channel.ID)
			if l.Status != listing.StatusRejected {
				t.Fatalf("want rejected, got %+v", l)
			}
			good := fsn(1)
			if l, _ = w.listings.Publish(ctx, p.ID, w.channel.ID, listing.Input{ExternalID: &good, Version: &l.Version}); l.Status != listing.StatusPending {
				t.Fatalf("a rejected listing published again: %+v", l)
			}
			if rep := w.sync(); rep.Created != 1 {
				t.Fatalf("sync after the correction: %+v", rep)
			}
			// Deleted on the marketplace by hand: a retry recreates it.
			w.sim = sim.New(sim.Config{Seed: 5, Limits: map[adapters.Operation]adapters.Limit{}})
			l, _, _ = w.db.Listings().Find(ctx, q.ID, w.channel.ID)
			if _, err := w.listings.Retry(ctx, l.ID); err != nil {
				t.Fatal(err)
			}
			if rep := w.sync(); rep.Created != 1 || len(w.sim.Listings()) != 1 {
				t.Fatalf("sync after retry: %+v, marketplace holds %v", rep, w.sim.Listings())
			}
			if _, err := w.listings.Unpublish(ctx, q.ID, w.channel.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.listings.Retry(ctx, l.ID); err == nil {
				t.Fatal("a paused listing was retried")
			}
		})
	}
}

// TestPresenceCheck: a sync looks for the channel's live listings on the
// marketplace when a check is due and creates again, in that same sync,
// what it no longer holds; a pass longer than one sync's budget goes on
// from its checkpoint at the next sync; a new pass starts only a period
// after the last, and a sync with no check due and nothing changed calls
// nobody.
func TestPresenceCheck(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			now := time.Now()
			w.engine.Presence, w.engine.PresenceFloor, w.engine.PresenceBudget, w.engine.PresencePage = w.db.Presence(), 10*time.Second, time.Nanosecond, 10
			w.engine.Now = func() time.Time { return now }
			for i := 0; i < 25; i++ {
				w.product(i, 3, fsn(i))
			}
			if rep := w.sync(); rep.Created != 25 || rep.Missing != 0 {
				t.Fatalf("first sync: %+v", rep) // its check's first page: nothing live yet
			}
			// Restarted, empty; the pass goes on: listings 11-20, then 21-25.
			w.sim = sim.New(sim.Config{Seed: 4, Limits: map[adapters.Operation]adapters.Limit{}})
			for i, want := range []int{10, 5} {
				if rep := w.sync(); rep.Missing != want || rep.Created != want || rep.Refused != 0 {
					t.Fatalf("sync %d after the restart: %+v", i+1, rep)
				}
			}
			if rep := w.sync(); rep.Missing != 0 || rep.Listings != 0 {
				t.Fatalf("a check before its period: %+v", rep)
			}
			now = now.Add(11 * time.Second)
			if rep := w.sync(); rep.Missing != 10 || rep.Created != 10 {
				t.Fatalf("the next pass's first page: %+v", rep)
			}
			// The rest of the pass: two pages, nothing more missing.
			for i := 0; i < 2; i++ {
				if rep := w.sync(); rep.Missing != 0 || rep.Listings != 0 {
					t.Fatalf("the rest of the pass, sync %d: %+v", i+1, rep)
				}
			}
			reads := w.calls(adapters.OpGetListings).Calls
			if rep := w.sync(); rep != (channelsync.Report{}) || w.calls(adapters.OpGetListings).Calls != reads {
				t.Fatalf("a sync with nothing due: %+v, %d reads", rep, w.calls(adapters.OpGetListings).Calls-reads)
			}
			held := w.sim.Listings()
			if len(held) != 25 {
				t.Fatalf("the marketplace holds %d listings", len(held))
			}
			for _, h := range held {
				if h.Quantity != 3 || h.PricePaise != 250000 || h.Status != "ACTIVE" {
					t.Errorf("%s held as %+v", h.SKU, h)
				}
			}
			if got := w.listingsByStatus(); got[listing.StatusLive] != 25 {
				t.Fatalf("listings: %v", got)
			}
		})
	}
}

// changeDuringCheck is the store a presence check reads, with a change to
// one product arriving while its first page is read; each page notes how
// many stock pushes the marketplace had taken by then.
type changeDuringCheck struct {
	channelsync.PresenceStore
	w       *world
	product string
	pushes  []int // stock calls seen at each page
}

func (c *changeDuringCheck) Page(ctx context.Context, channelID string, locations []channels.LocationMap, afterID string, limit int) ([]listing.SyncItem, error) {
	c.pushes = append(c.pushes, c.w.calls(adapters.OpUpdateStock).Calls)
	if len(c.pushes) == 1 {
		c.w.move(c.product, "intake", 1)
	}
	return c.PresenceStore.Page(ctx, channelID, locations, afterID, limit)
}

// TestPresenceCheckYieldsToPushes: a stock change that arrives while a
// presence check reads is pushed after the page under way, not after the
// whole pass (a page is what the read limit answers in half a second:
// Flipkart's 10 SKUs a call at 5 a second, 20 listings); the pass then
// goes on in the same sync and ends.
func TestPresenceCheckYieldsToPushes(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for i := 0; i < 45; i++ {
				w.product(i, 3, fsn(i))
			}
			if rep := w.sync(); rep.Created != 45 { // no presence check yet
				t.Fatalf("first sync: %+v", rep)
			}
			// The first check of the channel is due at once.
			check := &changeDuringCheck{PresenceStore: w.db.Presence(), w: w, product: w.products["WAL-000"].ID}
			w.engine.Presence, w.engine.PresenceFloor = check, 10*time.Second
			rep := w.sync()
			if rep.Stock != 1 || rep.Missing != 0 {
				t.Fatalf("the sync with a check due: %+v", rep)
			}
			if len(check.pushes) != 3 || check.pushes[1] != check.pushes[0]+1 || check.pushes[2] != check.pushes[1] {
				t.Fatalf("stock calls seen at each page of the pass: %v (want the change pushed after the first page, the pass in three pages)", check.pushes)
			}
			if got := w.sim.Listings(); len(got) != 45 {
				t.Fatalf("the marketplace holds %d listings", len(got))
			}
			for _, h := range w.sim.Listings() {
				if h.SKU == "WAL-000" && h.Quantity != 4 {
					t.Fatalf("WAL-000 held with %d, want 4", h.Quantity)
				}
			}
		})
	}
}
