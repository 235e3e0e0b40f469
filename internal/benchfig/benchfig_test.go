package benchfig

import "testing"

func TestLine(t *testing.T) {
	got := Line("orders/s | vs pgbench", "0.61x (1,220 vs 2,000)", ">= 0.5x", "met", "make bench")
	want := "BENCH | orders/s / vs pgbench | 0.61x (1,220 vs 2,000) | >= 0.5x | met | `make bench` |"
	if got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
}
