package store_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx/sim"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestProviderFaultsNeverPayTwice is issue 13's acceptance 2: batches sent
// through the RazorpayX simulator while it drops connections after making
// payouts, answers 504s and 429s, duplicates, reorders, delays and drops
// webhooks, fails and reverses transfers, and while the sending job is run
// again, never give a line two payouts, and every line ends as the
// provider's final state says, with the ledger balanced and each artisan's
// balance exact: paid lines leave it, failed ones come back to it.
func TestProviderFaultsNeverPayTwice(t *testing.T) {
	trials := 6
	if testing.Short() {
		trials = 2
	}
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		fin := finance.NewService(f.db.Finance(), nil)
		var artisans []string
		for i := 0; i < 12; i++ {
			a, err := f.cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: ptr(fmt.Sprintf("PV-%03d", i)), Name: ptr(fmt.Sprintf("Payee %d", i)),
				Craft: ptr("willow_wicker"), BankAccountNumber: ptr(fmt.Sprintf("7000%08d", i)), BankIFSC: ptr("JAKA0SRNGAR")})
			if err != nil {
				t.Fatal(err)
			}
			artisans = append(artisans, a.ID)
		}
		for trial := 0; trial < trials; trial++ {
			r := rand.New(rand.NewPCG(uint64(trial), 13))
			for i, a := range artisans {
				earn(t, f, a, int64(10_000+100*i+trial), fmt.Sprintf("pv-%d-%d", trial, i))
			}
			before := map[string]int64{}
			for _, a := range artisans {
				st, _ := fin.ArtisanStatement(ctx, a)
				before[a] = st.PayablePaise
			}

			var pay *finance.Payouts
			rejected := 0
			hooks := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				v := razorpayx.WebhookVerifier{Secrets: [][]byte{[]byte(sim.WebhookSecret)}}
				d, err := v.Verify(req.Context(), req.Header, body)
				if err != nil {
					rejected++
					http.Error(rw, err.Error(), http.StatusBadRequest)
					return
				}
				if _, err := pay.Outcomes(req.Context(), razorpayx.ProviderName, d.EventID, []finance.PayoutOutcome{d.Outcome}); err != nil {
					http.Error(rw, err.Error(), http.StatusInternalServerError) // the simulator retries
					return
				}
				rw.WriteHeader(http.StatusOK)
			}))
			s := sim.New(sim.Config{Seed: uint64(trial), Limits: map[adapters.Operation]adapters.Limit{}, WebhookURL: hooks.URL})
			api := httptest.NewServer(s)
			s.Kit().SetFaults(simkit.Faults{Rate429: r.Float64() * 0.15, Rate5xx: r.Float64() * 0.2})
			s.SetFaults(sim.PayoutFaults{RateDropBeforeCreate: r.Float64() * 0.2, RateDropAfterCreate: r.Float64() * 0.3, Rate504AfterCreate: r.Float64() * 0.2,
				RateFail: 0.2, RateReverse: 0.15, RateWebhookDuplicate: r.Float64() * 0.6, RateWebhookDrop: r.Float64() * 0.4,
				WebhookReorder: r.IntN(2) == 0, WebhookDelayMS: r.IntN(3)})
			client, err := razorpayx.New(razorpayx.Config{BaseURL: api.URL, KeyID: sim.KeyID, KeySecret: sim.KeySecret, AccountNumber: sim.AccountNumber,
				Timeout: 2 * time.Second, Limits: map[adapters.Operation]adapters.Limit{}},
				&httpx.Client{MaxAttempts: 1 + r.IntN(3), BaseDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			pay = finance.NewPayouts(f.db.Finance(), f.ring, time.Now).WithProvider(razorpayx.NewProvider(client, nil))

			batch, err := pay.Create(as("maker"), finance.CreateBatchInput{MinPaise: ptr[int64](1)})
			if err != nil {
				t.Fatalf("trial %d: draft: %v", trial, err)
			}
			if _, err := pay.Approve(as("checker"), batch.ID, struct{}{}); err != nil {
				t.Fatal(err)
			}
			if _, err := pay.Send(as("checker"), batch.ID, struct{}{}); err != nil {
				t.Fatal(err)
			}
			// The sending job, failing and run again, sometimes twice at once.
			for round := 0; ; round++ {
				errc := make(chan error, 2)
				go func() { errc <- pay.SendBatch(ctx, batch.ID) }()
				if r.IntN(3) == 0 {
					go func() { errc <- pay.SendBatch(ctx, batch.ID) }()
				} else {
					errc <- nil
				}
				e1, e2 := <-errc, <-errc
				got, _ := pay.Get(ctx, batch.ID)
				if e1 == nil && e2 == nil && got.Status != finance.BatchSending {
					break
				}
				if round > 40 {
					t.Fatalf("trial %d: the batch never finished sending: %v %v %s", trial, e1, e2, got.Status)
				}
				if r.IntN(4) == 0 {
					s.Settle() // the bank settles some while others are still being sent
				}
			}
			s.Settle()
			// Poll until every line is final (the webhooks lost some).
			for round := 0; ; round++ {
				s.FlushWebhooks()
				s.WaitWebhooks()
				open, err := f.db.Finance().InFlight(ctx, time.Now().Add(time.Hour), 1000)
				if err != nil {
					t.Fatal(err)
				}
				if len(open) == 0 {
					break
				}
				if round > 40 {
					t.Fatalf("trial %d: %d lines never converged", trial, len(open))
				}
				if _, err := pay.WithNow(func() time.Time { return time.Now().Add(time.Hour) }).Poll(ctx); err != nil {
					t.Fatal(err)
				}
			}
			s.FlushWebhooks()
			s.WaitWebhooks()

			byRef := map[string][]razorpayx.Payout{}
			for _, p := range s.Payouts() {
				byRef[p.ReferenceID] = append(byRef[p.ReferenceID], p)
			}
			got, _ := pay.Get(ctx, batch.ID)
			page, _ := pay.Lines(ctx, batch.ID, pageOf(1000))
			paid, failed := 0, 0
			for _, l := range page.Items {
				ps := byRef[l.Reference]
				if len(ps) != 1 {
					t.Fatalf("trial %d: line %s has %d RazorpayX payouts", trial, l.Reference, len(ps))
				}
				final, err := razorpayx.Outcome(ps[0])
				if err != nil {
					t.Fatal(err)
				}
				want := map[finance.LineState]string{finance.LinePaid: finance.PayoutPaid, finance.LineFailed: finance.PayoutFailed}[final.State]
				if l.Status != want || l.ProviderPayoutID != ps[0].ID || (final.State == finance.LinePaid && l.UTR != final.UTR) {
					t.Fatalf("trial %d: line %s recorded %s (%s, utr %q), RazorpayX holds %s (%s, utr %q)", trial, l.Reference, l.Status,
						l.ProviderPayoutID, l.UTR, ps[0].Status, ps[0].ID, final.UTR)
				}
				st, _ := fin.ArtisanStatement(ctx, l.ArtisanID)
				switch l.Status {
				case finance.PayoutPaid:
					paid++
					if st.PayablePaise != before[l.ArtisanID]-l.AmountPaise {
						t.Fatalf("trial %d: paid artisan's balance %d, want %d", trial, st.PayablePaise, before[l.ArtisanID]-l.AmountPaise)
					}
				case finance.PayoutFailed:
					failed++
					if st.PayablePaise != before[l.ArtisanID] {
						t.Fatalf("trial %d: a failed line did not come back to the balance: %d, want %d", trial, st.PayablePaise, before[l.ArtisanID])
					}
				}
			}
			if len(s.Payouts()) != len(page.Items) || int(got.LineCount) != len(page.Items) {
				t.Fatalf("trial %d: %d payouts for %d lines", trial, len(s.Payouts()), len(page.Items))
			}
			if want := finance.BatchOutcome(finance.BatchSent, 0, int64(paid), int64(failed)); got.Status != want {
				t.Fatalf("trial %d: batch %s, want %s", trial, got.Status, want)
			}
			var conflicts int64
			f.db.Gorm().Raw(`SELECT COUNT(*) FROM exceptions WHERE cause_key LIKE 'payout_%'`).Scan(&conflicts)
			if conflicts != 0 || rejected != 0 {
				t.Fatalf("trial %d: %d payout exceptions, %d webhooks refused", trial, conflicts, rejected)
			}
			var told int64
			f.db.Gorm().Raw(`SELECT COUNT(*) FROM artisan_notifications WHERE subject LIKE ?`, "payout:%").Scan(&told)
			if tb, _ := fin.TrialBalance(ctx); !tb.Balanced {
				t.Fatalf("trial %d: the ledger does not balance", trial)
			}
			t.Logf("trial %d: %d lines, %d paid, %d failed, %d create calls, %d artisans told so far", trial, len(page.Items), paid, failed,
				s.Kit().CallCounts()[string(razorpayx.OpCreatePayout)].Calls, told)
			s.Close()
			api.Close()
			hooks.Close()
		}
	})
}
