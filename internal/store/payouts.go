package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
)

var _ finance.PayoutStore = (*Finance)(nil)

type payoutBatchRow struct {
	ID         string `gorm:"primaryKey"`
	Status     string
	CreatedBy  string
	ApprovedBy string
	MinPaise   int64
	TotalPaise int64
	LineCount  int64
	CreatedAt  time.Time
	ApprovedAt *time.Time
	ExportedAt *time.Time
	UpdatedAt  time.Time
}

func (payoutBatchRow) TableName() string { return "payout_batches" }

func (r payoutBatchRow) domain() finance.PayoutBatch {
	return finance.PayoutBatch{ID: r.ID, Status: r.Status, CreatedBy: r.CreatedBy, ApprovedBy: r.ApprovedBy, MinPaise: r.MinPaise,
		TotalPaise: r.TotalPaise, LineCount: r.LineCount, CreatedAt: r.CreatedAt.UTC(), ApprovedAt: utcPtr(r.ApprovedAt), ExportedAt: utcPtr(r.ExportedAt)}
}

// CreateBatch drafts a batch in one transaction, audited. An artisan
// already in an unfinished batch is skipped by the partial unique index, so
// two batches drafted at once never include the same balance.
func (s *Finance) CreateBatch(ctx context.Context, actorID string, minPaise int64, now time.Time) (finance.PayoutBatch, error) {
	var out finance.PayoutBatch
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		id := ids.New()
		var eligible []struct {
			ArtisanID string
			Balance   int64
		}
		if err := tx.Raw(`SELECT p.artisan_id, -SUM(p.amount_paise) AS balance FROM ledger_postings p JOIN artisans a ON a.id = p.artisan_id
WHERE p.account = 'artisan_payable:' || p.artisan_id AND a.bank_account_sealed <> '' AND a.bank_ifsc <> ''
GROUP BY p.artisan_id HAVING -SUM(p.amount_paise) >= ? ORDER BY p.artisan_id`, minPaise).Scan(&eligible).Error; err != nil {
			return err
		}
		if err := tx.Create(&payoutBatchRow{ID: id, Status: finance.BatchDraft, CreatedBy: actorID, MinPaise: minPaise, CreatedAt: tx.Now, UpdatedAt: tx.Now}).Error; err != nil {
			return err
		}
		var total, count int64
		for _, e := range eligible {
			lineID := ids.New()
			ins := tx.Exec(`INSERT INTO payout_lines (id, batch_id, artisan_id, amount_paise, reference, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (artisan_id) WHERE status = 'pending' DO NOTHING`,
				lineID, id, e.ArtisanID, e.Balance, payoutReference(lineID), finance.PayoutPending, tx.Now, tx.Now)
			if ins.Error != nil {
				return ins.Error
			}
			if ins.RowsAffected == 1 {
				total += e.Balance
				count++
			}
		}
		if count == 0 {
			return apperr.New(apperr.Conflict, "no artisan has a payable balance of at least %d paise with bank details that is not already in a batch", minPaise)
		}
		if err := tx.Exec(`UPDATE payout_batches SET total_paise = ?, line_count = ? WHERE id = ?`, total, count, id).Error; err != nil {
			return err
		}
		var err error
		if out, err = getBatch(tx.DB, id); err != nil {
			return err
		}
		tx.AuditChange("create", "payout_batch", id, nil, out)
		return nil
	})
	return out, err
}

func (s *Finance) GetBatch(ctx context.Context, id string) (finance.PayoutBatch, error) {
	return getBatch(s.db.gorm.WithContext(ctx), id)
}

func getBatch(q *gorm.DB, id string) (finance.PayoutBatch, error) {
	var row payoutBatchRow
	if err := q.Where("id = ?", id).Take(&row).Error; err != nil {
		return finance.PayoutBatch{}, notFound(err, "payout batch %s not found", id)
	}
	b := row.domain()
	b.Lines = []finance.PayoutLine{}
	err := q.Raw(`SELECT id, artisan_id, amount_paise, reference, status, utr, failure_reason FROM payout_lines
WHERE batch_id = ? ORDER BY reference`, id).Scan(&b.Lines).Error
	return b, err
}

func (s *Finance) ListBatches(ctx context.Context) ([]finance.PayoutBatch, error) {
	var rows []payoutBatchRow
	if err := s.db.gorm.WithContext(ctx).Order("created_at DESC, id DESC").Limit(200).Find(&rows).Error; err != nil {
		return nil, err
	}
	return mapRows(rows, payoutBatchRow.domain), nil
}

// lockBatch takes the batch's row lock and reads it.
func lockBatch(tx *Tx, id string) (finance.PayoutBatch, error) {
	found, err := tx.lock("payout_batches", id)
	if err != nil {
		return finance.PayoutBatch{}, err
	}
	if !found {
		return finance.PayoutBatch{}, apperr.New(apperr.NotFound, "payout batch %s not found", id)
	}
	return getBatch(tx.DB, id)
}

// Approve is the checker's step under the batch's lock: finance.CanApprove
// decides (never the maker, only a draft), the status moves by conditional
// update, and each line leaves the artisan's payable balance. Audited.
func (s *Finance) Approve(ctx context.Context, id, approverID string, now time.Time) (finance.PayoutBatch, error) {
	var out finance.PayoutBatch
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		before, err := lockBatch(tx, id)
		if err != nil {
			return err
		}
		if err := finance.CanApprove(before, approverID); err != nil {
			return err
		}
		upd := tx.Exec(`UPDATE payout_batches SET status = ?, approved_by = ?, approved_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			finance.BatchApproved, approverID, tx.Now, tx.Now, id, finance.BatchDraft)
		if upd.Error != nil {
			return upd.Error
		}
		if upd.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "payout batch %s changed meanwhile: reload it", id)
		}
		for _, l := range before.Lines {
			if l.Status != finance.PayoutPending {
				continue
			}
			if _, err := post(tx, finance.PayoutEntry(l, tx.Now)); err != nil {
				return err
			}
		}
		if out, err = getBatch(tx.DB, id); err != nil {
			return err
		}
		tx.AuditChange("approve", "payout_batch", id, map[string]any{"status": before.Status}, map[string]any{"status": out.Status, "approved_by": approverID})
		return nil
	})
	return out, err
}

// Payees returns an approved or exported batch's lines with bank details
// and marks it exported. Taking the bank file is audited: it is the one
// place full account numbers leave the system.
func (s *Finance) Payees(ctx context.Context, id string, now time.Time) ([]finance.Payee, error) {
	var out []finance.Payee
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		b, err := lockBatch(tx, id)
		if err != nil {
			return err
		}
		if err := finance.CanExport(b); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE payout_batches SET status = ?, exported_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			finance.BatchExported, tx.Now, tx.Now, id, finance.BatchApproved).Error; err != nil {
			return err
		}
		if err := tx.Raw(`SELECT l.id AS line_id, l.artisan_id, a.name, a.bank_account_sealed AS account_sealed, a.bank_ifsc AS ifsc, l.amount_paise, l.reference
FROM payout_lines l JOIN artisans a ON a.id = l.artisan_id WHERE l.batch_id = ? AND l.status = ? ORDER BY a.name, l.reference`,
			id, finance.PayoutPending).Scan(&out).Error; err != nil {
			return err
		}
		tx.AuditChange("bank_file", "payout_batch", id, map[string]any{"status": b.Status},
			map[string]any{"status": finance.BatchExported, "lines": len(out), "total_paise": b.TotalPaise})
		return nil
	})
	return out, err
}

// MarkPaid applies the whole answer in one transaction under the batch's
// lock; a reference that is not a pending line of this batch refuses the
// file. Audited.
func (s *Finance) MarkPaid(ctx context.Context, id string, results []finance.BankResult, now time.Time) (finance.PayoutBatch, error) {
	var out finance.PayoutBatch
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		before, err := lockBatch(tx, id)
		if err != nil {
			return err
		}
		if err := finance.CanMarkPaid(before); err != nil {
			return err
		}
		byRef := map[string]finance.PayoutLine{}
		for _, l := range before.Lines {
			byRef[l.Reference] = l
		}
		fe := apperr.FieldErrors{}
		paid, failed := 0, 0
		for _, r := range results {
			l, ok := byRef[r.Reference]
			if !ok || l.Status != finance.PayoutPending {
				fe.Add(fmt.Sprintf("row %d", r.Row), "reference %s is not an unsettled line of this batch", r.Reference)
				continue
			}
			entry, status := finance.FailedEntry(l, r.Reason, tx.Now), finance.PayoutFailed
			if r.Paid {
				entry, status = finance.PaidEntry(l, r.UTR, tx.Now), finance.PayoutPaid
				paid++
			} else {
				failed++
			}
			upd := tx.Exec(`UPDATE payout_lines SET status = ?, utr = ?, failure_reason = ?, updated_at = ? WHERE id = ? AND status = ?`,
				status, r.UTR, r.Reason, tx.Now, l.ID, finance.PayoutPending)
			if upd.Error != nil {
				return upd.Error
			}
			if upd.RowsAffected == 0 {
				return apperr.New(apperr.Conflict, "payout line %s changed meanwhile: reload the batch", l.Reference)
			}
			if _, err := post(tx, entry); err != nil {
				return err
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE payout_batches SET status = ?, updated_at = ? WHERE id = ? AND NOT EXISTS
(SELECT 1 FROM payout_lines WHERE batch_id = ? AND status = ?)`, finance.BatchPaid, tx.Now, id, id, finance.PayoutPending).Error; err != nil {
			return err
		}
		if out, err = getBatch(tx.DB, id); err != nil {
			return err
		}
		tx.AuditChange("mark_paid", "payout_batch", id, map[string]any{"status": before.Status},
			map[string]any{"status": out.Status, "paid_lines": paid, "failed_lines": failed})
		return nil
	})
	return out, err
}

// payoutReference is the reference the bank carries for a line: "JK" and
// the random tail of the line's id, 16 letters and digits as NEFT allows.
func payoutReference(lineID string) string {
	hex := strings.ToUpper(strings.ReplaceAll(lineID, "-", ""))
	return "JK" + hex[len(hex)-14:]
}
