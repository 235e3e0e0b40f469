package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/fulfilpush"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Fulfilment implements fulfilment.Store.
type Fulfilment struct{ db *DB }

func (db *DB) Fulfilment() *Fulfilment { return &Fulfilment{db: db} }

var _ fulfilment.Store = (*Fulfilment)(nil)

const taskSelect = `SELECT t.id, t.line_id, l.order_id, l.sku, l.quantity, t.kind, t.location_id, t.artisan_id, t.status,
t.due_at, t.tracking_no, t.carrier, t.destination_id, t.pushed_status, n.sent_at AS artisan_notified_at, t.version, t.updated_at
FROM fulfilment_tasks t JOIN order_lines l ON l.id = t.line_id LEFT JOIN artisan_notifications n ON n.task_id = t.id`

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
		after.TrackingNo, after.Carrier = t.TrackingNo, t.Carrier
	}
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "transition", "fulfilment_task", task.ID, task, after)}}
	if fulfilment.Pushed(t.To) {
		fx.Events = append(fx.Events, outbox.New(now, fulfilment.TopicTransitioned, task.ID, fulfilment.Transitioned{TaskID: task.ID, To: t.To}))
	}
	err := s.db.inTx(ctx, fx, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE fulfilment_tasks SET status = ?, tracking_no = ?, carrier = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ?`,
			t.To, after.TrackingNo, after.Carrier, now, task.ID, task.Status)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "task %s changed meanwhile: reload it", task.ID)
		}
		switch t.To {
		case fulfilment.Collected:
			return bringIn(tx, task, actorID, now)
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
	if t.To == fulfilment.Collected && s.db.afterEvents != nil {
		s.db.afterEvents() // bringIn wrote a stock change
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

// bringIn puts a collected or made piece on the destination's shelf,
// reserved for its line: a collected one is a transfer from the artisan's
// home with its reservation, a made one an intake with a new reservation.
func bringIn(tx *gorm.DB, task fulfilment.Task, actorID string, now time.Time) error {
	if task.DestinationID == nil || task.LocationID == nil {
		return apperr.New(apperr.Conflict, "task %s has no destination to bring the piece to", task.ID)
	}
	var line struct {
		ProductID *string
		Quantity  int64
	}
	if err := tx.Raw(`SELECT product_id, quantity FROM order_lines WHERE id = ?`, task.LineID).Scan(&line).Error; err != nil {
		return err
	}
	if line.ProductID == nil {
		return apperr.New(apperr.Conflict, "order line %s has no product", task.LineID)
	}
	product, dest, q := *line.ProductID, *task.DestinationID, line.Quantity
	if err := tx.Exec(`INSERT INTO stock_levels (product_id, location_id, on_hand, reserved, updated_at)
VALUES (?, ?, 0, 0, ?) ON CONFLICT (product_id, location_id) DO NOTHING`, product, dest, now).Error; err != nil {
		return err
	}
	move := movementRow{ID: ids.New(), ProductID: product, LocationID: dest, Kind: "intake", Quantity: q, ActorID: actorID, CreatedAt: now,
		Reason: fmt.Sprintf("made to order for order line %s", task.LineID)}
	touched := []string{dest}
	switch task.Kind {
	case fulfilment.KindCollect:
		from := *task.LocationID
		res := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand - ?, reserved = reserved - ?, updated_at = ?
WHERE product_id = ? AND location_id = ? AND reserved >= ? AND on_hand >= ?`, q, q, now, product, from, q, q)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "the units reserved for line %s are no longer at the artisan's", task.LineID)
		}
		upd := tx.Exec(`UPDATE reservations SET location_id = ?, updated_at = ? WHERE line_id = ? AND status = 'held' AND location_id = ?`, dest, now, task.LineID, from)
		if upd.Error != nil {
			return upd.Error
		}
		if upd.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "order line %s holds nothing at the artisan's to collect", task.LineID)
		}
		move.LocationID, move.ToLocationID, move.Kind = from, &dest, "transfer"
		move.Reason = fmt.Sprintf("collected from the artisan for order line %s", task.LineID)
		touched = append(touched, from)
	case fulfilment.KindMake:
		if err := tx.Exec(`INSERT INTO reservations (id, line_id, product_id, location_id, quantity, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 'held', ?, ?)`, ids.New(), task.LineID, product, dest, q, now, now).Error; err != nil {
			return err
		}
	default:
		return apperr.New(apperr.Conflict, "a %s task has nothing to bring in", task.Kind)
	}
	if err := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand + ?, reserved = reserved + ?, updated_at = ? WHERE product_id = ? AND location_id = ?`,
		q, q, now, product, dest).Error; err != nil {
		return err
	}
	if err := tx.Create(&move).Error; err != nil {
		return err
	}
	if err := tx.Exec(`UPDATE order_lines SET status = 'reserved', location_id = ?, updated_at = ? WHERE id = ?`, dest, now, task.LineID).Error; err != nil {
		return err
	}
	return writeEffects(tx, effects.Set{Events: []outbox.Message{outbox.New(now, outbox.TopicStockChanged, product,
		outbox.StockChanged{ProductID: product, LocationIDs: touched})}})
}

// MarkPushed records that the marketplace accepted a step, only forward.
func (s *Fulfilment) MarkPushed(ctx context.Context, taskID, step string) error {
	return s.db.gorm.WithContext(ctx).Exec(`UPDATE fulfilment_tasks SET pushed_status = ? WHERE id = ? AND pushed_status <> ?`, step, taskID, step).Error
}

type pushLine struct {
	OrderID, ChannelID, ChannelKind, ExternalOrderID, ExternalLineID, ExternalShipmentID, ExternalLocationID, SKU string
	Quantity, GSTRateBP                                                                                           int64
}

const pushLineSelect = `SELECT l.order_id, l.channel_id, c.kind AS channel_kind, l.external_order_id, l.external_line_id,
l.external_shipment_id, l.external_location_id, l.sku, l.quantity, COALESCE(p.gst_rate_bp, 0) AS gst_rate_bp
FROM order_lines l JOIN channels c ON c.id = l.channel_id LEFT JOIN products p ON p.id = l.product_id`

func pushOrder(lines []pushLine) fulfilpush.Order {
	o := fulfilpush.Order{OrderID: lines[0].OrderID, ChannelID: lines[0].ChannelID, ChannelKind: lines[0].ChannelKind,
		ExternalOrderID: lines[0].ExternalOrderID}
	for _, l := range lines {
		if o.LocationID == "" {
			o.LocationID = l.ExternalLocationID
		}
		o.Lines = append(o.Lines, adapters.FulfilmentLine{ExternalLineID: l.ExternalLineID, ExternalShipmentID: l.ExternalShipmentID,
			SKU: l.SKU, Quantity: l.Quantity, GSTRateBP: l.GSTRateBP})
	}
	return o
}

// TaskPush reads a task with its line as its marketplace knows them.
func (s *Fulfilment) TaskPush(ctx context.Context, taskID string) (fulfilpush.TaskPush, error) {
	task, err := s.GetTask(ctx, taskID)
	if err != nil {
		return fulfilpush.TaskPush{}, err
	}
	var lines []pushLine
	if err := s.db.gorm.WithContext(ctx).Raw(pushLineSelect+` WHERE l.id = ?`, task.LineID).Scan(&lines).Error; err != nil {
		return fulfilpush.TaskPush{}, err
	}
	if len(lines) == 0 {
		return fulfilpush.TaskPush{}, apperr.New(apperr.NotFound, "order line %s not found", task.LineID)
	}
	return fulfilpush.TaskPush{Order: pushOrder(lines), TaskID: task.ID, Status: task.Status, PushedStatus: task.PushedStatus,
		TrackingNo: task.TrackingNo, Carrier: task.Carrier, UpdatedAt: task.UpdatedAt.UTC()}, nil
}

// OrderPush reads an order's lines as its marketplace knows them.
func (s *Fulfilment) OrderPush(ctx context.Context, orderID string) (fulfilpush.Order, error) {
	var lines []pushLine
	if err := s.db.gorm.WithContext(ctx).Raw(pushLineSelect+` WHERE l.order_id = ? ORDER BY l.external_line_id`, orderID).Scan(&lines).Error; err != nil {
		return fulfilpush.Order{}, err
	}
	if len(lines) == 0 {
		return fulfilpush.Order{}, apperr.New(apperr.NotFound, "order %s has no lines", orderID)
	}
	return pushOrder(lines), nil
}

// RaiseException opens (or counts again) an exception for staff.
func (s *Fulfilment) RaiseException(ctx context.Context, e exceptions.Exception) error {
	return raise(s.db.gorm.WithContext(ctx), e)
}
