package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

type simOrder struct {
	amazon.Order
	updated           time.Time
	tracking, carrier string
}

// registerOrders adds the buyer side (/_sim/orders) and searchOrders of the
// Orders API 2026-01-01.
func (s *Sim) registerOrders(m *http.ServeMux) {
	m.HandleFunc("POST /_sim/orders", s.placeOrder)
	m.HandleFunc("GET /_sim/orders/{id}", s.getSimOrder)
	for path, status := range map[string]string{"deliver": "SHIPPED", "cancel": "CANCELLED", "return": "SHIPPED"} {
		m.HandleFunc("POST /_sim/orders/{id}/"+path, s.moveOrder(status))
	}
	m.HandleFunc("GET /orders/2026-01-01/orders", s.api(amazon.OpSearchOrders, s.searchOrders))
	m.HandleFunc("POST /orders/v0/orders/{orderId}/shipmentConfirmation", s.api(amazon.OpConfirmShipment, s.confirmShipment))
}

func (s *Sim) placeOrder(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SKU      string `json:"sku"`
		Quantity int64  `json:"quantity"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.Quantity <= 0 {
		apiError(w, http.StatusBadRequest, "InvalidInput", `body must be {"sku": "...", "quantity": n}`, "")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	it := s.items[body.SKU]
	if it == nil || it.Quantity < body.Quantity {
		apiError(w, http.StatusConflict, "InvalidInput", "the listing is not buyable in that quantity", "")
		return
	}
	it.Quantity -= body.Quantity
	now := s.kit.Tick()
	s.seq++
	o := &simOrder{updated: now}
	o.OrderID = fmt.Sprintf("403-%07d-%07d", s.seq, s.kit.Rand().Int64N(1e7))
	o.CreatedTime, o.LastUpdatedTime = now.Format(time.RFC3339), now.Format(time.RFC3339)
	o.SalesChannel.ChannelName, o.SalesChannel.MarketplaceID = "AMAZON", amazon.MarketplaceIndia
	o.Fulfillment = &struct {
		FulfillmentStatus string             `json:"fulfillmentStatus"`
		FulfilledBy       string             `json:"fulfilledBy,omitempty"`
		ShipByWindow      *amazon.TimeWindow `json:"shipByWindow,omitempty"`
	}{FulfillmentStatus: "UNSHIPPED", FulfilledBy: "MERCHANT",
		ShipByWindow: &amazon.TimeWindow{LatestDateTime: now.Add(48 * time.Hour).Format(time.RFC3339)}}
	var item amazon.OrderItem
	item.OrderItemID = fmt.Sprintf("%014d", s.seq)
	item.QuantityOrdered = body.Quantity
	item.Product.ASIN, item.Product.Title, item.Product.SellerSKU = it.ASIN, it.Title, it.SKU
	item.Product.Price = &struct {
		UnitPrice *amazon.OrdersMoney `json:"unitPrice,omitempty"`
	}{UnitPrice: &amazon.OrdersMoney{Amount: string(amazon.Rupees(it.PricePaise)), CurrencyCode: "INR"}}
	o.OrderItems = []amazon.OrderItem{item}
	s.orders[o.OrderID] = o
	simkit.WriteJSON(w, http.StatusCreated, map[string]string{"id": o.OrderID, "status": "UNSHIPPED"})
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
		now := s.kit.Tick()
		o.updated, o.LastUpdatedTime, o.Fulfillment.FulfillmentStatus = now, now.Format(time.RFC3339), status
		simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": o.OrderID, "status": status})
	}
}

type searchState struct {
	After  time.Time `json:"after"`
	Offset int       `json:"offset"`
	Size   int       `json:"size"`
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
		st = searchState{After: after, Size: size}
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
		resp.Orders = append(resp.Orders, o.Order)
	}
	if next < len(match) {
		ns := st
		ns.Offset = next
		b, _ := json.Marshal(ns)
		resp.Pagination = &struct {
			NextToken string `json:"nextToken,omitempty"`
		}{NextToken: base64.RawURLEncoding.EncodeToString(b)}
	}
	s.kit.Batch(amazon.OpSearchOrders, len(resp.Orders))
	simkit.WriteJSON(w, http.StatusOK, resp)
}
