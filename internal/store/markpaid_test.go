package store_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// countStatements counts every statement the store sends through g.
func countStatements(t *testing.T, g *gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	cb := g.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("count:create", count),
		cb.Query().After("gorm:query").Register("count:query", count),
		cb.Update().After("gorm:update").Register("count:update", count),
		cb.Delete().After("gorm:delete").Register("count:delete", count),
		cb.Row().After("gorm:row").Register("count:row", count),
		cb.Raw().After("gorm:raw").Register("count:raw", count),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &n
}

// TestMarkPaidIsSetBased: applying a bank's answer takes the same number
// of statements for 2 lines as for 16 (it was one round trip per line, and
// more), and still settles every line, posts one ledger entry per line,
// tells every artisan once and keeps the books balanced.
func TestMarkPaidIsSetBased(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			statements := map[int]int64{}
			for _, n := range []int{2, 16} {
				f := newFixture(t, b)
				ctx := context.Background()
				pay := finance.NewPayouts(f.db.Finance(), f.ring, nil)
				earn(t, f, f.artisan.ID, 100_000, "e0")
				for i := 1; i < n; i++ {
					a, err := f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr(fmt.Sprintf("MP-%d", i)), Name: ptr("Maker"), Craft: ptr("namda"),
						BankAccountNumber: ptr(fmt.Sprintf("6000000000%02d", i)), BankIFSC: ptr("JAKA0SRNGAR")})
					if err != nil {
						t.Fatal(err)
					}
					earn(t, f, a.ID, int64(100_000+i), fmt.Sprintf("e%d", i))
				}
				batch, err := pay.Create(as("maker"), finance.CreateBatchInput{})
				if err != nil || batch.LineCount != int64(n) {
					t.Fatalf("batch of %d: %+v %v", n, batch, err)
				}
				if _, err := pay.Approve(as("checker"), batch.ID, struct{}{}); err != nil {
					t.Fatal(err)
				}
				if err := pay.BankFile(ctx, batch.ID, &bytes.Buffer{}); err != nil {
					t.Fatal(err)
				}
				got, err := pay.Get(ctx, batch.ID)
				if err != nil {
					t.Fatal(err)
				}
				var answer strings.Builder
				answer.WriteString("Reference,UTR,Status,Reason\n")
				for i, l := range got.Lines {
					if i%2 == 0 {
						fmt.Fprintf(&answer, "%s,SBIN3260%08d,paid,\n", l.Reference, i)
					} else {
						fmt.Fprintf(&answer, "%s,,failed,account closed\n", l.Reference)
					}
				}
				count := countStatements(t, f.db.Gorm())
				if got, err = pay.MarkPaid(ctx, batch.ID, []byte(answer.String())); err != nil || got.Status != finance.BatchPartlyPaid {
					t.Fatalf("mark paid (%d lines): %+v %v", n, got, err)
				}
				statements[n] = count.Load()
				g := f.db.Gorm()
				var entries, notices, pending int64
				g.Raw(`SELECT COUNT(*) FROM ledger_entries WHERE kind IN ('payout_paid', 'payout_failed')`).Scan(&entries)
				g.Raw(`SELECT COUNT(*) FROM artisan_notifications WHERE subject LIKE 'payout:%'`).Scan(&notices)
				g.Raw(`SELECT COUNT(*) FROM payout_lines WHERE batch_id = ? AND status = ?`, batch.ID, finance.PayoutPending).Scan(&pending)
				if entries != int64(n) || notices != int64(n) || pending != 0 {
					t.Fatalf("%d lines: %d ledger entries, %d messages, %d lines still pending", n, entries, notices, pending)
				}
				if tb, _ := finance.NewService(f.db.Finance(), nil).TrialBalance(ctx); !tb.Balanced {
					t.Fatalf("trial balance %+v", tb)
				}
			}
			t.Logf("statements to mark a batch paid: %d for 2 lines, %d for 16", statements[2], statements[16])
			if statements[16] != statements[2] {
				t.Fatalf("marking 2 lines paid took %d statements, 16 lines %d: not set-based", statements[2], statements[16])
			}
		})
	}
}
