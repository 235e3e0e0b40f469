package reconcile_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestStockDriftOnAmazon: on Amazon, drift of every kind, an unknown SKU
// added in Seller Central included (found through searchListingsItems), is
// reported with its cause; auto_correct puts right what our values can
// (never deleting what we did not list), and the sync pushes them. The
// same holds read item by item and from the merchant listings report (a
// catalogue at its threshold or above).
func TestStockDriftOnAmazon(t *testing.T) {
	for _, mode := range []struct {
		name      string
		threshold int
	}{{"per-item", 0}, {"report", 1}} {
		for _, b := range testenv.Backends() {
			t.Run(mode.name+"/"+b.Name, func(t *testing.T) {
				stockDriftOnAmazon(t, b, mode.threshold)
			})
		}
	}
}

// amazonWorld is a world whose channel is Amazon's simulator, read from
// its merchant listings report at threshold listings (0: item by item).
func amazonWorld(t *testing.T, b testenv.Backend, threshold int) (*world, *amazonsim.Sim) {
	w := newWorld(t, b, map[adapters.Operation]adapters.Limit{}) // its Flipkart channel stays empty
	ctx := context.Background()
	marketplace := amazonsim.New(amazonsim.Config{Limits: map[adapters.Operation]adapters.Limit{}})
	srv := httptest.NewServer(marketplace)
	t.Cleanup(srv.Close)
	if err := w.chans.Ensure(ctx, "amazon", "amz", srv.URL, srv.URL+"/auth/o2/token", true,
		map[string]string{"client_id": amazonsim.ClientID, "client_secret": amazonsim.ClientSecret,
			"refresh_token": amazonsim.RefreshToken, "seller_id": amazonsim.SellerID}, channels.Settings{}); err != nil {
		t.Fatal(err)
	}
	list, _ := w.chans.List(ctx)
	for _, c := range list {
		if c.Kind == "amazon" {
			w.channel = c
		}
	}
	factory := func(ch channels.Channel, creds map[string]string) (adapters.Channel, error) {
		if ch.Kind != "amazon" {
			return nil, fmt.Errorf("only amazon here")
		}
		return amazon.New(amazon.Config{BaseURL: ch.BaseURL, TokenURL: ch.TokenURL, ClientID: creds["client_id"], ClientSecret: creds["client_secret"],
			RefreshToken: creds["refresh_token"], SellerID: creds["seller_id"], Account: ch.ID, Limits: map[adapters.Operation]adapters.Limit{},
			FeedPoll: time.Millisecond, ReportThreshold: threshold},
			&httpx.Client{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}), nil
	}
	w.engine.Factory = factory
	w.runner.Factory = reconcile.Factory(factory)
	return w, marketplace
}

func stockDriftOnAmazon(t *testing.T, b testenv.Backend, threshold int) {
	w, marketplace := amazonWorld(t, b, threshold)
	ctx := context.Background()
	w.publish(t, 30, 3)
	// What the reconciliations read, not the syncs (a listing Amazon
	// accepts is read once for its ASIN).
	var reports, reads int
	rec := func(autoCorrect bool) reconcile.Reconciliation {
		before := marketplace.CallCounts()
		r := w.reconcile(t, autoCorrect)
		after := marketplace.CallCounts()
		reports += after[string(amazon.OpCreateReport)].Calls - before[string(amazon.OpCreateReport)].Calls
		reads += after[string(adapters.OpGetListings)].Calls - before[string(adapters.OpGetListings)].Calls
		return r
	}
	if r := rec(false); r.Differences != 0 || r.Checked != 30 || r.Status != reconcile.StatusDone {
		t.Fatalf("a clean channel: %+v %v", r, classes(r))
	}
	fifty, price, one := int64(50), int64(199900), int64(1)
	marketplace.Drift("WAL-000001", simkit.Edit{Quantity: &fifty})
	marketplace.Drift("WAL-000002", simkit.Edit{PricePaise: &price})
	marketplace.Delete("WAL-000003")
	marketplace.Drift("OLD-PORTAL-9", simkit.Edit{Quantity: &one, PricePaise: &price})
	want := map[string]string{"WAL-000001": "edited_on_marketplace/reported ", "WAL-000002": "price_differs/reported ",
		"WAL-000003": "missing_there/reported ", "OLD-PORTAL-9": "unknown_sku/reported "}
	r := rec(false)
	if got := classes(r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("report only: %v", got)
	}
	drift, _ := w.db.Exceptions().List(ctx, exceptions.Filter{Kind: exceptions.StockDrift, ChannelID: w.channel.ID}, paging.Request{Limit: 10})
	if len(drift.Items) != 4 {
		t.Fatalf("stock_drift exceptions: %d", len(drift.Items))
	}
	r = rec(true)
	want = map[string]string{"WAL-000001": "edited_on_marketplace/corrected ", "WAL-000002": "price_differs/corrected ",
		"WAL-000003": "missing_there/corrected ", "OLD-PORTAL-9": "unknown_sku/reported "}
	if got := classes(r); fmt.Sprint(got) != fmt.Sprint(want) || r.Corrected != 3 {
		t.Fatalf("auto_correct: %v %+v", got, r)
	}
	if _, err := w.engine.SyncChannel(ctx, w.channel.ID); err != nil {
		t.Fatal(err)
	}
	r = rec(false)
	if got := classes(r); fmt.Sprint(got) != fmt.Sprint(map[string]string{"OLD-PORTAL-9": "unknown_sku/reported "}) {
		t.Fatalf("after the correcting sync: %v", got)
	}
	if threshold > 0 && (reports != 4 || reads != 0) || threshold == 0 && (reports != 0 || reads != 4*30) {
		t.Fatalf("%d reports and %d item reads for four runs of 30 listings (report threshold %d)", reports, reads, threshold)
	}
}

// TestReportRunResumes: a run read from Amazon's merchant listings report
// whose worker died, in the report's rows or in the pass over the listings
// the report lacked, is taken over from its checkpoint: every listing is
// checked once and every difference recorded once, as a person reads them
// in the run.
func TestReportRunResumes(t *testing.T) {
	for _, b := range testenv.Backends() {
		for _, pages := range []int{2, 4} { // dies in the report's rows; in the second pass
			t.Run(fmt.Sprintf("%s/after %d pages", b.Name, pages), func(t *testing.T) {
				w, marketplace := amazonWorld(t, b, 1)
				ctx := context.Background()
				w.publish(t, 30, 3)
				fifty := int64(50)
				for _, sku := range []string{"WAL-000001", "WAL-000012", "WAL-000022", "WAL-000029"} {
					marketplace.Drift(sku, simkit.Edit{Quantity: &fifty})
				}
				marketplace.Delete("WAL-000005")
				marketplace.Delete("WAL-000025")
				now := time.Now().UTC()
				dead := *w.runner
				dead.Runs, dead.PageSize, dead.Now = &dying{RunStore: w.db.Reconciliations(), pages: pages}, 10, func() time.Time { return now }
				r, err := w.svc.Start(ctx, reconcile.Input{ChannelID: w.channel.ID, Kind: reconcile.KindStock})
				if err != nil {
					t.Fatal(err)
				}
				if err := dead.Run(ctx, r.ID); err != nil {
					t.Fatal(err)
				}
				if got, _ := w.svc.Get(ctx, r.ID, paging.Request{Limit: 100}); got.Status != reconcile.StatusRunning || got.Checked == 0 || got.Checked >= 30 {
					t.Fatalf("after the worker died: %+v", got)
				}
				alive := *w.runner
				alive.PageSize = 10
				alive.Now = func() time.Time { return now.Add(reconcile.StaleAfter + time.Second) }
				if n, err := alive.ResumeStale(ctx, alive.Run); n != 1 || err != nil {
					t.Fatalf("stale runs resumed: %d, %v", n, err)
				}
				got, _ := w.svc.Get(ctx, r.ID, paging.Request{Limit: 100})
				if got.Status != reconcile.StatusDone || got.Checked != 30 || got.Differences != 6 || len(got.Found.Items) != 6 {
					t.Fatalf("after the takeover: %+v %v", got, classes(got))
				}
				want := map[string]string{"WAL-000001": "edited_on_marketplace/reported ", "WAL-000012": "edited_on_marketplace/reported ",
					"WAL-000022": "edited_on_marketplace/reported ", "WAL-000029": "edited_on_marketplace/reported ",
					"WAL-000005": "missing_there/reported ", "WAL-000025": "missing_there/reported "}
				if c := classes(got); fmt.Sprint(c) != fmt.Sprint(want) {
					t.Fatalf("differences: %v", c)
				}
			})
		}
	}
}
