package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// earn gives an artisan a payable balance (as a release would).
func earn(t *testing.T, f *fixture, artisanID string, paise int64, ref string) {
	t.Helper()
	e := finance.Entry{SourceRef: ref, Kind: "test", OccurredAt: time.Now(), Postings: []finance.Posting{
		{Account: finance.AccountMargin, AmountPaise: paise}, {Account: finance.Payable(artisanID), ArtisanID: &artisanID, AmountPaise: -paise}}}
	if _, err := f.db.Finance().Post(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func as(id string) context.Context {
	return reqctx.WithActor(context.Background(), reqctx.Actor{ID: id, Name: id, Role: "finance"})
}

// TestPayouts: maker-checker, the NEFT bank file (the only place with full
// account numbers), paid and failed lines from the bank's answer, and the
// statement that follows.
func TestPayouts(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		pay := finance.NewPayouts(f.db.Finance(), f.ring, nil)
		second, err := f.cat.CreateArtisan(context.Background(), catalog.ArtisanInput{Code: ptr("SZ-2"), Name: ptr("Shabnam Akhter"), Craft: ptr("sozni_embroidery"),
			BankAccountNumber: ptr("998877665544"), BankIFSC: ptr("SBIN0004567")})
		if err != nil {
			t.Fatal(err)
		}
		noBank, _ := f.cat.CreateArtisan(context.Background(), catalogArtisan("NB-1"))
		earn(t, f, f.artisan.ID, 6_000_000, "e1")
		earn(t, f, second.ID, 250_050, "e2")
		earn(t, f, noBank.ID, 500_000, "e3")
		if _, err := pay.Create(as("maker"), finance.CreateBatchInput{MinPaise: ptr[int64](0)}); !apperr.Is(err, apperr.Unprocessable) {
			t.Fatalf("min 0: %v", err)
		}
		batch, err := pay.Create(as("maker"), finance.CreateBatchInput{})
		if err != nil || batch.LineCount != 2 || batch.TotalPaise != 6_250_050 || batch.Status != finance.BatchDraft {
			t.Fatalf("draft: %+v %v", batch, err)
		}
		// A batch's lines by page, in one query each; an empty page tells
		// a batch with no more lines from one that does not exist.
		for _, tc := range []struct {
			name, batch string
			p           paging.Request
			want        int
			code        apperr.Code
		}{
			{"first page", batch.ID, paging.Request{Limit: 1}, 1, ""},
			{"every line", batch.ID, paging.Request{Limit: 50}, 2, ""},
			{"past the last line", batch.ID, paging.Request{Limit: 50, After: "~"}, 0, ""},
			{"no such batch", "no-such-batch", paging.Request{Limit: 50}, 0, apperr.NotFound},
		} {
			page, err := f.db.Finance().BatchLines(context.Background(), tc.batch, tc.p)
			if apperr.CodeOf(err) != tc.code || (err == nil && len(page.Items) != tc.want) {
				t.Fatalf("batch lines, %s: %d lines, %v; want %d, %q", tc.name, len(page.Items), err, tc.want, tc.code)
			}
		}
		if err := pay.BankFile(context.Background(), batch.ID, io.Discard); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a draft's bank file: %v", err)
		}
		if _, err := pay.Approve(as("maker"), batch.ID, struct{}{}); !apperr.Is(err, apperr.PermissionDenied) {
			t.Fatalf("the maker approved: %v", err)
		}
		if batch, err = pay.Approve(as("checker"), batch.ID, struct{}{}); err != nil || batch.Status != finance.BatchApproved || batch.ApprovedBy != "checker" {
			t.Fatalf("approve: %+v %v", batch, err)
		}
		if _, err := pay.Approve(as("another"), batch.ID, struct{}{}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("approved twice: %v", err)
		}
		var buf bytes.Buffer
		if err := pay.BankFile(context.Background(), batch.ID, &buf); err != nil {
			t.Fatal(err)
		}
		file := buf.Bytes()
		rows := strings.Split(strings.TrimSpace(string(file)), "\n")
		if len(rows) != 3 || rows[0] != "Beneficiary Name,Account Number,IFSC,Amount,Reference" ||
			!strings.HasPrefix(rows[1], "Ghulam Nabi,123456789012,JAKA0SRNGAR,60000.00,JK") ||
			!strings.HasPrefix(rows[2], "Shabnam Akhter,998877665544,SBIN0004567,2500.50,JK") {
			t.Fatalf("bank file:\n%s", file)
		}
		got, _ := pay.Get(context.Background(), batch.ID)
		if js, _ := json.Marshal(got); strings.Contains(string(js), "123456789012") || got.Status != finance.BatchExported {
			t.Fatalf("the batch shows a bank number or is not exported: %s", js)
		}
		// The bank's answer: the first paid, the second failed; a bad file changes nothing.
		refs := map[string]string{}
		for _, l := range got.Lines {
			refs[l.ArtisanID] = l.Reference
		}
		ref1, ref2 := refs[f.artisan.ID], refs[second.ID]
		bad := "Reference,UTR,Status\n" + ref1 + ",SBIN326000001,paid\nNOPE,X,paid\n"
		if _, err := pay.MarkPaid(context.Background(), batch.ID, []byte(bad)); !apperr.Is(err, apperr.Unprocessable) {
			t.Fatalf("unknown reference: %v", err)
		}
		if st, _ := finance.NewService(f.db.Finance(), nil).ArtisanStatement(context.Background(), f.artisan.ID); st.PaidPaise != 0 {
			t.Fatal("a refused bank answer paid someone")
		}
		answer := "Reference,UTR,Status,Reason\n" + ref1 + ",SBIN326000001,paid,\n" + ref2 + ",,failed,account closed\n"
		// One line paid and one failed: the batch says so (partly_paid).
		if got, err = pay.MarkPaid(context.Background(), batch.ID, []byte(answer)); err != nil || got.Status != finance.BatchPartlyPaid {
			t.Fatalf("mark paid: %+v %v", got, err)
		}
		svc := finance.NewService(f.db.Finance(), nil)
		st1, _ := svc.ArtisanStatement(context.Background(), f.artisan.ID)
		st2, _ := svc.ArtisanStatement(context.Background(), second.ID)
		if st1.PaidPaise != 6_000_000 || st1.PayablePaise != 0 || st2.PaidPaise != 0 || st2.PayablePaise != 250_050 {
			t.Fatalf("after the bank: %+v / %+v", st1, st2)
		}
		if tb, _ := svc.TrialBalance(context.Background()); !tb.Balanced {
			t.Fatalf("trial balance %+v", tb)
		}
		// The failed balance can go in the next batch.
		if next, err := pay.Create(as("maker"), finance.CreateBatchInput{}); err != nil || next.LineCount != 1 || next.Lines[0].ArtisanID != second.ID {
			t.Fatalf("next batch: %+v %v", next, err)
		}
	})
}

// TestConcurrentPayouts is the finance issue's acceptance 3: two batch
// creations at once, and two approvals at once, never pay anything twice.
func TestConcurrentPayouts(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		pay := finance.NewPayouts(f.db.Finance(), f.ring, nil)
		var artisans []string
		for i := 0; i < 5; i++ {
			a, err := f.cat.CreateArtisan(context.Background(), catalog.ArtisanInput{Code: ptr(fmt.Sprintf("CC-%d", i)), Name: ptr("Maker"), Craft: ptr("namda"),
				BankAccountNumber: ptr(fmt.Sprintf("5000000000%02d", i)), BankIFSC: ptr("JAKA0SRNGAR")})
			if err != nil {
				t.Fatal(err)
			}
			artisans = append(artisans, a.ID)
		}
		for round := 0; round < 10; round++ {
			for i, a := range artisans {
				earn(t, f, a, int64(10_000+i), fmt.Sprintf("r%d-%d", round, i))
			}
			var wg sync.WaitGroup
			batches := make([]finance.PayoutBatch, 2)
			errs := make([]error, 2)
			for w := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					batches[w], errs[w] = pay.Create(as(fmt.Sprint("maker", w)), finance.CreateBatchInput{})
				}()
			}
			wg.Wait()
			seen := map[string]bool{}
			var made []finance.PayoutBatch
			for w := range 2 {
				if errs[w] != nil {
					if !apperr.Is(errs[w], apperr.Conflict) {
						t.Fatalf("round %d: %v", round, errs[w])
					}
					continue
				}
				made = append(made, batches[w])
				for _, l := range batches[w].Lines {
					if seen[l.ArtisanID] {
						t.Fatalf("round %d: artisan %s in two batches", round, l.ArtisanID)
					}
					seen[l.ArtisanID] = true
				}
			}
			if len(seen) != len(artisans) {
				t.Fatalf("round %d: %d of %d artisans in a batch", round, len(seen), len(artisans))
			}
			for _, bt := range made {
				// Two checkers at once: one approval posts, the other is refused.
				var ok, conflicts int
				var mu sync.Mutex
				var wg sync.WaitGroup
				for c := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := pay.Approve(as(fmt.Sprint("checker", c)), bt.ID, struct{}{})
						mu.Lock()
						defer mu.Unlock()
						if err == nil {
							ok++
						} else if apperr.Is(err, apperr.Conflict) {
							conflicts++
						} else {
							t.Errorf("approve: %v", err)
						}
					}()
				}
				wg.Wait()
				if ok != 1 || conflicts != 1 {
					t.Fatalf("round %d: %d approvals, %d refused", round, ok, conflicts)
				}
				if err := pay.BankFile(context.Background(), bt.ID, io.Discard); err != nil {
					t.Fatal(err)
				}
				got, _ := pay.Get(context.Background(), bt.ID)
				answer := "Reference,UTR,Status\n"
				for _, l := range got.Lines {
					answer += l.Reference + ",UTR" + l.ID[len(l.ID)-8:] + ",paid\n"
				}
				if _, err := pay.MarkPaid(context.Background(), bt.ID, []byte(answer)); err != nil {
					t.Fatal(err)
				}
			}
		}
		var payouts int64
		f.db.Gorm().Table("ledger_entries").Where("kind = 'payout'").Count(&payouts)
		if payouts != 50 {
			t.Fatalf("%d payout entries for 10 rounds of 5 artisans", payouts)
		}
		svc := finance.NewService(f.db.Finance(), nil)
		for i, a := range artisans {
			st, _ := svc.ArtisanStatement(context.Background(), a)
			if st.PayablePaise != 0 || st.PaidPaise != 10*int64(10_000+i) {
				t.Fatalf("artisan %d: %+v", i, st)
			}
		}
	})
}
