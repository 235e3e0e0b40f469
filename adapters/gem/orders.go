package gem

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

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

// ParseOrderFile reads the portal's order file (CSV or XLSX, columns by
// name in any order) into orders for channelID. Dates are RFC 3339 or
// YYYY-MM-DD (taken as IST midnight). A malformed row rejects the whole file
// with every bad row named; nothing is imported from it.
func ParseOrderFile(channelID string, data []byte) ([]orders.Incoming, error) {
	t, err := ReadTable(data, MaxOrderRows, "order_id", "item_id", "order_date", "last_updated|order_date", "model/sku|sku", "quantity",
		"unit_price_(inr)|unit_price", "status")
	if err != nil {
		return nil, err
	}
	byID := map[string]*orders.Incoming{}
	var bad []RowError
	for _, r := range t.Rows {
		n0 := len(bad)
		id := t.Get(r, "order_id")
		if id == "" || len(id) > 128 {
			bad = append(bad, RowError{r.Line, "Order ID", "is required (at most 128 characters)"})
		}
		item := t.Get(r, "item_id")
		if item == "" || len(item) > 128 {
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
			d, err := parseDate(v)
			if err != nil {
				bad = append(bad, RowError{r.Line, "Delivery By", err.Error()})
			}
			dispatchBy = &d
		}
		qty, err := strconv.ParseInt(t.Get(r, "quantity"), 10, 64)
		if err != nil || qty <= 0 || qty > 10000 {
			bad = append(bad, RowError{r.Line, "Quantity", "must be a whole number from 1 to 10000"})
		}
		price, err := money.Parse(t.Get(r, "unit_price_(inr)"))
		if err != nil || price < 0 {
			bad = append(bad, RowError{r.Line, "Unit Price (INR)", "must be an amount in rupees"})
		}
		status, ok := orderStatus[strings.ToLower(t.Get(r, "status"))]
		if !ok {
			bad = append(bad, RowError{r.Line, "Status", "is not a GeM order status this import knows"})
		}
		sku := t.Get(r, "model/sku")
		if sku == "" {
			bad = append(bad, RowError{r.Line, "Model/SKU", "is required"})
		}
		if len(bad) > n0 {
			continue
		}
		o := byID[id]
		if o == nil {
			o = &orders.Incoming{ChannelID: channelID, ExternalOrderID: id, Status: status, OrderedAt: ordered, UpdatedAt: updated, DispatchBy: dispatchBy}
			byID[id] = o
		} else if o.Status != status || !o.UpdatedAt.Equal(updated) {
			bad = append(bad, RowError{r.Line, "Status", "lines of one order must agree on its status and last update"})
			continue
		}
		o.Lines = append(o.Lines, orders.IncomingLine{ExternalLineID: item, SKU: sku, Quantity: qty, UnitPricePaise: price})
	}
	if len(bad) > 0 {
		return nil, &FileError{Problem: "the order file has malformed rows; nothing was imported", Rows: bad}
	}
	out := make([]orders.Incoming, 0, len(byID))
	for _, o := range byID {
		if err := o.Validate(); err != nil {
			return nil, &FileError{Problem: fmt.Sprintf("order %s: %v", o.ExternalOrderID, err)}
		}
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExternalOrderID < out[j].ExternalOrderID })
	return out, nil
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
// it. A malformed file is refused whole (422) with each bad cell named as
// "row N.Column"; nothing of it is ingested.
func ImportOrders(ctx context.Context, channelID string, data []byte,
	ingest func(context.Context, orders.Incoming) (orders.Result, error)) (orders.ImportSummary, error) {
	var sum orders.ImportSummary
	incoming, err := ParseOrderFile(channelID, data)
	var fe *FileError
	if errors.As(err, &fe) {
		e := apperr.New(apperr.Unprocessable, "%s", fe.Problem)
		e.Fields = map[string]string{}
		for _, r := range fe.Rows {
			e.Fields[fmt.Sprintf("row %d.%s", r.Line, r.Column)] = r.Message
		}
		return sum, e
	}
	if err != nil {
		return sum, err
	}
	for _, in := range incoming {
		res, err := ingest(ctx, in)
		if err != nil {
			return sum, err
		}
		sum.Add(res)
	}
	return sum, nil
}
