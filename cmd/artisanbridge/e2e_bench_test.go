package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/internal/benchfig"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// e2eSeconds is how long buyers order in each variant of the end-to-end
// benchmark: ARTISANBRIDGE_BENCH_E2E_SECONDS, by default 510 s, which at 2
// orders a second gives 1,020 samples (the figure asks for at least
// 1,000). A shorter run is a quick mode and its line says so.
func e2eSeconds() time.Duration {
	if v, err := strconv.Atoi(os.Getenv("ARTISANBRIDGE_BENCH_E2E_SECONDS")); err == nil && v > 0 {
		return time.Duration(v) * time.Second
	}
	return 510 * time.Second
}

// The buyers' pace and the benchmark's shape.
const (
	e2eOrdersPerSecond = 2
	e2eSKUs            = 60
	e2eStock           = 40
	e2eMinSamples      = 1000
	// e2ePollPull is the order pull interval of the polling-only variant.
	e2ePollPull = 10 * time.Second
)

// e2eRig is the built binary serving on PostgreSQL and Redis, with a
// Flipkart and an Amazon simulator at their default (assumed and
// published) plans, both channels configured through the admin API.
type e2eRig struct {
	base     string
	token    string
	flipkart *flipkartsim.Sim
	amazon   *amazonsim.Sim
	fkURL    string
	skus     []string
}

func (r *e2eRig) call(b *testing.B, method, path string, body any) (int, map[string]any) {
	b.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

func (r *e2eRig) must(b *testing.B, want int, method, path string, body any) map[string]any {
	b.Helper()
	code, m := r.call(b, method, path, body)
	if code != want {
		b.Fatalf("%s %s: %d %v", method, path, code, m)
	}
	return m
}

func amazonQuantities(s *amazonsim.Sim) map[string]int64 {
	out := map[string]int64{}
	for _, l := range s.Listings() {
		out[l.SKU] = l.Quantity
	}
	return out
}

func newE2ERig(b *testing.B, bin string, notifications bool) *e2eRig {
	b.Helper()
	_, redisURL := testenv.RealRedis(b)
	addr := freeAddr(b)
	r := &e2eRig{base: "http://" + addr}
	settings := map[string]string{"DATABASE_URL": testenv.NewPostgresDatabase(b), "REDIS_URL": redisURL,
		"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_DATA_DIR": b.TempDir(),
		"ARTISANBRIDGE_ADDR": addr, "ARTISANBRIDGE_LOG_LEVEL": "warn"}
	if !notifications {
		settings["ARTISANBRIDGE_PULL_INTERVAL"] = e2ePollPull.String()
	}
	env := baseEnv(settings)
	p := startProcess(b, bin, env, "serve") // migrates before it listens
	p.healthy(b, r.base)
	out, err := runWith(bin, env, "users", "add", "--name", "bench-admin", "--role", "admin")
	if err != nil {
		b.Fatalf("users add: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	r.token = lines[len(lines)-1]

	r.flipkart = flipkartsim.New(flipkartsim.Config{Seed: 3})
	b.Cleanup(r.flipkart.Close)
	r.amazon = amazonsim.New(amazonsim.Config{Seed: 3})
	fk, amz := httptest.NewServer(r.flipkart), httptest.NewServer(r.amazon)
	b.Cleanup(fk.Close)
	b.Cleanup(amz.Close)
	r.fkURL = fk.URL
	if notifications {
		// As registered with Flipkart: its notifications go to the service.
		r.flipkart.SetNotifications(flipkartsim.Notifications{URL: r.base + "/webhooks/flipkart"})
	}

	loc := r.must(b, 201, "POST", "/api/v1/locations", map[string]any{"code": "SRG", "name": "Srinagar", "kind": "showroom"})
	chans := r.must(b, 200, "GET", "/api/v1/channels", nil)
	ids := map[string]string{}
	for _, c := range chans["items"].([]any) {
		ch := c.(map[string]any)
		patch := map[string]any{"version": ch["version"], "enabled": true,
			"settings": map[string]any{"dispatch_days": 3, "locations": []any{map[string]any{"location_id": loc["id"], "external_location_id": "LOCSRG01"}}}}
		switch ch["kind"] {
		case "flipkart":
			patch["base_url"], patch["token_url"] = fk.URL+"/sellers", fk.URL+"/oauth-service/oauth/token"
			patch["credentials"] = map[string]string{"app_id": flipkartsim.AppID, "app_secret": flipkartsim.AppSecret}
		case "amazon":
			patch["base_url"], patch["token_url"] = amz.URL, amz.URL+"/auth/o2/token"
			patch["credentials"] = map[string]string{"client_id": amazonsim.ClientID, "client_secret": amazonsim.ClientSecret,
				"refresh_token": amazonsim.RefreshToken, "seller_id": amazonsim.SellerID}
		default:
			continue
		}
		r.must(b, 200, "PATCH", "/api/v1/channels/"+ch["id"].(string), patch)
		ids[ch["kind"].(string)] = ch["id"].(string)
	}
	art := r.must(b, 201, "POST", "/api/v1/artisans", map[string]any{"code": "BN-1", "name": "Bench", "craft": "namda"})
	for i := 0; i < e2eSKUs; i++ {
		sku := fmt.Sprintf("E2E-%03d", i)
		prod := r.must(b, 201, "POST", "/api/v1/products", map[string]any{"sku": sku, "title": "Namda rug " + sku, "craft": "namda",
			"hsn_code": "57049000", "gst_rate_bp": 500, "mrp_paise": 500000, "price_paise": 450000, "artisan_id": art["id"], "artisan_price_paise": 300000})
		r.must(b, 201, "POST", "/api/v1/stock/movements", map[string]any{"product_id": prod["id"], "location_id": loc["id"], "kind": "intake", "quantity": e2eStock})
		r.must(b, 200, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], ids["flipkart"]), map[string]any{"external_id": fmt.Sprintf("NMDA%012d", i)})
		r.must(b, 200, "PUT", fmt.Sprintf("/api/v1/products/%s/listings/%s", prod["id"], ids["amazon"]), map[string]any{"external_id": ""})
		r.skus = append(r.skus, sku)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		fkq, amq, ready := map[string]int64{}, amazonQuantities(r.amazon), 0
		for _, l := range r.flipkart.Listings() {
			fkq[l.SKU] = l.Quantity
		}
		for _, sku := range r.skus {
			if fkq[sku] == e2eStock && amq[sku] == e2eStock {
				ready++
			}
		}
		if ready == len(r.skus) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("listings not on both simulators within 3 minutes (%d of %d)\n%s", ready, len(r.skus), p.logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return r
}

// runWith runs one command of the binary; its last line of output is
// what it printed (users add prints the token last).
func runWith(bin string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return cmd.Output()
}

// e2eResult is one variant's run.
type e2eResult struct {
	latencies []time.Duration
	placed    int
	missing   int
	calls     map[string]int // Amazon's and Flipkart's API calls during the run, by marketplace
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func sumCalls(m map[string]flipkartsim.Calls) int {
	n := 0
	for _, c := range m {
		n += c.Calls
	}
	return n
}

// runE2E has buyers order one unit at a time on the Flipkart simulator at
// 2 a second, round the SKUs, for d; each order's latency is from the
// buyer's order to Amazon's simulator showing the SKU's quantity lowered
// by it (quantities only fall during the run, so the k-th order of a SKU
// is seen when Amazon holds at most the stock less k).
func runE2E(b *testing.B, r *e2eRig, d, settle time.Duration) e2eResult {
	b.Helper()
	type pending struct {
		sku  string
		want int64
		at   time.Time
	}
	var mu sync.Mutex
	var waiting []pending
	res := e2eResult{calls: map[string]int{}}
	fkBefore, amzBefore := sumCalls(r.flipkart.CallCounts()), sumCalls(r.amazon.CallCounts())
	placedPerSKU := map[string]int64{}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			q := amazonQuantities(r.amazon)
			now := time.Now()
			mu.Lock()
			kept := waiting[:0]
			for _, w := range waiting {
				if q[w.sku] <= w.want {
					res.latencies = append(res.latencies, now.Sub(w.at))
				} else {
					kept = append(kept, w)
				}
			}
			waiting = kept
			mu.Unlock()
		}
	}()
	tick := time.NewTicker(time.Second / e2eOrdersPerSecond)
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		sku := r.skus[i%len(r.skus)]
		at := time.Now()
		raw, _ := json.Marshal(map[string]any{"sku": sku, "quantity": 1})
		resp, err := http.Post(r.fkURL+"/_sim/orders", "application/json", bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("order %d of %s: %d", i, sku, resp.StatusCode)
		}
		placedPerSKU[sku]++
		mu.Lock()
		waiting = append(waiting, pending{sku: sku, want: e2eStock - placedPerSKU[sku], at: at})
		res.placed++
		mu.Unlock()
	}
	tick.Stop()
	for deadline := time.Now().Add(settle); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := len(waiting)
		mu.Unlock()
		if n == 0 {
			break
		}
	}
	close(stop)
	<-watched
	res.missing = len(waiting)
	res.calls["flipkart"] = sumCalls(r.flipkart.CallCounts()) - fkBefore
	res.calls["amazon"] = sumCalls(r.amazon.CallCounts()) - amzBefore
	sort.Slice(res.latencies, func(i, j int) bool { return res.latencies[i] < res.latencies[j] })
	return res
}

// BenchmarkOrderToAmazonThroughTheBinary is issue 10's end-to-end figure:
// the built binary serving on PostgreSQL and Redis, a buyer's order on
// the Flipkart simulator to Amazon's simulator showing the lowered
// quantity, at 2 orders a second; with Flipkart's notifications (the pull
// at its production default as the backstop) and with polling only (the
// pull every 10 s). Calls per change are each marketplace's API calls
// during the run per order placed.
func BenchmarkOrderToAmazonThroughTheBinary(b *testing.B) {
	bin := buildBinary(b)
	d := e2eSeconds()
	for _, v := range []struct {
		name          string
		notifications bool
		target        time.Duration
		targetText    string
	}{
		{"notifications", true, 2 * time.Second, "p99 <= 2 s"},
		{"polling only", false, e2ePollPull + 2*time.Second, fmt.Sprintf("p99 <= pull interval (%v) + 2 s", e2ePollPull)},
	} {
		b.Run(v.name, func(b *testing.B) {
			r := newE2ERig(b, bin, v.notifications)
			b.ResetTimer()
			res := runE2E(b, r, d, v.target+30*time.Second)
			b.StopTimer()
			n := len(res.latencies)
			p50, p95, p99 := percentile(res.latencies, 0.50), percentile(res.latencies, 0.95), percentile(res.latencies, 0.99)
			mode := ""
			if n < e2eMinSamples {
				mode = fmt.Sprintf("; QUICK MODE: %d samples, fewer than the %d the figure asks for", n, e2eMinSamples)
			}
			measured := fmt.Sprintf("p99 %v (p50 %v, p95 %v, max %v) over %d samples; %d of %d orders never seen on Amazon within %v%s",
				p99.Round(time.Millisecond), p50.Round(time.Millisecond), p95.Round(time.Millisecond), percentile(res.latencies, 1).Round(time.Millisecond),
				n, res.missing, res.placed, v.target+30*time.Second, mode)
			cmd := "make bench (ARTISANBRIDGE_BENCH_E2E_SECONDS=" + strconv.Itoa(int(d/time.Second)) + ")"
			benchfig.Report(b, "order on Flipkart to Amazon's lowered quantity, real binary on PostgreSQL + Redis, 2 orders/s for "+d.String()+", "+v.name,
				measured, v.targetText+", >= 1,000 samples, none lost", n >= e2eMinSamples && res.missing == 0 && p99 <= v.target, cmd)
			perChange := func(kind string) string {
				return fmt.Sprintf("%.2f %s API calls per order (%d calls, %d orders)", float64(res.calls[kind])/float64(max(res.placed, 1)), kind, res.calls[kind], res.placed)
			}
			benchfig.Report(b, "calls per change beside it ("+v.name+")", perChange("amazon")+"; "+perChange("flipkart"),
				"reported (each order lowers one SKU on Amazon and Flipkart)", true, cmd)
		})
	}
}
