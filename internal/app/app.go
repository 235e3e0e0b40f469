// Package app wires artisanbridge together: the database (SQLite or
// PostgreSQL), Redis (in-process or real), the outbox relay, the Asynq
// worker and the HTTP server, and shuts them down in order.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/sms"
	"github.com/jkhhc/artisanbridge/config"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/channelsync"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/fulfilpush"
	"github.com/jkhhc/artisanbridge/internal/httpapi"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/store"
)

// Mode says which halves a process runs.
type Mode struct {
	API    bool
	Worker bool
}

// App is a running artisanbridge process.
type App struct {
	cfg        config.Config
	log        *slog.Logger
	DB         *store.DB
	Redis      redis.UniversalClient
	mini       *miniredis.Miniredis
	Keyring    *secrets.Keyring
	Auth       *auth.Service
	Catalog    *catalog.Service
	Stock      *inventory.Service
	Channels   *channels.Service
	Listings   *listing.Service
	Exceptions *exceptions.Service
	Orders     *orders.Service
	Puller     *orderpull.Puller
	Notify     *notify.Service
	Finance    *finance.Service
	Pusher     *fulfilpush.Pusher
	Sync       *channelsync.Engine
	Relay      *outbox.Relay
	client     *asynq.Client
	syncQueue  *jobs.SyncEnqueuer
	calls      callCounter
	simServers []*http.Server
	// Consumers receive outbox events in the worker; tests add their own.
	Consumers []jobs.Consumer
	registry  *prometheus.Registry
	addr      net.Addr
	addrReady chan struct{}
}

// Open connects to (or starts) the database and Redis, migrates, and
// builds the services. It starts nothing in the background except the
// embedded Redis and its clock.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *App, err error) {
	a := &App{cfg: cfg, log: log, addrReady: make(chan struct{})}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if cfg.Embedded() {
		log.Warn("EMBEDDED MODE: SQLite database file and in-process Redis; fine for one showroom or a demo, "+
			"not for production (set DATABASE_URL and REDIS_URL)", "database", cfg.SQLitePath())
	}
	a.DB, err = store.Open(ctx, store.Options{PostgresURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath(), MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if err := a.DB.Migrate(ctx, log); err != nil {
		return nil, err
	}
	if err := a.openRedis(ctx); err != nil {
		return nil, err
	}
	masterKey := cfg.MasterKey
	if masterKey == "" {
		masterKey, err = secrets.LoadOrCreateKeyFile(cfg.MasterKeyPath())
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
	}
	a.Keyring, err = secrets.ParseMasterKey(masterKey)
	if err != nil {
		return nil, fmt.Errorf("ARTISANBRIDGE_MASTER_KEY: %w", err)
	}
	crafts, err := catalog.NewCrafts(cfg.ExtraCrafts...)
	if err != nil {
		return nil, fmt.Errorf("ARTISANBRIDGE_EXTRA_CRAFTS: %w", err)
	}
	a.Auth = auth.NewService(a.DB.Users(), nil)
	a.Catalog = catalog.NewService(a.DB.Catalog(), a.Keyring, crafts, nil)
	a.Stock = inventory.NewService(a.DB.Inventory(), nil)
	a.Channels = channels.NewService(a.DB.Channels(), a.Keyring, nil)
	a.Listings = listing.NewService(a.DB.Listings(), nil)
	a.Exceptions = exceptions.NewService(a.DB.Exceptions(), nil)
	a.Orders = orders.NewService(a.DB.Orders(), nil)
	a.Finance = finance.NewService(a.DB.Finance(), nil)
	a.Puller = &orderpull.Puller{Channels: a.Channels, Orders: a.Orders, Cursors: a.DB.Orders(), Factory: a.adapterFor,
		Exceptions: a.DB.Exceptions(), Resolver: a.Exceptions, Log: log}
	a.calls = callCounter{rdb: a.Redis}
	a.Sync = &channelsync.Engine{Channels: a.Channels, ChannelRows: a.DB.Channels(), Listings: a.DB.Listings(),
		Exceptions: a.DB.Exceptions(), Factory: a.adapterFor, Log: log}
	a.client = asynq.NewClientFromRedisClient(a.Redis)
	a.syncQueue = &jobs.SyncEnqueuer{Client: a.client}
	a.Relay = outbox.NewRelay(a.DB.Outbox(), jobs.NewEnqueuer(a.client, asynq.NewInspectorFromRedisClient(a.Redis)), log, cfg.RelayInterval)
	a.DB.OnEvents(a.Relay.Notify)
	a.Notify = notify.NewService(a.DB.Notifications(), a.smsSender(), log, nil)
	a.Pusher = &fulfilpush.Pusher{Store: a.DB.Fulfilment(), Channels: a.channelAdapter, Log: log}
	a.Consumers = []jobs.Consumer{jobs.ChangeLog{Log: log},
		jobs.ListingSync{Dirty: a.DB.Listings(), Enqueue: a.syncQueue.Enqueue, Log: log},
		jobs.OrderMapping{Orders: a.DB.Orders()},
		jobs.ArtisanNotifier{Service: a.Notify},
		jobs.FulfilmentPush{Pusher: a.Pusher},
		jobs.FinanceClawback{Ledger: a.DB.Finance()}}
	if cfg.Embedded() {
		err = a.startSimulators(ctx)
	} else {
		err = a.ensureProductionChannels(ctx)
	}
	if err != nil {
		return nil, err
	}
	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.registry.MustRegister(httpapi.Collectors()...)
	a.registry.MustRegister(jobs.Collectors()...)
	a.registry.MustRegister(marketplaceCalls)
	return a, nil
}

// smsSender is the configured SMS gateway, or the log when there is none.
func (a *App) smsSender() notify.Sender {
	if a.cfg.SMSURL == "" {
		return notify.LogSender{Log: a.log}
	}
	return &sms.Gateway{URL: a.cfg.SMSURL, APIKey: a.cfg.SMSAPIKey, Sender: a.cfg.SMSSender, Client: &http.Client{}}
}

// channelAdapter returns the adapter of a channel by its id.
func (a *App) channelAdapter(ctx context.Context, channelID string) (adapters.Channel, error) {
	ch, err := a.Channels.Get(ctx, channelID)
	if err != nil {
		return nil, err
	}
	creds, err := a.Channels.Credentials(ctx, channelID)
	if err != nil {
		return nil, err
	}
	return a.adapterFor(ch, creds)
}

func (a *App) openRedis(ctx context.Context) error {
	if a.cfg.RedisURL == "" {
		a.mini = miniredis.NewMiniRedis()
		if err := a.mini.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("embedded redis: %w", err)
		}
		a.Redis = redis.NewClient(&redis.Options{Addr: a.mini.Addr()})
	} else {
		opt, err := redis.ParseURL(a.cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		a.Redis = redis.NewClient(opt)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.Redis.Ping(pingCtx).Err(); err != nil {
		return fmt.Errorf("redis unreachable: %w", err)
	}
	return nil
}

// Run serves until ctx ends, then shuts down gracefully: stop taking
// requests, let the worker finish or requeue its tasks, stop the relay.
func (a *App) Run(ctx context.Context, mode Mode) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	goRun := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	if a.mini != nil {
		goRun("embedded redis clock", func() error { a.runMiniredisClock(ctx); return nil })
	}
	goRun("outbox relay", func() error { return a.Relay.Run(ctx) })
	goRun("maintenance", func() error { a.runMaintenance(ctx); return nil })
	if mode.Worker {
		srv := asynq.NewServerFromRedisClient(a.Redis, jobs.ServerConfig(a.cfg.WorkerConcurrency, a.log))
		mux := jobs.NewMux(a.DB.Outbox(), a.log, a.Consumers...)
		mux.HandleFunc(jobs.TypeChannelSync, jobs.SyncHandler(syncer{a.Sync}))
		mux.HandleFunc(jobs.TypeChannelPull, jobs.PullHandler(puller{a.Puller}))
		goRun("order pulls", func() error { a.runPullSchedule(ctx); return nil })
		goRun("sync sweep", func() error { a.runSyncSweep(ctx); return nil })
		if err := srv.Start(mux); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		defer srv.Shutdown()
	}
	goRun("http", func() error { return a.serveHTTP(ctx, mode) })
	<-ctx.Done()
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// runMiniredisClock advances miniredis's clock in real time: it expires
// keys only when told, and asynq's unique locks and leases rely on expiry.
func (a *App) runMiniredisClock(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			a.mini.FastForward(now.Sub(last))
			last = now
		}
	}
}

// runMaintenance prunes idempotency keys past their 24 hours and outbox
// rows delivered a week ago.
func (a *App) runMaintenance(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		if n, err := a.DB.Idempotency().Prune(ctx, now.Add(-idempotency.Retention)); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning idempotency keys failed", "err", err)
		} else if n > 0 {
			a.log.Info("pruned idempotency keys", "count", n)
		}
		// Earnings whose return window closed become payable; every
		// replica may run this, the ledger posts each release once.
		if n, err := a.Finance.ReleaseDue(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("releasing artisan earnings failed", "err", err)
		} else if n > 0 {
			a.log.Info("artisan earnings became payable", "count", n)
		}
		a.pullAllSettlements(ctx)
		if n, err := a.DB.Outbox().PruneSent(ctx, now.Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning outbox failed", "err", err)
		} else if n > 0 {
			a.log.Info("pruned delivered outbox events", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Handler returns the HTTP handler for mode: the whole API, or for a
// worker only health and metrics.
func (a *App) Handler(mode Mode) http.Handler {
	insp := asynq.NewInspectorFromRedisClient(a.Redis)
	return httpapi.New(httpapi.Deps{
		Log: a.log, Auth: a.Auth, Catalog: a.Catalog, Inventory: a.Stock, Audit: a.DB.Audit(),
		Channels: a.Channels, Listings: a.Listings, Exceptions: a.Exceptions, Orders: a.Orders, Tasks: fulfilment.NewService(a.DB.Fulfilment(), nil), Finance: a.Finance, Payouts: finance.NewPayouts(a.DB.Finance(), a.Keyring, nil), ChannelCalls: a.calls.lastHour,
		Files: a.DB.ChannelFiles(), ImportOrders: a.importOrders, PullSettlements: a.pullSettlements, RescanOrders: a.rescanOrders, RetryMissedOrder: a.Puller.Retry,
		Idempotency:  a.DB.Idempotency(),
		Queues:       func(ctx context.Context) ([]httpapi.QueueInfo, error) { return queueInfo(insp) },
		OutboxQueued: a.DB.Outbox().PendingCount,
		Ready: map[string]func(ctx context.Context) error{
			"database": a.DB.Ping,
			"redis":    func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() },
		},
		Metrics:      promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}),
		MaxBodyBytes: a.cfg.MaxBodyBytes,
		HealthOnly:   !mode.API,
	})
}

func queueInfo(insp *asynq.Inspector) ([]httpapi.QueueInfo, error) {
	out := []httpapi.QueueInfo{}
	for _, q := range []string{jobs.QueueEvents, jobs.QueueSync, jobs.QueueDefault} {
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			// A queue that never had a task does not exist yet in Redis.
			out = append(out, httpapi.QueueInfo{Queue: q})
			continue
		}
		out = append(out, httpapi.QueueInfo{Queue: q, Size: info.Size, Pending: info.Pending, Active: info.Active,
			Scheduled: info.Scheduled, Retry: info.Retry, Archived: info.Archived, Completed: info.Completed,
			Failed: info.Failed, Paused: info.Paused})
	}
	return out, nil
}

func (a *App) serveHTTP(ctx context.Context, mode Mode) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return err
	}
	a.addr = ln.Addr()
	close(a.addrReady)
	srv := &http.Server{
		Handler:           a.Handler(mode),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // imports over slow valley links
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	a.log.Info("listening", "addr", a.addr.String(), "api", mode.API, "worker", mode.Worker)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	a.log.Info("shutting down: draining HTTP requests")
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	return nil
}

// Addr waits for the HTTP listener and returns its address (tests listen on :0).
func (a *App) Addr(ctx context.Context) (net.Addr, error) {
	select {
	case <-a.addrReady:
		return a.addr, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// syncer adapts the engine's report to the job handler.
type syncer struct{ e *channelsync.Engine }

func (s syncer) SyncChannel(ctx context.Context, channelID string) error {
	_, err := s.e.SyncChannel(ctx, channelID)
	return err
}

// puller adapts the order puller to the job handler.
type puller struct{ p *orderpull.Puller }

// pullMaxWait is the longest a pull waits for the marketplace's rate
// limiter: a pull comes round again every period, so it must not hold a
// worker (which stock pushes need) waiting minutes for its turn.
const pullMaxWait = 2 * time.Second

func (p puller) PullChannel(ctx context.Context, channelID string) error {
	_, err := p.p.Pull(adapters.WithMaxWait(ctx, pullMaxWait), channelID)
	return err
}

// Close releases everything Open acquired.
func (a *App) Close() {
	for _, s := range a.simServers {
		s.Close()
	}
	if a.client != nil {
		a.client.Close()
	}
	if a.Redis != nil {
		a.Redis.Close()
	}
	if a.mini != nil {
		a.mini.Close()
	}
	if a.DB != nil {
		a.DB.Close()
	}
}
