package orders

import (
	"slices"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// LineStatus is where an order line's stock stands.
type LineStatus string

// Line statuses (the CHECK of order_lines.status lists the same; a test
// compares them).
const (
	LineAwaitingMapping LineStatus = "awaiting_mapping" // its SKU is not in the catalogue yet
	LineReserved        LineStatus = "reserved"         // units held for it (showroom, or at the artisan's to collect)
	LineToMake          LineStatus = "to_make"          // its maker is making the piece
	LineOversold        LineStatus = "oversold"         // nothing covers it: an exception says what to do
	LineCancelled       LineStatus = "cancelled"
	LineShipped         LineStatus = "shipped"
	LineDelivered       LineStatus = "delivered"
	LineReturned        LineStatus = "returned"
)

// LineStatuses lists every line status.
var LineStatuses = []LineStatus{LineAwaitingMapping, LineReserved, LineToMake, LineOversold, LineCancelled, LineShipped, LineDelivered, LineReturned}

// BeforeDispatch are the statuses of a line nothing of which has left us:
// a cancellation gives back what it holds.
var BeforeDispatch = []LineStatus{LineAwaitingMapping, LineReserved, LineToMake, LineOversold}

// Shipped are the statuses of a line that left us: only these can come back.
var Shipped = []LineStatus{LineShipped, LineDelivered, LineReturned}

// IncomingStatuses are the normalised statuses a marketplace reports.
var IncomingStatuses = []string{StatusOpen, StatusCancelled, StatusShipped, StatusDelivered, StatusReturned}

// StoredLine is what is held of one line when the marketplace reports on
// its order again.
type StoredLine struct {
	ID             string
	ExternalLineID string
	Status         LineStatus
	// MarketplaceStatus and MarketplaceUpdatedAt are the marketplace's
	// state of the line as last applied.
	MarketplaceStatus    string
	MarketplaceUpdatedAt time.Time
	// Held says a reservation is held for the line.
	Held bool
}

// Snapshot is what a plan is made against: the order's stored lines (by
// external line id) and which of the incoming SKUs the catalogue knows.
type Snapshot struct {
	Lines  map[string]StoredLine
	Mapped map[string]bool
}

// ActionKind is what happens to one line.
type ActionKind string

const (
	// ActInsertRoute takes a new line in and routes it: stock reserved at its
	// source, a task for whoever fetches or makes it.
	ActInsertRoute ActionKind = "insert_route"
	// ActInsertAwaiting takes in a new line whose SKU is unknown: it waits as
	// awaiting_mapping and resumes once the product exists.
	ActInsertAwaiting ActionKind = "insert_awaiting_mapping"
	// ActInsertCancelled records a new line the marketplace already
	// cancelled: nothing is held for it.
	ActInsertCancelled ActionKind = "insert_cancelled"
	// ActInsertElsewhere records a new line first seen past dispatch: it was
	// fulfilled outside artisanbridge, so nothing is reserved or routed,
	// and staff are asked to record the stock that left.
	ActInsertElsewhere ActionKind = "insert_fulfilled_elsewhere"
	// ActRelease gives back what a cancelled line holds and stops its task.
	ActRelease ActionKind = "release"
	// ActShip takes the held units off the shelf: the marketplace has the
	// piece, whether or not staff marked the dispatch here.
	ActShip ActionKind = "ship"
	// ActShipUnheld notes a shipment of a line that held nothing (oversold,
	// being made, unmapped): it left from outside our stock.
	ActShipUnheld ActionKind = "ship_unheld"
	// ActDeliver marks a shipped line delivered (its return window starts).
	ActDeliver ActionKind = "deliver"
	// ActReturn marks a line the buyer is sending back; the goods are counted
	// in when they arrive (RecordReturn).
	ActReturn ActionKind = "return"
	// ActRecord keeps the marketplace's newer state and changes nothing else.
	ActRecord ActionKind = "record"
	// ActStale ignores an update older than what is stored.
	ActStale ActionKind = "stale"
)

// LineAction is the plan for one incoming line. Line carries the line's
// effective status and update time (the order's where the line has none).
type LineAction struct {
	Kind   ActionKind
	Line   IncomingLine
	Stored StoredLine // zero for a new line
	// To is the line's status after the action.
	To LineStatus
}

// Changes says whether the action writes anything.
func (a LineAction) Changes() bool { return a.Kind != ActStale }

// Plan decides, line by line, what an incoming order does to what is
// stored: every line is judged against its own stored marketplace state and
// time, so one item cancelled beside a live one releases only itself, and an
// older report of one line never hides a newer report of another. A line
// may get two actions (a delivery reported for a line we never saw shipped
// ships it first). Plan is pure: the store loads the snapshot, applies the
// actions in one transaction, and decides nothing.
func Plan(s Snapshot, in Incoming) []LineAction {
	out := make([]LineAction, 0, len(in.Lines))
	for _, l := range in.Lines {
		if l.Status == "" {
			l.Status = in.Status
		}
		if l.UpdatedAt.IsZero() {
			l.UpdatedAt = in.UpdatedAt
		}
		stored, ok := s.Lines[l.ExternalLineID]
		if !ok {
			out = append(out, planNew(l, s.Mapped[l.SKU]))
			continue
		}
		out = append(out, planExisting(stored, l)...)
	}
	return out
}

func planNew(l IncomingLine, mapped bool) LineAction {
	a := LineAction{Line: l}
	switch {
	case l.Status == StatusCancelled:
		a.Kind, a.To = ActInsertCancelled, LineCancelled
	case l.Status == StatusShipped || l.Status == StatusDelivered || l.Status == StatusReturned:
		a.Kind, a.To = ActInsertElsewhere, LineStatus(l.Status)
	case !mapped:
		a.Kind, a.To = ActInsertAwaiting, LineAwaitingMapping
	default:
		a.Kind, a.To = ActInsertRoute, LineReserved // routing may make it to_make or oversold
	}
	return a
}

// progress ranks marketplace states in the order a line lives them, so
// that a second report with the same timestamp applies only if it moves
// the line on (marketplaces stamp to the second).
var progress = map[string]int{StatusOpen: 0, StatusShipped: 1, StatusDelivered: 2, StatusReturned: 3, StatusCancelled: 4}

// Newer says whether an incoming report of a line supersedes the stored
// one: a later time, or the same time and a state further on.
func Newer(stored StoredLine, status string, updatedAt time.Time) bool {
	switch {
	case updatedAt.After(stored.MarketplaceUpdatedAt):
		return true
	case updatedAt.Equal(stored.MarketplaceUpdatedAt):
		return progress[status] > progress[stored.MarketplaceStatus]
	}
	return false
}

func planExisting(st StoredLine, l IncomingLine) []LineAction {
	act := func(k ActionKind, to LineStatus) LineAction { return LineAction{Kind: k, Line: l, Stored: st, To: to} }
	if !Newer(st, l.Status, l.UpdatedAt) {
		return []LineAction{act(ActStale, st.Status)}
	}
	before := slices.Contains(BeforeDispatch, st.Status)
	ship := func() LineAction {
		if st.Status == LineReserved && st.Held {
			return act(ActShip, LineShipped)
		}
		return act(ActShipUnheld, LineShipped)
	}
	switch l.Status {
	case StatusCancelled:
		if before {
			return []LineAction{act(ActRelease, LineCancelled)}
		}
	case StatusShipped:
		if before {
			return []LineAction{ship()}
		}
	case StatusDelivered:
		switch {
		case before:
			return []LineAction{ship(), act(ActDeliver, LineDelivered)}
		case st.Status == LineShipped:
			return []LineAction{act(ActDeliver, LineDelivered)}
		}
	case StatusReturned:
		switch {
		case before:
			return []LineAction{ship(), act(ActReturn, LineReturned)}
		case st.Status == LineShipped || st.Status == LineDelivered:
			return []LineAction{act(ActReturn, LineReturned)}
		}
	}
	// Open again, a cancellation after dispatch (the parcel comes back as a
	// courier return), or a state the line already passed: keep the
	// marketplace's word, change nothing of ours.
	return []LineAction{act(ActRecord, st.Status)}
}

// OrderStatus is an order's status from its lines' statuses: cancelled
// when every line is; awaiting_mapping while any line waits for its SKU;
// otherwise as far on as its least advanced live line.
func OrderStatus(lines []LineStatus) string {
	live := make([]LineStatus, 0, len(lines))
	for _, l := range lines {
		if l == LineAwaitingMapping {
			return StatusAwaitingMapping
		}
		if l != LineCancelled {
			live = append(live, l)
		}
	}
	if len(lines) > 0 && len(live) == 0 {
		return StatusCancelled
	}
	all := func(in ...LineStatus) bool {
		for _, l := range live {
			if !slices.Contains(in, l) {
				return false
			}
		}
		return len(live) > 0
	}
	switch {
	case all(LineReturned):
		return StatusReturned
	case all(LineDelivered, LineReturned):
		return StatusDelivered
	case all(LineShipped, LineDelivered, LineReturned):
		return StatusShipped
	}
	return StatusOpen
}

// CancelLine is what a cancellation by operations needs to know of a line.
type CancelLine struct {
	ExternalLineID string
	Status         LineStatus
	TaskStatus     string // "" when the line has no task
}

// tasksPastPacking are the task states after which the parcel is the
// marketplace's to cancel.
var tasksPastPacking = []string{"packed", "dispatched", "delivered"}

// CanCancel says whether operations may cancel an order with these lines:
// only before anything of it is packed, and not twice. After packing, the
// marketplace cancels (its cancellation releases the stock) or the goods
// come back as a return.
func CanCancel(orderStatus string, lines []CancelLine) error {
	if orderStatus == StatusCancelled {
		return conflictf("the order is already cancelled")
	}
	for _, l := range lines {
		if slices.Contains(tasksPastPacking, l.TaskStatus) || slices.Contains(Shipped, l.Status) {
			state := string(l.Status)
			if l.TaskStatus != "" && !slices.Contains(Shipped, l.Status) {
				state = l.TaskStatus
			}
			return conflictf("line %s is already %s: after packing, an order is cancelled on the marketplace (its cancellation releases the stock) or comes back as a return",
				l.ExternalLineID, state)
		}
	}
	return nil
}

// ReturnLine is what a return needs to know of a line.
type ReturnLine struct {
	ID               string
	Status           LineStatus
	HasProduct       bool
	Quantity         int64
	ReturnedQuantity int64
}

// CheckReturn says whether qty more units of a line may come back: only a
// line that was shipped, and never more than shipped in all. The store
// repeats the rule as the condition of the UPDATE that counts the return,
// so that concurrent returns cannot pass it together.
func CheckReturn(l ReturnLine, qty int64) error {
	if !l.HasProduct || !slices.Contains(Shipped, l.Status) {
		return conflictf("line %s is %s: only what was shipped can come back", l.ID, l.Status)
	}
	if l.ReturnedQuantity+qty > l.Quantity {
		return conflictf("line %s shipped %d and %d came back already; %d more cannot", l.ID, l.Quantity, l.ReturnedQuantity, qty)
	}
	return nil
}

func conflictf(format string, args ...any) error { return apperr.New(apperr.Conflict, format, args...) }
