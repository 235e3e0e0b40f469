package sim

import (
	"net/http"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/amazon"
)

// confirmShipment (Orders API v0): the order must be the seller's, still
// unshipped, and the package must name its carrier, tracking number and
// every item with its quantity; the answer is 204 with no body.
func (s *Sim) confirmShipment(w http.ResponseWriter, r *http.Request) {
	var req amazon.ConfirmShipmentRequest
	if err := decodeBody(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidInput", "unreadable request body", err.Error())
		return
	}
	p := req.PackageDetail
	if req.MarketplaceID != amazon.MarketplaceIndia || p.PackageReferenceID == "" || p.CarrierCode == "" || p.TrackingNumber == "" ||
		len(p.OrderItems) == 0 || (p.CarrierCode == "Other" && p.CarrierName == "") {
		apiError(w, http.StatusBadRequest, "InvalidInput", "marketplaceId, packageReferenceId, carrierCode (carrierName with Other), trackingNumber and orderItems are required", "")
		return
	}
	if _, err := time.Parse(time.RFC3339, p.ShipDate); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidInput", "shipDate must be an ISO 8601 date-time", "")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	o := s.orders[r.PathValue("orderId")]
	if o == nil {
		apiError(w, http.StatusNotFound, "NotFound", "no such order", "")
		return
	}
	if st := o.Fulfillment.FulfillmentStatus; st != "UNSHIPPED" && st != "PARTIALLY_SHIPPED" {
		apiError(w, http.StatusBadRequest, "InvalidInput", "the order is "+st+", not unshipped", "")
		return
	}
	left := map[string]int64{}
	for _, it := range o.OrderItems {
		if it.Cancellation == nil {
			left[it.OrderItemID] = it.QuantityOrdered - fulfilled(it)
		}
	}
	for _, it := range p.OrderItems {
		if q, ok := left[it.OrderItemID]; !ok || it.Quantity <= 0 || it.Quantity > q {
			apiError(w, http.StatusBadRequest, "InvalidInput", "order item "+it.OrderItemID+" is not in the order in that quantity", "")
			return
		}
	}
	shipped := map[string]int64{}
	for _, it := range p.OrderItems {
		shipped[it.OrderItemID] += it.Quantity
	}
	status := "SHIPPED"
	for i := range o.OrderItems {
		it := &o.OrderItems[i]
		if it.Cancellation != nil {
			continue
		}
		done := fulfilled(*it) + shipped[it.OrderItemID]
		it.Fulfillment = &amazon.ItemFulfillment{QuantityFulfilled: done, QuantityUnfulfilled: it.QuantityOrdered - done}
		if done < it.QuantityOrdered {
			status = "PARTIALLY_SHIPPED"
		}
	}
	now := s.kit.TickAfter(o.updated)
	o.updated, o.LastUpdatedTime, o.Fulfillment.FulfillmentStatus = now, now.Format(time.RFC3339), status
	o.tracking, o.carrier = p.TrackingNumber, p.CarrierName
	w.WriteHeader(http.StatusNoContent)
}

func fulfilled(it amazon.OrderItem) int64 {
	if it.Fulfillment == nil {
		return 0
	}
	return it.Fulfillment.QuantityFulfilled
}
