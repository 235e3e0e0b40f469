package adapters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// Limits of the text an order carries, as ingestion takes it.
const (
	MaxIDBytes  = 128
	MaxSKUBytes = 64
)

// lineStatuses are the normalised states a line may carry.
var lineStatuses = []string{orders.StatusOpen, orders.StatusShipped, orders.StatusDelivered, orders.StatusReturned, orders.StatusCancelled}

// Text reports whether s is text a person and the database can hold: valid
// UTF-8 without control characters, not blank, at most max bytes.
func Text(s string, max int) bool {
	if strings.TrimSpace(s) == "" || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// ID returns s if it can serve as an order or item id, else "": an
// unreadable entry names what could be read of its identity, nothing more.
func ID(s string) string {
	if Text(s, MaxIDBytes) {
		return s
	}
	return ""
}

// OrderFacts are what one item says about its order.
type OrderFacts struct {
	ExternalOrderID string
	OrderedAt       time.Time
	DispatchBy      *time.Time
}

// LineRef names one item of one order.
type LineRef struct{ OrderID, LineID string }

type intakeLine struct {
	facts   OrderFacts
	line    orders.IncomingLine
	payload []byte
}

// Intake gathers one marketplace answer into orders and the entries it
// could not read, so that an adapter never drops an item unseen: each item
// it is given ends as a line of an order, an unreadable entry, or a verbatim
// repeat of an item already taken (counted in Repeats).
type Intake struct {
	byOrder    map[string][]intakeLine
	seen       map[LineRef]intakeLine
	unreadable []orders.Unreadable
	repeats    []LineRef
}

// Unreadable records what could not be read, with the raw payload.
func (in *Intake) Unreadable(orderID, lineID, reason string, payload []byte) {
	if len(payload) == 0 {
		payload = []byte("null")
	}
	in.unreadable = append(in.unreadable, orders.Unreadable{ExternalOrderID: ID(strings.TrimSpace(orderID)), ExternalLineID: ID(strings.TrimSpace(lineID)),
		Reason: reason, Payload: payload})
}

// Add takes one item the adapter read: a line within every bound becomes a
// line of its order; anything else becomes an unreadable entry with
// payload. The same item met again is a repeat when it reads the same, and
// unreadable when it does not (the first reading stands).
func (in *Intake) Add(o OrderFacts, l orders.IncomingLine, payload []byte) {
	// Ingestion trims ids and SKUs: two items that differ only in spaces
	// are the same item.
	o.ExternalOrderID = strings.TrimSpace(o.ExternalOrderID)
	l.ExternalLineID, l.SKU = strings.TrimSpace(l.ExternalLineID), strings.TrimSpace(l.SKU)
	if reason := checkLine(o, l); reason != "" {
		in.Unreadable(o.ExternalOrderID, l.ExternalLineID, reason, payload)
		return
	}
	if in.byOrder == nil {
		in.byOrder, in.seen = map[string][]intakeLine{}, map[LineRef]intakeLine{}
	}
	ref := LineRef{o.ExternalOrderID, l.ExternalLineID}
	if first, dup := in.seen[ref]; dup {
		if sameLine(first, intakeLine{facts: o, line: l}) {
			in.repeats = append(in.repeats, ref)
			return
		}
		in.Unreadable(o.ExternalOrderID, l.ExternalLineID, "the item appears twice in the marketplace's answer with different "+
			"content; the first reading was taken in and this one was not", payload)
		return
	}
	if len(in.byOrder[o.ExternalOrderID]) >= orders.MaxLines {
		in.Unreadable(o.ExternalOrderID, l.ExternalLineID, fmt.Sprintf("the order has more than %d items, the most one order may hold; "+
			"this item was not taken in", orders.MaxLines), payload)
		return
	}
	il := intakeLine{facts: o, line: l, payload: payload}
	in.seen[ref] = il
	in.byOrder[o.ExternalOrderID] = append(in.byOrder[o.ExternalOrderID], il)
}

func sameLine(a, b intakeLine) bool {
	sameTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	la, lb := a.line, b.line
	return la.SKU == lb.SKU && la.Quantity == lb.Quantity && la.UnitPricePaise == lb.UnitPricePaise && la.Status == lb.Status &&
		la.MarketplaceStatus == lb.MarketplaceStatus && la.UpdatedAt.Equal(lb.UpdatedAt) && la.ExternalShipmentID == lb.ExternalShipmentID &&
		la.ExternalLocationID == lb.ExternalLocationID && a.facts.OrderedAt.Equal(b.facts.OrderedAt) && sameTime(a.facts.DispatchBy, b.facts.DispatchBy)
}

// checkLine says what keeps a line out, in words an operator follows, or "".
func checkLine(o OrderFacts, l orders.IncomingLine) string {
	var why []string
	if !Text(o.ExternalOrderID, MaxIDBytes) {
		why = append(why, fmt.Sprintf("the order id is missing, not text or longer than %d bytes", MaxIDBytes))
	}
	if !Text(l.ExternalLineID, MaxIDBytes) {
		why = append(why, fmt.Sprintf("the item id is missing, not text or longer than %d bytes", MaxIDBytes))
	}
	if !Text(l.SKU, MaxSKUBytes) {
		why = append(why, fmt.Sprintf("the SKU is missing, not text or longer than %d bytes", MaxSKUBytes))
	}
	if !money.QuantityOK(l.Quantity) {
		why = append(why, fmt.Sprintf("quantity %d is not between 1 and %d", l.Quantity, money.MaxQuantity))
	}
	if !money.PriceOK(l.UnitPricePaise) {
		why = append(why, fmt.Sprintf("unit price %s rupees is not between 0 and %s", money.Format(l.UnitPricePaise), money.Format(money.MaxPricePaise)))
	}
	if !slices.Contains(lineStatuses, l.Status) {
		why = append(why, fmt.Sprintf("state %q is not one of %s", l.Status, strings.Join(lineStatuses, ", ")))
	}
	if o.OrderedAt.IsZero() || l.UpdatedAt.IsZero() {
		why = append(why, "the order and update times are required")
	}
	for _, id := range []string{l.ExternalShipmentID, l.ExternalLocationID} {
		if id != "" && !Text(id, MaxIDBytes) {
			why = append(why, fmt.Sprintf("a shipment or location id is not text or longer than %d bytes", MaxIDBytes))
			break
		}
	}
	return strings.Join(why, "; ")
}

// Repeats lists the items met more than once, reading the same each time.
func (in *Intake) Repeats() []LineRef { return in.repeats }

// Page returns the orders, sorted by id, each with its order-level state
// summarised from its lines (Summarise), and every unreadable entry in the
// order met. An order ingestion would still refuse becomes unreadable
// entries, one per item, so that every order returned passes Validate.
func (in *Intake) Page() ([]orders.Incoming, []orders.Unreadable) {
	ids := make([]string, 0, len(in.byOrder))
	for id := range in.byOrder {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]orders.Incoming, 0, len(ids))
	unreadable := slices.Clone(in.unreadable)
	for _, id := range ids {
		lines := in.byOrder[id]
		o := orders.Incoming{ExternalOrderID: id}
		for _, il := range lines {
			if o.OrderedAt.IsZero() || il.facts.OrderedAt.Before(o.OrderedAt) {
				o.OrderedAt = il.facts.OrderedAt.UTC()
			}
			if d := il.facts.DispatchBy; d != nil && (o.DispatchBy == nil || d.Before(*o.DispatchBy)) {
				utc := d.UTC()
				o.DispatchBy = &utc
			}
			l := il.line
			l.UpdatedAt = l.UpdatedAt.UTC()
			o.Lines = append(o.Lines, l)
		}
		Summarise(&o)
		check := o
		if check.ChannelID == "" {
			check.ChannelID = "channel" // the puller sets it
		}
		if err := check.Validate(); err != nil {
			for _, il := range lines {
				unreadable = append(unreadable, orders.Unreadable{ExternalOrderID: ID(id), ExternalLineID: ID(il.line.ExternalLineID),
					Reason: "ingestion would refuse the order: " + err.Error(), Payload: il.payload})
			}
			continue
		}
		out = append(out, o)
	}
	return out, unreadable
}

// statusRank orders line states for the order's summary: an order is open
// while any line is still to be dispatched, and cancelled only when every
// line is.
var statusRank = map[string]int{orders.StatusOpen: 0, orders.StatusShipped: 1, orders.StatusDelivered: 2, orders.StatusReturned: 3, orders.StatusCancelled: 4}

// Summarise fills the order-level Status and UpdatedAt from the lines: the
// least advanced state of any line (open before shipped before delivered
// before returned before cancelled) and the latest line change. Lines
// keep their own state; the order's is what people read first.
func Summarise(o *orders.Incoming) {
	status := ""
	for _, l := range o.Lines {
		if l.Status != "" && (status == "" || statusRank[l.Status] < statusRank[status]) {
			status = l.Status
		}
		if l.UpdatedAt.After(o.UpdatedAt) {
			o.UpdatedAt = l.UpdatedAt
		}
	}
	if status != "" {
		o.Status = status
	}
}

// Object is a JSON object read by exact key. Go's decoder matches struct
// fields case-insensitively, which no marketplace's contract does: reading
// by exact key keeps what is counted and what is read the same thing.
type Object map[string]json.RawMessage

// ParseObject reads raw as a JSON object.
func ParseObject(raw []byte) (Object, error) {
	var o Object
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return o, nil
}

// Get reads key into v; an absent key or null leaves v as it is. The error
// names the key and what it should have held.
func (o Object) Get(key string, v any) error {
	raw, ok := o[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s is not %s", key, kindOf(v))
	}
	return nil
}

// Has reports whether key is present and not null.
func (o Object) Has(key string) bool {
	raw, ok := o[key]
	return ok && string(raw) != "null"
}

func kindOf(v any) string {
	switch v.(type) {
	case *string:
		return "text"
	case *int64, *int:
		return "a whole number"
	case *json.Number:
		return "a number"
	case *bool:
		return "true or false"
	case *[]json.RawMessage:
		return "a list"
	case *Object:
		return "an object"
	}
	return "of the expected type"
}

// With returns o as JSON with key set to raw: the payload of an item kept
// inside its shipment or order, so that it can be read again alone.
func (o Object) With(key string, raw json.RawMessage) []byte {
	c := make(Object, len(o))
	for k, v := range o {
		c[k] = v
	}
	c[key] = raw
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ListOf returns items as one JSON list.
func ListOf(items ...json.RawMessage) json.RawMessage {
	parts := make([][]byte, len(items))
	for i, it := range items {
		parts[i] = it
	}
	return json.RawMessage("[" + string(bytes.Join(parts, []byte(","))) + "]")
}

// ParseTime reads an RFC 3339 time as marketplaces send them.
func ParseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", field, truncate(v, 40))
	}
	return t.UTC(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Quote shows untrusted text in a reason: at most n bytes, quoted.
func Quote(s string, n int) string { return fmt.Sprintf("%q", truncate(s, n)) }
