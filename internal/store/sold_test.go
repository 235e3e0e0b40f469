package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestSellingChannelLowersItsOwnQuantity: the marketplace that sold a
// line lowered its own quantity when the buyer ordered, so its listing
// records what was last pushed less the line (never below 0); another
// channel's listing, and a line taken in already cancelled, change nothing.
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
		pushed := func(ch string) int64 {
			var q []int64
			g.Raw(`SELECT pushed_quantity FROM listings WHERE channel_id = ?`, ch).Scan(&q)
			return q[0]
		}
		at := time.Now().UTC().Add(-time.Minute)
		for _, tc := range []struct {
			in   orders.Incoming
			want int64
		}{
			{order(chs[0], 1, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 2, UnitPricePaise: 100}), 1},
			{order(chs[0], 1, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 2, UnitPricePaise: 100}), 1},
			{order(chs[0], 2, at, orders.StatusCancelled, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100}), 1},
			{order(chs[0], 3, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 4, UnitPricePaise: 100}), 0},
		} {
			if _, err := f.db.Orders().Ingest(ctx, tc.in, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if got := pushed(chs[0]); got != tc.want {
				t.Fatalf("after %s: the selling channel holds %d as pushed, want %d", tc.in.ExternalOrderID, got, tc.want)
			}
		}
		if got := pushed(chs[1]); got != 5 {
			t.Fatalf("the other channel's listing changed to %d", got)
		}
	})
}
