package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Fulfilment implements fulfilment.Store.
type Fulfilment struct{ db *DB }

func (db *DB) Fulfilment() *Fulfilment { return &Fulfilment{db: db} }

var _ fulfilment.Store = (*Fulfilment)(nil)

const taskSelect = `SELECT t.id, t.line_id, l.order_id, l.sku, l.quantity, t.kind, t.location_id, t.artisan_id, t.status,
t.due_at, t.tracking_no, t.version, t.updated_at FROM fulfilment_tasks t JOIN order_lines l ON l.id = t.line_id`

func (s *Fulfilment) GetTask(ctx context.Context, id string) (fulfilment.Task, error) {
	var out []fulfilment.Task
	if err := s.db.gorm.WithContext(ctx).Raw(taskSelect+" WHERE t.id = ?", id).Scan(&out).Error; err != nil {
		return fulfilment.Task{}, err
	}
	if len(out) == 0 {
		return fulfilment.Task{}, apperr.New(apperr.NotFound, "fulfilment task %s not found", id)
	}
	return out[0], nil
}

func (s *Fulfilment) ListTasks(ctx context.Context, f fulfilment.Filter, p paging.Request) (paging.Page[fulfilment.Task], error) {
	q, args := taskSelect+" WHERE 1 = 1", []any{}
	for cond, v := range map[string]string{"t.status = ?": f.Status, "t.kind = ?": f.Kind, "t.location_id = ?": f.LocationID} {
		if v != "" {
			q += " AND " + cond
			args = append(args, v)
		}
	}
	if p.After != "" {
		q += " AND t.id > ?"
		args = append(args, p.After)
	}
	q += fmt.Sprintf(" ORDER BY t.id LIMIT %d", p.Limit+1)
	var rows []fulfilment.Task
	if err := s.db.gorm.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return paging.Page[fulfilment.Task]{}, err
	}
	return paging.Build(rows, p.Limit, func(t fulfilment.Task) string { return t.ID }), nil
}

// Apply moves the task only from the status it was read at; a dispatch
// takes the reserved units off the shelf in the same transaction.
func (s *Fulfilment) Apply(ctx context.Context, task fulfilment.Task, t fulfilment.Transition, actorID string, now time.Time) (fulfilment.Task, error) {
	after := task
	after.Status, after.Version, after.UpdatedAt = t.To, task.Version+1, now
	if t.To == fulfilment.Dispatched {
		after.TrackingNo = t.TrackingNo
	}
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "transition", "fulfilment_task", task.ID, task, after)}}
	err := s.db.inTx(ctx, fx, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE fulfilment_tasks SET status = ?, tracking_no = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ?`,
			t.To, after.TrackingNo, now, task.ID, task.Status)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "task %s changed meanwhile: reload it", task.ID)
		}
		switch t.To {
		case fulfilment.Dispatched:
			if err := dispatch(tx, task, t.TrackingNo, actorID, now); err != nil {
				return err
			}
			return tx.Exec(`UPDATE order_lines SET status = 'shipped', updated_at = ? WHERE id = ?`, now, task.LineID).Error
		case fulfilment.Delivered:
			return tx.Exec(`UPDATE order_lines SET status = 'delivered', updated_at = ? WHERE id = ?`, now, task.LineID).Error
		}
		return nil
	})
	if err != nil {
		return fulfilment.Task{}, err
	}
	return s.GetTask(ctx, task.ID)
}

// dispatch consumes the line's reservation: on hand and reserved go down
// together, recorded as a sale movement, so available stock is unchanged
// and the marketplaces keep their quantities.
func dispatch(tx *gorm.DB, task fulfilment.Task, trackingNo, actorID string, now time.Time) error {
	var r []struct {
		ID, ProductID, LocationID string
		Quantity                  int64
	}
	if err := tx.Raw(`SELECT id, product_id, location_id, quantity FROM reservations WHERE line_id = ? AND status = 'held'`, task.LineID).Scan(&r).Error; err != nil {
		return err
	}
	if len(r) == 0 {
		return apperr.New(apperr.Conflict, "order line %s holds no stock to dispatch (oversold or cancelled)", task.LineID)
	}
	res := r[0]
	lv := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand - ?, reserved = reserved - ?, updated_at = ?
WHERE product_id = ? AND location_id = ? AND reserved >= ? AND on_hand >= ?`, res.Quantity, res.Quantity, now, res.ProductID, res.LocationID, res.Quantity, res.Quantity)
	if lv.Error != nil {
		return lv.Error
	}
	if lv.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, "the reserved units of line %s are no longer on hand", task.LineID)
	}
	if err := tx.Exec(`UPDATE reservations SET status = 'consumed', updated_at = ? WHERE id = ?`, now, res.ID).Error; err != nil {
		return err
	}
	if err := tx.Exec(`INSERT INTO stock_movements (id, product_id, location_id, kind, quantity, reason, actor_id, created_at)
VALUES (?, ?, ?, 'sale', ?, ?, ?, ?)`, ids.New(), res.ProductID, res.LocationID, res.Quantity,
		fmt.Sprintf("dispatch of order line %s (tracking %s)", task.LineID, trackingNo), actorID, now).Error; err != nil {
		return err
	}
	return writeEffects(tx, effects.Set{Events: []outbox.Message{outbox.New(now, outbox.TopicStockChanged, res.ProductID,
		outbox.StockChanged{ProductID: res.ProductID, LocationIDs: []string{res.LocationID}})}})
}
