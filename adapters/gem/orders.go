package gem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/money"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// MaxOrderRows bounds one order file.
const MaxOrderRows = 10000

// OrderColumns is the order file as staff download it from the portal
// (and as the simulator exports it). Item ID tells lines of one order apart.
var OrderColumns = []string{"Order ID", "Item ID", "Order Date", "Last Updated", "Delivery By", "Model/SKU", "Quantity", "Unit Price (INR)", "Status"}

// orderStatus maps the portal's order states to ours.
var orderStatus = map[string]string{
	"new": orders.StatusOpen, "accepted": orders.StatusOpen, "cancelled": orders.StatusCancelled,
	"dispatched": orders.StatusShipped, "supplied": orders.StatusShipped, "delivered": orders.StatusDelivered,
	"crac issued": orders.StatusDelivered, "returned": orders.StatusReturned, "rejected": orders.StatusReturned,
}

// OrderFile is what an order file held: its orders, each row a line with
// its own state and last update, and every row that could not be read,
// with the row as its payload.
type OrderFile struct {
	Orders     []orders.Incoming
	Unreadable []orders.Unreadable
	// Repeats are rows that repeat another row of the same order item.
	Repeats []adapters.LineRef
	// cells names the bad cells of each unreadable row.
	cells map[int][]RowError
}

// rowPayload is an unreadable row as kept: its line and cells by column.
type rowPayload struct {
	Row   int               `json:"row"`
	Cells map[string]string `json:"cells"`
}

// ParseOrderFile reads the portal's order file (CSV or XLSX, columns by
// name in any order) into orders for channelID. Dates are RFC 3339 or
// YYYY-MM-DD (taken as IST midnight). Each row is one order item with its
// own status and last update; a row that cannot be read is an unreadable
// entry, never skipped. Only a file that cannot be read as a table is an
// error.
func ParseOrderFile(channelID string, data []byte) (OrderFile, error) {
	t, err := ReadTable(data, MaxOrderRows, "order_id", "item_id", "order_date", "last_updated|order_date", "model/sku|sku", "quantity",
		"unit_price_(inr)|unit_price", "status")
	if err != nil {
		return OrderFile{}, err
	}
	f := OrderFile{cells: map[int][]RowError{}}
	var in adapters.Intake
	for _, r := range t.Rows {
		var bad []RowError
		id := t.Get(r, "order_id")
		if id == "" || len(id) > adapters.MaxIDBytes {
			bad = append(bad, RowError{r.Line, "Order ID", "is required (at most 128 characters)"})
		}
		item := t.Get(r, "item_id")
		if item == "" || len(item) > adapters.MaxIDBytes {
			bad = append(bad, RowError{r.Line, "Item ID", "is required (at most 128 characters)"})
		}
		ordered, err1 := parseDate(t.Get(r, "order_date"))
		updated, err2 := parseDate(t.Get(r, "last_updated"))
		if err1 != nil {
			bad = append(bad, RowError{r.Line, "Order Date", err1.Error()})
		}
		if err2 != nil {
			bad = append(bad, RowError{r.Line, "Last Updated", err2.Error()})
		}
		var dispatchBy *time.Time
		if v := t.Get(r, "delivery_by"); v != "" {
			if d, err := parseDate(v); err != nil {
				bad = append(bad, RowError{r.Line, "Delivery By", err.Error()})
			} else {
				dispatchBy = &d
			}
		}
		qty, err := strconv.ParseInt(t.Get(r, "quantity"), 10, 64)
		if err != nil || !money.QuantityOK(qty) {
			bad = append(bad, RowError{r.Line, "Quantity", fmt.Sprintf("must be a whole number from 1 to %d", money.MaxQuantity)})
		}
		price, err := money.Parse(t.Get(r, "unit_price_(inr)"))
		if err != nil || !money.PriceOK(price) {
			bad = append(bad, RowError{r.Line, "Unit Price (INR)", "must be an amount in rupees from 0 to " + money.Format(money.MaxPricePaise)})
		}
		word := t.Get(r, "status")
		status, ok := orderStatus[strings.ToLower(word)]
		if !ok {
			bad = append(bad, RowError{r.Line, "Status", "is not a GeM order status this import knows"})
		}
		sku := t.Get(r, "model/sku")
		if sku == "" || len(sku) > adapters.MaxSKUBytes {
			bad = append(bad, RowError{r.Line, "Model/SKU", "is required (at most 64 characters)"})
		}
		payload := payloadOf(t, r)
		if len(bad) > 0 {
			f.cells[r.Line] = bad
			why := make([]string, len(bad))
			for i, b := range bad {
				why[i] = b.Column + " " + b.Message
			}
			in.Unreadable(id, item, fmt.Sprintf("row %d: %s", r.Line, strings.Join(why, "; ")), payload)
			continue
		}
		in.Add(adapters.OrderFacts{ExternalOrderID: id, OrderedAt: ordered, DispatchBy: dispatchBy},
			orders.IncomingLine{ExternalLineID: item, SKU: sku, Quantity: qty, UnitPricePaise: price, Status: status,
				MarketplaceStatus: word, UpdatedAt: updated}, payload)
	}
	f.Orders, f.Unreadable = in.Page()
	for i := range f.Orders {
		f.Orders[i].ChannelID = channelID
	}
	f.Repeats = in.Repeats()
	return f, nil
}

func payloadOf(t Table, r Row) []byte {
	p := rowPayload{Row: r.Line, Cells: map[string]string{}}
	for name, i := range t.Header {
		if i < len(r.Cells) {
			p.Cells[name] = r.Cells[i]
		}
	}
	b, _ := json.Marshal(p)
	return b
}

// Problems names every unreadable row's bad cells as "row N.Column" (or
// "row N" for a row refused as a whole), for a refusal of the file.
func (f OrderFile) Problems() map[string]string {
	out := map[string]string{}
	for _, u := range f.Unreadable {
		var p rowPayload
		_ = json.Unmarshal(u.Payload, &p)
		if cells := f.cells[p.Row]; len(cells) > 0 {
			for _, c := range cells {
				out[fmt.Sprintf("row %d.%s", c.Line, c.Column)] = c.Message
			}
			continue
		}
		out[fmt.Sprintf("row %d", p.Row)] = u.Reason
	}
	return out
}

var ist = time.FixedZone("IST", 5*3600+1800)

func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, ist); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("must be a date (YYYY-MM-DD) or an RFC 3339 time")
}

// ImportOrders parses the portal's order file and ingests every order in
// it. A file with any unreadable row is refused whole (422) with each bad
// cell named as "row N.Column": the person uploading it is there to mend
// it, and nothing of it is ingested.
func ImportOrders(ctx context.Context, channelID string, data []byte,
	ingest func(context.Context, orders.Incoming) (orders.Result, error)) (orders.ImportSummary, error) {
	var sum orders.ImportSummary
	f, err := ParseOrderFile(channelID, data)
	var fe *FileError
	if errors.As(err, &fe) {
		return sum, fe.refusal()
	}
	if err != nil {
		return sum, err
	}
	if len(f.Unreadable) > 0 {
		e := apperr.New(apperr.Unprocessable, "the order file has %d rows that cannot be read; nothing was imported", len(f.Unreadable))
		e.Fields = f.Problems()
		return sum, e
	}
	for _, in := range f.Orders {
		res, err := ingest(ctx, in)
		if err != nil {
			return sum, err
		}
		sum.Add(res)
	}
	return sum, nil
}
