package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// Cancel cancels an order for operations in one transaction under the
// order's lock: orders.CanCancel decides from the lines and their tasks as
// they are now; every line before dispatch gives back what it holds and its
// task stops; the marketplace is told through the outbox. It answers the
// order as committed.
func (s *Orders) Cancel(ctx context.Context, id, reason string, now time.Time) (_ orders.Order, err error) {
	defer apperr.Annotate(&err, "Orders.Cancel(%s)", id)
	var out orders.Order
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		found, err := tx.lock("orders", id)
		if err != nil {
			return err
		}
		if !found {
			return apperr.New(apperr.NotFound, "order %s not found", id)
		}
		before, err := getOrder(tx.DB, id)
		if err != nil {
			return err
		}
		var lines []orders.CancelLine
		if err := tx.Raw(`SELECT l.external_line_id, l.status, COALESCE(t.status, '') AS task_status FROM order_lines l
LEFT JOIN fulfilment_tasks t ON t.line_id = l.id WHERE l.order_id = ? ORDER BY l.external_line_id`, id).Scan(&lines).Error; err != nil {
			return err
		}
		if err := orders.CanCancel(before.Status, lines); err != nil {
			return err
		}
		var kind string
		if err := tx.Raw(`SELECT c.kind FROM channels c JOIN orders o ON o.channel_id = c.id WHERE o.id = ?`, id).Scan(&kind).Error; err != nil {
			return err
		}
		for _, l := range before.Lines {
			if !slices.Contains(orders.BeforeDispatch, l.Status) {
				continue
			}
			if _, err := releaseLine(tx, l.ID); err != nil {
				return err
			}
			if err := stopTask(tx, l.ID, kind); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE order_lines SET status = ?, updated_at = ? WHERE id = ? AND status IN ?`,
				orders.LineCancelled, tx.Now, l.ID, orders.BeforeDispatch).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(`UPDATE orders SET status = ?, updated_at = ? WHERE id = ?`, orders.StatusCancelled, tx.Now, id).Error; err != nil {
			return err
		}
		tx.Emit(outbox.New(tx.Now, orders.TopicOrderCancelled, id, orders.Cancelled{OrderID: id, Reason: reason}))
		if out, err = getOrder(tx.DB, id); err != nil {
			return err
		}
		tx.AuditChange("cancel", "order", id, before, map[string]any{"status": out.Status, "reason": reason})
		return nil
	})
	return out, err
}

// RecordReturn counts goods back in against a shipped line, under the
// order's lock: orders.CheckReturn decides, and the UPDATE that counts the
// units on the line repeats the rule as its condition (never more back than
// shipped), so concurrent returns cannot pass it together. Each return is a
// return movement, and a damage movement after it when the piece cannot be
// sold again.
func (s *Orders) RecordReturn(ctx context.Context, orderID string, r orders.ReturnRequest, now time.Time) (_ orders.Return, err error) {
	defer apperr.Annotate(&err, "Orders.RecordReturn(%s, %s)", orderID, r.LineID)
	out := orders.Return{ID: ids.New(), OrderID: orderID, LineID: r.LineID, Quantity: r.Quantity, Source: r.Source,
		Disposition: r.Disposition, LocationID: r.LocationID, Reason: r.Reason}
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		out.CreatedAt = tx.Now
		found, err := tx.lock("orders", orderID)
		if err != nil {
			return err
		}
		if !found {
			return apperr.New(apperr.NotFound, "order %s not found", orderID)
		}
		var lines []struct {
			ProductID        *string
			Status           string
			Quantity         int64
			ReturnedQuantity int64
		}
		if err := tx.Raw(`SELECT product_id, status, quantity, returned_quantity FROM order_lines WHERE id = ? AND order_id = ?`, r.LineID, orderID).
			Scan(&lines).Error; err != nil {
			return err
		}
		if len(lines) == 0 {
			return apperr.New(apperr.NotFound, "order %s has no line %s", orderID, r.LineID)
		}
		l := lines[0]
		if err := orders.CheckReturn(orders.ReturnLine{ID: r.LineID, Status: orders.LineStatus(l.Status), HasProduct: l.ProductID != nil,
			Quantity: l.Quantity, ReturnedQuantity: l.ReturnedQuantity}, r.Quantity); err != nil {
			return err
		}
		var kind []string
		if err := tx.Table("locations").Where("id = ?", r.LocationID).Pluck("kind", &kind).Error; err != nil {
			return err
		}
		if err := inventory.CheckReturnLocation(kind); err != nil {
			return err
		}
		counted := tx.Exec(`UPDATE order_lines SET returned_quantity = returned_quantity + ?, status = ?, updated_at = ?
WHERE id = ? AND status IN ? AND returned_quantity + ? <= quantity`, r.Quantity, orders.LineReturned, tx.Now, r.LineID, orders.Shipped, r.Quantity)
		if counted.Error != nil {
			return counted.Error
		}
		if counted.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "line %s changed meanwhile: reload it and record what is left to come back", r.LineID)
		}
		if err := tx.Exec(`INSERT INTO order_returns (id, order_id, line_id, quantity, source, disposition, location_id, reason, actor_id, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, out.ID, orderID, r.LineID, r.Quantity, r.Source, r.Disposition, r.LocationID, r.Reason, tx.Actor.ID, tx.Now).Error; err != nil {
			return err
		}
		productID := *l.ProductID
		kinds := []string{inventory.KindReturn}
		if r.Disposition == orders.Damaged {
			kinds = append(kinds, inventory.KindDamage)
		}
		for _, k := range kinds {
			if err := applyMovement(tx, inventory.Movement{ID: ids.New(), ProductID: productID, LocationID: r.LocationID, Kind: k, Quantity: r.Quantity,
				Reason: fmt.Sprintf("%s return of order line %s: %s", r.Source, r.LineID, r.Reason), ActorID: tx.Actor.ID, CreatedAt: tx.Now}); err != nil {
				return err
			}
		}
		if r.Disposition == orders.Restock {
			stockChanged(tx, productID, r.LocationID)
		}
		tx.Emit(outbox.New(tx.Now, finance.TopicLineReturned, r.LineID, finance.LineReturned{LineID: r.LineID}))
		tx.AuditChange("return", "order_line", r.LineID, nil, out)
		return nil
	})
	if err != nil {
		return orders.Return{}, err
	}
	return out, nil
}
