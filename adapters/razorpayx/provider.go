package razorpayx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jkhhc/artisanbridge/internal/finance"
)

// ProviderName names RazorpayX among payout providers.
const ProviderName = "razorpayx"

// Provider pays approved lines through RazorpayX.
type Provider struct {
	c   *Client
	now func() time.Time
}

var (
	_ finance.PayoutProvider = (*Provider)(nil)
	_ finance.PayoutTracker  = (*Provider)(nil)
)

// NewProvider returns the provider; now may be nil.
func NewProvider(c *Client, now func() time.Time) *Provider {
	if now == nil {
		now = time.Now
	}
	return &Provider{c: c, now: now}
}

func (p *Provider) Name() string { return ProviderName }

// Submit creates one payout per order, each under its line's idempotency
// key. A request RazorpayX refused is looked up by reference before the
// line is called failed (a refusal of a retried body means the first
// request's payout exists); an unanswered one stays in flight with no
// payout id, for Track or a later Submit to settle. Submit errs only if
// ctx ends; the orders not reached are in flight, unsent.
func (p *Provider) Submit(ctx context.Context, orders []finance.PayoutOrder) (finance.Submission, error) {
	sub := finance.Submission{Provider: ProviderName}
	for _, o := range orders {
		if err := ctx.Err(); err != nil {
			sub.Outcomes = append(sub.Outcomes, p.unconfirmed(o.LineID, reference(o), err))
			continue
		}
		sub.Outcomes = append(sub.Outcomes, p.send(ctx, o))
	}
	return sub, ctx.Err()
}

func (p *Provider) send(ctx context.Context, o finance.PayoutOrder) finance.PayoutOutcome {
	ref := reference(o)
	po, err := p.c.CreatePayout(ctx, o.IdempotencyKey, p.body(o, ref))
	if err == nil {
		return p.outcome(o.LineID, ref, po)
	}
	var rerr *Error
	if !errors.As(err, &rerr) || !rerr.Refused() {
		return p.unconfirmed(o.LineID, ref, err)
	}
	// Refused: but a payout for this line may exist from an earlier
	// request (same key, body changed since): find it before failing the line.
	found, lerr := p.c.PayoutsByReference(ctx, ref)
	switch {
	case lerr != nil:
		return p.unconfirmed(o.LineID, ref, fmt.Errorf("refused (%v), and the lookup by reference failed: %w", rerr, lerr))
	case len(found) == 1:
		return p.outcome(o.LineID, ref, found[0])
	case len(found) > 1:
		return p.unconfirmed(o.LineID, ref, fmt.Errorf("%d RazorpayX payouts carry reference %s: a person must look", len(found), ref))
	}
	return finance.PayoutOutcome{LineID: o.LineID, Reference: ref, State: finance.LineFailed, ProviderStatus: "refused",
		Reason: "RazorpayX refused the payout: " + rerr.API.Description, At: p.now().UTC()}
}

// Track asks RazorpayX where a line stands: by payout id, or by reference
// when no answer ever named the payout.
func (p *Provider) Track(ctx context.Context, last finance.PayoutOutcome) (finance.PayoutOutcome, error) {
	if last.ProviderPayoutID != "" {
		po, err := p.c.GetPayout(ctx, last.ProviderPayoutID)
		if err != nil {
			return last, err
		}
		return p.outcome(last.LineID, last.Reference, po), nil
	}
	found, err := p.c.PayoutsByReference(ctx, last.Reference)
	if err != nil {
		return last, err
	}
	switch len(found) {
	case 0:
		out := last
		out.State, out.Reason = finance.LineInFlight, "RazorpayX has no payout for this line yet: send it again (its key makes that safe)"
		return out, nil
	case 1:
		return p.outcome(last.LineID, last.Reference, found[0]), nil
	}
	return last, fmt.Errorf("razorpayx: %d payouts carry reference %s: a person must look", len(found), last.Reference)
}

func (p *Provider) body(o finance.PayoutOrder, ref string) CreatePayout {
	return CreatePayout{
		AccountNumber: p.c.cfg.AccountNumber, Amount: o.AmountPaise, Currency: "INR", Mode: p.c.cfg.Mode, Purpose: "payout",
		FundAccount: &FundAccount{AccountType: "bank_account",
			BankAccount: &BankAccount{Name: o.Name, IFSC: o.IFSC, AccountNumber: o.AccountNumber},
			Contact:     Contact{Name: o.Name, Type: "vendor", ReferenceID: o.ArtisanID}},
		QueueIfLowBalance: true, ReferenceID: ref, Narration: p.c.cfg.Narration,
		Notes: map[string]string{"line_id": o.LineID, "batch_id": o.BatchID},
	}
}

// reference is the line's own reference, or its id if the reference does
// not fit RazorpayX's 40 characters.
func reference(o finance.PayoutOrder) string {
	if o.Reference != "" && len(o.Reference) <= 40 {
		return o.Reference
	}
	return o.LineID
}

func (p *Provider) unconfirmed(lineID, ref string, err error) finance.PayoutOutcome {
	return finance.PayoutOutcome{LineID: lineID, Reference: ref, State: finance.LineInFlight, ProviderStatus: "unconfirmed",
		Reason: "not confirmed by RazorpayX: " + err.Error(), At: p.now().UTC()}
}

func (p *Provider) outcome(lineID, ref string, po Payout) finance.PayoutOutcome {
	o, err := Outcome(po)
	if err != nil {
		// An unknown status is never guessed: the line stays in flight, and
		// the reason says what RazorpayX answered.
		o = finance.PayoutOutcome{ProviderPayoutID: po.ID, State: finance.LineInFlight, ProviderStatus: po.Status, Reason: err.Error()}
	}
	if o.LineID == "" {
		o.LineID = lineID
	}
	if o.Reference == "" {
		o.Reference = ref
	}
	o.At = p.now().UTC()
	return o
}

// Outcome maps a payout to our line's state: processed is paid (with the
// UTR when the bank has given it); reversed, failed, cancelled and rejected
// are failed, with RazorpayX's reason; queued, pending, scheduled and
// processing are in flight. Any other status is an error, never a guess.
func Outcome(po Payout) (finance.PayoutOutcome, error) {
	o := finance.PayoutOutcome{LineID: po.Notes["line_id"], Reference: po.ReferenceID, ProviderPayoutID: po.ID, ProviderStatus: po.Status}
	switch po.Status {
	case StatusQueued, StatusPending, StatusScheduled, StatusProcessing:
		o.State = finance.LineInFlight
		if po.StatusDetails != nil {
			o.Reason = po.StatusDetails.Description
		}
	case StatusProcessed:
		o.State = finance.LinePaid
		if po.UTR != nil {
			o.UTR = *po.UTR
		}
	case StatusReversed, StatusFailed, StatusCancelled, StatusRejected:
		o.State = finance.LineFailed
		o.Reason = failureReason(po)
	default:
		return finance.PayoutOutcome{}, fmt.Errorf("razorpayx: payout %s has status %q, which this service does not know", po.ID, po.Status)
	}
	return o, nil
}

func failureReason(po Payout) string {
	switch {
	case po.StatusDetails != nil && po.StatusDetails.Description != "":
		return po.Status + ": " + po.StatusDetails.Description
	case po.StatusDetails != nil && po.StatusDetails.Reason != "":
		return po.Status + ": " + po.StatusDetails.Reason
	case po.FailureReason != nil && *po.FailureReason != "":
		return po.Status + ": " + *po.FailureReason
	}
	return po.Status
}
