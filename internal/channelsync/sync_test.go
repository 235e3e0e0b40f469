package channelsync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/channelsync"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

type world struct {
	t        *testing.T
	db       *store.DB
	cat      *catalog.Service
	inv      *inventory.Service
	chans    *channels.Service
	listings *listing.Service
	engine   *channelsync.Engine
	sim      *sim.Sim
	channel  channels.Channel
	loc      inventory.Location
	artisan  catalog.Artisan
	products map[string]catalog.Product
}

func newWorld(t *testing.T, b testenv.Backend) *world {
	t.Helper()
	db, _ := b.Open(t)
	key, _ := secrets.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "k"))
	ring, _ := secrets.ParseMasterKey(key)
	crafts, _ := catalog.NewCrafts()
	w := &world{t: t, db: db, cat: catalog.NewService(db.Catalog(), ring, crafts, nil), inv: inventory.NewService(db.Inventory(), nil),
		chans: channels.NewService(db.Channels(), ring, nil), listings: listing.NewService(db.Listings(), nil), products: map[string]catalog.Product{}}
	w.sim = sim.New(sim.Config{Seed: 3, Limits: map[adapters.Operation]adapters.Limit{}})
	// The handler reads w.sim on every request, so a test can restart the
	// marketplace (an empty simulator) behind the same address.
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { w.sim.ServeHTTP(rw, r) }))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	w.loc, _ = w.inv.CreateLocation(ctx, inventory.NewLocation{Code: "SRG", Name: "Srinagar", Kind: "showroom"})
	if err := w.chans.Ensure(ctx, "flipkart", "fk", srv.URL+"/sellers", srv.URL+"/oauth-service/oauth/token", true,
		map[string]string{"app_id": sim.AppID, "app_secret": sim.AppSecret},
		channels.Settings{DispatchDays: channels.Days(3), Locations: []channels.LocationMap{{LocationID: w.loc.ID, ExternalLocationID: "LOC1"}}}); err != nil {
		t.Fatal(err)
	}
	list, _ := w.chans.List(ctx)
	w.channel = list[0]
	w.engine = &channelsync.Engine{Channels: w.chans, ChannelRows: db.Channels(), Listings: db.Listings(), Exceptions: db.Exceptions(),
		Log: testenv.Quiet(), MaxAttempts: 3, PageSize: 1000,
		Factory: func(ch channels.Channel, creds map[string]string) (adapters.Channel, error) {
			return flipkart.New(flipkart.Config{BaseURL: ch.BaseURL, TokenURL: ch.TokenURL, AppID: creds["app_id"], AppSecret: creds["app_secret"], Account: ch.ID},
				&httpx.Client{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}), nil
		}}
	s := func(v string) *string { return &v }
	w.artisan, _ = w.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: s("WW-9"), Name: s("Maker"), Craft: s("walnut_wood_carving")})
	return w
}

func (w *world) product(i int, qty int64, fsn string) catalog.Product {
	w.t.Helper()
	ctx := context.Background()
	s := func(v string) *string { return &v }
	n := func(v int64) *int64 { return &v }
	p, err := w.cat.CreateProduct(ctx, catalog.ProductInput{SKU: s(fmt.Sprintf("WAL-%03d", i)), Title: s("Walnut box"), Craft: s("walnut_wood_carving"),
		HSNCode: s("44209090"), GSTRateBP: n(500), MRPPaise: n(300000), PricePaise: n(250000), ArtisanID: s(w.artisan.ID), ArtisanShareBP: n(6000)})
	if err != nil {
		w.t.Fatal(err)
	}
	if qty > 0 {
		w.move(p.ID, "intake", qty)
	}
	if _, err := w.listings.Publish(ctx, p.ID, w.channel.ID, listing.Input{ExternalID: &fsn}); err != nil {
		w.t.Fatal(err)
	}
	w.products[p.SKU] = p
	return p
}

func (w *world) move(productID, kind string, qty int64) {
	w.t.Helper()
	if _, err := w.inv.RecordMovement(context.Background(), inventory.MovementInput{ProductID: productID, LocationID: w.loc.ID,
		Kind: kind, Quantity: qty, Reason: "test"}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.db.Listings().MarkProductDirty(context.Background(), productID); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) sync() channelsync.Report {
	w.t.Helper()
	rep, err := w.engine.SyncChannel(context.Background(), w.channel.ID)
	if err != nil {
		w.t.Fatalf("sync: %v", err)
	}
	return rep
}

func (w *world) calls(op adapters.Operation) sim.Calls { return w.sim.CallCounts()[string(op)] }

func fsn(i int) string { return fmt.Sprintf("WALB%012d", i) }

// TestOnlyChangesArePushed: the first sync creates listings in full
// batches; a sync with nothing changed calls nobody; stock and price
// changes go by the cheap calls, coalesced into full batches.
func TestOnlyChangesArePushed(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for i := 0; i < 25; i++ {
				w.product(i, 3, fsn(i))
			}
			if rep := w.sync(); rep.Created != 25 {
				t.Fatalf("first sync: %+v", rep)
			}
			if c := w.calls(adapters.OpCreateListings); c.Calls != 3 || c.MaxBatch != 10 {
				t.Fatalf("create calls %+v", c)
			}
			if rep := w.sync(); rep.Listings != 0 {
				t.Fatalf("a sync with nothing changed did %+v", rep)
			}
			// 1,000 stock changes over 20 products, then one sync: two calls.
			for round := 0; round < 50; round++ {
				for i := 0; i < 20; i++ {
					w.move(w.products[fmt.Sprintf("WAL-%03d", i)].ID, "intake", 1)
				}
			}
			rep := w.sync()
			if rep.Stock != 20 || rep.Created != 0 || rep.Prices != 0 {
				t.Fatalf("stock sync: %+v", rep)
			}
			if c := w.calls(adapters.OpUpdateStock); c.Calls != 2 || c.Items != 20 {
				t.Fatalf("stock calls %+v: want 2 full calls", c)
			}
			for _, l := range w.sim.Listings() {
				want := int64(3)
				if l.SKU < "WAL-020" {
					want = 53
				}
				if l.Quantity != want {
					t.Fatalf("%s at %d, want %d", l.SKU, l.Quantity, want)
				}
			}
			// A price change goes by the price call alone.
			p := w.products["WAL-001"]
			v := p.Version
			np := int64(240000)
			if _, err := w.cat.UpdateProduct(context.Background(), p.ID, catalog.ProductInput{PricePaise: &np, Version: &v}); err != nil {
				t.Fatal(err)
			}
			w.db.Listings().MarkProductDirty(context.Background(), p.ID)
			if rep := w.sync(); rep.Prices != 1 || rep.Stock != 0 || rep.Created != 0 {
				t.Fatalf("price sync: %+v", rep)
			}
		})
	}
}

// TestFailuresAreVisible: a marketplace that keeps failing leaves the
// listings dirty with their error, opens one sync_failing exception, and
// sync resumes by itself when the marketplace recovers. A refusal keeps the
// marketplace's words and opens a listing_rejected exception.
func TestFailuresAreVisible(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			ctx := context.Background()
			w.product(1, 2, fsn(1))
			w.product(2, 2, "not-an-fsn")
			w.sim.SetFaults(sim.Faults{Rate5xx: 1})
			for i := 0; i < 4; i++ {
				if _, err := w.engine.SyncChannel(ctx, w.channel.ID); err == nil {
					t.Fatal("sync against a failing marketplace reported success")
				}
			}
			page, _ := w.listings.List(ctx, listing.Filter{ChannelID: w.channel.ID}, paging.Request{Limit: 10})
			for _, l := range page.Items {
				if l.InSync || l.Status != listing.StatusError || l.LastError == "" || l.Attempts != 4 {
					t.Fatalf("failing listing: %+v", l)
				}
			}
			exc, _ := w.db.Exceptions().List(ctx, exceptions.Filter{Kind: exceptions.SyncFailing, Status: "open"}, paging.Request{Limit: 10})
			if len(exc.Items) != 1 || exc.Items[0].Occurrences < 2 {
				t.Fatalf("sync_failing exceptions: %+v", exc.Items)
			}
			ch, _ := w.chans.Get(ctx, w.channel.ID)
			if ch.Health.LastError == "" || ch.Health.QueueDepth != 2 {
				t.Fatalf("channel health: %+v", ch.Health)
			}
			w.sim.SetFaults(sim.Faults{})
			rep := w.sync()
			if rep.Created != 1 || rep.Refused != 1 {
				t.Fatalf("after recovery: %+v", rep)
			}
			page, _ = w.listings.List(ctx, listing.Filter{ChannelID: w.channel.ID}, paging.Request{Limit: 10})
			for _, l := range page.Items {
				switch l.ExternalID {
				case fsn(1):
					if l.Status != listing.StatusLive || !l.InSync {
						t.Fatalf("recovered listing: %+v", l)
					}
				default:
					if l.Status != listing.StatusRejected || !l.InSync || l.LastError == "" {
						t.Fatalf("refused listing: %+v", l)
					}
				}
			}
			rej, _ := w.db.Exceptions().List(ctx, exceptions.Filter{Kind: exceptions.ListingRejected, Status: "open"}, paging.Request{Limit: 10})
			if len(rej.Items) != 1 {
				t.Fatalf("listing_rejected exceptions: %+v", rej.Items)
			}
		})
	}
}
