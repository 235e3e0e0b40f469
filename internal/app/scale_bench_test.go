package app_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/config"
	"github.com/jkhhc/artisanbridge/internal/app"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/benchfig"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// benchScale is the size BenchmarkScale generates: the corporation's
// (testenv.CorporationScale) unless ARTISANBRIDGE_BENCH_SCALE=quick, which
// takes a twentieth of it.
func benchScale() (testenv.Scale, string) {
	if os.Getenv("ARTISANBRIDGE_BENCH_SCALE") == "quick" {
		s := testenv.CorporationScale
		return testenv.Scale{Artisans: s.Artisans / 20, Products: s.Products / 20, Orders: s.Orders / 20, Postings: s.Postings / 20}, "quick"
	}
	return testenv.CorporationScale, "full"
}

// benchSamples is how many samples each side of a comparison takes:
// ARTISANBRIDGE_BENCH_SAMPLES, 1,000 by default.
func benchSamples() int {
	if v, err := strconv.Atoi(os.Getenv("ARTISANBRIDGE_BENCH_SAMPLES")); err == nil && v > 0 {
		return v
	}
	return 1000
}

// scaleRig is the service (API on PostgreSQL) over a generated business.
type scaleRig struct {
	a      *app.App
	srv    *httptest.Server
	token  string
	client *http.Client
	// capturing records the SQL gorm sends while on.
	capturing atomic.Bool
	mu        sync.Mutex
	captured  []capturedSQL
}

type capturedSQL struct {
	sql  string
	vars []any
}

func newScaleRig(b *testing.B, s testenv.Scale) (*scaleRig, time.Duration) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	_, redisURL := testenv.RealRedis(b)
	env := map[string]string{"DATABASE_URL": testenv.NewPostgresDatabase(b), "REDIS_URL": redisURL,
		"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_DATA_DIR": b.TempDir(), "ARTISANBRIDGE_LOG_LEVEL": "error"}
	cfg, _, err := config.Load(flag.NewFlagSet("bench", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.Open(ctx, cfg, testenv.Quiet())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); a.Close() })
	began := time.Now()
	if err := testenv.GenerateScale(ctx, a.DB.SQL(), s); err != nil {
		b.Fatal(err)
	}
	generated := time.Since(began)
	_, token, err := a.Auth.CreateUser(ctx, auth.NewUser{Name: "bench-admin", Role: auth.RoleAdmin})
	if err != nil {
		b.Fatal(err)
	}
	r := &scaleRig{a: a, token: token, srv: httptest.NewServer(a.Handler()),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 15 * time.Minute}}
	b.Cleanup(r.srv.Close)
	record := func(db *gorm.DB) {
		if !r.capturing.Load() || db.Statement == nil || db.Statement.SQL.Len() == 0 {
			return
		}
		q := db.Statement.SQL.String()
		if strings.Contains(q, "api_tokens") || strings.Contains(q, "FROM \"users\"") || strings.Contains(q, "FROM users") {
			return // authentication, not the list
		}
		r.mu.Lock()
		r.captured = append(r.captured, capturedSQL{sql: q, vars: append([]any(nil), db.Statement.Vars...)})
		r.mu.Unlock()
	}
	g := a.DB.Gorm()
	if err := g.Callback().Query().After("gorm:query").Register("bench:capture", record); err != nil {
		b.Fatal(err)
	}
	if err := g.Callback().Row().After("gorm:row").Register("bench:capture", record); err != nil {
		b.Fatal(err)
	}
	return r, generated
}

// get requests path and reads the whole answer; it fails on anything but want.
func (r *scaleRig) do(b *testing.B, method, path string, want int) []byte {
	b.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if method == http.MethodPost {
		req.Header.Set("Idempotency-Key", "bench-"+strconv.FormatInt(time.Now().UnixNano(), 10))
		req.Header.Set("Content-Type", "application/json")
		req.Body = io.NopCloser(strings.NewReader(`{"min_paise": 1}`))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	return body
}

// sqlOf answers the statements the API sent for path: the raw SQL it is
// compared with is exactly what it ran.
func (r *scaleRig) sqlOf(b *testing.B, path string) []capturedSQL {
	b.Helper()
	r.mu.Lock()
	r.captured = nil
	r.mu.Unlock()
	r.capturing.Store(true)
	r.do(b, http.MethodGet, path, http.StatusOK)
	r.capturing.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.captured) == 0 {
		b.Fatalf("GET %s sent no SQL", path)
	}
	return r.captured
}

func (r *scaleRig) raw(b *testing.B, stmts []capturedSQL) {
	b.Helper()
	for _, s := range stmts {
		rows, err := r.a.DB.SQL().Query(s.sql, s.vars...)
		if err != nil {
			b.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
	}
}

// endpoint is one list or search, with variants (cursors, filter values)
// taken in turn so that a sample is not always the same cached page.
type endpoint struct {
	name     string
	variants []string
}

func scaleEndpoints(s testenv.Scale) []endpoint {
	const p = "/api/v1"
	id := testenv.ScaleID
	spread := func(n, table, size int, format string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(format, id(table, (i*7919+size/3)%size))
		}
		return out
	}
	cursors := func(n, table, size int, base string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = base + "&cursor=" + paging.Cursor(id(table, (i*104729+size/2)%size))
		}
		return out
	}
	words := func(base string, qs ...string) []string {
		out := make([]string, len(qs))
		for i, q := range qs {
			out[i] = base + url.QueryEscape(q)
		}
		return out
	}
	crafts := []string{"pashmina_shawl", "kani_shawl", "papier_mache", "namda", "walnut_wood_carving", "carpet"}
	byCraft := func(base string) []string {
		out := make([]string, len(crafts))
		for i, c := range crafts {
			out[i] = base + c
		}
		return out
	}
	return []endpoint{
		{"GET /products (first page)", []string{p + "/products?limit=50"}},
		{"GET /products (deep pages)", cursors(20, testenv.ScaleProducts, s.Products, p+"/products?limit=50")},
		{"GET /products?artisan_id", spread(20, testenv.ScaleArtisans, s.Artisans, p+"/products?artisan_id=%s")},
		{"GET /products?sku", func() []string {
			out := make([]string, 20)
			for i := range out {
				out[i] = fmt.Sprintf(p+"/products?sku=SKU-%07d", (i*7919+13)%s.Products)
			}
			return out
		}()},
		{"GET /products?craft", byCraft(p + "/products?craft=")},
		{"GET /products?status=archived", []string{p + "/products?status=archived", p + "/products?status=draft"}},
		{"GET /products?q= (title words)", words(p+"/products?q=", "pashmina shawl", "walnut box", "papier-mâché lamp", "embroidered stole", "copper samovar")},
		{"GET /products?q= (maker, SKU, GI)", words(p+"/products?q=", "ghulam nabi mir", "JK-000777", "SKU-00042", "gi 186", "zargar")},
		{"GET /artisans (deep pages)", cursors(20, testenv.ScaleArtisans, s.Artisans, p+"/artisans?limit=50")},
		{"GET /artisans?cluster_id", spread(10, testenv.ScaleClusters, 70, p+"/artisans?cluster_id=%s")},
		{"GET /artisans?craft", byCraft(p + "/artisans?craft=")},
		{"GET /artisans?q=", words(p+"/artisans?q=", "ghulam rasool", "9906", "JK/PCH/2019", "cluster 5", "shazia bhat", "JK-000123")},
		{"GET /orders (deep pages)", cursors(20, testenv.ScaleOrders, s.Orders, p+"/orders?limit=50")},
		{"GET /orders?status", []string{p + "/orders?status=open", p + "/orders?status=cancelled", p + "/orders?status=returned"}},
		{"GET /orders?channel_id", spread(3, testenv.ScaleChannels, 3, p+"/orders?channel_id=%s")},
		{"GET /fulfilment-tasks?status&location_id", spread(20, testenv.ScaleLocations, s.Artisans/10, p+"/fulfilment-tasks?status=open&location_id=%s")},
		{"GET /listings?status", []string{p + "/listings?status=rejected", p + "/listings?status=error"}},
		{"GET /listings?product_id", spread(20, testenv.ScaleProducts, s.Products, p+"/listings?product_id=%s")},
		{"GET /stock?location_id", []string{p + "/stock?location_id=" + id(testenv.ScaleLocations, 0), p + "/stock?location_id=" + id(testenv.ScaleLocations, 1)}},
		{"GET /stock/movements?product_id", spread(20, testenv.ScaleProducts, s.Products, p+"/stock/movements?product_id=%s")},
		{"GET /audit?resource_id", spread(20, testenv.ScaleProducts, s.Products, p+"/audit?resource_id=%s")},
		{"GET /exceptions?status=open", []string{p + "/exceptions?status=open", p + "/exceptions?kind=oversold&status=open"}},
		{"GET /ledger/accounts?kind=artisan_payable", cursors(20, testenv.ScaleArtisans, s.Artisans, p+"/ledger/accounts?kind=artisan_payable&limit=50")},
	}
}

type latencies struct{ api, sql []time.Duration }

func p99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*99/100)]
}

// measure takes n samples of each endpoint through the API and n of the
// same SQL straight on the database, interleaved (API then SQL, SQL then
// API, in turn) so that both see the same caches and load.
func (r *scaleRig) measure(b *testing.B, eps []endpoint, n int, done func(endpoint, latencies)) {
	b.Helper()
	out := make([]latencies, len(eps))
	for i, ep := range eps {
		stmts := make([][]capturedSQL, len(ep.variants))
		for v, path := range ep.variants {
			stmts[v] = r.sqlOf(b, path)
		}
		for k := range n {
			v := k % len(ep.variants)
			api := func() {
				t0 := time.Now()
				r.do(b, http.MethodGet, ep.variants[v], http.StatusOK)
				out[i].api = append(out[i].api, time.Since(t0))
			}
			sql := func() {
				t0 := time.Now()
				r.raw(b, stmts[v])
				out[i].sql = append(out[i].sql, time.Since(t0))
			}
			if k%2 == 0 {
				api()
				sql()
			} else {
				sql()
				api()
			}
		}
		if done != nil {
			done(ep, out[i])
		}
	}
}

// rssMiB is this process's resident memory after returning what it can
// to the system, so that two readings compare what is live.
func rssMiB(b *testing.B) float64 {
	b.Helper()
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// BenchmarkScale is issue 11's acceptance 1 (its list, search and finance
// parts): on PostgreSQL with the corporation's size generated by SQL, each
// list and search endpoint's p99 through the HTTP API against the p99 of
// the very SQL it ran (captured from it), interleaved, >= 1,000 samples
// each (target <= 2x); the service's RSS at that size against 1k products
// (target <= 1.5x); drafting a payout batch for every artisan; the trial
// balance.
func BenchmarkScale(b *testing.B) {
	size, mode := benchScale()
	n := benchSamples()
	cmd := "make bench (BenchmarkScale, ARTISANBRIDGE_BENCH_SCALE=" + mode + ")"
	eps := func(s testenv.Scale) []endpoint { return scaleEndpoints(s) }
	b.ResetTimer()
	for range b.N {
		small := testenv.Scale{Artisans: 235, Products: 1000, Orders: 1000, Postings: 5000}
		rs, _ := newScaleRig(b, small)
		rs.measure(b, eps(small), max(n/5, 50), nil)
		smallRSS := rssMiB(b)
		rs.srv.Close()

		r, generated := newScaleRig(b, size)
		b.Logf("generated %d artisans, %d products, %d orders, %d postings in %v", size.Artisans, size.Products, size.Orders, size.Postings, generated.Round(time.Second))
		// Each figure is printed as soon as its endpoint is measured.
		r.measure(b, eps(size), n, func(ep endpoint, got latencies) {
			api, sql := p99(got.api), p99(got.sql)
			ratio := float64(api) / float64(sql)
			benchfig.Report(b, "scale: "+ep.name+" p99, API vs its SQL",
				fmt.Sprintf("%.2fx (API %v, SQL %v; %d samples each)", ratio, api.Round(10*time.Microsecond), sql.Round(10*time.Microsecond), len(got.api)),
				"<= 2x", ratio <= 2, cmd)
		})
		bigRSS := rssMiB(b)
		benchfig.Report(b, "scale: RSS at the corporation's size vs 1k products",
			fmt.Sprintf("%.2fx (%.0f MiB at %d products, %.0f MiB at 1000)", bigRSS/smallRSS, bigRSS, size.Products, smallRSS),
			"<= 1.5x", bigRSS/smallRSS <= 1.5, cmd)

		t0 := time.Now()
		r.do(b, http.MethodGet, "/api/v1/ledger/trial-balance", http.StatusOK)
		tb := time.Since(t0)
		benchfig.Report(b, "scale: trial balance", fmt.Sprintf("%v over %d postings", tb.Round(time.Millisecond), size.Postings), "recorded", true, cmd)

		t0 = time.Now()
		body := r.do(b, http.MethodPost, "/api/v1/payout-batches", http.StatusCreated)
		draft := time.Since(t0)
		var lines int64
		if err := r.a.DB.SQL().QueryRow(`SELECT COUNT(*) FROM payout_lines`).Scan(&lines); err != nil {
			b.Fatal(err)
		}
		benchfig.Report(b, "scale: drafting a payout batch", fmt.Sprintf("%v for %d artisans' lines (answer %d bytes)", draft.Round(time.Millisecond), lines, len(body)),
			"recorded", lines > 0, cmd)
	}
}
