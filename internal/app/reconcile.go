package app

import (
	"context"
	"time"

	"github.com/jkhhc/artisanbridge/internal/jobs"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
)

// nightlyHourUTC is when the nightly stock reconciliations start: 02:30
// in India, when marketplaces are quiet and their read limits are free.
const nightlyHourUTC, nightlyMinuteUTC = 21, 0

// nextNight is the next nightly start after t.
func nextNight(t time.Time) time.Time {
	t = t.UTC()
	n := time.Date(t.Year(), t.Month(), t.Day(), nightlyHourUTC, nightlyMinuteUTC, 0, 0, time.UTC)
	if !n.After(t) {
		n = n.Add(24 * time.Hour)
	}
	return n
}

// runNightlyReconciliations starts, each night, a report-only stock
// reconciliation and an order reconciliation (reconcile.Service.Nightly)
// of every enabled channel; every replica may try, the database keeps one
// run per channel, kind and night.
func (a *App) runNightlyReconciliations(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(nextNight(time.Now()))):
		}
		list, err := a.Channels.List(ctx)
		if err != nil {
			a.log.Warn("nightly reconciliations: channels unreadable", "err", err)
			continue
		}
		for _, ch := range list {
			if !ch.Enabled || ch.Kind == "gem" { // GeM's state is a portal export, not an API
				continue
			}
			for _, kind := range []string{reconcile.KindStock, reconcile.KindOrders} {
				if _, err := a.Reconcile.Nightly(ctx, ch.ID, kind); err != nil && ctx.Err() == nil {
					a.log.Warn("nightly reconciliation not started", "channel", ch.Name, "kind", kind, "err", err)
				}
			}
		}
	}
}

// runReconcileRecovery resumes, every minute, the reconciliations whose
// worker died mid-run (killed, or its host lost): their task is queued
// again and the run goes on from its last checkpoint.
func (a *App) runReconcileRecovery(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := a.Reconciler.ResumeStale(ctx, func(ctx context.Context, id string) error {
			return jobs.EnqueueResume(ctx, a.client, id, reconcile.StaleAfter)
		})
		if err != nil && ctx.Err() == nil {
			a.log.Warn("resuming stale reconciliations failed", "err", err)
		} else if n > 0 {
			a.log.Info("stale reconciliations queued to resume", "runs", n)
		}
	}
}

func (a *App) newReconciler() *reconcile.Runner {
	return &reconcile.Runner{Channels: a.Channels, Runs: a.DB.Reconciliations(), Listings: a.DB.Listings(), Exceptions: a.DB.Exceptions(),
		Factory: a.adapterFor, Resync: a.syncQueue.Enqueue, Orders: a.Puller, Log: a.log}
}
