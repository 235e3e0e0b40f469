package outbox

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Store is the relay's view of the outbox table.
type Store interface {
	// Unsent returns up to limit messages not yet marked sent, oldest first.
	Unsent(ctx context.Context, limit int) ([]Message, error)
	// MarkSent records that id reached the queue.
	MarkSent(ctx context.Context, id string, at time.Time) error
	// MarkFailed counts a failed hand-over and keeps its reason for operators.
	MarkFailed(ctx context.Context, id string, reason string) error
	// SentUndelivered returns messages handed to the queue before
	// sentBefore whose delivery nobody has confirmed.
	SentUndelivered(ctx context.Context, sentBefore time.Time, limit int) ([]Message, error)
	// MarkUnsent puts a message back in the relay's hands.
	MarkUnsent(ctx context.Context, id string) error
}

// Enqueuer hands a message to the job queue. It must treat "already queued
// under this id" as success: the relay is at-least-once and may repeat.
type Enqueuer interface {
	Enqueue(ctx context.Context, m Message) error
	// Lost reports whether the queue no longer knows message id: Redis
	// was lost or restarted without its data (always so for the embedded
	// in-process Redis) before the message was delivered.
	Lost(ctx context.Context, id string) (bool, error)
}

// Relay moves unsent outbox rows to the queue. Several relays (one per api
// replica) may run at once: the queue's task id makes repeats harmless.
type Relay struct {
	store    Store
	enq      Enqueuer
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration
	batch    int
	wake     chan struct{}
	reset    func(ctx context.Context) (bool, error)
}

// WatchQueue makes the relay ask reset on every pass whether the queue
// lost its data; when it did, every event handed over and not confirmed
// delivered is handed over again at once rather than after RecoverAfter.
func (r *Relay) WatchQueue(reset func(ctx context.Context) (bool, error)) { r.reset = reset }

// NewRelay returns a relay that polls every interval and whenever Notify is
// called after a commit that wrote outbox rows.
func NewRelay(store Store, enq Enqueuer, log *slog.Logger, interval time.Duration) *Relay {
	if interval <= 0 {
		interval = time.Second
	}
	return &Relay{
		store: store, enq: enq, log: log, now: time.Now,
		interval: interval, batch: 200, wake: make(chan struct{}, 1),
	}
}

// Notify asks the relay to drain now; it never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// RecoverAfter is how long a handed-over message may go unconfirmed before
// the relay asks the queue whether it still has it: longer than a task's
// lease plus the recoverer's interval, so a task being recovered is not
// mistaken for a lost one.
const RecoverAfter = 3 * time.Minute

// Run drains, then recovers lost messages (re-enqueueing whatever a crash
// or a lost Redis left behind), at start and on every tick or Notify until
// ctx ends: a recovery every RecoverAfter, and at once when the queue
// says it lost its data (WatchQueue).
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	lastRecover := time.Time{}
	for {
		// New events first: a recovery pass asks the queue about every
		// undelivered event, and a fresh SMS must not wait for that.
		r.drain(ctx)
		recovered := r.watchQueue(ctx)
		if time.Since(lastRecover) >= RecoverAfter {
			if n, err := r.Recover(ctx, r.now().Add(-RecoverAfter)); err != nil && ctx.Err() == nil {
				r.log.Warn("outbox relay: recovery failed", "err", err)
			} else if n > 0 {
				r.log.Warn("outbox relay: the queue had lost events; handing them over again", "count", n)
				recovered += n
			}
			lastRecover = time.Now()
		}
		if recovered > 0 {
			r.drain(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.wake:
		}
	}
}

func (r *Relay) drain(ctx context.Context) {
	if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("outbox relay: drain failed", "err", err)
	}
}

// watchQueue marks everything undelivered unsent when the queue lost its
// data, and says how many.
func (r *Relay) watchQueue(ctx context.Context) int {
	if r.reset == nil {
		return 0
	}
	reset, err := r.reset(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("outbox relay: could not tell whether the queue kept its data", "err", err)
		}
		return 0
	}
	if !reset {
		return 0
	}
	total := 0
	for range 1000 { // Recover takes 1,000 at a time
		n, err := r.Recover(ctx, r.now().Add(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("outbox relay: recovery after the queue lost its data failed", "err", err)
			}
			return total
		}
		total += n
		if n == 0 {
			break
		}
	}
	if total > 0 {
		r.log.Warn("outbox relay: the queue lost its data (Redis restarted empty?); handing undelivered events over again", "count", total)
	}
	return total
}

// Drain enqueues every unsent message and returns how many it handed over.
// A message that fails to enqueue stays unsent and is retried on the next
// pass; one bad message does not hold back the others.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	sent := 0
	for {
		msgs, err := r.store.Unsent(ctx, r.batch)
		if err != nil {
			return sent, err
		}
		progressed := false
		var firstErr error
		for _, m := range msgs {
			if err := r.enq.Enqueue(ctx, m); err != nil {
				if ctx.Err() != nil {
					return sent, ctx.Err()
				}
				if markErr := r.store.MarkFailed(ctx, m.ID, err.Error()); markErr != nil {
					return sent, markErr
				}
				firstErr = errors.Join(firstErr, err)
				continue
			}
			if err := r.store.MarkSent(ctx, m.ID, r.now().UTC()); err != nil {
				return sent, err
			}
			sent++
			progressed = true
		}
		if len(msgs) < r.batch || !progressed {
			return sent, firstErr
		}
	}
}

// Recover finds messages handed over before sentBefore and never confirmed
// delivered that the queue no longer has, and marks them unsent so the next
// Drain hands them over again. Consumers' processed markers make the repeat
// harmless for any consumer that had already run.
func (r *Relay) Recover(ctx context.Context, sentBefore time.Time) (int, error) {
	msgs, err := r.store.SentUndelivered(ctx, sentBefore, 1000)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range msgs {
		lost, err := r.enq.Lost(ctx, m.ID)
		if err != nil {
			return n, err
		}
		if !lost {
			continue
		}
		if err := r.store.MarkUnsent(ctx, m.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
