package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// routeContext is what routing needs to know of the channel an order came
// from: its kind (for the artisan's message) and the locations it ships
// from, its dispatch location first.
type routeContext struct {
	channelKind string
	locs        []string
	destName    string
}

func newRouteContext(tx *gorm.DB, ch channelRow) (routeContext, error) {
	var settings channels.Settings
	_ = json.Unmarshal([]byte(ch.Settings), &settings) // validated on write; unreadable means none
	locs, err := sellableLocations(tx, settings)
	if err != nil {
		return routeContext{}, err
	}
	rc := routeContext{channelKind: ch.Kind, locs: locs}
	if len(locs) > 0 {
		var names []string
		if err := tx.Table("locations").Where("id = ?", locs[0]).Pluck("name", &names).Error; err != nil {
			return routeContext{}, err
		}
		if len(names) > 0 {
			rc.destName = names[0]
		}
	}
	return rc, nil
}

// routedLine is an order line about to be routed.
type routedLine struct {
	ID, OrderID, ExternalOrderID, ExternalLineID, SKU string
	Quantity                                          int64
	DispatchBy                                        *time.Time
}

// route picks the line's source, in order: the channel's own shelves (a
// pick task), the maker's home (a collect task, the corporation's pickup,
// due before the dispatch deadline), the maker's loom for a made-to-order
// product (a make task); failing all three the line is oversold, with an
// exception saying what can be done. The maker is recorded on every line
// and told by SMS.
func route(tx *gorm.DB, res *orders.Result, rc routeContext, l routedLine, p productRow, now time.Time) ([]outbox.Message, error) {
	for _, loc := range rc.locs {
		ok, err := reserve(tx, p.ID, loc, l.Quantity, now)
		if err != nil {
			return nil, err
		}
		if ok {
			res.Reserved++
			return hold(tx, rc, l, p, "pick", loc, loc, l.DispatchBy, now)
		}
	}
	if len(rc.locs) > 0 {
		var homes []string
		if err := tx.Table("locations").Where("kind = 'artisan' AND artisan_id = ?", p.ArtisanID).Order("id").Pluck("id", &homes).Error; err != nil {
			return nil, err
		}
		for _, home := range homes {
			ok, err := reserve(tx, p.ID, home, l.Quantity, now)
			if err != nil {
				return nil, err
			}
			if ok {
				res.Reserved++
				return hold(tx, rc, l, p, "collect", home, rc.locs[0], collectDue(l.DispatchBy, now), now)
			}
		}
		if p.MadeToOrder {
			res.ToMake++
			if err := tx.Exec(`UPDATE order_lines SET status = ?, location_id = ?, updated_at = ? WHERE id = ?`,
				orders.LineToMake, rc.locs[0], now, l.ID).Error; err != nil {
				return nil, err
			}
			ev, err := addTask(tx, rc, l, p, "make", rc.locs[0], rc.locs[0], l.DispatchBy, now)
			return ev, err
		}
	}
	res.Oversold++
	if err := tx.Exec(`UPDATE order_lines SET status = ?, updated_at = ? WHERE id = ?`, orders.LineOversold, now, l.ID).Error; err != nil {
		return nil, err
	}
	return nil, raise(tx, exceptions.Exception{Kind: exceptions.Oversold, CauseKey: "oversold:" + p.ID,
		Summary:  fmt.Sprintf("%s sold more of %s than is in stock", rc.channelKind, l.SKU),
		Detail:   fmt.Sprintf("order %s line %s wants %d and no location of the channel, nor the maker, has it free", l.ExternalOrderID, l.ExternalLineID, l.Quantity),
		Action:   "Take the piece in from the artisan if they have one, or cancel the line on the marketplace before its dispatch deadline.",
		Resource: "order", ResourceID: l.OrderID})
}

// collectDue leaves a day between the pickup and the dispatch deadline
// when there is time for it, half the time left otherwise.
func collectDue(dispatchBy *time.Time, now time.Time) *time.Time {
	if dispatchBy == nil {
		return nil
	}
	due := dispatchBy.Add(-24 * time.Hour)
	if !due.After(now) {
		due = now.Add(dispatchBy.Sub(now) / 2)
	}
	return &due
}

// hold records the reservation reserve made, and the task that works it.
func hold(tx *gorm.DB, rc routeContext, l routedLine, p productRow, kind, loc, dest string, due *time.Time, now time.Time) ([]outbox.Message, error) {
	if err := tx.Exec(`INSERT INTO reservations (id, line_id, product_id, location_id, quantity, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 'held', ?, ?)`, ids.New(), l.ID, p.ID, loc, l.Quantity, now, now).Error; err != nil {
		return nil, err
	}
	if err := tx.Exec(`UPDATE order_lines SET status = ?, location_id = ?, updated_at = ? WHERE id = ?`, orders.LineReserved, loc, now, l.ID).Error; err != nil {
		return nil, err
	}
	ev, err := addTask(tx, rc, l, p, kind, loc, dest, due, now)
	if err != nil {
		return nil, err
	}
	return append(ev, outbox.New(now, outbox.TopicStockChanged, p.ID, outbox.StockChanged{ProductID: p.ID, LocationIDs: []string{loc}})), nil
}

// addTask writes the fulfilment task and the message to its maker.
func addTask(tx *gorm.DB, rc routeContext, l routedLine, p productRow, kind, loc, dest string, due *time.Time, now time.Time) ([]outbox.Message, error) {
	taskID := ids.New()
	if err := tx.Exec(`INSERT INTO fulfilment_tasks (id, line_id, kind, location_id, destination_id, artisan_id, status, due_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)`, taskID, l.ID, kind, loc, dest, p.ArtisanID, due, now, now).Error; err != nil {
		return nil, err
	}
	text := notify.TaskText(notify.Task{Kind: kind, Channel: rc.channelKind, OrderRef: l.ExternalOrderID, SKU: l.SKU,
		Title: p.Title, Quantity: l.Quantity, DueAt: due, PlaceName: rc.destName})
	notificationID := ids.New()
	if err := tx.Exec(`INSERT INTO artisan_notifications (id, artisan_id, task_id, message, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`,
		notificationID, p.ArtisanID, taskID, text, now).Error; err != nil {
		return nil, err
	}
	return []outbox.Message{outbox.New(now, notify.TopicArtisanNotify, notificationID, notify.Event{NotificationID: notificationID})}, nil
}

// ResumeUnmapped continues the lines that waited for a product's SKU: each
// is mapped to the product and its maker and routed, one order per
// transaction; the unmapped_sku exception closes once no line waits for it.
func (s *Orders) ResumeUnmapped(ctx context.Context, productID string, now time.Time) (int, error) {
	var p productRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ?", productID).Take(&p).Error; err != nil {
		if err == gorm.ErrRecordNotFound {
			return 0, nil
		}
		return 0, err
	}
	var waiting []struct {
		ID, OrderID, ChannelID, ExternalOrderID, ExternalLineID string
		Quantity                                                int64
		DispatchBy                                              *time.Time
	}
	if err := s.db.gorm.WithContext(ctx).Raw(`SELECT l.id, l.order_id, l.channel_id, l.external_order_id, l.external_line_id, l.quantity, o.dispatch_by
FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.sku = ? AND l.status = 'awaiting_mapping' ORDER BY l.created_at, l.id`, p.SKU).
		Scan(&waiting).Error; err != nil {
		return 0, err
	}
	resumed := 0
	for _, w := range waiting {
		var events []outbox.Message
		err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			events = nil
			upd := tx.Exec(`UPDATE order_lines SET product_id = ?, artisan_id = ?, status = ?, updated_at = ? WHERE id = ? AND status = 'awaiting_mapping'`,
				p.ID, p.ArtisanID, orders.LineReserved, now, w.ID)
			if upd.Error != nil || upd.RowsAffected == 0 {
				return upd.Error // another worker resumed it
			}
			var ch channelRow
			if err := tx.Where("id = ?", w.ChannelID).Take(&ch).Error; err != nil {
				return err
			}
			rc, err := newRouteContext(tx, ch)
			if err != nil {
				return err
			}
			var res orders.Result
			ev, err := route(tx, &res, rc, routedLine{ID: w.ID, OrderID: w.OrderID, ExternalOrderID: w.ExternalOrderID,
				ExternalLineID: w.ExternalLineID, SKU: p.SKU, Quantity: w.Quantity, DispatchBy: utcPtr(w.DispatchBy)}, p, now)
			if err != nil {
				return err
			}
			events = ev
			if err := tx.Exec(`UPDATE orders SET status = 'open', updated_at = ? WHERE id = ? AND status = 'awaiting_mapping'
AND NOT EXISTS (SELECT 1 FROM order_lines WHERE order_id = ? AND status = 'awaiting_mapping')`, now, w.OrderID, w.OrderID).Error; err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE exceptions SET status = 'resolved', resolution = ?, resolved_by = 'system', resolved_at = ?, updated_at = ?
WHERE cause_key = ? AND status = 'open' AND NOT EXISTS
(SELECT 1 FROM order_lines WHERE channel_id = ? AND sku = ? AND status = 'awaiting_mapping')`,
				"product "+p.SKU+" was added; the waiting lines were routed", now, now, unmappedCause(w.ChannelID, p.SKU), w.ChannelID, p.SKU).Error; err != nil {
				return err
			}
			resumed++
			return writeEffects(tx, effects.Set{Events: events})
		})
		if err != nil {
			return resumed, translate(err)
		}
		if len(events) > 0 && s.db.afterEvents != nil {
			s.db.afterEvents()
		}
	}
	return resumed, nil
}
