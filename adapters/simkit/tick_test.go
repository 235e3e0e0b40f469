package simkit

import (
	"testing"
	"time"
)

// TestTickAfter: an order's change is stamped with the wall clock's whole
// second, strictly after its own previous change; orders changed in the
// same second share it, so the clock never runs ahead of the wall clock
// however many orders a second are placed.
func TestTickAfter(t *testing.T) {
	wall := time.Date(2026, 3, 1, 10, 0, 0, 700_000_000, time.UTC)
	sec := wall.Truncate(time.Second)
	k := New(nil, 1, func() time.Time { return wall })
	for _, c := range []struct {
		name string
		prev time.Time
		want time.Time
	}{
		{"a new order: the wall clock's second", time.Time{}, sec},
		{"another new order in the same second shares it", time.Time{}, sec},
		{"a change after an earlier second", sec.Add(-5 * time.Second), sec},
		{"a change in the second of the last one: the next second", sec, sec.Add(time.Second)},
		{"a change after one stamped ahead: after it", sec.Add(3 * time.Second), sec.Add(4 * time.Second)},
		{"a previous change with a fraction", sec.Add(300 * time.Millisecond), sec.Add(time.Second)},
	} {
		if got := k.TickAfter(c.prev); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
