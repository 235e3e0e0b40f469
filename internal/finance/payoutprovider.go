package finance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// A payout provider carries approved lines to the artisans' banks: the NEFT
// bulk file a person uploads to the corporation's bank (the default), or a
// payout API that pays each line and reports it back (RazorpayX Payouts,
// adapters/razorpayx). Either way a line is paid at most once: every line
// carries an idempotency key derived from its id alone, so sending a line
// again, after a timeout or a crash, can only find the payout the first
// attempt made.

// LineState is where a sent line stands at the provider.
type LineState string

const (
	// LineInFlight: sent (or perhaps sent: an unanswered request), not final.
	LineInFlight LineState = "in_flight"
	// LinePaid: the money reached the artisan's bank; the UTR says which transfer.
	LinePaid LineState = "paid"
	// LineFailed: no money left, or it came back; the line returns to the balance.
	LineFailed LineState = "failed"
)

// Final reports whether s is a final state.
func (s LineState) Final() bool { return s == LinePaid || s == LineFailed }

// PayoutOrder is one approved line as a provider needs it. AccountNumber
// is the opened bank account number: it never reaches a log (String masks it).
type PayoutOrder struct {
	BatchID        string
	LineID         string
	ArtisanID      string
	Name           string
	AccountNumber  string
	IFSC           string
	AmountPaise    int64
	Reference      string // the line's reference, carried by the bank
	IdempotencyKey string // PayoutIdempotencyKey(LineID)
}

// String keeps the account number out of logs and error messages.
func (o PayoutOrder) String() string {
	return fmt.Sprintf("payout line %s (artisan %s, %s paise, reference %s, account %s)", o.LineID, o.ArtisanID,
		rupees(o.AmountPaise), o.Reference, maskAccount(o.AccountNumber))
}

// GoString is String, so %#v does not print the account either.
func (o PayoutOrder) GoString() string { return o.String() }

func maskAccount(a string) string {
	if len(a) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(a)-4) + a[len(a)-4:]
}

// PayoutOutcome is what a provider says of one line.
type PayoutOutcome struct {
	LineID    string
	Reference string
	State     LineState
	// ProviderPayoutID is the provider's id of the payout (pout_... for
	// RazorpayX); empty while the provider has not confirmed one.
	ProviderPayoutID string
	// ProviderStatus is the provider's own word (processing, reversed, ...).
	ProviderStatus string
	UTR            string // with LinePaid, when the bank has given it
	Reason         string // with LineFailed, or why a line is still unconfirmed
	At             time.Time
}

// BankResult turns a final outcome into the bank answer MarkPaid applies;
// false while the line is in flight.
func (o PayoutOutcome) BankResult() (BankResult, bool) {
	switch o.State {
	case LinePaid:
		return BankResult{Reference: o.Reference, Paid: true, UTR: o.UTR}, true
	case LineFailed:
		reason := o.Reason
		if reason == "" {
			reason = o.ProviderStatus
		}
		return BankResult{Reference: o.Reference, Reason: truncateReason(reason)}, true
	}
	return BankResult{}, false
}

func truncateReason(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// PayoutFile is a file a person takes to the bank (the NEFT bulk upload).
type PayoutFile struct {
	Name        string
	ContentType string
	Data        []byte
}

// Submission is a provider's answer to sending a batch: one outcome per
// order, in order, and for the bank-file provider the file itself.
type Submission struct {
	Provider string
	Outcomes []PayoutOutcome
	File     *PayoutFile
}

// PayoutProvider sends approved lines. Submit may be called again with the
// same orders (a retried job): a provider must then find, never repeat,
// what the first call did. An error means nothing can be said of any
// line; a line the provider refused is an outcome (LineFailed), and a line
// whose request went unanswered is LineInFlight with no ProviderPayoutID.
type PayoutProvider interface {
	Name() string
	Submit(ctx context.Context, orders []PayoutOrder) (Submission, error)
}

// PayoutTracker is the optional capability of asking a provider where a
// line stands (polling, the backstop of webhooks). It is given the last
// outcome known for the line and returns the provider's current one.
type PayoutTracker interface {
	Track(ctx context.Context, last PayoutOutcome) (PayoutOutcome, error)
}

// TopicPayoutSend asks a worker to send a batch through the payout provider.
const TopicPayoutSend = "payouts.send"

// PayoutSend is its payload.
type PayoutSend struct {
	BatchID string `json:"batch_id"`
}

// PayoutIdempotencyKey is the key a line is sent under, stable across
// every retry because it is derived from the line id alone. RazorpayX
// takes 4 to 36 letters, digits, hyphens, underscores or spaces: a UUID
// line id is used as it is, anything else as a 32-character digest.
func PayoutIdempotencyKey(lineID string) string {
	if n := len(lineID); n >= 4 && n <= 36 && strings.Trim(lineID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == "" {
		return lineID
	}
	sum := sha256.Sum256([]byte(lineID))
	return "pl_" + hex.EncodeToString(sum[:])[:32]
}

// PayoutOrders opens each payee's bank account for sending. A sealed
// account that cannot be opened stops the whole batch (nothing is sent).
func PayoutOrders(batchID string, payees []Payee, opener Opener) ([]PayoutOrder, error) {
	out := make([]PayoutOrder, 0, len(payees))
	for _, py := range payees {
		acct, err := opener.Open(py.AccountSealed, []byte(py.ArtisanID))
		if err != nil {
			return nil, apperr.New(apperr.Internal, "the bank account of artisan %s cannot be read", py.ArtisanID)
		}
		out = append(out, PayoutOrder{BatchID: batchID, LineID: py.LineID, ArtisanID: py.ArtisanID,
			Name: strings.Join(strings.Fields(py.Name), " "), AccountNumber: string(acct), IFSC: py.IFSC,
			AmountPaise: py.AmountPaise, Reference: py.Reference, IdempotencyKey: PayoutIdempotencyKey(py.LineID)})
	}
	return out, nil
}

// NEFTFile is the default provider: the NEFT bulk CSV (BankFileColumns) for
// a person to upload to the bank; every line stays in flight until the
// bank's answer is uploaded (MarkPaid). It writes what Payouts.BankFile
// writes.
type NEFTFile struct{}

var _ PayoutProvider = NEFTFile{}

// ProviderNEFTFile names the bank-file provider.
const ProviderNEFTFile = "neft_file"

func (NEFTFile) Name() string { return ProviderNEFTFile }

// Submit writes the file. Names are cut to the 35 characters NEFT carries.
func (NEFTFile) Submit(_ context.Context, orders []PayoutOrder) (Submission, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(BankFileColumns)
	sub := Submission{Provider: ProviderNEFTFile}
	batch := ""
	for _, o := range orders {
		name := o.Name
		if len(name) > 35 {
			name = name[:35]
		}
		_ = w.Write([]string{safeCell(name), o.AccountNumber, o.IFSC, rupees(o.AmountPaise), o.Reference})
		sub.Outcomes = append(sub.Outcomes, PayoutOutcome{LineID: o.LineID, Reference: o.Reference, State: LineInFlight,
			ProviderStatus: "in_bank_file", Reason: "waiting for the bank's answer to be uploaded"})
		batch = o.BatchID
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return Submission{}, err
	}
	sub.File = &PayoutFile{Name: "payout-" + batch + ".csv", ContentType: "text/csv", Data: buf.Bytes()}
	return sub, nil
}

// OutcomeChange is what a reported outcome does to a line.
type OutcomeChange int

const (
	// OutcomeApply: record the outcome (a move forward, or a first provider id).
	OutcomeApply OutcomeChange = iota
	// OutcomeIgnore: a duplicate, or an older report arriving late.
	OutcomeIgnore
	// OutcomeConflict: the provider now says the opposite of a final state
	// already recorded; money is never moved back by itself: a person looks.
	OutcomeConflict
)

// DecideOutcome says what an outcome reported for a line (by webhook, in
// any order and any number of times, or by polling) does to what is
// recorded. Final states are final: a late in-flight report never moves a
// line back, the same final report again changes nothing, and the other
// final state after one is a conflict, as is a second provider payout
// for the same line. A final report or a first provider
// id for a line in flight is applied; the store applies it with a
// conditional update on the recorded state, so two reports racing apply once.
func DecideOutcome(recorded, reported PayoutOutcome) OutcomeChange {
	switch {
	case recorded.ProviderPayoutID != "" && reported.ProviderPayoutID != "" && recorded.ProviderPayoutID != reported.ProviderPayoutID:
		return OutcomeConflict // two provider payouts for one line: never settle it by hand-waving
	case recorded.State.Final() && reported.State == recorded.State:
		if recorded.State == LinePaid && recorded.UTR == "" && reported.UTR != "" {
			return OutcomeApply // the UTR came after the payout was processed
		}
		return OutcomeIgnore
	case recorded.State.Final() && reported.State.Final():
		return OutcomeConflict
	case recorded.State.Final():
		return OutcomeIgnore
	case reported.State.Final():
		return OutcomeApply
	case recorded.ProviderPayoutID == "" && reported.ProviderPayoutID != "":
		return OutcomeApply
	}
	return OutcomeIgnore
}
