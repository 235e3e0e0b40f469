package store

// The one place that writes stock: levels (on hand, reserved), the
// reservations that hold units for order lines, and the movements that
// record every change of on hand. Every write is a conditional UPDATE or a
// guarded INSERT whose condition is the rule (never more reserved than on
// hand, never below zero, a reservation leaves "held" once), re-checked by
// PostgreSQL after a concurrent update and serialised by SQLite's immediate
// transactions; nothing is read to decide. An architecture test fails if
// any other file of the store writes these tables.

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// Reservation statuses (the CHECK of reservations.status lists the same).
const (
	reservationHeld     = "held"
	reservationReleased = "released"
	reservationConsumed = "consumed"
)

// heldUnits are the units a reservation held.
type heldUnits struct {
	ProductID  string
	LocationID string
	Quantity   int64
}

// stockChanged announces that what product can be offered at locs changed.
func stockChanged(tx *Tx, productID string, locs ...string) {
	tx.Emit(outbox.New(tx.Now, outbox.TopicStockChanged, productID, outbox.StockChanged{ProductID: productID, LocationIDs: locs}))
}

// ensureLevel makes sure a level row exists; a concurrent insert of the same
// row is absorbed by ON CONFLICT on both databases.
func ensureLevel(tx *Tx, productID, locationID string) error {
	return tx.Exec(`INSERT INTO stock_levels (product_id, location_id, on_hand, reserved, updated_at)
VALUES (?, ?, 0, 0, ?) ON CONFLICT (product_id, location_id) DO NOTHING`, productID, locationID, tx.Now).Error
}

// reserveUnits holds qty units at a location if that many are free: the
// reservation fits, or nothing changes.
func reserveUnits(tx *Tx, productID, locationID string, qty int64) (bool, error) {
	res := tx.Exec(`UPDATE stock_levels SET reserved = reserved + ?, updated_at = ?
WHERE product_id = ? AND location_id = ? AND on_hand - reserved >= ?`, qty, tx.Now, productID, locationID, qty)
	return res.RowsAffected == 1, res.Error
}

// reserveEach holds the units of each want at its location if that many
// are free there, in one conditional UPDATE for all, and answers which it
// held. The wants must be of distinct products (an UPDATE changes a row
// once, however many of its VALUES match it).
func reserveEach(tx *Tx, wants []heldUnits) ([]bool, error) {
	args := make([]any, 0, 1+3*len(wants))
	args = append(args, tx.Now)
	for _, w := range wants {
		args = append(args, w.ProductID, w.LocationID, w.Quantity)
	}
	values := strings.TrimSuffix(strings.Repeat("(?, ?, CAST(? AS BIGINT)), ", len(wants)), ", ")
	type row struct{ ProductID, LocationID string }
	var held []row
	if err := scanRaw(tx.DB, `UPDATE stock_levels SET reserved = reserved + v.column3, updated_at = ? FROM (VALUES `+values+`) AS v
WHERE stock_levels.product_id = v.column1 AND stock_levels.location_id = v.column2 AND stock_levels.on_hand - stock_levels.reserved >= v.column3
RETURNING stock_levels.product_id, stock_levels.location_id`, args, func(rows *sql.Rows) error {
		var r row
		if err := rows.Scan(&r.ProductID, &r.LocationID); err != nil {
			return err
		}
		held = append(held, r)
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]bool, len(wants))
	for i, w := range wants {
		out[i] = slices.Contains(held, row{w.ProductID, w.LocationID})
	}
	return out, nil
}

// reservationRows collects reservation rows so that an order's lines get
// one multi-row INSERT (the units are held already by reserveUnits).
type reservationRows [][]any

func (r *reservationRows) add(tx *Tx, lineID string, u heldUnits) {
	*r = append(*r, []any{ids.New(), lineID, u.ProductID, u.LocationID, u.Quantity, reservationHeld, tx.Now, tx.Now})
}

// writes is the rows' INSERT, and forgets them; the unique index on
// line_id refuses a second reservation for a line.
func (r *reservationRows) writes() []sqlWrite {
	w := insertWrite("reservations", []string{"id", "line_id", "product_id", "location_id", "quantity", "status", "created_at", "updated_at"}, *r)
	*r = nil
	return w
}

// takeReservation moves a line's held reservation to status and returns
// what it held, or nil when nothing is held (released, consumed, never
// held). The conditional UPDATE is the guard: of two transactions taking
// the same reservation, one finds it no longer held.
func takeReservation(tx *Tx, lineID, status string) (*heldUnits, error) {
	var got []heldUnits
	if err := tx.Raw(`UPDATE reservations SET status = ?, updated_at = ? WHERE line_id = ? AND status = ?
RETURNING product_id, location_id, quantity`, status, tx.Now, lineID, reservationHeld).Scan(&got).Error; err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, nil
	}
	return &got[0], nil
}

// releaseLine gives back the units a line holds, if any, and announces the
// new quantity to every channel.
func releaseLine(tx *Tx, lineID string) (bool, error) {
	u, err := takeReservation(tx, lineID, reservationReleased)
	if err != nil || u == nil {
		return false, err
	}
	lv := tx.Exec(`UPDATE stock_levels SET reserved = reserved - ?, updated_at = ? WHERE product_id = ? AND location_id = ? AND reserved >= ?`,
		u.Quantity, tx.Now, u.ProductID, u.LocationID, u.Quantity)
	if lv.Error != nil {
		return false, lv.Error
	}
	if lv.RowsAffected == 0 {
		return false, apperr.New(apperr.Internal, "the reservation of line %s is not covered by reserved stock", lineID)
	}
	stockChanged(tx, u.ProductID, u.LocationID)
	return true, nil
}

// consumeLine takes a line's held units off the shelf (a dispatch): on
// hand and reserved go down together, recorded as a sale movement, so what
// is available, and every marketplace's quantity, stays the same. It
// returns nil when the line holds nothing.
func consumeLine(tx *Tx, lineID, reason string) (*heldUnits, error) {
	u, err := takeReservation(tx, lineID, reservationConsumed)
	if err != nil || u == nil {
		return nil, err
	}
	lv := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand - ?, reserved = reserved - ?, updated_at = ?
WHERE product_id = ? AND location_id = ? AND reserved >= ? AND on_hand >= ?`, u.Quantity, u.Quantity, tx.Now, u.ProductID, u.LocationID, u.Quantity, u.Quantity)
	if lv.Error != nil {
		return nil, lv.Error
	}
	if lv.RowsAffected == 0 {
		return nil, apperr.New(apperr.Conflict, "the reserved units of line %s are no longer on hand", lineID)
	}
	if err := insertMovement(tx, inventory.Movement{ID: ids.New(), ProductID: u.ProductID, LocationID: u.LocationID,
		Kind: inventory.KindSale, Quantity: u.Quantity, Reason: reason, ActorID: tx.Actor.ID, CreatedAt: tx.Now}); err != nil {
		return nil, err
	}
	stockChanged(tx, u.ProductID, u.LocationID)
	return u, nil
}

// moveReserved carries a line's held units from one location to another,
// still reserved (a collect from the artisan's home): a transfer movement.
func moveReserved(tx *Tx, lineID, from, to, reason string) error {
	var got []heldUnits
	if err := tx.Raw(`UPDATE reservations SET location_id = ?, updated_at = ? WHERE line_id = ? AND status = ? AND location_id = ?
RETURNING product_id, location_id, quantity`, to, tx.Now, lineID, reservationHeld, from).Scan(&got).Error; err != nil {
		return err
	}
	if len(got) == 0 {
		return apperr.New(apperr.Conflict, "order line %s holds nothing at %s to bring in", lineID, from)
	}
	u := got[0]
	out := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand - ?, reserved = reserved - ?, updated_at = ?
WHERE product_id = ? AND location_id = ? AND reserved >= ? AND on_hand >= ?`, u.Quantity, u.Quantity, tx.Now, u.ProductID, from, u.Quantity, u.Quantity)
	if out.Error != nil {
		return out.Error
	}
	if out.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, "the units reserved for line %s are no longer at %s", lineID, from)
	}
	if err := ensureLevel(tx, u.ProductID, to); err != nil {
		return err
	}
	if err := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand + ?, reserved = reserved + ?, updated_at = ? WHERE product_id = ? AND location_id = ?`,
		u.Quantity, u.Quantity, tx.Now, u.ProductID, to).Error; err != nil {
		return err
	}
	dest := to
	if err := insertMovement(tx, inventory.Movement{ID: ids.New(), ProductID: u.ProductID, LocationID: from, ToLocationID: &dest,
		Kind: inventory.KindTransfer, Quantity: u.Quantity, Reason: reason, ActorID: tx.Actor.ID, CreatedAt: tx.Now}); err != nil {
		return err
	}
	stockChanged(tx, u.ProductID, from, to)
	return nil
}

// intakeReserved takes a made piece in at a location and holds it for its
// line at once (a make task's piece arriving): an intake movement and a
// reservation, so no channel ever offers it.
func intakeReserved(tx *Tx, lineID, productID, locationID string, qty int64, reason string) error {
	if err := ensureLevel(tx, productID, locationID); err != nil {
		return err
	}
	ins := tx.Exec(`INSERT INTO reservations (id, line_id, product_id, location_id, quantity, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (line_id) DO NOTHING`, ids.New(), lineID, productID, locationID, qty, reservationHeld, tx.Now, tx.Now)
	if ins.Error != nil {
		return ins.Error
	}
	if ins.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, "order line %s already has its units", lineID)
	}
	if err := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand + ?, reserved = reserved + ?, updated_at = ? WHERE product_id = ? AND location_id = ?`,
		qty, qty, tx.Now, productID, locationID).Error; err != nil {
		return err
	}
	if err := insertMovement(tx, inventory.Movement{ID: ids.New(), ProductID: productID, LocationID: locationID,
		Kind: inventory.KindIntake, Quantity: qty, Reason: reason, ActorID: tx.Actor.ID, CreatedAt: tx.Now}); err != nil {
		return err
	}
	stockChanged(tx, productID, locationID)
	return nil
}

// applyMovement records a movement and applies each of its deltas to on
// hand by one conditional UPDATE whose WHERE clause is the rule (on hand
// never below what is reserved), so a refused movement changes nothing.
func applyMovement(tx *Tx, m inventory.Movement) error {
	if err := insertMovement(tx, m); err != nil {
		return err
	}
	for _, d := range m.Deltas() {
		if d.OnHand > 0 {
			if err := ensureLevel(tx, m.ProductID, d.LocationID); err != nil {
				return err
			}
		}
		res := tx.Exec(`UPDATE stock_levels SET on_hand = on_hand + ?, updated_at = ?
WHERE product_id = ? AND location_id = ? AND on_hand + ? >= reserved`, d.OnHand, tx.Now, m.ProductID, d.LocationID, d.OnHand)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return insufficient(tx, m.ProductID, d)
		}
	}
	return nil
}

// insertMovement appends a movement (the table refuses updates and deletes).
func insertMovement(tx *Tx, m inventory.Movement) error {
	return tx.Exec(`INSERT INTO stock_movements (id, product_id, location_id, to_location_id, kind, quantity, reason, actor_id, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.ProductID, m.LocationID, m.ToLocationID, m.Kind, m.Quantity, m.Reason, m.ActorID, m.CreatedAt.UTC()).Error
}

// insufficient explains a refused decrease with the numbers behind it.
func insufficient(tx *Tx, productID string, d inventory.Delta) error {
	var lvl []stockLevelRow
	if err := tx.Where("product_id = ? AND location_id = ?", productID, d.LocationID).Limit(1).Find(&lvl).Error; err != nil {
		return err
	}
	var onHand, reserved int64
	if len(lvl) == 1 {
		onHand, reserved = lvl[0].OnHand, lvl[0].Reserved
	}
	return apperr.New(apperr.Conflict,
		"not enough stock at location %s: on hand %d, reserved %d, so at most %d can leave; asked for %d",
		d.LocationID, onHand, reserved, onHand-reserved, -d.OnHand)
}

// stockReason names an order line in a movement's reason.
func stockReason(format string, args ...any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...))
}
