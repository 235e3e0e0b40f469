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

// CreateBatch drafts a batch in one transaction. An artisan already in an
// unfinished batch is skipped by the partial unique index, so two batches
// drafted at once never include the same balance.
func (s *Finance) CreateBatch(ctx context.Context, actorID string, minPaise int64, now time.Time) (finance.PayoutBatch, error) {
	id := ids.New()
	err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var eligible []struct {
			ArtisanID string
			Balance   int64
		}
		if err := tx.Raw(`SELECT p.artisan_id, -SUM(p.amount_paise) AS balance FROM ledger_postings p JOIN artisans a ON a.id = p.artisan_id
WHERE p.account = 'artisan_payable:' || p.artisan_id AND a.bank_account_sealed <> '' AND a.bank_ifsc <> ''
GROUP BY p.artisan_id HAVING -SUM(p.amount_paise) >= ? ORDER BY p.artisan_id`, minPaise).Scan(&eligible).Error; err != nil {
			return err
		}
		if err := tx.Create(&payoutBatchRow{ID: id, Status: finance.BatchDraft, CreatedBy: actorID, MinPaise: minPaise, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			return err
		}
		var total, count int64
		for _, e := range eligible {
			lineID := ids.New()
			ins := tx.Exec(`INSERT INTO payout_lines (id, batch_id, artisan_id, amount_paise, reference, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (artisan_id) WHERE status = 'pending' DO NOTHING`,
				lineID, id, e.ArtisanID, e.Balance, payoutReference(lineID), now, now)
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
		return tx.Exec(`UPDATE payout_batches SET total_paise = ?, line_count = ? WHERE id = ?`, total, count, id).Error
	})
	if err != nil {
		return finance.PayoutBatch{}, translate(err)
	}
	return s.GetBatch(ctx, id)
}

func (s *Finance) GetBatch(ctx context.Context, id string) (finance.PayoutBatch, error) {
	var row payoutBatchRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return finance.PayoutBatch{}, notFound(err, "payout batch %s not found", id)
	}
	b := row.domain()
	b.Lines = []finance.PayoutLine{}
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT id, artisan_id, amount_paise, reference, status, utr, failure_reason FROM payout_lines
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

// Approve is a conditional update: of two approvals at once one wins, the
// other finds the batch no longer a draft; the maker may not approve.
func (s *Finance) Approve(ctx context.Context, id, approverID string, now time.Time) (finance.PayoutBatch, error) {
	err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row payoutBatchRow
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return notFound(err, "payout batch %s not found", id)
		}
		if row.CreatedBy == approverID {
			return apperr.New(apperr.PermissionDenied, "the maker of a payout batch cannot approve it: another finance user must")
		}
		upd := tx.Exec(`UPDATE payout_batches SET status = 'approved', approved_by = ?, approved_at = ?, updated_at = ? WHERE id = ? AND status = 'draft'`,
			approverID, now, now, id)
		if upd.Error != nil {
			return upd.Error
		}
		if upd.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "payout batch %s is already %s", id, row.Status)
		}
		var lines []finance.PayoutLine
		if err := tx.Raw(`SELECT id, artisan_id, amount_paise, reference, status FROM payout_lines WHERE batch_id = ? AND status = 'pending'`, id).
			Scan(&lines).Error; err != nil {
			return err
		}
		for _, l := range lines {
			if _, err := post(tx, finance.PayoutEntry(l, now), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return finance.PayoutBatch{}, translate(err)
	}
	return s.GetBatch(ctx, id)
}

func (s *Finance) Payees(ctx context.Context, id string, now time.Time) ([]finance.Payee, error) {
	var out []finance.Payee
	err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row payoutBatchRow
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return notFound(err, "payout batch %s not found", id)
		}
		if row.Status != finance.BatchApproved && row.Status != finance.BatchExported {
			return apperr.New(apperr.Conflict, "payout batch %s is %s: only an approved batch goes to the bank", id, row.Status)
		}
		if err := tx.Exec(`UPDATE payout_batches SET status = 'exported', exported_at = ?, updated_at = ? WHERE id = ? AND status = 'approved'`,
			now, now, id).Error; err != nil {
			return err
		}
		return tx.Raw(`SELECT l.id AS line_id, l.artisan_id, a.name, a.bank_account_sealed AS account_sealed, a.bank_ifsc AS ifsc, l.amount_paise, l.reference
FROM payout_lines l JOIN artisans a ON a.id = l.artisan_id WHERE l.batch_id = ? AND l.status = 'pending' ORDER BY a.name, l.reference`, id).Scan(&out).Error
	})
	return out, translate(err)
}

// MarkPaid applies the whole answer in one transaction; a reference that
// is not a pending line of this batch refuses the file.
func (s *Finance) MarkPaid(ctx context.Context, id string, results []finance.BankResult, now time.Time) (finance.PayoutBatch, error) {
	err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row payoutBatchRow
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return notFound(err, "payout batch %s not found", id)
		}
		if row.Status != finance.BatchExported {
			return apperr.New(apperr.Conflict, "payout batch %s is %s: mark it paid after its bank file was taken", id, row.Status)
		}
		fe := apperr.FieldErrors{}
		for _, r := range results {
			var lines []finance.PayoutLine
			if err := tx.Raw(`SELECT id, artisan_id, amount_paise, reference, status FROM payout_lines WHERE batch_id = ? AND reference = ?`, id, r.Reference).
				Scan(&lines).Error; err != nil {
				return err
			}
			if len(lines) == 0 || lines[0].Status != "pending" {
				fe.Add(fmt.Sprintf("row %d", r.Row), "reference %s is not an unsettled line of this batch", r.Reference)
				continue
			}
			l := lines[0]
			entry, status := finance.FailedEntry(l, r.Reason, now), "failed"
			if r.Paid {
				entry, status = finance.PaidEntry(l, r.UTR, now), "paid"
			}
			if err := tx.Exec(`UPDATE payout_lines SET status = ?, utr = ?, failure_reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
				status, r.UTR, r.Reason, now, l.ID).Error; err != nil {
				return err
			}
			if _, err := post(tx, entry, now); err != nil {
				return err
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		return tx.Exec(`UPDATE payout_batches SET status = 'paid', updated_at = ? WHERE id = ? AND NOT EXISTS
(SELECT 1 FROM payout_lines WHERE batch_id = ? AND status = 'pending')`, now, id, id).Error
	})
	if err != nil {
		return finance.PayoutBatch{}, translate(err)
	}
	return s.GetBatch(ctx, id)
}

// payoutReference is the reference the bank carries for a line: "JK" and
// the random tail of the line's id, 16 letters and digits as NEFT allows.
func payoutReference(lineID string) string {
	hex := strings.ToUpper(strings.ReplaceAll(lineID, "-", ""))
	return "JK" + hex[len(hex)-14:]
}
