package flipkart

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/adapterstest"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// item is one order item on Flipkart's wire, as a map the cases can bend.
func item(id, order string, edit ...func(map[string]any)) map[string]any {
	m := map[string]any{"orderItemId": id, "orderId": order, "orderDate": "2026-11-20T09:00:00+05:30", "status": "APPROVED",
		"quantity": 2, "sku": "KANI-1", "priceComponents": map[string]any{"sellingPrice": 3000, "totalPrice": 3000}}
	for _, e := range edit {
		e(m)
	}
	return m
}

func shipments(t *testing.T, list ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"hasMore": false, "shipments": list})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ship(id, updated string, items ...map[string]any) map[string]any {
	return map[string]any{"shipmentId": id, "locationId": "LOC1", "updatedAt": updated, "dispatchByDate": "2026-11-22T10:00:00Z", "orderItems": items}
}

const t0 = "2026-11-20T10:00:00Z"

// TestDecodeShipmentsPerItem: each order item keeps its own state; the
// order's state is the least advanced of its lines and its time the latest.
func TestDecodeShipmentsPerItem(t *testing.T) {
	body := shipments(t,
		ship("S1", t0, item("1", "OD1"), item("2", "OD1", func(m map[string]any) {
			m["status"], m["cancellationDate"], m["cancellationReason"] = "CANCELLED", "2026-11-20T10:00:05Z", "buyer_cancellation"
		})),
		ship("S2", "2026-11-20T11:00:00Z", item("3", "OD1", func(m map[string]any) { m["status"] = "SHIPPED" })),
		ship("S3", t0, item("4", "OD2", func(m map[string]any) { m["status"] = "cancelled" })))
	p, err := DecodeShipments(body)
	if err != nil || len(p.Unreadable) != 0 || len(p.Orders) != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	o := p.Orders[0]
	want := []struct {
		id, status, word, updated, shipment string
	}{
		{"1", orders.StatusOpen, "APPROVED", t0, "S1"},
		{"2", orders.StatusCancelled, "CANCELLED", "2026-11-20T10:00:05Z", "S1"},
		{"3", orders.StatusShipped, "SHIPPED", "2026-11-20T11:00:00Z", "S2"},
	}
	if len(o.Lines) != len(want) {
		t.Fatalf("lines %+v", o.Lines)
	}
	for i, w := range want {
		l := o.Lines[i]
		if l.ExternalLineID != w.id || l.Status != w.status || l.MarketplaceStatus != w.word || l.UpdatedAt.Format(time.RFC3339) != w.updated ||
			l.ExternalShipmentID != w.shipment || l.ExternalLocationID != "LOC1" || l.UnitPricePaise != 150000 || l.Quantity != 2 {
			t.Errorf("line %d: %+v, want %+v", i, l, w)
		}
	}
	if o.Status != orders.StatusOpen || o.UpdatedAt.Format(time.RFC3339) != "2026-11-20T11:00:00Z" || o.OrderedAt.Format(time.RFC3339) != "2026-11-20T03:30:00Z" ||
		o.DispatchBy == nil {
		t.Fatalf("order %+v", o)
	}
	if c := p.Orders[1]; c.Status != orders.StatusCancelled || c.Lines[0].Status != orders.StatusCancelled {
		t.Fatalf("an order whose every item is cancelled: %+v", c)
	}
}

// TestUnreadableItems: every item that cannot be read is an unreadable
// entry with a plain reason and its shipment holding only it; the other
// items of its order are still taken in, and an order none of whose items
// can be read is only unreadable entries.
func TestUnreadableItems(t *testing.T) {
	long := strings.Repeat("x", 129)
	cases := []struct {
		name   string
		bad    map[string]any
		ship   func(map[string]any)
		reason string
		ids    [2]string
	}{
		{"quantity out of range", item("9", "OD1", func(m map[string]any) { m["quantity"] = 10001 }), nil, "quantity 10001", [2]string{"OD1", "9"}},
		{"quantity not a whole number", item("9", "OD1", func(m map[string]any) { m["quantity"] = 1.5 }), nil, "quantity is not a whole number", [2]string{"OD1", "9"}},
		{"price beyond the bound", item("9", "OD1", func(m map[string]any) {
			m["quantity"] = 1
			m["priceComponents"] = map[string]any{"sellingPrice": 10000001}
		}), nil,
			"unit price", [2]string{"OD1", "9"}},
		{"price not rupees", item("9", "OD1", func(m map[string]any) {
			m["priceComponents"] = map[string]any{"sellingPrice": json.RawMessage("1e400")}
		}), nil, "sellingPrice", [2]string{"OD1", "9"}},
		{"price missing", item("9", "OD1", func(m map[string]any) { delete(m, "priceComponents") }), nil, "sellingPrice is missing", [2]string{"OD1", "9"}},
		{"unknown status", item("9", "OD1", func(m map[string]any) { m["status"] = "LOST_IN_TRANSIT" }), nil, `"LOST_IN_TRANSIT" is not a Flipkart`, [2]string{"OD1", "9"}},
		{"bad order date", item("9", "OD1", func(m map[string]any) { m["orderDate"] = "yesterday" }), nil, "orderDate", [2]string{"OD1", "9"}},
		{"bad cancellation date", item("9", "OD1", func(m map[string]any) { m["status"], m["cancellationDate"] = "CANCELLED", "soon" }), nil, "cancellationDate", [2]string{"OD1", "9"}},
		{"missing item id", item("", "OD1"), nil, "item id is missing", [2]string{"OD1", ""}},
		{"missing order id", item("9", ""), nil, "order id is missing", [2]string{"", "9"}},
		{"item id of another type", item("9", "OD1", func(m map[string]any) { m["orderItemId"] = 9 }), nil, "orderItemId is not text", [2]string{"OD1", ""}},
		{"over-long SKU", item("9", "OD1", func(m map[string]any) { m["sku"] = long[:65] }), nil, "SKU", [2]string{"OD1", "9"}},
		{"over-long item id", item(long, "OD1"), nil, "item id", [2]string{"OD1", ""}},
		{"NUL in a SKU", item("9", "OD1", func(m map[string]any) { m["sku"] = "A\x00B" }), nil, "SKU", [2]string{"OD1", "9"}},
		{"same item, other content", item("1", "OD1", func(m map[string]any) { m["quantity"] = 3 }), nil, "appears twice", [2]string{"OD1", "1"}},
		{"shipment without a time", item("9", "OD1"), func(s map[string]any) { delete(s, "updatedAt") }, "no updatedAt", [2]string{"OD1", "9"}},
		{"shipment with a bad dispatch date", item("9", "OD1"), func(s map[string]any) { s["dispatchByDate"] = "x" }, "dispatchByDate", [2]string{"OD1", "9"}},
		{"over-long shipment id", item("9", "OD1"), func(s map[string]any) { s["shipmentId"] = long }, "shipment or location id", [2]string{"OD1", "9"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := ship("S9", t0, tc.bad)
			if tc.ship != nil {
				tc.ship(bad)
			}
			p, err := DecodeShipments(shipments(t, ship("S1", t0, item("1", "OD1")), bad))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Orders) != 1 || len(p.Orders[0].Lines) != 1 || p.Orders[0].Lines[0].ExternalLineID != "1" {
				t.Fatalf("the readable item: %+v", p.Orders)
			}
			if len(p.Unreadable) != 1 {
				t.Fatalf("unreadable %+v", p.Unreadable)
			}
			u := p.Unreadable[0]
			if !strings.Contains(u.Reason, tc.reason) || u.ExternalOrderID != tc.ids[0] || u.ExternalLineID != tc.ids[1] {
				t.Fatalf("unreadable %+v, want %q and ids %v", u, tc.reason, tc.ids)
			}
			var held struct {
				ShipmentID any               `json:"shipmentId"`
				OrderItems []json.RawMessage `json:"orderItems"`
			}
			if err := json.Unmarshal(u.Payload, &held); err != nil || len(held.OrderItems) != 1 {
				t.Fatalf("payload %s: %v", u.Payload, err)
			}
			// The payload reads again alone and says the same; the second
			// reading of a repeated item, alone, is readable.
			again, err := (&Client{}).ReadPayload(u.Payload)
			if tc.name == "same item, other content" {
				if err != nil || len(again.Orders) != 1 || len(again.Unreadable) != 0 {
					t.Fatalf("payload read again: %+v %v", again, err)
				}
				return
			}
			if err != nil || len(again.Orders) != 0 || len(again.Unreadable) != 1 || again.Unreadable[0].Reason != u.Reason {
				t.Fatalf("payload read again: %+v %v", again, err)
			}
		})
	}
}

func TestUnreadableOrders(t *testing.T) {
	var many []map[string]any
	for i := range orders.MaxLines + 2 {
		many = append(many, item(fmt.Sprint(i), "OD7", func(m map[string]any) { m["quantity"] = 1 }))
	}
	cases := []struct {
		name       string
		body       string
		lines      int
		unreadable int
		reason     string
	}{
		{"an order beyond MaxLines", string(shipments(t, ship("S1", t0, many...))), orders.MaxLines, 2, "more than 500 items"},
		{"every item unreadable", string(shipments(t, ship("S1", t0, item("1", "OD1", func(m map[string]any) { m["quantity"] = 0 }),
			item("2", "OD1", func(m map[string]any) { m["status"] = "?" })))), 0, 2, ""},
		{"a shipment that is not an object", `{"shipments":[42]}`, 0, 1, "not a JSON object"},
		{"a shipment without items", `{"shipments":[{"shipmentId":"S1","updatedAt":"` + t0 + `","orderItems":[]}]}`, 0, 1, "lists no order items"},
		{"items that are not a list", `{"shipments":[{"shipmentId":"S1","updatedAt":"` + t0 + `","orderItems":{}}]}`, 0, 1, "orderItems is not a list"},
		{"an item that is not an object", `{"shipments":[{"shipmentId":"S1","updatedAt":"` + t0 + `","orderItems":["x"]}]}`, 0, 1, "not a JSON object"},
		{"a verbatim repeat", string(shipments(t, ship("S1", t0, item("1", "OD1"), item("1", "OD1")))), 1, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := DecodeShipments([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			lines := 0
			for _, o := range p.Orders {
				lines += len(o.Lines)
			}
			if lines != tc.lines || len(p.Unreadable) != tc.unreadable {
				t.Fatalf("%d lines, %d unreadable: %+v", lines, len(p.Unreadable), p.Unreadable)
			}
			for _, u := range p.Unreadable {
				if !strings.Contains(u.Reason, tc.reason) || len(u.Payload) == 0 {
					t.Fatalf("unreadable %+v, want %q", u, tc.reason)
				}
			}
			want, _ := adapterstest.Count([]byte(tc.body), "shipments", "orderItems", "orderId", "orderItemId", false)
			adapterstest.CheckConserved(t, want, p.Orders, p.Unreadable, p.Repeats)
		})
	}
	if _, err := DecodeShipments([]byte(`{"shipments":{}}`)); err == nil {
		t.Fatal("a page whose shipments are not a list was read")
	}
}

// FuzzDecodeShipments: no shipments answer panics the decoder, and every
// order item in it, counted from the raw answer, is a line of an order
// ingestion accepts, an unreadable entry with a reason and its payload, or
// a verbatim repeat. Seeds in testdata/fuzz/FuzzDecodeShipments.
func FuzzDecodeShipments(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeShipments(body)
		want, ok := adapterstest.Count(body, "shipments", "orderItems", "orderId", "orderItemId", false)
		if err != nil {
			if ok {
				var top map[string]json.RawMessage
				_ = json.Unmarshal(body, &top)
				if _, bad := top["hasMore"]; !bad {
					if _, bad = top["nextPageUrl"]; !bad {
						t.Fatalf("refused a readable page: %v", err)
					}
				}
			}
			return
		}
		if !ok {
			t.Fatalf("read a page the raw count cannot: %s", body)
		}
		adapterstest.CheckConserved(t, want, p.Orders, p.Unreadable, p.Repeats)
	})
}
