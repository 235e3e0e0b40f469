package flipkart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// OpFilterShipments is the order search (POST /v3/shipments/filter and its
// next pages); OpGetShipments reads shipments by id (GET
// /v3/shipments?orderIds=, at most 100 ids of one kind a call). Flipkart
// recommends order API timeouts of at least 60 s.
const (
	OpFilterShipments adapters.Operation = "shipments.filter"
	OpGetShipments    adapters.Operation = "shipments.get"
)

const orderTimeout = 60 * time.Second

// Shipments v3 wire shapes (MARKETPLACES.md 1.3).
type (
	DateRange struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	ShipmentFilter struct {
		Type             string     `json:"type"`
		States           []string   `json:"states,omitempty"`
		ModifiedDate     *DateRange `json:"modifiedDate,omitempty"`
		CancellationType string     `json:"cancellationType,omitempty"`
	}
	FilterRequest struct {
		Filter     ShipmentFilter `json:"filter"`
		Pagination struct {
			PageSize int `json:"pageSize"`
		} `json:"pagination"`
		Sort struct {
			Field string `json:"field"`
			Order string `json:"order"`
		} `json:"sort"`
	}
	PriceComponents struct {
		SellingPrice json.Number `json:"sellingPrice"`
		TotalPrice   json.Number `json:"totalPrice"`
	}
	// OrderItem carries its own state: one item of a shipment can be
	// cancelled (status CANCELLED, its cancellationDate) while another goes
	// on. Flipkart's v3 schema has no per-item update time; the shipment's
	// updatedAt is the time of the last change to any of its items.
	OrderItem struct {
		OrderItemID           string          `json:"orderItemId"`
		OrderID               string          `json:"orderId"`
		CancellationGroupID   string          `json:"cancellationGroupId,omitempty"`
		OrderDate             string          `json:"orderDate"`
		CancellationDate      string          `json:"cancellationDate,omitempty"`
		Status                string          `json:"status"`
		CancellationReason    string          `json:"cancellationReason,omitempty"`
		CancellationSubReason string          `json:"cancellationSubReason,omitempty"`
		Quantity              int64           `json:"quantity"`
		FSN                   string          `json:"fsn"`
		SKU                   string          `json:"sku"`
		PriceComponents       PriceComponents `json:"priceComponents"`
	}
	Shipment struct {
		ShipmentID     string      `json:"shipmentId"`
		DispatchByDate string      `json:"dispatchByDate"`
		UpdatedAt      string      `json:"updatedAt"`
		LocationID     string      `json:"locationId"`
		OrderItems     []OrderItem `json:"orderItems"`
	}
	FilterResponse struct {
		HasMore     bool       `json:"hasMore"`
		NextPageURL string     `json:"nextPageUrl"`
		Shipments   []Shipment `json:"shipments"`
	}
	// ShipmentsResponse is the answer of GET /v3/shipments?orderIds= (or
	// shipmentIds=, orderItemIds=).
	ShipmentsResponse struct {
		Shipments []Shipment `json:"shipments"`
	}
)

// The filter types a pull walks, with the states each may hold; cancelled
// shipments need their cancellation type.
var pullFilters = []ShipmentFilter{
	{Type: "preDispatch", States: []string{"APPROVED", "PACKING_IN_PROGRESS", "PACKED", "FORM_FAILED", "READY_TO_DISPATCH"}},
	{Type: "postDispatch", States: []string{"SHIPPED", "DELIVERED", "PICKUP_COMPLETE"}},
	{Type: "cancelled", CancellationType: "buyerCancellation"},
	{Type: "cancelled", CancellationType: "marketplaceCancellation"},
	{Type: "cancelled", CancellationType: "sellerCancellation"},
}

// itemStatus maps Flipkart's order item states to ours.
var itemStatus = map[string]string{
	"APPROVED": orders.StatusOpen, "PACKING_IN_PROGRESS": orders.StatusOpen, "PACKED": orders.StatusOpen, "FORM_FAILED": orders.StatusOpen,
	"READY_TO_DISPATCH": orders.StatusOpen, "PICKUP_COMPLETE": orders.StatusShipped, "SHIPPED": orders.StatusShipped,
	"DELIVERED": orders.StatusDelivered, "CANCELLED": orders.StatusCancelled, "RETURN_REQUESTED": orders.StatusReturned,
	"RETURNED": orders.StatusReturned, "COMPLETED": orders.StatusDelivered,
}

// FetchOrders walks one filter type per call chain: the page token holds
// which filter and Flipkart's own nextPageUrl, so a pull resumes exactly
// where it stopped.
func (c *Client) FetchOrders(ctx context.Context, cur adapters.OrderCursor) (adapters.OrderPage, error) {
	filter, next := 0, ""
	if cur.PageToken != "" {
		if _, err := fmt.Sscanf(cur.PageToken, "%d:", &filter); err != nil || filter < 0 || filter >= len(pullFilters) {
			return adapters.OrderPage{}, fmt.Errorf("flipkart: bad page token")
		}
		next = cur.PageToken[strings.Index(cur.PageToken, ":")+1:]
	}
	var body []byte
	var err error
	if next != "" {
		if !strings.HasPrefix(next, "/v3/shipments/filter") {
			return adapters.OrderPage{}, fmt.Errorf("flipkart: nextPageUrl %q is not a shipments page", truncate(next, 80))
		}
		body, err = c.callTimeout(ctx, OpFilterShipments, http.MethodGet, next, nil, orderTimeout)
	} else {
		req := FilterRequest{Filter: pullFilters[filter]}
		req.Filter.ModifiedDate = &DateRange{From: cur.Since.UTC().Format(time.RFC3339), To: time.Now().UTC().Add(time.Minute).Format(time.RFC3339)}
		req.Pagination.PageSize = 20
		req.Sort.Field, req.Sort.Order = "modifiedDate", "asc"
		body, err = c.callTimeout(ctx, OpFilterShipments, http.MethodPost, "/v3/shipments/filter", req, orderTimeout)
	}
	if err != nil {
		return adapters.OrderPage{}, err
	}
	resp, err := DecodeShipments(body)
	if err != nil {
		return adapters.OrderPage{}, err
	}
	page := adapters.OrderPage{Orders: resp.Orders, Unreadable: resp.Unreadable}
	switch {
	case resp.HasMore && resp.NextPageURL != "":
		page.NextPageToken = fmt.Sprintf("%d:%s", filter, resp.NextPageURL)
	case filter+1 < len(pullFilters):
		page.NextPageToken = fmt.Sprintf("%d:", filter+1)
	}
	return page, nil
}

// FetchOrder reads one order's shipments again (GET
// /v3/shipments?orderIds=): a missed order retried once its cause is fixed.
func (c *Client) FetchOrder(ctx context.Context, externalOrderID string) (adapters.OrderPage, error) {
	if !adapters.Text(externalOrderID, adapters.MaxIDBytes) {
		return adapters.OrderPage{}, fmt.Errorf("flipkart: %s is not an order id", adapters.Quote(externalOrderID, 40))
	}
	body, err := c.callTimeout(ctx, OpGetShipments, http.MethodGet, "/v3/shipments?orderIds="+url.QueryEscape(externalOrderID), nil, orderTimeout)
	if err != nil {
		return adapters.OrderPage{}, err
	}
	resp, err := DecodeShipments(body)
	if err != nil {
		return adapters.OrderPage{}, err
	}
	return adapters.OrderPage{Orders: resp.Orders, Unreadable: resp.Unreadable}, nil
}

// ReadPayload reads again a shipment kept in an unreadable entry.
func (c *Client) ReadPayload(payload []byte) (adapters.OrderPage, error) {
	if !json.Valid(payload) {
		return adapters.OrderPage{}, fmt.Errorf("flipkart: the stored payload is not JSON")
	}
	resp, err := DecodeShipments([]byte(`{"shipments":[` + string(payload) + `]}`))
	if err != nil {
		return adapters.OrderPage{}, err
	}
	return adapters.OrderPage{Orders: resp.Orders, Unreadable: resp.Unreadable}, nil
}

// ShipmentsPage is a shipments answer, read: its orders (the puller sets
// the channel), what could not be read, and where the next page is.
type ShipmentsPage struct {
	HasMore     bool
	NextPageURL string
	Orders      []orders.Incoming
	Unreadable  []orders.Unreadable
	// Repeats are items the answer held more than once, alike each time.
	Repeats []adapters.LineRef
}

// DecodeShipments reads a shipments answer (untrusted input). Only an
// answer that is not a JSON object with a list of shipments is an error;
// every order item in it becomes a line of its order or an unreadable entry
// holding the item inside its shipment, never skipped.
func DecodeShipments(body []byte) (ShipmentsPage, error) {
	top, err := adapters.ParseObject(body)
	if err != nil {
		return ShipmentsPage{}, fmt.Errorf("flipkart: unreadable shipments page: %w", err)
	}
	var p ShipmentsPage
	var shipments []json.RawMessage
	for _, err := range []error{top.Get("shipments", &shipments), top.Get("hasMore", &p.HasMore), top.Get("nextPageUrl", &p.NextPageURL)} {
		if err != nil {
			return ShipmentsPage{}, fmt.Errorf("flipkart: unreadable shipments page: %w", err)
		}
	}
	var in adapters.Intake
	for _, raw := range shipments {
		readShipment(&in, raw)
	}
	p.Orders, p.Unreadable = in.Page()
	p.Repeats = in.Repeats()
	return p, nil
}

// shipmentHeader is what a shipment says about all its items.
type shipmentHeader struct {
	id, location string
	updated      time.Time
	dispatchBy   *time.Time
	problems     []string
}

func readShipment(in *adapters.Intake, raw json.RawMessage) {
	obj, err := adapters.ParseObject(raw)
	if err != nil {
		in.Unreadable("", "", "a shipment in Flipkart's answer is not a JSON object", raw)
		return
	}
	var h shipmentHeader
	var updated, dispatchBy string
	for _, err := range []error{obj.Get("shipmentId", &h.id), obj.Get("locationId", &h.location), obj.Get("updatedAt", &updated),
		obj.Get("dispatchByDate", &dispatchBy)} {
		if err != nil {
			h.problems = append(h.problems, "shipment: "+err.Error())
		}
	}
	if !obj.Has("updatedAt") {
		h.problems = append(h.problems, "the shipment has no updatedAt")
	} else if t, err := adapters.ParseTime("updatedAt", updated); err != nil {
		h.problems = append(h.problems, "shipment: "+err.Error())
	} else {
		h.updated = t
	}
	if obj.Has("dispatchByDate") {
		if t, err := adapters.ParseTime("dispatchByDate", dispatchBy); err != nil {
			h.problems = append(h.problems, "shipment: "+err.Error())
		} else {
			h.dispatchBy = &t
		}
	}
	var items []json.RawMessage
	if err := obj.Get("orderItems", &items); err != nil {
		in.Unreadable("", "", "shipment "+adapters.Quote(h.id, 40)+": "+err.Error(), raw)
		return
	}
	if len(items) == 0 {
		in.Unreadable("", "", "shipment "+adapters.Quote(h.id, 40)+" lists no order items", raw)
		return
	}
	for _, it := range items {
		readItem(in, h, it, obj.With("orderItems", adapters.ListOf(it)))
	}
}

// readItem reads one order item; payload is the item inside its shipment.
func readItem(in *adapters.Intake, h shipmentHeader, raw json.RawMessage, payload []byte) {
	item, err := adapters.ParseObject(raw)
	if err != nil {
		in.Unreadable("", "", "an order item of shipment "+adapters.Quote(h.id, 40)+" is not a JSON object", payload)
		return
	}
	why := append([]string(nil), h.problems...)
	get := func(key string, v any) {
		if err := item.Get(key, v); err != nil {
			why = append(why, err.Error())
		}
	}
	var id, orderID, ordered, cancelled, state, sku string
	var quantity int64
	var prices adapters.Object
	get("orderItemId", &id)
	get("orderId", &orderID)
	get("orderDate", &ordered)
	get("cancellationDate", &cancelled)
	get("status", &state)
	get("quantity", &quantity)
	get("sku", &sku)
	get("priceComponents", &prices)
	line := orders.IncomingLine{ExternalLineID: id, SKU: sku, Quantity: quantity, ExternalShipmentID: h.id, ExternalLocationID: h.location,
		UpdatedAt: h.updated}
	facts := adapters.OrderFacts{ExternalOrderID: orderID, OrderedAt: h.updated, DispatchBy: h.dispatchBy}
	word := strings.ToUpper(strings.TrimSpace(state))
	if status, ok := itemStatus[word]; ok {
		line.Status, line.MarketplaceStatus = status, word
	} else {
		why = append(why, "status "+adapters.Quote(state, 40)+" is not a Flipkart order item state")
	}
	var selling json.Number
	if err := prices.Get("sellingPrice", &selling); err != nil {
		why = append(why, "priceComponents."+err.Error())
	} else if !prices.Has("sellingPrice") {
		why = append(why, "priceComponents.sellingPrice is missing")
	} else if total, err := money.Parse(selling.String()); err != nil || total < 0 {
		why = append(why, "priceComponents.sellingPrice "+adapters.Quote(selling.String(), 40)+" is not an amount in rupees")
	} else if quantity > 0 {
		// sellingPrice is the item's price for all its units.
		line.UnitPricePaise = total / quantity
	}
	if item.Has("orderDate") {
		if t, err := adapters.ParseTime("orderDate", ordered); err != nil {
			why = append(why, err.Error())
		} else {
			facts.OrderedAt = t
		}
	}
	if item.Has("cancellationDate") {
		if t, err := adapters.ParseTime("cancellationDate", cancelled); err != nil {
			why = append(why, err.Error())
		} else if line.Status == orders.StatusCancelled && t.After(line.UpdatedAt) {
			line.UpdatedAt = t
		}
	}
	if len(why) > 0 {
		in.Unreadable(orderID, id, strings.Join(why, "; "), payload)
		return
	}
	in.Add(facts, line, payload)
}
