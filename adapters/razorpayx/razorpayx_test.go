package razorpayx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx/sim"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/finance"
)

var unlimited = map[adapters.Operation]adapters.Limit{}

// ledger is what the store would record per line: outcomes applied with
// finance.DecideOutcome, from webhooks and polling alike.
type ledger struct {
	mu        sync.Mutex
	lines     map[string]finance.PayoutOutcome
	conflicts []string
}

func newLedger() *ledger { return &ledger{lines: map[string]finance.PayoutOutcome{}} }

func (l *ledger) apply(o finance.PayoutOutcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := l.lines[o.LineID]
	switch finance.DecideOutcome(rec, o) {
	case finance.OutcomeApply:
		if o.ProviderPayoutID == "" {
			o.ProviderPayoutID = rec.ProviderPayoutID
		}
		l.lines[o.LineID] = o
	case finance.OutcomeConflict:
		l.conflicts = append(l.conflicts, o.LineID+": "+string(rec.State)+" then "+string(o.State))
	}
}

func (l *ledger) get(id string) finance.PayoutOutcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines[id]
}

type world struct {
	sim      *sim.Sim
	api      *httptest.Server
	hooks    *httptest.Server
	ledger   *ledger
	verifier *razorpayx.WebhookVerifier
	provider *razorpayx.Provider
	client   *razorpayx.Client
	rejected int
	mu       sync.Mutex
}

// newWorld starts the simulator, a webhook receiver feeding a ledger, and
// a provider; hc tunes the client's retries.
func newWorld(t *testing.T, cfg sim.Config, hc *httpx.Client) *world {
	t.Helper()
	w := &world{ledger: newLedger()}
	w.verifier = &razorpayx.WebhookVerifier{Secrets: [][]byte{[]byte(sim.WebhookSecret)}, Guard: &razorpayx.MemoryReplayGuard{}}
	w.hooks = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := w.verifier.Verify(r.Context(), r.Header, body)
		switch {
		case errors.Is(err, razorpayx.ErrDuplicate):
			rw.WriteHeader(http.StatusOK)
		case err != nil:
			w.mu.Lock()
			w.rejected++
			w.mu.Unlock()
			http.Error(rw, err.Error(), http.StatusBadRequest)
		default:
			w.ledger.apply(d.Outcome)
			rw.WriteHeader(http.StatusOK)
		}
	}))
	cfg.WebhookURL = w.hooks.URL
	w.sim = sim.New(cfg)
	w.api = httptest.NewServer(w.sim)
	t.Cleanup(func() { w.sim.Close(); w.api.Close(); w.hooks.Close() })
	if hc == nil {
		hc = &httpx.Client{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	}
	c, err := razorpayx.New(razorpayx.Config{BaseURL: w.api.URL, KeyID: sim.KeyID, KeySecret: sim.KeySecret, AccountNumber: sim.AccountNumber,
		Timeout: 2 * time.Second, Limits: unlimited}, hc)
	if err != nil {
		t.Fatal(err)
	}
	w.client, w.provider = c, razorpayx.NewProvider(c, nil)
	return w
}

func order(i int) finance.PayoutOrder {
	id := "01937a1e-8f2c-7b4e-9a10-3c5d7e9f" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "00"
	return finance.PayoutOrder{BatchID: "b1", LineID: id, ArtisanID: "artisan-" + id[len(id)-4:], Name: "Ghulam Nabi Dar",
		AccountNumber: "00123456789" + string(rune('0'+i%10)), IFSC: "JAKA0SRINGR", AmountPaise: int64(1000_00 + i),
		Reference: "JK" + strings.ToUpper(id[len(id)-14:]), IdempotencyKey: finance.PayoutIdempotencyKey(id)}
}

// TestStatusPaths: a line processed (paid with its UTR), one reversed and
// one the bank failed (failed with the reason), by webhook and by polling.
func TestStatusPaths(t *testing.T) {
	w := newWorld(t, sim.Config{Seed: 1, Limits: unlimited}, nil)
	ctx := context.Background()
	orders := []finance.PayoutOrder{order(0), order(1), order(2)}
	if err := w.sim.Plan(orders[1].Reference, razorpayx.StatusReversed, "The beneficiary account is closed."); err != nil {
		t.Fatal(err)
	}
	_ = w.sim.Plan(orders[2].Reference, razorpayx.StatusFailed, "Beneficiary bank is offline.")
	sub, err := w.provider.Submit(ctx, orders)
	if err != nil || sub.Provider != "razorpayx" || len(sub.Outcomes) != 3 {
		t.Fatalf("%+v %v", sub, err)
	}
	for i, o := range sub.Outcomes {
		if o.State != finance.LineInFlight || o.ProviderStatus != "processing" || !strings.HasPrefix(o.ProviderPayoutID, "pout_") || o.LineID != orders[i].LineID {
			t.Fatalf("line %d after sending: %+v", i, o)
		}
		w.ledger.apply(o)
	}
	w.sim.Settle()
	w.sim.WaitWebhooks()
	want := []finance.LineState{finance.LinePaid, finance.LineFailed, finance.LineFailed}
	for i, o := range orders {
		got := w.ledger.get(o.LineID)
		if got.State != want[i] {
			t.Errorf("line %d by webhook: %+v, want %s", i, got, want[i])
		}
		polled, err := w.provider.Track(ctx, sub.Outcomes[i])
		if err != nil || polled.State != want[i] || polled.ProviderPayoutID != sub.Outcomes[i].ProviderPayoutID {
			t.Errorf("line %d by polling: %+v %v", i, polled, err)
		}
		byRef, err := w.provider.Track(ctx, finance.PayoutOutcome{LineID: o.LineID, Reference: o.Reference})
		if err != nil || byRef.State != want[i] || byRef.ProviderPayoutID != sub.Outcomes[i].ProviderPayoutID {
			t.Errorf("line %d by reference: %+v %v", i, byRef, err)
		}
	}
	if paid := w.ledger.get(orders[0].LineID); !strings.HasPrefix(paid.UTR, "SIMN") {
		t.Errorf("a processed payout without its UTR: %+v", paid)
	} else if r, ok := paid.BankResult(); !ok || !r.Paid || r.UTR != paid.UTR || r.Reference != orders[0].Reference {
		t.Errorf("bank result %+v", r)
	}
	if failed := w.ledger.get(orders[1].LineID); !strings.Contains(failed.Reason, "reversed: The beneficiary account is closed.") {
		t.Errorf("reversed: %+v", failed)
	}
	if failed := w.ledger.get(orders[2].LineID); !strings.Contains(failed.Reason, "failed: Beneficiary bank is offline.") {
		t.Errorf("failed: %+v", failed)
	}
	// Sending again after the bank settled answers the final state, pays nothing more.
	again, _ := w.provider.Submit(ctx, orders)
	for i, o := range again.Outcomes {
		if o.State != want[i] || o.ProviderPayoutID != sub.Outcomes[i].ProviderPayoutID {
			t.Errorf("line %d sent again: %+v", i, o)
		}
	}
	if n := len(w.sim.Payouts()); n != 3 {
		t.Fatalf("%d payouts for 3 lines", n)
	}
	if w.rejected != 0 {
		t.Fatalf("%d webhooks refused", w.rejected)
	}
}

func TestIdempotencyAndRefusals(t *testing.T) {
	w := newWorld(t, sim.Config{Seed: 2, Limits: unlimited}, nil)
	ctx := context.Background()
	body := razorpayx.CreatePayout{AccountNumber: sim.AccountNumber, Amount: 500_00, Currency: "INR", Mode: "NEFT", Purpose: "payout",
		FundAccount: &razorpayx.FundAccount{AccountType: "bank_account", BankAccount: &razorpayx.BankAccount{Name: "Mehmooda Begum", IFSC: "SBIN0000123", AccountNumber: "99887766"},
			Contact: razorpayx.Contact{Name: "Mehmooda Begum", Type: "vendor"}}, ReferenceID: "JK1", Narration: "JKHHC artisan payment"}
	a, err := w.client.CreatePayout(ctx, "key-0001", body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.client.CreatePayout(ctx, "key-0001", body)
	if err != nil || b.ID != a.ID {
		t.Fatalf("same key, same body: %v %v", b.ID, err)
	}
	other := body
	other.Amount = 600_00
	_, err = w.client.CreatePayout(ctx, "key-0001", other)
	var re *razorpayx.Error
	if !errors.As(err, &re) || re.Status != 400 || !re.Refused() || re.API.Code != "BAD_REQUEST_ERROR" {
		t.Fatalf("same key, another body: %v", err)
	}
	if _, err := w.client.CreatePayout(ctx, "", body); !errors.As(err, &re) || re.API.Field != "X-Payout-Idempotency" {
		t.Fatalf("no key: %v", err)
	}
	if _, err := w.client.CreatePayout(ctx, "key/with/slashes", body); !errors.As(err, &re) || re.Status != 400 {
		t.Fatalf("a malformed key: %v", err)
	}
	c2, err := w.client.CreatePayout(ctx, "key-0002", body)
	if err != nil || c2.ID == a.ID || c2.FundAccountID != a.FundAccountID {
		t.Fatalf("a new key is a new payout to the same fund account: %+v %v", c2, err)
	}
	if len(w.sim.Payouts()) != 2 {
		t.Fatalf("%d payouts", len(w.sim.Payouts()))
	}
	bad, _ := razorpayx.New(razorpayx.Config{BaseURL: w.api.URL, KeyID: sim.KeyID, KeySecret: "wrong", AccountNumber: sim.AccountNumber, Limits: unlimited},
		&httpx.Client{BaseDelay: time.Millisecond})
	if _, err := bad.GetPayout(ctx, a.ID); !errors.As(err, &re) || re.Status != 401 {
		t.Fatalf("a wrong secret: %v", err)
	}
	// A line RazorpayX refuses (a bad IFSC) fails with the reason and makes no payout.
	o := order(5)
	o.IFSC = "NOTANIFSC"
	sub, _ := w.provider.Submit(ctx, []finance.PayoutOrder{o})
	if got := sub.Outcomes[0]; got.State != finance.LineFailed || !strings.Contains(got.Reason, "ifsc") {
		t.Fatalf("a refused line: %+v", got)
	}
	if len(w.sim.Payouts()) != 2 {
		t.Fatal("a refused line made a payout")
	}
	// A line sent, then its body changed (new bank details) and sent again
	// under the same key: refused, found by reference, never paid twice.
	o = order(6)
	first, _ := w.provider.Submit(ctx, []finance.PayoutOrder{o})
	o.AccountNumber = "11112222333"
	second, _ := w.provider.Submit(ctx, []finance.PayoutOrder{o})
	if second.Outcomes[0].ProviderPayoutID != first.Outcomes[0].ProviderPayoutID || second.Outcomes[0].State != finance.LineInFlight {
		t.Fatalf("changed body: first %+v, second %+v", first.Outcomes[0], second.Outcomes[0])
	}
	if len(w.sim.Payouts()) != 3 {
		t.Fatalf("%d payouts", len(w.sim.Payouts()))
	}
}

// A request that timed out after RazorpayX took it, sent again: one payout.
func TestTimeoutAfterAccepted(t *testing.T) {
	w := newWorld(t, sim.Config{Seed: 3, Limits: unlimited}, &httpx.Client{MaxAttempts: 1})
	w.sim.Kit().SetFaults(simkit.Faults{LatencyMS: 300})
	c, _ := razorpayx.New(razorpayx.Config{BaseURL: w.api.URL, KeyID: sim.KeyID, KeySecret: sim.KeySecret, AccountNumber: sim.AccountNumber,
		Timeout: 50 * time.Millisecond, Limits: unlimited}, &httpx.Client{MaxAttempts: 1})
	p := razorpayx.NewProvider(c, nil)
	o := order(7)
	sub, err := p.Submit(context.Background(), []finance.PayoutOrder{o})
	if err != nil || sub.Outcomes[0].State != finance.LineInFlight || sub.Outcomes[0].ProviderPayoutID != "" {
		t.Fatalf("timed out: %+v %v", sub.Outcomes, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(w.sim.Payouts()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // RazorpayX goes on with the request the client gave up on
	}
	w.sim.Kit().SetFaults(simkit.Faults{})
	again, _ := p.Submit(context.Background(), []finance.PayoutOrder{o})
	if len(w.sim.Payouts()) != 1 || again.Outcomes[0].ProviderPayoutID != w.sim.Payouts()[0].ID {
		t.Fatalf("%d payouts; sent again: %+v", len(w.sim.Payouts()), again.Outcomes[0])
	}
}

// 429s from the rate limit are waited out and retried.
func TestRateLimited(t *testing.T) {
	w := newWorld(t, sim.Config{Seed: 4, Limits: map[adapters.Operation]adapters.Limit{razorpayx.OpCreatePayout: {Rate: 20, Burst: 1}}},
		&httpx.Client{MaxAttempts: 10, BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	orders := []finance.PayoutOrder{order(8), order(9), order(10), order(11)}
	sub, err := w.provider.Submit(context.Background(), orders)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range sub.Outcomes {
		if o.ProviderPayoutID == "" {
			t.Fatalf("not sent: %+v", o)
		}
	}
	calls := w.sim.Kit().CallCounts()[string(razorpayx.OpCreatePayout)]
	if calls.Throttled == 0 || len(w.sim.Payouts()) != 4 {
		t.Fatalf("calls %+v, %d payouts", calls, len(w.sim.Payouts()))
	}
}

func TestOutcomeMapsEveryStatus(t *testing.T) {
	utr := "HDFCN0001"
	why := "low_balance"
	for status, want := range map[string]finance.LineState{
		"queued": finance.LineInFlight, "pending": finance.LineInFlight, "scheduled": finance.LineInFlight, "processing": finance.LineInFlight,
		"processed": finance.LinePaid, "reversed": finance.LineFailed, "cancelled": finance.LineFailed, "rejected": finance.LineFailed, "failed": finance.LineFailed,
	} {
		o, err := razorpayx.Outcome(razorpayx.Payout{ID: "pout_1", Status: status, UTR: &utr, ReferenceID: "JK1", FailureReason: &why, Notes: map[string]string{"line_id": "l1"}})
		if err != nil || o.State != want || o.LineID != "l1" || o.Reference != "JK1" || o.ProviderStatus != status {
			t.Errorf("%s: %+v %v", status, o, err)
		}
		if want == finance.LinePaid && o.UTR != utr {
			t.Errorf("processed without the UTR: %+v", o)
		}
		if want == finance.LineFailed && o.Reason != status+": low_balance" {
			t.Errorf("%s: reason %q", status, o.Reason)
		}
	}
	if _, err := razorpayx.Outcome(razorpayx.Payout{ID: "pout_1", Status: "teleported"}); err == nil {
		t.Fatal("an unknown status was guessed")
	}
	if o, _ := razorpayx.Outcome(razorpayx.Payout{Status: "processed"}); o.State != finance.LinePaid || o.UTR != "" {
		t.Fatalf("processed with the UTR still to come: %+v", o)
	}
}

func TestConfigRefusals(t *testing.T) {
	for name, cfg := range map[string]razorpayx.Config{
		"no keys":          {AccountNumber: "1"},
		"no account":       {KeyID: "k", KeySecret: "s"},
		"bad mode":         {KeyID: "k", KeySecret: "s", AccountNumber: "1", Mode: "UPI"},
		"narration":        {KeyID: "k", KeySecret: "s", AccountNumber: "1", Narration: "Payment: JKHHC!"},
		"narration length": {KeyID: "k", KeySecret: "s", AccountNumber: "1", Narration: strings.Repeat("a", 31)},
		"bad url":          {KeyID: "k", KeySecret: "s", AccountNumber: "1", BaseURL: "ftp://x"},
	} {
		if _, err := razorpayx.New(cfg, nil); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "s\"") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}
