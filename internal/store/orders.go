package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/migrations"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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

func (*orderRow) columns() []string {
	return []string{"id", "channel_id", "external_order_id", "status", "ordered_at", "external_updated_at", "dispatch_by", "created_at", "updated_at"}
}

func (r *orderRow) fields() []any {
	return []any{&r.ID, &r.ChannelID, &r.ExternalOrderID, &r.Status, &r.OrderedAt, &r.ExternalUpdatedAt, &r.DispatchBy, &r.CreatedAt, &r.UpdatedAt}
}

// Task statuses before dispatch: a cancellation stops them, a shipment
// reported by the marketplace moves them on.
var tasksBeforeDispatch = []string{fulfilment.Open, fulfilment.Acknowledged, fulfilment.Collected, fulfilment.Packed}

// Ingest takes one marketplace report of an order in, in one transaction:
// it loads what is held of the order (its lines with their marketplace
// state, which SKUs the catalogue knows), lets orders.Plan decide line by
// line, and applies the plan. The order's row is the lock: a new order's
// insert, or a row lock on a known one, serialises every worker taking the
// same order in, and every cancellation, return or dispatch of its lines.
func (s *Orders) Ingest(ctx context.Context, in orders.Incoming, now time.Time) (_ orders.Result, err error) {
	defer apperr.Annotate(&err, "Orders.Ingest(%s, %s)", in.ChannelID, in.ExternalOrderID)
	var res orders.Result
	err = s.db.inTx(ctx, now, func(tx *Tx) error {
		res = orders.Result{} // a transaction run again starts afresh
		ch, order, created, err := openOrder(tx, in)
		if err != nil {
			return err
		}
		res.OrderID, res.Created = order.ID, created
		snap, products, homes, shelves, err := loadSnapshot(tx, order.ID, created, in.Lines, shelfIDs(ch))
		if err != nil {
			return err
		}
		plan := orders.Plan(snap, in)
		if !slices.ContainsFunc(plan, orders.LineAction.Changes) {
			res.Stale = true // an older or repeated report changes nothing
			return nil
		}
		r := newRouterAt(tx, ch, shelves)
		maps.Copy(r.homes, homes)
		if err := r.apply(&res, order, in, plan, products); err != nil {
			return err
		}
		if created {
			// Every line of a new order is inserted just now, as
			// writes has them: nothing to read back, and the order's
			// status goes with its lines, in one round trip on
			// PostgreSQL.
			writes := r.writes()
			return tx.writeAll(append(writes, settleWrite(tx, order.ID, r.insertedStates())))
		}
		if err := r.flush(); err != nil {
			return err
		}
		return settleOrder(tx, order.ID)
	})
	if err != nil {
		return orders.Result{}, err
	}
	return res, nil
}

// openOrder reads the order's channel, and inserts the new order or locks
// the stored one (the order's row is the lock, see Ingest). The unique key
// of (channel, external order id) makes a concurrent second insert wait
// for the first and then find the order. On PostgreSQL the channel's read
// and the insert are one statement, whose insert takes its channel id from
// the row it reads: an unknown channel inserts nothing and is not found.
func openOrder(tx *Tx, in orders.Incoming) (channelRow, orderRow, bool, error) {
	row := orderRow{ID: ids.New(), ChannelID: in.ChannelID, ExternalOrderID: in.ExternalOrderID, Status: orders.StatusOpen,
		OrderedAt: in.OrderedAt, ExternalUpdatedAt: in.UpdatedAt, DispatchBy: in.DispatchBy, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	var ch channelRow
	created := false
	if tx.dialect == migrations.Postgres {
		found := false
		if err := scanRaw(tx.DB, `WITH ins AS (INSERT INTO orders (id, channel_id, external_order_id, status, ordered_at, external_updated_at, dispatch_by, created_at, updated_at)
SELECT ?, c.id, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP) FROM channels c WHERE c.id = ?
ON CONFLICT (channel_id, external_order_id) DO NOTHING RETURNING id)
SELECT c.id, c.kind, c.settings, EXISTS (SELECT 1 FROM ins) AS created FROM channels c WHERE c.id = ?`,
			[]any{row.ID, row.ExternalOrderID, row.Status, row.OrderedAt, row.ExternalUpdatedAt, row.DispatchBy, tx.Now, tx.Now, in.ChannelID, in.ChannelID},
			func(rows *sql.Rows) error {
				found = true
				return rows.Scan(&ch.ID, &ch.Kind, &ch.Settings, &created)
			}); err != nil {
			return ch, orderRow{}, false, err
		}
		if !found {
			return ch, orderRow{}, false, notFound(gorm.ErrRecordNotFound, "channel %s not found", in.ChannelID)
		}
	} else {
		if err := tx.Select("id", "kind", "settings").Where("id = ?", in.ChannelID).Take(&ch).Error; err != nil {
			return ch, orderRow{}, false, notFound(err, "channel %s not found", in.ChannelID)
		}
		ins := tx.Exec(`INSERT INTO orders (id, channel_id, external_order_id, status, ordered_at, external_updated_at, dispatch_by, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, external_order_id) DO NOTHING`,
			row.ID, row.ChannelID, row.ExternalOrderID, row.Status, row.OrderedAt, row.ExternalUpdatedAt, row.DispatchBy, tx.Now, tx.Now)
		if ins.Error != nil {
			return ch, orderRow{}, false, ins.Error
		}
		created = ins.RowsAffected == 1
	}
	if created {
		return ch, row, true, nil
	}
	// The stored order, read and locked in one statement (SQLite's
	// immediate transactions serialise every write already, see Tx.lock).
	q := tx.Where("channel_id = ? AND external_order_id = ?", in.ChannelID, in.ExternalOrderID)
	if tx.dialect == migrations.Postgres {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	var stored orderRow
	if err := q.Take(&stored).Error; err != nil {
		return ch, orderRow{}, false, err
	}
	if in.DispatchBy != nil && stored.DispatchBy == nil {
		stored.DispatchBy = in.DispatchBy
	}
	return ch, stored, false, nil
}

// productRef is what ingestion needs of a line's product and its maker.
type productRef struct {
	ID, SKU, Title, ArtisanID string
	MadeToOrder               bool
	ArtisanLanguage           string
}

// productRefColumns and productRefFrom read a productRef; productRefSelect
// is the two together.
const (
	productRefColumns = `p.id, p.sku, p.title, p.artisan_id, p.made_to_order, a.language AS artisan_language`
	productRefFrom    = `FROM products p JOIN artisans a ON a.id = p.artisan_id`
	productRefSelect  = `SELECT ` + productRefColumns + "\n" + productRefFrom
)

// loadSnapshot reads what orders.Plan needs: the order's stored lines (none
// for a new order) and the products of the incoming SKUs, in two queries;
// the second also returns their makers' home locations (by artisan, in id
// order, as router.homesOf reads them) and the channel's shelves (of
// shelfIDs, those not an artisan's home), which routing needs next. With no
// new SKU nothing is routed, and neither is read.
func loadSnapshot(tx *Tx, orderID string, created bool, lines []orders.IncomingLine, shelfIDs []string) (
	orders.Snapshot, map[string]productRef, map[string][]string, []locationRow, error) {
	snap := orders.Snapshot{Lines: map[string]orders.StoredLine{}, Mapped: map[string]bool{}}
	if !created {
		var stored []struct {
			ID, ExternalLineID, Status, MarketplaceStatus string
			MarketplaceUpdatedAt                          *time.Time
			Held                                          int64
		}
		if err := tx.Raw(`SELECT l.id, l.external_line_id, l.status, l.marketplace_status, l.marketplace_updated_at,
(SELECT COUNT(*) FROM reservations r WHERE r.line_id = l.id AND r.status = ?) AS held
FROM order_lines l WHERE l.order_id = ?`, reservationHeld, orderID).Scan(&stored).Error; err != nil {
			return snap, nil, nil, nil, err
		}
		for _, l := range stored {
			st := orders.StoredLine{ID: l.ID, ExternalLineID: l.ExternalLineID, Status: orders.LineStatus(l.Status),
				MarketplaceStatus: l.MarketplaceStatus, Held: l.Held > 0}
			if l.MarketplaceUpdatedAt != nil {
				st.MarketplaceUpdatedAt = l.MarketplaceUpdatedAt.UTC()
			}
			snap.Lines[l.ExternalLineID] = st
		}
	}
	skus := make([]string, 0, len(lines))
	for _, l := range lines {
		if _, known := snap.Lines[l.ExternalLineID]; !known {
			skus = append(skus, l.SKU)
		}
	}
	products, homes := map[string]productRef{}, map[string][]string{}
	if len(skus) == 0 {
		return snap, products, homes, nil, nil
	}
	// One query, two kinds of row: a shelf's row carries its name as the
	// title and nothing else.
	type snapshotRow struct {
		RowKind                   string
		ID, SKU, Title, ArtisanID string
		MadeToOrder               bool
		ArtisanLanguage           string
		HomeID                    *string
	}
	var rows []snapshotRow
	if err := scanRaw(tx.DB, `SELECT 'product' AS row_kind, `+productRefColumns+`, h.id AS home_id
`+productRefFrom+` LEFT JOIN locations h ON h.kind = ? AND h.artisan_id = p.artisan_id
WHERE p.sku IN ?
UNION ALL SELECT 'shelf', l.id, '', l.name, '', FALSE, '', NULL FROM locations l WHERE l.id IN ? AND l.kind <> ?
ORDER BY home_id`, []any{"artisan", skus, shelfIDs, "artisan"}, func(r *sql.Rows) error {
		var row snapshotRow
		if err := r.Scan(&row.RowKind, &row.ID, &row.SKU, &row.Title, &row.ArtisanID, &row.MadeToOrder, &row.ArtisanLanguage, &row.HomeID); err != nil {
			return err
		}
		rows = append(rows, row)
		return nil
	}); err != nil {
		return snap, nil, nil, nil, err
	}
	var shelves []locationRow
	for _, row := range rows {
		if row.RowKind == "shelf" {
			shelves = append(shelves, locationRow{ID: row.ID, Name: row.Title})
			continue
		}
		p := productRef{ID: row.ID, SKU: row.SKU, Title: row.Title, ArtisanID: row.ArtisanID, MadeToOrder: row.MadeToOrder, ArtisanLanguage: row.ArtisanLanguage}
		if _, seen := products[p.SKU]; !seen {
			products[p.SKU] = p
			snap.Mapped[p.SKU] = true
		}
		h, known := homes[p.ArtisanID]
		if !known {
			homes[p.ArtisanID] = nil // a maker with no home location is known too
		}
		if row.HomeID != nil && !slices.Contains(h, *row.HomeID) {
			homes[p.ArtisanID] = append(h, *row.HomeID)
		}
	}
	return snap, products, homes, shelves, nil
}

// settleOrder sets an order's status from its lines (orders.OrderStatus)
// and its marketplace time to the newest of theirs.
func settleOrder(tx *Tx, orderID string) error {
	var lines []lineState
	if err := tx.Raw(`SELECT status, marketplace_updated_at FROM order_lines WHERE order_id = ?`, orderID).Scan(&lines).Error; err != nil {
		return err
	}
	return settleOrderLines(tx, orderID, lines)
}

// lineState is what settling an order needs of each of its lines.
type lineState struct {
	Status               string
	MarketplaceUpdatedAt *time.Time
}

// settleOrderLines sets an order's status from all of its lines, given.
func settleOrderLines(tx *Tx, orderID string, lines []lineState) error {
	return tx.writeAll([]sqlWrite{settleWrite(tx, orderID, lines)})
}

// settleWrite is the UPDATE that sets an order's status from all of its
// lines (orders.OrderStatus) and its marketplace time to the newest of
// theirs.
func settleWrite(tx *Tx, orderID string, lines []lineState) sqlWrite {
	statuses := make([]orders.LineStatus, len(lines))
	var newest time.Time
	for i, l := range lines {
		statuses[i] = orders.LineStatus(l.Status)
		if l.MarketplaceUpdatedAt != nil && l.MarketplaceUpdatedAt.After(newest) {
			newest = l.MarketplaceUpdatedAt.UTC()
		}
	}
	set, args := "status = ?, updated_at = ?", []any{orders.OrderStatus(statuses), tx.Now}
	if !newest.IsZero() {
		set, args = set+", external_updated_at = ?", append(args, newest)
	}
	return sqlWrite{"UPDATE orders SET " + set + " WHERE id = ?", append(args, orderID)}
}

// apply carries out a plan: new lines are routed and gathered, for the
// caller to write (flush, writes: one INSERT per table and order), known
// lines change by conditional UPDATEs from the status the plan was made
// against.
func (r *router) apply(res *orders.Result, order orderRow, in orders.Incoming, plan []orders.LineAction, products map[string]productRef) error {
	elsewhere := false
	if err := r.tryFirstSources(plan, products, order.DispatchBy); err != nil {
		return err
	}
	for _, a := range plan {
		l := a.Line
		switch a.Kind {
		case orders.ActStale:
			continue
		case orders.ActInsertRoute, orders.ActInsertAwaiting, orders.ActInsertCancelled, orders.ActInsertElsewhere:
			p, mapped := products[l.SKU]
			nl := newLine{ID: ids.New(), OrderID: order.ID, ChannelID: in.ChannelID, ExternalOrderID: in.ExternalOrderID,
				Line: l, Status: a.To, DispatchBy: order.DispatchBy}
			if mapped {
				nl.ProductID, nl.ArtisanID = &p.ID, &p.ArtisanID
			}
			res.NewLines++
			switch a.Kind {
			case orders.ActInsertRoute:
				if err := r.route(res, &nl, p); err != nil {
					return err
				}
			case orders.ActInsertAwaiting:
				res.Unmapped++
				if err := raise(r.tx.DB, exceptions.Exception{Kind: exceptions.UnmappedSKU, CauseKey: unmappedCause(in.ChannelID, l.SKU),
					Summary:  fmt.Sprintf("order %s has SKU %s, which is not in the catalogue", in.ExternalOrderID, l.SKU),
					Detail:   fmt.Sprintf("line %s, quantity %d; the order waits as awaiting_mapping and continues once the SKU is mapped", l.ExternalLineID, l.Quantity),
					Action:   "Add the product with this SKU (or correct the SKU on the marketplace); the order is kept, not dropped.",
					Resource: "order", ResourceID: order.ID, ChannelID: in.ChannelID}); err != nil {
					return err
				}
			case orders.ActInsertElsewhere:
				elsewhere = elsewhere || mapped
			}
			r.lines = append(r.lines, nl)
		case orders.ActRelease:
			if err := r.release(res, a); err != nil {
				return err
			}
		case orders.ActShip:
			if _, err := consumeLine(r.tx, a.Stored.ID, fmt.Sprintf("order line %s shipped, as %s reports", a.Stored.ID, r.channelKind)); err != nil {
				return err
			}
			if err := r.tx.Exec(`UPDATE fulfilment_tasks SET status = ?, version = version + 1, updated_at = ? WHERE line_id = ? AND status IN ?`,
				fulfilment.Dispatched, r.tx.Now, a.Stored.ID, tasksBeforeDispatch).Error; err != nil {
				return err
			}
			if err := r.setLine(a, orders.BeforeDispatch); err != nil {
				return err
			}
		case orders.ActShipUnheld:
			if err := r.setLine(a, orders.BeforeDispatch); err != nil {
				return err
			}
			if err := raise(r.tx.DB, exceptions.Exception{Kind: exceptions.MissedOrder, CauseKey: "shipped_elsewhere:" + a.Stored.ID,
				Summary:  fmt.Sprintf("%s reports order %s line %s shipped, but no stock of ours was held for it", r.channelKind, in.ExternalOrderID, l.ExternalLineID),
				Detail:   fmt.Sprintf("the line was %s here", a.Stored.Status),
				Action:   "If the piece left one of our locations, record a sale movement for it (POST /stock/movements, kind sale) so every channel offers the right quantity; then resolve this exception.",
				Resource: "order", ResourceID: order.ID, ChannelID: in.ChannelID}); err != nil {
				return err
			}
		case orders.ActDeliver:
			if err := r.tx.Exec(`UPDATE fulfilment_tasks SET status = ?, version = version + 1, updated_at = ? WHERE line_id = ? AND status = ?`,
				fulfilment.Delivered, r.tx.Now, a.Stored.ID, fulfilment.Dispatched).Error; err != nil {
				return err
			}
			if err := r.setLine(a, []orders.LineStatus{orders.LineShipped}, "delivered_at"); err != nil {
				return err
			}
		case orders.ActReturn:
			if err := r.setLine(a, []orders.LineStatus{orders.LineShipped, orders.LineDelivered}); err != nil {
				return err
			}
		case orders.ActRecord:
			if err := r.setLine(a, []orders.LineStatus{a.Stored.Status}); err != nil {
				return err
			}
		}
	}
	if elsewhere {
		return raise(r.tx.DB, exceptions.Exception{Kind: exceptions.MissedOrder, CauseKey: "fulfilled_elsewhere:" + order.ID,
			Summary: fmt.Sprintf("order %s was first seen already %s: it was fulfilled outside artisanbridge", in.ExternalOrderID, in.Status),
			Detail:  "nothing was reserved or routed for it; its makers are recorded for their earnings",
			Action: "If the pieces left one of our locations, record a sale movement for each (POST /stock/movements, kind sale) " +
				"so every channel offers the right quantity; then resolve this exception.",
			Resource: "order", ResourceID: order.ID, ChannelID: in.ChannelID})
	}
	return nil
}

// release gives back what a line cancelled by the marketplace holds and
// stops its task; a packed parcel's units were never taken off the shelf
// (dispatch does that), so releasing them is all.
func (r *router) release(res *orders.Result, a orders.LineAction) error {
	released, err := releaseLine(r.tx, a.Stored.ID)
	if err != nil {
		return err
	}
	if released {
		res.Released++
	}
	if err := stopTask(r.tx, a.Stored.ID, r.channelKind); err != nil {
		return err
	}
	return r.setLine(a, orders.BeforeDispatch)
}

// stopTask cancels a line's task if it is not dispatched yet and tells its
// maker the piece is no longer wanted (once per line).
func stopTask(tx *Tx, lineID, channelKind string) error {
	upd := tx.Exec(`UPDATE fulfilment_tasks SET status = ?, version = version + 1, updated_at = ? WHERE line_id = ? AND status IN ?`,
		fulfilment.Cancelled, tx.Now, lineID, tasksBeforeDispatch)
	if upd.Error != nil || upd.RowsAffected == 0 {
		return upd.Error
	}
	var l []struct {
		ArtisanID, ExternalOrderID, SKU, Title string
		Quantity                               int64
	}
	if err := tx.Raw(`SELECT l.artisan_id, l.external_order_id, l.sku, COALESCE(p.title, '') AS title, l.quantity FROM order_lines l
LEFT JOIN products p ON p.id = l.product_id WHERE l.id = ? AND l.artisan_id IS NOT NULL`, lineID).Scan(&l).Error; err != nil || len(l) == 0 {
		return err
	}
	return tellArtisan(tx, l[0].ArtisanID, "cancel:"+lineID, notify.Notice{Cancellation: &messages.Cancellation{Channel: channelKind,
		OrderRef: l[0].ExternalOrderID, SKU: l[0].SKU, Title: l[0].Title, Quantity: l[0].Quantity}}, nil)
}

// setLine moves a known line to the action's status with the marketplace's
// state, only from one of the statuses the plan allows; the order's lock
// means it is always there, so a miss is a conflict to retry.
func (r *router) setLine(a orders.LineAction, from []orders.LineStatus, stamp ...string) error {
	cols := map[string]any{"status": a.To, "marketplace_status": a.Line.Status, "marketplace_state": a.Line.MarketplaceStatus,
		"marketplace_updated_at": a.Line.UpdatedAt.UTC(), "updated_at": r.tx.Now}
	for _, c := range stamp {
		cols[c] = r.tx.Now
	}
	upd := r.tx.Table("order_lines").Where("id = ? AND status IN ?", a.Stored.ID, from).Updates(cols)
	if upd.Error != nil {
		return upd.Error
	}
	if upd.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, "order line %s changed meanwhile; retry", a.Stored.ID)
	}
	return nil
}

func unmappedCause(channelID, sku string) string { return "unmapped_sku:" + channelID + ":" + sku }

// RecordImport audits an order file's import.
func (s *Orders) RecordImport(ctx context.Context, channelID, digest string, sum orders.ImportSummary, now time.Time) error {
	return s.db.inTx(ctx, now, func(tx *Tx) error {
		tx.AuditChange("import", "order_file", channelID, nil, map[string]any{"sha256": digest, "summary": sum})
		return nil
	})
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

// clearResume ends any pull under way: its walk was finished or replaced.
const clearResume = `resume_token = '', resume_since = NULL, resume_started = NULL, resume_newest = NULL, resume_failed_at = NULL`

// AdvancePullCursor moves a channel's cursor forward to since, never back,
// and ends the walk under way (it was read to its last page).
func (s *Orders) AdvancePullCursor(ctx context.Context, channelID string, since time.Time) error {
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		return tx.Exec(`INSERT INTO pull_cursors (channel_id, orders_since, updated_at) VALUES (?, ?, ?)
ON CONFLICT (channel_id) DO UPDATE SET orders_since = CASE WHEN pull_cursors.orders_since < excluded.orders_since
THEN excluded.orders_since ELSE pull_cursors.orders_since END, updated_at = excluded.updated_at, `+clearResume, channelID, since.UTC(), tx.Now).Error
	})
}

// resumeRow is the walk under way kept beside a channel's cursor.
type resumeRow struct {
	ResumeToken    string
	ResumeSince    *time.Time
	ResumeStarted  *time.Time
	ResumeNewest   *time.Time
	ResumeFailedAt *time.Time
}

func zeroIfNil(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// PullResume returns where a channel's unfinished pull left off (zero:
// no pull under way).
func (s *Orders) PullResume(ctx context.Context, channelID string) (orders.PullResume, error) {
	var rows []resumeRow
	err := s.db.gorm.WithContext(ctx).Table("pull_cursors").Select("resume_token", "resume_since", "resume_started", "resume_newest", "resume_failed_at").
		Where("channel_id = ? AND resume_token <> ''", channelID).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return orders.PullResume{}, err
	}
	r := rows[0]
	return orders.PullResume{Token: r.ResumeToken, Since: zeroIfNil(r.ResumeSince), Started: zeroIfNil(r.ResumeStarted),
		Newest: zeroIfNil(r.ResumeNewest), FailedAt: zeroIfNil(r.ResumeFailedAt)}, nil
}

// SavePullResume keeps where a channel's pull left off, after what it took
// in was committed. A channel never pulled before gets its cursor at
// cursor; a cursor already there is left alone.
func (s *Orders) SavePullResume(ctx context.Context, channelID string, cursor time.Time, r orders.PullResume) error {
	if r.Token == "" {
		return fmt.Errorf("store: a pull resume without a page token")
	}
	nullable := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		return tx.Exec(`INSERT INTO pull_cursors (channel_id, orders_since, updated_at, resume_token, resume_since, resume_started, resume_newest, resume_failed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel_id) DO UPDATE SET updated_at = excluded.updated_at, resume_token = excluded.resume_token,
resume_since = excluded.resume_since, resume_started = excluded.resume_started, resume_newest = excluded.resume_newest,
resume_failed_at = excluded.resume_failed_at`, channelID, cursor.UTC(), tx.Now, r.Token,
			nullable(r.Since), nullable(r.Started), nullable(r.Newest), nullable(r.FailedAt)).Error
	})
}

// ResetPullCursor makes the next pull re-scan from since (a full re-scan
// on demand); a walk under way is dropped, as it searched from elsewhere.
func (s *Orders) ResetPullCursor(ctx context.Context, channelID string, since time.Time) error {
	return s.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.AuditChange("rescan", "channel", channelID, nil, map[string]any{"orders_since": since.UTC()})
		return tx.Exec(`INSERT INTO pull_cursors (channel_id, orders_since, updated_at) VALUES (?, ?, ?)
ON CONFLICT (channel_id) DO UPDATE SET orders_since = excluded.orders_since, updated_at = excluded.updated_at, `+clearResume,
			channelID, since.UTC(), tx.Now).Error
	})
}

func (r orderRow) domain() orders.Order {
	return orders.Order{ID: r.ID, ChannelID: r.ChannelID, ExternalOrderID: r.ExternalOrderID, Status: r.Status,
		OrderedAt: r.OrderedAt.UTC(), UpdatedAt: r.ExternalUpdatedAt.UTC(), DispatchBy: utcPtr(r.DispatchBy), CreatedAt: r.CreatedAt.UTC()}
}

// ListOrders lists orders with their lines, the lines of a page in one query.
func (s *Orders) ListOrders(ctx context.Context, f orders.Filter, p paging.Request) (paging.Page[orders.Order], error) {
	q := keyset(s.db.gorm.WithContext(ctx), p)
	q = whereIf(q, "channel_id = ?", f.ChannelID)
	q = whereIf(q, "status = ?", f.Status)
	rows, err := findRows[orderRow](q)
	if err != nil {
		return paging.Page[orders.Order]{}, err
	}
	page := paging.Build(mapRows(rows, orderRow.domain), p.Limit, func(o orders.Order) string { return o.ID })
	idsOf := make([]string, len(page.Items))
	for i, o := range page.Items {
		idsOf[i] = o.ID
	}
	lines, err := readLines(s.db.gorm.WithContext(ctx), idsOf)
	if err != nil {
		return page, err
	}
	for i := range page.Items {
		page.Items[i].Lines = nonNilLines(lines[page.Items[i].ID])
	}
	return page, nil
}

// GetOrder returns one order with its lines.
// ExternalOrderStatus returns the stored status of a channel's order by
// the marketplace's id, found false when it was never taken in.
func (s *Orders) ExternalOrderStatus(ctx context.Context, channelID, externalOrderID string) (string, bool, error) {
	var st []string
	err := s.db.gorm.WithContext(ctx).Table("orders").Where("channel_id = ? AND external_order_id = ?", channelID, externalOrderID).
		Limit(1).Pluck("status", &st).Error
	if err != nil || len(st) == 0 {
		return "", false, err
	}
	return st[0], true, nil
}

func (s *Orders) GetOrder(ctx context.Context, id string) (orders.Order, error) {
	return getOrder(s.db.gorm.WithContext(ctx), id)
}

func getOrder(q *gorm.DB, id string) (orders.Order, error) {
	var row orderRow
	if err := q.Where("id = ?", id).Take(&row).Error; err != nil {
		return orders.Order{}, notFound(err, "order %s not found", id)
	}
	o := row.domain()
	lines, err := readLines(q, []string{id})
	o.Lines = nonNilLines(lines[id])
	return o, err
}

func nonNilLines(l []orders.Line) []orders.Line {
	if l == nil {
		return []orders.Line{}
	}
	return l
}

// readLines reads the lines of several orders in one query.
func readLines(q *gorm.DB, orderIDs []string) (map[string][]orders.Line, error) {
	out := map[string][]orders.Line{}
	if len(orderIDs) == 0 {
		return out, nil
	}
	// Scanned field by field (the order of the SELECT): gorm's reflective
	// Scan cost more than the query on a page of orders.
	rows, err := q.Raw(`SELECT l.order_id, l.id, l.external_line_id, l.sku, l.product_id, l.artisan_id, l.quantity,
l.unit_price_paise, l.status, l.marketplace_status, l.marketplace_state, l.marketplace_updated_at, l.location_id,
r.status AS reservation_status, t.id AS task_id, l.returned_quantity, l.delivered_at
FROM order_lines l LEFT JOIN reservations r ON r.line_id = l.id LEFT JOIN fulfilment_tasks t ON t.line_id = l.id
WHERE l.order_id IN ? ORDER BY l.order_id, l.external_line_id`, orderIDs).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var orderID string
		var l orders.Line
		if err := rows.Scan(&orderID, &l.ID, &l.ExternalLineID, &l.SKU, &l.ProductID, &l.ArtisanID, &l.Quantity,
			&l.UnitPricePaise, (*string)(&l.Status), &l.MarketplaceStatus, &l.MarketplaceState, &l.MarketplaceUpdatedAt, &l.LocationID,
			&l.ReservationStatus, &l.TaskID, &l.ReturnedQuantity, &l.DeliveredAt); err != nil {
			return nil, err
		}
		l.MarketplaceUpdatedAt = utcPtr(l.MarketplaceUpdatedAt)
		l.DeliveredAt = utcPtr(l.DeliveredAt)
		out[orderID] = append(out[orderID], l)
	}
	return out, rows.Err()
}
