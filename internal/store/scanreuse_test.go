package store_test

import (
	"context"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestListedRowsKeepTheirOwnValues: a list scans every row through one set
// of targets (findRows), so a row whose pointer column is NULL must not
// show the value of the row before it, and every row must keep its own
// values once the next is scanned; the levels, which are listed the same
// way, show each location's own quantities.
func TestListedRowsKeepTheirOwnValues(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, b)
			ctx := context.Background()
			moves := []inventory.MovementInput{
				{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "intake", Quantity: 5},
				{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "transfer", Quantity: 2, ToLocationID: ptr(f.store2.ID)},
				{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "intake", Quantity: 1},
				{ProductID: f.product.ID, LocationID: f.store2.ID, Kind: "transfer", Quantity: 1, ToLocationID: ptr(f.showroom.ID)},
				{ProductID: f.product.ID, LocationID: f.showroom.ID, Kind: "sale", Quantity: 3},
			}
			want := map[string]inventory.MovementInput{}
			for _, in := range moves {
				m, err := f.inv.RecordMovement(ctx, in)
				if err != nil {
					t.Fatalf("%+v: %v", in, err)
				}
				want[m.ID] = in
			}
			page, err := f.inv.ListMovements(ctx, inventory.MovementFilter{ProductID: f.product.ID}, paging.Request{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != len(moves) {
				t.Fatalf("listed %d movements, recorded %d", len(page.Items), len(moves))
			}
			for _, m := range page.Items {
				in, ok := want[m.ID]
				if !ok {
					t.Fatalf("listed movement %s was never recorded", m.ID)
				}
				if m.Kind != in.Kind || m.Quantity != in.Quantity || m.LocationID != in.LocationID {
					t.Errorf("movement %s listed as %s %d at %s, recorded as %s %d at %s", m.ID, m.Kind, m.Quantity, m.LocationID, in.Kind, in.Quantity, in.LocationID)
				}
				switch {
				case in.ToLocationID == nil && m.ToLocationID != nil:
					t.Errorf("movement %s (%s) listed with to_location_id %s, recorded without", m.ID, m.Kind, *m.ToLocationID)
				case in.ToLocationID != nil && (m.ToLocationID == nil || *m.ToLocationID != *in.ToLocationID):
					t.Errorf("movement %s (%s) listed with to_location_id %v, recorded with %s", m.ID, m.Kind, m.ToLocationID, *in.ToLocationID)
				}
			}
			levels, err := f.inv.ListLevels(ctx, inventory.LevelFilter{ProductID: f.product.ID}, paging.Request{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			onHand := map[string]int64{}
			for _, l := range levels.Items {
				if l.ProductID != f.product.ID || l.Available != l.OnHand-l.Reserved {
					t.Errorf("level %+v", l)
				}
				onHand[l.LocationID] = l.OnHand
			}
			if wantOnHand := map[string]int64{f.showroom.ID: 5 - 2 + 1 + 1 - 3, f.store2.ID: 2 - 1}; len(onHand) != 2 ||
				onHand[f.showroom.ID] != wantOnHand[f.showroom.ID] || onHand[f.store2.ID] != wantOnHand[f.store2.ID] {
				t.Errorf("levels on hand %v, want %v", onHand, wantOnHand)
			}
		})
	}
}
