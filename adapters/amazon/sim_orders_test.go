package amazon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

func simPost(t *testing.T, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
	}
	return out
}

// TestPerItemOrders: an order of two items, one cancelled by the buyer,
// reads with each item's own state through searchOrders and getOrder
// (both checked against Amazon's model); an order Amazon does not know is
// an empty page; an item the corrupt_items fault holds is unreadable.
func TestPerItemOrders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l1, l2 := listing(1), listing(2)
	l1.Quantity, l2.Quantity = 5, 5
	if _, err := e.client.PushListings(ctx, []adapters.Listing{l1, l2}); err != nil {
		t.Fatal(err)
	}
	o := simPost(t, e.base+"/_sim/orders", `{"items":[{"sku":"PAPIER-001","quantity":1},{"sku":"PAPIER-002","quantity":2}]}`)
	id := o["id"].(string)
	items := o["items"].([]any)
	first, second := items[0].(map[string]any)["id"].(string), items[1].(map[string]any)["id"].(string)
	simPost(t, e.base+"/_sim/orders/"+id+"/items/"+first+"/cancel", "")
	check := func(what string, in orders.Incoming) {
		t.Helper()
		st := map[string]string{}
		for _, l := range in.Lines {
			st[l.ExternalLineID] = l.Status
		}
		if st[first] != orders.StatusCancelled || st[second] != orders.StatusOpen || in.Status != orders.StatusOpen {
			t.Fatalf("%s: %v (%+v)", what, st, in)
		}
	}
	page, err := e.client.FetchOrders(ctx, adapters.OrderCursor{Since: time.Now().Add(-time.Hour)})
	if err != nil || len(page.Orders) != 1 || len(page.Unreadable) != 0 {
		t.Fatalf("search: %+v %v", page, err)
	}
	check("searchOrders", page.Orders[0])
	page, err = e.client.FetchOrder(ctx, id)
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("getOrder: %+v %v", page, err)
	}
	check("getOrder", page.Orders[0])
	if page, err := e.client.FetchOrder(ctx, "403-0000000-0000000"); err != nil || len(page.Orders)+len(page.Unreadable) != 0 {
		t.Fatalf("an unknown order: %+v %v", page, err)
	}
	e.sim.SetFaults(simkit.Faults{CorruptItems: 1})
	bad := simPost(t, e.base+"/_sim/orders", `{"sku":"PAPIER-001","quantity":1}`)["id"].(string)
	if page, err := e.client.FetchOrder(ctx, bad); err != nil || len(page.Unreadable) != 1 || !strings.Contains(page.Unreadable[0].Reason, "quantity -1") {
		t.Fatalf("a corrupted item: %+v %v", page, err)
	}
	e.check.assertValid(t)
}
