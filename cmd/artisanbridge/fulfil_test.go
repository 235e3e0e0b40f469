package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

// eventually polls cond until it holds or within has passed: the one
// polling helper of this package's tests.
func eventually(t *testing.T, what string, within time.Duration, cond func() (bool, any)) {
	t.Helper()
	eventuallyEvery(t, what, within, 50*time.Millisecond, cond)
}

// eventuallyEvery is eventually asking cond every interval (a slower pace
// where cond itself is heavy, as the demo's is); cond is asked at least
// once.
func eventuallyEvery(t *testing.T, what string, within, interval time.Duration, cond func() (bool, any)) {
	t.Helper()
	var last any
	began := time.Now()
	for deadline := began.Add(within); ; time.Sleep(interval) {
		var ok bool
		if ok, last = cond(); ok {
			t.Logf("%s in %v", what, time.Since(began).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	t.Fatalf("%s: never happened; last seen %v", what, last)
}

// placeSimOrder orders as a buyer on a simulator and returns the order id.
func placeSimOrder(t *testing.T, simBase, sku string, qty int) string {
	t.Helper()
	resp, err := http.Post(simBase+"/_sim/orders", "application/json", strings.NewReader(fmt.Sprintf(`{"sku":%q,"quantity":%d}`, sku, qty)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 201 {
		t.Fatalf("order on %s: %d %v", simBase, resp.StatusCode, err)
	}
	return out.ID
}

// simOrder reads an order as the marketplace sees it.
func simOrder(t *testing.T, simBase, id string) map[string]any {
	t.Helper()
	resp, err := http.Get(simBase + "/_sim/orders/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// ourOrder waits for a marketplace order to be pulled and returns it.
func (in *instance) ourOrder(token, channelID, externalID string) map[string]any {
	in.t.Helper()
	var found map[string]any
	eventually(in.t, "order "+externalID+" pulled", 20*time.Second, func() (bool, any) {
		_, list := in.call(token, "GET", "/api/v1/orders?channel_id="+channelID+"&limit=200", nil)
		for _, it := range list["items"].([]any) {
			if o := it.(map[string]any); o["external_order_id"] == externalID {
				found = o
				return true, o
			}
		}
		return false, list
	})
	return found
}

func taskOf(o map[string]any) string {
	return o["lines"].([]any)[0].(map[string]any)["fulfilment_task_id"].(string)
}

// fulfilEndToEnd is issue 4's fulfilment through the simulators: packing
// and dispatch reach Flipkart (labels, ready to dispatch) and Amazon
// (shipment confirmation with the tracking number), an order operations
// cancel is cancelled on Flipkart and its unit offered on Amazon again,
// and the maker of every line was told.
func fulfilEndToEnd(t *testing.T, in *instance, admin string, flipkart, amazon *marketplace, productID, locationID, fkOrder, amzOrder string) {
	ops := in.addUser("operations")
	showroom := in.addUser("showroom")
	step := func(task, to string, extra map[string]any) {
		t.Helper()
		body := map[string]any{"to": to}
		for k, v := range extra {
			body[k] = v
		}
		if code, got := in.call(showroom, "POST", "/api/v1/fulfilment-tasks/"+task+"/transition", body); code != 200 {
			t.Fatalf("%s: %d %v", to, code, got)
		}
	}
	simStatus := func(base, id, want string) func() (bool, any) {
		return func() (bool, any) { o := simOrder(t, base, id); return o["status"] == want, o }
	}

	fk := in.ourOrder(ops, flipkart.id, fkOrder)
	step(taskOf(fk), "packed", nil)
	eventually(t, "Flipkart shipment packed", 15*time.Second, simStatus(flipkart.simBase, fkOrder, "PACKED"))
	step(taskOf(fk), "dispatched", map[string]any{"tracking_no": "FMPC0123456789"})
	eventually(t, "Flipkart shipment ready to dispatch", 30*time.Second, simStatus(flipkart.simBase, fkOrder, "READY_TO_DISPATCH"))

	amz := in.ourOrder(ops, amazon.id, amzOrder)
	step(taskOf(amz), "packed", nil)
	step(taskOf(amz), "dispatched", map[string]any{"tracking_no": "EM123456789IN", "carrier": "India Post"})
	eventually(t, "Amazon order confirmed shipped", 30*time.Second, func() (bool, any) {
		o := simOrder(t, amazon.simBase, amzOrder)
		return o["status"] == "SHIPPED" && o["tracking"] == "EM123456789IN" && o["carrier"] == "India Post", o
	})

	// Operations cancel a fresh Flipkart order before packing.
	if code, m := in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": productID, "location_id": locationID,
		"kind": "intake", "quantity": 2}); code != 201 {
		t.Fatalf("intake: %d %v", code, m)
	}
	// 1 left after both dispatches, 2 taken in, less the buffer of 1.
	waitSims(t, []string{flipkart.simBase, amazon.simBase}, "NAMDA-RED-1", 450000, 2)
	third := placeSimOrder(t, flipkart.simBase, "NAMDA-RED-1", 1)
	cancelled := in.ourOrder(ops, flipkart.id, third)
	waitSims(t, []string{amazon.simBase}, "NAMDA-RED-1", 450000, 1)
	if code, got := in.call(showroom, "POST", "/api/v1/orders/"+cancelled["id"].(string)+"/cancel", map[string]any{"reason": "buyer asked"}); code != 403 {
		t.Fatalf("showroom staff cancelled an order: %d %v", code, got)
	}
	code, got := in.call(ops, "POST", "/api/v1/orders/"+cancelled["id"].(string)+"/cancel", map[string]any{"reason": "the piece is damaged"})
	if code != 200 || got["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", code, got)
	}
	eventually(t, "Flipkart shipment cancelled", 30*time.Second, func() (bool, any) {
		ok, last := simStatus(flipkart.simBase, third, "CANCELLED")()
		if !ok {
			_, ex := in.call(ops, "GET", "/api/v1/exceptions", nil)
			return false, fmt.Sprintf("%v\nexceptions: %v\nlogs with the cancellation:\n%s", last, ex,
				grepLines(in.logs.String(), "cancel", "fulfilment-push", "task failed", "consumer failed"))
		}
		return true, last
	})
	waitSims(t, []string{amazon.simBase}, "NAMDA-RED-1", 450000, 2)
	if code, got := in.call(ops, "POST", "/api/v1/orders/"+fk["id"].(string)+"/cancel", map[string]any{"reason": "too late"}); code != 409 {
		t.Fatalf("cancelling a dispatched order: %d %v", code, got)
	}
	// Every line's maker was told (the log sender of the default setup).
	eventually(t, "makers told", 15*time.Second, func() (bool, any) {
		_, tasks := in.call(ops, "GET", "/api/v1/fulfilment-tasks?limit=50", nil)
		told := 0
		for _, it := range tasks["items"].([]any) {
			if it.(map[string]any)["artisan_notified_at"] != nil {
				told++
			}
		}
		return told == len(tasks["items"].([]any)) && told >= 3, tasks
	})
}

// grepLines keeps the log lines that mention any of words.
func grepLines(logs string, words ...string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// upload posts a file as multipart field "file" with a token.
func (in *instance) upload(token, path, name string, data []byte) (int, map[string]any) {
	in.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", in.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// settleEndToEnd is the finance issue's first acceptance through the
// binary: the Flipkart order, delivered, is settled by the simulator's
// settlement file imported by finance; the Amazon order's settlement is
// pulled from Amazon's Reports API; each makes the maker's earning exactly
// the agreed price (held in the return window), and the ledger balances.
func settleEndToEnd(t *testing.T, in *instance, flipkart, amazon *marketplace, fkOrder, artisanID string) {
	fin := in.addUser("finance")
	for _, m := range []struct {
		mk   *marketplace
		fees finance.FeeSchedule
	}{{flipkart, flipkartsim.SettlementFees}, {amazon, amazonsim.SettlementFees}} {
		body := map[string]any{"channel_id": m.mk.id, "effective_from": "2020-01-01", "commission_bp": m.fees.CommissionBP,
			"fixed_fee_slabs": m.fees.FixedFeeSlabs, "collection_fee_bp": m.fees.CollectionFeeBP, "shipping_fee_paise": m.fees.ShippingFeePaise}
		if code, got := in.call(fin, "POST", "/api/v1/fee-schedules", body); code != 201 {
			t.Fatalf("fee schedule: %d %v", code, got)
		}
	}
	resp, err := http.Post(flipkart.simBase+"/_sim/orders/"+fkOrder+"/deliver", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post(flipkart.simBase+"/_sim/settlements", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, sum := in.upload(fin, "/api/v1/settlements/import?channel_id="+flipkart.id, "flipkart-settlement.csv", file)
	if code != 200 || sum["settled"] != 1.0 {
		t.Fatalf("Flipkart settlement: %d %v\n%s", code, sum, file)
	}
	resp, err = http.Post(amazon.simBase+"/_sim/settlements", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, sum = in.call(fin, "POST", "/api/v1/settlements/pull?channel_id="+amazon.id, nil)
	if code != 200 || sum["settled"] != 1.0 {
		t.Fatalf("Amazon settlement pull: %d %v", code, sum)
	}
	if code, again := in.call(fin, "POST", "/api/v1/settlements/pull?channel_id="+amazon.id, nil); code != 200 || again["new"] != 0.0 {
		t.Fatalf("a second pull imported again: %d %v", code, again)
	}
	_, st := in.call(fin, "GET", "/api/v1/artisans/"+artisanID+"/statement", nil)
	if st["held_paise"] != 600000.0 || st["payable_paise"] != 0.0 {
		t.Fatalf("statement: %v", st)
	}
	_, tb := in.call(fin, "GET", "/api/v1/ledger/trial-balance", nil)
	if tb["balanced"] != true || tb["debits_paise"] != tb["credits_paise"] || tb["debits_paise"] == 0.0 {
		t.Fatalf("trial balance: %v", tb)
	}
}
