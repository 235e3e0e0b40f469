package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// shipment is one order's shipment. Each item keeps its own state and the
// time it last changed; on the wire the shipment's updatedAt is the latest
// of them, as Flipkart's v3 schema has no per-item update time.
type shipment struct {
	flipkart.Shipment
	updated     time.Time
	itemUpdated map[string]time.Time
	// cancelledBy is each cancelled item's cancellation type (the
	// cancelled filter's cancellationType).
	cancelledBy map[string]string
	// late: indexed late (simkit.Faults.LateIndexed).
	late bool
}

// Flipkart's cancellation types (the cancelled filter's cancellationType).
const (
	buyerCancellation  = "buyerCancellation"
	sellerCancellation = "sellerCancellation"
)

// registerOrders adds the buyer side (/_sim/orders, per order and per
// item) and Flipkart's shipment search (/sellers/v3/shipments/filter with
// next pages) and look-up by id (/sellers/v3/shipments?orderIds=).
func (s *Sim) registerOrders(m *http.ServeMux) {
	m.HandleFunc("POST /_sim/orders", s.placeOrder)
	m.HandleFunc("GET /_sim/orders/{id}", s.getOrder)
	for path, state := range map[string]string{"ship": "SHIPPED", "deliver": "DELIVERED", "cancel": "CANCELLED", "return": "RETURNED"} {
		m.HandleFunc("POST /_sim/orders/{id}/"+path, s.moveOrder(state))
		m.HandleFunc("POST /_sim/orders/{id}/items/{item}/"+path, s.moveItem(state))
	}
	m.HandleFunc("POST /sellers/v3/shipments/filter", s.filterFirst)
	m.HandleFunc("GET /sellers/v3/shipments/filter", s.filterNext)
	m.HandleFunc("GET /sellers/v3/shipments", s.getShipments)
}

// placeOrder is a buyer's order: {"sku","quantity"} or several items
// {"items":[{"sku","quantity"}]}, all shipped together from one location
// (one shipment with an order item each).
func (s *Sim) placeOrder(w http.ResponseWriter, r *http.Request) {
	items, ok := simkit.DecodeOrder(r)
	if !ok {
		apiError(w, http.StatusBadRequest, 400, `body must be {"sku": "...", "quantity": n} or {"items": [{"sku": "...", "quantity": n}, ...]}`)
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	need := map[string]int64{}
	for _, it := range items {
		need[it.SKU] += it.Quantity
	}
	for sku, q := range need {
		l := s.listings[sku]
		if l == nil || l.quantity() < q || l.Status != "ACTIVE" {
			apiError(w, http.StatusConflict, 409, "the listing of "+sku+" is not buyable in that quantity")
			return
		}
	}
	loc := ""
	for _, candidate := range s.listings[items[0].SKU].locationList() {
		fits := true
		for sku, q := range need {
			fits = fits && s.listings[sku].Locations[candidate.ID] >= q
		}
		if fits {
			loc = candidate.ID
			break
		}
	}
	if loc == "" {
		apiError(w, http.StatusConflict, 409, "no single location holds every item in that quantity")
		return
	}
	for sku, q := range need {
		s.listings[sku].Locations[loc] -= q
	}
	now := s.kit.TickAfter(time.Time{})
	s.orderSeq++
	orderID := fmt.Sprintf("OD%018d", s.orderSeq)
	sh := &shipment{updated: now, itemUpdated: map[string]time.Time{}, cancelledBy: map[string]string{}, late: s.kit.TakeLate(),
		Shipment: flipkart.Shipment{ShipmentID: fmt.Sprintf("SH%010d", s.orderSeq), LocationID: loc,
			DispatchByDate: now.Add(48 * time.Hour).Format(time.RFC3339), UpdatedAt: now.Format(time.RFC3339)}}
	out := []map[string]any{}
	for _, it := range items {
		s.itemSeq++
		id := fmt.Sprintf("%d", 400000000000+s.itemSeq)
		l := s.listings[it.SKU]
		sh.OrderItems = append(sh.OrderItems, flipkart.OrderItem{OrderItemID: id, OrderID: orderID, OrderDate: now.Format(time.RFC3339),
			Status: "APPROVED", Quantity: it.Quantity, FSN: l.ProductID, SKU: l.SKU, CancellationGroupID: "grp" + id,
			PriceComponents: flipkart.PriceComponents{SellingPrice: json.Number(fmt.Sprint(l.Price * it.Quantity)),
				TotalPrice: json.Number(fmt.Sprint(l.Price * it.Quantity))}})
		sh.itemUpdated[id] = now
		s.kit.Placed(id)
		out = append(out, map[string]any{"id": id, "sku": it.SKU, "quantity": it.Quantity, "status": "APPROVED"})
	}
	s.shipments[orderID] = sh
	all := make([]int, len(sh.OrderItems))
	for i := range all {
		all[i] = i
	}
	s.notify(sh, "APPROVED", all)
	simkit.WriteJSON(w, http.StatusCreated, map[string]any{"id": orderID, "status": "APPROVED", "shipment_id": sh.ShipmentID, "items": out})
}

// status is the shipment's state as a buyer sees it: that of its items
// still live, CANCELLED once all are.
func (sh *shipment) status() string {
	for _, it := range sh.OrderItems {
		if it.Status != "CANCELLED" {
			return it.Status
		}
	}
	return "CANCELLED"
}

func (s *Sim) getOrder(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	sh := s.shipments[r.PathValue("id")]
	if sh == nil {
		apiError(w, http.StatusNotFound, 404, "no such order")
		return
	}
	items := []map[string]any{}
	for _, it := range sh.OrderItems {
		items = append(items, map[string]any{"id": it.OrderItemID, "sku": it.SKU, "quantity": it.Quantity, "status": it.Status,
			"updated_at": sh.itemUpdated[it.OrderItemID].Format(time.RFC3339)})
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "status": sh.status(), "shipment": sh.Shipment, "items": items})
}

// touch records a change to some of a shipment's items.
func (s *Sim) touch(sh *shipment, items ...int) {
	now := s.kit.TickAfter(sh.updated)
	sh.updated, sh.UpdatedAt = now, now.Format(time.RFC3339)
	for _, i := range items {
		sh.itemUpdated[sh.OrderItems[i].OrderItemID] = now
	}
}

// setState moves items to state; a cancellation records its date and type.
func (s *Sim) setState(sh *shipment, state, cancelType string, items []int) {
	s.touch(sh, items...)
	for _, i := range items {
		it := &sh.OrderItems[i]
		it.Status = state
		if state == "CANCELLED" {
			it.CancellationDate, it.CancellationReason = sh.UpdatedAt, strings.ToLower(strings.TrimSuffix(cancelType, "Cancellation"))+"_cancellation"
			sh.cancelledBy[it.OrderItemID] = cancelType
		}
	}
	s.notify(sh, state, items)
}

// moveOrder moves every item not cancelled, as a buyer or courier would.
func (s *Sim) moveOrder(state string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.kit.Lock()
		defer s.kit.Unlock()
		sh := s.shipments[r.PathValue("id")]
		if sh == nil {
			apiError(w, http.StatusNotFound, 404, "no such order")
			return
		}
		var live []int
		for i, it := range sh.OrderItems {
			if it.Status != "CANCELLED" {
				live = append(live, i)
			}
		}
		s.setState(sh, state, buyerCancellation, live)
		simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id"), "status": sh.status()})
	}
}

// moveItem moves one item: the buyer cancels it before it is dispatched,
// the courier delivers it, the buyer returns it. The shipment's other
// items keep their state and their own update time.
func (s *Sim) moveItem(state string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.kit.Lock()
		defer s.kit.Unlock()
		sh := s.shipments[r.PathValue("id")]
		idx := -1
		if sh != nil {
			idx = slices.IndexFunc(sh.OrderItems, func(it flipkart.OrderItem) bool { return it.OrderItemID == r.PathValue("item") })
		}
		if idx < 0 {
			apiError(w, http.StatusNotFound, 404, "no such order item")
			return
		}
		it := sh.OrderItems[idx]
		switch {
		case it.Status == "CANCELLED":
			apiError(w, http.StatusConflict, 409, "the item is already cancelled")
			return
		case state == "CANCELLED" && !slices.Contains(filterStates["preDispatch"], it.Status):
			apiError(w, http.StatusConflict, 409, "the item is "+it.Status+": only an item not yet dispatched can be cancelled")
			return
		}
		s.setState(sh, state, buyerCancellation, []int{idx})
		simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": it.OrderItemID, "order_id": r.PathValue("id"), "status": state})
	}
}

// wire is the shipment as served: an item the corrupt_items fault holds
// goes out with a quantity no marketplace sends.
func (s *Sim) wire(sh *shipment) flipkart.Shipment {
	out := sh.Shipment
	out.OrderItems = slices.Clone(sh.OrderItems)
	for i := range out.OrderItems {
		if s.kit.Corrupt(out.OrderItems[i].OrderItemID) {
			out.OrderItems[i].Quantity = -1
		}
	}
	return out
}

// getShipments is GET /v3/shipments with exactly one of shipmentIds,
// orderItemIds or orderIds (comma-separated, at most 100).
func (s *Sim) getShipments(w http.ResponseWriter, r *http.Request) {
	if !s.admit(w, r, flipkart.OpGetShipments) {
		return
	}
	q := r.URL.Query()
	kind, list := "", ""
	for _, k := range []string{"shipmentIds", "orderItemIds", "orderIds"} {
		if v := q.Get(k); v != "" {
			if kind != "" {
				apiError(w, http.StatusBadRequest, 400, "only one of shipmentIds, orderItemIds and orderIds may be given")
				return
			}
			kind, list = k, v
		}
	}
	ids := strings.Split(list, ",")
	if kind == "" || len(ids) > 100 {
		apiError(w, http.StatusBadRequest, 400, "give shipmentIds, orderItemIds or orderIds: 1 to 100 comma-separated ids")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	var match []*shipment
	for orderID, sh := range s.shipments {
		hit := false
		for _, id := range ids {
			switch kind {
			case "shipmentIds":
				hit = hit || sh.ShipmentID == id
			case "orderIds":
				hit = hit || orderID == id
			case "orderItemIds":
				hit = hit || slices.ContainsFunc(sh.OrderItems, func(it flipkart.OrderItem) bool { return it.OrderItemID == id })
			}
		}
		if hit {
			match = append(match, sh)
		}
	}
	sort.Slice(match, func(i, j int) bool { return match[i].ShipmentID < match[j].ShipmentID })
	resp := flipkart.ShipmentsResponse{Shipments: []flipkart.Shipment{}}
	for _, sh := range match {
		resp.Shipments = append(resp.Shipments, s.wire(sh))
	}
	s.kit.Batch(flipkart.OpGetShipments, len(resp.Shipments))
	simkit.WriteJSON(w, http.StatusOK, resp)
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

// matches says whether a shipment belongs to a filter: one of its items is
// in one of the filter's states (a cancelled item by the cancellation type
// asked for). Every item is served with its own state.
func (sh *shipment) matches(f flipkart.ShipmentFilter, states []string) bool {
	for _, it := range sh.OrderItems {
		if slices.Contains(states, it.Status) && (f.Type != "cancelled" || sh.cancelledBy[it.OrderItemID] == f.CancellationType) {
			return true
		}
	}
	return false
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
		if !sh.matches(st.Filter, states) {
			continue
		}
		if (!from.IsZero() && sh.updated.Before(from)) || (!to.IsZero() && sh.updated.After(to)) {
			continue
		}
		if sh.late && !from.IsZero() && from.After(sh.updated.Add(-simkit.LateIndexLag)) {
			continue // not in the search index for so narrow a window yet
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
		resp.Shipments = append(resp.Shipments, s.wire(sh))
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
