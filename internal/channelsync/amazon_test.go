package channelsync_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// amazonWorld is a world whose engine syncs an Amazon channel against the
// Amazon simulator (no usage plans: the test counts calls, not time).
func amazonWorld(t *testing.T, b testenv.Backend) (*world, *amazonsim.Sim) {
	t.Helper()
	w := newWorld(t, b)
	ctx := context.Background()
	marketplace := amazonsim.New(amazonsim.Config{Seed: 3, Limits: map[adapters.Operation]adapters.Limit{}})
	srv := httptest.NewServer(marketplace)
	t.Cleanup(srv.Close)
	if err := w.chans.Ensure(ctx, "amazon", "amz", srv.URL, srv.URL+"/auth/o2/token", true,
		map[string]string{"client_id": amazonsim.ClientID, "client_secret": amazonsim.ClientSecret,
			"refresh_token": amazonsim.RefreshToken, "seller_id": amazonsim.SellerID},
		channels.Settings{DispatchDays: channels.Days(3), Locations: []channels.LocationMap{{LocationID: w.loc.ID, ExternalLocationID: "LOC1"}}}); err != nil {
		t.Fatal(err)
	}
	list, err := w.chans.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Kind == "amazon" {
			w.channel = c
		}
	}
	w.engine.Factory = func(ch channels.Channel, creds map[string]string) (adapters.Channel, error) {
		return amazon.New(amazon.Config{BaseURL: ch.BaseURL, TokenURL: ch.TokenURL, ClientID: creds["client_id"], ClientSecret: creds["client_secret"],
			RefreshToken: creds["refresh_token"], SellerID: creds["seller_id"], Account: ch.ID, Limits: map[adapters.Operation]adapters.Limit{},
			FeedPoll: time.Millisecond},
			&httpx.Client{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}), nil
	}
	return w, marketplace
}

// TestAmazonListingIsPutOnce: Amazon answers a listing's first put with
// the ASIN it matched, which the listing then keeps; that must not make
// the listing look changed. Every later stock change goes by one patch of
// the SKU, never by a second full put: with the ASIN left out of the
// settled content hash, each new listing's next change put it again in
// full (and read its ASIN again), one SKU a call at Amazon's 5 a second,
// and no stock patch went out until the whole catalogue had been put
// twice (BenchmarkPushesAtPlan measured Amazon at 0% of its plan).
func TestAmazonListingIsPutOnce(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w, marketplace := amazonWorld(t, b)
			ctx := context.Background()
			calls := func(op adapters.Operation) int {
				return marketplace.CallCounts()[string(op)].Calls - marketplace.CallCounts()[string(op)].Throttled
			}
			const n = 4
			var productIDs []string
			for i := range n {
				p := w.product(i, 3, "")
				productIDs = append(productIDs, p.ID)
			}
			if rep := w.sync(); rep.Created != n {
				t.Fatalf("first sync: %+v, want %d created", rep, n)
			}
			page, err := w.listings.List(ctx, listing.Filter{ChannelID: w.channel.ID}, paging.Request{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range page.Items {
				if l.ExternalID == "" || !l.InSync {
					t.Fatalf("after its put the listing holds %+v, want Amazon's ASIN and in sync", l)
				}
			}
			if rep := w.sync(); rep.Listings != 0 {
				t.Fatalf("a sync with nothing changed after the ASINs were recorded did %+v", rep)
			}
			for round := 1; round <= 3; round++ {
				for _, id := range productIDs {
					w.move(id, "intake", 1)
				}
				if rep := w.sync(); rep.Stock != n || rep.Created != 0 || rep.Prices != 0 {
					t.Fatalf("stock round %d: %+v, want %d stock patches and nothing else", round, rep, n)
				}
				if got, want := [2]int{calls(adapters.OpCreateListings), calls(adapters.OpUpdateStock)}, [2]int{n, round * n}; got != want {
					t.Fatalf("stock round %d: %d puts and %d stock patches, want %v", round, got[0], got[1], want)
				}
			}
			for _, l := range marketplace.Listings() {
				if l.Quantity != 6 {
					t.Fatalf("%s at %d on Amazon, want 6", l.SKU, l.Quantity)
				}
			}
		})
	}
}
