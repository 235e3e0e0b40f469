// Package fulfilment holds the tasks that get an order line from the
// showroom shelf (pick), the artisan's home (collect) or the loom (make)
// to the buyer, and the one order their steps go in.
package fulfilment

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Task statuses in the only order they may go (API.md, "fulfilment tasks").
const (
	Open         = "open"
	Acknowledged = "acknowledged"
	Collected    = "collected"
	Packed       = "packed"
	Dispatched   = "dispatched"
	Delivered    = "delivered"
	Cancelled    = "cancelled"
)

var order = []string{Open, Acknowledged, Collected, Packed, Dispatched, Delivered}

// optional says whether a task may skip a step: acknowledging always,
// collecting only when there is nothing to collect (a pick from the shelf).
func optional(kind, step string) bool {
	return step == Acknowledged || (step == Collected && kind == KindPick)
}

// Task kinds: where the piece comes from.
const (
	KindPick    = "pick"    // from a showroom shelf
	KindCollect = "collect" // from the artisan's home, by the corporation
	KindMake    = "make"    // made to order by the artisan
)

// TopicTransitioned tells the marketplace a task moved (packed,
// dispatched); the marketplace push follows the outbox.
const TopicTransitioned = "fulfilment.transitioned"

// Transitioned is its payload.
type Transitioned struct {
	TaskID string `json:"task_id"`
	To     string `json:"to"`
}

// Pushed says which steps a marketplace is told of.
func Pushed(step string) bool { return step == Packed || step == Dispatched }

// Task is one piece of work on one order line.
type Task struct {
	ID         string     `json:"id"`
	LineID     string     `json:"line_id"`
	OrderID    string     `json:"order_id"`
	SKU        string     `json:"sku"`
	Quantity   int64      `json:"quantity"`
	Kind       string     `json:"kind"`
	LocationID *string    `json:"location_id"`
	ArtisanID  *string    `json:"artisan_id"`
	Status     string     `json:"status"`
	DueAt      *time.Time `json:"due_at"`
	TrackingNo string     `json:"tracking_no"`
	Carrier    string     `json:"carrier"`
	// DestinationID is where a collected or made piece is brought (the
	// channel's dispatch location).
	DestinationID *string `json:"destination_id"`
	// ArtisanNotifiedAt is when the maker's SMS went out (nil: not yet).
	ArtisanNotifiedAt *time.Time `json:"artisan_notified_at"`
	// PushedStatus is the last step the marketplace accepted.
	PushedStatus string    `json:"pushed_status"`
	Version      int64     `json:"version"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Transition is the body of POST /fulfilment-tasks/{id}/transition.
type Transition struct {
	To         string `json:"to"`
	TrackingNo string `json:"tracking_no"`
	// Carrier names the courier of a dispatch (Amazon needs it); empty
	// means the marketplace's own logistics.
	Carrier string `json:"carrier"`
}

// Check says whether a task may go from its status to t.To: forward only,
// skipping only optional steps, collected only for a collect task, and a
// dispatch names its tracking number. A repeat or a step back is a
// conflict with the task's state, not bad input.
func Check(task Task, t Transition) error {
	t.TrackingNo = strings.TrimSpace(t.TrackingNo)
	to := slices.Index(order, t.To)
	if to < 0 {
		return apperr.FieldErrors{"to": "must be one of acknowledged, collected, packed, dispatched, delivered"}.Err()
	}
	if t.To == Dispatched && (t.TrackingNo == "" || len(t.TrackingNo) > 64) {
		return apperr.FieldErrors{"tracking_no": "a dispatch needs the courier's tracking number (at most 64 characters)"}.Err()
	}
	if len(t.Carrier) > 64 {
		return apperr.FieldErrors{"carrier": "at most 64 characters"}.Err()
	}
	if t.To == Collected && task.Kind == KindPick {
		return apperr.FieldErrors{"to": "a pick task has nothing to collect; only collect and make tasks are collected"}.Err()
	}
	from := slices.Index(order, task.Status)
	if task.Status == Cancelled || from < 0 {
		return apperr.New(apperr.Conflict, "task %s is %s: nothing more to do", task.ID, task.Status)
	}
	if to <= from {
		return apperr.New(apperr.Conflict, "task %s is already %s; it cannot go to %s", task.ID, task.Status, t.To)
	}
	for _, skipped := range order[from+1 : to] {
		if !optional(task.Kind, skipped) {
			return apperr.New(apperr.Conflict, "task %s is %s; it must be %s before %s", task.ID, task.Status, skipped, t.To)
		}
	}
	return nil
}

// Filter narrows GET /fulfilment-tasks.
type Filter struct {
	Status     string
	Kind       string
	LocationID string
}

// Store keeps tasks. Apply loads the task under its order's lock, asks
// Check, and moves it; a dispatch also takes the units off the shelf (on
// hand and reserved together, recorded as a sale movement) in the same
// transaction. It answers the task as committed.
type Store interface {
	GetTask(ctx context.Context, id string) (Task, error)
	ListTasks(ctx context.Context, f Filter, p paging.Request) (paging.Page[Task], error)
	Apply(ctx context.Context, id string, t Transition, now time.Time) (Task, error)
}

// Service applies the rules.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a fulfilment service; now may be nil.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: clock.Or(now)}
}

// Transition moves a task on one step (or over optional ones).
func (s *Service) Transition(ctx context.Context, id string, t Transition) (Task, error) {
	t.TrackingNo, t.Carrier = strings.TrimSpace(t.TrackingNo), strings.TrimSpace(t.Carrier)
	return s.store.Apply(ctx, id, t, s.now().UTC())
}

// List lists tasks.
func (s *Service) List(ctx context.Context, f Filter, p paging.Request) (paging.Page[Task], error) {
	return s.store.ListTasks(ctx, f, p)
}
