package amazon

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/adapterstest"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

func orderItem(id string, edit ...func(map[string]any)) map[string]any {
	m := map[string]any{"orderItemId": id, "quantityOrdered": 2, "product": map[string]any{"sellerSku": "PAPIER-1",
		"price": map[string]any{"unitPrice": map[string]any{"amount": "1999.50", "currencyCode": "INR"}}},
		"fulfillment": map[string]any{"quantityFulfilled": 0, "quantityUnfulfilled": 2}}
	for _, e := range edit {
		e(m)
	}
	return m
}

func order(id, status string, items ...map[string]any) map[string]any {
	return map[string]any{"orderId": id, "createdTime": "2026-11-20T10:00:00Z", "lastUpdatedTime": "2026-11-20T12:00:00Z",
		"salesChannel": map[string]any{"channelName": "AMAZON"},
		"fulfillment":  map[string]any{"fulfillmentStatus": status, "shipByWindow": map[string]any{"latestDateTime": "2026-11-22T10:00:00Z"}},
		"orderItems":   items}
}

func page(t *testing.T, list ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"orders": list})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSearchOrdersPerItem: an item keeps its own state where the model
// says it (a cancellation executed, every unit fulfilled), else the
// order's; the model has no per-item time, so each line carries the
// order's lastUpdatedTime.
func TestSearchOrdersPerItem(t *testing.T) {
	body := page(t, order("403-1", "PARTIALLY_SHIPPED",
		orderItem("1"),
		orderItem("2", func(m map[string]any) {
			m["fulfillment"] = map[string]any{"quantityFulfilled": 2, "quantityUnfulfilled": 0}
		}),
		orderItem("3", func(m map[string]any) {
			m["cancellation"] = map[string]any{"cancellationExecution": map[string]any{"cancelledBy": "BUYER"}}
		}),
		orderItem("4", func(m map[string]any) {
			m["cancellation"] = map[string]any{"cancellationRequest": map[string]any{"requester": "BUYER"}}
		})),
		order("403-2", "CANCELLED", orderItem("1")))
	p, err := DecodeSearchOrders(body)
	if err != nil || len(p.Unreadable) != 0 || len(p.Orders) != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	want := map[string][2]string{"1": {orders.StatusOpen, "PARTIALLY_SHIPPED"}, "2": {orders.StatusShipped, "SHIPPED"},
		"3": {orders.StatusCancelled, "CANCELLED"}, "4": {orders.StatusOpen, "PARTIALLY_SHIPPED"}}
	o := p.Orders[0]
	for _, l := range o.Lines {
		if w := want[l.ExternalLineID]; l.Status != w[0] || l.MarketplaceStatus != w[1] || l.UpdatedAt.Format(time.RFC3339) != "2026-11-20T12:00:00Z" ||
			l.UnitPricePaise != 199950 {
			t.Errorf("line %+v, want %v", l, w)
		}
	}
	if o.Status != orders.StatusOpen || o.DispatchBy == nil || len(o.Lines) != 4 {
		t.Fatalf("order %+v", o)
	}
	if c := p.Orders[1]; c.Status != orders.StatusCancelled || c.Lines[0].Status != orders.StatusCancelled {
		t.Fatalf("cancelled order %+v", c)
	}
}

// TestUnreadableOrderItems: what cannot be read is an unreadable entry
// holding its order with only that item; the rest is still taken in.
func TestUnreadableOrderItems(t *testing.T) {
	cases := []struct {
		name   string
		order  map[string]any
		reason string
		ids    [2]string
		lines  int
	}{
		{"quantity out of range", order("403-1", "UNSHIPPED", orderItem("1"), orderItem("2", func(m map[string]any) { m["quantityOrdered"] = 0 })),
			"quantity 0", [2]string{"403-1", "2"}, 1},
		{"price beyond the bound", order("403-1", "UNSHIPPED", orderItem("1"), orderItem("2", func(m map[string]any) {
			m["product"] = map[string]any{"sellerSku": "A", "price": map[string]any{"unitPrice": map[string]any{"amount": "10000000.01"}}}
		})), "unit price", [2]string{"403-1", "2"}, 1},
		{"price not rupees", order("403-1", "UNSHIPPED", orderItem("1"), orderItem("2", func(m map[string]any) {
			m["product"] = map[string]any{"sellerSku": "A", "price": map[string]any{"unitPrice": map[string]any{"amount": "1e3"}}}
		})), "not an amount", [2]string{"403-1", "2"}, 1},
		{"missing SKU", order("403-1", "UNSHIPPED", orderItem("1"), orderItem("2", func(m map[string]any) { m["product"] = map[string]any{} })),
			"SKU", [2]string{"403-1", "2"}, 1},
		{"same item, other content", order("403-1", "UNSHIPPED", orderItem("1"), orderItem("1", func(m map[string]any) { m["quantityOrdered"] = 3 })),
			"appears twice", [2]string{"403-1", "1"}, 1},
		{"unknown status", order("403-1", "LOST", orderItem("1"), orderItem("2")), "fulfillmentStatus", [2]string{"403-1", "1"}, 0},
		{"bad date", func() map[string]any {
			o := order("403-1", "UNSHIPPED", orderItem("1"))
			o["lastUpdatedTime"] = "noon"
			return o
		}(),
			"lastUpdatedTime", [2]string{"403-1", "1"}, 0},
		{"no fulfillment", func() map[string]any {
			o := order("403-1", "UNSHIPPED", orderItem("1"))
			delete(o, "fulfillment")
			return o
		}(),
			"no fulfillment status", [2]string{"403-1", "1"}, 0},
		{"missing order id", order("", "UNSHIPPED", orderItem("1")), "order id is missing", [2]string{"", "1"}, 0},
		{"no items", order("403-1", "UNSHIPPED"), "lists no items", [2]string{"403-1", ""}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := page(t, tc.order)
			p, err := DecodeSearchOrders(body)
			if err != nil {
				t.Fatal(err)
			}
			lines := 0
			for _, o := range p.Orders {
				lines += len(o.Lines)
			}
			if lines != tc.lines || len(p.Unreadable) == 0 {
				t.Fatalf("%d lines, unreadable %+v", lines, p.Unreadable)
			}
			u := p.Unreadable[0]
			if !strings.Contains(u.Reason, tc.reason) || u.ExternalOrderID != tc.ids[0] || u.ExternalLineID != tc.ids[1] || !json.Valid(u.Payload) {
				t.Fatalf("unreadable %+v, want %q and ids %v", u, tc.reason, tc.ids)
			}
			want, _ := adapterstest.Count(body, "orders", "orderItems", "orderId", "orderItemId", true)
			adapterstest.CheckConserved(t, want, p.Orders, p.Unreadable, p.Repeats)
		})
	}
}

// FuzzDecodeSearchOrders: no searchOrders answer panics the decoder, and
// every item in it, counted from the raw answer, is a line of an order
// ingestion accepts, an unreadable entry with a reason and its payload, or
// a verbatim repeat. Seeds in testdata/fuzz/FuzzDecodeSearchOrders.
func FuzzDecodeSearchOrders(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeSearchOrders(body)
		want, ok := adapterstest.Count(body, "orders", "orderItems", "orderId", "orderItemId", true)
		if err != nil {
			if ok {
				var top map[string]json.RawMessage
				_ = json.Unmarshal(body, &top)
				if _, paged := top["pagination"]; !paged {
					t.Fatalf("refused a readable answer: %v", err)
				}
			}
			return
		}
		if !ok {
			t.Fatalf("read an answer the raw count cannot: %s", body)
		}
		adapterstest.CheckConserved(t, want, p.Orders, p.Unreadable, p.Repeats)
	})
}
