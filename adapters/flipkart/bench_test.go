package flipkart_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// BenchmarkPush10kStockChanges pushes 10,000 stock changes (1,000 SKUs,
// ten rounds) from 4 workers sharing one Redis limiter to a simulator
// enforcing the same limit, and reports the time taken as a ratio to the
// theoretical minimum: changes / batch size / rate (target <= 1.1).
// Flipkart publishes no rate limit, so the bench runs at 100 calls/s to
// stay short; the ratio is what it measures.
func BenchmarkPush10kStockChanges(b *testing.B) {
	rc, _ := testenv.RealRedis(b)
	limit := adapters.Limit{BatchSize: 10, Rate: 100, Burst: 10}
	limits := map[adapters.Operation]adapters.Limit{adapters.OpCreateListings: {BatchSize: 10, Rate: 1000, Burst: 100}, adapters.OpUpdateStock: limit}
	for i := 0; i < b.N; i++ {
		e := newBenchEnv(b, limits, httpx.NewRedisLimiter(rc))
		ctx := context.Background()
		var items []adapters.Listing
		for s := 0; s < 1000; s++ {
			items = append(items, listing(s))
		}
		if _, err := e.client.PushListings(ctx, items); err != nil {
			b.Fatal(err)
		}
		rc.FlushDB(ctx)
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for round := 1; round <= 10; round++ {
					for s := w * 250; s < w*250+250; s += 10 {
						var batch []adapters.StockUpdate
						for k := s; k < s+10; k++ {
							batch = append(batch, adapters.StockUpdate{SKU: fmt.Sprintf("KANI-%03d", k), ExternalID: fmt.Sprintf("SHWG%012d", k),
								Locations: []adapters.LocationQuantity{{LocationID: "LOC-SRINAGAR", Quantity: int64(round)}}})
						}
						if _, err := e.client.PushStock(ctx, batch); err != nil {
							b.Error(err)
							return
						}
					}
				}
			}(w)
		}
		wg.Wait()
		elapsed := time.Since(start)
		minimum := time.Duration(float64(10000) / float64(limit.BatchSize) / limit.Rate * float64(time.Second))
		// The bucket starts full: its burst is free, so the floor is one burst lower.
		minimum -= time.Duration(float64(limit.Burst) / limit.Rate * float64(time.Second))
		b.ReportMetric(elapsed.Seconds()/minimum.Seconds(), "ratio_to_minimum")
		c := e.sim.CallCounts()[string(adapters.OpUpdateStock)]
		b.ReportMetric(float64(c.Throttled), "throttled")
		b.ReportMetric(float64(c.Items)/float64(c.Calls-c.Throttled), "items_per_call")
	}
}
