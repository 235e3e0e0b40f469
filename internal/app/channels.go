package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	amazonsim "github.com/jkhhc/artisanbridge/adapters/amazon/sim"
	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	flipkartsim "github.com/jkhhc/artisanbridge/adapters/flipkart/sim"
	"github.com/jkhhc/artisanbridge/adapters/gem"
	gemsim "github.com/jkhhc/artisanbridge/adapters/gem/sim"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/store"
)

var marketplaceCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "artisanbridge_marketplace_calls_total",
	Help: "Calls to marketplace APIs by channel kind, operation and HTTP status (0: no answer).",
}, []string{"kind", "operation", "status"})

// callCounter keeps per-minute call and 429 counts per channel in Redis,
// so the health every api replica shows covers every worker's calls.
type callCounter struct{ rdb redis.UniversalClient }

func minuteKey(kind, channelID string, t time.Time) string {
	return "artisanbridge:" + kind + ":" + channelID + ":" + strconv.FormatInt(t.Unix()/60, 10)
}

func (c callCounter) record(channelID string, status int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	now := time.Now()
	pipe := c.rdb.Pipeline()
	k := minuteKey("calls", channelID, now)
	pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, 61*time.Minute)
	if status == http.StatusTooManyRequests {
		t := minuteKey("throttled", channelID, now)
		pipe.Incr(ctx, t)
		pipe.Expire(ctx, t, 61*time.Minute)
	}
	_, _ = pipe.Exec(ctx) // health counts must never fail a push
}

// lastHour sums the last 60 minutes.
func (c callCounter) lastHour(ctx context.Context, channelID string) (calls, throttled int64) {
	now := time.Now()
	var ck, tk []string
	for i := 0; i < 60; i++ {
		t := now.Add(-time.Duration(i) * time.Minute)
		ck = append(ck, minuteKey("calls", channelID, t))
		tk = append(tk, minuteKey("throttled", channelID, t))
	}
	sum := func(keys []string) int64 {
		vals, err := c.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return 0
		}
		var n int64
		for _, v := range vals {
			if s, ok := v.(string); ok {
				x, _ := strconv.ParseInt(s, 10, 64)
				n += x
			}
		}
		return n
	}
	return sum(ck), sum(tk)
}

// adapterFor returns the adapter of a channel: one per channel and
// version for the life of the process (adapterPool).
func (a *App) adapterFor(ch channels.Channel, creds map[string]string) (adapters.Channel, error) {
	return a.adapters.get(ch, creds, a.buildAdapter)
}

// buildAdapter builds the adapter of a channel. Every adapter's client
// shares one Redis rate limiter per marketplace account and operation.
func (a *App) buildAdapter(ch channels.Channel, creds map[string]string) (adapters.Channel, error) {
	hc := &httpx.Client{
		HTTP:    &http.Client{},
		Limiter: httpx.NewRedisLimiter(a.Redis),
		OnAttempt: func(op adapters.Operation, status int, err error) {
			marketplaceCalls.WithLabelValues(ch.Kind, string(op), strconv.Itoa(status)).Inc()
			a.calls.record(ch.ID, status)
		},
	}
	switch ch.Kind {
	case "flipkart":
		return flipkart.New(flipkart.Config{BaseURL: ch.BaseURL, TokenURL: ch.TokenURL, AppID: creds["app_id"],
			AppSecret: creds["app_secret"], Account: ch.ID, DispatchDays: ch.Settings.Dispatch()}, hc), nil
	case "gem":
		files := channelFileStore{files: a.DB.ChannelFiles(), channelID: ch.ID}
		return gem.New(gem.Config{Store: files, Confirmed: files,
			DeliveryDays: max(ch.Settings.Dispatch(), 1) + 12}), nil
	case "amazon":
		var limits map[adapters.Operation]adapters.Limit
		if a.cfg.Embedded() {
			limits = demoAmazonLimits()
		}
		return amazon.New(amazon.Config{BaseURL: ch.BaseURL, TokenURL: ch.TokenURL, ClientID: creds["client_id"],
			ClientSecret: creds["client_secret"], RefreshToken: creds["refresh_token"], SellerID: creds["seller_id"], Account: ch.ID,
			Limits: limits}, hc), nil
	}
	return nil, fmt.Errorf("no adapter for %s channels in this build", ch.Kind)
}

// simulator is one marketplace simulator of the embedded default.
type simulator struct {
	kind, addr      string
	handler         http.Handler
	basePath, token string
	creds           map[string]string
}

// startSimulators runs the marketplace simulators on loopback for the
// embedded default and points its channels at them.
func (a *App) startSimulators(ctx context.Context) error {
	// The Flipkart simulator notifies this process of its orders once it
	// listens (Run), as Flipkart does once a receiver URL is registered.
	a.flipkartSim = flipkartsim.New(flipkartsim.Config{Seed: 1})
	sims := []simulator{
		{"flipkart", a.cfg.SimFlipkartAddr, a.flipkartSim, "/sellers", "/oauth-service/oauth/token",
			map[string]string{"app_id": flipkartsim.AppID, "app_secret": flipkartsim.AppSecret}},
		// searchOrders' real plan (one call per 3 minutes sustained) would
		// make the demo's pulls every few seconds wait; the embedded
		// simulator allows one a second. Adapter tests use the real plan.
		{"amazon", a.cfg.SimAmazonAddr, amazonsim.New(amazonsim.Config{Seed: 1, Limits: demoAmazonLimits()}), "", "/auth/o2/token",
			map[string]string{"client_id": amazonsim.ClientID, "client_secret": amazonsim.ClientSecret,
				"refresh_token": amazonsim.RefreshToken, "seller_id": amazonsim.SellerID}},
		{"gem", a.cfg.SimGeMAddr, gemsim.New(gemsim.Config{Seed: 1}), "", "", nil},
	}
	for _, sm := range sims {
		ln, err := net.Listen("tcp", sm.addr)
		if err != nil {
			return fmt.Errorf("%s simulator: %w", sm.kind, err)
		}
		srv := &http.Server{Handler: sm.handler, ReadHeaderTimeout: 10 * time.Second}
		a.simServers = append(a.simServers, srv)
		go func(kind string) {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("simulator stopped", "marketplace", kind, "err", err)
			}
		}(sm.kind)
		base := "http://" + ln.Addr().String()
		a.log.Warn("EMBEDDED MODE: marketplace simulator listening; its channel points at it", "marketplace", sm.kind, "url", base)
		name := simChannelName(sm.kind)
		if err := a.Channels.Ensure(ctx, sm.kind, name, base+sm.basePath, base+sm.token, true, sm.creds,
			channels.Settings{}); err != nil {
			return err
		}
		if err := a.DB.Channels().PointAt(ctx, name, base+sm.basePath, base+sm.token); err != nil {
			return err
		}
	}
	return nil
}

func simChannelName(kind string) string { return kind + " (simulator)" }

// channelFileStore keeps a GeM channel's workbooks in the database, where
// every api replica can serve them to staff.
type channelFileStore struct {
	files     *store.ChannelFiles
	channelID string
}

func (s channelFileStore) Put(ctx context.Context, f gem.File) (string, error) {
	return s.files.Put(ctx, s.channelID, f.Name, f.ContentType, f.Items, f.Data)
}

// LastExport is the last catalogue export imported for the channel, kept
// among its files (gem.ExportNamePrefix).
func (s channelFileStore) LastExport(ctx context.Context) ([]byte, time.Time, bool, error) {
	f, data, found, err := s.files.Latest(ctx, s.channelID, gem.ExportNamePrefix)
	return data, f.CreatedAt, found, err
}

// ensureProductionChannels creates the real marketplaces, disabled and
// without credentials, so an admin only has to fill them in.
func (a *App) ensureProductionChannels(ctx context.Context) error {
	for _, c := range []struct{ kind, name, base, token string }{
		{"flipkart", "flipkart", flipkart.ProductionBaseURL, flipkart.ProductionTokenURL},
		{"amazon", "amazon", amazon.ProductionBaseURL, amazon.ProductionTokenURL},
		{"gem", "gem", "https://gem.gov.in", ""},
	} {
		if err := a.Channels.Ensure(ctx, c.kind, c.name, c.base, c.token, false, nil, channels.Settings{}); err != nil {
			return err
		}
	}
	return nil
}

// runSyncSweep asks, every sweep, for a sync of every channel with listings
// still waiting (the database, not Redis, says what is owed, so a lost task
// or a lost Redis only delays a push) and of every other enabled channel,
// whose sync then looks for its live listings on the marketplace when that
// check is due (channelsync.Engine.Presence): a marketplace that lost
// listings gets them back within one sweep.
func (a *App) runSyncSweep(ctx context.Context) {
	t := time.NewTicker(a.cfg.SyncSweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, id := range a.sweepChannels(ctx) {
			if err := a.syncQueue.Enqueue(ctx, id); err != nil && ctx.Err() == nil {
				a.log.Warn("sync sweep could not enqueue", "channel_id", id, "err", err)
			}
		}
	}
}

// sweepChannels are the channels a sweep syncs: those with listings
// waiting, and every enabled one (a presence check may be due).
func (a *App) sweepChannels(ctx context.Context) []string {
	ids, err := a.DB.Listings().ChannelsWithDirty(ctx)
	if err != nil && ctx.Err() == nil {
		a.log.Warn("sync sweep failed", "err", err)
	}
	chs, err := a.Channels.List(ctx)
	if err != nil && ctx.Err() == nil {
		a.log.Warn("sync sweep: channels unreadable", "err", err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for _, ch := range chs {
		if ch.Enabled && ch.Kind != "gem" && !seen[ch.ID] {
			seen[ch.ID] = true
			ids = append(ids, ch.ID)
		}
	}
	return ids
}

// importOrders takes a channel's order file in. Only GeM delivers orders
// as files; the others are pulled from their APIs.
func (a *App) importOrders(ctx context.Context, channelID string, data []byte) (orders.ImportSummary, error) {
	ch, err := a.Channels.Get(ctx, channelID)
	if err != nil {
		return orders.ImportSummary{}, err
	}
	if ch.Kind != "gem" {
		return orders.ImportSummary{}, apperr.New(apperr.PreconditionFailed, "%s orders are pulled from its API, not imported", ch.Kind)
	}
	sum, err := gem.ImportOrders(ctx, channelID, data, a.Orders.Ingest)
	if err != nil {
		return sum, err
	}
	return sum, a.Orders.RecordImport(ctx, channelID, data, sum)
}

// importCatalogueExport keeps the catalogue export a person downloaded
// from the GeM portal: what GeM confirms we hold, which the next stock
// reconciliation of the channel compares with what it should hold. A bad
// file is refused with every bad cell named and nothing kept.
func (a *App) importCatalogueExport(ctx context.Context, channelID, fileName string, data []byte) (channels.File, error) {
	ch, err := a.Channels.Get(ctx, channelID)
	if err != nil {
		return channels.File{}, err
	}
	if ch.Kind != "gem" {
		return channels.File{}, apperr.New(apperr.PreconditionFailed,
			"%s listings are read from its API by a stock reconciliation (POST /api/v1/reconciliations), not imported", ch.Kind)
	}
	files := a.DB.ChannelFiles()
	now := time.Now().UTC()
	id, err := gem.KeepCatalogueExport(fileName, data, now, func(name, contentType string, items int, data []byte) (string, error) {
		return files.PutAudited(ctx, channelID, name, contentType, items, data, now)
	})
	if err != nil {
		return channels.File{}, err
	}
	f, _, err := files.Get(ctx, channelID, id)
	return f, err
}

func demoAmazonLimits() map[adapters.Operation]adapters.Limit {
	l := map[adapters.Operation]adapters.Limit{}
	for op, v := range amazon.DefaultLimits {
		l[op] = v
	}
	for op, v := range amazon.FeedLimits {
		l[op] = v
	}
	l[amazon.OpSearchOrders] = adapters.Limit{Rate: 1, Burst: 20}
	l[amazon.OpGetOrder] = amazon.GetOrderLimit
	l[amazon.OpConfirmShipment] = amazon.ConfirmShipmentLimit
	for op, v := range amazon.ReportLimits {
		l[op] = v
	}
	return l
}

// pullPeriod is how often a channel's orders are pulled: an interval set
// in the configuration as it is (the rate limiter still keeps every call
// within the marketplace's plan); otherwise the default, but against a real
// marketplace never faster than its order search allows sustained
// (Amazon's searchOrders: about every 3 minutes).
func (a *App) pullPeriod(kind string) time.Duration {
	period := a.cfg.OrderPullInterval()
	if a.cfg.Embedded() || a.cfg.PullInterval > 0 {
		return period
	}
	var l adapters.Limit
	switch kind {
	case "flipkart":
		l = flipkart.DefaultLimits[flipkart.OpFilterShipments]
	case "amazon":
		l = amazon.SearchOrdersLimit
	}
	if l.Rate > 0 && l.Period() > period {
		return l.Period()
	}
	return period
}

// runPullSchedule asks, every pull interval, for a pull of every enabled
// channel that is due; one task per channel and period, however many
// workers ask.
func (a *App) runPullSchedule(ctx context.Context) {
	t := time.NewTicker(a.cfg.OrderPullInterval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		chs, err := a.Channels.List(ctx)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("order pull schedule failed", "err", err)
			}
			continue
		}
		for _, ch := range chs {
			if !ch.Enabled || ch.Kind == "gem" {
				continue
			}
			if err := jobs.EnqueuePull(ctx, a.client, ch.ID, a.pullPeriod(ch.Kind)); err != nil && ctx.Err() == nil {
				a.log.Warn("could not schedule an order pull", "channel", ch.Name, "err", err)
			}
		}
	}
}

// rescanOrders makes the next pull of a channel read everything changed
// since since, and asks for it now.
func (a *App) rescanOrders(ctx context.Context, channelID string, since time.Time) error {
	if _, err := a.Channels.Get(ctx, channelID); err != nil {
		return err
	}
	if err := a.DB.Orders().ResetPullCursor(ctx, channelID, since); err != nil {
		return err
	}
	return jobs.EnqueuePull(ctx, a.client, channelID, time.Second)
}

// pullSettlements pulls a channel's settlement reports through its adapter
// (the use case is finance.Service.PullSettlements).
func (a *App) pullSettlements(ctx context.Context, channelID string) (finance.ImportSummary, error) {
	ad, err := a.channelAdapter(ctx, channelID)
	if err != nil {
		return finance.ImportSummary{}, err
	}
	src, ok := ad.(adapters.SettlementSource)
	if !ok {
		return finance.ImportSummary{}, apperr.FieldErrors{"channel_id": "this channel's settlements come as files: POST /settlements/import"}.Err()
	}
	return a.Finance.PullSettlements(ctx, channelID, src)
}

// pullAllSettlements pulls every enabled channel that publishes its
// settlements (maintenance, hourly).
func (a *App) pullAllSettlements(ctx context.Context) {
	list, err := a.Channels.List(ctx)
	if err != nil {
		return
	}
	for _, ch := range list {
		if !ch.Enabled || ch.Kind != "amazon" {
			continue
		}
		if sum, err := a.pullSettlements(ctx, ch.ID); err != nil && ctx.Err() == nil {
			a.log.Warn("pulling settlements failed", "channel", ch.Name, "err", err)
		} else if sum.New > 0 {
			a.log.Info("settlements pulled", "channel", ch.Name, "lines", sum.New, "short_paid", sum.ShortPaid, "unmatched", sum.Unmatched)
		}
	}
}
