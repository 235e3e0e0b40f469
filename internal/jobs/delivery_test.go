package jobs_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/store"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// go-redis and the database pools keep idle goroutines per closed test client briefly.
		goleak.IgnoreTopFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).reaper"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// counting counts how often each event reaches it.
type counting struct {
	mu   sync.Mutex
	seen map[string]int
}

func (c *counting) Name() string { return "counting" }
func (c *counting) Topics() []string {
	return []string{outbox.TopicProductChanged, outbox.TopicStockChanged}
}
func (c *counting) Consume(_ context.Context, m outbox.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[m.ID]++
	return nil
}

func (c *counting) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.seen {
		out[k] = v
	}
	return out
}

// dies hands a message to the queue and then "dies" before the relay can
// mark it sent, as a process killed between enqueue and commit would.
type dies struct{ inner outbox.Enqueuer }

var errKilled = errors.New("process killed")

func (d dies) Enqueue(ctx context.Context, m outbox.Message) error {
	if err := d.inner.Enqueue(ctx, m); err != nil {
		return err
	}
	return errKilled
}
func (d dies) Lost(ctx context.Context, id string) (bool, error) { return d.inner.Lost(ctx, id) }

type pairing struct {
	name  string
	db    testenv.Backend
	redis testenv.RedisBackend
}

func pairings() []pairing {
	b, r := testenv.Backends(), testenv.RedisBackends()
	return []pairing{
		{"sqlite+miniredis", b[0], r[0]},
		{"postgres+redis", b[1], r[1]},
	}
}

// TestOutboxSurvivesCrashes is acceptance 7: events committed with a
// product change reach their consumer exactly once, whether the process
// dies before enqueueing, after enqueueing but before marking sent, or
// the relay repeats everything after a restart.
func TestOutboxSurvivesCrashes(t *testing.T) {
	for _, p := range pairings() {
		t.Run(p.name, func(t *testing.T) {
			db, _ := p.db.Open(t)
			rc, _ := p.redis.Open(t)
			ctx := context.Background()
			cat := newCatalog(t, db)

			// Three product changes commit; "the process dies" before any relay ran.
			var productIDs []string
			for _, sku := range []string{"PM-1", "PM-2", "PM-3"} {
				productIDs = append(productIDs, createProduct(t, cat, sku))
			}
			enq := jobs.NewEnqueuer(asynq.NewClientFromRedisClient(rc), asynq.NewInspectorFromRedisClient(rc))

			// First restart: this relay enqueues every event and is killed before marking any sent.
			crashing := outbox.NewRelay(db.Outbox(), dies{enq}, testenv.Quiet(), time.Second)
			if n, err := crashing.Drain(ctx); n != 0 || !errors.Is(err, errKilled) {
				t.Fatalf("crashing relay: sent %d, err %v", n, err)
			}
			// Second restart: a healthy relay hands them over again (TaskID makes it a no-op in Redis).
			relay := outbox.NewRelay(db.Outbox(), enq, testenv.Quiet(), time.Second)
			if n, err := relay.Drain(ctx); n != 3 || err != nil {
				t.Fatalf("relay after restart: sent %d, err %v", n, err)
			}
			consumer := &counting{seen: map[string]int{}}
			stop := startWorker(t, rc, db, consumer)
			waitDelivered(t, consumer, 3)

			// A third restart that forgot everything re-sends all events: still once each.
			if err := db.Gorm().Exec("UPDATE outbox SET sent_at = NULL").Error; err != nil {
				t.Fatal(err)
			}
			if n, err := relay.Drain(ctx); n != 3 || err != nil {
				t.Fatalf("relay re-send: sent %d, err %v", n, err)
			}
			time.Sleep(500 * time.Millisecond)
			stop()
			for id, n := range consumer.snapshot() {
				if n != 1 {
					t.Errorf("event %s delivered %d times", id, n)
				}
			}
			var markers int64
			db.Gorm().Table("processed_events").Where("consumer = ?", "counting").Count(&markers)
			if markers != 3 {
				t.Fatalf("%d processed markers, want 3", markers)
			}
			_ = productIDs
		})
	}
}

// TestLostRedisLosesNothing: events handed to a Redis that then loses its
// data are found by Recover and delivered.
func TestLostRedisLosesNothing(t *testing.T) {
	for _, p := range pairings() {
		t.Run(p.name, func(t *testing.T) {
			db, _ := p.db.Open(t)
			rc, _ := p.redis.Open(t)
			ctx := context.Background()
			cat := newCatalog(t, db)
			createProduct(t, cat, "LOST-1")
			createProduct(t, cat, "LOST-2")
			enq := jobs.NewEnqueuer(asynq.NewClientFromRedisClient(rc), asynq.NewInspectorFromRedisClient(rc))
			relay := outbox.NewRelay(db.Outbox(), enq, testenv.Quiet(), time.Second)
			if n, err := relay.Drain(ctx); n != 2 || err != nil {
				t.Fatalf("drain: %d %v", n, err)
			}
			if err := rc.FlushDB(ctx).Err(); err != nil { // Redis restarts without its data
				t.Fatal(err)
			}
			n, err := relay.Recover(ctx, time.Now().Add(time.Minute))
			if err != nil || n != 2 {
				t.Fatalf("recover: %d %v", n, err)
			}
			if n, err := relay.Drain(ctx); n != 2 || err != nil {
				t.Fatalf("drain after recover: %d %v", n, err)
			}
			consumer := &counting{seen: map[string]int{}}
			stop := startWorker(t, rc, db, consumer)
			waitDelivered(t, consumer, 2)
			// Delivered events are confirmed, so recovery leaves them alone.
			waitFor(t, func() bool {
				n, _ := relay.Recover(ctx, time.Now().Add(time.Minute))
				return n == 0
			})
			stop()
		})
	}
}

func newCatalog(t *testing.T, db *store.DB) *catalog.Service {
	t.Helper()
	key, err := secrets.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.ParseMasterKey(key)
	if err != nil {
		t.Fatal(err)
	}
	crafts, _ := catalog.NewCrafts()
	return catalog.NewService(db.Catalog(), ring, crafts, nil)
}

func createProduct(t *testing.T, cat *catalog.Service, sku string) string {
	t.Helper()
	ctx := context.Background()
	s := func(v string) *string { return &v }
	n := func(v int64) *int64 { return &v }
	code := "A-" + sku
	a, err := cat.CreateArtisan(ctx, catalog.ArtisanInput{Code: s(code), Name: s("Maker " + sku), Craft: s("papier_mache")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.CreateProduct(ctx, catalog.ProductInput{SKU: s(sku), Title: s("Papier-mache box"), Craft: s("papier_mache"),
		HSNCode: s("4823"), GSTRateBP: n(500), MRPPaise: n(150000), PricePaise: n(120000), ArtisanID: s(a.ID), ArtisanShareBP: n(6000)})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func startWorker(t *testing.T, rc redis.UniversalClient, db *store.DB, c jobs.Consumer) func() {
	t.Helper()
	srv := asynq.NewServerFromRedisClient(rc, jobs.ServerConfig(4, testenv.Quiet()))
	if err := srv.Start(jobs.NewMux(db.Outbox(), testenv.Quiet(), c)); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(srv.Shutdown) }
	t.Cleanup(stop)
	return stop
}

func waitDelivered(t *testing.T, c *counting, want int) {
	t.Helper()
	waitFor(t, func() bool { return len(c.snapshot()) >= want })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
