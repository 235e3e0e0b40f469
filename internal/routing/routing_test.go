package routing

import (
	"testing"
	"time"
)

func TestCandidates(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	by := now.Add(72 * time.Hour)
	soon := now.Add(10 * time.Hour)
	type want struct {
		kind      Kind
		loc, dest string
		reserve   bool
		due       *time.Time
	}
	dayBefore := by.Add(-24 * time.Hour)
	halfway := now.Add(5 * time.Hour)
	for _, tc := range []struct {
		name   string
		line   Line
		made   bool
		places Places
		want   []want
	}{
		{"shelves first, dispatch location first, then the maker's home, then the loom",
			Line{Quantity: 1, DispatchBy: &by}, true, Places{Shelves: []string{"srinagar", "delhi"}, Homes: []string{"home"}},
			[]want{{Pick, "srinagar", "srinagar", true, &by}, {Pick, "delhi", "delhi", true, &by},
				{Collect, "home", "srinagar", true, &dayBefore}, {Make, "srinagar", "srinagar", false, &by}}},
		{"not made to order: no loom", Line{Quantity: 1, DispatchBy: &by}, false, Places{Shelves: []string{"s"}},
			[]want{{Pick, "s", "s", true, &by}}},
		{"no shelf: nowhere to dispatch from", Line{Quantity: 1}, true, Places{Homes: []string{"home"}}, nil},
		{"a close deadline halves the time left for the pickup", Line{Quantity: 1, DispatchBy: &soon}, false,
			Places{Shelves: []string{"s"}, Homes: []string{"h"}}, []want{{Pick, "s", "s", true, &soon}, {Collect, "h", "s", true, &halfway}}},
		{"no deadline, no due dates", Line{Quantity: 2}, false, Places{Shelves: []string{"s"}, Homes: []string{"h"}},
			[]want{{Pick, "s", "s", true, nil}, {Collect, "h", "s", true, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Candidates(tc.line, tc.made, tc.places, now)
			if len(got) != len(tc.want) {
				t.Fatalf("%d candidates, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Kind != w.kind || g.LocationID != w.loc || g.Destination != w.dest || g.Reserve != w.reserve {
					t.Errorf("candidate %d = %+v, want %+v", i, g, w)
				}
				if (g.Due == nil) != (w.due == nil) || (g.Due != nil && !g.Due.Equal(*w.due)) {
					t.Errorf("candidate %d due %v, want %v", i, g.Due, w.due)
				}
			}
		})
	}
}
