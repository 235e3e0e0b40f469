// Package exceptions is the one queue operations work from: every problem
// the system cannot solve alone (an unmapped SKU, an oversold unit, a
// marketplace refusing a listing, a sync that keeps failing) becomes one
// open exception per cause, saying what happened and what can be done.
package exceptions

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Kinds of exception (API.md).
const (
	UnmappedSKU        = "unmapped_sku"
	Oversold           = "oversold"
	ListingRejected    = "listing_rejected"
	SyncFailing        = "sync_failing"
	SettlementMismatch = "settlement_mismatch"
	MissedOrder        = "missed_order"
	StockDrift         = "stock_drift"
)

// Statuses of an exception (the partial unique index on open cause keys
// names StatusOpen).
const (
	StatusOpen     = "open"
	StatusResolved = "resolved"
)

var Kinds = []string{UnmappedSKU, Oversold, ListingRejected, SyncFailing, SettlementMismatch, MissedOrder, StockDrift}

// MaxPayloadBytes caps the raw payload an exception keeps: enough for any
// one order or item, never a whole page.
const MaxPayloadBytes = 64 << 10

// Exception is one problem for a person to look at.
type Exception struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	CauseKey    string `json:"cause_key"`
	Status      string `json:"status"`
	Summary     string `json:"summary"`
	Detail      string `json:"detail"`
	Action      string `json:"action"`
	Resource    string `json:"resource"`
	ResourceID  string `json:"resource_id"`
	Occurrences int64  `json:"occurrences"`
	// Payload is what a marketplace sent that could not be read (a
	// missed_order's raw order or item), at most MaxPayloadBytes.
	Payload    string     `json:"payload,omitempty"`
	Resolution string     `json:"resolution"`
	ResolvedBy string     `json:"resolved_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

// Filter narrows GET /exceptions.
type Filter struct {
	Kind   string
	Status string
}

// Store keeps exceptions. Raise opens one per cause key, or counts another
// occurrence on the open one (and refreshes its detail).
type Store interface {
	Raise(ctx context.Context, e Exception) error
	Resolve(ctx context.Context, id, resolution, by string, at time.Time, fx effects.Set) (Exception, error)
	Get(ctx context.Context, id string) (Exception, error)
	List(ctx context.Context, f Filter, p paging.Request) (paging.Page[Exception], error)
}

// Service applies the rules.
type Service struct {
	store Store
	now   func() time.Time
}

func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

// ResolveInput is the body of POST /exceptions/{id}/resolve.
type ResolveInput struct {
	Resolution string `json:"resolution"`
}

// Resolve closes an open exception with what was done about it.
func (s *Service) Resolve(ctx context.Context, id string, in ResolveInput, by string) (_ Exception, err error) {
	defer apperr.Annotate(&err, "exceptions.Resolve(%q)", id)
	in.Resolution = strings.TrimSpace(in.Resolution)
	if in.Resolution == "" || len(in.Resolution) > 2000 {
		return Exception{}, apperr.FieldErrors{"resolution": "say what was done (1-2000 characters)"}.Err()
	}
	before, err := s.store.Get(ctx, id)
	if err != nil {
		return Exception{}, err
	}
	if before.Status != StatusOpen {
		return Exception{}, apperr.New(apperr.Conflict, "exception %s is already resolved", id)
	}
	now := s.now().UTC()
	after := before
	after.Status, after.Resolution, after.ResolvedBy, after.ResolvedAt = StatusResolved, in.Resolution, by, &now
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "resolve", "exception", id, before, after)}}
	return s.store.Resolve(ctx, id, in.Resolution, by, now, fx)
}

// List lists exceptions.
func (s *Service) List(ctx context.Context, f Filter, p paging.Request) (paging.Page[Exception], error) {
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		return paging.Page[Exception]{}, apperr.FieldErrors{"kind": "unknown kind"}.Err()
	}
	if f.Status != "" && f.Status != StatusOpen && f.Status != StatusResolved {
		return paging.Page[Exception]{}, apperr.FieldErrors{"status": "must be open or resolved"}.Err()
	}
	return s.store.List(ctx, f, p)
}
