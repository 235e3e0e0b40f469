package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/internal/messages"
)

// TestFinanceDay is issue 13's acceptance 1: a finance day walked on the
// embedded default through the API and the simulators only, never the
// database. Two orders on Flipkart are packed, dispatched and delivered;
// the marketplace's settlement file is imported on a channel whose return
// window is 0 days, so both makers' earnings are payable at once; a batch
// is drafted by one finance user, approved by another and sent through the
// RazorpayX simulator, whose bank returns one transfer; the failed line is
// back in its artisan's balance and she is told in Urdu; the other is paid
// with its UTR; the ledger balances.
func TestFinanceDay(t *testing.T) {
	rzp := freeAddr(t)
	in := start(t, map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms", "ARTISANBRIDGE_PULL_INTERVAL": "1s",
		"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0",
		"ARTISANBRIDGE_PAYOUT_PROVIDER": "razorpayx", "ARTISANBRIDGE_SIM_RAZORPAYX_ADDR": rzp})
	admin := in.addUser("admin")
	maker := in.addUser("finance")
	code, second := in.call(admin, "POST", "/api/v1/users", map[string]any{"name": "checker", "role": "finance"})
	if code != 201 {
		t.Fatalf("second finance user: %d %v", code, second)
	}
	checker := second["token"].(string)

	// The channel sells from the showroom, with no return window: a 0 means 0.
	_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
	_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
	var fk map[string]any
	for _, c := range chans["items"].([]any) {
		if c.(map[string]any)["kind"] == "flipkart" {
			fk = c.(map[string]any)
		}
	}
	fkID, fkSim := fk["id"].(string), strings.TrimSuffix(fk["base_url"].(string), "/sellers")
	code, ch := in.call(admin, "PATCH", "/api/v1/channels/"+fkID, map[string]any{"version": fk["version"],
		"settings": map[string]any{"return_window_days": 0, "locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}})
	if code != 200 || ch["effective_settings"].(map[string]any)["return_window_days"] != 0.0 || ch["effective_settings"].(map[string]any)["dispatch_days"] != 3.0 {
		t.Fatalf("channel settings: %d %v", code, ch)
	}
	fees := flipkartsim.SettlementFees
	if code, got := in.call(maker, "POST", "/api/v1/fee-schedules", map[string]any{"channel_id": fkID, "effective_from": "2024-04-01",
		"commission_bp": fees.CommissionBP, "fixed_fee_slabs": fees.FixedFeeSlabs, "collection_fee_bp": fees.CollectionFeeBP,
		"shipping_fee_paise": fees.ShippingFeePaise}); code != 201 {
		t.Fatalf("fee schedule: %d %v", code, got)
	}

	type artisan struct{ id, sku, language, lineRef string }
	makers := []*artisan{{sku: "PAPIER-1", language: "ur"}, {sku: "WICKER-1", language: "en"}}
	for i, m := range makers {
		_, a := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": fmt.Sprintf("FD-%d", i), "name": []string{"Shahida Bano", "Abdul Rashid"}[i],
			"craft": "papier_mache", "phone": fmt.Sprintf("+91 94190 1111%d", i), "language": m.language,
			"bank_account_number": fmt.Sprintf("00%010d", 4242420000+i), "bank_ifsc": "JAKA0SRNGAR"})
		m.id = a["id"].(string)
		_, p := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": m.sku, "title": "Piece " + m.sku, "craft": "papier_mache",
			"hsn_code": "48239090", "gst_rate_bp": 1200, "mrp_paise": 300000, "price_paise": 250000, "artisan_id": m.id, "artisan_price_paise": 150000})
		if code, got := in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": p["id"], "location_id": loc["id"], "kind": "intake", "quantity": 2}); code != 201 {
			t.Fatalf("intake: %d %v", code, got)
		}
		if code, got := in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", p["id"], fkID), map[string]any{"external_id": fmt.Sprintf("PAPR%012d", i)}); code != 200 {
			t.Fatalf("publish: %d %v", code, got)
		}
	}
	waitSims(t, []string{fkSim}, makers[0].sku, 250000, 2)
	waitSims(t, []string{fkSim}, makers[1].sku, 250000, 2)

	// A buyer orders each piece; staff pack and dispatch; the courier delivers.
	for _, m := range makers {
		simID := placeSimOrder(t, fkSim, m.sku, 1)
		o := in.ourOrder(admin, fkID, simID)
		task := taskOf(o)
		for _, step := range []map[string]any{{"to": "packed"}, {"to": "dispatched", "tracking_no": "FMPC" + simID[len(simID)-6:]}} {
			if code, got := in.call(admin, "POST", "/api/v1/fulfilment-tasks/"+task+"/transition", step); code != 200 {
				t.Fatalf("%s: %d %v", step["to"], code, got)
			}
		}
		resp, err := http.Post(fkSim+"/_sim/orders/"+simID+"/deliver", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		eventually(t, "order "+simID+" delivered here", 20*time.Second, func() (bool, any) {
			o := in.orderNow(admin, fkID, simID)
			return o != nil && o["status"] == "delivered", o
		})
	}

	// The settlement: both earnings payable at once (a window of 0 days).
	resp, err := http.Post(fkSim+"/_sim/settlements", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if code, sum := in.upload(maker, "/api/v1/settlements/import?channel_id="+fkID, "flipkart-settlement.csv", file); code != 200 || sum["settled"] != 2.0 {
		t.Fatalf("settlement: %d %v\n%s", code, sum, file)
	}
	for _, m := range makers {
		if _, st := in.call(maker, "GET", "/api/v1/artisans/"+m.id+"/statement", nil); st["payable_paise"] != 150000.0 || st["held_paise"] != 0.0 {
			t.Fatalf("right after the settlement, %s's statement: %v", m.sku, st)
		}
	}

	// Maker and checker; the bank will return Shahida's transfer.
	code, batch := in.call(maker, "POST", "/api/v1/payout-batches", map[string]any{})
	if code != 201 || batch["line_count"] != 2.0 {
		t.Fatalf("draft: %d %v", code, batch)
	}
	batchID := batch["id"].(string)
	if code, got := in.call(maker, "POST", "/api/v1/payout-batches/"+batchID+"/approve", nil); code != 403 {
		t.Fatalf("the maker approved: %d %v", code, got)
	}
	if code, got := in.call(checker, "POST", "/api/v1/payout-batches/"+batchID+"/approve", nil); code != 200 || got["status"] != "approved" {
		t.Fatalf("approve with no body: %d %v", code, got)
	}
	for _, l := range batch["lines"].([]any) {
		line := l.(map[string]any)
		for _, m := range makers {
			if m.id == line["artisan_id"] {
				m.lineRef = line["reference"].(string)
			}
		}
	}
	simPost(t, "http://"+rzp+"/_sim/plans", map[string]any{"reference_id": makers[0].lineRef, "status": "reversed",
		"reason": "Beneficiary account is dormant"})
	if code, got := in.call(maker, "POST", "/api/v1/payout-batches/"+batchID+"/send", nil); code != 202 || got["status"] != "sending" {
		t.Fatalf("send: %d %v", code, got)
	}
	var final map[string]any
	eventually(t, "the batch settled by the provider", 60*time.Second, func() (bool, any) {
		_, final = in.call(maker, "GET", "/api/v1/payout-batches/"+batchID, nil)
		return final["status"] == "partly_paid", final
	})
	for _, l := range final["lines"].([]any) {
		line := l.(map[string]any)
		switch line["reference"] {
		case makers[0].lineRef:
			if line["status"] != "failed" || !strings.Contains(line["failure_reason"].(string), "dormant") || line["provider"] != "razorpayx" {
				t.Fatalf("the returned line: %v", line)
			}
		case makers[1].lineRef:
			if line["status"] != "paid" || line["utr"] == "" || line["provider_payout_id"] == "" {
				t.Fatalf("the paid line: %v", line)
			}
		}
	}
	_, failed := in.call(maker, "GET", "/api/v1/artisans/"+makers[0].id+"/statement", nil)
	_, paid := in.call(maker, "GET", "/api/v1/artisans/"+makers[1].id+"/statement", nil)
	if failed["payable_paise"] != 150000.0 || failed["paid_paise"] != 0.0 || paid["payable_paise"] != 0.0 || paid["paid_paise"] != 150000.0 {
		t.Fatalf("after the payouts: returned %v, paid %v", failed, paid)
	}

	// Shahida is told in Urdu that the transfer failed (the embedded
	// default has no SMS gateway: messages go to the log).
	tmpl, _, err := messages.Default(nil).Template(messages.EventPayoutFailed, messages.Urdu)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.TrimSpace(strings.Split(tmpl.Text, messages.Var)[0])
	eventually(t, "Shahida told in Urdu", 20*time.Second, func() (bool, any) {
		for _, line := range strings.Split(in.logs.String(), "\n") {
			if strings.Contains(line, "sms (no gateway configured)") && strings.Contains(line, fixed) && regexp.MustCompile(`1,500`).MatchString(line) {
				return true, line
			}
		}
		return false, grepLines(in.logs.String(), "sms")
	})
	_, tb := in.call(maker, "GET", "/api/v1/ledger/trial-balance", nil)
	if tb["balanced"] != true || tb["debits_paise"] != tb["credits_paise"] {
		t.Fatalf("trial balance: %v", tb)
	}
}
