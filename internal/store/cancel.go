package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Cancel cancels an order whose lines are all still before packing, in one
// transaction: reservations released, tasks stopped, the order marked,
// and events for the other channels' quantities and the marketplace.
func (s *Orders) Cancel(ctx context.Context, id, reason string, now time.Time) error {
	before, err := s.GetOrder(ctx, id)
	if err != nil {
		return err
	}
	var events []outbox.Message
	err = s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		events = nil
		var blocking []struct{ ExternalLineID, Status string }
		if err := tx.Raw(`SELECT l.external_line_id, COALESCE(t.status, l.status) AS status FROM order_lines l
LEFT JOIN fulfilment_tasks t ON t.line_id = l.id
WHERE l.order_id = ? AND (t.status IN ('packed', 'dispatched', 'delivered') OR l.status IN ('shipped', 'delivered', 'returned'))`, id).
			Scan(&blocking).Error; err != nil {
			return err
		}
		if len(blocking) > 0 {
			return apperr.New(apperr.Conflict, "line %s is already %s: after packing, an order is cancelled on the marketplace (its cancellation releases the stock) or comes back as a return",
				blocking[0].ExternalLineID, blocking[0].Status)
		}
		upd := tx.Exec(`UPDATE orders SET status = 'cancelled', updated_at = ? WHERE id = ? AND status <> 'cancelled'`, now, id)
		if upd.Error != nil {
			return upd.Error
		}
		if upd.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "order %s is already cancelled", id)
		}
		var res orders.Result
		ev, err := releaseOrder(tx, &res, id, now)
		if err != nil {
			return err
		}
		events = append(ev, outbox.New(now, orders.TopicOrderCancelled, id, orders.Cancelled{OrderID: id, Reason: reason}))
		after := before
		after.Status = orders.StatusCancelled
		return writeEffects(tx, effects.Set{Events: events,
			Audit: []audit.Entry{audit.New(ctx, now, "cancel", "order", id, before, map[string]any{"status": after.Status, "reason": reason})}})
	})
	if err != nil {
		return translate(err)
	}
	if s.db.afterEvents != nil {
		s.db.afterEvents()
	}
	return nil
}

// RecordReturn counts goods back in against a shipped line: never more
// than was shipped less what came back before, each unit as a return
// movement (and a damage movement if it cannot be sold again).
func (s *Orders) RecordReturn(ctx context.Context, orderID string, r orders.ReturnRequest, now time.Time) (orders.Return, error) {
	out := orders.Return{ID: ids.New(), OrderID: orderID, LineID: r.LineID, Quantity: r.Quantity, Source: r.Source,
		Disposition: r.Disposition, LocationID: r.LocationID, Reason: r.Reason, CreatedAt: now}
	actor := reqctx.ActorFrom(ctx).ID
	var productID string
	err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var line []struct {
			ProductID *string
			Status    string
			Quantity  int64
			Returned  int64
		}
		if err := tx.Raw(`SELECT l.product_id, l.status, l.quantity,
(SELECT COALESCE(SUM(quantity), 0) FROM order_returns WHERE line_id = l.id) AS returned
FROM order_lines l WHERE l.id = ? AND l.order_id = ?`, r.LineID, orderID).Scan(&line).Error; err != nil {
			return err
		}
		if len(line) == 0 {
			return apperr.New(apperr.NotFound, "order %s has no line %s", orderID, r.LineID)
		}
		l := line[0]
		if l.ProductID == nil || (l.Status != orders.LineShipped && l.Status != orders.LineDelivered && l.Status != orders.LineReturned) {
			return apperr.New(apperr.Conflict, "line %s is %s: only what was shipped can come back", r.LineID, l.Status)
		}
		if l.Returned+r.Quantity > l.Quantity {
			return apperr.New(apperr.Conflict, "line %s shipped %d and %d came back already; %d more cannot", r.LineID, l.Quantity, l.Returned, r.Quantity)
		}
		productID = *l.ProductID
		var kind []string
		if err := tx.Table("locations").Where("id = ?", r.LocationID).Pluck("kind", &kind).Error; err != nil {
			return err
		}
		if len(kind) == 0 || kind[0] == "artisan" {
			return apperr.FieldErrors{"location_id": "must be a showroom or warehouse"}.Err()
		}
		if err := tx.Exec(`INSERT INTO order_returns (id, order_id, line_id, quantity, source, disposition, location_id, reason, actor_id, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, out.ID, orderID, r.LineID, r.Quantity, r.Source, r.Disposition, r.LocationID, r.Reason, actor, now).Error; err != nil {
			return err
		}
		moves := []inventory.Movement{{Kind: inventory.KindReturn, Quantity: r.Quantity}}
		if r.Disposition == orders.Damaged {
			moves = append(moves, inventory.Movement{Kind: inventory.KindDamage, Quantity: r.Quantity})
		}
		for _, m := range moves {
			m.ID, m.ProductID, m.LocationID, m.ActorID, m.CreatedAt = ids.New(), productID, r.LocationID, actor, now
			m.Reason = fmt.Sprintf("%s return of order line %s: %s", r.Source, r.LineID, r.Reason)
			if err := tx.Create(&movementRow{ID: m.ID, ProductID: m.ProductID, LocationID: m.LocationID, Kind: m.Kind,
				Quantity: m.Quantity, Reason: m.Reason, ActorID: m.ActorID, CreatedAt: now}).Error; err != nil {
				return err
			}
			for _, d := range m.Deltas() {
				if err := applyDelta(tx, productID, d, now); err != nil {
					return err
				}
			}
		}
		if err := tx.Exec(`UPDATE order_lines SET status = 'returned', updated_at = ? WHERE id = ?`, now, r.LineID).Error; err != nil {
			return err
		}
		fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "return", "order_line", r.LineID, nil, out)},
			Events: []outbox.Message{outbox.New(now, finance.TopicLineReturned, r.LineID, finance.LineReturned{LineID: r.LineID})}}
		if r.Disposition == orders.Restock {
			fx.Events = append(fx.Events, outbox.New(now, outbox.TopicStockChanged, productID,
				outbox.StockChanged{ProductID: productID, LocationIDs: []string{r.LocationID}}))
		}
		return writeEffects(tx, fx)
	})
	if err != nil {
		return orders.Return{}, translate(err)
	}
	if s.db.afterEvents != nil {
		s.db.afterEvents()
	}
	return out, nil
}

// Notifications implements notify.Store.
type Notifications struct{ db *DB }

func (db *DB) Notifications() *Notifications { return &Notifications{db: db} }

var _ notify.Store = (*Notifications)(nil)

func (s *Notifications) GetNotification(ctx context.Context, id string) (notify.Notification, error) {
	var out []notify.Notification
	if err := s.db.gorm.WithContext(ctx).Raw(`SELECT n.id, n.artisan_id, a.phone, n.message AS text, n.status
FROM artisan_notifications n JOIN artisans a ON a.id = n.artisan_id WHERE n.id = ?`, id).Scan(&out).Error; err != nil {
		return notify.Notification{}, err
	}
	if len(out) == 0 {
		return notify.Notification{}, apperr.New(apperr.NotFound, "notification %s not found", id)
	}
	return out[0], nil
}

func (s *Notifications) MarkSent(ctx context.Context, id string, at time.Time) error {
	return s.db.gorm.WithContext(ctx).Exec(`UPDATE artisan_notifications SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = ''
WHERE id = ? AND status = 'pending'`, at, id).Error
}

func (s *Notifications) RecordFailure(ctx context.Context, id, reason string) error {
	return s.db.gorm.WithContext(ctx).Exec(`UPDATE artisan_notifications SET attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'`,
		reason, id).Error
}
