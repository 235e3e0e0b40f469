package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// simListings reads what the simulator at base now holds, by SKU.
func simListings(t *testing.T, base string) map[string]map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/_sim/listings")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Items []map[string]any `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	out := map[string]map[string]any{}
	for _, it := range body.Items {
		out[fmt.Sprint(it["sku"])] = it
	}
	return out
}

func waitSims(t *testing.T, bases []string, sku string, price, qty float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, base := range bases {
		for {
			got := simListings(t, base)[sku]
			if got != nil && got["price_paise"] == price && got["quantity"] == qty {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("simulator %s holds %v for %s, want price %v quantity %v", base, got, sku, price, qty)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// marketplace is what the test needs to know of one channel.
type marketplace struct {
	kind, id, simBase, externalID string
}

// TestPublishReachesSimulators is issue 3's first acceptance point: a
// product published to Flipkart and Amazon appears on both simulators with
// its price and quantity, through the real API shapes, and a stock
// movement reaches both within seconds.
func TestPublishReachesSimulators(t *testing.T) {
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
			_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
			markets := []*marketplace{{kind: "flipkart", externalID: "NMDA1234567890AB"}, {kind: "amazon"}}
			_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
			for _, m := range markets {
				var ch map[string]any
				for _, c := range chans["items"].([]any) {
					if c.(map[string]any)["kind"] == m.kind {
						ch = c.(map[string]any)
					}
				}
				if ch == nil {
					t.Fatalf("no %s channel: %v", m.kind, chans)
				}
				patch := map[string]any{"version": ch["version"],
					"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}}
				if ch["enabled"] != true {
					// Production: an admin points the channel at a marketplace
					// (here a simulator on loopback) and gives it credentials.
					m.simBase = configureSimulator(t, m.kind, patch)
				} else {
					m.simBase = strings.TrimSuffix(ch["base_url"].(string), "/sellers")
				}
				code, got := in.call(admin, "PATCH", "/api/v1/channels/"+ch["id"].(string), patch)
				if code != 200 || got["credentials_set"] != true || strings.Contains(fmt.Sprint(got), "sim-secret") {
					t.Fatalf("configure %s: %d %v", m.kind, code, got)
				}
				m.id = ch["id"].(string)
			}
			_, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "NM-1", "name": "Gulzar", "craft": "namda", "phone": "+91 94190 55555"})
			_, prod := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "NAMDA-RED-1", "title": "Red namda", "craft": "namda",
				"hsn_code": "57049000", "gst_rate_bp": 500, "mrp_paise": 500000, "price_paise": 450000, "artisan_id": art["id"], "artisan_price_paise": 300000})
			if code, m := in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"],
				"kind": "intake", "quantity": 5}); code != 201 {
				t.Fatalf("intake: %d %v", code, m)
			}
			var bases []string
			for _, m := range markets {
				code, l := in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], m.id), map[string]any{"external_id": m.externalID, "buffer": 1})
				if code != 200 {
					t.Fatalf("publish on %s: %d %v", m.kind, code, l)
				}
				bases = append(bases, m.simBase)
			}
			waitSims(t, bases, "NAMDA-RED-1", 450000, 4) // 5 on hand less a buffer of 1
			began := time.Now()
			in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "sale", "quantity": 2, "reason": "counter"})
			waitSims(t, bases, "NAMDA-RED-1", 450000, 2)
			t.Logf("a stock movement reached both simulators in %v", time.Since(began))
			// The listings record what was pushed once the marketplace has answered.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				_, ls := in.call(admin, "GET", "/api/v1/listings?product_id="+prod["id"].(string), nil)
				done := 0
				for _, it := range ls["items"].([]any) {
					item := it.(map[string]any)
					if item["status"] == "live" && item["pushed_quantity"] == 2.0 && item["in_sync"] == true {
						done++
					}
				}
				if done == len(markets) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("listings never recorded the push: %v", ls)
				}
			}
			// A buyer's order on Flipkart is pulled, reserves the unit, and
			// Amazon offers one less seconds later (issue 4, acceptance 1).
			began = time.Now()
			fkOrder := placeSimOrder(t, markets[0].simBase, "NAMDA-RED-1", 1)
			waitSims(t, []string{markets[1].simBase}, "NAMDA-RED-1", 450000, 1)
			t.Logf("a Flipkart order reached Amazon's quantity in %v", time.Since(began))
			// And the last unit offered, bought on Amazon, leaves Flipkart offering none.
			began = time.Now()
			amzOrder := placeSimOrder(t, markets[1].simBase, "NAMDA-RED-1", 1)
			waitSims(t, []string{markets[0].simBase}, "NAMDA-RED-1", 450000, 0)
			t.Logf("an Amazon order reached Flipkart's quantity in %v", time.Since(began))
			fulfilEndToEnd(t, in, admin, markets[0], markets[1], prod["id"].(string), loc["id"].(string), fkOrder, amzOrder)
			settleEndToEnd(t, in, markets[0], markets[1], fkOrder, art["id"].(string))
			// A refused listing shows the marketplace's own words and opens an exception.
			_, p2 := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "NAMDA-BLUE-1", "title": "Blue namda", "craft": "namda",
				"hsn_code": "57049000", "gst_rate_bp": 500, "mrp_paise": 500000, "price_paise": 450000, "artisan_id": art["id"], "artisan_price_paise": 300000})
			in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", p2["id"], markets[0].id), map[string]any{"external_id": "bad-fsn"})
			deadline := time.Now().Add(20 * time.Second)
			for {
				_, ex := in.call(admin, "GET", "/api/v1/exceptions?kind=listing_rejected", nil)
				if items, _ := ex["items"].([]any); len(items) == 1 {
					if d := items[0].(map[string]any)["detail"].(string); !strings.Contains(d, "FSN") {
						t.Fatalf("exception does not carry Flipkart's message: %v", items[0])
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no listing_rejected exception")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// configureSimulator starts a simulator of kind for the test and adds to
// patch what points a production channel at it.
func configureSimulator(t *testing.T, kind string, patch map[string]any) string {
	t.Helper()
	var h http.Handler
	var creds map[string]string
	var basePath, tokenPath string
	switch kind {
	case "flipkart":
		h, basePath, tokenPath = flipkartsim.New(flipkartsim.Config{Seed: 7}), "/sellers", "/oauth-service/oauth/token"
		creds = map[string]string{"app_id": flipkartsim.AppID, "app_secret": flipkartsim.AppSecret}
	case "amazon":
		h, tokenPath = amazonsim.New(amazonsim.Config{Seed: 7}), "/auth/o2/token"
		creds = map[string]string{"client_id": amazonsim.ClientID, "client_secret": amazonsim.ClientSecret,
			"refresh_token": amazonsim.RefreshToken, "seller_id": amazonsim.SellerID}
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	patch["base_url"], patch["token_url"], patch["enabled"], patch["credentials"] = srv.URL+basePath, srv.URL+tokenPath, true, creds
	return srv.URL
}
