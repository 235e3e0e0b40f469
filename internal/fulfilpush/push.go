// Package fulfilpush tells each marketplace what happened to its orders:
// packed and dispatched tasks, and orders operations cancelled. It runs
// from the outbox, so a push is never lost and is retried until the
// marketplace answers; a marketplace's refusal, or a step only a person
// can do in its portal, becomes an exception for staff instead.
package fulfilpush

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
)

// Order is what a push says about an order: its marketplace references and
// the lines concerned.
type Order struct {
	ChannelID       string
	ChannelKind     string
	ExternalOrderID string
	OrderID         string
	Lines           []adapters.FulfilmentLine
	// LocationID is the marketplace's location of the lines (Flipkart).
	LocationID string
}

// TaskPush is a task's state as a push needs it.
type TaskPush struct {
	Order
	TaskID       string
	Status       string
	PushedStatus string
	TrackingNo   string
	Carrier      string
	UpdatedAt    time.Time
}

// Store reads what to push and records what the marketplace accepted.
type Store interface {
	TaskPush(ctx context.Context, taskID string) (TaskPush, error)
	OrderPush(ctx context.Context, orderID string) (Order, error)
	MarkPushed(ctx context.Context, taskID, step string) error
	RaiseException(ctx context.Context, e exceptions.Exception) error
}

// ChannelFor returns the adapter of a channel.
type ChannelFor func(ctx context.Context, channelID string) (adapters.Channel, error)

// Pusher pushes.
type Pusher struct {
	Store    Store
	Channels ChannelFor
	Log      *slog.Logger
}

// ErrNotYet asks for a retry: a dispatch waits until its packing was
// accepted, since events may be handled out of order.
var ErrNotYet = errors.New("fulfilpush: the previous step has not reached the marketplace yet")

var stepRank = map[string]int{"": 0, fulfilment.Packed: 1, fulfilment.Dispatched: 2}

// PushTask tells the task's marketplace it reached step.
func (p *Pusher) PushTask(ctx context.Context, taskID, step string) error {
	t, err := p.Store.TaskPush(ctx, taskID)
	if err != nil {
		return err
	}
	if stepRank[t.PushedStatus] >= stepRank[step] {
		return nil // told before
	}
	if step == fulfilment.Dispatched && t.PushedStatus != fulfilment.Packed {
		return ErrNotYet
	}
	if t.Status == fulfilment.Cancelled {
		return nil // cancelled meanwhile: the cancellation speaks for it
	}
	u := adapters.FulfilmentUpdate{Step: step, ExternalOrderID: t.ExternalOrderID, LocationID: t.LocationID, Lines: t.Lines,
		TrackingNo: t.TrackingNo, Carrier: t.Carrier, At: t.UpdatedAt}
	if err := p.push(ctx, t.Order, u, "fulfilment:"+taskID+":"+step); err != nil {
		return err
	}
	// Marked even when handed to staff: the exception covers this step,
	// and the next one must not wait for it forever.
	return p.Store.MarkPushed(ctx, taskID, step)
}

// PushCancel tells the order's marketplace operations cancelled it.
func (p *Pusher) PushCancel(ctx context.Context, orderID, reason string) error {
	o, err := p.Store.OrderPush(ctx, orderID)
	if err != nil {
		return err
	}
	u := adapters.FulfilmentUpdate{Step: adapters.StepCancelled, ExternalOrderID: o.ExternalOrderID, LocationID: o.LocationID,
		Lines: o.Lines, At: time.Now().UTC(), Reason: reason}
	return p.push(ctx, o, u, "cancel:"+orderID)
}

// push calls the adapter. A refusal or a manual step is handed to staff
// as an exception and not retried; any other error is returned for a retry.
func (p *Pusher) push(ctx context.Context, o Order, u adapters.FulfilmentUpdate, cause string) error {
	ch, err := p.Channels(ctx, o.ChannelID)
	if err != nil {
		return err
	}
	f, ok := ch.(adapters.Fulfiller)
	if !ok {
		return nil
	}
	err = f.PushFulfilment(ctx, u)
	var refusal *adapters.Refusal
	var manual *adapters.ManualStep
	switch {
	case err == nil:
		p.Log.InfoContext(ctx, "marketplace told", "channel", o.ChannelKind, "order", o.ExternalOrderID, "step", u.Step)
		return nil
	case errors.As(err, &refusal):
		return p.Store.RaiseException(ctx, exceptions.Exception{Kind: exceptions.SyncFailing, CauseKey: cause,
			Summary:  fmt.Sprintf("%s refused to record order %s as %s", o.ChannelKind, o.ExternalOrderID, u.Step),
			Detail:   fmt.Sprintf("%s: %s", refusal.Code, refusal.Message),
			Action:   fmt.Sprintf("Record the step in the %s seller portal, or correct the order there, then resolve this exception.", o.ChannelKind),
			Resource: "order", ResourceID: o.OrderID})
	case errors.As(err, &manual):
		return p.Store.RaiseException(ctx, exceptions.Exception{Kind: exceptions.SyncFailing, CauseKey: cause,
			Summary:  fmt.Sprintf("order %s must be marked %s by hand on %s", o.ExternalOrderID, u.Step, o.ChannelKind),
			Detail:   fmt.Sprintf("%s has no API for this step", o.ChannelKind),
			Action:   "Staff: " + manual.Action + "; then resolve this exception.",
			Resource: "order", ResourceID: o.OrderID})
	}
	return err
}
