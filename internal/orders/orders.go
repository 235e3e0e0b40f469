// Package orders takes marketplace orders in: each order line exactly once,
// whatever the marketplace repeats or the workers retry (DESIGN.md
// invariant 1), with its stock reserved at once so that every other channel
// offers one less (invariant 2), and routed to the showroom that will ship
// it and the artisan who made it.
package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Order statuses as the marketplaces report them, normalised.
const (
	StatusOpen            = "open"
	StatusAwaitingMapping = "awaiting_mapping"
	StatusCancelled       = "cancelled"
	StatusShipped         = "shipped"
	StatusDelivered       = "delivered"
	StatusReturned        = "returned"
)

// Incoming is an order as an adapter normalised it from a marketplace's
// answer. UpdatedAt is the marketplace's own last-change time: an update
// older than what is stored changes nothing.
type Incoming struct {
	ChannelID       string
	ExternalOrderID string
	Status          string
	OrderedAt       time.Time
	UpdatedAt       time.Time
	DispatchBy      *time.Time
	Lines           []IncomingLine
}

// IncomingLine is one line of an incoming order.
type IncomingLine struct {
	ExternalLineID string
	SKU            string
	Quantity       int64
	UnitPricePaise int64
	// ExternalShipmentID and ExternalLocationID are what the marketplace
	// acts on when told the line is packed or dispatched (Flipkart's
	// shipment at its location); empty where the marketplace has none.
	ExternalShipmentID string
	ExternalLocationID string
	// Status is the line's own state at the marketplace, normalised to one
	// of the order statuses (Flipkart reports state per order item, so one
	// item of a shipment can be cancelled while another ships); empty means
	// the order's Status.
	Status string
	// MarketplaceStatus is the marketplace's own word for that state
	// (Flipkart's READY_TO_DISPATCH, Amazon's Unshipped), kept for people.
	MarketplaceStatus string
	// UpdatedAt is when the marketplace last changed this line: staleness is
	// judged per line. Zero means the order's UpdatedAt.
	UpdatedAt time.Time
}

// Unreadable is an order, or one item of it, that an adapter could not
// read (a quantity or price out of range, an unknown status, a bad date).
// Nothing from a marketplace is dropped unseen: each becomes a missed_order
// exception holding the raw payload, for a person to see and retry.
type Unreadable struct {
	// ExternalOrderID and ExternalLineID are what could be read of the
	// order's identity; either may be empty.
	ExternalOrderID string
	ExternalLineID  string
	// Reason says what could not be read, in words an operator follows.
	Reason string
	// Payload is the order or item as the marketplace sent it; the store
	// keeps at most exceptions.MaxPayloadBytes of it.
	Payload []byte
}

// MaxLines bounds one order; no marketplace order of handicrafts has more.
const MaxLines = 500

// Validate refuses what no marketplace would send: it is untrusted input.
func (in Incoming) Validate() error {
	fe := apperr.FieldErrors{}
	text := func(field, v string, max int) {
		if strings.TrimSpace(v) == "" || len(v) > max {
			fe.Add(field, "is required, at most %d characters", max)
		}
	}
	text("channel_id", in.ChannelID, 64)
	text("external_order_id", in.ExternalOrderID, 128)
	if !slices.Contains(IncomingStatuses, in.Status) {
		fe.Add("status", "must be one of %s", strings.Join(IncomingStatuses, ", "))
	}
	if in.OrderedAt.IsZero() || in.UpdatedAt.IsZero() {
		fe.Add("updated_at", "ordered and updated times are required")
	}
	if len(in.Lines) == 0 || len(in.Lines) > MaxLines {
		fe.Add("lines", "an order has 1 to %d lines", MaxLines)
	}
	seen := map[string]bool{}
	for _, l := range in.Lines {
		text("lines.external_line_id", l.ExternalLineID, 128)
		text("lines.sku", l.SKU, 64)
		if seen[l.ExternalLineID] {
			fe.Add("lines.external_line_id", "repeats within the order")
		}
		seen[l.ExternalLineID] = true
		if !money.QuantityOK(l.Quantity) {
			fe.Add("lines.quantity", "must be between 1 and %d", money.MaxQuantity)
		}
		if l.Status != "" && !slices.Contains(IncomingStatuses, l.Status) {
			fe.Add("lines.status", "must be one of %s", strings.Join(IncomingStatuses, ", "))
		}
		if len(l.MarketplaceStatus) > 64 {
			fe.Add("lines.marketplace_status", "at most 64 characters")
		}
		if len(l.ExternalShipmentID) > 128 || len(l.ExternalLocationID) > 128 {
			fe.Add("lines.external_shipment_id", "at most 128 characters")
		}
		if !money.PriceOK(l.UnitPricePaise) {
			fe.Add("lines.unit_price_paise", "must be between 0 and %d paise", money.MaxPricePaise)
		}
	}
	return fe.Err()
}

// Result says what one ingestion did.
type Result struct {
	OrderID  string
	Created  bool // the order was new
	Stale    bool // older than what is stored: nothing changed
	NewLines int
	Reserved int
	Oversold int
	Unmapped int
	ToMake   int // lines its maker will make (made to order)
	Released int // reservations released by a cancellation
}

// ImportSummary says what importing a file of orders did.
type ImportSummary struct {
	Orders   int `json:"orders"`
	Created  int `json:"created"`
	Stale    int `json:"stale"`
	NewLines int `json:"new_lines"`
	Reserved int `json:"reserved"`
	Oversold int `json:"oversold"`
	Unmapped int `json:"unmapped"`
	ToMake   int `json:"to_make"`
	Released int `json:"released"`
}

// Add counts one ingestion.
func (s *ImportSummary) Add(r Result) {
	s.Orders++
	if r.Created {
		s.Created++
	}
	if r.Stale {
		s.Stale++
	}
	s.NewLines += r.NewLines
	s.Reserved += r.Reserved
	s.Oversold += r.Oversold
	s.Unmapped += r.Unmapped
	s.ToMake += r.ToMake
	s.Released += r.Released
}

// Store ingests an order in one transaction: the order and its new lines,
// each line's reservation by conditional update, its fulfilment task, the
// exceptions for unmapped or oversold lines, and the outbox events that
// make every channel offer the new quantity.
type Store interface {
	Ingest(ctx context.Context, in Incoming, now time.Time) (Result, error)
	ListOrders(ctx context.Context, f Filter, p paging.Request) (paging.Page[Order], error)
	GetOrder(ctx context.Context, id string) (Order, error)
	// Cancel cancels an order none of whose lines is packed yet, or
	// returns Conflict.
	Cancel(ctx context.Context, id, reason string, now time.Time) (Order, error)
	// RecordImport puts on record who imported an order file and what it did.
	RecordImport(ctx context.Context, channelID, digest string, sum ImportSummary, now time.Time) error
	// RecordReturn records a return of a shipped line, within what was shipped.
	RecordReturn(ctx context.Context, orderID string, r ReturnRequest, now time.Time) (Return, error)
}

// Service applies the rules.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns an order service; now may be nil.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

// Ingest takes an order in; repeating it is harmless.
func (s *Service) Ingest(ctx context.Context, in Incoming) (Result, error) {
	in.ExternalOrderID = strings.TrimSpace(in.ExternalOrderID)
	for i := range in.Lines {
		in.Lines[i].SKU = strings.TrimSpace(in.Lines[i].SKU)
		in.Lines[i].ExternalLineID = strings.TrimSpace(in.Lines[i].ExternalLineID)
	}
	if err := in.Validate(); err != nil {
		return Result{}, err
	}
	in.OrderedAt, in.UpdatedAt = in.OrderedAt.UTC(), in.UpdatedAt.UTC()
	for i := range in.Lines {
		in.Lines[i].UpdatedAt = in.Lines[i].UpdatedAt.UTC()
	}
	return s.store.Ingest(ctx, in, s.now().UTC())
}

// RecordImport audits an order file a person imported (its SHA-256 and
// what it did): the orders themselves were taken in one by one.
func (s *Service) RecordImport(ctx context.Context, channelID string, data []byte, sum ImportSummary) error {
	digest := sha256.Sum256(data)
	return s.store.RecordImport(ctx, channelID, hex.EncodeToString(digest[:]), sum, s.now().UTC())
}

// Order is an order as operations see it.
type Order struct {
	ID              string     `json:"id"`
	ChannelID       string     `json:"channel_id"`
	ExternalOrderID string     `json:"external_order_id"`
	Status          string     `json:"status"`
	OrderedAt       time.Time  `json:"ordered_at"`
	UpdatedAt       time.Time  `json:"external_updated_at"`
	DispatchBy      *time.Time `json:"dispatch_by"`
	Lines           []Line     `json:"lines"`
	CreatedAt       time.Time  `json:"created_at"`
}

// Line is one order line with its product, maker, source and task.
type Line struct {
	ID             string     `json:"id"`
	ExternalLineID string     `json:"external_line_id"`
	SKU            string     `json:"sku"`
	ProductID      *string    `json:"product_id"`
	ArtisanID      *string    `json:"artisan_id"`
	Quantity       int64      `json:"quantity"`
	UnitPricePaise int64      `json:"unit_price_paise"`
	Status         LineStatus `json:"status"`
	// MarketplaceStatus, MarketplaceState and MarketplaceUpdatedAt are the
	// line's state as its marketplace last reported it (normalised, in the
	// marketplace's own word, and when).
	MarketplaceStatus    string     `json:"marketplace_status"`
	MarketplaceState     string     `json:"marketplace_state"`
	MarketplaceUpdatedAt *time.Time `json:"marketplace_updated_at"`
	LocationID           *string    `json:"location_id"`
	ReservationStatus    *string    `json:"reservation_status"`
	ReturnedQuantity     int64      `json:"returned_quantity"`
	DeliveredAt          *time.Time `json:"delivered_at"`
	TaskID               *string    `json:"fulfilment_task_id"`
}

// Filter narrows GET /orders.
type Filter struct {
	ChannelID string
	Status    string
}

// List lists orders with their lines.
func (s *Service) List(ctx context.Context, f Filter, p paging.Request) (paging.Page[Order], error) {
	return s.store.ListOrders(ctx, f, p)
}

// Get returns one order with its lines.
func (s *Service) Get(ctx context.Context, id string) (Order, error) {
	return s.store.GetOrder(ctx, id)
}

// TopicOrderCancelled tells the marketplace an order operations cancelled.
const TopicOrderCancelled = "orders.cancelled"

// Cancelled is its payload.
type Cancelled struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"`
}

// CancelRequest is the body of POST /orders/{id}/cancel.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// Cancel cancels an order before anything of it is packed: its
// reservations go back to every channel, its tasks stop, and the
// marketplace is told. A packed or dispatched order is the marketplace's
// to cancel (a packed parcel comes back through its cancellation, a
// dispatched one as a courier return).
func (s *Service) Cancel(ctx context.Context, id string, req CancelRequest) (Order, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" || len(req.Reason) > 500 {
		return Order{}, apperr.FieldErrors{"reason": "say why (at most 500 characters): the marketplace is told"}.Err()
	}
	return s.store.Cancel(ctx, id, req.Reason, s.now().UTC())
}

// Return dispositions and sources.
const (
	Restock = "restock"
	Damaged = "damaged"
)

// ReturnRequest is the body of POST /orders/{id}/returns: goods that came
// back, from the buyer (customer) or undelivered (courier), put back on a
// shelf or recorded as damaged.
type ReturnRequest struct {
	LineID      string `json:"line_id"`
	Quantity    int64  `json:"quantity"`
	Source      string `json:"source"`
	Disposition string `json:"disposition"`
	LocationID  string `json:"location_id"`
	Reason      string `json:"reason"`
}

// Return is a return received.
type Return struct {
	ID          string    `json:"id"`
	OrderID     string    `json:"order_id"`
	LineID      string    `json:"line_id"`
	Quantity    int64     `json:"quantity"`
	Source      string    `json:"source"`
	Disposition string    `json:"disposition"`
	LocationID  string    `json:"location_id"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate checks the request's shape; the store checks it against the line.
func (r ReturnRequest) Validate() error {
	fe := apperr.FieldErrors{}
	if strings.TrimSpace(r.LineID) == "" {
		fe.Add("line_id", "is required")
	}
	if r.Quantity <= 0 || r.Quantity > 10000 {
		fe.Add("quantity", "must be between 1 and 10000")
	}
	if r.Source != "customer" && r.Source != "courier" {
		fe.Add("source", "must be customer or courier")
	}
	if r.Disposition != Restock && r.Disposition != Damaged {
		fe.Add("disposition", "must be restock or damaged")
	}
	if strings.TrimSpace(r.LocationID) == "" {
		fe.Add("location_id", "is required: where the goods were received")
	}
	if len(r.Reason) > 500 {
		fe.Add("reason", "at most 500 characters")
	}
	return fe.Err()
}

// RecordReturn counts returned goods back in: a return movement to the
// location, then a damage movement out of it if they cannot be sold.
func (s *Service) RecordReturn(ctx context.Context, orderID string, r ReturnRequest) (Return, error) {
	r.LineID, r.LocationID, r.Reason = strings.TrimSpace(r.LineID), strings.TrimSpace(r.LocationID), strings.TrimSpace(r.Reason)
	if err := r.Validate(); err != nil {
		return Return{}, err
	}
	return s.store.RecordReturn(ctx, orderID, r, s.now().UTC())
}
