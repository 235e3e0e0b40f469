package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/jkhhc/artisanbridge/adapters/simkit"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// TestSlowMarketplaceDelaysOnlyItself is issue 10's second point end to
// end: Amazon answering each call in 1.5 s while stock keeps changing
// keeps one worker of three busy, not all of them, so Flipkart's pushes and
// an order pulled from Flipkart still go through within seconds.
func TestSlowMarketplaceDelaysOnlyItself(t *testing.T) {
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			var skus []string
			for i := range 10 {
				skus = append(skus, fmt.Sprintf("SLOW-%02d", i))
			}
			r := newSyncRig(t, bp, rigOptions{env: map[string]string{"ARTISANBRIDGE_WORKER_CONCURRENCY": "3"}}, skus...)
			want := map[string]int64{}
			for _, sku := range skus {
				r.intake(t, sku, 5)
				want[sku] = 5
			}
			r.waitHeld(t, want, time.Minute)
			r.amz.SetFaults(simkit.Faults{LatencyMS: 1500})
			// Stock keeps changing for 3 s: Amazon's syncs pile up behind its latency.
			for i := range 30 {
				r.intake(t, skus[i%len(skus)], 1)
				time.Sleep(100 * time.Millisecond)
			}
			fkHas := func(sku string, q int64) func() bool {
				return func() bool { fk, _ := r.held(); return fk[sku] == q }
			}
			// A stock change reaches Flipkart within seconds.
			began := time.Now()
			r.intake(t, skus[0], 10)
			waitUntil(t, 5*time.Second, fkHas(skus[0], 5+3+10), "Flipkart's push waited behind the slow marketplace")
			t.Logf("Flipkart took a stock change %v after it was made, Amazon answering in 1.5 s", time.Since(began).Round(time.Millisecond))
			// An order on Flipkart is pulled and lowers Flipkart's quantity within seconds.
			rc := r.redis(t)
			client := asynq.NewClientFromRedisClient(rc)
			t.Cleanup(func() { client.Close() })
			placeOrder(t, r.fkURL, skus[1])
			began = time.Now()
			if err := jobs.EnqueuePull(context.Background(), client, r.channels["flipkart"], time.Second); err != nil {
				t.Fatal(err)
			}
			ingested := func() bool {
				page, err := r.a.Orders.List(context.Background(), orders.Filter{ChannelID: r.channels["flipkart"]}, paging.Request{Limit: 10})
				return err == nil && len(page.Items) == 1
			}
			waitUntil(t, 5*time.Second, ingested, "an order pull waited behind the slow marketplace")
			t.Logf("a Flipkart order was pulled and taken in %v after the pull was asked for", time.Since(began).Round(time.Millisecond))
		})
	}
}
