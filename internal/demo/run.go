package demo

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// apiTask and apiOrder are the fields the demo's staff read.
type (
	apiTask struct {
		ID        string    `json:"id"`
		OrderID   string    `json:"order_id"`
		Kind      string    `json:"kind"`
		Status    string    `json:"status"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	apiOrder struct {
		ID              string `json:"id"`
		ChannelID       string `json:"channel_id"`
		ExternalOrderID string `json:"external_order_id"`
		Status          string `json:"status"`
		Lines           []struct {
			ID               string `json:"id"`
			Quantity         int64  `json:"quantity"`
			Status           string `json:"status"`
			ReturnedQuantity int64  `json:"returned_quantity"`
		} `json:"lines"`
	}
	simListing struct {
		SKU      string `json:"sku"`
		Quantity int64  `json:"quantity"`
	}
)

// simulator is the buyer-side control API of a channel's simulator.
func simulator(ch apiChannel) *client {
	return newClient(strings.TrimSuffix(ch.BaseURL, "/sellers"), "")
}

func (w *world) kindOf(channelID string) string {
	for kind, ch := range w.channels {
		if ch.ID == channelID {
			return kind
		}
	}
	return ""
}

// buyers place orders at the configured rate: most on Flipkart and
// Amazon, some by government buyers on GeM.
func (d *Demo) buyers(ctx context.Context, w *world) {
	t := time.NewTicker(time.Duration(float64(time.Minute) / d.cfg.OrdersPerMinute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		kind := "flipkart"
		switch n := d.intN(100); {
		case n >= 85:
			kind = "gem"
		case n >= 45:
			kind = "amazon"
		}
		if err := d.buy(ctx, w, kind); err != nil && ctx.Err() == nil {
			d.log.Debug("a buyer could not order", "marketplace", kind, "err", err)
		}
	}
}

// buy orders a piece the marketplace shows in stock; one buyer in twenty
// changes their mind before it is packed.
func (d *Demo) buy(ctx context.Context, w *world, kind string) error {
	sim := simulator(w.channels[kind])
	var shown struct {
		Items []simListing `json:"items"`
	}
	if err := sim.call(ctx, http.MethodGet, "/_sim/listings", nil, &shown); err != nil {
		return err
	}
	var inStock []simListing
	for _, l := range shown.Items {
		if l.Quantity > 0 {
			inStock = append(inStock, l)
		}
	}
	if len(inStock) == 0 {
		return fmt.Errorf("nothing in stock on %s yet", kind)
	}
	pick := inStock[d.intN(len(inStock))]
	qty := int64(1)
	if pick.Quantity >= 3 && d.chance(0.1) {
		qty = 2
	}
	var placed struct {
		ID string `json:"id"`
	}
	if err := sim.call(ctx, http.MethodPost, "/_sim/orders", map[string]any{"sku": pick.SKU, "quantity": qty}, &placed); err != nil {
		return err
	}
	d.count(func(s *stats) { s.placed++ })
	d.log.Debug("a buyer ordered", "marketplace", kind, "sku", pick.SKU, "quantity", qty, "order", placed.ID)
	if kind != "gem" && d.chance(0.05) {
		go func() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d.wait(4 * time.Second)):
			}
			if err := sim.call(ctx, http.MethodPost, "/_sim/orders/"+url.PathEscape(placed.ID)+"/cancel", nil, nil); err == nil {
				d.count(func(s *stats) { s.cancelled++ })
			}
		}()
	}
	return nil
}

// floor is the emporium's staff working the fulfilment board: pieces on
// the shelf are packed and dispatched; pieces at a maker's home are
// acknowledged, fetched, then packed; pieces made to order take longer.
func (d *Demo) floor(ctx context.Context, w *world) error {
	showroom := d.users["showroom"]
	for _, status := range []string{"open", "acknowledged", "collected", "packed"} {
		tasks, err := all[apiTask](ctx, showroom, "/api/v1/fulfilment-tasks?status="+status, 2000)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			to, after := nextStep(t)
			if to == "" || time.Since(t.UpdatedAt) < d.wait(after) {
				continue
			}
			body := map[string]any{"to": to}
			if to == "dispatched" {
				body["tracking_no"] = trackingNo(t.ID)
			}
			err := showroom.call(ctx, http.MethodPost, "/api/v1/fulfilment-tasks/"+t.ID+"/transition", body, nil)
			if err != nil && !isStatus(err, http.StatusConflict) {
				return err
			}
		}
	}
	return nil
}

// nextStep is what staff do next with a task, and how long it takes them.
func nextStep(t apiTask) (string, time.Duration) {
	switch {
	case t.Status == "open" && t.Kind == "pick", t.Status == "acknowledged" && t.Kind == "pick":
		return "packed", 8 * time.Second
	case t.Status == "open":
		return "acknowledged", 5 * time.Second
	case t.Status == "acknowledged" && t.Kind == "collect":
		return "collected", 20 * time.Second // the ride out to the maker's home
	case t.Status == "acknowledged" && t.Kind == "make":
		return "collected", 45 * time.Second // the maker finishes the piece
	case t.Status == "collected":
		return "packed", 8 * time.Second
	case t.Status == "packed":
		return "dispatched", 8 * time.Second
	}
	return "", 0
}

// trackingNo is the courier's number for a task's parcel.
func trackingNo(taskID string) string {
	id := strings.ToUpper(strings.ReplaceAll(taskID, "-", ""))
	if len(id) > 12 {
		id = id[len(id)-12:]
	}
	return "JKHC" + id
}

// shipment is a parcel the couriers carry, as the demo remembers it.
type shipment struct {
	kind, external string
	deliveredAt    time.Time
	returnAt       time.Time // zero: the buyer keeps it
	returned       bool
}

// couriers deliver what was dispatched a little while ago; about one
// buyer in twenty-five sends the piece back.
func (d *Demo) couriers(ctx context.Context, w *world) error {
	showroom := d.users["showroom"]
	tasks, err := all[apiTask](ctx, showroom, "/api/v1/fulfilment-tasks?status=dispatched", 2000)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		d.mu.Lock()
		_, done := d.shipments[t.OrderID]
		d.mu.Unlock()
		if done || time.Since(t.UpdatedAt) < d.wait(15*time.Second) {
			continue
		}
		var o apiOrder
		if err := showroom.call(ctx, http.MethodGet, "/api/v1/orders/"+t.OrderID, nil, &o); err != nil {
			return err
		}
		kind := w.kindOf(o.ChannelID)
		if kind == "" {
			continue
		}
		err := simulator(w.channels[kind]).call(ctx, http.MethodPost, "/_sim/orders/"+url.PathEscape(o.ExternalOrderID)+"/deliver", nil, nil)
		if err != nil && !isStatus(err, http.StatusConflict, http.StatusNotFound) {
			return err
		}
		s := &shipment{kind: kind, external: o.ExternalOrderID, deliveredAt: time.Now()}
		if err == nil && d.chance(0.04) {
			s.returnAt = time.Now().Add(d.wait(25 * time.Second))
		}
		d.mu.Lock()
		d.shipments[t.OrderID] = s
		d.mu.Unlock()
		if err == nil {
			d.count(func(s *stats) { s.delivered++ })
		}
	}
	// Buyers who send a piece back.
	d.mu.Lock()
	var back []*shipment
	for id, s := range d.shipments {
		switch {
		case !s.returnAt.IsZero() && !s.returned && time.Now().After(s.returnAt):
			back = append(back, s)
		case s.returnAt.IsZero() && time.Since(s.deliveredAt) > time.Hour:
			// Long delivered and kept: forget it (its task is delivered).
			delete(d.shipments, id)
		}
	}
	d.mu.Unlock()
	for _, s := range back {
		err := simulator(w.channels[s.kind]).call(ctx, http.MethodPost, "/_sim/orders/"+url.PathEscape(s.external)+"/return", nil, nil)
		if err != nil && !isStatus(err, http.StatusConflict, http.StatusNotFound) {
			return err
		}
		d.mu.Lock()
		if err == nil {
			s.returned = true
		} else {
			s.returnAt = time.Time{} // too late to send back: the buyer keeps it
		}
		d.mu.Unlock()
		if err == nil {
			d.count(func(s *stats) { s.returned++ })
		}
	}
	return nil
}

// operations takes in GeM's order file (GeM has no order API: staff
// download it from the portal) and receives the pieces buyers sent back.
func (d *Demo) operations(ctx context.Context, w *world) error {
	ops := d.users["operations"]
	gem := w.channels["gem"]
	file, err := simulator(gem).raw(ctx, http.MethodGet, "/_sim/orders/export")
	if err != nil {
		return err
	}
	if gemHasOrders(file) {
		if err := ops.upload(ctx, "/api/v1/channels/"+gem.ID+"/orders/import", "gem-orders.xlsx", file, nil); err != nil {
			return fmt.Errorf("GeM order file: %w", err)
		}
	}
	d.mu.Lock()
	var waiting []string
	for id, s := range d.shipments {
		if s.returned {
			waiting = append(waiting, id)
		}
	}
	d.mu.Unlock()
	for _, id := range waiting {
		var o apiOrder
		if err := ops.call(ctx, http.MethodGet, "/api/v1/orders/"+id, nil, &o); err != nil {
			return err
		}
		received := true
		for _, l := range o.Lines {
			if l.Status != "returned" {
				received = received && l.Status != "delivered" // not yet reported back
				continue
			}
			if l.ReturnedQuantity >= l.Quantity {
				continue
			}
			err := ops.call(ctx, http.MethodPost, "/api/v1/orders/"+id+"/returns", map[string]any{"line_id": l.ID,
				"quantity": l.Quantity - l.ReturnedQuantity, "source": "customer", "disposition": "restock", "location_id": w.showroom,
				"reason": "the buyer sent it back unused; checked and put back on the shelf"}, nil)
			if err != nil && !isStatus(err, http.StatusConflict) {
				return err
			}
			d.count(func(s *stats) { s.received++ })
		}
		if received {
			d.mu.Lock()
			delete(d.shipments, id)
			d.mu.Unlock()
		}
	}
	return nil
}

// gemHasOrders says whether the portal's order workbook lists any order
// (an XLSX with only its header is small; any order adds a row).
func gemHasOrders(file []byte) bool { return bytes.Contains(file, []byte("GEMC-")) }

// gemDesk carries the files GeM needs to the portal, oldest first: a
// catalogue file is uploaded and the catalogue ids the portal assigns are
// recorded on their listings; price and stock files are uploaded as they
// are.
func (d *Demo) gemDesk(ctx context.Context, w *world) error {
	showroom := d.users["showroom"]
	gem := w.channels["gem"]
	files, err := d.newGeMFiles(ctx, showroom, gem.ID)
	if err != nil {
		return err
	}
	portal := simulator(gem)
	for _, f := range files {
		data, err := showroom.raw(ctx, http.MethodGet, "/api/v1/channels/"+gem.ID+"/files/"+f.ID)
		if err != nil {
			return err
		}
		if strings.HasPrefix(f.Name, "gem-catalogue-") {
			var assigned struct {
				Items []struct {
					SKU         string `json:"sku"`
					CatalogueID string `json:"catalogue_id"`
				} `json:"items"`
			}
			if err := portal.upload(ctx, "/_sim/catalogue/upload", f.Name, data, &assigned); err != nil {
				// A sync writes the file again while its pieces wait for
				// their ids; the portal refuses what it holds already.
				level := slog.LevelWarn
				if strings.Count(err.Error(), "is already catalogued") > 0 && strings.Count(err.Error(), `"message"`) == strings.Count(err.Error(), "is already catalogued") {
					level = slog.LevelDebug
				}
				d.log.Log(ctx, level, "the GeM portal refused a catalogue file", "file", f.Name, "err", err)
			} else if err := d.recordCatalogueIDs(ctx, w, assigned.Items); err != nil {
				return err
			}
		} else if err := portal.upload(ctx, "/_sim/stock/upload", f.Name, data, nil); err != nil {
			d.log.Warn("the GeM portal refused an update file", "file", f.Name, "err", err)
		}
		d.mu.Lock()
		d.gemDone[f.ID] = true
		d.mu.Unlock()
	}
	return nil
}

type apiFile struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// newGeMFiles lists the channel's files not carried yet, oldest first.
// Full pages are never read twice: the cursor after them is kept.
func (d *Demo) newGeMFiles(ctx context.Context, c *client, channelID string) ([]apiFile, error) {
	var out []apiFile
	for {
		d.mu.Lock()
		cursor := d.gemCursor
		d.mu.Unlock()
		p := "/api/v1/channels/" + channelID + "/files?limit=500"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var pg page[apiFile]
		if err := c.call(ctx, http.MethodGet, p, nil, &pg); err != nil {
			return nil, err
		}
		d.mu.Lock()
		for _, f := range pg.Items {
			if !d.gemDone[f.ID] {
				out = append(out, f)
			}
		}
		full := pg.NextCursor != ""
		if full {
			d.gemCursor = pg.NextCursor
		}
		d.mu.Unlock()
		if !full {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b apiFile) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// recordCatalogueIDs writes the ids the portal assigned on the listings.
func (d *Demo) recordCatalogueIDs(ctx context.Context, w *world, items []struct {
	SKU         string `json:"sku"`
	CatalogueID string `json:"catalogue_id"`
}) error {
	showroom := d.users["showroom"]
	gem := w.channels["gem"]
	for _, it := range items {
		p, ok := w.bySKU[it.SKU]
		if !ok {
			continue
		}
		listed, err := all[apiListing](ctx, showroom, "/api/v1/listings?channel_id="+url.QueryEscape(gem.ID)+"&product_id="+url.QueryEscape(p.ID), 5)
		if err != nil {
			return err
		}
		if len(listed) == 0 {
			continue
		}
		err = showroom.call(ctx, http.MethodPut, "/api/v1/products/"+p.ID+"/listings/"+gem.ID,
			map[string]any{"external_id": it.CatalogueID, "version": listed[0].Version}, nil)
		if err != nil && !isStatus(err, http.StatusConflict) {
			return err
		}
	}
	return nil
}

// settle is the finance desk: each marketplace's settlement for what it
// delivered is taken in (Flipkart's and GeM's as the files they issue,
// Amazon's from its Reports API).
func (d *Demo) settle(ctx context.Context, w *world) error {
	fin := d.users["finance"]
	stamp := time.Now().UTC().Format("20060102-150405")
	fk := w.channels["flipkart"]
	var file []byte
	if err := simulator(fk).call(ctx, http.MethodPost, "/_sim/settlements", nil, &file); err != nil {
		return err
	}
	if bytes.Count(bytes.TrimSpace(file), []byte("\n")) > 0 {
		if err := fin.upload(ctx, "/api/v1/settlements/import?channel_id="+fk.ID, "flipkart-settlement-"+stamp+".csv", file, nil); err != nil {
			return fmt.Errorf("Flipkart settlement: %w", err)
		}
		d.count(func(s *stats) { s.settlements++ })
	}
	amz := w.channels["amazon"]
	if err := simulator(amz).call(ctx, http.MethodPost, "/_sim/settlements", nil, &file); err != nil {
		return err
	}
	// The flat file's first row after the header is the period's summary;
	// its order rows say "Order" in transaction-type.
	if bytes.Contains(file, []byte("\tOrder\t")) {
		if err := fin.call(ctx, http.MethodPost, "/api/v1/settlements/pull?channel_id="+amz.ID, nil, nil); err != nil {
			return fmt.Errorf("Amazon settlement: %w", err)
		}
		d.count(func(s *stats) { s.settlements++ })
	}
	gem := w.channels["gem"]
	if err := simulator(gem).call(ctx, http.MethodPost, "/_sim/settlements", nil, &file); err != nil {
		return err
	}
	if bytes.Contains(file, []byte("GEMC-")) {
		if err := fin.upload(ctx, "/api/v1/settlements/import?channel_id="+gem.ID, "gem-payments-"+stamp+".xlsx", file, nil); err != nil {
			return fmt.Errorf("GeM payments: %w", err)
		}
		d.count(func(s *stats) { s.settlements++ })
	}
	return nil
}

// restock brings in more from the makers when a piece sells out; one of a
// kind pieces are gone once sold, and made-to-order pieces need no shelf.
func (d *Demo) restock(ctx context.Context, w *world) error {
	levels, err := all[struct {
		ProductID string `json:"product_id"`
		Available int64  `json:"available"`
	}](ctx, d.users["showroom"], "/api/v1/stock?location_id="+url.QueryEscape(w.showroom), 1<<20)
	if err != nil {
		return err
	}
	available := map[string]int64{}
	for _, l := range levels {
		available[l.ProductID] = l.Available
	}
	for _, p := range w.products {
		if p.OneOfAKind || p.MadeToOrder || available[p.ID] > 0 {
			continue
		}
		if err := d.intake(ctx, p.ID, w.showroom, int64(2+d.intN(3)), "more picked up from the maker"); err != nil {
			return err
		}
	}
	return nil
}
