package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/jkhhc/artisanbridge/internal/outbox"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
)

// TypeReconcile runs one reconciliation (its row says what).
const TypeReconcile = "reconcile:run"

type reconcilePayload struct {
	ID string `json:"id"`
}

// ReconcileTimeout bounds one run: reading a large catalogue is paced by
// the marketplace's read limits (Flipkart: ten SKUs a call).
const ReconcileTimeout = 6 * time.Hour

// ReconcileRequested turns a recorded run into its job, on the default
// queue (after orders and pushes); the run's id is the task id, so a
// repeated event queues it once.
type ReconcileRequested struct{ Client *asynq.Client }

func (ReconcileRequested) Name() string     { return "reconcile-requested" }
func (ReconcileRequested) Topics() []string { return []string{reconcile.TopicRequested} }

func (r ReconcileRequested) Consume(ctx context.Context, m outbox.Message) error {
	var p reconcile.Requested
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.ID == "" {
		return fmt.Errorf("reconcile-requested: bad payload: %v", err)
	}
	return enqueueReconcile(ctx, r.Client, p.ID, "reconcile:"+p.ID, Retention)
}

func enqueueReconcile(ctx context.Context, c *asynq.Client, id, taskID string, retention time.Duration) error {
	b, _ := json.Marshal(reconcilePayload{ID: id})
	_, err := c.EnqueueContext(ctx, asynq.NewTask(TypeReconcile, b), asynq.Queue(QueueDefault),
		asynq.TaskID(taskID), asynq.Retention(retention), asynq.MaxRetry(3), asynq.Timeout(ReconcileTimeout))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// EnqueueResume queues a run whose worker died, to resume from its
// checkpoint: one task per run and period however many replicas ask (its
// first task's id is still retained, so it needs another).
func EnqueueResume(ctx context.Context, c *asynq.Client, id string, period time.Duration) error {
	bucket := time.Now().Truncate(period).Unix()
	return enqueueReconcile(ctx, c, id, "reconcile:"+id+":resume:"+strconv.FormatInt(bucket, 10), period)
}

// Reconciler runs one reconciliation.
type Reconciler interface {
	Run(ctx context.Context, id string) error
}

// ReconcileHandler is the thin Asynq handler of TypeReconcile.
func ReconcileHandler(r Reconciler) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var p reconcilePayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ID == "" {
			return fmt.Errorf("jobs: undecodable reconcile payload: %w", asynq.SkipRetry)
		}
		return r.Run(ctx, p.ID)
	}
}
