// Package channelsync pushes what each channel should offer: it reads the
// listings that changed, computes their desired state (package listing),
// sends only what differs through the channel's adapter in the fewest calls
// the batch limits allow, and records every outcome where people can see
// it. It is the application layer between the domain and the adapters.
package channelsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/catalog"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/media"
)

// Factory builds the adapter of a channel from its configuration.
type Factory func(ch channels.Channel, creds map[string]string) (adapters.Channel, error)

// Engine syncs channels. It is safe to run one sync per channel at a time
// per process; concurrent syncs of one channel are harmless (each settles
// only the change it read) but waste calls, so the job queue coalesces them.
type Engine struct {
	Channels    *channels.Service
	ChannelRows ChannelHealth
	Listings    ListingStore
	Exceptions  ExceptionRaiser
	Factory     Factory
	Log         *slog.Logger
	Now         func() time.Time
	// MaxAttempts after which a failing listing opens a sync_failing
	// exception (it keeps being retried regardless).
	MaxAttempts int64
	// PageSize is how many changed listings one round reads.
	PageSize int
	// PhotoURL is the public address of an uploaded photo's variant (nil:
	// products' photos are not sent, only their image URLs).
	PhotoURL func(sha, variant string) string
	// Presence, when set, makes a sync look for the channel's live
	// listings on the marketplace whenever a check is due
	// (listing.PresencePeriod) and create again, in that same sync, what
	// the marketplace no longer holds: a sync only pushes what changed, so
	// nothing else notices a marketplace that lost listings.
	Presence PresenceStore
	// PresenceFloor is the shortest time between two checks of a channel
	// (the sync sweep's period); PresenceBudget bounds one sync's share of
	// a pass (default 2 minutes of reads): the rest waits for the next
	// sweep.
	PresenceFloor, PresenceBudget time.Duration
	// PresencePage is how many listings a check reads at a time between
	// pushes (default listing.PresencePage: what the read limit answers in
	// half a second; the adapter batches its reads by its limit).
	PresencePage int
}

// PresenceStore is what a presence check reads and marks.
type PresenceStore interface {
	// ClaimPresence starts or continues the channel's pass when one is
	// due (a pass under way, or the last check before dueBefore) and says
	// after which listing it continues.
	ClaimPresence(ctx context.Context, channelID string, at, dueBefore time.Time) (after string, due bool, err error)
	// PresenceAfter moves the pass's checkpoint ("" ends the pass).
	PresenceAfter(ctx context.Context, channelID, after string) error
	CountListings(ctx context.Context, channelID string) (int64, error)
	Page(ctx context.Context, channelID string, locations []channels.LocationMap, afterID string, limit int) ([]listing.SyncItem, error)
	// Repush marks a listing to be pushed again; "missing_there": whole,
	// created anew. False: it no longer needs it (withdrawn, refused or
	// already waiting for that push).
	Repush(ctx context.Context, listingID, class string) (bool, error)
}

// ListingStore is what the engine reads and records of listings.
type ListingStore interface {
	// Dirty returns up to limit listings of a channel changed since their
	// last settled push, with their product and the channel's stock.
	Dirty(ctx context.Context, channelID string, locations []channels.LocationMap, limit int) ([]listing.SyncItem, error)
	// AnyDirty says whether any listing of a channel changed since its
	// last settled push (Dirty's condition, without reading the items).
	AnyDirty(ctx context.Context, channelID string) (bool, error)
	// RecordPush keeps what a push achieved, settling the listing up to
	// o.Seq when o.Settled.
	RecordPush(ctx context.Context, o listing.PushOutcome) error
}

// ChannelHealth keeps a channel's last success or last error, and its
// sync lease's current fencing token.
type ChannelHealth interface {
	RecordOutcome(ctx context.Context, id string, at time.Time, errText string) error
	// SyncFence reads the channel's current fencing token.
	SyncFence(ctx context.Context, id string) (int64, error)
}

// ExceptionRaiser opens an exception, or counts another occurrence of it.
type ExceptionRaiser interface {
	Raise(ctx context.Context, e exceptions.Exception) error
}

// Report says what one sync did.
type Report struct {
	Listings int
	Created  int
	Prices   int
	Stock    int
	Refused  int
	Failed   int
	Skipped  int
	// Recreated counts listings the marketplace no longer held, created again.
	Recreated int
	// Missing counts live listings the presence check found the
	// marketplace no longer holds (each is then created again).
	Missing int
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// SyncChannel pushes every changed listing of a channel, page by page.
func (e *Engine) SyncChannel(ctx context.Context, channelID string) (Report, error) {
	var total Report
	ch, err := e.Channels.Get(ctx, channelID)
	if err != nil {
		return total, err
	}
	if !ch.Enabled {
		return total, nil // the listings stay dirty; enabling the channel syncs them
	}
	creds, err := e.Channels.Credentials(ctx, channelID)
	if err != nil {
		return total, err
	}
	// Outcomes are recorded even when the job is cancelled (a shutdown)
	// after the marketplace took a push: a detached context, bounded.
	rctx, cancel := detach(ctx, outcomeGrace)
	defer cancel()
	ad, err := e.Factory(ch, creds)
	if err != nil {
		e.failChannel(rctx, ch, err)
		return total, err
	}
	// What changed is pushed first; a presence check reads in the time
	// left, and what it finds missing is created again in this same sync.
	if err := e.pushDirty(ctx, rctx, ch, ad, &total); err != nil {
		return total, err
	}
	if e.Presence != nil && ch.Kind != "gem" { // GeM's state is a portal export: nothing to read
		budget := e.PresenceBudget
		if budget <= 0 {
			budget = 2 * time.Minute
		}
		deadline := time.Now().Add(budget)
		for {
			n, yielded, err := e.checkPresence(ctx, ch, ad, deadline)
			total.Missing += n
			if err != nil && ctx.Err() == nil && e.Log != nil {
				// What was found is marked; the pass goes on at the next sweep.
				e.Log.Warn("presence check failed", "channel", ch.Name, "err", err)
			}
			if err := e.pushDirty(ctx, rctx, ch, ad, &total); err != nil {
				return total, err
			}
			if err != nil || !yielded {
				break
			}
		}
	}
	_ = e.ChannelRows.RecordOutcome(rctx, ch.ID, e.now(), "")
	return total, nil
}

// pushDirty pushes the channel's changed listings, a page at a time, into
// total; a failure is recorded on the channel (failChannel) and returned.
func (e *Engine) pushDirty(ctx, rctx context.Context, ch channels.Channel, ad adapters.Channel, total *Report) error {
	pageSize := e.PageSize
	if pageSize <= 0 {
		pageSize = 1000
	}
	for round := 0; round < 100; round++ {
		if err := e.stillHolds(ctx, ch.ID); err != nil {
			return err
		}
		items, err := e.Listings.Dirty(ctx, ch.ID, ch.Settings.Locations, pageSize)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		rep, err := e.syncItems(ctx, rctx, ch, ad, items)
		total.add(rep)
		if errors.Is(err, listing.ErrSuperseded) {
			return err // the run that took over reports the channel's health
		}
		if err != nil {
			e.failChannel(rctx, ch, err)
			return err
		}
		if rep.Failed > 0 || len(items) < pageSize {
			return nil // what failed waits for the next run, not for this loop
		}
	}
	return nil
}

// checkPresence looks for the channel's live listings on the marketplace
// through its batch read, when a check is due, and marks each one it no
// longer holds to be created again. It reads a page at a time (what the
// read limit answers in listing.PresenceSlice) and yields, answering
// yielded, as soon as a page re-queued something or something else
// changed meanwhile, so that pushes never wait behind more than a page;
// the caller pushes, then calls again until deadline. The pass keeps its
// checkpoint in the database: what is left goes on at the next sync.
func (e *Engine) checkPresence(ctx context.Context, ch channels.Channel, ad adapters.Channel, deadline time.Time) (missing int, yielded bool, err error) {
	limit := ad.Limits()[adapters.OpGetListings]
	n, err := e.Presence.CountListings(ctx, ch.ID)
	if err != nil {
		return 0, false, err
	}
	floor := e.PresenceFloor
	if floor <= 0 {
		floor = 10 * time.Second
	}
	now := e.now()
	after, due, err := e.Presence.ClaimPresence(ctx, ch.ID, now, now.Add(-listing.PresencePeriod(n, limit.BatchSize, limit.Rate, floor)))
	if err != nil || !due {
		return 0, false, err
	}
	presencePage := e.PresencePage
	if presencePage <= 0 {
		presencePage = listing.PresencePage(limit.BatchSize, limit.Rate, listing.PresenceSlice)
	}
	for {
		items, err := e.Presence.Page(ctx, ch.ID, ch.Settings.Locations, after, presencePage)
		if err != nil {
			return missing, false, err
		}
		var skus []string
		for _, it := range items {
			if listing.ShouldBeHeld(it) {
				skus = append(skus, it.Product.SKU)
			}
		}
		requeued := 0
		if len(skus) > 0 {
			remote, err := ad.FetchListings(ctx, skus)
			if err != nil {
				return missing, false, fmt.Errorf("reading what %s holds: %w", ch.Name, err)
			}
			held := make(map[string]bool, len(remote))
			for _, r := range remote {
				held[r.SKU] = true
			}
			for _, it := range items {
				if listing.ShouldBeHeld(it) && !held[it.Product.SKU] {
					again, err := e.Presence.Repush(ctx, it.Listing.ID, "missing_there")
					if err != nil {
						return missing, false, err
					}
					if again {
						requeued++
					}
				}
			}
		}
		missing += requeued
		if len(items) < presencePage {
			return missing, false, e.Presence.PresenceAfter(ctx, ch.ID, "")
		}
		after = items[len(items)-1].Listing.ID
		if err := e.Presence.PresenceAfter(ctx, ch.ID, after); err != nil {
			return missing, false, err
		}
		if !time.Now().Before(deadline) {
			return missing, false, nil
		}
		if requeued > 0 {
			return missing, true, nil
		}
		// Something changed while this page was read: its push goes first.
		if changed, err := e.Listings.AnyDirty(ctx, ch.ID); err != nil || changed {
			return missing, err == nil, err
		}
	}
}

type fenceKey struct{}

// WithFence makes the syncs run with ctx record their outcomes under a
// sync lease's fencing token: once another run took the channel's lease,
// they are refused (listing.ErrSuperseded) and the sync stops.
func WithFence(ctx context.Context, fence int64) context.Context {
	return context.WithValue(ctx, fenceKey{}, fence)
}

// stillHolds refuses (listing.ErrSuperseded) to go on with a run whose
// fencing token is no longer the channel's: another worker took the lease,
// and this run must not call the marketplace again. The Redis lease alone
// would tell only at its next renewal, up to a third of its TTL later; the
// database refuses the run's writes regardless, this spares the calls.
func (e *Engine) stillHolds(ctx context.Context, channelID string) error {
	fence, _ := ctx.Value(fenceKey{}).(int64)
	if fence == 0 {
		return nil
	}
	current, err := e.ChannelRows.SyncFence(ctx, channelID)
	if err != nil {
		return err
	}
	if current != fence {
		return listing.ErrSuperseded
	}
	return nil
}

// recordPush records o under the fencing token of ctx, if any.
func (e *Engine) recordPush(ctx context.Context, o listing.PushOutcome) error {
	o.Fence, _ = ctx.Value(fenceKey{}).(int64)
	return e.Listings.RecordPush(ctx, o)
}

// outcomeGrace is how long outcomes may still be recorded after a sync's
// context ended.
const outcomeGrace = 10 * time.Second

// detach returns a context that keeps ctx's values, outlives its
// cancellation by grace, and ends then (or on cancel).
func detach(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(dctx, func() { t.Stop() })
	})
	return dctx, func() { stop(); cancel() }
}

func (r *Report) add(o Report) {
	r.Listings += o.Listings
	r.Created += o.Created
	r.Prices += o.Prices
	r.Stock += o.Stock
	r.Refused += o.Refused
	r.Failed += o.Failed
	r.Skipped += o.Skipped
	r.Recreated += o.Recreated
	r.Missing += o.Missing
}

// plan is what one listing needs.
type plan struct {
	item  listing.SyncItem
	offer listing.Offer
	// body is what content hashes (settledContent hashes it again with the
	// id the marketplace assigned); its images are the ones a full push sends.
	body    content
	content string
	create  bool
	price   bool
	stock   bool
}

// content is what a full listing carries besides price and stock.
type content struct {
	Title, Description, Craft, HSN string
	GST                            int64
	GITag                          bool
	GICert                         string
	// GI is left out when empty, so that listings of products without one
	// keep the content hash they were pushed with.
	GI         string `json:",omitempty"`
	Images     []string
	Dims       [4]int64
	ExternalID string
	Locations  []string
}

func (e *Engine) plan(ch channels.Channel, it listing.SyncItem) plan {
	p := it.Product
	offer := listing.Desired(it.Listing, listing.Terms{PricePaise: p.PricePaise, MRPPaise: p.MRPPaise,
		OneOfAKind: p.OneOfAKind, AllocatedChannelID: p.AllocatedChannelID}, it.Stock)
	locs := make([]string, len(offer.ByLocation))
	for i, l := range offer.ByLocation {
		locs[i] = l.ExternalLocationID
	}
	body := content{Title: p.Title, Description: p.Description, Craft: p.Craft, HSN: p.HSNCode, GST: p.GSTRateBP,
		GITag: p.GITag, GI: p.GI, GICert: p.GICertificateNo, Images: e.images(ch, p), Dims: [4]int64{p.WeightG, p.LengthMM, p.WidthMM, p.HeightMM},
		ExternalID: it.Listing.ExternalID, Locations: locs}
	c := listing.ContentHash(body)
	pl := plan{item: it, offer: offer, body: body, content: c}
	l := it.Listing
	switch {
	case it.PushedContent != c || l.Status == listing.StatusRejected:
		// New content, or a listing the marketplace refused (or lost):
		// the whole listing goes again, not just price and stock.
		pl.create = true
	default:
		pl.price = l.PushedPricePaise == nil || *l.PushedPricePaise != offer.PricePaise ||
			it.PushedMRPPaise == nil || *it.PushedMRPPaise != offer.MRPPaise
		pl.stock = l.PushedQuantity == nil || *l.PushedQuantity != offer.Quantity
	}
	return pl
}

// settledContent is the content hash a full push leaves on the listing
// when the marketplace answered with its own id for it (Amazon's ASIN,
// matched on the put and recorded as the listing's external id): the
// marketplace holds the listing under that id already, so the hash the
// next sync compares with is the one naming it. Hashed without it, every
// listing Amazon just created looked changed at its next stock change and
// was put again in full instead of patched, one call each at its 5 a
// second, ahead of every stock push.
func (pl plan) settledContent(assigned string) string {
	if assigned == "" || assigned == pl.body.ExternalID {
		return pl.content
	}
	body := pl.body
	body.ExternalID = assigned
	return listing.ContentHash(body)
}

func toListing(ch channels.Channel, pl plan) adapters.Listing {
	p := pl.item.Product
	desc := p.Description
	if p.GITag {
		gi := "GI-tagged craft of Jammu & Kashmir"
		if g, ok := catalog.GIByKey(p.GI); ok {
			gi = "Registered Geographical Indication: " + g.Name
		}
		desc = strings.TrimSpace(desc + "\n\n" + gi + giCert(p))
	}
	return adapters.Listing{SKU: p.SKU, ExternalID: pl.item.Listing.ExternalID, Existing: pl.item.PushedContent != "", Title: p.Title, Description: desc,
		Brand: "JKHHC", Craft: p.Craft, HSNCode: p.HSNCode, GSTRateBP: p.GSTRateBP, MRPPaise: pl.offer.MRPPaise,
		PricePaise: pl.offer.PricePaise, Quantity: pl.offer.Quantity, DispatchDays: ch.Settings.Dispatch(),
		CountryOfOrigin: "IN", GITag: p.GITag, GICertificateNo: p.GICertificateNo, Images: pl.body.Images, WeightG: p.WeightG,
		LengthMM: p.LengthMM, WidthMM: p.WidthMM, HeightMM: p.HeightMM, Locations: locations(pl.offer)}
}

// images are what a marketplace is sent: the product's photos resized for
// its rules (at their public URLs, which it fetches), then its image URLs.
func (e *Engine) images(ch channels.Channel, p catalog.Product) []string {
	if e.PhotoURL == nil || len(p.Photos) == 0 {
		return p.Images
	}
	out := make([]string, 0, len(p.Photos)+len(p.Images))
	for _, sha := range p.Photos {
		out = append(out, e.PhotoURL(sha, media.ForChannel(ch.Kind)))
	}
	return append(out, p.Images...)
}

func giCert(p catalog.Product) string {
	if p.GICertificateNo == "" {
		return ""
	}
	return " (GI certificate " + p.GICertificateNo + ")"
}

func locations(o listing.Offer) []adapters.LocationQuantity {
	out := make([]adapters.LocationQuantity, 0, len(o.ByLocation))
	for _, l := range o.ByLocation {
		if l.ExternalLocationID != "" {
			out = append(out, adapters.LocationQuantity{LocationID: l.ExternalLocationID, Quantity: l.Quantity})
		}
	}
	return out
}

// syncItems pushes items with ctx and records what happened with rctx,
// which outlives ctx's cancellation.
func (e *Engine) syncItems(ctx, rctx context.Context, ch channels.Channel, ad adapters.Channel, items []listing.SyncItem) (Report, error) {
	rep := Report{Listings: len(items)}
	var creates []adapters.Listing
	var prices []adapters.PriceUpdate
	var stock []adapters.StockUpdate
	plans := map[string]*plan{} // by SKU
	for _, it := range items {
		pl := e.plan(ch, it)
		plans[it.Product.SKU] = &pl
		switch {
		case pl.create:
			creates = append(creates, toListing(ch, pl))
		case pl.price || pl.stock:
			if pl.price {
				prices = append(prices, adapters.PriceUpdate{SKU: it.Product.SKU, ExternalID: it.Listing.ExternalID,
					MRPPaise: pl.offer.MRPPaise, PricePaise: pl.offer.PricePaise})
			}
			if pl.stock {
				stock = append(stock, adapters.StockUpdate{SKU: it.Product.SKU, ExternalID: it.Listing.ExternalID,
					Quantity: pl.offer.Quantity, Locations: locations(pl.offer)})
			}
		default:
			rep.Skipped++
			if err := e.recordPush(rctx, listing.PushOutcome{ListingID: it.Listing.ID, Seq: it.Seq, Settled: true,
				Status: settledStatus(it.Listing), At: e.now()}); err != nil {
				return rep, err
			}
		}
	}
	// Prices before stock: a unit must never be offered at an old price.
	steps := []struct {
		n    *int
		kind string
		run  func() ([]adapters.ItemResult, error)
	}{
		{&rep.Created, "listing", func() ([]adapters.ItemResult, error) { return ad.PushListings(ctx, creates) }},
		{&rep.Prices, "price", func() ([]adapters.ItemResult, error) { return ad.PushPrices(ctx, prices) }},
		{&rep.Stock, "stock", func() ([]adapters.ItemResult, error) {
			if bulk, ok := ad.(adapters.BulkStocker); ok && len(stock) >= bulk.BulkThreshold() {
				return bulk.PushStockBulk(ctx, stock)
			}
			return ad.PushStock(ctx, stock)
		}},
	}
	// A listing the marketplace no longer holds is created again at the
	// end of this sync (a listing deleted there, a marketplace that lost it).
	var recreate []adapters.Listing
	recreating := map[string]bool{}
	steps = append(steps, struct {
		n    *int
		kind string
		run  func() ([]adapters.ItemResult, error)
	}{&rep.Recreated, "listing", func() ([]adapters.ItemResult, error) { return ad.PushListings(ctx, recreate) }})
	failed := map[string]bool{}
	// assigned is the marketplace's own id for a SKU it took (Amazon's
	// ASIN, read back after the put), recorded on the listing.
	assigned := map[string]string{}
	var firstErr error
	for i, step := range steps {
		if (i == 0 && len(creates) == 0) || (i == 1 && len(prices) == 0) || (i == 2 && len(stock) == 0) || (i == 3 && len(recreate) == 0) {
			continue
		}
		if err := e.stillHolds(ctx, ch.ID); err != nil {
			return rep, err // what this run had not recorded stays dirty for the holder
		}
		results, err := step.run()
		for _, r := range results {
			pl := plans[r.SKU]
			if pl == nil {
				continue // an answer about a SKU we did not send is ignored
			}
			if !r.Accepted && r.Missing && i < 3 && !(i == 0 && pl.item.PushedContent == "") {
				if !recreating[r.SKU] {
					recreating[r.SKU] = true
					pl.create = true
					l := toListing(ch, *pl)
					l.Existing = false
					recreate = append(recreate, l)
				}
				continue
			}
			if !r.Accepted {
				failed[r.SKU] = true
				e.refused(rctx, ch, pl, step.kind, r)
				rep.Refused++
				continue
			}
			if r.ExternalID != "" {
				assigned[r.SKU] = r.ExternalID
			}
			*step.n++
		}
		if err != nil {
			firstErr = errors.Join(firstErr, fmt.Errorf("%s push: %w", step.kind, err))
			answered := map[string]bool{}
			for _, r := range results {
				answered[r.SKU] = true
			}
			for sku, pl := range plans {
				if !answered[sku] && (pl.create && i == 0 || pl.price && i == 1 || pl.stock && i == 2 || recreating[sku] && i == 3) {
					failed[sku] = true
					rep.Failed++
					if ctx.Err() == nil {
						e.transportFailure(rctx, ch, pl, err)
					} // else the sync was stopped (a shutdown): no failure of the marketplace's; it stays dirty
				}
			}
		}
	}
	// Everything sent and taken is settled at the state it was computed from.
	for sku, pl := range plans {
		if failed[sku] || !(pl.create || pl.price || pl.stock) {
			continue
		}
		o := listing.PushOutcome{ListingID: pl.item.Listing.ID, Seq: pl.item.Seq, Settled: true, Status: listing.StatusLive, At: e.now(),
			ExternalID: assigned[sku]}
		if !pl.item.Listing.Enabled {
			o.Status = listing.StatusPaused
		}
		q, price, mrp := pl.offer.Quantity, pl.offer.PricePaise, pl.offer.MRPPaise
		if pl.create || pl.stock {
			o.Quantity = &q
		}
		if pl.create || pl.price {
			o.PricePaise, o.MRPPaise = &price, &mrp
		}
		if pl.create {
			o.Content = pl.settledContent(assigned[sku])
		}
		if err := e.recordPush(rctx, o); err != nil {
			return rep, err
		}
	}
	return rep, firstErr
}

func settledStatus(l listing.Listing) string {
	if !l.Enabled {
		return listing.StatusPaused
	}
	if l.Status == listing.StatusPending {
		return listing.StatusLive
	}
	return l.Status
}

// refused records a marketplace's refusal of an item, in its own words,
// and opens an exception for operations. Awaiting upload (GeM) is no
// refusal: staff must upload the file and record the catalogue id.
func (e *Engine) refused(ctx context.Context, ch channels.Channel, pl *plan, kind string, r adapters.ItemResult) {
	msgs := make([]string, len(r.Issues))
	for i, is := range r.Issues {
		msgs[i] = is.String()
	}
	text := strings.Join(msgs, "; ")
	o := listing.PushOutcome{ListingID: pl.item.Listing.ID, Seq: pl.item.Seq, Settled: true, Status: listing.StatusRejected,
		Error: text, At: e.now()}
	if strings.EqualFold(r.Status, "AWAITING_UPLOAD") {
		o.Status, o.Error = listing.StatusAwaitingUpload, text
		q, price, mrp := pl.offer.Quantity, pl.offer.PricePaise, pl.offer.MRPPaise
		o.Quantity, o.PricePaise, o.MRPPaise = &q, &price, &mrp
		if pl.create {
			o.Content = pl.content
		}
		e.record(ctx, o)
		return
	}
	e.record(ctx, o)
	_ = e.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.ListingRejected,
		CauseKey: "listing_rejected:" + pl.item.Listing.ID,
		Summary:  fmt.Sprintf("%s refused the %s of %s", ch.Name, kind, pl.item.Product.SKU),
		Detail:   text,
		Action:   "Correct the product or the listing as the guidance says (or record its FSN/ASIN); the next change of either is pushed again, or POST /api/v1/listings/{id}/retry.",
		Guidance: exceptions.Guide(marketplaceName(ch.Kind), refusals(r.Issues)),
		Resource: "listing", ResourceID: pl.item.Listing.ID, ChannelID: ch.ID})
}

// transportFailure keeps the listing dirty, counts the attempt, and after
// MaxAttempts opens a sync_failing exception for the channel.
func (e *Engine) transportFailure(ctx context.Context, ch channels.Channel, pl *plan, err error) {
	e.record(ctx, listing.PushOutcome{ListingID: pl.item.Listing.ID, Seq: pl.item.Seq, Settled: false, Status: listing.StatusError,
		Error: err.Error(), At: e.now()})
	max := e.MaxAttempts
	if max <= 0 {
		max = 5
	}
	if pl.item.Listing.Attempts+1 >= max {
		_ = e.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.SyncFailing, CauseKey: "sync_failing:" + ch.ID,
			Summary:  fmt.Sprintf("sync with %s keeps failing", ch.Name),
			Detail:   err.Error(),
			Action:   "Check the channel's health and credentials (GET /channels/{id}); sync keeps retrying on its own.",
			Resource: "channel", ResourceID: ch.ID})
	}
}

func (e *Engine) record(ctx context.Context, o listing.PushOutcome) {
	if err := e.recordPush(ctx, o); err != nil && !errors.Is(err, listing.ErrSuperseded) && e.Log != nil {
		e.Log.Error("recording a push outcome failed", "listing_id", o.ListingID, "err", err)
	}
}

func (e *Engine) failChannel(ctx context.Context, ch channels.Channel, err error) {
	_ = e.ChannelRows.RecordOutcome(ctx, ch.ID, e.now(), err.Error())
	if e.Log != nil {
		e.Log.Warn("channel sync failed", "channel", ch.Name, "err", err)
	}
}

// marketplaceName is how staff call a channel's marketplace.
func marketplaceName(kind string) string {
	switch kind {
	case "flipkart":
		return "Flipkart"
	case "amazon":
		return "Amazon"
	case "gem":
		return "GeM"
	}
	return kind
}

func refusals(issues []adapters.Issue) []exceptions.Refusal {
	out := make([]exceptions.Refusal, len(issues))
	for i, is := range issues {
		out[i] = exceptions.Refusal{Code: is.Code, Attribute: is.Attribute, Message: is.Message}
	}
	return out
}
