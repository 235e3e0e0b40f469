// Package orderpull pulls each channel's orders from its marketplace and
// takes them in through package orders. The cursor moves only after the
// orders up to it are committed, and every pull re-reads an overlap window
// before it, so a late-indexed order is not missed and a repeated one is
// harmless (ingestion is idempotent).
package orderpull

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/channelsync"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/store"
)

// Puller pulls orders.
type Puller struct {
	Channels *channels.Service
	Orders   *orders.Service
	Cursors  *store.Orders
	Factory  channelsync.Factory
	// Exceptions, if set, hears of orders that could not be taken in.
	Exceptions *store.Exceptions
	Log        *slog.Logger
	// Overlap is how far before the cursor each pull starts again.
	Overlap time.Duration
	// FirstPull is how far back a channel's first pull looks.
	FirstPull time.Duration
	// MaxPages bounds one pull; the rest waits for the next one.
	MaxPages int
}

// Report says what one pull did.
type Report struct {
	Pages  int
	Orders orders.ImportSummary
}

// Pull fetches every page of orders changed since the channel's cursor
// (less the overlap), ingests them, and then advances the cursor.
func (p *Puller) Pull(ctx context.Context, channelID string) (Report, error) {
	var rep Report
	ch, err := p.Channels.Get(ctx, channelID)
	if err != nil || !ch.Enabled {
		return rep, err
	}
	creds, err := p.Channels.Credentials(ctx, channelID)
	if err != nil {
		return rep, err
	}
	ad, err := p.Factory(ch, creds)
	if err != nil {
		return rep, err
	}
	src, ok := ad.(adapters.OrderSource)
	if !ok {
		return rep, nil // orders arrive as files (GeM)
	}
	cursor, err := p.Cursors.PullCursor(ctx, channelID)
	if err != nil {
		return rep, err
	}
	started := time.Now().UTC()
	if cursor.IsZero() {
		cursor = started.Add(-p.firstPull())
	}
	since := cursor.Add(-p.overlap())
	newest := cursor
	var failedAt time.Time // the oldest order that could not be taken in
	token := ""
	maxPages := p.MaxPages
	if maxPages <= 0 {
		maxPages = 500
	}
	for rep.Pages < maxPages {
		page, err := src.FetchOrders(ctx, adapters.OrderCursor{Since: since, PageToken: token})
		if errors.Is(err, adapters.ErrRateLimited) {
			// The marketplace's plan has no call free now: leave the cursor
			// where it is; the next scheduled pull carries on.
			return rep, nil
		}
		if err != nil {
			return rep, fmt.Errorf("pulling %s orders: %w", ch.Name, err)
		}
		rep.Pages++
		for _, in := range page.Orders {
			in.ChannelID = channelID
			res, err := p.Orders.Ingest(ctx, in)
			if err != nil {
				// One unreadable order must not hold back the others; the
				// overlap brings it back on the next pull.
				if p.Log != nil {
					p.Log.Warn("order not taken in", "channel", ch.Name, "order", in.ExternalOrderID, "err", err)
				}
				if failedAt.IsZero() || in.UpdatedAt.Before(failedAt) {
					failedAt = in.UpdatedAt
				}
				if p.Exceptions != nil {
					// One exception per order; every pull counts it again until it is taken in.
					_ = p.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.MissedOrder, CauseKey: "missed_order:" + channelID + ":" + in.ExternalOrderID,
						Summary:  fmt.Sprintf("%s order %s could not be taken in", ch.Name, in.ExternalOrderID),
						Detail:   truncate(err.Error(), 1000),
						Action:   "Check the order on the marketplace (its SKU, quantity and price); every pull retries it, and the pull cursor waits for it.",
						Resource: "channel", ResourceID: channelID})
				}
				continue
			}
			rep.Orders.Add(res)
			if in.UpdatedAt.After(newest) {
				newest = in.UpdatedAt
			}
		}
		if page.NextPageToken == "" {
			// The cursor never passes an order that failed, so the next pull
			// tries it again however long the outage.
			to := minTime(newest, started)
			if !failedAt.IsZero() {
				to = minTime(to, failedAt.Add(-time.Second))
			}
			return rep, p.Cursors.AdvancePullCursor(ctx, channelID, to)
		}
		token = page.NextPageToken
	}
	return rep, nil // more pages than one pull reads: the cursor stays, the next pull goes on
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (p *Puller) overlap() time.Duration {
	if p.Overlap > 0 {
		return p.Overlap
	}
	return 10 * time.Minute
}

func (p *Puller) firstPull() time.Duration {
	if p.FirstPull > 0 {
		return p.FirstPull
	}
	return 7 * 24 * time.Hour
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
