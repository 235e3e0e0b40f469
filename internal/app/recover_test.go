package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// TestListingsRecoverInOneSweep is issue 12's acceptance 3 end to end, on
// both pairs of backends: listings published on Flipkart and Amazon, the
// simulators restarted empty, and nothing changed here; the worker's sync
// sweep finds every live listing missing through the marketplaces' reads
// and creates it again, with its quantity and price, within one sweep
// (the sweep is set to the presence period of this catalogue on Amazon,
// one getListingsItem a SKU at 5 a second, used at a quarter: 4 s).
func TestListingsRecoverInOneSweep(t *testing.T) {
	const sweep = 4 * time.Second
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			skus := make([]string, 5)
			want := map[string]int64{}
			for i := range skus {
				skus[i] = fmt.Sprintf("RCV-%03d", i)
				want[skus[i]] = int64(2 + i)
			}
			r := newSyncRig(t, bp, rigOptions{env: map[string]string{"ARTISANBRIDGE_SYNC_SWEEP": sweep.String()}}, skus...)
			for sku, q := range want {
				r.intake(t, sku, q)
			}
			r.waitHeld(t, want, 60*time.Second)
			// Let the first presence checks (due at once) pass, then lose
			// every listing on both marketplaces.
			time.Sleep(sweep)
			r.restartSims(nil)
			lost := time.Now()
			if fk, amz := r.held(); len(fk)+len(amz) != 0 {
				t.Fatalf("restarted simulators hold %v and %v", fk, amz)
			}
			// One sweep's period for the check to come due, one for the
			// sweep to run it, and slack for a loaded machine.
			r.waitHeld(t, want, 2*sweep+20*time.Second)
			t.Logf("every listing live again %s after the restart (sweep %s)", time.Since(lost).Round(100*time.Millisecond), sweep)
			r.mu.Lock()
			for _, l := range r.fk.Listings() {
				if l.PricePaise != 450000 || l.Status != "ACTIVE" {
					t.Errorf("flipkart holds %+v", l)
				}
			}
			for _, l := range r.amz.Listings() {
				if l.PricePaise != 450000 {
					t.Errorf("amazon holds %+v", l)
				}
			}
			r.mu.Unlock()
			// The marketplaces took the pushes; their outcomes are recorded
			// just after.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				notLive := map[string]string{}
				for kind, id := range r.channels {
					page, err := r.a.Listings.List(context.Background(), listing.Filter{ChannelID: id}, paging.Request{Limit: 100})
					if err != nil {
						t.Fatal(err)
					}
					for _, l := range page.Items {
						if l.Status != listing.StatusLive {
							notLive[kind+" "+l.ID] = l.Status
						}
					}
				}
				if len(notLive) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("listings not live: %v", notLive)
				}
			}
		})
	}
}
