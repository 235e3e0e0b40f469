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

	"github.com/jkhhc/artisanbridge/adapters/sms"
	"github.com/jkhhc/artisanbridge/internal/benchfig"
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

// smsBehindBurst queues 1,000 stock events, then sells a piece and starts
// the worker: it answers how long the SMS telling the artisan to pick it
// took to reach the SMS gateway, and how many stock events were still
// queued when it did.
func smsBehindBurst(tb testing.TB, bp backendPair) (time.Duration, int) {
	tb.Helper()
	templates := "order_pick.en=1107161234567890123,order_pick.hi=1107161234567890124,order_pick.ur=1107161234567890125,order_pick.ks=1107161234567890126"
	gw := &smsGateway{}
	gwSrv := httptest.NewServer(gw)
	tb.Cleanup(gwSrv.Close)
	var skus []string
	for i := range 20 {
		skus = append(skus, fmt.Sprintf("BURST-%02d", i))
	}
	r := newSyncRig(tb, bp, rigOptions{manual: true, env: map[string]string{"ARTISANBRIDGE_SMS_URL": gwSrv.URL,
		"ARTISANBRIDGE_SMS_API_KEY": "test-key", "ARTISANBRIDGE_SMS_DLT_ENTITY_ID": "1101234567890123456",
		"ARTISANBRIDGE_SMS_DLT_TEMPLATE_IDS": templates}}, skus...)
	ctx := context.Background()
	// 1,000 stock changes, handed to the queue before any worker runs.
	for i := range 1000 {
		r.intake(tb, skus[i%len(skus)], 1)
	}
	for {
		n, err := r.a.Relay.Drain(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	rc := r.redis(tb)
	insp := asynq.NewInspectorFromRedisClient(rc)
	queued := func() int {
		info, err := insp.GetQueueInfo(jobs.QueueEvents)
		if err != nil {
			return 0
		}
		return info.Pending
	}
	if n := queued(); n < 1000 {
		tb.Fatalf("only %d stock events queued", n)
	}
	// A piece sells; the worker starts with the burst ahead of the SMS.
	at := time.Now().UTC()
	if res, err := r.a.Orders.Ingest(ctx, orders.Incoming{ChannelID: r.channels["flipkart"], ExternalOrderID: "SMS-1", Status: orders.StatusOpen,
		OrderedAt: at, UpdatedAt: at, Lines: []orders.IncomingLine{{ExternalLineID: "1", SKU: skus[0], Quantity: 1, UnitPricePaise: 450000}}}); err != nil || res.Reserved != 1 {
		tb.Fatalf("order: %+v %v", res, err)
	}
	began := time.Now()
	r.start()
	for {
		if when, ok := gw.first(); ok {
			return when.Sub(began), queued()
		}
		if time.Since(began) > time.Minute {
			tb.Fatalf("no SMS reached the gateway in a minute (%d stock events still queued)", queued())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestArtisanSMSBeforeStockBursts is issue 10's acceptance 4, first half,
// as a property that holds on any machine: the SMS overtakes a burst of
// 1,000 stock events queued ahead of it (most of the burst is still
// queued when it reaches the gateway). How long it took, against the 5 s
// target, is BenchmarkSMSBehindStockBurst's figure.
func TestArtisanSMSBeforeStockBursts(t *testing.T) {
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			waited, still := smsBehindBurst(t, bp)
			t.Logf("SMS at the gateway %v after the worker started, %d stock events still queued", waited.Round(time.Millisecond), still)
			if still < 500 {
				t.Fatalf("the SMS reached the gateway with only %d of 1,000 stock events still queued: it waited behind the burst", still)
			}
		})
	}
}

// BenchmarkSMSBehindStockBurst reports how long an artisan's SMS takes to
// reach the gateway with 1,000 stock events queued ahead of it.
func BenchmarkSMSBehindStockBurst(b *testing.B) {
	for _, bp := range backendPairs() {
		var worst time.Duration
		still := 1000
		for range b.N {
			waited, left := smsBehindBurst(b, bp)
			worst, still = max(worst, waited), min(still, left)
		}
		benchfig.Report(b, "artisan SMS behind 1,000 queued stock events ("+bp.name+")",
			fmt.Sprintf("%.2f s from the worker's start to the SMS gateway, %d stock events still queued then", worst.Seconds(), still),
			"<= 5 s", worst <= 5*time.Second, "make bench (go test -run '^$' -bench BenchmarkSMSBehindStockBurst ./internal/app/)")
	}
}
