package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Orders implements orders.Store.
type Orders struct{ db *DB }

func (db *DB) Orders() *Orders { return &Orders{db: db} }

var _ orders.Store = (*Orders)(nil)

type orderRow struct {
	ID                string `gorm:"primaryKey"`
	ChannelID         string
	ExternalOrderID   string
	Status            string
	OrderedAt         time.Time
	ExternalUpdatedAt time.Time
	DispatchBy        *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (orderRow) TableName() string { return "orders" }

// Ingest runs the whole of one order in one transaction. Every guard is in
// the database: the unique key of a line decides whether it is new, and a
// reservation is a conditional update that either fits or changes nothing.
func (s *Orders) Ingest(ctx context.Context, in orders.Incoming, now time.Time) (orders.Result, error) {
	var res orders.Result
	var events []outbox.Message
	err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res, events = orders.Result{}, nil // a retried transaction starts afresh
		var ch channelRow
		if err := tx.Select("id", "kind", "settings").Where("id = ?", in.ChannelID).Take(&ch).Error; err != nil {
			return notFound(err, "channel %s not found", in.ChannelID)
		}
		rc, err := newRouteContext(tx, ch)
		if err != nil {
			return err
		}
		order, created, err := upsertOrder(tx, in, now)
		if err != nil {
			return err
		}
		res.OrderID, res.Created = order.ID, created
		if !created {
			if !in.UpdatedAt.After(order.ExternalUpdatedAt) {
				res.Stale = true // an older or repeated update changes nothing
				return nil
			}
			upd := tx.Model(&orderRow{}).Where("id = ? AND external_updated_at < ?", order.ID, in.UpdatedAt).
				Updates(map[string]any{"status": nextStatus(order.Status, in.Status), "external_updated_at": in.UpdatedAt, "updated_at": now})
			if upd.Error != nil {
				return upd.Error
			}
			if upd.RowsAffected == 0 { // a concurrent, newer update won
				res.Stale = true
				return nil
			}
		}
		products, err := productsBySKU(tx, in.Lines)
		if err != nil {
			return err
		}
		var rows routedRows
		for _, l := range in.Lines {
			ev, err := s.ingestLine(tx, &rows, &res, order, created, in, l, products, rc, now)
			if err != nil {
				return err
			}
			events = append(events, ev...)
		}
		if err := rows.flush(tx); err != nil {
			return err
		}
		if in.Status == orders.StatusCancelled {
			ev, err := releaseOrder(tx, &res, order.ID, now)
			if err != nil {
				return err
			}
			events = append(events, ev...)
		}
		if err := applyMarketplaceStatus(tx, order.ID, in.Status, now); err != nil {
			return err
		}
		if created && fulfilledElsewhere[in.Status] != "" && res.NewLines > res.Unmapped {
			if err := raise(tx, exceptions.Exception{Kind: exceptions.MissedOrder, CauseKey: "fulfilled_elsewhere:" + order.ID,
				Summary: fmt.Sprintf("order %s was first seen already %s: it was fulfilled outside artisanbridge", in.ExternalOrderID, in.Status),
				Detail:  "nothing was reserved or routed for it; its makers are recorded for their earnings",
				Action: "If the pieces left one of our locations, record a sale movement for each (POST /stock/movements, kind sale) " +
					"so every channel offers the right quantity; then resolve this exception.",
				Resource: "order", ResourceID: order.ID}); err != nil {
				return err
			}
		}
		if res.Unmapped > 0 {
			if err := tx.Model(&orderRow{}).Where("id = ? AND status = ?", order.ID, orders.StatusOpen).
				Update("status", orders.StatusAwaitingMapping).Error; err != nil {
				return err
			}
		}
		return writeEffects(tx, effects.Set{Events: events})
	})
	if err != nil {
		return orders.Result{}, translate(err)
	}
	if len(events) > 0 && s.db.afterEvents != nil {
		s.db.afterEvents()
	}
	return res, nil
}

// nextStatus is an order's status after the marketplace reports one: a
// cancellation (by operations or the marketplace) is final, and an order
// waiting for a SKU mapping keeps waiting while the marketplace says open.
func nextStatus(stored, reported string) string {
	switch {
	case stored == orders.StatusCancelled:
		return stored
	case stored == orders.StatusAwaitingMapping && reported == orders.StatusOpen:
		return stored
	}
	return reported
}

// applyMarketplaceStatus carries a delivery or a return the marketplace
// reports onto the lines it concerns (what was shipped); the goods of a
// return are counted back in when they arrive (POST /orders/{id}/returns).
func applyMarketplaceStatus(tx *gorm.DB, orderID, status string, now time.Time) error {
	switch status {
	case orders.StatusDelivered:
		if err := tx.Exec(`UPDATE fulfilment_tasks SET status = 'delivered', version = version + 1, updated_at = ?
WHERE status = 'dispatched' AND line_id IN (SELECT id FROM order_lines WHERE order_id = ? AND status = 'shipped')`, now, orderID).Error; err != nil {
			return err
		}
		return tx.Exec(`UPDATE order_lines SET status = 'delivered', updated_at = ? WHERE order_id = ? AND status = 'shipped'`, now, orderID).Error
	case orders.StatusReturned:
		return tx.Exec(`UPDATE order_lines SET status = 'returned', updated_at = ? WHERE order_id = ? AND status IN ('shipped', 'delivered')`, now, orderID).Error
	}
	return nil
}

// sellableLocations are the channel's locations that ship from stock, in
// the channel's order (its dispatch location first), with their names;
// stock an artisan holds at home is reached by the collect routing.
func sellableLocations(tx *gorm.DB, s channels.Settings) ([]string, []string, error) {
	if len(s.Locations) == 0 {
		return nil, nil, nil
	}
	ids := make([]string, len(s.Locations))
	for i, l := range s.Locations {
		ids[i] = l.LocationID
	}
	var rows []locationRow
	if err := tx.Select("id", "name").Where("id IN ? AND kind <> ?", ids, "artisan").Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	name := map[string]string{}
	for _, r := range rows {
		name[r.ID] = r.Name
	}
	var out, names []string
	for _, id := range ids {
		if n, ok := name[id]; ok {
			out, names = append(out, id), append(names, n)
		}
	}
	return out, names, nil
}

// productsBySKU reads the products of an order's lines in one query.
func productsBySKU(tx *gorm.DB, lines []orders.IncomingLine) (map[string]productRow, error) {
	skus := make([]string, len(lines))
	for i, l := range lines {
		skus[i] = l.SKU
	}
	var rows []productRow
	if err := tx.Select("id", "sku", "title", "artisan_id", "made_to_order").Where("sku IN ?", skus).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]productRow, len(rows))
	for _, r := range rows {
		out[r.SKU] = r
	}
	return out, nil
}

func upsertOrder(tx *gorm.DB, in orders.Incoming, now time.Time) (orderRow, bool, error) {
	row := orderRow{ID: ids.New(), ChannelID: in.ChannelID, ExternalOrderID: in.ExternalOrderID, Status: in.Status,
		OrderedAt: in.OrderedAt, ExternalUpdatedAt: in.UpdatedAt, DispatchBy: in.DispatchBy, CreatedAt: now, UpdatedAt: now}
	ins := tx.Exec(`INSERT INTO orders (id, channel_id, external_order_id, status, ordered_at, external_updated_at, dispatch_by, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, external_order_id) DO NOTHING`,
		row.ID, row.ChannelID, row.ExternalOrderID, row.Status, row.OrderedAt, row.ExternalUpdatedAt, row.DispatchBy, now, now)
	if ins.Error != nil {
		return orderRow{}, false, ins.Error
	}
	if ins.RowsAffected == 1 {
		return row, true, nil
	}
	var stored orderRow
	err := tx.Where("channel_id = ? AND external_order_id = ?", in.ChannelID, in.ExternalOrderID).Take(&stored).Error
	stored.ExternalUpdatedAt = stored.ExternalUpdatedAt.UTC()
	return stored, false, err
}

// ingestLine inserts a line unless it exists (then it does nothing at
// all) and routes it. A line of a new order cannot exist yet (the order's
// own insert serialises concurrent workers), so it is routed first and
// inserted already routed, which saves a write per line.
func (s *Orders) ingestLine(tx *gorm.DB, w *routedRows, res *orders.Result, order orderRow, created bool, in orders.Incoming, l orders.IncomingLine,
	products map[string]productRow, rc routeContext, now time.Time) ([]outbox.Message, error) {
	product, mapped := products[l.SKU]
	rl := routedLine{ID: ids.New(), OrderID: order.ID, ExternalOrderID: in.ExternalOrderID, ExternalLineID: l.ExternalLineID,
		SKU: l.SKU, Quantity: l.Quantity, DispatchBy: in.DispatchBy}
	status := orders.LineAwaitingMapping
	var productID, artisanID, location any
	var d decision
	routeFirst := false
	if mapped {
		status, productID, artisanID = orders.LineReserved, product.ID, product.ArtisanID
		switch {
		case in.Status == orders.StatusCancelled:
			status = orders.LineCancelled
		case created && fulfilledElsewhere[in.Status] != "":
			// First seen already past dispatch: it was fulfilled outside
			// artisanbridge, so nothing is reserved or routed (a missed_order
			// exception asks staff to record the stock that left).
			status = fulfilledElsewhere[in.Status]
		case created:
			var err error
			if d, err = decide(tx, rc, rl, product, now); err != nil {
				return nil, err
			}
			status, location = d.lineState()
			routeFirst = true
		}
	}
	ins := tx.Exec(`INSERT INTO order_lines (id, order_id, channel_id, external_order_id, external_line_id, sku, product_id, artisan_id,
quantity, unit_price_paise, status, location_id, external_shipment_id, external_location_id, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel_id, external_order_id, external_line_id) DO NOTHING`,
		rl.ID, order.ID, in.ChannelID, in.ExternalOrderID, l.ExternalLineID, l.SKU, productID, artisanID, l.Quantity, l.UnitPricePaise,
		status, location, l.ExternalShipmentID, l.ExternalLocationID, now, now)
	if ins.Error != nil {
		return nil, ins.Error
	}
	if ins.RowsAffected == 0 {
		if routeFirst {
			// Only possible if the order's insert did not serialise us: roll
			// the whole order back (its reservation with it) and retry.
			return nil, apperr.New(apperr.Conflict, "order %s line %s was taken in concurrently; retry", in.ExternalOrderID, l.ExternalLineID)
		}
		return nil, nil // this line was taken in before
	}
	res.NewLines++
	switch {
	case !mapped:
		res.Unmapped++
		return nil, raise(tx, exceptions.Exception{Kind: exceptions.UnmappedSKU, CauseKey: unmappedCause(in.ChannelID, l.SKU),
			Summary:  fmt.Sprintf("order %s has SKU %s, which is not in the catalogue", in.ExternalOrderID, l.SKU),
			Detail:   fmt.Sprintf("line %s, quantity %d; the order waits as awaiting_mapping and continues once the SKU is mapped", l.ExternalLineID, l.Quantity),
			Action:   "Add the product with this SKU (or correct the SKU on the marketplace); the order is kept, not dropped.",
			Resource: "order", ResourceID: order.ID})
	case status == orders.LineCancelled || fulfilledElsewhere[in.Status] == status:
		return nil, nil
	case routeFirst:
		return record(tx, w, res, rc, rl, product, d, now)
	}
	return route(tx, w, res, rc, rl, product, now)
}

func unmappedCause(channelID, sku string) string { return "unmapped_sku:" + channelID + ":" + sku }

// fulfilledElsewhere maps the order statuses past dispatch to the status a
// line first seen in them takes.
var fulfilledElsewhere = map[string]string{
	orders.StatusShipped: orders.LineShipped, orders.StatusDelivered: orders.LineDelivered, orders.StatusReturned: orders.LineReturned,
}

// reserve holds qty units by conditional update: it fits, or changes nothing.
func reserve(tx *gorm.DB, productID, locationID string, qty int64, now time.Time) (bool, error) {
	res := tx.Exec(`UPDATE stock_levels SET reserved = reserved + ?, updated_at = ?
WHERE product_id = ? AND location_id = ? AND on_hand - reserved >= ?`, qty, now, productID, locationID, qty)
	return res.RowsAffected == 1, res.Error
}

// releaseOrder gives back every reservation still held by an order's lines.
func releaseOrder(tx *gorm.DB, res *orders.Result, orderID string, now time.Time) ([]outbox.Message, error) {
	type held struct {
		ID, LineID, ProductID, LocationID string
		Quantity                          int64
	}
	var rows []held
	if err := tx.Raw(`SELECT r.id, r.line_id, r.product_id, r.location_id, r.quantity FROM reservations r
JOIN order_lines l ON l.id = r.line_id WHERE l.order_id = ? AND r.status = 'held'`, orderID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	var events []outbox.Message
	for _, r := range rows {
		upd := tx.Exec(`UPDATE reservations SET status = 'released', updated_at = ? WHERE id = ? AND status = 'held'`, now, r.ID)
		if upd.Error != nil {
			return nil, upd.Error
		}
		if upd.RowsAffected == 0 {
			continue
		}
		lv := tx.Exec(`UPDATE stock_levels SET reserved = reserved - ?, updated_at = ? WHERE product_id = ? AND location_id = ? AND reserved >= ?`,
			r.Quantity, now, r.ProductID, r.LocationID, r.Quantity)
		if lv.Error != nil {
			return nil, lv.Error
		}
		if lv.RowsAffected == 0 {
			return nil, apperr.New(apperr.Internal, "reservation %s is not covered by reserved stock", r.ID)
		}
		res.Released++
		events = append(events, outbox.New(now, outbox.TopicStockChanged, r.ProductID,
			outbox.StockChanged{ProductID: r.ProductID, LocationIDs: []string{r.LocationID}}))
	}
	// Tasks not yet dispatched stop; a packed parcel's units were never
	// taken off the shelf (dispatch does that), so releasing them is all.
	if err := tx.Exec(`UPDATE fulfilment_tasks SET status = 'cancelled', version = version + 1, updated_at = ?
WHERE status IN ('open', 'acknowledged', 'collected', 'packed') AND line_id IN (SELECT id FROM order_lines WHERE order_id = ? AND status IN ('reserved', 'to_make'))`,
		now, orderID).Error; err != nil {
		return nil, err
	}
	return events, tx.Exec(`UPDATE order_lines SET status = 'cancelled', updated_at = ?
WHERE order_id = ? AND status IN ('reserved', 'to_make', 'oversold', 'awaiting_mapping')`, now, orderID).Error
}

// PullCursor returns where a channel's order pull resumes (zero: never pulled).
func (s *Orders) PullCursor(ctx context.Context, channelID string) (time.Time, error) {
	var t []time.Time
	err := s.db.gorm.WithContext(ctx).Table("pull_cursors").Where("channel_id = ?", channelID).Pluck("orders_since", &t).Error
	if err != nil || len(t) == 0 {
		return time.Time{}, err
	}
	return t[0].UTC(), nil
}

// AdvancePullCursor moves a channel's cursor forward to since, never back.
func (s *Orders) AdvancePullCursor(ctx context.Context, channelID string, since time.Time) error {
	now := time.Now().UTC()
	return s.db.gorm.WithContext(ctx).Exec(`INSERT INTO pull_cursors (channel_id, orders_since, updated_at) VALUES (?, ?, ?)
ON CONFLICT (channel_id) DO UPDATE SET orders_since = excluded.orders_since, updated_at = excluded.updated_at
WHERE pull_cursors.orders_since < excluded.orders_since`, channelID, since.UTC(), now).Error
}

// ResetPullCursor makes the next pull re-scan from since (a full re-scan on demand).
func (s *Orders) ResetPullCursor(ctx context.Context, channelID string, since time.Time) error {
	now := time.Now().UTC()
	return s.db.gorm.WithContext(ctx).Exec(`INSERT INTO pull_cursors (channel_id, orders_since, updated_at) VALUES (?, ?, ?)
ON CONFLICT (channel_id) DO UPDATE SET orders_since = excluded.orders_since, updated_at = excluded.updated_at`, channelID, since.UTC(), now).Error
}

func (r orderRow) domain() orders.Order {
	return orders.Order{ID: r.ID, ChannelID: r.ChannelID, ExternalOrderID: r.ExternalOrderID, Status: r.Status,
		OrderedAt: r.OrderedAt.UTC(), UpdatedAt: r.ExternalUpdatedAt.UTC(), DispatchBy: utcPtr(r.DispatchBy), CreatedAt: r.CreatedAt.UTC()}
}

// ListOrders lists orders with their lines.
func (s *Orders) ListOrders(ctx context.Context, f orders.Filter, p paging.Request) (paging.Page[orders.Order], error) {
	q := keyset(s.db.gorm.WithContext(ctx), p)
	q = whereIf(q, "channel_id = ?", f.ChannelID)
	q = whereIf(q, "status = ?", f.Status)
	var rows []orderRow
	if err := q.Find(&rows).Error; err != nil {
		return paging.Page[orders.Order]{}, err
	}
	page := paging.Build(mapRows(rows, orderRow.domain), p.Limit, func(o orders.Order) string { return o.ID })
	for i := range page.Items {
		lines, err := s.lines(ctx, page.Items[i].ID)
		if err != nil {
			return page, err
		}
		page.Items[i].Lines = lines
	}
	return page, nil
}

// GetOrder returns one order with its lines.
func (s *Orders) GetOrder(ctx context.Context, id string) (orders.Order, error) {
	var row orderRow
	if err := s.db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return orders.Order{}, notFound(err, "order %s not found", id)
	}
	o := row.domain()
	var err error
	o.Lines, err = s.lines(ctx, id)
	return o, err
}

func (s *Orders) lines(ctx context.Context, orderID string) ([]orders.Line, error) {
	out := []orders.Line{}
	err := s.db.gorm.WithContext(ctx).Raw(`SELECT l.id, l.external_line_id, l.sku, l.product_id, l.artisan_id, l.quantity,
l.unit_price_paise, l.status, l.location_id, r.status AS reservation_status, t.id AS task_id,
(SELECT COALESCE(SUM(x.quantity), 0) FROM order_returns x WHERE x.line_id = l.id) AS returned_quantity
FROM order_lines l LEFT JOIN reservations r ON r.line_id = l.id LEFT JOIN fulfilment_tasks t ON t.line_id = l.id
WHERE l.order_id = ? ORDER BY l.external_line_id`, orderID).Scan(&out).Error
	return out, err
}
