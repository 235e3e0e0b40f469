package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/fulfilpush"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orderpull"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// ArtisanNotifier sends the SMS of each stored notification; a failed send
// fails the event, which is retried with backoff until the gateway takes
// it. One no retry can deliver (no phone number) stays recorded as such.
type ArtisanNotifier struct{ Service *notify.Service }

func (ArtisanNotifier) Name() string     { return "artisan-notifier" }
func (ArtisanNotifier) Topics() []string { return []string{notify.TopicArtisanNotify} }

func (a ArtisanNotifier) Consume(ctx context.Context, m outbox.Message) error {
	var e notify.Event
	if err := json.Unmarshal(m.Payload, &e); err != nil || e.NotificationID == "" {
		return fmt.Errorf("artisan-notifier: bad payload: %v", err)
	}
	err := a.Service.Deliver(ctx, e.NotificationID)
	if errors.Is(err, notify.ErrUndeliverable) {
		return nil
	}
	return err
}

// FulfilmentPush tells marketplaces of packed and dispatched tasks and of
// orders operations cancelled.
type FulfilmentPush struct{ Pusher *fulfilpush.Pusher }

func (FulfilmentPush) Name() string { return "fulfilment-push" }
func (FulfilmentPush) Topics() []string {
	return []string{fulfilment.TopicTransitioned, orders.TopicOrderCancelled}
}

func (f FulfilmentPush) Consume(ctx context.Context, m outbox.Message) error {
	switch m.Topic {
	case orders.TopicOrderCancelled:
		var c orders.Cancelled
		if err := json.Unmarshal(m.Payload, &c); err != nil || c.OrderID == "" {
			return fmt.Errorf("fulfilment-push: bad payload: %v", err)
		}
		return f.Pusher.PushCancel(ctx, c.OrderID, c.Reason)
	default:
		var t fulfilment.Transitioned
		if err := json.Unmarshal(m.Payload, &t); err != nil || t.TaskID == "" {
			return fmt.Errorf("fulfilment-push: bad payload: %v", err)
		}
		return f.Pusher.PushTask(ctx, t.TaskID, t.To)
	}
}

// Resumer continues order lines that waited for a SKU.
type Resumer interface {
	ResumeUnmapped(ctx context.Context, productID string, now time.Time) (int, error)
}

// OrderMapping resumes the order lines waiting for a product's SKU when
// the product is added or changed.
type OrderMapping struct{ Orders Resumer }

func (OrderMapping) Name() string     { return "order-mapping" }
func (OrderMapping) Topics() []string { return []string{outbox.TopicProductChanged} }

func (o OrderMapping) Consume(ctx context.Context, m outbox.Message) error {
	_, err := o.Orders.ResumeUnmapped(ctx, m.Key, time.Now().UTC())
	return err
}

// retryDelay retries a push waiting for its previous step within seconds,
// and the first few retries of anything else after 1, 2, 4 and 8 seconds
// (a marketplace's passing hiccup should not hold an order for a minute);
// later ones back off as Asynq does by default.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	switch {
	case errors.Is(err, fulfilpush.ErrNotYet):
		return time.Duration(min(n+1, 30)) * time.Second
	case n < 4:
		return time.Duration(1<<n)*time.Second + time.Duration(rand.Int64N(int64(500*time.Millisecond)))
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// Clawer claws back a returned line's earnings.
type Clawer interface {
	ClawbackLine(ctx context.Context, lineID string, now time.Time) error
}

// FinanceClawback claws back the maker's earning of goods that came back.
type FinanceClawback struct{ Ledger Clawer }

func (FinanceClawback) Name() string     { return "finance-clawback" }
func (FinanceClawback) Topics() []string { return []string{finance.TopicLineReturned} }

func (f FinanceClawback) Consume(ctx context.Context, m outbox.Message) error {
	return f.Ledger.ClawbackLine(ctx, m.Key, time.Now().UTC())
}

// NoticeTaker takes in what a marketplace's notification names
// (orderpull.Puller).
type NoticeTaker interface {
	TakeNotice(ctx context.Context, n orders.Notice) (orderpull.Report, error)
}

// OrderNotices reads again from the marketplace what a notification names
// and takes it in, as a pull does.
type OrderNotices struct{ Puller NoticeTaker }

func (OrderNotices) Name() string     { return "order-notices" }
func (OrderNotices) Topics() []string { return []string{orders.TopicNoticed} }

func (o OrderNotices) Consume(ctx context.Context, m outbox.Message) error {
	var n orders.Notice
	if err := json.Unmarshal(m.Payload, &n); err != nil || n.ChannelID == "" {
		return fmt.Errorf("order-notices: bad payload: %v", err)
	}
	_, err := o.Puller.TakeNotice(ctx, n)
	return err
}
