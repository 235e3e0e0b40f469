package gem_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/gem"
)

// BenchmarkPush10kStockChanges: GeM publishes no API and so no limit; the
// floor is staff uploading one workbook per 500 rows. The bench reports
// the workbooks written for 10,000 changes and the seconds taken.
func BenchmarkPush10kStockChanges(b *testing.B) {
	var changes []adapters.StockUpdate
	for i := 0; i < 10000; i++ {
		changes = append(changes, adapters.StockUpdate{SKU: fmt.Sprintf("S-%05d", i), ExternalID: fmt.Sprintf("GEM-%010d", i), Quantity: int64(i % 7)})
	}
	for i := 0; i < b.N; i++ {
		store := &memStore{files: map[string]gem.File{}}
		c := gem.New(gem.Config{Store: store})
		start := time.Now()
		limit := c.Limits()[adapters.OpUpdateStock].BatchSize
		for s := 0; s < len(changes); s += limit {
			if _, err := c.PushStock(context.Background(), changes[s:min(s+limit, len(changes))]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "seconds")
		b.ReportMetric(float64(len(store.files)), "workbooks")
	}
}
