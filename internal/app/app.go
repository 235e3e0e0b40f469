// Package app wires artisanbridge together: the database (SQLite or
// PostgreSQL), Redis (in-process or real), the outbox relay, the Asynq
// worker and the HTTP server, and shuts them down in order.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	razorpayxsim "github.com/jkhhc/artisanbridge/adapters/razorpayx/sim"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/adapters"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/adapters/razorpayx"
	"github.com/jkhhc/artisanbridge/adapters/sms"
	"github.com/jkhhc/artisanbridge/config"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/channelsync"
	"github.com/jkhhc/artisanbridge/internal/console"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/fulfilpush"
	"github.com/jkhhc/artisanbridge/internal/httpapi"
	"github.com/jkhhc/artisanbridge/internal/idempotency"
	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/inventory"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
	"github.com/jkhhc/artisanbridge/internal/messages"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/opsmetrics"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
	"github.com/jkhhc/artisanbridge/internal/secrets"
	"github.com/jkhhc/artisanbridge/internal/showcase"
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
	Imports    *imports.Service
	Stock      *inventory.Service
	Channels   *channels.Service
	Listings   *listing.Service
	Exceptions *exceptions.Service
	Reconcile  *reconcile.Service
	Reconciler *reconcile.Runner
	Orders     *orders.Service
	Puller     *orderpull.Puller
	Notify     *notify.Service
	Finance    *finance.Service
	Payouts    *finance.Payouts
	Pusher     *fulfilpush.Pusher
	Sync       *channelsync.Engine
	Media      *media.Service
	Relay      *outbox.Relay
	client     *asynq.Client
	syncQueue  *jobs.SyncEnqueuer
	calls      callCounter
	adapters   adapterPool
	simServers []*http.Server
	// payoutSim is the embedded RazorpayX simulator (nil unless embedded
	// with the razorpayx provider); payoutWebhook verifies its deliveries.
	payoutSim     *razorpayxsim.Sim
	payoutWebhook *razorpayx.WebhookVerifier
	// flipkartSim is the embedded Flipkart simulator (nil unless
	// embedded); it posts its notifications to this process.
	flipkartSim *flipkartsim.Sim
	// Consumers receive outbox events in the worker; tests add their own.
	Consumers  []jobs.Consumer
	registry   *prometheus.Registry
	opsMetrics *prometheus.Registry
	// queueUI is asynqmon on the same Redis (redisOpt), opened with the
	// first Handler. Read-only: a change to a job would be a change by a
	// person the audit log does not see, and every job derives from the
	// database anyway (the relay and the sweeps hand lost work over again).
	queueUI     *asynqmon.HTTPHandler
	queueUIOnce sync.Once
	redisOpt    asynq.RedisConnOpt
	lock        *dataLock
	addr        net.Addr
	metricsAddr net.Addr
	addrReady   chan struct{}
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
		// One process per data folder: taken before anything is opened,
		// released by the kernel however the process ends.
		if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
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
	a.Imports = imports.NewService(a.DB.Imports(), a.Catalog, nil, log, imports.Options{})
	a.Stock = inventory.NewService(a.DB.Inventory(), nil)
	a.Media = media.NewService(a.DB.Media(), a.PublicURL, nil)
	a.Channels = channels.NewService(a.DB.Channels(), a.Keyring, nil)
	a.Listings = listing.NewService(a.DB.Listings(), nil)
	a.Exceptions = exceptions.NewService(a.DB.Exceptions(), nil)
	a.Orders = orders.NewService(a.DB.Orders(), nil)
	a.Finance = finance.NewService(a.DB.Finance(), nil)
	a.Puller = &orderpull.Puller{Channels: a.Channels, Orders: a.Orders, Cursors: a.DB.Orders(), Factory: a.adapterFor,
		Exceptions: a.DB.Exceptions(), Resolver: a.Exceptions, Lookup: a.DB.Orders(), Log: log}
	a.calls = callCounter{rdb: a.Redis}
	a.Sync = &channelsync.Engine{Channels: a.Channels, ChannelRows: a.DB.Channels(), Listings: a.DB.Listings(),
		Exceptions: a.DB.Exceptions(), Factory: a.adapterFor, Log: log, PhotoURL: a.Media.URL,
		Presence: a.DB.Presence(), PresenceFloor: cfg.SyncSweep}
	a.client = asynq.NewClientFromRedisClient(a.Redis)
	a.syncQueue = &jobs.SyncEnqueuer{Client: a.client}
	a.Relay = outbox.NewRelay(a.DB.Outbox(), jobs.NewEnqueuer(a.client, asynq.NewInspectorFromRedisClient(a.Redis)), log, cfg.RelayInterval)
	a.Relay.WatchQueue(jobs.QueueEpoch{Redis: a.Redis}.Reset)
	a.DB.OnEvents(a.Relay.Notify)
	a.Notify = notify.NewService(a.DB.Notifications(), a.smsSender(), a.messages(), log, nil)
	a.Reconcile = reconcile.NewService(a.DB.Reconciliations(), nil)
	a.Reconciler = a.newReconciler()
	a.Pusher = &fulfilpush.Pusher{Store: a.DB.Fulfilment(), Channels: a.channelAdapter, Log: log}
	if err := a.startPayouts(ctx); err != nil {
		return nil, err
	}
	a.Consumers = []jobs.Consumer{jobs.ChangeLog{Log: log},
		jobs.ListingSync{Dirty: a.DB.Listings(), Enqueue: a.syncQueue.Enqueue, Log: log},
		jobs.OrderMapping{Orders: a.DB.Orders()},
		jobs.ArtisanNotifier{Service: a.Notify},
		jobs.FulfilmentPush{Pusher: a.Pusher},
		jobs.FinanceClawback{Ledger: a.DB.Finance()},
		jobs.PayoutSend{Payouts: a.Payouts},
		jobs.OrderNotices{Puller: a.Puller},
		jobs.ReconcileRequested{Client: a.client},
		jobs.ImportRunner{Imports: a.Imports}}
	if cfg.Embedded() {
		err = explainListen(cfg, a.startSimulators(ctx))
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
	a.registry.MustRegister(marketplaceCalls, notificationsReceived)
	// What operations watch in the database and the queues is the same
	// from every process: api and serve export it, workers do not, so a
	// scrape of the whole topology counts each figure once.
	insp := asynq.NewInspectorFromRedisClient(a.Redis)
	a.opsMetrics = prometheus.NewRegistry()
	a.opsMetrics.MustRegister(opsmetrics.NewCollector(a.DB.OpsMetrics(), log, opsMetricsMaxAge, opsMetricsTimeout),
		asynqmetrics.NewQueueMetricsCollector(insp))
	return a, nil
}

// The operations figures are read at most every opsMetricsMaxAge, however
// many scrapers ask, and a read gives up after opsMetricsTimeout.
const (
	opsMetricsMaxAge  = 5 * time.Second
	opsMetricsTimeout = 5 * time.Second
)

// smsSender is the configured SMS gateway, or the log when there is none.
func (a *App) smsSender() notify.Sender {
	if a.cfg.SMSURL == "" {
		return notify.LogSender{Log: a.log}
	}
	return &sms.Gateway{URL: a.cfg.SMSURL, APIKey: a.cfg.SMSAPIKey, Sender: a.cfg.SMSSender, EntityID: a.cfg.SMSEntityID,
		Templates: a.messages(), Client: &http.Client{}}
}

// messages is the catalogue of texts to artisans with the template ids the
// corporation registered and the price of a segment.
func (a *App) messages() *messages.Catalog {
	cat := messages.Default(a.log).WithSegmentCost(a.cfg.SMSSegmentCostPaise)
	// Both were validated at start-up (config.Validate).
	ids, _ := messages.ParseTemplateIDs(a.cfg.SMSTemplateIDs)
	if withIDs, err := cat.WithTemplateIDs(ids); err == nil {
		return withIDs
	}
	return cat
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
		if err := a.mini.StartAddr(a.cfg.EmbeddedRedisAddr); err != nil {
			return fmt.Errorf("embedded redis: %w", listenError(a.cfg.EmbeddedRedisAddr, "ARTISANBRIDGE_EMBEDDED_REDIS_ADDR", err))
		}
		a.log.Warn("EMBEDDED MODE: in-process Redis listening; asynqmon or redis-cli can be pointed at it",
			"addr", a.mini.Addr(), "redis_url", "redis://"+a.mini.Addr()+"/0")
		a.Redis = redis.NewClient(&redis.Options{Addr: a.mini.Addr()})
		a.redisOpt = asynq.RedisClientOpt{Addr: a.mini.Addr()}
	} else {
		opt, err := redis.ParseURL(a.cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		if a.redisOpt, err = asynq.ParseRedisURI(a.cfg.RedisURL); err != nil {
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
// requests (each server drains for up to ARTISANBRIDGE_SHUTDOWN_TIMEOUT),
// then let the worker finish or requeue its tasks (jobs.ServerConfig's
// ShutdownTimeout), and stop the relay. A stop therefore takes at most the
// sum of the two, which docker-compose.yml's stop_grace_period exceeds.
func (a *App) Run(ctx context.Context, mode Mode) error {
	// Every address is taken before anything starts, so a port clash stops
	// the process at once, naming the setting to change.
	servers, err := a.listenAll(mode)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 8+len(servers)) // one per goroutine at most
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
	goRun("earnings", func() error { a.runReleases(ctx); return nil })
	if a.payoutSim != nil && mode.API {
		a.payoutSim.SetWebhookURL("http://" + a.addr.String() + "/webhooks/payouts/" + razorpayx.ProviderName)
	}
	if a.flipkartSim != nil && mode.API {
		a.flipkartSim.SetNotifications(flipkartsim.Notifications{URL: "http://" + a.addr.String() + "/webhooks/flipkart"})
	}
	if a.payoutWebhook != nil {
		goRun("payout polls", func() error { a.runPayoutPolls(ctx); return nil })
	}
	if mode.Worker {
		srv := asynq.NewServerFromRedisClient(a.Redis, jobs.ServerConfig(a.cfg.WorkerConcurrency, a.log))
		mux := jobs.NewMux(a.DB.Outbox(), a.log, a.Consumers...)
		lease := &jobs.ChannelLease{Redis: a.Redis, Again: a.syncQueue.Enqueue, Log: a.log,
			OnTake: func(ctx context.Context, channelID string) (context.Context, error) {
				fence, err := a.DB.Channels().NextSyncFence(ctx, channelID)
				return channelsync.WithFence(ctx, fence), err
			}}
		mux.HandleFunc(jobs.TypeChannelSync, jobs.SyncHandler(syncer{a.Sync}, lease))
		mux.HandleFunc(jobs.TypeChannelPull, jobs.PullHandler(puller{a.Puller}))
		mux.HandleFunc(jobs.TypeReconcile, jobs.ReconcileHandler(a.Reconciler))
		goRun("nightly reconciliations", func() error { a.runNightlyReconciliations(ctx); return nil })
		goRun("reconciliation recovery", func() error { a.runReconcileRecovery(ctx); return nil })
		goRun("order pulls", func() error { a.runPullSchedule(ctx); return nil })
		goRun("sync sweep", func() error { a.runSyncSweep(ctx); return nil })
		if err := srv.Start(mux); err != nil {
			for _, s := range servers {
				s.ln.Close()
			}
			cancel()
			wg.Wait()
			return fmt.Errorf("worker: %w", err)
		}
		defer srv.Shutdown()
	}
	for _, srv := range servers {
		goRun(srv.name, func() error { return a.serveHTTP(ctx, srv) })
	}
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

// releaseInterval is how often earnings whose return window closed are
// made payable: continuously, in bounded transactions, by every replica at
// once without doubling (finance.Store.ReleaseDue).
const releaseInterval = time.Minute

func (a *App) runReleases(ctx context.Context) {
	t := time.NewTicker(releaseInterval)
	defer t.Stop()
	for {
		if n, err := a.Finance.ReleaseDue(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("releasing artisan earnings failed", "err", err)
		} else if n > 0 {
			a.log.Info("artisan earnings became payable", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
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
		a.pullAllSettlements(ctx)
		// On the first of the month every artisan with money held, payable
		// or paid gets the month's statement by SMS (once: run hourly, it
		// queues nothing the second time).
		if n, err := a.Finance.SendStatementSummaries(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("queueing statement summaries failed", "err", err)
		} else if n > 0 {
			a.log.Info("statement summaries queued for artisans", "count", n)
		}
		if n, err := a.DB.Orders().PruneNotices(ctx, now.Add(-NoticeRetention)); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning marketplace notifications failed", "err", err)
		} else if n > 0 {
			a.log.Info("pruned marketplace notifications", "count", n)
		}
		if n, err := a.DB.Imports().PruneUploads(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning abandoned import uploads failed", "err", err)
		} else if n > 0 {
			a.log.Info("pruned abandoned import uploads", "count", n)
		}
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

// Handler returns the admin API with the queue console mounted beside it.
func (a *App) Handler() http.Handler {
	a.queueUIOnce.Do(func() {
		a.queueUI = asynqmon.New(asynqmon.Options{RootPath: httpapi.QueueConsolePath, RedisConnOpt: a.redisOpt, ReadOnly: true})
	})
	api := httpapi.MountQueueConsole(a.apiServer(false), a.log, a.Auth, a.queueUI)
	return console.Mount(a.console(), api)
}

// console is the web console, on the same services as the API.
func (a *App) console() *console.Console {
	insp := asynq.NewInspectorFromRedisClient(a.Redis)
	return console.New(console.Deps{
		Log: a.log, Sessions: auth.NewSessions(a.DB.Sessions(), nil, auth.DefaultLockout), Catalog: a.Catalog, Inventory: a.Stock,
		Channels: a.Channels, Listings: a.Listings, Exceptions: a.Exceptions, Reconcile: a.Reconcile, Orders: a.Orders, Tasks: fulfilment.NewService(a.DB.Fulfilment(), nil),
		Finance: a.Finance, Payouts: a.Payouts, Idempotency: a.DB.Idempotency(), Ops: a.DB.OpsMetrics(), OrdersSince: a.DB.OrdersSince, Media: a.Media,
		ImportOrders: a.importOrders,
		RetryMissedOrder: func(ctx context.Context, id, by string) error {
			_, err := a.Puller.Retry(ctx, id, by)
			return err
		},
		Queues: func(ctx context.Context) ([]console.QueueDepth, error) {
			qs, err := queueInfo(insp)
			out := make([]console.QueueDepth, len(qs))
			for i, q := range qs {
				out[i] = console.QueueDepth{Queue: q.Queue, Size: q.Size, Archived: q.Archived}
			}
			return out, err
		},
	})
}

// apiServer is the admin API, or with healthOnly its public routes alone
// (what a worker answers besides /metrics).
func (a *App) apiServer(healthOnly bool) *httpapi.Server {
	insp := asynq.NewInspectorFromRedisClient(a.Redis)
	return httpapi.New(httpapi.Deps{
		Log: a.log, Auth: a.Auth, Catalog: a.Catalog, Imports: a.Imports, Inventory: a.Stock, Audit: a.DB.Audit(),
		Channels: a.Channels, Listings: a.Listings, Exceptions: a.Exceptions, Reconcile: a.Reconcile, Orders: a.Orders, Tasks: fulfilment.NewService(a.DB.Fulfilment(), nil), Finance: a.Finance, Payouts: a.Payouts, PayoutWebhook: a.PayoutWebhook, FlipkartNotification: a.FlipkartNotification, ChannelCalls: a.calls.lastHour,
		Media: a.Media, Showcase: &showcase.Site{Catalogue: a.Catalog, Listings: a.Listings, Channels: a.Channels, Public: a.PublicURL, Labels: console.PublicLabels{}},
		Files: a.DB.ChannelFiles(), ImportOrders: a.importOrders, ImportCatalogueExport: a.importCatalogueExport, PullSettlements: a.pullSettlements, RescanOrders: a.rescanOrders, RetryMissedOrder: a.Puller.Retry,
		Idempotency:  a.DB.Idempotency(),
		Queues:       func(ctx context.Context) ([]httpapi.QueueInfo, error) { return queueInfo(insp) },
		OutboxQueued: a.DB.Outbox().PendingCount,
		Ready: map[string]func(ctx context.Context) error{
			"database": a.DB.Ping,
			"redis":    func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() },
		},
		MaxBodyBytes: a.cfg.MaxBodyBytes,
		HealthOnly:   healthOnly,
	})
}

// PublicURL is the address buyers and marketplaces reach this service at:
// ARTISANBRIDGE_PUBLIC_URL, or else http:// and the address the API
// listens on (once it listens; the configured one before), with an
// unspecified host (0.0.0.0, ::) read as loopback.
func (a *App) PublicURL() string {
	if a.cfg.PublicURL != "" {
		return a.cfg.PublicBase()
	}
	hostPort := a.cfg.Addr
	select {
	case <-a.addrReady:
		if a.addr != nil {
			hostPort = a.addr.String()
		}
	default:
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "http://" + hostPort
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// MetricsHandler serves /metrics for mode: the process's own figures, and
// for api and serve the operations figures too.
func (a *App) MetricsHandler(mode Mode) http.Handler {
	gatherers := prometheus.Gatherers{a.registry}
	if mode.API {
		gatherers = append(gatherers, a.opsMetrics)
	}
	metrics := promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			notFound(w, "this address serves only /metrics")
			return
		}
		metrics.ServeHTTP(w, r)
	})
}

// notFound answers 404 in the API's error shape.
func notFound(w http.ResponseWriter, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	json.NewEncoder(w).Encode(httpapi.ErrorBody{Error: httpapi.ErrorDetail{Code: apperr.NotFound, Message: message}})
}

// WorkerHandler is all a worker serves: /healthz, /readyz and /metrics.
func (a *App) WorkerHandler() http.Handler {
	health := a.apiServer(true)
	metrics := a.MetricsHandler(Mode{Worker: true})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			metrics.ServeHTTP(w, r)
		case "/healthz", "/readyz":
			health.ServeHTTP(w, r)
		default:
			notFound(w, "a worker serves only /healthz, /readyz and /metrics; the API is served by api or serve")
		}
	})
}

func queueInfo(insp *asynq.Inspector) ([]httpapi.QueueInfo, error) {
	out := []httpapi.QueueInfo{}
	for _, q := range []string{jobs.QueueUrgent, jobs.QueueSync, jobs.QueueEvents, jobs.QueueDefault} {
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

// server is one address a process listens on and what it serves there.
type server struct {
	name    string
	ln      net.Listener
	handler http.Handler
}

// listenAll opens the addresses of mode: the API and /metrics for api and
// serve, and for a worker only its health and metrics address.
func (a *App) listenAll(mode Mode) ([]server, error) {
	type want struct {
		name, addr, env string
		handler         func() http.Handler
	}
	var wants []want
	if mode.API {
		wants = append(wants, want{"http", a.cfg.Addr, "ARTISANBRIDGE_ADDR", a.Handler},
			want{"metrics", a.cfg.MetricsAddr, "ARTISANBRIDGE_METRICS_ADDR", func() http.Handler { return a.MetricsHandler(mode) }})
	} else {
		wants = append(wants, want{"worker health", a.cfg.WorkerAddr, "ARTISANBRIDGE_WORKER_ADDR", a.WorkerHandler})
	}
	var servers []server
	for _, w := range wants {
		ln, err := listen(w.addr, w.env)
		if err != nil {
			for _, s := range servers {
				s.ln.Close()
			}
			return nil, err
		}
		servers = append(servers, server{name: w.name, ln: ln, handler: w.handler()})
	}
	a.addr = servers[0].ln.Addr()
	if len(servers) > 1 {
		a.metricsAddr = servers[1].ln.Addr()
	}
	close(a.addrReady)
	for _, s := range servers {
		a.log.Info("listening", "server", s.name, "addr", s.ln.Addr().String(), "api", mode.API, "worker", mode.Worker)
	}
	return servers, nil
}

func (a *App) serveHTTP(ctx context.Context, s server) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // imports over slow valley links
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	a.log.Info("shutting down: draining HTTP requests", "server", s.name)
	return srv.Shutdown(shutCtx)
}

// EmbeddedRedisAddr is where the in-process Redis listens ("" in production).
func (a *App) EmbeddedRedisAddr() string {
	if a.mini == nil {
		return ""
	}
	return a.mini.Addr()
}

// Addr waits for the listeners and returns the main one's address: the
// API's, or a worker's health address (tests listen on :0).
func (a *App) Addr(ctx context.Context) (net.Addr, error) {
	select {
	case <-a.addrReady:
		return a.addr, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// MetricsAddr waits for the listeners and returns where /metrics is
// served apart from the API (nil for a worker, which serves it on Addr).
func (a *App) MetricsAddr(ctx context.Context) (net.Addr, error) {
	select {
	case <-a.addrReady:
		return a.metricsAddr, nil
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
	if a.queueUI != nil {
		a.queueUI.Close()
	}
	for _, s := range a.simServers {
		s.Close()
	}
	if a.payoutSim != nil {
		a.payoutSim.Close()
	}
	if a.flipkartSim != nil {
		a.flipkartSim.Close()
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
	a.lock.release()
}
