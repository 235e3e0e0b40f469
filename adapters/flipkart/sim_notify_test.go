package flipkart_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
)

// receiver is a notification endpoint that checks each delivery as the
// service does and keeps what it read, in arrival order.
type receiver struct {
	mu       sync.Mutex
	url      string
	got      []flipkart.Notification
	refused  int
	failNext int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.failNext > 0 {
			r.failNext--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, err := flipkart.VerifyRequest(req.Header, r.url, req.Method, time.Now(), flipkart.DefaultMaxSkew, func(app string) []string {
			if app == sim.AppID {
				return []string{sim.AppSecret}
			}
			return nil
		})
		n, derr := flipkart.DecodeNotification(body)
		if err != nil || derr != nil {
			r.refused++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.got = append(r.got, n)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/webhooks/flipkart"
	return r
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.got {
		out = append(out, n.EventType)
	}
	return out
}

func simPost(t *testing.T, base, method, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSimulatorNotifies: every order event the simulator makes reaches a
// receiver signed as Flipkart signs, in order, with what to read again;
// each fault does what it says.
func TestSimulatorNotifies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults sim.Notifications
		check  func(t *testing.T, r *receiver, st sim.NotificationStats)
	}{
		{"faithful", sim.Notifications{}, func(t *testing.T, r *receiver, st sim.NotificationStats) {
			want := "shipment_created shipment_shipped shipment_delivered return_created shipment_created shipment_cancelled"
			waitFor(t, "every event", func() bool { return strings.Join(r.types(), " ") == want })
			if st := r.got; st[0].ShipmentID == "" || len(st[0].OrderIDs) != 1 || st[3].ShipmentID != "" || len(st[3].OrderItemIDs) != 1 {
				t.Errorf("refs: %+v / %+v", st[0], st[3])
			}
		}},
		{"dropped", sim.Notifications{DropRate: 1}, func(t *testing.T, r *receiver, st sim.NotificationStats) {
			if st.Dropped != 6 || st.Delivered != 0 || len(r.types()) != 0 {
				t.Errorf("dropped %d delivered %d got %v", st.Dropped, st.Delivered, r.types())
			}
		}},
		{"repeated", sim.Notifications{RepeatRate: 1}, func(t *testing.T, r *receiver, st sim.NotificationStats) {
			waitFor(t, "every event twice", func() bool { return len(r.types()) == 12 })
			for i, typ := range r.types() {
				if typ != r.types()[i/2*2] {
					t.Fatalf("not each twice: %v", r.types())
				}
			}
		}},
		{"reordered", sim.Notifications{ReorderRate: 1}, func(t *testing.T, r *receiver, st sim.NotificationStats) {
			waitFor(t, "every event", func() bool { return len(r.types()) == 6 })
			if got := r.types(); got[0] != "shipment_shipped" || got[1] != "shipment_created" {
				t.Errorf("not reordered: %v", got)
			}
		}},
		{"delayed", sim.Notifications{DelayMS: 300}, func(t *testing.T, r *receiver, st sim.NotificationStats) {
			waitFor(t, "every event", func() bool { return len(r.types()) == 6 })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[adapters.Operation]adapters.Limit{}, nil)
			srv := httptest.NewServer(e.sim)
			t.Cleanup(srv.Close)
			t.Cleanup(e.sim.Close)
			r := newReceiver(t)
			r.failNext = 1 // the first delivery is answered 503 and sent again
			cfg := tc.faults
			cfg.URL = r.url
			e.sim.SetNotifications(cfg)
			res, err := e.client.PushListings(context.Background(), []adapters.Listing{listing(1)})
			if err != nil || !res[0].Accepted {
				t.Fatalf("listing: %+v %v", res, err)
			}
			a := simPost(t, srv.URL, "POST", "/_sim/orders", map[string]any{"sku": "KANI-001", "quantity": 1})["id"].(string)
			for _, step := range []string{"ship", "deliver", "return"} {
				simPost(t, srv.URL, "POST", "/_sim/orders/"+a+"/"+step, nil)
			}
			b := simPost(t, srv.URL, "POST", "/_sim/orders", map[string]any{"sku": "KANI-001", "quantity": 1})["id"].(string)
			simPost(t, srv.URL, "POST", "/_sim/orders/"+b+"/cancel", nil)
			if tc.faults.DropRate == 1 {
				waitFor(t, "every event drawn", func() bool { return e.sim.NotificationStats().Dropped == 6 })
			}
			tc.check(t, r, e.sim.NotificationStats())
		})
	}
}
