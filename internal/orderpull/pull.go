// Package orderpull pulls each channel's orders from its marketplace and
// takes them in through package orders. The cursor moves only after the
// orders up to it are committed, and every pull re-reads a short overlap
// before it, so an order indexed a little late is not missed and a
// repeated one is harmless (ingestion is idempotent); order reconciliation
// re-reads days. A pull cut short by the rate limit keeps the
// marketplace's next page, and the next pull carries on from there. Nothing a marketplace sends is
// dropped unseen: what cannot be read, and every order that cannot be
// taken in, opens a missed_order exception holding the payload, which an
// operations user retries once its cause is fixed (Retry).
package orderpull

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// Channels reads a channel and its credentials (channels.Service).
type Channels interface {
	Get(ctx context.Context, id string) (channels.Channel, error)
	Credentials(ctx context.Context, id string) (map[string]string, error)
}

// Orders takes an order in and reads one back (orders.Service).
type Orders interface {
	Ingest(ctx context.Context, in orders.Incoming) (orders.Result, error)
	Get(ctx context.Context, id string) (orders.Order, error)
}

// Cursors keeps where each channel's pull resumes: its cursor, and the
// walk under way when a pull stopped before its last page.
type Cursors interface {
	PullCursor(ctx context.Context, channelID string) (time.Time, error)
	// AdvancePullCursor moves the cursor forward (never back) and ends
	// the walk under way.
	AdvancePullCursor(ctx context.Context, channelID string, since time.Time) error
	PullResume(ctx context.Context, channelID string) (orders.PullResume, error)
	// SavePullResume keeps the walk under way; a channel without a
	// cursor gets cursor.
	SavePullResume(ctx context.Context, channelID string, cursor time.Time, r orders.PullResume) error
}

// Exceptions opens (or counts again) one exception per cause, and reads one.
type Exceptions interface {
	Raise(ctx context.Context, e exceptions.Exception) error
	Get(ctx context.Context, id string) (exceptions.Exception, error)
}

// Resolver closes an exception with an audit entry naming who did
// (exceptions.Service).
type Resolver interface {
	Resolve(ctx context.Context, id string, in exceptions.ResolveInput, by string) (exceptions.Exception, error)
}

// Factory builds the adapter of a channel from its configuration.
type Factory func(ch channels.Channel, creds map[string]string) (adapters.Channel, error)

// Puller pulls orders and retries missed ones.
type Puller struct {
	Channels Channels
	Orders   Orders
	Cursors  Cursors
	Factory  Factory
	// Exceptions hears of everything that could not be read or taken in;
	// a pull with something to report and no Exceptions fails before its
	// cursor moves.
	Exceptions Exceptions
	// Resolver closes a missed order a retry took in.
	Resolver Resolver
	// Lookup finds orders here by marketplace id (order reconciliation).
	Lookup OrderLookup
	Log    *slog.Logger
	// Overlap is how far before the cursor each pull starts again (2
	// minutes unset): a margin for an order indexed a little after its
	// change. Every order re-read costs a page share and an ingestion, so
	// it is kept short; order reconciliation re-reads 7 days.
	Overlap time.Duration
	// FirstPull is how far back a channel's first pull looks.
	FirstPull time.Duration
	// MaxPages bounds one pull; the next one carries on from the page
	// after.
	MaxPages int
}

// Report says what one pull did.
type Report struct {
	Pages int
	// Resumed: the pull carried on a walk an earlier pull left unfinished.
	Resumed bool
	// Stopped: the pull ended before the last page (rate limit or
	// MaxPages); the next one carries on from where it stopped.
	Stopped    bool
	Orders     orders.ImportSummary
	Unreadable int // items or orders that could not be read: each a missed_order
	Failed     int // orders read but not taken in: each a missed_order
}

// Pull fetches every page of orders changed since the channel's cursor
// (less the overlap), ingests them, and then advances the cursor. What
// cannot be read opens its missed_order and does not hold the cursor (its
// exception holds the payload); an order that could not be taken in holds
// the cursor, so that every pull tries it again however long the outage.
// A pull the rate limit (or MaxPages) stops keeps the marketplace's next
// page with what it has seen, and the next pull carries on from there:
// started afresh each time, a backlog of more pages than one pull gets
// would never be read to its end, and the window would only grow.
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
	resume, err := p.Cursors.PullResume(ctx, channelID)
	if err != nil {
		return rep, err
	}
	now := time.Now().UTC()
	if cursor.IsZero() {
		cursor = now.Add(-p.firstPull())
	}
	w := beginWalk(cursor, resume, now, p.overlap())
	rep.Resumed = w.Token != ""
	maxPages := p.MaxPages
	if maxPages <= 0 {
		maxPages = 500
	}
	for {
		if rep.Pages >= maxPages {
			// More pages than one pull reads: the next pull goes on.
			rep.Stopped = true
			return rep, p.Cursors.SavePullResume(ctx, channelID, cursor, w.PullResume)
		}
		page, err := src.FetchOrders(ctx, adapters.OrderCursor{Since: w.Since, PageToken: w.Token})
		if errors.Is(err, adapters.ErrRateLimited) {
			// The marketplace's plan has no call free now: keep the page
			// this pull did not get; the next scheduled pull carries on.
			rep.Stopped = true
			if w.Token == "" {
				return rep, nil // nothing read yet: nothing to keep
			}
			return rep, p.Cursors.SavePullResume(ctx, channelID, cursor, w.PullResume)
		}
		if err != nil && rep.Resumed && rep.Pages == 0 && ctx.Err() == nil {
			// The kept page is not answered (a marketplace's page token
			// may expire): search again from the cursor, which has not
			// moved, so nothing is lost.
			p.warn(ctx, "could not carry on the unfinished order pull; searching again from the cursor", "channel", ch.Name, "err", err)
			w, rep.Resumed = beginWalk(cursor, orders.PullResume{}, now, p.overlap()), false
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("pulling %s orders: %w", ch.Name, err)
		}
		rep.Pages++
		for _, u := range page.Unreadable {
			// A raise that fails returns before the cursor moves: the next
			// pull reads the item again.
			if err := p.raiseUnreadable(ctx, ch, u); err != nil {
				return rep, err
			}
			rep.Unreadable++
		}
		for _, in := range page.Orders {
			in.ChannelID = channelID
			res, err := p.Orders.Ingest(ctx, in)
			if err != nil {
				// One order that cannot be taken in must not hold back the others.
				rep.Failed++
				w.failed(in.UpdatedAt)
				if err := p.raiseFailed(ctx, ch, in, err); err != nil {
					return rep, err
				}
				continue
			}
			rep.Orders.Add(res)
			w.took(in.UpdatedAt)
		}
		if page.NextPageToken == "" {
			return rep, p.Cursors.AdvancePullCursor(ctx, channelID, w.cursorAfter())
		}
		w.Token = page.NextPageToken
	}
}

// walk is one read of a channel's orders from its first page to its last,
// over one pull or, when the rate limit stops a pull, several.
type walk struct{ orders.PullResume }

// beginWalk carries on the walk r an earlier pull left unfinished, or
// begins one at the cursor less the overlap.
func beginWalk(cursor time.Time, r orders.PullResume, now time.Time, overlap time.Duration) walk {
	if r.Token != "" {
		return walk{r}
	}
	return walk{orders.PullResume{Since: cursor.Add(-overlap), Started: now, Newest: cursor}}
}

// took notes an order taken in.
func (w *walk) took(updated time.Time) {
	if updated.After(w.Newest) {
		w.Newest = updated
	}
}

// failed notes an order that could not be taken in.
func (w *walk) failed(updated time.Time) {
	if w.FailedAt.IsZero() || updated.Before(w.FailedAt) {
		w.FailedAt = updated
	}
}

// cursorAfter is where the cursor goes once the walk read its last page:
// the newest change taken in, but never past the walk's start (a change
// made meanwhile may have moved behind a page already read) nor up to an
// order that could not be taken in, so that every pull tries it again.
func (w walk) cursorAfter() time.Time {
	to := minTime(w.Newest, w.Started)
	if !w.FailedAt.IsZero() {
		to = minTime(to, w.FailedAt.Add(-time.Second))
	}
	return to
}

// errNoExceptions stops a pull that has something to report and nowhere
// to report it, before its cursor moves: nothing is dropped unseen.
var errNoExceptions = errors.New("orderpull: no exception queue to report a missed order to")

func (p *Puller) raiseUnreadable(ctx context.Context, ch channels.Channel, u orders.Unreadable) error {
	if p.Exceptions == nil {
		return errNoExceptions
	}
	what := describe(ch.Name, u.ExternalOrderID, u.ExternalLineID)
	p.warn(ctx, "marketplace order not readable", "channel", ch.Name, "order", u.ExternalOrderID, "item", u.ExternalLineID, "reason", u.Reason)
	err := p.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.MissedOrder,
		CauseKey: CauseKey(ch.ID, u.ExternalOrderID, u.ExternalLineID, u.Payload),
		Summary:  what + " could not be read: nothing of it is reserved here",
		Detail:   truncate(u.Reason, 1000),
		Action: "See the payload for what " + ch.Name + " sent. Once the cause is fixed (the order corrected on the marketplace, " +
			"or a product or setting here), retry it: POST /api/v1/exceptions/{id}/retry. Until then the marketplace holds the " +
			"stock and we do not: check the other channels do not sell it twice.",
		Resource: "channel", ResourceID: ch.ID, Payload: string(u.Payload)})
	if err != nil {
		return fmt.Errorf("recording that %s could not be read: %w", what, err)
	}
	return nil
}

func (p *Puller) raiseFailed(ctx context.Context, ch channels.Channel, in orders.Incoming, cause error) error {
	if p.Exceptions == nil {
		return errNoExceptions
	}
	what := describe(ch.Name, in.ExternalOrderID, "")
	p.warn(ctx, "order not taken in", "channel", ch.Name, "order", in.ExternalOrderID, "err", cause)
	payload, err := encodeNormalised(in)
	if err != nil {
		return err
	}
	err = p.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.MissedOrder,
		CauseKey: CauseKey(ch.ID, in.ExternalOrderID, "", nil),
		Summary:  what + " could not be taken in",
		Detail:   truncate(cause.Error(), 1000),
		Action: "Check the order on the marketplace (its SKU, quantity and price) and here (the product, the channel's settings). " +
			"Every pull retries it and the pull cursor waits for it; once the cause is fixed, POST /api/v1/exceptions/{id}/retry takes it in now.",
		Resource: "channel", ResourceID: ch.ID, Payload: string(payload)})
	if err != nil {
		return fmt.Errorf("recording that %s could not be taken in: %w", what, err)
	}
	return nil
}

func describe(channel, order, line string) string {
	switch {
	case order != "" && line != "":
		return fmt.Sprintf("%s order %s item %s", channel, order, line)
	case order != "":
		return fmt.Sprintf("%s order %s", channel, order)
	case line != "":
		return fmt.Sprintf("%s order item %s", channel, line)
	}
	return "a " + channel + " order"
}

func (p *Puller) warn(ctx context.Context, msg string, args ...any) {
	if p.Log != nil {
		p.Log.WarnContext(ctx, msg, args...)
	}
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
	return 2 * time.Minute
}

func (p *Puller) firstPull() time.Duration {
	if p.FirstPull > 0 {
		return p.FirstPull
	}
	return 7 * 24 * time.Hour
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
