// Package exceptions is the one queue operations work from: every problem
// the system cannot solve alone (an unmapped SKU, an oversold unit, a
// marketplace refusing a listing, a sync that keeps failing) becomes one
// open exception per cause, saying what happened and what can be done.
package exceptions

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
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
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	CauseKey   string `json:"cause_key"`
	Status     string `json:"status"`
	Summary    string `json:"summary"`
	Detail     string `json:"detail"`
	Action     string `json:"action"`
	Resource   string `json:"resource"`
	ResourceID string `json:"resource_id"`
	// ChannelID is the channel the exception is about ("" when none).
	ChannelID string `json:"channel_id"`
	// Guidance is what showroom staff should do, in plain words; Detail
	// keeps what the marketplace itself said (an Amazon issue code, a
	// Flipkart attribute error) beside it.
	Guidance    string     `json:"guidance"`
	AssigneeID  *string    `json:"assignee_id"`
	AssignedAt  *time.Time `json:"assigned_at"`
	Occurrences int64      `json:"occurrences"`
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
	Kind      string
	Status    string
	ChannelID string
	// Assignee is a user id, or "none" for the unassigned.
	Assignee string
	// CreatedBefore keeps exceptions opened before it (?older_than).
	CreatedBefore *time.Time
}

// Unassigned is the Assignee filter of exceptions nobody holds.
const Unassigned = "none"

// Roles that work exceptions.
const (
	roleAdmin      = "admin"
	roleOperations = "operations"
	roleFinance    = "finance"
)

// SettlementKinds are finance's to work; every other kind is operations'.
var SettlementKinds = []string{SettlementMismatch}

// WorkedBy returns the roles that may assign and resolve an exception of
// kind: admin always, finance the settlement kinds, operations the rest.
func WorkedBy(kind string) []string {
	if slices.Contains(SettlementKinds, kind) {
		return []string{roleAdmin, roleFinance}
	}
	return []string{roleAdmin, roleOperations}
}

// MayWork says whether role may assign and resolve an exception of kind.
func MayWork(role, kind string) bool { return slices.Contains(WorkedBy(kind), role) }

func checkRole(ctx context.Context, e Exception) error {
	role := reqctx.ActorFrom(ctx).Role
	if role == reqctx.System.Role || MayWork(role, e.Kind) {
		return nil
	}
	return apperr.New(apperr.PermissionDenied, "a %s exception is worked by %s, not by %s",
		e.Kind, strings.Join(WorkedBy(e.Kind)[1:], " and "), role)
}

// Store keeps exceptions. Raise opens one per cause key, or counts another
// occurrence on the open one (and refreshes its detail).
type Store interface {
	Raise(ctx context.Context, e Exception) error
	Resolve(ctx context.Context, id, resolution, by string, at time.Time, fx effects.Set) (Exception, error)
	// Assign gives an open exception to userID if that user is active and
	// has one of roles (the database checks both in the same UPDATE);
	// NotFound or Unprocessable naming user_id otherwise.
	Assign(ctx context.Context, id, userID string, roles []string, at time.Time, fx effects.Set) (Exception, error)
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
	// Resolution says what was done about it (1-2000 characters): the note
	// the next person reads.
	Resolution string `json:"resolution"`
}

// AssignInput is the body of POST /exceptions/{id}/assign.
type AssignInput struct {
	// UserID is the user who works it: active, with a role that works the
	// exception's kind (finance the settlement kinds, operations the rest).
	UserID string `json:"user_id"`
}

// Assign gives an open exception to a user.
func (s *Service) Assign(ctx context.Context, id string, in AssignInput) (_ Exception, err error) {
	defer apperr.Annotate(&err, "exceptions.Assign(%q)", id)
	in.UserID = strings.TrimSpace(in.UserID)
	if in.UserID == "" {
		return Exception{}, apperr.FieldErrors{"user_id": "name the user who works it (GET /users lists them)"}.Err()
	}
	before, err := s.store.Get(ctx, id)
	if err != nil {
		return Exception{}, err
	}
	if err := checkRole(ctx, before); err != nil {
		return Exception{}, err
	}
	if before.Status != StatusOpen {
		return Exception{}, apperr.New(apperr.Conflict, "exception %s is resolved: nothing to assign", id)
	}
	now := s.now().UTC()
	after := before
	after.AssigneeID, after.AssignedAt = &in.UserID, &now
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "assign", "exception", id, before, after)}}
	return s.store.Assign(ctx, id, in.UserID, WorkedBy(before.Kind), now, fx)
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
	if err := checkRole(ctx, before); err != nil {
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
	if f.ChannelID != "" && !ids.Valid(f.ChannelID) {
		return paging.Page[Exception]{}, apperr.FieldErrors{"channel_id": "is not a channel id (GET /channels lists them)"}.Err()
	}
	if f.Assignee != "" && f.Assignee != Unassigned && !ids.Valid(f.Assignee) {
		return paging.Page[Exception]{}, apperr.FieldErrors{"assignee": "a user id, or none for the unassigned"}.Err()
	}
	return s.store.List(ctx, f, p)
}

// OlderThan reads ?older_than: a Go duration ("36h", "90m") or whole days
// ("3d"), and returns the time exceptions must have been opened before.
func OlderThan(raw string, now time.Time) (*time.Time, error) {
	if raw == "" {
		return nil, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(raw, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3650 {
			return nil, apperr.FieldErrors{"older_than": "whole days (3d) or a duration (36h, 90m)"}.Err()
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(raw); err != nil || d < 0 {
			return nil, apperr.FieldErrors{"older_than": "whole days (3d) or a duration (36h, 90m)"}.Err()
		}
	}
	t := now.UTC().Add(-d)
	return &t, nil
}
