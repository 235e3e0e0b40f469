package flipkart_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// TestListListings pages through the listing search: every SKU the
// account holds once, 500 a page, a portal-only one included.
func TestListListings(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	one := int64(1)
	const n = 1203
	for i := 0; i < n; i++ {
		e.sim.Drift(fmt.Sprintf("SKU-%05d", i), simkit.Edit{Quantity: &one})
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		items, next, err := e.client.ListListings(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(items) > flipkart.SearchPageSize {
			t.Fatalf("a page of %d", len(items))
		}
		for _, it := range items {
			if seen[it.SKU] {
				t.Fatalf("%s twice", it.SKU)
			}
			seen[it.SKU] = true
		}
		if next == "" {
			break
		}
		token = next
	}
	if len(seen) != n || pages != 3 {
		t.Fatalf("%d SKUs in %d pages", len(seen), pages)
	}
	if c := e.sim.CallCounts()[string(flipkart.OpSearchListings)].Calls; c != 3 {
		t.Fatalf("%d search calls", c)
	}
}
