package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/civil"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/migrations"
)

var _ finance.PayoutStore = (*Finance)(nil)

type payoutBatchRow struct {
	ID             string `gorm:"primaryKey"`
	Status         string
	CreatedBy      string
	ApprovedBy     string
	MinPaise       int64
	TotalPaise     int64
	LineCount      int64
	CreatedAt      time.Time
	ApprovedAt     *time.Time
	ExportedAt     *time.Time
	DraftedAt      *time.Time
	DraftingCursor string
	UpdatedAt      time.Time
}

func (payoutBatchRow) TableName() string { return "payout_batches" }

func (r payoutBatchRow) domain() finance.PayoutBatch {
	return finance.PayoutBatch{ID: r.ID, Status: r.Status, CreatedBy: r.CreatedBy, ApprovedBy: r.ApprovedBy, MinPaise: r.MinPaise,
		TotalPaise: r.TotalPaise, LineCount: r.LineCount, CreatedAt: r.CreatedAt.UTC(), ApprovedAt: utcPtr(r.ApprovedAt), ExportedAt: utcPtr(r.ExportedAt),
		DraftedAt: utcPtr(r.DraftedAt)}
}

// draftChunk is how many artisans one drafting transaction adds.
var draftChunk = 2000

// staleDrafting is how long a batch may go without a drafting step before
// another request takes it over (its drafter died).
const staleDrafting = 2 * time.Minute

// CreateBatch drafts a batch in bounded transactions: the batch row first,
// then chunks of draftChunk eligible balances read in artisan order from
// the (kind, artisan, amount) index and inserted in one statement each,
// under the batch's lock, the cursor saved with each chunk; the last step
// totals the lines, marks the batch drafted and audits it. An artisan
// already in an unfinished batch is skipped by the partial unique index, so
// batches drafted at once never share a balance. A batch whose drafter died
// is resumed by the next request to draft.
func (s *Finance) CreateBatch(ctx context.Context, actorID string, minPaise int64, now time.Time) (finance.PayoutBatch, error) {
	var stale []payoutBatchRow
	if err := s.db.gorm.WithContext(ctx).Where("drafted_at IS NULL AND updated_at < ?", now.Add(-staleDrafting)).Order("created_at").Limit(1).
		Find(&stale).Error; err != nil {
		return finance.PayoutBatch{}, err
	}
	if len(stale) == 1 {
		return s.draft(ctx, stale[0].ID, stale[0].MinPaise, now)
	}
	id := ids.New()
	err := s.db.inTx(ctx, now, func(tx *Tx) error {
		return tx.Create(&payoutBatchRow{ID: id, Status: finance.BatchDraft, CreatedBy: actorID, MinPaise: minPaise, CreatedAt: tx.Now, UpdatedAt: tx.Now}).Error
	})
	if err != nil {
		return finance.PayoutBatch{}, err
	}
	return s.draft(ctx, id, minPaise, now)
}

// draft runs a batch's drafting steps until it is drafted.
func (s *Finance) draft(ctx context.Context, id string, minPaise int64, now time.Time) (finance.PayoutBatch, error) {
	for {
		var out finance.PayoutBatch
		done, empty := false, false
		err := s.db.inTx(ctx, now, func(tx *Tx) error {
			done, empty = false, false
			if _, err := tx.lock("payout_batches", id); err != nil {
				return err
			}
			var row payoutBatchRow
			if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
				return notFound(err, "payout batch %s not found", id)
			}
			if row.DraftedAt != nil {
				done = true
				var err error
				out, err = getBatch(tx.DB, id)
				return err
			}
			var eligible []struct {
				ArtisanID string
				Balance   int64
			}
			if err := tx.Raw(`SELECT p.artisan_id, -SUM(p.amount_paise) AS balance FROM ledger_postings p JOIN artisans a ON a.id = p.artisan_id
WHERE p.account_kind = ? AND p.artisan_id > ? AND a.bank_account_sealed <> '' AND a.bank_ifsc <> ''
GROUP BY p.artisan_id HAVING -SUM(p.amount_paise) >= ? ORDER BY p.artisan_id LIMIT ?`,
				finance.KindArtisanPayable, row.DraftingCursor, minPaise, draftChunk).Scan(&eligible).Error; err != nil {
				return err
			}
			if len(eligible) > 0 {
				rows := make([][]any, len(eligible))
				for i, e := range eligible {
					lineID := ids.New()
					rows[i] = []any{lineID, id, e.ArtisanID, e.Balance, payoutReference(lineID), finance.PayoutPending, tx.Now, tx.Now}
				}
				if err := insertRowsResult(tx, "payout_lines", []string{"id", "batch_id", "artisan_id", "amount_paise", "reference", "status", "created_at", "updated_at"},
					rows, "ON CONFLICT (artisan_id) WHERE status = 'pending' DO NOTHING").Error; err != nil {
					return err
				}
				return tx.Exec(`UPDATE payout_batches SET drafting_cursor = ?, updated_at = ? WHERE id = ?`, eligible[len(eligible)-1].ArtisanID, tx.Now, id).Error
			}
			var totals struct{ Total, Count int64 }
			if err := tx.Raw(`SELECT COALESCE(SUM(amount_paise), 0) AS total, COUNT(*) AS count FROM payout_lines WHERE batch_id = ?`, id).Scan(&totals).Error; err != nil {
				return err
			}
			done = true
			if totals.Count == 0 {
				empty = true
				return tx.Exec(`DELETE FROM payout_batches WHERE id = ?`, id).Error
			}
			if err := tx.Exec(`UPDATE payout_batches SET total_paise = ?, line_count = ?, drafted_at = ?, updated_at = ? WHERE id = ?`,
				totals.Total, totals.Count, tx.Now, tx.Now, id).Error; err != nil {
				return err
			}
			var err error
			if out, err = getBatch(tx.DB, id); err != nil {
				return err
			}
			tx.AuditChange("create", "payout_batch", id, nil, map[string]any{"min_paise": minPaise, "line_count": totals.Count, "total_paise": totals.Total})
			return nil
		})
		switch {
		case err != nil:
			return finance.PayoutBatch{}, err
		case empty:
			return finance.PayoutBatch{}, apperr.New(apperr.Conflict,
				"no artisan has a payable balance of at least %d paise with bank details that is not already in a batch", minPaise)
		case done:
			return out, nil
		}
	}
}

func (s *Finance) GetBatch(ctx context.Context, id string) (finance.PayoutBatch, error) {
	return getBatch(s.db.gorm.WithContext(ctx), id)
}

// getBatch reads a batch with the first page of its lines.
func getBatch(q *gorm.DB, id string) (finance.PayoutBatch, error) {
	var row payoutBatchRow
	if err := q.Where("id = ?", id).Take(&row).Error; err != nil {
		return finance.PayoutBatch{}, notFound(err, "payout batch %s not found", id)
	}
	b := row.domain()
	page, err := batchLines(q, id, paging.Request{Limit: finance.BatchLinesPage})
	b.Lines, b.LinesNextCursor = page.Items, page.NextCursor
	return b, err
}

// BatchLines is one query for a page of lines; only an empty page asks
// whether the batch exists at all (NotFound) or has no more lines.
func (s *Finance) BatchLines(ctx context.Context, id string, p paging.Request) (paging.Page[finance.PayoutLine], error) {
	page, err := batchLines(s.db.gorm.WithContext(ctx), id, p)
	if err != nil || len(page.Items) > 0 {
		return page, err
	}
	var n int64
	if err := s.db.gorm.WithContext(ctx).Table("payout_batches").Where("id = ?", id).Count(&n).Error; err != nil {
		return paging.Page[finance.PayoutLine]{}, err
	}
	if n == 0 {
		return paging.Page[finance.PayoutLine]{}, apperr.New(apperr.NotFound, "payout batch %s not found", id)
	}
	return page, nil
}

func batchLines(q *gorm.DB, id string, p paging.Request) (paging.Page[finance.PayoutLine], error) {
	sql, args := `SELECT id, artisan_id, amount_paise, reference, status, utr, failure_reason, provider, provider_payout_id, provider_status,
submitted_at, settled_at FROM payout_lines WHERE batch_id = ?`, []any{id}
	if p.After != "" {
		sql += ` AND reference > ?`
		args = append(args, p.After)
	}
	var rows []finance.PayoutLine
	if err := q.Raw(sql+fmt.Sprintf(` ORDER BY reference LIMIT %d`, p.Limit+1), args...).Scan(&rows).Error; err != nil {
		return paging.Page[finance.PayoutLine]{}, err
	}
	for i := range rows {
		rows[i].SubmittedAt, rows[i].SettledAt = utcPtr(rows[i].SubmittedAt), utcPtr(rows[i].SettledAt)
	}
	page := paging.Build(rows, p.Limit, func(l finance.PayoutLine) string { return l.Reference })
	if page.Items == nil {
		page.Items = []finance.PayoutLine{}
	}
	return page, nil
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
func (s *Finance) Approve(ctx context.Context, id, approverID string, now time.Time) (_ finance.PayoutBatch, err error) {
	defer apperr.Annotate(&err, "Finance.Approve(%s)", id)
	var out finance.PayoutBatch
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
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
		// Every pending line leaves its artisan's payable balance: the lines
		// are read in pages and posted in multi-row INSERTs.
		after := ""
		for {
			page, err := batchLines(tx.DB, id, paging.Request{Limit: entriesPerInsert, After: after})
			if err != nil {
				return err
			}
			var entries []finance.Entry
			for _, l := range page.Items {
				if l.Status == finance.PayoutPending {
					entries = append(entries, finance.PayoutEntry(l, tx.Now))
				}
			}
			if _, err := postAll(tx, entries); err != nil {
				return err
			}
			if page.NextCursor == "" {
				break
			}
			after = page.NextCursor
		}
		if out, err = getBatch(tx.DB, id); err != nil {
			return err
		}
		tx.AuditChange("approve", "payout_batch", id, map[string]any{"status": before.Status}, map[string]any{"status": out.Status, "approved_by": approverID})
		return nil
	})
	return out, err
}

// Payees marks an approved or exported batch exported, audited (the bank
// file is the one place full account numbers leave the system), then
// streams its pending lines with bank details to fn from a database cursor.
func (s *Finance) Payees(ctx context.Context, id string, now time.Time, fn func(finance.Payee) error) error {
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
		tx.AuditChange("bank_file", "payout_batch", id, map[string]any{"status": b.Status},
			map[string]any{"status": finance.BatchExported, "lines": b.LineCount, "total_paise": b.TotalPaise})
		return nil
	})
	if err != nil {
		return err
	}
	rows, err := s.db.gorm.WithContext(ctx).Raw(`SELECT l.id AS line_id, l.artisan_id, a.name, a.bank_account_sealed AS account_sealed, a.bank_ifsc AS ifsc,
l.amount_paise, l.reference FROM payout_lines l JOIN artisans a ON a.id = l.artisan_id WHERE l.batch_id = ? AND l.status = ? ORDER BY a.name, l.reference`,
		id, finance.PayoutPending).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p finance.Payee
		if err := rows.Scan(&p.LineID, &p.ArtisanID, &p.Name, &p.AccountSealed, &p.IFSC, &p.AmountPaise, &p.Reference); err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MarkPaid applies the whole answer in one transaction under the batch's
// lock; a reference that is not a pending line of this batch refuses the
// file. Audited. It is set-based: the lines are read and locked, changed,
// posted to the ledger and their artisans told in a few statements per
// linesPerStatement lines, however long the answer.
func (s *Finance) MarkPaid(ctx context.Context, id string, results []finance.BankResult, now time.Time) (_ finance.PayoutBatch, err error) {
	defer apperr.Annotate(&err, "Finance.MarkPaid(%s, %d results)", id, len(results))
	var out finance.PayoutBatch
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		before, err := lockBatch(tx, id)
		if err != nil {
			return err
		}
		if err := finance.CanMarkPaid(before); err != nil {
			return err
		}
		byRef := map[string]payoutLineRow{}
		lock := ""
		if tx.dialect == migrations.Postgres {
			lock = " FOR UPDATE"
		}
		for start := 0; start < len(results); start += linesPerStatement {
			refs := make([]string, 0, linesPerStatement)
			for _, r := range results[start:min(start+linesPerStatement, len(results))] {
				refs = append(refs, r.Reference)
			}
			var lines []payoutLineRow
			if err := tx.Raw(payoutLineSelect+` WHERE batch_id = ? AND reference IN ?`+lock, id, refs).Scan(&lines).Error; err != nil {
				return err
			}
			for _, l := range lines {
				byRef[l.Reference] = l
			}
		}
		fe := apperr.FieldErrors{}
		paid, failed := 0, 0
		var outcomes []bankOutcome
		for _, r := range results {
			l, ok := byRef[r.Reference]
			if !ok || l.Status != finance.PayoutPending {
				fe.Add(fmt.Sprintf("row %d", r.Row), "reference %s is not an unsettled line of this batch", r.Reference)
				continue
			}
			o := finance.PayoutOutcome{LineID: l.ID, Reference: l.Reference, State: finance.LineFailed, ProviderStatus: "bank_answer", Reason: r.Reason}
			if r.Paid {
				o.State, o.UTR = finance.LinePaid, r.UTR
				paid++
			} else {
				failed++
			}
			outcomes = append(outcomes, bankOutcome{line: l, o: o})
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := applyBankOutcomes(tx, outcomes); err != nil {
			return err
		}
		if err := settleBatch(tx, id); err != nil {
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

// linesPerStatement bounds the payout lines one statement reads or
// changes: within both databases' bound-parameter limits (a CASE takes two
// a line).
const linesPerStatement = 1000

// bankOutcome is a bank's answer about one locked, pending line.
type bankOutcome struct {
	line payoutLineRow
	o    finance.PayoutOutcome
}

// applyBankOutcomes is applyOutcome for a bank's answer about many pending
// lines (locked by the caller), set-based: the same columns, the same
// ledger entries and the same messages to artisans, in a few statements
// per linesPerStatement lines. A line no longer pending is a conflict to
// retry; one the rules would not settle (none, from a bank's answer) is
// applied alone.
func applyBankOutcomes(tx *Tx, outcomes []bankOutcome) error {
	var entries []finance.Entry
	var notices []artisanNotice
	for start := 0; start < len(outcomes); start += linesPerStatement {
		var paid, failed []bankOutcome
		for _, b := range outcomes[start:min(start+linesPerStatement, len(outcomes))] {
			switch {
			case finance.DecideOutcome(b.line.outcome(), b.o) != finance.OutcomeApply:
				if _, err := applyOutcome(tx, finance.ProviderNEFTFile, b.o); err != nil {
					return err
				}
			case b.o.State == finance.LinePaid:
				paid = append(paid, b)
				entries = append(entries, finance.PaidEntry(b.line.line(), b.o.UTR, tx.Now))
				notices = append(notices, artisanNotice{ArtisanID: b.line.ArtisanID, Subject: "payout:" + b.line.ID + ":paid",
					Notice: notify.Notice{PaymentSent: &messages.PaymentSent{AmountPaise: b.line.AmountPaise, On: civil.Of(tx.Now), UTR: orDash(b.o.UTR)}}})
			default:
				failed = append(failed, b)
				entries = append(entries, finance.FailedEntry(b.line.line(), failureReason(b.o), tx.Now))
				notices = append(notices, artisanNotice{ArtisanID: b.line.ArtisanID, Subject: "payout:" + b.line.ID + ":failed",
					Notice: notify.Notice{PaymentFailed: &messages.PaymentFailed{AmountPaise: b.line.AmountPaise}}})
			}
		}
		if err := settleLines(tx, finance.PayoutPaid, "utr", paid, func(o finance.PayoutOutcome) string { return o.UTR }); err != nil {
			return err
		}
		if err := settleLines(tx, finance.PayoutFailed, "failure_reason", failed, func(o finance.PayoutOutcome) string {
			return truncateText(failureReason(o))
		}); err != nil {
			return err
		}
	}
	if _, err := postAll(tx, entries); err != nil {
		return err
	}
	return tellArtisans(tx, notices)
}

// failureReason is what a failed line records: the reason given, else the
// provider's status.
func failureReason(o finance.PayoutOutcome) string {
	if o.Reason == "" {
		return o.ProviderStatus
	}
	return o.Reason
}

// settleLines moves pending lines to status in one UPDATE, setting col to
// each line's own value; every line must still be pending.
func settleLines(tx *Tx, status, col string, lines []bankOutcome, value func(finance.PayoutOutcome) string) error {
	if len(lines) == 0 {
		return nil
	}
	lineIDs := make([]string, len(lines))
	cases := make([]string, len(lines))
	args := []any{finance.ProviderNEFTFile, lines[0].o.ProviderStatus, tx.Now, tx.Now, status, tx.Now}
	for i, b := range lines {
		lineIDs[i] = b.line.ID
		cases[i] = "WHEN ? THEN ?"
		args = append(args, b.line.ID, value(b.o))
	}
	args = append(args, finance.PayoutPending, lineIDs)
	res := tx.Exec(`UPDATE payout_lines SET provider = ?, provider_status = ?, updated_at = ?, submitted_at = COALESCE(submitted_at, ?),
status = ?, settled_at = ?, `+col+` = CASE id `+strings.Join(cases, " ")+` END WHERE status = ? AND id IN ?`, args...)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != int64(len(lines)) {
		return apperr.New(apperr.Conflict, "%d of %d payout lines changed meanwhile; retry", int64(len(lines))-res.RowsAffected, len(lines))
	}
	return nil
}

// payoutReference is the reference the bank carries for a line: "JK" and
// the random tail of the line's id, 16 letters and digits as NEFT allows.
func payoutReference(lineID string) string {
	hex := strings.ToUpper(strings.ReplaceAll(lineID, "-", ""))
	return "JK" + hex[len(hex)-14:]
}
