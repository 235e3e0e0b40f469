package orderpull_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// flipkartRig is a Flipkart simulator with one listed product (100 units
// at one location) and a puller for its channel, on one backend.
type flipkartRig struct {
	db          *store.DB
	marketplace *sim.Sim
	base        string
	channelID   string
	productID   string
	locationID  string
	puller      *orderpull.Puller
}

func newFlipkartRig(t *testing.T, b testenv.Backend) *flipkartRig {
	t.Helper()
	return newFlipkartRigLimited(t, b, map[adapters.Operation]adapters.Limit{})
}

// newFlipkartRigLimited is a Flipkart rig whose simulator keeps to limits
// (none for an operation not named).
func newFlipkartRigLimited(t *testing.T, b testenv.Backend, limits map[adapters.Operation]adapters.Limit) *flipkartRig {
	t.Helper()
	db, _ := b.Open(t)
	ctx := context.Background()
	key, _ := secrets.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "k"))
	ring, _ := secrets.ParseMasterKey(key)
	crafts, _ := catalog.NewCrafts()
	cat := catalog.NewService(db.Catalog(), ring, crafts, nil)
	inv := inventory.NewService(db.Inventory(), nil)
	chans := channels.NewService(db.Channels(), ring, nil)
	marketplace := sim.New(sim.Config{Seed: 11, Limits: limits})
	srv := httptest.NewServer(marketplace)
	t.Cleanup(srv.Close)
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
	puller := &orderpull.Puller{Channels: chans, Orders: orders.NewService(db.Orders(), nil), Cursors: db.Orders(), Exceptions: db.Exceptions(),
		Resolver: exceptions.NewService(db.Exceptions(), nil),
		Factory:  func(ch channels.Channel, creds map[string]string) (adapters.Channel, error) { return client, nil }}
	return &flipkartRig{db: db, marketplace: marketplace, base: srv.URL, channelID: ch.ID, productID: p.ID, locationID: loc.ID, puller: puller}
}

func (r *flipkartRig) reserved(t *testing.T) int64 {
	t.Helper()
	lvl, err := r.db.Inventory().Level(context.Background(), r.productID, r.locationID)
	if err != nil {
		t.Fatal(err)
	}
	return lvl.Reserved
}

// TestPullFlipkartOrders: 45 buyer orders over three pages, with the
// marketplace repeating pages, are taken in exactly once with their stock
// reserved; a second pull changes nothing; a cancellation on Flipkart
// releases the stock at the next pull.
func TestPullFlipkartOrders(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := newFlipkartRig(t, b)
			ctx := context.Background()
			var ids []string
			for i := 0; i < 45; i++ {
				ids = append(ids, placeOrder(t, r.base, "CREWEL-1", 1))
			}
			r.marketplace.SetFaults(simkit.Faults{RepeatPages: true})
			puller := r.puller
			rep, err := puller.Pull(ctx, r.channelID)
			if err != nil || rep.Orders.Created != 45 || rep.Orders.Reserved != 45 {
				t.Fatalf("first pull: %+v %v", rep, err)
			}
			if calls := r.marketplace.CallCounts()[string(flipkart.OpFilterShipments)]; calls.Calls < 7 {
				t.Fatalf("%d shipment calls: the pull did not page", calls.Calls)
			}
			rep, err = puller.Pull(ctx, r.channelID)
			if err != nil || rep.Orders.NewLines != 0 || rep.Orders.Created != 0 {
				t.Fatalf("second pull: %+v %v", rep, err)
			}
			if got := r.reserved(t); got != 45 {
				t.Fatalf("reserved %d", got)
			}
			postJSON(t, r.base+"/_sim/orders/"+ids[3]+"/cancel", nil)
			if rep, err := puller.Pull(ctx, r.channelID); err != nil || rep.Orders.Released != 1 {
				t.Fatalf("pull after a cancellation: %+v %v", rep, err)
			}
			var lines int64
			r.db.Gorm().Table("order_lines").Count(&lines)
			if got := r.reserved(t); got != 44 || lines != 45 {
				t.Fatalf("after cancellation: reserved %d, %d lines", got, lines)
			}
		})
	}
}

// TestPullCarriesOn: a pull the marketplace's rate limit stops keeps its
// next page, and the next pull carries on from there (it does not search
// again from the cursor, which stays until the walk's last page): 45
// orders over many short pulls are each taken in once, with no page read
// twice; an order placed meanwhile is taken in by the pull after; a kept
// page the marketplace no longer answers makes the pull search again from
// the cursor, losing nothing. MaxPages stops a pull the same way.
func TestPullCarriesOn(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, c := range []struct {
				name     string
				limits   map[adapters.Operation]adapters.Limit
				maxPages int
			}{
				{"rate limited", map[adapters.Operation]adapters.Limit{flipkart.OpFilterShipments: {Rate: 4, Burst: 2}}, 0},
				{"max pages", map[adapters.Operation]adapters.Limit{}, 2},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := newFlipkartRigLimited(t, b, c.limits)
					r.puller.MaxPages = c.maxPages
					// The pull waits for no call: a 429 (Retry-After 1 s) stops it.
					ctx := adapters.WithMaxWait(context.Background(), 10*time.Millisecond)
					for i := 0; i < 45; i++ {
						placeOrder(t, r.base, "CREWEL-1", 1)
					}
					var total orders.ImportSummary
					pages, pulls := 0, 0
					var first time.Time
					for done := false; !done; pulls++ {
						if pulls > 20 {
							t.Fatalf("the walk did not end in %d pulls (%d pages, %+v)", pulls, pages, total)
						}
						time.Sleep(600 * time.Millisecond) // the plan's bucket refills
						rep, err := r.puller.Pull(ctx, r.channelID)
						if err != nil {
							t.Fatalf("pull %d: %v", pulls, err)
						}
						if pulls > 0 && rep.Pages > 0 && !rep.Resumed {
							t.Fatalf("pull %d searched again instead of carrying on: %+v", pulls, rep)
						}
						pages += rep.Pages
						total.Orders, total.Created, total.Reserved = total.Orders+rep.Orders.Orders, total.Created+rep.Orders.Created, total.Reserved+rep.Orders.Reserved
						done = !rep.Stopped
						cur, _ := r.db.Orders().PullCursor(ctx, r.channelID)
						switch {
						case pulls == 0 && !rep.Stopped:
							t.Fatalf("the first pull was not stopped: %+v", rep)
						case pulls == 0:
							first = cur
						case !done && !cur.Equal(first):
							t.Fatalf("the cursor moved from %v to %v before the walk's last page", first, cur)
						}
					}
					// 45 shipments are 3 pages, then one for each other filter.
					if total.Created != 45 || total.Reserved != 45 || pages != 3+4 {
						t.Fatalf("over %d pulls: %d pages, %+v", pulls, pages, total)
					}
					if got := r.reserved(t); got != 45 {
						t.Fatalf("reserved %d", got)
					}
					if cur, _ := r.db.Orders().PullCursor(ctx, r.channelID); !cur.After(first) {
						t.Fatalf("the cursor did not move at the walk's end: %v", cur)
					}

					// An order placed now, and a kept page Flipkart does not
					// answer: the pull searches again from the cursor.
					late := placeOrder(t, r.base, "CREWEL-1", 1)
					cur, _ := r.db.Orders().PullCursor(ctx, r.channelID)
					if err := r.db.Orders().SavePullResume(ctx, r.channelID, cur, orders.PullResume{Token: "9:", Since: cur, Started: time.Now()}); err != nil {
						t.Fatal(err)
					}
					total = orders.ImportSummary{}
					for done, n := false, 0; !done; n++ {
						if n > 20 {
							t.Fatalf("the new walk did not end: %+v", total)
						}
						time.Sleep(600 * time.Millisecond)
						rep, err := r.puller.Pull(ctx, r.channelID)
						if err != nil {
							t.Fatalf("pull after an unanswered page: %v", err)
						}
						if n == 0 && rep.Resumed {
							t.Fatalf("an unanswered page was carried on: %+v", rep)
						}
						total.Orders, total.Created, total.Reserved = total.Orders+rep.Orders.Orders, total.Created+rep.Orders.Created, total.Reserved+rep.Orders.Reserved
						done = !rep.Stopped
					}
					var lines int64
					r.db.Gorm().Table("order_lines").Count(&lines)
					if total.Created != 1 || lines != 46 || r.reserved(t) != 46 {
						t.Fatalf("order %s placed meanwhile: %+v, %d lines, %d reserved", late, total, lines, r.reserved(t))
					}
					if left, _ := r.db.Orders().PullResume(ctx, r.channelID); left.Token != "" {
						t.Fatalf("a finished walk left %+v", left)
					}
				})
			}
		})
	}
}

// TestPullKeepsUpWithABurst: orders placed faster than one a second are
// all found by the next pull (the simulator once stamped every order a
// second after the last, running ahead of the wall clock and past the
// search's end, so that a pull found only part of a burst).
func TestPullKeepsUpWithABurst(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := newFlipkartRig(t, b)
			for i := 0; i < 90; i++ {
				placeOrder(t, r.base, "CREWEL-1", 1)
			}
			rep, err := r.puller.Pull(context.Background(), r.channelID)
			if err != nil || rep.Stopped || rep.Orders.Created != 90 {
				t.Fatalf("one pull after 90 orders: %+v %v", rep, err)
			}
		})
	}
}

// TestMissedOrders: an order item corrupted on the wire opens one
// missed_order holding its shipment, without holding the cursor; retried
// while still corrupt it answers 422 and stays open; retried once mended
// it is taken in and resolved by who retried, audited. An order the
// database refuses opens one holding the normalised order and holds the
// cursor; once the cause is gone the retry takes it in.
func TestMissedOrders(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := newFlipkartRig(t, b)
			ops := reqctx.WithActor(context.Background(), reqctx.Actor{ID: "u-ops", Name: "ops", Role: "operations"})
			postJSON(t, r.base+"/_sim/orders", map[string]any{"items": []any{map[string]any{"sku": "CREWEL-1", "quantity": 1},
				map[string]any{"sku": "CREWEL-1", "quantity": 2}}})
			r.marketplace.SetFaults(simkit.Faults{CorruptItems: 1})
			corrupt := postJSON(t, r.base+"/_sim/orders", map[string]any{"sku": "CREWEL-1", "quantity": 1})
			corruptItem := fmt.Sprint(corrupt["items"].([]any)[0].(map[string]any)["id"])
			rep, err := r.puller.Pull(ops, r.channelID)
			if err != nil || rep.Orders.Created != 1 || rep.Orders.NewLines != 2 || rep.Unreadable < 1 {
				t.Fatalf("pull: %+v %v", rep, err)
			}
			if got := r.reserved(t); got != 3 {
				t.Fatalf("the two-item order reserved %d units", got)
			}
			ex := missed(t, r.db)
			if len(ex) != 1 {
				t.Fatalf("missed orders %+v", ex)
			}
			e := ex[0]
			if e.CauseKey != orderpull.CauseKey(r.channelID, fmt.Sprint(corrupt["id"]), corruptItem, nil) || !strings.Contains(e.Payload, corruptItem) ||
				!strings.Contains(e.Detail, "quantity -1") || e.Occurrences < 1 {
				t.Fatalf("exception %+v", e)
			}
			if cur, _ := r.db.Orders().PullCursor(ops, r.channelID); cur.IsZero() {
				t.Fatal("an unreadable item held the cursor")
			}
			if _, err := r.puller.Retry(ops, e.ID, "ops"); apperr.CodeOf(err) != apperr.Unprocessable || !strings.Contains(err.Error(), "quantity -1") {
				t.Fatalf("retry while corrupt: %v", err)
			}
			if again := missed(t, r.db); len(again) != 1 || again[0].Status != "open" || !strings.Contains(again[0].Detail, "retried by ops") {
				t.Fatalf("after a failed retry: %+v", again)
			}
			r.marketplace.SetFaults(simkit.Faults{})
			res, err := r.puller.Retry(ops, e.ID, "ops")
			if err != nil || res.Source != orderpull.FromMarketplace || res.Summary.Created != 1 || res.Summary.Reserved != 1 ||
				res.Exception.Status != "resolved" || res.Exception.ResolvedBy != "ops" {
				t.Fatalf("retry once mended: %+v %v", res, err)
			}
			if got := r.reserved(t); got != 4 {
				t.Fatalf("reserved %d after the retry", got)
			}
			var audited int64
			r.db.Gorm().Table("audit_log").Where("action = 'resolve' AND resource = 'exception' AND resource_id = ? AND actor_name = 'ops'", e.ID).Count(&audited)
			if audited != 1 {
				t.Fatalf("%d audit entries for the retry", audited)
			}

			// An order the database refuses is not dropped: a missed_order
			// holds the normalised order, the cursor waits for it, and the
			// retry takes it in once the cause is gone.
			refused := placeOrder(t, r.base, "CREWEL-1", 1)
			trigger := map[string][]string{
				"sqlite": {`CREATE TRIGGER refuse_order BEFORE INSERT ON orders WHEN NEW.external_order_id = '` + refused + `' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`},
				"postgres": {`CREATE FUNCTION refuse_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
IF NEW.external_order_id = '` + refused + `' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`,
					`CREATE TRIGGER refuse_order BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_order()`},
			}[b.Name]
			for _, q := range trigger {
				if err := r.db.Gorm().Exec(q).Error; err != nil {
					t.Fatal(err)
				}
			}
			before, _ := r.db.Orders().PullCursor(ops, r.channelID)
			if rep, err := r.puller.Pull(ops, r.channelID); err != nil || rep.Failed != 1 {
				t.Fatalf("pull: %+v %v", rep, err)
			}
			var held *exceptions.Exception
			for _, x := range missed(t, r.db) {
				if x.Status == "open" && strings.Contains(x.Summary, refused) {
					held = &x
				}
			}
			if held == nil || !strings.Contains(held.Payload, `"normalised_order"`) || !strings.Contains(held.Payload, refused) {
				t.Fatalf("no missed_order with the normalised order for %s: %+v", refused, held)
			}
			if after, _ := r.db.Orders().PullCursor(ops, r.channelID); after.After(before.Add(time.Minute)) {
				t.Fatalf("the cursor moved from %v to %v past a refused order", before, after)
			}
			if _, err := r.puller.Retry(ops, held.ID, "ops"); err == nil {
				t.Fatal("a retry the database still refuses succeeded")
			}
			r.db.Gorm().Exec(`DROP TRIGGER refuse_order` + map[string]string{"postgres": " ON orders"}[b.Name])
			if res, err := r.puller.Retry(ops, held.ID, "ops"); err != nil || res.Summary.Created != 1 || res.Exception.Status != "resolved" {
				t.Fatalf("retry once the cause is gone: %+v %v", res, err)
			}
			if rep, err := r.puller.Pull(ops, r.channelID); err != nil || rep.Failed != 0 || rep.Orders.Created != 0 {
				t.Fatalf("the next pull: %+v %v", rep, err)
			}
		})
	}
}

func missed(t *testing.T, db *store.DB) []exceptions.Exception {
	t.Helper()
	page, err := db.Exceptions().List(context.Background(), exceptions.Filter{Kind: exceptions.MissedOrder}, paging.Request{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
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
