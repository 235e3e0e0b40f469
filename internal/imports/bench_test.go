package imports_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/benchfig"
	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// peakRSS is the process's peak resident set since the last resetPeak, in
// bytes (Linux: VmHWM).
func peakRSS(tb testing.TB) int64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// resetPeak returns freed memory to the system and restarts the peak.
func resetPeak(tb testing.TB) {
	tb.Helper()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Fatalf("resetting the peak RSS: %v", err)
	}
}

// sheetOf streams a generated sheet of n rows: it is never held whole.
func sheetOf(header string, n int, row func(i int) string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := &strings.Builder{}
		w.WriteString(header)
		for i := range n {
			w.WriteString(row(i))
			if w.Len() > 64<<10 {
				if _, err := pw.Write([]byte(w.String())); err != nil {
					return
				}
				w.Reset()
			}
		}
		pw.Write([]byte(w.String())) //nolint:errcheck // a failed read reports it
		pw.Close()
	}()
	return pr
}

const artisanHeader = "code,name,craft,cluster,district,phone,pehchan_card_no,gi_authorised_user_no,bank_account_number,bank_ifsc,language\n"

func artisanRow(i int) string {
	return fmt.Sprintf("AR-%07d,Artisan %d,kani_shawl,Kanihama,Budgam,9%09d,PC/%d,GI-AU-%d,%012d,JAKA0KANIHM,ks\n", i, i, 419000000+i%100000000, i, i, 100000000000+int64(i))
}

func productRowOf(artisans int) func(int) string {
	return func(i int) string {
		return fmt.Sprintf("PR-%07d,Kani shawl %d,kani_shawl,6214,500,9500000,8900000,AR-%07d,5000000\n", i, i, i%artisans)
	}
}

const productHeader = "sku,title,craft,hsn_code,gst_rate_bp,mrp_paise,price_paise,artisan_code,artisan_price_paise\n"

type importRun struct {
	rows    int
	elapsed time.Duration
	peak    int64
	runs    int
}

// timeImport uploads a generated sheet and runs its job to the end, as
// the worker does (one run per slice), measuring time and peak RSS.
func timeImport(tb testing.TB, svc *imports.Service, e env, kind string, header string, n int, row func(int) string) importRun {
	tb.Helper()
	resetPeak(tb)
	start := time.Now()
	imp, err := svc.Upload(e.ctx, kind, kind+".csv", sheetOf(header, n, row))
	if err != nil {
		tb.Fatal(err)
	}
	runs := 0
	for {
		runs++
		done, err := svc.Run(context.Background(), imp.ID)
		if err != nil {
			tb.Fatal(err)
		}
		if done {
			break
		}
	}
	elapsed := time.Since(start)
	got, err := svc.Get(context.Background(), imp.ID)
	if err != nil {
		tb.Fatal(err)
	}
	if got.Status != imports.StatusDone || got.Created != int64(n) {
		tb.Fatalf("%s import ended %s: %+v", kind, got.Status, got)
	}
	return importRun{rows: n, elapsed: elapsed, peak: peakRSS(tb), runs: runs}
}

// importAtScale imports artisans then products on PostgreSQL, after a
// 1,000-row import of each as the memory baseline, and reports time, rows
// per second and peak RSS against the baseline's (memory flat: <= 1.5x).
func importAtScale(tb testing.TB, artisans, products int, report bool) {
	tb.Helper()
	e := newEnv(tb, testenv.Backends()[1])
	if _, err := e.cat.CreateCluster(e.ctx, clusterKanihama); err != nil {
		tb.Fatal(err)
	}
	svc := imports.NewService(e.db.Imports(), e.cat, nil, nil, imports.Options{})
	small := min(1000, artisans)
	baseA := timeImport(tb, svc, e, imports.KindArtisans, artisanHeader, small, func(i int) string { return artisanRow(artisans + i) })
	bigA := timeImport(tb, svc, e, imports.KindArtisans, artisanHeader, artisans, artisanRow)
	baseP := timeImport(tb, svc, e, imports.KindProducts, productHeader, min(1000, products), func(i int) string { return productRowOf(artisans)(products + i) })
	bigP := timeImport(tb, svc, e, imports.KindProducts, productHeader, products, productRowOf(artisans))
	if !report {
		return
	}
	for _, r := range []struct {
		what      string
		base, big importRun
	}{{"artisans", baseA, bigA}, {"products", baseP, bigP}} {
		ratio := float64(r.big.peak) / float64(r.base.peak)
		benchfig.Report(tb, fmt.Sprintf("import of %d %s (CSV, PostgreSQL, validated then applied in batches)", r.big.rows, r.what),
			fmt.Sprintf("%s, %.0f rows/s, %d runs; peak RSS %d MiB = %.2fx that of a %d-row import (%d MiB)",
				r.big.elapsed.Round(time.Second), float64(r.big.rows)/r.big.elapsed.Seconds(), r.big.runs,
				r.big.peak>>20, ratio, r.base.rows, r.base.peak>>20),
			"memory flat: peak RSS <= 1.5x the 1,000-row import's", ratio <= 1.5,
			"go test -run '^$' -bench BenchmarkImportAtScale ./internal/imports/")
	}
}

// BenchmarkImportAtScale is issue 11's import figure: 2.35 lakh artisans
// and a million products (ARTISANBRIDGE_BENCH_ARTISANS,
// ARTISANBRIDGE_BENCH_PRODUCTS) imported from CSV on PostgreSQL.
func BenchmarkImportAtScale(b *testing.B) {
	artisans := envInt("ARTISANBRIDGE_BENCH_ARTISANS", 235_000)
	products := envInt("ARTISANBRIDGE_BENCH_PRODUCTS", 1_000_000)
	for range b.N {
		importAtScale(b, artisans, products, true)
	}
}

// TestImportAtScaleQuick runs the benchmark's path with small counts, so
// that it stays working between benchmark runs.
func TestImportAtScaleQuick(t *testing.T) {
	importAtScale(t, 1500, 3000, false)
}

// TestImportRefreshesPlannerStatistics: an import that grows a table past
// 4,096 rows has PostgreSQL analyze it (its own ANALYZE, not autovacuum's),
// so that the lookups of the batches after it are planned for the size the
// table has; on SQLite the same import just succeeds.
func TestImportRefreshesPlannerStatistics(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b)
			if _, err := e.cat.CreateCluster(e.ctx, clusterKanihama); err != nil {
				t.Fatal(err)
			}
			svc := imports.NewService(e.db.Imports(), e.cat, nil, nil, imports.Options{})
			const artisans, products = 50, 5000
			timeImport(t, svc, e, imports.KindArtisans, artisanHeader, artisans, artisanRow)
			timeImport(t, svc, e, imports.KindProducts, productHeader, products, productRowOf(artisans))
			if got := e.count(t, `SELECT COUNT(*) FROM products`); got != products {
				t.Fatalf("%d products, want %d", got, products)
			}
			if b.Name != "postgres" {
				return
			}
			for _, table := range []string{"import_keys", "products", "product_search"} {
				deadline := time.Now().Add(10 * time.Second)
				for e.count(t, `SELECT COALESCE(SUM(analyze_count), 0) FROM pg_stat_user_tables WHERE relname = ?`, table) == 0 {
					if time.Now().After(deadline) {
						t.Fatalf("%s was never analyzed by the import of %d rows", table, products)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
}
