package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/adapters/sms"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// smsGateway is an SMS gateway simulator: it takes every message and
// remembers when each arrived.
type smsGateway struct {
	mu      sync.Mutex
	arrived []time.Time
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req sms.Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.To == "" || req.TemplateID == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.arrived = append(g.arrived, time.Now())
	g.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (g *smsGateway) first() (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.arrived) == 0 {
		return time.Time{}, false
	}
	return g.arrived[0], true
}

// TestArtisanSMSBeforeStockBursts is issue 10's acceptance 4, first half:
// with 1,000 stock events queued ahead of it, the SMS telling an artisan
// to pick a sold piece reaches the SMS gateway within 5 s.
func TestArtisanSMSBeforeStockBursts(t *testing.T) {
	templates := "order_pick.en=1107161234567890123,order_pick.hi=1107161234567890124,order_pick.ur=1107161234567890125,order_pick.ks=1107161234567890126"
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			gw := &smsGateway{}
			gwSrv := httptest.NewServer(gw)
			t.Cleanup(gwSrv.Close)
			var skus []string
			for i := range 20 {
				skus = append(skus, fmt.Sprintf("BURST-%02d", i))
			}
			r := newSyncRig(t, bp, rigOptions{manual: true, env: map[string]string{"ARTISANBRIDGE_SMS_URL": gwSrv.URL,
				"ARTISANBRIDGE_SMS_API_KEY": "test-key", "ARTISANBRIDGE_SMS_DLT_ENTITY_ID": "1101234567890123456",
				"ARTISANBRIDGE_SMS_DLT_TEMPLATE_IDS": templates}}, skus...)
			ctx := context.Background()
			// 1,000 stock changes, handed to the queue before any worker runs.
			for i := range 1000 {
				r.intake(t, skus[i%len(skus)], 1)
			}
			for {
				n, err := r.a.Relay.Drain(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			opt, err := redis.ParseURL(r.redisURL)
			if err != nil {
				t.Fatal(err)
			}
			rc := redis.NewClient(opt)
			t.Cleanup(func() { rc.Close() })
			insp := asynq.NewInspectorFromRedisClient(rc)
			queued := func() int {
				info, err := insp.GetQueueInfo(jobs.QueueEvents)
				if err != nil {
					return 0
				}
				return info.Pending
			}
			if n := queued(); n < 1000 {
				t.Fatalf("only %d stock events queued", n)
			}
			// A piece sells; the worker starts with the burst ahead of the SMS.
			at := time.Now().UTC()
			if res, err := r.a.Orders.Ingest(ctx, orders.Incoming{ChannelID: r.channels["flipkart"], ExternalOrderID: "SMS-1", Status: orders.StatusOpen,
				OrderedAt: at, UpdatedAt: at, Lines: []orders.IncomingLine{{ExternalLineID: "1", SKU: skus[0], Quantity: 1, UnitPricePaise: 450000}}}); err != nil || res.Reserved != 1 {
				t.Fatalf("order: %+v %v", res, err)
			}
			began := time.Now()
			r.start()
			for {
				if when, ok := gw.first(); ok {
					waited := when.Sub(began)
					t.Logf("SMS at the gateway %v after the worker started, %d stock events still queued", waited.Round(time.Millisecond), queued())
					if waited > 5*time.Second {
						t.Fatalf("the SMS waited %v behind the stock events, want <= 5s", waited)
					}
					return
				}
				if time.Since(began) > time.Minute {
					t.Fatalf("no SMS reached the gateway in a minute (%d stock events still queued)", queued())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
