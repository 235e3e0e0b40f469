package testenv_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// BenchmarkGenerateScale generates the corporation's business divided by
// ARTISANBRIDGE_GENERATE_DIVISOR (20 by default, the quick size; 4 is a
// quarter, 1 the full size) on a fresh PostgreSQL database and logs how
// long each step took, to find where GenerateScale spends its time
// without running the whole of BenchmarkScale (which reports the figure:
// make bench leaves it out).
func BenchmarkGenerateScale(b *testing.B) {
	div := 20
	if v, err := strconv.Atoi(os.Getenv("ARTISANBRIDGE_GENERATE_DIVISOR")); err == nil && v > 0 {
		div = v
	}
	c := testenv.CorporationScale
	s := testenv.Scale{Artisans: c.Artisans / div, Products: c.Products / div, Orders: c.Orders / div, Postings: c.Postings / div}
	for range b.N {
		b.StopTimer()
		db, _ := testenv.Backends()[1].Open(b)
		cpu := testenv.WatchBackendCPU(b, db.SQL())
		b.StartTimer()
		began := time.Now()
		steps, err := testenv.GenerateScaleSteps(context.Background(), db.SQL(), s)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("1/%d of the corporation generated in %v, %v of PostgreSQL backend CPU", div, time.Since(began).Round(100*time.Millisecond), cpu().Round(100*time.Millisecond))
		for _, st := range steps {
			b.Logf("  %-100.100s %v", st.Name, st.Took.Round(10*time.Millisecond))
		}
	}
}
