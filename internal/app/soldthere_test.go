package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/jkhhc/artisanbridge/internal/jobs"
)

// TestOrderAndCancellationInOneSync: a buyer orders a piece on Flipkart
// (which takes the unit off its own offer) and cancels it before any sync
// ran; the one sync that sees both gives Flipkart the unit back.
func TestOrderAndCancellationInOneSync(t *testing.T) {
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			r := newSyncRig(t, bp, rigOptions{}, "SOLD-1")
			r.intake(t, "SOLD-1", 3)
			r.waitHeld(t, map[string]int64{"SOLD-1": 3}, time.Minute)
			rc := r.redis(t)
			insp := asynq.NewInspectorFromRedisClient(rc)
			if err := insp.PauseQueue(jobs.QueueEvents); err != nil { // no sync until both are in
				t.Fatal(err)
			}
			b, _ := json.Marshal(map[string]any{"sku": "SOLD-1", "quantity": 1})
			resp, err := http.Post(r.fkURL+"/_sim/orders", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var placed struct {
				ID    string `json:"id"`
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			err = json.NewDecoder(resp.Body).Decode(&placed)
			resp.Body.Close()
			if err != nil || len(placed.Items) != 1 {
				t.Fatalf("order: %v %+v", err, placed)
			}
			ctx := context.Background()
			if _, err := r.a.Puller.Pull(ctx, r.channels["flipkart"]); err != nil {
				t.Fatal(err)
			}
			resp, err = http.Post(r.fkURL+"/_sim/orders/"+placed.ID+"/items/"+placed.Items[0].ID+"/cancel", "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if _, err := r.a.Puller.Pull(ctx, r.channels["flipkart"]); err != nil {
				t.Fatal(err)
			}
			if fk, _ := r.held(); fk["SOLD-1"] != 2 {
				t.Fatalf("Flipkart offers %d after the order, want 2 (it took the unit itself)", fk["SOLD-1"])
			}
			if err := insp.UnpauseQueue(jobs.QueueEvents); err != nil {
				t.Fatal(err)
			}
			r.waitHeld(t, map[string]int64{"SOLD-1": 3}, 30*time.Second)
		})
	}
}
