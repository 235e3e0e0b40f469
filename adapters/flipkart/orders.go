package flipkart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// OpFilterShipments is the order search (POST /v3/shipments/filter and its
// next pages). Flipkart recommends order API timeouts of at least 60 s.
const OpFilterShipments adapters.Operation = "shipments.filter"

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
	OrderItem struct {
		OrderItemID     string          `json:"orderItemId"`
		OrderID         string          `json:"orderId"`
		OrderDate       string          `json:"orderDate"`
		Status          string          `json:"status"`
		Quantity        int64           `json:"quantity"`
		FSN             string          `json:"fsn"`
		SKU             string          `json:"sku"`
		PriceComponents PriceComponents `json:"priceComponents"`
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
	page := adapters.OrderPage{Orders: resp.orders()}
	switch {
	case resp.HasMore && resp.NextPageURL != "":
		page.NextPageToken = fmt.Sprintf("%d:%s", filter, resp.NextPageURL)
	case filter+1 < len(pullFilters):
		page.NextPageToken = fmt.Sprintf("%d:", filter+1)
	}
	return page, nil
}

// DecodeShipments reads a shipments page (untrusted input).
func DecodeShipments(body []byte) (FilterResponse, error) {
	var r FilterResponse
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return FilterResponse{}, fmt.Errorf("flipkart: unreadable shipments page: %w", err)
	}
	return r, nil
}

// orders groups a page's order items into orders (the puller sets the
// channel). Items that cannot be
// read (no id, no quantity, a price that is not rupees) are left out of
// their order and logged by the caller through the missed-order checks.
func (r FilterResponse) orders() []orders.Incoming {
	byID := map[string]*orders.Incoming{}
	for _, s := range r.Shipments {
		updated, err := time.Parse(time.RFC3339, s.UpdatedAt)
		if err != nil {
			continue
		}
		var dispatchBy *time.Time
		if d, err := time.Parse(time.RFC3339, s.DispatchByDate); err == nil {
			dispatchBy = &d
		}
		for _, it := range s.OrderItems {
			status, ok := itemStatus[strings.ToUpper(it.Status)]
			price, err := money.Parse(it.PriceComponents.SellingPrice.String())
			if !ok || err != nil || !fits(it.OrderID, 128) || !fits(it.OrderItemID, 128) || !fits(it.SKU, 64) ||
				it.Quantity <= 0 || it.Quantity > 10000 || price < 0 {
				continue
			}
			ordered, err := time.Parse(time.RFC3339, it.OrderDate)
			if err != nil {
				ordered = updated
			}
			o := byID[it.OrderID]
			if o == nil {
				o = &orders.Incoming{ExternalOrderID: it.OrderID, Status: status, OrderedAt: ordered,
					UpdatedAt: updated, DispatchBy: dispatchBy}
				byID[it.OrderID] = o
			}
			if updated.After(o.UpdatedAt) {
				o.UpdatedAt = updated
			}
			if len(o.Lines) >= orders.MaxLines || hasLine(o, it.OrderItemID) {
				continue
			}
			line := orders.IncomingLine{ExternalLineID: it.OrderItemID, SKU: it.SKU, Quantity: it.Quantity,
				UnitPricePaise: price / max(it.Quantity, 1)}
			if fits(s.ShipmentID, 128) && fits(s.LocationID, 128) {
				line.ExternalShipmentID, line.ExternalLocationID = s.ShipmentID, s.LocationID
			}
			o.Lines = append(o.Lines, line)
		}
	}
	out := make([]orders.Incoming, 0, len(byID))
	for _, o := range byID {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExternalOrderID < out[j].ExternalOrderID })
	return out
}

func fits(s string, n int) bool { return strings.TrimSpace(s) != "" && len(s) <= n }

func hasLine(o *orders.Incoming, id string) bool {
	for _, l := range o.Lines {
		if l.ExternalLineID == id {
			return true
		}
	}
	return false
}
