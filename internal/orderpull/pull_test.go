package orderpull_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestPullFlipkartOrders: 45 buyer orders over three pages, with the
// marketplace repeating pages, are taken in exactly once with their stock
// reserved; a second pull changes nothing; a cancellation on Flipkart
// releases the stock at the next pull.
func TestPullFlipkartOrders(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db, _ := b.Open(t)
			ctx := context.Background()
			key, _ := secrets.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "k"))
			ring, _ := secrets.ParseMasterKey(key)
			crafts, _ := catalog.NewCrafts()
			cat := catalog.NewService(db.Catalog(), ring, crafts, nil)
			inv := inventory.NewService(db.Inventory(), nil)
			chans := channels.NewService(db.Channels(), ring, nil)
			marketplace := sim.New(sim.Config{Seed: 11, Limits: map[adapters.Operation]adapters.Limit{}})
			srv := httptest.NewServer(marketplace)
			defer srv.Close()
			loc, _ := inv.CreateLocation(ctx, inventory.NewLocation{Code: "SRG", Name: "Srinagar", Kind: "showroom"})
			if err := chans.Ensure(ctx, "flipkart", "fk", srv.URL+"/sellers", srv.URL+"/oauth-service/oauth/token", true,
				map[string]string{"app_id": sim.AppID, "app_secret": sim.AppSecret},
				channels.Settings{Locations: []channels.LocationMap{{LocationID: loc.ID, ExternalLocationID: "LOC1"}}}); err != nil {
				t.Fatal(err)
			}
			list, _ := chans.List(ctx)
			ch := list[0]
			s := func(v string) *string { return &v }
			n := func(v int64) *int64 { return &v }
			art, _ := cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: s("CR-1"), Name: s("Maker"), Craft: s("crewel")})
			p, err := cat.CreateProduct(ctx, catalog.ProductInput{SKU: s("CREWEL-1"), Title: s("Crewel cushion"), Craft: s("crewel"),
				HSNCode: s("6304"), GSTRateBP: n(500), MRPPaise: n(200000), PricePaise: n(150000), ArtisanID: s(art.ID), ArtisanShareBP: n(6000)})
			if err != nil {
				t.Fatal(err)
			}
			inv.RecordMovement(ctx, inventory.MovementInput{ProductID: p.ID, LocationID: loc.ID, Kind: "intake", Quantity: 100})
			client := flipkart.New(flipkart.Config{BaseURL: srv.URL + "/sellers", TokenURL: srv.URL + "/oauth-service/oauth/token",
				AppID: sim.AppID, AppSecret: sim.AppSecret, Account: ch.ID}, &httpx.Client{MaxAttempts: 3, BaseDelay: time.Millisecond})
			if res, err := client.PushListings(ctx, []adapters.Listing{{SKU: "CREWEL-1", ExternalID: "CRWL123456789012", HSNCode: "6304",
				MRPPaise: 200000, PricePaise: 150000, Locations: []adapters.LocationQuantity{{LocationID: "LOC1", Quantity: 100}}}}); err != nil || !res[0].Accepted {
				t.Fatalf("listing: %+v %v", res, err)
			}
			var ids []string
			for i := 0; i < 45; i++ {
				ids = append(ids, placeOrder(t, srv.URL, "CREWEL-1", 1))
			}
			marketplace.SetFaults(simkit.Faults{RepeatPages: true})
			puller := &orderpull.Puller{Channels: chans, Orders: orders.NewService(db.Orders(), nil), Cursors: db.Orders(), Exceptions: db.Exceptions(),
				Factory: func(ch channels.Channel, creds map[string]string) (adapters.Channel, error) { return client, nil }}
			rep, err := puller.Pull(ctx, ch.ID)
			if err != nil || rep.Orders.Created != 45 || rep.Orders.Reserved != 45 {
				t.Fatalf("first pull: %+v %v", rep, err)
			}
			if calls := marketplace.CallCounts()[string(flipkart.OpFilterShipments)]; calls.Calls < 7 {
				t.Fatalf("%d shipment calls: the pull did not page", calls.Calls)
			}
			rep, err = puller.Pull(ctx, ch.ID)
			if err != nil || rep.Orders.NewLines != 0 || rep.Orders.Created != 0 {
				t.Fatalf("second pull: %+v %v", rep, err)
			}
			lvl, _ := db.Inventory().Level(ctx, p.ID, loc.ID)
			if lvl.Reserved != 45 {
				t.Fatalf("reserved %d", lvl.Reserved)
			}
			postJSON(t, srv.URL+"/_sim/orders/"+ids[3]+"/cancel", nil)
			if rep, err := puller.Pull(ctx, ch.ID); err != nil || rep.Orders.Released != 1 {
				t.Fatalf("pull after a cancellation: %+v %v", rep, err)
			}
			var lines int64
			db.Gorm().Table("order_lines").Count(&lines)
			if lvl, _ := db.Inventory().Level(ctx, p.ID, loc.ID); lvl.Reserved != 44 || lines != 45 {
				t.Fatalf("after cancellation: reserved %d, %d lines", lvl.Reserved, lines)
			}
			// An order the database refuses is not dropped: a missed_order
			// exception says so, and the next pull takes it in.
			refused := placeOrder(t, srv.URL, "CREWEL-1", 1)
			trigger := map[string][]string{
				"sqlite": {`CREATE TRIGGER refuse_order BEFORE INSERT ON orders WHEN NEW.external_order_id = '` + refused + `' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`},
				"postgres": {`CREATE FUNCTION refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
IF NEW.external_order_id = '` + refused + `' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`,
					`CREATE TRIGGER refuse_order BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_order()`},
			}[b.Name]
			for _, q := range trigger {
				if err := db.Gorm().Exec(q).Error; err != nil {
					t.Fatal(err)
				}
			}
			if _, err := puller.Pull(ctx, ch.ID); err != nil {
				t.Fatal(err)
			}
			var missed int64
			db.Gorm().Table("exceptions").Where("kind = 'missed_order' AND status = 'open' AND summary LIKE ?", "%"+refused+"%").Count(&missed)
			if missed != 1 {
				t.Fatalf("%d missed_order exceptions for the refused order", missed)
			}
			db.Gorm().Exec(`DROP TRIGGER refuse_order` + map[string]string{"postgres": " ON orders"}[b.Name])
			if rep, err := puller.Pull(ctx, ch.ID); err != nil || rep.Orders.Created != 1 {
				t.Fatalf("the refused order on the next pull: %+v %v", rep, err)
			}
		})
	}
}

func postJSON(t *testing.T, url string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
	}
	return out
}

func placeOrder(t *testing.T, base, sku string, qty int) string {
	t.Helper()
	return fmt.Sprint(postJSON(t, base+"/_sim/orders", map[string]any{"sku": sku, "quantity": qty})["id"])
}
