package app_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// BenchmarkSettlementImport is BenchmarkScale's settlement part alone, over
// a business just large enough for the file: ARTISANBRIDGE_SETTLEMENT_LINES
// lines (finance.MaxSettlementRows, 50,000, by default), each settling one
// of the generated Flipkart orders, on PostgreSQL. BenchmarkScale reports
// the figure over the full-size ledger: make bench leaves it out.
func BenchmarkSettlementImport(b *testing.B) {
	n := 50_000
	if v, err := strconv.Atoi(os.Getenv("ARTISANBRIDGE_SETTLEMENT_LINES")); err == nil && v > 0 {
		n = v
	}
	// One order in three is Flipkart's and 85 in 100 of those were
	// delivered: about 3.6 orders per settled line.
	orders := n*36/10 + 1000
	s := testenv.Scale{Artisans: max(orders/20, 100), Products: max(orders/5, 100), Orders: orders, Postings: max(orders/2, 1000)}
	for range b.N {
		r, _ := newScaleRig(b, s, "")
		r.benchSettlementImport(b, s, n, "go test ./internal/app/ -run '^$' -bench BenchmarkSettlementImport")
	}
}
