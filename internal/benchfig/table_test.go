package benchfig

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBenchmarks(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"declared ones only", "package x\n\nfunc BenchmarkA(b *testing.B) {}\nfunc helper(b *testing.B) {}\n// func BenchmarkNot(b *testing.B)\nfunc BenchmarkScale(b *testing.B) {\n}\n",
			"BenchmarkA,BenchmarkScale"},
		{"left out by its doc comment, across a line break", "package x\n\n// BenchmarkPart times one step; make bench\n// leaves it out: BenchmarkWhole reports it.\nfunc BenchmarkPart(b *testing.B) {}\n\n// BenchmarkWhole is the figure.\nfunc BenchmarkWhole(b *testing.B) {}\n",
			"BenchmarkWhole"},
		{"the phrase in another function's comment does not count", "package x\n\n// helper: make bench leaves it out\nfunc helper() {}\n\nfunc BenchmarkA(b *testing.B) {}\n",
			"BenchmarkA"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(Benchmarks(c.src), ","); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseAndRows(t *testing.T) {
	fig := Line("import of 1M products", "5m0s", "<= 6 min", "met", "go test ./internal/imports/")
	cases := []struct {
		name    string
		output  string
		exitErr error
		failed  bool
		reason  string
		rows    []string // substrings of each row, in order
	}{
		{"figures printed, passed",
			fig + "\nBenchmarkImportAtScale-2   \t       1\t59540636434 ns/op\n--- BENCH: BenchmarkImportAtScale-2\n    bench_test.go:166: " + fig + "\nPASS\n",
			nil, false, "", []string{"import of 1M products | 5m0s"}},
		{"micro-benchmark: its metrics, reported",
			"BenchmarkPush10kStockChanges-2   \t       1\t5000 ns/op\t         4.935 seconds\t        20.00 workbooks\nPASS\n",
			nil, false, "", []string{"seconds 4.935, workbooks 20.00; 2m0s wall | none: reported only | reported |"}},
		{"no metrics: the time per run",
			"BenchmarkX-2   \t       1\t1500000000 ns/op\nPASS\n", nil, false, "", []string{"1.5s per run"}},
		{"failed after a figure: the figure stays, the failure is named",
			fig + "\n--- FAIL: BenchmarkImportAtScale-2\n    bench_test.go:120: products import ended failed: {...}\nFAIL\nexit status 1\nFAIL\tgithub.com/x/internal/imports\t60.1s\n",
			errors.New("exit status 1"), true, "bench_test.go:120: products import ended failed: {...}",
			[]string{"import of 1M products", "the benchmark FAILED | failed after 2m0s: bench_test.go:120"}},
		{"timed out: the panic is the reason",
			"panic: test timed out after 1m0s\n\trunning tests:\n", errors.New("exit status 2"), true, "panic: test timed out after 1m0s",
			[]string{"panic: test timed out"}},
		{"did not build: the last line",
			"# github.com/x/internal/imports\n./a.go:3:1: syntax error\nFAIL\tgithub.com/x [build failed]\n", errors.New("exit status 1"), true,
			"FAIL\tgithub.com/x [build failed]", []string{"build failed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Result{Package: "./internal/imports/", Name: "BenchmarkImportAtScale", Command: "go test x", Wall: 2 * time.Minute}
			if strings.HasPrefix(c.output, "BenchmarkPush") {
				r.Name = "BenchmarkPush10kStockChanges"
			}
			if strings.HasPrefix(c.output, "BenchmarkX") {
				r.Name = "BenchmarkX"
			}
			Parse(&r, c.output, c.exitErr)
			if r.Failed != c.failed || r.Reason != c.reason {
				t.Fatalf("failed %v reason %q, want %v %q", r.Failed, r.Reason, c.failed, c.reason)
			}
			rows := r.Rows()
			if len(rows) != len(c.rows) {
				t.Fatalf("rows %q, want %d", rows, len(c.rows))
			}
			for i, want := range c.rows {
				if !strings.Contains(rows[i], want) || strings.Count(rows[i], " | ") != 5 {
					t.Errorf("row %d %q lacks %q or has not 6 cells", i, rows[i], want)
				}
			}
		})
	}
}

func TestTable(t *testing.T) {
	at := time.Date(2026, 12, 1, 17, 30, 0, 0, time.UTC)
	ok := Result{Package: "./a/", Name: "BenchmarkA", Wall: 90 * time.Second, Lines: []string{Line("f", "m", "t", "met", "c")}}
	bad := Result{Package: "./b/", Name: "BenchmarkB", Wall: time.Second, Failed: true, Reason: "boom", Command: "c"}
	got := Table(at, "host h: 2 cores", 91*time.Second, []Result{ok, bad})
	for _, want := range []string{
		"# make bench, 2026-12-01 17:30Z, host h: 2 cores\n",
		"2 benchmarks in 1m31s of wall time, 1 failed.",
		"| figure | measured | target | met | command |\n|---|---|---|---|---|\n| f | m | t | met | `c` |\n| BenchmarkB (./b/): the benchmark FAILED | failed after 1s: boom |",
		"| BenchmarkA | ./a/ | 1m30s | passed |\n| BenchmarkB | ./b/ | 1s | FAILED |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}
