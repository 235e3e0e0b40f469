package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/channels"
)

// TestOneTokenPerChannelPerProcess is issue 10's acceptance 2: across many
// syncs, pulls and pushes, every worker of the process shares one access
// token per channel; a token the marketplace refuses is renewed once, and
// a changed channel gets a new adapter and a new token.
func TestOneTokenPerChannelPerProcess(t *testing.T) {
	limits := map[adapters.Operation]adapters.Limit{}
	for op, l := range amazon.DefaultLimits {
		limits[op] = l
	}
	limits[amazon.OpSearchOrders] = adapters.Limit{Rate: 10, Burst: 20}
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			skus := []string{"TOK-1", "TOK-2", "TOK-3", "TOK-4"}
			r := newSyncRig(t, bp, rigOptions{amzLimits: limits}, skus...)
			ctx := context.Background()
			want := map[string]int64{}
			tokens := func() (fk, amz int) {
				return r.fk.CallCounts()[string(simkit.OpToken)].Calls, r.amz.CallCounts()[string(simkit.OpToken)].Calls
			}
			round := func(n int) {
				t.Helper()
				for i := range n {
					for _, sku := range skus {
						r.intake(t, sku, 2)
						want[sku] += 2
					}
					r.waitHeld(t, want, time.Minute)
					// An order on each marketplace, pulled by two workers at once.
					sku := skus[i%len(skus)]
					placeOrder(t, r.fkURL, sku)
					placeOrder(t, r.amzURL, sku)
					want[sku] -= 2
					errs := make(chan error, 4)
					for _, kind := range []string{"flipkart", "amazon", "flipkart", "amazon"} {
						go func() { _, err := r.a.Puller.Pull(ctx, r.channels[kind]); errs <- err }()
					}
					for range 4 {
						if err := <-errs; err != nil {
							t.Fatalf("pull: %v", err)
						}
					}
					r.waitHeld(t, want, time.Minute)
				}
			}
			round(4)
			if fk, amz := tokens(); fk != 1 || amz != 1 {
				t.Fatalf("after 4 rounds of syncs and pulls: %d Flipkart and %d Amazon token calls, want 1 each", fk, amz)
			}
			stock := r.fk.CallCounts()[string(adapters.OpUpdateStock)].Calls + r.amz.CallCounts()[string(adapters.OpUpdateStock)].Calls
			if stock < 8 {
				t.Fatalf("only %d stock calls: the rounds did not exercise the pushes", stock)
			}

			// The marketplaces forget every token (as at expiry): one renewal each.
			r.fk.SetFaults(simkit.Faults{ExpireTokens: true})
			r.amz.SetFaults(simkit.Faults{ExpireTokens: true})
			round(2)
			if fk, amz := tokens(); fk != 2 || amz != 2 {
				t.Fatalf("after the tokens expired: %d Flipkart and %d Amazon token calls, want 2 each", fk, amz)
			}

			// A changed channel (a new version) is a new adapter with its own token.
			ch, err := r.a.Channels.Get(ctx, r.channels["amazon"])
			if err != nil {
				t.Fatal(err)
			}
			raw := []byte(fmt.Sprintf(`{"dispatch_days":2,"locations":[{"location_id":%q,"external_location_id":"LOCSRG01"}]}`, r.loc))
			if _, err := r.a.Channels.Update(ctx, ch.ID, channels.Update{Settings: raw, Version: &ch.Version}); err != nil {
				t.Fatal(err)
			}
			round(2)
			if fk, amz := tokens(); fk != 2 || amz != 3 {
				t.Fatalf("after Amazon's channel changed: %d Flipkart and %d Amazon token calls, want 2 and 3", fk, amz)
			}
		})
	}
}
