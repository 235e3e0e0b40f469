package amazon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
)

// OpConfirmShipment is confirmShipment of the Orders API v0, which is not
// deprecated (only v0's GET operations are): 2 per second, burst 10.
const OpConfirmShipment adapters.Operation = "orders.confirmShipment"

// ConfirmShipmentLimit is confirmShipment's published usage plan.
var ConfirmShipmentLimit = adapters.Limit{BatchSize: 1, Rate: 2, Burst: 10}

// confirmShipment wire shapes (ordersV0.json).
type (
	ConfirmShipmentOrderItem struct {
		OrderItemID string `json:"orderItemId"`
		Quantity    int64  `json:"quantity"`
	}
	PackageDetail struct {
		PackageReferenceID string                     `json:"packageReferenceId"`
		CarrierCode        string                     `json:"carrierCode"`
		CarrierName        string                     `json:"carrierName,omitempty"`
		TrackingNumber     string                     `json:"trackingNumber"`
		ShipDate           string                     `json:"shipDate"`
		OrderItems         []ConfirmShipmentOrderItem `json:"orderItems"`
	}
	ConfirmShipmentRequest struct {
		PackageDetail PackageDetail `json:"packageDetail"`
		MarketplaceID string        `json:"marketplaceId"`
	}
)

// PushFulfilment confirms a dispatch to Amazon with its tracking number.
// Packing has no call; a seller cancellation has none in the APIs used
// here, so it is handed to staff.
func (c *Client) PushFulfilment(ctx context.Context, u adapters.FulfilmentUpdate) error {
	switch u.Step {
	case adapters.StepDispatched:
	case adapters.StepCancelled:
		return &adapters.ManualStep{Action: fmt.Sprintf("cancel order %s in Seller Central (Orders, Manage Orders, Cancel order) with the reason: %s",
			u.ExternalOrderID, u.Reason)}
	default:
		return nil
	}
	req := ConfirmShipmentRequest{MarketplaceID: c.cfg.MarketplaceID, PackageDetail: PackageDetail{
		PackageReferenceID: "1", CarrierCode: "Other", CarrierName: orDefault(u.Carrier, "Self Delivery"),
		TrackingNumber: u.TrackingNo, ShipDate: u.At.UTC().Format(time.RFC3339)}}
	for _, l := range u.Lines {
		req.PackageDetail.OrderItems = append(req.PackageDetail.OrderItems, ConfirmShipmentOrderItem{OrderItemID: l.ExternalLineID, Quantity: l.Quantity})
	}
	_, err := c.call(ctx, OpConfirmShipment, http.MethodPost, "/orders/v0/orders/"+url.PathEscape(u.ExternalOrderID)+"/shipmentConfirmation", req)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != http.StatusTooManyRequests {
		var msgs []string
		code := fmt.Sprint(se.Status)
		for _, is := range errorIssues(se.Body) {
			msgs, code = append(msgs, is.Message), is.Code
		}
		return &adapters.Refusal{Code: code, Message: strings.Join(msgs, "; ")}
	}
	return err
}
