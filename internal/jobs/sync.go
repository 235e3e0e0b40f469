package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// QueueSync carries channel syncs, apart from events so a slow marketplace
// never holds up the outbox.
const QueueSync = "sync"

// TypeChannelSync pushes a channel's changed listings.
const TypeChannelSync = "channel:sync"

type syncPayload struct {
	ChannelID string `json:"channel_id"`
}

// SyncEnqueuer asks for a channel sync. Requests within one coalescing
// window share a task id, so a burst of stock changes becomes one run that
// pushes them all in full batches.
type SyncEnqueuer struct {
	Client *asynq.Client
	Window time.Duration
}

// Enqueue schedules a sync of channelID at the end of the current window.
func (s *SyncEnqueuer) Enqueue(ctx context.Context, channelID string) error {
	window := s.Window
	if window <= 0 {
		window = 200 * time.Millisecond
	}
	now := time.Now()
	bucket := now.Truncate(window)
	b, _ := json.Marshal(syncPayload{ChannelID: channelID})
	_, err := s.Client.EnqueueContext(ctx, asynq.NewTask(TypeChannelSync, b),
		asynq.Queue(QueueSync), asynq.TaskID("sync:"+channelID+":"+strconv.FormatInt(bucket.UnixMilli(), 10)),
		asynq.ProcessAt(bucket.Add(window)), asynq.MaxRetry(MaxRetry), asynq.Timeout(15*time.Minute))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// Syncer runs one channel sync.
type Syncer interface {
	SyncChannel(ctx context.Context, channelID string) error
}

// SyncHandler is the thin Asynq handler of TypeChannelSync: the sync runs
// under the channel's lease (one at a time across every worker; requests
// meanwhile coalesce into the holder's next run).
func SyncHandler(s Syncer, lease *ChannelLease) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var p syncPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ChannelID == "" {
			return fmt.Errorf("jobs: undecodable sync payload: %w", asynq.SkipRetry)
		}
		return lease.Run(ctx, p.ChannelID, func(ctx context.Context) error { return s.SyncChannel(ctx, p.ChannelID) })
	}
}

// Dirtier flags listings of a product for sync and says which channels.
type Dirtier interface {
	MarkProductDirty(ctx context.Context, productID string) ([]string, error)
}

// ListingSync turns catalogue, stock and listing changes into channel
// syncs: it marks the affected listings (in the database, the truth) and
// asks for a sync of each channel concerned.
type ListingSync struct {
	Dirty   Dirtier
	Enqueue func(ctx context.Context, channelID string) error
	Log     *slog.Logger
}

func (ListingSync) Name() string { return "listing-sync" }

func (ListingSync) Topics() []string {
	return []string{outbox.TopicProductChanged, outbox.TopicStockChanged, listing.TopicListingChanged}
}

func (l ListingSync) Consume(ctx context.Context, m outbox.Message) error {
	var channels []string
	switch m.Topic {
	case listing.TopicListingChanged:
		var c listing.Changed
		if err := json.Unmarshal(m.Payload, &c); err != nil {
			return fmt.Errorf("listing-sync: bad payload: %w", err)
		}
		channels = []string{c.ChannelID}
	default:
		var err error
		if channels, err = l.Dirty.MarkProductDirty(ctx, m.Key); err != nil {
			return err
		}
	}
	for _, ch := range channels {
		if err := l.Enqueue(ctx, ch); err != nil {
			return err
		}
	}
	return nil
}

// TypeChannelPull pulls a channel's orders.
const TypeChannelPull = "channel:pull"

// EnqueuePull schedules one pull of a channel per period, on the urgent
// queue (order ingestion goes before stock pushes): replicas asking
// within the same period share the task id, so they do not double it.
func EnqueuePull(ctx context.Context, c *asynq.Client, channelID string, period time.Duration) error {
	bucket := time.Now().Truncate(period)
	b, _ := json.Marshal(syncPayload{ChannelID: channelID})
	_, err := c.EnqueueContext(ctx, asynq.NewTask(TypeChannelPull, b), asynq.Queue(QueueUrgent),
		asynq.TaskID("pull:"+channelID+":"+strconv.FormatInt(bucket.Unix(), 10)), asynq.Retention(period),
		asynq.MaxRetry(3), asynq.Timeout(10*time.Minute))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// Puller runs one order pull.
type Puller interface {
	PullChannel(ctx context.Context, channelID string) error
}

// PullHandler is the thin Asynq handler of TypeChannelPull.
func PullHandler(p Puller) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var pl syncPayload
		if err := json.Unmarshal(t.Payload(), &pl); err != nil || pl.ChannelID == "" {
			return fmt.Errorf("jobs: undecodable pull payload: %w", asynq.SkipRetry)
		}
		return p.PullChannel(ctx, pl.ChannelID)
	}
}
