package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/jkhhc/artisanbridge/internal/benchfig"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// stockSeen remembers every stock event delivered to it.
type stockSeen struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *stockSeen) Name() string     { return "test-stock-seen" }
func (s *stockSeen) Topics() []string { return []string{outbox.TopicStockChanged} }
func (s *stockSeen) Consume(_ context.Context, m outbox.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[m.ID] = true
	return nil
}

func (s *stockSeen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// TestRedeliveryAfterRedisLoss is issue 10's acceptance 4, second half:
// events handed to Redis and not yet delivered when Redis loses its data
// (here FLUSHDB of the test's own database, or of the embedded Redis: the
// same loss a restart without persistence is) are all delivered again by
// the running process, well before asynq's RecoverAfter (3 minutes) would
// have handed anything over. How long it took, against the 10 s target,
// is BenchmarkRedeliveryAfterRedisLoss's figure: a timed unit test fails
// on a loaded machine and proves nothing about speed.
func TestRedeliveryAfterRedisLoss(t *testing.T) {
	for _, bp := range backendPairs() {
		t.Run(bp.name, func(t *testing.T) {
			took := redeliveryAfterLoss(t, bp, 90*time.Second)
			t.Logf("200 lost events delivered %v after Redis lost its data", took.Round(time.Millisecond))
		})
	}
}

// BenchmarkRedeliveryAfterRedisLoss reports how long 200 events handed to
// Redis take to be delivered again after Redis loses its data.
func BenchmarkRedeliveryAfterRedisLoss(b *testing.B) {
	for _, bp := range backendPairs() {
		var worst time.Duration
		for range b.N {
			worst = max(worst, redeliveryAfterLoss(b, bp, 90*time.Second))
		}
		benchfig.Report(b, "200 events redelivered after Redis lost its data ("+bp.name+")",
			fmt.Sprintf("%.2f s from the loss to the last delivery", worst.Seconds()),
			"<= 10 s", worst <= 10*time.Second, "make bench (go test -run '^$' -bench BenchmarkRedeliveryAfterRedisLoss ./internal/app/)")
	}
}

// redeliveryAfterLoss queues 200 stock events in a paused queue, flushes
// Redis, and answers how long until every one was delivered (failing
// after within).
func redeliveryAfterLoss(t testing.TB, bp backendPair, within time.Duration) time.Duration {
	t.Helper()
	skus := []string{"LOSS-1", "LOSS-2", "LOSS-3", "LOSS-4"}
	r := newSyncRig(t, bp, rigOptions{manual: true}, skus...)
	seen := &stockSeen{seen: map[string]bool{}}
	r.a.Consumers = append(r.a.Consumers, seen)
	r.start()
	rc := r.redis(t)
	insp := asynq.NewInspectorFromRedisClient(rc)
	for i := range 8 {
		r.intake(t, skus[i%len(skus)], 1)
	}
	waitUntil(t, 30*time.Second, func() bool { return seen.count() == 8 }, "the first stock events were never delivered")

	// Events wait in a paused queue, handed over but not delivered...
	if err := insp.PauseQueue(jobs.QueueEvents); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		r.intake(t, skus[i%len(skus)], 1)
	}
	waitUntil(t, 30*time.Second, func() bool {
		info, err := insp.GetQueueInfo(jobs.QueueEvents)
		return err == nil && info.Pending >= 200
	}, "the stock events never reached Redis")
	if n := seen.count(); n != 8 {
		t.Fatalf("%d stock events delivered from a paused queue", n)
	}
	// ...when Redis loses everything (the pause too).
	if err := rc.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	lost := time.Now()
	waitUntil(t, within, func() bool { return seen.count() == 208 }, fmt.Sprintf("the lost events were not all delivered again within %v", within))
	return time.Since(lost)
}

func waitUntil(t testing.TB, within time.Duration, cond func() bool, failure string) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(failure)
		}
	}
}
