package orderpull_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestOrderReconciliationFindsWhatThePullMissed is issue 12's acceptance
// 2: an order the marketplace indexes late (a simulator fault) is missed by
// the incremental pull; the order reconciliation's re-read of the last
// seven days finds it, reports it with a missed_order exception naming the
// cause, and with auto_correct takes it in once.
func TestOrderReconciliationFindsWhatThePullMissed(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := newFlipkartRig(t, b)
			r.puller.Lookup = r.db.Orders()
			ctx := context.Background()
			placeOrder(t, r.base, "CREWEL-1", 1)
			if rep, err := r.puller.Pull(ctx, r.channelID); err != nil || rep.Orders.Created != 1 {
				t.Fatalf("first pull: %+v %v", rep, err)
			}
			r.marketplace.SetFaults(simkit.Faults{LateIndexed: 1})
			hidden := placeOrder(t, r.base, "CREWEL-1", 1)
			placeOrder(t, r.base, "CREWEL-1", 1)
			if rep, err := r.puller.Pull(ctx, r.channelID); err != nil || rep.Orders.Created != 1 {
				t.Fatalf("the pull should miss the late order: %+v %v", rep, err)
			}
			if got := r.reserved(t); got != 2 {
				t.Fatalf("reserved %d before the reconciliation", got)
			}
			since := time.Now().Add(-reconcile.DefaultOrderWindow)
			var found []reconcile.Difference
			collect := func(d reconcile.Difference) error { found = append(found, d); return nil }
			read, err := r.puller.ReconcileOrders(ctx, r.channelID, since, false, collect)
			if err != nil || read != 3 || len(found) != 1 || found[0].Class != reconcile.MissedOrder || found[0].Action != reconcile.ActionReported {
				t.Fatalf("report only: read %d, %+v, %v", read, found, err)
			}
			if got := r.reserved(t); got != 2 {
				t.Fatalf("a report-only run took the order in: reserved %d", got)
			}
			missed, _ := r.db.Exceptions().List(ctx, exceptions.Filter{Kind: exceptions.MissedOrder, Status: exceptions.StatusOpen}, paging.Request{Limit: 10})
			if len(missed.Items) != 1 || missed.Items[0].ChannelID != r.channelID {
				t.Fatalf("missed_order exceptions: %+v", missed.Items)
			}
			if d := missed.Items[0].Detail; !strings.Contains(d, "incremental pull never returned it") {
				t.Fatalf("the exception does not name the cause: %q", d)
			}
			found = nil
			if _, err := r.puller.ReconcileOrders(ctx, r.channelID, since, true, collect); err != nil || len(found) != 1 || found[0].Action != reconcile.ActionIngested {
				t.Fatalf("auto_correct: %+v %v", found, err)
			}
			found = nil
			if _, err := r.puller.ReconcileOrders(ctx, r.channelID, since, true, collect); err != nil || len(found) != 0 {
				t.Fatalf("a second run: %+v %v", found, err)
			}
			if rep, err := r.puller.Pull(ctx, r.channelID); err != nil || rep.Orders.Created != 0 {
				t.Fatalf("a pull after: %+v %v", rep, err)
			}
			if got := r.reserved(t); got != 3 {
				t.Fatalf("reserved %d: the missed order %s was not taken in exactly once", got, hidden)
			}
			again, _ := r.db.Exceptions().List(ctx, exceptions.Filter{Kind: exceptions.MissedOrder, Status: exceptions.StatusOpen}, paging.Request{Limit: 10})
			if len(again.Items) != 1 {
				t.Fatalf("missed_order exceptions after ingesting: %d (one per cause)", len(again.Items))
			}
		})
	}
}
