// Package reconcile finds where a marketplace and artisanbridge disagree
// and says why: stock and prices a marketplace holds against what the
// channel should offer now, and orders it has that were never taken in. A
// reconciliation is a background run with progress; every difference is
// classified by a plain function here and kept, paged, with what was done.
package reconcile

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Kinds of reconciliation.
const (
	KindStock  = "stock"
	KindOrders = "orders"
)

// Statuses of a run.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// Classes of difference.
const (
	// PushPending: we changed the listing and the push has not reached the
	// marketplace yet; the next sync settles it.
	PushPending = "push_pending"
	// EditedOnMarketplace: we pushed the right quantity and the marketplace
	// now holds another one: someone changed it in the seller portal.
	EditedOnMarketplace = "edited_on_marketplace"
	// UnknownSKU: the marketplace holds a SKU no listing of ours is for.
	UnknownSKU = "unknown_sku"
	// MissingThere: we have a live listing the marketplace does not hold.
	MissingThere = "missing_there"
	// PriceDiffers: the marketplace's selling price is not ours.
	PriceDiffers = "price_differs"
	// MissedOrder: an order of the window the marketplace has and we do not.
	MissedOrder = "missed_order"
	// StatusDiffers: an order whose status there is not its status here.
	StatusDiffers = "status_differs"
)

// Actions taken on a difference.
const (
	ActionReported  = "reported"
	ActionCorrected = "corrected"
	ActionIngested  = "ingested"
)

// DefaultOrderWindow is how far back an order reconciliation reads.
const DefaultOrderWindow = 7 * 24 * time.Hour

// Reconciliation is one run.
type Reconciliation struct {
	ID          string `json:"id"`
	ChannelID   string `json:"channel_id"`
	Kind        string `json:"kind"`
	AutoCorrect bool   `json:"auto_correct"`
	Status      string `json:"status"`
	// Total is how many listings (stock) the run reads; Checked how many so
	// far: Progress is their ratio, 0 to 1.
	Total       int64   `json:"total"`
	Checked     int64   `json:"checked"`
	Progress    float64 `json:"progress"`
	Differences int64   `json:"differences"`
	Corrected   int64   `json:"corrected"`
	Ingested    int64   `json:"ingested"`
	Error       string  `json:"error"`
	CreatedBy   string  `json:"created_by"`
	// ScheduleKey names a scheduled run (nightly:YYYY-MM-DD); nil on demand.
	ScheduleKey *string    `json:"schedule_key"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	// Found is one page of the differences (?limit, ?cursor).
	Found paging.Page[Difference] `json:"found"`
	// ClaimID names the worker's hold on a running run; ResumeAfter is the
	// run's checkpoint (Checkpoint). Neither is shown.
	ClaimID     string `json:"-"`
	ResumeAfter string `json:"-"`
}

// Difference is one disagreement and what was done about it.
type Difference struct {
	ID               string    `json:"id"`
	SKU              string    `json:"sku"`
	ListingID        string    `json:"listing_id"`
	Class            string    `json:"class"`
	OursQuantity     *int64    `json:"ours_quantity"`
	TheirsQuantity   *int64    `json:"theirs_quantity"`
	OursPricePaise   *int64    `json:"ours_price_paise"`
	TheirsPricePaise *int64    `json:"theirs_price_paise"`
	Detail           string    `json:"detail"`
	Action           string    `json:"action"`
	CreatedAt        time.Time `json:"created_at"`
}

// Input is the body of POST /reconciliations.
type Input struct {
	ChannelID string `json:"channel_id"`
	// Kind is stock (what the marketplace holds) or orders (a re-read of
	// the last seven days of its orders).
	Kind string `json:"kind"`
	// AutoCorrect pushes the right values through the normal rate-limited
	// sync (stock) or takes missing orders in (orders); without it the run
	// only reports.
	AutoCorrect bool `json:"auto_correct"`
}

// TopicRequested announces a run to start (its job is derived from the row).
const TopicRequested = "reconciliation.requested"

// Requested is the payload of TopicRequested.
type Requested struct {
	ID string `json:"id"`
}

// Store keeps runs.
type Store interface {
	ChannelExists(ctx context.Context, id string) (bool, error)
	Create(ctx context.Context, r Reconciliation, fx effects.Set) error
	Get(ctx context.Context, id string, p paging.Request) (Reconciliation, error)
}

// Service starts and shows runs.
type Service struct {
	store Store
	now   func() time.Time
}

func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

// Nightly starts the night's reconciliation of a channel of one kind:
// stock report only (a person decides what to put right); orders with the
// missing ones ingested, as the pull would have (a late-indexed order the
// pull's overlap missed is caught within a day, with its missed_order
// exception). Replicas starting the same night's run write one row (the
// database refuses the second), and false says it was started already.
func (s *Service) Nightly(ctx context.Context, channelID, kind string) (bool, error) {
	key := "nightly:" + s.now().UTC().Format("2006-01-02")
	_, err := s.start(ctx, Input{ChannelID: channelID, Kind: kind, AutoCorrect: kind == KindOrders}, &key)
	if apperr.Is(err, apperr.Conflict) {
		return false, nil
	}
	return err == nil, err
}

// Start records a run; a worker picks it up from the outbox event.
func (s *Service) Start(ctx context.Context, in Input) (Reconciliation, error) {
	return s.start(ctx, in, nil)
}

func (s *Service) start(ctx context.Context, in Input, scheduleKey *string) (_ Reconciliation, err error) {
	defer apperr.Annotate(&err, "reconcile.Start(%q)", in.ChannelID)
	fe := apperr.FieldErrors{}
	in.ChannelID = strings.TrimSpace(in.ChannelID)
	if !ids.Valid(in.ChannelID) {
		fe.Add("channel_id", "is required: the channel to reconcile (GET /channels lists them)")
	}
	if in.Kind != KindStock && in.Kind != KindOrders {
		fe.Add("kind", "must be stock or orders")
	}
	if err := fe.Err(); err != nil {
		return Reconciliation{}, err
	}
	ok, err := s.store.ChannelExists(ctx, in.ChannelID)
	if err != nil {
		return Reconciliation{}, err
	}
	if !ok {
		return Reconciliation{}, apperr.FieldErrors{"channel_id": "no such channel (GET /channels lists them)"}.Err()
	}
	now := s.now().UTC()
	r := Reconciliation{ID: ids.New(), ChannelID: in.ChannelID, Kind: in.Kind, AutoCorrect: in.AutoCorrect, Status: StatusPending,
		CreatedBy: reqctx.ActorFrom(ctx).Name, ScheduleKey: scheduleKey, CreatedAt: now, UpdatedAt: now, Found: paging.Page[Difference]{Items: []Difference{}}}
	fx := effects.Set{
		Audit:  []audit.Entry{audit.New(ctx, now, "create", "reconciliation", r.ID, nil, r)},
		Events: []outbox.Message{outbox.New(now, TopicRequested, r.ID, Requested{ID: r.ID})},
	}
	if err := s.store.Create(ctx, r, fx); err != nil {
		return Reconciliation{}, err
	}
	return r, nil
}

// Get shows a run with one page of its differences.
func (s *Service) Get(ctx context.Context, id string, p paging.Request) (Reconciliation, error) {
	r, err := s.store.Get(ctx, id, p)
	if err != nil {
		return Reconciliation{}, err
	}
	if r.Total > 0 {
		r.Progress = float64(r.Checked) / float64(r.Total)
	} else if r.Status == StatusDone {
		r.Progress = 1
	}
	return r, nil
}

// Expected is what the channel should hold for one listing now, and what
// we last pushed.
type Expected struct {
	ListingID  string
	SKU        string
	Quantity   int64
	PricePaise int64
	// InSync says the last push covered every change (nothing waits).
	InSync bool
	// Live says the marketplace should hold the listing (it was pushed
	// and not refused).
	Live bool
}

// Remote is what the marketplace holds for a SKU.
type Remote struct {
	SKU        string
	Quantity   int64
	PricePaise int64
}

// Classify compares one listing with what the marketplace holds (nil: it
// holds nothing for the SKU) and returns its differences. A difference
// while a push waits is push_pending whatever it is: the sync settles it.
func Classify(e Expected, r *Remote) []Difference {
	q, p := e.Quantity, e.PricePaise
	diff := func(class, detail string) Difference {
		d := Difference{SKU: e.SKU, ListingID: e.ListingID, Class: class, OursQuantity: &q, OursPricePaise: &p, Detail: detail}
		if r != nil {
			tq, tp := r.Quantity, r.PricePaise
			d.TheirsQuantity, d.TheirsPricePaise = &tq, &tp
		}
		return d
	}
	switch {
	case r == nil && !e.Live:
		return nil // never published there (refused, paused, awaiting upload): nothing to hold
	case r == nil && !e.InSync:
		return []Difference{diff(PushPending, "not on the marketplace yet: the listing's push is waiting")}
	case r == nil:
		return []Difference{diff(MissingThere, "the marketplace no longer holds this listing (deleted there, or lost)")}
	}
	var out []Difference
	if r.Quantity != e.Quantity {
		if e.InSync {
			out = append(out, diff(EditedOnMarketplace, "we pushed the right quantity and the marketplace now holds another: changed in its seller portal"))
		} else {
			out = append(out, diff(PushPending, "the quantity changed here and its push is waiting"))
		}
	}
	if r.PricePaise != e.PricePaise {
		if e.InSync {
			out = append(out, diff(PriceDiffers, "the marketplace's selling price is not ours"))
		} else if len(out) == 0 {
			out = append(out, diff(PushPending, "the price changed here and its push is waiting"))
		}
	}
	return out
}

// Unknown is the difference of a SKU the marketplace holds that no listing
// of ours is for.
func Unknown(r Remote) Difference {
	tq, tp := r.Quantity, r.PricePaise
	return Difference{SKU: r.SKU, Class: UnknownSKU, TheirsQuantity: &tq, TheirsPricePaise: &tp,
		Detail: "the marketplace offers a SKU artisanbridge has no listing for: end it in the seller portal, or add the product and publish it"}
}

// Correctable says whether auto_correct can put a difference right by
// pushing our values again (an unknown SKU is for a person: we never
// delete what we did not list).
func Correctable(class string) bool {
	return class == EditedOnMarketplace || class == MissingThere || class == PriceDiffers
}

// Cause words a difference for its stock_drift exception.
func Cause(d Difference) string {
	switch d.Class {
	case EditedOnMarketplace:
		return "quantity edited on the marketplace"
	case MissingThere:
		return "listing missing on the marketplace"
	case PriceDiffers:
		return "price differs on the marketplace"
	case UnknownSKU:
		return "unknown SKU on the marketplace"
	}
	return d.Class
}

// Phases of a stock run, in order: our listings page by page, then (where
// the marketplace can list what it holds) its listings for unknown SKUs.
// A run read from the marketplace's report is in PhaseReport instead once
// it recorded a batch (ReportResume says where).
const (
	PhaseListings = iota
	PhaseUnknown
	PhaseDone
	PhaseReport
)

const (
	unknownPrefix = "unknown:"
	unknownDone   = "unknown-done"
	reportPrefix  = "report:"
	missingPrefix = "report-missing:"
)

// ReportCheckpoint is the checkpoint after the first rows rows of the
// marketplace's report were classified and counted.
func ReportCheckpoint(rows int64) string {
	return reportPrefix + strconv.FormatInt(rows, 10)
}

// MissingCheckpoint is the checkpoint in a report run's second pass (our
// listings the report did not hold) after listing after.
func MissingCheckpoint(after string) string {
	return missingPrefix + after
}

// ReportResume says where a run read from the report picks up from its
// checkpoint: how many of the report's rows were already counted (skip,
// -1: all of them, the run being in its second pass) and the listing after
// which its second pass goes on. A run taken over reads the report again
// (its second pass needs every SKU the report holds) and counts only the
// rows after skip, so none is counted twice.
func ReportResume(checkpoint string) (skip int64, after string) {
	if rest, ok := strings.CutPrefix(checkpoint, missingPrefix); ok {
		return -1, rest
	}
	if rest, ok := strings.CutPrefix(checkpoint, reportPrefix); ok {
		if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n >= 0 {
			return n, ""
		}
	}
	return 0, ""
}

// UnknownCheckpoint is the checkpoint after a page of the unknown-SKU
// pass: the marketplace's token of the next page, or the pass's end when
// there is none.
func UnknownCheckpoint(next string) string {
	if next == "" {
		return unknownDone
	}
	return unknownPrefix + next
}

// Resume says where a stock run picks up from its checkpoint: in the
// listings pass after listing after ("" from the start), in the unknown
// pass at page token, in a run read from the report (after is then the
// checkpoint, for ReportResume), or nowhere (both passes done). A listing
// id is never taken for a token: ids have no colon.
func Resume(checkpoint string) (phase int, after, token string) {
	switch {
	case checkpoint == unknownDone:
		return PhaseDone, "", ""
	case strings.HasPrefix(checkpoint, reportPrefix) || strings.HasPrefix(checkpoint, missingPrefix):
		return PhaseReport, checkpoint, ""
	case strings.HasPrefix(checkpoint, unknownPrefix):
		return PhaseUnknown, "", strings.TrimPrefix(checkpoint, unknownPrefix)
	}
	return PhaseListings, checkpoint, ""
}
