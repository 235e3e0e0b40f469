package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
)

type reconciliationRow struct {
	ID          string `gorm:"primaryKey"`
	ChannelID   string
	Kind        string
	AutoCorrect bool
	Status      string
	Total       int64
	Checked     int64
	Differences int64
	Corrected   int64
	Ingested    int64
	Error       string
	CreatedBy   string
	ScheduleKey *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
	ClaimID     string
	ResumeAfter string
}

func (reconciliationRow) TableName() string { return "reconciliations" }

func (r reconciliationRow) domain() reconcile.Reconciliation {
	return reconcile.Reconciliation{ID: r.ID, ChannelID: r.ChannelID, Kind: r.Kind, AutoCorrect: r.AutoCorrect, Status: r.Status,
		Total: r.Total, Checked: r.Checked, Differences: r.Differences, Corrected: r.Corrected, Ingested: r.Ingested, Error: r.Error,
		CreatedBy: r.CreatedBy, ScheduleKey: r.ScheduleKey, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt),
		Found: paging.Page[reconcile.Difference]{Items: []reconcile.Difference{}}, ClaimID: r.ClaimID, ResumeAfter: r.ResumeAfter}
}

type differenceRow struct {
	ID               string `gorm:"primaryKey"`
	ReconciliationID string
	SKU              string `gorm:"column:sku"`
	ListingID        string
	Class            string
	OursQuantity     *int64
	TheirsQuantity   *int64
	OursPricePaise   *int64
	TheirsPricePaise *int64
	Detail           string
	Action           string
	CreatedAt        time.Time
}

func (differenceRow) TableName() string { return "reconciliation_differences" }

func (r differenceRow) domain() reconcile.Difference {
	return reconcile.Difference{ID: r.ID, SKU: r.SKU, ListingID: r.ListingID, Class: r.Class, OursQuantity: r.OursQuantity,
		TheirsQuantity: r.TheirsQuantity, OursPricePaise: r.OursPricePaise, TheirsPricePaise: r.TheirsPricePaise,
		Detail: r.Detail, Action: r.Action, CreatedAt: r.CreatedAt.UTC()}
}

// Reconciliations implements reconcile.Store and reconcile.RunStore.
type Reconciliations struct{ db *DB }

func (db *DB) Reconciliations() *Reconciliations { return &Reconciliations{db: db} }

var (
	_ reconcile.Store    = (*Reconciliations)(nil)
	_ reconcile.RunStore = (*Reconciliations)(nil)
)

func (s *Reconciliations) ChannelExists(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.db.gorm.WithContext(ctx).Model(&channelRow{}).Where("id = ?", id).Count(&n).Error
	return n > 0, err
}

// Create writes a run with its audit entry and outbox event.
func (s *Reconciliations) Create(ctx context.Context, r reconcile.Reconciliation, fx effects.Set) error {
	return s.db.inTx(ctx, r.CreatedAt, func(tx *Tx) error {
		tx.Add(fx)
		return tx.Create(&reconciliationRow{ID: r.ID, ChannelID: r.ChannelID, Kind: r.Kind, AutoCorrect: r.AutoCorrect, Status: r.Status,
			CreatedBy: r.CreatedBy, ScheduleKey: r.ScheduleKey, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}).Error
	})
}

// Get returns a run with one page of its differences.
func (s *Reconciliations) Get(ctx context.Context, id string, p paging.Request) (reconcile.Reconciliation, error) {
	var row reconciliationRow
	g := s.db.gorm.WithContext(ctx)
	if err := g.Where("id = ?", id).Take(&row).Error; err != nil {
		return reconcile.Reconciliation{}, notFound(err, "reconciliation %s not found", id)
	}
	var diffs []differenceRow
	if err := keyset(g, p).Where("reconciliation_id = ?", id).Find(&diffs).Error; err != nil {
		return reconcile.Reconciliation{}, err
	}
	out := row.domain()
	out.Found = paging.Build(mapRows(diffs, differenceRow.domain), p.Limit, func(d reconcile.Difference) string { return d.ID })
	return out, nil
}

// Claim takes a pending run, or a running one whose worker went silent
// (no write since staleBefore), under a new claim id: of two workers given
// the same run, one finds it taken. A stock run taken over resumes from its
// checkpoint; an orders run (one window read, no checkpoint) starts again,
// its findings and counters cleared in the same transaction.
func (s *Reconciliations) Claim(ctx context.Context, id string, at, staleBefore time.Time) (reconcile.Reconciliation, bool, error) {
	var row reconciliationRow
	claimed := false
	err := s.db.inTx(ctx, at, func(tx *Tx) error {
		claim := ids.New()
		res := tx.Model(&reconciliationRow{}).
			Where("id = ? AND (status = ? OR (status = ? AND updated_at < ?))", id, reconcile.StatusPending, reconcile.StatusRunning, staleBefore.UTC()).
			Updates(map[string]any{"status": reconcile.StatusRunning, "claim_id": claim, "updated_at": at.UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		claimed = true
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return err
		}
		if row.Kind != reconcile.KindOrders {
			return nil
		}
		if err := tx.Where("reconciliation_id = ?", id).Delete(&differenceRow{}).Error; err != nil {
			return err
		}
		row.Checked, row.Differences, row.Corrected, row.Ingested, row.ResumeAfter = 0, 0, 0, 0, ""
		return tx.Model(&reconciliationRow{}).Where("id = ?", id).Updates(map[string]any{
			"checked": 0, "differences": 0, "corrected": 0, "ingested": 0, "resume_after": ""}).Error
	})
	if err != nil || !claimed {
		return reconcile.Reconciliation{}, false, err
	}
	return row.domain(), true, nil
}

// held updates the run only while claim holds it (ErrSuperseded once
// another worker took it over, or it finished).
func held(g *gorm.DB, id, claim string, cols map[string]any) error {
	res := g.Model(&reconciliationRow{}).Where("id = ? AND claim_id = ? AND status = ?", id, claim, reconcile.StatusRunning).Updates(cols)
	if res.Error == nil && res.RowsAffected == 0 {
		return reconcile.ErrSuperseded
	}
	return res.Error
}

func (s *Reconciliations) SetTotal(ctx context.Context, id, claim string, total int64, at time.Time) error {
	return held(s.db.gorm.WithContext(ctx), id, claim, map[string]any{"total": total, "updated_at": at.UTC()})
}

// Heartbeat keeps the claim fresh.
func (s *Reconciliations) Heartbeat(ctx context.Context, id, claim string, at time.Time) error {
	return held(s.db.gorm.WithContext(ctx), id, claim, map[string]any{"updated_at": at.UTC()})
}

// Stale lists running runs with no write since before, oldest first.
func (s *Reconciliations) Stale(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var out []string
	err := s.db.gorm.WithContext(ctx).Model(&reconciliationRow{}).Where("status = ? AND updated_at < ?", reconcile.StatusRunning, before.UTC()).
		Order("updated_at").Limit(limit).Pluck("id", &out).Error
	return out, err
}

// Record appends a page's differences, adds to the counters and moves the
// checkpoint, in one transaction, under the run's claim: a page recorded
// is never recorded again by the worker that resumes the run.
func (s *Reconciliations) Record(ctx context.Context, id, claim string, p reconcile.Page, at time.Time) error {
	return s.db.inTx(ctx, at, func(tx *Tx) error {
		cols := map[string]any{
			"checked": gorm.Expr("checked + ?", p.Checked), "differences": gorm.Expr("differences + ?", len(p.Diffs)),
			"corrected": gorm.Expr("corrected + ?", p.Corrected), "ingested": gorm.Expr("ingested + ?", p.Ingested), "updated_at": at.UTC()}
		if p.Checkpoint != "" {
			cols["resume_after"] = p.Checkpoint
		}
		// The claim first: a superseded holder writes no differences.
		if err := held(tx.DB, id, claim, cols); err != nil {
			return err
		}
		rows := make([][]any, 0, len(p.Diffs))
		for _, d := range p.Diffs {
			rows = append(rows, []any{ids.New(), id, d.SKU, d.ListingID, d.Class, d.OursQuantity, d.TheirsQuantity,
				d.OursPricePaise, d.TheirsPricePaise, truncateText(d.Detail), d.Action, at.UTC()})
		}
		for start := 0; start < len(rows); start += 200 {
			if err := insertRows(tx, "reconciliation_differences", []string{"id", "reconciliation_id", "sku", "listing_id", "class",
				"ours_quantity", "theirs_quantity", "ours_price_paise", "theirs_price_paise", "detail", "action", "created_at"},
				rows[start:min(start+200, len(rows))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Finish ends a run its claim still holds.
func (s *Reconciliations) Finish(ctx context.Context, id, claim, status, errText string, at time.Time) error {
	return held(s.db.gorm.WithContext(ctx), id, claim,
		map[string]any{"status": status, "error": truncateText(errText), "updated_at": at.UTC(), "finished_at": at.UTC()})
}
