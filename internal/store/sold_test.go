package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestSellingChannelLowersItsOwnQuantity: the marketplace that sold a
// new line took units off its own offer, so its listing's last-pushed
// quantity becomes unknown (the next sync sends the exact quantity); a
// repeat of a known order, a line taken in already cancelled and another
// channel's listing change nothing.
func TestSellingChannelLowersItsOwnQuantity(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		chs := channelsFor(t, f, 2, f.showroom)
		intake(t, f, f.product.ID, f.showroom, 10)
		g := f.db.Gorm()
		for i, ch := range chs {
			if err := g.Exec(`INSERT INTO listings (id, product_id, channel_id, status, pushed_quantity, created_at, updated_at) VALUES (?, ?, ?, 'live', ?, ?, ?)`,
				ids.New(), f.product.ID, ch, []int64{3, 5}[i], time.Now().UTC(), time.Now().UTC()).Error; err != nil {
				t.Fatal(err)
			}
		}
		pushed := func(ch string) int64 { // -1: unknown
			var q []int64
			g.Raw(`SELECT COALESCE(pushed_quantity, -1) FROM listings WHERE channel_id = ?`, ch).Scan(&q)
			return q[0]
		}
		at := time.Now().UTC().Add(-time.Minute)
		for _, tc := range []struct {
			name string
			in   orders.Incoming
			want int64
		}{
			{"a new line", order(chs[0], 1, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 2, UnitPricePaise: 100}), -1},
			{"the same order again", order(chs[0], 1, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 2, UnitPricePaise: 100}), 3},
			{"a line cancelled before we saw it", order(chs[0], 2, at, orders.StatusCancelled, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100}), 3},
			{"another new line", order(chs[0], 3, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 4, UnitPricePaise: 100}), -1},
		} {
			if err := g.Exec(`UPDATE listings SET pushed_quantity = 3 WHERE channel_id = ?`, chs[0]).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := f.db.Orders().Ingest(ctx, tc.in, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if got := pushed(chs[0]); got != tc.want {
				t.Fatalf("after %s: the selling channel holds %d as pushed, want %d", tc.name, got, tc.want)
			}
		}
		if got := pushed(chs[1]); got != 5 {
			t.Fatalf("the other channel's listing changed to %d", got)
		}
	})
}

// TestLatePushKeepsSoldQuantityUnknown: a push in flight when the
// marketplace sold a unit was computed before the sale; its late outcome
// must not bring back a last-pushed quantity the sale made unknown
// (whether one was known before or not), else an order and its
// cancellation seen by one sync leave the marketplace a unit short. A push
// read after the sale records its quantity as before.
func TestLatePushKeepsSoldQuantityUnknown(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := channelsFor(t, f, 1, f.showroom)[0]
		intake(t, f, f.product.ID, f.showroom, 10)
		g := f.db.Gorm()
		id := ids.New()
		if err := g.Exec(`INSERT INTO listings (id, product_id, channel_id, status, dirty_seq, synced_seq, created_at, updated_at) VALUES (?, ?, ?, 'live', 5, 4, ?, ?)`,
			id, f.product.ID, ch, time.Now().UTC(), time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		type state struct {
			Dirty, Synced, Quantity int64 // Quantity -1: unknown
		}
		read := func() state {
			t.Helper()
			var s state
			if err := g.Raw(`SELECT dirty_seq AS dirty, synced_seq AS synced, COALESCE(pushed_quantity, -1) AS quantity FROM listings WHERE id = ?`, id).Scan(&s).Error; err != nil {
				t.Fatal(err)
			}
			return s
		}
		q := func(v int64) *int64 { return &v }
		at := time.Now().UTC().Add(-time.Minute)
		for i, pushedBefore := range []*int64{nil, q(3)} {
			if err := g.Exec(`UPDATE listings SET pushed_quantity = ? WHERE id = ?`, pushedBefore, id).Error; err != nil {
				t.Fatal(err)
			}
			before := read()
			// The push reads the listing at before.Dirty, then the order comes in.
			if _, err := f.db.Orders().Ingest(ctx, order(ch, 100+i, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100}), time.Time{}); err != nil {
				t.Fatal(err)
			}
			sold := read()
			if sold.Dirty <= before.Dirty || sold.Quantity != -1 {
				t.Fatalf("pushed %v before: after the sale the listing holds %+v, want it dirty past %d with its quantity unknown", pushedBefore, sold, before.Dirty)
			}
			late := listing.PushOutcome{ListingID: id, Seq: before.Dirty, Settled: true, Status: listing.StatusLive, Quantity: q(7), At: time.Now().UTC()}
			if err := f.db.Listings().RecordPush(ctx, late); err != nil {
				t.Fatal(err)
			}
			if got, want := read(), (state{sold.Dirty, before.Dirty, -1}); got != want {
				t.Fatalf("pushed %v before: the late push left %+v, want %+v (settled to its seq, quantity still unknown)", pushedBefore, got, want)
			}
			next := listing.PushOutcome{ListingID: id, Seq: sold.Dirty, Settled: true, Status: listing.StatusLive, Quantity: q(6), At: time.Now().UTC()}
			if err := f.db.Listings().RecordPush(ctx, next); err != nil {
				t.Fatal(err)
			}
			if got, want := read(), (state{sold.Dirty, sold.Dirty, 6}); got != want {
				t.Fatalf("pushed %v before: the push read after the sale left %+v, want %+v", pushedBefore, got, want)
			}
		}
	})
}
