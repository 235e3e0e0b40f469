package amazon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// OpSearchOrders is searchOrders of the Orders API 2026-01-01: items come
// with their order, so one call per page (the v0 GET operations are
// deprecated and needed one getOrderItems call per order). OpGetOrder
// reads one order by id (a missed order retried).
const (
	OpSearchOrders adapters.Operation = "orders.searchOrders"
	OpGetOrder     adapters.Operation = "orders.getOrder"
)

// GetOrderLimit is getOrder's published usage plan.
var GetOrderLimit = adapters.Limit{BatchSize: 1, Rate: 0.5, Burst: 30}

// includedData asks for each order's fulfilment and each item's
// fulfilment and cancellation: what per-item state the model has.
const includedData = "FULFILLMENT,CANCELLATION"

// Orders API 2026-01-01 wire shapes (orders_2026-01-01.json).
type (
	OrdersMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	}
	ItemPrice struct {
		UnitPrice *OrdersMoney `json:"unitPrice,omitempty"`
	}
	// ItemFulfillment says how many of an item's units have shipped.
	ItemFulfillment struct {
		QuantityFulfilled   int64 `json:"quantityFulfilled"`
		QuantityUnfulfilled int64 `json:"quantityUnfulfilled"`
	}
	CancellationDetail struct {
		Requester    string `json:"requester,omitempty"`
		CancelledBy  string `json:"cancelledBy,omitempty"`
		CancelReason string `json:"cancelReason,omitempty"`
	}
	// ItemCancellation is an item's cancellation: requested by the buyer,
	// and executed once it is cancelled.
	ItemCancellation struct {
		CancellationRequest   *CancellationDetail `json:"cancellationRequest,omitempty"`
		CancellationExecution *CancellationDetail `json:"cancellationExecution,omitempty"`
	}
	OrderItem struct {
		OrderItemID     string `json:"orderItemId"`
		QuantityOrdered int64  `json:"quantityOrdered"`
		Product         struct {
			ASIN      string     `json:"asin,omitempty"`
			Title     string     `json:"title,omitempty"`
			SellerSKU string     `json:"sellerSku,omitempty"`
			Price     *ItemPrice `json:"price,omitempty"`
		} `json:"product"`
		Fulfillment  *ItemFulfillment  `json:"fulfillment,omitempty"`
		Cancellation *ItemCancellation `json:"cancellation,omitempty"`
	}
	TimeWindow struct {
		EarliestDateTime string `json:"earliestDateTime,omitempty"`
		LatestDateTime   string `json:"latestDateTime,omitempty"`
	}
	OrderFulfillment struct {
		FulfillmentStatus string      `json:"fulfillmentStatus"`
		FulfilledBy       string      `json:"fulfilledBy,omitempty"`
		ShipByWindow      *TimeWindow `json:"shipByWindow,omitempty"`
	}
	Order struct {
		OrderID         string `json:"orderId"`
		CreatedTime     string `json:"createdTime"`
		LastUpdatedTime string `json:"lastUpdatedTime"`
		SalesChannel    struct {
			ChannelName   string `json:"channelName"`
			MarketplaceID string `json:"marketplaceId,omitempty"`
		} `json:"salesChannel"`
		Fulfillment *OrderFulfillment `json:"fulfillment,omitempty"`
		OrderItems  []OrderItem       `json:"orderItems"`
	}
	Pagination struct {
		NextToken string `json:"nextToken,omitempty"`
	}
	SearchOrdersResponse struct {
		Orders     []Order     `json:"orders"`
		Pagination *Pagination `json:"pagination,omitempty"`
	}
	GetOrderResponse struct {
		Order Order `json:"order"`
	}
)

var fulfillmentStatus = map[string]string{
	"PENDING_AVAILABILITY": orders.StatusOpen, "PENDING": orders.StatusOpen, "UNSHIPPED": orders.StatusOpen,
	"PARTIALLY_SHIPPED": orders.StatusOpen, "SHIPPED": orders.StatusShipped, "CANCELLED": orders.StatusCancelled,
	"UNFULFILLABLE": orders.StatusCancelled,
}

// FetchOrders reads one page of merchant-fulfilled orders changed since
// the cursor (searchOrders by lastUpdatedAfter, items included).
func (c *Client) FetchOrders(ctx context.Context, cur adapters.OrderCursor) (adapters.OrderPage, error) {
	q := url.Values{}
	q.Set("lastUpdatedAfter", cur.Since.UTC().Format(time.RFC3339))
	q.Set("marketplaceIds", c.cfg.MarketplaceID)
	q.Set("fulfilledBy", "MERCHANT")
	q.Set("maxResultsPerPage", "100")
	q.Set("includedData", includedData)
	if cur.PageToken != "" {
		q.Set("paginationToken", cur.PageToken)
	}
	body, err := c.call(ctx, OpSearchOrders, http.MethodGet, "/orders/2026-01-01/orders?"+q.Encode(), nil)
	if err != nil {
		return adapters.OrderPage{}, err
	}
	resp, err := DecodeSearchOrders(body)
	if err != nil {
		return adapters.OrderPage{}, err
	}
	return adapters.OrderPage{Orders: resp.Orders, Unreadable: resp.Unreadable, NextPageToken: resp.NextToken}, nil
}

// FetchOrder reads one order again (getOrder): a missed order retried
// once its cause is fixed. An order Amazon does not know is an empty page.
func (c *Client) FetchOrder(ctx context.Context, externalOrderID string) (adapters.OrderPage, error) {
	if !adapters.Text(externalOrderID, adapters.MaxIDBytes) {
		return adapters.OrderPage{}, fmt.Errorf("amazon: %s is not an order id", adapters.Quote(externalOrderID, 40))
	}
	body, err := c.call(ctx, OpGetOrder, http.MethodGet, "/orders/2026-01-01/orders/"+url.PathEscape(externalOrderID)+"?includedData="+url.QueryEscape(includedData), nil)
	var status *httpx.StatusError
	if errors.As(err, &status) && status.Status == http.StatusNotFound {
		return adapters.OrderPage{}, nil
	}
	if err != nil {
		return adapters.OrderPage{}, err
	}
	top, err := adapters.ParseObject(body)
	if err != nil || !top.Has("order") {
		return adapters.OrderPage{}, fmt.Errorf("amazon: unreadable getOrder answer")
	}
	return c.ReadPayload(top["order"])
}

// ReadPayload reads again an order kept in an unreadable entry.
func (c *Client) ReadPayload(payload []byte) (adapters.OrderPage, error) {
	if !json.Valid(payload) {
		return adapters.OrderPage{}, fmt.Errorf("amazon: the stored payload is not JSON")
	}
	resp, err := DecodeSearchOrders([]byte(`{"orders":[` + string(payload) + `]}`))
	if err != nil {
		return adapters.OrderPage{}, err
	}
	return adapters.OrderPage{Orders: resp.Orders, Unreadable: resp.Unreadable}, nil
}

// OrdersPage is a searchOrders answer, read.
type OrdersPage struct {
	Orders     []orders.Incoming
	Unreadable []orders.Unreadable
	Repeats    []adapters.LineRef
	NextToken  string
}

// DecodeSearchOrders reads a searchOrders answer (untrusted input; unknown
// fields are ignored, as Amazon adds them). Only an answer that is not a
// JSON object with a list of orders is an error; every item becomes a line
// of its order or an unreadable entry holding the item inside its order.
func DecodeSearchOrders(body []byte) (OrdersPage, error) {
	top, err := adapters.ParseObject(body)
	if err != nil {
		return OrdersPage{}, fmt.Errorf("amazon: unreadable searchOrders answer: %w", err)
	}
	var list []json.RawMessage
	var pagination adapters.Object
	var p OrdersPage
	for _, err := range []error{top.Get("orders", &list), top.Get("pagination", &pagination), pagination.Get("nextToken", &p.NextToken)} {
		if err != nil {
			return OrdersPage{}, fmt.Errorf("amazon: unreadable searchOrders answer: %w", err)
		}
	}
	var in adapters.Intake
	for _, raw := range list {
		readOrder(&in, raw)
	}
	p.Orders, p.Unreadable = in.Page()
	p.Repeats = in.Repeats()
	return p, nil
}

// orderHeader is what an order says about all its items.
type orderHeader struct {
	id               string
	status, word     string
	created, updated time.Time
	dispatchBy       *time.Time
	problems         []string
}

func readOrder(in *adapters.Intake, raw json.RawMessage) {
	obj, err := adapters.ParseObject(raw)
	if err != nil {
		in.Unreadable("", "", "an order in Amazon's answer is not a JSON object", raw)
		return
	}
	var h orderHeader
	var created, updated string
	var ful, window adapters.Object
	for _, err := range []error{obj.Get("orderId", &h.id), obj.Get("createdTime", &created), obj.Get("lastUpdatedTime", &updated),
		obj.Get("fulfillment", &ful)} {
		if err != nil {
			h.problems = append(h.problems, "order: "+err.Error())
		}
	}
	if t, err := adapters.ParseTime("createdTime", created); err != nil {
		h.problems = append(h.problems, "order: "+err.Error())
	} else {
		h.created = t
	}
	if t, err := adapters.ParseTime("lastUpdatedTime", updated); err != nil {
		h.problems = append(h.problems, "order: "+err.Error())
	} else {
		h.updated = t
	}
	var state, latest string
	for _, err := range []error{ful.Get("fulfillmentStatus", &state), ful.Get("shipByWindow", &window), window.Get("latestDateTime", &latest)} {
		if err != nil {
			h.problems = append(h.problems, "order fulfillment: "+err.Error())
		}
	}
	h.word = strings.ToUpper(strings.TrimSpace(state))
	if s, ok := fulfillmentStatus[h.word]; ok {
		h.status = s
	} else if !obj.Has("fulfillment") {
		h.problems = append(h.problems, "the order has no fulfillment status (includedData FULFILLMENT)")
	} else {
		h.problems = append(h.problems, "fulfillmentStatus "+adapters.Quote(state, 40)+" is not an Amazon order status")
	}
	if window.Has("latestDateTime") {
		if t, err := adapters.ParseTime("shipByWindow.latestDateTime", latest); err != nil {
			h.problems = append(h.problems, "order: "+err.Error())
		} else {
			h.dispatchBy = &t
		}
	}
	var items []json.RawMessage
	if err := obj.Get("orderItems", &items); err != nil {
		in.Unreadable(h.id, "", "order: "+err.Error(), raw)
		return
	}
	if len(items) == 0 {
		in.Unreadable(h.id, "", "the order lists no items", raw)
		return
	}
	for _, it := range items {
		readOrderItem(in, h, it, obj.With("orderItems", adapters.ListOf(it)))
	}
}

// readOrderItem reads one item; payload is the item inside its order. An
// item's state is its own where the model says it: cancelled once its
// cancellation is executed, shipped once every unit is fulfilled; else the
// order's. The model has no per-item time: the order's lastUpdatedTime.
func readOrderItem(in *adapters.Intake, h orderHeader, raw json.RawMessage, payload []byte) {
	item, err := adapters.ParseObject(raw)
	if err != nil {
		in.Unreadable(h.id, "", "an item of the order is not a JSON object", payload)
		return
	}
	why := append([]string(nil), h.problems...)
	get := func(o adapters.Object, key string, v any) {
		if err := o.Get(key, v); err != nil {
			why = append(why, err.Error())
		}
	}
	var id, sku, amount string
	var quantity, fulfilled int64
	var product, price, unit, ful, cancellation adapters.Object
	get(item, "orderItemId", &id)
	get(item, "quantityOrdered", &quantity)
	get(item, "product", &product)
	get(product, "sellerSku", &sku)
	get(product, "price", &price)
	get(price, "unitPrice", &unit)
	get(unit, "amount", &amount)
	get(item, "fulfillment", &ful)
	get(ful, "quantityFulfilled", &fulfilled)
	get(item, "cancellation", &cancellation)
	line := orders.IncomingLine{ExternalLineID: id, SKU: sku, Quantity: quantity, Status: h.status, MarketplaceStatus: h.word, UpdatedAt: h.updated}
	if unit.Has("amount") {
		if p, err := ParsePaise(amount); err != nil {
			why = append(why, "unitPrice.amount "+adapters.Quote(amount, 40)+" is not an amount in rupees")
		} else {
			line.UnitPricePaise = p
		}
	}
	switch {
	case h.status == orders.StatusCancelled:
	case cancellation.Has("cancellationExecution"):
		line.Status, line.MarketplaceStatus = orders.StatusCancelled, "CANCELLED"
	case quantity > 0 && fulfilled >= quantity:
		line.Status, line.MarketplaceStatus = orders.StatusShipped, "SHIPPED"
	}
	if len(why) > 0 {
		in.Unreadable(h.id, id, strings.Join(why, "; "), payload)
		return
	}
	in.Add(adapters.OrderFacts{ExternalOrderID: h.id, OrderedAt: h.created, DispatchBy: h.dispatchBy}, line, payload)
}
