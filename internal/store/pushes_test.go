package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestRecordPushOnlyMovesForward: a push outcome recorded late (the
// detached recording of an earlier push) never moves synced_seq backwards
// nor overwrites the quantity, price or status a newer push recorded;
// under a lease the current holder's outcomes still settle, and a
// superseded one is still refused.
func TestRecordPushOnlyMovesForward(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := channelsFor(t, f, 1, f.showroom)[0]
		g := f.db.Gorm()
		id := ids.New()
		if err := g.Exec(`INSERT INTO listings (id, product_id, channel_id, status, dirty_seq, synced_seq, created_at, updated_at) VALUES (?, ?, ?, 'pending', 9, 0, ?, ?)`,
			id, f.product.ID, ch, time.Now().UTC(), time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		stale, err := f.db.Channels().NextSyncFence(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		fence, err := f.db.Channels().NextSyncFence(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		q := func(v int64) *int64 { return &v }
		type state struct {
			Synced   int64
			Quantity int64 // -1: none
			Status   string
			Attempts int64
		}
		read := func() state {
			t.Helper()
			var s state
			if err := g.Raw(`SELECT synced_seq AS synced, COALESCE(pushed_quantity, -1) AS quantity, status, attempts FROM listings WHERE id = ?`, id).Scan(&s).Error; err != nil {
				t.Fatal(err)
			}
			return s
		}
		at := time.Now().UTC()
		for _, tc := range []struct {
			name    string
			o       listing.PushOutcome
			wantErr error
			want    state
		}{
			{"a push settles seq 5", listing.PushOutcome{Seq: 5, Settled: true, Status: listing.StatusLive, Quantity: q(4)}, nil, state{5, 4, "live", 0}},
			{"a late push of seq 3 changes nothing", listing.PushOutcome{Seq: 3, Settled: true, Status: listing.StatusLive, Quantity: q(7)}, nil, state{5, 4, "live", 0}},
			{"a late failure of seq 2 counts no attempt", listing.PushOutcome{Seq: 2, Status: listing.StatusError, Error: "timeout"}, nil, state{5, 4, "live", 0}},
			{"a failure of seq 7 counts", listing.PushOutcome{Seq: 7, Status: listing.StatusError, Error: "timeout"}, nil, state{5, 4, "error", 1}},
			{"the same seq again settles", listing.PushOutcome{Seq: 5, Settled: true, Status: listing.StatusLive, Quantity: q(4)}, nil, state{5, 4, "live", 0}},
			{"a fenced push of seq 8 settles", listing.PushOutcome{Seq: 8, Settled: true, Status: listing.StatusLive, Quantity: q(2), Fence: fence}, nil, state{8, 2, "live", 0}},
			{"a fenced late push of seq 6 changes nothing", listing.PushOutcome{Seq: 6, Settled: true, Status: listing.StatusLive, Quantity: q(9), Fence: fence}, nil, state{8, 2, "live", 0}},
			{"a superseded push is refused", listing.PushOutcome{Seq: 9, Settled: true, Status: listing.StatusLive, Quantity: q(1), Fence: stale}, listing.ErrSuperseded, state{8, 2, "live", 0}},
		} {
			tc.o.ListingID, tc.o.At = id, at
			if err := f.db.Listings().RecordPush(ctx, tc.o); !errors.Is(err, tc.wantErr) {
				t.Fatalf("%s: RecordPush answered %v, want %v", tc.name, err, tc.wantErr)
			}
			if got := read(); got != tc.want {
				t.Fatalf("%s: the listing holds %+v, want %+v", tc.name, got, tc.want)
			}
		}
	})
}
