// Package opsmetrics exports to Prometheus what operations watch in the
// database: events the relay has not handed over, listings not live per
// channel, open exceptions by kind and age, how far behind each channel's
// order pull is, and SMS to artisans sent and failing. The figures are read
// on scrape through Source (indexed counts only) and kept for a few seconds,
// so that several scrapers cost the database one read.
package opsmetrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/listing"
)

// Source reads one snapshot of the figures. ageBounds are the exception
// ages to count against, ascending.
type Source interface {
	OpsSnapshot(ctx context.Context, now time.Time, ageBounds []time.Duration, smsWindow time.Duration) (Snapshot, error)
}

// Snapshot is every figure at one moment.
type Snapshot struct {
	OutboxUnsent int64
	// OutboxOldestUnsent is when the oldest unsent event was written; nil
	// when nothing waits.
	OutboxOldestUnsent *time.Time
	// Listings counts the listings that are not live or paused (pending,
	// rejected, error, awaiting_upload) per channel and status.
	Listings []ListingCount
	// ListingsWaiting counts per channel the listings with a change not
	// yet pushed (what the sync sweep looks for).
	ListingsWaiting []ChannelCount
	// OpenExceptions holds, per kind with any open, how many are open and
	// how many of them are older than each of the bounds asked for.
	OpenExceptions []ExceptionAges
	// PullCursors are the channels whose orders are pulled, with the time
	// their next pull reads from.
	PullCursors []PullCursor
	SMS         SMSCounts
}

// Channel names a marketplace channel in labels.
type Channel struct {
	ID, Name, Kind string
}

// ListingCount is how many of a channel's listings are in one status.
type ListingCount struct {
	Channel Channel
	Status  string
	Count   int64
}

// ChannelCount is a count for one channel.
type ChannelCount struct {
	Channel Channel
	Count   int64
}

// ExceptionAges counts a kind's open exceptions; OlderThan[i] is how many
// were opened more than ageBounds[i] ago.
type ExceptionAges struct {
	Kind      string
	Open      int64
	OlderThan []int64
}

// PullCursor is where a channel's next order pull starts.
type PullCursor struct {
	Channel Channel
	Since   time.Time
}

// SMSCounts are the messages to artisans.
type SMSCounts struct {
	// SentRecently were taken by the gateway within the window asked for.
	SentRecently int64
	// Pending wait for the gateway; Failing are those of them the gateway
	// has refused or failed at least once (they are retried).
	Pending, Failing int64
	// OldestPending is when the oldest waiting message was written.
	OldestPending *time.Time
}

// AgeBuckets are the exception ages reported: under an hour, up to a day,
// up to a week, and older.
var AgeBuckets = []struct {
	Label string
	Upper time.Duration // 0: no upper bound
}{{"under_1h", time.Hour}, {"1h_to_1d", 24 * time.Hour}, {"1d_to_7d", 7 * 24 * time.Hour}, {"over_7d", 0}}

// SMSWindow is the window artisanbridge_sms_sent_recent counts over.
const SMSWindow = time.Hour

// reportedListingStatuses are the listing states a person may need to act
// on; live and paused listings are the normal case and are not counted.
var reportedListingStatuses = []string{listing.StatusPending, listing.StatusRejected, listing.StatusError, listing.StatusAwaitingUpload}

// ReportedListingStatuses are the listing statuses Snapshot.Listings covers.
func ReportedListingStatuses() []string { return append([]string(nil), reportedListingStatuses...) }

var (
	upDesc = prometheus.NewDesc("artisanbridge_ops_metrics_up",
		"1 if the database figures below could be read at the last scrape, 0 if not.", nil, nil)
	outboxUnsentDesc = prometheus.NewDesc("artisanbridge_outbox_unsent",
		"Outbox events not yet handed to the job queue.", nil, nil)
	outboxAgeDesc = prometheus.NewDesc("artisanbridge_outbox_oldest_unsent_age_seconds",
		"Age of the oldest outbox event not yet handed to the job queue (0 when none waits).", nil, nil)
	listingsDesc = prometheus.NewDesc("artisanbridge_listings",
		"Listings by channel and status, for the statuses that need watching (pending, rejected, error, awaiting_upload).",
		[]string{"channel_id", "channel", "kind", "status"}, nil)
	listingsWaitingDesc = prometheus.NewDesc("artisanbridge_listings_waiting_push",
		"Listings with a change not yet pushed to their channel.", []string{"channel_id", "channel", "kind"}, nil)
	exceptionsDesc = prometheus.NewDesc("artisanbridge_exceptions_open",
		"Open exceptions by kind and age since they were opened.", []string{"kind", "age"}, nil)
	pullLagDesc = prometheus.NewDesc("artisanbridge_order_pull_lag_seconds",
		"Now minus the channel's order pull cursor (where its next pull reads from).", []string{"channel_id", "channel", "kind"}, nil)
	smsSentDesc = prometheus.NewDesc("artisanbridge_sms_sent_recent",
		"SMS to artisans the gateway took in the last hour.", nil, nil)
	smsPendingDesc = prometheus.NewDesc("artisanbridge_sms_pending",
		"SMS to artisans waiting for the gateway.", nil, nil)
	smsFailingDesc = prometheus.NewDesc("artisanbridge_sms_failing",
		"SMS to artisans waiting after the gateway refused or failed them at least once.", nil, nil)
	smsAgeDesc = prometheus.NewDesc("artisanbridge_sms_oldest_pending_age_seconds",
		"Age of the oldest SMS to an artisan still waiting for the gateway (0 when none waits).", nil, nil)
)

// Collector is a prometheus.Collector over a Source.
type Collector struct {
	src     Source
	log     *slog.Logger
	now     func() time.Time
	maxAge  time.Duration
	timeout time.Duration

	mu    sync.Mutex
	last  Snapshot
	at    time.Time
	taken bool
	ok    bool
}

// NewCollector reads src at most once every maxAge (scrapes in between get
// the same figures) and gives each read timeout.
func NewCollector(src Source, log *slog.Logger, maxAge, timeout time.Duration) *Collector {
	return &Collector{src: src, log: log, now: time.Now, maxAge: maxAge, timeout: timeout}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, outboxUnsentDesc, outboxAgeDesc, listingsDesc, listingsWaitingDesc,
		exceptionsDesc, pullLagDesc, smsSentDesc, smsPendingDesc, smsFailingDesc, smsAgeDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	snap, now, ok := c.snapshot()
	if !ok {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(outboxUnsentDesc, float64(snap.OutboxUnsent))
	gauge(outboxAgeDesc, ageSeconds(now, snap.OutboxOldestUnsent))
	for _, l := range snap.Listings {
		gauge(listingsDesc, float64(l.Count), l.Channel.ID, l.Channel.Name, l.Channel.Kind, l.Status)
	}
	for _, w := range snap.ListingsWaiting {
		gauge(listingsWaitingDesc, float64(w.Count), w.Channel.ID, w.Channel.Name, w.Channel.Kind)
	}
	for kind, buckets := range ExceptionBuckets(snap.OpenExceptions) {
		for i, b := range AgeBuckets {
			gauge(exceptionsDesc, float64(buckets[i]), kind, b.Label)
		}
	}
	for _, p := range snap.PullCursors {
		gauge(pullLagDesc, max(0, now.Sub(p.Since).Seconds()), p.Channel.ID, p.Channel.Name, p.Channel.Kind)
	}
	gauge(smsSentDesc, float64(snap.SMS.SentRecently))
	gauge(smsPendingDesc, float64(snap.SMS.Pending))
	gauge(smsFailingDesc, float64(snap.SMS.Failing))
	gauge(smsAgeDesc, ageSeconds(now, snap.SMS.OldestPending))
}

// snapshot returns the cached figures, reading them again when they are
// older than maxAge. A failed read is logged and reported as up 0.
func (c *Collector) snapshot() (Snapshot, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.taken && now.Sub(c.at) < c.maxAge {
		return c.last, c.at, c.ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	snap, err := c.src.OpsSnapshot(ctx, now, AgeBounds(), SMSWindow)
	c.last, c.at, c.taken, c.ok = snap, now, true, err == nil
	if err != nil {
		c.log.Warn("reading the operations metrics failed", "err", err)
	}
	return c.last, c.at, c.ok
}

// AgeBounds are the upper bounds of AgeBuckets, the ages a Source counts against.
func AgeBounds() []time.Duration {
	var out []time.Duration
	for _, b := range AgeBuckets {
		if b.Upper > 0 {
			out = append(out, b.Upper)
		}
	}
	return out
}

// ExceptionBuckets turns the cumulative counts of a Snapshot into one count
// per AgeBuckets entry, for every kind of exception (zero when none is open,
// so a series never vanishes when its last exception is resolved).
func ExceptionBuckets(open []ExceptionAges) map[string][]int64 {
	out := make(map[string][]int64, len(exceptions.Kinds))
	for _, k := range exceptions.Kinds {
		out[k] = make([]int64, len(AgeBuckets))
	}
	for _, e := range open {
		b := make([]int64, len(AgeBuckets))
		// OlderThan is cumulative: older than 1h, older than 1d, ...
		// A bucket holds what is older than its lower bound and not older
		// than its upper one.
		prev := e.Open
		for i := range AgeBuckets {
			older := int64(0)
			if i < len(e.OlderThan) {
				older = e.OlderThan[i]
			}
			if i == len(AgeBuckets)-1 {
				b[i] = prev
				break
			}
			b[i] = prev - older
			prev = older
		}
		out[e.Kind] = b
	}
	return out
}

func ageSeconds(now time.Time, since *time.Time) float64 {
	if since == nil {
		return 0
	}
	return max(0, now.Sub(*since).Seconds())
}
