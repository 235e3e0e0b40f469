package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestPullResume: the walk an unfinished pull keeps beside the cursor is
// read back as kept, a first save gives a channel its cursor and a later
// one leaves the cursor alone, and both advancing the cursor (even when it
// does not move) and a rescan end the walk; the cursor never moves back.
func TestPullResume(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 3, 1, 10, m, 0, 0, time.UTC) }
	walk := orders.PullResume{Token: "0:/v3/shipments/filter?next_token=abc", Since: at(1), Started: at(5), Newest: at(3)}
	failed := walk
	failed.Token, failed.FailedAt = "2:", at(2)
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := context.Background()
			ch := ids.New()
			sqlExec(t, db.Gorm(), `INSERT INTO channels (id, kind, name, base_url, created_at, updated_at) VALUES (?, 'flipkart', 'fk', 'https://example.invalid', ?, ?)`,
				ch, at(0), at(0))
			o := db.Orders()
			for _, s := range []struct {
				name       string
				do         func() error
				wantCursor time.Time
				wantResume orders.PullResume
			}{
				{"nothing yet", func() error { return nil }, time.Time{}, orders.PullResume{}},
				{"first save gives the cursor", func() error { return o.SavePullResume(ctx, ch, at(0), walk) }, at(0), walk},
				{"a later save keeps the cursor", func() error { return o.SavePullResume(ctx, ch, at(9), failed) }, at(0), failed},
				{"advancing ends the walk", func() error { return o.AdvancePullCursor(ctx, ch, at(4)) }, at(4), orders.PullResume{}},
				{"saved again", func() error { return o.SavePullResume(ctx, ch, at(0), walk) }, at(4), walk},
				{"a cursor that would go back stays, the walk ends", func() error { return o.AdvancePullCursor(ctx, ch, at(2)) }, at(4), orders.PullResume{}},
				{"saved once more", func() error { return o.SavePullResume(ctx, ch, at(0), walk) }, at(4), walk},
				{"a rescan moves the cursor back and ends the walk", func() error { return o.ResetPullCursor(ctx, ch, at(1)) }, at(1), orders.PullResume{}},
			} {
				if err := s.do(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				cur, err := o.PullCursor(ctx, ch)
				if err != nil || !cur.Equal(s.wantCursor) {
					t.Fatalf("%s: cursor %v %v, want %v", s.name, cur, err, s.wantCursor)
				}
				r, err := o.PullResume(ctx, ch)
				if err != nil || !sameResume(r, s.wantResume) {
					t.Fatalf("%s: resume %+v %v, want %+v", s.name, r, err, s.wantResume)
				}
			}
			if err := o.SavePullResume(ctx, ch, at(0), orders.PullResume{Since: at(1)}); err == nil {
				t.Fatal("a resume without a page token was kept")
			}
		})
	}
}

func sameResume(a, b orders.PullResume) bool {
	return a.Token == b.Token && a.Since.Equal(b.Since) && a.Started.Equal(b.Started) && a.Newest.Equal(b.Newest) && a.FailedAt.Equal(b.FailedAt)
}
