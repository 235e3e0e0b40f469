package finance

import (
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// Earning statuses (the CHECK of artisan_earnings.status lists the same).
const (
	EarningHeld       = "held"
	EarningPayable    = "payable"
	EarningClawedBack = "clawed_back"
)

// Payout line statuses (the CHECK of payout_lines.status lists the same).
const (
	PayoutPending = "pending"
	PayoutPaid    = "paid"
	PayoutFailed  = "failed"
)

// PayableAfter is when a maker's earning from a settled line becomes
// payable: the return window runs from delivery, so a line settled after
// its window closed is payable at once; without a recorded delivery the
// window runs from the settlement.
func PayableAfter(settledOn time.Time, deliveredAt *time.Time, window time.Duration) time.Time {
	settledOn = settledOn.UTC()
	if deliveredAt == nil {
		return settledOn.Add(window)
	}
	after := deliveredAt.UTC().Add(window)
	if after.Before(settledOn) {
		return settledOn
	}
	return after
}

// Classification is what a settlement line is found to be.
type Classification struct {
	Status      string
	Differences []Difference
	// ExpectedNetPaise is what the fee schedule says the marketplace should
	// have paid (nil for an unmatched line).
	ExpectedNetPaise *int64
}

// Classify compares what a marketplace paid for a line with what its fee
// schedule says it should have paid: unmatched when no order line of ours
// matches; unchecked when no schedule covers the line (there is nothing to
// compare with: a person adds the schedule); short_paid when it paid less
// net; settled otherwise. Differences list only real components.
func Classify(matched bool, sched FeeSchedule, hasSchedule bool, gstRateBP int64, orderedAt time.Time, l SettlementLine) Classification {
	if !matched {
		return Classification{Status: StatusUnmatched, Differences: []Difference{}}
	}
	if !hasSchedule {
		return Classification{Status: StatusUnchecked, Differences: []Difference{}}
	}
	exp := Expected(sched, l.Paid.GrossPaise, gstRateBP, orderedAt, l.SettledOn)
	diffs, short := Compare(exp, l.Paid)
	if diffs == nil {
		diffs = []Difference{}
	}
	c := Classification{Status: StatusSettled, Differences: diffs, ExpectedNetPaise: &exp.NetPaise}
	if short {
		c.Status = StatusShortPaid
	}
	return c
}

// CanApprove is maker-checker: a draft is approved once, by a finance user
// other than the one who drafted it.
func CanApprove(b PayoutBatch, approverID string) error {
	if b.CreatedBy == approverID {
		return apperr.New(apperr.PermissionDenied, "the maker of a payout batch cannot approve it: another finance user must")
	}
	if b.DraftedAt == nil {
		return apperr.New(apperr.Conflict, "payout batch %s is still being drafted: approve it once drafting has finished", b.ID)
	}
	if b.Status != BatchDraft {
		return apperr.New(apperr.Conflict, "payout batch %s is already %s", b.ID, b.Status)
	}
	return nil
}

// BatchOutcome is a batch's status once none of its lines is pending:
// paid when every line was paid, failed when none was, partly_paid
// otherwise; while lines are pending it keeps its status.
func BatchOutcome(current string, pending, paid, failed int64) string {
	switch {
	case pending > 0:
		return current
	case paid > 0 && failed == 0:
		return BatchPaid
	case paid == 0 && failed > 0:
		return BatchFailed
	case paid > 0:
		return BatchPartlyPaid
	}
	return current
}

// CanSend says whether a batch may go to the payout provider: once
// approved, and not after its bank file was taken (that would pay twice);
// sending again a batch already sending picks up where it stopped.
func CanSend(b PayoutBatch) error {
	switch b.Status {
	case BatchApproved, BatchSending:
		return nil
	case BatchExported:
		return apperr.New(apperr.Conflict, "payout batch %s went to the bank as a file: mark it paid from the bank's answer instead", b.ID)
	}
	return apperr.New(apperr.Conflict, "payout batch %s is %s: only an approved batch is sent", b.ID, b.Status)
}

// CanExport says whether a batch's bank file may be taken: only once
// approved (again after, to download it once more).
func CanExport(b PayoutBatch) error {
	if b.Status != BatchApproved && b.Status != BatchExported {
		return apperr.New(apperr.Conflict, "payout batch %s is %s: only an approved batch goes to the bank", b.ID, b.Status)
	}
	return nil
}

// CanMarkPaid says whether the bank's answer may be applied to a batch:
// after its bank file was taken.
func CanMarkPaid(b PayoutBatch) error {
	if b.Status != BatchExported {
		return apperr.New(apperr.Conflict, "payout batch %s is %s: mark it paid after its bank file was taken", b.ID, b.Status)
	}
	return nil
}
