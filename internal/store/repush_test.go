package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestRepushOnlyWhatNeedsIt: a reconciliation's or presence check's
// correction re-queues an enabled listing whose value it forgets is still
// known as pushed, and nothing else: a listing withdrawn, refused, or
// already waiting for that push since the difference was read keeps its
// state and is not made dirty again (the UPDATE's condition decides).
func TestRepushOnlyWhatNeedsIt(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		chs := channelsFor(t, f, 1, f.showroom)
		g := f.db.Gorm()
		type row struct {
			Enabled  bool
			Status   string
			Content  string
			Quantity *int64
			Price    *int64
		}
		q := func(v int64) *int64 { return &v }
		live := row{true, "live", "h1", q(3), q(500)}
		for _, tc := range []struct {
			name  string
			class string
			row   row
			want  bool
		}{
			{"missing there, live", "missing_there", live, true},
			{"missing there, withdrawn since", "missing_there", row{false, "paused", "h1", q(0), q(500)}, false},
			{"missing there, refused since", "missing_there", row{true, "rejected", "h1", q(3), q(500)}, false},
			{"missing there, already waiting for its whole push", "missing_there", row{true, "pending", "", q(3), q(500)}, false},
			{"quantity edited, live", "edited_on_marketplace", live, true},
			{"quantity edited, withdrawn since", "edited_on_marketplace", row{false, "paused", "h1", q(0), q(500)}, false},
			{"quantity edited, its push already waiting", "edited_on_marketplace", row{true, "live", "h1", nil, q(500)}, false},
			{"price differs, live", "price_differs", live, true},
			{"price differs, withdrawn since", "price_differs", row{false, "paused", "h1", q(0), q(500)}, false},
			{"price differs, its push already waiting", "price_differs", row{true, "live", "h1", q(3), nil}, false},
		} {
			id := ids.New()
			if err := g.Exec(`DELETE FROM listings`).Error; err != nil {
				t.Fatal(err)
			}
			if err := g.Exec(`INSERT INTO listings (id, product_id, channel_id, enabled, status, pushed_content, pushed_quantity, pushed_price_paise, dirty_seq, synced_seq, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 4, 4, ?, ?)`, id, f.product.ID, chs[0], tc.row.Enabled, tc.row.Status, tc.row.Content, tc.row.Quantity, tc.row.Price,
				time.Now().UTC(), time.Now().UTC()).Error; err != nil {
				t.Fatal(err)
			}
			again, err := f.db.Listings().Repush(ctx, id, tc.class)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got struct {
				Dirty  int64
				Status string
			}
			if err := g.Raw(`SELECT dirty_seq AS dirty, status FROM listings WHERE id = ?`, id).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if again != tc.want || (got.Dirty > 4) != tc.want {
				t.Fatalf("%s: Repush answered %v and left dirty_seq %d, want re-queued %v", tc.name, again, got.Dirty, tc.want)
			}
			if !tc.want && got.Status != tc.row.Status {
				t.Fatalf("%s: the status became %q, want %q kept", tc.name, got.Status, tc.row.Status)
			}
		}
		if _, err := f.db.Listings().Repush(ctx, ids.New(), "unknown_sku"); err == nil {
			t.Fatal("an unknown SKU (nothing of ours to push) was accepted")
		}
	})
}
