package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// StartSending moves an approved batch to sending through a payout
// provider, audited, and hands the sending to a worker through the
// outbox; a batch already sending is handed over again (a retry picks up
// where the last one stopped).
func (s *Finance) StartSending(ctx context.Context, id, provider string, now time.Time) (_ finance.PayoutBatch, err error) {
	defer apperr.Annotate(&err, "Finance.StartSending(%s, %s)", id, provider)
	var out finance.PayoutBatch
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		before, err := lockBatch(tx, id)
		if err != nil {
			return err
		}
		if err := finance.CanSend(before); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE payout_batches SET status = ?, updated_at = ? WHERE id = ? AND status IN ?`,
			finance.BatchSending, tx.Now, id, []string{finance.BatchApproved, finance.BatchSending}).Error; err != nil {
			return err
		}
		tx.Emit(outbox.New(tx.Now, finance.TopicPayoutSend, id, finance.PayoutSend{BatchID: id}))
		if out, err = getBatch(tx.DB, id); err != nil {
			return err
		}
		tx.AuditChange("send", "payout_batch", id, map[string]any{"status": before.Status}, map[string]any{"status": out.Status, "provider": provider})
		return nil
	})
	return out, err
}

// UnsentPayees returns, in reference order after a reference, up to limit
// pending lines of a batch the provider has not confirmed (no payout id of
// its own yet), with their bank details.
func (s *Finance) UnsentPayees(ctx context.Context, id, after string, limit int) ([]finance.Payee, error) {
	var out []finance.Payee
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT l.id AS line_id, l.artisan_id, a.name, a.bank_account_sealed AS account_sealed, a.bank_ifsc AS ifsc,
l.amount_paise, l.reference FROM payout_lines l JOIN artisans a ON a.id = l.artisan_id
WHERE l.batch_id = ? AND l.status = ? AND l.provider_payout_id = '' AND l.reference > ? ORDER BY l.reference LIMIT ?`,
		id, finance.PayoutPending, after, limit).Scan(&out).Error
	return out, err
}

// FinishSending marks a sending batch sent once every pending line went to
// the provider, and settles it if its lines are final already.
func (s *Finance) FinishSending(ctx context.Context, id string, now time.Time) (finance.PayoutBatch, error) {
	var out finance.PayoutBatch
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		if _, err := lockBatch(tx, id); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE payout_batches SET status = ?, updated_at = ? WHERE id = ? AND status = ? AND NOT EXISTS
(SELECT 1 FROM payout_lines WHERE batch_id = ? AND status = ? AND submitted_at IS NULL)`,
			finance.BatchSent, tx.Now, id, finance.BatchSending, id, finance.PayoutPending).Error; err != nil {
			return err
		}
		if err := settleBatch(tx, id); err != nil {
			return err
		}
		var err error
		out, err = getBatch(tx.DB, id)
		return err
	})
	return out, err
}

// InFlight returns what is known of the lines a provider has in flight
// that were last sent before a time: the polling backstop of webhooks.
func (s *Finance) InFlight(ctx context.Context, before time.Time, limit int) ([]finance.PayoutOutcome, error) {
	var rows []payoutLineRow
	if err := s.db.gorm.WithContext(ctx).Raw(payoutLineSelect+` WHERE provider <> '' AND status = ? AND submitted_at < ? ORDER BY submitted_at, id LIMIT ?`,
		finance.PayoutPending, before.UTC(), limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]finance.PayoutOutcome, len(rows))
	for i, r := range rows {
		out[i] = r.outcome()
	}
	return out, nil
}

// RecordOutcomes applies what a provider said of lines: each line under
// its row lock, finance.DecideOutcome deciding against what is recorded
// (final states are final, duplicates and late reports change nothing, a
// contradiction opens an exception for a person), the change made by a
// conditional UPDATE on the recorded state. A paid line leaves the money
// in transit for the bank and its artisan is told; a failed one goes back
// to the artisan's balance and they are told. A webhook's event id is kept
// once per provider in the same transaction: a replay changes nothing and
// reports false.
func (s *Finance) RecordOutcomes(ctx context.Context, provider, eventID string, outcomes []finance.PayoutOutcome, now time.Time) (_ bool, err error) {
	defer apperr.Annotate(&err, "Finance.RecordOutcomes(%s, %q, %d outcomes)", provider, eventID, len(outcomes))
	fresh := true
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		fresh = true
		if eventID != "" {
			ins := tx.Exec(`INSERT INTO provider_events (provider, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING`,
				provider, eventID, tx.Now)
			if ins.Error != nil {
				return ins.Error
			}
			if ins.RowsAffected == 0 {
				fresh = false
				return nil
			}
		}
		batches := map[string]bool{}
		for _, o := range outcomes {
			batch, err := applyOutcome(tx, provider, o)
			if err != nil {
				return err
			}
			if batch != "" {
				batches[batch] = true
			}
		}
		for b := range batches {
			if err := settleBatch(tx, b); err != nil {
				return err
			}
		}
		return nil
	})
	return fresh, err
}

type payoutLineRow struct {
	ID, BatchID, ArtisanID, Reference, Status, UTR, FailureReason string
	Provider, ProviderPayoutID, ProviderStatus                    string
	AmountPaise                                                   int64
	SubmittedAt                                                   *time.Time
}

const payoutLineSelect = `SELECT id, batch_id, artisan_id, reference, status, utr, failure_reason, provider, provider_payout_id, provider_status,
amount_paise, submitted_at FROM payout_lines`

func (r payoutLineRow) outcome() finance.PayoutOutcome {
	o := finance.PayoutOutcome{LineID: r.ID, Reference: r.Reference, State: finance.LineInFlight, ProviderPayoutID: r.ProviderPayoutID,
		ProviderStatus: r.ProviderStatus, UTR: r.UTR, Reason: r.FailureReason}
	switch r.Status {
	case finance.PayoutPaid:
		o.State = finance.LinePaid
	case finance.PayoutFailed:
		o.State = finance.LineFailed
	}
	if r.SubmittedAt != nil {
		o.At = r.SubmittedAt.UTC()
	}
	return o
}

func (r payoutLineRow) line() finance.PayoutLine {
	return finance.PayoutLine{ID: r.ID, ArtisanID: r.ArtisanID, AmountPaise: r.AmountPaise, Reference: r.Reference, Status: r.Status}
}

// applyOutcome applies one reported outcome to its line under the line's
// lock and returns the line's batch ("" when nothing changed).
func applyOutcome(tx *Tx, provider string, o finance.PayoutOutcome) (string, error) {
	found, err := tx.lock("payout_lines", o.LineID)
	if err != nil {
		return "", err
	}
	if !found {
		return "", raise(tx.DB, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: "payout_unknown:" + provider + ":" + o.LineID,
			Summary:  fmt.Sprintf("%s reported payout %s (reference %s), which is no payout line of ours", provider, o.ProviderPayoutID, o.Reference),
			Detail:   fmt.Sprintf("reported state %s (%s) %s", o.State, o.ProviderStatus, o.Reason),
			Action:   "Check the payout in the provider's dashboard: if money left for it, find whose it was before anything else is paid.",
			Resource: "payout_line", ResourceID: o.LineID})
	}
	var rows []payoutLineRow
	if err := tx.Raw(payoutLineSelect+` WHERE id = ?`, o.LineID).Scan(&rows).Error; err != nil {
		return "", err
	}
	l := rows[0]
	switch finance.DecideOutcome(l.outcome(), o) {
	case finance.OutcomeIgnore:
		return "", nil
	case finance.OutcomeConflict:
		return "", raise(tx.DB, exceptions.Exception{Kind: exceptions.SettlementMismatch, CauseKey: "payout_conflict:" + o.LineID,
			Summary: fmt.Sprintf("%s now says payout line %s (reference %s) is %s (%s), but it is recorded %s", provider, o.LineID, l.Reference,
				o.State, o.ProviderStatus, l.outcome().State),
			Detail: fmt.Sprintf("recorded payout %s %s; reported payout %s %s %s", l.ProviderPayoutID, l.ProviderStatus, o.ProviderPayoutID, o.UTR, o.Reason),
			Action: "Nothing was changed. Check the payout in the provider's dashboard and with the bank; correct the artisan's balance " +
				"with an advance or a note only once you know where the money is.",
			Resource: "payout_line", ResourceID: o.LineID})
	}
	payoutID := l.ProviderPayoutID
	if payoutID == "" {
		payoutID = o.ProviderPayoutID
	}
	cols := map[string]any{"provider": provider, "provider_payout_id": payoutID, "provider_status": o.ProviderStatus, "updated_at": tx.Now}
	if l.SubmittedAt == nil {
		cols["submitted_at"] = tx.Now
	}
	line := l.line()
	switch {
	case o.State == finance.LinePaid && l.Status == finance.PayoutPaid:
		// The UTR came after the payout was processed.
		return l.BatchID, tx.Table("payout_lines").Where("id = ? AND status = ? AND utr = ''", l.ID, finance.PayoutPaid).
			Updates(map[string]any{"utr": o.UTR, "provider_status": o.ProviderStatus, "updated_at": tx.Now}).Error
	case o.State == finance.LinePaid:
		cols["status"], cols["utr"], cols["settled_at"] = finance.PayoutPaid, o.UTR, tx.Now
		if err := setPayoutLine(tx, l.ID, cols); err != nil {
			return "", err
		}
		if _, err := post(tx, finance.PaidEntry(line, o.UTR, tx.Now)); err != nil {
			return "", err
		}
		return l.BatchID, tellArtisan(tx, l.ArtisanID, "payout:"+l.ID+":paid", notify.Notice{PaymentSent: &messages.PaymentSent{
			AmountPaise: l.AmountPaise, On: civil.Of(tx.Now), UTR: orDash(o.UTR)}}, nil)
	case o.State == finance.LineFailed:
		reason := o.Reason
		if reason == "" {
			reason = o.ProviderStatus
		}
		cols["status"], cols["failure_reason"], cols["settled_at"] = finance.PayoutFailed, truncateText(reason), tx.Now
		if err := setPayoutLine(tx, l.ID, cols); err != nil {
			return "", err
		}
		if _, err := post(tx, finance.FailedEntry(line, reason, tx.Now)); err != nil {
			return "", err
		}
		return l.BatchID, tellArtisan(tx, l.ArtisanID, "payout:"+l.ID+":failed", notify.Notice{PaymentFailed: &messages.PaymentFailed{
			AmountPaise: l.AmountPaise}}, nil)
	}
	return l.BatchID, setPayoutLine(tx, l.ID, cols) // still in flight: what the provider said, and when it was sent
}

// setPayoutLine changes a pending line; a line no longer pending (it cannot
// be, under its lock) is a conflict to retry.
func setPayoutLine(tx *Tx, id string, cols map[string]any) error {
	upd := tx.Table("payout_lines").Where("id = ? AND status = ?", id, finance.PayoutPending).Updates(cols)
	if upd.Error != nil {
		return upd.Error
	}
	if upd.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, "payout line %s changed meanwhile; retry", id)
	}
	return nil
}

// settleBatch sets a sent or exported batch's status from its lines once
// none is pending (finance.BatchOutcome).
func settleBatch(tx *Tx, id string) error {
	var c struct {
		Status                string
		Pending, Paid, Failed int64
	}
	if err := tx.Raw(`SELECT b.status,
(SELECT COUNT(*) FROM payout_lines WHERE batch_id = b.id AND status = ?) AS pending,
(SELECT COUNT(*) FROM payout_lines WHERE batch_id = b.id AND status = ?) AS paid,
(SELECT COUNT(*) FROM payout_lines WHERE batch_id = b.id AND status = ?) AS failed
FROM payout_batches b WHERE b.id = ?`, finance.PayoutPending, finance.PayoutPaid, finance.PayoutFailed, id).Scan(&c).Error; err != nil {
		return err
	}
	if c.Status != finance.BatchSent && c.Status != finance.BatchExported {
		return nil
	}
	next := finance.BatchOutcome(c.Status, c.Pending, c.Paid, c.Failed)
	if next == c.Status {
		return nil
	}
	return tx.Exec(`UPDATE payout_batches SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, next, tx.Now, id, c.Status).Error
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
