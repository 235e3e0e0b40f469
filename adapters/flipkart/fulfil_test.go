package flipkart_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
)

// simCall calls the simulator's control API directly.
func simCall(t *testing.T, e *env, method, path, body string, v any) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.sim.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	if rec.Code >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
}

// TestShipmentActions: packing generates labels (PACKED), dispatch marks
// the shipment ready at its location, each answered per shipment; a step
// out of order or a cancellation after packing is refused by Flipkart and
// comes back as a refusal, not a transport error to retry.
func TestShipmentActions(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	if _, err := e.client.PushListings(ctx, []adapters.Listing{listing(1), listing(2)}); err != nil {
		t.Fatal(err)
	}
	var first, second struct{ ID string }
	simCall(t, e, "POST", "/_sim/orders", `{"sku":"KANI-001","quantity":1}`, &first)
	simCall(t, e, "POST", "/_sim/orders", `{"sku":"KANI-002","quantity":1}`, &second)
	page, err := e.client.FetchOrders(ctx, adapters.OrderCursor{Since: time.Now().Add(-time.Hour)})
	if err != nil || len(page.Orders) != 2 {
		t.Fatalf("fetch: %+v %v", page, err)
	}
	update := func(i int, step string) adapters.FulfilmentUpdate {
		o := page.Orders[i]
		l := o.Lines[0]
		if l.ExternalShipmentID == "" || l.ExternalLocationID != "LOC-SRINAGAR" {
			t.Fatalf("line without its shipment or location: %+v", l)
		}
		return adapters.FulfilmentUpdate{Step: step, ExternalOrderID: o.ExternalOrderID, LocationID: l.ExternalLocationID, At: time.Now(),
			Lines: []adapters.FulfilmentLine{{ExternalLineID: l.ExternalLineID, ExternalShipmentID: l.ExternalShipmentID, SKU: l.SKU, Quantity: 1, GSTRateBP: 500}}}
	}
	state := func(id string) string {
		var o struct{ Status string }
		simCall(t, e, "GET", "/_sim/orders/"+id, "", &o)
		return o.Status
	}
	var refusal *adapters.Refusal
	if err := e.client.PushFulfilment(ctx, update(0, adapters.StepDispatched)); !errors.As(err, &refusal) || state(first.ID) != "APPROVED" {
		t.Fatalf("dispatch before labels: %v", err)
	}
	wrongPlace := update(0, adapters.StepPacked)
	wrongPlace.LocationID = "LOC-JAMMU"
	if err := e.client.PushFulfilment(ctx, wrongPlace); !errors.As(err, &refusal) || refusal.Code != "INVALID_LOCATION_ID" {
		t.Fatalf("labels at the wrong location: %v", err)
	}
	for step, want := range map[string]string{adapters.StepPacked: "PACKED"} {
		if err := e.client.PushFulfilment(ctx, update(0, step)); err != nil || state(first.ID) != want {
			t.Fatalf("%s: %v, simulator says %s", step, err, state(first.ID))
		}
	}
	if err := e.client.PushFulfilment(ctx, update(0, adapters.StepDispatched)); err != nil || state(first.ID) != "READY_TO_DISPATCH" {
		t.Fatalf("dispatch: %v, simulator says %s", err, state(first.ID))
	}
	if err := e.client.PushFulfilment(ctx, update(0, adapters.StepCancelled)); !errors.As(err, &refusal) || state(first.ID) != "READY_TO_DISPATCH" {
		t.Fatalf("a cancellation after packing: %v", err)
	}
	if err := e.client.PushFulfilment(ctx, update(1, adapters.StepCancelled)); err != nil || state(second.ID) != "CANCELLED" {
		t.Fatalf("a cancellation before packing: %v, simulator says %s", err, state(second.ID))
	}
	calls := e.sim.CallCounts()
	if calls["shipments.labels"].Calls != 2 || calls["shipments.dispatch"].Calls != 2 || calls["shipments.cancel"].Calls != 2 {
		t.Fatalf("calls %+v", calls)
	}
}

// TestShipmentActionAnswers: what Flipkart answers is untrusted; a
// shipment missing from the answer or failing in it is a refusal.
func TestShipmentActionAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		refused    bool
	}{
		{"success", `{"shipments":[{"shipmentId":"S1","status":"SUCCESS"}]}`, false},
		{"lower-case success", `{"shipments":[{"shipmentId":"S1","status":"success"}]}`, false},
		{"failure", `{"shipments":[{"shipmentId":"S1","status":"FAILURE","errorCode":"UNPROCESSABLE_ENTITY"}]}`, true},
		{"missing", `{"shipments":[]}`, true},
		{"another shipment", `{"shipments":[{"shipmentId":"S2","status":"SUCCESS"}]}`, true},
	}
	for _, tc := range tests {
		err := flipkart.ActionOutcome([]byte(tc.body), []string{"S1"})
		var refusal *adapters.Refusal
		if got := errors.As(err, &refusal); got != tc.refused || (!tc.refused && err != nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if err := flipkart.ActionOutcome([]byte(`not json`), []string{"S1"}); err == nil {
		t.Error("an unreadable answer was accepted")
	}
}
