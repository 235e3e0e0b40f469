package flipkart_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

type env struct {
	sim    *sim.Sim
	client *flipkart.Client
}

func newEnv(t *testing.T, limits map[adapters.Operation]adapters.Limit, limiter httpx.Limiter) *env {
	t.Helper()
	return newBenchEnv(t, limits, limiter)
}

func newBenchEnv(t testing.TB, limits map[adapters.Operation]adapters.Limit, limiter httpx.Limiter) *env {
	t.Helper()
	s := sim.New(sim.Config{Seed: 42, Limits: limits})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	hc := &httpx.Client{Limiter: limiter, MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}
	c := flipkart.New(flipkart.Config{BaseURL: srv.URL + "/sellers", TokenURL: srv.URL + "/oauth-service/oauth/token",
		AppID: sim.AppID, AppSecret: sim.AppSecret, Account: "test", Limits: limits}, hc)
	return &env{sim: s, client: c}
}

func listing(i int) adapters.Listing {
	return adapters.Listing{SKU: fmt.Sprintf("KANI-%03d", i), ExternalID: fmt.Sprintf("SHWG%012d", i), Title: "Kani shawl",
		HSNCode: "62142010", GSTRateBP: 500, MRPPaise: 9_500_000, PricePaise: 8_900_000, WeightG: 400,
		Locations: []adapters.LocationQuantity{{LocationID: "LOC-SRINAGAR", Quantity: 2}}}
}

func TestPushAndRead(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	var items []adapters.Listing
	for i := 0; i < 23; i++ {
		items = append(items, listing(i))
	}
	items = append(items, adapters.Listing{SKU: "NO-FSN", MRPPaise: 100, PricePaise: 100})
	bad := listing(99)
	bad.PricePaise = 8_900_050
	items = append(items, bad)
	res, err := e.client.PushListings(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 25 {
		t.Fatalf("%d results for 25 items", len(res))
	}
	accepted := 0
	for _, r := range res {
		if r.Accepted {
			accepted++
		} else if len(r.Issues) == 0 {
			t.Fatalf("refused without a reason: %+v", r)
		}
	}
	if accepted != 23 {
		t.Fatalf("%d accepted", accepted)
	}
	calls := e.sim.CallCounts()[string(adapters.OpCreateListings)]
	if calls.Calls != 3 || calls.MaxBatch != 10 || calls.Items != 23 {
		t.Fatalf("calls %+v: want 3 calls of at most 10", calls)
	}
	// Stock and price changes, then read back.
	if _, err := e.client.PushStock(ctx, []adapters.StockUpdate{{SKU: "KANI-001", ExternalID: "SHWG000000000001",
		Locations: []adapters.LocationQuantity{{LocationID: "LOC-SRINAGAR", Quantity: 7}}}}); err != nil {
		t.Fatal(err)
	}
	if res, err := e.client.PushPrices(ctx, []adapters.PriceUpdate{{SKU: "KANI-001", ExternalID: "SHWG000000000001", MRPPaise: 9_500_000, PricePaise: 8_000_000}}); err != nil || !res[0].Accepted {
		t.Fatalf("price: %+v %v", res, err)
	}
	got, err := e.client.FetchListings(ctx, []string{"KANI-001", "MISSING"})
	if err != nil || len(got) != 1 || got[0].Quantity != 7 || got[0].PricePaise != 8_000_000 {
		t.Fatalf("fetch: %+v %v", got, err)
	}
	// Unknown SKU for a stock update: Flipkart's own per-SKU refusal is kept.
	res, err = e.client.PushStock(ctx, []adapters.StockUpdate{{SKU: "GHOST", ExternalID: "SHWG999999999999",
		Locations: []adapters.LocationQuantity{{LocationID: "LOC-SRINAGAR", Quantity: 1}}}})
	if err != nil || res[0].Accepted || res[0].Issues[0].Code != "2001" {
		t.Fatalf("unknown sku: %+v %v", res, err)
	}
}

// TestFaults drives the adapter through the simulator's faults: every SKU
// ends applied, or refused with a reason the user can see.
func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults sim.Faults
	}{
		{"429 storm", sim.Faults{Rate429: 0.6}},
		{"5xx", sim.Faults{Rate5xx: 0.4}},
		{"partial per-SKU failures", sim.Faults{RateItemFailure: 0.3}},
		{"slow answers", sim.Faults{LatencyMS: 30}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			ctx := context.Background()
			var items []adapters.Listing
			for i := 0; i < 30; i++ {
				items = append(items, listing(i))
			}
			e.sim.SetFaults(tc.faults)
			res, err := e.client.PushListings(ctx, items)
			if err != nil {
				t.Fatalf("push gave up: %v", err)
			}
			held := map[string]bool{}
			for _, l := range e.sim.Listings() {
				held[l.SKU] = true
			}
			for _, r := range res {
				switch {
				case r.Accepted && !held[r.SKU]:
					t.Fatalf("%s reported accepted but the marketplace does not hold it", r.SKU)
				case !r.Accepted && len(r.Issues) == 0:
					t.Fatalf("%s refused without a visible reason", r.SKU)
				}
			}
		})
	}
}

func TestExpiredTokenIsRenewed(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	if _, err := e.client.PushListings(ctx, []adapters.Listing{listing(1)}); err != nil {
		t.Fatal(err)
	}
	e.sim.SetFaults(sim.Faults{ExpireTokens: true})
	res, err := e.client.PushStock(ctx, []adapters.StockUpdate{{SKU: "KANI-001", ExternalID: "SHWG000000000001",
		Locations: []adapters.LocationQuantity{{LocationID: "LOC-SRINAGAR", Quantity: 4}}}})
	if err != nil || !res[0].Accepted {
		t.Fatalf("after token expiry: %+v %v", res, err)
	}
}

func TestWrongCredentials(t *testing.T) {
	s := sim.New(sim.Config{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := flipkart.New(flipkart.Config{BaseURL: srv.URL + "/sellers", TokenURL: srv.URL + "/oauth-service/oauth/token",
		AppID: "sim-app", AppSecret: "wrong"}, &httpx.Client{MaxAttempts: 2, BaseDelay: time.Millisecond})
	if _, err := c.PushListings(context.Background(), []adapters.Listing{listing(1)}); err == nil {
		t.Fatal("wrong credentials accepted")
	}
}

// TestWorkersShareTheLimit: ten workers pushing 1,000 stock changes through
// one shared limiter are never throttled by a simulator at the same
// limits, and every SKU ends at its last quantity.
func TestWorkersShareTheLimit(t *testing.T) {
	for _, rb := range testenv.RedisBackends() {
		t.Run(rb.Name, func(t *testing.T) {
			rc, _ := rb.Open(t)
			limits := map[adapters.Operation]adapters.Limit{
				adapters.OpCreateListings: {BatchSize: 10, Rate: 200, Burst: 10},
				adapters.OpUpdateStock:    {BatchSize: 10, Rate: 40, Burst: 5},
			}
			e := newEnv(t, limits, httpx.NewRedisLimiter(rc))
			ctx := context.Background()
			var items []adapters.Listing
			for i := 0; i < 100; i++ {
				items = append(items, listing(i))
			}
			if _, err := e.client.PushListings(ctx, items); err != nil {
				t.Fatal(err)
			}
			// 1,000 changes: 10 rounds over 100 SKUs, split over 10 workers by SKU.
			var wg sync.WaitGroup
			for w := 0; w < 10; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for round := 1; round <= 10; round++ {
						var batch []adapters.StockUpdate
						for i := w * 10; i < w*10+10; i++ {
							batch = append(batch, adapters.StockUpdate{SKU: fmt.Sprintf("KANI-%03d", i), ExternalID: fmt.Sprintf("SHWG%012d", i),
								Locations: []adapters.LocationQuantity{{LocationID: "LOC-SRINAGAR", Quantity: int64(round)}}})
						}
						if res, err := e.client.PushStock(ctx, batch); err != nil || len(res) != 10 {
							t.Errorf("worker %d: %v", w, err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			// The simulator enforces the same bucket, so it never serves more than
			// the limit; the shared limiter keeps its refusals to network jitter.
			calls := e.sim.CallCounts()[string(adapters.OpUpdateStock)]
			served := calls.Calls - calls.Throttled
			if served != 100 || calls.MaxBatch != 10 || calls.Items != 1000 || calls.Throttled > 5 {
				t.Fatalf("simulator saw %+v: want 100 full calls served and at most 5 refused", calls)
			}
			t.Logf("%s: %d calls served, %d throttled by the simulator", rb.Name, served, calls.Throttled)
			for _, l := range e.sim.Listings() {
				if l.Quantity != 10 {
					t.Fatalf("%s ended at %d", l.SKU, l.Quantity)
				}
			}
		})
	}
}

// TestUpdateExisting: a listing Flipkart already holds goes by the update
// call; an update of a SKU Flipkart does not know is refused per SKU.
func TestUpdateExisting(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	if _, err := e.client.PushListings(ctx, []adapters.Listing{listing(1)}); err != nil {
		t.Fatal(err)
	}
	again := listing(1)
	again.Existing, again.PricePaise = true, 8_000_000
	ghost := listing(2)
	ghost.Existing = true
	res, err := e.client.PushListings(ctx, []adapters.Listing{again, ghost})
	if err != nil || !res[0].Accepted || res[1].Accepted {
		t.Fatalf("update: %+v %v", res, err)
	}
	if got := e.sim.Listings(); len(got) != 1 || got[0].PricePaise != 8_000_000 {
		t.Fatalf("simulator holds %+v", got)
	}
}
