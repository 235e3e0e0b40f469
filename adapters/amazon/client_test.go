package amazon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

type env struct {
	sim    *sim.Sim
	client *amazon.Client
	check  wireCheck
	base   string
}

func newEnv(t *testing.T, creds ...string) *env {
	t.Helper()
	s := sim.New(sim.Config{Seed: 9, Limits: map[adapters.Operation]adapters.Limit{}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	check := newWireCheck(t, srv.URL)
	secret := sim.ClientSecret
	if len(creds) > 0 {
		secret = creds[0]
	}
	c := amazon.New(amazon.Config{BaseURL: srv.URL, TokenURL: srv.URL + "/auth/o2/token", ClientID: sim.ClientID, ClientSecret: secret,
		RefreshToken: sim.RefreshToken, SellerID: sim.SellerID, Account: "test", FeedPoll: time.Millisecond},
		&httpx.Client{HTTP: &http.Client{Transport: check}, MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond})
	return &env{sim: s, client: c, check: check, base: srv.URL}
}

func listing(i int) adapters.Listing {
	return adapters.Listing{SKU: fmt.Sprintf("PAPIER-%03d", i), Title: "Papier-mache box, hand painted", Description: "Made in Srinagar",
		Brand: "JKHHC", HSNCode: "48239090", GSTRateBP: 500, MRPPaise: 250050, PricePaise: 199950, Quantity: 3, GITag: true,
		GICertificateNo: "GI-182", Images: []string{"https://img.example/a.jpg"}}
}

func TestPushAndRead(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bad := listing(9)
	bad.PricePaise = bad.MRPPaise + 1
	res, err := e.client.PushListings(ctx, []adapters.Listing{listing(1), listing(2), bad})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Accepted || !res[1].Accepted || res[2].Accepted || len(res[2].Issues) == 0 {
		t.Fatalf("results %+v", res)
	}
	if r, err := e.client.PushPrices(ctx, []adapters.PriceUpdate{{SKU: "PAPIER-001", MRPPaise: 250050, PricePaise: 180000}}); err != nil || !r[0].Accepted {
		t.Fatalf("price: %+v %v", r, err)
	}
	if r, err := e.client.PushStock(ctx, []adapters.StockUpdate{{SKU: "PAPIER-002", Quantity: 11}}); err != nil || !r[0].Accepted {
		t.Fatalf("stock: %+v %v", r, err)
	}
	if r, err := e.client.PushStock(ctx, []adapters.StockUpdate{{SKU: "NEVER-LISTED", Quantity: 1}}); err != nil || r[0].Accepted || r[0].Issues[0].Code != "InvalidInput" {
		t.Fatalf("patching an unknown SKU: %+v %v", r, err)
	}
	got, err := e.client.FetchListings(ctx, []string{"PAPIER-001", "PAPIER-002", "NEVER-LISTED"})
	if err != nil || len(got) != 2 {
		t.Fatalf("fetch: %+v %v", got, err)
	}
	if got[0].PricePaise != 180000 || got[0].Quantity != 3 || got[1].Quantity != 11 || got[0].ExternalID == "" {
		t.Fatalf("read back: %+v", got)
	}
	held := map[string]simkit.Listing{}
	for _, l := range e.sim.Listings() {
		held[l.SKU] = l
	}
	if held["PAPIER-001"].PricePaise != 180000 || held["PAPIER-002"].Quantity != 11 || len(held) != 2 {
		t.Fatalf("simulator holds %+v", held)
	}
	// putListingsItem answers no ASIN: the push reads it from the summaries.
	if res[0].ExternalID == "" || res[0].ExternalID != held["PAPIER-001"].ExternalID || res[1].ExternalID != held["PAPIER-002"].ExternalID ||
		res[0].ExternalID != got[0].ExternalID || res[2].ExternalID != "" {
		t.Fatalf("ASINs of the push %q %q %q, held %+v", res[0].ExternalID, res[1].ExternalID, res[2].ExternalID, held)
	}
	e.check.assertValid(t)
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults simkit.Faults
	}{
		{"429 storm", simkit.Faults{Rate429: 0.6}},
		{"5xx", simkit.Faults{Rate5xx: 0.4}},
		{"item failures", simkit.Faults{RateItemFailure: 0.3}},
		{"slow answers", simkit.Faults{LatencyMS: 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.sim.SetFaults(tc.faults)
			var items []adapters.Listing
			for i := 0; i < 15; i++ {
				items = append(items, listing(i))
			}
			res, err := e.client.PushListings(context.Background(), items)
			if err != nil {
				t.Fatalf("gave up: %v", err)
			}
			held := map[string]bool{}
			for _, l := range e.sim.Listings() {
				held[l.SKU] = true
			}
			for _, r := range res {
				if r.Accepted != held[r.SKU] || (!r.Accepted && len(r.Issues) == 0) {
					t.Fatalf("%s: accepted=%v held=%v issues=%v", r.SKU, r.Accepted, held[r.SKU], r.Issues)
				}
			}
			e.check.assertValid(t)
		})
	}
}

func TestExpiredTokenIsRenewed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.client.PushListings(ctx, []adapters.Listing{listing(1)}); err != nil {
		t.Fatal(err)
	}
	e.sim.SetFaults(simkit.Faults{ExpireTokens: true})
	if r, err := e.client.PushStock(ctx, []adapters.StockUpdate{{SKU: "PAPIER-001", Quantity: 0}}); err != nil || !r[0].Accepted {
		t.Fatalf("after expiry: %+v %v", r, err)
	}
	e.check.assertValid(t)
}

func TestWrongCredentials(t *testing.T) {
	e := newEnv(t, "wrong-secret")
	if _, err := e.client.PushListings(context.Background(), []adapters.Listing{listing(1)}); err == nil {
		t.Fatal("wrong credentials accepted")
	}
}

// TestStockFeed: many stock changes go as one JSON_LISTINGS_FEED, and the
// processing report's errors come back per SKU.
func TestStockFeed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var items []adapters.Listing
	for i := 0; i < 5; i++ {
		items = append(items, listing(i))
	}
	if _, err := e.client.PushListings(ctx, items); err != nil {
		t.Fatal(err)
	}
	var upd []adapters.StockUpdate
	for i := 0; i < 300; i++ {
		upd = append(upd, adapters.StockUpdate{SKU: fmt.Sprintf("PAPIER-%03d", i%5), Quantity: int64(i)})
	}
	upd = append(upd, adapters.StockUpdate{SKU: "GHOST", Quantity: 1})
	res, err := e.client.PushStockBulk(ctx, upd)
	if err != nil || len(res) != 301 {
		t.Fatalf("feed: %d results, %v", len(res), err)
	}
	if res[300].Accepted || res[300].Issues[0].Code != "8541" || !res[0].Accepted {
		t.Fatalf("per-SKU outcome: %+v %+v", res[0], res[300])
	}
	for _, l := range e.sim.Listings() {
		if l.Quantity < 295 { // each SKU's last message wins
			t.Fatalf("%s at %d", l.SKU, l.Quantity)
		}
	}
	calls := e.sim.CallCounts()
	if calls[string(amazon.OpCreateFeed)].Calls != 1 {
		t.Fatalf("calls %+v", calls)
	}
	e.check.assertValid(t)
}

// TestFetchOrders: buyers' orders come back page by page (pages repeated
// by the marketplace included), each with its items, as searchOrders
// answers them, validated against Amazon's orders model.
func TestFetchOrders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := listing(1)
	l.Quantity = 500
	if _, err := e.client.PushListings(ctx, []adapters.Listing{l}); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Minute)
	for i := 0; i < 150; i++ {
		resp, err := http.Post(e.base+"/_sim/orders", "application/json", strings.NewReader(`{"sku":"PAPIER-001","quantity":2}`))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("order %d: %v %v", i, resp, err)
		}
		resp.Body.Close()
	}
	e.sim.SetFaults(simkit.Faults{RepeatPages: true})
	seen := map[string]int{}
	token, pages := "", 0
	for {
		page, err := e.client.FetchOrders(ctx, adapters.OrderCursor{Since: since, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Orders {
			seen[o.ExternalOrderID]++
			if len(o.Lines) != 1 || o.Lines[0].SKU != "PAPIER-001" || o.Lines[0].Quantity != 2 || o.Lines[0].UnitPricePaise != 199950 ||
				o.Status != "open" || o.DispatchBy == nil {
				t.Fatalf("order %+v", o)
			}
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != 150 || pages < 2 {
		t.Fatalf("%d distinct orders over %d pages", len(seen), pages)
	}
	e.check.assertValid(t)
}

// TestConfirmShipment: a dispatch is confirmed with its carrier and
// tracking number (validated against ordersV0.json), the simulator shows
// the order shipped; a second confirmation is refused, not retried; a
// cancellation is handed to staff.
func TestConfirmShipment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := listing(1)
	if _, err := e.client.PushListings(ctx, []adapters.Listing{l}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.base+"/_sim/orders", "application/json", strings.NewReader(`{"sku":"PAPIER-001","quantity":2}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("order: %v %v", resp, err)
	}
	var placed struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&placed)
	resp.Body.Close()
	page, err := e.client.FetchOrders(ctx, adapters.OrderCursor{Since: time.Now().Add(-time.Minute)})
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("fetch: %+v %v", page, err)
	}
	o := page.Orders[0]
	u := adapters.FulfilmentUpdate{Step: adapters.StepDispatched, ExternalOrderID: o.ExternalOrderID, TrackingNo: "EM123456789IN", Carrier: "India Post",
		At: time.Now(), Lines: []adapters.FulfilmentLine{{ExternalLineID: o.Lines[0].ExternalLineID, SKU: "PAPIER-001", Quantity: 2}}}
	for _, step := range []string{adapters.StepPacked, adapters.StepDispatched} {
		u.Step = step
		if err := e.client.PushFulfilment(ctx, u); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	var seen struct{ Status, Tracking, Carrier string }
	getJSON(t, e.base+"/_sim/orders/"+placed.ID, &seen)
	if seen.Status != "SHIPPED" || seen.Tracking != "EM123456789IN" || seen.Carrier != "India Post" {
		t.Fatalf("the simulator holds %+v", seen)
	}
	var refusal *adapters.Refusal
	if err := e.client.PushFulfilment(ctx, u); !errors.As(err, &refusal) {
		t.Fatalf("a second confirmation: %v", err)
	}
	u.Step = adapters.StepCancelled
	var manual *adapters.ManualStep
	if err := e.client.PushFulfilment(ctx, u); !errors.As(err, &manual) || !strings.Contains(manual.Action, o.ExternalOrderID) {
		t.Fatalf("a cancellation: %v", err)
	}
	if calls := e.sim.CallCounts()[string(amazon.OpConfirmShipment)]; calls.Calls != 2 {
		t.Fatalf("confirmShipment calls %+v, want 2 (packing and cancelling call nothing)", calls)
	}
	e.check.assertValid(t)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestSettlementReports: a settlement period closed on the simulator is
// listed by getReports, downloaded through getReportDocument and its URL,
// and read into one settlement line per order item that adds up to what
// the simulator's fee schedule says (validated against the Reports model).
func TestSettlementReports(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.client.PushListings(ctx, []adapters.Listing{listing(1)}); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Minute)
	for i := 0; i < 2; i++ {
		resp, err := http.Post(e.base+"/_sim/orders", "application/json", strings.NewReader(`{"sku":"PAPIER-001","quantity":1}`))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("order: %v %v", resp, err)
		}
		var placed struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&placed)
		resp.Body.Close()
		if i == 0 { // only a shipped order is settled
			r, _ := http.Post(e.base+"/_sim/orders/"+placed.ID+"/deliver", "application/json", nil)
			r.Body.Close()
		}
	}
	r, _ := http.Post(e.base+"/_sim/settlements", "application/json", nil)
	r.Body.Close()
	reports, err := e.client.ListSettlements(ctx, since)
	if err != nil || len(reports) != 1 {
		t.Fatalf("reports: %+v %v", reports, err)
	}
	lines, err := e.client.FetchSettlement(ctx, reports[0])
	if err != nil || len(lines) != 1 {
		t.Fatalf("lines: %+v %v", lines, err)
	}
	l := lines[0]
	want := finance.Expected(sim.SettlementFees, 199950, 500, time.Now(), time.Now())
	if l.Paid != want || l.SettlementRef != reports[0].ID || l.ExternalLineID == "" {
		t.Fatalf("settlement line %+v\nwant paid %+v", l, want)
	}
	if later, _ := e.client.ListSettlements(ctx, time.Now().Add(time.Hour)); len(later) != 0 {
		t.Fatalf("createdSince ignored: %+v", later)
	}
	e.check.assertValid(t)
}

// wireCheck sees every exchange of the adapter with the simulator: in make
// contract it validates each against Amazon's models (models_test.go), in
// make test it only proves there were some (wire_check_test.go).
type wireCheck interface {
	http.RoundTripper
	assertValid(t testing.TB)
}
