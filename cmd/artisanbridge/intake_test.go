package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// simPost posts body to a simulator's control API and returns its answer.
func simPost(t testing.TB, url string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
	}
	return out
}

// lineStates maps each line of one of our orders to its status.
func lineStates(o map[string]any) map[string]string {
	out := map[string]string{}
	lines, _ := o["lines"].([]any)
	for _, l := range lines {
		m := l.(map[string]any)
		out[fmt.Sprint(m["external_line_id"])] = fmt.Sprint(m["status"])
	}
	return out
}

// orderNow reads one of our orders by its marketplace id, nil if absent.
func (in *instance) orderNow(token, channelID, externalID string) map[string]any {
	in.t.Helper()
	_, list := in.call(token, "GET", "/api/v1/orders?channel_id="+channelID+"&limit=200", nil)
	items, _ := list["items"].([]any)
	for _, it := range items {
		if o := it.(map[string]any); o["external_order_id"] == externalID {
			return o
		}
	}
	return nil
}

// TestPerLineIntakeEndToEnd is issue 9's first and third acceptance
// through the binary, on both backends: a buyer's two-item Flipkart order
// is taken in with both lines reserved; an item corrupted on the wire
// opens a missed_order holding what Flipkart sent, which a retry takes in
// once it reads again; and the buyer cancelling one item cancels that line
// alone, its unit offered again, the other line still reserved.
func TestPerLineIntakeEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded", func(t *testing.T) map[string]string {
			return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms", "ARTISANBRIDGE_PULL_INTERVAL": "1s",
				"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"}
		}},
		{"postgres+redis", func(t *testing.T) map[string]string {
			_, redisURL := testenv.RealRedis(t)
			return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "DATABASE_URL": testenv.NewPostgresDatabase(t), "REDIS_URL": redisURL,
				"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms", "ARTISANBRIDGE_PULL_INTERVAL": "1s"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := start(t, tc.env(t))
			admin := in.addUser("admin")
			ops := in.addUser("operations")
			_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
			fk := &marketplace{kind: "flipkart"}
			_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
			var ch map[string]any
			for _, c := range chans["items"].([]any) {
				if c.(map[string]any)["kind"] == "flipkart" {
					ch = c.(map[string]any)
				}
			}
			if ch == nil {
				t.Fatalf("no flipkart channel: %v", chans)
			}
			patch := map[string]any{"version": ch["version"],
				"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}}
			if ch["enabled"] != true {
				fk.simBase = configureSimulator(t, "flipkart", patch)
			} else {
				fk.simBase = strings.TrimSuffix(ch["base_url"].(string), "/sellers")
			}
			if code, got := in.call(admin, "PATCH", "/api/v1/channels/"+ch["id"].(string), patch); code != 200 {
				t.Fatalf("configure flipkart: %d %v", code, got)
			}
			fk.id = ch["id"].(string)
			_, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "KN-1", "name": "Ghulam", "craft": "kani_shawl"})
			for i, sku := range []string{"KANI-1", "SOZNI-1"} {
				_, p := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": sku, "title": "Shawl " + sku, "craft": "kani_shawl",
					"hsn_code": "62142010", "gst_rate_bp": 500, "mrp_paise": 900000, "price_paise": 800000, "artisan_id": art["id"], "artisan_price_paise": 500000})
				if code, m := in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": p["id"], "location_id": loc["id"],
					"kind": "intake", "quantity": 3}); code != 201 {
					t.Fatalf("intake: %d %v", code, m)
				}
				fsn := fmt.Sprintf("KANISHAWL%07d", i)
				if code, l := in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", p["id"], fk.id), map[string]any{"external_id": fsn}); code != 200 {
					t.Fatalf("publish %s: %d %v", sku, code, l)
				}
			}
			waitSims(t, []string{fk.simBase}, "KANI-1", 800000, 3)
			waitSims(t, []string{fk.simBase}, "SOZNI-1", 800000, 3)

			// A buyer orders both shawls in one shipment.
			placed := simPost(t, fk.simBase+"/_sim/orders", map[string]any{"items": []any{
				map[string]any{"sku": "KANI-1", "quantity": 1}, map[string]any{"sku": "SOZNI-1", "quantity": 1}}})
			orderID := placed["id"].(string)
			kani := placed["items"].([]any)[0].(map[string]any)["id"].(string)
			sozni := placed["items"].([]any)[1].(map[string]any)["id"].(string)
			var ours map[string]any
			eventually(t, "both lines taken in reserved", 20*time.Second, func() (bool, any) {
				ours = in.orderNow(ops, fk.id, orderID)
				st := lineStates(ours)
				return len(st) == 2 && st[kani] == "reserved" && st[sozni] == "reserved", ours
			})
			waitSims(t, []string{fk.simBase}, "KANI-1", 800000, 2)

			t.Run("an item corrupted on the wire is a missed order", func(t *testing.T) {
				simPost(t, fk.simBase+"/_sim/faults", map[string]any{"corrupt_items": 1})
				bad := simPost(t, fk.simBase+"/_sim/orders", map[string]any{"sku": "SOZNI-1", "quantity": 1})
				badOrder := bad["id"].(string)
				badItem := bad["items"].([]any)[0].(map[string]any)["id"].(string)
				var ex map[string]any
				eventually(t, "a missed_order for the corrupted item", 20*time.Second, func() (bool, any) {
					_, list := in.call(ops, "GET", "/api/v1/exceptions?kind=missed_order", nil)
					items, _ := list["items"].([]any)
					for _, it := range items {
						if e := it.(map[string]any); strings.Contains(fmt.Sprint(e["summary"]), badOrder) {
							ex = e
							return true, e
						}
					}
					return false, list
				})
				payload := fmt.Sprint(ex["payload"])
				if !strings.Contains(payload, badItem) || !strings.Contains(payload, `"quantity":-1`) || !json.Valid([]byte(payload)) ||
					!strings.Contains(fmt.Sprint(ex["detail"]), "quantity -1") || !strings.Contains(fmt.Sprint(ex["action"]), "retry") {
					t.Fatalf("the missed_order does not hold what Flipkart sent: %v", ex)
				}
				id := ex["id"].(string)
				if code, got := in.call(ops, "POST", "/api/v1/exceptions/"+id+"/retry", nil); code != 422 || !strings.Contains(fmt.Sprint(got), "quantity -1") {
					t.Fatalf("retry while still corrupt: %d %v", code, got)
				}
				// Still open and saying why (each pull, as the retry did,
				// refreshes the detail with the reason).
				_, list := in.call(ops, "GET", "/api/v1/exceptions?kind=missed_order&status=open", nil)
				open := false
				for _, it := range list["items"].([]any) {
					e := it.(map[string]any)
					open = open || (e["id"] == id && strings.Contains(fmt.Sprint(e["detail"]), "quantity -1"))
				}
				if !open {
					t.Fatalf("after a failed retry the exception is not open with its reason: %v", list)
				}
				simPost(t, fk.simBase+"/_sim/faults", map[string]any{})
				// Operations retries it from the console's exceptions queue:
				// the button is there for a missed order, behind the session's
				// CSRF token and the form's Idempotency-Key; the form sent
				// twice (a retry on a dropped link) takes the order in once.
				in.setPassword("e2e-operations", consolePassword)
				v := in.visitor()
				if a := v.signIn("e2e-operations", consolePassword); a.status != 303 {
					t.Fatalf("sign in: %d", a.status)
				}
				queue := "/operations/exceptions?kind=missed_order"
				page := v.get(queue)
				retryForm := regexp.MustCompile(`<form method="post" class="inline"><input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="idem" value="([^"]+)"><input type="hidden" name="do" value="retry"><input type="hidden" name="exception_id" value="` + regexp.QuoteMeta(id) + `">`)
				m := retryForm.FindStringSubmatch(page.body)
				if page.status != 200 || m == nil {
					t.Fatalf("the exceptions queue offers no retry for missed order %s: %d %s", id, page.status, page.body)
				}
				form := url.Values{"do": {"retry"}, "exception_id": {id}, "idem": {m[1]}}
				first := v.submit(queue, form)
				again := v.submit(queue, form)
				if first.status != 303 || !strings.Contains(first.location, "done=flash.retried") || again.status != 303 || again.location != first.location ||
					again.header.Get("Idempotency-Replayed") != "true" {
					t.Fatalf("retry from the console: %d %q %s; sent again: %d %q %v", first.status, first.location, first.body, again.status, again.location, again.header)
				}
				_, done := in.call(ops, "GET", "/api/v1/exceptions?kind=missed_order&status=resolved", nil)
				var e map[string]any
				for _, it := range done["items"].([]any) {
					if it.(map[string]any)["id"] == id {
						e = it.(map[string]any)
					}
				}
				if e == nil || e["resolved_by"] != "e2e-operations" {
					t.Fatalf("retry once mended: %v", done)
				}
				if page := v.get(queue + "&status=open"); strings.Contains(page.body, `name="exception_id" value="`+id+`"`) {
					t.Error("the resolved missed order is still offered in the open queue")
				}
				if st := lineStates(in.orderNow(ops, fk.id, badOrder)); st[badItem] != "reserved" {
					t.Fatalf("the retried item: %v", st)
				}
				_, audit := in.call(admin, "GET", "/api/v1/audit?resource=exception&resource_id="+id, nil)
				if entries, _ := audit["items"].([]any); len(entries) != 1 || entries[0].(map[string]any)["actor_name"] != "e2e-operations" {
					t.Fatalf("the retry's resolution is not audited: %v", audit)
				}
			})

			t.Run("one item cancelled by the buyer", func(t *testing.T) {
				simPost(t, fk.simBase+"/_sim/orders/"+orderID+"/items/"+kani+"/cancel", nil)
				deadline := time.Now().Add(20 * time.Second)
				for {
					ours = in.orderNow(ops, fk.id, orderID)
					st := lineStates(ours)
					if st[kani] == "cancelled" && st[sozni] == "reserved" {
						break
					}
					if time.Now().After(deadline) {
						sim := simOrder(t, fk.simBase, orderID)
						t.Fatalf("after the buyer cancelled item %s of order %s on Flipkart, our lines are %v (want %s cancelled, %s reserved)\n"+
							"our order: %v\nFlipkart's: %v", kani, orderID, st, kani, sozni, ours, sim)
					}
					time.Sleep(100 * time.Millisecond)
				}
				// The cancelled unit is offered again; the other line keeps its unit.
				waitSims(t, []string{fk.simBase}, "KANI-1", 800000, 3)
				if got := simListings(t, fk.simBase)["SOZNI-1"]["quantity"]; got != 1.0 {
					t.Fatalf("SOZNI-1 offered %v, want 1 (3 less the live line and the retried order)", got)
				}
			})
		})
	}
}
