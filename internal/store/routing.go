package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	locs, names, err := sellableLocations(tx, settings)
	if err != nil {
		return routeContext{}, err
	}
	rc := routeContext{channelKind: ch.Kind, locs: locs}
	if len(names) > 0 {
		rc.destName = names[0]
	}
	return rc, nil
}

// routedLine is an order line about to be routed.
type routedLine struct {
	ID, OrderID, ExternalOrderID, ExternalLineID, SKU string
	Quantity                                          int64
	DispatchBy                                        *time.Time
}

// decision is where a line's units come from: a pick from the channel's
// shelf, a collect from the maker's home, a make at the maker's loom, or
// nothing (kind "": oversold).
type decision struct {
	kind, loc, dest string
	due             *time.Time
}

// lineState is the status and location a line takes from its decision.
func (d decision) lineState() (string, any) {
	switch d.kind {
	case "pick", "collect":
		return orders.LineReserved, d.loc
	case "make":
		return orders.LineToMake, d.dest
	}
	return orders.LineOversold, nil
}

// decide picks the line's source, in order: the channel's own shelves (a
// pick task), the maker's home (a collect task, the corporation's pickup,
// due before the dispatch deadline), the maker's loom for a made-to-order
// product (a make task). It reserves the units where they are (a
// conditional update that fits or changes nothing) and writes nothing else,
// so a new line can be inserted already routed.
func decide(tx *gorm.DB, rc routeContext, l routedLine, p productRow, now time.Time) (decision, error) {
	for _, loc := range rc.locs {
		ok, err := reserve(tx, p.ID, loc, l.Quantity, now)
		if err != nil || ok {
			return decision{kind: "pick", loc: loc, dest: loc, due: l.DispatchBy}, err
		}
	}
	if len(rc.locs) == 0 {
		return decision{}, nil
	}
	var homes []string
	if err := tx.Table("locations").Where("kind = 'artisan' AND artisan_id = ?", p.ArtisanID).Order("id").Pluck("id", &homes).Error; err != nil {
		return decision{}, err
	}
	for _, home := range homes {
		ok, err := reserve(tx, p.ID, home, l.Quantity, now)
		if err != nil || ok {
			return decision{kind: "collect", loc: home, dest: rc.locs[0], due: collectDue(l.DispatchBy, now)}, err
		}
	}
	if p.MadeToOrder {
		return decision{kind: "make", loc: rc.locs[0], dest: rc.locs[0], due: l.DispatchBy}, nil
	}
	return decision{}, nil
}

// routedRows collects what routing writes for an order's lines, so that
// each table gets one multi-row INSERT per order, not one per line.
type routedRows struct {
	reservations, tasks, notes [][]any
}

// flush writes the collected rows, parents before children.
func (w *routedRows) flush(tx *gorm.DB) error {
	if err := insertRows(tx, "reservations", []string{"id", "line_id", "product_id", "location_id", "quantity", "status", "created_at", "updated_at"}, w.reservations); err != nil {
		return err
	}
	if err := insertRows(tx, "fulfilment_tasks", []string{"id", "line_id", "kind", "location_id", "destination_id", "artisan_id", "status", "due_at", "created_at", "updated_at"}, w.tasks); err != nil {
		return err
	}
	if err := insertRows(tx, "artisan_notifications", []string{"id", "artisan_id", "task_id", "message", "status", "created_at"}, w.notes); err != nil {
		return err
	}
	*w = routedRows{}
	return nil
}

// insertRows inserts rows into table in one statement.
func insertRows(tx *gorm.DB, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	values := make([]string, len(rows))
	args := make([]any, 0, len(rows)*len(cols))
	for i, r := range rows {
		values[i] = one
		args = append(args, r...)
	}
	return tx.Exec("INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES "+strings.Join(values, ", "), args...).Error
}

// record notes what follows a decision once the line exists (written by
// w.flush): the reservation, the task and the maker's message; or it
// raises the oversold exception saying what can be done. The maker is
// recorded on every line.
func record(tx *gorm.DB, w *routedRows, res *orders.Result, rc routeContext, l routedLine, p productRow, d decision, now time.Time) ([]outbox.Message, error) {
	switch d.kind {
	case "pick", "collect":
		res.Reserved++
		w.reservations = append(w.reservations, []any{ids.New(), l.ID, p.ID, d.loc, l.Quantity, "held", now, now})
		ev := addTask(w, rc, l, p, d, now)
		return append(ev, outbox.New(now, outbox.TopicStockChanged, p.ID, outbox.StockChanged{ProductID: p.ID, LocationIDs: []string{d.loc}})), nil
	case "make":
		res.ToMake++
		return addTask(w, rc, l, p, d, now), nil
	}
	res.Oversold++
	return nil, raise(tx, exceptions.Exception{Kind: exceptions.Oversold, CauseKey: "oversold:" + p.ID,
		Summary:  fmt.Sprintf("%s sold more of %s than is in stock", rc.channelKind, l.SKU),
		Detail:   fmt.Sprintf("order %s line %s wants %d and no location of the channel, nor the maker, has it free", l.ExternalOrderID, l.ExternalLineID, l.Quantity),
		Action:   "Take the piece in from the artisan if they have one, or cancel the line on the marketplace before its dispatch deadline.",
		Resource: "order", ResourceID: l.OrderID})
}

// route routes a line that already exists (added to a known order, or
// resumed once its SKU was mapped); the caller flushes w.
func route(tx *gorm.DB, w *routedRows, res *orders.Result, rc routeContext, l routedLine, p productRow, now time.Time) ([]outbox.Message, error) {
	d, err := decide(tx, rc, l, p, now)
	if err != nil {
		return nil, err
	}
	status, loc := d.lineState()
	if err := tx.Exec(`UPDATE order_lines SET status = ?, location_id = ?, updated_at = ? WHERE id = ?`, status, loc, now, l.ID).Error; err != nil {
		return nil, err
	}
	return record(tx, w, res, rc, l, p, d, now)
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

// addTask notes the fulfilment task and the message to its maker.
func addTask(w *routedRows, rc routeContext, l routedLine, p productRow, d decision, now time.Time) []outbox.Message {
	taskID := ids.New()
	w.tasks = append(w.tasks, []any{taskID, l.ID, d.kind, d.loc, d.dest, p.ArtisanID, "open", d.due, now, now})
	text := notify.TaskText(notify.Task{Kind: d.kind, Channel: rc.channelKind, OrderRef: l.ExternalOrderID, SKU: l.SKU,
		Title: p.Title, Quantity: l.Quantity, DueAt: d.due, PlaceName: rc.destName})
	notificationID := ids.New()
	w.notes = append(w.notes, []any{notificationID, p.ArtisanID, taskID, text, "pending", now})
	return []outbox.Message{outbox.New(now, notify.TopicArtisanNotify, notificationID, notify.Event{NotificationID: notificationID})}
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
			var rows routedRows
			ev, err := route(tx, &rows, &res, rc, routedLine{ID: w.ID, OrderID: w.OrderID, ExternalOrderID: w.ExternalOrderID,
				ExternalLineID: w.ExternalLineID, SKU: p.SKU, Quantity: w.Quantity, DispatchBy: utcPtr(w.DispatchBy)}, p, now)
			if err != nil {
				return err
			}
			events = ev
			if err := rows.flush(tx); err != nil {
				return err
			}
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
