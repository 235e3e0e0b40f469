package reconcile_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/benchfig"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// seed puts n live, in-sync listings of 3 units at 2,500 rupees on the
// channel and on the simulator, in bulk (a fixture: the catalogue's own
// path is measured elsewhere); every hundredth one is edited on the
// marketplace, so the run has differences to record.
func (w *world) seed(b *testing.B, n int) {
	b.Helper()
	ctx := context.Background()
	s := func(v string) *string { return &v }
	a, err := w.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: s("WW-1"), Name: s("Maker"), Craft: s("walnut_wood_carving")})
	if err != nil {
		b.Fatal(err)
	}
	g := w.db.Gorm()
	now := time.Now().UTC()
	const batch = 400
	for start := 0; start < n; start += batch {
		var products, levels, listings []any
		var pq, lq, sq string
		for i := start; i < min(start+batch, n); i++ {
			pid, sku := ids.New(), fmt.Sprintf("WAL-%06d", i)
			sep := map[bool]string{true: "", false: ","}[i == start]
			pq += sep + "(?, ?, 'Walnut box', 'walnut_wood_carving', '44209090', 500, 300000, 250000, ?, 6000, 'active', ?, ?)"
			products = append(products, pid, sku, a.ID, now, now)
			sq += sep + "(?, ?, 3, 0, ?)"
			levels = append(levels, pid, w.loc.ID, now)
			lq += sep + "(?, ?, ?, 'live', 'seeded', 250000, 300000, 3, 1, 1, ?, ?)"
			listings = append(listings, ids.New(), pid, w.channel.ID, now, now)
			q, p := int64(3), int64(250000)
			if i%100 == 7 {
				q = 9
			}
			w.sim.Drift(sku, simkit.Edit{Quantity: &q, PricePaise: &p})
		}
		err := g.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`INSERT INTO products (id, sku, title, craft, hsn_code, gst_rate_bp, mrp_paise, price_paise, artisan_id, artisan_share_bp, status, created_at, updated_at) VALUES `+pq, products...).Error; err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO stock_levels (product_id, location_id, on_hand, reserved, updated_at) VALUES `+sq, levels...).Error; err != nil {
				return err
			}
			return tx.Exec(`INSERT INTO listings (id, product_id, channel_id, status, pushed_content, pushed_price_paise, pushed_mrp_paise, pushed_quantity, dirty_seq, synced_seq, created_at, updated_at) VALUES `+lq, listings...).Error
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// liveHeap is the live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// sampler measures the live heap while the run waits for one of its reads
// (every every-th), in the simulator's handler: the run's page of
// listings, its SKUs and what the marketplace answered so far are all held
// then, and the run allocates nothing meanwhile. (A sampler ticking beside
// the run counted what the run allocated during each collection as live, a
// figure growing with the length of the run and with the collector's work
// on the simulator's catalogue, not with what the run holds.)
type sampler struct {
	mu          sync.Mutex
	every, seen int
	peak        uint64
	spent       time.Duration // sampling, not the run's own time
}

func (s *sampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen%s.every == 0 {
		start := time.Now()
		s.peak = max(s.peak, liveHeap())
		s.spent += time.Since(start)
	}
	s.seen++
}

// peakHeap runs fn, sampled by s, and returns its peak live heap above the
// live heap before. The simulator, in this process, holds every listing it
// serves: that is the marketplace's memory, in the baseline, not ours.
func peakHeap(s *sampler, fn func()) uint64 {
	before := liveHeap()
	fn()
	if s.peak < before {
		return 0
	}
	return s.peak - before
}

// BenchmarkReconcile100k is issue 12's acceptance 1 at scale: one stock
// reconciliation of 100,000 SKUs on one Flipkart channel (SQLite, the
// embedded default) against one of 1,000, in the same run. Memory is flat
// when the peak live heap grows far less than the catalogue (the run
// streams pages of 500 listings and holds one page's reads and differences
// at a time); time is bounded by the marketplace's read limits when our
// own time per SKU is far below what Flipkart's limit allows.
func BenchmarkReconcile100k(b *testing.B) {
	backend := testenv.Backends()[0]
	run := func(n int) (heap uint64, took time.Duration, calls int, diffs int64) {
		w := newWorld(b, backend, map[adapters.Operation]adapters.Limit{})
		w.seed(b, n)
		// About a hundred samples a run whatever its size (10 SKUs a read),
		// at every position in a page's reads (50 of them): never a
		// multiple of 50.
		s := &sampler{every: max(1, n/10/100-1)}
		f := s.sample
		w.onRequest.Store(&f)
		var got int64
		heap = peakHeap(s, func() {
			start := time.Now()
			r := w.reconcile(b, false)
			took = time.Since(start) - s.spent
			got = r.Differences
			if r.Checked != int64(n) {
				b.Fatalf("checked %d of %d", r.Checked, n)
			}
		})
		return heap, took, w.sim.CallCounts()[string(adapters.OpGetListings)].Calls, got
	}
	for i := 0; i < b.N; i++ {
		smallHeap, smallTook, _, smallDiffs := run(1_000)
		bigHeap, bigTook, calls, diffs := run(100_000)
		if smallDiffs != 10 || diffs != 1_000 {
			b.Fatalf("differences: %d and %d, want 10 and 1000", smallDiffs, diffs)
		}
		ratio := float64(bigHeap) / float64(smallHeap)
		benchfig.Report(b, "stock reconciliation of 100,000 SKUs: peak live heap growth during the run against 1,000 SKUs",
			fmt.Sprintf("%.1f MiB vs %.1f MiB (x%.2f for 100x the SKUs)", float64(bigHeap)/(1<<20), float64(smallHeap)/(1<<20), ratio),
			"x2 or less for 100x the SKUs (flat; holding the catalogue would be x100)", ratio <= 2, "make bench (BenchmarkReconcile100k)")
		limit := flipkart.DefaultLimits[adapters.OpGetListings]
		floor := time.Duration(float64(calls) / limit.Rate * float64(time.Second))
		benchfig.Report(b, "stock reconciliation of 100,000 SKUs: our time against Flipkart's read limit",
			fmt.Sprintf("%s of ours for %d reads (%s for 1,000 SKUs); at %.0f reads/s of %d SKUs the marketplace needs %s",
				bigTook.Round(time.Millisecond), calls, smallTook.Round(time.Millisecond), limit.Rate, limit.BatchSize, floor.Round(time.Second)),
			"ours under a tenth of the limit's floor (time bounded by the read limit)", bigTook < floor/10, "make bench (BenchmarkReconcile100k)")
	}
}
