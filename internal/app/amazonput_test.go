package app_test

import (
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
)

// TestAmazonStockChangesArePatched: through the worker (outbox, events,
// syncs under their lease, Amazon's published plans), each Amazon listing
// is put once and every later stock change reaches Amazon as a patch of
// its quantity. A listing put again in full at its next change (its ASIN,
// recorded after the first put, once made it look changed) spends a put
// and an ASIN read per SKU ahead of every stock push: under load Amazon's
// stock pushes stopped altogether (BenchmarkPushesAtPlan, 0% of the plan).
func TestAmazonStockChangesArePatched(t *testing.T) {
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			skus := []string{"PATCH-1", "PATCH-2", "PATCH-3"}
			r := newSyncRig(t, bp, rigOptions{}, skus...)
			want := map[string]int64{}
			const rounds = 3
			for range rounds {
				for _, sku := range skus {
					r.intake(t, sku, 1)
					want[sku]++
				}
				r.waitHeld(t, want, time.Minute)
			}
			taken := func(op adapters.Operation) int {
				c := r.amz.CallCounts()[string(op)]
				return c.Calls - c.Throttled
			}
			if puts := taken(adapters.OpCreateListings); puts != len(skus) {
				t.Fatalf("Amazon took %d puts for %d listings, want one each", puts, len(skus))
			}
			// Every round after the one the puts carried changed every SKU
			// Amazon already held: at least one patch each.
			if patches, least := taken(adapters.OpUpdateStock), (rounds-1)*len(skus); patches < least {
				t.Fatalf("Amazon took %d stock patches over %d rounds of changes to %d listings, want at least %d", patches, rounds, len(skus), least)
			}
		})
	}
}
