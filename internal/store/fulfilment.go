package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/fulfilpush"
	"github.com/jkhhc/artisanbridge/internal/orders"
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
	return getTask(s.db.gorm.WithContext(ctx), id)
}

func getTask(q *gorm.DB, id string) (fulfilment.Task, error) {
	var out []fulfilment.Task
	if err := q.Raw(taskSelect+" WHERE t.id = ?", id).Scan(&out).Error; err != nil {
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

// Apply moves a task on in one transaction under its order's lock:
// fulfilment.Check decides from the task as it is now, the task moves only
// from the status it was read at, and what the step does to stock goes
// through stock.go (a dispatch consumes the line's reservation, a collect
// brings the piece in). It answers the task as committed.
func (s *Fulfilment) Apply(ctx context.Context, id string, t fulfilment.Transition, now time.Time) (_ fulfilment.Task, err error) {
	defer apperr.Annotate(&err, "Fulfilment.Apply(%s, %s)", id, t.To)
	var out fulfilment.Task
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		var orderID []string
		if err := tx.Raw(`SELECT l.order_id FROM fulfilment_tasks t JOIN order_lines l ON l.id = t.line_id WHERE t.id = ?`, id).Scan(&orderID).Error; err != nil {
			return err
		}
		if len(orderID) == 0 {
			return apperr.New(apperr.NotFound, "fulfilment task %s not found", id)
		}
		if _, err := tx.lock("orders", orderID[0]); err != nil {
			return err
		}
		task, err := getTask(tx.DB, id)
		if err != nil {
			return err
		}
		if err := fulfilment.Check(task, t); err != nil {
			return err
		}
		after := task
		after.Status, after.Version, after.UpdatedAt = t.To, task.Version+1, tx.Now
		if t.To == fulfilment.Dispatched {
			after.TrackingNo, after.Carrier = t.TrackingNo, t.Carrier
		}
		res := tx.Exec(`UPDATE fulfilment_tasks SET status = ?, tracking_no = ?, carrier = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ?`,
			t.To, after.TrackingNo, after.Carrier, tx.Now, task.ID, task.Status)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "task %s changed meanwhile: reload it", task.ID)
		}
		switch t.To {
		case fulfilment.Collected:
			if err := bringIn(tx, task); err != nil {
				return err
			}
		case fulfilment.Dispatched:
			held, err := consumeLine(tx, task.LineID, fmt.Sprintf("dispatch of order line %s (tracking %s)", task.LineID, t.TrackingNo))
			if err != nil {
				return err
			}
			if held == nil {
				return apperr.New(apperr.Conflict, "order line %s holds no stock to dispatch (oversold or cancelled)", task.LineID)
			}
			if err := setLineStatus(tx, task.LineID, orders.LineShipped, orders.BeforeDispatch); err != nil {
				return err
			}
		case fulfilment.Delivered:
			if err := tx.Exec(`UPDATE order_lines SET status = ?, delivered_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
				orders.LineDelivered, tx.Now, tx.Now, task.LineID, orders.LineShipped).Error; err != nil {
				return err
			}
		}
		if err := settleOrder(tx, orderID[0]); err != nil {
			return err
		}
		if fulfilment.Pushed(t.To) {
			tx.Emit(outbox.New(tx.Now, fulfilment.TopicTransitioned, task.ID, fulfilment.Transitioned{TaskID: task.ID, To: t.To}))
		}
		tx.AuditChange("transition", "fulfilment_task", task.ID, task, after)
		out, err = getTask(tx.DB, id)
		return err
	})
	return out, err
}

// setLineStatus moves a line to status from one of from; a miss is a
// conflict (the line changed meanwhile).
func setLineStatus(tx *Tx, lineID string, status orders.LineStatus, from []orders.LineStatus) error {
	upd := tx.Exec(`UPDATE order_lines SET status = ?, updated_at = ? WHERE id = ? AND status IN ?`, status, tx.Now, lineID, from)
	if upd.Error != nil {
		return upd.Error
	}
	if upd.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, "order line %s changed meanwhile: reload it", lineID)
	}
	return nil
}

// bringIn puts a collected or made piece on the destination's shelf,
// reserved for its line: a collected one is a transfer from the artisan's
// home with its reservation, a made one an intake with a new reservation.
func bringIn(tx *Tx, task fulfilment.Task) error {
	if task.DestinationID == nil || task.LocationID == nil {
		return apperr.New(apperr.Conflict, "task %s has no destination to bring the piece to", task.ID)
	}
	var line []struct {
		ProductID *string
		Quantity  int64
	}
	if err := tx.Raw(`SELECT product_id, quantity FROM order_lines WHERE id = ?`, task.LineID).Scan(&line).Error; err != nil {
		return err
	}
	if len(line) == 0 || line[0].ProductID == nil {
		return apperr.New(apperr.Conflict, "order line %s has no product", task.LineID)
	}
	dest := *task.DestinationID
	switch task.Kind {
	case fulfilment.KindCollect:
		if err := moveReserved(tx, task.LineID, *task.LocationID, dest, fmt.Sprintf("collected from the artisan for order line %s", task.LineID)); err != nil {
			return err
		}
	case fulfilment.KindMake:
		if err := intakeReserved(tx, task.LineID, *line[0].ProductID, dest, line[0].Quantity, fmt.Sprintf("made to order for order line %s", task.LineID)); err != nil {
			return err
		}
	default:
		return apperr.New(apperr.Conflict, "a %s task has nothing to bring in", task.Kind)
	}
	return tx.Exec(`UPDATE order_lines SET status = ?, location_id = ?, updated_at = ? WHERE id = ? AND status IN ?`,
		orders.LineReserved, dest, tx.Now, task.LineID, []orders.LineStatus{orders.LineReserved, orders.LineToMake}).Error
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
