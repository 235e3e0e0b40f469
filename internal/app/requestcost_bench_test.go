package app_test

import (
	"net/http"
	"testing"
)

// BenchmarkScaleRequestCost is the cost of one list request through the
// API beside the very SQL it ran, as sub-benchmarks api and sql per
// endpoint of BenchmarkScale, over the same generated business
// (ARTISANBRIDGE_BENCH_SCALE, ARTISANBRIDGE_BENCH_KEEP_DB,
// ARTISANBRIDGE_BENCH_ENDPOINTS choose as there). Its allocs/op and B/op
// do not depend on how busy the machine is, unlike BenchmarkScale's p99s:
// a tool for working on the API's share of a list; make bench leaves it out.
func BenchmarkScaleRequestCost(b *testing.B) {
	size, _ := benchScale()
	r, _ := newScaleRig(b, size, benchKeptDB())
	only := benchEndpoints(b)
	for _, ep := range scaleEndpoints(size) {
		if only != nil && !only.MatchString(ep.name) {
			continue
		}
		stmts := make([][]capturedSQL, len(ep.variants))
		for v, path := range ep.variants {
			stmts[v] = r.sqlOf(b, path)
		}
		b.Run(ep.name+"/api", func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				r.do(b, http.MethodGet, ep.variants[i%len(ep.variants)], http.StatusOK)
			}
		})
		b.Run(ep.name+"/sql", func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				r.raw(b, stmts[i%len(stmts)])
			}
		})
	}
}
