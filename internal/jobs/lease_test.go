package jobs_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// slowSyncer records the runs of each channel: how many at once, and how
// many changes had been made when each run began.
type slowSyncer struct {
	delay   map[string]time.Duration
	changes *atomic.Int64

	mu      sync.Mutex
	running map[string]int
	most    map[string]int
	runs    map[string][]int64 // changes seen at the start of each run
	ranAt   map[string][]time.Time
}

func (s *slowSyncer) SyncChannel(ctx context.Context, channelID string) error {
	s.mu.Lock()
	s.running[channelID]++
	s.most[channelID] = max(s.most[channelID], s.running[channelID])
	s.runs[channelID] = append(s.runs[channelID], s.changes.Load())
	s.ranAt[channelID] = append(s.ranAt[channelID], time.Now())
	s.mu.Unlock()
	select {
	case <-time.After(s.delay[channelID]):
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.running[channelID]--
	s.mu.Unlock()
	return ctx.Err()
}

func (s *slowSyncer) snapshot(channelID string) (most int, runs []int64, ranAt []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.most[channelID], append([]int64(nil), s.runs[channelID]...), append([]time.Time(nil), s.ranAt[channelID]...)
}

func startSyncWorker(t *testing.T, rc redis.UniversalClient, s jobs.Syncer, enq *jobs.SyncEnqueuer, begins *atomic.Int64) {
	t.Helper()
	srv := asynq.NewServerFromRedisClient(rc, jobs.ServerConfig(10, testenv.Quiet()))
	mux := asynq.NewServeMux()
	begin := func(ctx context.Context, channelID string) (context.Context, error) {
		if channelID == "slow" {
			begins.Add(1)
		}
		return ctx, nil
	}
	mux.HandleFunc(jobs.TypeChannelSync, jobs.SyncHandler(s, &jobs.ChannelLease{Redis: rc, TTL: 3 * time.Second, Again: enq.Enqueue, OnTake: begin}))
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

// TestOneSyncPerChannel is issue 10's second point: however many sync
// requests arrive, on however many workers and processes, one sync of a
// channel runs at a time; requests that arrive meanwhile are coalesced
// into the next run (none is lost); and a slow marketplace delays only
// its own channel.
func TestOneSyncPerChannel(t *testing.T) {
	for _, rb := range testenv.RedisBackends() {
		t.Run(rb.Name, func(t *testing.T) {
			rc, _ := rb.Open(t)
			var changes atomic.Int64
			s := &slowSyncer{delay: map[string]time.Duration{"slow": 400 * time.Millisecond, "fast": 0}, changes: &changes,
				running: map[string]int{}, most: map[string]int{}, runs: map[string][]int64{}, ranAt: map[string][]time.Time{}}
			enq := &jobs.SyncEnqueuer{Client: asynq.NewClientFromRedisClient(rc), Window: 10 * time.Millisecond}
			// Two worker processes of ten workers each.
			var begins atomic.Int64 // runs that took the lease (and would take a fencing token)
			startSyncWorker(t, rc, s, enq, &begins)
			startSyncWorker(t, rc, s, enq, &begins)
			ctx := context.Background()

			// 60 changes of the slow channel over 3 s, each asking for a sync.
			var asked []time.Time
			for i := range 60 {
				changes.Add(1)
				if err := enq.Enqueue(ctx, "slow"); err != nil {
					t.Fatal(err)
				}
				if i%10 == 5 { // meanwhile the fast channel changes too
					asked = append(asked, time.Now())
					if err := enq.Enqueue(ctx, "fast"); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			total := changes.Load()
			waitFor(t, func() bool {
				_, runs, _ := s.snapshot("slow")
				return len(runs) > 0 && runs[len(runs)-1] == total
			})
			time.Sleep(time.Second) // nothing more should run
			most, runs, _ := s.snapshot("slow")
			if most != 1 {
				t.Errorf("%d syncs of one channel ran at once, want 1", most)
			}
			if int(begins.Load()) != len(runs) {
				t.Errorf("%d runs began under the lease for %d runs", begins.Load(), len(runs))
			}
			// 3 s of changes at 400 ms a run: about 8 runs, not 60.
			if len(runs) > 12 || runs[len(runs)-1] != total {
				t.Errorf("%d runs for %d requests, the last seeing %d changes: want them coalesced into few runs, the last seeing all", len(runs), total, runs[len(runs)-1])
			}
			_, _, fastAt := s.snapshot("fast")
			if len(fastAt) < len(asked) {
				t.Fatalf("the fast channel ran %d times for %d requests", len(fastAt), len(asked))
			}
			for i, at := range asked {
				if wait := fastAt[i].Sub(at); wait > time.Second {
					t.Errorf("fast channel's sync %d waited %v behind the slow channel", i, wait)
				}
			}
		})
	}
}
