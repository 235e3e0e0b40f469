package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/routing"
	"gorm.io/gorm"
)

// router applies routing decisions for one channel inside a transaction:
// routing.Candidates lists a line's sources, the router tries a
// conditional reservation at each in turn (the database decides which one
// still has the units), and it gathers what follows (the line, its
// reservation, its task, the maker's message) so that each table gets one
// INSERT per order.
type router struct {
	tx          *Tx
	channelID   string
	channelKind string
	shelves     []string
	destName    string
	homes       map[string][]string // the maker's home locations, by artisan
	sold        []string            // products whose pushed quantity soldThere forgets
	firstTried  map[string]bool     // by product: whether tryFirstSources held its first source
	lines       []newLine
	flushed     []newLine // the lines flush inserted
	reserved    reservationRows
	tasks       [][]any
	notes       [][]any
}

// newLine is an order line about to be inserted.
type newLine struct {
	ID, OrderID, ChannelID, ExternalOrderID string
	Line                                    orders.IncomingLine
	Status                                  orders.LineStatus
	ProductID, ArtisanID, LocationID        *string
	DispatchBy                              *time.Time
}

func newRouter(tx *Tx, ch channelRow) (*router, error) {
	ids := shelfIDs(ch)
	var rows []locationRow
	if len(ids) > 0 {
		if err := tx.Select("id", "name").Where("id IN ? AND kind <> ?", ids, "artisan").Find(&rows).Error; err != nil {
			return nil, err
		}
	}
	return newRouterAt(tx, ch, rows), nil
}

// shelfIDs are the locations a channel sells from, its dispatch location
// first, as its settings list them.
func shelfIDs(ch channelRow) []string {
	var settings channels.Settings
	_ = json.Unmarshal([]byte(ch.Settings), &settings) // validated on write; unreadable means none
	out := make([]string, len(settings.Locations))
	for i, l := range settings.Locations {
		out[i] = l.LocationID
	}
	return out
}

// newRouterAt is the router of a channel whose shelves (of shelfIDs, the
// ones that are not an artisan's home) were read already.
func newRouterAt(tx *Tx, ch channelRow, shelves []locationRow) *router {
	r := &router{tx: tx, channelID: ch.ID, channelKind: ch.Kind, homes: map[string][]string{}}
	name := map[string]string{}
	for _, l := range shelves {
		name[l.ID] = l.Name
	}
	for _, id := range shelfIDs(ch) { // the channel's order: its dispatch location first
		if n, ok := name[id]; ok {
			r.shelves = append(r.shelves, id)
			if r.destName == "" {
				r.destName = n
			}
		}
	}
	return r
}

// homesOf returns the maker's home locations (stock at an artisan's home
// serves only that artisan's pieces).
func (r *router) homesOf(artisanID string) ([]string, error) {
	if h, ok := r.homes[artisanID]; ok {
		return h, nil
	}
	var homes []string
	if err := r.tx.Table("locations").Where("kind = ? AND artisan_id = ?", "artisan", artisanID).Order("id").Pluck("id", &homes).Error; err != nil {
		return nil, err
	}
	r.homes[artisanID] = homes
	return homes, nil
}

// route finds a new line's source and notes what follows; the line is
// inserted (already routed) by flush.
func (r *router) route(res *orders.Result, nl *newLine, p productRef) error {
	if err := r.soldThere(nl, p); err != nil {
		return err
	}
	src, err := r.pick(p, nl.Line.Quantity, nl.DispatchBy)
	if err != nil {
		return err
	}
	return r.record(res, nl, p, src)
}

// soldThere forgets what a marketplace which takes the units it sells off
// its own offer (listing.MarketplaceTakesSoldUnits) was last sent: it now
// offers fewer than that, by the line or, when a push crossed the buyer's
// order, by nothing (marketplace times are whole seconds, too coarse to
// tell which came first). Unknown, the next sync sends it exactly what it
// should offer: an order and its cancellation seen by one sync would
// otherwise leave the marketplace a unit short, and a decrement that
// assumed the order came after the push would leave it a unit over.
// The listings of an order's lines are forgotten by flush, in one UPDATE:
// each becomes dirty at once, and quantity_unknown_seq keeps a push already
// in flight (computed from an older dirty_seq) from recording its quantity
// afterwards (RecordPush), even if none was known before the sale.
func (r *router) soldThere(nl *newLine, p productRef) error {
	if !listing.MarketplaceTakesSoldUnits(r.channelKind) {
		return nil
	}
	if nl.ChannelID != r.channelID {
		return fmt.Errorf("store: order line %s of channel %s routed for channel %s", nl.ID, nl.ChannelID, r.channelID)
	}
	if !slices.Contains(r.sold, p.ID) {
		r.sold = append(r.sold, p.ID)
	}
	return nil
}

// candidates lists where a line of p may be served from, in order.
func (r *router) candidates(p productRef, qty int64, dispatchBy *time.Time) ([]routing.Source, error) {
	homes, err := r.homesOf(p.ArtisanID)
	if err != nil {
		return nil, err
	}
	return routing.Candidates(routing.Line{Quantity: qty, DispatchBy: dispatchBy}, p.MadeToOrder,
		routing.Places{Shelves: r.shelves, Homes: homes}, r.tx.Now), nil
}

// tryFirstSources tries the first source of the new lines to route at
// once, one conditional UPDATE for all (reserveEach) instead of one per
// line; pick then starts from its answer. Only the first line of each
// product is tried: a later line of the same product waits for pick, so
// that every line still gets the first source free for it in line order,
// as if each had been tried in turn.
func (r *router) tryFirstSources(plan []orders.LineAction, products map[string]productRef, dispatchBy *time.Time) error {
	var wants []heldUnits
	seen := map[string]bool{}
	for _, a := range plan {
		p, mapped := products[a.Line.SKU]
		if a.Kind != orders.ActInsertRoute || !mapped || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		cs, err := r.candidates(p, a.Line.Quantity, dispatchBy)
		if err != nil {
			return err
		}
		if len(cs) > 0 && cs[0].Reserve {
			wants = append(wants, heldUnits{ProductID: p.ID, LocationID: cs[0].LocationID, Quantity: a.Line.Quantity})
		}
	}
	if len(wants) < 2 {
		return nil // pick's own UPDATE is as many round trips
	}
	held, err := reserveEach(r.tx, wants)
	if err != nil {
		return err
	}
	r.firstTried = map[string]bool{}
	for i, w := range wants {
		r.firstTried[w.ProductID] = held[i]
	}
	return nil
}

// pick tries each candidate source in order; nil means none serves. The
// first was tried already when tryFirstSources did so for this product's
// line.
func (r *router) pick(p productRef, qty int64, dispatchBy *time.Time) (*routing.Source, error) {
	cs, err := r.candidates(p, qty, dispatchBy)
	if err != nil {
		return nil, err
	}
	for i, c := range cs {
		if !c.Reserve {
			return &c, nil
		}
		ok, tried := r.firstTried[p.ID]
		if i == 0 && tried {
			delete(r.firstTried, p.ID) // a later line of the product tries on its own
		} else if ok, err = reserveUnits(r.tx, p.ID, c.LocationID, qty); err != nil {
			return nil, err
		}
		if ok {
			return &c, nil
		}
	}
	return nil, nil
}

// record notes the reservation, the task and the maker's message of a
// routed line, or raises the oversold exception saying what can be done.
func (r *router) record(res *orders.Result, nl *newLine, p productRef, src *routing.Source) error {
	if src == nil {
		res.Oversold++
		nl.Status, nl.LocationID = orders.LineOversold, nil
		return raise(r.tx.DB, exceptions.Exception{Kind: exceptions.Oversold, CauseKey: "oversold:" + p.ID, ChannelID: nl.ChannelID,
			Summary: fmt.Sprintf("%s sold more of %s than is in stock", r.channelKind, nl.Line.SKU),
			Detail: fmt.Sprintf("order %s line %s wants %d and no location of the channel, nor the maker, has it free",
				nl.ExternalOrderID, nl.Line.ExternalLineID, nl.Line.Quantity),
			Action:   "Take the piece in from the artisan if they have one, or cancel the line on the marketplace before its dispatch deadline.",
			Resource: "order", ResourceID: nl.OrderID})
	}
	loc := src.LocationID
	nl.LocationID = &loc
	switch src.Kind {
	case routing.Make:
		res.ToMake++
		nl.Status = orders.LineToMake
	default:
		res.Reserved++
		nl.Status = orders.LineReserved
		r.reserved.add(r.tx, nl.ID, heldUnits{ProductID: p.ID, LocationID: src.LocationID, Quantity: nl.Line.Quantity})
		stockChanged(r.tx, p.ID, src.LocationID)
	}
	r.addTask(nl, p, *src)
	return nil
}

// addTask notes the fulfilment task and the message to its maker.
func (r *router) addTask(nl *newLine, p productRef, src routing.Source) {
	taskID := ids.New()
	r.tasks = append(r.tasks, []any{taskID, nl.ID, string(src.Kind), src.LocationID, src.Destination, p.ArtisanID, fulfilment.Open, src.Due, r.tx.Now, r.tx.Now})
	notice := notify.TaskNotice(notify.Task{Kind: string(src.Kind), Channel: r.channelKind, OrderRef: nl.ExternalOrderID, SKU: nl.Line.SKU,
		Title: p.Title, Quantity: nl.Line.Quantity, DueAt: src.Due, PlaceName: r.destName})
	raw, _ := json.Marshal(notice)
	noteID := ids.New()
	r.notes = append(r.notes, []any{noteID, p.ArtisanID, taskID, "task:" + taskID, string(raw), p.ArtisanLanguage, notice.English(), notify.StatusPending, r.tx.Now})
	r.tx.Emit(outbox.New(r.tx.Now, notify.TopicArtisanNotify, noteID, notify.Event{NotificationID: noteID}))
}

// flush writes what was gathered (writes).
func (r *router) flush() error { return r.tx.writeAll(r.writes()) }

// writes is what was gathered, as one statement per table, and forgets it.
// None reads what another writes, so on PostgreSQL they go in one round
// trip (Tx.writeAll). A line that exists already (impossible while the
// order's row is locked) is refused by the unique index on its marketplace
// key, and with it the whole order, which is then taken in again.
func (r *router) writes() []sqlWrite {
	var out []sqlWrite
	if len(r.sold) > 0 {
		out = append(out, sqlWrite{`UPDATE listings SET pushed_quantity = NULL, dirty_seq = dirty_seq + 1, quantity_unknown_seq = dirty_seq + 1 WHERE channel_id = ? AND product_id IN ?`,
			[]any{r.channelID, r.sold}})
		r.sold = nil
	}
	if len(r.lines) > 0 {
		rows := make([][]any, len(r.lines))
		for i, nl := range r.lines {
			l := nl.Line
			rows[i] = []any{nl.ID, nl.OrderID, nl.ChannelID, nl.ExternalOrderID, l.ExternalLineID, l.SKU, nl.ProductID, nl.ArtisanID,
				l.Quantity, l.UnitPricePaise, nl.Status, nl.LocationID, l.ExternalShipmentID, l.ExternalLocationID,
				l.Status, l.MarketplaceStatus, l.UpdatedAt.UTC(), r.tx.Now, r.tx.Now}
		}
		out = append(out, insertWrite("order_lines", []string{"id", "order_id", "channel_id", "external_order_id", "external_line_id", "sku", "product_id",
			"artisan_id", "quantity", "unit_price_paise", "status", "location_id", "external_shipment_id", "external_location_id",
			"marketplace_status", "marketplace_state", "marketplace_updated_at", "created_at", "updated_at"}, rows)...)
		r.flushed = append(r.flushed, r.lines...)
		r.lines = nil
	}
	out = append(out, r.reserved.writes()...)
	out = append(out, insertWrite("fulfilment_tasks", []string{"id", "line_id", "kind", "location_id", "destination_id", "artisan_id", "status", "due_at", "created_at", "updated_at"}, r.tasks)...)
	r.tasks = nil
	out = append(out, insertWrite("artisan_notifications", []string{"id", "artisan_id", "task_id", "subject", "notice", "language", "message", "status", "created_at"}, r.notes)...)
	r.notes = nil
	return out
}

// insertedStates is the state of every line flush inserted, as settling
// their order reads it.
func (r *router) insertedStates() []lineState {
	out := make([]lineState, len(r.flushed))
	for i, nl := range r.flushed {
		at := nl.Line.UpdatedAt.UTC()
		out[i] = lineState{Status: string(nl.Status), MarketplaceUpdatedAt: &at}
	}
	return out
}

// insertRows inserts rows into table in one statement.
func insertRows(tx *Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return insertRowsResult(tx, table, cols, rows, "").Error
}

// insertWrite is the multi-row INSERT of rows, none for no rows.
func insertWrite(table string, cols []string, rows [][]any) []sqlWrite {
	if len(rows) == 0 {
		return nil
	}
	return []sqlWrite{{insertSQL(table, cols, len(rows), ""), flatten(rows)}}
}

func insertRowsResult(tx *Tx, table string, cols []string, rows [][]any, suffix string) *gorm.DB {
	return tx.Exec(insertSQL(table, cols, len(rows), suffix), flatten(rows)...)
}

// insertSQL is a multi-row INSERT of n rows with its suffix (ON CONFLICT,
// RETURNING).
func insertSQL(table string, cols []string, n int, suffix string) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	values := make([]string, n)
	for i := range values {
		values[i] = one
	}
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(values, ", ") + " " + suffix
}

func flatten(rows [][]any) []any {
	if len(rows) == 0 {
		return nil
	}
	args := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		args = append(args, r...)
	}
	return args
}

// ResumeUnmapped continues the lines that waited for a product's SKU: each
// is mapped to the product and its maker and routed, one order per
// transaction under the order's lock; the unmapped_sku exception closes
// once no line waits for it.
func (s *Orders) ResumeUnmapped(ctx context.Context, productID string, now time.Time) (int, error) {
	var p []productRef
	if err := s.db.gorm.WithContext(ctx).Raw(productRefSelect+` WHERE p.id = ?`, productID).Scan(&p).Error; err != nil || len(p) == 0 {
		return 0, err
	}
	var waiting []struct{ ID, OrderID, ChannelID string }
	if err := s.db.gorm.WithContext(ctx).Raw(`SELECT id, order_id, channel_id FROM order_lines WHERE sku = ? AND status = ? ORDER BY created_at, id`,
		p[0].SKU, orders.LineAwaitingMapping).Scan(&waiting).Error; err != nil {
		return 0, err
	}
	resumed := 0
	for _, w := range waiting {
		done := false
		err := s.db.inTx(ctx, now, func(tx *Tx) error {
			done = false
			if _, err := tx.lock("orders", w.OrderID); err != nil {
				return err
			}
			var line []struct {
				ExternalOrderID, ExternalLineID string
				Quantity                        int64
				DispatchBy                      *time.Time
			}
			if err := tx.Raw(`SELECT l.external_order_id, l.external_line_id, l.quantity, o.dispatch_by FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE l.id = ? AND l.status = ?`, w.ID, orders.LineAwaitingMapping).Scan(&line).Error; err != nil || len(line) == 0 {
				return err // another worker resumed it
			}
			var ch channelRow
			if err := tx.Select("id", "kind", "settings").Where("id = ?", w.ChannelID).Take(&ch).Error; err != nil {
				return err
			}
			r, err := newRouter(tx, ch)
			if err != nil {
				return err
			}
			nl := newLine{ID: w.ID, OrderID: w.OrderID, ChannelID: w.ChannelID, ExternalOrderID: line[0].ExternalOrderID,
				Line: orders.IncomingLine{ExternalLineID: line[0].ExternalLineID, SKU: p[0].SKU, Quantity: line[0].Quantity}, DispatchBy: utcPtr(line[0].DispatchBy)}
			var res orders.Result
			if err := r.route(&res, &nl, p[0]); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE order_lines SET product_id = ?, artisan_id = ?, status = ?, location_id = ?, updated_at = ? WHERE id = ? AND status = ?`,
				p[0].ID, p[0].ArtisanID, nl.Status, nl.LocationID, tx.Now, w.ID, orders.LineAwaitingMapping).Error; err != nil {
				return err
			}
			if err := r.flush(); err != nil {
				return err
			}
			if err := settleOrder(tx, w.OrderID); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE exceptions SET status = ?, resolution = ?, resolved_by = ?, resolved_at = ?, updated_at = ?
WHERE cause_key = ? AND status = ? AND NOT EXISTS
(SELECT 1 FROM order_lines WHERE channel_id = ? AND sku = ? AND status = ?)`,
				exceptions.StatusResolved, "product "+p[0].SKU+" was added; the waiting lines were routed", tx.Actor.ID, tx.Now, tx.Now,
				unmappedCause(w.ChannelID, p[0].SKU), exceptions.StatusOpen, w.ChannelID, p[0].SKU, orders.LineAwaitingMapping).Error; err != nil {
				return err
			}
			done = true
			return nil
		})
		if err != nil {
			return resumed, err
		}
		if done {
			resumed++
		}
	}
	return resumed, nil
}
