package finance

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// Accounts of the ledger. A posting's amount is positive for a debit and
// negative for a credit; every entry's postings sum to zero, so the whole
// ledger does too (the trial balance).
const (
	AccountBank          = "bank"             // money in the corporation's account
	AccountGSTInput      = "gst_input"        // GST charged on marketplace fees, claimable
	AccountTCSReceivable = "tcs_receivable"   // GST s.52 TCS the marketplace collected, claimable
	AccountTDSReceivable = "tds_receivable"   // income-tax s.194-O TDS the marketplace deducted
	AccountMargin        = "margin"           // what the corporation keeps of a sale
	prefixReceivable     = "receivable:"      // what a marketplace owes
	prefixFees           = "fees:"            // what a marketplace charged
	prefixHeld           = "artisan_held:"    // earned, waiting for the return window
	prefixPayable        = "artisan_payable:" // earned and due to the artisan
)

// Receivable is a channel's receivable account.
func Receivable(channelID string) string { return prefixReceivable + channelID }

// Fees is a channel's fee expense account.
func Fees(channelID string) string { return prefixFees + channelID }

// Held is an artisan's account of earnings inside the return window.
func Held(artisanID string) string { return prefixHeld + artisanID }

// Payable is an artisan's account of earnings due to them.
func Payable(artisanID string) string { return prefixPayable + artisanID }

// Account kinds: what an account is, without whose it is (the kind of
// "artisan_payable:<id>" is "artisan_payable").
const (
	KindArtisanPayable = "artisan_payable"
	KindArtisanHeld    = "artisan_held"
)

// AccountKind is the kind of an account: its prefix for a per-channel or
// per-artisan account, else its name.
func AccountKind(account string) string {
	kind, _, _ := strings.Cut(account, ":")
	return kind
}

// Posting is one line of an entry: debit > 0, credit < 0.
type Posting struct {
	Account     string  `json:"account"`
	ArtisanID   *string `json:"artisan_id,omitempty"`
	AmountPaise int64   `json:"amount_paise"`
}

// Entry is one balanced journal entry. SourceRef names what caused it (a
// settlement line, a release, a return, a payout line) and makes posting
// it idempotent: the same source is never posted twice.
type Entry struct {
	ID         string    `json:"id"`
	SourceRef  string    `json:"source_ref"`
	Kind       string    `json:"kind"`
	Memo       string    `json:"memo"`
	OccurredAt time.Time `json:"occurred_at"`
	Postings   []Posting `json:"postings"`
}

// Validate refuses an entry that does not balance to zero, has a zero
// posting, or names no source.
func (e Entry) Validate() error {
	if strings.TrimSpace(e.SourceRef) == "" || len(e.SourceRef) > 200 {
		return apperr.New(apperr.Internal, "ledger entry without a source reference")
	}
	if len(e.Postings) < 2 {
		return apperr.New(apperr.Internal, "ledger entry %s has fewer than two postings", e.SourceRef)
	}
	var sum big.Int
	for _, p := range e.Postings {
		if p.AmountPaise == 0 || strings.TrimSpace(p.Account) == "" {
			return apperr.New(apperr.Internal, "ledger entry %s has an empty posting", e.SourceRef)
		}
		sum.Add(&sum, big.NewInt(p.AmountPaise))
	}
	if sum.Sign() != 0 {
		return apperr.New(apperr.Internal, "ledger entry %s does not balance: off by %s paise", e.SourceRef, sum.String())
	}
	return nil
}

// Balance is an account's debits and credits.
type Balance struct {
	Account      string `json:"account"`
	AccountKind  string `json:"account_kind"`
	DebitsPaise  int64  `json:"debits_paise"`
	CreditsPaise int64  `json:"credits_paise"`
	BalancePaise int64  `json:"balance_paise"` // debits - credits
}

// KindBalance is the debits and credits of every account of one kind
// (all artisans' payable accounts, say): the trial balance's lines.
type KindBalance struct {
	AccountKind  string `json:"account_kind"`
	Accounts     int64  `json:"accounts"`
	DebitsPaise  int64  `json:"debits_paise"`
	CreditsPaise int64  `json:"credits_paise"`
	BalancePaise int64  `json:"balance_paise"`
}

// TrialBalance is every kind of account with the totals, which must be
// equal; the accounts of a kind are paged through GET /ledger/accounts.
type TrialBalance struct {
	Kinds        []KindBalance `json:"kinds"`
	DebitsPaise  int64         `json:"debits_paise"`
	CreditsPaise int64         `json:"credits_paise"`
	Balanced     bool          `json:"balanced"`
}

// NewTrialBalance totals balances by kind.
func NewTrialBalance(kinds []KindBalance) TrialBalance {
	tb := TrialBalance{Kinds: kinds}
	for _, k := range kinds {
		tb.DebitsPaise += k.DebitsPaise
		tb.CreditsPaise += k.CreditsPaise
	}
	tb.Balanced = tb.DebitsPaise == tb.CreditsPaise
	if tb.Kinds == nil {
		tb.Kinds = []KindBalance{}
	}
	return tb
}

// entryFor builds a balanced entry; it panics on a programming error
// that would post an unbalanced one (Validate guards the store too).
func entryFor(sourceRef, kind, memo string, at time.Time, postings ...Posting) Entry {
	var kept []Posting
	for _, p := range postings {
		if p.AmountPaise != 0 {
			kept = append(kept, p)
		}
	}
	return Entry{SourceRef: sourceRef, Kind: kind, Memo: memo, OccurredAt: at.UTC(), Postings: kept}
}

func debit(account string, paise int64) Posting { return Posting{Account: account, AmountPaise: paise} }
func credit(account string, paise int64) Posting {
	return Posting{Account: account, AmountPaise: -paise}
}

func artisanPosting(account, artisanID string, paise int64) Posting {
	id := artisanID
	return Posting{Account: account, ArtisanID: &id, AmountPaise: paise}
}

func rupees(p int64) string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	return fmt.Sprintf("%s%d.%02d", sign, p/100, p%100)
}
