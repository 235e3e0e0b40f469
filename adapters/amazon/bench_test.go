package amazon_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// BenchmarkPush10kStockChanges pushes 10,000 stock changes to the Amazon
// simulator two ways and reports each against its floor:
//   - patch: one patchListingsItem per SKU from 4 workers sharing a Redis
//     limiter, at 200 calls/s (the real plan, 5/s, would take 33 minutes;
//     the ratio is what is measured): ratio_patch = elapsed / (changes/rate);
//   - feed: one JSON_LISTINGS_FEED within the feeds API's published plans,
//     polled every 10 ms: seconds_feed is its whole round trip.
func BenchmarkPush10kStockChanges(b *testing.B) {
	rc, _ := testenv.RealRedis(b)
	patch := adapters.Limit{BatchSize: 1, Rate: 200, Burst: 5}
	limits := map[adapters.Operation]adapters.Limit{adapters.OpCreateListings: {BatchSize: 1, Rate: 5000, Burst: 100},
		adapters.OpUpdateStock: patch, adapters.OpUpdatePrices: patch}
	for op, l := range amazon.FeedLimits {
		limits[op] = l
	}
	for i := 0; i < b.N; i++ {
		s := sim.New(sim.Config{Seed: 1, Limits: limits})
		srv := httptest.NewServer(s)
		c := amazon.New(amazon.Config{BaseURL: srv.URL, TokenURL: srv.URL + "/auth/o2/token", ClientID: sim.ClientID,
			ClientSecret: sim.ClientSecret, RefreshToken: sim.RefreshToken, SellerID: sim.SellerID, Account: fmt.Sprint("bench", i),
			Limits: limits, FeedPoll: 10 * time.Millisecond},
			&httpx.Client{Limiter: httpx.NewRedisLimiter(rc), MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond})
		ctx := context.Background()
		var items []adapters.Listing
		for k := 0; k < 1000; k++ {
			items = append(items, listing(k))
		}
		if _, err := c.PushListings(ctx, items); err != nil {
			b.Fatal(err)
		}
		var changes []adapters.StockUpdate
		for round := 1; round <= 10; round++ {
			for k := 0; k < 1000; k++ {
				changes = append(changes, adapters.StockUpdate{SKU: fmt.Sprintf("PAPIER-%03d", k), Quantity: int64(round)})
			}
		}
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				if _, err := c.PushStock(ctx, changes[w*2500:(w+1)*2500]); err != nil {
					b.Error(err)
				}
			}(w)
		}
		wg.Wait()
		floor := float64(len(changes)-patch.Burst) / patch.Rate
		b.ReportMetric(time.Since(start).Seconds()/floor, "ratio_patch")
		start = time.Now()
		res, err := c.PushStockBulk(ctx, changes)
		if err != nil || len(res) != len(changes) {
			b.Fatalf("feed: %d %v", len(res), err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "seconds_feed")
		srv.Close()
	}
}
