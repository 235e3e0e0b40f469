package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

// registerActions adds the seller's shipment actions: labels (pack),
// dispatch (ready to dispatch) and cancel, each answering per shipment
// inside HTTP 200 as Flipkart does.
func (s *Sim) registerActions(m *http.ServeMux) {
	m.HandleFunc("POST /sellers/v3/shipments/labels", s.action(flipkart.OpShipmentLabels, s.labels))
	m.HandleFunc("POST /sellers/v3/shipments/dispatch", s.action(flipkart.OpShipmentDispatch, s.dispatch))
	m.HandleFunc("POST /sellers/v3/shipments/cancel", s.action(flipkart.OpShipmentCancel, s.cancel))
	m.HandleFunc("POST /_sim/settlements", s.settlements)
}

// action admits the call, decodes its body strictly and answers what fn
// made of it; fn runs under the simulator's lock.
func (s *Sim) action(op adapters.Operation, fn func(raw []byte) ([]flipkart.ShipmentResult, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.admit(w, r, op) {
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			apiError(w, http.StatusBadRequest, 400, "unreadable body")
			return
		}
		s.kit.Lock()
		results, problem := fn(raw)
		s.kit.Unlock()
		if problem != "" {
			apiError(w, http.StatusBadRequest, 400, problem)
			return
		}
		simkit.WriteJSON(w, http.StatusOK, flipkart.ActionResponse{Shipments: results})
	}
}

func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// move applies one shipment action to the shipment's items not cancelled:
// the shipment must be at the location given and its live items in one of
// the states the action starts from.
func (s *Sim) move(id, location string, from []string, to string) flipkart.ShipmentResult {
	var sh *shipment
	for _, x := range s.shipments {
		if x.ShipmentID == id {
			sh = x
		}
	}
	switch {
	case sh == nil:
		return flipkart.ShipmentResult{ShipmentID: id, Status: "FAILURE", ErrorCode: "INVALID_SHIPMENT_ID", ErrorMessage: "no such shipment"}
	case location != sh.LocationID:
		return flipkart.ShipmentResult{ShipmentID: id, Status: "FAILURE", ErrorCode: "INVALID_LOCATION_ID", ErrorMessage: "the shipment is not at location " + location}
	}
	var live []int
	for i, it := range sh.OrderItems {
		if it.Status == "CANCELLED" {
			continue
		}
		if !slices.Contains(from, it.Status) {
			return flipkart.ShipmentResult{ShipmentID: id, Status: "FAILURE", ErrorCode: "UNPROCESSABLE_ENTITY", ErrorMessage: "shipment is " + it.Status}
		}
		live = append(live, i)
	}
	if len(live) == 0 {
		return flipkart.ShipmentResult{ShipmentID: id, Status: "FAILURE", ErrorCode: "UNPROCESSABLE_ENTITY", ErrorMessage: "shipment is CANCELLED"}
	}
	s.setState(sh, to, sellerCancellation, live)
	return flipkart.ShipmentResult{ShipmentID: id, Status: "SUCCESS"}
}

func (s *Sim) labels(raw []byte) ([]flipkart.ShipmentResult, string) {
	var req flipkart.LabelsRequest
	if err := strict(raw, &req); err != nil || len(req.Shipments) == 0 || len(req.Shipments) > 25 {
		return nil, "shipments must hold 1 to 25 shipments"
	}
	var out []flipkart.ShipmentResult
	for _, sh := range req.Shipments {
		if len(sh.TaxItems) == 0 {
			out = append(out, flipkart.ShipmentResult{ShipmentID: sh.ShipmentID, Status: "FAILURE", ErrorCode: "UNPROCESSABLE_ENTITY", ErrorMessage: "taxItems are required"})
			continue
		}
		out = append(out, s.move(sh.ShipmentID, sh.LocationID, []string{"APPROVED", "PACKING_IN_PROGRESS"}, "PACKED"))
	}
	return out, ""
}

func (s *Sim) dispatch(raw []byte) ([]flipkart.ShipmentResult, string) {
	var req flipkart.DispatchRequest
	if err := strict(raw, &req); err != nil || len(req.ShipmentIDs) == 0 || len(req.ShipmentIDs) > 25 || req.LocationID == "" {
		return nil, "shipmentIds (1 to 25) and locationId are required"
	}
	var out []flipkart.ShipmentResult
	for _, id := range req.ShipmentIDs {
		out = append(out, s.move(id, req.LocationID, []string{"PACKED"}, "READY_TO_DISPATCH"))
	}
	return out, ""
}

func (s *Sim) cancel(raw []byte) ([]flipkart.ShipmentResult, string) {
	var req flipkart.CancelRequest
	if err := strict(raw, &req); err != nil || len(req.Shipments) == 0 || len(req.Shipments) > 25 {
		return nil, "shipments must hold 1 to 25 shipments"
	}
	var out []flipkart.ShipmentResult
	for _, sh := range req.Shipments {
		if sh.Reason == "" {
			out = append(out, flipkart.ShipmentResult{ShipmentID: sh.ShipmentID, Status: "FAILURE", ErrorCode: "UNPROCESSABLE_ENTITY", ErrorMessage: "reason is required"})
			continue
		}
		// The seller's own quantity push follows the cancellation, so the
		// simulator does not add the units back itself.
		out = append(out, s.move(sh.ShipmentID, sh.LocationID, []string{"APPROVED", "PACKING_IN_PROGRESS"}, "CANCELLED"))
	}
	return out, ""
}
