package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

func waitSim(t *testing.T, base, sku string, price, qty float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := simListings(t, base)[sku]
		if got != nil && got["price_paise"] == price && got["quantity"] == qty {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulator holds %v for %s, want price %v quantity %v", got, sku, price, qty)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPublishReachesSimulator: a product published to the Flipkart channel
// appears on the simulator with its price and quantity, through the real
// API shapes, and a stock movement reaches it within seconds.
func TestPublishReachesSimulator(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded", func(t *testing.T) map[string]string {
			return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms",
				"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0"}
		}},
		{"postgres+redis", func(t *testing.T) map[string]string {
			_, redisURL := testenv.RealRedis(t)
			return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "DATABASE_URL": testenv.NewPostgresDatabase(t), "REDIS_URL": redisURL,
				"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := start(t, tc.env(t))
			admin := in.addUser("admin")
			code, chans := in.call(admin, "GET", "/api/v1/channels", nil)
			var fk map[string]any
			for _, c := range chans["items"].([]any) {
				if c.(map[string]any)["kind"] == "flipkart" {
					fk = c.(map[string]any)
				}
			}
			if code != 200 || fk == nil {
				t.Fatalf("no flipkart channel: %d %v", code, chans)
			}
			if fk["enabled"] != true {
				// Production: an admin points the channel at a marketplace (here a
				// simulator on loopback) and gives it credentials.
				sim := httptest.NewServer(flipkartsim.New(flipkartsim.Config{Seed: 7}))
				defer sim.Close()
				code, m := in.call(admin, "PATCH", "/api/v1/channels/"+fk["id"].(string), map[string]any{"version": fk["version"],
					"base_url": sim.URL + "/sellers", "token_url": sim.URL + "/oauth-service/oauth/token", "enabled": true,
					"credentials": map[string]string{"app_id": flipkartsim.AppID, "app_secret": flipkartsim.AppSecret}})
				if code != 200 || m["credentials_set"] != true || strings.Contains(fmt.Sprint(m), flipkartsim.AppSecret) {
					t.Fatalf("configure channel: %d %v", code, m)
				}
				fk = m
			} else if fk["credentials_set"] != true {
				t.Fatalf("embedded simulator channel without credentials: %v", fk)
			}
			simBase := strings.TrimSuffix(fk["base_url"].(string), "/sellers")
			_, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "NM-1", "name": "Gulzar", "craft": "namda"})
			_, prod := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "NAMDA-RED-1", "title": "Red namda", "craft": "namda",
				"hsn_code": "57049000", "gst_rate_bp": 500, "mrp_paise": 500000, "price_paise": 450000, "artisan_id": art["id"], "artisan_price_paise": 300000})
			_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
			code, m := in.call(admin, "PATCH", "/api/v1/channels/"+fk["id"].(string), map[string]any{"version": fk["version"],
				"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}})
			if code != 200 {
				t.Fatalf("map location: %d %v", code, m)
			}
			if code, m := in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"],
				"kind": "intake", "quantity": 5}); code != 201 {
				t.Fatalf("intake: %d %v", code, m)
			}
			code, l := in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], fk["id"]), map[string]any{"external_id": "NMDA1234567890AB", "buffer": 1})
			if code != 200 {
				t.Fatalf("publish: %d %v", code, l)
			}
			waitSim(t, simBase, "NAMDA-RED-1", 450000, 4) // 5 on hand less a buffer of 1
			began := time.Now()
			in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "sale", "quantity": 2, "reason": "counter"})
			waitSim(t, simBase, "NAMDA-RED-1", 450000, 2)
			t.Logf("a stock movement reached the simulator in %v", time.Since(began))
			code, ls := in.call(admin, "GET", "/api/v1/listings?product_id="+prod["id"].(string), nil)
			item := ls["items"].([]any)[0].(map[string]any)
			if code != 200 || item["status"] != "live" || item["pushed_quantity"].(float64) != 2 {
				t.Fatalf("listing: %d %v", code, item)
			}
			// A refused listing shows the marketplace's own words and opens an exception.
			_, p2 := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "NAMDA-BLUE-1", "title": "Blue namda", "craft": "namda",
				"hsn_code": "57049000", "gst_rate_bp": 500, "mrp_paise": 500000, "price_paise": 450000, "artisan_id": art["id"], "artisan_price_paise": 300000})
			in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", p2["id"], fk["id"]), map[string]any{"external_id": "bad-fsn"})
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
