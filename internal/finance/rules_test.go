package finance

import (
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

func TestPayableAfter(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	ptr := func(t time.Time) *time.Time { return &t }
	week := 7 * 24 * time.Hour
	for _, tc := range []struct {
		name      string
		settled   time.Time
		delivered *time.Time
		window    time.Duration
		want      time.Time
	}{
		{"the window runs from delivery", day(5), ptr(day(3)), week, day(10)},
		{"settled after the window closed: payable at once", day(20), ptr(day(3)), week, day(20)},
		{"no delivery recorded: from the settlement", day(5), nil, week, day(12)},
		{"a zero window is payable at settlement", day(5), ptr(day(3)), 0, day(5)},
	} {
		if got := PayableAfter(tc.settled, tc.delivered, tc.window); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	ordered := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	sched := FeeSchedule{CommissionBP: 1000}
	exp := Expected(sched, 100000, 500, ordered, ordered.Add(240*time.Hour))
	line := SettlementLine{SettledOn: ordered.Add(240 * time.Hour), Paid: exp}
	short := line
	short.Paid.NetPaise -= 100
	for _, tc := range []struct {
		name    string
		matched bool
		has     bool
		l       SettlementLine
		status  string
		diffs   int
	}{
		{"paid as expected", true, true, line, StatusSettled, 0},
		{"paid short", true, true, short, StatusShortPaid, 1},
		{"no order line", false, true, line, StatusUnmatched, 0},
		{"no fee schedule: unchecked, no made-up component", true, false, line, StatusUnchecked, 0},
	} {
		c := Classify(tc.matched, sched, tc.has, 500, ordered, tc.l)
		if c.Status != tc.status || len(c.Differences) != tc.diffs {
			t.Errorf("%s: %s with %v, want %s with %d differences", tc.name, c.Status, c.Differences, tc.status, tc.diffs)
		}
		if (tc.matched && tc.has) != (c.ExpectedNetPaise != nil) {
			t.Errorf("%s: expected net %v", tc.name, c.ExpectedNetPaise)
		}
	}
}

func TestCanApprove(t *testing.T) {
	drafted := time.Now()
	for _, tc := range []struct {
		name     string
		b        PayoutBatch
		approver string
		code     apperr.Code
	}{
		{"a checker approves a draft", PayoutBatch{ID: "b", Status: BatchDraft, CreatedBy: "maker", DraftedAt: &drafted}, "checker", ""},
		{"the maker may not", PayoutBatch{ID: "b", Status: BatchDraft, CreatedBy: "maker", DraftedAt: &drafted}, "maker", apperr.PermissionDenied},
		{"only once", PayoutBatch{ID: "b", Status: BatchApproved, CreatedBy: "maker", DraftedAt: &drafted}, "checker", apperr.Conflict},
		{"not while drafting", PayoutBatch{ID: "b", Status: BatchDraft, CreatedBy: "maker"}, "checker", apperr.Conflict},
	} {
		if got := apperr.CodeOf(CanApprove(tc.b, tc.approver)); got != tc.code {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.code)
		}
	}
	for _, tc := range []struct {
		current             string
		pending, paid, fail int64
		want                string
	}{
		{BatchSent, 1, 3, 0, BatchSent},
		{BatchSent, 0, 3, 0, BatchPaid},
		{BatchExported, 0, 0, 2, BatchFailed},
		{BatchSent, 0, 2, 1, BatchPartlyPaid},
		{BatchApproved, 0, 0, 0, BatchApproved},
	} {
		if got := BatchOutcome(tc.current, tc.pending, tc.paid, tc.fail); got != tc.want {
			t.Errorf("BatchOutcome(%s, %d pending, %d paid, %d failed) = %s, want %s", tc.current, tc.pending, tc.paid, tc.fail, got, tc.want)
		}
	}
	if CanSend(PayoutBatch{Status: BatchApproved}) != nil || CanSend(PayoutBatch{Status: BatchSending}) != nil ||
		CanSend(PayoutBatch{Status: BatchExported}) == nil || CanSend(PayoutBatch{Status: BatchDraft}) == nil {
		t.Error("only an approved (or sending) batch is sent, never one that went out as a bank file")
	}
	if CanExport(PayoutBatch{Status: BatchDraft}) == nil || CanExport(PayoutBatch{Status: BatchExported}) != nil {
		t.Error("only an approved or exported batch goes to the bank")
	}
	if CanMarkPaid(PayoutBatch{Status: BatchApproved}) == nil || CanMarkPaid(PayoutBatch{Status: BatchExported}) != nil {
		t.Error("only an exported batch is marked paid")
	}
}
