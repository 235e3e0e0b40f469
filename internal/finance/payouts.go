package finance

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// AccountPayoutsInTransit holds approved payouts until the bank confirms.
const AccountPayoutsInTransit = "payouts_in_transit"

// Payout batch statuses, in order: drafted, approved by a second user,
// then either exported as the NEFT bank file or sending and sent through a
// payout provider, and finally paid, partly_paid or failed as its lines
// ended (BatchOutcome).
const (
	BatchDraft      = "draft"
	BatchApproved   = "approved"
	BatchExported   = "exported"
	BatchSending    = "sending"
	BatchSent       = "sent"
	BatchPaid       = "paid"
	BatchPartlyPaid = "partly_paid"
	BatchFailed     = "failed"
)

// DefaultMinPayoutPaise is the smallest balance worth a bank transfer.
const DefaultMinPayoutPaise = 100_00

// PayoutBatch is a set of transfers to artisans.
type PayoutBatch struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	CreatedBy  string     `json:"created_by"`
	ApprovedBy string     `json:"approved_by"`
	MinPaise   int64      `json:"min_paise"`
	TotalPaise int64      `json:"total_paise"`
	LineCount  int64      `json:"line_count"`
	CreatedAt  time.Time  `json:"created_at"`
	ApprovedAt *time.Time `json:"approved_at"`
	ExportedAt *time.Time `json:"exported_at"`
	// DraftedAt is when drafting finished (nil while it runs: drafting
	// goes in bounded steps and a batch is approved only once drafted).
	DraftedAt *time.Time `json:"drafted_at"`
	// Lines is the first page of the batch's lines; LinesNextCursor pages
	// on through GET /payout-batches/{id}/lines.
	Lines           []PayoutLine `json:"lines"`
	LinesNextCursor string       `json:"lines_next_cursor,omitempty"`
}

// BatchLinesPage is how many lines a batch shows with itself.
const BatchLinesPage = 50

// PayoutLine is one transfer. Bank details are never part of it: they
// appear in full only in the bank file.
type PayoutLine struct {
	ID            string `json:"id"`
	ArtisanID     string `json:"artisan_id"`
	AmountPaise   int64  `json:"amount_paise"`
	Reference     string `json:"reference"`
	Status        string `json:"status"` // pending, paid, failed
	UTR           string `json:"utr"`
	FailureReason string `json:"failure_reason"`
	// Provider, ProviderPayoutID and ProviderStatus are what the payout
	// provider said of the line (empty for a bank-file line).
	Provider         string     `json:"provider"`
	ProviderPayoutID string     `json:"provider_payout_id"`
	ProviderStatus   string     `json:"provider_status"`
	SubmittedAt      *time.Time `json:"submitted_at"`
	SettledAt        *time.Time `json:"settled_at"`
}

// Payee is what the bank needs for one line; AccountSealed is opened only
// to write the bank file.
type Payee struct {
	LineID        string
	ArtisanID     string
	Name          string
	AccountSealed string
	IFSC          string
	AmountPaise   int64
	Reference     string
}

// BankResult is one line of the bank's answer.
type BankResult struct {
	Row       int
	Reference string
	Paid      bool
	UTR       string
	Reason    string
}

// PayoutStore keeps batches.
type PayoutStore interface {
	// CreateBatch drafts a batch of every payable balance of at least
	// min with bank details; an artisan already in an unfinished batch is
	// left out. Conflict if nobody is eligible.
	CreateBatch(ctx context.Context, actorID string, minPaise int64, now time.Time) (PayoutBatch, error)
	GetBatch(ctx context.Context, id string) (PayoutBatch, error)
	// BatchLines pages through a batch's lines by reference.
	BatchLines(ctx context.Context, id string, p paging.Request) (paging.Page[PayoutLine], error)
	ListBatches(ctx context.Context) ([]PayoutBatch, error)
	// Approve moves a draft to approved if approver did not create it,
	// and posts each line out of the artisan's payable balance.
	Approve(ctx context.Context, id, approverID string, now time.Time) (PayoutBatch, error)
	// Payees marks an approved or exported batch exported (audited) and
	// hands fn its lines with bank details one by one, streamed from the
	// database, so a batch of any size is written in constant memory.
	Payees(ctx context.Context, id string, now time.Time, fn func(Payee) error) error
	// MarkPaid applies the bank's answer: paid lines leave the bank,
	// failed ones return to the artisan's balance.
	MarkPaid(ctx context.Context, id string, results []BankResult, now time.Time) (PayoutBatch, error)
	// StartSending moves an approved batch to sending through provider
	// (audited) and hands the sending to a worker.
	StartSending(ctx context.Context, id, provider string, now time.Time) (PayoutBatch, error)
	// UnsentPayees pages through a batch's pending lines the provider has
	// not confirmed, with bank details, by reference.
	UnsentPayees(ctx context.Context, id, after string, limit int) ([]Payee, error)
	// RecordOutcomes applies what a provider said of lines; an event id is
	// kept once per provider and a replay reports false, changing nothing.
	RecordOutcomes(ctx context.Context, provider, eventID string, outcomes []PayoutOutcome, now time.Time) (bool, error)
	// FinishSending marks a sending batch sent once every line went out.
	FinishSending(ctx context.Context, id string, now time.Time) (PayoutBatch, error)
	// InFlight lists lines in flight at a provider last sent before a time.
	InFlight(ctx context.Context, before time.Time, limit int) ([]PayoutOutcome, error)
}

// Opener opens sealed bank account numbers.
type Opener interface {
	Open(sealed string, aad []byte) ([]byte, error)
}

// Payouts applies the payout rules.
type Payouts struct {
	store    PayoutStore
	opener   Opener
	now      func() time.Time
	provider PayoutProvider
}

// WithProvider returns p sending approved batches through provider (a
// payout API); without one, batches go to the bank as the NEFT file.
func (p *Payouts) WithProvider(provider PayoutProvider) *Payouts {
	c := *p
	c.provider = provider
	return &c
}

// WithNow returns p reading time from now (tests; a backfill).
func (p *Payouts) WithNow(now func() time.Time) *Payouts {
	c := *p
	c.now = now
	return &c
}

// Provider names the configured payout provider.
func (p *Payouts) Provider() string {
	if p.provider == nil {
		return ProviderNEFTFile
	}
	return p.provider.Name()
}

// sendChunk is how many lines one Submit carries.
const sendChunk = 100

// Send is the step after approval with a payout API: the batch goes to the
// provider line by line, in the background (Send answers 202 with the batch
// sending). With the NEFT file as the provider, the bank file is how a
// batch goes instead.
func (p *Payouts) Send(ctx context.Context, id string, _ struct{}) (PayoutBatch, error) {
	if p.provider == nil || p.provider.Name() == ProviderNEFTFile {
		return PayoutBatch{}, apperr.New(apperr.Conflict,
			"no payout API is configured (ARTISANBRIDGE_PAYOUT_PROVIDER): take the batch's bank file (GET /payout-batches/%s/bank-file) to the bank instead", id)
	}
	return p.store.StartSending(ctx, id, p.provider.Name(), p.now().UTC())
}

// SendBatch sends a sending batch's unconfirmed lines to the provider in
// chunks, recording each answer, then marks the batch sent. It is safe to
// run again after any failure: every line goes under its own idempotency
// key, so the provider finds, never repeats, a payout already made.
func (p *Payouts) SendBatch(ctx context.Context, id string) error {
	if p.provider == nil {
		return apperr.New(apperr.Conflict, "no payout provider is configured")
	}
	after := ""
	for {
		payees, err := p.store.UnsentPayees(ctx, id, after, sendChunk)
		if err != nil {
			return err
		}
		if len(payees) == 0 {
			break
		}
		orders, err := PayoutOrders(id, payees, p.opener)
		if err != nil {
			return err
		}
		sub, err := p.provider.Submit(ctx, orders)
		if len(sub.Outcomes) > 0 {
			if _, rerr := p.store.RecordOutcomes(ctx, p.provider.Name(), "", sub.Outcomes, p.now().UTC()); rerr != nil {
				return rerr
			}
		}
		if err != nil {
			return err
		}
		after = payees[len(payees)-1].Reference
	}
	_, err := p.store.FinishSending(ctx, id, p.now().UTC())
	return err
}

// Outcomes records what a provider reported (a webhook); false means the
// event was seen before and nothing changed.
func (p *Payouts) Outcomes(ctx context.Context, provider, eventID string, outcomes []PayoutOutcome) (bool, error) {
	return p.store.RecordOutcomes(ctx, provider, eventID, outcomes, p.now().UTC())
}

// PollAfter is how long a line stays in flight before the provider is
// asked about it (webhooks usually come first).
const PollAfter = 2 * time.Minute

// Poll asks the provider about lines in flight longer than PollAfter: the
// backstop of lost webhooks. It returns how many lines it asked about.
func (p *Payouts) Poll(ctx context.Context) (int, error) {
	tracker, ok := p.provider.(PayoutTracker)
	if !ok {
		return 0, nil
	}
	lines, err := p.store.InFlight(ctx, p.now().Add(-PollAfter), 200)
	if err != nil {
		return 0, err
	}
	var got []PayoutOutcome
	for _, l := range lines {
		o, err := tracker.Track(ctx, l)
		if err != nil {
			continue // asked again on the next poll
		}
		got = append(got, o)
	}
	if len(got) == 0 {
		return len(lines), nil
	}
	_, err = p.store.RecordOutcomes(ctx, p.provider.Name(), "", got, p.now().UTC())
	return len(lines), err
}

// NewPayouts returns the payout service; now may be nil.
func NewPayouts(store PayoutStore, opener Opener, now func() time.Time) *Payouts {
	if now == nil {
		now = time.Now
	}
	return &Payouts{store: store, opener: opener, now: now}
}

// CreateBatchInput is the body of POST /payout-batches.
type CreateBatchInput struct {
	MinPaise *int64 `json:"min_paise"`
}

// Create drafts a batch.
func (p *Payouts) Create(ctx context.Context, in CreateBatchInput) (PayoutBatch, error) {
	min := int64(DefaultMinPayoutPaise)
	if in.MinPaise != nil {
		min = *in.MinPaise
	}
	if min < 1 || min > 100_000_000_00 {
		return PayoutBatch{}, apperr.FieldErrors{"min_paise": "must be between 1 and 10000000000"}.Err()
	}
	return p.store.CreateBatch(ctx, reqctx.ActorFrom(ctx).ID, min, p.now().UTC())
}

// Get returns a batch with the first page of its lines.
func (p *Payouts) Get(ctx context.Context, id string) (PayoutBatch, error) {
	return p.store.GetBatch(ctx, id)
}

// Lines pages through a batch's lines.
func (p *Payouts) Lines(ctx context.Context, id string, pg paging.Request) (paging.Page[PayoutLine], error) {
	return p.store.BatchLines(ctx, id, pg)
}

// List lists batches, newest first.
func (p *Payouts) List(ctx context.Context) ([]PayoutBatch, error) { return p.store.ListBatches(ctx) }

// Approve is the checker's step: never the maker's.
func (p *Payouts) Approve(ctx context.Context, id string, _ struct{}) (PayoutBatch, error) {
	return p.store.Approve(ctx, id, reqctx.ActorFrom(ctx).ID, p.now().UTC())
}

// BankFileColumns is the NEFT bulk upload layout.
var BankFileColumns = []string{"Beneficiary Name", "Account Number", "IFSC", "Amount", "Reference"}

// BankFile writes the NEFT bulk CSV to w: the only place full account
// numbers appear. Names are cut to the 35 characters NEFT carries. The
// lines are streamed, so a batch of any size is written in constant memory.
func (p *Payouts) BankFile(ctx context.Context, id string, w io.Writer) error {
	cw := csv.NewWriter(w)
	header := false
	err := p.store.Payees(ctx, id, p.now().UTC(), func(py Payee) error {
		if !header {
			header = true
			if err := cw.Write(BankFileColumns); err != nil {
				return err
			}
		}
		acct, err := p.opener.Open(py.AccountSealed, []byte(py.ArtisanID))
		if err != nil {
			return apperr.New(apperr.Internal, "the bank account of artisan %s cannot be read", py.ArtisanID)
		}
		name := strings.Join(strings.Fields(py.Name), " ")
		if len(name) > 35 {
			name = name[:35]
		}
		return cw.Write([]string{safeCell(name), string(acct), py.IFSC, rupees(py.AmountPaise), py.Reference})
	})
	if err != nil {
		return err
	}
	if !header {
		_ = cw.Write(BankFileColumns)
	}
	cw.Flush()
	return cw.Error()
}

// MarkPaid reads the bank's answer (CSV or XLSX, columns Reference, UTR,
// Status and optionally Reason, by name) and applies it whole or not at all.
func (p *Payouts) MarkPaid(ctx context.Context, id string, data []byte) (PayoutBatch, error) {
	results, err := ParseBankResults(data)
	if err != nil {
		return PayoutBatch{}, err
	}
	return p.store.MarkPaid(ctx, id, results, p.now().UTC())
}

// ParseBankResults reads a bank's payout answer; any bad row refuses the file.
func ParseBankResults(data []byte) ([]BankResult, error) {
	t, err := readTable(data, 100_000, []string{"Reference", "UTR", "Status"})
	if err != nil {
		return nil, err
	}
	fe := apperr.FieldErrors{}
	var out []BankResult
	seen := map[string]bool{}
	for _, row := range t.rows {
		get := func(c string) string { return t.get(row, c) }
		r := BankResult{Row: row.line, Reference: get("reference"), UTR: get("utr"), Reason: get("reason")}
		switch strings.ToLower(get("status")) {
		case "paid", "success", "processed":
			r.Paid = true
			if r.UTR == "" || len(r.UTR) > 22 {
				fe.Add(fmt.Sprintf("row %d", r.Row), "a paid line needs its UTR (at most 22 characters)")
			}
		case "failed", "rejected", "returned":
		default:
			fe.Add(fmt.Sprintf("row %d", r.Row), "status must be paid or failed")
		}
		if r.Reference == "" || seen[r.Reference] {
			fe.Add(fmt.Sprintf("row %d", r.Row), "reference is missing or repeated")
		}
		seen[r.Reference] = true
		if len(r.Reason) > 200 {
			r.Reason = r.Reason[:200]
		}
		out = append(out, r)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// PayoutEntry takes an approved line out of the artisan's payable balance.
func PayoutEntry(l PayoutLine, at time.Time) Entry {
	return entryFor("payout:"+l.ID, "payout", "payout "+l.Reference, at,
		artisanPosting(Payable(l.ArtisanID), l.ArtisanID, l.AmountPaise), credit(AccountPayoutsInTransit, l.AmountPaise))
}

// PaidEntry records the bank's confirmation of a line.
func PaidEntry(l PayoutLine, utr string, at time.Time) Entry {
	return entryFor("payout-paid:"+l.ID, "payout_paid", "paid by NEFT, UTR "+utr, at,
		debit(AccountPayoutsInTransit, l.AmountPaise), credit(AccountBank, l.AmountPaise))
}

// FailedEntry returns a failed line to the artisan's balance.
func FailedEntry(l PayoutLine, reason string, at time.Time) Entry {
	return entryFor("payout-failed:"+l.ID, "payout_failed", "payout failed: "+reason, at,
		debit(AccountPayoutsInTransit, l.AmountPaise), artisanPosting(Payable(l.ArtisanID), l.ArtisanID, -l.AmountPaise))
}
