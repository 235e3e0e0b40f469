package orderpull_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestTakeNotice, on each backend: a notice takes in the shipment it names
// as Flipkart holds it now; the same notice again, a late one and one
// naming the order instead change nothing; a cancellation noticed releases
// the stock; a later pull of the same orders changes nothing either; an
// item that cannot be read opens its missed_order; an unreadable
// notification is kept with what was sent.
func TestTakeNotice(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := newFlipkartRig(t, b)
			ctx := context.Background()
			placed := postJSON(t, r.base+"/_sim/orders", map[string]any{"sku": "CREWEL-1", "quantity": 2})
			orderID, shipment := fmt.Sprint(placed["id"]), fmt.Sprint(placed["shipment_id"])
			notice := orders.Notice{ChannelID: r.channelID, EventID: "e1", EventType: "shipment_created", Ref: orders.NoticeRef{ShipmentID: shipment}}
			rep, err := r.puller.TakeNotice(ctx, notice)
			if err != nil || rep.Orders.Created != 1 || rep.Orders.Reserved != 1 || r.reserved(t) != 2 {
				t.Fatalf("first notice: %+v %v, reserved %d", rep, err, r.reserved(t))
			}
			for _, again := range []orders.Notice{notice,
				{ChannelID: r.channelID, EventID: "e0", EventType: "shipment_created", Ref: orders.NoticeRef{OrderIDs: []string{orderID}}}} {
				if rep, err := r.puller.TakeNotice(ctx, again); err != nil || rep.Orders.Created != 0 || rep.Orders.NewLines != 0 || r.reserved(t) != 2 {
					t.Fatalf("notice again (%+v): %+v %v", again.Ref, rep, err)
				}
			}
			postJSON(t, r.base+"/_sim/orders/"+orderID+"/cancel", nil)
			rep, err = r.puller.TakeNotice(ctx, orders.Notice{ChannelID: r.channelID, EventID: "e2", EventType: "shipment_cancelled", Ref: orders.NoticeRef{ShipmentID: shipment}})
			if err != nil || rep.Orders.Released != 1 || r.reserved(t) != 0 {
				t.Fatalf("cancellation noticed: %+v %v, reserved %d", rep, err, r.reserved(t))
			}
			// The late shipment_created after the cancellation: nothing.
			if rep, err := r.puller.TakeNotice(ctx, notice); err != nil || rep.Orders.Reserved != 0 || r.reserved(t) != 0 {
				t.Fatalf("late notice: %+v %v", rep, err)
			}
			if rep, err := r.puller.Pull(ctx, r.channelID); err != nil || rep.Orders.Created != 0 || rep.Orders.NewLines != 0 || r.reserved(t) != 0 {
				t.Fatalf("the pull after the notices: %+v %v", rep, err)
			}
			var lines int64
			r.db.Gorm().Table("order_lines").Count(&lines)
			if lines != 1 {
				t.Fatalf("%d order lines, want 1", lines)
			}
			if rep, err := r.puller.TakeNotice(ctx, orders.Notice{ChannelID: r.channelID, EventID: "e3", EventType: "shipment_created",
				Ref: orders.NoticeRef{ShipmentID: "SH-UNKNOWN"}}); err != nil || rep.Orders.Created != 0 {
				t.Fatalf("a shipment Flipkart does not know: %+v %v", rep, err)
			}

			r.marketplace.SetFaults(simkit.Faults{CorruptItems: 1})
			bad := postJSON(t, r.base+"/_sim/orders", map[string]any{"sku": "CREWEL-1", "quantity": 1})
			if rep, err := r.puller.TakeNotice(ctx, orders.Notice{ChannelID: r.channelID, EventID: "e4", EventType: "shipment_created",
				Ref: orders.NoticeRef{ShipmentID: fmt.Sprint(bad["shipment_id"])}}); err != nil || rep.Unreadable != 1 {
				t.Fatalf("a corrupt item noticed: %+v %v", rep, err)
			}
			if err := r.puller.NoticeUnreadable(ctx, r.channelID, []byte(`{"eventType":7}`), "eventType is not text"); err != nil {
				t.Fatal(err)
			}
			page, err := r.db.Exceptions().List(ctx, exceptions.Filter{Kind: exceptions.MissedOrder}, paging.Request{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var item, note bool
			for _, e := range page.Items {
				item = item || strings.Contains(e.Payload, fmt.Sprint(bad["id"]))
				note = note || (strings.HasPrefix(e.CauseKey, "missed_notification:") && e.Payload == `{"eventType":7}`)
			}
			if !item || !note {
				t.Fatalf("missed orders: %+v", page.Items)
			}
		})
	}
}
