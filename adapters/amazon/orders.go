package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// OpSearchOrders is searchOrders of the Orders API 2026-01-01: items come
// with their order, so one call per page (the v0 GET operations are
// deprecated and needed one getOrderItems call per order).
const OpSearchOrders adapters.Operation = "orders.searchOrders"

// Orders API 2026-01-01 wire shapes (orders_2026-01-01.json).
type (
	OrdersMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	}
	OrderItem struct {
		OrderItemID     string `json:"orderItemId"`
		QuantityOrdered int64  `json:"quantityOrdered"`
		Product         struct {
			ASIN      string `json:"asin,omitempty"`
			Title     string `json:"title,omitempty"`
			SellerSKU string `json:"sellerSku,omitempty"`
			Price     *struct {
				UnitPrice *OrdersMoney `json:"unitPrice,omitempty"`
			} `json:"price,omitempty"`
		} `json:"product"`
	}
	TimeWindow struct {
		EarliestDateTime string `json:"earliestDateTime,omitempty"`
		LatestDateTime   string `json:"latestDateTime,omitempty"`
	}
	Order struct {
		OrderID         string `json:"orderId"`
		CreatedTime     string `json:"createdTime"`
		LastUpdatedTime string `json:"lastUpdatedTime"`
		SalesChannel    struct {
			ChannelName   string `json:"channelName"`
			MarketplaceID string `json:"marketplaceId,omitempty"`
		} `json:"salesChannel"`
		Fulfillment *struct {
			FulfillmentStatus string      `json:"fulfillmentStatus"`
			FulfilledBy       string      `json:"fulfilledBy,omitempty"`
			ShipByWindow      *TimeWindow `json:"shipByWindow,omitempty"`
		} `json:"fulfillment,omitempty"`
		OrderItems []OrderItem `json:"orderItems"`
	}
	SearchOrdersResponse struct {
		Orders     []Order `json:"orders"`
		Pagination *struct {
			NextToken string `json:"nextToken,omitempty"`
		} `json:"pagination,omitempty"`
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
	q.Set("includedData", "FULFILLMENT")
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
	page := adapters.OrderPage{Orders: resp.Normalise()}
	if resp.Pagination != nil {
		page.NextPageToken = resp.Pagination.NextToken
	}
	return page, nil
}

// DecodeSearchOrders reads a searchOrders answer (untrusted input;
// unknown fields are ignored, as Amazon adds them).
func DecodeSearchOrders(body []byte) (SearchOrdersResponse, error) {
	var r SearchOrdersResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return SearchOrdersResponse{}, fmt.Errorf("amazon: unreadable searchOrders answer: %w", err)
	}
	return r, nil
}

// Normalise turns a page into orders for ingestion (the puller sets the
// channel). Items or orders that cannot be read are left out; the overlap
// window of the next pull and the missed-order checks bring them back.
func (r SearchOrdersResponse) Normalise() []orders.Incoming {
	var out []orders.Incoming
	for _, o := range r.Orders {
		created, err1 := time.Parse(time.RFC3339, o.CreatedTime)
		updated, err2 := time.Parse(time.RFC3339, o.LastUpdatedTime)
		if err1 != nil || err2 != nil || !fits(o.OrderID, 128) || o.Fulfillment == nil {
			continue
		}
		status, ok := fulfillmentStatus[o.Fulfillment.FulfillmentStatus]
		if !ok {
			continue
		}
		in := orders.Incoming{ExternalOrderID: o.OrderID, Status: status, OrderedAt: created.UTC(), UpdatedAt: updated.UTC()}
		if w := o.Fulfillment.ShipByWindow; w != nil {
			if d, err := time.Parse(time.RFC3339, w.LatestDateTime); err == nil {
				in.DispatchBy = &d
			}
		}
		seen := map[string]bool{}
		for _, it := range o.OrderItems {
			if !fits(it.OrderItemID, 128) || !fits(it.Product.SellerSKU, 64) || seen[it.OrderItemID] ||
				it.QuantityOrdered <= 0 || it.QuantityOrdered > 10000 || len(in.Lines) >= orders.MaxLines {
				continue
			}
			var price int64
			if it.Product.Price != nil && it.Product.Price.UnitPrice != nil {
				p, err := ParsePaise(it.Product.Price.UnitPrice.Amount)
				if err != nil || p < 0 {
					continue
				}
				price = p
			}
			seen[it.OrderItemID] = true
			in.Lines = append(in.Lines, orders.IncomingLine{ExternalLineID: it.OrderItemID, SKU: it.Product.SellerSKU,
				Quantity: it.QuantityOrdered, UnitPricePaise: price})
		}
		if len(in.Lines) > 0 {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExternalOrderID < out[j].ExternalOrderID })
	return out
}

func fits(s string, n int) bool { return strings.TrimSpace(s) != "" && len(s) <= n }
