package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// heldEarnings gives each artisan n held earnings due before now: the rows
// a settlement import writes, posted as it posts them.
func heldEarnings(t *testing.T, f *fixture, artisans []string, n int, paise int64) {
	t.Helper()
	ctx := context.Background()
	for _, a := range artisans {
		for i := 0; i < n; i++ {
			earningID := ids.New()
			// Each earning needs its own order line (unique per line and maker).
			line := makeLine(t, f, a)
			ref := "settle-" + earningID
			a := a
			if _, err := f.db.Finance().Post(ctx, finance.Entry{SourceRef: ref, Kind: "settlement", OccurredAt: time.Now(), Postings: []finance.Posting{
				{Account: finance.AccountBank, AmountPaise: paise}, {Account: finance.Held(a), ArtisanID: &a, AmountPaise: -paise}}}); err != nil {
				t.Fatal(err)
			}
			if err := f.db.Gorm().Exec(`INSERT INTO artisan_earnings (id, line_id, artisan_id, amount_paise, payable_after, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 'held', ?, ?)`, earningID, line, a, paise, time.Now().Add(-time.Hour), time.Now(), time.Now()).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
}

var (
	lineSeqMu sync.Mutex
	lineSeq   int
)

// makeLine writes a bare delivered order line of the fixture's product.
func makeLine(t *testing.T, f *fixture, artisanID string) string {
	t.Helper()
	lineSeqMu.Lock()
	lineSeq++
	seq := lineSeq
	lineSeqMu.Unlock()
	var ch string
	f.db.Gorm().Raw(`SELECT id FROM channels LIMIT 1`).Scan(&ch)
	orderID, lineID := ids.New(), ids.New()
	now := time.Now().UTC()
	ext := fmt.Sprintf("R%06d", seq)
	if err := f.db.Gorm().Exec(`INSERT INTO orders (id, channel_id, external_order_id, status, ordered_at, external_updated_at, created_at, updated_at)
VALUES (?, ?, ?, 'delivered', ?, ?, ?, ?)`, orderID, ch, ext, now, now, now, now).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Gorm().Exec(`INSERT INTO order_lines (id, order_id, channel_id, external_order_id, external_line_id, sku, product_id, artisan_id,
quantity, unit_price_paise, status, created_at, updated_at) VALUES (?, ?, ?, ?, '1', ?, ?, ?, 1, 100, 'delivered', ?, ?)`,
		lineID, orderID, ch, ext, f.product.SKU, f.product.ID, artisanID, now, now).Error; err != nil {
		t.Fatal(err)
	}
	return lineID
}

// TestReplicasReleaseAndDraft is issue 11's acceptance 3: replicas
// releasing earnings and drafting payout batches at once never double a
// line: every earning is released once, every payable artisan is in one
// batch once, and the ledger balances.
func TestReplicasReleaseAndDraft(t *testing.T) {
	t.Cleanup(store.SetBatchSizes(7, 13)) // after the parallel subtests
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		channelsFor(t, f, 1, f.showroom)
		var artisans []string
		for i := 0; i < 40; i++ {
			a, err := f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr(fmt.Sprintf("RP-%03d", i)), Name: ptr(fmt.Sprintf("Artisan %d", i)),
				Craft: ptr("papier_mache"), BankAccountNumber: ptr(fmt.Sprintf("5000%08d", i)), BankIFSC: ptr("JAKA0SRNGAR")})
			if err != nil {
				t.Fatal(err)
			}
			artisans = append(artisans, a.ID)
		}
		heldEarnings(t, f, artisans, 5, 10_000)
		pay := finance.NewPayouts(f.db.Finance(), f.ring, nil)
		fin := finance.NewService(f.db.Finance(), nil)

		// Four replicas release while two draft, twice over.
		var wg sync.WaitGroup
		var mu sync.Mutex
		released := 0
		var batches []finance.PayoutBatch
		for round := 0; round < 2; round++ {
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := fin.ReleaseDue(ctx)
					if err != nil {
						t.Errorf("release: %v", err)
					}
					mu.Lock()
					released += n
					mu.Unlock()
				}()
			}
			for w := 0; w < 2; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					bt, err := pay.Create(as(fmt.Sprintf("maker-%d", w)), finance.CreateBatchInput{MinPaise: ptr[int64](1)})
					if err != nil && !apperr.Is(err, apperr.Conflict) {
						t.Errorf("draft: %v", err)
					}
					if err == nil {
						mu.Lock()
						batches = append(batches, bt)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
		}
		if n, err := fin.ReleaseDue(ctx); err != nil || n != 0 {
			t.Fatalf("after the replicas: %d more released, %v", n, err)
		}
		if released != 200 {
			t.Fatalf("replicas released %d earnings, want each of the 200 once", released)
		}
		var releases int64
		f.db.Gorm().Raw(`SELECT COUNT(*) FROM ledger_entries WHERE kind = 'release'`).Scan(&releases)
		if releases != 200 {
			t.Fatalf("%d release entries, want 200", releases)
		}
		// Draft what is left, then count: each artisan's whole balance is in
		// exactly one pending line, whatever the replicas did.
		if bt, err := pay.Create(as("maker-late"), finance.CreateBatchInput{MinPaise: ptr[int64](1)}); err == nil {
			batches = append(batches, bt)
		}
		var rows []struct {
			ArtisanID string
			N         int64
			Total     int64
		}
		f.db.Gorm().Raw(`SELECT artisan_id, COUNT(*) AS n, SUM(amount_paise) AS total FROM payout_lines WHERE status = 'pending' GROUP BY artisan_id`).Scan(&rows)
		seen := map[string]bool{}
		for _, r := range rows {
			seen[r.ArtisanID] = true
			if r.N != 1 {
				t.Errorf("artisan %s is in %d pending payout lines", r.ArtisanID, r.N)
			}
		}
		var sumLines int64
		for _, bt := range batches {
			if bt.DraftedAt == nil {
				t.Errorf("batch %s answered before it was drafted", bt.ID)
			}
			sumLines += bt.LineCount
		}
		if int(sumLines) != len(rows) {
			t.Errorf("batches count %d lines, the table %d", sumLines, len(rows))
		}
		if tb, _ := fin.TrialBalance(ctx); !tb.Balanced {
			t.Fatalf("trial balance: %+v", tb)
		}
		t.Logf("%d batches, %d artisans paid, %d released", len(batches), len(seen), released)
	})
}

// TestDraftingResumes: a batch whose drafter died midway (its cursor part
// way through the artisans, no drafted time) is taken over by the next
// request to draft, and ends with every eligible artisan once.
func TestDraftingResumes(t *testing.T) {
	t.Cleanup(store.SetBatchSizes(3, 500))
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		var artisans []string
		for i := 0; i < 10; i++ {
			a, err := f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr(fmt.Sprintf("DR-%03d", i)), Name: ptr(fmt.Sprintf("Drafted %d", i)),
				Craft: ptr("namda"), BankAccountNumber: ptr(fmt.Sprintf("6000%08d", i)), BankIFSC: ptr("JAKA0SRNGAR")})
			if err != nil {
				t.Fatal(err)
			}
			artisans = append(artisans, a.ID)
			earn(t, f, a.ID, 50_000, "dr-"+a.ID)
		}
		// The dead drafter's batch: three lines written, cursor saved, then
		// nothing for longer than a drafter is given.
		pay := finance.NewPayouts(f.db.Finance(), f.ring, nil)
		bt, err := pay.Create(as("maker"), finance.CreateBatchInput{MinPaise: ptr[int64](1)})
		if err != nil {
			t.Fatal(err)
		}
		var cursor string
		f.db.Gorm().Raw(`SELECT artisan_id FROM payout_lines WHERE batch_id = ? ORDER BY artisan_id LIMIT 1 OFFSET 2`, bt.ID).Scan(&cursor)
		f.db.Gorm().Exec(`DELETE FROM payout_lines WHERE batch_id = ? AND artisan_id > ?`, bt.ID, cursor)
		f.db.Gorm().Exec(`UPDATE payout_batches SET drafted_at = NULL, drafting_cursor = ?, total_paise = 0, line_count = 0, updated_at = ? WHERE id = ?`,
			cursor, time.Now().Add(-time.Hour), bt.ID)

		resumed, err := pay.Create(as("maker-2"), finance.CreateBatchInput{MinPaise: ptr[int64](1)})
		if err != nil {
			t.Fatal(err)
		}
		if resumed.ID != bt.ID || resumed.DraftedAt == nil || resumed.LineCount != int64(len(artisans)) || resumed.TotalPaise != int64(len(artisans))*50_000 {
			t.Fatalf("resumed batch %+v, want %s drafted with %d lines", resumed, bt.ID, len(artisans))
		}
		var doubles int64
		f.db.Gorm().Raw(`SELECT COUNT(*) FROM (SELECT artisan_id FROM payout_lines GROUP BY artisan_id HAVING COUNT(*) > 1) d`).Scan(&doubles)
		if doubles != 0 {
			t.Fatalf("%d artisans in two lines", doubles)
		}
	})
}
