package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// notificationCount reads one outcome of artisanbridge_marketplace_notifications_total.
func notificationCount(t *testing.T, metricsBase, outcome string) float64 {
	t.Helper()
	_, body := get(t, metricsBase+"/metrics")
	re := regexp.MustCompile(`artisanbridge_marketplace_notifications_total\{kind="flipkart",outcome="` + outcome + `"\} (\S+)`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// flipkartOrders counts our orders of a channel by marketplace id, with
// how many lines each holds reserved.
func (in *instance) flipkartOrders(token, channelID string) map[string]int {
	in.t.Helper()
	out := map[string]int{}
	_, list := in.call(token, "GET", "/api/v1/orders?channel_id="+channelID+"&limit=500", nil)
	items, _ := list["items"].([]any)
	for _, it := range items {
		o := it.(map[string]any)
		n := 0
		for _, st := range lineStates(o) {
			if st == "reserved" {
				n++
			}
		}
		out[fmt.Sprint(o["external_order_id"])] += n
	}
	return out
}

func postNotification(t *testing.T, url string, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFlipkartNotificationsEndToEnd is issue 10's third acceptance
// through the binary, on both backends. The order pull runs hourly, so
// only notifications bring orders in quickly: on the embedded default the
// simulator notifies the service out of the box; repeated, reordered and
// delayed notifications still take every order in exactly once (one
// reserved line each, the quantity offered down by one per order); lost
// ones come in through the pull (a rescan, as the hourly pull would); bad
// signatures, old dates and replays are refused and counted in /metrics.
func TestFlipkartNotificationsEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded", func(t *testing.T) map[string]string {
			return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms", "ARTISANBRIDGE_PULL_INTERVAL": "1h",
				"ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"}
		}},
		{"postgres+redis", func(t *testing.T) map[string]string {
			_, redisURL := testenv.RealRedis(t)
			return map[string]string{"ARTISANBRIDGE_DATA_DIR": t.TempDir(), "DATABASE_URL": testenv.NewPostgresDatabase(t), "REDIS_URL": redisURL,
				"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_RELAY_INTERVAL": "100ms", "ARTISANBRIDGE_PULL_INTERVAL": "1h"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env(t)
			env["ARTISANBRIDGE_METRICS_ADDR"] = freeAddr(t)
			in := start(t, env)
			metrics := "http://" + env["ARTISANBRIDGE_METRICS_ADDR"]
			hook := in.base + "/webhooks/flipkart"
			admin := in.addUser("admin")
			ops := in.addUser("operations")
			_, loc := in.call(admin, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
			_, chans := in.call(admin, "GET", "/api/v1/channels", nil)
			var ch map[string]any
			for _, c := range chans["items"].([]any) {
				if c.(map[string]any)["kind"] == "flipkart" {
					ch = c.(map[string]any)
				}
			}
			patch := map[string]any{"version": ch["version"],
				"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}}
			var simBase string
			embedded := ch["enabled"] == true
			if embedded {
				simBase = strings.TrimSuffix(ch["base_url"].(string), "/sellers")
			} else {
				simBase = configureSimulator(t, "flipkart", patch)
			}
			if code, got := in.call(admin, "PATCH", "/api/v1/channels/"+ch["id"].(string), patch); code != 200 {
				t.Fatalf("configure flipkart: %d %v", code, got)
			}
			fk := ch["id"].(string)
			faults := func(f map[string]any) {
				f["url"] = hook
				b, _ := jsonBody(f)
				req, _ := http.NewRequest("PUT", simBase+"/_sim/notifications", b)
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("notification faults: %v %v", resp, err)
				}
				resp.Body.Close()
			}
			if !embedded {
				faults(map[string]any{}) // production: the receiver URL is registered with Flipkart
			}
			_, art := in.call(admin, "POST", "/api/v1/artisans", map[string]any{"code": "PM-1", "name": "Rafiq", "craft": "papier_mache"})
			_, p := in.call(admin, "POST", "/api/v1/products", map[string]any{"sku": "PAPIER-1", "title": "Papier-mache box", "craft": "papier_mache",
				"hsn_code": "48239090", "gst_rate_bp": 1200, "mrp_paise": 300000, "price_paise": 250000, "artisan_id": art["id"], "artisan_price_paise": 150000})
			if code, m := in.call(admin, "POST", "/api/v1/stock/movements", map[string]any{"product_id": p["id"], "location_id": loc["id"], "kind": "intake", "quantity": 40}); code != 201 {
				t.Fatalf("intake: %d %v", code, m)
			}
			if code, l := in.call(admin, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", p["id"], fk), map[string]any{"external_id": "PAPIERMACHE00001"}); code != 200 {
				t.Fatalf("publish: %d %v", code, l)
			}
			waitSims(t, []string{simBase}, "PAPIER-1", 250000, 40)

			var placed []string
			place := func(n int) {
				for i := 0; i < n; i++ {
					placed = append(placed, simPost(t, simBase+"/_sim/orders", map[string]any{"sku": "PAPIER-1", "quantity": 1})["id"].(string))
				}
			}
			exactlyOnce := func(what string, want int) {
				t.Helper()
				eventually(t, what, 20*time.Second, func() (bool, any) {
					got := in.flipkartOrders(ops, fk)
					if len(got) != want {
						return false, got
					}
					for _, id := range placed[:want] {
						if got[id] != 1 {
							return false, got
						}
					}
					return true, got
				})
				waitSims(t, []string{simBase}, "PAPIER-1", 250000, float64(40-want))
			}

			// Out of the box (embedded) or as registered (production): each
			// order arrives by notification, the pull being an hour away.
			place(3)
			exactlyOnce("three orders taken in by notification", 3)

			// Repeated, reordered and late: still once each.
			faults(map[string]any{"repeat_rate": 0.5, "reorder_rate": 0.5, "delay_ms": 200})
			place(10)
			exactlyOnce("ten more, notified twice, out of order and late", 13)
			eventually(t, "the simulator sent everything", 20*time.Second, func() (bool, any) {
				_, st := getJSON(t, simBase+"/_sim/notifications")
				return st["pending"] == 0.0 && st["repeated"].(float64) > 0 && st["reordered"].(float64) > 0, st
			})
			time.Sleep(time.Second) // a repeat still in flight would show now
			if got := in.flipkartOrders(ops, fk); len(got) != 13 {
				t.Fatalf("after the repeats: %v", got)
			}

			// Lost: nothing comes until the pull, which takes each in once.
			faults(map[string]any{"drop_rate": 1})
			place(4)
			eventually(t, "the four notifications dropped", 10*time.Second, func() (bool, any) {
				_, st := getJSON(t, simBase+"/_sim/notifications")
				return st["dropped"].(float64) >= 4, st
			})
			time.Sleep(time.Second)
			if got := in.flipkartOrders(ops, fk); len(got) != 13 {
				t.Fatalf("orders whose notifications were lost arrived without a pull: %v", got)
			}
			since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
			if code, got := in.call(ops, "POST", "/api/v1/channels/"+fk+"/orders/rescan", map[string]any{"since": since}); code != 202 {
				t.Fatalf("rescan: %d %v", code, got)
			}
			exactlyOnce("the lost four taken in by the pull", 17)

			// Refusals, counted.
			faults(map[string]any{})
			before := map[string]float64{}
			for _, o := range []string{"bad_signature", "stale", "unsigned", "repeat", "queued"} {
				before[o] = notificationCount(t, metrics, o)
			}
			body := []byte(fmt.Sprintf(`{"shipmentId":"SH%010d","eventType":"shipment_packed","source":"flipkart","version":"v3","timestamp":%q}`,
				1, time.Now().Format(time.RFC3339Nano)))
			signed := http.Header{}
			flipkart.SignHeaders(signed, flipkartsim.AppID, flipkartsim.AppSecret, hook, "POST", time.Now())
			forged := http.Header{}
			flipkart.SignHeaders(forged, flipkartsim.AppID, "not-the-secret", hook, "POST", time.Now())
			old := http.Header{}
			flipkart.SignHeaders(old, flipkartsim.AppID, flipkartsim.AppSecret, hook, "POST", time.Now().Add(-10*time.Minute))
			for _, c := range []struct {
				name   string
				h      http.Header
				status int
				queued bool
			}{
				{"signed", signed, 200, true},
				{"the same delivery replayed", signed, 200, false},
				{"bad signature", forged, 400, false},
				{"ten minutes old", old, 400, false},
				{"unsigned", http.Header{}, 400, false},
			} {
				code, got := postNotification(t, hook, c.h, body)
				if code != c.status || (code == 200 && strings.Contains(got, `"queued":true`) != c.queued) {
					t.Errorf("%s: %d %s", c.name, code, got)
				}
			}
			for o, d := range map[string]float64{"queued": 1, "repeat": 1, "bad_signature": 1, "stale": 1, "unsigned": 1} {
				if got := notificationCount(t, metrics, o) - before[o]; got != d {
					t.Errorf("metrics: %s counted %v more, want %v", o, got, d)
				}
			}
			_, list := in.call(ops, "GET", "/api/v1/exceptions?kind=sync_failing", nil)
			if !strings.Contains(fmt.Sprint(list), "flipkart_notification_refused:bad_signature") || strings.Contains(fmt.Sprint(list), flipkartsim.AppSecret) {
				t.Errorf("refusals are not kept for a person (or the secret shows): %v", list)
			}
			if logs := in.logs.String(); strings.Contains(logs, flipkartsim.AppSecret) {
				t.Error("the app secret reached the log")
			}
			exactlyOnce("still once each", 17)
		})
	}
}

func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	return bytes.NewReader(b), err
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	code, body := get(t, url)
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	return code, m
}
