package flipkart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/jkhhc/artisanbridge/adapters"
)

// Shipment actions (MARKETPLACES.md 1.3): labels moves a shipment to
// PACKED, dispatch marks it ready to dispatch at its location, cancel
// works only before PACKED. Each answers per shipment inside HTTP 200.
const (
	OpShipmentLabels   adapters.Operation = "shipments.labels"
	OpShipmentDispatch adapters.Operation = "shipments.dispatch"
	OpShipmentCancel   adapters.Operation = "shipments.cancel"
)

// Action wire shapes.
type (
	Invoice struct {
		OrderID     string `json:"orderId"`
		InvoiceDate string `json:"invoiceDate"`
	}
	TaxItem struct {
		OrderItemID string      `json:"orderItemId"`
		TaxRate     json.Number `json:"taxRate"`
		Quantity    int64       `json:"quantity"`
	}
	LabelShipment struct {
		ShipmentID string    `json:"shipmentId"`
		LocationID string    `json:"locationId"`
		Invoices   []Invoice `json:"invoices"`
		TaxItems   []TaxItem `json:"taxItems"`
	}
	LabelsRequest struct {
		Shipments []LabelShipment `json:"shipments"`
	}
	DispatchRequest struct {
		ShipmentIDs []string `json:"shipmentIds"`
		LocationID  string   `json:"locationId"`
	}
	CancelShipment struct {
		ShipmentID string `json:"shipmentId"`
		Reason     string `json:"reason"`
		LocationID string `json:"locationId"`
	}
	CancelRequest struct {
		Shipments []CancelShipment `json:"shipments"`
	}
	ShipmentResult struct {
		ShipmentID   string `json:"shipmentId"`
		Status       string `json:"status"`
		ErrorCode    string `json:"errorCode,omitempty"`
		ErrorMessage string `json:"errorMessage,omitempty"`
	}
	ActionResponse struct {
		Shipments []ShipmentResult `json:"shipments"`
	}
)

// CancelReason is the reason sent with a seller cancellation. Flipkart's
// list of reasons is not published in the sources we hold; this is the one
// seller tools commonly send for stock that cannot be supplied.
const CancelReason = "not_enough_inventory"

// PushFulfilment tells Flipkart of a packing (labels), a dispatch (ready
// to dispatch) or a seller cancellation, shipment by shipment.
func (c *Client) PushFulfilment(ctx context.Context, u adapters.FulfilmentUpdate) error {
	shipments := map[string][]adapters.FulfilmentLine{}
	var order []string
	for _, l := range u.Lines {
		if l.ExternalShipmentID == "" {
			return &adapters.Refusal{Code: "NO_SHIPMENT", Message: fmt.Sprintf("order item %s came without a shipment id", l.ExternalLineID)}
		}
		if _, ok := shipments[l.ExternalShipmentID]; !ok {
			order = append(order, l.ExternalShipmentID)
		}
		shipments[l.ExternalShipmentID] = append(shipments[l.ExternalShipmentID], l)
	}
	if len(order) == 0 || u.LocationID == "" {
		return &adapters.Refusal{Code: "NO_LOCATION", Message: "Flipkart acts on a shipment at its location; the order has neither"}
	}
	var op adapters.Operation
	var path string
	var payload any
	switch u.Step {
	case adapters.StepPacked:
		req := LabelsRequest{}
		for _, id := range order {
			s := LabelShipment{ShipmentID: id, LocationID: u.LocationID,
				Invoices: []Invoice{{OrderID: u.ExternalOrderID, InvoiceDate: u.At.Format("2006-01-02")}}}
			for _, l := range shipments[id] {
				s.TaxItems = append(s.TaxItems, TaxItem{OrderItemID: l.ExternalLineID, TaxRate: percent(l.GSTRateBP), Quantity: l.Quantity})
			}
			req.Shipments = append(req.Shipments, s)
		}
		op, path, payload = OpShipmentLabels, "/v3/shipments/labels", req
	case adapters.StepDispatched:
		op, path, payload = OpShipmentDispatch, "/v3/shipments/dispatch", DispatchRequest{ShipmentIDs: order, LocationID: u.LocationID}
	case adapters.StepCancelled:
		req := CancelRequest{}
		for _, id := range order {
			req.Shipments = append(req.Shipments, CancelShipment{ShipmentID: id, Reason: CancelReason, LocationID: u.LocationID})
		}
		op, path, payload = OpShipmentCancel, "/v3/shipments/cancel", req
	default:
		return nil // delivery and the rest are Flipkart's to report
	}
	body, err := c.callTimeout(ctx, op, http.MethodPost, path, payload, orderTimeout)
	if err != nil {
		return err
	}
	return actionOutcome(body, order)
}

// actionOutcome reads a per-shipment answer: every shipment must say
// SUCCESS; a shipment missing from the answer is a refusal too.
func actionOutcome(body []byte, want []string) error {
	var resp ActionResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("flipkart: unreadable shipment action answer: %w", err)
	}
	got := map[string]ShipmentResult{}
	for _, s := range resp.Shipments {
		got[s.ShipmentID] = s
	}
	var problems []string
	code := ""
	for _, id := range want {
		s, ok := got[id]
		switch {
		case !ok:
			problems, code = append(problems, id+": not in Flipkart's answer"), "MISSING"
		case !strings.EqualFold(s.Status, "SUCCESS"):
			problems, code = append(problems, fmt.Sprintf("%s: %s %s", id, s.ErrorCode, truncate(s.ErrorMessage, 200))), s.ErrorCode
		}
	}
	if len(problems) > 0 {
		return &adapters.Refusal{Code: code, Message: strings.Join(problems, "; ")}
	}
	return nil
}

// percent writes basis points as the percentage Flipkart's taxRate takes.
func percent(bp int64) json.Number {
	if bp%100 == 0 {
		return json.Number(fmt.Sprint(bp / 100))
	}
	return json.Number(fmt.Sprintf("%d.%02d", bp/100, bp%100))
}
