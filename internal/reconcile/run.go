package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/listing"
)

// The runner is the application side of a reconciliation: it streams our
// listings page by page, reads what the marketplace holds for each page
// through the channel's adapter (its rate limits pace the reads), classifies
// with Classify, and records each page's differences and progress before
// reading the next, so memory stays flat however large the catalogue.

// RunStore keeps a run's progress and findings. Every write after Claim
// names the claim it was made under: once another worker took the run over
// (its holder went silent), the old holder's writes are refused with
// ErrSuperseded and it stops.
type RunStore interface {
	// Claim takes a run to work on and returns it with a new ClaimID: a
	// pending run, or a running one whose last write (updated_at) is before
	// staleBefore, its worker having died. A stock run taken over keeps its
	// checkpoint and counters; an orders run starts again, its findings
	// cleared. False when the run is finished or held by a live worker.
	Claim(ctx context.Context, id string, at, staleBefore time.Time) (Reconciliation, bool, error)
	SetTotal(ctx context.Context, id, claim string, total int64, at time.Time) error
	// Record appends differences, adds to the run's counters and, when
	// checkpoint is not empty, moves the run's checkpoint, in one
	// transaction.
	Record(ctx context.Context, id, claim string, p Page, at time.Time) error
	// Heartbeat says the holder is alive (updated_at).
	Heartbeat(ctx context.Context, id, claim string, at time.Time) error
	Finish(ctx context.Context, id, claim, status, errText string, at time.Time) error
	// Stale lists running runs whose last write is before before.
	Stale(ctx context.Context, before time.Time, limit int) ([]string, error)
}

// Page is what one step of a run recorded: its differences, what it
// counted, and the checkpoint after it ("" keeps the checkpoint).
type Page struct {
	Diffs                        []Difference
	Checked, Corrected, Ingested int64
	Checkpoint                   string
}

// ErrSuperseded says another worker took the run over.
var ErrSuperseded = errors.New("reconcile: the run was taken over by another worker")

// StaleAfter is how long a running run may go without a write before
// another worker takes it over: several heartbeats (HeartbeatEvery).
const StaleAfter = 2 * time.Minute

// HeartbeatEvery is how often a running run says it is alive, besides
// each page it records (a page of Amazon reads can take minutes).
const HeartbeatEvery = 20 * time.Second

// ListingPager reads a channel's listings in id order, with what each
// should offer, and puts right what auto_correct corrects.
type ListingPager interface {
	CountListings(ctx context.Context, channelID string) (int64, error)
	Page(ctx context.Context, channelID string, locations []channels.LocationMap, afterID string, limit int) ([]listing.SyncItem, error)
	// KnownSKUs returns which of skus a listing of the channel is for.
	KnownSKUs(ctx context.Context, channelID string, skus []string) (map[string]bool, error)
	// Repush marks a listing for the next sync to push again what class
	// says the marketplace lost: the whole listing (missing_there), the
	// quantity or the price. False: the listing no longer needs it
	// (withdrawn, refused, or already waiting for that push).
	Repush(ctx context.Context, listingID, class string) (bool, error)
}

// ExceptionRaiser opens an exception, or counts another occurrence of it.
type ExceptionRaiser interface {
	Raise(ctx context.Context, e exceptions.Exception) error
}

// Factory builds a channel's adapter.
type Factory func(ch channels.Channel, creds map[string]string) (adapters.Channel, error)

// ListingLister is a channel that can list every listing it holds, page by
// page (Amazon's searchListingsItems): the only way to find SKUs there that
// we have no listing for.
type ListingLister interface {
	ListListings(ctx context.Context, pageToken string) (items []adapters.RemoteListing, next string, err error)
}

// Runner runs reconciliations.
type Runner struct {
	Channels   *channels.Service
	Runs       RunStore
	Listings   ListingPager
	Exceptions ExceptionRaiser
	Factory    Factory
	// Resync asks for a sync of the channel (the normal rate-limited push
	// path) after auto_correct marked listings.
	Resync func(ctx context.Context, channelID string) error
	// Orders runs an order reconciliation (orderpull).
	Orders   OrderReconciler
	Log      *slog.Logger
	Now      func() time.Time
	PageSize int
	// StaleAfter overrides StaleAfter; HeartbeatEvery HeartbeatEvery.
	StaleAfter, HeartbeatEvery time.Duration
}

// OrderReconciler re-reads a window of a channel's orders.
type OrderReconciler interface {
	ReconcileOrders(ctx context.Context, channelID string, since time.Time, ingest bool, found func(Difference) error) (checked int64, err error)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// Run runs a reconciliation to its end: a pending one, or one whose
// worker died mid-run, from its last checkpoint. A run another live worker
// holds, or one that is finished, is left alone.
func (r *Runner) Run(ctx context.Context, id string) error {
	stale := r.StaleAfter
	if stale <= 0 {
		stale = StaleAfter
	}
	now := r.now()
	run, ok, err := r.Runs.Claim(ctx, id, now, now.Add(-stale))
	if err != nil || !ok {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := r.heartbeat(ctx, cancel, run)
	defer stop()
	switch run.Kind {
	case KindStock:
		err = r.stock(ctx, run)
	case KindOrders:
		err = r.orders(ctx, run)
	default:
		err = fmt.Errorf("unknown kind %q", run.Kind)
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrSuperseded) {
		err = cause
	}
	if errors.Is(err, ErrSuperseded) {
		return nil // the worker that took it over finishes it
	}
	if err != nil && errors.Is(parent.Err(), context.Canceled) {
		// The worker is stopping (a shutdown): the run stays running and
		// is resumed from its checkpoint once stale (ResumeStale).
		return parent.Err()
	}
	status, text := StatusDone, ""
	if err != nil {
		status, text = StatusFailed, err.Error()
		if r.Log != nil {
			r.Log.Warn("reconciliation failed", "reconciliation", id, "channel", run.ChannelID, "err", err)
		}
	}
	if ferr := r.Runs.Finish(context.WithoutCancel(ctx), id, run.ClaimID, status, text, r.now()); ferr != nil && !errors.Is(ferr, ErrSuperseded) {
		return errors.Join(err, ferr)
	}
	return nil
}

// heartbeat keeps the run's claim fresh until stop; a claim lost to
// another worker cancels the run.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, run Reconciliation) (stop func()) {
	every := r.HeartbeatEvery
	if every <= 0 {
		every = HeartbeatEvery
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := r.Runs.Heartbeat(ctx, run.ID, run.ClaimID, r.now()); errors.Is(err, ErrSuperseded) {
				cancel(err)
				return
			} else if err != nil && r.Log != nil && ctx.Err() == nil {
				r.Log.Warn("reconciliation heartbeat failed", "reconciliation", run.ID, "err", err)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// ResumeStale runs again every reconciliation whose worker died (no write
// for StaleAfter), each through run (a queued job), from its checkpoint.
func (r *Runner) ResumeStale(ctx context.Context, run func(ctx context.Context, id string) error) (int, error) {
	stale := r.StaleAfter
	if stale <= 0 {
		stale = StaleAfter
	}
	ids, err := r.Runs.Stale(ctx, r.now().Add(-stale), 100)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := run(ctx, id); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

func (r *Runner) stock(ctx context.Context, run Reconciliation) error {
	ch, err := r.Channels.Get(ctx, run.ChannelID)
	if err != nil {
		return err
	}
	creds, err := r.Channels.Credentials(ctx, ch.ID)
	if err != nil {
		return err
	}
	ad, err := r.Factory(ch, creds)
	if err != nil {
		return err
	}
	phase, after, token := Resume(run.ResumeAfter)
	var total int64
	if phase == PhaseListings {
		if total, err = r.Listings.CountListings(ctx, ch.ID); err != nil {
			return err
		}
		if err := r.Runs.SetTotal(ctx, run.ID, run.ClaimID, total, r.now()); err != nil {
			return err
		}
	}
	size := r.PageSize
	if size <= 0 {
		size = 500
	}
	// Corrections recorded before a takeover count: the sync they ask for
	// may not have been asked yet.
	corrected := run.Corrected
	// A run read item by item goes on that way once past its start.
	if rep, ok := ad.(adapters.ListingsReporter); ok && (phase == PhaseReport || phase == PhaseListings && after == "" && UseReport(total, rep.ReportThreshold())) {
		if lookup, ok := r.Listings.(SKUReader); ok {
			// The report is one stream in the marketplace's order: a run
			// taken over reads it again, counting only what its
			// checkpoint says was not counted yet.
			fixed, err := r.fromReport(ctx, ch, run, rep, lookup, size, after)
			if err != nil {
				return err
			}
			return r.resync(ctx, ch.ID, corrected+fixed)
		}
	}
	if phase == PhaseReport {
		return fmt.Errorf("the run was read from %s's listings report, which can no longer be read", ch.Name)
	}
	for phase == PhaseListings {
		items, err := r.Listings.Page(ctx, ch.ID, ch.Settings.Locations, after, size)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			break
		}
		after = items[len(items)-1].Listing.ID
		skus := make([]string, len(items))
		for i, it := range items {
			skus[i] = it.Product.SKU
		}
		remote, err := ad.FetchListings(ctx, skus)
		if err != nil {
			return fmt.Errorf("reading what %s holds: %w", ch.Name, err)
		}
		held := make(map[string]*Remote, len(remote))
		for _, rl := range remote {
			held[rl.SKU] = &Remote{SKU: rl.SKU, Quantity: rl.Quantity, PricePaise: rl.PricePaise}
		}
		var diffs []Difference
		var fixed int64
		for _, it := range items {
			if diffs, fixed, err = r.actAll(ctx, ch, run, Classify(expected(it), held[it.Product.SKU]), diffs, fixed); err != nil {
				return err
			}
		}
		corrected += fixed
		if err := r.Runs.Record(ctx, run.ID, run.ClaimID, Page{Diffs: diffs, Checked: int64(len(items)), Corrected: fixed, Checkpoint: after}, r.now()); err != nil {
			return err
		}
		if len(items) < size {
			break
		}
	}
	if lister, ok := ad.(ListingLister); ok && phase != PhaseDone {
		if err := r.unknown(ctx, ch, run, lister, token); err != nil {
			return err
		}
	}
	return r.resync(ctx, ch.ID, corrected)
}

// resync asks for the sync that pushes what auto_correct marked.
func (r *Runner) resync(ctx context.Context, channelID string, corrected int64) error {
	if corrected > 0 && r.Resync != nil {
		return r.Resync(ctx, channelID)
	}
	return nil
}

// unknown pages through everything the marketplace holds for SKUs we have
// no listing for.
func (r *Runner) unknown(ctx context.Context, ch channels.Channel, run Reconciliation, lister ListingLister, token string) error {
	for {
		items, next, err := lister.ListListings(ctx, token)
		if err != nil {
			return fmt.Errorf("listing what %s holds: %w", ch.Name, err)
		}
		skus := make([]string, len(items))
		for i, it := range items {
			skus[i] = it.SKU
		}
		known, err := r.Listings.KnownSKUs(ctx, ch.ID, skus)
		if err != nil {
			return err
		}
		var strangers []adapters.RemoteListing
		for _, it := range items {
			if !known[it.SKU] {
				strangers = append(strangers, it)
			}
		}
		if strangers, err = r.figures(ctx, lister, strangers); err != nil {
			return fmt.Errorf("reading what %s holds: %w", ch.Name, err)
		}
		var diffs []Difference
		for _, it := range strangers {
			d, err := r.act(ctx, ch, run, Unknown(Remote{SKU: it.SKU, Quantity: it.Quantity, PricePaise: it.PricePaise}))
			if err != nil {
				return err
			}
			diffs = append(diffs, d)
		}
		// The checkpoint moves with every page, differences or not.
		if err := r.Runs.Record(ctx, run.ID, run.ClaimID, Page{Diffs: diffs, Checkpoint: UnknownCheckpoint(next)}, r.now()); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// SKUsOnly is a ListingLister whose pages name SKUs without quantity or
// price (Flipkart's listing search): the few it holds that we do not know
// are read again with FetchListings for their figures.
type SKUsOnly interface {
	ListsSKUsOnly()
}

// figures completes the unknown SKUs of a SKUs-only lister with what the
// marketplace holds for them; one gone meanwhile is left out.
func (r *Runner) figures(ctx context.Context, lister ListingLister, items []adapters.RemoteListing) ([]adapters.RemoteListing, error) {
	ad, ok := lister.(adapters.Channel)
	if _, skusOnly := lister.(SKUsOnly); !skusOnly || !ok || len(items) == 0 {
		return items, nil
	}
	skus := make([]string, len(items))
	for i, it := range items {
		skus[i] = it.SKU
	}
	return ad.FetchListings(ctx, skus)
}

// actAll acts on each difference found (act), appending it to diffs and
// counting the corrected ones into fixed.
func (r *Runner) actAll(ctx context.Context, ch channels.Channel, run Reconciliation, found, diffs []Difference, fixed int64) ([]Difference, int64, error) {
	for _, d := range found {
		d, err := r.act(ctx, ch, run, d)
		if err != nil {
			return diffs, fixed, err
		}
		if d.Action == ActionCorrected {
			fixed++
		}
		diffs = append(diffs, d)
	}
	return diffs, fixed, nil
}

// act corrects a difference when asked and opens its stock_drift
// exception (one per listing, or per unknown SKU); a push waiting is no
// drift: the sync settles it.
func (r *Runner) act(ctx context.Context, ch channels.Channel, run Reconciliation, d Difference) (Difference, error) {
	d.Action = ActionReported
	if d.Class == PushPending {
		return d, nil
	}
	if run.AutoCorrect && Correctable(d.Class) {
		again, err := r.Listings.Repush(ctx, d.ListingID, d.Class)
		if err != nil {
			return d, err
		}
		if again {
			d.Action = ActionCorrected
		}
	}
	cause := "stock_drift:" + d.ListingID
	resource, resourceID := "listing", d.ListingID
	if d.Class == UnknownSKU {
		cause, resource, resourceID = "stock_drift:"+ch.ID+":"+d.SKU, "channel", ch.ID
	}
	action := "Run a stock reconciliation with auto_correct (POST /api/v1/reconciliations), or correct it in the seller portal; then resolve this exception."
	if d.Action == ActionCorrected {
		action = "Our values are being pushed again by the sync; check the listing is right on the marketplace, then resolve this exception."
	}
	if d.Class == UnknownSKU {
		action = "End the listing in the seller portal, or add the product here and publish it; then resolve this exception."
	}
	err := r.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.StockDrift, CauseKey: cause,
		Summary:  fmt.Sprintf("%s on %s: %s", d.SKU, ch.Name, Cause(d)),
		Detail:   fmt.Sprintf("%s (ours: %s; marketplace: %s; reconciliation %s)", d.Detail, figures(d.OursQuantity, d.OursPricePaise), figures(d.TheirsQuantity, d.TheirsPricePaise), run.ID),
		Guidance: guidance(d.Class),
		Action:   action, Resource: resource, ResourceID: resourceID, ChannelID: ch.ID})
	return d, err
}

func guidance(class string) string {
	switch class {
	case EditedOnMarketplace:
		return "Someone changed the quantity in the marketplace's seller portal. Change stock only in artisanbridge: it tells every marketplace."
	case PriceDiffers:
		return "The marketplace shows another price than ours. Change prices only in artisanbridge (the product or its listing)."
	case MissingThere:
		return "The marketplace no longer shows this piece. It is listed again by the sync; tell operations if it disappears again."
	case UnknownSKU:
		return "The marketplace shows a piece artisanbridge does not know: an old or mistyped listing made in the seller portal."
	}
	return ""
}

func figures(q, p *int64) string {
	if q == nil {
		return "nothing"
	}
	return fmt.Sprintf("quantity %d at %d paise", *q, *p)
}

// expected is what one listing should hold on the marketplace now: the
// offer the sync would push (package listing), and whether it was pushed.
func expected(it listing.SyncItem) Expected {
	p := it.Product
	offer := listing.Desired(it.Listing, listing.Terms{PricePaise: p.PricePaise, MRPPaise: p.MRPPaise,
		OneOfAKind: p.OneOfAKind, AllocatedChannelID: p.AllocatedChannelID}, it.Stock)
	s := it.Listing.Status
	return Expected{ListingID: it.Listing.ID, SKU: p.SKU, Quantity: offer.Quantity, PricePaise: offer.PricePaise,
		InSync: it.Listing.InSync, Live: it.PushedContent != "" && s != listing.StatusRejected && s != listing.StatusAwaitingUpload}
}

func (r *Runner) orders(ctx context.Context, run Reconciliation) error {
	if r.Orders == nil {
		return errors.New("order reconciliation is not configured")
	}
	var ingested int64
	checked, err := r.Orders.ReconcileOrders(ctx, run.ChannelID, r.now().Add(-DefaultOrderWindow), run.AutoCorrect, func(d Difference) error {
		var n int64
		if d.Action == ActionIngested {
			n = 1
		}
		ingested += n
		return r.Runs.Record(ctx, run.ID, run.ClaimID, Page{Diffs: []Difference{d}, Ingested: n}, r.now())
	})
	if err != nil {
		return err
	}
	return r.Runs.Record(ctx, run.ID, run.ClaimID, Page{Checked: checked}, r.now())
}
