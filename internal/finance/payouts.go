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
}

// Opener opens sealed bank account numbers.
type Opener interface {
	Open(sealed string, aad []byte) ([]byte, error)
}

// Payouts applies the payout rules.
type Payouts struct {
	store  PayoutStore
	opener Opener
	now    func() time.Time
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
