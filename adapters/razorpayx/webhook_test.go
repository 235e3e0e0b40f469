package razorpayx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx/sim"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

func eventJSON(status string, at time.Time) []byte {
	return []byte(fmt.Sprintf(`{"entity":"event","account_id":"acc_1","event":"payout.%s","contains":["payout"],"payload":{"payout":{"entity":{"id":"pout_1","entity":"payout","amount":100000,"currency":"INR","status":"%s","utr":"HDFCN1","reference_id":"JK1","notes":{"line_id":"l1"},"created_at":%d}}},"created_at":%d}`,
		status, status, at.Unix(), at.Unix()))
}

func TestWebhookVerifier(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	secret, old := []byte("whsec-new"), []byte("whsec-old")
	v := &razorpayx.WebhookVerifier{Secrets: [][]byte{secret, old}, Guard: &razorpayx.MemoryReplayGuard{Now: func() time.Time { return now }}, Now: func() time.Time { return now }}
	header := func(body []byte, key []byte, id string) http.Header {
		h := http.Header{}
		h.Set("X-Razorpay-Signature", razorpayx.SignHex(key, body))
		if id != "" {
			h.Set("X-Razorpay-Event-Id", id)
		}
		return h
	}
	ctx := context.Background()
	body := eventJSON("processed", now.Add(-time.Minute))
	d, err := v.Verify(ctx, header(body, secret, "evt_1"), body)
	if err != nil || d.EventID != "evt_1" || d.Outcome.State != finance.LinePaid || d.Outcome.UTR != "HDFCN1" || d.Outcome.LineID != "l1" {
		t.Fatalf("a good delivery: %+v %v", d, err)
	}
	if _, err := v.Verify(ctx, header(body, secret, "evt_1"), body); !errors.Is(err, razorpayx.ErrDuplicate) {
		t.Fatalf("a replay: %v", err)
	}
	tampered := []byte(strings.Replace(string(body), "100000", "900000", 1))
	if _, err := v.Verify(ctx, header(body, secret, "evt_2"), tampered); !errors.Is(err, razorpayx.ErrBadSignature) {
		t.Fatalf("a tampered body: %v", err)
	}
	other := eventJSON("reversed", now.Add(-2*time.Hour))
	if d, err := v.Verify(ctx, header(other, old, "evt_3"), other); err != nil || d.Outcome.State != finance.LineFailed {
		t.Fatalf("signed with the previous secret (a retry from before the change): %+v %v", d, err)
	}
	if _, err := v.Verify(ctx, header(other, []byte("guess"), "evt_4"), other); !errors.Is(err, razorpayx.ErrBadSignature) {
		t.Fatalf("a wrong secret: %v", err)
	}
	for name, h := range map[string]http.Header{"no signature": {}, "not hex": {"X-Razorpay-Signature": {"zz"}}, "short": {"X-Razorpay-Signature": {"abcd"}}} {
		if _, err := v.Verify(ctx, h, other); !errors.Is(err, razorpayx.ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	stale := eventJSON("processed", now.Add(-26*time.Hour))
	if _, err := v.Verify(ctx, header(stale, secret, "evt_5"), stale); !errors.Is(err, razorpayx.ErrStale) {
		t.Fatalf("26 hours old: %v", err)
	}
	retry := eventJSON("failed", now.Add(-23*time.Hour))
	if _, err := v.Verify(ctx, header(retry, secret, "evt_6"), retry); err != nil {
		t.Fatalf("RazorpayX retries for 24 hours: %v", err)
	}
	future := eventJSON("processed", now.Add(10*time.Minute))
	if _, err := v.Verify(ctx, header(future, secret, "evt_7"), future); !errors.Is(err, razorpayx.ErrStale) {
		t.Fatalf("from the future: %v", err)
	}
	// Without an event id the payout id and status deduplicate.
	noID := eventJSON("processing", now)
	if d, err := v.Verify(ctx, header(noID, secret, ""), noID); err != nil || d.EventID != "pout_1:processing" {
		t.Fatalf("no event id: %+v %v", d, err)
	}
	if _, err := v.Verify(ctx, header(noID, secret, ""), noID); !errors.Is(err, razorpayx.ErrDuplicate) {
		t.Fatalf("no event id, again: %v", err)
	}
	for _, junk := range []string{`{}`, `[]`, `{"entity":"event","event":"payment.captured","payload":{},"created_at":1}`, `not json`,
		strings.Replace(string(eventJSON("processed", now)), `"status":"processed"`, `"status":"teleported"`, 1)} {
		if _, err := v.Verify(ctx, header([]byte(junk), secret, "evt_j"), []byte(junk)); !errors.Is(err, razorpayx.ErrUnreadable) {
			t.Errorf("%s: %v", junk, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.Add(eventJSON("processed", now))
	f.Add([]byte(`{"entity":"event","payload":{"payout":null}}`))
	f.Add([]byte(`{"entity":"event","event":"payout.x","payload":{"payout":{"entity":{"status":"queued"}}},"created_at":1764583200}`))
	secret := []byte("s")
	f.Fuzz(func(t *testing.T, body []byte) {
		v := &razorpayx.WebhookVerifier{Secrets: [][]byte{secret}, Now: func() time.Time { return now }}
		h := http.Header{"X-Razorpay-Signature": {razorpayx.SignHex(secret, body)}}
		d, err := v.Verify(context.Background(), h, body)
		if err != nil {
			return
		}
		var ev razorpayx.Event
		if json.Unmarshal(body, &ev) != nil || ev.Payload.Payout == nil || d.Outcome.State == "" {
			t.Fatalf("accepted %q as %+v", body, d)
		}
	})
}

// TestFaultsNeverPayTwice is the property: whatever faults hit the calls
// (5xx and 429 before RazorpayX takes a payout, connections dropped and
// 504s after it did, requests retried by the client and whole batches sent
// again by a retried job, before and after the bank settles) and the
// webhooks (duplicated, reordered, delayed, dropped), no line ever has two
// RazorpayX payouts, and every line converges, by webhook or by polling, to
// the state RazorpayX finally holds, with its UTR.
func TestFaultsNeverPayTwice(t *testing.T) {
	trials := 30
	if testing.Short() {
		trials = 4
	}
	var calls, lines, duplicated, dropped int
	for trial := 0; trial < trials; trial++ {
		t.Run(fmt.Sprint("trial", trial), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(trial), 99))
			w := newWorld(t, sim.Config{Seed: uint64(trial), Limits: unlimited},
				&httpx.Client{MaxAttempts: 1 + r.IntN(4), BaseDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond})
			w.sim.Kit().SetFaults(simkit.Faults{Rate429: r.Float64() * 0.2, Rate5xx: r.Float64() * 0.25})
			w.sim.SetFaults(sim.PayoutFaults{RateDropBeforeCreate: r.Float64() * 0.2, RateDropAfterCreate: r.Float64() * 0.3, Rate504AfterCreate: r.Float64() * 0.2,
				RateFail: 0.2, RateReverse: 0.2, RateWebhookDuplicate: r.Float64() * 0.6, RateWebhookDrop: r.Float64() * 0.4,
				WebhookReorder: r.IntN(2) == 0, WebhookDelayMS: r.IntN(3)})
			ctx := context.Background()
			orders := make([]finance.PayoutOrder, 3+r.IntN(8))
			for i := range orders {
				orders[i] = order(trial*20 + i)
			}
			record := func(sub finance.Submission) {
				for _, o := range sub.Outcomes {
					w.ledger.apply(o)
				}
			}
			unsent := func() []finance.PayoutOrder {
				var out []finance.PayoutOrder
				for _, o := range orders {
					if w.ledger.get(o.LineID).ProviderPayoutID == "" {
						out = append(out, o)
					}
				}
				return out
			}
			settledEarly := false
			for round := 0; len(unsent()) > 0; round++ {
				if round > 60 {
					t.Fatalf("lines never confirmed: %d", len(unsent()))
				}
				batch := unsent()
				if r.IntN(3) == 0 {
					batch = orders // the whole job run again
				}
				sub, _ := w.provider.Submit(ctx, batch)
				record(sub)
				if !settledEarly && r.IntN(4) == 0 {
					w.sim.Settle() // the bank settles some while others are still being sent
					settledEarly = true
				}
			}
			w.sim.Settle()
			if r.IntN(2) == 0 {
				sub, _ := w.provider.Submit(ctx, orders) // a job retried after the bank settled
				record(sub)
			}
			// Poll what the webhooks have not settled (some were dropped).
			for round := 0; ; round++ {
				open := 0
				for _, o := range orders {
					last := w.ledger.get(o.LineID)
					if last.State.Final() {
						continue
					}
					open++
					if got, err := w.provider.Track(ctx, last); err == nil {
						w.ledger.apply(got)
					}
				}
				if open == 0 {
					break
				}
				if round > 60 {
					t.Fatalf("%d lines never converged", open)
				}
			}
			w.sim.FlushWebhooks()
			w.sim.WaitWebhooks()
			byRef := map[string][]razorpayx.Payout{}
			for _, p := range w.sim.Payouts() {
				byRef[p.ReferenceID] = append(byRef[p.ReferenceID], p)
			}
			for _, o := range orders {
				ps := byRef[o.Reference]
				if len(ps) != 1 {
					t.Fatalf("line %s has %d RazorpayX payouts", o.LineID, len(ps))
				}
				final, err := razorpayx.Outcome(ps[0])
				if err != nil {
					t.Fatal(err)
				}
				got := w.ledger.get(o.LineID)
				if got.State != final.State || got.UTR != final.UTR || got.ProviderPayoutID != ps[0].ID || !got.State.Final() {
					t.Fatalf("line %s: recorded %+v, RazorpayX holds %+v", o.LineID, got, final)
				}
			}
			if len(w.sim.Payouts()) != len(orders) {
				t.Fatalf("%d payouts for %d lines", len(w.sim.Payouts()), len(orders))
			}
			if len(w.ledger.conflicts) > 0 || w.rejected > 0 {
				t.Fatalf("conflicts %v, %d webhooks refused", w.ledger.conflicts, w.rejected)
			}
			calls += w.sim.Kit().CallCounts()[string(razorpayx.OpCreatePayout)].Calls
			lines += len(orders)
			for _, d := range w.sim.Deliveries() {
				if d.Copies > 1 {
					duplicated++
				}
				if d.Dropped {
					dropped++
				}
			}
		})
	}
	// The faults did happen: requests were sent again, webhooks came twice and went missing.
	if calls < 2*lines || duplicated == 0 || dropped == 0 {
		t.Fatalf("too few faults to mean anything: %d create calls for %d lines, %d duplicated and %d dropped webhooks", calls, lines, duplicated, dropped)
	}
	t.Logf("%d create calls for %d lines; %d webhooks duplicated, %d dropped", calls, lines, duplicated, dropped)
}
