package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/adapters"
	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/config"
	"github.com/jkhhc/artisanbridge/internal/app"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// syncRig is a worker process on one pair of backends with its Flipkart
// and Amazon channels pointed at simulators of this test.
type syncRig struct {
	a        *app.App
	redisURL string
	channels map[string]string // kind -> channel id
	fk       *flipkartsim.Sim
	amz      *amazonsim.Sim
	fkURL    string
	amzURL   string
	loc      string
	products map[string]string // sku -> product id
	artisan  string
	start    func()
	stop     func()
	// mu guards fk and amz for the simulators' servers while a test
	// restarts them (restartSims).
	mu sync.Mutex
}

// restartSims replaces both simulators by empty ones behind the same
// addresses: marketplaces that lost every listing.
func (r *syncRig) restartSims(amzLimits map[adapters.Operation]adapters.Limit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fk, r.amz = flipkartsim.New(flipkartsim.Config{Seed: 2}), amazonsim.New(amazonsim.Config{Seed: 2, Limits: amzLimits})
}

func (r *syncRig) serve(sim func() http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		h := sim()
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

// backendPair is a database and a Redis the way production (PostgreSQL
// and Redis) or a showroom (SQLite and an in-process Redis) runs them.
type backendPair struct {
	name string
	env  func(t testing.TB) map[string]string
}

func backendPairs() []backendPair {
	r := testenv.RedisBackends()
	return []backendPair{
		{"sqlite+miniredis", func(t testing.TB) map[string]string { // the embedded default
			return map[string]string{"ARTISANBRIDGE_EMBEDDED_REDIS_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_FLIPKART_ADDR": "127.0.0.1:0",
				"ARTISANBRIDGE_SIM_AMAZON_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_SIM_GEM_ADDR": "127.0.0.1:0"}
		}},
		{"postgres+redis", func(t testing.TB) map[string]string {
			_, u := r[1].Open(t)
			return map[string]string{"DATABASE_URL": testenv.NewMigratedPostgresDatabase(t), "REDIS_URL": u}
		}},
	}
}

// rigOptions: env adds settings; amzLimits, when set, replace the Amazon
// simulator's plan; manual leaves the worker to r.start.
type rigOptions struct {
	env       map[string]string
	amzLimits map[adapters.Operation]adapters.Limit
	manual    bool
}

// newSyncRig opens a worker process and starts it (unless o.manual).
func newSyncRig(t testing.TB, bp backendPair, o rigOptions, skus ...string) *syncRig {
	t.Helper()
	extra, amzLimits := o.env, o.amzLimits
	ctx, cancel := context.WithCancel(context.Background())
	env := bp.env(t)
	for k, v := range map[string]string{"ARTISANBRIDGE_MASTER_KEY": secrets.GenerateMasterKey("k1"), "ARTISANBRIDGE_DATA_DIR": t.TempDir(),
		"ARTISANBRIDGE_WORKER_ADDR": "127.0.0.1:0", "ARTISANBRIDGE_RELAY_INTERVAL": "100ms", "ARTISANBRIDGE_PULL_INTERVAL": "24h",
		"ARTISANBRIDGE_LOG_LEVEL": "error"} {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	// The rig is about syncing, not migrating (app.Open still migrates,
	// finding nothing to do): its database starts as a copy of the
	// migrated template, the embedded default's file in its data folder.
	if env["DATABASE_URL"] == "" {
		testenv.MigratedSQLiteFile(t, filepath.Join(env["ARTISANBRIDGE_DATA_DIR"], "artisanbridge.db"))
	}
	cfg, _, err := config.Load(flag.NewFlagSet("rig", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, cfg, testenv.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	started, stopped := false, false
	if env["REDIS_URL"] == "" {
		env["REDIS_URL"] = "redis://" + a.EmbeddedRedisAddr() + "/0"
	}
	r := &syncRig{a: a, redisURL: env["REDIS_URL"], channels: map[string]string{}, products: map[string]string{},
		fk: flipkartsim.New(flipkartsim.Config{Seed: 1}), amz: amazonsim.New(amazonsim.Config{Seed: 1, Limits: amzLimits})}
	r.start = func() {
		if !started {
			started = true
			go func() { defer close(done); _ = a.Run(ctx, app.Mode{Worker: true}) }()
		}
	}
	r.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if started {
				<-done
			}
		}
	}
	if !o.manual {
		r.start()
	}
	t.Cleanup(func() { r.stop(); a.Close() })
	fkSrv := httptest.NewServer(r.serve(func() http.Handler { return r.fk }))
	amzSrv := httptest.NewServer(r.serve(func() http.Handler { return r.amz }))
	t.Cleanup(fkSrv.Close)
	t.Cleanup(amzSrv.Close)
	r.fkURL, r.amzURL = fkSrv.URL, amzSrv.URL

	loc, err := a.Stock.CreateLocation(ctx, inventory.NewLocation{Code: "SRG", Name: "Srinagar", Kind: "showroom"})
	if err != nil {
		t.Fatal(err)
	}
	r.loc = loc.ID
	list, err := a.Channels.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range list {
		var u channels.Update
		settings := channels.Settings{DispatchDays: channels.Days(3), Locations: []channels.LocationMap{{LocationID: loc.ID, ExternalLocationID: "LOCSRG01"}}}
		on := true
		switch ch.Kind {
		case "flipkart":
			base, token, creds := fkSrv.URL+"/sellers", fkSrv.URL+"/oauth-service/oauth/token", map[string]string{"app_id": flipkartsim.AppID, "app_secret": flipkartsim.AppSecret}
			u = channels.Update{BaseURL: &base, TokenURL: &token, Credentials: &creds}
		case "amazon":
			base, token := amzSrv.URL, amzSrv.URL+"/auth/o2/token"
			creds := map[string]string{"client_id": amazonsim.ClientID, "client_secret": amazonsim.ClientSecret, "refresh_token": amazonsim.RefreshToken, "seller_id": amazonsim.SellerID}
			u = channels.Update{BaseURL: &base, TokenURL: &token, Credentials: &creds}
		default:
			continue
		}
		raw, _ := json.Marshal(settings)
		u.Enabled, u.Settings, u.Version = &on, raw, &ch.Version
		if _, err := a.Channels.Update(ctx, ch.ID, u); err != nil {
			t.Fatalf("configure %s: %v", ch.Kind, err)
		}
		r.channels[ch.Kind] = ch.ID
	}
	art, err := a.Catalog.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr("S-1"), Name: ptr("Sync"), Craft: ptr("namda"), Phone: ptr("+919906000003")})
	if err != nil {
		t.Fatal(err)
	}
	r.artisan = art.ID
	for i, sku := range skus {
		p, err := a.Catalog.CreateProduct(ctx, catalog.ProductInput{SKU: &sku, Title: ptr("Namda rug"), Craft: ptr("namda"), HSNCode: ptr("57049000"),
			GSTRateBP: ptr[int64](500), MRPPaise: ptr[int64](500000), PricePaise: ptr[int64](450000), ArtisanID: &art.ID, ArtisanPricePaise: ptr[int64](300000)})
		if err != nil {
			t.Fatal(err)
		}
		r.products[sku] = p.ID
		for kind, id := range r.channels {
			in := listing.Input{}
			if kind == "flipkart" {
				in.ExternalID = ptr(fmt.Sprintf("NMDA%012d", i))
			}
			if _, err := a.Listings.Publish(ctx, p.ID, id, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	return r
}

// intake adds quantity of sku to the showroom's stock.
func (r *syncRig) intake(t testing.TB, sku string, quantity int64) {
	t.Helper()
	if _, err := r.a.Stock.RecordMovement(context.Background(), inventory.MovementInput{ProductID: r.products[sku], LocationID: r.loc,
		Kind: "intake", Quantity: quantity}); err != nil {
		t.Fatal(err)
	}
}

// held is what both simulators offer of each SKU.
func (r *syncRig) held() (flipkart, amazon map[string]int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	flipkart, amazon = map[string]int64{}, map[string]int64{}
	for _, l := range r.fk.Listings() {
		flipkart[l.SKU] = l.Quantity
	}
	for _, l := range r.amz.Listings() {
		amazon[l.SKU] = l.Quantity
	}
	return flipkart, amazon
}

// waitHeld waits until both simulators offer want of every SKU.
func (r *syncRig) waitHeld(t testing.TB, want map[string]int64, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		fk, amz := r.held()
		ok := true
		for sku, q := range want {
			ok = ok && fk[sku] == q && amz[sku] == q
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulators never offered %v: flipkart %v, amazon %v", want, fk, amz)
		}
	}
}

// placeOrder places an order for one piece of sku on a simulator.
func placeOrder(t testing.TB, simURL, sku string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"sku": sku, "quantity": 1})
	resp, err := http.Post(simURL+"/_sim/orders", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("placing an order on %s: %d", simURL, resp.StatusCode)
	}
}

// redis is a client of the rig's Redis, closed with the test.
func (r *syncRig) redis(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(r.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	t.Cleanup(func() { rc.Close() })
	return rc
}
