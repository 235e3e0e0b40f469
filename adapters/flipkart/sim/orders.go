package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

type shipment struct {
	flipkart.Shipment
	updated time.Time
}

// registerOrders adds the buyer side (/_sim/orders) and Flipkart's
// shipment search (/sellers/v3/shipments/filter with next pages).
func (s *Sim) registerOrders(m *http.ServeMux) {
	m.HandleFunc("POST /_sim/orders", s.placeOrder)
	m.HandleFunc("GET /_sim/orders/{id}", s.getOrder)
	for path, state := range map[string]string{"deliver": "DELIVERED", "cancel": "CANCELLED", "return": "RETURNED"} {
		m.HandleFunc("POST /_sim/orders/{id}/"+path, s.moveOrder(state))
	}
	m.HandleFunc("POST /sellers/v3/shipments/filter", s.filterFirst)
	m.HandleFunc("GET /sellers/v3/shipments/filter", s.filterNext)
}

func (s *Sim) placeOrder(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SKU      string `json:"sku"`
		Quantity int64  `json:"quantity"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.Quantity <= 0 {
		apiError(w, http.StatusBadRequest, 400, `body must be {"sku": "...", "quantity": n}`)
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	l := s.listings[body.SKU]
	if l == nil || l.quantity() < body.Quantity || l.Status != "ACTIVE" {
		apiError(w, http.StatusConflict, 409, "the listing is not buyable in that quantity")
		return
	}
	loc := ""
	for _, id := range l.locationList() {
		if id.Inventory >= body.Quantity {
			loc = id.ID
			break
		}
	}
	if loc == "" {
		apiError(w, http.StatusConflict, 409, "no single location holds that quantity")
		return
	}
	l.Locations[loc] -= body.Quantity
	now := s.kit.Tick()
	s.orderSeq++
	orderID := fmt.Sprintf("OD%018d", s.orderSeq)
	sh := &shipment{updated: now, Shipment: flipkart.Shipment{ShipmentID: fmt.Sprintf("SH%010d", s.orderSeq), LocationID: loc,
		DispatchByDate: now.Add(48 * time.Hour).Format(time.RFC3339), UpdatedAt: now.Format(time.RFC3339),
		OrderItems: []flipkart.OrderItem{{OrderItemID: fmt.Sprintf("%d", 400000000000+s.orderSeq), OrderID: orderID,
			OrderDate: now.Format(time.RFC3339), Status: "APPROVED", Quantity: body.Quantity, FSN: l.ProductID, SKU: l.SKU,
			PriceComponents: flipkart.PriceComponents{SellingPrice: json.Number(fmt.Sprint(l.Price * body.Quantity)),
				TotalPrice: json.Number(fmt.Sprint(l.Price * body.Quantity))}}}}}
	s.shipments[orderID] = sh
	simkit.WriteJSON(w, http.StatusCreated, map[string]string{"id": orderID, "status": "APPROVED"})
}

func (s *Sim) getOrder(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	sh := s.shipments[r.PathValue("id")]
	if sh == nil {
		apiError(w, http.StatusNotFound, 404, "no such order")
		return
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "status": sh.OrderItems[0].Status, "shipment": sh.Shipment})
}

func (s *Sim) moveOrder(state string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.kit.Lock()
		defer s.kit.Unlock()
		sh := s.shipments[r.PathValue("id")]
		if sh == nil {
			apiError(w, http.StatusNotFound, 404, "no such order")
			return
		}
		now := s.kit.Tick()
		sh.updated, sh.UpdatedAt = now, now.Format(time.RFC3339)
		for i := range sh.OrderItems {
			sh.OrderItems[i].Status = state
		}
		simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "status": state})
	}
}

// pageState is what a next_token carries.
type pageState struct {
	Filter flipkart.ShipmentFilter `json:"filter"`
	Offset int                     `json:"offset"`
	Size   int                     `json:"size"`
}

var filterStates = map[string][]string{
	"preDispatch":  {"APPROVED", "PACKING_IN_PROGRESS", "PACKED", "FORM_FAILED", "READY_TO_DISPATCH"},
	"postDispatch": {"SHIPPED", "DELIVERED", "PICKUP_COMPLETE"},
	"cancelled":    {"CANCELLED"},
}

func (s *Sim) filterFirst(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, flipkart.OpFilterShipments) {
		return
	}
	var req flipkart.FilterRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, 400, "malformed filter")
		return
	}
	allowed, ok := filterStates[req.Filter.Type]
	switch {
	case !ok:
		apiError(w, http.StatusBadRequest, 400, "filter.type must be preDispatch, postDispatch or cancelled")
		return
	case req.Filter.Type == "cancelled" && req.Filter.CancellationType == "":
		apiError(w, http.StatusBadRequest, 400, "cancellationType is required for cancelled shipments")
		return
	}
	for _, st := range req.Filter.States {
		if !slices.Contains(allowed, st) {
			apiError(w, http.StatusBadRequest, 400, "state "+st+" does not belong to "+req.Filter.Type)
			return
		}
	}
	size := req.Pagination.PageSize
	if size <= 0 || size > 20 {
		size = 20
	}
	s.page(w, pageState{Filter: req.Filter, Size: size})
}

func (s *Sim) filterNext(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, flipkart.OpFilterShipments) {
		return
	}
	raw, err := base64.RawURLEncoding.DecodeString(r.URL.Query().Get("next_token"))
	var st pageState
	if err != nil || json.Unmarshal(raw, &st) != nil || st.Offset < 0 || st.Size <= 0 {
		apiError(w, http.StatusBadRequest, 400, "invalid next_token")
		return
	}
	s.page(w, st)
}

// page answers one page of matching shipments in modification order. With
// the repeat_pages fault it sometimes answers the previous page again, as
// a marketplace whose index shifted would.
func (s *Sim) page(w http.ResponseWriter, st pageState) {
	s.kit.Lock()
	defer s.kit.Unlock()
	states := st.Filter.States
	if len(states) == 0 {
		states = filterStates[st.Filter.Type]
	}
	var from, to time.Time
	if d := st.Filter.ModifiedDate; d != nil {
		from, _ = time.Parse(time.RFC3339, d.From)
		to, _ = time.Parse(time.RFC3339, d.To)
	}
	var match []*shipment
	for _, sh := range s.shipments {
		if !slices.Contains(states, sh.OrderItems[0].Status) {
			continue
		}
		if (!from.IsZero() && sh.updated.Before(from)) || (!to.IsZero() && sh.updated.After(to)) {
			continue
		}
		match = append(match, sh)
	}
	sort.Slice(match, func(i, j int) bool {
		if !match[i].updated.Equal(match[j].updated) {
			return match[i].updated.Before(match[j].updated)
		}
		return match[i].ShipmentID < match[j].ShipmentID
	})
	offset, nextOffset := st.Offset, st.Offset+st.Size
	if s.kit.RepeatPage() && offset >= st.Size {
		// The previous page again; its next link leads back here, so a
		// client that follows links still sees every shipment.
		offset, nextOffset = offset-st.Size, st.Offset
	}
	end := min(offset+st.Size, len(match))
	resp := flipkart.FilterResponse{Shipments: []flipkart.Shipment{}}
	for _, sh := range match[min(offset, end):end] {
		resp.Shipments = append(resp.Shipments, sh.Shipment)
	}
	if nextOffset < len(match) {
		next := st
		next.Offset = nextOffset
		b, _ := json.Marshal(next)
		resp.HasMore, resp.NextPageURL = true, "/v3/shipments/filter?next_token="+base64.RawURLEncoding.EncodeToString(b)
	}
	s.kit.Batch(flipkart.OpFilterShipments, len(resp.Shipments))
	simkit.WriteJSON(w, http.StatusOK, resp)
}
