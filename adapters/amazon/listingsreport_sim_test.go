package amazon_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// TestListingsReport: the merchant listings report is requested, waited
// for and streamed; it holds what the account holds, an edit in Seller
// Central and a SKU listed only there included, and nothing deleted there.
func TestListingsReport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var items []adapters.Listing
	for i := 1; i <= 5; i++ {
		items = append(items, listing(i))
	}
	if _, err := e.client.PushListings(ctx, items); err != nil {
		t.Fatal(err)
	}
	fifty, price := int64(50), int64(150000)
	e.sim.Drift("PAPIER-001", simkit.Edit{Quantity: &fifty})
	e.sim.Drift("PAPIER-002", simkit.Edit{PricePaise: &price})
	e.sim.Delete("PAPIER-003")
	e.sim.Drift("PORTAL-ONLY", simkit.Edit{Quantity: &fifty})
	got := map[string]string{}
	err := e.client.ListingsReport(ctx, func(l adapters.RemoteListing) error {
		got[l.SKU] = fmt.Sprintf("%d@%d", l.Quantity, l.PricePaise)
		return nil
	}, func(b amazon.BadRow) error { return fmt.Errorf("bad row %+v", b) })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PAPIER-001": "50@199950", "PAPIER-002": "3@150000", "PAPIER-004": "3@199950", "PAPIER-005": "3@199950", "PORTAL-ONLY": "50@100"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("report: %v", got)
	}
	calls := e.sim.CallCounts()
	if calls[string(amazon.OpCreateReport)].Calls != 1 || calls[string(amazon.OpGetReport)].Calls < 3 || calls[string(amazon.OpGetReportDocument)].Calls != 1 {
		t.Fatalf("calls: %+v", calls)
	}
	e.check.assertValid(t)
}
