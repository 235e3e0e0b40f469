package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestOfferCountsOnlyTheChannelsLocations: what a channel is offered comes
// from the locations it sells from, and stock at an artisan's home counts
// only for that artisan's own pieces (issue 12).
func TestOfferCountsOnlyTheChannelsLocations(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		other, err := f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr("GH-002"), Name: ptr("Mehbooba Jan"), Craft: ptr("kani_shawl"),
			BankAccountNumber: ptr("223456789012"), BankIFSC: ptr("JAKA0SRNGAR")})
		if err != nil {
			t.Fatal(err)
		}
		home, err := f.inv.CreateLocation(ctx, inventory.NewLocation{Code: "GH-HOME", Name: "Ghulam Nabi's home", Kind: "artisan", ArtisanID: &f.artisan.ID})
		if err != nil {
			t.Fatal(err)
		}
		hers, err := f.cat.CreateProduct(ctx, catalog.ProductInput{SKU: ptr("MJ-1"), Title: ptr("Kani stole"), Craft: ptr("kani_shawl"),
			HSNCode: ptr("62142010"), GSTRateBP: ptr[int64](500), MRPPaise: ptr[int64](900_000), PricePaise: ptr[int64](800_000),
			ArtisanID: ptr(other.ID), ArtisanPricePaise: ptr[int64](500_000)})
		if err != nil {
			t.Fatal(err)
		}
		ch := channelsFor(t, f, 1, f.showroom, home)[0]
		intake(t, f, f.product.ID, home, 2)     // his own piece at his home: offered
		intake(t, f, f.product.ID, f.store2, 5) // a warehouse the channel does not sell from: not offered
		intake(t, f, hers.ID, home, 3)          // her piece left at his home: not offered
		intake(t, f, hers.ID, f.showroom, 1)    // her piece at the showroom: offered
		ls := listing.NewService(f.db.Listings(), nil)
		for _, p := range []string{f.product.ID, hers.ID} {
			if _, err := ls.Publish(ctx, p, ch, listing.Input{}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := channels.NewService(f.db.Channels(), mustRing(t), nil).Get(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		items, err := f.db.Listings().Dirty(ctx, ch, c.Settings.Locations, 10)
		if err != nil || len(items) != 2 {
			t.Fatalf("dirty: %v %v", items, err)
		}
		want := map[string]int64{f.product.ID: 2, hers.ID: 1}
		for _, it := range items {
			var onHand int64
			for _, s := range it.Stock {
				onHand += s.OnHand
			}
			if onHand != want[it.Product.ID] {
				t.Errorf("%s: offered from %d on hand, want %d (%+v)", it.Product.SKU, onHand, want[it.Product.ID], it.Stock)
			}
		}
	})
}

// TestOneOfAKindHoldsOneUnit: the database refuses a second unit of a
// one-of-a-kind piece, at one location or at two, and refuses making a
// piece one-of-a-kind while it holds two; each refusal names the field.
func TestOneOfAKindHoldsOneUnit(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		piece, err := f.cat.CreateProduct(ctx, catalog.ProductInput{SKU: ptr("ONE-1"), Title: ptr("Kani shawl, one of a kind"), Craft: ptr("kani_shawl"),
			HSNCode: ptr("62142010"), GSTRateBP: ptr[int64](500), MRPPaise: ptr[int64](900_000), PricePaise: ptr[int64](800_000),
			ArtisanID: ptr(f.artisan.ID), ArtisanPricePaise: ptr[int64](500_000), OneOfAKind: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		move := func(loc inventory.Location, qty int64) error {
			_, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: piece.ID, LocationID: loc.ID, Kind: "intake", Quantity: qty})
			return err
		}
		refused := func(err error, field string) {
			t.Helper()
			var ae *apperr.Error
			if !apperr.Is(err, apperr.Unprocessable) || !errors.As(err, &ae) || ae.Fields[field] == "" {
				t.Fatalf("want a refusal naming %s, got %v", field, err)
			}
		}
		refused(move(f.showroom, 2), "quantity")
		if n := countRows(t, f.db, "stock_movements"); n != 0 {
			t.Fatalf("a refused intake left %d movements", n)
		}
		if err := move(f.showroom, 1); err != nil {
			t.Fatal(err)
		}
		refused(move(f.store2, 1), "quantity")
		refused(move(f.showroom, 1), "quantity")
		// Once sold, a returned piece may come back: one unit again.
		if _, err := f.inv.RecordMovement(ctx, inventory.MovementInput{ProductID: piece.ID, LocationID: f.showroom.ID, Kind: "damage", Quantity: 1, Reason: "moth damage"}); err != nil {
			t.Fatal(err)
		}
		if err := move(f.store2, 1); err != nil {
			t.Fatalf("one unit again: %v", err)
		}
		// A piece holding two units cannot become one-of-a-kind.
		intake(t, f, f.product.ID, f.showroom, 2)
		_, err = f.cat.UpdateProduct(ctx, f.product.ID, catalog.ProductInput{OneOfAKind: ptr(true), Version: ptr(f.product.Version)})
		refused(err, "one_of_a_kind")
	})
}

// TestProductAttributesMerge: a PATCH of a product's attributes is a JSON
// merge patch (RFC 7396): what it names changes, a null removes, the rest
// stays; a null on create is refused naming the attribute.
func TestProductAttributesMerge(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		p, err := f.cat.UpdateProduct(ctx, f.product.ID, catalog.ProductInput{Version: ptr(f.product.Version),
			Attributes: &map[string]*string{"colour": ptr("saffron"), "weave": ptr("kani"), "size": ptr("200x100 cm")}})
		if err != nil {
			t.Fatal(err)
		}
		p, err = f.cat.UpdateProduct(ctx, p.ID, catalog.ProductInput{Version: ptr(p.Version),
			Attributes: &map[string]*string{"colour": ptr("ivory"), "size": nil}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.cat.GetProduct(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Attributes) != 2 || got.Attributes["colour"] != "ivory" || got.Attributes["weave"] != "kani" {
			t.Fatalf("attributes after the merge patch: %v", got.Attributes)
		}
		_, err = f.cat.CreateProduct(ctx, catalog.ProductInput{SKU: ptr("NULL-1"), Title: ptr("Namda rug"), Craft: ptr("namda"),
			HSNCode: ptr("57050000"), GSTRateBP: ptr[int64](500), MRPPaise: ptr[int64](900_000), PricePaise: ptr[int64](800_000),
			ArtisanID: ptr(f.artisan.ID), ArtisanPricePaise: ptr[int64](500_000), Attributes: &map[string]*string{"colour": nil}})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Fields["attributes.colour"] == "" {
			t.Fatalf("a null attribute on create: %v", err)
		}
	})
}
