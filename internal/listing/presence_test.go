package listing

import (
	"testing"
	"time"
)

func TestPresencePeriod(t *testing.T) {
	for _, tc := range []struct {
		name     string
		listings int64
		perCall  int
		rate     float64
		want     time.Duration
	}{
		{"a small catalogue: every sweep", 25, 10, 5, 10 * time.Second},
		{"no listings", 0, 10, 5, 10 * time.Second},
		{"100,000 on Flipkart", 100_000, 10, 5, 8_000 * time.Second},
		{"2,000 on Amazon (one a call)", 2_000, 1, 5, 1_600 * time.Second},
		{"a partial last call counts", 11, 10, 0.1, 80 * time.Second},
		{"no batch size: one a call", 30, 0, 1, 120 * time.Second},
		{"no rate known: the floor", 1_000_000, 10, 0, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PresencePeriod(tc.listings, tc.perCall, tc.rate, 10*time.Second); got != tc.want {
				t.Fatalf("PresencePeriod(%d, %d, %v) = %s, want %s", tc.listings, tc.perCall, tc.rate, got, tc.want)
			}
		})
	}
}

func TestPresencePage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		perCall int
		rate    float64
		want    int
	}{
		{"Amazon: one SKU a call, 5 a second: two calls in half a second", 1, 5, 2},
		{"Flipkart: 10 a call, 5 a second", 10, 5, 20},
		{"a slow read limit: still one call's worth", 10, 0.1, 10},
		{"a fast one: at most 100", 20, 100, 100},
		{"no batch size: one a call", 0, 4, 2},
		{"no rate known: 100", 10, 0, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PresencePage(tc.perCall, tc.rate, PresenceSlice); got != tc.want {
				t.Fatalf("PresencePage(%d, %v) = %d, want %d", tc.perCall, tc.rate, got, tc.want)
			}
		})
	}
}

func TestShouldBeHeld(t *testing.T) {
	for _, tc := range []struct {
		name, status, pushed string
		want                 bool
	}{
		{"live and pushed", StatusLive, "h", true},
		{"live, never pushed whole", StatusLive, "", false},
		{"refused", StatusRejected, "h", false},
		{"paused", StatusPaused, "h", false},
		{"waiting for its push", StatusPending, "h", false},
		{"awaiting upload", StatusAwaitingUpload, "h", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := SyncItem{Listing: Listing{Status: tc.status}, PushedContent: tc.pushed}
			if got := ShouldBeHeld(it); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
