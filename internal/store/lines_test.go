package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// lineByExternal returns an order's line by its marketplace id.
func lineByExternal(t *testing.T, f *fixture, orderID, ext string) orders.Line {
	t.Helper()
	o, err := f.db.Orders().GetOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range o.Lines {
		if l.ExternalLineID == ext {
			return l
		}
	}
	t.Fatalf("order %s has no line %s: %+v", orderID, ext, o.Lines)
	return orders.Line{}
}

// TestPerLineMarketplaceState is issue 9's acceptance 1 at the store: one
// item of a two-item shipment cancelled by the buyer leaves the other line
// live and reserved; an item cancelled earlier than another item's later
// update is still applied; an older report of a line changes nothing.
func TestPerLineMarketplaceState(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		svc := orders.NewService(f.db.Orders(), nil)
		ch := channelsFor(t, f, 1, f.showroom)[0]
		intake(t, f, f.product.ID, f.showroom, 2)
		t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		line := func(id string, status string, at time.Time) orders.IncomingLine {
			return orders.IncomingLine{ExternalLineID: id, SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100_000, ExternalShipmentID: "SHIP-1",
				Status: status, MarketplaceStatus: map[string]string{orders.StatusOpen: "APPROVED", orders.StatusCancelled: "CANCELLED",
					orders.StatusShipped: "SHIPPED"}[status], UpdatedAt: at}
		}
		in := order(ch, 1, t0, orders.StatusOpen, line("I1", orders.StatusOpen, t0), line("I2", orders.StatusOpen, t0))
		res, err := svc.Ingest(ctx, in)
		if err != nil || res.Reserved != 2 {
			t.Fatalf("first report: %+v %v", res, err)
		}
		if got := level(t, f, f.product.ID, f.showroom); got != [2]int64{2, 2} {
			t.Fatalf("after the order: on hand, reserved %v", got)
		}

		// The buyer cancels item I1 at t0+5m; I2 is unchanged.
		in = order(ch, 1, t0.Add(5*time.Minute), orders.StatusOpen, line("I1", orders.StatusCancelled, t0.Add(5*time.Minute)), line("I2", orders.StatusOpen, t0))
		if res, err = svc.Ingest(ctx, in); err != nil || res.Released != 1 {
			t.Fatalf("cancellation of one item: %+v %v", res, err)
		}
		if l := lineByExternal(t, f, res.OrderID, "I1"); l.Status != orders.LineCancelled || l.MarketplaceState != "CANCELLED" {
			t.Fatalf("I1 = %s (%s), want cancelled", l.Status, l.MarketplaceState)
		}
		if l := lineByExternal(t, f, res.OrderID, "I2"); l.Status != orders.LineReserved || l.ReservationStatus == nil || *l.ReservationStatus != "held" {
			t.Fatalf("I2 = %s, reservation %v: the live item must stay reserved", l.Status, l.ReservationStatus)
		}
		if got := level(t, f, f.product.ID, f.showroom); got != [2]int64{2, 1} {
			t.Fatalf("after one item's cancellation: on hand, reserved %v, want [2 1]", got)
		}
		o, _ := svc.Get(ctx, res.OrderID)
		if o.Status != orders.StatusOpen {
			t.Fatalf("order status %s, want open while a line is live", o.Status)
		}

		// A replay of the first report changes nothing.
		in = order(ch, 1, t0, orders.StatusOpen, line("I1", orders.StatusOpen, t0), line("I2", orders.StatusOpen, t0))
		if res, err = svc.Ingest(ctx, in); err != nil || !res.Stale {
			t.Fatalf("replay: %+v %v, want stale", res, err)
		}
		if l := lineByExternal(t, f, res.OrderID, "I1"); l.Status != orders.LineCancelled {
			t.Fatalf("a replay revived I1: %s", l.Status)
		}

		// Out of order: order 2's I2 ships at t0+10m and is reported first;
		// then the report of I1's cancellation at t0+3m arrives. The
		// cancellation is older than the order's newest change, but newer
		// than what is held of I1, so it is applied.
		intake(t, f, f.product.ID, f.showroom, 2)
		in = order(ch, 2, t0, orders.StatusOpen, line("I1", orders.StatusOpen, t0), line("I2", orders.StatusOpen, t0))
		if res, err = svc.Ingest(ctx, in); err != nil || res.Reserved != 2 {
			t.Fatalf("order 2: %+v %v", res, err)
		}
		in = order(ch, 2, t0.Add(10*time.Minute), orders.StatusShipped, line("I2", orders.StatusShipped, t0.Add(10*time.Minute)))
		if res, err = svc.Ingest(ctx, in); err != nil {
			t.Fatal(err)
		}
		in = order(ch, 2, t0.Add(3*time.Minute), orders.StatusOpen, line("I1", orders.StatusCancelled, t0.Add(3*time.Minute)), line("I2", orders.StatusOpen, t0))
		if res, err = svc.Ingest(ctx, in); err != nil || res.Released != 1 {
			t.Fatalf("older cancellation of I1: %+v %v, want it applied", res, err)
		}
		if l := lineByExternal(t, f, res.OrderID, "I1"); l.Status != orders.LineCancelled {
			t.Fatalf("I1 = %s, want cancelled", l.Status)
		}
		if l := lineByExternal(t, f, res.OrderID, "I2"); l.Status != orders.LineShipped || l.ReservationStatus == nil || *l.ReservationStatus != "consumed" {
			t.Fatalf("I2 = %s (%v), want shipped with its reservation consumed", l.Status, l.ReservationStatus)
		}
		o, _ = svc.Get(ctx, res.OrderID)
		if o.Status != orders.StatusShipped {
			t.Fatalf("order 2 status %s, want shipped", o.Status)
		}
		// 4 taken in: 2 cancelled and released, 1 left reserved (order 1's
		// I2), 1 shipped off the shelf (order 2's I2).
		if got := level(t, f, f.product.ID, f.showroom); got != [2]int64{3, 1} {
			t.Fatalf("on hand, reserved %v, want [3 1]", got)
		}
	})
}

// raceFixture is one order line reserved, ready to be raced on.
type raceFixture struct {
	orderID, lineID, taskID string
}

func newRaceOrder(t *testing.T, f *fixture, ch string, n int) raceFixture {
	t.Helper()
	intake(t, f, f.product.ID, f.showroom, 1)
	res, err := orders.NewService(f.db.Orders(), nil).Ingest(context.Background(), order(ch, n, time.Now().UTC().Truncate(time.Second), orders.StatusOpen,
		orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100_000}))
	if err != nil || res.Reserved != 1 {
		t.Fatalf("order %d: %+v %v", n, res, err)
	}
	l, task := lineOf(t, f, res.OrderID)
	return raceFixture{orderID: res.OrderID, lineID: l.ID, taskID: task.ID}
}

// race runs fn from n goroutines at once and returns how many succeeded;
// every failure must be a conflict (or, for the maker of nothing, not found).
func race(t *testing.T, n int, fn func(i int) error) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !apperr.Is(err, apperr.Conflict):
				t.Errorf("racer %d: %v (want success or a conflict)", i, err)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	return ok
}

// TestLineRaces is issue 9's acceptance 2: concurrent returns,
// cancellations and dispatches of one line, 100 trials each on both
// backends, never return more than shipped and leave on hand exact.
func TestLineRaces(t *testing.T) {
	const trials = 100
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		ch := channelsFor(t, f, 1, f.showroom)[0]
		svc := orders.NewService(f.db.Orders(), nil)
		tasks := fulfilment.NewService(f.db.Fulfilment(), nil)
		n := 0
		next := func() raceFixture { n++; return newRaceOrder(t, f, ch, n) }
		dispatch := fulfilment.Transition{To: fulfilment.Dispatched, TrackingNo: "TRK1"}

		t.Run("returns", func(t *testing.T) {
			for i := 0; i < trials; i++ {
				r := next()
				move(t, f, r.taskID, fulfilment.Transition{To: fulfilment.Packed}, dispatch)
				before := level(t, f, f.product.ID, f.showroom)
				won := race(t, 3, func(int) error {
					_, err := svc.RecordReturn(ctx, r.orderID, orders.ReturnRequest{LineID: r.lineID, Quantity: 1, Source: "customer",
						Disposition: orders.Restock, LocationID: f.showroom.ID})
					return err
				})
				if won != 1 {
					t.Fatalf("trial %d: %d of 3 concurrent returns of a one-unit line accepted", i, won)
				}
				if got := level(t, f, f.product.ID, f.showroom); got[0] != before[0]+1 || got[1] != before[1] {
					t.Fatalf("trial %d: on hand, reserved %v -> %v, want one unit back", i, before, got)
				}
				if l := lineByExternal(t, f, r.orderID, "1"); l.ReturnedQuantity != 1 {
					t.Fatalf("trial %d: returned quantity %d", i, l.ReturnedQuantity)
				}
			}
		})

		t.Run("cancellations", func(t *testing.T) {
			for i := 0; i < trials; i++ {
				r := next()
				before := level(t, f, f.product.ID, f.showroom)
				won := race(t, 3, func(int) error {
					_, err := svc.Cancel(ctx, r.orderID, orders.CancelRequest{Reason: "buyer asked"})
					return err
				})
				if won != 1 {
					t.Fatalf("trial %d: %d of 3 concurrent cancellations succeeded", i, won)
				}
				if got := level(t, f, f.product.ID, f.showroom); got[0] != before[0] || got[1] != before[1]-1 {
					t.Fatalf("trial %d: on hand, reserved %v -> %v, want the one unit released", i, before, got)
				}
			}
		})

		t.Run("dispatches", func(t *testing.T) {
			for i := 0; i < trials; i++ {
				r := next()
				move(t, f, r.taskID, fulfilment.Transition{To: fulfilment.Packed})
				before := level(t, f, f.product.ID, f.showroom)
				won := race(t, 3, func(int) error {
					_, err := tasks.Transition(ctx, r.taskID, dispatch)
					return err
				})
				if won != 1 {
					t.Fatalf("trial %d: %d of 3 concurrent dispatches succeeded", i, won)
				}
				if got := level(t, f, f.product.ID, f.showroom); got[0] != before[0]-1 || got[1] != before[1]-1 {
					t.Fatalf("trial %d: on hand, reserved %v -> %v, want one unit gone", i, before, got)
				}
			}
		})

		// Operations cancel while staff pack and dispatch: either the order is
		// cancelled before packing (the unit back on the shelf) or it leaves,
		// never both, never neither.
		t.Run("cancellation against dispatch", func(t *testing.T) {
			for i := 0; i < trials; i++ {
				r := next()
				before := level(t, f, f.product.ID, f.showroom)
				var cancelled, shipped bool
				race(t, 2, func(k int) error {
					if k == 0 {
						_, err := svc.Cancel(ctx, r.orderID, orders.CancelRequest{Reason: "buyer asked"})
						cancelled = err == nil
						return err
					}
					if _, err := tasks.Transition(ctx, r.taskID, fulfilment.Transition{To: fulfilment.Packed}); err != nil {
						return err
					}
					_, err := tasks.Transition(ctx, r.taskID, dispatch)
					shipped = err == nil
					return err
				})
				got := level(t, f, f.product.ID, f.showroom)
				switch {
				case cancelled == shipped:
					t.Fatalf("trial %d: cancelled %v and shipped %v", i, cancelled, shipped)
				case cancelled && (got[0] != before[0] || got[1] != before[1]-1):
					t.Fatalf("trial %d: cancelled, but on hand, reserved %v -> %v", i, before, got)
				case shipped && (got[0] != before[0]-1 || got[1] != before[1]-1):
					t.Fatalf("trial %d: shipped, but on hand, reserved %v -> %v", i, before, got)
				}
			}
		})

		// The marketplace's cancellation of a packed parcel races its
		// dispatch: one of them takes the reservation.
		t.Run("marketplace cancellation against dispatch", func(t *testing.T) {
			for i := 0; i < trials; i++ {
				r := next()
				move(t, f, r.taskID, fulfilment.Transition{To: fulfilment.Packed})
				before := level(t, f, f.product.ID, f.showroom)
				o, _ := svc.Get(ctx, r.orderID)
				race(t, 2, func(k int) error {
					if k == 0 {
						_, err := svc.Ingest(ctx, order(ch, n, o.UpdatedAt.Add(time.Minute), orders.StatusCancelled,
							orders.IncomingLine{ExternalLineID: "1", SKU: f.product.SKU, Quantity: 1, UnitPricePaise: 100_000}))
						return err
					}
					_, err := tasks.Transition(ctx, r.taskID, dispatch)
					return err
				})
				l := lineByExternal(t, f, r.orderID, "1")
				got := level(t, f, f.product.ID, f.showroom)
				switch l.Status {
				case orders.LineCancelled:
					if got[0] != before[0] || got[1] != before[1]-1 {
						t.Fatalf("trial %d: released, but on hand, reserved %v -> %v", i, before, got)
					}
				case orders.LineShipped:
					if got[0] != before[0]-1 || got[1] != before[1]-1 {
						t.Fatalf("trial %d: shipped, but on hand, reserved %v -> %v", i, before, got)
					}
				default:
					t.Fatalf("trial %d: line %s", i, l.Status)
				}
			}
		})
		if t.Failed() {
			return
		}
		var negative int64
		f.db.Gorm().Raw(`SELECT COUNT(*) FROM stock_levels WHERE reserved < 0 OR on_hand < reserved`).Scan(&negative)
		if negative != 0 {
			t.Fatalf("%d stock levels broke 0 <= reserved <= on hand", negative)
		}
		fmt.Fprintf(testWriter{t}, "%d orders raced\n", n)
	})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
