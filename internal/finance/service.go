package finance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Match is what a settlement line is matched to: the order line, its
// product's terms and its maker.
type Match struct {
	LineID            string
	OrderedAt         time.Time
	Quantity          int64
	Craft             string
	GSTRateBP         int64
	ArtisanID         string
	ArtisanPricePaise *int64
	ArtisanShareBP    *int64
	ReturnWindow      time.Duration
	// Shares split the earning between several makers by weight; empty,
	// ArtisanID earns it all.
	Shares []Share
}

// Share is one maker's weight in a piece's earning.
type Share struct {
	ArtisanID string `json:"artisan_id"`
	Weight    int64  `json:"weight"`
}

// MakerEarning is what one maker earns from a line.
type MakerEarning struct {
	ArtisanID   string
	AmountPaise int64
}

// Earnings splits the line's earning between its makers by weight, the
// leftover paise handed out deterministically (Allocate).
func (m Match) Earnings(paid Components) []MakerEarning {
	total := m.Earning(paid)
	if len(m.Shares) == 0 {
		return []MakerEarning{{ArtisanID: m.ArtisanID, AmountPaise: total}}
	}
	weights := make([]int64, len(m.Shares))
	for i, s := range m.Shares {
		weights[i] = s.Weight
	}
	parts, err := Allocate(total, weights)
	if err != nil { // weights are validated > 0 on write
		return []MakerEarning{{ArtisanID: m.ArtisanID, AmountPaise: total}}
	}
	out := make([]MakerEarning, len(parts))
	for i, p := range parts {
		out[i] = MakerEarning{ArtisanID: m.Shares[i].ArtisanID, AmountPaise: p}
	}
	return out
}

// Earning is what the maker earns from a settled line: the agreed price
// per unit, or their share of what the marketplace actually paid.
func (m Match) Earning(paid Components) int64 {
	if m.ArtisanPricePaise != nil {
		return *m.ArtisanPricePaise * m.Quantity
	}
	if m.ArtisanShareBP != nil {
		return BasisPoints(paid.NetPaise, *m.ArtisanShareBP)
	}
	return 0
}

// SettlementEntry is the ledger entry of a matched settlement line: the
// bank got the net, the marketplace kept its fees (GST on them claimable)
// and the taxes it deducted (claimable), the maker's earning is held for
// the return window, and the corporation keeps the rest of the sale.
func SettlementEntry(channelID string, l SettlementLine, m Match) Entry {
	p := l.Paid
	earning := m.Earning(p)
	postings := []Posting{debit(AccountBank, p.NetPaise), debit(Fees(channelID), p.Fees()), debit(AccountGSTInput, p.GSTOnFeesPaise),
		debit(AccountTCSReceivable, p.TCSPaise), debit(AccountTDSReceivable, p.TDSPaise), credit(AccountMargin, p.GrossPaise-earning)}
	for _, e := range m.Earnings(p) {
		postings = append(postings, artisanPosting(Held(e.ArtisanID), e.ArtisanID, -e.AmountPaise))
	}
	return entryFor(SettlementSource(channelID, l), "settlement",
		fmt.Sprintf("settlement %s of order %s line %s", l.SettlementRef, l.ExternalOrderID, l.ExternalLineID), l.SettledOn, postings...)
}

// SettlementSource names a settlement line as a ledger source.
func SettlementSource(channelID string, l SettlementLine) string {
	return "settlement:" + channelID + ":" + l.SettlementRef + ":" + l.ExternalOrderID + ":" + l.ExternalLineID
}

// ReleaseEntry moves an earning out of the return window: held to payable.
func ReleaseEntry(earningID, artisanID string, amount int64, at time.Time) Entry {
	return entryFor("release:"+earningID, "release", "return window closed", at,
		artisanPosting(Held(artisanID), artisanID, amount), artisanPosting(Payable(artisanID), artisanID, -amount))
}

// ImportSummary says what a settlement file did.
type ImportSummary struct {
	Lines     int `json:"lines"`
	New       int `json:"new"`
	Repeated  int `json:"repeated"`
	Settled   int `json:"settled"`
	ShortPaid int `json:"short_paid"`
	Unmatched int `json:"unmatched"`
	Unchecked int `json:"unchecked"` // matched and posted, but no fee schedule to check them against
	Overdue   int `json:"overdue"`   // GeM invoices unpaid past their due date
}

// Add counts another import into s.
func (s *ImportSummary) Add(o ImportSummary) {
	s.Lines += o.Lines
	s.New += o.New
	s.Repeated += o.Repeated
	s.Settled += o.Settled
	s.ShortPaid += o.ShortPaid
	s.Unchecked += o.Unchecked
	s.Unmatched += o.Unmatched
	s.Overdue += o.Overdue
}

// StatementLine is one posting on an artisan's accounts.
type StatementLine struct {
	At          time.Time `json:"at"`
	Kind        string    `json:"kind"`
	Memo        string    `json:"memo"`
	Account     string    `json:"account"`
	AmountPaise int64     `json:"amount_paise"` // positive: earned; negative: paid out or clawed back
}

// Statement is what an artisan has earned, is owed and was paid.
type Statement struct {
	ArtisanID    string          `json:"artisan_id"`
	PayablePaise int64           `json:"payable_paise"`
	HeldPaise    int64           `json:"held_paise"`
	PaidPaise    int64           `json:"paid_paise"`
	Lines        []StatementLine `json:"lines"`
}

// Store keeps fee schedules, settlements and the ledger.
type Store interface {
	CreateFeeSchedule(ctx context.Context, f FeeSchedule) (FeeSchedule, error)
	ListFeeSchedules(ctx context.Context, channelID string) ([]FeeSchedule, error)
	// ImportSettlement matches, classifies and posts every line in one
	// transaction; a line already imported changes nothing.
	ImportSettlement(ctx context.Context, channelID, fileName string, lines []SettlementLine, now time.Time) (ImportSummary, error)
	// ReleaseDue makes payable every held earning whose window has closed.
	ReleaseDue(ctx context.Context, now time.Time) (int, error)
	// TrialBalance totals the ledger by kind of account.
	TrialBalance(ctx context.Context) ([]KindBalance, error)
	// Accounts pages through the accounts of one kind with their totals.
	Accounts(ctx context.Context, kind string, p paging.Request) (paging.Page[Balance], error)
	ArtisanStatement(ctx context.Context, artisanID string) (Statement, error)
	// Post writes one entry unless its source was posted before; it
	// reports whether it wrote.
	Post(ctx context.Context, e Entry) (bool, error)
	// RecordAdvance posts an advance (NotFound for an unknown artisan),
	// audited, and answers the artisan's statement as committed.
	RecordAdvance(ctx context.Context, artisanID string, e Entry, in AdvanceInput) (Statement, error)
	// ClawbackLine claws back the earnings of a line's returns not yet
	// clawed back (none if the line is not settled yet: the settlement
	// import claws back what was returned before it).
	ClawbackLine(ctx context.Context, lineID string, now time.Time) error
	// QueueStatementSummaries stores, once per artisan and month, the SMS
	// summary of every artisan's statement as of a day.
	QueueStatementSummaries(ctx context.Context, asOf civil.Date, now time.Time) (int, error)
	// SettlementFileImported says whether a file (or a marketplace report,
	// by its name) was imported for the channel before.
	SettlementFileImported(ctx context.Context, channelID, fileName string) (bool, error)
	GeMStore
	SharesStore
	ChannelStatementStore
}

// Service applies the rules.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a finance service; now may be nil.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

// CreateFeeSchedule adds a schedule.
func (s *Service) CreateFeeSchedule(ctx context.Context, f FeeSchedule) (FeeSchedule, error) {
	if err := f.Validate(); err != nil {
		return FeeSchedule{}, err
	}
	if f.FixedFeeSlabs == nil {
		f.FixedFeeSlabs = []Slab{}
	}
	f.CreatedAt = s.now().UTC()
	return s.store.CreateFeeSchedule(ctx, f)
}

// ListFeeSchedules lists a channel's schedules (all channels if empty).
func (s *Service) ListFeeSchedules(ctx context.Context, channelID string) ([]FeeSchedule, error) {
	return s.store.ListFeeSchedules(ctx, channelID)
}

// ImportSettlement reads a settlement file and imports it whole or not at all.
func (s *Service) ImportSettlement(ctx context.Context, channelID, fileName string, data []byte) (ImportSummary, error) {
	if strings.TrimSpace(channelID) == "" {
		return ImportSummary{}, apperr.FieldErrors{"channel_id": "is required"}.Err()
	}
	kind, err := s.store.ChannelKind(ctx, channelID)
	if err != nil {
		return ImportSummary{}, err
	}
	if kind == "gem" {
		return s.importGeM(ctx, channelID, fileName, data)
	}
	lines, err := ParseSettlementFile(data)
	if err != nil {
		return ImportSummary{}, err
	}
	sum, err := s.store.ImportSettlement(ctx, channelID, fileName, lines, s.now().UTC())
	if err != nil {
		return sum, err
	}
	return sum, s.releaseNow(ctx)
}

// SettlementReport is one settlement a marketplace published.
type SettlementReport struct {
	ID         string
	DocumentID string
	Created    time.Time
}

// SettlementReports is a marketplace whose settlements are pulled from its
// API (Amazon's Reports API); the others' come as files.
type SettlementReports interface {
	ListSettlements(ctx context.Context, since time.Time) ([]SettlementReport, error)
	FetchSettlement(ctx context.Context, r SettlementReport) ([]SettlementLine, error)
}

// ReportRetention is how far back a pull looks: Amazon keeps settlement
// reports for 90 days.
const ReportRetention = 90 * 24 * time.Hour

// PullSettlements imports the settlement reports a marketplace published in
// its retention that are not imported yet, each whole or not at all, once
// (by its report id).
func (s *Service) PullSettlements(ctx context.Context, channelID string, src SettlementReports) (ImportSummary, error) {
	var sum ImportSummary
	reports, err := src.ListSettlements(ctx, s.now().Add(-ReportRetention))
	if err != nil {
		return sum, err
	}
	for _, r := range reports {
		name := "amazon-report:" + r.ID
		done, err := s.store.SettlementFileImported(ctx, channelID, name)
		if err != nil {
			return sum, err
		}
		if done {
			continue
		}
		lines, err := src.FetchSettlement(ctx, r)
		if err != nil {
			return sum, fmt.Errorf("settlement report %s: %w", r.ID, err)
		}
		got, err := s.store.ImportSettlement(ctx, channelID, name, lines, s.now().UTC())
		if err != nil {
			return sum, fmt.Errorf("settlement report %s: %w", r.ID, err)
		}
		sum.Add(got)
	}
	if sum.New > 0 {
		return sum, s.releaseNow(ctx)
	}
	return sum, nil
}

// StatementSummaryDay is the day of the month artisans get their
// statement by SMS: the first, for the month before.
const StatementSummaryDay = 1

// SendStatementSummaries tells every artisan with money held, payable or
// paid their statement by SMS, once a month: on StatementSummaryDay it
// queues the summaries as of the day before (the last of the month); on
// other days it does nothing. A run again the same month queues nothing new.
func (s *Service) SendStatementSummaries(ctx context.Context) (int, error) {
	today := civil.Today(s.now)
	if today.Day != StatementSummaryDay {
		return 0, nil
	}
	return s.store.QueueStatementSummaries(ctx, today.AddDays(-1), s.now().UTC())
}

// releaseNow makes payable, right after a settlement, the earnings whose
// window is already over (a line settled after its window, a channel with
// a window of 0): the artisan need not wait for the next release run.
func (s *Service) releaseNow(ctx context.Context) error {
	_, err := s.store.ReleaseDue(ctx, s.now().UTC())
	return err
}

// ReleaseDue releases earnings whose return window has closed.
func (s *Service) ReleaseDue(ctx context.Context) (int, error) {
	return s.store.ReleaseDue(ctx, s.now().UTC())
}

// TrialBalance totals every account.
func (s *Service) TrialBalance(ctx context.Context) (TrialBalance, error) {
	b, err := s.store.TrialBalance(ctx)
	if err != nil {
		return TrialBalance{}, err
	}
	return NewTrialBalance(b), nil
}

// Accounts pages through the accounts of one kind (the trial balance's
// drill-down).
func (s *Service) Accounts(ctx context.Context, kind string, p paging.Request) (paging.Page[Balance], error) {
	if strings.TrimSpace(kind) == "" || len(kind) > 64 {
		return paging.Page[Balance]{}, apperr.FieldErrors{"kind": "name the kind of account (a kind listed by GET /ledger/trial-balance)"}.Err()
	}
	return s.store.Accounts(ctx, kind, p)
}

// ArtisanStatement is an artisan's statement.
func (s *Service) ArtisanStatement(ctx context.Context, artisanID string) (Statement, error) {
	return s.store.ArtisanStatement(ctx, artisanID)
}

// TopicLineReturned tells finance that goods of an order line came back,
// so the maker's earning from them is clawed back.
const TopicLineReturned = "orders.line_returned"

// LineReturned is its payload.
type LineReturned struct {
	LineID string `json:"line_id"`
}

// ClawbackSource names the clawback of one maker's earning for one return.
func ClawbackSource(returnID, artisanID string) string {
	return "clawback:" + returnID + ":" + artisanID
}

// ClawbackEntry reverses the part of an earning that came back: out of the
// artisan's held or payable account (which may go negative and is carried
// forward against later earnings) back to the corporation.
func ClawbackEntry(returnID, account, artisanID string, amount int64, at time.Time) Entry {
	return entryFor(ClawbackSource(returnID, artisanID), "clawback", "goods returned: earning clawed back", at,
		artisanPosting(account, artisanID, amount), credit(AccountMargin, amount))
}

// AdvanceInput is the body of POST /artisans/{id}/advances.
type AdvanceInput struct {
	AmountPaise int64  `json:"amount_paise"`
	Reason      string `json:"reason"`
}

// AdvanceEntry pays an artisan ahead of their earnings: their payable
// balance goes negative and later earnings net against it.
func AdvanceEntry(advanceID, artisanID string, amount int64, reason string, at time.Time) Entry {
	return entryFor("advance:"+advanceID, "advance", "advance: "+reason, at,
		artisanPosting(Payable(artisanID), artisanID, amount), credit(AccountBank, amount))
}

// Advance records money paid to an artisan ahead of earnings.
func (s *Service) Advance(ctx context.Context, artisanID string, in AdvanceInput) (Statement, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	fe := apperr.FieldErrors{}
	if in.AmountPaise <= 0 || in.AmountPaise > money.MaxAdvancePaise {
		fe.Add("amount_paise", "must be between 1 and %d (₹10 lakh)", money.MaxAdvancePaise)
	}
	if in.Reason == "" || len(in.Reason) > 300 {
		fe.Add("reason", "say what the advance is for (at most 300 characters)")
	}
	if err := fe.Err(); err != nil {
		return Statement{}, err
	}
	return s.store.RecordAdvance(ctx, artisanID, AdvanceEntry(ids.New(), artisanID, in.AmountPaise, in.Reason, s.now().UTC()), in)
}

// ChannelStatement is what one marketplace sold, kept and paid.
type ChannelStatement struct {
	ChannelID          string `json:"channel_id"`
	SalesPaise         int64  `json:"sales_paise"` // shipped lines at their selling price
	SettledGrossPaise  int64  `json:"settled_gross_paise"`
	FeesPaise          int64  `json:"fees_paise"`
	GSTOnFeesPaise     int64  `json:"gst_on_fees_paise"`
	TCSPaise           int64  `json:"tcs_paise"`
	TDSPaise           int64  `json:"tds_paise"`
	SettledNetPaise    int64  `json:"settled_net_paise"`
	ShortPaidLines     int64  `json:"short_paid_lines"`
	UnmatchedLines     int64  `json:"unmatched_lines"`
	OutstandingPaise   int64  `json:"outstanding_paise"` // shipped, not settled yet
	OutstandingLines   int64  `json:"outstanding_lines"`
	OverduePaise       int64  `json:"overdue_paise"` // of that, past the channel's settlement period
	OverdueLines       int64  `json:"overdue_lines"`
	SettlementDaysUsed int    `json:"settlement_days"`
}

// ChannelStatementStore reads a channel's figures.
type ChannelStatementStore interface {
	ChannelStatement(ctx context.Context, channelID string, now time.Time) (ChannelStatement, error)
}

// ChannelStatement is a channel's statement as of now.
func (s *Service) ChannelStatement(ctx context.Context, channelID string) (ChannelStatement, error) {
	return s.store.ChannelStatement(ctx, channelID, s.now().UTC())
}

// SharesStore keeps earning shares.
type SharesStore interface {
	// SetShares replaces a product's shares and answers them as committed.
	SetShares(ctx context.Context, productID string, shares []Share) ([]Share, error)
	Shares(ctx context.Context, productID string) ([]Share, error)
}

// SharesInput is the body of PUT /products/{id}/earning-shares.
type SharesInput struct {
	Shares []Share `json:"shares"`
}

// SetShares replaces how a product's earning is shared between makers; an
// empty list gives it all to the product's maker again.
func (s *Service) SetShares(ctx context.Context, productID string, in SharesInput) (SharesInput, error) {
	fe := apperr.FieldErrors{}
	if len(in.Shares) > 20 {
		fe.Add("shares", "at most 20 makers")
	}
	seen := map[string]bool{}
	for _, sh := range in.Shares {
		if strings.TrimSpace(sh.ArtisanID) == "" || seen[sh.ArtisanID] {
			fe.Add("shares.artisan_id", "each maker once")
		}
		seen[sh.ArtisanID] = true
		if sh.Weight < 1 || sh.Weight > 10000 {
			fe.Add("shares.weight", "must be between 1 and 10000")
		}
	}
	if err := fe.Err(); err != nil {
		return SharesInput{}, err
	}
	out, err := s.store.SetShares(ctx, productID, in.Shares)
	if out == nil {
		out = []Share{}
	}
	return SharesInput{Shares: out}, err
}

// Shares returns a product's earning shares (empty: its maker earns all).
func (s *Service) Shares(ctx context.Context, productID string) (SharesInput, error) {
	out, err := s.store.Shares(ctx, productID)
	if out == nil {
		out = []Share{}
	}
	return SharesInput{Shares: out}, err
}
