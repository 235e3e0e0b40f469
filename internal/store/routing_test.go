package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
	"github.com/jkhhc/artisanbridge/migrations"
)

// level reads one stock level as (on hand, reserved).
func level(t *testing.T, f *fixture, productID string, loc inventory.Location) [2]int64 {
	t.Helper()
	l, err := f.db.Inventory().Level(context.Background(), productID, loc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return [2]int64{l.OnHand, l.Reserved}
}

// lineOf returns the only line of an order and its task.
func lineOf(t *testing.T, f *fixture, orderID string) (orders.Line, fulfilment.Task) {
	t.Helper()
	o, err := orders.NewService(f.db.Orders(), nil).Get(context.Background(), orderID)
	if err != nil || len(o.Lines) != 1 {
		t.Fatalf("order %s: %+v %v", orderID, o, err)
	}
	l := o.Lines[0]
	if l.TaskID == nil {
		return l, fulfilment.Task{}
	}
	task, err := f.db.Fulfilment().GetTask(context.Background(), *l.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	return l, task
}

func move(t *testing.T, f *fixture, taskID string, steps ...fulfilment.Transition) fulfilment.Task {
	t.Helper()
	svc := fulfilment.NewService(f.db.Fulfilment(), nil)
	var task fulfilment.Task
	for _, s := range steps {
		var err error
		if task, err = svc.Transition(context.Background(), taskID, s); err != nil {
			t.Fatalf("%s: %v", s.To, err)
		}
	}
	return task
}

func movementKinds(t *testing.T, f *fixture, productID string) []string {
	t.Helper()
	var kinds []string
	f.db.Gorm().Table("stock_movements").Where("product_id = ?", productID).Order("created_at, id").Pluck("kind", &kinds)
	return kinds
}

// TestRouting: a line is routed to the channel's shelf, else to the
// maker's home (collect), else to the maker's loom if the product is made
// to order, else it is oversold; collected and made pieces arrive on the
// shelf reserved for their line, and every maker gets one message.
func TestRouting(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		home, err := f.inv.CreateLocation(ctx, inventory.NewLocation{Code: "GH-HOME", Name: "Ghulam Nabi's home", Kind: "artisan", ArtisanID: &f.artisan.ID})
		if err != nil {
			t.Fatal(err)
		}
		ch := channelsFor(t, f, 1, f.showroom)[0]
		atHome := mustProduct(t, f, "HOME-1")
		intake(t, f, atHome.ID, home, 1)
		made, err := f.cat.CreateProduct(ctx, catalog.ProductInput{SKU: ptr("MADE-1"), Title: ptr("Walnut jewellery box"), Craft: ptr("walnut_wood_carving"),
			HSNCode: ptr("44209090"), GSTRateBP: ptr[int64](1200), MRPPaise: ptr[int64](500_000), PricePaise: ptr[int64](450_000),
			ArtisanID: ptr(f.artisan.ID), ArtisanPricePaise: ptr[int64](300_000), MadeToOrder: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		none := mustProduct(t, f, "NONE-1")
		svc := orders.NewService(f.db.Orders(), nil)
		at := time.Now().UTC().Truncate(time.Second)
		dispatchBy := at.Add(72 * time.Hour)
		ingest := func(n int, sku string) orders.Result {
			o := order(ch, n, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: sku, Quantity: 1})
			o.DispatchBy = &dispatchBy
			res, err := svc.Ingest(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}

		// At the maker's home: reserved there, a collect task due a day before dispatch.
		res := ingest(1, atHome.SKU)
		line, task := lineOf(t, f, res.OrderID)
		if res.Reserved != 1 || task.Kind != fulfilment.KindCollect || *task.LocationID != home.ID || *task.DestinationID != f.showroom.ID ||
			line.Status != orders.LineReserved || !task.DueAt.Equal(dispatchBy.Add(-24*time.Hour)) {
			t.Fatalf("collect routing: %+v %+v %+v", res, line, task)
		}
		if got := level(t, f, atHome.ID, home); got != [2]int64{1, 1} {
			t.Fatalf("home level %v", got)
		}
		if _, err := fulfilment.NewService(f.db.Fulfilment(), nil).Transition(ctx, task.ID, fulfilment.Transition{To: fulfilment.Packed}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("packed before collecting: %v", err)
		}
		move(t, f, task.ID, fulfilment.Transition{To: fulfilment.Acknowledged}, fulfilment.Transition{To: fulfilment.Collected})
		if h, s := level(t, f, atHome.ID, home), level(t, f, atHome.ID, f.showroom); h != [2]int64{0, 0} || s != [2]int64{1, 1} {
			t.Fatalf("after collecting: home %v showroom %v", h, s)
		}
		move(t, f, task.ID, fulfilment.Transition{To: fulfilment.Packed}, fulfilment.Transition{To: fulfilment.Dispatched, TrackingNo: "IP123"})
		if s := level(t, f, atHome.ID, f.showroom); s != [2]int64{0, 0} {
			t.Fatalf("after dispatch: %v", s)
		}
		if kinds := movementKinds(t, f, atHome.ID); len(kinds) != 3 || kinds[1] != "transfer" || kinds[2] != "sale" {
			t.Fatalf("movements %v", kinds)
		}

		// Made to order: no stock anywhere, a make task, then an intake reserved for the line.
		res = ingest(2, made.SKU)
		line, task = lineOf(t, f, res.OrderID)
		if res.ToMake != 1 || res.Oversold != 0 || line.Status != orders.LineToMake || task.Kind != fulfilment.KindMake || line.ReservationStatus != nil {
			t.Fatalf("make routing: %+v %+v %+v", res, line, task)
		}
		move(t, f, task.ID, fulfilment.Transition{To: fulfilment.Collected})
		if s := level(t, f, made.ID, f.showroom); s != [2]int64{1, 1} {
			t.Fatalf("made piece brought in: %v", s)
		}
		if line, _ = lineOf(t, f, res.OrderID); line.Status != orders.LineReserved || *line.ReservationStatus != "held" {
			t.Fatalf("made line after collecting: %+v", line)
		}
		move(t, f, task.ID, fulfilment.Transition{To: fulfilment.Packed}, fulfilment.Transition{To: fulfilment.Dispatched, TrackingNo: "IP124"})
		if kinds := movementKinds(t, f, made.ID); len(kinds) != 2 || kinds[0] != "intake" || kinds[1] != "sale" {
			t.Fatalf("made movements %v", kinds)
		}

		// Nothing anywhere and not made to order: oversold, no task, no message.
		res = ingest(3, none.SKU)
		if line, task = lineOf(t, f, res.OrderID); res.Oversold != 1 || line.Status != orders.LineOversold || task.ID != "" {
			t.Fatalf("oversold: %+v %+v", res, line)
		}
		if n := countRows(t, f.db, "artisan_notifications"); n != 2 {
			t.Fatalf("%d messages to makers, want 2", n)
		}
		var texts []string
		f.db.Gorm().Table("artisan_notifications").Order("created_at, id").Pluck("message", &texts)
		for _, text := range texts {
			if len(text) > 160 || text == "" {
				t.Errorf("message %q is not one SMS", text)
			}
		}
	})
}

// TestCancellationsAndReturns: operations cancel before packing; after
// packing only the marketplace can, and its cancellation releases the
// stock; returns restock or record damage as movements, never more than
// was shipped.
func TestCancellationsAndReturns(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := channelsFor(t, f, 1, f.showroom)[0]
		intake(t, f, f.product.ID, f.showroom, 5)
		svc := orders.NewService(f.db.Orders(), nil)
		at := time.Now().UTC().Truncate(time.Second)
		take := func(n int, qty int64) orders.Incoming {
			o := order(ch, n, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: qty})
			res, err := svc.Ingest(ctx, o)
			if err != nil || res.Reserved != 1 {
				t.Fatalf("ingest: %+v %v", res, err)
			}
			return o
		}
		orderID := func(o orders.Incoming) string {
			var id string
			f.db.Gorm().Table("orders").Where("external_order_id = ?", o.ExternalOrderID).Pluck("id", &id)
			return id
		}

		// Before packing: operations cancel; everything is released and the marketplace is to be told.
		o1 := take(1, 1)
		if _, err := svc.Cancel(ctx, orderID(o1), orders.CancelRequest{}); !apperr.Is(err, apperr.Unprocessable) {
			t.Fatalf("a cancellation without a reason: %v", err)
		}
		got, err := svc.Cancel(ctx, orderID(o1), orders.CancelRequest{Reason: "buyer asked by phone"})
		if err != nil || got.Status != orders.StatusCancelled || got.Lines[0].Status != orders.LineCancelled || *got.Lines[0].ReservationStatus != "released" {
			t.Fatalf("cancel: %+v %v", got, err)
		}
		if _, task := lineOf(t, f, got.ID); task.Status != fulfilment.Cancelled {
			t.Fatalf("task after cancel: %+v", task)
		}
		if l := level(t, f, f.product.ID, f.showroom); l != [2]int64{5, 0} {
			t.Fatalf("after cancel: %v", l)
		}
		var told int64
		f.db.Gorm().Table("outbox").Where("topic = ?", orders.TopicOrderCancelled).Count(&told)
		if told != 1 {
			t.Fatalf("%d cancellation events", told)
		}
		if _, err := svc.Cancel(ctx, got.ID, orders.CancelRequest{Reason: "again"}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a repeated cancel: %v", err)
		}
		// The marketplace still reporting the order open later does not reopen it.
		later := o1
		later.UpdatedAt = at.Add(time.Minute)
		if _, err := svc.Ingest(ctx, later); err != nil {
			t.Fatal(err)
		}
		if o, _ := svc.Get(ctx, got.ID); o.Status != orders.StatusCancelled {
			t.Fatalf("reopened: %s", o.Status)
		}

		// After packing: operations are refused and nothing changes; the marketplace's cancellation releases.
		o2 := take(2, 1)
		_, task := lineOf(t, f, orderID(o2))
		move(t, f, task.ID, fulfilment.Transition{To: fulfilment.Packed})
		if _, err := svc.Cancel(ctx, orderID(o2), orders.CancelRequest{Reason: "too late"}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("cancel after packing: %v", err)
		}
		if l := level(t, f, f.product.ID, f.showroom); l != [2]int64{5, 1} {
			t.Fatalf("a refused cancel changed stock: %v", l)
		}
		mkt := o2
		mkt.Status, mkt.UpdatedAt = orders.StatusCancelled, at.Add(time.Minute)
		if res, err := svc.Ingest(ctx, mkt); err != nil || res.Released != 1 {
			t.Fatalf("marketplace cancellation after packing: %+v %v", res, err)
		}
		if _, task = lineOf(t, f, orderID(o2)); task.Status != fulfilment.Cancelled {
			t.Fatalf("packed task after the marketplace cancelled: %s", task.Status)
		}
		if l := level(t, f, f.product.ID, f.showroom); l != [2]int64{5, 0} {
			t.Fatalf("after marketplace cancellation: %v", l)
		}

		// Returns: shipped 2, one restocked, one damaged, a third refused.
		o3 := take(3, 2)
		id3 := orderID(o3)
		line, task := lineOf(t, f, id3)
		ret := orders.ReturnRequest{LineID: line.ID, Quantity: 1, Source: "customer", Disposition: orders.Restock, LocationID: f.showroom.ID}
		if _, err := svc.RecordReturn(ctx, id3, ret); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a return before dispatch: %v", err)
		}
		move(t, f, task.ID, fulfilment.Transition{To: fulfilment.Packed}, fulfilment.Transition{To: fulfilment.Dispatched, TrackingNo: "FK1"})
		delivered := o3
		delivered.Status, delivered.UpdatedAt = orders.StatusDelivered, at.Add(time.Hour)
		if _, err := svc.Ingest(ctx, delivered); err != nil {
			t.Fatal(err)
		}
		if l, task := lineOf(t, f, id3); l.Status != orders.LineDelivered || task.Status != fulfilment.Delivered {
			t.Fatalf("after the marketplace's delivery: %s %s", l.Status, task.Status)
		}
		if l := level(t, f, f.product.ID, f.showroom); l != [2]int64{3, 0} {
			t.Fatalf("after dispatch: %v", l)
		}
		if _, err := svc.RecordReturn(ctx, id3, ret); err != nil {
			t.Fatal(err)
		}
		damaged := ret
		damaged.Source, damaged.Disposition = "courier", orders.Damaged
		if _, err := svc.RecordReturn(ctx, id3, damaged); err != nil {
			t.Fatal(err)
		}
		if l := level(t, f, f.product.ID, f.showroom); l != [2]int64{4, 0} {
			t.Fatalf("after a restock and a damaged return: %v", l)
		}
		movementsBefore := countRows(t, f.db, "stock_movements")
		for _, bad := range []orders.ReturnRequest{ret, {LineID: line.ID, Quantity: 1, Source: "customer", Disposition: "lost", LocationID: f.showroom.ID},
			{LineID: "no-such-line", Quantity: 1, Source: "customer", Disposition: orders.Restock, LocationID: f.showroom.ID}} {
			if _, err := svc.RecordReturn(ctx, id3, bad); err == nil {
				t.Errorf("accepted return %+v", bad)
			}
		}
		if countRows(t, f.db, "stock_movements") != movementsBefore || countRows(t, f.db, "order_returns") != 2 {
			t.Fatal("refused returns left rows")
		}
		if l, _ := lineOf(t, f, id3); l.Status != orders.LineReturned || l.ReturnedQuantity != 2 {
			t.Fatalf("returned line: %+v", l)
		}
		kinds := movementKinds(t, f, f.product.ID)
		if last := kinds[len(kinds)-3:]; last[0] != "return" || last[1] != "return" || last[2] != "damage" {
			t.Fatalf("return movements %v", kinds)
		}
	})
}

// TestResumeUnmapped: lines waiting for a SKU continue when the product is
// added, and the exception closes.
func TestResumeUnmapped(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := channelsFor(t, f, 1, f.showroom)[0]
		svc := orders.NewService(f.db.Orders(), nil)
		at := time.Now().UTC().Truncate(time.Second)
		res, err := svc.Ingest(ctx, order(ch, 1, at, orders.StatusOpen, orders.IncomingLine{ExternalLineID: "1", SKU: "LATE-1", Quantity: 1}))
		if err != nil || res.Unmapped != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		if n, err := f.db.Orders().ResumeUnmapped(ctx, f.product.ID, at); err != nil || n != 0 {
			t.Fatalf("another product resumed %d lines: %v", n, err)
		}
		late := mustProduct(t, f, "LATE-1")
		intake(t, f, late.ID, f.showroom, 1)
		if n, err := f.db.Orders().ResumeUnmapped(ctx, late.ID, at); err != nil || n != 1 {
			t.Fatalf("resumed %d: %v", n, err)
		}
		if n, _ := f.db.Orders().ResumeUnmapped(ctx, late.ID, at); n != 0 {
			t.Fatalf("resumed twice")
		}
		o, _ := svc.Get(ctx, res.OrderID)
		if o.Status != orders.StatusOpen || o.Lines[0].Status != orders.LineReserved || *o.Lines[0].ArtisanID != f.artisan.ID || o.Lines[0].TaskID == nil {
			t.Fatalf("resumed order: %+v %+v", o, o.Lines[0])
		}
		var open int64
		f.db.Gorm().Table("exceptions").Where("kind = 'unmapped_sku' AND status = 'open'").Count(&open)
		if open != 0 {
			t.Fatalf("%d unmapped_sku exceptions still open", open)
		}
	})
}

// TestMigrationKeepsOrders: migration 8 rebuilds order_lines on SQLite;
// going down and up again keeps every line and what refers to it.
func TestMigrationKeepsOrders(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := channelsFor(t, f, 1, f.showroom)[0]
		intake(t, f, f.product.ID, f.showroom, 1)
		at := time.Now().UTC().Truncate(time.Second)
		if _, err := orders.NewService(f.db.Orders(), nil).Ingest(ctx, order(ch, 1, at, orders.StatusOpen,
			orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1})); err != nil {
			t.Fatal(err)
		}
		p, err := migrations.NewProvider(f.db.SQL(), f.db.Dialect(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 7); err != nil {
			t.Fatalf("down to 7: %v", err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		for table, want := range map[string]int64{"order_lines": 1, "reservations": 1, "fulfilment_tasks": 1} {
			if n := countRows(t, f.db, table); n != want {
				t.Errorf("%s: %d rows after down and up", table, n)
			}
		}
		// The rebuilt table still refuses what its CHECK refuses, and takes to_make.
		if err := f.db.Gorm().Exec(`UPDATE order_lines SET status = 'lost'`).Error; err == nil {
			t.Error("the rebuilt table took an unknown status")
		}
		if err := f.db.Gorm().Exec(`UPDATE order_lines SET status = 'to_make'`).Error; err != nil {
			t.Errorf("to_make refused: %v", err)
		}
	})
}

// TestFirstSeenShipped: an order first seen already past dispatch was
// fulfilled elsewhere: nothing is reserved or routed, its maker is still
// recorded, and an exception asks staff to record the stock that left.
func TestFirstSeenShipped(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := channelsFor(t, f, 1, f.showroom)[0]
		intake(t, f, f.product.ID, f.showroom, 3)
		at := time.Now().UTC().Truncate(time.Second)
		res, err := orders.NewService(f.db.Orders(), nil).Ingest(ctx, order(ch, 9, at, orders.StatusDelivered,
			orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 2}))
		if err != nil || res.Reserved != 0 || res.NewLines != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		line, task := lineOf(t, f, res.OrderID)
		if line.Status != orders.LineDelivered || line.ReservationStatus != nil || task.ID != "" || *line.ArtisanID != f.artisan.ID {
			t.Fatalf("line %+v task %+v", line, task)
		}
		if l := level(t, f, f.product.ID, f.showroom); l != [2]int64{3, 0} {
			t.Fatalf("stock %v", l)
		}
		var missed int64
		f.db.Gorm().Table("exceptions").Where("kind = 'missed_order' AND status = 'open'").Count(&missed)
		if missed != 1 {
			t.Fatalf("%d missed_order exceptions", missed)
		}
	})
}

// TestOneOrderManyLines: the lines of one order are routed as if each
// were tried in turn, though their first sources are tried together: a
// line short at the first shelf goes to the next, a later line of the same
// product takes what an earlier one left, and a line nowhere in stock is
// oversold while the others keep their units.
func TestOneOrderManyLines(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		second := mustLocation(t, f, "SECOND", "showroom")
		ch := channelsFor(t, f, 1, f.showroom, second)[0]
		a, c := mustProduct(t, f, "ML-A"), mustProduct(t, f, "ML-B")
		intake(t, f, a.ID, f.showroom, 1)
		intake(t, f, a.ID, second, 5)
		intake(t, f, c.ID, f.showroom, 5)
		at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		res, err := orders.NewService(f.db.Orders(), nil).Ingest(ctx, order(ch, 1, at, orders.StatusOpen,
			orders.IncomingLine{ExternalLineID: "1", SKU: a.SKU, Quantity: 2, UnitPricePaise: 100},
			orders.IncomingLine{ExternalLineID: "2", SKU: c.SKU, Quantity: 1, UnitPricePaise: 100},
			orders.IncomingLine{ExternalLineID: "3", SKU: a.SKU, Quantity: 1, UnitPricePaise: 100},
			orders.IncomingLine{ExternalLineID: "4", SKU: c.SKU, Quantity: 5, UnitPricePaise: 100}))
		if err != nil || res.Reserved != 3 || res.Oversold != 1 {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		o, err := orders.NewService(f.db.Orders(), nil).Get(ctx, res.OrderID)
		if err != nil || len(o.Lines) != 4 {
			t.Fatalf("order: %+v %v", o, err)
		}
		for i, want := range []struct {
			status orders.LineStatus
			at     string
		}{
			{orders.LineReserved, second.ID},     // one free on the first shelf, two wanted
			{orders.LineReserved, f.showroom.ID}, // the first shelf has it
			{orders.LineReserved, f.showroom.ID}, // the unit line 1 could not use
			{orders.LineOversold, ""},            // four left on the first shelf, none on the second
		} {
			l := o.Lines[i]
			at := ""
			if l.LocationID != nil {
				at = *l.LocationID
			}
			if l.Status != want.status || at != want.at {
				t.Errorf("line %s: %s at %q, want %s at %q", l.ExternalLineID, l.Status, at, want.status, want.at)
			}
		}
		for _, want := range []struct {
			product string
			loc     inventory.Location
			level   [2]int64
		}{
			{a.ID, f.showroom, [2]int64{1, 1}},
			{a.ID, second, [2]int64{5, 2}},
			{c.ID, f.showroom, [2]int64{5, 1}},
		} {
			if got := level(t, f, want.product, want.loc); got != want.level {
				t.Errorf("level of %s at %s: %v, want %v", want.product, want.loc.Code, got, want.level)
			}
		}
	})
}
