package flipkart_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

type placed struct {
	ID    string
	Items []struct{ ID, SKU string }
}

// lines reads every order the pull walks (all filter types) by id.
func pullAll(t *testing.T, e *env, since time.Time) (map[string]orders.Incoming, []orders.Unreadable) {
	t.Helper()
	got := map[string]orders.Incoming{}
	var unreadable []orders.Unreadable
	token := ""
	for {
		page, err := e.client.FetchOrders(context.Background(), adapters.OrderCursor{Since: since, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Orders {
			got[o.ExternalOrderID] = o
		}
		unreadable = append(unreadable, page.Unreadable...)
		if token = page.NextPageToken; token == "" {
			return got, unreadable
		}
	}
}

func stateOf(o orders.Incoming) map[string]string {
	out := map[string]string{}
	for _, l := range o.Lines {
		out[l.ExternalLineID] = l.Status + "/" + l.MarketplaceStatus
	}
	return out
}

// TestMultiItemShipments: a buyer's order of two items is one shipment
// with two order items; cancelling one as a buyer changes its state and
// time alone; the pull and the look-up by order id (GET
// /v3/shipments?orderIds=) both read each item's own state; an item the
// corrupt_items fault holds comes back unreadable, and readable again once
// the fault is lifted.
func TestMultiItemShipments(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	since := time.Now().Add(-time.Hour)
	if _, err := e.client.PushListings(ctx, []adapters.Listing{listing(1), listing(2)}); err != nil {
		t.Fatal(err)
	}
	var o placed
	simCall(t, e, "POST", "/_sim/orders", `{"items":[{"sku":"KANI-001","quantity":1},{"sku":"KANI-002","quantity":2}]}`, &o)
	if len(o.Items) != 2 {
		t.Fatalf("placed %+v", o)
	}
	first, second := o.Items[0].ID, o.Items[1].ID
	got, unreadable := pullAll(t, e, since)
	in := got[o.ID]
	if len(unreadable) != 0 || len(in.Lines) != 2 || in.Lines[0].ExternalShipmentID != in.Lines[1].ExternalShipmentID || in.Lines[1].Quantity != 2 {
		t.Fatalf("one shipment of two items: %+v %+v", in, unreadable)
	}
	before := in.Lines[1].UpdatedAt
	time.Sleep(1100 * time.Millisecond) // marketplace times are whole seconds
	simCall(t, e, "POST", "/_sim/orders/"+o.ID+"/items/"+first+"/cancel", "", nil)
	var view struct {
		Status string
		Items  []struct {
			ID, Status string
			UpdatedAt  string `json:"updated_at"`
		}
	}
	simCall(t, e, "GET", "/_sim/orders/"+o.ID, "", &view)
	if view.Status != "APPROVED" || view.Items[0].Status != "CANCELLED" || view.Items[1].Status != "APPROVED" || view.Items[0].UpdatedAt == view.Items[1].UpdatedAt {
		t.Fatalf("the simulator's view: %+v", view)
	}
	got, _ = pullAll(t, e, since)
	want := map[string]string{first: "cancelled/CANCELLED", second: "open/APPROVED"}
	if st := stateOf(got[o.ID]); st[first] != want[first] || st[second] != want[second] {
		t.Fatalf("pulled %v, want %v", st, want)
	}
	if in := got[o.ID]; in.Status != orders.StatusOpen || !in.UpdatedAt.After(before) {
		t.Fatalf("order %+v", in)
	}
	page, err := e.client.FetchOrder(ctx, o.ID)
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("fetch by id: %+v %v", page, err)
	}
	if st := stateOf(page.Orders[0]); st[first] != want[first] || st[second] != want[second] {
		t.Fatalf("fetched %v, want %v", st, want)
	}
	rec := httptest.NewRecorder()
	e.sim.ServeHTTP(rec, httptest.NewRequest("POST", "/_sim/orders/"+o.ID+"/items/"+first+"/cancel", nil))
	if rec.Code != 409 {
		t.Fatalf("cancelling a cancelled item: %d", rec.Code)
	}
}

func TestCorruptItems(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	if _, err := e.client.PushListings(ctx, []adapters.Listing{listing(1)}); err != nil {
		t.Fatal(err)
	}
	e.sim.SetFaults(simkit.Faults{CorruptItems: 1})
	var bad, good placed
	simCall(t, e, "POST", "/_sim/orders", `{"sku":"KANI-001","quantity":1}`, &bad)
	simCall(t, e, "POST", "/_sim/orders", `{"sku":"KANI-001","quantity":1}`, &good)
	got, unreadable := pullAll(t, e, time.Now().Add(-time.Hour))
	if len(got) != 1 || got[good.ID].ExternalOrderID == "" || len(unreadable) != 1 {
		t.Fatalf("orders %v, unreadable %+v", got, unreadable)
	}
	if u := unreadable[0]; u.ExternalOrderID != bad.ID || u.ExternalLineID != bad.Items[0].ID || len(u.Payload) == 0 {
		t.Fatalf("unreadable %+v", u)
	}
	if page, err := e.client.FetchOrder(ctx, bad.ID); err != nil || len(page.Unreadable) != 1 || len(page.Orders) != 0 {
		t.Fatalf("fetch by id while corrupt: %+v %v", page, err)
	}
	e.sim.SetFaults(simkit.Faults{})
	if page, err := e.client.FetchOrder(ctx, bad.ID); err != nil || len(page.Unreadable) != 0 || len(page.Orders) != 1 {
		t.Fatalf("fetch by id once mended: %+v %v", page, err)
	}
}
