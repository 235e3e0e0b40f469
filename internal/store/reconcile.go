package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
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
}

func (reconciliationRow) TableName() string { return "reconciliations" }

func (r reconciliationRow) domain() reconcile.Reconciliation {
	return reconcile.Reconciliation{ID: r.ID, ChannelID: r.ChannelID, Kind: r.Kind, AutoCorrect: r.AutoCorrect, Status: r.Status,
		Total: r.Total, Checked: r.Checked, Differences: r.Differences, Corrected: r.Corrected, Ingested: r.Ingested, Error: r.Error,
		CreatedBy: r.CreatedBy, ScheduleKey: r.ScheduleKey, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt),
		Found: paging.Page[reconcile.Difference]{Items: []reconcile.Difference{}}}
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

// Claim moves a pending run to running: of two workers given the same run,
// one finds it no longer pending.
func (s *Reconciliations) Claim(ctx context.Context, id string, at time.Time) (reconcile.Reconciliation, bool, error) {
	g := s.db.gorm.WithContext(ctx)
	res := g.Model(&reconciliationRow{}).Where("id = ? AND status = ?", id, reconcile.StatusPending).
		Updates(map[string]any{"status": reconcile.StatusRunning, "updated_at": at.UTC()})
	if res.Error != nil || res.RowsAffected == 0 {
		return reconcile.Reconciliation{}, false, res.Error
	}
	var row reconciliationRow
	if err := g.Where("id = ?", id).Take(&row).Error; err != nil {
		return reconcile.Reconciliation{}, false, err
	}
	return row.domain(), true, nil
}

func (s *Reconciliations) SetTotal(ctx context.Context, id string, total int64) error {
	return s.db.gorm.WithContext(ctx).Model(&reconciliationRow{}).Where("id = ?", id).Update("total", total).Error
}

// Record appends a page's differences and adds to the counters, in one
// transaction.
func (s *Reconciliations) Record(ctx context.Context, id string, diffs []reconcile.Difference, checked, corrected, ingested int64, at time.Time) error {
	return s.db.inTx(ctx, at, func(tx *Tx) error {
		rows := make([][]any, 0, len(diffs))
		for _, d := range diffs {
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
		return tx.Model(&reconciliationRow{}).Where("id = ?", id).Updates(map[string]any{
			"checked": gorm.Expr("checked + ?", checked), "differences": gorm.Expr("differences + ?", len(diffs)),
			"corrected": gorm.Expr("corrected + ?", corrected), "ingested": gorm.Expr("ingested + ?", ingested), "updated_at": at.UTC()}).Error
	})
}

// Finish ends a running run.
func (s *Reconciliations) Finish(ctx context.Context, id, status, errText string, at time.Time) error {
	res := s.db.gorm.WithContext(ctx).Model(&reconciliationRow{}).Where("id = ? AND status = ?", id, reconcile.StatusRunning).
		Updates(map[string]any{"status": status, "error": truncateText(errText), "updated_at": at.UTC(), "finished_at": at.UTC()})
	if res.Error == nil && res.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, "reconciliation %s is not running", id)
	}
	return res.Error
}
