package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

type simOrder struct {
	amazon.Order
	updated           time.Time
	tracking, carrier string
}

// registerOrders adds the buyer side (/_sim/orders, per order and per
// item), searchOrders and getOrder of the Orders API 2026-01-01.
func (s *Sim) registerOrders(m *http.ServeMux) {
	m.HandleFunc("POST /_sim/orders", s.placeOrder)
	m.HandleFunc("GET /_sim/orders/{id}", s.getSimOrder)
	for path, status := range map[string]string{"deliver": "SHIPPED", "cancel": "CANCELLED", "return": "SHIPPED"} {
		m.HandleFunc("POST /_sim/orders/{id}/"+path, s.moveOrder(status))
	}
	m.HandleFunc("POST /_sim/orders/{id}/items/{item}/cancel", s.cancelItem)
	m.HandleFunc("GET /orders/2026-01-01/orders", s.api(amazon.OpSearchOrders, s.searchOrders))
	m.HandleFunc("GET /orders/2026-01-01/orders/{orderId}", s.api(amazon.OpGetOrder, s.getOrder))
	m.HandleFunc("POST /orders/v0/orders/{orderId}/shipmentConfirmation", s.api(amazon.OpConfirmShipment, s.confirmShipment))
}

// placeOrder is a buyer's order of one item ({"sku","quantity"}) or several
// ({"items":[{"sku","quantity"}]}).
func (s *Sim) placeOrder(w http.ResponseWriter, r *http.Request) {
	items, ok := simkit.DecodeOrder(r)
	if !ok {
		apiError(w, http.StatusBadRequest, "InvalidInput", `body must be {"sku": "...", "quantity": n} or {"items": [{"sku": "...", "quantity": n}, ...]}`, "")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	need := map[string]int64{}
	for _, it := range items {
		need[it.SKU] += it.Quantity
	}
	for sku, q := range need {
		if it := s.items[sku]; it == nil || it.Quantity < q {
			apiError(w, http.StatusConflict, "InvalidInput", "the listing of "+sku+" is not buyable in that quantity", "")
			return
		}
	}
	for sku, q := range need {
		s.items[sku].Quantity -= q
	}
	now := s.kit.TickAfter(time.Time{})
	s.seq++
	o := &simOrder{updated: now}
	o.OrderID = fmt.Sprintf("403-%07d-%07d", s.seq, s.kit.Rand().Int64N(1e7))
	o.CreatedTime, o.LastUpdatedTime = now.Format(time.RFC3339), now.Format(time.RFC3339)
	o.SalesChannel.ChannelName, o.SalesChannel.MarketplaceID = "AMAZON", amazon.MarketplaceIndia
	o.Fulfillment = &amazon.OrderFulfillment{FulfillmentStatus: "UNSHIPPED", FulfilledBy: "MERCHANT",
		ShipByWindow: &amazon.TimeWindow{LatestDateTime: now.Add(48 * time.Hour).Format(time.RFC3339)}}
	out := []map[string]any{}
	for i, want := range items {
		it := s.items[want.SKU]
		var item amazon.OrderItem
		item.OrderItemID = fmt.Sprintf("%012d%02d", s.seq, i)
		item.QuantityOrdered = want.Quantity
		item.Product.ASIN, item.Product.Title, item.Product.SellerSKU = it.ASIN, it.Title, it.SKU
		item.Product.Price = &amazon.ItemPrice{UnitPrice: &amazon.OrdersMoney{Amount: string(amazon.Rupees(it.PricePaise)), CurrencyCode: "INR"}}
		item.Fulfillment = &amazon.ItemFulfillment{QuantityUnfulfilled: want.Quantity}
		o.OrderItems = append(o.OrderItems, item)
		s.kit.Placed(item.OrderItemID)
		out = append(out, map[string]any{"id": item.OrderItemID, "sku": it.SKU, "quantity": want.Quantity})
	}
	s.orders[o.OrderID] = o
	simkit.WriteJSON(w, http.StatusCreated, map[string]any{"id": o.OrderID, "status": "UNSHIPPED", "items": out})
}

func (s *Sim) getSimOrder(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.orders[r.PathValue("id")]
	if o == nil {
		apiError(w, http.StatusNotFound, "NotFound", "no such order", "")
		return
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"id": o.OrderID, "status": o.Fulfillment.FulfillmentStatus,
		"tracking": o.tracking, "carrier": o.carrier, "order": o.Order})
}

func (s *Sim) moveOrder(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.kit.Lock()
		defer s.kit.Unlock()
		o := s.orders[r.PathValue("id")]
		if o == nil {
			apiError(w, http.StatusNotFound, "NotFound", "no such order", "")
			return
		}
		now := s.kit.TickAfter(o.updated)
		o.updated, o.LastUpdatedTime, o.Fulfillment.FulfillmentStatus = now, now.Format(time.RFC3339), status
		if status == "SHIPPED" {
			for i := range o.OrderItems {
				if it := &o.OrderItems[i]; it.Cancellation == nil {
					it.Fulfillment = &amazon.ItemFulfillment{QuantityFulfilled: it.QuantityOrdered}
				}
			}
		}
		simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": o.OrderID, "status": status})
	}
}

// cancelItem is a buyer cancelling one item of an order not yet shipped:
// the item's cancellation is executed, the order goes on with the rest (or
// is cancelled when nothing is left).
func (s *Sim) cancelItem(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.orders[r.PathValue("id")]
	idx := -1
	if o != nil {
		idx = slices.IndexFunc(o.OrderItems, func(it amazon.OrderItem) bool { return it.OrderItemID == r.PathValue("item") })
	}
	switch {
	case idx < 0:
		apiError(w, http.StatusNotFound, "NotFound", "no such order item", "")
		return
	case o.Fulfillment.FulfillmentStatus != "UNSHIPPED" && o.Fulfillment.FulfillmentStatus != "PENDING":
		apiError(w, http.StatusConflict, "InvalidInput", "the order is "+o.Fulfillment.FulfillmentStatus+": only an unshipped item can be cancelled", "")
		return
	case o.OrderItems[idx].Cancellation != nil:
		apiError(w, http.StatusConflict, "InvalidInput", "the item is already cancelled", "")
		return
	}
	const reason = "buyer cancelled"
	o.OrderItems[idx].Cancellation = &amazon.ItemCancellation{CancellationRequest: &amazon.CancellationDetail{Requester: "BUYER", CancelReason: reason},
		CancellationExecution: &amazon.CancellationDetail{CancelledBy: "BUYER", CancelReason: reason}}
	now := s.kit.TickAfter(o.updated)
	o.updated, o.LastUpdatedTime = now, now.Format(time.RFC3339)
	if !slices.ContainsFunc(o.OrderItems, func(it amazon.OrderItem) bool { return it.Cancellation == nil }) {
		o.Fulfillment.FulfillmentStatus = "CANCELLED"
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("item"), "order_id": o.OrderID, "status": "CANCELLED"})
}

// wire is an order as served: only the datasets asked for (includedData),
// and an item the corrupt_items fault holds with a quantity Amazon never
// sends.
func (s *Sim) wire(o *simOrder, included []string) amazon.Order {
	out := o.Order
	if !slices.Contains(included, "FULFILLMENT") {
		out.Fulfillment = nil
	}
	out.OrderItems = slices.Clone(o.OrderItems)
	for i := range out.OrderItems {
		it := &out.OrderItems[i]
		if !slices.Contains(included, "FULFILLMENT") {
			it.Fulfillment = nil
		}
		if !slices.Contains(included, "CANCELLATION") {
			it.Cancellation = nil
		}
		if s.kit.Corrupt(it.OrderItemID) {
			it.QuantityOrdered = -1
		}
	}
	return out
}

func includedData(r *http.Request) []string {
	var out []string
	for _, v := range r.URL.Query()["includedData"] {
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}

// getOrder answers one order ({"order": ...}) or 404.
func (s *Sim) getOrder(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.orders[r.PathValue("orderId")]
	if o == nil {
		apiError(w, http.StatusNotFound, "NotFound", "no order "+r.PathValue("orderId"), "")
		return
	}
	s.kit.Batch(amazon.OpGetOrder, 1)
	simkit.WriteJSON(w, http.StatusOK, amazon.GetOrderResponse{Order: s.wire(o, includedData(r))})
}

type searchState struct {
	After    time.Time `json:"after"`
	Offset   int       `json:"offset"`
	Size     int       `json:"size"`
	Included []string  `json:"included,omitempty"`
}

// searchOrders pages orders changed after lastUpdatedAfter, oldest first;
// with repeat_pages it sometimes answers the previous page again.
func (s *Sim) searchOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var st searchState
	if tok := q.Get("paginationToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || json.Unmarshal(raw, &st) != nil || st.Size <= 0 || st.Offset < 0 {
			apiError(w, http.StatusBadRequest, "InvalidInput", "invalid paginationToken", "")
			return
		}
		if q.Has("includedData") { // includedData may change between pages
			st.Included = includedData(r)
		}
	} else {
		after, err := time.Parse(time.RFC3339, q.Get("lastUpdatedAfter"))
		if err != nil {
			apiError(w, http.StatusBadRequest, "InvalidInput", "lastUpdatedAfter or createdAfter is required", "")
			return
		}
		size, err := strconv.Atoi(q.Get("maxResultsPerPage"))
		if err != nil || size < 1 || size > 100 {
			size = 100
		}
		st = searchState{After: after, Size: size, Included: includedData(r)}
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	var match []*simOrder
	for _, o := range s.orders {
		if o.updated.After(st.After) {
			match = append(match, o)
		}
	}
	sort.Slice(match, func(i, j int) bool {
		if !match[i].updated.Equal(match[j].updated) {
			return match[i].updated.Before(match[j].updated)
		}
		return match[i].OrderID < match[j].OrderID
	})
	offset, next := st.Offset, st.Offset+st.Size
	if s.kit.RepeatPage() && offset >= st.Size {
		offset, next = offset-st.Size, st.Offset
	}
	end := min(offset+st.Size, len(match))
	resp := amazon.SearchOrdersResponse{Orders: []amazon.Order{}}
	for _, o := range match[min(offset, end):end] {
		resp.Orders = append(resp.Orders, s.wire(o, st.Included))
	}
	if next < len(match) {
		ns := st
		ns.Offset = next
		b, _ := json.Marshal(ns)
		resp.Pagination = &amazon.Pagination{NextToken: base64.RawURLEncoding.EncodeToString(b)}
	}
	s.kit.Batch(amazon.OpSearchOrders, len(resp.Orders))
	simkit.WriteJSON(w, http.StatusOK, resp)
}
