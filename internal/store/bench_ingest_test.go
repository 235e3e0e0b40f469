package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// benchSeconds is how long each side of a throughput comparison runs:
// ARTISANBRIDGE_BENCH_SECONDS, 10 by default (make bench), less in CI.
func benchSeconds() time.Duration {
	if v, err := strconv.Atoi(os.Getenv("ARTISANBRIDGE_BENCH_SECONDS")); err == nil && v > 0 {
		return time.Duration(v) * time.Second
	}
	return 10 * time.Second
}

// BenchmarkIngestVsPgbench is issue 4's acceptance 6, first half: the
// ingestion core's throughput on PostgreSQL (normalised two-line orders
// fed straight in by 8 workers: order, lines, reservations, tasks, maker
// messages and outbox events in one transaction each) as a ratio to
// pgbench's tpcb-like transactions per second with 8 clients on the same
// server in the same run. Target: ratio >= 0.5.
func BenchmarkIngestVsPgbench(b *testing.B) {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		b.Fatalf("pgbench is needed to compare against (Debian: postgresql-client): %v", err)
	}
	d := benchSeconds()
	b.ResetTimer()
	for range b.N {
		ours := ingestThroughput(b, d)
		theirs := pgbenchTPS(b, pgbench, d)
		b.ReportMetric(ours, "orders/s")
		b.ReportMetric(theirs, "pgbench_tps")
		b.ReportMetric(ours/theirs, "ratio")
		b.Logf("ingestion %.0f orders/s (two lines each), pgbench tpcb-like %.0f tps: ratio %.2f (target >= 0.5)", ours, theirs, ours/theirs)
	}
}

func ingestThroughput(b *testing.B, d time.Duration) float64 {
	b.Helper()
	ctx := context.Background()
	var pg testenv.Backend
	for _, be := range testenv.Backends() {
		if be.Name == "postgres" {
			pg = be
		}
	}
	db, _ := pg.Open(b)
	ring := mustRing(&testing.T{})
	crafts, _ := catalog.NewCrafts()
	cat := catalog.NewService(db.Catalog(), ring, crafts, nil)
	inv := inventory.NewService(db.Inventory(), nil)
	art, err := cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr("B-1"), Name: ptr("Bench"), Craft: ptr("namda"), Phone: ptr("+919906000001")})
	if err != nil {
		b.Fatal(err)
	}
	loc, err := inv.CreateLocation(ctx, inventory.NewLocation{Code: "SRG", Name: "Srinagar", Kind: "showroom"})
	if err != nil {
		b.Fatal(err)
	}
	const skus = 200
	for i := range skus {
		p, err := cat.CreateProduct(ctx, catalog.ProductInput{SKU: ptr(fmt.Sprintf("B-%03d", i)), Title: ptr("Namda rug"), Craft: ptr("namda"),
			HSNCode: ptr("57049000"), GSTRateBP: ptr[int64](500), MRPPaise: ptr[int64](500000), PricePaise: ptr[int64](450000),
			ArtisanID: ptr(art.ID), ArtisanPricePaise: ptr[int64](300000)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := inv.RecordMovement(ctx, inventory.MovementInput{ProductID: p.ID, LocationID: loc.ID, Kind: "intake", Quantity: 1_000_000}); err != nil {
			b.Fatal(err)
		}
	}
	chs := channels.NewService(db.Channels(), ring, nil)
	if err := chs.Ensure(ctx, "flipkart", "bench", "https://example.invalid", "", true, nil,
		channels.Settings{Locations: []channels.LocationMap{{LocationID: loc.ID}}}); err != nil {
		b.Fatal(err)
	}
	list, _ := chs.List(ctx)
	svc := orders.NewService(db.Orders(), nil)
	var n atomic.Int64
	var failed atomic.Int64
	deadline := time.Now().Add(d)
	began := time.Now()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				at := time.Now().UTC()
				o := orders.Incoming{ChannelID: list[0].ID, ExternalOrderID: fmt.Sprintf("W%d-%d", w, i), Status: orders.StatusOpen, OrderedAt: at, UpdatedAt: at,
					Lines: []orders.IncomingLine{{ExternalLineID: "1", SKU: fmt.Sprintf("B-%03d", (w*31+i)%skus), Quantity: 1, UnitPricePaise: 450000},
						{ExternalLineID: "2", SKU: fmt.Sprintf("B-%03d", (w*31+i+7)%skus), Quantity: 1, UnitPricePaise: 450000}}}
				if res, err := svc.Ingest(ctx, o); err != nil || res.Reserved != 2 {
					failed.Add(1)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("%d orders failed to ingest", failed.Load())
	}
	return float64(n.Load()) / time.Since(began).Seconds()
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

func pgbenchTPS(b *testing.B, pgbench string, d time.Duration) float64 {
	b.Helper()
	url := testenv.NewPostgresDatabase(b)
	if out, err := exec.Command(pgbench, "-i", "-q", "-s", "1", url).CombinedOutput(); err != nil {
		b.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	out, err := exec.Command(pgbench, "-b", "tpcb-like", "-n", "-c", "8", "-j", "2", "-T", strconv.Itoa(int(d.Seconds())), url).CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		b.Fatalf("no tps in pgbench's output:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}
