package orderpull

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orders"
	"github.com/jkhhc/artisanbridge/internal/reconcile"
)

// OrderLookup finds an order here by the marketplace's id.
type OrderLookup interface {
	// ExternalOrderStatus returns the stored status of a channel's order,
	// found false when it was never taken in.
	ExternalOrderStatus(ctx context.Context, channelID, externalOrderID string) (status string, found bool, err error)
}

// ReconcileOrders re-reads every order of a channel changed since since,
// whatever the pull cursor says, and reports each the marketplace has and
// we do not (missed_order, with its exception naming the cause) and each
// whose status differs. With ingest, what is missing is taken in (once:
// ingestion is idempotent) and a differing status is brought up to date.
// The pull cursor is left alone. It returns how many orders it read.
func (p *Puller) ReconcileOrders(ctx context.Context, channelID string, since time.Time, ingest bool, found func(reconcile.Difference) error) (int64, error) {
	if p.Lookup == nil {
		return 0, errors.New("orderpull: no order lookup to reconcile with")
	}
	ch, err := p.Channels.Get(ctx, channelID)
	if err != nil {
		return 0, err
	}
	creds, err := p.Channels.Credentials(ctx, channelID)
	if err != nil {
		return 0, err
	}
	ad, err := p.Factory(ch, creds)
	if err != nil {
		return 0, err
	}
	src, ok := ad.(adapters.OrderSource)
	if !ok {
		return 0, fmt.Errorf("%s delivers orders as files: reconcile by importing its portal export", ch.Name)
	}
	var read int64
	token := ""
	for {
		page, err := src.FetchOrders(ctx, adapters.OrderCursor{Since: since, PageToken: token})
		if err != nil {
			return read, fmt.Errorf("reading %s orders since %s: %w", ch.Name, since.Format(time.RFC3339), err)
		}
		for _, u := range page.Unreadable {
			if err := p.raiseUnreadable(ctx, ch, u); err != nil {
				return read, err
			}
		}
		for _, in := range page.Orders {
			read++
			in.ChannelID = channelID
			status, known, err := p.Lookup.ExternalOrderStatus(ctx, channelID, in.ExternalOrderID)
			if err != nil {
				return read, err
			}
			d, ok := orderDifference(in, status, known)
			if !ok {
				continue
			}
			d.Action = reconcile.ActionReported
			if ingest {
				if _, err := p.Orders.Ingest(ctx, in); err != nil {
					if rerr := p.raiseFailed(ctx, ch, in, err); rerr != nil {
						return read, rerr
					}
				} else if known {
					d.Action = reconcile.ActionCorrected
				} else {
					d.Action = reconcile.ActionIngested
				}
			}
			if !known {
				if err := p.raiseMissed(ctx, ch.Name, channelID, in, d.Action == reconcile.ActionIngested); err != nil {
					return read, err
				}
			}
			if err := found(d); err != nil {
				return read, err
			}
		}
		if page.NextPageToken == "" {
			return read, nil
		}
		token = page.NextPageToken
	}
}

// orderDifference says how an order the marketplace holds differs from
// ours: missing here, or in another status (an order awaiting its SKU's
// mapping is expected to differ).
func orderDifference(in orders.Incoming, stored string, known bool) (reconcile.Difference, bool) {
	switch {
	case !known:
		return reconcile.Difference{SKU: in.ExternalOrderID, Class: reconcile.MissedOrder,
			Detail: fmt.Sprintf("order %s (%s, changed %s) is on the marketplace and was never taken in", in.ExternalOrderID, in.Status, in.UpdatedAt.UTC().Format(time.RFC3339))}, true
	case stored != in.Status && stored != orders.StatusAwaitingMapping:
		return reconcile.Difference{SKU: in.ExternalOrderID, Class: reconcile.StatusDiffers,
			Detail: fmt.Sprintf("order %s is %s on the marketplace and %s here", in.ExternalOrderID, in.Status, stored)}, true
	}
	return reconcile.Difference{}, false
}

func (p *Puller) raiseMissed(ctx context.Context, name, channelID string, in orders.Incoming, ingested bool) error {
	if p.Exceptions == nil {
		return errNoExceptions
	}
	action := "Run the order reconciliation with auto_correct to take it in (POST /api/v1/reconciliations, kind orders), then check its lines were reserved."
	if ingested {
		action = "It was taken in now: check its lines were reserved and routed (GET /api/v1/orders?external_order_id=...), then resolve this exception."
	}
	return p.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.MissedOrder, CauseKey: "missed_by_pull:" + channelID + ":" + in.ExternalOrderID,
		Summary: fmt.Sprintf("%s order %s was missing here: found by the order reconciliation", name, in.ExternalOrderID),
		Detail: fmt.Sprintf("cause: the incremental pull never returned it (the marketplace reported it as changed at %s, "+
			"behind the pull's cursor, as a late-indexed order is); the reconciliation's re-read of the window found it", in.UpdatedAt.UTC().Format(time.RFC3339)),
		Action: action, Resource: "channel", ResourceID: channelID, ChannelID: channelID})
}
