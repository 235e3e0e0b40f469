// Package jobs adapts outbox events to Asynq: the relay's Enqueuer, the
// worker server and its thin handlers. Delivery is at least once; every
// consumer's effect is guarded by a processed marker in the database.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// Queues by urgency, served in strict priority: a worker takes a task of
// a lower queue only when every higher one is empty.
//   - urgent: artisans' messages, order pulls, marketplace order
//     notifications and the order events that move fulfilment (an SMS waits seconds behind any burst, not minutes);
//   - sync: channel syncs (stock and price pushes), few at any time since
//     they coalesce per channel (ChannelLease);
//   - events: every other outbox event (stock, catalogue and listing
//     changes, finance), which marks listings and asks for syncs;
//   - default: reports and housekeeping.
const (
	QueueUrgent  = "urgent"
	QueueEvents  = "events"
	QueueDefault = "default"
)

// Queues is the queue set the worker serves, by priority (StrictPriority).
var Queues = map[string]int{QueueUrgent: 4, QueueSync: 3, QueueEvents: 2, QueueDefault: 1}

// urgentTopics are the outbox topics delivered on QueueUrgent.
var urgentTopics = map[string]bool{
	notify.TopicArtisanNotify:    true,
	fulfilment.TopicTransitioned: true,
	orders.TopicOrderCancelled:   true,
	// A marketplace's order notification: ingestion, before stock pushes.
	orders.TopicNoticed: true,
}

// QueueOf is the queue an outbox topic's events are delivered on.
func QueueOf(topic string) string {
	if urgentTopics[topic] {
		return QueueUrgent
	}
	return QueueEvents
}

// eventQueues are the queues outbox events travel on.
var eventQueues = []string{QueueUrgent, QueueEvents}

// Retention keeps a completed task's id in Redis so that a relay repeating
// an enqueue after a crash hits ErrTaskIDConflict instead of running the
// event again (STACK.md: TaskID alone blocks duplicates only while queued).
const Retention = 24 * time.Hour

// MaxRetry is generous: a lease-expiry recovery counts as a retry.
const MaxRetry = 25

// EventTaskType is the Asynq task type carrying one outbox topic.
func EventTaskType(topic string) string { return "event:" + topic }

// Enqueuer hands outbox messages to Asynq with TaskID = outbox id.
type Enqueuer struct {
	client    *asynq.Client
	inspector *asynq.Inspector
}

// NewEnqueuer wraps an Asynq client and inspector on the same Redis.
func NewEnqueuer(c *asynq.Client, i *asynq.Inspector) *Enqueuer {
	return &Enqueuer{client: c, inspector: i}
}

var _ outbox.Enqueuer = (*Enqueuer)(nil)

// Lost reports whether Redis no longer holds the task of message id (on
// any of the event queues: a topic's queue may have changed since).
func (e *Enqueuer) Lost(ctx context.Context, id string) (bool, error) {
	for _, q := range eventQueues {
		_, err := e.inspector.GetTaskInfo(q, id)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
			continue
		case err != nil:
			return false, err
		}
		return false, nil
	}
	return true, nil
}

// Enqueue treats "already queued or completed under this id" as success.
func (e *Enqueuer) Enqueue(ctx context.Context, m outbox.Message) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	task := asynq.NewTask(EventTaskType(m.Topic), payload)
	_, err = e.client.EnqueueContext(ctx, task,
		asynq.TaskID(m.ID), asynq.Queue(QueueOf(m.Topic)), asynq.MaxRetry(MaxRetry),
		asynq.Retention(Retention), asynq.Timeout(2*time.Minute))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// Consumer reacts to outbox events of some topics. Consume may run more
// than once for one event only if it fails; ProcessOnce guards success.
type Consumer interface {
	Name() string
	Topics() []string
	Consume(ctx context.Context, m outbox.Message) error
}

// Marker runs fn at most once per (consumer, event id) and records when an
// event has reached every consumer, so the relay can tell a delivered event
// from one a lost Redis took with it.
type Marker interface {
	ProcessOnce(ctx context.Context, consumer, eventID string, fn func(ctx context.Context) error) (bool, error)
	MarkDelivered(ctx context.Context, eventID string) error
}

var consumed = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "artisanbridge_events_consumed_total",
	Help: "Outbox events processed by consumers, by topic and outcome (done, duplicate, failed).",
}, []string{"consumer", "topic", "outcome"})

var leaseOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "artisanbridge_sync_lease_total",
	Help: "Channel sync requests by outcome: ran (held the channel's lease), coalesced (another worker was syncing the channel) or lost (the lease went elsewhere mid-run).",
}, []string{"outcome"})

// Collectors returns this package's metrics for registration.
func Collectors() []prometheus.Collector { return []prometheus.Collector{consumed, leaseOutcomes} }

// NewMux registers one thin handler per topic; each decodes the event and
// fans it out to the topic's consumers.
func NewMux(marker Marker, log *slog.Logger, consumers ...Consumer) *asynq.ServeMux {
	byTopic := map[string][]Consumer{}
	for _, c := range consumers {
		for _, t := range c.Topics() {
			byTopic[t] = append(byTopic[t], c)
		}
	}
	mux := asynq.NewServeMux()
	for topic, cs := range byTopic {
		mux.HandleFunc(EventTaskType(topic), eventHandler(marker, log, cs))
	}
	return mux
}

func eventHandler(marker Marker, log *slog.Logger, cs []Consumer) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var m outbox.Message
		if err := json.Unmarshal(t.Payload(), &m); err != nil || m.ID == "" {
			// A payload we cannot read will never become readable: do not retry it.
			return fmt.Errorf("jobs: undecodable event payload: %v: %w", err, asynq.SkipRetry)
		}
		var errs []error
		for _, c := range cs {
			ran, err := marker.ProcessOnce(ctx, c.Name(), m.ID, func(ctx context.Context) error { return c.Consume(ctx, m) })
			switch {
			case err != nil:
				consumed.WithLabelValues(c.Name(), m.Topic, "failed").Inc()
				log.Warn("event consumer failed", "consumer", c.Name(), "topic", m.Topic, "event_id", m.ID, "err", err)
				errs = append(errs, err)
			case ran:
				consumed.WithLabelValues(c.Name(), m.Topic, "done").Inc()
			default:
				consumed.WithLabelValues(c.Name(), m.Topic, "duplicate").Inc()
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		return marker.MarkDelivered(ctx, m.ID)
	}
}

// ServerConfig returns the worker's Asynq configuration.
func ServerConfig(concurrency int, log *slog.Logger) asynq.Config {
	return asynq.Config{
		Concurrency:     concurrency,
		Queues:          Queues,
		StrictPriority:  true,
		ShutdownTimeout: 8 * time.Second,
		// Channel syncs are scheduled a coalescing window ahead; check often
		// so a stock change reaches the marketplaces within a second or two.
		DelayedTaskCheckInterval: 200 * time.Millisecond,
		// An idle worker looks for new tasks every 100 ms rather than
		// Asynq's 1 s: an order crosses two tasks (its event, then the
		// channel sync) on its way to the other marketplaces, and the
		// default put up to two seconds of waiting on that path. Ten
		// cheap Redis calls a second per idle worker process.
		TaskCheckInterval: 100 * time.Millisecond,
		RetryDelayFunc:    retryDelay,
		Logger:            asynqLogger{log},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			log.Warn("task failed", "type", t.Type(), "task_id", id, "retried", retried, "err", err)
		}),
	}
}

// asynqLogger routes Asynq's own logs through slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
