package orderpull

import (
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/orders"
)

// TestWalk: a pull carries on the walk an earlier one kept, or begins at
// the cursor less the overlap; once read to its end the cursor goes to
// the newest change taken in, never past the walk's start nor up to an
// order that could not be taken in.
func TestWalk(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 3, 1, 10, m, 0, 0, time.UTC) }
	kept := orders.PullResume{Token: "1:", Since: at(1), Started: at(4), Newest: at(3), FailedAt: at(2)}
	for _, c := range []struct {
		name      string
		cursor    time.Time
		resume    orders.PullResume
		took      []time.Time
		failed    []time.Time
		wantSince time.Time
		wantToken string
		want      time.Time
	}{
		{name: "fresh, nothing new: the cursor stays", cursor: at(10), wantSince: at(8), want: at(10)},
		{name: "fresh: to the newest taken in", cursor: at(10), took: []time.Time{at(12), at(11)}, wantSince: at(8), want: at(12)},
		{name: "fresh: never past the walk's start", cursor: at(10), took: []time.Time{at(25)}, wantSince: at(8), want: at(20)},
		{name: "fresh: before the oldest refused", cursor: at(10), took: []time.Time{at(15)}, failed: []time.Time{at(13), at(12)},
			wantSince: at(8), want: at(12).Add(-time.Second)},
		{name: "resumed: its search, start, newest and refused carry on", cursor: at(0), resume: kept, took: []time.Time{at(3).Add(time.Second)},
			wantSince: at(1), wantToken: "1:", want: at(2).Add(-time.Second)},
		{name: "resumed without a refusal: never past its start", cursor: at(0),
			resume: orders.PullResume{Token: "0:/next", Since: at(1), Started: at(4), Newest: at(3)}, took: []time.Time{at(9)},
			wantSince: at(1), wantToken: "0:/next", want: at(4)},
		{name: "a kept walk without a token is none", cursor: at(10), resume: orders.PullResume{Since: at(1), Started: at(4)},
			wantSince: at(8), want: at(10)},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := beginWalk(c.cursor, c.resume, at(20), 2*time.Minute)
			if !w.Since.Equal(c.wantSince) || w.Token != c.wantToken {
				t.Fatalf("begins at %v token %q, want %v %q", w.Since, w.Token, c.wantSince, c.wantToken)
			}
			for _, u := range c.took {
				w.took(u)
			}
			for _, u := range c.failed {
				w.failed(u)
			}
			if got := w.cursorAfter(); !got.Equal(c.want) {
				t.Fatalf("cursor after %v, want %v", got, c.want)
			}
		})
	}
}
